"""A multivariate normal with full covariance, optionally mapped onto a box."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.linalg import lapack

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
from ._box import DEFAULT_MARGIN, BoxTransform
from ._information import check_comparable, in_base
from .normal import _as_bound

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
    """A multivariate normal ``N(mean, cov)`` with a full covariance matrix, or its
    image on a box.

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
    lower, upper : array_like, shape (d,) or scalar, optional
        A box for the samples; ``None`` (or ``-inf``/``inf`` entries) leaves a side
        open. ``lower < upper`` in every coordinate. With a box, ``mean`` and ``cov``
        are those of the Gaussian ``y`` whose image ``x = T(y)`` is sampled (see
        Notes); ``mean`` may lie outside the box.
    margin : float, default 1e-3
        With a box: the share of its width, at each bounded side, over which the
        samples are bent onto the box (see Notes), in ``(0, 0.5]``.

    Attributes
    ----------
    dim : int
        ``d``.
    params : dict
        ``{"mean": (d,), "cov": (d, d)}`` read-only float arrays.
    cholesky : ndarray, shape (d, d)
        The lower Cholesky factor ``L`` of ``cov`` (computed once, read-only).
    lower, upper : ndarray or None
        The box as given (broadcast to ``(d,)``, read-only), or None.

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

    **With a box** the family is the image of ``N(mean, cov)`` under a fixed smooth
    bijection ``T`` of ``R^d`` onto the box, coordinate by coordinate: the identity
    on the inner box that leaves a margin ``delta = margin (upper - lower)`` (for a
    one-sided bound ``margin (1 + |bound|)``) at each bounded side, and beyond it ``x =
    upper - delta exp(-(y - upper + delta) / delta)`` (mirrored at the lower side),
    which joins the identity with a continuous slope and tends to the bound. So
    every sample lies in the box; ``logpdf`` is exact (the Gaussian's at ``T^{-1}(x)``
    minus ``log det dT/dy``); the fit is the exact weighted maximum-likelihood fit, the
    Gaussian's fit on ``T^{-1}(x)``; ``kl_divergence`` is the Gaussians' (a common
    bijection leaves it unchanged) and ``entropy`` adds ``E log det dT/dy`` in closed
    form. Where the samples stay on the inner box (a box around the optimum, once the
    search has found it) the family is exactly the unbounded one. An optimum on a
    bound is the limit ``y -> +-inf``: the mean walks outwards while the samples
    close in on the bound (the scores' order along ``y`` is their order along ``x``,
    which is all a rank-based search reads). This is the role of pycma's
    ``BoundTransform``, made invertible so that the density and the fit stay exact.
    Exact truncated sampling (rejection) was not chosen: in 20 dimensions a mean in a
    corner of the box leaves about one draw in a million inside it.

    The margin trades two things. ``T`` approaches a bound as ``delta exp(-t)``, which
    falls below the bound's floating-point spacing about ``37 delta`` past the bend:
    draws farther out land *on* the bound, an atom no density describes (``logpdf``
    reads it as the last representable point, so a fit on such draws is biased
    inwards). A small margin keeps that flat tail short, so a search's mean cannot
    wander far out into it and get lost: on BBOB with the box ``[-5, 5]^d`` a
    twentieth let the mean run 1.8 widths out on the ill-conditioned functions and
    spend most of the budget walking back; the default thousandth makes the box
    nearly free there (``benchmarks/bbob.py``, ``cemopt-bounded``; the margin was
    chosen on f10 and f12 and is reported on all 24 functions). A wider margin bends
    more gently, which helped where the optimum is a corner of the box and the start
    is not in its basin: Styblinski-Tang on ``[-2, 5]^5`` from the centre reached the
    corner in 3 of 16 seeds with ``margin=0.05``, in 0 of 16 with the default (pycma
    IPOP with its ``BoundTransform``: 0 of 8). Where the density must be exact for
    wide Gaussians near a bound (importance sampling), use such a margin: its tail
    holds every draw within 1.8 widths of the bend.

    Examples
    --------
    Fewer samples than dimensions still give a valid (ridged) fit:

    >>> h = cf.MultivariateNormal(np.zeros(5), np.eye(5))
    >>> h.fit(h.sample(3, rng=0)).cholesky.shape
    (5, 5)

    On a box, samples stay inside it, however wide the Gaussian:

    >>> b = cf.MultivariateNormal([4.0, 0.0], 9.0 * np.eye(2), lower=-5.0, upper=5.0)
    >>> x = b.sample(10_000, rng=0)
    >>> bool(x.min() >= -5.0 and x.max() <= 5.0)
    True
    """

    mean: Any
    cov: Any
    lower: Any = None
    upper: Any = None
    margin: float = DEFAULT_MARGIN

    def __post_init__(self) -> None:
        mean, cov, chol = _checked(self.mean, self.cov)
        if self.lower is None and self.upper is None and self.margin == DEFAULT_MARGIN:
            box: tuple[Any, Any, BoxTransform | None] = (None, None, None)  # the common case
        else:
            box = _parse_box(self.lower, self.upper, self.margin, mean.shape[0])
        self._set(mean, cov, chol, *box)
        object.__setattr__(self, "margin", float(self.margin))

    def _set(
        self,
        mean: np.ndarray,
        cov: np.ndarray,
        chol: np.ndarray,
        lower: np.ndarray | None = None,
        upper: np.ndarray | None = None,
        box: BoxTransform | None = None,
    ) -> None:
        set_ = object.__setattr__
        set_(self, "mean", mean)
        set_(self, "cov", cov)
        set_(self, "lower", lower)
        set_(self, "upper", upper)
        set_(self, "_box", box)
        set_(self, "cholesky", readonly(chol))
        # ln det cov / 2 when first asked for (a fit the engine only reads the mean and
        # covariance of never needs it)
        set_(self, "_log_det_half_value", None)

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
        return MultivariateNormal(
            params["mean"], params["cov"], self.lower, self.upper, self.margin
        )

    def __repr__(self) -> str:
        text = f"MultivariateNormal(mean={array_repr(self.mean)}, cov={array_repr(self.cov)}"
        if self.lower is not None:
            text += f", lower={array_repr(self.lower)}"
        if self.upper is not None:
            text += f", upper={array_repr(self.upper)}"
        if self.margin != DEFAULT_MARGIN:
            text += f", margin={self.margin!r}"
        return text + ")"

    # --------------------------------------------------------------- sampling
    def sample(self, n: int, rng: Any = None) -> np.ndarray:
        """Draw ``n`` samples, shape ``(n, d)`` float64 (``mean + z @ L.T``, mapped
        onto the box when there is one)."""
        n = check_int(n, "n", minimum=0)
        z = as_rng(rng).standard_normal((n, self.dim))
        x = z @ self.cholesky.T
        x += self.mean
        return x if self._box is None else self._box.forward(x)

    def logpdf(self, x: Any) -> np.ndarray:
        """Log density of each row of ``x`` (shape ``(n, d)``; ``-inf`` outside the box)."""
        x = check_batch(x, (self.dim,))
        if self._box is None:
            return self._gaussian_logpdf(x)
        inside = self._inside(x)
        out = np.full(x.shape[0], -np.inf)
        y = self._box.inverse(x[inside])
        out[inside] = self._gaussian_logpdf(y) - self._box.log_jacobian(y)
        return out

    def _gaussian_logpdf(self, y: np.ndarray) -> np.ndarray:
        z = _solve_lower(self.cholesky, (y - self.mean).T)
        log_norm = self._log_det_half() + self.dim * _LOG_SQRT_2PI
        return -0.5 * np.einsum("ij,ij->j", z, z) - log_norm

    def _inside(self, x: np.ndarray) -> np.ndarray:
        """Rows of ``x`` in the closed box (all rows without one)."""
        box = self._box
        return np.all((x >= box.lower) & (x <= box.upper), axis=1)

    def moved(self, x: Any, step: Any) -> np.ndarray:
        """The samples ``x`` moved by ``step`` in the Gaussian's coordinates:
        ``T(T^{-1}(x) + step)``, which stays in the box (``x + step`` without one).

        The optimiser's anticipated mean shift moves part of each batch this way.

        >>> import cemopt.families as cf
        >>> b = cf.MultivariateNormal([0.0], [[1.0]], lower=-1.0, upper=1.0)
        >>> float(b.moved(np.array([[0.5]]), [10.0])[0, 0]) <= 1.0
        True
        """
        x = check_batch(x, (self.dim,))
        step = np.asarray(step, dtype=float)
        if self._box is None:
            return x + step
        return self._box.forward(self._box.inverse(x) + step)

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
        ValueError
            Non-finite samples, or (with a box) samples outside it.

        Notes
        -----
        With a box the fit is the same on ``T^{-1}(x)``: the exact weighted MLE of the
        family (see the class notes); the box is kept.
        """
        x = check_batch(x, (self.dim,))
        n = x.shape[0]
        w = check_weights(weights, n, "MultivariateNormal")
        if not np.isfinite(x).all():
            raise ValueError(f"`x` must be finite, but got x={_short(x)}.")
        if self._box is not None:
            outside = ~self._inside(x)
            if outside.any():
                raise ValueError(
                    "`x` must lie within [lower, upper], but got samples outside the box "
                    f"(first: row {int(np.argmax(outside))}; lower={_short(self._box.lower)}, "
                    f"upper={_short(self._box.upper)})."
                )
            x = self._box.inverse(x)
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
        level = float(cov.trace()) / self.dim
        if not level > 0:
            raise DegenerateFitError(
                "MultivariateNormal.fit: all weighted samples are equal, so the fitted "
                f"covariance is 0 (effective sample size {effective_sample_size(w, n):.3g})."
            )
        for eps in _RIDGES:
            if eps:
                trial = cov.copy()
                trial.flat[:: self.dim + 1] += eps * level  # cov + (eps level) I
            else:
                trial = cov
            chol = cholesky_or_none(trial)
            if chol is not None and chol.diagonal().min() ** 2 > _MIN_PIVOT * level:
                return self._make(readonly(mean), readonly(trial), chol)
        raise DegenerateFitError(  # pragma: no cover - the last ridge always works
            "MultivariateNormal.fit: the fitted covariance is not positive definite even "
            f"with a ridge (effective sample size {effective_sample_size(w, n):.3g})."
        )

    def blend(
        self, previous: MultivariateNormal, alpha: float, *, scale_alpha: float | None = None
    ) -> MultivariateNormal:
        """Convex combination: ``alpha`` for the means, ``scale_alpha`` (default
        ``alpha``) for the covariances; ``previous`` must have the same dimension and
        the same box."""
        check_same_kind(self, previous)
        self._check_same_box(previous, "previous")
        alpha = check_alpha(alpha)
        beta = alpha if scale_alpha is None else check_alpha(scale_alpha, "scale_alpha")
        mean = alpha * self.mean + (1.0 - alpha) * previous.mean
        cov = beta * self.cov + (1.0 - beta) * previous.cov  # symmetric, positive definite
        chol = cholesky_or_none(cov)
        if chol is None:  # rounding on a near-singular pair: say so plainly
            mean, cov, chol = _checked(mean, cov)
        # the same box, not parsed again (the engine blends every iteration)
        return self._make(readonly(mean), readonly(cov), chol)

    def _check_same_box(self, other: MultivariateNormal, name: str) -> None:
        if self._box is other._box:  # the same transform (None without a box): same box
            return
        mine = (None, None) if self._box is None else (self._box.lower, self._box.upper)
        theirs = (None, None) if other._box is None else (other._box.lower, other._box.upper)
        same = all(
            (a is None and b is None) or (a is not None and b is not None and np.array_equal(a, b))
            for a, b in zip(mine, theirs, strict=True)
        ) and (self._box is None or self.margin == other.margin)
        if not same:
            raise ValueError(
                f"`{name}` must have the same box as self, but got lower={_short(theirs[0])}, "
                f"upper={_short(theirs[1])}, margin={other.margin!r} for lower="
                f"{_short(mine[0])}, upper={_short(mine[1])}, margin={self.margin!r}."
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
        return self._make(self.mean, readonly(self.cov * factor), self.cholesky * np.sqrt(factor))

    def whiten(self, x: Any) -> np.ndarray:
        """``L^{-1} (x - mean)`` for each row of ``x``: standard-normal coordinates
        (of ``T^{-1}(x)`` with a box).

        >>> import cemopt.families as cf
        >>> cf.MultivariateNormal([1.0], [[4.0]]).whiten([[5.0]])
        array([[2.]])
        """
        x = check_batch(x, (self.dim,))
        if self._box is not None:
            x = self._box.inverse(x)
        centred = (x - self.mean).T
        return _solve_lower(self.cholesky, centred).T

    # -------------------------------------------------------------- summaries
    def mode(self) -> np.ndarray:
        """The mean (its image ``T(mean)`` on the box with one)."""
        if self._box is None:
            return self.mean.copy()
        return self._box.forward(self.mean[None, :])[0]

    def degeneracy(self) -> float:
        """Largest marginal standard deviation ``sqrt(max(diag(cov)))``."""
        return float(np.sqrt(self.cov.diagonal().max()))

    # ---------------------------------------------------------- information measures
    def entropy(self, *, base: float | None = None) -> float:
        """Differential entropy ``(d ln(2 pi e) + ln det cov) / 2``, in nats (``base=2``:
        bits).

        >>> import cemopt.families as cf
        >>> round(cf.MultivariateNormal([0.0, 0.0], np.eye(2)).entropy(), 6)
        2.837877
        """
        d = self.dim
        return in_base(
            float(d * (_LOG_SQRT_2PI + 0.5)) + self._log_det_half() + self._mean_log_jacobian(),
            base,
        )

    def _mean_log_jacobian(self) -> float:
        """``E log det dT/dy`` (0 without a box): the entropy's change under ``T``."""
        if self._box is None:
            return 0.0
        return self._box.expected_log_jacobian(self.mean, np.sqrt(self.cov.diagonal()))

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
        self._check_same_box(other, "other")
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
        self._check_same_box(other, "other")
        trace, mahalanobis = self._against(other)
        h = self.dim * _LOG_SQRT_2PI + other._log_det_half() + 0.5 * (trace + mahalanobis)
        return in_base(float(h) + self._mean_log_jacobian(), base)

    def _log_det_half(self) -> float:
        """``ln det(cov) / 2`` from the Cholesky factor (computed once)."""
        value = self._log_det_half_value
        if value is None:
            value = float(np.log(self.cholesky.diagonal()).sum())
            object.__setattr__(self, "_log_det_half_value", value)
        return value

    def _against(self, other: MultivariateNormal) -> tuple[float, float]:
        """``tr(S_q^-1 S_p)`` and ``(m_p - m_q)' S_q^-1 (m_p - m_q)`` for ``q = other``."""
        # both in one solve: the columns of the factor, then the difference of the means
        rhs = np.concatenate([self.cholesky, (self.mean - other.mean)[:, None]], axis=1)
        # a triangular solve by LAPACK directly (the engine calls this every iteration;
        # np.linalg.solve factorises the triangle again, scipy's wrapper costs more)
        solved = _solve_lower(other.cholesky, rhs)
        M, y = solved[:, :-1], solved[:, -1]
        return float((M * M).sum()), float(y @ y)

    def _make(self, mean: np.ndarray, cov: np.ndarray, chol: np.ndarray) -> MultivariateNormal:
        """Build with ``self``'s box from values already checked (skips the second
        Cholesky factorisation)."""
        family = object.__new__(MultivariateNormal)
        family._set(mean, cov, chol, self.lower, self.upper, self._box)
        object.__setattr__(family, "margin", self.margin)
        return family


def _solve_lower(L: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``L^{-1} B`` for a lower-triangular ``L`` with a positive diagonal.

    LAPACK's ``trtrs`` called directly: what ``scipy.linalg.solve_triangular`` calls for
    a C-ordered ``L`` (the upper ``L.T``, transposed), bit for bit, without its wrapper,
    which costs about 8 us a call (the optimiser whitens once an iteration).
    """
    if B.shape[1] == 0:
        return np.empty(B.shape)
    return lapack.dtrtrs(L.T, B, lower=0, trans=1)[0]


def cholesky_or_none(a: np.ndarray) -> np.ndarray | None:
    """The lower Cholesky factor of the symmetric ``a``, or None where it is not
    positive definite.

    LAPACK's ``potrf`` called directly: the factor ``np.linalg.cholesky`` returns, bit
    for bit (the same routine), at a third of its cost for the small matrices the
    engine factorises two or three times an iteration, and a matrix that is not
    positive definite is a return code rather than a raised and caught exception.

    >>> cholesky_or_none(np.array([[4.0, 2.0], [2.0, 2.0]]))
    array([[2., 0.],
           [1., 1.]])
    >>> print(cholesky_or_none(np.ones((2, 2))))
    None
    """
    factor, info = lapack.dpotrf(a, lower=1, clean=1)
    # C order, as numpy returns it: the products with the factor then take the same
    # BLAS paths, so the samples are those of np.linalg.cholesky's factor to the bit
    return np.ascontiguousarray(factor) if info == 0 else None


def _checked(mean: Any, cov: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``mean``, the symmetrised ``cov`` (read-only) and its Cholesky factor, or the
    ValueError that says what is wrong with them."""
    mean = as_float_array(mean, "mean", ndim=1)
    d = mean.shape[0]
    if d == 0:
        raise ValueError("`mean` must have at least one coordinate, but got mean=[].")
    cov = as_float_array(cov, "cov", ndim=2)  # symmetrised into a new array below
    if cov.shape != (d, d):
        raise ValueError(
            f"`cov` must have shape ({d}, {d}) to match `mean`, but got cov with shape {cov.shape}."
        )
    scale = np.abs(cov).max()
    if np.abs(cov - cov.T).max() > _SYM_RTOL * scale:
        raise ValueError(f"`cov` must be symmetric, but got cov={_short(cov)}.")
    cov = 0.5 * (cov + cov.T)
    chol = cholesky_or_none(cov)
    if chol is None or not (chol.diagonal() > 0).all():
        raise ValueError(f"`cov` must be positive definite, but got cov={_short(cov)}.")
    return mean, readonly(cov), chol


def _parse_box(lower: Any, upper: Any, margin: Any, d: int) -> tuple[Any, Any, BoxTransform | None]:
    """The bounds as stored (read-only, shape (d,)) and their transform (None if open)."""
    margin = check_real(margin, "margin", low=0.0, high=0.5, low_open=True)
    given = {}
    for name, value in (("lower", lower), ("upper", upper)):
        bound = _as_bound(value, name)
        if bound is not None:
            try:
                bound = np.broadcast_to(bound, (d,)).copy()
            except ValueError:
                raise ValueError(
                    f"`{name}` must be a scalar or have shape ({d},) to match `mean`, but "
                    f"got {name} with shape {bound.shape}."
                ) from None
        given[name] = bound
    lo = np.full(d, -np.inf) if given["lower"] is None else given["lower"]
    hi = np.full(d, np.inf) if given["upper"] is None else given["upper"]
    if np.any(lo >= hi) or np.any(lo == np.inf) or np.any(hi == -np.inf):
        raise ValueError(
            "`lower < upper` must hold in every coordinate (lower not +inf, upper not "
            f"-inf), but got lower={_short(lo)}, upper={_short(hi)}."
        )
    stored = [None if b is None else readonly(b) for b in (given["lower"], given["upper"])]
    open_box = not (np.isfinite(lo).any() or np.isfinite(hi).any())
    return stored[0], stored[1], None if open_box else BoxTransform(lo, hi, margin)
