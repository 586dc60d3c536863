r"""Rare-event probabilities by multilevel cross-entropy importance sampling.

:func:`estimate` runs the one CE loop (:mod:`cemopt._run`, the same as
:func:`cemopt.minimize`) in its rare-event mode, :class:`RareEventCE`. What differs
from optimisation is the level rule, the weights and the final estimate:

1. **Levels.** Each iteration draws ``n_samples`` from the current proposal
   :math:`f(\cdot; v_{t-1})` and takes the level :math:`\gamma_t` as the
   :math:`\lceil \rho N \rceil`-th best score, capped at :math:`\gamma` (de Boer,
   Kroese, Mannor & Rubinstein 2005, Algorithm 2.1).
2. **Weights.** The elite is weighted by the likelihood ratios
   :math:`W = f(x; u) / f(x; v_{t-1})`. When they are so uneven that the elite has
   fewer than ``min_ess`` effective samples, the run draws further batches at the same
   proposal before it refits (:func:`cemopt.step.elite_indices` and
   :func:`cemopt.step.likelihood_ratio_weights` give the weights without a fit; only
   the last batch of a level pays for :func:`cemopt.step.refit`).
3. **Final estimate.** Once a level reaches :math:`\gamma`, a fresh sample from the
   last proposal, in batches of ``n_samples``, gives

   .. math:: \hat\ell = \frac{1}{N_1} \sum_{i=1}^{N_1} I\{S(X_i) \ge \gamma\} W(X_i),
             \qquad X_i \sim f(\cdot; \hat v_T).

   The final sample is fresh, never the last level's: reusing it biases the estimate
   towards the adaptation and understates its error.

Everything that involves a likelihood ratio is computed in log space, so 1e-100 (and
far smaller: see ``log_probability``) neither underflows nor loses digits.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from os import PathLike
from typing import Any

import numpy as np
from scipy.special import log_ndtr

from . import checkpoint as _checkpoint
from ._batch import batch_len, concat_rows, copy_row, take_rows
from ._progress import ProgressBar
from ._run import CERun, drive
from ._validation import as_rng, check_int, check_real, effective_sample_size
from .diagnostics import ParetoDiagnostic, pareto_diagnostic, pareto_tail_size
from .errors import ConvergenceWarning, DegenerateFitError
from .evaluate import DEFAULT_BLOCK_SIZE, Evaluator
from .families._base import accepts_scale_alpha, degeneracy_of, is_family
from .families._information import step_information
from .result import LEVEL_COLUMNS, RARE_EVENT_MESSAGES, LevelHistory, RareEventResult
from .step import elite_indices, refit

__all__ = ["RareEventCE", "estimate", "crude_monte_carlo"]

_EVENTS = (">=", "<=")
#: n_final when neither it nor max_evals is given
_DEFAULT_N_FINAL = 100_000
#: with max_evals and no n_final, at least this share of the budget is kept for the
#: final sample (the levels may use the rest; the final sample gets what they leave)
_FINAL_SHARE = 0.2
#: stops that end the level phase before gamma: no final sample, no estimate
_LEVEL_FAILURES = ("stalled", "max_iter", "max_evals", "degenerate elite")
#: event points of the levels kept for the coverage check, and its two thresholds: a
#: point counts when its nominal density is at least _COVERAGE_DENSITY times the design
#: point's, and is under-sampled when its ratio exceeds _COVERAGE_RATIO times p
_SEEN_CAP = 2000
_COVERAGE_DENSITY = 0.01
_COVERAGE_RATIO = 3000.0
#: the level rules: multilevel CE (de Boer et al. 2005) and the improved CE with a
#: smoothed indicator (Papaioannou, Geyer & Straub 2019)
_LEVEL_RULES = ("quantile", "smoothed", "none")


class RareEventCE(CERun):
    r"""Multilevel CE importance sampling as an ask/tell run.

    >>> import numpy as np, cemopt as ce
    >>> run = ce.RareEventCE(ce.Exponential([1.0] * 3), 20.0, n_final=5000, rng=0)
    >>> while not run.stop():
    ...     X = run.ask()
    ...     run.tell(X, X.sum(axis=1))
    >>> est = run.result()          # exact: P(Gamma(3) >= 20) = 4.5e-7
    >>> est.success, bool(abs(est.probability - 4.5e-7) < 4 * est.std_error)
    (True, True)

    The level phase refits the proposal on the elite of each batch (weighted by the
    likelihood ratios) until a level reaches ``gamma``; the final phase then draws
    fresh batches from the last proposal and accumulates the importance-sampling
    estimate. :meth:`ask` knows which phase it is in; the caller only scores.
    :func:`estimate` is the loop over this class.

    Parameters
    ----------
    nominal : Family
        The distribution of X (u).
    gamma : float
        The threshold; finite.
    proposal, event, n_samples, n_final, elite_frac, smoothing, scale_smoothing, \
max_iter, max_evals, time_limit, patience, min_ess, max_level_batches, rng
        As in :func:`estimate`.

    Attributes
    ----------
    family : Family
        The current proposal.
    phase : str
        ``"levels"`` or ``"final"``.
    termination : dict
        Empty while running; then ``{rule: detail}`` naming the rule that fired.
    """

    COLUMNS = LEVEL_COLUMNS
    KIND = "estimate"
    NAN_WARNING = (
        "S returned NaN; such samples count as outside the event (n_nan counts them), so "
        "the estimate is a lower bound."
    )

    def __init__(
        self,
        nominal: Any,
        gamma: float,
        *,
        proposal: Any = None,
        event: str = ">=",
        n_samples: int = 1000,
        n_final: int | None = None,
        elite_frac: float = 0.1,
        smoothing: float = 0.7,
        scale_smoothing: float | None = None,
        max_iter: int | None = 100,
        max_evals: int | None = None,
        time_limit: float | None = None,
        patience: int = 5,
        min_ess: float = 50.0,
        max_level_batches: int = 10,
        levels: str = "quantile",
        cov_target: float = 1.5,
        defensive: float = 0.05,
        rng: Any = None,
    ) -> None:
        if not is_family(nominal):
            raise TypeError(
                "`nominal` must implement sample/logpdf/fit/blend (see cemopt.families.Family), "
                f"but got {type(nominal).__name__}."
            )
        if proposal is not None and not is_family(proposal):
            raise TypeError(
                "`proposal` must implement sample/logpdf/fit/blend (see cemopt.families.Family), "
                f"but got {type(proposal).__name__}."
            )
        self.gamma = check_real(gamma, "gamma")
        if not math.isfinite(self.gamma):
            raise ValueError(f"`gamma` must be finite, but got gamma={gamma!r}.")
        if event not in _EVENTS:
            raise ValueError(f"`event` must be '>=' or '<=', but got event={event!r}.")
        self.event = event
        self.n_samples = check_int(n_samples, "n_samples", minimum=1)
        self.n_final = check_int(n_final, "n_final", minimum=1, allow_none=True)
        self.elite_frac = check_real(
            elite_frac, "elite_frac", low=0, high=1, low_open=True, high_open=True
        )
        if self.elite_frac * self.n_samples < 1:
            raise ValueError(
                "`elite_frac * n_samples >= 1` must hold (at least one elite sample), but got "
                f"elite_frac={elite_frac!r}, n_samples={n_samples!r}."
            )
        self.smoothing = check_real(smoothing, "smoothing", low=0, high=1, low_open=True)
        family = nominal if proposal is None else proposal
        # optional family members are probed, never assumed: a family with the four
        # protocol methods has no separate scale weight, and its blend is not given one
        if accepts_scale_alpha(family):
            self.scale_smoothing = check_real(
                0.0 if scale_smoothing is None else scale_smoothing,
                "scale_smoothing",
                low=0,
                high=1,
            )
        elif scale_smoothing is not None:
            raise TypeError(
                f"`scale_smoothing` needs a family whose blend takes `scale_alpha`, but "
                f"{type(family).__name__}.blend does not; leave scale_smoothing=None."
            )
        else:
            self.scale_smoothing = None
        self._init_budgets(
            max_iter=max_iter,
            max_evals=max_evals,
            time_limit=time_limit,
            rng=rng,
            default_max_iter=100,
        )
        self.patience = check_int(patience, "patience", minimum=1)
        self.min_ess = check_real(min_ess, "min_ess", low=0)
        self.max_level_batches = check_int(max_level_batches, "max_level_batches", minimum=1)
        if levels not in _LEVEL_RULES:
            raise ValueError(
                f"`levels` must be one of {list(_LEVEL_RULES)}, but got levels={levels!r}."
            )
        self.levels = levels
        self.cov_target = check_real(cov_target, "cov_target", low=0, low_open=True)
        self.defensive = check_real(defensive, "defensive", low=0, high=1, high_open=True)
        self._level_budget = self._check_budget()

        self.nominal = nominal
        self.initial_family = family
        self.family = family
        self.phase = "levels"
        self._sign = -1.0 if event == ">=" else 1.0  # internally smaller is better
        self._limit = self._sign * self.gamma  # the level the run must reach
        self._previous: float | None = None  # the last level, internal orientation
        self._stall = 0
        self._pending_X: Any = None  # batches drawn at the current level, not yet fitted
        self._pending_scores = np.empty(0)
        self._pending_batches = 0
        self._final_target = 0
        self._final = _FinalSum()
        self._sigma = math.inf  # the smoothed indicator's width (levels="smoothed")
        # the most likely point of the event seen so far, under the nominal density
        self._design_point: Any = None
        self._design_logpdf = -math.inf
        # the most likely event points of the level phase (at most _SEEN_CAP of them)
        self._seen: np.ndarray | None = None
        self._seen_logpdf = np.empty(0)
        if levels == "none":  # importance sampling from the given proposal, no levels
            self._start_final()

    def _check_budget(self) -> int | None:
        """The evaluations the levels may use; the rest is kept for the final sample."""
        if self.max_evals is None:
            return None
        if self.levels == "none":  # the whole budget is the final sample's
            return 0
        reserve = (
            self.n_final
            if self.n_final is not None
            else max(self.n_samples, math.ceil(_FINAL_SHARE * self.max_evals))
        )
        if self.max_evals < self.n_samples + reserve:
            raise ValueError(
                "`max_evals` must leave room for one level batch (n_samples="
                f"{self.n_samples}) and the final sample ({reserve}), so `max_evals >= "
                f"{self.n_samples + reserve}` must hold, but got max_evals={self.max_evals}."
            )
        return self.max_evals - reserve

    # ----------------------------------------------------------------- ask / tell
    def ask(self) -> Any:
        """Draw the next batch: a level batch, or the next part of the final sample."""
        self._start_clock()
        n = self.n_samples
        if self.phase == "final":
            n = max(1, min(self.n_samples, self._final_target - self._final.n_drawn))
        if self._defended():
            # a defensive share of the nominal (Hesterberg 1995): rows of either part,
            # their number binomial, so the batch is a sample of the mixture density
            n_nominal = int(self.rng.binomial(n, self.defensive))
            return concat_rows(
                self.nominal.sample(n_nominal, self.rng),
                self.family.sample(n - n_nominal, self.rng),
            )
        return self.family.sample(n, self.rng)

    def _defended(self) -> bool:
        # the first level samples the start proposal as given; a fitted one (or, with
        # no levels, the given one) is mixed with the nominal
        if self.defensive == 0 or self.family is self.nominal:
            return False
        return self.family is not self.initial_family or self.levels == "none"

    def proposal_logpdf(self, X: Any) -> np.ndarray:
        """Log density of the distribution :meth:`ask` samples (the proposal, mixed with
        the nominal at weight ``defensive`` after the first level)."""
        return self._log_densities(X)[1]

    def _log_densities(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(log f(x; u), log q(x))``: the nominal's and the sampling density's."""
        log_u = np.asarray(self.nominal.logpdf(X), float)
        if self.family is self.nominal:
            return log_u, log_u
        log_f = np.asarray(self.family.logpdf(X), float)
        if not self._defended():
            return log_u, log_f
        mixed = np.logaddexp(math.log(self.defensive) + log_u, math.log1p(-self.defensive) + log_f)
        return log_u, mixed

    def _log_ratio(self, X: Any) -> np.ndarray:
        """log f(x; u) - log q(x): the likelihood ratios of a batch from :meth:`ask`."""
        log_u, log_q = self._log_densities(X)
        return log_u - log_q

    def tell(self, X: Any, values: Any) -> None:
        """Take the scores ``S(X)`` of the batch :meth:`ask` gave."""
        n = batch_len(X)
        if n == 0:
            raise ValueError("`X` must hold at least one sample, but got an empty batch.")
        scores = self._sign * self._scores(X, values, n)
        self._note_design_point(X, scores)
        if self.phase == "final":
            self._add_final(X, scores)
        elif self.levels == "smoothed":
            self._add_smoothed_batch(X, scores)
        else:
            self._add_level_batch(X, scores)
        if not self.termination and self._out_of_time():
            self.termination = {"time_limit": self.time_limit}

    def _add_level_batch(self, X: Any, scores: np.ndarray) -> None:
        if self._pending_batches:
            self._pending_X = concat_rows(self._pending_X, X)
            self._pending_scores = np.concatenate([self._pending_scores, scores])
        else:
            self._pending_X, self._pending_scores = X, scores
        self._pending_batches += 1
        X, scores = self._pending_X, self._pending_scores
        try:
            elite, level = elite_indices(
                scores, self.elite_frac, self._limit, _required_progress(self._previous, scores)
            )
            X_elite = take_rows(X, elite)
            weights = _scaled(self._log_ratio(X_elite))
        except DegenerateFitError as exc:
            self._end_levels({"degenerate elite": str(exc)})
            return
        ess = effective_sample_size(weights, elite.size)
        if level <= self._limit and self._sampling_nominal():
            # the first batch, drawn from the nominal itself, already reaches gamma: the
            # event is not rare, and the nominal is the right final proposal (weights 1,
            # an estimate never above 1)
            self._record_first_level(scores, elite.size, float(elite.size))
            self._start_final()
            return
        if (
            ess < self.min_ess
            and self._pending_batches < self.max_level_batches
            and self._room_for_a_batch()
        ):
            # too few effective elite samples for a trustworthy fit (deep levels make the
            # likelihood ratios uneven): the next ask draws another batch at this level
            return
        try:
            _, smoothed = refit(
                self.family,
                X_elite,
                weights,
                alpha=self.smoothing,
                scale_alpha=self.scale_smoothing,
            )
        except DegenerateFitError as exc:
            self._end_levels({"degenerate elite": str(exc)})
            return
        # progress below float resolution of the level is no progress
        previous = self._previous
        resolution = 1e-12 * max(1.0, abs(previous)) if previous is not None else 0.0
        progressed = previous is None or level < previous - resolution
        self._stall = 0 if progressed else self._stall + 1
        self._previous = level if previous is None else min(previous, level)
        entropy, kl = step_information(smoothed, self.family)  # H(new), KL(new || old)
        self.family = smoothed
        self.nit += 1
        self._columns.append(
            {
                "level": self._sign * level,
                "n_elite": elite.size,
                "elite_ess": ess,
                "n_batches": self._pending_batches,
                "nfev": self.nfev,
                "degeneracy": degeneracy_of(smoothed),
                "entropy": entropy,
                "kl": kl,
                "sigma": math.nan,
            }
        )
        self._pending_X, self._pending_scores, self._pending_batches = None, np.empty(0), 0
        if level <= self._limit:
            self._start_final()
        elif self._stall >= self.patience:
            self._end_levels({"stalled": self.patience})
        elif self.max_iter is not None and self.nit >= self.max_iter:
            self._end_levels({"max_iter": self.max_iter})
        elif not self._room_for_a_batch():
            self._end_levels({"max_evals": self.max_evals})

    def _add_smoothed_batch(self, X: Any, scores: np.ndarray) -> None:
        """The improved CE level rule (Papaioannou, Geyer & Straub 2019): the indicator
        of the event is replaced by ``Phi((limit - score) / sigma)``, with ``sigma``
        lowered each iteration so that the weights ``Phi W`` of the batch have the
        coefficient of variation ``cov_target``; every sample is used in the fit. The
        levels end once the ratios ``I / Phi(.../sigma)`` of the batch have a
        coefficient of variation at most ``cov_target``: the smoothed target is then
        close enough to the event's indicator for the final sample."""
        margin = self._limit - scores  # > 0 inside the event; NaN scores weigh nothing
        log_w = self._log_ratio(X)
        usable = np.isfinite(margin) & np.isfinite(log_w)
        margin, log_w = np.where(usable, margin, -np.inf), np.where(usable, log_w, -np.inf)
        inside = margin >= 0
        if self._sampling_nominal() and inside.any():
            # from the nominal the ratios I / Phi are the indicator itself: a common
            # event (coefficient of variation sqrt((1 - q) / q) within target) needs no
            # levels, and the nominal is the final proposal (weights 1, never above 1)
            share = inside.mean()
            if math.sqrt((1.0 - share) / share) <= self.cov_target:
                self._record_level(scores, int(inside.sum()), float(inside.sum()), math.inf)
                self._start_final()
                return
        if math.isfinite(self._sigma) and inside.any():
            ratio = np.where(
                inside, -log_ndtr(np.where(inside, margin, 0.0) / self._sigma), -np.inf
            )
            if _cov_of_log(ratio) <= self.cov_target:
                self._record_level(scores, int(inside.sum()), float(inside.sum()), self._sigma)
                self._start_final()
                return
        sigma = _smoothing_width(margin, log_w, self._sigma, self.cov_target)
        log_fit = log_ndtr(margin / sigma) + log_w
        if not np.isfinite(log_fit).any():
            self._end_levels({"degenerate elite": "no sample of the batch carries weight"})
            return
        weights = np.exp(log_fit - log_fit.max())
        try:
            _, smoothed = refit(
                self.family, X, weights, alpha=self.smoothing, scale_alpha=self.scale_smoothing
            )
        except DegenerateFitError as exc:
            self._end_levels({"degenerate elite": str(exc)})
            return
        progressed = sigma < self._sigma * (1 - 1e-9)
        self._stall = 0 if progressed else self._stall + 1
        self._sigma = sigma
        entropy, kl = step_information(smoothed, self.family)
        self.family = smoothed
        self.nit += 1
        ess = effective_sample_size(weights, weights.size)
        self._record_level(scores, int(inside.sum()), ess, sigma, entropy, kl)
        if self._stall >= self.patience and inside.any():
            # the smoothing width stopped narrowing while the proposal reaches the event
            # (a plateau: on the sum of 1000 normals, 2 runs in 10 stopped 2% above the
            # width where the others drew their final sample): a fresh final sample
            # judges that proposal by its own checks instead of giving up
            self._start_final()
        elif self._stall >= self.patience:
            self._end_levels({"stalled": self.patience})
        elif self.max_iter is not None and self.nit >= self.max_iter:
            self._end_levels({"max_iter": self.max_iter})
        elif not self._room_for_a_batch():
            self._end_levels({"max_evals": self.max_evals})

    def _record_level(self, scores, n_elite, ess, sigma, entropy=math.nan, kl=math.nan) -> None:
        """A history row of the smoothed rule: its level is where the batch stands (the
        elite quantile, capped at gamma), its ``sigma`` the indicator's width."""
        valid = scores[~np.isnan(scores)]
        k = min(max(1, math.ceil(self.elite_frac * valid.size)), valid.size)
        level = (
            max(float(np.partition(valid, k - 1)[k - 1]), self._limit) if valid.size else math.nan
        )
        self._columns.append(
            {
                "level": self._sign * level,
                "n_elite": n_elite,
                "elite_ess": ess,
                "n_batches": 1,
                "nfev": self.nfev,
                "degeneracy": degeneracy_of(self.family),
                "entropy": entropy,
                "kl": kl,
                "sigma": sigma,
            }
        )

    def _note_design_point(self, X: Any, scores: np.ndarray) -> None:
        """Keep the event point of highest nominal density seen (the design point, or
        most probable failure point, of reliability analysis)."""
        hit = np.flatnonzero(scores <= self._limit)
        if not hit.size:
            return
        X_hit = take_rows(X, hit)
        log_u = np.asarray(self.nominal.logpdf(X_hit), float)
        i = int(np.argmax(log_u))
        if log_u[i] > self._design_logpdf:
            self._design_logpdf = float(log_u[i])
            self._design_point = copy_row(X_hit, i)
        if self.phase == "levels" and isinstance(X_hit, np.ndarray):
            # the most likely event points the levels met, for the coverage check
            seen = X_hit if self._seen is None else np.concatenate([self._seen, X_hit])
            log_seen = np.concatenate([self._seen_logpdf, log_u])
            if len(seen) > _SEEN_CAP:
                keep = np.argpartition(log_seen, len(seen) - _SEEN_CAP)[len(seen) - _SEEN_CAP :]
                seen, log_seen = seen[keep], log_seen[keep]
            self._seen, self._seen_logpdf = seen, log_seen

    def _uncovered(self, log_p: float) -> bool:
        """Whether the final proposal under-samples event points the levels met.

        The ideal proposal, the nominal restricted to the event, has likelihood ratio
        ``p`` everywhere in the event. An event point of non-negligible nominal density
        (at least 1% of the design point's) where the final proposal's ratio exceeds
        ``3000 p`` is sampled thousands of times less than it should be: a region the
        levels found but the final proposal left out, and the final sample will then
        almost surely miss its share of the probability. Measured: correct runs reach
        ``W / p`` of e^2 to e^7 at the fringes of their proposals (e^7 on a 30-link
        network); points that only the defensive share covers reach ``1 / (defensive
        p)``, e^8 to e^9 on the four-branch system. So a region is caught this way only
        when ``p < defensive / 3000``; a commoner event leaves it to the runs' agreement.
        """
        if self._seen is None or not math.isfinite(log_p):
            return False
        relevant = self._seen_logpdf >= self._design_logpdf + math.log(_COVERAGE_DENSITY)
        if not relevant.any():
            return False
        log_w = self._log_ratio(self._seen[relevant])
        return bool(np.max(log_w) > math.log(_COVERAGE_RATIO) + log_p)

    def _sampling_nominal(self) -> bool:
        """Whether the batches come from the nominal itself (the first level, with the
        nominal as the starting proposal)."""
        return self.nit == 0 and self.family is self.initial_family and self.family is self.nominal

    def _record_first_level(self, scores: np.ndarray, n_elite: int, ess: float) -> None:
        self._previous = self._limit
        self.nit += 1
        self._columns.append(
            {
                "level": self._sign * self._limit,
                "n_elite": n_elite,
                "elite_ess": ess,
                "n_batches": self._pending_batches,
                "nfev": self.nfev,
                "degeneracy": degeneracy_of(self.family),
                "entropy": math.nan,
                "kl": 0.0,
                "sigma": math.nan,
            }
        )
        self._pending_X, self._pending_scores, self._pending_batches = None, np.empty(0), 0

    def _room_for_a_batch(self) -> bool:
        return self._level_budget is None or self.nfev + self.n_samples <= self._level_budget

    def _end_levels(self, reason: dict[str, Any]) -> None:
        self.termination = reason

    def _start_final(self) -> None:
        self.phase = "final"
        if self.n_final is not None:
            self._final_target = self.n_final
        elif self.max_evals is not None:
            self._final_target = self.max_evals - self.nfev  # what the levels left
        else:
            self._final_target = _DEFAULT_N_FINAL
        self._final.plan(self._final_target)

    def _add_final(self, X: Any, scores: np.ndarray) -> None:
        hit = scores <= self._limit  # NaN compares False: outside the event
        X_hit = take_rows(X, hit)
        log_w = self._log_ratio(X_hit)
        self._final.add(log_w, len(scores), int(np.isnan(scores).sum()))
        if self._final.n_drawn >= self._final_target:
            self.termination = {"final": True}

    def _absorb_partial(self, X: Any, scores: np.ndarray) -> None:
        # the rows of a final batch cut short are a smaller i.i.d. sample from the final
        # proposal: they join the estimate; a level batch cut short is not fitted
        self._note_design_point(X, self._sign * scores)
        if self.phase == "final":
            self._add_final(X, self._sign * scores)

    # -------------------------------------------------------------------- result
    def result(self) -> RareEventResult:
        """The estimate so far (none before the final phase), and whether to trust it."""
        reason = next(iter(self.termination), "running")
        final = self._final.estimate() if self.phase == "final" else _NO_ESTIMATE
        verdict = self._verdict(final) if self.phase == "final" else None
        if reason == "final":
            # in the final phase a stall count at patience means the levels plateaued
            plateau = self.levels == "smoothed" and self._stall >= self.patience
            status = verdict or ("plateau" if plateau else "converged")
            success, message = RARE_EVENT_MESSAGES[status]
        else:
            status = reason
            success, message = RARE_EVENT_MESSAGES[status]
            detail = self.termination.get(reason)
            if reason == "degenerate elite" and isinstance(detail, str):
                # say what the fit met, not only the usual suspects
                message = (
                    f"The proposal could not be fitted to the level's samples: {detail} "
                    "No final sample was drawn, there is no estimate."
                )
            if self.phase == "levels" and reason not in _LEVEL_FAILURES:
                message += " No level had reached gamma: no final sample, no estimate."
            elif self.phase == "final" and reason != "running":
                success = verdict is None
                cut = f" The final sample was cut to {self._final.n_drawn} of"
                cut += f" {self._final_target} draws"
                if success:
                    message += cut + "; the estimate and its error bar use those."
                else:
                    message += cut + ". " + RARE_EVENT_MESSAGES[verdict][1]
        history = LevelHistory.from_columns(self._columns)
        return RareEventResult(
            probability=final["probability"],
            std_error=final["std_error"],
            relative_error=final["relative_error"],
            log_probability=final["log_probability"],
            levels=history.level,
            proposal=self.family,
            nfev=self.nfev,
            n_final=self._final.n_drawn,
            n_hits=self._final.n_hits,
            ess=final["ess"],
            success=success,
            status=status,
            message=message,
            history=history,
            n_nan=self.n_nan,
            # a final sample from the nominal itself is crude Monte Carlo: its interval is
            # the exact binomial one
            method="crude"
            if self.phase == "final" and self.family is self.nominal
            else "cross-entropy",
            interrupted=reason == "interrupted",
            design_point=None if self._design_point is None else self._design_point.copy(),
            khat=self._khat_value(),
        )

    def _khat_value(self) -> float:
        diagnostic = self._final.khat() if self.phase == "final" else None
        return math.nan if diagnostic is None else float(diagnostic.khat)

    def _verdict(self, final: dict[str, float]) -> str | None:
        """Why the final estimate cannot be trusted, or None when it can."""
        if self._final.n_hits == 0:
            return "no hits"
        if final["probability"] > 1.0:
            return "above one"
        if final["ess"] < self.min_ess:
            return "degenerate weights"
        if self._uncovered(final["log_probability"]):
            return "uncovered event"
        # with a defensive share the weights stay below 1 / defensive: a finite variance
        # by construction, so the k-hat (which reads the tail of a finite sample and
        # also flags bounded but pre-asymptotic weights) is reported, not used
        diagnostic = self._final.khat() if self.defensive == 0 else None
        if diagnostic is not None and diagnostic.khat == diagnostic.khat:
            if not diagnostic.reliable:
                return "heavy weights"
        if self._final.n_nan:
            return "nan"
        return None

    def _progress_fields(self) -> dict[str, Any]:
        if self.phase == "final":
            return {
                "nit": self.nit,
                "nfev": self.nfev,
                "final": f"{self._final.n_drawn}/{self._final_target}",
            }
        level = self._columns.last("level") if len(self._columns) else float("nan")
        return {"nit": self.nit, "nfev": self.nfev, "level": level}

    # --------------------------------------------------------------- checkpoints
    def _state(self) -> dict[str, Any]:
        for family, what in ((self.family, "proposal"), (self.nominal, "nominal")):
            params = getattr(family, "params", None)
            if not isinstance(params, dict) or not callable(getattr(family, "with_params", None)):
                raise TypeError(
                    f"Checkpoints need families with `params` and `with_params`; the {what} "
                    f"{type(family).__name__} has not both."
                )
        return {
            "nominal": _checkpoint.family_fingerprint(self.nominal),
            "initial_family": _checkpoint.family_fingerprint(self.initial_family),
            "family": dict(self.family.params),
            "phase": self.phase,
            "counters": {
                "nit": self.nit,
                "nfev": self.nfev,
                "n_nan": self.n_nan,
                "stall": self._stall,
                "previous": self._previous,
                "warned_nan": self._warned_nan,
                "final_target": self._final_target,
                "sigma": self._sigma,
                "design_logpdf": self._design_logpdf,
            },
            "design_point": self._design_point,
            "seen": {"X": self._seen, "logpdf": self._seen_logpdf},
            "pending": {
                "X": self._pending_X,
                "scores": self._pending_scores,
                "batches": self._pending_batches,
            },
            "final": self._final.state(),
        }

    @classmethod
    def load(cls, path: str | PathLike, nominal: Any, gamma: float, **settings: Any) -> RareEventCE:
        """Continue a run saved with :meth:`save` (same nominal, gamma and settings).

        A differing setting or family raises ``ValueError`` naming it; a damaged or
        edited file raises :class:`cemopt.CheckpointError` naming the file.
        """
        state = _checkpoint.load_state(path)
        settings.pop("rng", None)
        run = cls(nominal, gamma, **settings)
        r = run._load_common(path, state)
        _checkpoint.check_fingerprint(r.get("nominal"), nominal, path, "nominal")
        _checkpoint.check_fingerprint(r.get("initial_family"), run.initial_family, path, "proposal")
        run.family = _checkpoint.restore_family(
            run.initial_family, r.dict("family"), path, "proposal"
        )
        run.phase = r.choice("phase", allowed=("levels", "final"))
        c = ("counters",)
        run.nfev = r.int(*c, "nfev")
        run.nit = r.int(*c, "nit", maximum=len(run._columns))
        if run.nit != len(run._columns):
            raise _checkpoint.CheckpointError(
                f"{path}: {run.nit} levels but {len(run._columns)} history rows."
            )
        run.n_nan = r.int(*c, "n_nan", maximum=run.nfev)
        run._stall = r.int(*c, "stall", maximum=run.nit)
        run._warned_nan = r.bool(*c, "warned_nan")
        previous = r.get(*c, "previous")
        run._previous = None if previous is None else r.real(*c, "previous", allow_inf=True)
        if run.levels == "quantile" and (previous is None) != (run.nit == 0):
            raise _checkpoint.CheckpointError(
                f"{path}: the saved last level and the number of levels disagree."
            )
        run._final_target = r.int(*c, "final_target")
        run._sigma = r.real(*c, "sigma", allow_inf=True, low=0.0)
        run._design_logpdf = r.real(*c, "design_logpdf", allow_inf=True)
        design = r.get("design_point")
        if (design is None) != (run._design_logpdf == -math.inf):
            raise _checkpoint.CheckpointError(
                f"{path}: the saved design point and its density disagree."
            )
        if design is not None:
            _checkpoint.check_sample_shape(design, nominal, path, "design point")
        run._design_point = design
        seen = r.get("seen", "X")
        seen_logpdf = r.array("seen", "logpdf")
        if seen is not None:
            if not isinstance(seen, np.ndarray) or seen.ndim != 2 or len(seen) != len(seen_logpdf):
                raise r.fail(("seen", "X"), f"{len(seen_logpdf)} event points", "other")
            if len(seen) > _SEEN_CAP:
                raise r.fail(("seen", "X"), f"at most {_SEEN_CAP} points", len(seen))
            _checkpoint.check_sample_shape(seen[0], nominal, path, "event point")
        run._seen, run._seen_logpdf = seen, seen_logpdf.astype(float)
        batches = r.int("pending", "batches", maximum=run.max_level_batches)
        pending_X = r.get("pending", "X")
        scores = r.get("pending", "scores")
        if batches:
            if not isinstance(scores, np.ndarray) or scores.shape != (batches * run.n_samples,):
                raise r.fail(("pending", "scores"), f"{batches * run.n_samples} scores", scores)
            if pending_X is None or batch_len(pending_X) != batches * run.n_samples:
                raise r.fail(("pending", "X"), f"{batches * run.n_samples} samples", "other")
            _checkpoint.check_sample_shape(
                take_rows(pending_X, 0), run.family, path, "pending batch"
            )
        run._pending_X = pending_X if batches else None
        run._pending_scores = np.asarray(scores, dtype=float) if batches else np.empty(0)
        run._pending_batches = batches
        run._final = _FinalSum.from_state(r, run.nfev)
        if run.phase == "levels" and run._final.n_drawn:
            raise _checkpoint.CheckpointError(f"{path}: final samples recorded during the levels.")
        if run._final.n_drawn > run._final_target:
            raise _checkpoint.CheckpointError(
                f"{path}: more final samples ({run._final.n_drawn}) than planned "
                f"({run._final_target})."
            )
        saved_stop = r.dict("termination")
        allowed = set(RARE_EVENT_MESSAGES) | {"final"}
        if len(saved_stop) > 1 or not set(saved_stop) <= allowed:
            raise r.fail(("termination",), "one stopping rule", sorted(saved_stop))
        # budget stops are judged again under the budgets given now; others stand
        if saved_stop and next(iter(saved_stop)) not in ("max_iter", "max_evals", "time_limit"):
            run.termination = saved_stop
        elif run.phase == "levels":
            run.termination = run._level_budget_stop() or {}
        else:
            run.termination = {}
        return run

    def _level_budget_stop(self) -> dict[str, Any] | None:
        if self.max_iter is not None and self.nit >= self.max_iter:
            return {"max_iter": self.max_iter}
        if not self._room_for_a_batch():
            return {"max_evals": self.max_evals}
        return None

    def _settings(self) -> dict[str, Any]:
        """The settings a resumed run must share; the budgets may be raised."""
        return {
            "gamma": self.gamma,
            "event": self.event,
            "n_samples": self.n_samples,
            "n_final": self.n_final,
            "elite_frac": self.elite_frac,
            "smoothing": self.smoothing,
            "scale_smoothing": self.scale_smoothing,
            "patience": self.patience,
            "min_ess": self.min_ess,
            "max_level_batches": self.max_level_batches,
            "levels": self.levels,
            "cov_target": self.cov_target,
            "defensive": self.defensive,
        }


class _FinalSum:
    """Running sums of the final sample's weights, in log space.

    With ``top`` the largest log weight so far and ``z = exp(log_w - top)`` in
    (0, 1], the sums of ``z`` and ``z^2`` over the hits hold everything the estimate
    and its error need; they are rescaled whenever a larger weight arrives, so no
    weight ever under- or overflows.
    """

    def __init__(self) -> None:
        self.top = -math.inf
        self.s1 = 0.0
        self.s2 = 0.0
        self.n_drawn = 0
        self.n_hits = 0
        self.n_nan = 0
        # the largest log weights, enough for the Pareto k-hat of the planned sample
        self.tail = np.empty(0)
        self.tail_size = 0

    def plan(self, n_final: int) -> None:
        """Keep as many of the largest weights as the k-hat of ``n_final`` draws needs."""
        self.tail_size = pareto_tail_size(max(n_final, 1)) + 1

    def add(self, log_w: np.ndarray, n_drawn: int, n_nan: int) -> None:
        self.n_drawn += n_drawn
        self.n_hits += int(log_w.size)
        self.n_nan += n_nan
        finite = log_w[np.isfinite(log_w)] if log_w.size else log_w
        if not finite.size:  # misses, or hits outside the nominal support: weight 0
            return
        if self.tail_size:
            both = np.concatenate([self.tail, finite])
            keep = min(self.tail_size, both.size)
            self.tail = np.sort(np.partition(both, both.size - keep)[both.size - keep :])
        top = float(finite.max())
        if top > self.top:
            shrink = math.exp(self.top - top) if math.isfinite(self.top) else 0.0
            self.s1 *= shrink
            self.s2 *= shrink * shrink
            self.top = top
        z = np.exp(finite - self.top)
        self.s1 += float(z.sum())
        self.s2 += float(np.square(z).sum())

    def estimate(self) -> dict[str, float]:
        n = self.n_drawn
        if n == 0:  # nothing drawn yet: no estimate at all
            return _NO_ESTIMATE
        if self.n_hits == 0 or not math.isfinite(self.top):  # an estimate of 0, no error bar
            return {**_NO_ESTIMATE, "probability": 0.0, "log_probability": -math.inf}
        mean_z = self.s1 / n
        # variance of I*W over all n draws (the zeros of the misses included); the
        # relative error does not depend on the scale exp(top), so it survives underflow
        var_z = (self.s2 - n * mean_z**2) / (n - 1) if n > 1 else 0.0
        relative_error = math.sqrt(max(var_z, 0.0) / n) / mean_z
        log_p = self.top + math.log(mean_z)
        probability = math.exp(log_p)  # 0.0 below about 1e-308: log_probability keeps it
        return {
            "probability": probability,
            "log_probability": log_p,
            "std_error": relative_error * probability,
            "relative_error": relative_error,
            "ess": self.s1**2 / self.s2,
        }

    def khat(self) -> ParetoDiagnostic | None:
        """The Pareto k-hat of the final weights (zeros of the misses included), or
        None when there are too few draws to fit a tail."""
        n = self.n_drawn
        if n < 21 or not self.tail_size:
            return None
        need = pareto_tail_size(n) + 1
        tail = self.tail[-need:]
        if tail.size < need:  # fewer hits than the tail: the rest are weights of 0
            tail = np.concatenate([np.full(need - tail.size, -np.inf), tail])
        if not np.isfinite(tail).any():
            return None
        return pareto_diagnostic(tail, n=n)

    def state(self) -> dict[str, Any]:
        return {
            "tail": self.tail,
            "tail_size": self.tail_size,
            "top": self.top,
            "s1": self.s1,
            "s2": self.s2,
            "n_drawn": self.n_drawn,
            "n_hits": self.n_hits,
            "n_nan": self.n_nan,
        }

    @classmethod
    def from_state(cls, r: _checkpoint.Reader, nfev: int) -> _FinalSum:
        out = cls()
        out.n_drawn = r.int("final", "n_drawn", maximum=nfev)
        out.n_hits = r.int("final", "n_hits", maximum=out.n_drawn)
        out.n_nan = r.int("final", "n_nan", maximum=out.n_drawn)
        top = r.get("final", "top")
        out.top = -math.inf if top == -math.inf else r.real("final", "top")
        out.s1 = r.real("final", "s1", low=0.0)
        out.s2 = r.real("final", "s2", low=0.0)
        out.tail_size = r.int("final", "tail_size")
        out.tail = r.array("final", "tail")
        if out.tail.ndim != 1 or out.tail.size > out.tail_size or out.tail.size > out.n_hits:
            raise r.fail(("final", "tail"), f"at most {out.tail_size} log weights", out.tail.shape)
        out.tail = np.sort(out.tail.astype(float))
        if (out.s1 > 0) != math.isfinite(out.top) or (out.s1 > 0) != (out.s2 > 0):
            raise _checkpoint.CheckpointError(f"{r.path}: the saved final sums disagree.")
        return out


def _scaled(log_w: np.ndarray) -> np.ndarray:
    """Weights ``exp(log_w)`` rescaled so that the largest is 1 (the fit does not
    depend on their scale, and 1e-300 does not underflow)."""
    top = np.max(log_w) if log_w.size else -np.inf
    if not np.isfinite(top):
        raise DegenerateFitError(
            "Every elite sample has zero likelihood ratio (outside the nominal support)."
        )
    return np.exp(log_w - top)


def _cov_of_log(log_v: np.ndarray) -> float:
    """The coefficient of variation std/mean (population std) of ``exp(log_v)``, computed
    without under- or overflow; infinite when every value is 0."""
    top = np.max(log_v) if log_v.size else -np.inf
    if not np.isfinite(top):
        return math.inf
    v = np.exp(log_v - top)
    mean = v.mean()
    return float(np.sqrt(max(np.mean(v * v) - mean * mean, 0.0)) / mean)


def _smoothing_width(
    margin: np.ndarray, log_w: np.ndarray, previous: float, target: float
) -> float:
    """The width ``sigma <= previous`` at which the weights ``Phi(margin / sigma) W`` have
    the coefficient of variation ``target`` (bisection on log sigma; the coefficient
    grows as sigma shrinks). At the first level ``previous`` is infinite."""
    finite = np.abs(margin[np.isfinite(margin)])
    scale = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    high = min(previous, 1e3 * scale)
    low = 1e-12 * scale

    def cov(sigma: float) -> float:
        return _cov_of_log(log_ndtr(margin / sigma) + log_w)

    if cov(high) >= target:
        return high  # already as uneven as wanted: keep the width
    if cov(low) <= target:
        return low  # even the sharp indicator is within target
    lo, hi = math.log(low), math.log(high)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if cov(math.exp(mid)) > target:
            lo = mid
        else:
            hi = mid
    return math.exp(hi)


#: what the final stage reports without an estimate: no number, no error bar
_NO_ESTIMATE = {
    "probability": math.nan,
    "log_probability": math.nan,
    "std_error": math.nan,
    "relative_error": math.nan,
    "ess": 0.0,
}


def _required_progress(previous: float | None, values: np.ndarray) -> float | None:
    """The level a new one must beat: the last level, or at the first level the worst
    score, so that a level keeping the whole batch (ties on discrete scores) moves on
    to the nearest attainable value instead of wasting a step on no information."""
    if previous is not None:
        return previous
    valid = values[~np.isnan(values)]
    return float(valid.max()) if valid.size else None


def estimate(
    S: Callable[..., Any],
    nominal: Any,
    gamma: float,
    *,
    n_samples: int = 1000,
    n_final: int | None = None,
    elite_frac: float = 0.1,
    smoothing: float = 0.7,
    scale_smoothing: float | None = None,
    proposal: Any = None,
    event: str = ">=",
    max_iter: int | None = 100,
    max_evals: int | None = None,
    time_limit: float | None = None,
    patience: int = 5,
    min_ess: float = 50.0,
    max_level_batches: int = 10,
    levels: str = "quantile",
    cov_target: float = 1.5,
    defensive: float = 0.05,
    vectorized: bool = True,
    executor: Executor | None = None,
    block_size: int | None = DEFAULT_BLOCK_SIZE,
    catch: Sequence[type[BaseException]] | type[BaseException] = (),
    rng: Any = None,
    callback: Callable[[RareEventResult], Any] | None = None,
    progress: bool = False,
    checkpoint: str | PathLike | None = None,
    resume: str | PathLike | None = None,
) -> RareEventResult:
    r"""Estimate P(S(X) >= gamma) for X ~ ``nominal`` by CE importance sampling.

    >>> import cemopt as ce
    >>> from scipy import stats
    >>> nominal = ce.Exponential([1.0] * 5)
    >>> est = ce.estimate(lambda X: X.sum(axis=1), nominal, 30.0, rng=0)
    >>> exact = stats.gamma.sf(30.0, 5)   # 3.6e-9
    >>> est.success, bool(abs(est.probability - exact) < 4 * est.std_error)
    (True, True)

    The same loop as :func:`cemopt.minimize` (see :class:`RareEventCE`), with the same
    budgets, stopping vocabulary, callback, progress bar, checkpoints and Ctrl-C.

    Parameters
    ----------
    S : callable
        The performance function: ``S(X) -> (n,)`` for a batch ``X`` of shape
        ``(n, d)`` (a dict of arrays for a ``Product`` family); with
        ``vectorized=False``, ``S(x) -> float`` for one sample.
    nominal : Family
        The distribution of X (u). It needs ``logpdf``, ``sample`` and ``fit``.
    gamma : float
        The threshold; finite.
    n_samples : int, default 1000
        Samples per level (N), and per batch of the final sample.
    n_final : int, optional
        Size of the fresh final sample (N1). Default: 100000; with ``max_evals``,
        whatever the levels leave of the budget.
    elite_frac : float, default 0.1
        rho: each level is the ``ceil(rho N)``-th best score, capped at gamma.
    smoothing : float, default 0.7
        alpha in (0, 1]: ``v_t = alpha * fit + (1 - alpha) * v_{t-1}``. Smoothing
        keeps discrete proposals away from probabilities 0 and 1, where they would
        stop sampling part of the event and bias the estimate.
    scale_smoothing : float, optional
        Weight of the fit for scale parameters (``Normal`` std, ``MultivariateNormal``
        covariance), for families whose ``blend`` takes ``scale_alpha``. Default 0
        there: the nominal scale is kept, a mean-shift proposal, the classic and robust
        choice for Gaussian inputs (refitting the scale on each elite shrinks it faster
        than the levels climb, until the proposal freezes). Any value in [0, 1].
    proposal : Family, optional
        The first importance-sampling density (default: ``nominal``). A richer family
        than the nominal one goes here, e.g. a :class:`cemopt.Mixture` of
        exponentials for several failure modes. Its support must cover the event.
    event : {">=", "<="}, default ">="
        Estimate P(S(X) >= gamma) or P(S(X) <= gamma).
    max_iter : int, default 100
        At most this many levels.
    max_evals : int, optional
        Evaluations of S in all, the final sample included. The levels may use what
        the final sample does not need (``n_final`` when given, otherwise at least a
        fifth of the budget); a level batch that would not fit ends the levels with
        status ``"max_evals"`` and no estimate. Once a level reaches gamma the final
        sample gets its share, so a run either makes its estimate within the budget
        or says it could not.
    time_limit : float, optional
        Seconds from the start, checked inside the scoring of every batch too. Time
        running out during the levels gives no estimate; during the final sample,
        the estimate uses the draws made so far (``n_final`` says how many), and
        ``success`` says whether its error bar can be trusted.
    patience : int, default 5
        Stop as stalled after this many levels in a row without progress. With
        ``levels="smoothed"``, a plateau (the width no longer narrowing) while part of
        the batch is in the event ends the levels instead: the final sample is drawn
        from that proposal and its own checks decide (``status="plateau"``).
    min_ess : float, default 50
        Effective sample size wanted of the weights. A level whose elite has less
        draws further batches of ``n_samples`` at the same proposal (up to
        ``max_level_batches`` in all) so that the fit rests on enough effective
        samples; a final sample with less is flagged (``status="degenerate
        weights"``): its relative error, about ``1 / sqrt(ess)``, is itself
        unreliable.
    max_level_batches : int, default 10
        At most this many batches of ``n_samples`` per level.
    levels : {"quantile", "smoothed"}, default "quantile"
        The level rule. ``"quantile"``: multilevel CE, each level the elite quantile
        (de Boer et al. 2005). ``"smoothed"``: the improved CE of Papaioannou, Geyer &
        Straub (2019): the event's indicator is smoothed to ``Phi((gamma - S) /
        sigma)`` (for ``event=">="``), ``sigma`` shrinks so that the weights keep the
        coefficient of variation ``cov_target``, and every sample of a batch, not only
        an elite, goes into the fit; better for mixtures and several failure regions.
        ``"none"``: no levels; the final sample comes straight from ``proposal``
        (with its defensive share): importance sampling with a proposal found before,
        for example by another run.
    cov_target : float, default 1.5
        With ``levels="smoothed"``: the coefficient of variation of the weights at each
        level, and the criterion for ending the levels (the reference implementation's
        default).
    defensive : float, default 0.05
        Share of the nominal density mixed into every proposal after the first
        (defensive importance sampling, Hesterberg 1995): the likelihood ratios stay
        below ``1 / defensive``, so their variance is finite whatever the fit did, at
        the price of that share of the samples. Measured: a Normal proposal for an
        Exponential nominal (lighter tails: infinite-variance weights) covered the
        exact value in 3 of the 5 runs of 30 that the Pareto k-hat let through without
        it, and in 28 of 30 with 5%; the reference models' WNRV moved within their
        confidence intervals (``benchmarks/RESULTS.md``). With 0 the final weights are
        checked by the Pareto k-hat instead (``status="heavy weights"``).
    vectorized, executor, block_size, catch
        How S is evaluated, as in :func:`cemopt.minimize`. NaN values of S count as
        outside the event, are counted in ``n_nan`` and make the result a flagged
        lower bound.
    rng : None, int or numpy.random.Generator
        Source of randomness.
    callback : callable, optional
        ``callback(intermediate_result)`` after every batch (levels and final
        sample), the last one included, with the estimate so far (NaN before the
        final sample); returning True or raising StopIteration stops the run with
        status ``"callback"`` (during the final sample: with the estimate so far,
        e.g. once its relative error is small enough).
    progress : bool, default False
        A one-line progress bar on stderr (levels, evaluations, current level).
    checkpoint : path, optional
        Save the state after every batch to this ``.npz`` file (see
        :func:`cemopt.minimize`).
    resume : path, optional
        Continue the run saved in this checkpoint (same S, nominal, gamma and
        settings; the budgets may be raised), ending bit for bit where the
        uninterrupted run would have.

    Returns
    -------
    RareEventResult
        ``probability, std_error, relative_error, ci(level), levels, proposal, nfev,
        ess, success, message, history`` and more. ``success`` is True only when the
        error bar can be trusted. When the levels fail (stalled, ``max_iter``,
        ``max_evals``, time out, degenerate elite) no final sample is drawn and the
        probability is NaN; when the final weights fail (no hits, degenerate
        weights, NaN values of S) the numbers are given but ``success`` is False.
        Either way ``message`` says why and a :class:`cemopt.ConvergenceWarning` is
        issued. Ctrl-C returns what the run has, marked ``status="interrupted"``.

    Notes
    -----
    On discrete scores the level quantile can tie with the previous level; the level
    then moves to the nearest attainable value beyond it, so that a sum of rare
    Bernoulli failures climbs one count at a time instead of stalling (see
    :func:`cemopt.step.elite_indices`).

    References
    ----------
    de Boer, Kroese, Mannor & Rubinstein (2005), A tutorial on the cross-entropy
    method, Ann. Oper. Res. 134, 19-67. Rubinstein & Kroese (2004), The
    Cross-Entropy Method, Springer, ch. 3.
    """
    if not callable(S):
        raise TypeError(f"`S` must be callable, but got S={S!r}.")
    settings = dict(
        proposal=proposal,
        event=event,
        n_samples=n_samples,
        n_final=n_final,
        elite_frac=elite_frac,
        smoothing=smoothing,
        scale_smoothing=scale_smoothing,
        max_iter=max_iter,
        max_evals=max_evals,
        time_limit=time_limit,
        patience=patience,
        min_ess=min_ess,
        max_level_batches=max_level_batches,
        levels=levels,
        cov_target=cov_target,
        defensive=defensive,
    )
    if callback is not None and not callable(callback):
        raise TypeError(f"`callback` must be callable or None, but got callback={callback!r}.")
    score = Evaluator(
        S, vectorized=vectorized, executor=executor, block_size=block_size, catch=catch
    )
    if resume is not None:
        run = RareEventCE.load(resume, nominal, gamma, **settings)
    else:
        run = RareEventCE(nominal, gamma, rng=rng, **settings)
    if checkpoint is not None:
        run._state()  # families that cannot be checkpointed are refused before any work
    bar = ProgressBar(run.max_iter, run.max_evals) if progress else None
    est = drive(run, score, callback=callback, progress=bar, checkpoint=checkpoint)
    if not est.success:
        warnings.warn(est.message, ConvergenceWarning, stacklevel=2)
    return est


def crude_monte_carlo(
    S: Callable[..., Any],
    nominal: Any,
    gamma: float,
    *,
    n: int,
    event: str = ">=",
    batch_size: int = 100_000,
    vectorized: bool = True,
    executor: Executor | None = None,
    catch: Sequence[type[BaseException]] | type[BaseException] = (),
    rng: Any = None,
) -> RareEventResult:
    """Crude Monte Carlo estimate of P(S(X) >= gamma), for comparison.

    >>> import cemopt as ce
    >>> est = ce.crude_monte_carlo(lambda X: X.sum(axis=1), ce.Exponential([1.0] * 5),
    ...                            12.0, n=100_000, rng=0)
    >>> est.n_hits, est.status, [round(v, 5) for v in est.ci(0.95)]  # exact 0.00760
    (779, 'crude', [0.00725, 0.00835])

    Parameters
    ----------
    S, nominal, gamma, event, vectorized, executor, catch, rng
        As in :func:`estimate`.
    n : int
        Number of samples, drawn and scored in batches of ``batch_size``.

    Returns
    -------
    RareEventResult
        With ``method="crude"``: ``probability = hits / n``, the binomial standard
        error, and an exact (Clopper-Pearson) ``ci``. With no hit, ``success`` is
        False: the estimate 0 says only that the probability is likely below
        about 3 / n; ``ci`` gives the exact upper bound.
    """
    S_, gamma, sign = _check_common(S, nominal, gamma, event)
    n = check_int(n, "n", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    generator = as_rng(rng)
    score = Evaluator(S_, vectorized=vectorized, executor=executor, catch=catch)
    counter = _NanCounter()
    hits = 0
    for start in range(0, n, batch_size):
        m = min(batch_size, n - start)
        values = sign * counter(score(nominal.sample(m, generator)))
        hits += int(np.count_nonzero(values <= sign * gamma))
    p = hits / n
    final = {
        "probability": p,
        "log_probability": math.log(p) if hits else -math.inf,
        "std_error": math.sqrt(p * (1 - p) / n),
        "relative_error": math.sqrt((1 - p) / (n * p)) if hits else math.nan,
        "n_hits": hits,
        "ess": float(hits),
        "n_nan": counter.total,
    }
    status = "no hits" if hits == 0 else "nan" if counter.total else "crude"
    return _result(final, status, [], nominal, n, n, counter.total, "crude")


# ------------------------------------------------------------- crude Monte Carlo
def _check_common(S: Any, nominal: Any, gamma: Any, event: str):
    if not callable(S):
        raise TypeError(f"`S` must be callable, but got S={S!r}.")
    if not is_family(nominal):
        raise TypeError(
            "`nominal` must implement sample/logpdf/fit/blend (see cemopt.families.Family), "
            f"but got {type(nominal).__name__}."
        )
    gamma = check_real(gamma, "gamma")
    if not math.isfinite(gamma):
        raise ValueError(f"`gamma` must be finite, but got gamma={gamma!r}.")
    if event not in _EVENTS:
        raise ValueError(f"`event` must be '>=' or '<=', but got event={event!r}.")
    return S, gamma, (-1.0 if event == ">=" else 1.0)


class _NanCounter:
    """Counts NaN values of S (warned once) and keeps them outside every event."""

    def __init__(self) -> None:
        self.total = 0

    def __call__(self, values: np.ndarray) -> np.ndarray:
        nan = np.isnan(values)
        if nan.any():
            if not self.total:
                warnings.warn(
                    "S returned NaN; such samples count as outside the event (n_nan counts "
                    "them), so the estimate is a lower bound.",
                    ConvergenceWarning,
                    stacklevel=3,
                )
            self.total += int(nan.sum())
        return values


def _result(final, status, rows, proposal, nfev, n_final, n_nan, method) -> RareEventResult:
    success, message = RARE_EVENT_MESSAGES[status]
    if not success:
        warnings.warn(message, ConvergenceWarning, stacklevel=3)
    history = LevelHistory.from_rows(rows)
    return RareEventResult(
        probability=final["probability"],
        std_error=final["std_error"],
        relative_error=final["relative_error"],
        log_probability=final["log_probability"],
        levels=history.level,
        proposal=proposal,
        nfev=nfev,
        n_final=n_final,
        n_hits=final["n_hits"],
        ess=final["ess"],
        success=success,
        status=status,
        message=message,
        history=history,
        n_nan=n_nan,
        method=method,
    )
