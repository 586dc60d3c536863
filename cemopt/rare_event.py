r"""Rare-event probabilities by multilevel cross-entropy importance sampling.

:func:`estimate` finds an importance-sampling density in the nominal family's own
parametric family (or any family given as ``proposal``) by a sequence of levels
:math:`\gamma_1 < \gamma_2 < \dots \le \gamma`, each a CE step on the elite with
likelihood-ratio weights :math:`W = f(x; u) / f(x; v)` (the same step as the optimiser,
:func:`cemopt.step.ce_step`), then estimates

.. math:: \hat\ell = \frac{1}{N_1} \sum_{i=1}^{N_1} I\{S(X_i) \ge \gamma\} W(X_i),
          \qquad X_i \sim f(\cdot; \hat v_T)

on a fresh sample (de Boer, Kroese, Mannor & Rubinstein 2005, Algorithm 2.1). The
final sample is fresh, never the last level's: reusing it biases the estimate
towards the adaptation and understates its error.

Everything that involves a likelihood ratio is computed in log space, so 1e-100 (and
far smaller: see ``log_probability``) neither underflows nor loses digits.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Any

import numpy as np

from ._batch import concat_rows, take_rows
from ._validation import as_rng, check_int, check_real, effective_sample_size
from .errors import ConvergenceWarning, DegenerateFitError
from .evaluate import Evaluator
from .families._base import degeneracy_of, is_family
from .families._information import step_information
from .result import RARE_EVENT_MESSAGES, LevelHistory, RareEventResult
from .step import ce_step

__all__ = ["estimate", "crude_monte_carlo"]

logger = logging.getLogger("cemopt")

_EVENTS = (">=", "<=")


def estimate(
    S: Callable[..., Any],
    nominal: Any,
    gamma: float,
    *,
    n_samples: int = 1000,
    n_final: int = 100_000,
    elite_frac: float = 0.1,
    smoothing: float = 0.7,
    scale_smoothing: float = 0.0,
    proposal: Any = None,
    event: str = ">=",
    max_iter: int = 100,
    patience: int = 5,
    min_ess: float = 50.0,
    max_level_batches: int = 10,
    vectorized: bool = True,
    executor: Executor | None = None,
    catch: Sequence[type[BaseException]] | type[BaseException] = (),
    rng: Any = None,
) -> RareEventResult:
    r"""Estimate P(S(X) >= gamma) for X ~ ``nominal`` by CE importance sampling.

    >>> import cemopt as ce
    >>> from scipy import stats
    >>> nominal = ce.Exponential([1.0] * 5)
    >>> est = ce.estimate(lambda X: X.sum(axis=1), nominal, 30.0, rng=0)
    >>> exact = stats.gamma.sf(30.0, 5)   # 3.6e-9
    >>> est.success, bool(abs(est.probability - exact) < 4 * est.std_error)
    (True, True)

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
        Samples per level (N).
    n_final : int, default 100000
        Size of the fresh final sample (N1).
    elite_frac : float, default 0.1
        rho: each level is the ``ceil(rho N)``-th best score, capped at gamma.
    smoothing : float, default 0.7
        alpha in (0, 1]: ``v_t = alpha * fit + (1 - alpha) * v_{t-1}``. Smoothing
        keeps discrete proposals away from probabilities 0 and 1, where they would
        stop sampling part of the event and bias the estimate.
    scale_smoothing : float, default 0.0
        Weight of the fit for scale parameters (``Normal`` std, ``MultivariateNormal``
        covariance; families without scale parameters ignore it). The default 0 keeps
        the nominal scale: a mean-shift proposal, the classic and robust choice for
        Gaussian inputs (refitting the scale on each elite shrinks it faster than the
        levels climb, until the proposal freezes). Any value in [0, 1] is allowed.
    proposal : Family, optional
        The first importance-sampling density (default: ``nominal``). A richer family
        than the nominal one goes here, e.g. a :class:`cemopt.Mixture` of
        exponentials for several failure modes. Its support must cover the event.
    event : {">=", "<="}, default ">="
        Estimate P(S(X) >= gamma) or P(S(X) <= gamma).
    max_iter : int, default 100
        At most this many levels.
    patience : int, default 5
        Stop as stalled after this many levels in a row without progress.
    min_ess : float, default 50
        Effective sample size wanted of the weights. A level whose elite has less
        draws further batches of ``n_samples`` at the same proposal (up to
        ``max_level_batches`` in all) so that the fit rests on enough effective
        samples; a final sample with less is flagged (``status="degenerate
        weights"``): its relative error, about ``1 / sqrt(ess)``, is itself
        unreliable.
    max_level_batches : int, default 10
        At most this many batches of ``n_samples`` per level.
    vectorized, executor, catch
        How S is evaluated, as in :func:`cemopt.minimize`. NaN values of S count as
        outside the event, are counted in ``n_nan`` and make the result a flagged
        lower bound.
    rng : None, int or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    RareEventResult
        ``probability, std_error, relative_error, ci(level), levels, proposal, nfev,
        ess, success, message, history`` and more. On failure (stalled levels, no
        final hits, degenerate weights) ``success`` is False, ``message`` says why
        and a :class:`cemopt.ConvergenceWarning` is issued.

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
    S_, gamma, sign = _check_common(S, nominal, gamma, event)
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    n_final = check_int(n_final, "n_final", minimum=1)
    elite_frac = check_real(elite_frac, "elite_frac", low=0, high=1, low_open=True, high_open=True)
    if elite_frac * n_samples < 1:
        raise ValueError(
            "`elite_frac * n_samples >= 1` must hold (at least one elite sample), but got "
            f"elite_frac={elite_frac!r}, n_samples={n_samples!r}."
        )
    smoothing = check_real(smoothing, "smoothing", low=0, high=1, low_open=True)
    scale_smoothing = check_real(scale_smoothing, "scale_smoothing", low=0, high=1)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    patience = check_int(patience, "patience", minimum=1)
    min_ess = check_real(min_ess, "min_ess", low=0)
    max_level_batches = check_int(max_level_batches, "max_level_batches", minimum=1)
    family = nominal if proposal is None else proposal
    if proposal is not None and not is_family(proposal):
        raise TypeError(
            "`proposal` must implement sample/logpdf/fit/blend (see cemopt.families.Family), "
            f"but got {type(proposal).__name__}."
        )
    generator = as_rng(rng)
    score = Evaluator(S_, vectorized=vectorized, executor=executor, catch=catch)

    # Internally smaller is better: values = -S for ">=", so the target level is -gamma.
    limit = sign * gamma
    counter = _NanCounter()
    rows: list[dict[str, Any]] = []
    previous = None
    stall = 0
    nfev = 0
    status = "max_iter"
    for _ in range(max_iter):
        X = family.sample(n_samples, generator)
        values = sign * counter(score(X))
        nfev += n_samples
        try:
            for batch in range(1, max_level_batches + 1):
                outcome = ce_step(
                    family,
                    X,
                    values,
                    elite_frac=elite_frac,
                    alpha=smoothing,
                    scale_alpha=scale_smoothing,
                    nominal=nominal,
                    level_limit=limit,
                    previous_level=_required_progress(previous, values),
                )
                if outcome.elite_ess >= min_ess or batch == max_level_batches:
                    break
                # Too few effective elite samples for a trustworthy fit (deep levels make
                # the likelihood ratios uneven): draw another batch at the same proposal.
                X_more = family.sample(n_samples, generator)
                X = concat_rows(X, X_more)
                values = np.concatenate([values, sign * counter(score(X_more))])
                nfev += n_samples
        except DegenerateFitError as exc:
            logger.info("rare-event levels stopped: %s", exc)
            status = "degenerate elite"
            break
        # progress below float resolution of the level is no progress
        resolution = 1e-12 * max(1.0, abs(previous)) if previous is not None else 0.0
        progressed = previous is None or outcome.level < previous - resolution
        stall = 0 if progressed else stall + 1
        previous = outcome.level if previous is None else min(previous, outcome.level)
        entropy, kl = step_information(outcome.family, family)  # H(new), KL(new || old)
        family = outcome.family
        rows.append(
            {
                "level": sign * outcome.level,
                "n_elite": outcome.elite.size,
                "elite_ess": outcome.elite_ess,
                "nfev": nfev,
                "degeneracy": degeneracy_of(family),
                "entropy": entropy,
                "kl": kl,
            }
        )
        if outcome.level <= limit:
            status = "converged"
            break
        if stall >= patience:
            status = "stalled"
            break

    final = _importance_sampling(score, counter, nominal, family, n_final, sign, limit, generator)
    nfev += n_final
    if status == "converged":
        if final["n_hits"] == 0:
            status = "no hits"
        elif final["ess"] < min_ess:
            status = "degenerate weights"
        elif final["n_nan"]:
            status = "nan"
    return _result(final, status, rows, family, nfev, n_final, counter.total, "cross-entropy")


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


# ----------------------------------------------------------------------------- helpers
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


def _required_progress(previous: float | None, values: np.ndarray) -> float | None:
    """The level a new one must beat: the last level, or at the first level the worst
    score, so that a level keeping the whole batch (ties on discrete scores) moves on
    to the nearest attainable value instead of wasting a step on no information."""
    if previous is not None:
        return previous
    valid = values[~np.isnan(values)]
    return float(valid.max()) if valid.size else None


#: what the final stage reports when no hit carries weight: no estimate, no error bar
_NO_ESTIMATE = {
    "probability": 0.0,
    "log_probability": -math.inf,
    "std_error": math.nan,
    "relative_error": math.nan,
    "ess": 0.0,
}


def _importance_sampling(score, counter, nominal, proposal, n_final, sign, limit, generator):
    """The final IS estimate on a fresh sample, in log space."""
    X = proposal.sample(n_final, generator)
    before = counter.total
    values = sign * counter(score(X))
    hit = values <= limit  # NaN compares False: outside the event
    n_hits = int(hit.sum())
    out = {"n_hits": n_hits, "n_nan": counter.total - before}
    if n_hits == 0:
        out.update(_NO_ESTIMATE)
        return out
    X_hit = take_rows(X, hit)
    log_w = np.asarray(nominal.logpdf(X_hit), float) - np.asarray(proposal.logpdf(X_hit), float)
    top = float(np.max(log_w))
    if not math.isfinite(top):  # every hit outside the nominal support
        out.update(_NO_ESTIMATE)
        return out
    # contributions I * W scaled by exp(-top): z in (0, 1], exact in floating point
    z = np.exp(log_w - top)
    mean_z = z.sum() / n_final
    # variance of I*W over all n_final draws (the zeros of the misses included); the
    # relative error does not depend on the scale exp(top), so it survives underflow
    var_z = (np.square(z).sum() - n_final * mean_z**2) / (n_final - 1) if n_final > 1 else 0.0
    relative_error = math.sqrt(max(var_z, 0.0) / n_final) / mean_z
    log_p = top + math.log(mean_z)
    probability = math.exp(log_p)  # 0.0 below about 1e-308: log_probability keeps it
    out.update(
        probability=probability,
        log_probability=log_p,
        std_error=relative_error * probability,
        relative_error=relative_error,
        ess=effective_sample_size(z, n_hits),
    )
    return out


def _result(final, status, rows, proposal, nfev, n_final, n_nan, method) -> RareEventResult:
    success, message = RARE_EVENT_MESSAGES[status]
    if not success:
        warnings.warn(message, ConvergenceWarning, stacklevel=3)
    p, se = final["probability"], final["std_error"]
    history = LevelHistory.from_rows(rows)
    return RareEventResult(
        probability=p,
        std_error=se,
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
