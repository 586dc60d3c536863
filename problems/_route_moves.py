"""Moves on CVRP routes, priced all at once with numpy, applied many per round.

The routes are laid out as one sequence ``0 r1 0 r2 0 ... 0`` (depot between routes).
Each move kind is priced for every candidate at once from that layout: an array of
cost changes, ``inf`` where the move breaks the capacity or is not a move. A round
takes the improving moves best first and applies every one whose routes no move
taken before it in the round touches: the moves of one round change disjoint
routes, so each keeps the cost change it was priced with, and a round does the work
of as many best-improvement steps as it applies moves (on 25 routes, about a tenth
of the pricing per move of one move per round).

The kinds (:data:`ROUTE_MOVES`):

* ``relocate``: one customer to another place, in its route or another;
* ``or-opt``: a segment of 2 or 3 consecutive customers to another place, reversed
  too where the distances are symmetric (Or 1976);
* ``swap``: two customers trade places;
* ``swap*``: two customers of different routes trade routes, each put at its best
  place in the other's route (Vidal 2022: the three cheapest insertions of each
  customer into each route are kept, so that the best one not next to the customer
  that leaves is one of them);
* ``2-opt``: reverse part of a route (symmetric distances only);
* ``2-opt*``: two routes trade their tails (Potvin & Rousseau 1995); on symmetric
  distances also head-with-head (one head and one tail reversed).

No move adds a route; a route emptied by a move is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._local_search import expired

#: The move kinds, in the order :func:`improve` prices them.
ROUTE_MOVES = ("relocate", "or-opt", "swap", "swap*", "2-opt", "2-opt*")
#: Segment lengths of "or-opt" ("relocate" is length 1).
OR_OPT_LENGTHS = (2, 3)
# a move must gain this much: cost changes of rounded distances are whole numbers,
# and a zero-gain move would cycle
_GAIN = 1e-9
# improving moves of one kind looked at per round (the best ones)
_PER_KIND = 256

Routes = list[list[int]]


@dataclass(frozen=True)
class _Layout:
    """The routes as one sequence and what the pricing reads from it."""

    seq: np.ndarray  # nodes, depot 0 before, between and after the routes
    route: np.ndarray  # route of each position (a depot: the route it starts)
    starts: np.ndarray  # position of the depot that starts each route
    head_load: np.ndarray  # load of the route up to and including each position
    loads: np.ndarray  # load of each route
    cum_load: np.ndarray  # running load over the whole sequence
    depots_before: np.ndarray  # depots at or before each position

    @classmethod
    def of(cls, routes: Routes, demands: np.ndarray) -> _Layout:
        seq = np.array([0] + [c for r in routes for c in (*r, 0)], dtype=np.int64)
        depot = seq == 0
        depots_before = np.cumsum(depot)
        route = depots_before - 1
        cum_load = np.cumsum(demands[seq])
        base = np.maximum.accumulate(np.where(depot, cum_load, 0.0))
        depots = np.flatnonzero(depot)
        # the depot's demand is 0: a route's load is the running load between its depots
        loads = np.diff(cum_load[depots])
        return cls(seq, route, depots[:-1], cum_load - base, loads, cum_load, depots_before)


def improve(
    d: np.ndarray,
    demands: np.ndarray,
    capacity: float,
    routes: Routes,
    moves: frozenset[str],
    *,
    symmetric: bool,
    max_moves: int,
    deadline: float | None,
) -> Routes:
    """Rounds of disjoint improving moves until none improves (or ``max_moves`` moves
    were applied, or ``deadline`` passed); the routes, empty ones dropped."""
    cap = capacity + 1e-9
    current = [list(r) for r in routes if len(r)]
    applied = 0
    while applied < max_moves and not expired(deadline):
        lay = _Layout.of(current, demands)
        found = price(d, demands, cap, lay, moves, symmetric=symmetric)
        if not found:
            break
        found.sort(key=lambda move: move[0])
        taken: set[int] = set()
        for move in found:
            touched = move[1]
            if taken.isdisjoint(touched):
                taken.update(touched)
                apply(current, lay, move)
                applied += 1
                if applied == max_moves:
                    break
        current = [r for r in current if r]
    return current


def price(
    d: np.ndarray,
    demands: np.ndarray,
    cap: float,
    lay: _Layout,
    moves: frozenset[str],
    *,
    symmetric: bool,
) -> list[tuple]:
    """The improving moves (at most ``_PER_KIND`` of each kind), each a tuple
    ``(delta, routes touched, kind, *where)``."""
    seq, route = lay.seq, lay.route
    m = seq.size
    edges = np.arange(m - 1)
    a, b = seq[:-1], seq[1:]
    edge_cost = d[a, b]
    edge_route = route[:-1]
    found: list[tuple] = []

    lengths = ((1,) if "relocate" in moves else ()) + (OR_OPT_LENGTHS if "or-opt" in moves else ())
    for length in lengths:  # the segment at p .. p+length-1 after edge e
        p = np.arange(1, m - length)
        # positions p .. p+length-1 are customers of one route: no depot among them
        p = p[lay.depots_before[p + length - 1] == lay.depots_before[p - 1]]
        if not p.size:
            continue
        first, last = seq[p], seq[p + length - 1]
        prev, nxt = seq[p - 1], seq[p + length]
        gain = d[prev, first] + d[last, nxt] - d[prev, nxt]
        load = lay.cum_load[p + length - 1] - lay.cum_load[p - 1]
        same = edge_route[None, :] == route[p][:, None]
        fits = same | (lay.loads[edge_route][None, :] + load[:, None] <= cap)
        # the edges that touch the segment are not places to put it
        away = (edges[None, :] < p[:, None] - 1) | (edges[None, :] > p[:, None] + length - 1)
        ok = fits & away
        forward = d[a[None, :], first[:, None]] + d[last[:, None], b[None, :]]
        variants = [(forward, False)]
        if symmetric and length > 1:
            variants.append((d[a[None, :], last[:, None]] + d[first[:, None], b[None, :]], True))
        for insert, reverse in variants:
            delta = np.where(ok, insert - edge_cost[None, :] - gain[:, None], np.inf)
            for i, e in _best(delta):
                found.append(
                    (
                        delta[i, e],
                        {int(route[p[i]]), int(edge_route[e])},
                        "relocate",
                        int(p[i]),
                        length,
                        int(e),
                        reverse,
                    )
                )

    if "swap" in moves:  # the customers at p1 < p2, not adjacent
        cust = np.flatnonzero(seq != 0)
        p1, p2 = cust[:, None], cust[None, :]
        u1, u2 = seq[p1], seq[p2]
        before = d[seq[p1 - 1], u1] + d[u1, seq[p1 + 1]] + d[seq[p2 - 1], u2] + d[u2, seq[p2 + 1]]
        after = d[seq[p1 - 1], u2] + d[u2, seq[p1 + 1]] + d[seq[p2 - 1], u1] + d[u1, seq[p2 + 1]]
        r1, r2 = route[p1], route[p2]
        q1, q2 = demands[u1], demands[u2]
        ok = (p2 > p1 + 1) & (
            (r1 == r2) | ((lay.loads[r1] - q1 + q2 <= cap) & (lay.loads[r2] - q2 + q1 <= cap))
        )
        delta = np.where(ok, after - before, np.inf)
        for i, j in _best(delta):
            found.append(
                (
                    delta[i, j],
                    {int(route[cust[i]]), int(route[cust[j]])},
                    "swap",
                    int(cust[i]),
                    int(cust[j]),
                )
            )

    if "swap*" in moves:
        found.extend(_swap_star(d, demands, cap, lay, edge_cost))

    if "2-opt" in moves or "2-opt*" in moves:
        # edges e < f: in one route, reverse seq[e+1 .. f] (2-opt); in two routes, join
        # head to tail ("tails", 2-opt*) or head to head ("heads", symmetric only)
        e_, f_ = edges[:, None], edges[None, :]
        re_, rf = edge_route[e_], edge_route[f_]
        crossed = d[a[e_], a[f_]] + d[b[e_], b[f_]] - edge_cost[e_] - edge_cost[f_]
        head_e, head_f = lay.head_load[e_], lay.head_load[f_]
        tail_e, tail_f = lay.loads[re_] - head_e, lay.loads[rf] - head_f
        kinds = []
        if "2-opt" in moves:
            kinds.append(("2-opt", crossed, (re_ == rf) & (f_ > e_ + 1)))
        if "2-opt*" in moves:
            apart = re_ < rf
            tails = d[a[e_], b[f_]] + d[a[f_], b[e_]] - edge_cost[e_] - edge_cost[f_]
            kinds.append(
                ("tails", tails, apart & (head_e + tail_f <= cap) & (head_f + tail_e <= cap))
            )
            if symmetric:
                kinds.append(
                    ("heads", crossed, apart & (head_e + head_f <= cap) & (tail_e + tail_f <= cap))
                )
        for kind, change, ok in kinds:
            delta = np.where(ok, change, np.inf)
            for e, f in _best(delta):
                found.append(
                    (
                        delta[e, f],
                        {int(edge_route[e]), int(edge_route[f])},
                        kind,
                        int(e),
                        int(f),
                    )
                )
    return found


def _swap_star(
    d: np.ndarray, demands: np.ndarray, cap: float, lay: _Layout, edge_cost: np.ndarray
) -> list[tuple]:
    """SWAP* for every pair of customers in different routes: ``(delta, routes,
    "swap*", position of u, position of v, edge after which v goes or -1 for u's
    place, the same for u)``."""
    seq, route, starts = lay.seq, lay.route, lay.starts
    cust = np.flatnonzero(seq != 0)
    node = seq[cust]
    prev, nxt = seq[cust - 1], seq[cust + 1]
    gain = d[prev, node] + d[node, nxt] - d[prev, nxt]
    # cost of putting each customer after each edge's first node: (customers, edges)
    insert = d[seq[None, :-1], node[:, None]] + d[node[:, None], seq[None, 1:]] - edge_cost
    # each route's edges, padded to one length with an edge that costs inf
    sizes = np.diff(np.r_[starts, seq.size - 1])
    width = int(sizes.max())
    pad = np.arange(width)[None, :]
    by_route = np.where(pad < sizes[:, None], starts[:, None] + pad, -1)
    cost = np.where(by_route >= 0, insert[:, by_route], np.inf)  # (customers, routes, width)
    top = min(3, width)
    order = np.argsort(cost, axis=2, kind="stable")[:, :, :top]
    top_cost = np.take_along_axis(cost, order, axis=2)
    top_edge = np.take_along_axis(np.broadcast_to(by_route, cost.shape), order, axis=2)
    r = route[cust]

    def put(mover: np.ndarray, leaver: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cost and edge (-1: the leaver's place) of the best place for ``mover[i, j]``
        in the route of ``leaver[i, j]``, without the leaver."""
        edge = top_edge[mover, r[leaver]]
        c = np.where(
            (edge != cust[leaver][..., None] - 1) & (edge != cust[leaver][..., None]),
            top_cost[mover, r[leaver]],
            np.inf,
        )
        k = np.argmin(c, axis=-1)
        best = np.take_along_axis(c, k[..., None], axis=-1)[..., 0]
        p, q = prev[leaver], nxt[leaver]
        in_place = d[p, node[mover]] + d[node[mover], q] - d[p, q]
        where = np.take_along_axis(edge, k[..., None], axis=-1)[..., 0]
        return np.minimum(best, in_place), np.where(best < in_place, where, -1)

    i, j = np.nonzero(r[:, None] < r[None, :])  # u = customer i, v = customer j
    if not i.size:
        return []
    q_u, q_v = demands[node[i]], demands[node[j]]
    fits = (lay.loads[r[i]] - q_u + q_v <= cap) & (lay.loads[r[j]] - q_v + q_u <= cap)
    i, j = i[fits], j[fits]
    v_cost, v_edge = put(j, i)
    u_cost, u_edge = put(i, j)
    delta = v_cost + u_cost - gain[i] - gain[j]
    found = []
    for _, k in _best(delta[None, :]):
        found.append(
            (
                delta[k],
                {int(r[i[k]]), int(r[j[k]])},
                "swap*",
                int(cust[i[k]]),
                int(cust[j[k]]),
                int(v_edge[k]),
                int(u_edge[k]),
            )
        )
    return found


def _best(delta: np.ndarray) -> list[tuple[int, int]]:
    """Row and column of the improving entries of ``delta``, at most ``_PER_KIND`` of
    the best."""
    flat = delta.ravel()
    hits = np.flatnonzero(flat < -_GAIN)
    if hits.size > _PER_KIND:
        hits = hits[np.argpartition(flat[hits], _PER_KIND)[:_PER_KIND]]
    rows, cols = np.divmod(hits, delta.shape[1])
    return list(zip(rows.tolist(), cols.tolist(), strict=True))


def apply(routes: Routes, lay: _Layout, move: Sequence) -> None:
    """Apply ``move`` (from :func:`price` on ``lay``) to ``routes`` in place; routes
    the move does not touch keep their places (an emptied route stays, empty)."""
    kind = move[2]
    route, starts = lay.route, lay.starts

    def at(pos: int) -> tuple[int, int]:  # route and index in it of a position
        r = int(route[pos])
        return r, pos - int(starts[r]) - 1

    if kind == "relocate":
        p, length, e, reverse = move[3:]
        r1, i = at(p)
        r2, j = at(e)  # put the segment after index j of route r2 (-1: first)
        segment = routes[r1][i : i + length]
        if reverse:
            segment.reverse()
        del routes[r1][i : i + length]
        k = j + 1 if r1 != r2 or j < i else j + 1 - length
        routes[r2][k:k] = segment
    elif kind == "swap":
        (r1, i), (r2, j) = at(move[3]), at(move[4])
        routes[r1][i], routes[r2][j] = routes[r2][j], routes[r1][i]
    elif kind == "swap*":
        (r1, i), (r2, j) = at(move[3]), at(move[4])
        u, v = routes[r1][i], routes[r2][j]
        for r, k, where, node in ((r1, i, move[5], v), (r2, j, move[6], u)):
            if where < 0:  # into the place of the customer that left
                routes[r][k] = node
            else:
                e = at(where)[1]  # after index e of the route before the leaver left
                del routes[r][k]
                at_ = e + 1 if e < k else e
                routes[r][at_:at_] = [node]
    elif kind == "2-opt":
        (r, i), (_, j) = at(move[3]), at(move[4])
        routes[r][i + 1 : j + 1] = routes[r][i + 1 : j + 1][::-1]
    else:  # "tails" or "heads" between the routes of edges e < f
        (ra, i), (rb, j) = at(move[3]), at(move[4])
        head_a, tail_a = routes[ra][: i + 1], routes[ra][i + 1 :]
        head_b, tail_b = routes[rb][: j + 1], routes[rb][j + 1 :]
        if kind == "tails":
            routes[ra], routes[rb] = head_a + tail_b, head_b + tail_a
        else:
            routes[ra], routes[rb] = head_a + head_b[::-1], tail_a[::-1] + tail_b
