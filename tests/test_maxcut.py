"""Max-cut: cut values by brute force, the synthetic instance's known optimum."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest

from cemopt.problems.maxcut import MaxCut, solve


def brute_force_cut(weights: np.ndarray, x: np.ndarray) -> float:
    n = len(x)
    return sum(weights[i, j] for i in range(n) for j in range(i + 1, n) if x[i] != x[j])


def test_cut_value_matches_definition():
    rng = np.random.default_rng(0)
    problem = MaxCut.synthetic(n=9, m=4, c=2.0, rng=rng)
    X = rng.integers(0, 2, size=(30, 9))
    expected = [brute_force_cut(problem.weights, x) for x in X]
    np.testing.assert_allclose(problem.cut_value(X), expected, rtol=1e-13)
    assert problem.cut_value(X[0]) == pytest.approx(expected[0], rel=1e-13)


def test_synthetic_optimum_by_enumeration():
    problem = MaxCut.synthetic(n=10, m=5, rng=1)
    cuts = np.array(list(itertools.product((0, 1), repeat=10)))
    assert problem.cut_value(cuts).max() == pytest.approx(problem.optimum, rel=1e-13)
    assert problem.optimum == 25.0
    assert problem.cut_value(problem.optimal_cut) == problem.optimum


def test_from_networkx_graph():
    graph = nx.Graph()
    graph.add_weighted_edges_from([("a", "b", 3.0), ("b", "c", 1.0), ("a", "c", 2.0)])
    problem = MaxCut(graph)
    cuts = np.array(list(itertools.product((0, 1), repeat=3)))
    assert problem.cut_value(cuts).max() == 5.0  # {b} vs {a, c}: 3 + 1, or {a} vs {b, c}: 3 + 2
    res = solve(problem, n_samples=50, rng=0)
    assert res.fun == 5.0


def test_solve_synthetic_400_finds_known_optimum():
    # The CE tutorial's instance: n = 400, m = 200, U(0, 1) within blocks, c = 1.
    problem = MaxCut.synthetic(n=400, m=200, rng=2024)
    res = solve(problem, rng=1)
    assert res.status == "target" and res.fun == problem.optimum == 40000.0
    assert np.array_equal(res.x, problem.optimal_cut)


def test_bad_input():
    with pytest.raises(ValueError, match=r"`weights` must be symmetric"):
        MaxCut([[0, 1], [2, 0]])
    with pytest.raises(ValueError, match=r"`weights` must be finite and non-negative"):
        MaxCut([[0, -1], [-1, 0]])
    with pytest.raises(ValueError, match=r"`weights` must have a zero diagonal"):
        MaxCut([[1, 1], [1, 0]])
    with pytest.raises(ValueError, match=r"`weights` must be a square \(n, n\) matrix"):
        MaxCut(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"`1 <= m < n` must hold, but got m=5, n=5"):
        MaxCut.synthetic(5, 5)
    with pytest.raises(ValueError, match=r"`c >= b \* \(n - m\) / m` must hold"):
        MaxCut.synthetic(10, 2, c=1.0)
    problem = MaxCut.synthetic(6, 3, rng=0)
    with pytest.raises(ValueError, match=r"`X` must have shape \(n_samples, 6\)"):
        problem.cut_value(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"`X` must hold only 0 and 1"):
        problem.cut_value(np.full((2, 6), 2))
    with pytest.raises(TypeError, match=r"`problem` must be a MaxCut"):
        solve("graph")


def test_solve_takes_the_common_solver_keywords(capsys):
    problem = MaxCut.synthetic(n=30, m=15, rng=0)
    seen = []
    res = solve(problem, rng=0, max_evals=500, callback=seen.append, progress=True, target=None)
    assert res.status == "max_evals" and res.nfev == 500 and seen
    assert capsys.readouterr().err
    res = solve(problem, rng=0, time_limit=60.0)
    assert res.status == "target"
    with pytest.raises(ValueError, match="`0 < time_limit` must hold, but got time_limit=0"):
        solve(problem, time_limit=0)
