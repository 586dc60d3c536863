r"""Exact K-terminal network unreliability by a frontier dynamic programme.

Edges fail independently, edge ``e`` with probability ``q[e]``; the unreliability is
the probability that the terminals are *not* all in one connected component of the
graph of working edges (two-terminal, K-terminal or all-terminal).

Method
------
After exact reductions that need no subtraction (self-loops dropped; parallel edges
merged, ``q = q_a q_b`` and ``p = p_a + q_a p_b``; non-terminal vertices of degree 1
pruned; non-terminal vertices of degree 2 replaced by one edge, ``p = p_1 p_2`` and
``q = q_1 + p_1 q_2``), the edges are processed one at a time in an order that keeps the
*frontier* small: the vertices that have both processed and unprocessed edges. A state
is a set partition of the frontier (which frontier vertices are already joined by
working processed edges), each block flagged when it holds a terminal; the state's mass
is the probability of the processed edges' outcomes that lead to it. Each edge splits
every state in two (fails: mass times ``q``; works: its endpoints' blocks merge, mass
times ``p``) and equal states are summed. When a flagged block leaves the frontier
while some terminal is outside it, the terminals can no longer be joined: its mass is
added to the failed mass. A state whose terminals are all in one block is connected
whatever happens later and is dropped. The answer is the failed mass, a sum of products
of the ``q``'s and ``p = 1 - q``'s, so tiny unreliabilities keep their digits (no
``1 - R`` cancellation): relative accuracy near machine precision at ``1e-15`` or
``1e-100`` alike. :func:`log_unreliability_exact` runs the same programme in log space
and gives the logarithm also where the unreliability underflows (``1e-400``).

Limits
------
The work grows with the number of states: set partitions of the frontier with terminal
flags, of the order of the Bell numbers (4,140 partitions of 8 vertices, 4.2 million of
12) on dense graphs; planar graphs such as grids reach far fewer (non-crossing
partitions). The width depends on the graph and on the order (the best of greedy
minimum-frontier orders from several starts and Cuthill-McKee orders): ``r + 1`` for
an ``r x k`` grid whatever ``k``, ``n`` for the complete graph ``K_n``. Measured on
one core: the 3 x 200 grid (997 edges, width 4) in 0.2 s, the 11 x 11 grid (220 edges,
width 12) in about 10 s, ``K_12`` (66 edges, width 12) in about 11 s, each near 10
times slower per extra unit of width at the top. :func:`frontier_width` tells the width
before computing; beyond ``max_frontier`` (default 12) the computation is refused with
a ``ValueError`` rather than run for hours. Results below about ``1e-300`` underflow;
use :func:`log_unreliability_exact` there.

Examples
--------
>>> import numpy as np
>>> from cemopt.problems.network_reliability._exact import unreliability_exact
>>> bridge = np.array([[0, 1], [0, 2], [1, 2], [1, 3], [2, 3]])
>>> u = unreliability_exact(4, bridge, np.full(5, 1e-6), [0, 3])
>>> f"{u:.6e}"  # two cuts of size 2 dominate: 2 q^2
'2.000002e-12'
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import networkx as nx
import numpy as np

__all__ = ["unreliability_exact", "log_unreliability_exact", "frontier_width"]

_Ops = tuple[Callable[[Any, Any], Any], Callable[[Any, Any], Any]]
_LINEAR: _Ops = (lambda a, b: a * b, lambda a, b: a + b)  # (times, plus) on probabilities
_LOG: _Ops = (lambda a, b: a + b, np.logaddexp)  # the same on their logarithms


# --- validation ------------------------------------------------------------------------


def _check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an integer, but got {name}={value!r}.")
    if value < minimum:
        raise ValueError(f"`{name} >= {minimum}` must hold, but got {name}={value}.")
    return int(value)


def _short(array: np.ndarray) -> str:
    return np.array2string(np.asarray(array), threshold=8, precision=4)


def _as_index_array(value: Any, name: str, n_nodes: int, ndim: int) -> np.ndarray:
    """Node indices: an integer array of ``ndim`` dimensions with entries in range(n_nodes)."""
    array = np.asarray(value)
    if array.size == 0:
        array = array.astype(np.int64).reshape((0, 2) if ndim == 2 else (0,))
    if array.dtype == bool or not np.issubdtype(array.dtype, np.integer):
        raise TypeError(
            f"`{name}` must be an array of integer node indices, but got {name}={_short(array)}."
        )
    if ndim == 2 and (array.ndim != 2 or array.shape[1] != 2):
        raise ValueError(
            f"`{name}` must have shape (m, 2), but got {name} with shape {array.shape}."
        )
    if ndim == 1 and array.ndim != 1:
        raise ValueError(f"`{name}` must be 1-d, but got {name} with shape {array.shape}.")
    if array.size and (array.min() < 0 or array.max() >= n_nodes):
        raise ValueError(
            f"`{name}` must hold node indices in range(n_nodes) = range({n_nodes}), "
            f"but got {name}={_short(array)}."
        )
    return array.astype(np.int64)


def _validate(n_nodes: Any, edges: Any, q: Any, terminals: Any, max_frontier: Any):
    n_nodes = _check_int(n_nodes, "n_nodes", 2)
    edges = _as_index_array(edges, "edges", n_nodes, 2)
    try:
        q = np.array(q, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"`q` must be an array of real numbers, but got q={q!r}.") from exc
    if q.shape != (len(edges),):
        raise ValueError(
            f"`q` must have shape (m,) = ({len(edges)},), one failure probability per edge, "
            f"but got q with shape {q.shape}."
        )
    if not np.all((q >= 0) & (q <= 1)):  # also catches NaN
        raise ValueError(f"`0 <= q <= 1` must hold, but got q={_short(q)}.")
    terminals = _as_index_array(terminals, "terminals", n_nodes, 1)
    if len(terminals) < 2:
        raise ValueError(
            f"`terminals` must hold at least 2 nodes, but got terminals={terminals.tolist()}."
        )
    if len(np.unique(terminals)) != len(terminals):
        raise ValueError(f"`terminals` must be distinct, but got terminals={_short(terminals)}.")
    max_frontier = _check_int(max_frontier, "max_frontier", 1)
    return n_nodes, edges, q, terminals, max_frontier


# --- exact reductions ----------------------------------------------------------------


def _reduce(edges: np.ndarray, q: Any, p: Any, terminal: np.ndarray, ops: _Ops):
    """Self-loop, parallel, degree-1 and series reductions, exact and subtraction-free.

    ``q``/``p`` are failure/working probabilities (or their logs with ``ops = _LOG``); a
    ``None`` ``q`` reduces the structure alone. Returns a dict ``{(u, v): [q, p]}`` with
    ``u < v``, or None when the terminals lie in different components of the whole graph.
    """
    times, plus = ops
    adj: dict[int, dict[int, list]] = {}
    for e, (u, v) in enumerate(edges.tolist()):
        if u == v:
            continue  # a self-loop never joins anything
        qp = [None, None] if q is None else [q[e], p[e]]
        _add_edge(adj, u, v, qp, ops)
    # The component holding the terminals; the rest of the graph cannot matter.
    terms = np.flatnonzero(terminal).tolist()
    seen = {terms[0]}
    stack = [terms[0]]
    while stack:
        for w in adj.get(stack.pop(), ()):
            if w not in seen:
                seen.add(w)
                stack.append(w)
    if any(t not in seen for t in terms):
        return None
    for u in [u for u in adj if u not in seen]:
        del adj[u]
    queue = [u for u in adj if not terminal[u] and len(adj[u]) <= 2]
    while queue:
        u = queue.pop()
        if u not in adj or terminal[u] or len(adj[u]) > 2:
            continue
        if len(adj[u]) == 1:  # a dangling non-terminal vertex: its edge cannot matter
            (w,) = adj.pop(u)
            del adj[w][u]
            queue.append(w)
        elif len(adj[u]) == 2:  # series: a - u - b becomes one edge a - b
            (a, qa), (b, qb) = adj.pop(u).items()
            del adj[a][u], adj[b][u]
            if q is None:
                qp = [None, None]
            else:
                qp = [plus(qa[0], times(qa[1], qb[0])), times(qa[1], qb[1])]
            _add_edge(adj, a, b, qp, ops)
            queue.extend((a, b))
    return {(u, w): qp for u, nbrs in adj.items() for w, qp in nbrs.items() if u < w}


def _add_edge(adj: dict, u: int, v: int, qp: list, ops: _Ops) -> None:
    times, plus = ops
    old = adj.setdefault(u, {}).get(v)
    if old is not None and qp[0] is not None:  # parallel: fails iff both fail
        qp = [times(old[0], qp[0]), plus(old[1], times(old[0], qp[1]))]
    adj[u][v] = qp
    adj.setdefault(v, {})[u] = qp


# --- the elimination order -------------------------------------------------------------


def _simulate_width(order: list[int], graph: nx.Graph) -> int:
    """The largest number of frontier columns the programme holds for this vertex order."""
    return max(_edge_sequence(order, graph)[1], default=0)


def _edge_sequence(order: list[int], graph: nx.Graph):
    """Edges in processing order and the frontier size at each edge.

    Vertex ``order[t]`` is placed at step ``t`` with its edges to earlier vertices,
    oldest first. A vertex joins the frontier with its first processed edge and leaves
    after its last one.
    """
    position = {v: t for t, v in enumerate(order)}
    sequence = []
    for v in order:
        earlier = sorted((position[u], u) for u in graph[v] if position[u] < position[v])
        sequence.extend((u, v) for _, u in earlier)
    remaining = {v: graph.degree(v) for v in graph}
    active: set[int] = set()
    widths = []
    for u, v in sequence:
        active.update((u, v))
        widths.append(len(active))
        for w in (u, v):
            remaining[w] -= 1
            if remaining[w] == 0:
                active.discard(w)
    return sequence, widths


def _greedy_order(graph: nx.Graph, start: int) -> list[int]:
    """Greedy minimum frontier: place next the vertex that leaves the frontier smallest."""
    unplaced = dict(graph.degree())  # unplaced neighbours of each vertex
    placed: dict[int, int] = {}  # vertex -> position
    frontier: dict[int, int] = {}  # placed vertices with unplaced neighbours -> position
    order: list[int] = []
    nxt = start
    while True:
        order.append(nxt)
        placed[nxt] = len(order)
        for w in graph[nxt]:
            unplaced[w] -= 1
            if w in frontier and unplaced[w] == 0:
                del frontier[w]
        if unplaced[nxt] > 0:
            frontier[nxt] = placed[nxt]
        if len(order) == graph.number_of_nodes():
            return order
        candidates = {w for f in frontier for w in graph[f] if w not in placed}
        if not candidates:  # cannot happen on the connected graphs we order
            candidates = {w for w in graph if w not in placed}

        def key(w: int) -> tuple:
            closes = sum(1 for f in graph[w] if f in frontier and unplaced[f] == 1)
            grows = 1 if unplaced[w] > 0 else 0
            oldest = min((frontier[f] for f in graph[w] if f in frontier), default=len(order))
            return (grows - closes, oldest, unplaced[w], w)

        nxt = min(candidates, key=key)


def _best_order(graph: nx.Graph) -> list[int]:
    """The order with the smallest width among greedy and Cuthill-McKee candidates."""
    nodes = sorted(graph)
    if len(nodes) <= 2:
        return nodes
    starts = set()
    # ends of a pseudo-diameter (two BFS sweeps) and low-degree vertices
    far = nodes[0]
    for _ in range(2):
        lengths = nx.single_source_shortest_path_length(graph, far)
        far = max(lengths, key=lambda v: (lengths[v], -v))
        starts.add(far)
    starts.update(sorted(nodes, key=lambda v: (graph.degree(v), v))[:4])
    candidates = [_greedy_order(graph, s) for s in sorted(starts)]
    cm = list(nx.utils.cuthill_mckee_ordering(graph))
    candidates += [cm, cm[::-1]]
    return min(candidates, key=lambda order: _simulate_width(order, graph))


# --- the frontier dynamic programme -----------------------------------------------------


def _canonical(labels: np.ndarray) -> np.ndarray:
    """Renumber each row's block labels 0, 1, ... by first occurrence (vectorised)."""
    n, w = labels.shape
    if w == 0:
        return labels
    first = np.empty((n, w), dtype=np.int64)
    for j in range(w):
        first[:, j] = np.argmax(labels[:, : j + 1] == labels[:, j : j + 1], axis=1)
    rank = np.cumsum(first == np.arange(w), axis=1) - 1
    return np.take_along_axis(rank, first, axis=1).astype(np.int8)


def _merge_equal(labels, flags, mass, log_space: bool):
    """Sum the masses of equal states (canonical labels and flags)."""
    n, w = labels.shape
    if n <= 1:
        return labels, flags, mass
    codes = labels.astype(np.int64) * 2 + flags
    bits = max(1, int(2 * w - 1).bit_length())
    if w * bits <= 62:
        keys = codes @ (np.int64(1) << (bits * np.arange(w, dtype=np.int64)))
        _, index, inverse = np.unique(keys, return_index=True, return_inverse=True)
    else:
        _, index, inverse = np.unique(codes, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    if log_space:
        top = np.full(len(index), -np.inf)
        np.maximum.at(top, inverse, mass)
        total = np.log(np.bincount(inverse, weights=np.exp(mass - top[inverse]))) + top
    else:
        total = np.bincount(inverse, weights=mass)
    return labels[index], flags[index], total


def _frontier_dp(sequence, qp: dict, terminal: np.ndarray, log_space: bool) -> float:
    """Failed mass of the programme over ``sequence`` (or its log when ``log_space``)."""
    empty = -np.inf if log_space else 0.0
    n_terminals = int(terminal.sum())
    remaining: dict[int, int] = {}
    for u, v in sequence:
        remaining[u] = remaining.get(u, 0) + 1
        remaining[v] = remaining.get(v, 0) + 1
    columns: list[int] = []  # frontier vertex of each column
    labels = np.zeros((1, 0), dtype=np.int8)
    flags = np.zeros((1, 0), dtype=bool)
    mass = np.array([0.0 if log_space else 1.0])
    failed: list[float] = []
    entered = 0  # terminals that have joined the frontier so far

    def drop(rows: np.ndarray) -> None:
        nonlocal labels, flags, mass
        keep = ~rows
        labels, flags, mass = labels[keep], flags[keep], mass[keep]

    for u, v in sequence:
        if not len(mass):  # every state settled: connected (dropped) or failed (counted)
            break
        for w in (u, v):
            if w not in columns:  # joins the frontier as a block of its own
                labels = np.column_stack([labels, np.full(len(mass), len(columns), np.int8)])
                flags = np.column_stack([flags, np.full(len(mass), terminal[w])])
                columns.append(w)
                entered += int(terminal[w])
        cu, cv = columns.index(u), columns.index(v)
        q_e, p_e = qp[(min(u, v), max(u, v))]
        # works: the blocks of u and v merge (labels and terminal flags)
        lu, lv = labels[:, cu : cu + 1], labels[:, cv : cv + 1]
        joined = np.where(labels == lv, lu, labels)
        either = flags[:, cu : cu + 1] | flags[:, cv : cv + 1]
        joined_flags = np.where(joined == lu, either, flags)
        if log_space:
            works, fails = mass + p_e, mass + q_e
        else:
            works, fails = mass * p_e, mass * q_e
        labels = np.concatenate([labels, joined])
        flags = np.concatenate([flags, joined_flags])
        mass = np.concatenate([fails, works])
        drop(mass == empty)
        if entered == n_terminals and len(mass):
            # connected for good once every terminal is in one block
            flagged = np.where(flags, labels, -1)
            lowest = np.where(flags, labels, 127).min(axis=1)
            drop(flagged.max(axis=1) == lowest)
        for w in (u, v):
            remaining[w] -= 1
            if remaining[w] > 0 or w not in columns:
                continue
            c = columns.index(w)
            others = np.delete(labels, c, axis=1) == labels[:, c : c + 1]
            # a terminal block leaving the frontier while the terminals are not all in
            # it (those states were dropped above): they can never be joined now
            lost = flags[:, c] & ~others.any(axis=1)
            if lost.any():
                failed.append(_total(mass[lost], log_space))
                drop(lost)
            labels = np.delete(labels, c, axis=1)
            flags = np.delete(flags, c, axis=1)
            columns.pop(c)
        labels = _canonical(labels)
        labels, flags, mass = _merge_equal(labels, flags, mass, log_space)
    return _total(np.array(failed), log_space)


def _total(values: np.ndarray, log_space: bool) -> float:
    if not log_space:
        return math.fsum(values.tolist())
    if len(values) == 0 or np.all(values == -np.inf):
        return -np.inf
    top = values.max()
    return float(top + math.log(math.fsum(np.exp(values - top).tolist())))


def _solve(n_nodes, edges, q, terminals, max_frontier, log_space: bool) -> float:
    """Validate, reduce, order, refuse beyond ``max_frontier``, run the programme."""
    n_nodes, edges, q, terminals, max_frontier = _validate(
        n_nodes, edges, q, terminals, max_frontier
    )
    terminal = np.zeros(n_nodes, dtype=bool)
    terminal[terminals] = True
    if log_space:
        with np.errstate(divide="ignore"):
            qs, ps = np.log(q), np.log1p(-q)
        ops = _LOG
    else:
        qs, ps, ops = q, 1.0 - q, _LINEAR  # 1 - q is exact for q >= 1/2 and accurate below
    qp = _reduce(edges, qs.tolist(), ps.tolist(), terminal, ops)
    if qp is None:  # the terminals are never connected
        return 0.0 if log_space else 1.0
    graph = nx.Graph(list(qp))
    sequence, widths = _edge_sequence(_best_order(graph), graph)
    width = max(widths, default=0)
    if width > max_frontier:
        raise ValueError(
            f"`max_frontier` is too small for this graph: the frontier width reached is "
            f"{width} (vertices held at once by the dynamic programme, which stores up to "
            f"about Bell({width}) partitions of them), but got max_frontier={max_frontier}. "
            "Raise max_frontier if time and memory allow, or use an estimator."
        )
    return _frontier_dp(sequence, qp, terminal, log_space)


def unreliability_exact(
    n_nodes: int, edges: Any, q: Any, terminals: Any, *, max_frontier: int = 12
) -> float:
    r"""The probability that the terminals are not all connected, computed exactly.

    Parameters
    ----------
    n_nodes : int
        Number of nodes, labelled ``0 .. n_nodes - 1``.
    edges : array_like of int, shape (m, 2)
        The edges' end nodes. Parallel edges and self-loops are allowed.
    q : array_like of float, shape (m,)
        Independent failure probability of each edge, in [0, 1].
    terminals : array_like of int, shape (k,)
        ``k >= 2`` distinct nodes to be connected: two-terminal, K-terminal, or
        all-terminal with ``terminals = range(n_nodes)``.
    max_frontier : int, default 12
        Refuse graphs whose frontier width (see :func:`frontier_width`) exceeds this.

    Returns
    -------
    float
        :math:`P(\text{the terminals are not all in one component of the working
        edges})`, a sum of non-negative terms: relative error near machine precision
        however small, down to about ``1e-300`` (below that, see
        :func:`log_unreliability_exact`).

    Raises
    ------
    ValueError
        Bad input, or a frontier width above ``max_frontier`` (naming both).
    TypeError
        Non-integer node indices or non-numeric ``q``.

    Notes
    -----
    The frontier dynamic programme of the module docstring; the time grows with the
    number of partitions of the frontier, roughly ``Bell(width)`` for dense graphs and
    the Catalan number for planar ones, times the number of edges.

    Examples
    --------
    >>> import numpy as np
    >>> from cemopt.problems.network_reliability._exact import unreliability_exact
    >>> edges = [[0, 1], [1, 2], [2, 3], [3, 0]]  # a 4-cycle, all-terminal
    >>> u = unreliability_exact(4, edges, [1e-8] * 4, range(4))
    >>> f"{u:.10e}"  # two or more failures: 6 q^2 (1 - q)^2 + 4 q^3 (1 - q) + q^4
    '5.9999999200e-16'
    """
    return _solve(n_nodes, edges, q, terminals, max_frontier, log_space=False)


def log_unreliability_exact(
    n_nodes: int, edges: Any, q: Any, terminals: Any, *, max_frontier: int = 12
) -> float:
    r"""The natural log of :func:`unreliability_exact`, also where that underflows.

    The same programme on the logarithms of the masses (sums by ``logaddexp``), so
    ``q = 1e-200`` per edge, an unreliability near ``1e-400``, keeps its digits;
    ``-inf`` when the terminals are connected for sure. Parameters as
    :func:`unreliability_exact`.

    Examples
    --------
    >>> import math
    >>> from cemopt.problems.network_reliability._exact import log_unreliability_exact
    >>> edges = [[0, 1], [0, 1]]  # two parallel links: both must fail
    >>> lu = log_unreliability_exact(2, edges, [1e-200, 1e-200], [0, 1])
    >>> round(lu / math.log(10), 6)
    -400.0
    """
    return _solve(n_nodes, edges, q, terminals, max_frontier, log_space=True)


def frontier_width(n_nodes: int, edges: Any, terminals: Any = None) -> int:
    """The frontier width :func:`unreliability_exact` meets on this graph.

    The largest number of vertices the dynamic programme holds at once under its
    elimination order, after the same reductions (with ``terminals=None`` every node
    counts as a terminal, so only self-loops and parallel edges are reduced away).
    Compare it with ``max_frontier``: the
    work grows like the number of set partitions of this many vertices.

    Parameters
    ----------
    n_nodes : int
    edges : array_like of int, shape (m, 2)
    terminals : array_like of int, optional
        The terminals, as for :func:`unreliability_exact`; all nodes when None.

    Returns
    -------
    int
        0 when no programme is needed (the terminals are never connected).

    Examples
    --------
    >>> import networkx as nx
    >>> from cemopt.problems.network_reliability._exact import frontier_width
    >>> grid = nx.convert_node_labels_to_integers(nx.grid_2d_graph(3, 40))
    >>> frontier_width(grid.number_of_nodes(), list(grid.edges))
    4
    """
    n_nodes = _check_int(n_nodes, "n_nodes", 2)
    if terminals is None:
        terminals = np.arange(n_nodes)
    edges = _as_index_array(edges, "edges", n_nodes, 2)
    _, edges, _, terminals, _ = _validate(n_nodes, edges, np.zeros(len(edges)), terminals, 1)
    terminal = np.zeros(n_nodes, dtype=bool)
    terminal[terminals] = True
    structure = _reduce(edges, None, None, terminal, _LINEAR)
    if structure is None:
        return 0
    graph = nx.Graph(list(structure))
    return _simulate_width(_best_order(graph), graph)
