"""Network reliability: the Network class, batch kernels, estimators and design.

Ground truth: networkx (connectivity, minimum cuts), mpmath (the hypoexponential tail),
closed forms, brute-force enumeration (here) and the exact frontier programme, itself
checked against enumeration and closed forms in test_reliability_exact.py.
"""

from __future__ import annotations

import itertools
import math
import time
from concurrent.futures import ThreadPoolExecutor

import mpmath
import networkx as nx
import numpy as np
import pytest
from scipy import stats

import cemopt as ce
from cemopt.problems.network_reliability import (
    METHODS,
    RELIABILITY,
    DesignResult,
    Network,
    NetworkDesign,
    _estimators,
    estimate_unreliability,
    exact_unreliability,
    solve,
)
from cemopt.problems.network_reliability._batch import (
    connection_times,
    min_cut_sizes,
    terminals_connected,
)
from cemopt.problems.network_reliability._pmc import (
    MergeScore,
    PermutationScore,
    pure_birth_survival,
)

K = 4  # standard errors allowed


# ------------------------------------------------------------------ Network
def test_network_reads_attribute_and_multigraph():
    g = nx.MultiGraph()
    g.add_edge("a", "b", q=0.1)
    g.add_edge("a", "b", q=0.2)
    g.add_edge("b", "c", q=0.3)
    net = Network(g, terminals=["a", "c"], failure_prob="q")
    assert net.n_edges == 3 and net.kind == "two-terminal"
    assert net.failure_prob.tolist() == [0.1, 0.2, 0.3]
    # parallel a-b links fail together with 0.1 * 0.2; series with b-c
    expected = 1 - (1 - 0.1 * 0.2) * (1 - 0.3)
    assert exact_unreliability(net) == pytest.approx(expected, rel=1e-14)
    assert Network(nx.path_graph(4), failure_prob=0.1).kind == "all-terminal"
    assert Network(nx.path_graph(4), [0, 1, 3], 0.1).kind == "K-terminal"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"graph": nx.Graph()}, ValueError, "`graph` must have at least one link"),
        ({"graph": nx.DiGraph([(0, 1)])}, ValueError, "`graph` must be undirected"),
        ({"graph": [(0, 1)]}, TypeError, "`graph` must be a networkx Graph"),
        ({"failure_prob": 1.5}, ValueError, r"`failure_prob` must be in \[0, 1\], but got "),
        ({"failure_prob": float("nan")}, ValueError, r"`failure_prob` must be in \[0, 1\]"),
        ({"failure_prob": [0.1, 0.2, 0.3]}, ValueError, r"one value per link \(2\)"),
        ({"failure_prob": "q"}, ValueError, "names the edge attribute 'q'"),
        ({"terminals": [0, 9]}, ValueError, "`terminals` must be nodes of the graph, but 9"),
        ({"terminals": [0, 0]}, ValueError, "at least two distinct nodes"),
        ({"terminals": 0}, TypeError, "`terminals` must be a list of nodes or None"),
    ],
)
def test_network_rejects_bad_input(kwargs, error, match):
    args = {"graph": nx.path_graph(3), "terminals": [0, 2], "failure_prob": 0.1} | kwargs
    with pytest.raises(error, match=match):
        Network(**args)


def test_connected_matches_networkx():
    rng = np.random.default_rng(0)
    g = nx.gnm_random_graph(12, 25, seed=1)
    net = Network(g, terminals=[0, 5, 9], failure_prob=0.3)
    working = rng.random((300, net.n_edges)) < 0.6
    got = net.connected(working)
    for state, value in zip(working, got, strict=True):
        h = nx.Graph()
        h.add_nodes_from(g)
        h.add_edges_from(e for e, w in zip(net.links, state, strict=True) if w)
        assert value == all(nx.has_path(h, 0, t) for t in (5, 9))
    with pytest.raises(ValueError, match=r"`working` must have shape \(N, 25\)"):
        net.connected(working[:, :3])


# ------------------------------------------------------------------ batch kernels
def _random_case(seed, n=10, m=22):
    g = nx.gnm_random_graph(n, m, seed=seed)
    return n, np.array(g.edges()), g


@pytest.mark.parametrize("terminals", [[0, 7], [0, 3, 8], list(range(10))])
def test_kernels_match_networkx(terminals):
    rng = np.random.default_rng(1)
    n, edges, g = _random_case(3)
    terms = np.array(terminals)
    working = rng.random((150, len(edges))) < 0.65
    connected = terminals_connected(n, edges, terms, working)
    cuts = min_cut_sizes(n, edges, terms, working)
    for state, up, cut in zip(working, connected, cuts, strict=True):
        h = nx.Graph()
        h.add_nodes_from(range(n))
        h.add_edges_from(edges[state].tolist(), capacity=1)
        reach = all(nx.has_path(h, terms[0], t) for t in terms[1:])
        assert up == reach
        expected = min(nx.minimum_cut_value(h, terms[0], t) for t in terms[1:]) if reach else 0
        assert cut == expected


def test_connection_times_is_the_bottleneck_time():
    rng = np.random.default_rng(2)
    n, edges, _ = _random_case(4)
    terms = np.array([1, 6, 9])
    times = rng.exponential(size=(100, len(edges)))
    time, rank, _ = connection_times(n, edges, terms, times)
    just_before = terminals_connected(n, edges, terms, times < time[:, None])
    at = terminals_connected(n, edges, terms, times <= time[:, None])
    assert at.all() and not just_before.any()
    assert np.array_equal(rank, (times <= time[:, None]).sum(axis=1))


def test_pure_birth_survival_matches_hypoexponential_tail():
    mpmath.mp.dps = 60
    rng = np.random.default_rng(3)
    for _ in range(5):
        rates = np.sort(rng.uniform(1, 60, size=8))[::-1]
        for r in (1, 4, 8):
            a = [mpmath.mpf(x) for x in rates[:r]]
            exact = mpmath.fsum(
                mpmath.exp(-ai) * mpmath.fprod(aj / (aj - ai) for j, aj in enumerate(a) if j != i)
                for i, ai in enumerate(a)
            )
            got = pure_birth_survival(rates[None, :], np.array([r]))[0]
            assert got == pytest.approx(float(exact), rel=1e-12)


# ------------------------------------------------------------------ estimators
def _brute_force(net: Network) -> float:
    """Sum of P(state) over the failed states, by enumeration (m <= 16)."""
    m = net.n_edges
    states = np.array(list(itertools.product([0, 1], repeat=m)), dtype=bool)  # True = works
    q = net.failure_prob
    probability = np.where(states, 1 - q, q).prod(axis=1)
    down = ~net.connected(states)
    return float(probability[down].sum())


def test_reduction_of_certain_links_matches_enumeration():
    g = nx.gnm_random_graph(8, 14, seed=5)
    q = np.full(14, 0.2)
    q[[3, 4]] = 0.0  # never fail: contracted (links 1-2 and 1-3)
    q[[0]] = 1.0  # always fails: removed (link 0-7)
    net = Network(g, terminals=[0, 7], failure_prob=q)
    exact = _brute_force(net)
    assert 0 < exact < 1
    for method in ("turnip", "ce"):
        est = estimate_unreliability(net, method=method, n_final=4000, rng=0)
        assert abs(est.probability - exact) < K * est.std_error


def test_decided_networks_need_no_samples():
    joined = Network(nx.path_graph(3), [0, 2], failure_prob=[0.0, 0.0])
    cut = Network(nx.path_graph(3), [0, 2], failure_prob=[1.0, 0.1])
    for net, answer in ((joined, 0.0), (cut, 1.0)):
        est = estimate_unreliability(net, rng=0)
        assert (est.probability, est.std_error, est.nfev, est.status) == (answer, 0.0, 0, "exact")


# the dodecahedron (30 links) at 2.5e-3, 2e-9, 2e-12; a 4x5 grid (31 links) K-terminal;
# plain "ce" is left out all-terminal, where it reports failure (benchmarks/RESULTS.md)
CASES = [
    ("dodecahedron", 1e-1, ("ce-turnip", "turnip", "pmc", "ce", "crude")),
    ("dodecahedron", 1e-3, ("ce-turnip", "turnip", "ce")),
    ("dodecahedron", 1e-4, ("ce-turnip", "turnip", "ce")),
    ("grid", 2e-2, ("ce-turnip", "turnip", "ce")),
]


@pytest.mark.parametrize(("name", "q", "methods"), CASES)
def test_estimators_agree_with_exact(name, q, methods):
    if name == "dodecahedron":
        net = Network.dodecahedron(q)
    else:
        net = Network.grid(4, 5, q, terminals=[(0, 0), (3, 4), (0, 4)])
    exact = exact_unreliability(net)
    for method in methods:
        n_final = 100_000 if method == "crude" else 5000
        est = estimate_unreliability(net, method=method, n_final=n_final, rng=7)
        assert est.success, (method, est.status)
        assert abs(est.probability - exact) < K * est.std_error, (method, est.probability, exact)


def test_ce_estimators_reach_ten_percent_at_1e_9_within_1e5_evaluations():
    net = Network.dodecahedron(1e-3)
    exact = exact_unreliability(net)
    assert 1e-9 < exact < 3e-9
    for method in ("ce-turnip", "ce"):
        est = estimate_unreliability(net, method=method, rng=11)
        assert est.nfev <= 100_000 and est.relative_error <= 0.1, method
        assert abs(est.probability - exact) < K * est.std_error


def test_evolution_matches_the_bridge():
    # the tutorial's bridge as a two-terminal network: five links, q = 0.05 each
    g = nx.Graph([(0, 1), (0, 2), (1, 2), (1, 3), (2, 3)])
    net = Network(g, terminals=[0, 3], failure_prob=0.05)
    q = 0.05
    p = 1 - q
    # condition on the bridge link (1, 2): up -> two parallel pairs in series; down -> two
    # series pairs in parallel
    up = (1 - (1 - q * q) ** 2) * p
    down = (1 - p * p) ** 2 * q
    exact = up + down
    assert exact_unreliability(net) == pytest.approx(exact, rel=1e-13)
    est = estimate_unreliability(net, method="evolution", n_final=20_000, rng=3)
    assert est.success and abs(est.probability - exact) < K * est.std_error


def test_ce_fails_honestly_on_many_competing_cuts():
    # all-terminal on the dodecahedron: 20 vertex cuts of 3 links; a product-form
    # proposal cannot follow them all, and the estimator must say so, not guess
    net = Network(nx.dodecahedral_graph(), None, 1e-3)
    with pytest.warns(ce.ConvergenceWarning, match="degenerate"):
        est = estimate_unreliability(net, method="ce", n_final=5000, rng=0)
    assert not est.success and est.status == "degenerate weights"


# ------------------------------------------------------------------ log space
def test_pure_birth_survival_in_log_space_where_it_underflows():
    # large distinct rates: the answer is about exp(-min rate) = e^-800, far below 1e-308
    rates = np.array([[1500.0, 1200.0, 1000.0, 800.0]])
    with mpmath.workdps(400):
        a = [mpmath.mpf(x) for x in rates[0]]
        exact = mpmath.log(
            mpmath.fsum(
                mpmath.exp(-ai) * mpmath.fprod(aj / (aj - ai) for j, aj in enumerate(a) if j != i)
                for i, ai in enumerate(a)
            )
        )
    got = pure_birth_survival(rates, np.array([4]), log=True)[0]
    assert got == pytest.approx(float(exact), rel=1e-13)
    assert pure_birth_survival(rates, np.array([4]))[0] == 0.0  # the plain value underflows
    # and the log path agrees with the plain one where nothing underflows
    rng = np.random.default_rng(8)
    moderate = np.sort(rng.uniform(1, 60, size=(50, 6)), axis=1)[:, ::-1]
    r = rng.integers(1, 7, size=50)
    plain = pure_birth_survival(moderate, r)
    logged = pure_birth_survival(moderate, r, log=True)
    np.testing.assert_allclose(np.exp(logged), plain, rtol=1e-13)


def _scorer_args(net):
    return net.n_nodes, net.edges, net.terminals, -np.log(net.failure_prob)


@pytest.mark.parametrize("kind", [MergeScore, PermutationScore])
def test_scores_in_log_space_match_the_plain_ones(kind):
    net = Network.dodecahedron(1e-3)
    args = _scorer_args(net)
    rng = np.random.default_rng(9)
    sampling = args[3] * rng.uniform(0.5, 2.0, size=args[3].size)
    times = rng.exponential(1 / sampling, size=(300, net.n_edges))
    for extra in ({}, {"sampling_rates": sampling}):
        plain = kind(*args, **extra)(times)
        logged = kind(*args, **extra, log=True)(times)
        np.testing.assert_allclose(np.exp(logged), plain, rtol=1e-12)


@pytest.mark.parametrize("kind", [MergeScore, PermutationScore])
def test_defensive_mixture_ratio_is_bounded_and_unbiased(kind):
    # the bridge (q = 0.05 on its five links), times drawn from a two-row mixture
    g = nx.Graph([(0, 1), (0, 2), (1, 2), (1, 3), (2, 3)])
    net = Network(g, terminals=[0, 3], failure_prob=0.05)
    exact = exact_unreliability(net)
    args = _scorer_args(net)
    rates = args[3]
    tuned = rates * np.array([0.2, 0.3, 1.0, 0.3, 0.2])  # cut links repaired later
    table, shares = np.stack([tuned, rates]), np.array([0.8, 0.2])
    rng = np.random.default_rng(10)
    n = 40_000
    rows = rng.random(n) < shares[1]
    times = rng.exponential(1 / np.where(rows[:, None], rates, tuned))
    values = kind(*args, table, mixture_weights=shares, log=True)(times)
    # the ratio against a mixture with a share 0.2 of the nominal rates is at most 5
    conditional = kind(*args, log=True)(times)
    assert np.all(values - conditional <= math.log(1 / shares[1]) + 1e-12)
    z = np.exp(values)
    assert abs(z.mean() - exact) < K * z.std(ddof=1) / math.sqrt(n)


@pytest.mark.parametrize(
    ("q", "decided_in_doubles"), [(7e-126, True), (1e-210, False)], ids=["1e-250", "1e-420"]
)
def test_merge_process_estimates_in_log_space(q, decided_in_doubles):
    # a 2x3 grid, terminals at opposite corners: four cuts of two links, about 4 q^2
    net = Network.grid(2, 3, q)
    exact_log = exact_unreliability(net, log=True)
    for method in ("turnip", "pmc", "ce-turnip"):
        est = estimate_unreliability(net, method=method, n_final=2000, rng=0)
        assert est.success, (method, est.message)
        assert 0 < est.relative_error < 0.2
        # the standard error of log p is the relative error (delta method)
        assert abs(est.log_probability - exact_log) < K * est.relative_error, method
        if decided_in_doubles:  # about 1e-250: the probability itself is a double
            assert est.probability == pytest.approx(math.exp(exact_log), rel=K * 0.2)
            assert est.std_error == pytest.approx(est.relative_error * est.probability)
        else:  # about 1e-420: only its log is representable
            assert est.probability == 0.0 and math.isfinite(est.log_probability)


def test_unbounded_heavy_tails_are_flagged_bounded_skewed_ones_noted():
    net = Network.dodecahedron(1e-2)
    reduced = _estimators._reduce(net)
    rates = -np.log(reduced.q)
    # tuned rates gone astray (each link's rate off by up to e^1.5 either way)
    astray = rates * np.exp(np.random.default_rng(0).uniform(-1.5, 1.5, size=rates.size))
    tuned = ce.Exponential(1 / astray)
    for defensive in (0.0, 0.1):
        est = _estimators._conditional_mc(
            reduced, rates, tuned, 2000, None, np.random.default_rng(0), "ce-turnip", defensive
        )
        if defensive == 0:  # nothing bounds the likelihood ratios: flagged
            assert not est.success and est.status == "heavy weights"
            assert "Pareto k-hat" in est.message and "defensive=0.1" in est.message
        else:  # at most 10 times the conditional probability: noted, not failed
            assert est.success and "skewed (Pareto k-hat" in est.message
            assert "at most 10 times" in est.message
    # permutation Monte Carlo at q = 1e-3: values at most 1, but a few rare orders carry
    # much of the mean
    est = estimate_unreliability(Network.dodecahedron(1e-3), method="pmc", n_final=2000, rng=0)
    assert est.success and "skewed (Pareto k-hat" in est.message and "at most 1)" in est.message


def test_ce_turnip_interval_covers_at_its_nominal_rate():
    # a cheap ce-turnip (100 tuning samples, 3 steps, 400 final samples) on the
    # dodecahedron at q = 1e-2 over 60 seeds: the 95% interval must cover the exact value
    # as often as the binomial 99% band for 60 trials allows (52 to 60 times). Before the
    # ESS-scaled tuning steps and the defensive share this setting covered 42 of these 60
    # (154 of 200 seeds; now 188 of 200); benchmarks/RESULTS.md has the 200-seed figures
    # at the default settings
    net = Network.dodecahedron(1e-2)
    exact = exact_unreliability(net)
    seeds = 60
    covered = 0
    for seed in range(seeds):
        est = estimate_unreliability(net, n_samples=100, n_tune=3, n_final=400, rng=seed)
        low, high = est.ci(0.95)
        covered += bool(low <= exact <= high)
    band = stats.binom.ppf(0.005, seeds, 0.95), stats.binom.isf(0.005, seeds, 0.95)
    assert band == (52, 60)
    assert band[0] <= covered <= band[1], covered


def test_same_seed_same_estimate_whatever_executor():
    net = Network.grid(3, 4, 0.05)
    for method in ("ce-turnip", "ce"):
        serial = estimate_unreliability(net, method=method, n_final=2000, rng=4)
        with ThreadPoolExecutor(2) as pool:
            pooled = estimate_unreliability(net, method=method, n_final=2000, rng=4, executor=pool)
        assert serial.probability == pooled.probability and serial.nfev == pooled.nfev


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "mc"}, ValueError, r"`method` must be one of \('ce-turnip'"),
        ({"n_final": 0}, ValueError, "`n_final` must be an integer >= 1, but got n_final=0"),
        ({"method": "turnip", "min_ess": 5}, TypeError, "takes no further options"),
        ({"defensive": 1.0}, ValueError, r"`0 <= defensive < 1` must hold, but got defensive=1.0"),
    ],
)
def test_estimate_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        estimate_unreliability(Network.grid(2, 2, 0.1), **kwargs)
    assert "ce-turnip" in METHODS


# ------------------------------------------------------------------ design
def _best_by_enumeration(net, costs, budget):
    best = (2.0, None)
    for bits in itertools.product([0, 1], repeat=net.n_edges):
        keep = np.array(bits, dtype=bool)
        if keep @ costs > budget or not keep.any():
            continue
        value = exact_unreliability(net.subnetwork(keep))
        best = min(best, (value, bits), key=lambda t: t[0])
    return best


def test_design_finds_the_enumerated_optimum():
    rng = np.random.default_rng(8)
    g = nx.complete_graph(5)  # 10 candidate links
    q = rng.uniform(0.05, 0.3, size=10)
    costs = rng.integers(1, 6, size=10).astype(float)
    budget = 14.0
    net = Network(g, terminals=[0, 4], failure_prob=q)
    best_value, _ = _best_by_enumeration(net, costs, budget)
    found = 0
    problem = NetworkDesign(net, costs, budget)
    for seed in range(5):
        res = solve(problem, rng=seed)
        assert res.cost <= budget == problem.budget and res.cost == problem.cost(res.x)
        found += res.fun == pytest.approx(best_value, rel=1e-12)
    assert found == 5


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"costs": [1, 1]}, r"`costs` must have one value per candidate link \(3\)"),
        ({"costs": [1, -1, 1]}, r"`costs` must be finite and >= 0"),
        ({"budget": 0}, "`0 < budget` must hold, but got budget=0"),
    ],
)
def test_design_rejects_bad_input(kwargs, match):
    args = {"costs": [1, 1, 1], "budget": 2.0} | kwargs
    with pytest.raises(ValueError, match=match):
        NetworkDesign(Network(nx.cycle_graph(3), [0, 1], 0.1), **args)


def test_design_rejects_bad_options():
    problem = NetworkDesign(Network(nx.cycle_graph(3), [0, 1], 0.1), [1, 1, 1], 2.0)
    with pytest.raises(
        ValueError,
        match=r"`reliability` must be one of \['exact', 'turnip', 'ce-turnip'\], but got "
        r"reliability='crude'",
    ):
        solve(problem, reliability="crude")
    with pytest.raises(ValueError, match=r"`0 < start_prob < 1` must hold, but got start_prob=1"):
        solve(problem, start_prob=1)
    with pytest.raises(TypeError, match=r"`problem` must be a NetworkDesign \(NetworkDesign\("):
        solve(problem.candidates)
    with pytest.raises(TypeError, match="`candidates` must be a Network"):
        NetworkDesign(nx.cycle_graph(3), [1, 1, 1], 2.0)
    with pytest.raises(ValueError, match=r"`designs` must have shape \(N, 3\) or \(3,\)"):
        problem.cost([1, 1])
    assert RELIABILITY == ("exact", "turnip", "ce-turnip")


def test_design_result_is_an_optimize_result():
    net = Network(nx.complete_graph(4), terminals=[0, 3], failure_prob=0.1)
    seen = []
    res = solve(NetworkDesign(net, [1] * 6, 3), rng=0, callback=seen.append, max_evals=900)
    assert isinstance(res, DesignResult) and isinstance(res, ce.OptimizeResult)
    assert res.x.dtype == bool and res.x.shape == (6,) and res.x_mode.dtype == bool
    assert res.fun == res.best_seen == pytest.approx(exact_unreliability(res.network), rel=1e-12)
    assert res.std_error == 0.0 and res.cost == 3.0 and len(res.links) == 3
    assert res.nfev <= 900 and seen and res.nit == len(res.history)


def test_design_time_limit_holds_between_designs():
    """A 4 x 6 grid (38 candidate links): about 20 ms a design, 0.4 s an iteration, 7 s
    the run without a limit; the clock is read between designs."""
    net = Network.grid(4, 6, 0.1)
    problem = NetworkDesign(net, np.ones(net.n_edges), 25)
    start = time.perf_counter()
    res = solve(problem, rng=0, time_limit=0.5)
    seconds = time.perf_counter() - start
    assert res.status == "time_limit" and not res.success
    assert seconds < 5.0  # generous


def test_design_with_estimated_reliability_is_near_optimal_and_honest():
    rng = np.random.default_rng(8)
    costs = rng.integers(1, 6, size=10).astype(float)
    net = Network(nx.complete_graph(5), terminals=[0, 4], failure_prob=rng.uniform(0.05, 0.3, 10))
    best_value, _ = _best_by_enumeration(net, costs, 14.0)
    for seed in range(2):
        res = solve(NetworkDesign(net, costs, 14.0), reliability="turnip", n_final=2000, rng=seed)
        exact = exact_unreliability(res.network)
        # the returned estimate is a fresh one, so its error bar covers the design's value
        assert abs(res.fun - exact) < K * res.std_error
        assert exact <= 1.1 * best_value
