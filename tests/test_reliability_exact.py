"""Exact network unreliability against closed forms, brute-force enumeration and a peer.

Independent values: series/parallel/bridge/cycle/tree formulas, in exact rationals
(``fractions.Fraction`` of the float inputs) where the formula has a ``1 - x``; all 2^m
edge states enumerated here with ``scipy.sparse.csgraph`` (floats: sums of positive terms
only, so as accurate as the routine) or with a union-find over ``Fraction`` (exact);
graphillion's ZDDs where installed.
"""

from __future__ import annotations

import functools
import itertools
import math
from fractions import Fraction

import networkx as nx
import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from cemopt.problems.network_reliability._exact import (
    frontier_width,
    log_unreliability_exact,
    unreliability_exact,
)

RTOL = 1e-12


# --- independent references ------------------------------------------------------------


def brute_force(n_nodes, edges, q, terminals) -> float:
    """Sum P(state) over all 2^m edge states that leave the terminals apart (floats)."""
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    q = np.asarray(q, dtype=float)
    m = len(edges)
    n_states = 2**m
    works = ((np.arange(n_states)[:, None] >> np.arange(m)) & 1).astype(bool)
    state, edge = np.nonzero(works)
    # one block-diagonal graph: node i of state s is node s * n_nodes + i
    heads = edges[edge, 0] + state * n_nodes
    tails = edges[edge, 1] + state * n_nodes
    size = n_states * n_nodes
    graph = coo_matrix((np.ones(len(heads)), (heads, tails)), shape=(size, size))
    _, component = connected_components(graph, directed=False)
    component = component.reshape(n_states, n_nodes)[:, terminals]
    apart = np.any(component != component[:, :1], axis=1)
    probability = np.prod(np.where(works, 1.0 - q, q), axis=1)
    return math.fsum(probability[apart].tolist())


def _root(parent: list[int], i: int) -> int:
    while parent[i] != i:
        i = parent[i]
    return i


def brute_force_fraction(n_nodes, edges, q, terminals) -> Fraction:
    """The same sum in exact rationals, with a plain union-find per state."""
    qf = [Fraction(float(x)) for x in q]
    total = Fraction(0)
    for state in itertools.product((False, True), repeat=len(edges)):
        parent = list(range(n_nodes))
        root = functools.partial(_root, parent)
        probability = Fraction(1)
        for works, (u, v), qe in zip(state, edges, qf, strict=True):
            probability *= (1 - qe) if works else qe
            if works:
                parent[root(u)] = root(v)
        if len({root(t) for t in terminals}) > 1:
            total += probability
    return total


def bridge_unreliability(q) -> Fraction:
    """The 5-edge bridge s-a, s-b, a-t, b-t, bridge a-b; condition on the bridge."""
    q1, q2, q3, q4, q5 = (Fraction(float(x)) for x in q)
    p1, p2, p3, p4, p5 = (1 - x for x in (q1, q2, q3, q4, q5))
    # bridge works: s-{a,b} fails (q1 q2) or {a,b}-t fails (q3 q4)
    cut_when_up = q1 * q2 + q3 * q4 - q1 * q2 * q3 * q4
    # bridge fails: both paths s-a-t and s-b-t broken
    cut_when_down = (1 - p1 * p3) * (1 - p2 * p4)
    return p5 * cut_when_up + q5 * cut_when_down


BRIDGE = np.array([[0, 1], [0, 2], [1, 3], [2, 3], [1, 2]])  # s=0, a=1, b=2, t=3


def rel(value: float, reference) -> float:
    return abs(Fraction(value) - Fraction(reference)) / Fraction(reference)


def random_multigraph(rng, n_nodes: int, m: int) -> np.ndarray:
    """A connected spanning tree plus random extra edges (parallel edges and self-loops)."""
    order = rng.permutation(n_nodes)
    tree = [(order[i], order[rng.integers(i)]) for i in range(1, n_nodes)]
    extra = rng.integers(0, n_nodes, size=(m - len(tree), 2))
    edges = np.concatenate([np.array(tree).reshape(-1, 2), extra])
    return edges[rng.permutation(m)]


# --- closed forms ---------------------------------------------------------------------


def test_series_two_and_k_terminal():
    rng = np.random.default_rng(0)
    q = rng.uniform(0.0, 0.3, 9)
    path = np.column_stack([np.arange(9), np.arange(1, 10)])
    expected = -math.expm1(np.log1p(-q).sum())  # 1 - prod(1 - q) without cancellation
    assert unreliability_exact(10, path, q, [0, 9]) == pytest.approx(expected, rel=RTOL)
    # K-terminal: only the edges between the outermost terminals matter
    inner = -math.expm1(np.log1p(-q[2:7]).sum())
    assert unreliability_exact(10, path, q, [5, 2, 7, 4]) == pytest.approx(inner, rel=RTOL)


def test_parallel_with_self_loops():
    q = np.array([0.3, 1e-3, 0.5, 0.9, 2e-4])
    edges = [[0, 1], [1, 0], [0, 1], [1, 0], [0, 1], [0, 0], [1, 1]]
    q_all = np.concatenate([q, [0.5, 0.5]])  # self-loops: irrelevant whatever their q
    assert unreliability_exact(2, edges, q_all, [0, 1]) == pytest.approx(np.prod(q), rel=RTOL)


@pytest.mark.parametrize("scale", [None, 1e-6, 1e-50])
def test_bridge_closed_form(scale):
    rng = np.random.default_rng(1)
    q = rng.uniform(0.05, 0.6, 5) if scale is None else scale * rng.uniform(0.5, 2.0, 5)
    expected = bridge_unreliability(q)
    if scale is not None:  # two cuts of size 2 dominate: about 2 q^2
        assert 1e-2 * scale**2 < expected < 1e2 * scale**2
    value = unreliability_exact(4, BRIDGE, q, [0, 3])
    assert rel(value, expected) < RTOL
    log_value = log_unreliability_exact(4, BRIDGE, q, [0, 3])
    assert log_value == pytest.approx(math.log(expected), rel=RTOL)


def test_cycle_all_terminal():
    # C_n stays connected iff at most one edge fails
    n = 12
    cycle = np.column_stack([np.arange(n), (np.arange(n) + 1) % n])
    q = 1e-4
    binomial_tail = math.fsum(math.comb(n, k) * q**k * (1 - q) ** (n - k) for k in range(2, n + 1))
    value = unreliability_exact(n, cycle, np.full(n, q), range(n))
    assert value == pytest.approx(binomial_tail, rel=RTOL)
    qs = np.random.default_rng(2).uniform(0.0, 0.4, n)
    qf = [Fraction(float(x)) for x in qs]
    up = math.prod(1 - x for x in qf)
    one_down = sum(qf[i] * math.prod(1 - x for j, x in enumerate(qf) if j != i) for i in range(n))
    assert rel(unreliability_exact(n, cycle, qs, range(n)), 1 - up - one_down) < RTOL


def test_cycle_k_terminal():
    # Terminals on a cycle stay connected iff the failed edges all lie in one arc
    # between consecutive terminals.
    n = 11
    cycle = np.column_stack([np.arange(n), (np.arange(n) + 1) % n])
    qs = np.random.default_rng(3).uniform(0.0, 0.5, n)
    qf = [Fraction(float(x)) for x in qs]
    terminals = [1, 4, 5, 9]
    arcs = [range(a, b) for a, b in zip(terminals[:-1], terminals[1:], strict=True)] + [
        [*range(terminals[-1], n), *range(terminals[0])]
    ]
    up = math.prod(1 - x for x in qf)
    connected = up
    for arc in arcs:
        arc_up = math.prod(1 - qf[e] for e in arc)
        connected += (1 - arc_up) * up / arc_up
    assert rel(unreliability_exact(n, cycle, qs, terminals), 1 - connected) < RTOL


def test_tree_k_terminal_steiner_edges():
    # On a tree the terminals are joined iff every edge of their Steiner subtree works.
    rng = np.random.default_rng(4)
    tree = nx.Graph(random_multigraph(rng, 30, 29).tolist())  # 29 edges: the tree alone
    edges = np.array(tree.edges)
    q = rng.uniform(0.0, 0.05, len(edges))
    q_of = {frozenset(e): x for e, x in zip(edges.tolist(), q, strict=True)}
    terminals = rng.choice(30, 6, replace=False)
    steiner = {
        frozenset(e)
        for t in terminals[1:]
        for e in nx.utils.pairwise(nx.shortest_path(tree, terminals[0], t))
    }
    expected = -math.expm1(math.fsum(math.log1p(-q_of[e]) for e in steiner))
    assert unreliability_exact(30, edges, q, terminals) == pytest.approx(expected, rel=RTOL)


def test_long_series_parallel_graphs():
    # 40 bridges in series (200 edges, nodes shuffled): R = prod R_i; and 6 disjoint
    # paths of 30 edges in parallel (180 edges): U = prod_i (1 - prod_{e in i} p_e).
    rng = np.random.default_rng(6)
    k = 40
    edges = np.concatenate([BRIDGE + 3 * i for i in range(k)])
    q = rng.uniform(1e-4, 1e-2, 5 * k)
    per_bridge = [float(bridge_unreliability(q[5 * i : 5 * i + 5])) for i in range(k)]
    expected = -math.expm1(math.fsum(math.log1p(-u) for u in per_bridge))
    relabel = rng.permutation(3 * k + 1)
    value = unreliability_exact(3 * k + 1, relabel[edges], q, relabel[[0, 3 * k]])
    assert value == pytest.approx(expected, rel=1e-11)

    paths, length = 6, 30
    n = 2 + paths * (length - 1)
    edges = []
    for i in range(paths):
        inner = 2 + i * (length - 1) + np.arange(length - 1)
        edges += list(zip([0, *inner], [*inner, 1], strict=True))
    q = rng.uniform(1e-3, 2e-2, len(edges))
    expected = math.prod(
        -math.expm1(np.log1p(-q[i * length : (i + 1) * length]).sum()) for i in range(paths)
    )
    assert unreliability_exact(n, edges, q, [0, 1]) == pytest.approx(expected, rel=1e-11)


# --- brute-force enumeration ------------------------------------------------------------


@pytest.mark.parametrize("kind", ["two", "K", "all"])
def test_random_multigraphs_against_enumeration(kind):
    rng = np.random.default_rng({"two": 10, "K": 11, "all": 12}[kind])
    sizes = [(4, 8), (5, 10), (6, 12), (7, 13), (6, 14), (8, 14), (7, 15), (9, 16), (8, 18)]
    for n_nodes, m in sizes:
        edges = random_multigraph(rng, n_nodes, m)
        q = rng.uniform(0.0, 1.0, m) ** 2
        q[rng.random(m) < 0.1] = rng.choice([0.0, 1.0])  # sure and dead links too
        k = {"two": 2, "K": rng.integers(3, n_nodes), "all": n_nodes}[kind]
        terminals = rng.choice(n_nodes, k, replace=False)
        expected = brute_force(n_nodes, edges, q, terminals)
        value = unreliability_exact(n_nodes, edges, q, terminals)
        assert value == pytest.approx(expected, rel=RTOL, abs=1e-300), (edges, q, terminals)
        log_value = log_unreliability_exact(n_nodes, edges, q, terminals)
        assert math.exp(log_value) == pytest.approx(expected, rel=1e-11, abs=1e-300)


def test_dense_graph_against_enumeration():
    # K_6 (15 edges, width 6: many merging states) plus two parallel edges
    edges = np.array([*itertools.combinations(range(6), 2), (0, 1), (2, 5)])
    q = np.random.default_rng(13).uniform(0.1, 0.7, len(edges))
    for terminals in ([0, 5], [1, 2, 4], range(6)):
        expected = brute_force(6, edges, q, list(terminals))
        assert unreliability_exact(6, edges, q, terminals) == pytest.approx(expected, rel=RTOL)


def test_tiny_probabilities_keep_their_digits():
    # q ~ 1e-6 per edge: unreliability ~ 1e-12 and below, against exact rationals
    rng = np.random.default_rng(14)
    edges = random_multigraph(rng, 6, 10)
    edges = np.concatenate([edges, [[0, 5], [1, 4]]])
    q = 1e-6 * rng.uniform(0.5, 2.0, len(edges))
    for terminals in ([0, 3], [0, 2, 4], range(6)):
        expected = brute_force_fraction(6, edges.tolist(), q, list(terminals))
        assert expected < 1e-11
        assert rel(unreliability_exact(6, edges, q, terminals), expected) < RTOL
        log_value = log_unreliability_exact(6, edges, q, terminals)
        assert log_value == pytest.approx(math.log(expected), rel=RTOL)


def test_log_version_below_float_range():
    # q = 1e-200: the unreliability (~1e-400) underflows a float, its log does not
    q = np.full(5, 1e-200) * np.array([1.0, 2.0, 3.0, 0.5, 1.5])
    expected = bridge_unreliability(q)
    log_expected = math.log(expected.numerator) - math.log(expected.denominator)
    assert log_unreliability_exact(4, BRIDGE, q, [0, 3]) == pytest.approx(log_expected, rel=RTOL)


def test_sure_and_impossible_outcomes():
    edges = [[0, 1], [1, 2], [3, 4]]
    assert unreliability_exact(5, edges, [0.0, 0.0, 0.5], [0, 2]) == 0.0
    assert log_unreliability_exact(5, edges, [0.0, 0.0, 0.5], [0, 2]) == -math.inf
    assert unreliability_exact(5, edges, [0.1, 0.2, 0.0], [0, 3]) == 1.0  # other component
    assert unreliability_exact(5, edges, [0.1, 0.2, 0.0], [0, 1, 2, 3, 4]) == 1.0
    assert unreliability_exact(5, edges, [1.0, 0.0, 0.0], [0, 1]) == 1.0
    assert unreliability_exact(5, np.empty((0, 2), int), [], [0, 1]) == 1.0
    assert log_unreliability_exact(5, edges, [0.1, 0.2, 0.0], [0, 3]) == 0.0


@pytest.mark.parametrize("rows", [2, 3, 4, 5])
def test_long_grids_stay_narrow(rows):
    # the pathwidth of an r x k grid is r; the programme holds one vertex more
    grid = nx.convert_node_labels_to_integers(nx.grid_2d_graph(rows, 40))
    edges = np.array(grid.edges)
    n = grid.number_of_nodes()
    assert frontier_width(n, edges) <= rows + 1
    assert frontier_width(n, edges, [0, n - 1]) <= rows + 1


def test_agrees_with_graphillion():
    # graphillion's own K-terminal reliability (a decision diagram); moderate q, since
    # its answer is the reliability R and 1 - R loses the digits of a tiny unreliability
    graphillion = pytest.importorskip("graphillion")
    graphillion.GraphSet.omp_set_num_threads(1)
    grid = nx.convert_node_labels_to_integers(nx.grid_2d_graph(3, 5))
    edges = [tuple(e) for e in np.array(grid.edges).tolist()]
    q = np.random.default_rng(15).uniform(0.01, 0.3, len(edges))
    graphillion.GraphSet.set_universe(edges, traversal="as-is")
    working = {e: 1.0 - x for e, x in zip(edges, q, strict=True)}
    for terminals in ([0, 14], [0, 7, 12], list(range(15))):
        expected = 1.0 - graphillion.GraphSet.reliability(working, terminals)
        value = unreliability_exact(15, edges, q, terminals)
        assert value == pytest.approx(expected, rel=1e-10)


# --- refusal and bad input --------------------------------------------------------------


def test_refuses_beyond_max_frontier():
    edges = np.array(list(itertools.combinations(range(8), 2)))
    assert frontier_width(8, edges) == 8
    with pytest.raises(ValueError, match=r"frontier width reached is 8 .* max_frontier=5"):
        unreliability_exact(8, edges, np.full(len(edges), 0.1), [0, 7], max_frontier=5)
    with pytest.raises(ValueError, match=r"frontier width reached is 8 .* max_frontier=7"):
        log_unreliability_exact(8, edges, np.full(len(edges), 0.1), range(8), max_frontier=7)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_nodes": 1}, ValueError, r"`n_nodes >= 2` must hold, but got n_nodes=1"),
        ({"n_nodes": 4.0}, TypeError, r"`n_nodes` must be an integer, but got n_nodes=4.0"),
        ({"edges": [[0, 1, 2]]}, ValueError, r"`edges` must have shape \(m, 2\)"),
        ({"edges": [[0.0, 1.0]]}, TypeError, r"`edges` must be an array of integer node"),
        (
            {"edges": [[0, 4]]},
            ValueError,
            r"`edges` must hold node indices in .* = range\(4\)",
        ),
        ({"q": [0.1, 0.2]}, ValueError, r"`q` must have shape \(m,\) = \(1,\)"),
        ({"q": [1.5]}, ValueError, r"`0 <= q <= 1` must hold, but got q=\[1.5\]"),
        ({"q": [np.nan]}, ValueError, r"`0 <= q <= 1` must hold, but got q=\[nan\]"),
        ({"q": ["a"]}, TypeError, r"`q` must be an array of real numbers"),
        ({"terminals": [0]}, ValueError, r"`terminals` must hold at least 2 nodes"),
        ({"terminals": [0, 0]}, ValueError, r"`terminals` must be distinct"),
        ({"terminals": [0, 9]}, ValueError, r"`terminals` must hold node indices in range"),
        ({"terminals": [[0, 1]]}, ValueError, r"`terminals` must be 1-d"),
        ({"max_frontier": 0}, ValueError, r"`max_frontier >= 1` must hold"),
    ],
)
def test_bad_input(kwargs, error, match):
    arguments = {"n_nodes": 4, "edges": [[0, 1]], "q": [0.1], "terminals": [0, 1]}
    arguments.update(kwargs)
    max_frontier = arguments.pop("max_frontier", 12)
    with pytest.raises(error, match=match):
        unreliability_exact(*arguments.values(), max_frontier=max_frontier)
    if "max_frontier" not in kwargs and "q" not in kwargs:
        terminals = arguments["terminals"]
        with pytest.raises(error, match=match):
            frontier_width(arguments["n_nodes"], arguments["edges"], terminals)
