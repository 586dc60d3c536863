"""The neighbour-list 2-opt, or-opt and segment exchange (issue 16) against brute-force
move evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from cemopt.families import nearest_candidates
from cemopt.problems import tsp
from cemopt.problems._neighbour_moves import (
    _Tour,
    or_opt_neighbours,
    segment_exchange_neighbours,
    two_opt_neighbours,
    two_opt_or_opt_exchange_neighbours,
)
from cemopt.problems.tsp import (
    TSP,
    neighbour_or_opt,
    neighbour_or_opt_or_3opt,
    neighbour_two_opt_or_opt,
    neighbour_two_opt_or_opt_or_3opt,
)


def _length(d, t):
    return float(d[t, np.roll(t, -1)].sum())


def _instance(n, symmetric, rng):
    if symmetric:
        pts = rng.uniform(size=(n, 2))
        return np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(axis=-1))
    d = rng.uniform(1.0, 10.0, size=(n, n))
    np.fill_diagonal(d, 0.0)
    return d


def _random_tour(n, rng):
    return np.concatenate([[0], rng.permutation(np.arange(1, n))])


def _two_opt_deltas(d, t):
    """Every 2-opt move of the tour, priced from scratch."""
    n = len(t)
    for i in range(n):
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:
                continue
            a, b, c, e = t[i], t[i + 1], t[j], t[(j + 1) % n]
            yield d[a, c] + d[b, e] - d[a, b] - d[c, e]


def _or_opt_moves(d, t, symmetric, max_len=3):
    """Every or-opt move: (delta priced by rebuilding the tour, whether a new edge is
    shorter than the cut's gain, the neighbourhood the search covers)."""
    n = len(t)
    for i in range(n):
        for length in range(1, max_len + 1):
            if length > n - 3:
                break
            seg = [t[(i + k) % n] for k in range(length)]
            a, last, p, q = seg[0], seg[-1], t[(i - 1) % n], t[(i + length) % n]
            gain = d[p, a] + d[last, q] - d[p, q]
            rest = [v for v in t if v not in seg]
            for idx, c in enumerate(rest):
                if c == p:
                    continue
                cn = rest[(idx + 1) % len(rest)]
                for reverse in (False, True) if symmetric else (False,):
                    new = rest[: idx + 1] + (seg[::-1] if reverse else seg) + rest[idx + 1 :]
                    e1, e2 = (d[c, last], d[a, cn]) if reverse else (d[c, a], d[last, cn])
                    delta = _length(d, np.array(new)) - _length(d, np.array(t))
                    yield delta, min(e1, e2) < gain


def _exchange_deltas(d, t):
    """Every orientation-preserving 3-opt move (two consecutive paths swapped), priced
    by rebuilding the tour."""
    n, t = len(t), list(t)
    before = _length(d, np.array(t))
    for i in range(n):
        r = t[i:] + t[:i]  # a = r[0]
        for j in range(2, n):  # b1 = r[j]
            for k in range(j + 1, n + 1):  # c1 = r[k], or a itself when k == n
                new = r[:1] + r[j:k] + r[1:j] + r[k:]
                yield _length(d, np.array(new)) - before


def test_moving_a_segment_matches_cutting_and_reinserting_it():
    rng = np.random.default_rng(2)
    for _ in range(500):
        n = int(rng.integers(5, 14))
        t0 = [int(v) for v in rng.permutation(n)]
        i, length = int(rng.integers(n)), int(rng.integers(1, 4))
        seg = [t0[(i + m) % n] for m in range(length)]
        rest = [v for v in t0 if v not in seg]
        after = rest[int(rng.integers(len(rest)))]
        reverse = bool(rng.integers(2))
        T = _Tour(np.array(t0))
        T.move_segment(seg[0], seg[-1], after, reverse)
        k = rest.index(after)
        expected = rest[: k + 1] + (seg[::-1] if reverse else seg) + rest[k + 1 :]
        got = T.t + T.t  # the same cyclic tour, from any start
        assert any(got[s : s + n] == expected for s in range(n))
        assert all(T.pos[v] == p for p, v in enumerate(T.t))


def test_exchange_swaps_the_two_paths_and_keeps_positions():
    rng = np.random.default_rng(1)
    for _ in range(300):
        n = int(rng.integers(4, 12))
        t0 = [int(v) for v in rng.permutation(n)]
        i = int(rng.integers(n))
        r = t0[i:] + t0[:i]
        j = int(rng.integers(2, n))
        k = int(rng.integers(j + 1, n + 1))
        T = _Tour(np.array(t0))
        T.exchange(r[0], r[j], r[k % n])
        assert T.t == r[:1] + r[j:k] + r[1:j] + r[k:]
        assert all(T.pos[v] == p for p, v in enumerate(T.t))


@pytest.mark.parametrize(("seed", "symmetric"), [(s, m) for s in range(4) for m in (True, False)])
def test_segment_exchange_with_full_lists_leaves_no_improving_exchange(seed, symmetric):
    # every improving exchange has a rotation whose partial gains are positive (Lin &
    # Kernighan's gain criterion), so with full lists none can remain
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 14))
    d = _instance(n, symmetric, rng)
    t0 = _random_tour(n, rng)
    t, _ = segment_exchange_neighbours(
        d.tolist(), t0, nearest_candidates(d, n - 1).tolist(), 1e-12, None
    )
    assert sorted(t.tolist()) == list(range(n)) and _length(d, t) <= _length(d, t0) + 1e-12
    assert min(_exchange_deltas(d, t)) > -1e-9


def test_or_3opt_search_in_solve_on_an_asymmetric_instance():
    rng = np.random.default_rng(5)
    d = _instance(40, False, rng)
    problem = TSP(d)
    t0 = _random_tour(40, rng)
    search = tsp._resolve_local_search(problem, "neighbour or-opt+or-3opt")
    t = search(d, t0.copy(), 1e-12, None)
    only_or_opt = tsp._resolve_local_search(problem, "neighbour or-opt")(d, t0.copy(), 1e-12, None)
    assert sorted(t.tolist()) == list(range(40))
    assert _length(d, t) <= _length(d, only_or_opt) + 1e-9  # or-opt's optimum, then more


@pytest.mark.parametrize("seed", range(4))
def test_two_opt_or_opt_exchange_with_full_lists_leaves_no_move_of_the_three(seed):
    rng = np.random.default_rng(10 + seed)
    n = int(rng.integers(6, 14))
    d = _instance(n, True, rng)
    t0 = _random_tour(n, rng)
    full = nearest_candidates(d, n - 1).tolist()
    t = two_opt_or_opt_exchange_neighbours(d.tolist(), t0, full, 1e-12, None)
    assert sorted(t.tolist()) == list(range(n)) and _length(d, t) <= _length(d, t0) + 1e-12
    assert min(_two_opt_deltas(d, t)) > -1e-9
    assert min(_exchange_deltas(d, t)) > -1e-9
    assert min(delta for delta, covered in _or_opt_moves(d, list(t), True) if covered) > -1e-9


def test_reversal_keeps_positions_and_reverses_the_path():
    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(4, 12))
        t0 = rng.permutation(n)
        a, b = (int(v) for v in rng.choice(n, 2, replace=False))
        T = _Tour(t0)
        T.reverse(a, b)
        i, j = list(t0).index(a), list(t0).index(b)
        path = [t0[(i + k) % n] for k in range((j - i) % n + 1)]
        expected = list(t0)
        for k, v in enumerate(reversed(path)):
            expected[(i + k) % n] = v
        # the same cyclic tour, read either way
        got = T.t + T.t
        assert any(got[s : s + n] in (expected, expected[::-1]) for s in range(n))
        assert all(T.pos[v] == k for k, v in enumerate(T.t))


@pytest.mark.parametrize("seed", range(8))
def test_two_opt_with_full_lists_is_two_optimal(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 35))
    d = _instance(n, True, rng)
    t0 = _random_tour(n, rng)
    t, _ = two_opt_neighbours(d.tolist(), t0, nearest_candidates(d, n - 1).tolist(), 1e-12, None)
    assert sorted(t.tolist()) == list(range(n)) and _length(d, t) <= _length(d, t0)
    assert min(_two_opt_deltas(d, t)) > -1e-9


@pytest.mark.parametrize(("seed", "symmetric"), [(s, m) for s in range(5) for m in (True, False)])
def test_or_opt_with_full_lists_leaves_no_move_of_its_neighbourhood(seed, symmetric):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(6, 18))
    d = _instance(n, symmetric, rng)
    t0 = _random_tour(n, rng)
    t, _ = or_opt_neighbours(
        d.tolist(),
        t0,
        nearest_candidates(d, n - 1).tolist(),
        1e-12,
        None,
        symmetric=symmetric,
        in_neighbours=nearest_candidates(d.T, n - 1).tolist(),
    )
    assert sorted(t.tolist()) == list(range(n)) and _length(d, t) <= _length(d, t0) + 1e-12
    remaining = [delta for delta, covered in _or_opt_moves(d, list(t), symmetric) if covered]
    assert min(remaining) > -1e-9


def test_public_searches_on_a_square_and_a_cycle():
    square = TSP.from_coordinates([[0, 0], [1, 0], [1, 1], [0, 1]])
    assert neighbour_two_opt_or_opt(square, [0, 2, 1, 3]).tolist() == [0, 1, 2, 3]
    assert neighbour_two_opt_or_opt_or_3opt(square, [0, 2, 1, 3]).tolist() == [0, 1, 2, 3]
    cycle = TSP([[0, 1, 5, 5], [5, 0, 1, 5], [5, 5, 0, 1], [1, 5, 5, 0]])
    assert neighbour_or_opt(cycle, [0, 2, 1, 3]).tolist() == [0, 1, 2, 3]
    # 0 -> 3 -> 1 -> 2 -> 4 -> 0: swapping the paths [3] and [1, 2] gives the cycle
    five = TSP(
        [[0 if i == j else (1 if j == (i + 1) % 5 else 9) for j in range(5)] for i in range(5)]
    )
    assert neighbour_or_opt_or_3opt(five, [0, 3, 1, 2, 4]).tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="must be symmetric for 2-opt"):
        neighbour_two_opt_or_opt(cycle, [0, 1, 2, 3])


def test_a_passed_deadline_returns_the_tour_unchanged():
    rng = np.random.default_rng(3)
    problem = TSP.random_euclidean(30, rng=3)
    t0 = _random_tour(30, rng)
    assert neighbour_two_opt_or_opt(problem, t0, deadline=0.0).tolist() == t0.tolist()
