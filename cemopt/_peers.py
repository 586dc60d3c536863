"""Adapters that run cemopt and its peers on a :class:`cemopt.compare.Problem`.

An adapter only drives its optimiser: every candidate goes through the runner's
counting objective ``f`` (a batch of candidates in, their values out, always to be
*minimised*), which records the best value so far and ends the run by raising
``BudgetSpent`` when the evaluation budget is used up. So no adapter reports its own
numbers: what a record says is what the counter saw, the same for every optimiser.

Peer libraries are imported inside the adapters; the ones that are not installed,
or whose installed version is known to give wrong answers, are marked unavailable
with the reason (:meth:`Adapter.unavailable`) instead of producing garbage.

Examples
--------
>>> from cemopt._peers import OPTIMIZERS
>>> sorted(OPTIMIZERS)[:3]
['cemopt', 'cma', 'differential_evolution']
>>> OPTIMIZERS["dual_annealing"].spaces
('continuous',)
"""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["OPTIMIZERS", "Adapter", "BudgetSpent", "get_adapter", "nevergrad_trap"]

#: problem kinds an adapter may support
SPACES = ("continuous", "binary", "permutation")


class BudgetSpent(Exception):
    """Raised by the counting objective to end a run (budget spent or target reached)."""


class Adapter:
    """One optimiser behind the common interface of :func:`cemopt.compare.compare`.

    Parameters
    ----------
    name : str
        The registry name.
    run : callable
        ``run(problem, f, seed, x0, **options)``: drive the optimiser on ``f``, the
        counting objective (minimise it) until it raises ``BudgetSpent`` or the
        optimiser stops by itself.
    spaces : tuple of str
        Problem kinds it handles: ``"continuous"``, ``"binary"``, ``"permutation"``.
    module : str, optional
        The import name of the library it needs (checked by :meth:`unavailable`).
    description : str
        One line for tables and ``--help`` texts.

    Examples
    --------
    >>> adapter = get_adapter("random")
    >>> adapter.spaces, adapter.unavailable("binary") is None
    (('continuous', 'binary', 'permutation'), True)
    """

    def __init__(
        self,
        name: str,
        run: Callable[..., None],
        spaces: tuple[str, ...],
        *,
        module: str | None = None,
        needs_local_search: bool = False,
        description: str = "",
    ) -> None:
        self.name, self._run, self.spaces = name, run, spaces
        self.module, self.description = module, description
        self.needs_local_search = needs_local_search

    def unavailable(self, problem: Any) -> str | None:
        """Why this adapter cannot run on ``problem`` (a Problem or its kind); None: it can."""
        kind = problem if isinstance(problem, str) else problem.kind
        if kind not in self.spaces:
            return f"{self.name} does not handle {kind} problems (only {', '.join(self.spaces)})"
        if self.needs_local_search and getattr(problem, "local_search", None) is None:
            return f"{self.name} needs a problem with a local search (a TSP)"
        if self.module is not None and importlib.util.find_spec(self.module) is None:
            return f"{self.module} is not installed (pip install 'cemopt[peers]')"
        return None

    def run(self, problem: Any, f: Callable, seed: int, x0: Any, **options: Any) -> None:
        """Run until the counter stops it (or the optimiser stops by itself)."""
        try:
            self._run(problem, f, seed, x0, **options)
        except BudgetSpent:
            pass

    def __repr__(self) -> str:
        return f"Adapter({self.name!r}, spaces={self.spaces})"


# ----------------------------------------------------------------------- cemopt
def _run_cemopt(problem: Any, f: Callable, seed: int, x0: Any, **options: Any) -> None:
    import cemopt as ce

    if problem.family is not None:  # the problem module's own formulation
        family = problem.family
    elif problem.kind == "continuous":
        # the continuous benchmark's set-up: a full-covariance Gaussian at the common
        # start with standard deviation half the domain width, defaults otherwise
        width = np.asarray(problem.upper) - np.asarray(problem.lower)
        family = ce.MultivariateNormal(x0, np.diag((width / 2) ** 2))
    elif problem.kind == "binary":
        family = ce.Bernoulli(np.full(problem.dim, 0.5))
    else:
        family = ce.Permutation(problem.dim)
    if problem.kind == "permutation" and problem.local_search is not None:
        _run_cemopt_memetic(problem, f, seed, family, **options)
        return
    ce.minimize(f, family, vectorized=True, max_evals=f.budget, rng=seed, **options)


def _run_cemopt_memetic(problem: Any, f: Callable, seed: int, family: Any, **options: Any) -> None:
    """CE over tours with the problem's local search on the elite (as ``tsp.solve``)."""
    import cemopt as ce

    n = problem.dim
    settings = {
        "n_samples": max(500, 5 * n),
        "elite_frac": 0.1,
        "smoothing": 0.3,
        "patience": 20,
        "restarts": 2,
        "restart_growth": 2.0,
        "max_iter": 10**9,
    }
    settings.update(options)
    n_improve = int(np.ceil(round(settings["elite_frac"] * settings["n_samples"], 9)))

    def improve(tours: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # the improved tours are scored by the counter: they count as evaluations
        tours, values = np.array(tours), values.copy()
        best = np.argsort(values, kind="stable")[:n_improve]
        tours[best] = [problem.local_search(tour) for tour in tours[best]]
        values[best] = f(tours[best])
        return tours, values

    ce.minimize(f, family, vectorized=True, improve=improve, rng=seed, **settings)


# ------------------------------------------------------------------ random search
def _run_random(problem: Any, f: Callable, seed: int, x0: Any, *, batch_size: int = 1000) -> None:
    rng = np.random.default_rng(seed)
    while True:  # the counter ends the loop at the budget
        if problem.kind == "continuous":
            X = rng.uniform(problem.lower, problem.upper, size=(batch_size, problem.dim))
        elif problem.kind == "binary":
            X = rng.integers(0, 2, size=(batch_size, problem.dim), dtype=np.int8)
        else:
            X = rng.permuted(np.tile(np.arange(problem.dim), (batch_size, 1)), axis=1)
        f(X)


def _run_multistart(problem: Any, f: Callable, seed: int, x0: Any) -> None:
    """Random restarts of the problem's local search; each local optimum is one evaluation."""
    if problem.local_search is None:
        raise ValueError(f"problem {problem.name!r} has no local search to restart")
    rng = np.random.default_rng(seed)
    while True:
        tour = problem.local_search(rng.permutation(problem.dim))
        f(np.asarray(tour)[None, :])


# ------------------------------------------------------------------------- scipy
def _bounds(problem: Any) -> list[tuple[float, float]]:
    return list(
        zip(np.asarray(problem.lower).tolist(), np.asarray(problem.upper).tolist(), strict=True)
    )


def _run_differential_evolution(
    problem: Any, f: Callable, seed: int, x0: Any, **options: Any
) -> None:
    from scipy import optimize

    settings = {
        "maxiter": 10**9,  # the counter, not scipy, ends the run at the budget
        "tol": 0,
        "atol": 0,
        "updating": "deferred",
        "polish": True,
    }
    settings.update(options)
    optimize.differential_evolution(
        lambda X: f(X.T), _bounds(problem), x0=x0, rng=seed, vectorized=True, **settings
    )


def _run_dual_annealing(problem: Any, f: Callable, seed: int, x0: Any, **options: Any) -> None:
    from scipy import optimize

    settings = {"maxiter": 10**9, "maxfun": f.budget}
    settings.update(options)
    optimize.dual_annealing(
        lambda x: float(f(np.asarray(x)[None, :])[0]), _bounds(problem), x0=x0, rng=seed, **settings
    )


# -------------------------------------------------------------------------- pycma
def _run_cma(
    problem: Any, f: Callable, seed: int, x0: Any, *, restarts: int = 9, **options: Any
) -> None:
    import cma

    width = float(np.max(np.asarray(problem.upper) - np.asarray(problem.lower)))
    settings = {"maxfevals": f.budget, "verbose": -9, "seed": seed + 1}  # seed 0: random
    settings.update(options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pycma warns about restarts and flat fitness
        # IPOP-CMA-ES (restarts with doubling population), sigma0 a quarter of the domain
        cma.fmin2(
            None,
            np.asarray(x0, dtype=float),
            width / 4,
            settings,
            restarts=restarts,
            incpopsize=2,
            parallel_objective=lambda xs: list(f(np.asarray(xs, dtype=float))),
        )


# ---------------------------------------------------------------------- nevergrad
def _version(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def nevergrad_trap(optimizer: str, nevergrad_version: str, numpy_version: str) -> str | None:
    """Why a nevergrad optimiser would give wrong results with these versions (or None).

    Both traps were measured with nevergrad 1.0.12 and numpy 2.4 (``tests/test_compare.py``
    re-checks them when nevergrad is installed).

    Examples
    --------
    >>> nevergrad_trap("NGOpt", "1.0.12", "2.4.6")[:40]
    'nevergrad 1.0.12 NGOpt crashes with nump'
    >>> nevergrad_trap("CMA", "1.0.12", "2.4.6") is None
    True
    """
    ng, npy = _version(nevergrad_version), _version(numpy_version)
    if ng > (1, 0, 12):
        return None
    if optimizer.startswith("NGOpt") and npy >= (2, 4):
        return (
            f"nevergrad {nevergrad_version} {optimizer} crashes with numpy {numpy_version}: "
            "its metamodel calls float() on a 1-element array (TypeError: only "
            "0-dimensional arrays can be converted to Python scalars)"
        )
    if "EMNA" in optimizer:
        return (
            f"nevergrad {nevergrad_version} {optimizer}: the isotropic and anisotropic "
            "scale updates of _EMNA are swapped (axis=0 sums per coordinate when "
            "isotropic, axis=None to one number when anisotropic), so Iso* variants "
            "collapse and Aniso* variants diverge"
        )
    return None


def _nevergrad_unavailable(name: str) -> str | None:
    if importlib.util.find_spec("nevergrad") is None:
        return "nevergrad is not installed (pip install nevergrad)"
    from importlib.metadata import version

    return nevergrad_trap(name, version("nevergrad"), np.__version__)


def _run_nevergrad(
    problem: Any, f: Callable, seed: int, x0: Any, *, optimizer: str, **options: Any
) -> None:
    with warnings.catch_warnings():
        # nevergrad warns on import and about settings it finds inefficient
        warnings.simplefilter("ignore")
        import nevergrad as ng

        if problem.kind == "continuous":
            param = ng.p.Array(init=np.asarray(x0, dtype=float)).set_bounds(
                np.asarray(problem.lower, dtype=float), np.asarray(problem.upper, dtype=float)
            )
        else:
            # binary as an integer-cast array on [0, 1]: measured far better than
            # ng.p.Choice([0, 1], repetitions=d) for the discrete (1+1) optimisers
            # (max-cut n=100: optimum in ~1e3 evaluations against none in 2e4)
            param = ng.p.Array(shape=(problem.dim,), lower=0, upper=1).set_integer_casting()
        param.random_state = np.random.RandomState(seed)
        opt = ng.optimizers.registry[optimizer](
            parametrization=param, budget=f.budget, num_workers=1, **options
        )
        while True:  # one candidate at a time: the counter ends the loop at the budget
            candidate = opt.ask()
            value = f(np.asarray(candidate.value)[None, :])[0]
            opt.tell(candidate, float(value))


class _NevergradAdapter(Adapter):
    def __init__(self, optimizer: str, spaces: tuple[str, ...] = ("continuous", "binary")):
        super().__init__(
            f"nevergrad:{optimizer}",
            lambda *args, **kw: _run_nevergrad(*args, optimizer=optimizer, **kw),
            spaces,
            module="nevergrad",
            description=f"nevergrad's {optimizer}, one candidate at a time",
        )
        self.optimizer = optimizer

    def unavailable(self, problem: Any) -> str | None:
        return super().unavailable(problem) or _nevergrad_unavailable(self.optimizer)


#: registry name -> adapter; ``get_adapter`` also accepts any "nevergrad:<Name>"
OPTIMIZERS: dict[str, Adapter] = {
    "cemopt": Adapter(
        "cemopt",
        _run_cemopt,
        SPACES,
        description="cemopt defaults: MultivariateNormal, Bernoulli(0.5), Permutation (+ local "
        "search when the problem has one)",
    ),
    "random": Adapter(
        "random",
        _run_random,
        SPACES,
        description="uniform random search (box, fair coins, uniform permutations)",
    ),
    "differential_evolution": Adapter(
        "differential_evolution",
        _run_differential_evolution,
        ("continuous",),
        module="scipy",
        description="scipy.optimize.differential_evolution (vectorised, tol=0)",
    ),
    "dual_annealing": Adapter(
        "dual_annealing",
        _run_dual_annealing,
        ("continuous",),
        module="scipy",
        description="scipy.optimize.dual_annealing",
    ),
    "cma": Adapter(
        "cma",
        _run_cma,
        ("continuous",),
        module="cma",
        description="pycma IPOP-CMA-ES (9 restarts, sigma0 = width / 4)",
    ),
    "multistart-ls": Adapter(
        "multistart-ls",
        _run_multistart,
        ("permutation",),
        needs_local_search=True,
        description="random restarts of the problem's local search (one evaluation each)",
    ),
    **{
        f"nevergrad:{name}": _NevergradAdapter(name, spaces)
        for name, spaces in (
            ("DiscreteOnePlusOne", ("binary",)),
            ("PortfolioDiscreteOnePlusOne", ("binary",)),
            ("CMA", ("continuous",)),
            ("TwoPointsDE", ("continuous",)),
            ("NGOpt", ("continuous", "binary")),
        )
    },
}


def get_adapter(name: Any) -> Adapter:
    """The adapter registered under ``name`` (or any ``"nevergrad:<Name>"``).

    Examples
    --------
    >>> get_adapter("cma").name
    'cma'
    """
    if isinstance(name, Adapter):
        return name
    if isinstance(name, str) and name in OPTIMIZERS:
        return OPTIMIZERS[name]
    if isinstance(name, str) and name.startswith("nevergrad:"):
        optimizer = name.split(":", 1)[1]
        if importlib.util.find_spec("nevergrad") is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import nevergrad as ng
            if optimizer not in ng.optimizers.registry:
                raise ValueError(
                    f"`optimizers` must name optimisers known to nevergrad, but got "
                    f"{name!r} (see nevergrad.optimizers.registry)."
                )
        return _NevergradAdapter(optimizer)
    raise ValueError(
        f"`optimizers` must hold names from {sorted(OPTIMIZERS)} or 'nevergrad:<Name>', "
        f"but got {name!r}."
    )
