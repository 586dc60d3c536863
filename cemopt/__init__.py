"""cemopt: the cross-entropy method for optimisation and rare-event estimation.

>>> import cemopt as ce
>>> res = ce.minimize(lambda X: (X ** 2).sum(axis=1), ce.Normal([2.0, 2.0], [1.0, 1.0]),
...                   n_samples=100, vectorized=True, rng=0)
>>> res.success
True
"""

from . import validation
from ._version import __version__
from .errors import CemoptWarning, CheckpointError, ConvergenceWarning, DegenerateFitError
from .evaluate import Evaluator
from .families import (
    Bernoulli,
    Categorical,
    Estimate,
    Exponential,
    Family,
    GaussianMixture,
    Mixture,
    MultivariateNormal,
    Normal,
    Permutation,
    Product,
    SparsePermutation,
    VonMisesFisherNakagami,
    is_family,
)
from .optimize import CrossEntropy, DynamicSmoothing, maximize, minimize
from .rare_event import RareEventCE, crude_monte_carlo, estimate
from .reliability import ReliabilityResult, failure_probability
from .result import History, LevelHistory, OptimizeResult, RareEventResult
from .transform import StandardNormalMap, nataf_correlation

__all__ = [
    "__version__",
    "Bernoulli",
    "Categorical",
    "CemoptWarning",
    "CheckpointError",
    "ConvergenceWarning",
    "CrossEntropy",
    "DegenerateFitError",
    "DynamicSmoothing",
    "Estimate",
    "Evaluator",
    "Exponential",
    "Family",
    "GaussianMixture",
    "History",
    "Mixture",
    "MultivariateNormal",
    "Normal",
    "OptimizeResult",
    "Permutation",
    "SparsePermutation",
    "Product",
    "VonMisesFisherNakagami",
    "is_family",
    "crude_monte_carlo",
    "estimate",
    "failure_probability",
    "nataf_correlation",
    "LevelHistory",
    "RareEventCE",
    "RareEventResult",
    "ReliabilityResult",
    "StandardNormalMap",
    "maximize",
    "minimize",
    "validation",
]

from ._source_tree import install as _install_source_tree  # noqa: E402

_install_source_tree()  # python -m cemopt in the repository root: cemopt.problems too
del _install_source_tree
