r"""Diagnostics of importance weights: the Pareto-smoothed importance-sampling k-hat.

An importance-sampling estimate is a mean of weights ``w_i``; its standard error is
honest only when the weights have a finite variance, and a sample of them cannot show
an infinite one (its sample variance is finite every time, and small most of the
time). Vehtari et al. [1]_ read the answer from the tail: fit a generalized Pareto
distribution to the ``M`` largest weights; its shape ``k`` says how many moments the
weights have (``k < 1/2``: a finite variance; ``k < 1``: a finite mean), and above
``min(1 - 1/log10(S), 0.7)`` the estimate from ``S`` weights cannot be trusted.

>>> import numpy as np
>>> from cemopt.diagnostics import pareto_khat
>>> x = np.random.default_rng(0).normal(size=10_000)   # draws from N(0, 1)
>>> wide = 2 * x                        # target N(0, 1), proposal N(0, 4): bounded weights
>>> round(pareto_khat(-wide**2 / 2 + x**2 / 2 + np.log(2)), 2)
-1.6
>>> with np.errstate(divide="ignore"):  # target Exp(1), proposal N(0, 1): no variance
...     log_w = np.where(x >= 0, -x, -np.inf) + x**2 / 2
>>> round(pareto_khat(log_w), 2)        # above 0.7: the estimate cannot be trusted
0.99

- :func:`pareto_khat`: the estimate, from all the log weights or from only the largest
  ones and the sample size (what a running sum can keep).
- :func:`pareto_diagnostic`: the same with the tail size and the threshold.
- :func:`pareto_tail_size`, :func:`khat_threshold`: the two sample-size rules.

Everything is computed from differences of log weights, so weights spanning 1e-300 to
1 (or far more: log weights of -1e4 and 0) are fitted as accurately as weights near 1,
and adding a constant to the log weights changes nothing.

References
----------
.. [1] Vehtari, A., Simpson, D., Gelman, A., Yao, Y. & Gabry, J. (2024). Pareto
   smoothed importance sampling. *Journal of Machine Learning Research* 25(72), 1-58.
   arXiv:1507.02646.
.. [2] Zhang, J. & Stephens, M. A. (2009). A new and efficient estimation method for the
   generalized Pareto distribution. *Technometrics* 51, 316-325.
"""

from __future__ import annotations

import dataclasses
import math
import numbers

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "ParetoDiagnostic",
    "khat_threshold",
    "pareto_diagnostic",
    "pareto_khat",
    "pareto_tail_size",
]

#: the fewest tail weights a generalized Pareto distribution is fitted to (as in loo)
MIN_TAIL = 5
#: the weakly informative prior of [1]_: as if 10 more tail weights had shape 0.5
_PRIOR_COUNT, _PRIOR_SHAPE = 10, 0.5


def pareto_tail_size(n: int) -> int:
    """How many of ``n`` weights form the tail: ``ceil(min(0.2 n, 3 sqrt(n)))``.

    The fit also needs the next largest weight (the threshold the tail is measured
    from), so a running sum that wants :func:`pareto_khat` later keeps the
    ``pareto_tail_size(n) + 1`` largest log weights.

    Parameters
    ----------
    n : int
        The number of weights, >= 1.

    Returns
    -------
    int

    Examples
    --------
    >>> pareto_tail_size(100), pareto_tail_size(10_000)
    (20, 300)
    """
    n = _count(n, "n")
    return math.ceil(min(0.2 * n, 3.0 * math.sqrt(n)))


def khat_threshold(n: int) -> float:
    """The k-hat above which an estimate from ``n`` weights is unreliable.

    ``min(1 - 1/log10(n), 0.7)`` [1]_: 0.7 from about 2,200 weights on; less for
    fewer (0.5 at 100, 0 at 10, and ``-inf`` for a single weight), because a short
    sample needs a lighter tail to show its mean.

    Parameters
    ----------
    n : int
        The number of weights, >= 1.

    Returns
    -------
    float

    Examples
    --------
    >>> khat_threshold(100), khat_threshold(10_000)
    (0.5, 0.7)
    """
    n = _count(n, "n")
    if n == 1:
        return -math.inf
    return min(1.0 - 1.0 / math.log10(n), 0.7)


@dataclasses.dataclass(frozen=True)
class ParetoDiagnostic:
    """The k-hat of a set of importance weights, with what it was judged against.

    Attributes
    ----------
    khat : float
        The shape of the generalized Pareto distribution fitted to the largest
        weights (:func:`pareto_khat`): NaN when the tail is too short to fit.
    n : int
        The number of weights.
    tail_size : int
        How many of them the tail had (:func:`pareto_tail_size`).
    threshold : float
        :func:`khat_threshold` of ``n``.

    Examples
    --------
    >>> import numpy as np
    >>> d = pareto_diagnostic(np.random.default_rng(0).normal(size=1000) * 0.1)
    >>> d.tail_size, round(d.threshold, 3), d.reliable
    (95, 0.667, True)
    """

    khat: float
    n: int
    tail_size: int
    threshold: float

    @property
    def reliable(self) -> bool:
        """``khat < threshold``; False when ``khat`` is NaN (too few weights to tell)."""
        return bool(self.khat < self.threshold)


def pareto_khat(log_weights: ArrayLike, *, n: int | None = None) -> float:
    r"""The Pareto-smoothed importance-sampling k-hat of a set of log weights.

    The shape parameter of a generalized Pareto distribution fitted to the ``M``
    largest weights (``M = pareto_tail_size(n)``) as exceedances over the next largest
    one, by the empirical-Bayes estimate of Zhang & Stephens [2]_ with the weakly
    informative prior of Vehtari et al. [1]_ (the estimate from ``M`` weights is pulled
    toward 0.5 as if 10 more had that shape).

    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> pareto = rng.pareto(1 / 0.8, size=100_000)   # a Pareto (Lomax) tail of shape 0.8
    >>> round(pareto_khat(np.log(pareto)), 2)
    0.81

    Parameters
    ----------
    log_weights : array_like, shape (S,)
        Natural logs of the weights, ``S >= 1``; ``-inf`` is a weight of 0. Only the
        differences matter (the weights need no normalising).
    n : int, optional
        The number of weights in the whole sample, when ``log_weights`` holds only its
        largest values (in any order): then at least ``pareto_tail_size(n) + 1`` of
        them are needed, more are ignored, and the answer is the one of the whole
        sample, from O(sqrt(n)) memory. By default ``len(log_weights)``.

    Returns
    -------
    float
        The estimate of ``k``: below 0.5, the weights have a finite variance and the
        usual error bar holds; from 0.5 to :func:`khat_threshold` (0.7 for 2,200
        weights or more) the estimate converges but slowly; above it the estimate and
        its error bar are unreliable. Special values:

        - NaN when there are too few weights to fit, that is when the tail has fewer
          than 5 (``n < 21``), or when every weight is 0;
        - ``-inf`` when the tail is flat (the ``M + 1`` largest weights are all equal,
          as for crude Monte Carlo, whose weights are all 1): no tail at all, the
          lightest there is.

    Raises
    ------
    ValueError
        When ``log_weights`` is not one-dimensional, is empty, holds NaN or ``+inf``,
        or (with ``n``) holds fewer than ``pareto_tail_size(n) + 1`` or more than
        ``n`` values; when ``n`` is not an integer >= 1.

    See Also
    --------
    pareto_diagnostic : the same, with the tail size and the threshold.

    Notes
    -----
    With ``y_1 <= ... <= y_M`` the exceedances of the tail weights over the threshold,
    the profile log-likelihood of ``theta = -k / sigma`` is
    :math:`\ell(\theta) = M (\log(-\theta / \hat k(\theta)) - \hat k(\theta) - 1)` with
    :math:`\hat k(\theta) = \frac1M \sum_i \log(1 - \theta y_i)`; its posterior mean
    over the grid :math:`\theta_j = 1/y_M + (1 - \sqrt{m / (j - 1/2)}) / (3 y_{(M/4)})`,
    ``j = 1..m``, ``m = 30 + floor(sqrt(M))``, gives :math:`\hat k = \hat k(\bar\theta)`,
    reported as :math:`(M \hat k + 10 \cdot 0.5) / (M + 10)`. Here every
    :math:`1 - \theta_j y_i` is written as a sum of two non-negative terms whose logs
    come from the log weights, so no weight is ever exponentiated on its own.

    Ties: tail weights equal to the threshold are exceedances of 0 and stay in the fit;
    when the first quartile of the exceedances is 0 the grid is centred on the
    smallest positive one instead.
    """
    return _fit(log_weights, n)[0]


def pareto_diagnostic(log_weights: ArrayLike, *, n: int | None = None) -> ParetoDiagnostic:
    """The k-hat of :func:`pareto_khat` with the tail size and threshold it goes with.

    >>> import numpy as np
    >>> rng = np.random.default_rng(2)
    >>> d = pareto_diagnostic(np.log(rng.pareto(1.0, size=10_000)))   # shape 1: no mean
    >>> d.tail_size, d.threshold, d.reliable
    (300, 0.7, False)

    Parameters
    ----------
    log_weights : array_like, shape (S,)
        As in :func:`pareto_khat`.
    n : int, optional
        As in :func:`pareto_khat`: the size of the whole sample when ``log_weights``
        holds only its largest values.

    Returns
    -------
    ParetoDiagnostic
    """
    khat, n = _fit(log_weights, n)[:2]
    return ParetoDiagnostic(khat, n, pareto_tail_size(n), khat_threshold(n))


# ---------------------------------------------------------------------- the fit
def _fit(log_weights: ArrayLike, n: int | None) -> tuple[float, int]:
    x = np.asarray(log_weights, dtype=float)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(
            f"`log_weights` must be a one-dimensional array with at least one value, "
            f"but got shape {x.shape}."
        )
    if np.isnan(x).any() or (x == np.inf).any():
        bad = x[np.isnan(x) | (x == np.inf)][0]
        raise ValueError(f"`log_weights` must be finite or -inf (a weight of 0), but got {bad}.")
    if n is None:
        n = x.size
    else:
        n = _count(n, "n")
        if x.size > n:
            raise ValueError(
                f"`log_weights` holds {x.size} values, more than the sample size n={n}."
            )
    size = pareto_tail_size(n)
    if n != x.size and x.size < min(size + 1, n):
        raise ValueError(
            f"`log_weights` must hold the pareto_tail_size(n) + 1 = {size + 1} largest log "
            f"weights of the sample of n={n}, but got {x.size}."
        )
    if size < MIN_TAIL:
        return math.nan, n
    top = np.sort(np.partition(x, x.size - size - 1)[x.size - size - 1 :])
    if top[-1] == -np.inf:  # every weight is 0: nothing to fit
        return math.nan, n
    return _khat_from_sorted(top - top[-1]), n


def _khat_from_sorted(top: np.ndarray) -> float:
    """k-hat from the ``M + 1`` largest log weights, sorted, the largest shifted to 0."""
    cutoff, tail = top[0], top[1:]
    if tail[-1] == cutoff:
        return -math.inf  # a flat tail: no exceedances at all
    size = tail.size
    # log exceedances log(e^t - e^c) = t + log(1 - e^(c - t)), scaled by the largest
    above = tail > cutoff  # ties with the threshold are exceedances of 0
    gap = np.where(above, cutoff - np.where(above, tail, 0.0), -np.inf)
    with np.errstate(divide="ignore"):
        log_y = np.where(above, tail + np.log(-np.expm1(gap)), -np.inf)
    log_y -= log_y[-1]
    # the first quartile centres the grid (the smallest positive exceedance on ties)
    log_quartile = log_y[int(size / 4 + 0.5) - 1]
    if log_quartile == -np.inf:
        log_quartile = log_y[np.isfinite(log_y)][0]
    m = 30 + math.isqrt(size)
    spread = np.sqrt(m / (np.arange(1, m + 1) - 0.5)) - 1.0  # > 0
    # theta_j y_M = 1 - a_j with log a_j = log(spread_j / 3) - log(y_q / y_M)
    log_a = np.log(spread / 3.0) - log_quartile
    with np.errstate(divide="ignore"):
        log_1_minus_z = np.log(-np.expm1(log_y))  # log(1 - y_i / y_M); -inf at i = M
    # log(1 - theta_j y_i) = log((1 - y_i / y_M) + a_j y_i / y_M): two non-negative terms
    xi = np.logaddexp(log_1_minus_z, log_a[:, None] + log_y).mean(axis=1)
    # profile log-likelihood; -theta / xi > 0 on the whole grid (opposite signs)
    log_abs_theta = np.where(log_a < 0, _log1mexp(-log_a), log_a + _log1mexp(log_a))
    mean_z = float(np.exp(log_y).mean())
    near_zero = np.abs(log_a) < 1e-10  # theta = 0: -theta / xi -> 1 / mean(z)
    log_ratio = np.where(
        near_zero, -math.log(mean_z), log_abs_theta - np.log(np.abs(np.where(near_zero, 1, xi)))
    )
    profile = size * (log_ratio - xi - 1.0)
    weights = np.exp(profile - profile.max())
    weights /= weights.sum()
    log_a_post = math.log(float(weights @ spread) / 3.0) - log_quartile
    khat = float(np.logaddexp(log_1_minus_z, log_a_post + log_y).mean())
    return (size * khat + _PRIOR_COUNT * _PRIOR_SHAPE) / (size + _PRIOR_COUNT)


def _log1mexp(a: np.ndarray) -> np.ndarray:
    """``log(1 - exp(-a))`` for ``a > 0`` (elsewhere a placeholder of 0)."""
    positive = np.maximum(a, 1e-300)
    return np.where(a > 0, np.log(-np.expm1(-positive)), 0.0)


def _count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"`{name}` must be an integer >= 1, but got {name}={value!r}.")
    return int(value)
