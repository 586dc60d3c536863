"""Network reliability: exact unreliability, CE importance-sampling estimates, design.

The names live in ``_estimators``; ``_exact``, ``_batch`` and ``_pmc`` hold the exact
programme, the batch kernels and the merge process.

>>> from cemopt.problems.network_reliability import Network
>>> Network.dodecahedron().n_edges
30
"""

from ._estimators import (
    METHODS,
    DesignResult,
    Network,
    design,
    estimate_unreliability,
    exact_unreliability,
)

__all__ = [
    "Network",
    "exact_unreliability",
    "estimate_unreliability",
    "design",
    "DesignResult",
    "METHODS",
]
