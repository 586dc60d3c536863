"""Buffer allocation: the flow-line simulator against closed forms, the Markov chain and
an event-by-event simulation; CE against exhaustive enumeration.

References nobody here wrote: the two-machine line without failures is the M/M/1/K
queue with K = b + 2 (blocking after service; Gross & Harris, Fundamentals of Queueing
Theory, section 2.5; Buzacott & Shanthikumar 1993, section 4.2), a deterministic line
runs at the pace of its slowest machine, and an isolated machine with
operation-dependent failures produces at rate ``mu r / (r + p)`` (Buzacott &
Shanthikumar 1993, ch. 4). Statistical checks use fixed seeds and 4 standard errors.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

import cemopt as ce
from cemopt.problems.buffer_allocation import (
    AllocationResult,
    BufferAllocation,
    FlowLine,
    TimeDistribution,
    all_allocations,
    departure_times,
    effective_times,
    exact_throughput,
    simulate_events,
    slots_to_allocations,
    solve,
    throughput,
)

K_SE = 4.0
TD = TimeDistribution


def mm1k_throughput(mu1: float, mu2: float, b: int) -> float:
    """Two exponential machines, buffer b, blocking after service: M/M/1/K, K = b + 2.

    Parts between machine 1's output and machine 2's exit (the buffer, machine 2 and a
    finished part blocked on machine 1) form a birth-death chain on 0..K with birth
    rate mu1 and death rate mu2, so pi_k ~ rho^k and the throughput is
    mu2 (1 - pi_0) = mu1 (1 - rho^K) / (1 - rho^(K+1)), rho = mu1 / mu2.
    """
    K = b + 2
    rho = mu1 / mu2
    if rho == 1.0:
        return mu1 * K / (K + 1)
    return mu1 * (1 - rho**K) / (1 - rho ** (K + 1))


# ------------------------------------------------------------------ exact references
@pytest.mark.parametrize("mu1, mu2", [(1.0, 1.0), (1.0, 2.0), (1.5, 0.7)])
def test_exact_two_machine_line_is_mm1k(mu1, mu2):
    line = FlowLine([mu1, mu2])
    for b in (0, 1, 3, 10):
        assert exact_throughput(line, [b]) == pytest.approx(mm1k_throughput(mu1, mu2, b), 1e-12)


def test_exact_failures_match_isolated_efficiency():
    # machine 2 so fast that machine 1 is never blocked: the line runs at machine 1's
    # isolated rate mu r / (r + p); the blocking correction is of order mu1 / mu2
    mu, p, r = 1.3, 0.05, 0.4
    line = FlowLine([mu, 1e9], failure_rates=[p, 0.0], repair_rates=[r, 1.0])
    assert exact_throughput(line, [0]) == pytest.approx(mu * r / (r + p), rel=1e-7)
    assert line.isolated_rates()[0] == pytest.approx(mu * r / (r + p), rel=1e-14)


def test_effective_times_have_the_isolated_mean():
    mu, p, r = 1.0, 0.1, 0.5
    line = FlowLine([mu, mu], failure_rates=[p, p], repair_rates=[r, r])
    E = effective_times(line, 20_000, replications=4, rng=3)[:, 0, :].ravel()
    # per-part times are independent for exponential failures (memoryless clock)
    se = E.std(ddof=1) / math.sqrt(E.size)
    assert abs(E.mean() - (1 + p / r) / mu) < K_SE * se


# ------------------------------------------------------------------ simulator
@pytest.mark.parametrize("mu1, mu2", [(1.0, 1.0), (1.0, 2.0), (1.5, 0.7)])
def test_simulated_two_machine_line_matches_mm1k(mu1, mu2):
    buffers = np.array([[0], [1], [3], [10]])
    mean, se = throughput(FlowLine([mu1, mu2]), buffers, n_parts=30_000, rng=11)
    exact = [mm1k_throughput(mu1, mu2, int(b)) for b in buffers[:, 0]]
    assert np.all(np.abs(mean - exact) < K_SE * se), (mean, exact, se)


LINES = {
    "3 machines": (FlowLine([1.0, 0.8, 1.2]), [[0, 0], [1, 3], [4, 1], [6, 6]]),
    "3 with failures": (
        FlowLine([1.2, 1.0, 1.1], failure_rates=[0.05, 0.1, 0.0], repair_rates=[0.5, 0.4, 1.0]),
        [[0, 0], [2, 2], [5, 0], [1, 6]],
    ),
    "4 with failures": (
        FlowLine(
            [1.0, 1.1, 0.9, 1.2],
            failure_rates=[0.05, 0.0, 0.1, 0.02],
            repair_rates=[0.5, 0.5, 0.4, 1.0],
        ),
        [[0, 0, 0], [1, 2, 0], [3, 1, 2], [5, 5, 5]],
    ),
}


@pytest.mark.parametrize("name", list(LINES))
def test_simulator_matches_markov_chain(name):
    line, allocations = LINES[name]
    exact = np.array([exact_throughput(line, a) for a in allocations])
    mean, se = throughput(line, allocations, n_parts=40_000, rng=5)
    assert np.all(np.abs(mean - exact) < K_SE * se), (mean, exact, se)
    # the time-horizon estimator, with replications for its standard error
    mean, se = throughput(line, allocations, horizon=4_000.0, replications=8, rng=6)
    assert np.all(np.abs(mean - exact) < K_SE * se), (mean, exact, se)


def test_standard_errors_are_honest():
    """z = (estimate - exact) / se over 60 independent runs: mean z^2 near 1.

    With honest standard errors z is about N(0, 1), so mean(z^2) has mean 1 and
    standard deviation sqrt(2 / 60) = 0.18; an error understated by a third would
    put it near 2.25.
    """
    line, allocations = LINES["3 with failures"]
    allocation = np.asarray(allocations[1])
    exact = exact_throughput(line, allocation)
    runs = np.tile(allocation, (60, 1))  # one column each, independent numbers
    mean, se = throughput(
        line, runs, n_parts=4_000, rng=8, common_random_numbers=False, n_batches=20
    )
    z2 = ((mean - exact) / se) ** 2
    assert abs(z2.mean() - 1.0) < K_SE * math.sqrt(2 / 60)


def test_deterministic_line_runs_at_its_slowest_machine():
    times = [0.5, 0.7, 0.6, 0.65, 0.69]
    line = FlowLine([TD.deterministic(t) for t in times])
    allocations = [[0, 0, 0, 0], [1, 0, 2, 0], [3, 3, 3, 3]]
    mean, se = throughput(line, allocations, n_parts=500, rng=0)
    np.testing.assert_allclose(mean, 1 / 0.7, rtol=1e-12)
    np.testing.assert_allclose(se, 0.0, atol=1e-12)


@pytest.mark.parametrize(
    "line",
    [
        FlowLine([1.0, 1.1, 0.9, 1.2], failure_rates=[0.05, 0, 0.1, 0.02], repair_rates=[1] * 4),
        FlowLine(
            [TD.deterministic(1.0), TD.numpy("gamma", shape=2.0, scale=0.5), 1.5],
            failure_rates=[TD.numpy("weibull", a=1.5), 0.0, 0.2],
            repair_rates=[TD.deterministic(2.0), 1.0, TD.numpy("uniform", low=0, high=3)],
        ),
        FlowLine([TD.deterministic(t) for t in (1.0, 2.0, 1.0, 2.0)]),  # ties everywhere
    ],
    ids=["exponential", "mixed laws", "deterministic"],
)
def test_recursion_matches_event_by_event_simulation(line):
    m = line.n_machines
    E = effective_times(line, 600, rng=2)[:, :, 0]
    allocations = np.random.default_rng(0).integers(0, 4, size=(25, m - 1))
    allocations[0] = 0
    D = departure_times(E, allocations)
    for allocation, departures in zip(allocations, D.T, strict=True):
        np.testing.assert_allclose(simulate_events(E, allocation), departures, rtol=1e-12)


def test_common_random_numbers_do_not_depend_on_the_batch():
    line, allocations = LINES["4 with failures"]
    for run in ({"n_parts": 3_000}, {"horizon": 2_000.0}):
        mean, se = throughput(line, allocations, rng=4, **run)
        for k, allocation in enumerate(allocations):
            one = throughput(line, allocation, rng=4, **run)
            # the same sample paths; only the order of the final sums may differ
            np.testing.assert_allclose(one, (mean[k], se[k]), rtol=1e-13)


def test_common_random_numbers_give_equal_twins_and_independent_ones_do_not():
    line = LINES["3 with failures"][0]
    twins = [[2, 2], [2, 2]]
    mean, _ = throughput(line, twins, n_parts=2_000, rng=1)
    assert mean[0] == mean[1]
    mean, _ = throughput(line, twins, n_parts=2_000, rng=1, common_random_numbers=False)
    assert mean[0] != mean[1]


def test_huge_buffer_equals_one_never_full():
    line = FlowLine([1.0, 0.5])
    small, _ = throughput(line, [[2_000]], n_parts=1_000, warmup=0, rng=3)
    huge, _ = throughput(line, [[10**9]], n_parts=1_000, warmup=0, rng=3)
    assert small[0] == huge[0]


# ------------------------------------------------------------------ helpers
def test_random_line_is_seeded_and_in_range():
    line = FlowLine.random(10, rng=3)
    rates = np.array([d.rate for d in line.processing])
    fails = np.array([d.rate for d in line.failure])
    repairs = np.array([d.rate for d in line.repair])
    assert np.all((0.8 <= rates) & (rates <= 1.2)) and np.all((0.01 <= fails) & (fails <= 0.05))
    assert np.all((0.1 <= repairs) & (repairs <= 0.5))
    again = FlowLine.random(10, rng=3)
    assert [d.rate for d in again.repair] == repairs.tolist()
    assert not FlowLine.random(3, failures=False, rng=0).has_failures


def test_all_allocations_counts_and_sums():
    A = all_allocations(6, 4)
    assert A.shape == (math.comb(9, 3), 4)
    assert np.all(A.sum(axis=1) == 6) and np.all(A >= 0)
    assert len({tuple(a) for a in A.tolist()}) == len(A)
    assert all_allocations(0, 3).tolist() == [[0, 0, 0]]
    assert all_allocations(3, 1).tolist() == [[3]]


def test_slots_to_allocations_counts():
    X = np.random.default_rng(0).integers(0, 5, size=(40, 12))
    counts = slots_to_allocations(X, 5)
    expected = np.array([[np.sum(row == k) for k in range(5)] for row in X])
    np.testing.assert_array_equal(counts, expected)


# ------------------------------------------------------------------ CE
def test_solve_finds_the_exact_best_in_9_of_10_seeds():
    line = FlowLine([1.1, 0.67, 0.98, 1.35])
    candidates = all_allocations(8, 3)
    exact = np.array([exact_throughput(line, a) for a in candidates])
    best = candidates[np.argmax(exact)].tolist()
    hits = 0
    for seed in range(10):
        res = solve(BufferAllocation(line, 8), n_parts=500, rng=seed)
        hits += res.x.tolist() == best
    assert hits >= 9, hits


def test_solve_finds_the_enumerated_best_on_a_general_line():
    """A line no Markov chain describes (gamma and deterministic processing, uniform
    repairs): the best allocation comes from simulating all 84 allocations with the
    same random numbers, in 6 independent replications."""
    means = [0.98, 0.87, 0.75, 1.24, 0.96]
    processing = [
        TD.numpy("gamma", shape=2.0, scale=t / 2, mean_time=t)
        if i % 2 == 0
        else TD.deterministic(t)
        for i, t in enumerate(means)
    ]
    repair = TD.numpy("uniform", low=2.0, high=8.0, mean_time=5.0)
    line = FlowLine(processing, failure_rates=[0.02] * 5, repair_rates=[repair] * 5)
    candidates = all_allocations(6, 4)
    n, warm = 20_000, 2_000
    D = departure_times(effective_times(line, n + warm, replications=6, rng=99), candidates)
    per_run = n / (D[-1] - D[warm - 1])  # (replications, allocations)
    order = np.argsort(-per_run.mean(axis=0))
    diff = per_run[:, order[0]] - per_run[:, order[1]]
    assert diff.mean() > K_SE * diff.std(ddof=1) / math.sqrt(len(diff))  # a clear best
    best = candidates[order[0]].tolist()
    problem = BufferAllocation(line, 6)
    hits = sum(solve(problem, n_parts=500, rng=s).x.tolist() == best for s in range(10))
    assert hits >= 9, hits


def test_solve_result():
    line = FlowLine([1.0, 0.8, 1.0], failure_rates=[0.05] * 3, repair_rates=[0.5] * 3)
    problem = BufferAllocation(line, 5)
    res = solve(problem, n_parts=300, max_iter=4, final_candidates=4, rng=0)
    assert isinstance(res, AllocationResult) and isinstance(res, ce.OptimizeResult)
    assert res.x.dtype == np.int64 and res.x.shape == (2,) and res.x.sum() == 5
    assert res.x_mode.sum() == 5 and res.nit <= 4
    assert 1 <= len(res.candidates) <= 4
    assert np.all(res.candidates.sum(axis=1) == 5)
    k = int(np.argmax(res.candidate_means))
    assert res.x.tolist() == res.candidates[k].tolist() and res.fun == res.candidate_means[k]
    assert res.std_error == res.candidate_std_errors[k] > 0
    # the budget: every distinct allocation of every batch, plus the final runs
    final = len(res.candidates) * (20 * 300 + 2 * 300)
    assert res.simulated_parts > final
    # the same seed gives the same result
    again = solve(problem, n_parts=300, max_iter=4, final_candidates=4, rng=0)
    assert again.x.tolist() == res.x.tolist() and again.fun == res.fun


def test_a_batch_scored_in_blocks_shares_its_random_numbers():
    """The engine may score one batch in several blocks of rows: every block of a batch
    sees the same random numbers (one draw per batch), the next batch fresh ones."""
    from cemopt.problems.buffer_allocation._allocation import _Objective

    line = FlowLine([1.0, 0.8, 1.0], failure_rates=[0.05] * 3, repair_rates=[0.5] * 3)
    X = np.random.default_rng(0).integers(0, 2, size=(40, 5))
    whole = _Objective(line, 2, 200, 20, np.random.default_rng(1), True)
    blocks = _Objective(line, 2, 200, 20, np.random.default_rng(1), True)
    one = whole(X)
    split = np.concatenate([blocks(X[:15]), blocks(X[15:])])
    np.testing.assert_array_equal(one, split)
    whole.end_batch(X, one)
    blocks.end_batch(X, split)
    np.testing.assert_array_equal(whole(X), blocks(X))  # both move on to fresh numbers
    assert not np.array_equal(whole(X), one)


def test_problem_and_allocations():
    problem = BufferAllocation(FlowLine([1.0, 1.0, 1.0, 1.0]), total_buffer=3)
    assert problem.n_buffers == 3 and problem.total_buffer == 3
    np.testing.assert_array_equal(problem.allocations(), all_allocations(3, 3))


def test_time_limit_covers_the_final_re_evaluation():
    """A 10-machine line whose default run takes seconds, with a 0.5 s limit: the CE
    iterations stop early enough for the finalists, and the run ends near the limit."""
    rates = [1.0] * 10
    line = FlowLine(rates, failure_rates=[0.05] * 10, repair_rates=[0.5] * 10)
    start = time.perf_counter()
    res = solve(BufferAllocation(line, 30), rng=0, time_limit=0.5)
    seconds = time.perf_counter() - start
    assert res.status == "time_limit" and not res.success
    assert seconds < 5.0  # generous: without the limit the run takes 2 s or more
    assert res.x.sum() == 30 and res.std_error > 0


def test_max_evals_callback_and_progress(capsys):
    line = FlowLine([1.0, 0.8, 1.0])
    seen = []
    res = solve(
        BufferAllocation(line, 4),
        rng=0,
        n_parts=200,
        max_evals=250,
        callback=seen.append,
        progress=True,
    )
    assert res.status == "max_evals" and res.nfev == 250 and seen
    assert capsys.readouterr().err
    res = solve(BufferAllocation(line, 4), rng=0, n_parts=200, callback=lambda r: True)
    assert res.status == "callback" and res.x.sum() == 4


# ------------------------------------------------------------------ bad input
def test_bad_line():
    with pytest.raises(
        ValueError, match=r"`processing_rates` must have an entry for each of m >= 2"
    ):
        FlowLine([1.0])
    with pytest.raises(ValueError, match=r"`processing_rates\[1\]` must be a finite rate > 0"):
        FlowLine([1.0, -2.0])
    with pytest.raises(ValueError, match=r"`processing_rates\[0\]` must be a finite rate > 0"):
        FlowLine([0.0, 1.0])
    with pytest.raises(TypeError, match=r"`processing_rates\[0\]` must be a positive rate or"):
        FlowLine(["fast", 1.0])
    with pytest.raises(TypeError, match=r"`processing_rates` must be a sequence"):
        FlowLine(3.0)
    with pytest.raises(ValueError, match=r"given together, but got only failure_rates"):
        FlowLine([1.0, 1.0], failure_rates=[0.1, 0.1])
    with pytest.raises(ValueError, match=r"`failure_rates` must have one entry per machine \(2\)"):
        FlowLine([1.0, 1.0], failure_rates=[0.1], repair_rates=[1.0, 1.0])
    with pytest.raises(ValueError, match=r"`repair_rates\[1\]` must be a finite rate > 0"):
        FlowLine([1.0, 1.0], failure_rates=[0.1, 0.1], repair_rates=[1.0, 0.0])
    with pytest.raises(ValueError, match=r"`failure_rates\[0\]` must be a finite rate > 0"):
        FlowLine([1.0, 1.0], failure_rates=[-0.1, 0.1], repair_rates=[1.0, 1.0])


def test_bad_distributions():
    with pytest.raises(ValueError, match=r"`0 < rate` must hold, but got rate=0.0"):
        TD.exponential(0.0)
    with pytest.raises(ValueError, match=r"`0 < value` must hold, but got value=-1.0"):
        TD.deterministic(-1.0)
    with pytest.raises(ValueError, match=r"`method` must name a numpy.random.Generator method"):
        TD.numpy("gamm", shape=2.0)
    with pytest.raises(ValueError, match=r"`params` must be valid for Generator.gamma"):
        TD.numpy("gamma", shape=-2.0)
    with pytest.raises(TypeError, match=r"`sampler` must be callable"):
        TD.custom(3.0)
    negative = FlowLine([TD.numpy("normal", loc=0.0, scale=1.0), 1.0])
    with pytest.raises(ValueError, match=r"times drawn from TimeDistribution.numpy\('normal'"):
        throughput(negative, [[1]], n_parts=100, rng=0)
    line = FlowLine([TD.custom(lambda rng, size: rng.random(size)), 1.0])
    with pytest.raises(ValueError, match=r"mean times of machine 0 are not all known"):
        line.isolated_rates()


def test_bad_throughput_arguments():
    line = FlowLine([1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match=r"`allocations` must have shape \(n, 2\)"):
        throughput(line, [[1, 2, 3]], n_parts=100)
    with pytest.raises(ValueError, match=r"`allocations` must be >= 0"):
        throughput(line, [[1, -2]], n_parts=100)
    with pytest.raises(TypeError, match=r"`allocations` must hold integer buffer sizes"):
        throughput(line, [[1.5, 2]], n_parts=100)
    with pytest.raises(ValueError, match=r"Exactly one of `n_parts` and `horizon` must be given"):
        throughput(line, [[1, 2]])
    with pytest.raises(ValueError, match=r"Exactly one of `n_parts` and `horizon` must be given"):
        throughput(line, [[1, 2]], n_parts=10, horizon=5.0)
    with pytest.raises(ValueError, match=r"`n_parts >= 20` must hold, but got n_parts=10"):
        throughput(line, [[1, 2]], n_parts=10)
    with pytest.raises(ValueError, match=r"`0 < horizon` must hold, but got horizon=-1.0"):
        throughput(line, [[1, 2]], horizon=-1.0)
    with pytest.raises(ValueError, match=r"`warmup >= 0` must hold, but got warmup=-5"):
        throughput(line, [[1, 2]], n_parts=100, warmup=-5)
    with pytest.raises(TypeError, match=r"`line` must be a FlowLine"):
        throughput([1.0, 1.0], [[1]], n_parts=100)
    with pytest.raises(TypeError, match=r"`common_random_numbers` must be True or False"):
        throughput(line, [[1, 2]], n_parts=100, common_random_numbers="yes")
    with pytest.raises(TypeError, match=r"`rng` must be None, an int seed"):
        throughput(line, [[1, 2]], n_parts=100, rng="seed")


def test_exact_throughput_refuses():
    general = FlowLine([TD.deterministic(1.0), 1.0])
    with pytest.raises(ValueError, match=r"`line` must have exponential processing, failure"):
        exact_throughput(general, [1])
    big = FlowLine([1.0] * 5, failure_rates=[0.1] * 5, repair_rates=[1.0] * 5)
    with pytest.raises(ValueError, match=r"more than max_states=20000 states"):
        exact_throughput(big, [8, 8, 8, 8])
    with pytest.raises(ValueError, match=r"`allocation` must be one allocation of shape \(4,\)"):
        exact_throughput(big, [[1, 1, 1, 1]])


def test_bad_solve_arguments():
    line = FlowLine([1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match=r"`total_buffer >= 1` must hold, but got total_buffer=0"):
        BufferAllocation(line, 0)
    with pytest.raises(TypeError, match=r"`total_buffer` must be an integer, but got"):
        BufferAllocation(line, 2.5)
    with pytest.raises(TypeError, match=r"`line` must be a FlowLine"):
        BufferAllocation("line", 3)
    problem = BufferAllocation(line, 3)
    with pytest.raises(TypeError, match=r"solve\(\) sets `vectorized` itself"):
        solve(problem, vectorized=False)
    with pytest.raises(TypeError, match=r"`problem` must be a BufferAllocation \(Buffer"):
        solve(line)
    with pytest.raises(ValueError, match=r"`0 < time_limit` must hold, but got time_limit=0"):
        solve(problem, time_limit=0)
    with pytest.raises(TypeError, match=r"`callback` must be callable or None"):
        solve(problem, callback="print")
