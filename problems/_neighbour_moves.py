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

__all__ = [
    "or_opt_neighbours",
    "or_opt_segment_exchange_neighbours",
    "segment_exchange_neighbours",
    "two_opt_neighbours",
    "two_opt_or_opt_exchange_neighbours",
    "two_opt_or_opt_neighbours",
]


#: nodes popped between two reads of the clock by 2-opt
_POLL = 32


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
        if i <= j:  # no wrap: one slice reversal in C, then the positions it moved
            t[i : j + 1] = t[i : j + 1][::-1]
            for k in range(i, j + 1):
                pos[t[k]] = k
            return
        for _ in range(inner // 2):
            t[i], t[j] = t[j], t[i]
            pos[t[i]], pos[t[j]] = i, j
            i = 0 if i + 1 == n else i + 1
            j = n - 1 if j == 0 else j - 1

    def move_segment(self, first: int, last: int, after: int, reverse: bool) -> None:
        """Cut the path ``first .. last`` and reinsert it between ``after`` and its
        successor (reversed when asked). Only the nodes between the path and ``after``,
        on the shorter side, shift: ``O(L + shift)`` rather than ``O(n)``."""
        t, pos, n = self.t, self.pos, self.n
        i = pos[first]
        length = (pos[last] - i) % n + 1
        seg = [t[(i + m) % n] for m in range(length)]
        if reverse:
            seg.reverse()
        ahead = (pos[after] - pos[last]) % n  # last+1 .. after move back by length
        behind = (i - pos[after] - 1) % n  # after+1 .. first-1 move on by length
        if ahead <= behind:
            for m in range(ahead):
                v = t[(i + length + m) % n]
                k = (i + m) % n
                t[k] = v
                pos[v] = k
            start = i + ahead
        else:
            end = pos[last]
            for m in range(behind):
                v = t[(i - 1 - m) % n]
                k = (end - m) % n
                t[k] = v
                pos[v] = k
            start = i - behind
        for m, v in enumerate(seg):
            k = (start + m) % n
            t[k] = v
            pos[v] = k

    def exchange(self, a: int, b1: int, c1: int) -> None:
        """Swap the paths ``succ(a) .. pred(b1)`` and ``b1 .. pred(c1)`` (``c1`` after
        ``b1`` going forward from ``a``; ``c1 == a`` for the path up to ``a``'s
        predecessor): ``a -> b1 ... c -> a1 ... b -> c1``, every path kept in its
        direction."""
        n, i = self.n, self.pos[a]
        r = self.t[i:] + self.t[:i]
        j = (self.pos[b1] - i) % n
        k = (self.pos[c1] - i) % n or n
        self.t = r[:1] + r[j:k] + r[1:j] + r[k:]
        for p, v in enumerate(self.t):
            self.pos[v] = p

    def array(self) -> np.ndarray:
        return np.array(self.t, dtype=np.int64)


def two_opt_neighbours(
    d: list, tour: np.ndarray, neighbours: list, tol: float, deadline: float | None
) -> tuple[np.ndarray, bool]:
    """2-opt on neighbour lists (symmetric ``d``): until no node's neighbours offer an
    improving move, or the deadline. ``d`` and ``neighbours`` are nested lists (rows
    of distances, rows of the nearest nodes in increasing distance)."""
    T = _Tour(tour)
    t, pos, n = T.t, T.pos, T.n
    queue, queued = deque(T.t), [True] * n
    improved = sweep_moved = False
    polls = 0
    while True:
        # the clock on the first node and every _POLL-th after it (a read per node
        # cost 8% of the search)
        if polls % _POLL == 0 and expired(deadline):
            break
        polls += 1
        if not queue:
            if not sweep_moved:
                break
            # a move can open one for a node whose own edges stayed (don't-look bits
            # are a heuristic): a last sweep over every node makes the optimum local
            queue, queued, sweep_moved = deque(T.t), [True] * n, False
        a = queue.popleft()
        queued[a] = False
        moved = None
        pa = pos[a]
        d_a = d[a]
        for forward in (True, False):
            if forward:
                b = t[0 if pa + 1 == n else pa + 1]
            else:
                b = t[pa - 1]
            d_ab = d_a[b]
            for c in neighbours[a]:
                g1 = d_ab - d_a[c]
                if g1 <= tol:  # sorted lists: no farther c can gain on this edge
                    break
                pc = pos[c]
                if forward:
                    e = t[0 if pc + 1 == n else pc + 1]
                else:
                    e = t[pc - 1]
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
    near_in = neighbours if in_neighbours is None else in_neighbours
    lengths = [length for length in range(1, max_len + 1) if length <= T.n - 3]

    def find(a):
        return _first_insertion(d, T, a, neighbours, near_in, tol, lengths, symmetric)

    def apply(a, move):
        first, last, after, reverse, touched = move
        T.move_segment(first, last, after, reverse)
        return touched

    return _dont_look_search(T, find, apply, deadline)


def _dont_look_search(T: _Tour, find, apply, deadline: float | None, *, min_nodes: int = 0):
    """First improvement with don't-look bits: pop a node, ``find(a)`` its first
    improving move (None: none), ``apply(a, move)`` it and queue the nodes it returns;
    a sweep that moved nothing ends the search. Returns the tour and whether it moved."""
    n = T.n
    queue, queued = deque(T.t), [True] * n
    improved = sweep_moved = False
    while n > min_nodes and not expired(deadline):
        if not queue:
            if not sweep_moved:
                break
            queue, queued, sweep_moved = deque(T.t), [True] * n, False  # as in 2-opt
        a = queue.popleft()
        queued[a] = False
        move = find(a)
        if move is None:
            continue
        improved = sweep_moved = True
        for v in apply(a, move):
            if not queued[v]:
                queue.append(v)
                queued[v] = True
    return T.array(), improved


def _first_insertion(d, T, a, near_out, near_in, tol, lengths, symmetric):
    """The first improving move of a segment that starts at ``a``, or None."""
    t, pos, n = T.t, T.pos, T.n
    i = pos[a]
    p = t[i - 1]
    d_p = d[p]
    seg = [a]
    last = a
    for length in lengths:
        if length > 1:
            last = t[(i + length - 1) % n]
            seg.append(last)
        q = t[(i + length) % n]
        if q == p:
            break
        gain = d_p[a] + d[last][q] - d_p[q]  # what cutting the segment saves
        if gain <= tol:
            continue
        # forward, c -> a ... last -> succ(c): a short (c, a) or a short (last, succ c)
        # reversed, c -> last ... a -> succ(c): a short (c, last) or a short (a, succ c)
        sources = [(near_in[a], a, False, False), (near_out[last], last, True, False)]
        if symmetric:
            sources += [(near_in[last], last, False, True), (near_out[a], a, True, True)]
        for nodes, end, from_successor, reverse in sources:
            d_end = d[end]
            for v in nodes:
                if (d_end[v] if from_successor else d[v][end]) >= gain:
                    break  # sorted lists: the rest are longer still
                c = t[pos[v] - 1] if from_successor else v
                if c == p or c in seg:
                    continue
                k = pos[c] + 1
                cn = t[0 if k == n else k]
                if cn in seg:
                    continue
                d_c = d[c]
                if reverse:
                    cost = d_c[last] + d[a][cn] - d_c[cn]
                else:
                    cost = d_c[a] + d[last][cn] - d_c[cn]
                if cost - gain < -tol:
                    return a, last, c, reverse, (p, q, c, cn, a, last)
    return None


def segment_exchange_neighbours(
    d: list, tour: np.ndarray, neighbours: list, tol: float, deadline: float | None
) -> tuple[np.ndarray, bool]:
    """The orientation-preserving 3-opt move (or-3opt, "segment exchange") on neighbour
    lists with don't-look bits, first improvement, until no move of the neighbourhood
    improves or the deadline.

    ``a -> a1 ... b -> b1 ... c -> c1`` becomes ``a -> b1 ... c -> a1 ... b -> c1``:
    two consecutive paths of any length trade places and keep their direction, the
    only pure 3-opt reconnection an asymmetric cost allows (or-opt is the case of a
    path of at most 3 nodes). As in Lin & Kernighan's sequential search, ``b1`` is one
    of ``a``'s nearest successors with ``d[a][b1] < d[a][a1]`` and ``c1`` one of
    ``b``'s with a positive partial gain; ``neighbours`` rows are in increasing
    ``d[i][j]``.
    """
    T = _Tour(tour)

    def apply(a, move):
        b1, c1, touched = move
        T.exchange(a, b1, c1)
        return touched

    return _dont_look_search(
        T, lambda a: _first_exchange(d, T, a, neighbours, tol), apply, deadline, min_nodes=3
    )


def _first_exchange(d, T, a, near_out, tol):
    """The first improving segment exchange that replaces ``a``'s outgoing edge."""
    n, pos, t = T.n, T.pos, T.t
    pa = pos[a]
    a1 = T.succ(a)
    d_a = d[a]
    kept = d_a[a1]
    for b1 in near_out[a]:
        g1 = kept - d_a[b1]
        if g1 <= tol:
            break  # sorted: no farther b1 gains on the first edge
        rb1 = (pos[b1] - pa) % n
        if rb1 < 2:  # b1 is a or a1: no path to move
            continue
        b = t[pos[b1] - 1]
        g1 += d[b][b1]
        d_b = d[b]
        for c1 in near_out[b]:
            g2 = g1 - d_b[c1]
            if g2 <= tol:
                break
            rc1 = (pos[c1] - pa) % n or n
            if rc1 <= rb1:  # c1 must lie after b1 (a itself closes the tour)
                continue
            c = t[pos[c1] - 1]
            if g2 + d[c][c1] - d[c][a1] > tol:
                return b1, c1, (a, a1, b, b1, c, c1)
    return None


def _in_turn(tour: np.ndarray, passes: list, deadline: float | None) -> np.ndarray:
    """Run the searches ``passes`` (``tour -> (tour, moved)``, each to its own local
    optimum) in turn until every other pass has found nothing since the last that
    moved: the tour is then a local optimum of them all."""
    t, _ = passes[0](tour)
    idle, k = 0, 1  # passes in a row without a move
    while idle < len(passes) - 1 and not expired(deadline):
        t, moved = passes[k % len(passes)](t)
        idle = 0 if moved else idle + 1
        k += 1
    return t


def or_opt_segment_exchange_neighbours(
    d: list,
    tour: np.ndarray,
    neighbours: list,
    tol: float,
    deadline: float | None,
    *,
    in_neighbours: list | None = None,
) -> np.ndarray:
    """Or-opt and the segment exchange on neighbour lists in turn until neither
    improves (asymmetric problems)."""

    def or_opt(t):
        return or_opt_neighbours(
            d, t, neighbours, tol, deadline, symmetric=False, in_neighbours=in_neighbours
        )

    def exchange(t):
        return segment_exchange_neighbours(d, t, neighbours, tol, deadline)

    return _in_turn(tour, [or_opt, exchange], deadline)


def two_opt_or_opt_neighbours(
    d: list, tour: np.ndarray, neighbours: list, tol: float, deadline: float | None
) -> np.ndarray:
    """2-opt and or-opt on neighbour lists in turn until neither improves."""
    return _in_turn(tour, _symmetric_passes(d, neighbours, tol, deadline)[:2], deadline)


def two_opt_or_opt_exchange_neighbours(
    d: list, tour: np.ndarray, neighbours: list, tol: float, deadline: float | None
) -> np.ndarray:
    """2-opt, or-opt and the segment exchange on neighbour lists in turn until none
    improves (symmetric ``d``): the tour ends a local optimum of all three."""
    return _in_turn(tour, _symmetric_passes(d, neighbours, tol, deadline), deadline)


def _symmetric_passes(d, neighbours, tol, deadline) -> list:
    """2-opt, or-opt (segments also reversed) and the segment exchange, as passes."""
    return [
        lambda t: two_opt_neighbours(d, t, neighbours, tol, deadline),
        lambda t: or_opt_neighbours(d, t, neighbours, tol, deadline, symmetric=True),
        lambda t: segment_exchange_neighbours(d, t, neighbours, tol, deadline),
    ]
