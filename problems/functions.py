"""Continuous test functions, vectorised: ``f(X)`` with ``X`` of shape ``(n, d)``
returns shape ``(n,)``; a single point of shape ``(d,)`` returns a float.

Each function is a :class:`TestFunction` that carries its usual search domain, its
optimum and its optimal value, so tests and benchmarks check against the known
answer rather than against a number we computed.

References
----------
Definitions and domains follow Surjanovic & Bingham, *Virtual Library of Simulation
Experiments: Test Functions* (Simon Fraser University), and the ``peaks`` example of
Benham, Duan, Kroese & Liquet (2017), *CEoptim: Cross-Entropy R package for
optimization*, J. Stat. Softw. 76(8) (MATLAB's ``peaks``).

Examples
--------
>>> import numpy as np
>>> from cemopt.problems.functions import rastrigin
>>> rastrigin(np.zeros((2, 3))).tolist()
[0.0, 0.0]
>>> rastrigin.f_opt, rastrigin.lower, rastrigin.upper
(0.0, -5.12, 5.12)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "TestFunction",
    "sphere",
    "rosenbrock",
    "rastrigin",
    "ackley",
    "griewank",
    "peaks",
    "FUNCTIONS",
]


@dataclass(frozen=True, eq=False)
class TestFunction:
    """A vectorised test function with its domain and known optimum.

    Attributes
    ----------
    name : str
    func : callable
        ``func(X) -> (n,)`` on an ``(n, d)`` float array.
    lower, upper : float
        The usual search domain ``[lower, upper]^d`` (the same bound per coordinate).
    f_opt : float
        The optimal value (the minimum, or the maximum when ``sense == "max"``).
    x_opt : callable
        ``x_opt(d) -> (d,)``: a point attaining ``f_opt`` in dimension ``d``.
    sense : {"min", "max"}
        Whether ``f_opt`` is a minimum or a maximum.
    dims : tuple of int or None
        The dimensions the function is defined for (None: any ``d >= 1``).
    """

    name: str
    func: Callable[[np.ndarray], np.ndarray]
    lower: float
    upper: float
    f_opt: float
    x_opt: Callable[[int], np.ndarray]
    sense: str = "min"
    dims: tuple[int, ...] | None = None

    def __call__(self, X) -> np.ndarray | float:
        array = np.asarray(X, dtype=float)
        if array.ndim not in (1, 2):
            raise ValueError(
                f"`X` must be one point (d,) or a batch (n, d), but got shape {array.shape}."
            )
        batch = np.atleast_2d(array)
        if self.dims is not None and batch.shape[1] not in self.dims:
            raise ValueError(
                f"`X` must have {' or '.join(map(str, self.dims))} columns for {self.name}, "
                f"but got shape {array.shape}."
            )
        values = self.func(batch)
        return float(values[0]) if array.ndim == 1 else values

    def bounds(self, d: int) -> tuple[np.ndarray, np.ndarray]:
        """``(lower, upper)`` arrays of length ``d``."""
        return np.full(d, self.lower), np.full(d, self.upper)

    def __repr__(self) -> str:
        return (
            f"TestFunction({self.name!r}, domain=[{self.lower:g}, {self.upper:g}]^d, "
            f"f_opt={self.f_opt:g} ({self.sense}))"
        )


def _sphere(X: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", X, X)


def _rosenbrock(X: np.ndarray) -> np.ndarray:
    head, tail = X[:, :-1], X[:, 1:]
    return (100.0 * (tail - head**2) ** 2 + (1.0 - head) ** 2).sum(axis=1)


def _rastrigin(X: np.ndarray) -> np.ndarray:
    return 10.0 * X.shape[1] + (X**2 - 10.0 * np.cos(2.0 * np.pi * X)).sum(axis=1)


def _ackley(X: np.ndarray) -> np.ndarray:
    d = X.shape[1]
    root_mean_square = np.sqrt(np.einsum("ij,ij->i", X, X) / d)
    mean_cos = np.cos(2.0 * np.pi * X).sum(axis=1) / d
    # a + e - a exp(-b rms) - exp(mean cos); written so that f(0) is exactly 0
    return 20.0 * -np.expm1(-0.2 * root_mean_square) + (np.e - np.exp(mean_cos))


def _griewank(X: np.ndarray) -> np.ndarray:
    i = np.arange(1, X.shape[1] + 1)
    return 1.0 + (X**2).sum(axis=1) / 4000.0 - np.prod(np.cos(X / np.sqrt(i)), axis=1)


def _peaks(X: np.ndarray) -> np.ndarray:
    x, y = X[:, 0], X[:, 1]
    return (
        3.0 * (1.0 - x) ** 2 * np.exp(-(x**2) - (y + 1.0) ** 2)
        - 10.0 * (x / 5.0 - x**3 - y**5) * np.exp(-(x**2) - y**2)
        - np.exp(-((x + 1.0) ** 2) - y**2) / 3.0
    )


def _at(value: float) -> Callable[[int], np.ndarray]:
    # a partial, not a lambda: the test functions pickle, for a ProcessPoolExecutor
    return functools.partial(np.full, fill_value=value)


def _peaks_argmax(d: int) -> np.ndarray:
    return np.array([-0.00931759, 1.58136796])


sphere = TestFunction("sphere", _sphere, -5.12, 5.12, 0.0, _at(0.0))
rosenbrock = TestFunction("rosenbrock", _rosenbrock, -5.0, 10.0, 0.0, _at(1.0))
rastrigin = TestFunction("rastrigin", _rastrigin, -5.12, 5.12, 0.0, _at(0.0))
ackley = TestFunction("ackley", _ackley, -32.768, 32.768, 0.0, _at(0.0))
griewank = TestFunction("griewank", _griewank, -600.0, 600.0, 0.0, _at(0.0))
#: MATLAB's peaks, maximised in CEoptim's first example (from mean (-3, -3), sd (10, 10)).
#: Its maximum, 8.106213589442, is at (-0.009317589, 1.581367962) (located by BFGS
#: from 200 starts to gradient 1e-12; tests re-derive it with scipy.optimize).
peaks = TestFunction(
    "peaks",
    _peaks,
    -3.0,
    3.0,
    8.10621358944234,
    _peaks_argmax,
    sense="max",
    dims=(2,),
)

#: name -> TestFunction
FUNCTIONS: dict[str, TestFunction] = {
    f.name: f for f in (sphere, rosenbrock, rastrigin, ackley, griewank, peaks)
}
