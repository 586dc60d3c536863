"""2-opt and or-opt on neighbour lists with don't-look bits (Bentley 1992).

The full-neighbourhood searches of :mod:`cemopt.problems.tsp` price all ``O(n^2)``
moves before each step. These look only at moves that bring a node next to one of its
``k`` nearest neighbours, first improvement, and keep a queue of the nodes whose
surroundings changed (the others' "don't-look" bit is set): ``O(n k)`` work per sweep
instead of ``O(n^2)`` per move. A move that joins two nodes that are not near each
other is not tried, so the local optimum is with respect to the smaller neighbourhood.

Tours are Python lists with a position index (the loops are scalar, where Python
lists index several times faster than numpy arrays).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from ._local_search import expired

__all__ = ["or_opt_neighbours", "two_opt_neighbours", "two_opt_or_opt_neighbours"]


class _Tour:
    """A cyclic tour with O(1) successor, predecessor and position lookups."""

    def __init__(self, tour: np.ndarray) -> None:
        self.t = [int(v) for v in tour]
        self.n = len(self.t)
        self.pos = [0] * self.n
        for i, v in enumerate(self.t):
            self.pos[v] = i

    def succ(self, v: int) -> int:
        i = self.pos[v] + 1
        return self.t[0 if i == self.n else i]

    def pred(self, v: int) -> int:
        return self.t[self.pos[v] - 1]

    def reverse(self, a: int, b: int) -> None:
        """Reverse the path from ``a`` forward to ``b`` (the other side when shorter:
        the same cyclic tour, read the other way, which a symmetric cost ignores)."""
        i, j = self.pos[a], self.pos[b]
        inner = (j - i) % self.n + 1
        if 2 * inner > self.n:  # the complement is shorter: reverse succ(b) .. pred(a)
            i, j = (j + 1) % self.n, (i - 1) % self.n
            inner = self.n - inner
        t, pos, n = self.t, self.pos, self.n
        for _ in range(inner // 2):
            t[i], t[j] = t[j], t[i]
            pos[t[i]], pos[t[j]] = i, j
            i = 0 if i + 1 == n else i + 1
            j = n - 1 if j == 0 else j - 1

    def move_segment(self, first: int, last: int, after: int, reverse: bool) -> None:
        """Cut the path ``first .. last`` and reinsert it between ``after`` and its
        successor (reversed when asked)."""
        seg = []
        v = first
        while True:
            seg.append(v)
            if v == last:
                break
            v = self.succ(v)
        members = set(seg)
        rest = [v for v in self.t if v not in members]
        k = rest.index(after)
        if reverse:
            seg.reverse()
        self.t = rest[: k + 1] + seg + rest[k + 1 :]
        for i, v in enumerate(self.t):
            self.pos[v] = i

    def array(self) -> np.ndarray:
        return np.array(self.t, dtype=np.int64)


def two_opt_neighbours(
    d: list, tour: np.ndarray, neighbours: list, tol: float, deadline: float | None
) -> tuple[np.ndarray, bool]:
    """2-opt on neighbour lists (symmetric ``d``): until no node's neighbours offer an
    improving move, or the deadline. ``d`` and ``neighbours`` are nested lists (rows
    of distances, rows of the nearest nodes in increasing distance)."""
    T = _Tour(tour)
    queue, queued = deque(T.t), [True] * T.n
    improved = sweep_moved = False
    while not expired(deadline):
        if not queue:
            if not sweep_moved:
                break
            # a move can open one for a node whose own edges stayed (don't-look bits
            # are a heuristic): a last sweep over every node makes the optimum local
            queue, queued, sweep_moved = deque(T.t), [True] * T.n, False
        a = queue.popleft()
        queued[a] = False
        moved = None
        for forward in (True, False):
            b = T.succ(a) if forward else T.pred(a)
            d_ab = d[a][b]
            for c in neighbours[a]:
                g1 = d_ab - d[a][c]
                if g1 <= tol:  # sorted lists: no farther c can gain on this edge
                    break
                e = T.succ(c) if forward else T.pred(c)
                if c == b or e == a:
                    continue
                if d[b][e] - d[c][e] - g1 < -tol:  # new (a,c), (b,e); old (a,b), (c,e)
                    moved = (forward, b, c, e)
                    break
            if moved:
                break
        if moved is None:
            continue  # a's bit stays set until a move next to it
        forward, b, c, e = moved
        if forward:  # a b ... c e  ->  a c ... b e
            T.reverse(b, c)
        else:  # e c ... b a  ->  e b ... c a
            T.reverse(c, b)
        improved = sweep_moved = True
        for v in (a, b, c, e):
            if not queued[v]:
                queue.append(v)
                queued[v] = True
    return T.array(), improved


def or_opt_neighbours(
    d: list,
    tour: np.ndarray,
    neighbours: list,
    tol: float,
    deadline: float | None,
    *,
    symmetric: bool,
    max_len: int = 3,
    in_neighbours: list | None = None,
) -> tuple[np.ndarray, bool]:
    """Or-opt on neighbour lists, first improvement, until no move of the neighbourhood
    improves or the deadline.

    A move cuts the segment of 1 to ``max_len`` nodes that starts at a node and
    reinserts it between ``c`` and its successor, forward-facing (and reversed when
    ``symmetric``). The moves tried are those with a new edge shorter than what the cut
    saves (the gain criterion of Lin & Kernighan), that edge found on a neighbour list:
    ``neighbours`` (nearest successors, increasing ``d[i][j]``) and ``in_neighbours``
    (nearest predecessors, increasing ``d[j][i]``; default ``neighbours``, right for a
    symmetric ``d``).
    """
    T = _Tour(tour)
    n = T.n
    near_in = neighbours if in_neighbours is None else in_neighbours
    queue, queued = deque(T.t), [True] * n
    improved = sweep_moved = False
    lengths = [length for length in range(1, max_len + 1) if length <= n - 3]
    while not expired(deadline):
        if not queue:
            if not sweep_moved:
                break
            queue, queued, sweep_moved = deque(T.t), [True] * n, False  # as in 2-opt
        a = queue.popleft()
        queued[a] = False
        move = _first_insertion(d, T, a, neighbours, near_in, tol, lengths, symmetric)
        if move is None:
            continue
        first, last, after, reverse, touched = move
        T.move_segment(first, last, after, reverse)
        improved = sweep_moved = True
        for v in touched:
            if not queued[v]:
                queue.append(v)
                queued[v] = True
    return T.array(), improved


def _first_insertion(d, T, a, near_out, near_in, tol, lengths, symmetric):
    """The first improving move of a segment that starts at ``a``, or None."""
    p = T.pred(a)
    last, seg = a, [a]
    for length in lengths:
        if length > 1:
            last = T.succ(last)
            seg.append(last)
        q = T.succ(last)
        if q == p:
            break
        gain = d[p][a] + d[last][q] - d[p][q]  # what cutting the segment saves
        if gain <= tol:
            continue
        members = set(seg)
        # forward, c -> a ... last -> succ(c): a short (c, a) or a short (last, succ c)
        # reversed, c -> last ... a -> succ(c): a short (c, last) or a short (a, succ c)
        sources = [(near_in[a], a, False, False), (near_out[last], last, True, False)]
        if symmetric:
            sources += [(near_in[last], last, False, True), (near_out[a], a, True, True)]
        for nodes, end, from_successor, reverse in sources:
            for v in nodes:
                if (d[end][v] if from_successor else d[v][end]) >= gain:
                    break  # sorted lists: the rest are longer still
                c = T.pred(v) if from_successor else v
                cn = T.succ(c)
                if c in members or c == p or cn in members:
                    continue
                if reverse:
                    cost = d[c][last] + d[a][cn] - d[c][cn]
                else:
                    cost = d[c][a] + d[last][cn] - d[c][cn]
                if cost - gain < -tol:
                    return a, last, c, reverse, (p, q, c, cn, a, last)
    return None


def two_opt_or_opt_neighbours(
    d: list, tour: np.ndarray, neighbours: list, tol: float, deadline: float | None
) -> np.ndarray:
    """2-opt and or-opt on neighbour lists in turn until neither improves."""
    t, _ = two_opt_neighbours(d, tour, neighbours, tol, deadline)
    while not expired(deadline):
        t, improved = or_opt_neighbours(d, t, neighbours, tol, deadline, symmetric=True)
        if not improved:
            break
        t, improved = two_opt_neighbours(d, t, neighbours, tol, deadline)
        if not improved:
            break
    return t
