"""Closed tours drawn on candidate lists: the CE tour family at O(n k) per tour."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import (
    _short,
    as_float_array,
    as_rng,
    check_alpha,
    check_int,
    check_param_keys,
    check_same_kind,
    check_weights,
    readonly,
)
from ..errors import DegenerateFitError
from ._information import N_SAMPLES, check_base, check_comparable, in_base, monte_carlo
from .permutation import check_tours, matrix_text

__all__ = ["SparsePermutation", "nearest_candidates"]

_SUM_TOL = 1e-9


def nearest_candidates(distance: Any, k: int) -> np.ndarray:
    """For each node ``i``, the ``k`` other nodes ``j`` of smallest ``distance[i, j]``.

    >>> D = np.array([[0, 1, 5, 2], [1, 0, 3, 9], [5, 3, 0, 4], [2, 9, 4, 0]])
    >>> nearest_candidates(D, 2)
    array([[1, 3],
           [0, 2],
           [1, 3],
           [0, 2]])

    Parameters
    ----------
    distance : array_like, shape (n, n)
        Costs of going from ``i`` to ``j`` (asymmetric allowed: the out-neighbours).
    k : int
        Candidates per node, ``1 <= k <= n - 1``.

    Returns
    -------
    ndarray, shape (n, k), int64
        Row ``i`` in increasing ``distance[i, j]``, ties to the lower index.
    """
    D = as_float_array(distance, "distance", ndim=2)
    n = D.shape[0]
    if D.shape != (n, n) or n < 3:
        raise ValueError(
            f"`distance` must be a square matrix of at least 3 nodes, but got shape {D.shape}."
        )
    k = check_int(k, "k", minimum=1)
    if k > n - 1:
        raise ValueError(f"`k` must be at most n - 1 = {n - 1}, but got k={k}.")
    if np.isnan(D).any():
        raise ValueError(f"`distance` must not contain NaN, but got distance={_short(D)}.")
    D = np.array(D, dtype=float)
    np.fill_diagonal(D, np.inf)  # a node is never its own candidate
    # stable sort: equal distances keep the lower index first
    return np.argsort(D, axis=1, kind="stable")[:, :k].astype(np.int64)


@dataclass(frozen=True, eq=False, repr=False)
class SparsePermutation:
    """Random closed tours whose transitions live on candidate lists.

    >>> import cemopt as ce
    >>> cand = [[1, 2], [2, 3], [3, 0], [0, 1]]
    >>> f = ce.SparsePermutation(cand)            # uniform over all other nodes
    >>> f.sample(2, rng=0)
    array([[0, 2, 3, 1],
           [0, 1, 2, 3]])
    >>> g = f.fit([[0, 1, 2, 3], [0, 1, 3, 2]])
    >>> g.P                                       # columns: the two candidates, escape
    array([[1. , 0. , 0. ],
           [0.5, 0.5, 0. ],
           [0.5, 0.5, 0. ],
           [0.5, 0. , 0.5]])

    Parameters
    ----------
    candidates : array_like of int, shape (n, k)
        Row ``i``: ``k`` distinct nodes other than ``i``, the successors ``i`` may
        prefer (for the TSP the ``k`` nearest, :func:`nearest_candidates`).
        ``1 <= k <= n - 1``, ``n >= 3``.
    P : array_like, shape (n, k + 1), optional
        ``P[i, s]``: probability of going from ``i`` to ``candidates[i, s]``;
        ``P[i, k]``: the *escape* mass, spread evenly over the ``n - 1 - k`` other
        nodes. Non-negative rows summing to 1 (to 1e-9); with ``k = n - 1`` the last
        column must be 0. Default: uniform over all ``n - 1`` other nodes, the tour
        distribution of the uniform :class:`Permutation`.
    start : int, default 0
        The node every tour begins and ends at.

    Attributes
    ----------
    candidates : ndarray, shape (n, k), read-only int64
    P : ndarray, shape (n, k + 1), read-only float64
    dim : int
        ``n``.
    params : dict
        ``{"P": (n, k + 1)}`` read-only.

    Notes
    -----
    The family is the dense :class:`Permutation` whose transition matrix is ``P`` on
    the candidate edges and ``P[i, k] / (n - 1 - k)`` on every other edge, with the
    same sampler: node by node, each step draws from the row of the current node
    restricted to the unvisited nodes and renormalised, and a row with no mass left
    there draws uniformly among them. What changes is the cost. A step looks at the
    ``k`` candidates only: their unvisited share plus the escape mass times the
    fraction of the other nodes still unvisited is the normaliser, and an escape
    draws a uniform unvisited node by rejection of candidates. So sampling, ``logpdf``
    and the fit cost ``O(n k)`` per tour and the parameters ``O(n k)`` memory, where
    the dense family costs ``O(n^2)`` for each; ``logpdf`` is exact for this sampler
    (tests compare it with the dense family's on the same distribution).

    ``fit`` is the CE update restricted to the candidate lists: ``P[i, s]`` is the
    weighted fraction of the tours that go from ``i`` to ``candidates[i, s]``, and
    ``P[i, k]`` the fraction that leave ``i`` for any other node (closing edge
    included). Like the dense update, this is the maximum-likelihood estimate of a free
    Markov chain, not of the renormalising sampler: ``fit_recovers_params = False``.
    """

    candidates: Any
    P: Any = None
    start: int = 0

    fit_recovers_params = False

    def __post_init__(self) -> None:
        cand = np.asarray(self.candidates)
        if cand.ndim != 2 or cand.shape[0] < 3 or cand.shape[1] < 1:
            raise ValueError(
                "`candidates` must be an (n, k) array with n >= 3 and k >= 1, but got "
                f"shape {cand.shape}."
            )
        if cand.dtype.kind not in "iu":
            raise TypeError(
                f"`candidates` must be an array of integers, but got dtype {cand.dtype}."
            )
        n, k = cand.shape
        if k > n - 1:
            raise ValueError(f"`candidates` must have at most n - 1 = {n - 1} columns, got {k}.")
        cand = cand.astype(np.int64)
        bad = np.flatnonzero(((cand < 0) | (cand >= n)).any(axis=1))
        if bad.size == 0:
            own = cand == np.arange(n)[:, None]
            bad = np.flatnonzero(own.any(axis=1))
        if bad.size == 0:
            ordered = np.sort(cand, axis=1)
            bad = np.flatnonzero((ordered[:, 1:] == ordered[:, :-1]).any(axis=1))
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"`candidates` rows must hold distinct nodes in 0..{n - 1} other than the "
                f"row's own, but got candidates[{i}]={cand[i].tolist()}."
            )
        start = check_int(self.start, "start", minimum=0)
        if start >= n:
            raise ValueError(f"`0 <= start < n` must hold, but got start={start} with n={n}.")
        if self.P is None:
            P = np.full((n, k + 1), 1.0 / (n - 1))
            P[:, k] = (n - 1 - k) / (n - 1)
        else:
            P = np.array(as_float_array(self.P, "P", ndim=2), dtype=np.float64)
            if P.shape != (n, k + 1):
                raise ValueError(
                    f"`P` must have shape (n, k + 1) = ({n}, {k + 1}), but got P with "
                    f"shape {P.shape}."
                )
            _check_rows(P, k == n - 1)
        set_ = object.__setattr__
        set_(self, "candidates", readonly(cand))
        set_(self, "P", readonly(P))
        set_(self, "start", start)
        # candidate edges as sorted keys i * n + j, with their column: the fit's lookup
        keys = (np.arange(n)[:, None] * n + cand).ravel()
        order = np.argsort(keys)
        set_(self, "_keys", readonly(keys[order]))
        set_(self, "_slots", readonly(np.tile(np.arange(k), n)[order]))

    # ------------------------------------------------------------------ basics
    @property
    def n(self) -> int:
        """Number of nodes."""
        return self.candidates.shape[0]

    @property
    def k(self) -> int:
        """Candidates per node."""
        return self.candidates.shape[1]

    @property
    def dim(self) -> int:
        return self.n

    @property
    def params(self) -> dict[str, np.ndarray]:
        """``{"P": ...}`` (read-only)."""
        return {"P": self.P}

    def with_params(self, params: dict[str, Any]) -> SparsePermutation:
        """The same candidates and start with this ``P``."""
        check_param_keys(params, ("P",), "SparsePermutation")
        return SparsePermutation(self.candidates, params["P"], self.start)

    def __repr__(self) -> str:
        text = matrix_text(self.P)
        return f"SparsePermutation(n={self.n}, k={self.k}, start={self.start}, P={text})"

    def dense(self) -> np.ndarray:
        """The equivalent dense transition matrix, shape ``(n, n)`` (for checks and
        small ``n``: it costs ``n^2``).

        >>> SparsePermutation([[1], [2], [0]], [[0.5, 0.5], [1.0, 0.0], [1.0, 0.0]]).dense()
        array([[0. , 0.5, 0.5],
               [0. , 0. , 1. ],
               [1. , 0. , 0. ]])
        """
        n, k = self.n, self.k
        full = np.zeros((n, n))
        if k < n - 1:
            full += (self.P[:, k] / (n - 1 - k))[:, None]
            np.fill_diagonal(full, 0.0)
        rows = np.repeat(np.arange(n), k)
        full[rows, self.candidates.ravel()] = self.P[:, :k].ravel()
        return full

    # ------------------------------------------------------------------ sampling
    def sample(self, n: int, rng: Any = None) -> np.ndarray:
        """Draw ``n`` tours, shape ``(n, self.n)`` int64, each beginning at ``start``."""
        N = check_int(n, "n", minimum=0)
        gen = as_rng(rng)
        size, k = self.n, self.k
        tours = np.empty((N, size), dtype=np.int64)
        tours[:, 0] = self.start
        if N == 0:
            return tours
        walk = _Walk(self, N)
        cur = tours[:, 0]
        walk.visit(cur)
        for step in range(1, size - 1):
            weights, total = walk.step_masses(cur)
            empty = total <= 0.0
            u = gen.random(N) * np.where(empty, 1.0, total)
            cum = np.cumsum(weights, axis=1)
            on_candidate = (u < cum[:, -1]) & ~empty
            # the first slot whose cumulative mass exceeds u (a zero-mass slot never is)
            slot = np.minimum(np.count_nonzero(cum <= u[:, None], axis=1), k - 1)
            nxt = self.candidates[cur, slot]
            # escapes (and rows with no mass left, drawn uniformly) come from the
            # unvisited nodes, by rejection of candidates for an escape
            others = np.flatnonzero(~on_candidate)
            if others.size:
                nxt[others] = walk.draw_other(cur[others], others, empty[others], gen)
            tours[:, step] = nxt
            walk.visit(nxt)
            cur = nxt
        tours[:, -1] = size * (size - 1) // 2 - tours[:, :-1].sum(axis=1)
        return tours

    def logpdf(self, tours: Any) -> np.ndarray:
        """Log probability of each tour under the sampler, shape ``(N,)`` (``-inf`` for
        a tour it cannot produce)."""
        x = check_tours(tours, self.n, self.start)
        N, size = x.shape
        out = np.zeros(N)
        if N == 0:
            return out
        k, rows = self.k, np.arange(N)
        walk = _Walk(self, N)
        walk.visit(x[:, 0])
        with np.errstate(divide="ignore"):
            for step in range(1, size - 1):  # the last step has probability 1
                cur, nxt = x[:, step - 1], x[:, step]
                weights, total = walk.step_masses(cur)
                is_cand = self.candidates[cur] == nxt[:, None]
                hit = is_cand.any(axis=1)
                slot = np.argmax(is_cand, axis=1)
                per_other = self.P[cur, k] / max(size - 1 - k, 1)
                mass = np.where(hit, weights[rows, slot], per_other)
                empty = total <= 0.0
                step_log = np.log(mass) - np.log(np.where(empty, 1.0, total))
                step_log[empty] = -np.log(size - step)
                out += step_log
                walk.visit(nxt)
        return out

    # ------------------------------------------------------------------ CE update
    def fit(self, tours: Any, weights: Any = None) -> SparsePermutation:
        """Weighted frequencies of the candidate edges and of the escapes (closing edge
        included): the CE update on the candidate lists.

        Raises
        ------
        DegenerateFitError
            Zero total weight.
        ValueError
            Rows that are not permutations beginning at ``start``.
        """
        x = check_tours(tours, self.n, self.start)
        w = check_weights(weights, x.shape[0], "SparsePermutation")
        n, k = self.n, self.k
        w = np.ones(x.shape[0]) if w is None else w
        total = float(w.sum())
        if not total > 0:
            raise DegenerateFitError("SparsePermutation.fit: zero total weight.")
        src = x.ravel()
        keys = src * n + np.roll(x, -1, axis=1).ravel()
        at = np.minimum(np.searchsorted(self._keys, keys), self._keys.size - 1)
        slot = np.where(self._keys[at] == keys, self._slots[at], k)  # k: an escape
        counts = np.bincount(
            src * (k + 1) + slot, weights=np.repeat(w, n), minlength=n * (k + 1)
        ).reshape(n, k + 1)
        # every tour leaves each node exactly once: each row sums to the total weight
        return SparsePermutation(self.candidates, counts / total, self.start)

    def blend(
        self, previous: SparsePermutation, alpha: float, *, scale_alpha: float | None = None
    ) -> SparsePermutation:
        """``alpha * P + (1 - alpha) * previous.P`` on the same candidates;
        ``scale_alpha`` is accepted and ignored (no scale parameter)."""
        check_same_kind(self, previous)
        self._check_same_lists(previous, "previous")
        alpha = check_alpha(alpha)
        if scale_alpha is not None:
            check_alpha(scale_alpha, "scale_alpha")
        P = alpha * self.P + (1.0 - alpha) * previous.P
        return SparsePermutation(self.candidates, P, self.start)

    def _check_same_lists(self, other: SparsePermutation, name: str) -> None:
        if other.start != self.start or not np.array_equal(other.candidates, self.candidates):
            raise ValueError(
                f"`{name}` must have the same candidates and start as self, but they differ "
                f"(start {other.start} against {self.start})."
            )

    def mode(self) -> np.ndarray:
        """The most likely tour, greedily: from ``start``, repeatedly the unvisited
        successor of largest probability (a candidate, or when the escape mass per node
        is larger or no candidate is left, the lowest unvisited other node)."""
        n, k = self.n, self.k
        per_other = self.P[:, k] / max(n - 1 - k, 1)
        tour = np.empty(n, dtype=np.int64)
        tour[0] = cur = self.start
        visited = np.zeros(n, dtype=bool)
        visited[cur] = True
        for step in range(1, n):
            cand = self.candidates[cur]
            p = np.where(visited[cand], -1.0, self.P[cur, :k])
            best = int(np.argmax(p))
            if p[best] >= 0 and (p[best] >= per_other[cur] or k == n - 1):
                cur = int(cand[best])
            else:
                free = np.flatnonzero(~visited)
                outside = free[~np.isin(free, cand)]
                cur = int(outside[0] if outside.size else free[0])
            tour[step] = cur
            visited[cur] = True
        return tour

    def degeneracy(self) -> float:
        """``max_i (1 - max_j P_ij)`` of the equivalent dense matrix: 0 when every row
        is deterministic."""
        n, k = self.n, self.k
        per_other = self.P[:, k] / max(n - 1 - k, 1) if k < n - 1 else np.zeros(n)
        return float(np.max(1.0 - np.maximum(self.P[:, :k].max(axis=1), per_other)))

    # ---------------------------------------------------------- information measures
    closed_form_information = False

    def entropy(
        self, *, base: float | None = None, n_samples: int = N_SAMPLES, rng: Any = None
    ) -> Any:
        """Monte Carlo estimate of the tour distribution's entropy (an
        :class:`~cemopt.Estimate`, with ``std_error``) from ``n_samples`` tours."""
        check_base(base)
        return in_base(monte_carlo(self, None, n_samples=n_samples, rng=rng)[0], base)

    def kl_divergence(
        self,
        other: SparsePermutation,
        *,
        base: float | None = None,
        n_samples: int = N_SAMPLES,
        rng: Any = None,
    ) -> Any:
        """Monte Carlo estimate of ``KL(self || other)`` (same candidates and start)."""
        return self._estimate_against(other, "kl_divergence", 2, base, n_samples, rng)

    def cross_entropy(
        self,
        other: SparsePermutation,
        *,
        base: float | None = None,
        n_samples: int = N_SAMPLES,
        rng: Any = None,
    ) -> Any:
        """Monte Carlo estimate of ``H(self, other)`` (same candidates and start)."""
        return self._estimate_against(other, "cross_entropy", 1, base, n_samples, rng)

    def _estimate_against(
        self, other: Any, method: str, which: int, base: Any, n_samples: int, rng: Any
    ) -> Any:
        """``monte_carlo(self, other)[which]`` once ``other`` is checked comparable."""
        check_comparable(self, other, method)
        self._check_same_lists(other, "other")
        check_base(base)
        return in_base(monte_carlo(self, other, n_samples=n_samples, rng=rng)[which], base)


class _Walk:
    """The state of ``N`` tours being walked: visited nodes, and the unvisited ones in
    an array with positions, so that a uniform unvisited node costs O(1)."""

    def __init__(self, family: SparsePermutation, N: int) -> None:
        self.f, self.N, n = family, N, family.n
        self.visited = np.zeros((N, n), dtype=bool)
        self.free = np.tile(np.arange(n), (N, 1))  # unvisited nodes in free[:, :left]
        self.where = np.tile(np.arange(n), (N, 1))  # position of each node in free
        self.left = n
        self.rows = np.arange(N)

    def visit(self, nodes: np.ndarray) -> None:
        rows, last = self.rows, self.left - 1
        self.visited[rows, nodes] = True
        # swap each visited node with the last unvisited one, then shorten by one
        pos = self.where[rows, nodes]
        moved = self.free[rows, last]
        self.free[rows, pos] = moved
        self.where[rows, moved] = pos
        self.free[rows, last] = nodes
        self.where[rows, nodes] = last
        self.left = last

    def step_masses(self, cur: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per tour: the candidates' masses (0 where visited) and the normaliser, their
        sum plus the escape mass of the other nodes still unvisited."""
        f = self.f
        n, k = f.n, f.k
        free = ~self.visited[self.rows[:, None], f.candidates[cur]]
        weights = f.P[cur, :k] * free
        total = weights.sum(axis=1)
        if k < n - 1:
            others_left = self.left - np.count_nonzero(free, axis=1)
            total += f.P[cur, k] * others_left / (n - 1 - k)
        return weights, total

    def draw_other(
        self, cur: np.ndarray, rows: np.ndarray, uniform: np.ndarray, gen: np.random.Generator
    ) -> np.ndarray:
        """A uniform unvisited node for each of ``rows``: any (``uniform``) or a
        non-candidate of ``cur`` (an escape), by rejection."""
        out = np.empty(rows.size, dtype=np.int64)
        todo = np.arange(rows.size)
        while todo.size:
            pick = self.free[rows[todo], (gen.random(todo.size) * self.left).astype(np.int64)]
            bad = ~uniform[todo] & (self.f.candidates[cur[todo]] == pick[:, None]).any(axis=1)
            out[todo[~bad]] = pick[~bad]
            todo = todo[bad]
        return out


def _check_rows(P: np.ndarray, complete: bool) -> None:
    if not np.all(np.isfinite(P)) or np.any(P < 0):
        raise ValueError(f"`P` must be finite and non-negative, but got P={_short(P)}.")
    sums = P.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > _SUM_TOL)
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"`P` rows must sum to 1, but row {i} sums to {sums[i]!r}.")
    if complete and np.any(P[:, -1] > 0):
        raise ValueError(
            "`P[:, k]` (the escape mass) must be 0 when every other node is a candidate "
            "(k = n - 1)."
        )
