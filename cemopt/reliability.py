r"""Failure probabilities in the form reliability engineers use: ``P(g(X) <= 0)``.

:func:`failure_probability` takes the limit-state function ``g`` of the physical
inputs, their marginals (scipy.stats frozen distributions) and an optional Gaussian
copula, maps the inputs to independent standard normals (:mod:`cemopt.transform`),
and runs :func:`cemopt.estimate` there with the improved cross-entropy method:
smoothed-indicator levels (Papaioannou, Geyer & Straub 2019) and a Gaussian mixture
that chooses its number of components at every level (Geyer, Papaioannou & Straub
2019), so that several failure regions are each given a component.

Two safeguards stand between the estimate and a confident wrong answer:

* **Independent runs must agree.** By default two runs with independent seeds adapt
  their own proposals; their estimates must agree within their standard errors
  (``|z| <= 4`` in log space). A region one of them missed is caught when the other
  found it: a fresh final sample from the equal mixture of their proposals, which
  covers every region either found, then makes the estimate if it matches the larger
  run's (that run found every region the others did); otherwise, or under
  ``max_evals`` (no budget left for that sample), the result says the runs disagree
  (``success=False``).
* **A defensive share of the nominal** in every proposal (5% by default) keeps the
  likelihood ratios below 20, so the error bar of the final sample is finite whatever
  the fitted mixture's tails.

When a run cannot make a trustworthy estimate (its levels stall, no proposal can be
fitted to them, the final sample has no hit or too few effective samples), subset
simulation (:mod:`cemopt._subset`) makes the estimate: ``subset_runs`` independent
runs (10 by default), their mean, and the standard error of their spread with
Student's t. It fits no density, so it needs no component per failure region: P(sum
of 30 LogNormal(0, 1) > 500), whose 30 symmetric regions no mixture of the
cross-entropy runs holds, comes out right (see ``benchmarks/RESULTS.md``).

What cannot be detected: a failure region that every run misses while the levels
still reach the event elsewhere (for example many symmetric regions, more than the
mixture has samples to hold, each as likely as the ones found, when a proposal fits
some of them), and regions so improbable that the final samples never reach them. The
result then underestimates; its error bar describes only the regions found.
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
from scipy import special, stats

from ._subset import subset_simulation
from .errors import ConvergenceWarning
from .evaluate import DEFAULT_BLOCK_SIZE
from .families import GaussianMixture, VonMisesFisherNakagami
from .rare_event import estimate
from .result import RareEventResult
from .transform import StandardNormalMap
from .validation import as_rng, check_int, check_real

__all__ = ["ReliabilityResult", "failure_probability"]

#: two runs disagree when their log estimates differ by more than this many of their
#: combined standard errors
_AGREEMENT_Z = 4.0
#: from this many inputs on, "auto" proposals are von Mises-Fisher-Nakagami mixtures
_HIGH_DIMENSION = 20
#: default samples per level per input (above 400 inputs, where it exceeds 2000)
_SAMPLES_PER_INPUT = 5
#: the statuses of runs that made no estimate (the levels never reached the event, or
#: the final sample had no hit) or one with too few effective final samples: subset
#: simulation then makes it. Not "uncovered event": on RP110 (seed 6, whose small region
#: lures the levels) the subset simulations' mean came out 1.53 p at a CoV of 0.31,
#: right but far from the flagged run's own 1.0 p, and their coverage on such lures is
#: unmeasured; the flag stays
_FALLBACK_STATUSES = (
    "stalled",
    "max_iter",
    "degenerate elite",
    "no hits",
    "degenerate weights",
)


@dataclass(frozen=True, eq=False)
class ReliabilityResult:
    """The outcome of :func:`failure_probability`.

    Attributes
    ----------
    probability : float
        The estimate of ``P(g(X) <= 0)`` (NaN when no run made one).
    std_error, cov : float
        Its standard error and coefficient of variation (``std_error / probability``).
    log_probability : float
        Natural log of the estimate, exact where ``probability`` underflows.
    beta : float
        The generalised reliability index ``-Phi^-1(probability)``.
    design_point_u, design_point_x : ndarray or None
        The failure point of highest density seen (the most probable failure point),
        in standard normal space and in the physical space; ``|design_point_u|`` is an
        upper bound of the FORM index.
    nfev : int
        Calls of ``g`` in all runs.
    n_final : int
        Final samples in all runs.
    success : bool
        True only when every run succeeded and their estimates agree.
    status, message : str
        What decided it (``"converged"``, ``"runs disagree"``, or a run's status).
    agreement : float
        The largest ``|z|`` between two runs' log estimates (NaN with one run).
    runs : tuple of RareEventResult
        The runs themselves (their proposals, levels, histories).
    reconciliation : RareEventResult or None
        When the runs disagreed: the final sample drawn from the mixture of their
        proposals, which then makes the estimate (None otherwise).
    subset : tuple of RareEventResult
        When the runs could not make a trustworthy estimate: the independent subset
        simulations (``method="subset"``) whose mean is the estimate (empty otherwise).
    dof : float
        Degrees of freedom of ``std_error``: ``inf`` for an importance-sampling
        estimate (asymptotically normal), ``len(subset) - 1`` when it is the spread of
        the subset simulations; :meth:`ci` then uses Student's t.

    Examples
    --------
    >>> from scipy import stats
    >>> res = failure_probability(lambda X: 3.0 - X[:, 0], [stats.norm()], rng=0)
    >>> round(res.beta, 1), res.success      # exact: beta = 3
    (3.0, True)
    """

    probability: float
    std_error: float
    cov: float
    log_probability: float
    beta: float
    design_point_u: Any
    design_point_x: Any
    nfev: int
    n_final: int
    success: bool
    status: str
    message: str
    agreement: float
    runs: tuple[RareEventResult, ...]
    reconciliation: RareEventResult | None = None
    subset: tuple[RareEventResult, ...] = ()
    dof: float = math.inf

    def ci(self, level: float = 0.95) -> tuple[float, float]:
        """The normal interval ``p -/+ z se``, inside [0, 1]; NaN without an estimate.

        When every run estimated from the nominal itself (a common event: crude Monte
        Carlo), the exact binomial interval of the pooled final draws. When the estimate
        is the mean of subset simulations, ``p exp(-/+ t cov)`` with Student's ``t`` for
        ``dof`` degrees of freedom: their estimates are close to lognormal (30 lognormal
        regions: skewness 1.6 in p, 0.03 in log p over 1500 runs), and over 150 sets of
        10 this interval held p in 93.3% against 92.0% for ``p -/+ t se``.
        """
        if not 0 < level < 1:
            raise ValueError(f"`0 < level < 1` must hold, but got level={level!r}.")
        crude = (
            self.reconciliation is None
            and not self.subset
            and all(r.method == "crude" for r in self.runs)
        )
        if self.runs and self.success and crude:
            tail = (1 - level) / 2
            k = sum(r.n_hits for r in self.runs)
            n = sum(r.n_final for r in self.runs)
            low = 0.0 if k == 0 else float(stats.beta.ppf(tail, k, n - k + 1))
            high = 1.0 if k == n else float(stats.beta.ppf(1 - tail, k + 1, n - k))
            return low, high
        if self.subset and self.success:
            spread = float(stats.t.ppf(0.5 + level / 2, self.dof)) * self.cov
            return self.probability * math.exp(-spread), min(
                1.0, self.probability * math.exp(spread)
            )
        half = float(stats.norm.ppf(0.5 + level / 2)) * self.std_error
        if not half >= 0 or self.probability != self.probability:
            return math.nan, math.nan
        return max(0.0, self.probability - half), min(1.0, self.probability + half)

    def __repr__(self) -> str:
        fields = [
            "message",
            "success",
            "status",
            "probability",
            "std_error",
            "cov",
            "beta",
            "nfev",
            "n_final",
            "agreement",
            "design_point_x",
        ]
        width = max(map(len, fields))
        return "\n".join(f"{f:>{width}}: {getattr(self, f)!r}" for f in fields)


class _LimitStateInStandardSpace:
    """``S(u) = g(T(u))``, picklable for process pools (module-level class)."""

    def __init__(self, g: Callable[..., Any], transform: StandardNormalMap, vectorized: bool):
        self.g, self.transform, self.vectorized = g, transform, vectorized

    def __call__(self, u: np.ndarray) -> Any:
        if self.vectorized:
            return self.g(self.transform.to_physical(u))
        return self.g(self.transform.to_physical(np.asarray(u)[None, :])[0])


def failure_probability(
    g: Callable[..., Any],
    marginals: Sequence[Any] | StandardNormalMap,
    *,
    correlation: Any = None,
    runs: int = 2,
    proposal: str = "auto",
    n_samples: int | None = None,
    n_final: int | None = None,
    max_evals: int | None = None,
    time_limit: float | None = None,
    max_components: int = 8,
    defensive: float = 0.05,
    cov_target: float = 1.5,
    smoothing: float = 1.0,
    max_iter: int = 50,
    subset_runs: int = 10,
    vectorized: bool = True,
    executor: Executor | None = None,
    block_size: int | None = DEFAULT_BLOCK_SIZE,
    catch: Sequence[type[BaseException]] | type[BaseException] = (),
    rng: Any = None,
    callback: Callable[[RareEventResult], Any] | None = None,
    progress: bool = False,
    checkpoint: str | PathLike | None = None,
    resume: str | PathLike | None = None,
) -> ReliabilityResult:
    r"""The probability of failure ``P(g(X) <= 0)`` by improved cross-entropy IS.

    >>> from scipy import stats
    >>> g = lambda X: X[:, 0] - X[:, 1]          # resistance minus load
    >>> res = failure_probability(g, [stats.norm(10, 1), stats.norm(5, 1)], rng=1)
    >>> exact = stats.norm.sf(5 / np.sqrt(2))     # 2.0e-4
    >>> res.success, bool(abs(res.probability - exact) < 4 * res.std_error)
    (True, True)

    Parameters
    ----------
    g : callable
        The limit-state function of the physical inputs: with ``vectorized=True``
        ``g(X) -> (n,)`` for ``X`` of shape ``(n, d)``, else ``g(x) -> float``.
        Failure is ``g <= 0``.
    marginals : sequence of scipy.stats frozen distributions, or StandardNormalMap
        The inputs' distributions, one per column of ``X`` (normal, lognormal, Gumbel,
        uniform, exponential, Weibull, gamma, ...: continuous, with ``ppf``/``isf``).
    correlation : array_like, optional
        The Gaussian copula's correlation matrix (Nataf model, normal space). For the
        Pearson correlation of the inputs use
        ``correlation=cemopt.transform.nataf_correlation(marginals, pearson)``.
    runs : int, default 2
        Independent runs whose estimates must agree (see the module notes). The result
        combines them; 1 turns the check off.
    proposal : {"auto", "gaussian_mixture", "vmfnm"}, default "auto"
        The proposal family in standard normal space: a :class:`cemopt.GaussianMixture`
        (``"auto"`` below 20 inputs) or a :class:`cemopt.VonMisesFisherNakagami`
        mixture (``"auto"`` from 20 inputs on, where a Gaussian component's ``d (d +
        3) / 2`` parameters need more samples than a level has).
    n_samples : int, optional
        Samples per level of each run. Default: ``max(2000, 5 d)`` (1000 missed the
        smaller regions of the four-branch system in 4 of 10 runs, 2000 in none; in
        1000 dimensions 2000 stalled every run, 5000 converged); with ``max_evals``,
        a sixth of each run's share of it, between 100 and 2000 (at 5000 calls on
        RP35, RP75, RP89, RP22 and the four-branch system, 10 seeds each: an eighth
        gave 4 silently wrong estimates in 50, a sixth none, at the price of flagging
        every run of RP35 and the four-branch system).
    n_final : int, optional
        Final samples of each run. Default: ``10 n_samples``; with ``max_evals``, what
        the levels leave of each run's share.
    max_evals : int, optional
        Calls of ``g`` in all, shared equally between the runs, final samples
        included: the best estimate that budget allows, or a result that says it
        could not make one.
    time_limit : float, optional
        Seconds for all runs, shared out as they go.
    max_components : int, default 8
        The most components of a proposal mixture.
    defensive : float, default 0.05
        Share of the standard normal density in every proposal after the first.
    cov_target : float, default 1.5
        Coefficient of variation of the weights at each level (improved CE).
    smoothing : float, default 1
        Weight of each new fit: below 1 the proposal keeps ``1 - smoothing`` of the
        previous one as a density mixture (:meth:`cemopt.GaussianMixture.blend`).
    max_iter : int, default 50
        Levels per run at most.
    subset_runs : int, default 10
        When a cross-entropy run cannot make a trustworthy estimate (its levels stall,
        no proposal can be fitted to them, the final sample has no hit or too few
        effective samples: more failure regions than a mixture holds), this many
        independent subset simulations of ``n_samples`` per level make the estimate
        instead: their mean, with the standard error of their spread (see the notes).
        0 turns this off. Not under ``max_evals`` (the levels have spent the budget).
    vectorized, executor, block_size, catch, rng, callback, progress
        As in :func:`cemopt.estimate` (``callback`` sees each cross-entropy run's
        intermediate result, ``progress`` shows those runs).
    checkpoint, resume : path, optional
        As in :func:`cemopt.estimate`, one file per run: ``run.npz`` becomes
        ``run.run0.npz``, ``run.run1.npz``, ... The subset simulations (see
        ``subset_runs``) are not saved: on resume they run again, with the same seeds
        and so the same result.

    Returns
    -------
    ReliabilityResult

    Notes
    -----
    In standard normal space ``u``, the nominal density is ``N(0, I)`` and each run
    starts its proposal there (one component). Each level draws ``n_samples``, lowers
    the width ``sigma`` of the smoothed indicator ``Phi(-G(u) / sigma)`` so that the
    weights ``Phi W`` have a coefficient of variation of ``cov_target``, and fits the
    mixture to all the samples with those weights; the levels end when ``I / Phi``
    has that coefficient of variation, and a fresh final sample makes the estimate.
    Two runs' estimates are combined as one sample of their pooled final draws:
    ``p = sum n_k p_k / sum n_k``. Runs that disagree are reconciled (without
    ``max_evals``) by ``n_final`` more draws from the mixture of their final proposals
    (:func:`cemopt.estimate` with ``levels="none"``), whose estimate replaces theirs
    when it matches the larger run's (the others missed a region that run had):
    on RP110, whose small region lures the levels away from the large one, 4 of 10
    seeds disagreed and all four reconciled estimates were within 3 SE of the
    closed form.

    References
    ----------
    Papaioannou, Geyer & Straub (2019), Improved cross entropy-based importance sampling
    with a flexible mixture model, Reliab. Eng. Syst. Saf. 191, 106564. Geyer,
    Papaioannou & Straub (2019), Cross entropy-based importance sampling using Gaussian
    densities revisited, Struct. Saf. 76, 15-27. Hesterberg (1995), Weighted average
    importance sampling and defensive mixture distributions, Technometrics 37, 185-194.
    """
    transform = (
        marginals
        if isinstance(marginals, StandardNormalMap)
        else StandardNormalMap(marginals, correlation)
    )
    if isinstance(marginals, StandardNormalMap) and correlation is not None:
        raise ValueError(
            "`correlation` must be None when `marginals` is a StandardNormalMap (it holds "
            "its own correlation)."
        )
    if not callable(g):
        raise TypeError(f"`g` must be callable, but got g={g!r}.")
    runs = check_int(runs, "runs", minimum=1)
    subset_runs = check_int(subset_runs, "subset_runs", minimum=0)
    if subset_runs == 1:
        raise ValueError(
            "`subset_runs` must be 0 (off) or at least 2 (their spread is the error bar), "
            "but got subset_runs=1."
        )
    d = transform.dim
    budget = None if max_evals is None else check_int(max_evals, "max_evals", minimum=1) // runs
    if n_samples is None:
        # the directional fits need samples in proportion to the dimension
        n_samples = (
            max(2000, _SAMPLES_PER_INPUT * d)
            if budget is None
            else int(np.clip(budget // 6, 100, 2000))
        )
    n_samples = check_int(n_samples, "n_samples", minimum=10)
    if n_final is None and budget is None:
        n_final = 10 * n_samples
    time_limit = check_real(time_limit, "time_limit", low=0, low_open=True, allow_none=True)
    S = _LimitStateInStandardSpace(g, transform, bool(vectorized))
    if proposal not in ("auto", "gaussian_mixture", "vmfnm"):
        raise ValueError(
            "`proposal` must be 'auto', 'gaussian_mixture' or 'vmfnm', but got "
            f"proposal={proposal!r}."
        )
    if proposal == "vmfnm" and d < 2:
        raise ValueError("`proposal='vmfnm'` needs at least 2 inputs, but got 1.")
    high = proposal == "vmfnm" or (proposal == "auto" and d >= _HIGH_DIMENSION)
    start = (
        VonMisesFisherNakagami.standard(d, max_components=max_components)
        if high
        else GaussianMixture.standard(d, max_components=max_components)
    )
    # after the runs' streams, the reconciliation's and the subset simulations' (spawning
    # more keeps the first ones as they were)
    seeds = as_rng(rng).spawn(runs + 1 + subset_runs)
    common = {
        "event": "<=",
        "defensive": defensive,
        "n_samples": n_samples,
        "n_final": n_final,
        "vectorized": vectorized,
        "executor": executor,
        "block_size": block_size,
        "catch": catch,
        "callback": callback,
        "progress": progress,
    }
    results: list[RareEventResult] = []
    started = time.perf_counter()

    def time_left(share: int) -> float | None:
        spent = time.perf_counter() - started
        return None if time_limit is None else max(time_limit - spent, 1e-3) / share

    for k in range(runs):
        with warnings.catch_warnings():  # one warning for the whole result, below
            warnings.simplefilter("ignore", ConvergenceWarning)
            results.append(
                estimate(
                    S,
                    start,  # exactly N(0, I): the nominal density and the first proposal
                    0.0,
                    levels="smoothed",
                    smoothing=smoothing,
                    cov_target=cov_target,
                    max_iter=max_iter,
                    max_evals=budget,
                    time_limit=time_left(runs - k),
                    rng=seeds[k],
                    checkpoint=_run_path(checkpoint, k),
                    resume=_run_path(resume, k),
                    **common,
                )
            )
        if results[-1].interrupted:
            break
    out = _combine(results, transform)
    if out.status == "runs disagree" and budget is None and not results[-1].interrupted:
        # one run found a region the other missed: a fresh final sample from the
        # mixture of their proposals covers every region either found
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            reconciliation = estimate(
                S,
                start,
                0.0,
                proposal=_union(r.proposal for r in results),
                levels="none",
                time_limit=time_left(1),
                rng=seeds[runs],
                checkpoint=_run_path(checkpoint, runs),
                resume=_run_path(resume, runs),
                **common,
            )
        out = _reconcile(out, reconciliation, transform)
    if subset_runs and out.status in _FALLBACK_STATUSES and budget is None:
        replicates = []
        for k in range(subset_runs):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                replicates.append(
                    subset_simulation(
                        S,
                        d,
                        0.0,
                        event="<=",
                        n_samples=n_samples,
                        max_iter=max_iter,
                        time_limit=time_left(subset_runs - k),
                        vectorized=vectorized,
                        executor=executor,
                        block_size=block_size,
                        catch=catch,
                        rng=seeds[runs + 1 + k],
                    )
                )
            if replicates[-1].interrupted:
                break
        out = _from_replicates(out, replicates, transform)
    if not out.success:
        warnings.warn(out.message, ConvergenceWarning, stacklevel=2)
    return out


def _run_path(path: str | PathLike | None, k: int) -> Path | None:
    if path is None:
        return None
    path = Path(path)
    return path.with_name(f"{path.stem}.run{k}{path.suffix or '.npz'}")


def _combine(results: list[RareEventResult], transform: StandardNormalMap) -> ReliabilityResult:
    """One estimate from the runs: pooled when all succeeded and agree."""
    nfev = sum(r.nfev for r in results)
    n_final = sum(r.n_final for r in results)
    design_u, design_x = _design_point(results, transform)
    good = [r for r in results if r.success]
    agreement = _agreement(good) if len(good) > 1 else math.nan
    failed = [r for r in results if not r.success]
    if failed:
        first = failed[0]
        status, message = (
            first.status,
            (f"Run {results.index(first) + 1} of {len(results)}: {first.message}"),
        )
    elif agreement > _AGREEMENT_Z:
        status = "runs disagree"
        message = (
            f"The {len(results)} independent runs disagree (|z| = {agreement:.1f} > "
            f"{_AGREEMENT_Z:g} in log space): at least one missed a failure region the "
            "other found, or their error bars are too small; the estimate cannot be "
            "trusted. More samples per level (n_samples) help the proposals find every "
            "region."
        )
    else:
        status, message = (
            "converged",
            (
                f"{len(results)} independent run{'s' if len(results) > 1 else ''} "
                "converged"
                + (f" and agree (|z| = {agreement:.1f})" if len(results) > 1 else "")
                + "; the estimate pools their final samples."
            ),
        )
    pool = good if good else []
    log_p, re = _pooled(pool)
    p = math.exp(log_p) if math.isfinite(log_p) else (0.0 if log_p == -math.inf else math.nan)
    return ReliabilityResult(
        probability=p,
        std_error=re * p if p == p else math.nan,
        cov=re,
        log_probability=log_p,
        beta=_beta(log_p),
        design_point_u=design_u,
        design_point_x=design_x,
        nfev=nfev,
        n_final=n_final,
        success=not failed and not agreement > _AGREEMENT_Z,
        status=status,
        message=message,
        agreement=agreement,
        runs=tuple(results),
    )


def _union(proposals: Iterable[Any]) -> Any:
    """The equal-weight density mixture of the runs' final proposals."""
    merged, count = None, 0
    for proposal in proposals:
        count += 1
        merged = proposal if merged is None else proposal.blend(merged, 1.0 / count)
    return merged


def _reconcile(
    out: ReliabilityResult, reconciliation: RareEventResult, transform: StandardNormalMap
) -> ReliabilityResult:
    """The estimate of the reconciliation sample, checked against the runs.

    It is trusted only when it matches the largest run's estimate (``|z| <= 4`` in
    log space): that run then found everything the others did, and the others each
    missed a region it had. Far below it, the larger run was the wrong one or the
    mixture lost its region; far above it, every run missed a region another found,
    so a region all of them missed is likely too (many symmetric regions found at
    random); either way the result stays flagged.
    """
    largest = max(out.runs, key=lambda r: r.log_probability)
    r = reconciliation
    z = _z(largest, r)
    gap = largest.log_probability - r.log_probability
    design_u, design_x = _design_point([*out.runs, r], transform)
    disagreed = (
        f"The {len(out.runs)} independent runs disagreed (|z| = {out.agreement:.1f} > "
        f"{_AGREEMENT_Z:g} in log space): one missed a failure region another found. "
    )
    if not r.success:
        success, status = False, r.status
        message = disagreed + f"The final sample from the mixture of their proposals: {r.message}"
    elif z > _AGREEMENT_Z:
        success, status = False, "runs disagree"
        where = (
            "stays below the larger run's estimate: that run or the mixture is wrong"
            if gap > 0
            else "exceeds every run's estimate: each run missed a region another found, "
            "so one that all of them missed is likely too"
        )
        message = disagreed + (
            f"A final sample from the mixture of their proposals {where} (|z| = {z:.1f}); "
            "the estimate cannot be trusted. More samples per level (n_samples) help the "
            "proposals find every region."
        )
    else:
        success, status = True, "converged"
        message = disagreed + (
            f"A fresh final sample of {r.n_final} from the mixture of their proposals "
            f"makes the estimate (|z| = {z:.1f} against the larger run)."
        )
    return dataclasses.replace(
        out,
        probability=r.probability,
        std_error=r.std_error,
        cov=r.relative_error,
        log_probability=r.log_probability,
        beta=_beta(r.log_probability),
        design_point_u=design_u,
        design_point_x=design_x,
        nfev=out.nfev + r.nfev,
        n_final=out.n_final + r.n_final,
        success=success,
        status=status,
        message=message,
        reconciliation=r,
    )


def _from_replicates(
    out: ReliabilityResult, replicates: list[RareEventResult], transform: StandardNormalMap
) -> ReliabilityResult:
    """The mean of independent subset simulations, with the standard error of their spread.

    One run's own error bar (Au & Beck's) leaves out the correlation between levels
    and comes out too small (see :mod:`cemopt._subset`); the spread of independent runs
    has none of that, and Student's t (in :meth:`ReliabilityResult.ci`) accounts for
    its few degrees of freedom.
    """
    why = f"The cross-entropy runs could not make a trustworthy estimate ({out.message}) "
    design_u, design_x = _design_point([*out.runs, *replicates], transform)
    common = {
        "design_point_u": design_u,
        "design_point_x": design_x,
        "nfev": out.nfev + sum(r.nfev for r in replicates),
        "n_final": out.n_final + sum(r.n_final for r in replicates),
        "subset": tuple(replicates),
    }
    failed = [r for r in replicates if not r.success]
    if failed or len(replicates) < 2:
        first = failed[0] if failed else replicates[0]
        message = why + (
            f"and subset simulation {replicates.index(first) + 1} of {len(replicates)} "
            f"could not either: {first.message}"
        )
        return dataclasses.replace(out, status=first.status, message=message, **common)
    log_p = np.array([r.log_probability for r in replicates])
    top = log_p.max()
    ratios = np.exp(log_p - top)  # p_k / max p, exact where the p_k underflow
    mean = float(ratios.mean())
    cov = float(ratios.std(ddof=1) / math.sqrt(len(ratios)) / mean)
    log_mean = float(top + math.log(mean))
    p = math.exp(log_mean)
    message = why + (
        f"so the estimate is the mean of {len(replicates)} independent subset simulations "
        f"(Au & Beck 2001; {replicates[0].n_final} samples per level, "
        f"{len(replicates[0].levels)} levels), its standard error their spread over "
        f"sqrt({len(replicates)}), its interval Student's t in log space."
    )
    return dataclasses.replace(
        out,
        probability=p,
        std_error=cov * p,
        cov=cov,
        log_probability=log_mean,
        beta=_beta(log_mean),
        success=True,
        status="subset simulation",
        message=message,
        dof=float(len(replicates) - 1),
        **common,
    )


def _design_point(
    results: Sequence[RareEventResult], transform: StandardNormalMap
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The runs' failure point nearest the origin in u, and its physical image."""
    points = [
        np.asarray(r.design_point, dtype=float) for r in results if r.design_point is not None
    ]
    if not points:
        return None, None
    design_u = min(points, key=lambda u: float(np.sum(u**2)))
    return design_u, transform.to_physical(design_u[None])[0]


def _beta(log_p: float) -> float:
    """The generalised reliability index ``-Phi^-1(p)`` from ``log p``."""
    return float(-special.ndtri_exp(log_p)) if math.isfinite(log_p) else math.nan


def _z(a: RareEventResult, b: RareEventResult) -> float:
    """``|z|`` between two estimates in log space (delta method: se(log p) = RE)."""
    spread = math.hypot(a.relative_error, b.relative_error)
    gap = abs(a.log_probability - b.log_probability)
    return gap / spread if spread > 0 else (math.inf if gap else 0.0)


def _agreement(runs: list[RareEventResult]) -> float:
    """The largest |z| between two runs' log estimates."""
    return max(
        (_z(runs[i], runs[j]) for i in range(len(runs)) for j in range(i + 1, len(runs))),
        default=0.0,
    )


def _pooled(runs: list[RareEventResult]) -> tuple[float, float]:
    """log p and the relative error of ``sum n_k p_k / sum n_k``, in log space."""
    if not runs:
        return math.nan, math.nan
    log_n = np.log([r.n_final for r in runs])
    log_p = np.array([r.log_probability for r in runs])
    terms = log_n + log_p  # log(n_k p_k)
    top = terms.max()
    if not np.isfinite(top):
        return -math.inf, math.nan
    share = np.exp(terms - top)  # n_k p_k / max
    pooled = top + math.log(share.sum()) - math.log(sum(r.n_final for r in runs))
    rel = np.array([r.relative_error for r in runs])
    re = float(np.sqrt(np.sum((share * rel) ** 2)) / share.sum())
    return float(pooled), re
