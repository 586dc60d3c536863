"""Problems built on the cemopt engine, imported as ``cemopt.problems.<name>``.

``PROBLEMS`` maps a plain name to a factory that builds a ready instance; the CLI,
``cemopt.compare`` and the tests use it.

>>> from cemopt.problems import PROBLEMS
>>> sorted(PROBLEMS)[:3]
['ackley', 'buffer_allocation', 'griewank']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import (
    buffer_allocation,
    functions,
    maxcut,
    network_reliability,
    rare_events,
    tsp,
    tsplib,
    vrp,
)

__all__ = [
    "PROBLEMS",
    "buffer_allocation",
    "functions",
    "maxcut",
    "network_reliability",
    "rare_events",
    "tsp",
    "tsplib",
    "vrp",
]

#: name -> factory(**kwargs) -> problem instance
PROBLEMS: dict[str, Callable[..., Any]] = {
    **{name: (lambda f=f: f) for name, f in functions.FUNCTIONS.items()},
    "maxcut": maxcut.MaxCut.synthetic,
    "tsp": tsp.TSP.random_euclidean,
    "vrp": vrp.CVRP.random,
    **{f"rare_events.{name}": factory for name, factory in rare_events.MODELS.items()},
    "network_reliability.dodecahedron": network_reliability.Network.dodecahedron,
    "network_reliability.grid": network_reliability.Network.grid,
    "buffer_allocation": buffer_allocation.FlowLine.random,
}
