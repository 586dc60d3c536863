"""Closed tours over ``n`` nodes: the transition-matrix family of the CE method for the TSP."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import (
    _short,
    as_float_array,
    as_rng,
    check_alpha,
    check_batch,
    check_int,
    check_param_keys,
    check_same_kind,
    check_weights,
    readonly,
)

__all__ = ["Permutation"]

_SUM_TOL = 1e-9


@dataclass(frozen=True, eq=False, repr=False)
class Permutation:
    """Random closed tours over ``n`` nodes drawn node by node from a transition matrix ``P``.

    >>> import cemopt as ce
    >>> f = ce.Permutation(4)  # uniform: every node goes to each other node w.p. 1/3
    >>> f.sample(2, rng=0)
    array([[0, 2, 1, 3],
           [0, 1, 2, 3]])
    >>> f.fit([[0, 1, 2, 3], [0, 1, 3, 2]]).P
    array([[0. , 1. , 0. , 0. ],
           [0. , 0. , 0.5, 0.5],
           [0.5, 0. , 0. , 0.5],
           [0.5, 0. , 0.5, 0. ]])

    Parameters
    ----------
    n : int
        Number of nodes, at least 3.
    P : array_like, shape (n, n), optional
        Transition matrix: non-negative, zero diagonal, each row summing to 1 (to a
        tolerance of 1e-9). Default: uniform over the other ``n - 1`` nodes.
    start : int, default 0
        The node every tour begins (and ends) at.

    Attributes
    ----------
    P : ndarray, shape (n, n)
        The transition matrix (read-only float64).
    dim : int
        ``n``.
    params : dict
        ``{"P": (n, n)}`` read-only.

    Notes
    -----
    A sample is an ``int64`` array of shape ``(N, n)``: each row a permutation of
    ``0, ..., n - 1`` beginning with ``start``, read as the closed tour
    ``start -> x[1] -> ... -> x[n - 1] -> start`` (de Boer et al. 2005, section on the
    TSP; Rubinstein & Kroese 2004, ch. 4).

    Sampling is sequential, for the whole batch at once: at each position, every
    tour takes the row ``P[current]``, zeroes the nodes it has visited, renormalises
    and draws the next node by inverse CDF from one ``rng.random(N)`` (positions
    ``1, ..., n - 2``; the last node is the only one left). The inverse CDF is
    two-level: sums over blocks of about ``sqrt(n)`` nodes pick a block, then
    cumulative sums inside that block pick the node, so only a plain sum (several
    times cheaper than a cumulative sum) passes over the whole row. Inverse CDF is used
    rather than the Gumbel-max trick on ``log P``, which needs ``n`` random numbers per
    tour and position instead of one and measured about 3x slower at ``n = 100`` and
    ``n = 300`` (``benchmarks/permutation_sampler.py``). A node with zero remaining
    probability is
    never drawn. If a row has no mass left on the unvisited nodes, the next node is
    drawn uniformly among them, so every sample is a valid tour.

    ``logpdf`` is the log probability of a tour under exactly this sampler: the sum
    over steps of ``log(P[cur, nxt] / sum(P[cur, unvisited]))``, with
    ``-log(#unvisited)`` for a step whose row has no mass left, and ``-inf`` for a tour
    that uses a zero-probability step.

    ``fit`` is the CE update of the tutorial: ``P_ij`` = weighted fraction of the tours
    going from ``i`` to ``j``, counting the closing edge ``x[n - 1] -> start``. This is
    the maximum-likelihood estimate of an unconstrained Markov chain, not the exact
    maximum-likelihood estimate under the renormalising sampler above, so a fit on
    samples of ``P`` does not in general converge to ``P`` (it does for a uniform or a
    deterministic ``P``).

    Examples
    --------
    >>> g = ce.Permutation(4, [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0]])
    >>> g.mode(), g.degeneracy()
    (array([0, 1, 2, 3]), 0.0)
    >>> np.exp(f.logpdf([[0, 3, 1, 2]])).round(12)  # 1/3 * 1/2 * 1
    array([0.16666667])
    """

    n: int
    P: Any = None
    start: int = 0

    # check_family: the CE update counts edges as if tours were paths of a free Markov
    # chain, but the sampler renormalises each row over the unvisited nodes, so the
    # edge frequencies of P's own tours differ from P; fit is consistent for its own
    # target (the edge frequencies), not for P.
    fit_recovers_params = False

    def __post_init__(self) -> None:
        n = check_int(self.n, "n", minimum=3)
        start = check_int(self.start, "start", minimum=0)
        if start >= n:
            raise ValueError(f"`0 <= start < n` must hold, but got start={start} with n={n}.")
        if self.P is None:
            P = np.full((n, n), 1.0 / (n - 1))
            np.fill_diagonal(P, 0.0)
        else:
            P = np.array(as_float_array(self.P, "P", ndim=2), dtype=np.float64)
            if P.shape != (n, n):
                raise ValueError(
                    f"`P` must have shape (n, n) = ({n}, {n}), but got P with shape {P.shape}."
                )
            _check_rows(P)
        set_ = object.__setattr__
        set_(self, "n", n)
        set_(self, "start", start)
        set_(self, "P", readonly(P))
        # the sampler's two-level inverse CDF: P padded with zero columns to whole blocks
        block = max(2, math.isqrt(n - 1) + 1)
        n_blocks = -(-n // block)
        padded = np.zeros((block * n_blocks, n))  # transposed, zero rows appended
        padded[:n] = P.T
        set_(self, "_block", block)
        set_(self, "_n_blocks", n_blocks)
        set_(self, "_PT_padded", readonly(padded))

    @property
    def dim(self) -> int:
        """Number of nodes ``n``."""
        return self.n

    @property
    def params(self) -> dict[str, np.ndarray]:
        """``{"P": ...}`` (read-only)."""
        return {"P": self.P}

    def with_params(self, params: dict[str, Any]) -> Permutation:
        """A ``Permutation`` with this ``P`` and the same ``n`` and ``start``."""
        check_param_keys(params, ("P",), "Permutation")
        return Permutation(self.n, params["P"], self.start)

    def __repr__(self) -> str:
        text = np.array2string(
            self.P, separator=", ", threshold=8, edgeitems=2, precision=3, suppress_small=True
        )
        text = re.sub(r"\s+", " ", text.replace("\n", ""))
        return f"Permutation(n={self.n}, start={self.start}, P={text})"

    # ------------------------------------------------------------------ sampling
    def sample(self, n: int, rng: Any = None) -> np.ndarray:
        """Draw ``n`` tours, shape ``(n, self.n)`` int64, each beginning at ``start``.

        One pass over the positions for the whole batch (see Notes of the class); the
        same generator state gives the same tours.
        """
        N = check_int(n, "n", minimum=0)
        gen = as_rng(rng)
        size, b, nb = self.n, self._block, self._n_blocks
        tours = np.empty((N, size), dtype=np.int64)
        tours[:, 0] = self.start
        if N == 0:
            return tours
        # layout (node, tour): every reduction runs over an outer axis, vectorised
        # across the tours, which is fast for any n (a short last axis is not)
        cols = np.arange(N)
        keep = np.zeros((b * nb, N))  # 1.0 on the unvisited nodes, 0.0 elsewhere
        keep[:size] = 1.0
        keep[self.start] = 0.0
        W = np.empty_like(keep)
        blocks = W.reshape(nb, b, N)
        flat = W.reshape(-1)
        offsets = np.arange(b)[:, None] * N + cols
        cur = tours[:, 0]
        for k in range(1, size - 1):
            u = gen.random(N)
            np.take(self._PT_padded, cur, axis=1, out=W, mode="clip")  # W[j, t] = P[cur_t, j]
            W *= keep
            cum_blocks = np.cumsum(blocks.sum(axis=1), axis=0)
            empty = cum_blocks[-1] <= 0.0
            if empty.any():  # no mass left on the unvisited nodes: uniform among them
                W[:, empty] = keep[:, empty]
                cum_blocks[:, empty] = np.cumsum(blocks[:, :, empty].sum(axis=1), axis=0)
            threshold = u * cum_blocks[-1]
            blk = _first_above(cum_blocks, threshold)
            below = np.where(blk > 0, cum_blocks[blk - 1, cols], 0.0)
            inner = np.cumsum(flat[blk * (b * N) + offsets], axis=0)  # (b, N): that block
            cur = blk * b + _first_above(inner, np.maximum(threshold - below, 0.0))
            tours[:, k] = cur
            keep[cur, cols] = 0.0
        # the last node is the one left: sum(0..n-1) minus the visited ones
        tours[:, -1] = size * (size - 1) // 2 - tours[:, :-1].sum(axis=1)
        return tours

    def logpdf(self, tours: Any) -> np.ndarray:
        """Log probability of each tour under the sampler, shape ``(N,)``.

        Parameters
        ----------
        tours : array_like, shape (N, n)
            Rows that are permutations of ``0, ..., n - 1`` beginning at ``start``.

        Returns
        -------
        ndarray of float, shape (N,)
            ``-inf`` for a tour the sampler cannot produce.

        Raises
        ------
        ValueError
            The wrong shape, or a row that is not a permutation beginning at ``start``.
        """
        x = self._check_tours(tours)
        N, size = x.shape
        out = np.zeros(N)
        if N == 0:
            return out
        cols = np.arange(N)
        keep = np.ones((size, N))  # layout (node, tour) as in ``sample``
        keep[self.start] = 0.0
        W = np.empty_like(keep)
        PT = self._PT_padded[:size]
        with np.errstate(divide="ignore"):
            for k in range(1, size - 1):  # the last step has probability 1
                cur, nxt = x[:, k - 1], x[:, k]
                np.take(PT, cur, axis=1, out=W, mode="clip")
                W *= keep
                total = W.sum(axis=0)
                empty = total <= 0.0
                step = np.log(W[nxt, cols]) - np.log(np.where(empty, 1.0, total))
                step[empty] = -math.log(size - k)
                out += step
                keep[nxt, cols] = 0.0
        return out

    # ------------------------------------------------------------------ CE update
    def fit(self, tours: Any, weights: Any = None) -> Permutation:
        """Weighted edge frequencies of the tours, closing edge included: the CE update.

        Parameters
        ----------
        tours : array_like, shape (N, n)
            Rows that are permutations of ``0, ..., n - 1`` beginning at ``start``.
        weights : array_like, shape (N,), optional
            Non-negative, not necessarily normalised; ``None`` = equal weights.

        Returns
        -------
        Permutation
            Same ``n`` and ``start``; ``P_ij`` = weighted fraction of the tours that go
            from ``i`` to ``j``.

        Raises
        ------
        DegenerateFitError
            No tours, or zero total weight.
        ValueError
            The wrong shape, or a row that is not a permutation beginning at ``start``.
        """
        x = self._check_tours(tours)
        w = check_weights(weights, x.shape[0], "Permutation")
        n = self.n
        edges = (x * n + np.roll(x, -1, axis=1)).ravel()
        counts = np.bincount(
            edges, weights=None if w is None else np.repeat(w, n), minlength=n * n
        ).astype(float)
        counts = counts.reshape(n, n)
        # every tour leaves each node exactly once: each row sums to the total weight
        return Permutation(n, counts / counts.sum(axis=1, keepdims=True), self.start)

    def blend(
        self, previous: Permutation, alpha: float, *, scale_alpha: float | None = None
    ) -> Permutation:
        """``alpha * P + (1 - alpha) * previous.P``; ``scale_alpha`` is accepted and
        ignored (no scale parameter)."""
        check_same_kind(self, previous)
        if previous.start != self.start:
            raise ValueError(
                f"`previous` must have start {self.start} like self, but got previous "
                f"with start {previous.start}."
            )
        alpha = check_alpha(alpha)
        if scale_alpha is not None:
            check_alpha(scale_alpha, "scale_alpha")
        return Permutation(self.n, alpha * self.P + (1.0 - alpha) * previous.P, self.start)

    def mode(self) -> np.ndarray:
        """The most likely tour, greedily: from ``start``, repeatedly the unvisited node
        with the largest ``P`` entry (ties to the lowest index); shape ``(n,)`` int64.

        Exact for a deterministic ``P``; in general a greedy approximation of the tour
        of highest probability.
        """
        tour = np.empty(self.n, dtype=np.int64)
        tour[0] = cur = self.start
        visited = np.zeros(self.n, dtype=bool)
        visited[cur] = True
        for k in range(1, self.n):
            cur = int(np.argmax(np.where(visited, -1.0, self.P[cur])))
            tour[k] = cur
            visited[cur] = True
        return tour

    def degeneracy(self) -> float:
        """``max_i (1 - max_j P_ij)``: 0 when every row is deterministic."""
        return float(np.max(1.0 - self.P.max(axis=1)))

    # ------------------------------------------------------------------ helpers
    def _check_tours(self, tours: Any, name: str = "tours") -> np.ndarray:
        x = check_batch(tours, (self.n,), name, dtype=None)
        if x.dtype.kind not in "iuf":
            raise TypeError(f"`{name}` must be an array of integers, but got dtype {x.dtype}.")
        if x.dtype.kind == "f":
            if not np.all(np.isfinite(x) & (x == np.round(x))):
                raise ValueError(f"`{name}` must contain integers, but got {name}={_short(x)}.")
        x = x.astype(np.int64, copy=False)
        N, n = x.shape
        in_range = np.all((x >= 0) & (x < n), axis=1)
        seen = np.zeros((N, n), dtype=bool)
        rows = np.flatnonzero(in_range)
        seen[rows[:, None], x[rows]] = True
        bad = np.flatnonzero(~(in_range & seen.all(axis=1)))
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"`{name}` rows must be permutations of 0..{n - 1}, but got "
                f"{name}[{i}]={_short(x[i])}."
            )
        bad = np.flatnonzero(x[:, 0] != self.start)
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"`{name}` rows must begin at start={self.start}, but got "
                f"{name}[{i}]={_short(x[i])}."
            )
        return x


def _check_rows(P: np.ndarray) -> None:
    """Raise ValueError naming the first row of ``P`` that is not a distribution."""
    for rule, bad in (
        ("be non-negative", np.any(P < 0, axis=1)),
        ("have a zero diagonal", np.diagonal(P) != 0),
        ("sum to 1", np.abs(P.sum(axis=1) - 1.0) > _SUM_TOL),
    ):
        rows = np.flatnonzero(bad)
        if rows.size:
            i = int(rows[0])
            raise ValueError(
                f"`P` rows must {rule}, but got P[{i}]={_short(P[i])}"
                + (f" summing to {float(P[i].sum())!r}." if rule == "sum to 1" else ".")
            )


def _first_above(cum: np.ndarray, threshold: np.ndarray) -> np.ndarray:
    """Per column ``t``, the first index ``j`` with ``cum[j, t] > threshold[t]`` (inverse
    CDF on cumulative sums down the columns).

    Capped at the first index reaching the column's total, so that rounding (a
    threshold equal to the total) can only select an entry with positive mass.
    """
    first = np.count_nonzero(cum <= threshold, axis=0)
    last = np.count_nonzero(cum < cum[-1], axis=0)
    return np.minimum(first, last)
