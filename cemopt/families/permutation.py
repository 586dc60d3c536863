"""Closed tours over ``n`` nodes: the transition-matrix family of the CE method for the TSP."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import entr, rel_entr, xlogy

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
from ._information import (
    N_SAMPLES,
    NoClosedForm,
    check_base,
    check_comparable,
    in_base,
    monte_carlo,
)

__all__ = ["Permutation"]

_SUM_TOL = 1e-9
# Information measures: exact (dynamic programme over 2^(n-1) n states) by default up to
# this n, where it costs about a fit; on request up to _MAX_EXACT_N.
_AUTO_EXACT_N = 12
_MAX_EXACT_N = 16
# ... and the optimiser records it every iteration up to this n (closed_form_information)
_CHEAP_EXACT_N = 8


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
        return f"Permutation(n={self.n}, start={self.start}, P={matrix_text(self.P)})"

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

    # ---------------------------------------------------------- information measures
    @property
    def closed_form_information(self) -> bool:
        """True for ``n <= 8``, where the exact dynamic programme costs no more than an
        iteration's sampling; the optimiser records entropy and KL only then (NaN
        beyond, rather than a Monte Carlo batch per iteration)."""
        return self.n <= _CHEAP_EXACT_N

    def entropy(
        self,
        *,
        base: float | None = None,
        exact: bool | None = None,
        n_samples: int = N_SAMPLES,
        rng: Any = None,
    ) -> float:
        """Entropy of the tour distribution of the sampler, in nats (``base=2``: bits).

        Parameters
        ----------
        base : float, optional
            Logarithm base: None for nats, 2 for bits.
        exact : bool, optional
            True: the exact value by a dynamic programme over the sampler's states
            (set of visited nodes, current node), ``O(2^n n^2)`` work, for ``n <= 16``
            (:class:`~cemopt.families._information.NoClosedForm`, a ``ValueError``,
            beyond). False: a Monte Carlo estimate from ``n_samples`` tours and
            ``logpdf``. None (default): exact for ``n <= 12``, an estimate beyond.
        n_samples : int, default 10000
            Tours drawn for the estimate.
        rng : None, int or numpy.random.Generator
            Source of the draws (only the estimate uses it).

        Returns
        -------
        float or Estimate
            A plain float when exact; an :class:`~cemopt.Estimate` (with
            ``std_error``) otherwise. Divided by the ``n - 2`` random steps it is the
            entropy rate of the sampler's Markov chain.

        Examples
        --------
        >>> import math
        >>> f = Permutation(5)  # uniform: (n - 1)! = 24 equally likely tours
        >>> round(f.entropy(), 12) == round(math.log(24), 12)
        True
        """
        check_base(base)
        if self._use_exact(exact):
            cached = self.__dict__.get("_entropy_nats")
            value = _tour_information(self, None)[0] if cached is None else cached
            object.__setattr__(self, "_entropy_nats", value)  # a cache: self stays the same
            return in_base(value, base)
        return in_base(monte_carlo(self, None, n_samples=n_samples, rng=rng)[0], base)

    def kl_divergence(
        self,
        other: Permutation,
        *,
        base: float | None = None,
        exact: bool | None = None,
        n_samples: int = N_SAMPLES,
        rng: Any = None,
    ) -> float:
        """``KL(self || other)`` between the tour distributions; arguments as in
        :meth:`entropy` (exact by the chain rule over the same dynamic programme).

        ``other`` must have the same ``n`` and ``start``; ``+inf`` when ``other``
        cannot produce a tour ``self`` can.

        >>> f = Permutation(4)
        >>> g = Permutation(4, [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0]])
        >>> round(g.kl_divergence(f), 6), f.kl_divergence(g)  # ln 3! and +inf
        (1.791759, inf)
        """
        self._check_other(other, "kl_divergence")
        check_base(base)
        if self._use_exact(exact):
            entropy, _, kl = _tour_information(self, other)
            object.__setattr__(self, "_entropy_nats", entropy)  # cache, for entropy()
            return in_base(kl, base)
        return in_base(monte_carlo(self, other, n_samples=n_samples, rng=rng)[2], base)

    def cross_entropy(
        self,
        other: Permutation,
        *,
        base: float | None = None,
        exact: bool | None = None,
        n_samples: int = N_SAMPLES,
        rng: Any = None,
    ) -> float:
        """``H(self, other) = -E_self[ln other(X)]``; arguments as in :meth:`kl_divergence`.

        >>> f = Permutation(4)
        >>> round(f.cross_entropy(f), 6) == round(f.entropy(), 6)
        True
        """
        self._check_other(other, "cross_entropy")
        check_base(base)
        if self._use_exact(exact):
            return in_base(_tour_information(self, other)[1], base)
        return in_base(monte_carlo(self, other, n_samples=n_samples, rng=rng)[1], base)

    def _use_exact(self, exact: Any) -> bool:
        if exact is None:
            return self.n <= _AUTO_EXACT_N
        if not isinstance(exact, (bool, np.bool_)):
            raise TypeError(f"`exact` must be True, False or None, but got exact={exact!r}.")
        if exact and self.n > _MAX_EXACT_N:
            raise NoClosedForm(
                f"`exact=True` needs n <= {_MAX_EXACT_N} (the dynamic programme has 2^(n-1) "
                f"n states), but got n={self.n}; use exact=False for a Monte Carlo estimate."
            )
        return bool(exact)

    def _check_other(self, other: Any, method: str) -> None:
        check_comparable(self, other, method)
        if other.start != self.start:
            raise ValueError(
                f"`other` must have start {self.start} like self for {method}, but got "
                f"other with start {other.start}."
            )

    # ------------------------------------------------------------------ helpers
    def _check_tours(self, tours: Any, name: str = "tours") -> np.ndarray:
        return check_tours(tours, self.n, self.start, name)


def matrix_text(P: np.ndarray) -> str:
    """A transition matrix on one line for a ``repr``: corners only past 8 entries."""
    text = np.array2string(
        P, separator=", ", threshold=8, edgeitems=2, precision=3, suppress_small=True
    )
    return re.sub(r"\s+", " ", text.replace("\n", ""))


def check_tours(tours: Any, n_nodes: int, start: int, name: str = "tours") -> np.ndarray:
    """``tours`` as an int64 array whose rows are permutations of ``0..n-1`` beginning
    at ``start``, or the error that says which row is not."""
    x = check_batch(tours, (n_nodes,), name, dtype=None)
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
            f"`{name}` rows must be permutations of 0..{n - 1}, but got {name}[{i}]={_short(x[i])}."
        )
    bad = np.flatnonzero(x[:, 0] != start)
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"`{name}` rows must begin at start={start}, but got {name}[{i}]={_short(x[i])}."
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


def _step_distributions(P: np.ndarray, others: np.ndarray, unvisited: np.ndarray) -> np.ndarray:
    """The sampler's next-node distributions for states (visited set, current node):
    ``P[cur, j]`` over the unvisited ``j``, renormalised, or uniform among them when
    the row has no mass left there. Shape ``(masks, n, n - 1)``, columns ``others``."""
    W = P[:, others][None, :, :] * unvisited[:, None, :]
    total = W.sum(axis=2, keepdims=True)
    uniform = unvisited[:, None, :] / unvisited.sum(axis=1)[:, None, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0.0, W / total, uniform)


def _tour_information(p: Permutation, q: Permutation | None) -> tuple[float, float, float]:
    """Exact ``H(p)``, ``H(p, q)`` and ``KL(p || q)`` of the tour sampler (NaN for the
    last two without ``q``), by the chain rule over the sampler's states.

    A state is (set of visited nodes, current node); from it the sampler moves by the
    step distribution of :func:`_step_distributions`. Both samplers share the states,
    so each measure is the sum over states of (probability of reaching the state under
    ``p``) times that measure between the two step distributions. States are processed
    by the number of visited nodes (a layer), each layer in one vectorised pass.
    """
    n, start = p.n, p.start
    others = np.array([j for j in range(n) if j != start])
    m = n - 1
    masks_all = np.arange(1 << m)
    bits_all = (masks_all[:, None] >> np.arange(m)) & 1
    counts = bits_all.sum(axis=1)
    position = np.zeros(1 << m, dtype=np.int64)
    layers = []
    for k in range(m + 1):
        layer = np.flatnonzero(counts == k)
        position[layer] = np.arange(layer.size)
        layers.append(layer)
    prob = np.zeros((1, n))
    prob[0, start] = 1.0
    entropy = cross = kl = 0.0
    for k in range(m - 1):  # states with at least two unvisited nodes
        masks = layers[k]
        unvisited = 1.0 - bits_all[masks]
        step = _step_distributions(p.P, others, unvisited)
        reach = prob[:, :, None] > 0.0
        entropy += float(np.sum(prob * np.where(reach, entr(step), 0.0).sum(axis=2)))
        if q is not None:
            step_q = _step_distributions(q.P, others, unvisited)
            with np.errstate(divide="ignore", invalid="ignore"):
                ce_terms = np.where(reach, -xlogy(step, step_q), 0.0).sum(axis=2)
                kl_terms = np.where(reach, rel_entr(step, step_q), 0.0).sum(axis=2)
                cross += float(np.sum(np.where(prob > 0.0, prob * ce_terms, 0.0)))
                kl += float(np.sum(np.where(prob > 0.0, prob * kl_terms, 0.0)))
        # flow into the next layer: visit other node b from any current node
        flow = np.einsum("sc,scb->sb", prob, step)
        rows, cols = np.nonzero(unvisited)
        prob_next = np.zeros((layers[k + 1].size, n))
        np.add.at(prob_next, (position[masks[rows] | (1 << cols)], others[cols]), flow[rows, cols])
        prob = prob_next
    if q is None:
        return entropy, math.nan, math.nan
    return entropy, cross, kl
