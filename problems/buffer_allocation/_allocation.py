"""CE over slot assignments (:func:`optimize`), the allocations' bookkeeping and the
result (:class:`AllocationResult`)."""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

import cemopt as ce
from cemopt.validation import as_rng, check_int, check_real

from ._flowline import FlowLine, _check_line, throughput


def all_allocations(total_buffer: int, n_buffers: int) -> np.ndarray:
    """Every way to put ``total_buffer`` slots into ``n_buffers`` buffers.

    There are ``C(total_buffer + n_buffers - 1, n_buffers - 1)`` of them (stars and
    bars), returned in lexicographic order as an int64 array of shape (count, n_buffers).

    >>> all_allocations(2, 3)
    array([[0, 0, 2],
           [0, 1, 1],
           [0, 2, 0],
           [1, 0, 1],
           [1, 1, 0],
           [2, 0, 0]])
    """
    total_buffer = check_int(total_buffer, "total_buffer", minimum=0)
    n_buffers = check_int(n_buffers, "n_buffers", minimum=1)
    # bar positions among total + n - 1 places; the gaps between bars are the buffers
    places = total_buffer + n_buffers - 1
    bars = list(itertools.combinations(range(places), n_buffers - 1))
    bars = np.array(bars, dtype=np.int64).reshape(len(bars), n_buffers - 1)
    edges = np.hstack([np.full((len(bars), 1), -1), bars, np.full((len(bars), 1), places)])
    return np.diff(edges, axis=1) - 1


def slots_to_allocations(slots: Any, n_buffers: int) -> np.ndarray:
    """Count the slots sent to each buffer: (N, n) buffer indices -> (N, n_buffers).

    >>> slots_to_allocations([[0, 2, 2, 1], [1, 1, 1, 1]], 3)
    array([[1, 1, 2],
           [0, 4, 0]])
    """
    X = np.asarray(slots)
    n_buffers = check_int(n_buffers, "n_buffers", minimum=1)
    if X.ndim != 2 or X.dtype.kind not in "iu" or np.any(X < 0) or np.any(X >= n_buffers):
        raise ValueError(
            f"`slots` must be a 2-d integer array of buffer indices in [0, {n_buffers}), "
            f"but got slots with shape {X.shape} and dtype {X.dtype}."
        )
    N = X.shape[0]
    flat = (X + (np.arange(N) * n_buffers)[:, None]).ravel()
    return np.bincount(flat, minlength=N * n_buffers).reshape(N, n_buffers)


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class AllocationResult(ce.OptimizeResult):
    """:class:`cemopt.OptimizeResult` of :func:`optimize`, with the final re-evaluation.

    ``x`` is the chosen allocation and ``fun`` its throughput from the final,
    longer simulation (not the noisy value that got it into the elite).

    >>> [f.name for f in dataclasses.fields(AllocationResult)][-7:]
    ['std_error', 'candidates', 'candidate_means', 'candidate_std_errors', \
'best_seen', 'best_seen_x', 'simulated_parts']

    Attributes
    ----------
    std_error : float
        Standard error of ``fun`` (batch means of the final run).
    candidates : ndarray (K, m - 1)
        The allocations re-evaluated at the end, ``x`` among them.
    candidate_means, candidate_std_errors : ndarray (K,)
        Their throughputs in the final run, all with the same random numbers.
    best_seen : float
        The largest single estimate seen during the CE iterations: biased upwards
        (the maximum of noisy estimates), kept to show the size of that bias.
    best_seen_x : ndarray (m - 1,)
        The allocation that scored ``best_seen``: plain CE's answer, before the final
        re-evaluation.
    simulated_parts : int
        Parts simulated in all, warm-up and final re-evaluation included (one part
        through the whole line, for one allocation, counts 1): the simulation budget.
    """

    std_error: float = math.nan
    candidates: Any = None
    candidate_means: Any = None
    candidate_std_errors: Any = None
    best_seen: float = math.nan
    best_seen_x: Any = None
    simulated_parts: int = 0


class _Objective:
    """Scores a batch of slot assignments by simulation, with common random numbers.

    Each call (one CE iteration) draws one seed from the simulation generator, so the
    whole batch shares its random numbers while successive iterations get fresh ones.
    Distinct allocations are simulated once per batch; every estimate is kept, so the
    allocations seen in several iterations can be averaged at the end.
    """

    def __init__(self, line, n_buffers, n_parts, warmup, rng) -> None:
        self.line, self.n_buffers = line, n_buffers
        self.n_parts, self.warmup, self.rng = n_parts, warmup, rng
        self.seen: list[np.ndarray] = []
        self.values: list[np.ndarray] = []
        self.parts = 0
        self.last: tuple[np.ndarray, np.ndarray] | None = None

    def __call__(self, X: np.ndarray) -> np.ndarray:
        allocations = slots_to_allocations(X, self.n_buffers)
        unique, inverse = np.unique(allocations, axis=0, return_inverse=True)
        means, _ = throughput(
            self.line, unique, n_parts=self.n_parts, warmup=self.warmup, rng=self.rng
        )
        self.parts += unique.shape[0] * (self.n_parts + self.warmup)
        self.seen.append(unique)
        self.values.append(means)
        self.last = (unique, means)
        return means[inverse.ravel()]

    def averages(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every allocation seen, its mean estimate over the iterations, and their count."""
        seen, values = np.concatenate(self.seen), np.concatenate(self.values)
        unique, inverse = np.unique(seen, axis=0, return_inverse=True)
        inverse = inverse.ravel()
        counts = np.bincount(inverse)
        return unique, np.bincount(inverse, weights=values) / counts, counts


def _sort_slots(X: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Write each allocation with its slots in buffer order (the same allocation).

    The slots are interchangeable, so an allocation has many slot vectors. In the
    sorted one, slot ``j`` goes to the buffer that holds the ``j``-th slot counted
    from the start of the line, and the categorical of slot ``j`` then learns one
    buffer index: the CE fit concentrates instead of averaging over relabellings.
    """
    return np.sort(X, axis=1), values


def optimize(
    line: FlowLine,
    total_buffer: int,
    *,
    n_samples: int | None = None,
    elite_frac: float = 0.1,
    smoothing: float = 0.7,
    max_iter: int = 30,
    n_parts: int = 1000,
    warmup: int | None = None,
    final_candidates: int = 10,
    final_n_parts: int | None = None,
    sort_slots: bool = True,
    rng: Any = None,
    callback: Callable[[ce.OptimizeResult], Any] | None = None,
    **options: Any,
) -> AllocationResult:
    """Allocate ``total_buffer`` slots to the buffers of ``line`` for the most throughput.

    CE over slot assignments (Alon, Kroese, Raviv & Rubinstein 2005): slot ``j`` goes
    to buffer ``X_j ~ Categorical(p_j)``, so every sample uses exactly
    ``total_buffer`` slots; the ``p_j`` are refitted to the elite.

    >>> line = FlowLine([1.0, 1.0, 1.0])
    >>> res = optimize(line, 4, n_parts=500, max_iter=5, rng=1)
    >>> res.x.tolist()                       # a balanced line wants balanced buffers
    [2, 2]

    Noise is handled in three ways, each aimed at one failure of CE on noisy scores:

    1. *Common random numbers within an iteration.* The whole batch is simulated
       with the same random numbers, so the elite is chosen by differences between
       allocations, which then carry far less noise than the estimates themselves
       (the benchmark measures the variance ratio).
    2. *Fresh random numbers in every iteration.* The family is refitted on new
       sample paths each time, so it cannot lock onto the quirks of one; an
       allocation sampled in several iterations gets several independent estimates,
       which are averaged.
    3. *Re-evaluating the finalists.* The best single estimate seen is biased upwards
       (it is a maximum of noisy numbers; ``res.best_seen`` keeps it), so the answer
       is chosen afresh among ``final_candidates`` allocations (the final family's
       mode, the last elite, the best averages) by one longer simulation with common
       random numbers, ``final_n_parts`` parts each. ``res.fun`` is that estimate,
       ``res.std_error`` its standard error.

    Parameters
    ----------
    line : FlowLine
    total_buffer : int
        Slots to allocate, >= 1.
    n_samples : int, optional
        Allocations per iteration. Default ``max(100, 20 * (m - 1))``.
    elite_frac, smoothing : float
        As in :func:`cemopt.maximize`.
    max_iter : int, default 30
        Iterations at most (CE also stops earlier when the family degenerates or
        the level stalls, see ``patience`` in :func:`cemopt.maximize`).
    n_parts, warmup : int
        Simulation length of each evaluation during CE (see :func:`throughput`).
    final_candidates : int, default 10
        Allocations re-evaluated at the end.
    final_n_parts : int, optional
        Parts per allocation in the final re-evaluation; default ``20 * n_parts``.
    sort_slots : bool, default True
        Refit the categoricals on each elite allocation written with its slots in
        buffer order (see the notes); False refits them on the slots as sampled.
    rng : None, int or numpy.random.Generator
        One generator for the CE samples and the simulations (split once).
    callback : callable, optional
        As in :func:`cemopt.maximize`; its ``x`` is a slot vector (use
        :func:`slots_to_allocations`).
    **options
        Passed to :func:`cemopt.maximize` (``patience``, ``max_evals``, ...).

    Returns
    -------
    AllocationResult
        An :class:`cemopt.OptimizeResult` whose ``x`` is the allocation (int64,
        shape (m - 1,), summing to ``total_buffer``) and ``fun`` its re-evaluated
        throughput; ``x_mode`` is the final family's mode allocation; extra fields
        as in :class:`AllocationResult`.

    Notes
    -----
    The slots are interchangeable, so an allocation is written by many slot vectors.
    With ``sort_slots`` each scored batch is rewritten (through the ``improve`` hook
    of :func:`cemopt.maximize`) with the slots of each allocation in buffer order:
    slot ``j`` then means "the ``j``-th slot from the start of the line", its
    categorical converges to one buffer, and the family can represent one
    allocation exactly. Without it, each slot's categorical tends to the elite's
    average share of each buffer, which samples a multinomial spread around the
    elite and concentrates only by random drift (the benchmark compares the two).
    """
    line = _check_line(line)
    total_buffer = check_int(total_buffer, "total_buffer", minimum=1)
    n_buffers = line.n_machines - 1
    n_parts = check_int(n_parts, "n_parts", minimum=20)
    warmup = n_parts // 10 if warmup is None else check_int(warmup, "warmup", minimum=0)
    final_candidates = check_int(final_candidates, "final_candidates", minimum=1)
    final_n_parts = check_int(
        20 * n_parts if final_n_parts is None else final_n_parts, "final_n_parts", minimum=20
    )
    if n_samples is None:
        n_samples = max(100, 20 * n_buffers)
    check_real(elite_frac, "elite_frac", low=0.0, high=1.0, low_open=True, high_open=True)
    if not isinstance(sort_slots, (bool, np.bool_)):
        raise TypeError(f"`sort_slots` must be True or False, but got sort_slots={sort_slots!r}.")
    for name in ("vectorized", "improve", "maximize"):
        if name in options:
            raise TypeError(f"optimize() sets `{name}` itself; it cannot be passed.")
    generator = as_rng(rng)
    sample_rng, sim_rng = _split(generator)

    objective = _Objective(line, n_buffers, n_parts, warmup, sim_rng)
    family = ce.Categorical(np.full((total_buffer, n_buffers), 1.0 / n_buffers))
    res = ce.maximize(
        objective,
        family,
        n_samples=n_samples,
        elite_frac=elite_frac,
        smoothing=smoothing,
        max_iter=max_iter,
        vectorized=True,
        improve=_sort_slots if sort_slots else None,
        rng=sample_rng,
        callback=callback,
        **options,
    )

    # the finalists: the family's mode, the last batch's best, then the best averages
    mode = slots_to_allocations(res.family.mode()[None, :], n_buffers)
    last, last_values = objective.last
    n_elite = max(1, math.ceil(elite_frac * last.shape[0]))
    last_best = last[np.argsort(-last_values, kind="stable")[:n_elite]]
    seen, averages, _ = objective.averages()
    by_average = seen[np.argsort(-averages, kind="stable")]
    pool = np.concatenate([mode, last_best[: max(1, final_candidates // 2)], by_average])
    _, first = np.unique(pool, axis=0, return_index=True)
    candidates = pool[np.sort(first)][:final_candidates]
    final_warmup = final_n_parts // 10
    means, errors = throughput(
        line, candidates, n_parts=final_n_parts, warmup=final_warmup, rng=sim_rng
    )
    best = int(np.argmax(means))
    parts = objective.parts + candidates.shape[0] * (final_n_parts + final_warmup)
    fields = {f.name: getattr(res, f.name) for f in dataclasses.fields(ce.OptimizeResult)}
    fields.update(x=candidates[best], fun=float(means[best]), x_mode=mode[0])
    return AllocationResult(
        **fields,
        std_error=float(errors[best]),
        candidates=candidates,
        candidate_means=means,
        candidate_std_errors=errors,
        best_seen=float(res.fun),
        best_seen_x=slots_to_allocations(res.x[None, :], n_buffers)[0],
        simulated_parts=int(parts),
    )


def _split(generator: np.random.Generator) -> tuple[np.random.Generator, np.random.Generator]:
    """Two independent generators from one: CE's samples and the simulations."""
    seeds = np.random.SeedSequence(int(generator.integers(2**63))).spawn(2)
    return np.random.default_rng(seeds[0]), np.random.default_rng(seeds[1])
