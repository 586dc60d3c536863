r"""Structural-reliability reference problems: limit states with their failure probabilities.

Each factory returns a :class:`LimitState`: a vectorised limit-state function ``g``
on the *physical* inputs (failure is ``g(x) <= 0``), the inputs' marginal
distributions (scipy frozen distributions, independent unless ``correlation`` is
given), and the reference probability ``P(g(X) <= 0)`` with where it comes from.

The RP problems are those of the Black-box Reliability Challenge 2019 [1] as
packaged in otbenchmark 0.2.1 [2]; every limit state here is written from the
formula, vectorised with numpy, and checked against otbenchmark's function (tests).
Where the probability can be computed exactly (a closed form, or a one-dimensional
integral or a convolution done to about 1e-12 relative), ``probability`` is that
value and ``std_error == 0``; otherwise (RP14, RP38, RP91, ``lognormal_sum_30``) it is a
seeded conditional Monte Carlo estimate with ``std_error`` its standard error
(``benchmarks/limit_state_references.py`` recomputes them). ``published`` keeps the
value stored in otbenchmark (or quoted in the source) for comparison; where the two
differ by more than the published value's rounding, the factory's Notes say so.

========================  ====  ===========  ======================================
name                      dim   probability  reference
========================  ====  ===========  ======================================
``RP8``                   6     7.8979e-04   convolution of densities (exact)
``RP14``                  5     7.7280e-04   conditional Monte Carlo
``RP22``                  2     4.2073e-03   1-d integral (exact)
``RP24``                  2     2.8599e-03   1-d integral (exact)
``RP25``                  2     4.1486e-05   1-d integral (exact)
``RP28``                  2     1.4533e-07   1-d integral (exact)
``RP31``                  2     3.2267e-03   1-d integral (exact)
``RP33``                  3     2.5756e-03   1-d integral (exact)
``RP35``                  2     3.4789e-03   1-d integral (exact)
``RP38``                  7     8.0507e-03   conditional Monte Carlo
``RP53``                  2     3.1320e-02   1-d integral (exact)
``RP54``                  20    9.9060e-04   gamma cdf (exact)
``RP55``                  2     5.6001e-01   closed form (exact)
``RP57``                  2     2.8238e-02   1-d integral (exact)
``RP60``                  5     4.4840e-02   1-d integral (exact)
``RP63``                  100   3.7694e-04   1-d integral (exact)
``RP75``                  2     9.8193e-03   1-d integral (exact)
``RP77``                  3     2.6908e-07   1-d integral (exact)
``RP89``                  2     5.4713e-03   1-d integral (exact)
``RP91``                  5     7.0026e-04   conditional Monte Carlo
``RP107``                 10    2.8665e-07   closed form (exact)
``RP110``                 2     3.1958e-05   closed form (exact)
``RP111``                 2     8.0351e-07   1-d integral (exact)
``four_branch``           2     2.2228e-03   1-d integral (exact)
``lognormal_sum_30``      30    1.4808e-08   Asmussen-Kroese conditional Monte Carlo
``normal_sum_100``        100   3.1671e-05   closed form (exact)
``normal_sum_1000``       1000  3.1671e-05   closed form (exact)
========================  ====  ===========  ======================================

References
----------
.. [1] Rozsás, Á. & Slobbe, A. (2019). Repository and Black-box Reliability Challenge
   2019. TNO. https://rprepo.readthedocs.io (problem definitions and reference
   failure probabilities).
.. [2] otbenchmark 0.2.1, benchmark problems for OpenTURNS (EDF);
   https://github.com/openturns/otbenchmark (``otbenchmark.ReliabilityProblemNN``).
.. [3] Waarts, P.-H. (2000). Structural reliability using finite element methods: an
   appraisal of DARS (Directional Adaptive Response Surface Sampling). PhD thesis,
   TU Delft, pp. 58, 69, 160.
.. [4] Asmussen, S. & Kroese, D. P. (2006). Improved algorithms for rare event
   simulation with heavy tails. *Advances in Applied Probability* 38(2), 545-558.

Examples
--------
>>> import numpy as np
>>> from cemopt.problems.limit_states import PROBLEMS
>>> problem = PROBLEMS["RP22"]()
>>> problem.dim, f"{problem.probability:.6e}", round(problem.beta, 6)
(2, '4.207306e-03', 2.634964)
>>> X = problem.sample(200_000, rng=0)
>>> g = problem.g(X)
>>> g.shape, round(float(np.mean(g <= 0)), 4)
((200000,), 0.0042)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
from scipy import integrate, stats

from cemopt.validation import as_rng, check_int, check_real

__all__ = [
    "LimitState",
    "PROBLEMS",
    "rp8",
    "rp14",
    "rp22",
    "rp24",
    "rp25",
    "rp28",
    "rp31",
    "rp33",
    "rp35",
    "rp38",
    "rp53",
    "rp54",
    "rp55",
    "rp57",
    "rp60",
    "rp63",
    "rp75",
    "rp77",
    "rp89",
    "rp91",
    "rp107",
    "rp110",
    "rp111",
    "four_branch",
    "lognormal_sum_30",
    "normal_sum",
    "g_rp8",
    "g_rp14",
    "g_rp22",
    "g_rp24",
    "g_rp25",
    "g_rp28",
    "g_rp31",
    "g_rp33",
    "g_rp35",
    "g_rp38",
    "g_rp53",
    "g_rp54",
    "g_rp55",
    "g_rp57",
    "g_rp60",
    "g_rp63",
    "g_rp75",
    "g_rp77",
    "g_rp89",
    "g_rp91",
    "rp91_branch1",
    "g_rp107",
    "g_rp110",
    "g_rp111",
    "g_four_branch",
    "g_sum_below",
    "RP28_THRESHOLD",
    "LOGNORMAL_SUM_THRESHOLD",
    "LOGNORMAL_SUM_TERMS",
]

_SQRT2 = math.sqrt(2.0)
_CHALLENGE = "Rozsás & Slobbe (2019), Black-box Reliability Challenge 2019 (rprepo)"
_OTB = "otbenchmark 0.2.1"


def _batch(X: Any, d: int) -> np.ndarray:
    """``X`` as a float ``(n, d)`` array, or a ValueError that names ``X``."""
    batch = np.asarray(X, dtype=float)
    if batch.ndim != 2 or batch.shape[1] != d:
        raise ValueError(f"`X` must have shape (n, {d}), but got shape {batch.shape}.")
    return batch


# ------------------------------------------------------------------- the dataclass


@dataclass(frozen=True, eq=False)
class LimitState:
    r"""A reliability problem: ``P(g(X) <= 0)`` for ``X`` with the given marginals.

    >>> problem = rp75()
    >>> problem.name, problem.dim, f"{problem.probability:.4e}"
    ('RP75', 2, '9.8193e-03')
    >>> problem.g(np.array([[2.0, 2.0], [0.0, 1.0]]))
    array([-1.,  3.])

    Attributes
    ----------
    name : str
        Short name, as in :data:`PROBLEMS` (``"RP8"``, ``"four_branch"``, ...).
    g : callable
        ``g(X) -> (n,)`` float for an ``(n, dim)`` batch of *physical* inputs; failure
        is ``g(x) <= 0``. A module-level function or a ``functools.partial`` of one,
        so it pickles for process pools.
    marginals : tuple of scipy.stats frozen distributions
        One per input, in the order of ``X``'s columns.
    probability : float
        The reference ``P(g(X) <= 0)``.
    source : str
        Where the problem and its reference come from.
    description : str
        One line on the problem's shape (what makes it hard).
    correlation : numpy.ndarray or None, default None
        The *Gaussian-copula* (Nataf) correlation matrix of the inputs, i.e. the
        correlation of the normal scores ``Phi^-1(F_i(X_i))``, not a Pearson
        correlation of ``X``; None for independent inputs (every otbenchmark problem
        here has an independent copula).
    std_error : float, default 0.0
        Standard error of ``probability``: 0 where it is exact (closed form or a
        deterministic integral to about 1e-12), the Monte Carlo standard error where
        it is an estimate.
    method : str, default ""
        How ``probability`` was obtained.
    published : float or None, default None
        The value stored in otbenchmark (``problem.getProbability()``) or quoted by
        the source, where there is one; compare with ``probability``.
    dim : int
        Number of inputs (``len(marginals)``); derived.
    beta : float
        Reliability index ``-Phi^-1(probability)``; derived.

    Notes
    -----
    :meth:`to_physical` and :meth:`to_standard` are the isoprobabilistic (Nataf)
    transform between independent standard normals ``U`` and ``X``:
    ``X_i = F_i^-1(Phi((L U)_i))`` with ``L`` the Cholesky factor of ``correlation``
    (the identity when None). They use the upper tail (``isf``/``sf``) for positive
    scores, so probabilities as small as ``Phi(-37)`` keep their relative accuracy.
    :meth:`g_standard` is ``g`` composed with :meth:`to_physical`, the limit state in
    standard normal space that FORM/SORM and normal importance samplers work in.
    """

    name: str
    g: Callable[[np.ndarray], np.ndarray]
    marginals: tuple[Any, ...]
    probability: float
    source: str
    description: str
    correlation: np.ndarray | None = None
    std_error: float = 0.0
    method: str = ""
    published: float | None = None
    dim: int = field(init=False)
    beta: float = field(init=False)
    _normal: np.ndarray = field(init=False, repr=False)  # which inputs are normal
    _loc: np.ndarray = field(init=False, repr=False)  # their means (0 elsewhere)
    _scale: np.ndarray = field(init=False, repr=False)  # their stds (1 elsewhere)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"`name` must be a non-empty string, but got name={self.name!r}.")
        if not callable(self.g):
            raise TypeError(f"`g` must be callable (g(X) -> (n,)), but got g={self.g!r}.")
        marginals = tuple(self.marginals)
        if not marginals:
            raise ValueError("`marginals` must hold at least one distribution, but got none.")
        for i, m in enumerate(marginals):
            if not all(hasattr(m, a) for a in ("cdf", "sf", "ppf", "isf", "logpdf", "rvs")):
                raise TypeError(
                    "`marginals` must hold scipy.stats frozen distributions, but got "
                    f"marginals[{i}]={m!r}."
                )
        object.__setattr__(self, "marginals", marginals)
        p = check_real(
            self.probability, "probability", low=0, high=1, low_open=True, high_open=True
        )
        object.__setattr__(self, "probability", p)
        object.__setattr__(self, "std_error", check_real(self.std_error, "std_error", low=0))
        if self.published is not None:
            check_real(self.published, "published", low=0, high=1)
        d = len(marginals)
        if self.correlation is not None:
            R = np.array(self.correlation, dtype=float)
            if R.shape != (d, d) or not np.allclose(R, R.T) or not np.allclose(np.diag(R), 1):
                raise ValueError(
                    f"`correlation` must be a symmetric ({d}, {d}) matrix with unit "
                    f"diagonal, but got correlation with shape {R.shape}."
                )
            try:
                np.linalg.cholesky(R)
            except np.linalg.LinAlgError:
                raise ValueError(
                    "`correlation` must be positive definite, but got a matrix with "
                    f"smallest eigenvalue {np.linalg.eigvalsh(R)[0]:.3g}."
                ) from None
            R.setflags(write=False)
            object.__setattr__(self, "correlation", R)
        object.__setattr__(self, "dim", d)
        object.__setattr__(self, "beta", float(stats.norm.isf(p)))
        moments = {id(m): (m.mean(), m.std()) for m in marginals if _is_normal(m)}
        normal = np.array([id(m) in moments for m in marginals])
        loc = np.array([moments.get(id(m), (0.0, 1.0))[0] for m in marginals])
        scale = np.array([moments.get(id(m), (0.0, 1.0))[1] for m in marginals])
        for name, value in (("_normal", normal), ("_loc", loc), ("_scale", scale)):
            value.setflags(write=False)
            object.__setattr__(self, name, value)

    # ------------------------------------------------------------- transforms

    def _cholesky(self) -> np.ndarray | None:
        return None if self.correlation is None else np.linalg.cholesky(self.correlation)

    def to_physical(self, U: Any) -> np.ndarray:
        """Map independent standard normals ``U`` (n, dim) to the inputs ``X`` (n, dim).

        >>> rp53().to_physical(np.array([[0.0, 1.0]]))
        array([[1.5, 3.5]])
        """
        u = _batch(U, self.dim)
        L = self._cholesky()
        if L is not None:
            u = u @ L.T
        X = self._loc + self._scale * u  # exact for the normal inputs
        for i in np.flatnonzero(~self._normal):
            X[:, i] = _from_normal(self.marginals[i], u[:, i])
        return X

    def to_standard(self, X: Any) -> np.ndarray:
        """Map inputs ``X`` (n, dim) to independent standard normals (the inverse of
        :meth:`to_physical`).

        >>> rp53().to_standard(np.array([[1.5, 3.5]]))
        array([[0., 1.]])
        """
        Z = self._scores(_batch(X, self.dim))
        L = self._cholesky()
        if L is not None:
            Z = np.linalg.solve(L, Z.T).T
        return Z

    def _scores(self, x: np.ndarray) -> np.ndarray:
        """``Phi^-1(F_i(x_i))`` column by column (correlated normal scores)."""
        Z = (x - self._loc) / self._scale
        for i in np.flatnonzero(~self._normal):
            Z[:, i] = _to_normal(self.marginals[i], x[:, i])
        return Z

    def g_standard(self, U: Any) -> np.ndarray:
        """The limit state in standard normal space: ``g(to_physical(U))``.

        >>> rp75().g_standard(np.array([[2.0, 2.0]]))
        array([-1.])
        """
        return self.g(self.to_physical(U))

    def sample(self, n: int, *, rng: Any = None) -> np.ndarray:
        """``n`` draws of ``X`` (float, shape ``(n, dim)``), by inversion of normals.

        >>> rp22().sample(3, rng=0).shape
        (3, 2)

        Parameters
        ----------
        n : int
            Number of draws, ``>= 0``.
        rng : None, int or numpy.random.Generator
            Seed or generator.
        """
        n = check_int(n, "n", minimum=0)
        gen = as_rng(rng)
        return self.to_physical(gen.standard_normal((n, self.dim)))

    def logpdf(self, X: Any) -> np.ndarray:
        """Log density of ``X`` (n, dim): marginal log densities plus the Gaussian
        copula's where ``correlation`` is given.

        >>> float(rp22().logpdf(np.zeros((1, 2)))[0]) == float(-np.log(2 * np.pi))
        True
        """
        x = _batch(X, self.dim)
        z = (x[:, self._normal] - self._loc[self._normal]) / self._scale[self._normal]
        out = -0.5 * np.einsum("ij,ij->i", z, z)
        out -= np.sum(np.log(self._scale[self._normal])) + 0.5 * z.shape[1] * math.log(2 * math.pi)
        for i in np.flatnonzero(~self._normal):
            out += self.marginals[i].logpdf(x[:, i])
        if self.correlation is not None:
            Z = self._scores(x)
            R = self.correlation
            quad = np.einsum("ni,ij,nj->n", Z, np.linalg.inv(R) - np.eye(self.dim), Z)
            out += -0.5 * quad - 0.5 * np.linalg.slogdet(R)[1]
        return out

    def is_failure(self, X: Any) -> np.ndarray:
        """``g(X) <= 0`` as a boolean ``(n,)`` array.

        >>> rp75().is_failure(np.array([[2.0, 2.0], [0.0, 1.0]]))
        array([ True, False])
        """
        return np.asarray(self.g(X)) <= 0


def _is_normal(m: Any) -> bool:
    return isinstance(getattr(m, "dist", None), type(stats.norm))


def _from_normal(m: Any, u: np.ndarray) -> np.ndarray:
    """``F^-1(Phi(u))``, with the upper tail taken through ``isf(Phi(-u))``."""
    x = np.empty_like(u)
    low = u <= 0
    x[low] = m.ppf(stats.norm.cdf(u[low]))
    x[~low] = m.isf(stats.norm.sf(u[~low]))
    return x


def _to_normal(m: Any, x: np.ndarray) -> np.ndarray:
    """``Phi^-1(F(x))``, with the upper tail taken through ``-Phi^-1(sf(x))``."""
    cdf = m.cdf(x)
    low = cdf <= 0.5
    z = np.empty_like(cdf)
    z[low] = stats.norm.ppf(cdf[low])
    z[~low] = stats.norm.isf(m.sf(x[~low]))
    return z


# ------------------------------------------------------------------- marginals


def _normal(mean: float, std: float) -> Any:
    return stats.norm(loc=mean, scale=std)


def _lognormal(mean: float, std: float) -> Any:
    """The lognormal with this mean and standard deviation (OpenTURNS' LogNormalMuSigma)."""
    s2 = math.log1p((std / mean) ** 2)
    return stats.lognorm(s=math.sqrt(s2), scale=math.exp(math.log(mean) - s2 / 2))


def _gumbel(mean: float, std: float) -> Any:
    """The Gumbel (maximum) with this mean and standard deviation (GumbelMuSigma)."""
    scale = std * math.sqrt(6.0) / math.pi
    return stats.gumbel_r(loc=mean - np.euler_gamma * scale, scale=scale)


def _uniform(low: float, high: float) -> Any:
    return stats.uniform(loc=low, scale=high - low)


def _std_normals(d: int) -> tuple[Any, ...]:
    return (_normal(0.0, 1.0),) * d  # one frozen distribution, shared (they are values)


# ------------------------------------------------------------------- limit states


def g_rp8(X: Any) -> np.ndarray:
    """RP8: ``x1 + 2 x2 + 2 x3 + x4 - 5 x5 - 5 x6``.

    >>> g_rp8(np.array([[120.0, 120, 120, 120, 50, 40]]))
    array([270.])
    """
    x = _batch(X, 6)
    return x[:, 0] + 2 * x[:, 1] + 2 * x[:, 2] + x[:, 3] - 5 * x[:, 4] - 5 * x[:, 5]


def g_rp14(X: Any) -> np.ndarray:
    """RP14: ``x1 - 32 / (pi x2^3) sqrt(x3^2 x4^2 / 16 + x5^2)`` (inf at ``x2 = 0``).

    >>> g_rp14(np.array([[75.0, 39.0, 1500.0, 400.0, 250000.0]])).round(4)
    array([24.9371])
    """
    x = _batch(X, 5)
    x1, x2, x3, x4, x5 = x.T
    with np.errstate(divide="ignore", invalid="ignore"):
        return x1 - 32.0 / (np.pi * x2**3) * np.sqrt(x3**2 * x4**2 / 16.0 + x5**2)


def g_rp22(X: Any) -> np.ndarray:
    """RP22: ``2.5 - (x1 + x2) / sqrt(2) + 0.1 (x1 - x2)^2``.

    >>> g_rp22(np.array([[0.0, 0.0]]))
    array([2.5])
    """
    x1, x2 = _batch(X, 2).T
    return 2.5 - (x1 + x2) / _SQRT2 + 0.1 * (x1 - x2) ** 2


def g_rp24(X: Any) -> np.ndarray:
    """RP24: ``2.5 - 0.2357 (x1 - x2) + 0.00463 (x1 + x2 - 20)^4``.

    >>> g_rp24(np.array([[10.0, 10.0]]))
    array([2.5])
    """
    x1, x2 = _batch(X, 2).T
    return 2.5 - 0.2357 * (x1 - x2) + 0.00463 * (x1 + x2 - 20.0) ** 4


def g_rp25(X: Any) -> np.ndarray:
    """RP25: ``max(x1^2 - 8 x2 + 16, -16 x1 + x2 + 32)``.

    >>> g_rp25(np.array([[0.0, 0.0], [4.0, 4.0]]))
    array([32.,  0.])
    """
    x1, x2 = _batch(X, 2).T
    return np.maximum(x1**2 - 8 * x2 + 16, -16 * x1 + x2 + 32)


#: RP28's threshold: otbenchmark's event is ``x1 x2 < 146.14``
RP28_THRESHOLD = 146.14


def g_rp28(X: Any) -> np.ndarray:
    """RP28: ``x1 x2 - 146.14``.

    >>> g_rp28(np.array([[10000.0, 0.01]])).round(2)
    array([-46.14])
    """
    x1, x2 = _batch(X, 2).T
    return x1 * x2 - RP28_THRESHOLD


def g_rp31(X: Any) -> np.ndarray:
    """RP31: ``2 - x2 + 256 x1^4``.

    >>> g_rp31(np.array([[0.0, 3.0]]))
    array([-1.])
    """
    x1, x2 = _batch(X, 2).T
    return 2.0 - x2 + 256.0 * x1**4


def g_rp33(X: Any) -> np.ndarray:
    """RP33: ``min(3 sqrt(3) - x1 - x2 - x3, 3 - x3)``.

    >>> g_rp33(np.array([[0.0, 0.0, 0.0]]))
    array([3.])
    """
    x1, x2, x3 = _batch(X, 3).T
    return np.minimum(3.0 * math.sqrt(3.0) - x1 - x2 - x3, 3.0 - x3)


def g_rp35(X: Any) -> np.ndarray:
    """RP35: ``min(2 - x2 + exp(-0.1 x1^2) + (0.2 x1)^4, 4.5 - x1 x2)``.

    >>> g_rp35(np.array([[0.0, 0.0]]))
    array([3.])
    """
    x1, x2 = _batch(X, 2).T
    return np.minimum(2.0 - x2 + np.exp(-0.1 * x1**2) + (0.2 * x1) ** 4, 4.5 - x1 * x2)


def g_rp38(X: Any) -> np.ndarray:
    r"""RP38: ``15.59e4 - x1 x2^3 / (2 x3^3) * A / B`` with
    ``A = x4^2 - 4 x5 x6 x7^2 + x4 (x6 + 4 x5 + 2 x6 x7)`` and
    ``B = x4 x5 (x4 + x6 + 2 x6 x7)`` (inf or nan at the poles, without a warning).

    >>> g_rp38(np.array([[350, 50.8, 3.81, 173, 9.38, 33.1, 0.036]])).round(1)
    array([103719.9])
    """
    x1, x2, x3, x4, x5, x6, x7 = _batch(X, 7).T
    a = x4**2 - 4 * x5 * x6 * x7**2 + x4 * (x6 + 4 * x5 + 2 * x6 * x7)
    b = x4 * x5 * (x4 + x6 + 2 * x6 * x7)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 15.59e4 - x1 * x2**3 / (2 * x3**3) * (a / b)


def g_rp53(X: Any) -> np.ndarray:
    """RP53: ``sin(5 x1 / 2) + 2 - (x1^2 + 4) (x2 - 1) / 20``.

    >>> g_rp53(np.array([[0.0, 1.0]]))
    array([2.])
    """
    x1, x2 = _batch(X, 2).T
    return np.sin(2.5 * x1) + 2.0 - (x1**2 + 4.0) * (x2 - 1.0) / 20.0


def g_rp54(X: Any) -> np.ndarray:
    """RP54: ``x1 + ... + x20 - 8.951``.

    >>> g_rp54(np.ones((1, 20))).round(3)
    array([11.049])
    """
    return _batch(X, 20).sum(axis=1) - 8.951


def g_rp55(X: Any) -> np.ndarray:
    r"""RP55: the minimum of, with ``w = x1 - x2``,
    ``0.2 + 0.6 w^4 - w / sqrt(2)``, ``0.2 + 0.6 w^4 + w / sqrt(2)``,
    ``w + 5 / sqrt(2) - 2.2`` and ``-w + 5 / sqrt(2) - 2.2``.

    >>> g_rp55(np.array([[0.0, 0.0]]))
    array([0.2])
    """
    x1, x2 = _batch(X, 2).T
    w = x1 - x2
    quartic = 0.2 + 0.6 * w**4
    c = 5.0 / _SQRT2 - 2.2
    return np.minimum(np.minimum(quartic - w / _SQRT2, quartic + w / _SQRT2), c - np.abs(w))


def g_rp57(X: Any) -> np.ndarray:
    r"""RP57: ``min(max(g1, g2), g3)`` with ``g1 = -x1^2 + x2^3 + 3``,
    ``g2 = 2 - x1 - 8 x2`` and ``g3 = (x1 + 3)^2 + (x2 + 3)^2 - 4``.

    >>> g_rp57(np.array([[0.0, 0.0]]))
    array([3.])
    """
    x1, x2 = _batch(X, 2).T
    g1 = -(x1**2) + x2**3 + 3.0
    g2 = 2.0 - x1 - 8.0 * x2
    g3 = (x1 + 3.0) ** 2 + (x2 + 3.0) ** 2 - 4.0
    return np.minimum(np.maximum(g1, g2), g3)


def g_rp60(X: Any) -> np.ndarray:
    r"""RP60, a series-parallel system:
    ``min(x1 - x5, max(min(x2, x3, x4) - x5 / 2, max(x4 - x5, min(x2, x3) - x5)))``.

    >>> g_rp60(np.array([[2200.0, 2100, 2300, 2000, 1200]]))
    array([1000.])
    """
    x1, x2, x3, x4, x5 = _batch(X, 5).T
    g10 = np.minimum(np.minimum(x2, x3), x4) - x5 / 2
    g9 = np.maximum(x4 - x5, np.minimum(x2, x3) - x5)
    return np.minimum(x1 - x5, np.maximum(g10, g9))


def g_rp63(X: Any) -> np.ndarray:
    """RP63: ``0.1 (x2^2 + ... + x100^2) - x1 - 4.5``.

    >>> g_rp63(np.zeros((1, 100)))
    array([-4.5])
    """
    x = _batch(X, 100)
    return 0.1 * np.einsum("ij,ij->i", x[:, 1:], x[:, 1:]) - x[:, 0] - 4.5


def g_rp75(X: Any) -> np.ndarray:
    """RP75: ``3 - x1 x2`` (two failure regions, in opposite quadrants).

    >>> g_rp75(np.array([[-2.0, -2.0]]))
    array([-1.])
    """
    x1, x2 = _batch(X, 2).T
    return 3.0 - x1 * x2


def g_rp77(X: Any) -> np.ndarray:
    """RP77: ``x1 - x2 - x3`` where ``x3 <= 5``, else ``x3 - x2`` (discontinuous).

    >>> g_rp77(np.array([[10.0, 0.0, 4.0], [10.0, 0.0, 6.0]]))
    array([6., 6.])
    """
    x1, x2, x3 = _batch(X, 3).T
    return np.where(x3 <= 5.0, x1 - x2 - x3, x3 - x2)


def g_rp89(X: Any) -> np.ndarray:
    """RP89: ``min(8 - x1^2 - x2, 6 - x1 / 5 - x2)`` (a parabola and a line).

    >>> g_rp89(np.array([[0.0, 0.0]]))
    array([6.])
    """
    x1, x2 = _batch(X, 2).T
    return np.minimum(8.0 - x1**2 - x2, 6.0 - x1 / 5.0 - x2)


def rp91_branch1(x2: np.ndarray, x3: np.ndarray, x4: np.ndarray) -> np.ndarray:
    """RP91's first branch, free of ``x1`` (its reference conditions on ``x1``).

    >>> rp91_branch1(np.array([0.1]), np.array([13.0]), np.array([4751.0])).round(2)
    array([410160.56])
    """
    return (
        0.847
        + 0.96 * x2
        + 0.986 * x3
        - 0.216 * x4
        + 0.077 * x2**2
        + 0.11 * x3**2
        + (7.0 / 378.0) * x4**2
        - x3 * x2
        - 0.106 * x2 * x4
        - 0.11 * x3 * x4
    )


def g_rp91(X: Any) -> np.ndarray:
    r"""RP91: ``min(g1, g2, g3)`` with
    ``g1 = 0.847 + 0.96 x2 + 0.986 x3 - 0.216 x4 + 0.077 x2^2 + 0.11 x3^2
    + (7 / 378) x4^2 - x3 x2 - 0.106 x2 x4 - 0.11 x3 x4``,
    ``g2 = 84000 x1 / sqrt(x3^2 + x4^2 - x3 x4 + 3 x5^2) - 1`` and
    ``g3 = 84000 x1 / |x4| - 1``.

    >>> g_rp91(np.array([[0.07433, 0.1, 13.0, 4751.0, -684.0]])).round(6)
    array([0.276784])
    """
    x1, x2, x3, x4, x5 = _batch(X, 5).T
    g1 = rp91_branch1(x2, x3, x4)
    with np.errstate(divide="ignore", invalid="ignore"):
        g2 = 84000.0 * x1 / np.sqrt(x3**2 + x4**2 - x3 * x4 + 3.0 * x5**2) - 1.0
        g3 = 84000.0 * x1 / np.abs(x4) - 1.0
    return np.minimum(np.minimum(g1, g2), g3)


def g_rp107(X: Any) -> np.ndarray:
    """RP107: ``5 sqrt(10) - (x1 + ... + x10)``.

    >>> g_rp107(np.zeros((1, 10))).round(4)
    array([15.8114])
    """
    return 5.0 * math.sqrt(10.0) - _batch(X, 10).sum(axis=1)


def g_rp110(X: Any) -> np.ndarray:
    r"""RP110: ``min(g1, g2)``, ``g1 = 0.85 - 0.1 x1`` where ``x1 <= 3.5`` else
    ``4 - x1``; ``g2 = 2.3 - x2`` where ``x2 <= 2`` else ``0.5 - 0.1 x2``.

    >>> g_rp110(np.array([[0.0, 0.0], [5.0, 0.0]]))
    array([ 0.85, -1.  ])
    """
    x1, x2 = _batch(X, 2).T
    g1 = np.where(x1 <= 3.5, 0.85 - 0.1 * x1, 4.0 - x1)
    g2 = np.where(x2 <= 2.0, 2.3 - x2, 0.5 - 0.1 * x2)
    return np.minimum(g1, g2)


def g_rp111(X: Any) -> np.ndarray:
    """RP111: ``12.5 - |x1 x2|`` (four failure regions, one per quadrant).

    >>> g_rp111(np.array([[5.0, -5.0]]))
    array([-12.5])
    """
    x1, x2 = _batch(X, 2).T
    return 12.5 - np.abs(x1 * x2)


def g_four_branch(X: Any, k: float = 7.0) -> np.ndarray:
    r"""The four-branch series system of [3]: the minimum of
    ``3 + 0.1 (x1 - x2)^2 -+ (x1 + x2) / sqrt(2)`` and ``+-(x1 - x2) + k / sqrt(2)``.

    >>> g_four_branch(np.array([[0.0, 0.0]]))
    array([3.])
    """
    x1, x2 = _batch(X, 2).T
    s = (x1 + x2) / _SQRT2
    w = x1 - x2
    curve = 3.0 + 0.1 * w**2 - np.abs(s)
    return np.minimum(curve, k / _SQRT2 - np.abs(w))


def g_sum_below(X: Any, threshold: float, d: int | None = None) -> np.ndarray:
    """``threshold - (x1 + ... + xd)``: failure is the sum reaching ``threshold``.

    >>> g_sum_below(np.array([[1.0, 2.0]]), threshold=4.0)
    array([1.])

    ``d``, when given, is the width ``X`` must have.
    """
    if d is None:
        x = np.asarray(X, dtype=float)
        if x.ndim != 2:
            raise ValueError(f"`X` must have shape (n, d), but got shape {x.shape}.")
    else:
        x = _batch(X, d)
    return threshold - x.sum(axis=1)


# ------------------------------------------------------------------- factories


def _challenge(number: int, original: str = "") -> str:
    extra = f"; {original}" if original else ""
    return f"{_CHALLENGE}, RP{number}; {_OTB}, ReliabilityProblem{number}{extra}"


def rp8() -> LimitState:
    """RP8: a six-dimensional hyperplane in lognormal inputs.

    >>> rp8().dim
    6

    Notes
    -----
    Inputs LogNormal(mean, std): (120, 12) four times, (50, 10), (40, 8). Reference:
    ``P(5 x5 >= D)`` with ``D = x1 + 2 x2 + 2 x3 + x4 - 5 x6``, whose density is the
    FFT convolution of the sampled densities (a trapezoid rule, which is spectrally
    accurate for these smooth densities: steps 0.4 to 0.05 agree to 11 digits).
    otbenchmark's value, from OpenTURNS' ``RandomMixture`` CDF, is 1.2e-6 (relative)
    below it; conditional Monte Carlo on ``x5`` (10^8 samples) gives
    7.89852e-4 +- 6.3e-7. rprepo quotes 7.84e-4, 0.7 % below.
    """
    marginals = (*(_lognormal(120.0, 12.0) for _ in range(4)), _lognormal(50.0, 10.0))
    return LimitState(
        name="RP8",
        g=g_rp8,
        marginals=(*marginals, _lognormal(40.0, 8.0)),
        probability=7.8979371001e-4,
        method="convolution of the densities (FFT, trapezoid rule), converged to 11 digits",
        published=0.0007897927545598118,
        source=_challenge(8),
        description="hyperplane in six lognormal inputs",
    )


def rp14() -> LimitState:
    """RP14: a five-input nonlinear limit state (uniform, normal, Gumbel inputs).

    >>> [m.dist.name for m in rp14().marginals]
    ['uniform', 'norm', 'gumbel_r', 'norm', 'norm']

    Notes
    -----
    ``x1 ~ U(70, 80)``, ``x2 ~ N(39, 0.1)``, ``x3 ~ Gumbel(mean 1500, std 350)``,
    ``x4 ~ N(400, 0.1)``, ``x5 ~ N(250000, 35000)``. Reference: conditional Monte
    Carlo on ``x3`` (failure given the others is ``|x3| >= t``, a Gumbel tail in
    closed form), 10^8 samples, seed 14; relative standard error 0.06 %.
    """
    return LimitState(
        name="RP14",
        g=g_rp14,
        marginals=(
            _uniform(70.0, 80.0),
            _normal(39.0, 0.1),
            _gumbel(1500.0, 350.0),
            _normal(400.0, 0.1),
            _normal(250000.0, 35000.0),
        ),
        probability=7.728007e-4,
        std_error=4.3e-7,
        method="conditional Monte Carlo on x3, n = 1e8 (benchmarks/limit_state_references.py)",
        published=0.00077285,
        source=_challenge(14),
        description="nonlinear, mixed uniform / normal / Gumbel inputs",
    )


def rp22() -> LimitState:
    """RP22: a parabolic limit state in two standard normals.

    >>> f"{rp22().probability:.10e}"
    '4.2073055113e-03'

    Notes
    -----
    With ``s = (x1 + x2) / sqrt(2)`` and ``v = (x1 - x2) / sqrt(2)`` (independent
    standard normals), failure is ``s >= 2.5 + 0.2 v^2``, so
    ``P = E[Phi(-(2.5 + 0.2 V^2))]``, a 1-d integral.
    """
    return LimitState(
        name="RP22",
        g=g_rp22,
        marginals=_std_normals(2),
        probability=0.004207305511299616,
        method="1-d integral over (x1 - x2) / sqrt(2)",
        published=0.004207305511299618,
        source=_challenge(22),
        description="parabola in two standard normals, one design point",
    )


def rp24() -> LimitState:
    """RP24: a quartic limit state in two normals N(10, 3).

    >>> float(rp24().marginals[0].mean()), float(rp24().marginals[0].std())
    (10.0, 3.0)

    Notes
    -----
    In the rotated standard coordinates failure is
    ``v >= (2.5 + 0.00463 (3 sqrt 2)^4 s^4) / (0.2357 * 3 sqrt 2)``; a 1-d integral
    over ``s``. otbenchmark stores 2.86e-3 (our 2.85995e-3 rounded).
    """
    return LimitState(
        name="RP24",
        g=g_rp24,
        marginals=(_normal(10.0, 3.0), _normal(10.0, 3.0)),
        probability=0.0028599456875398367,
        method="1-d integral in rotated coordinates",
        published=0.00286,
        source=_challenge(24),
        description="quartic in two normals",
    )


def rp25() -> LimitState:
    """RP25: the maximum of a parabola and a line (a narrow failure region).

    >>> f"{rp25().probability:.6e}"
    '4.148566e-05'

    Notes
    -----
    Failure is ``(x1^2 + 16) / 8 <= x2 <= 16 x1 - 32``: a 1-d integral over ``x1``.
    """
    return LimitState(
        name="RP25",
        g=g_rp25,
        marginals=_std_normals(2),
        probability=4.148566293759733e-05,
        method="1-d integral over x1",
        published=4.148566293759747e-05,
        source=_challenge(25),
        description="intersection of a parabola and a line, narrow failure domain",
    )


def rp28() -> LimitState:
    """RP28: a product of two normals below 146.14.

    >>> rp28().g(np.array([[78064.0, 0.0104]])).round(4)
    array([665.7256])

    Notes
    -----
    ``x1 ~ N(78064, 11710)``, ``x2 ~ N(0.0104, 0.00156)``; otbenchmark's event is
    ``x1 x2 < 146.14``, here ``g = x1 x2 - 146.14``. Reference: ``E[P(x2 < 146.14 /
    x1 | x1)]`` (with the sign flip for ``x1 < 0``), a 1-d integral, confirmed with
    mpmath at 30 digits (1.453294655002541e-7). otbenchmark's value, from
    OpenTURNS' product-distribution CDF, differs in the 8th digit.
    """
    return LimitState(
        name="RP28",
        g=g_rp28,
        marginals=(_normal(78064.0, 11710.0), _normal(0.0104, 0.00156)),
        probability=1.453294655002541e-07,
        method="1-d integral over x1 (scipy, mpmath)",
        published=1.4532945550025393e-07,
        source=_challenge(28),
        description="product of two normals, far tail",
    )


def rp31() -> LimitState:
    """RP31: ``x2 >= 2 + 256 x1^4``, a sharp quartic.

    >>> f"{rp31().probability:.6e}"
    '3.226681e-03'

    Notes
    -----
    ``P = E[Phi(-(2 + 256 X1^4))]``, a 1-d integral.
    """
    return LimitState(
        name="RP31",
        g=g_rp31,
        marginals=_std_normals(2),
        probability=0.0032266812095876896,
        method="1-d integral over x1",
        published=0.003226681209587691,
        source=_challenge(31),
        description="sharp quartic, strongly curved at the design point",
    )


def rp33() -> LimitState:
    """RP33: a series system of two planes in three standard normals.

    >>> f"{rp33().probability:.6e}"
    '2.575598e-03'

    Notes
    -----
    ``P = Phi(-3) + int_{-inf}^3 phi(t) Phi((t - 3 sqrt 3) / sqrt 2) dt`` (condition
    on ``x3``). otbenchmark stores 2.57e-3 (0.2 % below).
    """
    return LimitState(
        name="RP33",
        g=g_rp33,
        marginals=_std_normals(3),
        probability=0.002575597790800258,
        method="1-d integral over x3",
        published=0.00257,
        source=_challenge(33),
        description="series system of two planes",
    )


def rp35() -> LimitState:
    """RP35: a series system of a curved and a hyperbolic branch.

    >>> f"{rp35().probability:.8e}"
    '3.47894632e-03'

    Notes
    -----
    Given ``x1``, failure is a union of half-lines in ``x2``: a 1-d integral.
    """
    return LimitState(
        name="RP35",
        g=g_rp35,
        marginals=_std_normals(2),
        probability=0.0034789463209310865,
        method="1-d integral over x1",
        published=0.00347894632,
        source=_challenge(35),
        description="series system, curved and hyperbolic branches",
    )


def rp38() -> LimitState:
    """RP38: a seven-input rational limit state in normals.

    >>> rp38().dim
    7

    Notes
    -----
    Normals with means (350, 50.8, 3.81, 173, 9.38, 33.1, 0.036) and coefficients
    of variation 0.1. ``g = 15.59e4 - Z / x3^3`` with ``Z`` free of ``x3``, so the
    reference is conditional Monte Carlo on ``x3`` (failure is ``x3`` between 0 and
    ``cbrt(Z / 15.59e4)``, a normal cdf), 10^8 samples, seed 38; relative standard
    error 0.03 %. otbenchmark's 8.1e-3 is this value rounded to two digits.
    """
    means = (350.0, 50.8, 3.81, 173.0, 9.38, 33.1, 0.036)
    stds = (35.0, 5.08, 0.381, 17.3, 0.938, 3.31, 0.0036)
    return LimitState(
        name="RP38",
        g=g_rp38,
        marginals=tuple(_normal(m, s) for m, s in zip(means, stds, strict=True)),
        probability=8.050660e-3,
        std_error=2.4e-6,
        method="conditional Monte Carlo on x3, n = 1e8 (benchmarks/limit_state_references.py)",
        published=0.0081,
        source=_challenge(38),
        description="rational function of seven normals",
    )


def rp53() -> LimitState:
    """RP53: a sinusoidal limit state (several design points).

    >>> f"{rp53().probability:.6e}"
    '3.132049e-02'

    Notes
    -----
    ``x1 ~ N(1.5, 1)``, ``x2 ~ N(2.5, 1)``. As ``x1^2 + 4 > 0``, failure is
    ``x2 >= 1 + 20 (sin(5 x1 / 2) + 2) / (x1^2 + 4)``: a 1-d integral.
    """
    return LimitState(
        name="RP53",
        g=g_rp53,
        marginals=(_normal(1.5, 1.0), _normal(2.5, 1.0)),
        probability=0.03132048568668237,
        method="1-d integral over x1",
        published=0.0313,
        source=_challenge(53),
        description="sinusoidal, several local design points",
    )


def rp54() -> LimitState:
    """RP54: the sum of 20 Exp(1) inputs below 8.951 (the lower tail).

    >>> from scipy import stats
    >>> rp54().probability == float(stats.gamma(20).cdf(8.951))
    True

    Notes
    -----
    The sum is Gamma(20, 1): ``P = gamma.cdf(8.951, 20)`` exactly. otbenchmark
    stores 9.98e-4, 0.75 % above.
    """
    return LimitState(
        name="RP54",
        g=g_rp54,
        marginals=(stats.expon(),) * 20,
        probability=float(stats.gamma(20).cdf(8.951)),
        method="Gamma(20, 1) cdf",
        published=0.000998,
        source=_challenge(54),
        description="sum of 20 exponentials, lower tail",
    )


def rp55() -> LimitState:
    """RP55: four branches in two uniforms (a large probability).

    >>> f"{rp55().probability:.10f}"
    '0.5600144283'

    Notes
    -----
    ``g`` depends on ``w = x1 - x2`` only, triangular on [-2, 2]; the failure set in
    ``w`` is bounded by the roots of ``0.6 w^4 - |w| / sqrt 2 + 0.2`` and by
    ``|w| >= 5 / sqrt 2 - 2.2``: a closed form given the roots.
    """
    return LimitState(
        name="RP55",
        g=g_rp55,
        marginals=(_uniform(-1.0, 1.0), _uniform(-1.0, 1.0)),
        probability=0.5600144282863705,
        method="closed form in w = x1 - x2 (roots of a quartic)",
        published=0.5600144282863704,
        source=_challenge(55),
        description="four branches in two uniforms, not rare",
    )


def rp57() -> LimitState:
    """RP57: a parallel pair in series with a disc (non-convex failure domain).

    >>> f"{rp57().probability:.6e}"
    '2.823751e-02'

    Notes
    -----
    Given ``x1`` the failure set in ``x2`` is the union of
    ``[(2 - x1) / 8, cbrt(x1^2 - 3)]`` and the disc's chord: a 1-d integral.
    otbenchmark stores 2.84e-2, 0.6 % above; crude Monte Carlo with 2e7 samples
    (seed 123) gives 2.82354e-2 +- 3.7e-5, 0.1 standard errors from the integral and
    4.4 from the stored value.
    """
    return LimitState(
        name="RP57",
        g=g_rp57,
        marginals=_std_normals(2),
        probability=0.02823750658429451,
        method="1-d integral over x1",
        published=0.0284,
        source=_challenge(57),
        description="non-convex failure domain, system of three branches",
    )


def rp60() -> LimitState:
    """RP60: a series-parallel system of five lognormal inputs.

    >>> f"{rp60().probability:.6e}"
    '4.483970e-02'

    Notes
    -----
    LogNormal(mean, std) inputs (2200, 220), (2100, 210), (2300, 230), (2000, 200),
    (1200, 480). Given ``x5 = s`` the other four are independent and the failure
    probability is a product of marginal cdfs; the reference is the 1-d integral
    over ``s``. otbenchmark stores 4.56e-2, 1.7 % above; crude Monte Carlo with 2e7
    samples (seed 123) gives 4.48321e-2 +- 4.6e-5, 0.2 standard errors from the
    integral and 17 from the stored value.
    """
    return LimitState(
        name="RP60",
        g=g_rp60,
        marginals=(
            _lognormal(2200.0, 220.0),
            _lognormal(2100.0, 210.0),
            _lognormal(2300.0, 230.0),
            _lognormal(2000.0, 200.0),
            _lognormal(1200.0, 480.0),
        ),
        probability=0.04483969997674258,
        method="1-d integral over x5",
        published=0.0456,
        source=_challenge(60),
        description="series-parallel system in lognormal inputs",
    )


def rp63() -> LimitState:
    """RP63: a paraboloid in 100 standard normals.

    >>> rp63().dim
    100

    Notes
    -----
    ``Q = x2^2 + ... + x100^2`` is chi-square(99), so
    ``P = E[Phi(-(0.1 Q - 4.5))]``, a 1-d integral. otbenchmark stores 3.79e-4,
    0.5 % above.
    """
    return LimitState(
        name="RP63",
        g=g_rp63,
        marginals=_std_normals(100),
        probability=0.0003769436118330427,
        method="1-d integral over the chi-square(99) of x2..x100",
        published=0.000379,
        source=_challenge(63),
        description="paraboloid in 100 standard normals",
    )


def rp75() -> LimitState:
    """RP75: ``x1 x2 >= 3``, two failure regions in opposite quadrants.

    >>> f"{rp75().probability:.10e}"
    '9.8192987215e-03'

    Notes
    -----
    ``P = 2 int_0^inf phi(x) Phi(-3 / x) dx``.
    """
    return LimitState(
        name="RP75",
        g=g_rp75,
        marginals=_std_normals(2),
        probability=0.009819298721546892,
        method="1-d integral over x1",
        published=0.00981929872154689,
        source=_challenge(75),
        description="hyperbola, two symmetric failure regions",
    )


def rp77() -> LimitState:
    """RP77: a discontinuous limit state (otbenchmark's formula does not parse).

    >>> f"{rp77().probability:.6e}"
    '2.690844e-07'

    Notes
    -----
    ``x1 ~ N(10, 0.5)``, ``x2 ~ N(0, 1)``, ``x3 ~ N(4, 1)``. Conditioning on ``x3``:
    ``x1 - x2 ~ N(10, sqrt 1.25)`` below 5, ``Phi(-x3)`` above; a 1-d integral.
    otbenchmark 0.2.1's ``ReliabilityProblem77`` raises (its if/else program does
    not parse in OpenTURNS 1.27) and stores 2.87e-7, 6.7 % above.
    """
    return LimitState(
        name="RP77",
        g=g_rp77,
        marginals=(_normal(10.0, 0.5), _normal(0.0, 1.0), _normal(4.0, 1.0)),
        probability=2.6908439521986205e-07,
        method="1-d integral over x3",
        published=2.87e-07,
        source=_challenge(77),
        description="discontinuous at x3 = 5",
    )


def rp89() -> LimitState:
    """RP89: the minimum of a parabola and a line, two failure regions.

    >>> f"{rp89().probability:.6e}"
    '5.471281e-03'

    Notes
    -----
    Failure is ``x2 >= min(8 - x1^2, 6 - x1 / 5)``: ``P = E[Phi(-min(...))]``, a 1-d
    integral. otbenchmark stores 5.43e-3, 0.8 % below; crude Monte Carlo with 1e8
    samples (seed 123) gives 5.47213e-3 +- 7.4e-6, 0.1 standard errors from the
    integral and 5.7 from the stored value.
    """
    return LimitState(
        name="RP89",
        g=g_rp89,
        marginals=_std_normals(2),
        probability=0.005471280529020585,
        method="1-d integral over x1",
        published=0.00543,
        source=_challenge(89),
        description="parabola and line, two failure regions",
    )


def rp91() -> LimitState:
    """RP91: a three-branch series system of five normals.

    >>> rp91().dim
    5

    Notes
    -----
    Normals (0.07433, 0.005), (0.1, 0.01), (13, 60), (4751, 48), (-684, 11). Only
    ``g2`` and ``g3`` depend on ``x1``, each as ``x1 <= c / 84000``; the reference is
    conditional Monte Carlo on ``x1``, 10^8 samples, seed 91; relative standard error
    0.005 %. otbenchmark stores 6.97e-4, 0.46 % below (100 standard errors).
    """
    params = ((0.07433, 0.005), (0.1, 0.01), (13.0, 60.0), (4751.0, 48.0), (-684.0, 11.0))
    return LimitState(
        name="RP91",
        g=g_rp91,
        marginals=tuple(_normal(m, s) for m, s in params),
        probability=7.002556e-4,
        std_error=3.3e-8,
        method="conditional Monte Carlo on x1, n = 1e8 (benchmarks/limit_state_references.py)",
        published=0.000697,
        source=_challenge(91),
        description="series system of three branches",
    )


def rp107() -> LimitState:
    """RP107: a hyperplane in ten standard normals, ``P = Phi(-5)``.

    >>> round(rp107().beta, 12)
    5.0

    Notes
    -----
    The sum of ten standard normals is N(0, 10), so ``P = Phi(-5)`` exactly.
    otbenchmark stores 2.92e-7, 1.9 % above.
    """
    return LimitState(
        name="RP107",
        g=g_rp107,
        marginals=_std_normals(10),
        probability=float(stats.norm.sf(5.0)),
        method="closed form Phi(-5)",
        published=2.92e-07,
        source=_challenge(107),
        description="hyperplane in ten standard normals",
    )


def rp110() -> LimitState:
    """RP110: two piecewise-linear branches (otbenchmark's formula does not parse).

    >>> f"{rp110().probability:.8e}"
    '3.19578843e-05'

    Notes
    -----
    ``g1 <= 0`` exactly when ``x1 >= 4`` and ``g2 <= 0`` exactly when ``x2 >= 5``, so
    ``P = 1 - (1 - Phi(-4)) (1 - Phi(-5))``. otbenchmark 0.2.1's
    ``ReliabilityProblem110`` raises (its if/else program does not parse in
    OpenTURNS 1.27); it stores 3.19e-5.
    """
    p = -math.expm1(math.log1p(-stats.norm.sf(4.0)) + math.log1p(-stats.norm.sf(5.0)))
    return LimitState(
        name="RP110",
        g=g_rp110,
        marginals=_std_normals(2),
        probability=p,
        method="closed form 1 - (1 - Phi(-4))(1 - Phi(-5))",
        published=3.19e-05,
        source=_challenge(110),
        description="piecewise linear series system, two design points",
    )


def rp111() -> LimitState:
    """RP111: ``|x1 x2| >= 12.5``, four failure regions.

    >>> f"{rp111().probability:.6e}"
    '8.035086e-07'

    Notes
    -----
    ``P = 4 int_0^inf phi(x) Phi(-12.5 / x) dx``, confirmed by the product density
    ``K_0(|z|) / pi``. otbenchmark stores 7.65e-7, 4.8 % below.
    """
    return LimitState(
        name="RP111",
        g=g_rp111,
        marginals=_std_normals(2),
        probability=8.03508596495979e-07,
        method="1-d integral over x1",
        published=7.65e-07,
        source=_challenge(111),
        description="hyperbolas, four symmetric failure regions",
    )


def _four_branch_probability(k: float) -> float:
    """``P(|s| >= 3 + 0.2 v^2 or |v| >= k / 2)`` for ``s, v`` iid standard normal."""
    half = k / 2.0

    def inner(v: float) -> float:
        return 2.0 * stats.norm.sf(3.0 + 0.2 * v * v) * stats.norm.pdf(v)

    middle = integrate.quad(inner, -half, half, epsabs=0, epsrel=1e-13, limit=200)[0]
    return 2.0 * float(stats.norm.sf(half)) + middle


def four_branch(k: float = 7.0) -> LimitState:
    r"""The four-branch series system of Waarts [3], in two standard normals.

    >>> problem = four_branch()
    >>> f"{problem.probability:.10e}"
    '2.2227950662e-03'

    Parameters
    ----------
    k : float, default 7.0
        The offset of the two linear branches, ``> 0`` (Waarts uses 6 and 7;
        otbenchmark uses 7).

    Notes
    -----
    With ``s = (x1 + x2) / sqrt 2`` and ``v = (x1 - x2) / sqrt 2`` failure is
    ``|s| >= 3 + 0.2 v^2`` or ``|v| >= k / 2``, so
    ``P = 2 Phi(-k/2) + int_{|v|<k/2} 2 Phi(-(3 + 0.2 v^2)) phi(v) dv``, computed here
    for any ``k``; for ``k = 7`` it matches otbenchmark's 2.2227950661944399e-3 to
    16 digits.
    """
    k = check_real(k, "k", low=0, low_open=True)
    return LimitState(
        name="four_branch",
        g=g_four_branch if k == 7.0 else functools.partial(g_four_branch, k=k),
        marginals=_std_normals(2),
        probability=_four_branch_probability(k),
        method="1-d integral over (x1 - x2) / sqrt(2)",
        published=0.0022227950661944398 if k == 7.0 else None,
        source=(
            "Waarts (2000), PhD thesis TU Delft, pp. 58, 69, 160; Dubourg (2011), PhD "
            f"thesis, p. 182; {_OTB}, FourBranchSerialSystemReliability (k = 7)"
        ),
        description="series system of four branches, four design points",
    )


#: the lognormal sum's level and number of terms
LOGNORMAL_SUM_THRESHOLD = 500.0
LOGNORMAL_SUM_TERMS = 30


def lognormal_sum_30() -> LimitState:
    r"""The sum of 30 iid LogNormal(0, 1) inputs reaching 500: a heavy-tailed rare event.

    >>> problem = lognormal_sum_30()
    >>> problem.dim, f"{problem.probability:.4e}", problem.published
    (30, '1.4808e-08', 1.4805e-08)

    Notes
    -----
    ``g = 500 - (x1 + ... + x30)`` with ``log x_i ~ N(0, 1)``. The reference is the
    Asmussen-Kroese estimator [4], ``n * F_bar(max(M_{n-1}, 500 - S_{n-1}))`` with
    ``S_{n-1}`` and ``M_{n-1}`` the sum and maximum of the other 29 terms, averaged
    over 10^7 draws (seed 30); its relative standard error is 0.0064 %. The value the
    cemopt issue quotes, 1.4805e-8 (also by conditional Monte Carlo, error bar not
    given), is 0.02 % (3.5 of our standard errors) below.
    """
    return LimitState(
        name="lognormal_sum_30",
        g=functools.partial(g_sum_below, threshold=LOGNORMAL_SUM_THRESHOLD, d=LOGNORMAL_SUM_TERMS),
        marginals=(stats.lognorm(s=1.0),) * LOGNORMAL_SUM_TERMS,
        probability=1.480833e-08,
        std_error=9.5e-13,
        method=(
            "Asmussen-Kroese conditional Monte Carlo, n = 1e7 "
            "(benchmarks/limit_state_references.py)"
        ),
        published=1.4805e-08,
        source=(
            "cemopt issue 13 (1.4805e-8, conditional Monte Carlo); estimator of Asmussen "
            "& Kroese (2006), Adv. Appl. Probab. 38(2), 545-558"
        ),
        description="sum of 30 lognormals, heavy tail: one big term causes failure",
    )


def normal_sum(d: int = 100, beta: float = 4.0) -> LimitState:
    r"""``x1 + ... + xd >= beta sqrt(d)`` for ``d`` standard normals: ``P = Phi(-beta)``.

    A hyperplane whose design point ``(beta / sqrt d, ...)`` spreads over every
    input, for high-dimensional tests; the exact answer does not depend on ``d``.

    >>> problem = normal_sum(d=1000)
    >>> problem.dim, f"{problem.probability:.6e}", round(problem.beta, 12)
    (1000, '3.167124e-05', 4.0)

    Parameters
    ----------
    d : int, default 100
        Number of inputs, ``>= 1``.
    beta : float, default 4.0
        Reliability index (the distance of the hyperplane from the origin).
    """
    d = check_int(d, "d", minimum=1)
    beta = check_real(beta, "beta")
    return LimitState(
        name=f"normal_sum_{d}",
        g=functools.partial(g_sum_below, threshold=beta * math.sqrt(d), d=d),
        marginals=_std_normals(d),
        probability=float(stats.norm.sf(beta)),
        method="closed form Phi(-beta)",
        source="linear limit state in standard normal space (Ditlevsen & Madsen 1996)",
        description=f"hyperplane in {d} standard normals",
    )


#: name -> factory() -> LimitState (read-only)
PROBLEMS: Mapping[str, Callable[..., LimitState]] = MappingProxyType(
    {
        "RP8": rp8,
        "RP14": rp14,
        "RP22": rp22,
        "RP24": rp24,
        "RP25": rp25,
        "RP28": rp28,
        "RP31": rp31,
        "RP33": rp33,
        "RP35": rp35,
        "RP38": rp38,
        "RP53": rp53,
        "RP54": rp54,
        "RP55": rp55,
        "RP57": rp57,
        "RP60": rp60,
        "RP63": rp63,
        "RP75": rp75,
        "RP77": rp77,
        "RP89": rp89,
        "RP91": rp91,
        "RP107": rp107,
        "RP110": rp110,
        "RP111": rp111,
        "four_branch": four_branch,
        "lognormal_sum_30": lognormal_sum_30,
        "normal_sum_100": functools.partial(normal_sum, d=100),
        "normal_sum_1000": functools.partial(normal_sum, d=1000),
    }
)
