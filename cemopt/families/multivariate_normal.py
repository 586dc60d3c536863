"""A multivariate normal with full covariance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.linalg import solve_triangular

from .._validation import (
    _short,
    array_repr,
    as_float_array,
    as_rng,
    check_alpha,
    check_batch,
    check_int,
    check_param_keys,
    check_real,
    check_same_kind,
    check_weights,
    effective_sample_size,
    readonly,
)
from ..errors import DegenerateFitError
from ._information import check_comparable, in_base

__all__ = ["MultivariateNormal"]

_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)
# Ridges tried, relative to the mean variance, when a fitted covariance is not PD.
_RIDGES = (0.0, 1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2)
# A fitted covariance counts as positive definite when its Cholesky factor exists and
# its smallest pivot, squared, exceeds this fraction of the mean variance.
_MIN_PIVOT = 1e-13
_SYM_RTOL = 1e-10


@dataclass(frozen=True, eq=False, repr=False)
class MultivariateNormal:
    """A multivariate normal ``N(mean, cov)`` with a full covariance matrix.

    >>> import cemopt.families as cf
    >>> f = cf.MultivariateNormal([0.0, 0.0], [[1.0, 0.5], [0.5, 2.0]])
    >>> f.sample(4, rng=0).shape
    (4, 2)
    >>> g = f.fit(f.sample(20_000, rng=1))
    >>> bool(np.allclose(g.cov, f.cov, atol=0.1))
    True

    Parameters
    ----------
    mean : array_like, shape (d,)
        Finite mean vector.
    cov : array_like, shape (d, d)
        Symmetric positive-definite covariance (symmetric to a relative 1e-10; it is
        stored exactly symmetrised).

    Attributes
    ----------
    dim : int
        ``d``.
    params : dict
        ``{"mean": (d,), "cov": (d, d)}`` read-only float arrays.
    cholesky : ndarray, shape (d, d)
        The lower Cholesky factor ``L`` of ``cov`` (computed once, read-only).

    Notes
    -----
    Samples are float64 arrays ``mean + z @ L.T`` of shape ``(n, d)``; ``logpdf`` uses
    a triangular solve with ``L``.

    The CE update is the weighted mean and the weighted ML covariance (divided by the
    sum of the weights). That covariance is singular when there are fewer effective
    samples than ``d + 1`` (10 elite samples in 10 dimensions is common in CE), so the
    fit adds the smallest ridge ``eps * mean(diag(cov)) * I`` with ``eps`` from the
    ladder 1e-12, 1e-10, ..., 1e-2 for which the Cholesky factorisation succeeds with
    a smallest squared pivot above ``1e-13 * mean(diag(cov))``. An all-zero covariance
    (all weighted samples equal) raises :class:`~cemopt.errors.DegenerateFitError`.

    ``degeneracy()`` is the largest marginal standard deviation,
    ``sqrt(max(diag(cov)))`` (cheap, and zero exactly for a point mass, like
    ``Normal``).

    Examples
    --------
    Fewer samples than dimensions still give a valid (ridged) fit:

    >>> h = cf.MultivariateNormal(np.zeros(5), np.eye(5))
    >>> h.fit(h.sample(3, rng=0)).cholesky.shape
    (5, 5)
    """

    mean: Any
    cov: Any

    def __post_init__(self) -> None:
        mean = as_float_array(self.mean, "mean", ndim=1)
        d = mean.shape[0]
        if d == 0:
            raise ValueError("`mean` must have at least one coordinate, but got mean=[].")
        cov = np.array(as_float_array(self.cov, "cov", ndim=2))
        if cov.shape != (d, d):
            raise ValueError(
                f"`cov` must have shape ({d}, {d}) to match `mean`, but got cov with "
                f"shape {cov.shape}."
            )
        scale = np.abs(cov).max()
        if np.abs(cov - cov.T).max() > _SYM_RTOL * scale:
            raise ValueError(f"`cov` must be symmetric, but got cov={_short(cov)}.")
        cov = 0.5 * (cov + cov.T)
        try:
            chol = np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            chol = None
        if chol is None or not np.all(np.diag(chol) > 0):
            raise ValueError(f"`cov` must be positive definite, but got cov={_short(cov)}.")
        self._set(mean, readonly(cov), chol)

    def _set(self, mean: np.ndarray, cov: np.ndarray, chol: np.ndarray) -> None:
        set_ = object.__setattr__
        set_(self, "mean", mean)
        set_(self, "cov", cov)
        set_(self, "cholesky", readonly(chol))
        log_det_half = float(np.log(np.diag(chol)).sum())
        set_(self, "_log_norm", log_det_half + mean.shape[0] * _LOG_SQRT_2PI)

    # ------------------------------------------------------------------ basics
    @property
    def dim(self) -> int:
        """Number of coordinates."""
        return self.mean.shape[0]

    @property
    def params(self) -> dict[str, np.ndarray]:
        """``{"mean": ..., "cov": ...}`` (read-only)."""
        return {"mean": self.mean, "cov": self.cov}

    def with_params(self, params: dict[str, Any]) -> MultivariateNormal:
        """A ``MultivariateNormal`` with these ``mean`` and ``cov``."""
        check_param_keys(params, ("mean", "cov"), "MultivariateNormal")
        return MultivariateNormal(params["mean"], params["cov"])

    def __repr__(self) -> str:
        return f"MultivariateNormal(mean={array_repr(self.mean)}, cov={array_repr(self.cov)})"

    # --------------------------------------------------------------- sampling
    def sample(self, n: int, rng: Any = None) -> np.ndarray:
        """Draw ``n`` samples, shape ``(n, d)`` float64 (``mean + z @ L.T``)."""
        n = check_int(n, "n", minimum=0)
        z = as_rng(rng).standard_normal((n, self.dim))
        x = z @ self.cholesky.T
        x += self.mean
        return x

    def logpdf(self, x: Any) -> np.ndarray:
        """Log density of each row of ``x`` (shape ``(n, d)``)."""
        x = check_batch(x, (self.dim,))
        y = solve_triangular(self.cholesky, (x - self.mean).T, lower=True, check_finite=False)
        return -0.5 * np.einsum("ij,ij->j", y, y) - self._log_norm

    # --------------------------------------------------------------- updating
    def fit(self, x: Any, weights: Any = None) -> MultivariateNormal:
        """Weighted mean and ML covariance (ridged if singular): the CE update.

        Parameters
        ----------
        x : array_like, shape (n, d)
        weights : array_like, shape (n,), optional
            Non-negative, not necessarily normalised; ``None`` = equal weights.

        Raises
        ------
        DegenerateFitError
            Zero total weight, or all weighted samples equal (zero covariance).
        """
        x = check_batch(x, (self.dim,))
        n = x.shape[0]
        w = check_weights(weights, n, "MultivariateNormal")
        if not np.all(np.isfinite(x)):
            raise ValueError(f"`x` must be finite, but got x={_short(x)}.")
        if w is None:
            mean = x.mean(axis=0)
            xc = x - mean
            cov = (xc.T @ xc) / n
        else:
            total = w.sum()
            mean = (w @ x) / total
            xc = x - mean
            cov = ((xc * w[:, None]).T @ xc) / total
        cov = 0.5 * (cov + cov.T)
        level = float(np.mean(np.diag(cov)))
        if not level > 0:
            raise DegenerateFitError(
                "MultivariateNormal.fit: all weighted samples are equal, so the fitted "
                f"covariance is 0 (effective sample size {effective_sample_size(w, n):.3g})."
            )
        eye = np.eye(self.dim)
        for eps in _RIDGES:
            trial = cov + (eps * level) * eye if eps else cov
            try:
                chol = np.linalg.cholesky(trial)
            except np.linalg.LinAlgError:
                continue
            if np.min(np.diag(chol)) ** 2 > _MIN_PIVOT * level:
                return _make(readonly(mean), readonly(trial), chol)
        raise DegenerateFitError(  # pragma: no cover - the last ridge always works
            "MultivariateNormal.fit: the fitted covariance is not positive definite even "
            f"with a ridge (effective sample size {effective_sample_size(w, n):.3g})."
        )

    def blend(
        self, previous: MultivariateNormal, alpha: float, *, scale_alpha: float | None = None
    ) -> MultivariateNormal:
        """Convex combination: ``alpha`` for the means, ``scale_alpha`` (default
        ``alpha``) for the covariances; ``previous`` must have the same dimension."""
        check_same_kind(self, previous)
        alpha = check_alpha(alpha)
        beta = alpha if scale_alpha is None else check_alpha(scale_alpha, "scale_alpha")
        return MultivariateNormal(
            alpha * self.mean + (1.0 - alpha) * previous.mean,
            beta * self.cov + (1.0 - beta) * previous.cov,
        )

    # ------------------------------------------------- adaptive variance scaling
    def rescaled(self, factor: float) -> MultivariateNormal:
        """The same mean with the covariance multiplied by ``factor`` > 0.

        The optimiser's adaptive variance scaling samples from this.

        >>> import cemopt.families as cf
        >>> cf.MultivariateNormal([0.0], [[4.0]]).rescaled(2.25).cov
        array([[9.]])
        """
        factor = check_real(factor, "factor", low=0.0, low_open=True)
        return _make(self.mean, readonly(self.cov * factor), self.cholesky * np.sqrt(factor))

    def whiten(self, x: Any) -> np.ndarray:
        """``L^{-1} (x - mean)`` for each row of ``x``: standard-normal coordinates.

        >>> import cemopt.families as cf
        >>> cf.MultivariateNormal([1.0], [[4.0]]).whiten([[5.0]])
        array([[2.]])
        """
        x = check_batch(x, (self.dim,))
        centred = (x - self.mean).T
        return solve_triangular(self.cholesky, centred, lower=True, check_finite=False).T

    # -------------------------------------------------------------- summaries
    def mode(self) -> np.ndarray:
        """The mean."""
        return self.mean.copy()

    def degeneracy(self) -> float:
        """Largest marginal standard deviation ``sqrt(max(diag(cov)))``."""
        return float(np.sqrt(np.max(np.diag(self.cov))))

    # ---------------------------------------------------------- information measures
    def entropy(self, *, base: float | None = None) -> float:
        """Differential entropy ``(d ln(2 pi e) + ln det cov) / 2``, in nats (``base=2``:
        bits).

        >>> import cemopt.families as cf
        >>> round(cf.MultivariateNormal([0.0, 0.0], np.eye(2)).entropy(), 6)
        2.837877
        """
        d = self.dim
        return in_base(float(d * (_LOG_SQRT_2PI + 0.5)) + self._log_det_half(), base)

    def kl_divergence(self, other: MultivariateNormal, *, base: float | None = None) -> float:
        """``KL(self || other) = (tr(S_q^-1 S_p) + m' S_q^-1 m - d + ln det S_q - ln det
        S_p) / 2`` with ``m = mean_q - mean_p``, by triangular solves with the Cholesky
        factors.

        >>> import cemopt.families as cf
        >>> p = cf.MultivariateNormal([0.0], [[1.0]])
        >>> round(p.kl_divergence(cf.MultivariateNormal([1.0], [[4.0]])), 6)
        0.443147
        """
        check_comparable(self, other, "kl_divergence")
        trace, mahalanobis = self._against(other)
        kl = 0.5 * (trace + mahalanobis - self.dim) + other._log_det_half() - self._log_det_half()
        return in_base(float(kl), base)

    def cross_entropy(self, other: MultivariateNormal, *, base: float | None = None) -> float:
        """``H(self, other) = (d ln(2 pi) + ln det S_q + tr(S_q^-1 S_p) + m' S_q^-1 m) / 2``.

        >>> import cemopt.families as cf
        >>> p = cf.MultivariateNormal([0.0], [[1.0]])
        >>> round(p.cross_entropy(cf.MultivariateNormal([1.0], [[4.0]])), 6)
        1.862086
        """
        check_comparable(self, other, "cross_entropy")
        trace, mahalanobis = self._against(other)
        h = self.dim * _LOG_SQRT_2PI + other._log_det_half() + 0.5 * (trace + mahalanobis)
        return in_base(float(h), base)

    def _log_det_half(self) -> float:
        """``ln det(cov) / 2`` from the Cholesky factor."""
        return float(np.log(np.diag(self.cholesky)).sum())

    def _against(self, other: MultivariateNormal) -> tuple[float, float]:
        """``tr(S_q^-1 S_p)`` and ``(m_p - m_q)' S_q^-1 (m_p - m_q)`` for ``q = other``."""
        rhs = np.column_stack([self.cholesky, self.mean - other.mean])  # one solve for both
        # np.linalg.solve: measured several times faster than solve_triangular with a
        # matrix right-hand side at d = 10 (the engine calls this every iteration)
        solved = np.linalg.solve(other.cholesky, rhs)
        M, y = solved[:, :-1], solved[:, -1]
        return float(np.sum(M * M)), float(y @ y)


def _make(mean: np.ndarray, cov: np.ndarray, chol: np.ndarray) -> MultivariateNormal:
    """Build from values already checked (skips the second Cholesky factorisation)."""
    family = object.__new__(MultivariateNormal)
    family._set(mean, cov, chol)
    return family
