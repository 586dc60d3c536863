"""TSP: tour lengths, local search optimality, CE finding known optima, plotting."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

import cemopt as ce
from cemopt.problems.tsp import (
    LOCAL_SEARCHES,
    TSP,
    default_local_search,
    neighbour_two_opt_or_opt,
    or_opt,
    solve,
    two_opt,
    two_opt_or_opt,
)

needs_permutation = pytest.mark.skipif(
    not hasattr(ce, "Permutation"), reason="cemopt.Permutation is not available yet"
)


def _loop_length(d: np.ndarray, tour: np.ndarray) -> float:
    return sum(d[tour[k], tour[(k + 1) % len(tour)]] for k in range(len(tour)))


def _all_tours(n: int) -> np.ndarray:
    return np.array([(0, *p) for p in itertools.permutations(range(1, n))])


def _random_asymmetric(n: int, seed: int) -> TSP:
    return TSP(np.random.default_rng(seed).integers(1, 100, size=(n, n)))


def test_tour_length_vectorised_equals_loop():
    rng = np.random.default_rng(0)
    for problem in (TSP.random_euclidean(9, rng=1), _random_asymmetric(9, 2)):
        tours = np.array([rng.permutation(9) for _ in range(50)])
        expected = [_loop_length(problem.distances, t) for t in tours]
        np.testing.assert_allclose(problem.tour_length(tours), expected, rtol=1e-13)
        assert problem.tour_length(tours[0]) == pytest.approx(expected[0], rel=1e-13)
        assert isinstance(problem.tour_length(tours[0]), float)


def test_symmetric_flag_and_diagonal_ignored():
    d = np.array([[7.0, 1, 2], [1, 7, 3], [2, 3, 7]])
    problem = TSP(d)
    assert problem.symmetric and np.all(np.diag(problem.distances) == 0)
    assert not _random_asymmetric(5, 0).symmetric


@pytest.mark.parametrize(
    ("distances", "message"),
    [
        ([[0, 1], [1, 0]], r"`distances` must be a square \(n, n\) matrix with n >= 3"),
        (np.ones((3, 4)), r"`distances` must be a square .* but got shape \(3, 4\)"),
        ([[0, -1, 1], [1, 0, 1], [1, 1, 0]], "`distances` must be non-negative"),
        ([[0, np.inf, 1], [1, 0, 1], [1, 1, 0]], "`distances` must be finite"),
        ([["a", "b", "c"]] * 3, "`distances` must be a square"),
    ],
)
def test_bad_distances(distances, message):
    with pytest.raises(ValueError, match=message):
        TSP(distances)


def test_bad_tours_and_options():
    problem = TSP.random_euclidean(5, rng=0)
    with pytest.raises(ValueError, match="`tours` must have each row a permutation of 0..4"):
        problem.tour_length([0, 1, 2, 3, 3])
    with pytest.raises(ValueError, match=r"`tours` must have shape \(N, 5\)"):
        problem.tour_length([0, 1, 2])
    with pytest.raises(ValueError, match="`tour` must be a permutation of 0..4"):
        two_opt(problem, [0, 1, 2, 3, 5])
    with pytest.raises(ValueError, match="`problem` must be symmetric for 2-opt"):
        two_opt(_random_asymmetric(5, 0), [0, 1, 2, 3, 4])
    with pytest.raises(ValueError, match="`n` must be an integer >= 3"):
        TSP.random_euclidean(2)
    with pytest.raises(TypeError, match="`problem` must be a TSP"):
        solve("burma14")
    with pytest.raises(TypeError, match="`deadline` must be a real number, but got deadline='s"):
        two_opt(problem, [0, 1, 2, 3, 4], deadline="soon")


ALLOWED = (
    r"`local_search` must be True, False, one of \['2-opt', 'or-opt', '2-opt\+or-opt', "
    r"'neighbour 2-opt\+or-opt', 'neighbour 2-opt\+or-opt\+or-3opt', 'neighbour or-opt', "
    r"'neighbour or-opt\+or-3opt'\] or a "
    r"callable local_search\(problem, tour, \*, deadline\) -> tour, but got "
)


@pytest.mark.parametrize(
    ("local_search", "error", "match"),
    [
        ("3-opt", ValueError, ALLOWED + "local_search='3-opt'"),
        (None, TypeError, ALLOWED + "local_search=None"),
        (1, TypeError, ALLOWED + "local_search=1"),
        (
            lambda problem, tour: tour,
            TypeError,
            ALLOWED + r"a callable with signature \(problem, tour\)",
        ),
    ],
)
def test_bad_local_search(local_search, error, match):
    with pytest.raises(error, match=match):
        solve(TSP.random_euclidean(5, rng=0), local_search=local_search)


def test_bad_solve_options():
    problem = TSP.random_euclidean(5, rng=0)
    with pytest.raises(ValueError, match="`local_search` must not use 2-opt on an asymmetric"):
        solve(_random_asymmetric(5, 0), local_search="2-opt")
    with pytest.raises(ValueError, match="`0 < time_limit` must hold, but got time_limit=0"):
        solve(problem, time_limit=0)
    with pytest.raises(TypeError, match="`callback` must be callable or None"):
        solve(problem, callback="print")
    with pytest.raises(ValueError, match="`n_improve >= 0` must hold, but got n_improve=-1"):
        solve(problem, n_improve=-1)
    with pytest.raises(ValueError, match="`n_kicks >= 0` must hold, but got n_kicks=-2"):
        solve(problem, n_kicks=-2)
    with pytest.raises(
        ValueError, match=r"`local_search` must return a permutation of 0..4, but bad returned"
    ):

        def bad(problem, tour, *, deadline):
            return tour[:3]

        solve(problem, local_search=bad, target=False)


def _no_improving_2opt(d: np.ndarray, t: np.ndarray) -> bool:
    n, base = len(t), _loop_length(d, t)
    for i in range(n - 1):
        for j in range(i + 2, n):
            new = np.r_[t[: i + 1], t[i + 1 : j + 1][::-1], t[j + 1 :]]
            if _loop_length(d, new) < base - 1e-9:
                return False
    return True


def _no_improving_or_opt(d: np.ndarray, t: np.ndarray) -> bool:
    n, base = len(t), _loop_length(d, t)
    for length in (1, 2, 3):
        for i in range(n):
            r = np.roll(t, -i)
            seg, rest = r[:length], r[length:]
            for cut in range(1, len(rest) + 1):
                new = np.r_[rest[:cut], seg, rest[cut:]]
                if _loop_length(d, new) < base - 1e-9:
                    return False
    return True


def test_two_opt_never_lengthens_and_is_two_optimal():
    rng = np.random.default_rng(3)
    for seed in range(5):
        problem = TSP.random_euclidean(10, rng=seed)
        tour = rng.permutation(10)
        better = two_opt(problem, tour)
        assert better[0] == tour[0] and sorted(better) == list(range(10))
        assert problem.tour_length(better) <= problem.tour_length(tour) + 1e-12
        assert _no_improving_2opt(problem.distances, better)
        both = two_opt_or_opt(problem, tour)
        assert problem.tour_length(both) <= problem.tour_length(better) + 1e-12
        assert _no_improving_2opt(problem.distances, both)
        assert _no_improving_or_opt(problem.distances, both)


def test_or_opt_never_lengthens_and_is_or_optimal():
    rng = np.random.default_rng(4)
    for seed in range(5):
        problem = _random_asymmetric(9, seed)
        tour = rng.permutation(9)
        better = or_opt(problem, tour)
        assert better[0] == tour[0] and sorted(better) == list(range(9))
        assert problem.tour_length(better) <= problem.tour_length(tour)
        assert _no_improving_or_opt(problem.distances, better)


def test_local_search_on_a_tsplib_instance(test_data):
    problem = TSP.from_tsplib(test_data / "tsplib" / "tsp" / "burma14.tsp")
    assert problem.optimum == 3323 and problem.name == "burma14"
    tour = np.random.default_rng(0).permutation(14)
    assert problem.tour_length(two_opt(problem, tour)) <= problem.tour_length(tour)


@needs_permutation
@pytest.mark.parametrize("local_search", [True, False])
def test_solve_random_instance_matches_brute_force(local_search):
    problem = TSP.random_euclidean(8, rng=5)
    optimum = problem.tour_length(_all_tours(8)).min()
    res = solve(problem, rng=0, local_search=local_search, target=False, restarts=0)
    assert res.fun == pytest.approx(optimum, rel=1e-12)
    assert res.x[0] == 0 and sorted(res.x) == list(range(8))
    assert res.fun == pytest.approx(problem.tour_length(res.x), rel=1e-12)


@needs_permutation
@pytest.mark.parametrize("local_search", [True, False])
def test_solve_asymmetric_matches_brute_force(local_search):
    problem = _random_asymmetric(8, 7)
    optimum = problem.tour_length(_all_tours(8)).min()
    res = solve(problem, rng=1, local_search=local_search, target=False, restarts=0)
    assert res.fun == optimum


@needs_permutation
@pytest.mark.parametrize(
    ("path", "local_search"),
    [("tsp/burma14.tsp", True), ("atsp/br17.atsp", True), ("atsp/br17.atsp", False)],
)
def test_solve_finds_tsplib_optimum(test_data, path, local_search):
    problem = TSP.from_tsplib(test_data / "tsplib" / path)
    res = solve(problem, rng=0, local_search=local_search)
    assert res.fun == problem.optimum
    assert res.status == "target" and res.success


@pytest.mark.parametrize("search", [two_opt, or_opt, two_opt_or_opt])
def test_local_search_past_its_deadline_returns_at_once(search):
    """A deadline that has passed: no move is tried, the tour comes back as it was."""
    problem = TSP.random_euclidean(200, rng=0)
    tour = np.random.default_rng(1).permutation(200)
    now = time.perf_counter()
    assert search(problem, tour, deadline=now - 1.0).tolist() == tour.tolist()
    assert search(problem, tour, deadline=now + 3600.0).tolist() == search(problem, tour).tolist()


def test_default_local_search_and_its_names():
    assert default_local_search(TSP.random_euclidean(5, rng=0)) == "neighbour 2-opt+or-opt+or-3opt"
    assert default_local_search(_random_asymmetric(5, 0)) == "neighbour or-opt+or-3opt"
    assert default_local_search(_random_asymmetric(101, 0)) == "neighbour or-opt+or-3opt"
    assert LOCAL_SEARCHES == (
        "2-opt",
        "or-opt",
        "2-opt+or-opt",
        "neighbour 2-opt+or-opt",
        "neighbour 2-opt+or-opt+or-3opt",
        "neighbour or-opt",
        "neighbour or-opt+or-3opt",
    )
    with pytest.raises(TypeError, match="`problem` must be a TSP"):
        default_local_search("eil51")


@needs_permutation
@pytest.mark.parametrize(
    ("problem", "name"),
    [
        (TSP.random_euclidean(12, rng=2), "neighbour 2-opt+or-opt"),
        (_random_asymmetric(12, 3), "or-opt"),
    ],
)
def test_local_search_true_is_the_default_search(problem, name):
    """True, the default, names the problem's default search; a public search passes as
    a callable and gives the same run."""
    public = neighbour_two_opt_or_opt if problem.symmetric else or_opt
    runs = [
        solve(problem, rng=4, local_search=ls, target=False, max_iter=5)
        for ls in (True, name, public)
    ]
    assert solve(problem, rng=4, target=False, max_iter=5).fun == runs[0].fun
    assert all(r.x.tolist() == runs[0].x.tolist() and r.fun == runs[0].fun for r in runs)


@needs_permutation
def test_callable_local_search_gets_the_deadline():
    problem = TSP.random_euclidean(10, rng=0)
    seen = []

    def search(problem, tour, *, deadline):
        seen.append(deadline)
        return or_opt(problem, tour, deadline=deadline)

    solve(problem, rng=0, local_search=search, target=False, max_iter=2)
    assert seen and all(d is None for d in seen)
    seen.clear()
    before = time.perf_counter()
    solve(problem, rng=0, local_search=search, target=False, max_iter=2, time_limit=600)
    assert seen and all(before + 600 <= d <= time.perf_counter() + 600 for d in seen)


@needs_permutation
def test_time_limit_holds_when_one_iteration_is_long():
    """250 nodes: improving the 125 best tours of the first batch from random takes about
    30 s, far past the limit; the deadline reaches the local search."""
    problem = TSP.random_euclidean(250, rng=0)
    start = time.perf_counter()
    res = solve(problem, rng=0, time_limit=1.0, target=False)
    seconds = time.perf_counter() - start
    assert res.status == "time_limit" and not res.success
    assert seconds < 10.0  # generous: the bound is about the limit plus one sampled batch
    assert sorted(res.x.tolist()) == list(range(250)) and res.x[0] == 0
    assert res.fun == pytest.approx(problem.tour_length(res.x), rel=1e-12)


@needs_permutation
def test_max_evals_and_progress(capsys):
    problem = TSP.random_euclidean(10, rng=0)
    res = solve(problem, rng=0, max_evals=1200, target=False, progress=True)
    assert res.status == "max_evals" and res.nfev == 1200
    assert capsys.readouterr().err


@needs_permutation
def test_solve_time_limit_and_callback():
    problem = TSP.random_euclidean(30, rng=0)
    res = solve(problem, rng=0, local_search=False, time_limit=1e-6, target=False)
    assert res.status == "time_limit" and res.nit <= 1 and not res.success
    res = solve(problem, rng=0, local_search=False, callback=lambda r: True, target=False)
    assert res.status == "callback" and res.nit == 1


def test_plot_tour_and_routes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cemopt.plot import plot_routes, plot_tour

    problem = TSP.random_euclidean(6, rng=0)
    ax = plot_tour(problem.coordinates, [0, 2, 1, 3, 5, 4], title="t")
    line = ax.lines[0]
    assert ax.get_title() == "t" and len(line.get_xdata()) == 7
    ax = plot_routes(problem.coordinates, [[1, 2], [3], [4, 5]])
    assert len(ax.lines) == 3
    assert [len(line.get_xdata()) for line in ax.lines] == [4, 3, 4]
    assert len({line.get_color() for line in ax.lines}) == 3
    with pytest.raises(ValueError, match="`routes` must hold customer indices"):
        plot_routes(problem.coordinates, [[0, 1]])
    with pytest.raises(ValueError, match="`tour` must be a permutation of 0..5"):
        plot_tour(problem.coordinates, [0, 1])
    plt.close("all")


@pytest.mark.parametrize("n", [3, 4])
@pytest.mark.parametrize("local_search", [True, False, "or-opt"])
@pytest.mark.parametrize("symmetric", [True, False])
def test_the_smallest_instances_solve_with_the_defaults(n, local_search, symmetric):
    """3 and 4 cities: 2-opt has no move on a triangle, and plain CE's default elite
    (1 % of 5 n^2 tours) would hold no tour without the floor of 100 samples."""
    if symmetric:
        problem = TSP.random_euclidean(n, rng=n)
    else:
        problem = _random_asymmetric(n, seed=n)
        if local_search is True:
            local_search = "or-opt"  # the default for an ATSP anyway
    res = solve(problem, rng=0, local_search=local_search)
    assert res.success, res.message
    assert res.fun == pytest.approx(problem.tour_length(_all_tours(n)).min(), rel=1e-12)
    assert sorted(res.x) == list(range(n))


def test_plain_ce_default_batch_keeps_one_elite_tour():
    res = solve(TSP.random_euclidean(3, rng=0), rng=0, local_search=False, n_samples=20)
    assert res.success and res.nfev >= 20  # elite_frac raised to 1/20


@pytest.mark.parametrize("n", [5, 30, 200])
def test_the_segment_double_bridge_swaps_two_paths_within_50_positions(n):
    # A B C D -> A C B D: a permutation whose cycle differs from the tour's in exactly
    # three edges, every path kept in its direction, the cuts at most 50 apart
    from cemopt.problems.tsp import _segment_double_bridge

    rng = np.random.default_rng(n)
    tour = rng.permutation(n)

    def edges(t):
        return {(int(a), int(b)) for a, b in zip(t, np.roll(t, -1), strict=True)}

    for _ in range(20):
        kicked = _segment_double_bridge(tour, rng)
        assert sorted(kicked.tolist()) == list(range(n))
        new = edges(kicked) - edges(tour)
        assert len(new) == 3  # directed edges: no path was reversed
        position = {int(c): i for i, c in enumerate(tour)}
        ends = [position[a] for a, _ in new]
        span = (max(ends) - min(ends)) % n
        assert min(span, n - span) < 50


def test_kicks_are_reproducible_and_never_lengthen_the_tour():
    problem = TSP.random_euclidean(60, rng=4)
    kw = {"max_iter": 3, "target": False, "restarts": 0}
    a = solve(problem, rng=7, n_kicks=40, **kw)
    b = solve(problem, rng=7, n_kicks=40, **kw)
    assert np.array_equal(a.x, b.x) and a.fun == b.fun
    # the kicks see the same first batch's local optima and only keep shorter tours
    first = solve(problem, rng=7, n_kicks=40, max_iter=1, target=False, restarts=0)
    none = solve(problem, rng=7, n_kicks=0, max_iter=1, target=False, restarts=0)
    assert first.fun <= none.fun


def test_solve_samples_from_the_sparse_family_above_500_nodes():
    small, large = TSP.random_euclidean(500, rng=0), TSP.random_euclidean(501, rng=0)
    kw = {"max_iter": 1, "target": False, "restarts": 0, "n_samples": 20, "n_kicks": 0}
    assert type(solve(small, rng=0, **kw).family) is ce.Permutation
    res = solve(large, rng=0, **kw)
    assert type(res.family) is ce.SparsePermutation
    near = np.argsort(large.distances + np.diag(np.full(501, np.inf)), axis=1, kind="stable")
    np.testing.assert_array_equal(res.family.candidates, near[:, :10])
    assert res.fun == pytest.approx(large.tour_length(res.x), rel=1e-12)
    assert sorted(res.x.tolist()) == list(range(501))


@pytest.mark.parametrize("problem", [TSP.random_euclidean(8, rng=3), _random_asymmetric(8, 5)])
def test_sparse_family_reaches_the_enumerated_optimum(problem):
    optimum = problem.tour_length(_all_tours(8)).min()
    a = solve(problem, rng=2, candidates=3, local_search=False, target=False, max_iter=60)
    b = solve(problem, rng=2, candidates=3, local_search=False, target=False, max_iter=60)
    assert type(a.family) is ce.SparsePermutation and a.family.candidates.shape == (8, 3)
    assert a.fun == pytest.approx(optimum, rel=1e-12)
    assert np.array_equal(a.x, b.x)


@pytest.mark.parametrize(
    ("candidates", "message"),
    [
        (-1, r"`candidates >= 0` must hold, but got candidates=-1"),
        (
            8,
            r"`candidates` must be at most n - 1 = 7 \(or 0, the dense family\), "
            r"but got candidates=8",
        ),
    ],
)
def test_candidates_out_of_range_is_refused(candidates, message):
    with pytest.raises(ValueError, match=message):
        solve(TSP.random_euclidean(8, rng=0), candidates=candidates, max_iter=1)
