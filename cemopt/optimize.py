"""The CE optimiser: ``CrossEntropy`` (ask/tell) and ``minimize``/``maximize``.

There is one engine, :class:`CrossEntropy`; :func:`minimize` and :func:`maximize` are
short loops over it, so the two can never drift apart. Inside, everything is
minimised: ``maximize=True`` flips the sign of the scores in ``tell`` and back in
``result``, nowhere else.
"""

from __future__ import annotations

import inspect
import logging
import math
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from os import PathLike
from typing import Any

import numpy as np

from . import _defaults
from . import checkpoint as _checkpoint
from ._batch import batch_len, copy_row, take_rows
from ._progress import ProgressBar
from ._run import BUDGET_STOPS, CERun, drive
from ._step_size import CumulativeStepSize, condition_bound, without_effect
from ._validation import check_int, check_real
from .errors import DegenerateFitError
from .evaluate import DEFAULT_BLOCK_SIZE, Evaluator
from .families._base import accepts_scale_alpha, degeneracy_of, is_family
from .families._information import step_information
from .result import HISTORY_COLUMNS, STATUS_MESSAGES, History, OptimizeResult
from .step import ce_step, n_elite

__all__ = ["CrossEntropy", "DynamicSmoothing", "minimize", "maximize"]

logger = logging.getLogger("cemopt")

# adaptive variance scaling (Bosman, Grahl & Thierens 2008, AMaLGaM): the multiplier
# grows by 1/0.9 when the improvements lie beyond one standard deviation from the
# mean, and decays by 0.9 once no improvement was seen for 25 + d iterations.
_SCALE_DECREASE = 0.9
_SCALE_INCREASE = 1.0 / 0.9
_SDR_THRESHOLD = 1.0
# anticipated mean shift (AMaLGaM): a share 0.5 * elite_frac of each batch is moved by
# _SHIFT_STEP times the multiplier times the smoothed recent movement of the mean
_SHIFT_STEP = 2.0
# csa: a covariance whose condition number passes this ends the run (pycma's
# tolconditioncov): beyond it the factorisation has lost the small directions
_MAX_CONDITION = 1e14


@dataclass(frozen=True)
class DynamicSmoothing:
    r"""Dynamic smoothing of scale parameters, :math:`\beta_t = \beta - \beta (1 - 1/t)^q`.

    Kroese, Porotsky & Rubinstein (2006), eq. (9): the scale parameters move at full
    weight ``beta`` at first and ever more slowly later, so the sampling distribution
    shrinks polynomially rather than geometrically and does not freeze before the
    mean has found the optimum. ``t`` counts iterations from 1 (and again from 1
    after each restart).

    Examples
    --------
    >>> schedule = DynamicSmoothing(beta=0.8, q=5)
    >>> round(schedule(1), 6), round(schedule(2), 6)
    (0.8, 0.775)
    """

    beta: float = 0.8
    q: float = 5.0

    def __post_init__(self) -> None:
        check_real(self.beta, "beta", low=0.0, high=1.0, low_open=True)
        check_real(self.q, "q", low=0.0, low_open=True)

    def __call__(self, t: int) -> float:
        return self.beta - self.beta * (1.0 - 1.0 / t) ** self.q


def _without_nan(scores: np.ndarray) -> np.ndarray:
    """The scores that are not NaN: ``scores`` itself when there is none (no copy)."""
    nan = np.isnan(scores)
    return scores[~nan] if nan.any() else scores


class CrossEntropy(CERun):
    r"""The cross-entropy method as an ask/tell optimiser.

    >>> import numpy as np, cemopt as ce
    >>> opt = ce.CrossEntropy(ce.Normal(mean=[3.0, -2.0], std=[2.0, 2.0]), n_samples=200, rng=1)
    >>> while not opt.stop():
    ...     X = opt.ask()
    ...     opt.tell(X, (X ** 2).sum(axis=1))
    >>> res = opt.result()
    >>> res.success, bool(res.fun < 1e-10)
    (True, True)

    Each iteration draws a batch from the family, keeps the best ``elite_frac``
    fraction (the elite), refits the family to it by weighted maximum likelihood and
    blends the fit with the previous parameters (see :mod:`cemopt.step`).

    Parameters
    ----------
    family : Family
        The initial sampling distribution (e.g. :class:`cemopt.Normal`).
    n_samples : int, optional
        Samples per iteration, N. Default: for a ``MultivariateNormal`` in d
        dimensions CMA-ES's ``4 + floor(3 ln d)`` (with ``csa``; without it,
        iAMaLGaM's ``max(round(10 sqrt(d)), 10)``); for a ``Normal``
        ``max(round(10 (4 + 3 ln d)), ceil((d + 1) / elite_frac))``; for other
        families ``max(100, 10 * number of parameters)``.
    elite_frac : float, optional
        rho in (0, 1): the fraction of the batch kept as the elite; ``ceil(rho N)``
        samples (more when several tie at the level), NaN scores never. Default 0.1,
        the CE literature's value, except 0.5 for a ``MultivariateNormal`` with
        ``csa`` (the best half, rank-weighted: another value is refused), 0.35
        without (iAMaLGaM's) and 0.2 for
        ``Normal`` (measured in ``benchmarks/continuous.py``).
    smoothing : float, optional
        alpha in (0, 1]: ``v_t = alpha * fit + (1 - alpha) * v_{t-1}``. Default 1 for
        a ``MultivariateNormal`` (its mean is the elite's, as in AMaLGaM; its
        covariance has its own weight, ``scale_smoothing``), 0.7 otherwise. Not
        with ``csa``, which sets its own rates.
    scale_smoothing : float, callable or None
        Weight for scale parameters (std, covariance): a float, or a schedule
        ``t -> beta_t`` such as :class:`DynamicSmoothing`. None: ``smoothing``,
        capped for a ``MultivariateNormal`` (k elite, d dims) at iAMaLGaM's
        ``1 - exp(-1.1 k^1.2 / d^1.6)`` (Bosman, Grahl & Thierens 2013): the
        covariance is learnt over iterations from elites too small to estimate it
        at once. Not with ``csa``.
    variance_scaling : bool or None, default None
        Adaptive variance scaling for families that support it (``Normal``, and
        ``MultivariateNormal`` with ``csa=False``; methods ``rescaled`` and
        ``whiten``); None: on for them, off with ``csa``. The batch is
        drawn with the covariance times a multiplier that grows while the
        improvements lie far from the mean and decays when they stop (Bosman, Grahl
        & Thierens 2008). This is the adaptive form of the CE literature's variance
        injection (Botev & Kroese 2004): it keeps the distribution from collapsing
        before it has followed a slope or a curved valley.
    mean_shift : bool or None, default None
        Anticipated mean shift (Bosman, Grahl & Thierens 2008, AMaLGaM): a share
        ``elite_frac / 2`` of each batch is moved by twice the variance multiplier
        times the recent movement of the mean (an exponential average, weight ``1 -
        exp(-1.2 N^0.31 / d^0.5)``), so that on a slope the next elite lies ahead of
        the mean and the mean moves faster than the ML fit alone lets it. None: on for
        ``MultivariateNormal`` (with or without a box: a bounded one moves its samples
        in its Gaussian's coordinates, ``moved``, so they stay in the box) and an
        unbounded ``Normal`` when variance scaling is on, off otherwise (a moved
        sample of a bounded ``Normal`` could leave its box). Measured on BBOB (d = 5,
        instances 1 and 2): 29 -> 35 of 48 runs solved to 1e-8, 16% fewer evaluations
        where both solve (``benchmarks/bbob.py``). Not with ``csa``.
    csa : bool or None, default None
        For a ``MultivariateNormal`` (with or without a box): the CE update with
        CMA-ES's step-size control (the private ``cemopt._step_size`` documents it).
        The elite, the best half of the batch, is weighted by rank; the covariance
        takes the weighted ML covariance of the elite about the previous mean with
        CMA-ES's small weight, plus the rank-one term of the mean's smoothed path,
        minus the worse half's steps with CMA-ES's negative weights (active CMA);
        and the whole covariance is then scaled by the length of the whitened path
        of the mean (cumulative step-size adaptation, Hansen & Ostermeier 2001):
        long when successive steps agree (too small a distribution), short when
        they cancel. Four more stops come with it, after pycma's: the covariance's
        condition number above 1e14 (status ``"ill-conditioned"``), a distribution
        narrower than its mean's floating-point spacing along a coordinate or a
        principal axis (``"no effect"``: pycma's noeffectcoord and noeffectaxis),
        the best scores of the last ``10 + ceil(30 d / N)`` iterations spread less
        than ``value_tol`` (``"flat history"``), and no better score for ``100 +
        ceil(100 d^1.5 / N)`` iterations (``"stagnation"``: a plateau, or a
        distribution grown past what the scores tell apart); ``history.scale``
        holds the squared step size relative to the start. None: on for a
        ``MultivariateNormal``; False: AMaLGaM's rules instead (variance scaling, mean shift, the
        covariance weight), which are refused alongside it. On BBOB (24 functions,
        instances 1-5, d = 2, 5, 10, 20; ``benchmarks/bbob.py``) it took the median
        evaluations to 1e-8 from 1.29-2.17 times pycma IPOP's to 1.01-1.08 and the
        solved runs from 320 to 359 of 480 (pycma 360; over three seeds 1 073 of
        1 440 against pycma's 1 074); AMaLGaM's variance
        scaling needs about 4.7 times CMA-ES's evaluations on the 20-d sphere, in
        cemopt and in a minimal iAMaLGaM alike (``benchmarks/amalgam_reference.py``).
    maximize : bool, default False
        Maximise instead of minimise.
    max_iter, max_evals : int, optional
        Budgets over all restarts. When both are None and there is no
        ``time_limit``, ``max_iter=1000``. The last batch is cut to the remaining
        ``max_evals``.
    time_limit : float, optional
        Wall-clock budget in seconds from the first :meth:`ask`. :func:`minimize`
        checks it inside the scoring of a batch too (before every block of rows, or
        every sample of a non-vectorised objective), keeps the evaluations made and
        stops there; with ask/tell it is checked after each :meth:`tell`. Unlike the
        other rules it makes the result depend on the machine's speed; a resumed run
        starts a new clock.
    target : float, optional
        Stop once a value at least this good is found.
    patience : int, optional
        Converged when the level has not improved for this many iterations; 0 turns
        the rule off. Default 5 (CEoptim's ``noImproveThr``), except off for
        ``Normal`` and ``MultivariateNormal`` with variance scaling, whose
        multiplier has its own no-improvement rule (25 + d iterations) and where 5
        ended runs early on Griewank and Rastrigin (measured), and with ``csa``.
    degeneracy_tol : float or None, default 1e-12
        Converged when the sampling family's ``degeneracy()`` falls below this
        fraction of the initial family's.
    value_tol : float or None, default 1e-12
        Converged when the scores of a batch spread (max - min) less than this.
    kl_tol : float or None, default None
        Converged when an update moves the family by less than this:
        ``KL(family after || family before) < kl_tol`` (nats; ``history.kl``). Off by
        default. It needs a family with closed-form information measures (all but
        ``Mixture`` and ``Permutation`` beyond 8 nodes, where it never fires). On the
        400-node max-cut it stops where the distribution has settled, several
        iterations before ``degeneracy_tol`` (``docs/information.md``). For Gaussian
        families it fires only when the distribution stops moving relative to its own
        width (KL is scale-invariant: a steady shrink is a steady KL step).
    restarts : int or None, default None
        What follows a convergence stop (degenerate, patience, flat, flat history,
        ill-conditioned, no effect, stagnation, or an elite the family cannot be fitted to)
        that did not reach ``target``: a restart from the initial family with
        ``restart_growth`` times more samples (IPOP-style). An int allows that many.
        None: restart as long as ``max_evals`` or ``time_limit`` leaves room, and
        never without either.
    restart_growth : float, default 2.0
        Growth factor of ``n_samples`` at each restart. With ``csa=False`` and the
        default ``n_samples`` of a ``MultivariateNormal`` the first restart takes at
        least AMaLGaM's ``ceil(17 + 3 d^1.5)`` samples: the small first batch is fast
        on unimodal functions, the multimodal ones need the large one.
    keep_params : bool, default False
        Record the family's parameters each iteration in ``history.params``.
    rng : None, int or numpy.random.Generator
        Source of randomness, normalised once with ``numpy.random.default_rng``.

    Attributes
    ----------
    family : Family
        The current sampling distribution.
    termination : dict
        Empty while running; then ``{rule: detail}`` naming the rule that fired.
    """

    COLUMNS = HISTORY_COLUMNS
    KIND = "optimize"
    NAN_WARNING = (
        "The objective returned NaN; such samples count as the worst value and are never "
        "elite (res.n_nan counts them)."
    )

    def __init__(
        self,
        family: Any,
        *,
        n_samples: int | None = None,
        elite_frac: float | None = None,
        smoothing: float | None = None,
        scale_smoothing: float | Callable[[int], float] | None = None,
        variance_scaling: bool | None = None,
        mean_shift: bool | None = None,
        csa: bool | None = None,
        maximize: bool = False,
        max_iter: int | None = None,
        max_evals: int | None = None,
        time_limit: float | None = None,
        target: float | None = None,
        patience: int | None = None,
        degeneracy_tol: float | None = 1e-12,
        value_tol: float | None = 1e-12,
        kl_tol: float | None = None,
        restarts: int | None = None,
        restart_growth: float = 2.0,
        keep_params: bool = False,
        rng: Any = None,
    ) -> None:
        if not is_family(family):
            raise TypeError(
                "`family` must implement sample/logpdf/fit/blend (see cemopt.families.Family), "
                f"but got {type(family).__name__}."
            )
        if csa is None:
            csa = _defaults.uses_csa(family)
        elif not isinstance(csa, (bool, np.bool_)):
            raise TypeError(f"`csa` must be True, False or None, but got csa={csa!r}.")
        elif csa and not _defaults.uses_csa(family):
            raise ValueError(
                "`csa=True` needs a MultivariateNormal family (the rule adapts its full "
                f"covariance), but got {type(family).__name__}."
            )
        self._csa_given = csa if csa is None else bool(csa)
        self.csa = bool(csa)
        for name, value in (("smoothing", smoothing), ("scale_smoothing", scale_smoothing)):
            if self.csa and value is not None:
                raise ValueError(
                    f"`{name}` does not apply with csa=True, whose update sets its own "
                    f"learning rates (CMA-ES's), but got {name}={value!r}; pass csa=False "
                    "for the smoothed CE update."
                )
        if self.csa and variance_scaling:
            raise ValueError(
                "`variance_scaling=True` and `csa=True` are two step-size rules for one "
                "family; choose one (csa=False for AMaLGaM's adaptive variance scaling)."
            )
        if self.csa and elite_frac not in (None, 0.5):
            raise ValueError(
                "`elite_frac` does not apply with csa=True, whose elite is CMA-ES's "
                f"rank-weighted best half, but got elite_frac={elite_frac!r}; pass "
                "csa=False for a truncated elite of another size."
            )
        if self.csa and mean_shift:
            raise ValueError(
                "`mean_shift=True` belongs to AMaLGaM's adaptive variance scaling, not to "
                "csa=True; pass csa=False to use it."
            )
        if elite_frac is None:
            elite_frac = _defaults.default_elite_frac(family, self.csa)
        self.elite_frac = check_real(
            elite_frac, "elite_frac", low=0, high=1, low_open=True, high_open=True
        )
        self._default_batch = n_samples is None  # restarts may then follow the family's rule
        if n_samples is None:
            n_samples = _defaults.default_n_samples(family, self.elite_frac, self.csa)
        self.n_samples = check_int(n_samples, "n_samples", minimum=1)
        if self.elite_frac * self.n_samples < 1:
            raise ValueError(
                "`elite_frac * n_samples >= 1` must hold (at least one elite sample), but got "
                f"elite_frac={elite_frac!r}, n_samples={n_samples!r}."
            )
        if smoothing is None:
            smoothing = _defaults.default_smoothing(family)
        self.smoothing = check_real(smoothing, "smoothing", low=0, high=1, low_open=True)
        # optional family members are probed, never assumed (see cemopt.families.capabilities)
        self._scale_alpha_ok = accepts_scale_alpha(family)
        if scale_smoothing is not None and not self._scale_alpha_ok:
            raise TypeError(
                f"`scale_smoothing` needs a family whose blend takes `scale_alpha`, but "
                f"{type(family).__name__}.blend does not; leave scale_smoothing=None."
            )
        if scale_smoothing is not None and not callable(scale_smoothing):
            scale_smoothing = check_real(
                scale_smoothing, "scale_smoothing", low=0, high=1, low_open=True
            )
        self.scale_smoothing = scale_smoothing
        if not isinstance(maximize, (bool, np.bool_)):
            raise TypeError(f"`maximize` must be True or False, but got maximize={maximize!r}.")
        self.maximize = bool(maximize)
        if variance_scaling is None:
            variance_scaling = not self.csa
        elif not isinstance(variance_scaling, (bool, np.bool_)):
            raise TypeError(
                f"`variance_scaling` must be True, False or None, but got {variance_scaling=!r}."
            )
        self.variance_scaling = bool(variance_scaling)
        self._init_budgets(max_iter=max_iter, max_evals=max_evals, time_limit=time_limit, rng=rng)
        self.target = check_real(target, "target", allow_none=True)
        if patience is None:
            patience = _defaults.default_patience(family, self.variance_scaling or self.csa)
        self.patience = check_int(patience, "patience", minimum=0, allow_none=True)
        self.degeneracy_tol = check_real(degeneracy_tol, "degeneracy_tol", low=0, allow_none=True)
        self.value_tol = check_real(value_tol, "value_tol", low=0, allow_none=True)
        self.kl_tol = check_real(kl_tol, "kl_tol", low=0, low_open=True, allow_none=True)
        self.restarts = check_int(restarts, "restarts", minimum=0, allow_none=True)
        self.restart_growth = check_real(restart_growth, "restart_growth", low=1)
        self.keep_params = bool(keep_params)

        self.initial_family = family
        self.family = family
        self._sign = -1.0 if self.maximize else 1.0
        self._initial_n_samples = self.n_samples
        self._initial_degeneracy = degeneracy_of(family)
        self._scaling = self.variance_scaling and _defaults.scales_adaptively(family)
        self._step_size = CumulativeStepSize(family.dim, self.n_samples) if self.csa else None
        can_shift = self._scaling and _defaults.shifts_its_mean(family)
        self._mean_shift_given = mean_shift  # compared on resume (the default follows the family)
        if mean_shift is None:
            mean_shift = can_shift
        elif not isinstance(mean_shift, (bool, np.bool_)):
            raise TypeError(f"`mean_shift` must be True, False or None, but got {mean_shift=!r}.")
        elif mean_shift and not can_shift:
            raise ValueError(
                "`mean_shift=True` needs variance scaling and a family with a `mean` "
                "vector whose moved samples stay valid (MultivariateNormal, or Normal "
                f"without bounds), but got "
                f"{type(family).__name__} with variance_scaling={self.variance_scaling}."
            )
        self.mean_shift = bool(mean_shift)
        self._shift: np.ndarray | None = None  # the smoothed movement of the mean
        self._sampling: tuple[Any, float, Any] | None = None  # (family, scale, rescaled)
        # counters and bests, all in the internal "smaller is better" orientation
        self._t = 0  # iterations since the last (re)start, for schedules
        self._restart = 0
        self._best_x: Any = None
        self._best = np.inf
        self._best_level = np.inf
        self._stall = 0
        self._last_kl = np.nan  # KL of the last update, for kl_tol
        self._scale = 1.0  # variance multiplier (adaptive variance scaling)
        self._no_improvement = 0  # iterations without improvement, for the scale decay
        self._restart_best = np.inf  # best score since the last (re)start
        self._params: dict[str, list] = {}

    # ----------------------------------------------------------------- ask / tell
    def ask(self) -> Any:
        """Draw the next batch (an ``(n, ...)`` array, or a dict for ``Product``)."""
        self._start_clock()
        n = self.n_samples
        if self.max_evals is not None:
            n = max(1, min(n, self.max_evals - self.nfev))
        X = self.sampling_family.sample(n, self.rng)
        if self._shift is not None:
            moved = round(0.5 * self.elite_frac * n)
            step = _SHIFT_STEP * self._scale * self._shift
            move = getattr(self.family, "moved", None)
            if callable(move):  # a bounded family moves its samples within its box
                X[:moved] = move(X[:moved], step)
            else:
                X[:moved] += step
        return X

    @property
    def sampling_family(self) -> Any:
        """The family the next batch is drawn from: :attr:`family` with its covariance
        times the variance multiplier (the same object when no scaling is active)."""
        if not (self._scaling and self._scale != 1.0):
            return self.family
        # the stop rules and the next ask read the same one: build it once
        cached = self._sampling
        if cached is None or cached[0] is not self.family or cached[1] != self._scale:
            cached = (self.family, self._scale, self.family.rescaled(self._scale))
            self._sampling = cached
        return cached[2]

    def tell(self, X: Any, values: Any) -> None:
        """Update the family from a scored batch (``values[i]`` is the score of row i).

        ``X`` need not come from :meth:`ask`: any batch of the family's shape works.

        Raises
        ------
        ValueError
            An empty batch, or not one value per sample. The run is left as it was (an
            empty batch does not end it): tell the batch again, scored.
        TypeError
            Values that are not real numbers: complex values, strings and None are
            refused, not cut to their real part, parsed or taken for NaN. NaN itself is
            a number, handled by the NaN policy (the worst value, never elite).
        """
        n = batch_len(X)
        if n == 0:
            raise ValueError("`X` must hold at least one sample, but got an empty batch.")
        scores = self._sign * self._scores(X, values, n)
        finite = _without_nan(scores)  # NaN is never elite, never the best
        self._update_best(X, scores, finite)

        self._t += 1
        if self._step_size is not None:
            alpha, scale_alpha = 1.0, self._step_size.c_mu
            self._count_no_improvement(finite)
        else:
            alpha, scale_alpha = self.smoothing, self._scale_alpha(self._t)
        try:
            if self._step_size is not None:
                outcome = self._step_size.step(self.family, X, scores)
            else:
                outcome = ce_step(
                    self.family,
                    X,
                    scores,
                    elite_frac=self.elite_frac,
                    alpha=alpha,
                    scale_alpha=scale_alpha,
                )
        except DegenerateFitError as exc:
            information = (step_information(self.family, None)[0], np.nan)
            self._record(finite, n, np.nan, 0, alpha, scale_alpha, information)
            # a fit that cannot be made ends this run like any convergence stop: a
            # restart follows while the budget lasts, and only then does the run end
            stop = self._budget_stop()
            if stop is None and self._may_restart():
                self._start_again({"degenerate elite": str(exc)})
                return
            self.termination = stop or {"degenerate elite": str(exc)}
            logger.info("stopped: %s", self.termination)
            return
        if self._scaling:
            self._adapt_scale(X, scores, outcome.elite)
        if self.mean_shift:
            self._follow_mean(outcome.family)
        information = step_information(outcome.family, self.family)  # (H, KL(new || old))
        self._last_kl = information[1]
        self.family = outcome.family
        self.nit += 1
        if outcome.level < self._best_level:
            self._best_level, self._stall = outcome.level, 0
        else:
            self._stall += 1
        self._record(finite, n, outcome.level, outcome.elite.size, alpha, scale_alpha, information)
        self._check_stop(finite)

    def _count_no_improvement(self, finite: np.ndarray) -> None:
        """csa's stagnation rule: iterations since the run's best score last improved
        (``_restart_best`` and ``_no_improvement``, which AMaLGaM's rule uses alike),
        from the batch's scores that are not NaN."""
        best = finite.min() if finite.size else np.inf
        if best < self._restart_best:
            self._restart_best, self._no_improvement = float(best), 0
        else:
            self._no_improvement += 1

    def _follow_mean(self, new: Any) -> None:
        """Update the anticipated mean shift from the mean's last move."""
        step = np.asarray(new.mean, dtype=float) - np.asarray(self.family.mean, dtype=float)
        d = int(self.family.dim)
        weight = 1.0 - math.exp(-1.2 * self.n_samples**0.31 / math.sqrt(d))
        self._shift = (
            weight * step if self._shift is None else ((1.0 - weight) * self._shift + weight * step)
        )

    def _update_best(self, X: Any, scores: np.ndarray, finite: np.ndarray | None = None) -> None:
        """Keep the batch's best row if it beats the best so far (``finite``: the
        scores that are not NaN, when the caller has them)."""
        if finite is None:
            finite = _without_nan(scores)
        if finite.size == 0 or not (finite.min() < self._best or self._best_x is None):
            return  # no better row: most batches, so no search for where it is
        # argmin when there is no NaN: nanargmin copies the batch on every call
        i = int(np.argmin(scores)) if finite.size == scores.size else int(np.nanargmin(scores))
        self._best, self._best_x = float(scores[i]), copy_row(X, i)

    def _absorb_partial(self, X: Any, scores: np.ndarray) -> None:
        # rows of a batch cut short: they count for the best so far, not for an update
        self._update_best(X, self._sign * scores)

    def _adapt_scale(self, X: Any, scores: np.ndarray, elite: np.ndarray) -> None:
        """Adaptive variance scaling (AMaLGaM's AVS with the standard-deviation ratio).

        Uses :attr:`family` before the update: the improvements' distance from its
        mean is measured in its own standard deviations (``whiten``).
        """
        elite_scores = scores[elite]
        best = elite_scores.min()
        if best < self._restart_best:
            self._no_improvement = 0
            self._scale = max(self._scale, 1.0)
            improving = elite[elite_scores < self._restart_best]
            centre = np.mean(take_rows(X, improving), axis=0, keepdims=True)
            ratio = np.max(np.abs(self.family.whiten(centre)))
            if ratio > _SDR_THRESHOLD:  # improvements far out: the distribution is too narrow
                self._scale *= _SCALE_INCREASE
            self._restart_best = best
            return
        patience = 25 + int(self.family.dim)
        if self._scale <= 1.0:
            self._no_improvement += 1
        if self._scale > 1.0 or self._no_improvement >= patience:
            self._scale *= _SCALE_DECREASE
        if self._scale < 1.0 and self._no_improvement < patience:
            self._scale = 1.0

    def result(self) -> OptimizeResult:
        """The best sample found so far, with the rule that ended the run."""
        status = next(iter(self.termination), "running")
        success, message = STATUS_MESSAGES.get(status, (False, "The run has not stopped yet."))
        detail = self.termination.get(status)
        if status == "degenerate elite" and isinstance(detail, str):
            # what the family's fit met, in its own words
            message = f"The elite could not be fitted: {detail}"
        mode = getattr(self.family, "mode", None)
        return OptimizeResult(
            x=self._best_x,
            fun=float(self._sign * self._best) if self._best_x is not None else np.nan,
            nit=self.nit,
            nfev=self.nfev,
            success=success,
            status=status,
            message=message,
            family=self.family,
            history=History.from_columns(self._columns, self._params),
            x_mode=mode() if callable(mode) else None,
            n_nan=self.n_nan,
            interrupted=status == "interrupted",
            n_restarts=self._restart,
        )

    def _progress_fields(self) -> dict[str, Any]:
        best = self._sign * self._best if self._best_x is not None else float("nan")
        return {"nit": self.nit, "nfev": self.nfev, "best": best}

    # ------------------------------------------------------------------ stopping
    def _scale_alpha(self, t: int) -> float | None:
        if not self._scale_alpha_ok:
            return None
        if self.scale_smoothing is None:
            k = n_elite(self.elite_frac, self.n_samples)
            return _defaults.default_scale_alpha(self.family, self.smoothing, k)
        if callable(self.scale_smoothing):
            return float(self.scale_smoothing(t))
        return self.scale_smoothing

    def _check_stop(self, finite: np.ndarray) -> None:
        """End or restart the run after an update (``finite``: the batch's scores
        that are not NaN)."""
        stop = self._budget_stop()
        if stop is None:
            stop = self._local_convergence(finite)
            if stop is None:
                return
            if self._may_restart():
                self._start_again(stop)
                return
        self.termination = stop
        logger.info("stopped after %d iterations: %s", self.nit, self.termination)

    def _budget_stop(self) -> dict[str, Any] | None:
        internal_target = None if self.target is None else self._sign * self.target
        if internal_target is not None and self._best <= internal_target:
            return {"target": self.target}
        if self.max_evals is not None and self.nfev >= self.max_evals:
            return {"max_evals": self.max_evals}
        if self.max_iter is not None and self.nit >= self.max_iter:
            return {"max_iter": self.max_iter}
        if self._out_of_time():
            return {"time_limit": self.time_limit}
        return None

    def _local_convergence(self, finite: np.ndarray) -> dict[str, Any] | None:
        if self.degeneracy_tol is not None:
            degeneracy = degeneracy_of(self.sampling_family)
            if degeneracy <= self.degeneracy_tol * self._initial_degeneracy:
                return {"degenerate": degeneracy}
        if self.kl_tol is not None and self._last_kl < self.kl_tol:  # NaN never fires
            return {"kl": self._last_kl}
        if self.value_tol is not None:
            if finite.size > 1:
                spread = finite.max() - finite.min()  # np.ptp, without its wrapper
                if spread < self.value_tol:
                    return {"flat": float(spread)}
        if self.patience and self._stall >= self.patience:
            return {"patience": self.patience}
        if self._step_size is not None:
            return self._step_size_convergence()
        return None

    def _step_size_convergence(self) -> dict[str, Any] | None:
        # pycma's tolconditioncov and tolfunhist, for the rule that comes from it
        condition = condition_bound(self.family)
        if condition > _MAX_CONDITION:
            return {"ill-conditioned": condition}
        # pycma's noeffectcoord and noeffectaxis: on a rugged ridge (BBOB's f17, f18) the
        # covariance can thin out below the mean's floating-point spacing in one
        # direction while staying under the condition bound, and the best score still
        # creeps down too often for the stagnation rule to fire
        where = without_effect(self.family, axes=self._t % self.family.dim == 0)
        if where is not None:
            return {"no effect": where}
        window = self._step_size.history_window
        if self.value_tol is not None and self._t >= window:
            recent = self._columns.view("best")[-window:]
            spread = recent.max() - recent.min()
            if spread < self.value_tol:
                return {"flat history": float(spread)}
        # no better score for a long stretch: a plateau, or a distribution that has
        # grown past what the scores can tell apart (its size then walks at random)
        window = self._step_size.stagnation_window
        if self._no_improvement >= window:
            return {"stagnation": window}
        return None

    def _may_restart(self) -> bool:
        if self.restarts is None:  # use the budget, as IPOP does; no budget, no restart
            evals_left = self.max_evals is not None and self.nfev < self.max_evals
            time_left = self.time_limit is not None and not self._out_of_time()
            return evals_left or time_left
        return self._restart < self.restarts

    def _start_again(self, reason: dict[str, Any]) -> None:
        self._restart += 1
        self.n_samples = math.ceil(self.n_samples * self.restart_growth)
        if self._restart == 1 and self._default_batch and not self.csa:
            self.n_samples = max(self.n_samples, _defaults.first_restart_samples(self.family))
        if self.csa:
            self._step_size = CumulativeStepSize(self.family.dim, self.n_samples)
        self.family = self.initial_family
        self._t, self._stall, self._best_level = 0, 0, np.inf
        self._scale, self._no_improvement, self._restart_best = 1.0, 0, np.inf
        self._shift = None
        logger.info("restart %d after %s with n_samples=%d", self._restart, reason, self.n_samples)

    def _record(self, finite, n, level, n_elite_, alpha, scale_alpha, information) -> None:
        """One row of the history, from the batch's ``n`` scores (``finite``: those
        that are not NaN)."""
        self._columns.append(
            {
                "level": self._sign * level,
                "best": self._sign * finite.min() if finite.size else np.nan,
                "best_so_far": self._sign * self._best,
                # the sum over the count: ndarray.mean's arithmetic, without its wrapper
                "mean_value": self._sign * (finite.sum() / finite.size) if finite.size else np.nan,
                "n_samples": n,
                "n_elite": n_elite_,
                "nfev": self.nfev,
                "n_nan": self.n_nan,
                "degeneracy": degeneracy_of(self.family),
                "entropy": information[0],
                "kl": information[1],
                "alpha": alpha,
                "scale_alpha": np.nan if scale_alpha is None else scale_alpha,
                "scale": self._scale if self._step_size is None else self._step_size.sigma**2,
                "restart": self._restart,
            }
        )
        if self.keep_params and isinstance(getattr(self.family, "params", None), dict):
            for name, value in _flatten(self.family.params).items():
                self._params.setdefault(name, []).append(np.array(value))

    # --------------------------------------------------------------- checkpoints
    def _state(self) -> dict[str, Any]:
        params = getattr(self.family, "params", None)
        if not isinstance(params, dict) or not callable(getattr(self.family, "with_params", None)):
            raise TypeError(
                f"Checkpoints need a family with `params` and `with_params`; "
                f"{type(self.family).__name__} has not both."
            )
        return {
            "initial_family": _checkpoint.family_fingerprint(self.initial_family),
            "family": dict(params),
            "counters": {
                "nit": self.nit,
                "nfev": self.nfev,
                "n_nan": self.n_nan,
                "t": self._t,
                "restart": self._restart,
                "n_samples": self.n_samples,
                "stall": self._stall,
                "best": self._best,
                "best_level": self._best_level,
                "warned_nan": self._warned_nan,
                "scale": self._scale,
                "no_improvement": self._no_improvement,
                "restart_best": self._restart_best,
                "last_kl": self._last_kl,
            },
            "best_x": self._best_x,
            "mean_shift": self._shift,
            "step_size": None if self._step_size is None else self._step_size.state(),
        }

    @classmethod
    def load(cls, path: str | PathLike, family: Any, **settings: Any) -> CrossEntropy:
        """Continue a run saved with :meth:`save`.

        ``family`` and ``settings`` must be those the run was started with (the
        initial family, not the current one); a differing setting, or a family of
        another kind, dimension, bounds or initial parameters, raises ``ValueError``
        naming it. A damaged or edited file raises :class:`cemopt.CheckpointError`
        naming the file and what is wrong.
        """
        state = _checkpoint.load_state(path)
        settings.pop("rng", None)
        opt = cls(family, **settings)
        first = _checkpoint.Reader(state, path)
        if first.get("kind") == cls.KIND:
            # the family first: another family changes the defaults (elite_frac, ...)
            # that it chooses, and the family is what the user has to fix
            _checkpoint.check_fingerprint(first.get("initial_family"), family, path, "family")
        r = opt._load_common(path, state)
        opt.family = _checkpoint.restore_family(family, r.dict("family"), path, "family")
        c = ("counters",)
        nfev = r.int(*c, "nfev")
        opt.nfev = nfev
        opt.nit = r.int(*c, "nit", maximum=len(opt._columns))
        opt.n_nan = r.int(*c, "n_nan", maximum=nfev)
        opt._restart = r.int(*c, "restart", maximum=max(len(opt._columns), 0))
        opt._t = r.int(*c, "t", maximum=len(opt._columns))
        opt.n_samples = r.int(*c, "n_samples", minimum=1)
        opt._stall = r.int(*c, "stall", maximum=len(opt._columns))
        opt._no_improvement = r.int(*c, "no_improvement")
        opt._best = r.real(*c, "best", allow_inf=True)
        opt._best_level = r.real(*c, "best_level", allow_inf=True, allow_nan=True)
        opt._restart_best = r.real(*c, "restart_best", allow_inf=True)
        opt._scale = r.real(*c, "scale", low=np.finfo(float).tiny)
        opt._last_kl = r.real(*c, "last_kl", allow_inf=True, allow_nan=True)
        opt._warned_nan = r.bool(*c, "warned_nan")
        best_x = r.get("best_x")
        if (best_x is None) != (opt._best == np.inf):
            raise _checkpoint.CheckpointError(
                f"{path}: the saved best value and best sample disagree (best="
                f"{opt._best!r}, best sample {'missing' if best_x is None else 'present'})."
            )
        if best_x is not None:
            _checkpoint.check_sample_shape(best_x, family, path, "best sample")
        opt._best_x = best_x
        shift = r.get("mean_shift")
        if shift is not None:
            if not opt.mean_shift:
                raise r.fail(("mean_shift",), "none (mean_shift is off)", "a vector")
            shift = r.array("mean_shift")
            if shift.shape != (int(family.dim),):
                raise r.fail(("mean_shift",), f"{int(family.dim)} numbers", shift.shape)
            if not np.all(np.isfinite(shift)):
                raise r.fail(("mean_shift",), "finite numbers", shift)
        opt._shift = None if shift is None else shift.astype(float)
        opt._load_step_size(r, family)
        if len(opt._columns):
            if opt._columns.last("nfev") > nfev:
                raise _checkpoint.CheckpointError(
                    f"{path}: its history records more evaluations "
                    f"({opt._columns.last('nfev'):.0f}) than its counters ({nfev})."
                )
        elif opt.nit:
            raise _checkpoint.CheckpointError(f"{path}: {opt.nit} iterations but no history rows.")
        saved_stop = r.dict("termination")
        if len(saved_stop) > 1 or not set(saved_stop) <= set(STATUS_MESSAGES):
            raise r.fail(("termination",), "one stopping rule", sorted(saved_stop))
        # A budget stop is judged again under the budgets given now, so that a finished
        # run can be extended; a convergence stop stands.
        if saved_stop and next(iter(saved_stop)) not in BUDGET_STOPS:
            opt.termination = saved_stop
        else:
            opt.termination = opt._budget_stop() or {}
        return opt

    def _load_step_size(self, r: _checkpoint.Reader, family: Any) -> None:
        saved = r.get("step_size")
        if (saved is None) != (self._step_size is None):
            expected = "the csa paths" if self._step_size is not None else "none (csa is off)"
            raise r.fail(("step_size",), expected, "none" if saved is None else "the csa paths")
        if saved is None:
            return
        d = int(family.dim)
        self._step_size = CumulativeStepSize(d, self.n_samples)
        paths = {}
        for name in ("path_sigma", "path_cov"):
            value = r.array("step_size", name)
            if value.shape != (d,) or not np.all(np.isfinite(value)):
                raise r.fail(("step_size", name), f"{d} finite numbers", value)
            paths[name] = value
        sigma = r.real("step_size", "sigma", low=np.finfo(float).tiny)
        t = r.int("step_size", "t", maximum=max(self._t, 0))
        self._step_size.restore(paths["path_sigma"], paths["path_cov"], sigma, t)

    def _settings(self) -> dict[str, Any]:
        """The settings a resumed run must share (callable schedules are not compared).

        Budgets (``max_iter``, ``max_evals``, ``time_limit``, ``target``) may differ: a
        resumed run can be given more.
        """
        return {
            "n_samples": self._initial_n_samples,
            "elite_frac": self.elite_frac,
            "smoothing": self.smoothing,
            "scale_smoothing": (
                repr(self.scale_smoothing)
                if isinstance(self.scale_smoothing, DynamicSmoothing)
                else "a callable"  # a user's schedule cannot be compared; trust the caller
                if callable(self.scale_smoothing)
                else self.scale_smoothing
            ),
            "variance_scaling": self.variance_scaling,
            "mean_shift": self._mean_shift_given,
            "csa": self._csa_given,
            "value_tol": self.value_tol,
            "kl_tol": self.kl_tol,
            "maximize": self.maximize,
            "patience": self.patience,
            "degeneracy_tol": self.degeneracy_tol,
            "restarts": self.restarts,
            "restart_growth": self.restart_growth,
            "keep_params": self.keep_params,
        }

    # the parameter history (keep_params) is stored beside the columns in the row log
    def _param_layout(self) -> dict[str, list[int]]:
        if not self.keep_params:
            return {}
        params = getattr(self.initial_family, "params", None)
        if not isinstance(params, dict):
            return {}
        return {name: list(np.shape(v)) for name, v in _flatten(params).items()}

    def _extra_layout(self) -> dict[str, Any]:
        return self._param_layout()

    def _extra_width(self) -> int:
        return sum(math.prod(shape) for shape in self._param_layout().values())

    def _history_records(self, start: int) -> np.ndarray:
        records = self._columns.records(start)
        layout = self._param_layout()
        if not layout:
            return records
        parts = [records]
        for name, shape in layout.items():
            stacked = np.array(self._params.get(name, [])[start:], dtype=float)
            if stacked.shape[1:] != tuple(shape) or len(stacked) != len(records):
                raise TypeError(
                    f"keep_params with checkpoints needs parameters of a fixed shape; "
                    f"{name!r} changed shape during the run."
                )
            parts.append(stacked.reshape(len(records), -1))
        return np.hstack(parts)

    def _load_extra(self, records: np.ndarray) -> None:
        layout = self._param_layout()
        self._params = {}
        offset = 0
        for name, shape in layout.items():
            size = math.prod(shape)
            block = records[:, offset : offset + size].reshape(len(records), *shape)
            self._params[name] = list(block)
            offset += size


def minimize(
    f: Callable[..., Any],
    family: Any,
    *,
    n_samples: int | None = None,
    elite_frac: float | None = None,
    smoothing: float | None = None,
    scale_smoothing: float | Callable[[int], float] | None = None,
    variance_scaling: bool | None = None,
    mean_shift: bool | None = None,
    csa: bool | None = None,
    max_iter: int | None = None,
    max_evals: int | None = None,
    time_limit: float | None = None,
    target: float | None = None,
    patience: int | None = None,
    degeneracy_tol: float | None = 1e-12,
    value_tol: float | None = 1e-12,
    kl_tol: float | None = None,
    restarts: int | None = None,
    restart_growth: float = 2.0,
    maximize: bool = False,
    vectorized: bool = False,
    executor: Executor | None = None,
    block_size: int | None = DEFAULT_BLOCK_SIZE,
    catch: Sequence[type[BaseException]] | type[BaseException] = (),
    rng: Any = None,
    callback: Callable[[OptimizeResult], Any] | None = None,
    progress: bool = False,
    keep_params: bool = False,
    checkpoint: str | PathLike | None = None,
    resume: str | PathLike | None = None,
    improve: Callable[[Any, np.ndarray], tuple[Any, np.ndarray]] | None = None,
) -> OptimizeResult:
    """Minimise ``f`` by the cross-entropy method.

    >>> import cemopt as ce
    >>> res = ce.minimize(lambda X: ((X - 1.0) ** 2).sum(axis=1),
    ...                   ce.Normal(mean=[0.0, 0.0], std=[3.0, 3.0]),
    ...                   n_samples=200, vectorized=True, rng=0)
    >>> res.success, res.x.round(4).tolist()
    (True, [1.0, 1.0])

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` for one sample, or with ``vectorized=True``
        ``f(X) -> (n,)`` for an ``(n, d)`` batch (samples on axis 0; a dict of such
        arrays for a ``Product`` family).
    family : Family
        The initial sampling distribution.
    n_samples, elite_frac, smoothing, scale_smoothing, variance_scaling, mean_shift, csa, \
max_iter, max_evals, target, patience, degeneracy_tol, value_tol, kl_tol, restarts, \
restart_growth, maximize, keep_params, rng
        As in :class:`CrossEntropy`.
    vectorized : bool, default False
        Whether ``f`` scores a whole batch at once.
    executor : concurrent.futures.Executor, optional
        Score each batch in tasks on this executor (a process pool, Dask's
        ``Client.get_executor()``, ...). Results do not depend on it.
    block_size : int or None, default 1024
        Rows per call of a vectorised ``f``: every batch is scored as the same blocks
        of rows whether serially or on an executor, so the result never depends on
        the executor or the number of CPUs (not even the last bits of a BLAS
        objective). The time limit is checked before every block. None: one call per
        batch (see :class:`cemopt.Evaluator`).
    catch : exception type or tuple of types
        Exceptions from ``f`` that make a score NaN instead of stopping the run.
    callback : callable, optional
        ``callback(intermediate_result)`` after every iteration, the last one
        included; returning True or raising StopIteration stops the run with status
        ``"callback"``.
    progress : bool, default False
        Show a one-line progress bar on stderr (iterations, evaluations, best value).
        Each iteration is also logged at DEBUG level on the ``"cemopt"`` logger.
    checkpoint : path, optional
        Save the state after every iteration to this ``.npz`` file (and its history
        to ``<checkpoint>.rows``; each write costs one iteration's worth, see
        :mod:`cemopt.checkpoint`).
    improve : callable, optional
        ``improve(X, values) -> (X, values)``: a local search applied to each scored
        batch before the CE update (memetic CE, e.g. 2-opt on the best tours). It
        returns the batch with some rows replaced and their values (in the caller's
        sign); the update then learns from the improved samples. Evaluations it makes
        itself are not counted in ``nfev``.
    resume : path, optional
        Continue the run saved in this checkpoint (same ``f``, family and settings;
        the budgets may be raised). The generator state comes from the checkpoint,
        so ``rng`` is not used.

    Returns
    -------
    OptimizeResult
        ``x, fun, nit, nfev, success, status, message, family, history, x_mode``.
        Ctrl-C returns the best so far with ``status="interrupted"``, the
        evaluations of a batch it cut short included; a time limit that runs out
        inside a batch does the same with ``status="time_limit"``.

    See Also
    --------
    maximize, CrossEntropy
    """
    settings = dict(
        n_samples=n_samples,
        elite_frac=elite_frac,
        smoothing=smoothing,
        scale_smoothing=scale_smoothing,
        variance_scaling=variance_scaling,
        mean_shift=mean_shift,
        csa=csa,
        maximize=maximize,
        max_iter=max_iter,
        max_evals=max_evals,
        time_limit=time_limit,
        target=target,
        patience=patience,
        degeneracy_tol=degeneracy_tol,
        value_tol=value_tol,
        kl_tol=kl_tol,
        restarts=restarts,
        restart_growth=restart_growth,
        keep_params=keep_params,
    )
    score = Evaluator(
        f, vectorized=vectorized, executor=executor, block_size=block_size, catch=catch
    )
    if callback is not None and not callable(callback):
        raise TypeError(f"`callback` must be callable or None, but got callback={callback!r}.")
    if improve is not None and not callable(improve):
        raise TypeError(f"`improve` must be callable or None, but got improve={improve!r}.")
    if resume is not None:
        opt = CrossEntropy.load(resume, family, **settings)
    else:
        opt = CrossEntropy(family, rng=rng, **settings)
    if checkpoint is not None:
        opt._state()  # a family that cannot be checkpointed is refused before any work
    bar = ProgressBar(opt.max_iter, opt.max_evals) if progress else None
    return drive(
        opt, score, callback=callback, progress=bar, checkpoint=checkpoint, improve=improve
    )


def maximize(f: Callable[..., Any], family: Any, **kwargs: Any) -> OptimizeResult:
    """Maximise ``f`` by the cross-entropy method; arguments as in :func:`minimize`.

    >>> import cemopt as ce
    >>> res = ce.maximize(lambda X: X.sum(axis=1), ce.Bernoulli([0.5] * 8),
    ...                   n_samples=100, vectorized=True, rng=0)
    >>> res.fun, res.x.tolist()
    (8.0, [1, 1, 1, 1, 1, 1, 1, 1])
    """
    if "maximize" in kwargs:
        raise TypeError("maximize() got an unexpected keyword argument 'maximize'")
    return minimize(f, family, maximize=True, **kwargs)


maximize.__signature__ = inspect.signature(minimize).replace(  # type: ignore[attr-defined]
    parameters=[p for p in inspect.signature(minimize).parameters.values() if p.name != "maximize"]
)


def _flatten(params: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = value
    return flat
