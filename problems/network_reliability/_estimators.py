"""Unreliability: exact (:func:`exact_unreliability`) and estimated by CE importance
sampling, the merge process, permutation Monte Carlo or crude Monte Carlo
(:func:`estimate_unreliability`)."""

from __future__ import annotations

import dataclasses
import math
import numbers
from concurrent.futures import Executor
from typing import Any, NamedTuple

import numpy as np

import cemopt as ce
from cemopt.diagnostics import pareto_diagnostic

from ._batch import connection_times, min_cut_sizes, terminals_connected
from ._exact import log_unreliability_exact, unreliability_exact
from ._network import Network
from ._pmc import MergeScore, PermutationScore

#: the estimators of :func:`estimate_unreliability`
METHODS = ("ce-turnip", "turnip", "pmc", "ce", "evolution", "crude")


# ---------------------------------------------------------------------- reduction
class _Reduced(NamedTuple):
    """The network with certain links removed (q = 1) or contracted (q = 0)."""

    n_nodes: int
    edges: np.ndarray
    q: np.ndarray
    terminals: np.ndarray
    answer: float | None  # the unreliability when the reduction already decides it


def _reduce(network: Network) -> _Reduced:
    q, edges = network.failure_prob, network.edges
    # contract the links that never fail: their ends are one node
    parent = list(range(network.n_nodes))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for u, v in edges[q == 0]:
        parent[find(int(u))] = find(int(v))
    roots = np.array([find(a) for a in range(network.n_nodes)])
    _, label = np.unique(roots, return_inverse=True)
    new_edges = label[edges]
    keep = (q > 0) & (q < 1) & (new_edges[:, 0] != new_edges[:, 1])
    terminals = np.unique(label[network.terminals])
    n_nodes = int(label.max()) + 1
    reduced = _Reduced(n_nodes, new_edges[keep], q[keep], terminals, None)
    if terminals.size < 2:
        return reduced._replace(answer=0.0)
    all_up = np.ones((1, reduced.edges.shape[0]), dtype=bool)
    if not terminals_connected(n_nodes, reduced.edges, terminals, all_up)[0]:
        return reduced._replace(answer=1.0)
    return reduced


# ---------------------------------------------------------------------- exact
def exact_unreliability(network: Network, *, max_frontier: int = 12, log: bool = False) -> float:
    """The exact probability that the terminals are disconnected.

    A frontier dynamic programme over the links (states: the partitions of the
    frontier nodes into components), summing non-negative terms only, so a value of
    1e-15 or 1e-100 keeps its relative accuracy (no ``1 - R`` cancellation). Its cost
    grows with the number of partitions of the frontier (the Bell number of its width),
    linearly with the number of links: grids of width up to about 10 and hundreds of
    links are fine; wider graphs are refused.

    Parameters
    ----------
    network : Network
    max_frontier : int, default 12
        Refuse (``ValueError``) graphs whose frontier under the elimination order grows
        wider than this; :meth:`Network.frontier_width` tells it before computing.
    log : bool, default False
        Return the natural log instead, computed in log space: exact also where the
        unreliability underflows (below about 1e-300).

    Returns
    -------
    float

    Examples
    --------
    >>> import networkx as nx
    >>> series = Network(nx.path_graph(3), terminals=[0, 2], failure_prob=[0.1, 0.2])
    >>> round(exact_unreliability(series), 12)   # 1 - 0.9 * 0.8
    0.28
    """
    if not isinstance(network, Network):
        raise TypeError(f"`network` must be a Network, but got {network!r}.")
    routine = log_unreliability_exact if log else unreliability_exact
    return float(
        routine(
            network.n_nodes,
            network.edges,
            network.failure_prob,
            network.terminals,
            max_frontier=max_frontier,
        )
    )


# ---------------------------------------------------------------------- scores
class _Disconnected:
    """1.0 where the failed links (``X == 1``) disconnect the terminals, else 0.0."""

    def __init__(self, reduced: _Reduced) -> None:
        self.reduced = reduced

    def __call__(self, failed: np.ndarray) -> np.ndarray:
        n, edges, _, terminals, *_ = self.reduced
        return (~terminals_connected(n, edges, terminals, np.asarray(failed) == 0)).astype(float)


class _NegativeMinCut:
    """Minus the number of working links in a smallest terminal-separating cut.

    It reaches 0 exactly when the terminals are disconnected, and counts how many
    more failures that takes: a graded score on which the levels of multilevel CE
    can climb (the 0/1 indicator gives them nothing to climb).
    """

    def __init__(self, reduced: _Reduced) -> None:
        self.reduced = reduced

    def __call__(self, failed: np.ndarray) -> np.ndarray:
        n, edges, _, terminals, *_ = self.reduced
        return -min_cut_sizes(n, edges, terminals, np.asarray(failed) == 0).astype(float)


class _ConnectionTime:
    """The time the terminals connect when link ``e`` is repaired at ``T[:, e]``."""

    def __init__(self, reduced: _Reduced) -> None:
        self.reduced = reduced

    def __call__(self, times: np.ndarray) -> np.ndarray:
        n, edges, _, terminals, *_ = self.reduced
        return connection_times(n, edges, terminals, np.asarray(times, dtype=float))[0]


# ---------------------------------------------------------------------- estimation
def estimate_unreliability(
    network: Network,
    *,
    method: str = "ce-turnip",
    n_samples: int = 1000,
    n_final: int = 10_000,
    elite_frac: float = 0.1,
    smoothing: float = 0.7,
    n_tune: int = 4,
    defensive: float = 0.1,
    executor: Executor | None = None,
    rng: Any = None,
    **options: Any,
) -> ce.RareEventResult:
    r"""Estimate the probability that the terminals are disconnected.

    Parameters
    ----------
    network : Network
    method : {"ce-turnip", "turnip", "pmc", "ce", "evolution", "crude"}
        - ``"ce-turnip"`` (default): the merge process with CE-tuned repair rates. The
          graph-evolution model gives link ``e`` an exponential repair time of rate
          :math:`\lambda_e = -\ln q_e` (repaired by time 1 with probability
          ``1 - q_e``); the merge process [3]_ averages the exact probability of
          failure given the order in which components merge. CE tunes the repair-time
          means first (``n_tune`` iterations of ``n_samples``, weighted maximum
          likelihood with weights ``H W``, no levels needed because the conditional
          probability ``H`` is never 0), and the merge sequences are then drawn from the
          tuned rates and weighted by their likelihood ratio [1]_. A share
          ``defensive`` of the final sample comes from the nominal rates (a defensive
          mixture [4]_), which bounds every likelihood ratio by ``1 / defensive``.
          The default because it was right in every run of
          ``benchmarks/reliability.py`` (two-, K- and all-terminal, 1e-3 to 1e-12,
          relative error 0.01-0.025 from 14,000 evaluations; its 95% interval covered
          the exact value in 94.5-96.5% of 200 seeds); ``"ce"`` is cheaper per second where
          it works.
        - ``"turnip"``: the merge process at the nominal rates (no CE); its relative
          error stays bounded as the failure probabilities shrink.
        - ``"pmc"``: permutation Monte Carlo: the same with all repairs, not only
          merges, in the conditioning; simpler and noisier.
        - ``"ce"``: multilevel CE importance sampling over the links' failure
          probabilities (a Bernoulli family), through :func:`cemopt.estimate`. The
          score is minus the number of working links in a smallest cut separating the
          terminals: it reaches 0 exactly at failure and gives the levels something to
          climb. The first proposal raises every failure probability to at least
          ``1/m`` (``proposal=`` overrides it), so that the first levels see failures.
          Caution, measured: a product-form proposal cannot follow many competing
          cuts (all-terminal on the dodecahedron, 20 of them: its weights degenerate
          and it reports failure), and it may settle on one of several equally likely
          cuts and miss the others (seen from the nominal start: half the exact value
          with a small error bar). Where it works it is the cheapest per second.
        - ``"evolution"``: multilevel CE on the graph-evolution model as in the CE
          tutorial: the terminals connect at the bottleneck repair time ``S`` and the
          unreliability is ``P(S > 1)``; CE tunes the repair-time means (an
          Exponential family). Fine on small networks (the tutorial's bridge); measured,
          its likelihood-ratio weights degenerate on networks with many links and
          several competing cuts, and the result then says so (``success=False``).
        - ``"crude"``: crude Monte Carlo on the link states (``n_final`` samples).
    n_samples : int, default 1000
        Samples per CE level (CE methods).
    n_final : int, default 10000
        Samples of the final estimate.
    elite_frac, smoothing : float
        As in :func:`cemopt.estimate` (``"ce"``, ``"evolution"``; ``smoothing`` also
        for ``"ce-turnip"``).
    n_tune : int, default 4
        CE iterations of ``"ce-turnip"``. Each refit moves the means by ``smoothing``
        times ``min(1, ESS / m)`` (``ESS`` the effective sample size of its weights,
        ``m`` the number of links): a fit from fewer effective samples than means is
        mostly noise.
    defensive : float, default 0.1
        ``"ce-turnip"``: the share of the final sample drawn from the nominal rates,
        ``0 <= defensive < 1``. With a share, the likelihood ratio of a merge
        sequence is at most ``1 / defensive`` and the error bar stays honest even
        when the tuning went astray; with ``defensive=0`` nothing bounds it, and a
        run whose values show a heavy tail (Pareto k-hat above
        :func:`cemopt.diagnostics.khat_threshold`) reports ``success=False`` with
        ``status="heavy weights"``. Measured on the dodecahedron at 1e-3: the share
        0.1 costs 3% in relative error where the tuning is good.
    executor : concurrent.futures.Executor, optional
        Scores chunks of each batch on it; the result does not depend on it.
    rng : None, int or numpy.random.Generator
    **options
        Further arguments of :func:`cemopt.estimate` (CE methods), e.g. ``min_ess``,
        ``max_iter``.

    Returns
    -------
    cemopt.RareEventResult
        ``probability``, ``std_error``, ``relative_error``, ``ci()``, ``nfev`` (all
        evaluations: CE iterations and the final sample), ``proposal`` (the family of
        the final sample: Bernoulli failure probabilities for ``"ce"`` and ``"crude"``,
        Exponential repair-time means otherwise, a Mixture with the nominal ones for
        ``"ce-turnip"`` with a defensive share), ``method``, ``history`` (one row per
        CE iteration), and for the merge-process estimators ``khat``, the Pareto k-hat
        of the final values (:func:`cemopt.diagnostics.pareto_khat`).

    Notes
    -----
    Links that never fail are contracted and links that always fail removed before
    sampling; when that decides the answer (terminals merged, or disconnected for
    good) the result is exact with ``std_error = 0`` and ``nfev = 0``.

    The merge-process estimators (``"ce-turnip"``, ``"turnip"``, ``"pmc"``) work in
    log space: each value (a conditional probability times a likelihood ratio) is
    computed as a log, and the mean and standard error from the values scaled by the
    largest, so unreliabilities of 1e-250, or below the smallest double (then
    ``probability`` is 0.0 and ``log_probability`` holds the answer), keep a correct
    relative error. Their values are bounded (by 1, or ``1 / defensive``); where they
    are still skewed enough for the Pareto k-hat of :mod:`cemopt.diagnostics` to
    pass its threshold (permutation Monte Carlo at small q), the message says so.

    Examples
    --------
    >>> net = Network.dodecahedron(failure_prob=1e-3)
    >>> est = estimate_unreliability(net, rng=1)
    >>> est.success, bool(est.relative_error < 0.1)
    (True, True)

    Far below the smallest double, the log keeps the answer (four cuts of two links:
    about 4 q^2 = 4e-400):

    >>> import math
    >>> tiny = Network.grid(2, 3, failure_prob=1e-200)
    >>> est = estimate_unreliability(tiny, method="turnip", n_final=500, rng=0)
    >>> est.probability, round(est.log_probability / math.log(10), 2)
    (0.0, -399.4)
    >>> round(exact_unreliability(tiny, log=True) / math.log(10), 2)
    -399.4
    """
    if not isinstance(network, Network):
        raise TypeError(f"`network` must be a Network, but got {network!r}.")
    if method not in METHODS:
        raise ValueError(f"`method` must be one of {METHODS}, but got method={method!r}.")
    for name, value in (("n_samples", n_samples), ("n_final", n_final), ("n_tune", n_tune)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"`{name}` must be an integer >= 1, but got {name}={value!r}.")
    if not (isinstance(defensive, numbers.Real) and 0 <= defensive < 1):
        raise ValueError(f"`0 <= defensive < 1` must hold, but got defensive={defensive!r}.")
    if method not in ("ce", "evolution") and options:
        raise TypeError(f"method={method!r} takes no further options, but got {sorted(options)}.")
    generator = np.random.default_rng(rng)
    reduced = _reduce(network)
    if reduced.answer is not None:
        return _decided(reduced.answer, method)
    q = reduced.q
    rates = -np.log(q)
    if method == "crude":
        return ce.crude_monte_carlo(
            _Disconnected(reduced),
            ce.Bernoulli(q),
            1.0,
            n=n_final,
            executor=executor,
            rng=generator,
        )
    common = dict(
        n_samples=n_samples,
        elite_frac=elite_frac,
        smoothing=smoothing,
        executor=executor,
        rng=generator,
        **options,
    )
    if method == "ce":
        # Start with every failure probability at least 1/m, one failed link per sample
        # on average: from the nominal q of a reliable network a batch often holds no
        # failure at all and the levels stall (measured: 7 of 10 runs at 2e-12 and 2e-8).
        common.setdefault("proposal", ce.Bernoulli(np.maximum(q, 1.0 / q.size)))
        return ce.estimate(
            _NegativeMinCut(reduced), ce.Bernoulli(q), 0.0, n_final=n_final, **common
        )
    nominal = ce.Exponential(1.0 / rates)
    if method == "evolution":
        return ce.estimate(_ConnectionTime(reduced), nominal, 1.0, n_final=n_final, **common)
    if method in ("pmc", "turnip"):
        return _conditional_mc(reduced, rates, None, n_final, executor, generator, method)
    tuned, history, nfev = _tune_evolution(
        reduced, rates, n_samples, n_tune, smoothing, executor, generator
    )
    result = _conditional_mc(reduced, rates, tuned, n_final, executor, generator, method, defensive)
    return dataclasses.replace(
        result, nfev=result.nfev + nfev, levels=np.array([]), history=history
    )


def _tune_evolution(reduced, rates, n_samples, n_tune, smoothing, executor, generator):
    """CE for the merge-process estimator: weighted MLE of the repair-time means.

    The zero-variance density of the merge-process estimator is proportional to
    ``H(T) f(T)``, with ``H(T)`` the probability of failure given the merge sequence
    of ``T``. ``H`` is positive for every sample, so no levels are needed: each
    iteration fits the Exponential family to the whole batch with weights ``H W``
    (``W`` the likelihood ratio) and blends with the previous means.
    """
    n, edges, _, terminals, *_ = reduced
    nominal = ce.Exponential(1.0 / rates)
    proposal = nominal
    score = ce.Evaluator(
        MergeScore(n, edges, terminals, rates, log=True), vectorized=True, executor=executor
    )
    rows = []
    nfev = 0
    for _ in range(n_tune):
        times = proposal.sample(n_samples, generator)
        nfev += n_samples
        log_weight = score(times) + nominal.logpdf(times) - proposal.logpdf(times)
        if not np.isfinite(log_weight.max()):
            break  # nothing to fit on: keep the current rates
        weights = np.exp(log_weight - log_weight.max())
        ess = float(weights.sum() ** 2 / np.sum(weights**2))
        fitted = proposal.fit(times, weights=weights)
        # a step in proportion to the effective samples per fitted mean, at most
        # `smoothing`: fitted from fewer than one effective sample per link, the means
        # are noise, and full steps let the rates drift (measured: from 200 samples
        # the ESS fell to 2-10 and the tuned rates ended 15x apart, with heavy-tailed
        # likelihood ratios)
        step = smoothing * min(1.0, ess / rates.size)
        previous, proposal = proposal, fitted.blend(proposal, step)
        rows.append(
            {
                "level": 1.0,
                "n_elite": n_samples,
                "elite_ess": ess,
                "nfev": nfev,
                "degeneracy": math.nan,
                "entropy": proposal.entropy(),
                "kl": proposal.kl_divergence(previous),
            }
        )
    return proposal, ce.LevelHistory.from_rows(rows), nfev


def _conditional_mc(reduced, rates, tuned, n_final, executor, generator, method, defensive=0.0):
    """Permutation Monte Carlo or the merge process, from the nominal or tuned rates.

    With ``tuned`` (an Exponential family of repair times) the times come from the
    defensive mixture that draws a sample from the nominal rates with probability
    ``defensive`` and from ``tuned`` otherwise, and each value carries the likelihood
    ratio of its merge sequence against that mixture: at most ``1 / defensive``.
    """
    n, edges, _, terminals, *_ = reduced
    kind = PermutationScore if method == "pmc" else MergeScore
    nominal = ce.Exponential(1.0 / rates)
    if tuned is None:
        proposal, table, shares = nominal, None, None
    elif defensive > 0:
        proposal = ce.Mixture([tuned, nominal], weights=[1.0 - defensive, defensive])
        table = np.stack([1.0 / np.asarray(tuned.mean, dtype=float), rates])
        shares = np.array([1.0 - defensive, defensive])
    else:
        proposal, table, shares = tuned, 1.0 / np.asarray(tuned.mean, dtype=float), None
    score = ce.Evaluator(
        kind(n, edges, terminals, rates, table, mixture_weights=shares, log=True),
        vectorized=True,
        executor=executor,
    )
    log_values = score(proposal.sample(n_final, generator))
    log_mean, relative_error, ess = _log_mean(log_values)
    mean = math.exp(log_mean)  # 0.0 below about 1e-308: log_probability keeps it
    std_error = relative_error * mean
    ok = math.isfinite(log_mean) and math.isfinite(relative_error)
    status, message = method, _MESSAGES[method]
    tail = pareto_diagnostic(log_values)
    if ok and tail.khat >= tail.threshold:  # NaN (fewer than 21 values): cannot tell
        where = f"Pareto k-hat {tail.khat:.2f}, above {tail.threshold:.2f} for {n_final} values"
        if tuned is not None and defensive == 0:
            # nothing bounds the likelihood ratios: their variance may be all but infinite
            ok, status = False, "heavy weights"
            message += (
                f" But the values have a heavy tail ({where}): a few rare merge sequences "
                "carry much of the mean, so it converges slowly and its error bar cannot be "
                "trusted. A defensive share (defensive=0.1) bounds the likelihood ratios."
            )
        else:
            bound = "1" if tuned is None else f"{1 / defensive:.3g} times the conditional one"
            message += (
                f" The values are skewed ({where}); they are bounded (at most {bound}), so "
                "the error bar holds as the sample grows, but at this size it may be too small."
            )
    return ce.RareEventResult(
        probability=mean,
        std_error=std_error,
        relative_error=relative_error,
        log_probability=log_mean,
        levels=np.array([]),
        proposal=proposal,
        nfev=n_final,
        n_final=n_final,
        n_hits=int(np.count_nonzero(np.isfinite(log_values))),
        ess=ess,
        success=ok,
        status=status,
        message=message,
        khat=tail.khat,
        history=ce.LevelHistory.from_rows([]),
        method=method,
    )


def _log_mean(log_values: np.ndarray) -> tuple[float, float, float]:
    """The log of the mean of ``exp(log_values)``, its relative error and Kish's ESS.

    Scaled by the largest value, so that values of 1e-250 (or e^-5000) lose nothing:
    ``log mean = top + log(mean(z))`` with ``z = exp(log_values - top)`` in ``[0, 1]``,
    and the standard error relative to the mean is that of ``z`` (two passes, no
    cancellation of squares). ``-inf`` and NaN when every value is 0.
    """
    n = log_values.size
    top = float(log_values.max())
    if not math.isfinite(top):
        return -math.inf, math.nan, 0.0
    z = np.exp(log_values - top)
    mean_z = float(z.mean())
    variance = float(np.square(z - mean_z).sum()) / (n - 1) if n > 1 else math.nan
    relative_error = math.sqrt(variance / n) / mean_z
    return top + math.log(mean_z), relative_error, float(z.sum() ** 2 / np.square(z).sum())


_MESSAGES = {
    "pmc": "Permutation Monte Carlo: the mean over sampled repair orders of the exact "
    "probability of failure given the order.",
    "turnip": "Merge process (turnip): the mean over sampled component-merge sequences of "
    "the exact probability of failure given the sequence.",
    "ce-turnip": "Merge process with CE-tuned repair rates: the mean over merge sequences "
    "drawn from the tuned rates (a share `defensive` from the nominal ones) of the exact "
    "probability of failure given the sequence, times the sequence's likelihood ratio.",
}


def _decided(answer: float, method: str) -> ce.RareEventResult:
    return ce.RareEventResult(
        probability=answer,
        std_error=0.0,
        relative_error=0.0,
        log_probability=math.log(answer) if answer > 0 else -math.inf,
        levels=np.array([]),
        proposal=None,
        nfev=0,
        n_final=0,
        n_hits=0,
        ess=math.nan,
        success=True,
        status="exact",
        message=(
            "Decided without sampling: links that never fail join the terminals"
            if answer == 0
            else "Decided without sampling: the links that can work never join the terminals"
        ),
        history=ce.LevelHistory.from_rows([]),
        method=method,
    )
