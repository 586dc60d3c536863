r"""The one CE step shared by optimisation and rare-event estimation.

Given a batch :math:`X_1, \dots, X_N \sim f(\cdot; v_{t-1})` and its scores (always
oriented so that *smaller is better*; the callers flip signs in exactly one place):

1. Elite selection (Rubinstein & Kroese 2004, Alg. 4.2.1 step 2, or de Boer et al.
   2005, eq. (9)): :math:`\hat\gamma_t` is the :math:`\lceil \rho N \rceil`-th smallest
   score; the elite are the samples with :math:`S(X_i) \le \hat\gamma_t`, so ties at
   the level are all elite, as in the CE definition of the level set. For rare events
   the level never passes the target: :math:`\hat\gamma_t \leftarrow \max(\hat\gamma_t,
   \gamma)` (eq. (10) of de Boer et al.). NaN scores are never elite.
2. Weighted maximum likelihood, which *is* the cross-entropy minimisation
   (de Boer et al. eq. (7)):
   :math:`\tilde v_t = \arg\max_v \sum_{i \in E} W_i \ln f(X_i; v)`, with
   :math:`W_i = 1` for optimisation and the likelihood ratio
   :math:`W_i = f(X_i; u) / f(X_i; v_{t-1})` for rare events, computed in log space.
3. Smoothing (eq. (12)): :math:`v_t = \alpha \tilde v_t + (1 - \alpha) v_{t-1}`, with
   an optional separate weight for scale parameters (dynamic smoothing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._batch import take_rows
from ._validation import effective_sample_size
from .errors import DegenerateFitError

__all__ = [
    "StepOutcome",
    "ce_step",
    "elite_indices",
    "likelihood_ratio_weights",
    "n_elite",
    "refit",
]


@dataclass(frozen=True, eq=False)
class StepOutcome:
    """What one CE step produced."""

    family: Any  # v_t: fitted and smoothed
    fitted: Any  # \tilde v_t: the raw weighted-ML fit on the elite
    level: float  # \hat\gamma_t, smaller is better
    elite: np.ndarray  # indices of the elite rows
    elite_ess: float  # effective sample size of the elite's weights (its size if unweighted)


def n_elite(elite_frac: float, n_samples: int) -> int:
    """``ceil(elite_frac * n_samples)``, immune to float noise (0.1 * 300 is 30, not 31)."""
    return max(1, math.ceil(round(elite_frac * n_samples, 9)))


def elite_indices(
    values: np.ndarray,
    elite_frac: float,
    level_limit: float | None = None,
    previous_level: float | None = None,
) -> tuple[np.ndarray, float]:
    """Indices of the elite and the level, for scores where smaller is better.

    With ``previous_level`` (rare events), a level that would not improve on it is
    replaced by the best-ranked attainable value beyond it: on discrete scores the
    quantile can tie with the previous level for ever (a sum of Bernoulli components
    is mostly 0), and the next attainable value is the smallest step that still makes
    progress (Rubinstein & Kroese 2004, section 4.7's modification for ties). If no
    sample improves on it, the level stays, and the caller counts a stall.

    Examples
    --------
    >>> elite_indices(np.array([3.0, 1.0, np.nan, 2.0, 1.0]), 0.4)
    (array([1, 4]), 1.0)
    >>> elite_indices(np.array([0.0, 0.0, 0.0, 0.0, -1.0]), 0.4)  # ties: all elite
    (array([0, 1, 2, 3, 4]), 0.0)
    >>> elite_indices(np.array([0.0, 0.0, 0.0, 0.0, -1.0]), 0.4, previous_level=0.0)
    (array([4]), -1.0)
    """
    valid = ~np.isnan(values)
    n_valid = int(valid.sum())
    if n_valid == 0:
        raise DegenerateFitError("No elite: every score in the batch is NaN.")
    k = min(n_elite(elite_frac, len(values)), n_valid)
    finite_values = values[valid]
    level = float(np.partition(finite_values, k - 1)[k - 1])  # the k-th smallest score
    if previous_level is not None and level >= previous_level:
        better = finite_values[finite_values < previous_level]
        if better.size:
            level = float(better.max())  # the nearest attainable level beyond the last one
    if level_limit is not None and level < level_limit:
        level = float(level_limit)  # a rare-event level never passes the target
    elite = np.flatnonzero(valid & (values <= level))
    if elite.size == 0:
        raise DegenerateFitError(f"No sample reached the level {level!r}.")
    return elite, level


def likelihood_ratio_weights(nominal: Any, proposal: Any, X: Any) -> np.ndarray:
    """Weights proportional to f(X; u) / f(X; v), computed in log space.

    The weights are rescaled so that the largest is 1: the weighted fit does not
    depend on their scale, and this keeps ratios like 1e-300 from underflowing.
    """
    log_w = np.asarray(nominal.logpdf(X), dtype=float) - np.asarray(proposal.logpdf(X), dtype=float)
    top = np.max(log_w) if log_w.size else -np.inf
    if not np.isfinite(top):
        raise DegenerateFitError(
            "Every elite sample has zero likelihood ratio (outside the nominal support)."
        )
    return np.exp(log_w - top)


def refit(
    family: Any,
    X_elite: Any,
    weights: np.ndarray | None,
    *,
    alpha: float,
    scale_alpha: float | None = None,
) -> tuple[Any, Any]:
    """Steps 2 and 3: weighted maximum likelihood on the elite, then smoothing.

    Returns ``(fitted, smoothed)``: the raw fit and ``alpha * fit + (1 - alpha) *
    family`` (with ``scale_alpha`` for scale parameters where the family's ``blend``
    takes it; pass None otherwise).

    >>> import cemopt as ce
    >>> fam = ce.Bernoulli([0.5, 0.5])
    >>> fitted, smoothed = refit(fam, np.array([[1, 0], [1, 1]]), None, alpha=0.5)
    >>> fitted.p.tolist(), smoothed.p.tolist()
    ([1.0, 0.5], [0.75, 0.5])
    """
    fitted = family.fit(X_elite, weights)  # step 2, eq. (7)
    if scale_alpha is None:  # step 3, eq. (12)
        return fitted, fitted.blend(family, alpha)
    return fitted, fitted.blend(family, alpha, scale_alpha=scale_alpha)


def ce_step(
    family: Any,
    X: Any,
    values: np.ndarray,
    *,
    elite_frac: float,
    alpha: float,
    scale_alpha: float | None = None,
    nominal: Any = None,
    level_limit: float | None = None,
    previous_level: float | None = None,
) -> StepOutcome:
    """One CE update: select the elite, refit by weighted ML, blend with ``family``.

    The three parts are also available one by one (:func:`elite_indices`,
    :func:`likelihood_ratio_weights`, :func:`refit`), so that a rule that needs only
    the elite's weights (the rare-event effective sample size) costs no fit.

    Parameters
    ----------
    family : Family
        The family that drew ``X`` (v_{t-1}).
    X : array or dict of arrays
        The batch, samples on axis 0.
    values : ndarray, shape (n,)
        Scores, smaller is better; NaN is never elite.
    elite_frac : float
        rho, the elite fraction.
    alpha, scale_alpha : float
        Smoothing weights (``scale_alpha`` for scale parameters, when given; the
        family's ``blend`` must then take it, see :func:`accepts_scale_alpha`).
    nominal : Family, optional
        For rare events: the nominal density u; the elite is then weighted by the
        likelihood ratio f(x; u) / f(x; v_{t-1}).
    level_limit : float, optional
        The level never goes below it (the rare-event target, sign-flipped).
    previous_level : float, optional
        Rare events: the last level, which the new one must improve on when any
        sample allows it (see :func:`elite_indices`).

    Raises
    ------
    DegenerateFitError
        No valid elite, or the fit failed for lack of weight.

    Examples
    --------
    >>> import cemopt as ce
    >>> rng = np.random.default_rng(0)
    >>> fam = ce.Normal(mean=[0.0], std=[1.0])
    >>> X = fam.sample(1000, rng)
    >>> out = ce_step(fam, X, (X[:, 0] - 2.0) ** 2, elite_frac=0.1, alpha=1.0)
    >>> bool(out.family.params["mean"][0] > 1.0)
    True
    """
    elite, level = elite_indices(values, elite_frac, level_limit, previous_level)  # step 1
    X_elite = take_rows(X, elite)
    weights = None if nominal is None else likelihood_ratio_weights(nominal, family, X_elite)
    fitted, smoothed = refit(family, X_elite, weights, alpha=alpha, scale_alpha=scale_alpha)
    ess = float(elite.size) if weights is None else effective_sample_size(weights, elite.size)
    return StepOutcome(family=smoothed, fitted=fitted, level=level, elite=elite, elite_ess=ess)
