"""The CVRP route moves priced with numpy against brute force: every move of every
kind rebuilt from the route lists and its cost recomputed from scratch."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from cemopt.problems import _route_moves
from cemopt.problems._route_moves import ROUTE_MOVES, _Layout
from cemopt.problems.vrp import CVRP, improve_routes


def instance(seed: int, symmetric: bool) -> tuple[CVRP, list[list[int]]]:
    rng = np.random.default_rng(seed)
    problem = CVRP.random(11, capacity=22, rng=rng)
    if not symmetric:
        skew = rng.integers(0, 6, problem.distances.shape) * (1 - np.eye(12))
        problem = CVRP(problem.distances + skew, problem.demands, problem.capacity)
    routes = problem.split_routes(rng.permutation(np.arange(1, 12)))
    return problem, routes


def cost(problem: CVRP, routes: list[list[int]]) -> float:
    return problem.cost([r for r in routes if r])


def fits(problem: CVRP, *routes: list[int]) -> bool:
    return all(problem.demands[r].sum() <= problem.capacity for r in routes)


def brute_force(problem: CVRP, routes: list[list[int]]) -> dict[str, list[float]]:
    """The cost change of every move of each kind, from rebuilt routes."""
    base = cost(problem, routes)
    out: dict[str, list[float]] = {kind: [] for kind in ("relocate", "or-opt", "swap")}
    out.update({"swap*": [], "2-opt": [], "2-opt*": []})

    def change(replaced: dict[int, list[int]]) -> float:
        new = [replaced.get(k, r) for k, r in enumerate(routes)]
        return cost(problem, new) - base

    for r, route in enumerate(routes):
        for length in (1, 2, 3):
            kind = "relocate" if length == 1 else "or-opt"
            for i in range(len(route) - length + 1):
                segment = route[i : i + length]
                rest = route[:i] + route[i + length :]
                variants = [segment]
                if problem.symmetric and length > 1:
                    variants.append(segment[::-1])
                for seg in variants:
                    for t, target in enumerate(routes):
                        if t == r:
                            for k in range(len(rest) + 1):
                                if k != i:  # not back in its own place
                                    out[kind].append(change({r: rest[:k] + seg + rest[k:]}))
                        elif fits(problem, target + seg):
                            for k in range(len(target) + 1):
                                new_t = target[:k] + seg + target[k:]
                                out[kind].append(change({r: rest, t: new_t}))
    customers = [(r, i) for r, route in enumerate(routes) for i in range(len(route))]
    for a, (r1, i) in enumerate(customers):
        for r2, j in customers[a + 1 :]:
            if r1 == r2:
                if j > i + 1:
                    new = list(routes[r1])
                    new[i], new[j] = new[j], new[i]
                    out["swap"].append(change({r1: new}))
                continue
            one, two = list(routes[r1]), list(routes[r2])
            one[i], two[j] = two[j], one[i]
            if fits(problem, one, two):
                out["swap"].append(change({r1: one, r2: two}))
                # swap*: each into its best place of the other's route
                u, v = routes[r1][i], routes[r2][j]
                rest1 = routes[r1][:i] + routes[r1][i + 1 :]
                rest2 = routes[r2][:j] + routes[r2][j + 1 :]
                out["swap*"].append(
                    min(
                        change({r1: rest1[:k] + [v] + rest1[k:], r2: rest2[:m] + [u] + rest2[m:]})
                        for k in range(len(rest1) + 1)
                        for m in range(len(rest2) + 1)
                    )
                )
    for r, route in enumerate(routes):
        if problem.symmetric:
            for i in range(len(route)):
                for j in range(i + 1, len(route)):
                    out["2-opt"].append(
                        change({r: route[:i] + route[i : j + 1][::-1] + route[j + 1 :]})
                    )
        for s in range(r + 1, len(routes)):
            a_, b_ = route, routes[s]
            for i in range(len(a_) + 1):
                for j in range(len(b_) + 1):
                    pairs = [(a_[:i] + b_[j:], b_[:j] + a_[i:])]
                    if problem.symmetric:
                        pairs.append((a_[:i] + b_[:j][::-1], a_[i:][::-1] + b_[j:]))
                    for one, two in pairs:
                        if fits(problem, one, two):
                            out["2-opt*"].append(change({r: one, s: two}))
    return out


def priced(problem: CVRP, routes, monkeypatch) -> list[tuple]:
    """Every finite move :func:`price` finds (no gain asked, no cap on the count)."""
    monkeypatch.setattr(_route_moves, "_GAIN", -np.inf)
    monkeypatch.setattr(_route_moves, "_PER_KIND", 10**9)
    moves = frozenset(m for m in ROUTE_MOVES if problem.symmetric or m != "2-opt")
    lay = _Layout.of(routes, problem.demands)
    return _route_moves.price(
        problem.distances,
        problem.demands,
        problem.capacity + 1e-9,
        lay,
        moves,
        symmetric=problem.symmetric,
    )


def kind_of(move: tuple) -> str:
    if move[2] == "relocate":
        return "relocate" if move[4] == 1 else "or-opt"
    return "2-opt*" if move[2] in ("tails", "heads") else move[2]


@pytest.mark.parametrize("symmetric", [True, False])
@pytest.mark.parametrize("seed", range(4))
def test_every_priced_move_is_the_cost_change_of_its_rebuild(seed, symmetric, monkeypatch):
    problem, routes = instance(seed, symmetric)
    lay = _Layout.of(routes, problem.demands)
    found = priced(problem, routes, monkeypatch)
    assert found
    for move in found:
        new = copy.deepcopy(routes)
        _route_moves.apply(new, lay, move)
        new = [r for r in new if r]
        assert sorted(c for r in new for c in r) == list(range(1, 12)), move
        assert fits(problem, *new), move
        assert cost(problem, new) - cost(problem, routes) == pytest.approx(move[0], abs=1e-9)


@pytest.mark.parametrize("symmetric", [True, False])
@pytest.mark.parametrize("seed", range(4))
def test_the_priced_moves_are_exactly_the_brute_force_moves(seed, symmetric, monkeypatch):
    """Per kind, the same multiset of cost changes: no move missed, none priced twice
    (swap*: the best placement of each pair)."""
    problem, routes = instance(seed, symmetric)
    expected = brute_force(problem, routes)
    found: dict[str, list[float]] = {kind: [] for kind in expected}
    for move in priced(problem, routes, monkeypatch):
        found[kind_of(move)].append(move[0])
    for kind, deltas in expected.items():
        if kind == "2-opt" and not symmetric:
            assert deltas == found[kind] == []
            continue
        assert deltas, kind
        np.testing.assert_allclose(sorted(found[kind]), sorted(deltas), atol=1e-9, err_msg=kind)


@pytest.mark.parametrize("symmetric", [True, False])
def test_the_search_ends_where_no_brute_force_move_improves(symmetric):
    for seed in range(3):
        problem, routes = instance(10 + seed, symmetric)
        better = improve_routes(problem, routes)
        problem.check_routes(better)
        assert cost(problem, better) <= cost(problem, routes)
        for kind, deltas in brute_force(problem, better).items():
            assert min(deltas, default=0.0) > -1e-9, kind


def test_a_round_applies_several_moves_on_disjoint_routes(monkeypatch):
    """Rounds apply more than one move each, never two on one route; capped by
    max_moves, the search applies exactly that many."""
    problem = CVRP.random(40, capacity=25, rng=2)
    routes = problem.split_routes(np.random.default_rng(4).permutation(np.arange(1, 41)))
    rounds: list[list[set]] = []
    price, apply = _route_moves.price, _route_moves.apply

    def count_rounds(*args, **kwargs):
        rounds.append([])
        return price(*args, **kwargs)

    def record(current, lay, move):
        rounds[-1].append(move[1])
        apply(current, lay, move)

    monkeypatch.setattr(_route_moves, "price", count_rounds)
    monkeypatch.setattr(_route_moves, "apply", record)
    better = improve_routes(problem, routes)
    applied = [moves for moves in rounds if moves]
    assert max(len(moves) for moves in applied) > 1
    for moves in applied:
        touched = [r for routes_of_move in moves for r in routes_of_move]
        assert len(touched) == len(set(touched))
    assert problem.cost(better) < problem.cost(routes)
    rounds.clear()
    improve_routes(problem, routes, max_moves=3)
    assert sum(len(moves) for moves in rounds) == 3
