"""The problem (:class:`BufferAllocation`), CE over slot assignments (:func:`solve`),
the allocations' bookkeeping and the result (:class:`AllocationResult`)."""

from __future__ import annotations

import copy
import dataclasses
import itertools
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import cemopt as ce
from cemopt.result import STATUS_MESSAGES
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


@dataclasses.dataclass(frozen=True, eq=False)
class BufferAllocation:
    """The problem: where should ``total_buffer`` slots go between the machines of
    ``line`` for the most throughput?

    Parameters
    ----------
    line : FlowLine
        The line: ``m`` machines, so ``m - 1`` buffers.
    total_buffer : int
        Slots to allocate, >= 1.

    Attributes
    ----------
    line, total_buffer
    n_buffers : int
        ``m - 1``.

    Examples
    --------
    >>> problem = BufferAllocation(FlowLine([1.0, 1.0, 1.0]), total_buffer=4)
    >>> problem.n_buffers, len(problem.allocations())   # (0, 4), (1, 3), ..., (4, 0)
    (2, 5)
    """

    line: FlowLine
    total_buffer: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "line", _check_line(self.line))
        total = check_int(self.total_buffer, "total_buffer", minimum=1)
        object.__setattr__(self, "total_buffer", total)

    @property
    def n_buffers(self) -> int:
        return self.line.n_machines - 1

    def allocations(self) -> np.ndarray:
        """Every allocation of the slots (:func:`all_allocations`), for enumeration.

        >>> BufferAllocation(FlowLine([1.0, 1.0]), 3).allocations().ravel().tolist()
        [3]
        """
        return all_allocations(self.total_buffer, self.n_buffers)


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class AllocationResult(ce.OptimizeResult):
    """:class:`cemopt.OptimizeResult` of :func:`solve`, with the final re-evaluation.

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

    Each batch (one CE iteration) gets one draw of the simulation generator, so the
    whole batch shares its random numbers while successive iterations get fresh ones;
    the engine may score a batch in several blocks of rows, and every block of one
    batch starts from the same generator state. :meth:`end_batch` (the engine's
    ``improve`` hook, called once per scored batch) closes the batch. Distinct
    allocations are simulated once per block; every estimate is kept, so the
    allocations seen in several iterations can be averaged at the end.
    """

    def __init__(self, line, n_buffers, n_parts, warmup, rng, sort_slots) -> None:
        self.line, self.n_buffers = line, n_buffers
        self.n_parts, self.warmup, self.rng = n_parts, warmup, rng
        self.sort_slots = sort_slots
        self.seen: list[np.ndarray] = []
        self.values: list[np.ndarray] = []
        self.parts = 0
        self.batch_rng: np.random.Generator | None = None  # the state the batch starts from
        self.last: list[tuple[np.ndarray, np.ndarray]] = []  # the blocks of the last batch

    def __call__(self, X: np.ndarray) -> np.ndarray:
        if self.batch_rng is None:  # the first block of a batch
            self.batch_rng = copy.deepcopy(self.rng)
            self.last = []
            rng = self.rng  # advances the generator once for the batch
        else:
            rng = copy.deepcopy(self.batch_rng)
        allocations = slots_to_allocations(X, self.n_buffers)
        unique, inverse = np.unique(allocations, axis=0, return_inverse=True)
        means, _ = throughput(self.line, unique, n_parts=self.n_parts, warmup=self.warmup, rng=rng)
        self.parts += unique.shape[0] * (self.n_parts + self.warmup)
        self.seen.append(unique)
        self.values.append(means)
        self.last.append((unique, means))
        return means[inverse.ravel()]

    def end_batch(self, X: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The ``improve`` hook: close the batch, and with ``sort_slots`` write each
        allocation with its slots in buffer order (the same allocation).

        The slots are interchangeable, so an allocation has many slot vectors. In the
        sorted one, slot ``j`` goes to the buffer that holds the ``j``-th slot counted
        from the start of the line, and the categorical of slot ``j`` then learns one
        buffer index: the CE fit concentrates instead of averaging over relabellings.
        """
        self.batch_rng = None
        return (np.sort(X, axis=1) if self.sort_slots else X), values

    def last_batch(self) -> tuple[np.ndarray, np.ndarray]:
        """The distinct allocations of the last batch and their estimates."""
        unique = np.concatenate([u for u, _ in self.last])
        means = np.concatenate([m for _, m in self.last])
        unique, first = np.unique(unique, axis=0, return_index=True)
        return unique, means[first]

    def averages(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every allocation seen, its mean estimate over the iterations, and their count."""
        seen, values = np.concatenate(self.seen), np.concatenate(self.values)
        unique, inverse = np.unique(seen, axis=0, return_inverse=True)
        inverse = inverse.ravel()
        counts = np.bincount(inverse)
        return unique, np.bincount(inverse, weights=values) / counts, counts


class _Clock:
    """The callback that keeps ``time_limit`` for the run as a whole: it ends the CE
    iterations while the time left still covers one more iteration as long as the
    last, and the final re-evaluation (``final_seconds``, timed beforehand on a short
    pilot run). The user's callback is asked first."""

    def __init__(self, deadline: float, final_seconds: float, callback: Any) -> None:
        self.deadline, self.final_seconds, self.callback = deadline, final_seconds, callback
        self.previous = time.perf_counter()
        self.out_of_time = False

    def __call__(self, intermediate: ce.OptimizeResult) -> bool:
        now = time.perf_counter()
        iteration, self.previous = now - self.previous, now
        if self.callback is not None and _stops(self.callback, intermediate):
            return True
        self.out_of_time = self.final_seconds + iteration >= self.deadline - now
        return self.out_of_time


def _final_run_seconds(line: FlowLine, n_candidates: int, total_buffer: int, n_parts: int):
    """Seconds per part of the final re-evaluation (``n_candidates`` allocations at
    once), from a pilot of ``n_parts`` parts on its own random numbers: the simulation
    steps through the parts one block at a time, so the cost grows linearly with
    them, but not with the number of allocations (simulated side by side), which is
    why the CE iterations' speed would misjudge it."""
    n_buffers = line.n_machines - 1
    balanced = np.full(n_buffers, total_buffer // n_buffers)
    balanced[: total_buffer % n_buffers] += 1
    start = time.perf_counter()
    throughput(line, np.tile(balanced, (n_candidates, 1)), n_parts=n_parts, warmup=0, rng=0)
    return (time.perf_counter() - start) / n_parts


def _stops(callback: Callable, intermediate: ce.OptimizeResult) -> bool:
    try:
        return callback(intermediate) is True
    except StopIteration:
        return True


def solve(
    problem: BufferAllocation,
    *,
    rng: Any = None,
    max_evals: int | None = None,
    time_limit: float | None = None,
    callback: Callable[[ce.OptimizeResult], Any] | None = None,
    progress: bool = False,
    n_samples: int | None = None,
    elite_frac: float = 0.1,
    smoothing: float = 0.7,
    max_iter: int = 30,
    n_parts: int = 1000,
    warmup: int | None = None,
    final_candidates: int = 10,
    final_n_parts: int | None = None,
    sort_slots: bool = True,
    **options: Any,
) -> AllocationResult:
    """Allocate the slots of a :class:`BufferAllocation` problem for the most throughput.

    CE over slot assignments (Alon, Kroese, Raviv & Rubinstein 2005): slot ``j`` goes
    to buffer ``X_j ~ Categorical(p_j)``, so every sample uses exactly
    ``total_buffer`` slots; the ``p_j`` are refitted to the elite.

    >>> problem = BufferAllocation(FlowLine([1.0, 1.0, 1.0]), total_buffer=4)
    >>> res = solve(problem, n_parts=500, max_iter=5, rng=1)
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
    problem : BufferAllocation
    rng : None, int or numpy.random.Generator
        One generator for the CE samples and the simulations (split once).
    max_evals : int, optional
        Allocations sampled during the CE iterations, at most.
    time_limit : float, optional
        Seconds for the whole run, the final re-evaluation included: the CE
        iterations stop (status ``"time_limit"``) once the time left would not cover
        another iteration and the final re-evaluation at the speed the simulations
        have run so far, and when even that is short, the final re-evaluation is cut
        to fit (to no fewer than ``n_parts`` parts; ``res.std_error`` shows the
        price). With a time limit, CE restarts after converging while time is left
        (as :func:`cemopt.maximize` does; ``restarts=0`` turns that off). The final
        re-evaluation is about two thirds of a default run (measured: 0.7 of 0.9 s
        on a 4-machine line, 1.5 of 2.1 s on 10 machines).
    callback : callable, optional
        As in :func:`cemopt.maximize`; its ``x`` is a slot vector (use
        :func:`slots_to_allocations`).
    progress : bool, default False
        A one-line progress bar on stderr.
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
    **options
        Passed to :func:`cemopt.maximize` (``patience``, ``target``, ...).

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
    if not isinstance(problem, BufferAllocation):
        raise TypeError(
            "`problem` must be a BufferAllocation (BufferAllocation(line, total_buffer)), "
            f"but got {type(problem).__name__}."
        )
    line, total_buffer, n_buffers = problem.line, problem.total_buffer, problem.n_buffers
    n_parts = check_int(n_parts, "n_parts", minimum=20)
    warmup = n_parts // 10 if warmup is None else check_int(warmup, "warmup", minimum=0)
    final_candidates = check_int(final_candidates, "final_candidates", minimum=1)
    final_n_parts = check_int(
        20 * n_parts if final_n_parts is None else final_n_parts, "final_n_parts", minimum=20
    )
    if n_samples is None:
        n_samples = max(100, 20 * n_buffers)
    check_real(elite_frac, "elite_frac", low=0.0, high=1.0, low_open=True, high_open=True)
    time_limit = check_real(time_limit, "time_limit", low=0, low_open=True, allow_none=True)
    if not isinstance(sort_slots, (bool, np.bool_)):
        raise TypeError(f"`sort_slots` must be True or False, but got sort_slots={sort_slots!r}.")
    if callback is not None and not callable(callback):
        raise TypeError(f"`callback` must be callable or None, but got callback={callback!r}.")
    for name in ("vectorized", "improve", "maximize"):
        if name in options:
            raise TypeError(f"solve() sets `{name}` itself; it cannot be passed.")
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    generator = as_rng(rng)
    sample_rng, sim_rng = _split(generator)

    objective = _Objective(line, n_buffers, n_parts, warmup, sim_rng, bool(sort_slots))
    final_warmup = final_n_parts // 10
    if deadline is not None:
        pilot = max(20, min(n_parts, final_n_parts // 20))
        per_part = _final_run_seconds(line, final_candidates, total_buffer, pilot)
        clock = _Clock(deadline, per_part * (final_n_parts + final_warmup), callback)
    family = ce.Categorical(np.full((total_buffer, n_buffers), 1.0 / n_buffers))
    res = ce.maximize(
        objective,
        family,
        n_samples=n_samples,
        elite_frac=elite_frac,
        smoothing=smoothing,
        max_iter=max_iter,
        max_evals=max_evals,
        time_limit=time_limit,
        vectorized=True,
        improve=objective.end_batch,
        rng=sample_rng,
        callback=clock if deadline is not None else callback,
        progress=progress,
        **options,
    )
    if deadline is not None and clock.out_of_time and res.status == "callback":
        # the clock stopped the iterations: a time limit, not the user's callback
        success, message = STATUS_MESSAGES["time_limit"]
        res = dataclasses.replace(res, status="time_limit", success=success, message=message)

    # the finalists: the family's mode, the last batch's best, then the best averages
    mode = slots_to_allocations(res.family.mode()[None, :], n_buffers)
    pool = [mode]
    if objective.seen:  # none when the time was up before the first batch was scored
        last, last_values = objective.last_batch()
        n_elite = max(1, math.ceil(elite_frac * last.shape[0]))
        last_best = last[np.argsort(-last_values, kind="stable")[:n_elite]]
        seen, averages, _ = objective.averages()
        by_average = seen[np.argsort(-averages, kind="stable")]
        pool += [last_best[: max(1, final_candidates // 2)], by_average]
    pool = np.concatenate(pool)
    _, first = np.unique(pool, axis=0, return_index=True)
    candidates = pool[np.sort(first)][:final_candidates]
    if deadline is not None:  # cut the final run to the time left, when that is short
        fits = (deadline - time.perf_counter()) / (1.1 * per_part) if per_part > 0 else math.inf
        final_n_parts = max(n_parts, min(final_n_parts, int(min(fits, final_n_parts))))
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
        best_seen_x=None if res.x is None else slots_to_allocations(res.x[None, :], n_buffers)[0],
        simulated_parts=int(parts),
    )


def _split(generator: np.random.Generator) -> tuple[np.random.Generator, np.random.Generator]:
    """Two independent generators from one: CE's samples and the simulations."""
    seeds = np.random.SeedSequence(int(generator.integers(2**63))).spawn(2)
    return np.random.default_rng(seeds[0]), np.random.default_rng(seeds[1])
