r"""Flow lines: unreliable machines in series with finite buffers, simulated in batches.

A line of ``m`` machines in series has ``m - 1`` buffers; buffer ``k`` holds up to
``b_k`` parts between machine ``k`` and machine ``k + 1``. Machine 1 is never starved
(an endless supply of raw parts), machine ``m`` is never blocked (an endless store of
finished parts). Blocking is *after service*: a machine that finishes a part while the
buffer downstream is full holds the part, and stops, until a place frees up.

Failures are *operation-dependent*: a machine fails only while it works on a part,
and its time to failure is counted in operating time. A failure interrupts the part;
after the repair the work resumes where it stopped. So a part's time at machine ``i``
from start to completion, its *effective processing time*, is its processing time
plus the repairs of the failures that fell into it, and it does not depend on the
buffers at all. Given those times ``E[j, i]`` (part ``j``, machine ``i``), the
departure times of the line obey the tandem-queue recursion (blocking after service)

.. math::

   D_{i,j} = \max\bigl(\max(D_{i-1,j},\, D_{i,j-1}) + E_{i,j},\; D_{i+1,\,j-b_i-1}\bigr),

with :math:`D_{0,j} = 0` and no blocking term for the last machine: part ``j`` leaves
machine ``i`` once it is done and part ``j - b_i - 1`` has left machine ``i + 1`` (the
``b_i`` places of the buffer and machine ``i + 1`` itself then hold parts
``j - b_i .. j - 1`` at most). For one part, the terms that do not involve the
machine upstream, :math:`c_i = \max(D_{i,j-1} + E_{i,j},\, D_{i+1,j-b_i-1})`, are
computed for all machines at once, and then :math:`D_{i,j} = \max(D_{i-1,j} + E_{i,j},
c_i)` runs down the line. Every step works on a whole ``(replications, allocations)``
array, so the Python loop runs over parts and machines, never over allocations.

Common random numbers come for free: the effective times of part ``j`` are the same
for every allocation (they depend on the machine's own operating clock only), so one
draw of ``E`` drives the whole batch and differences between allocations are pure
signal. The simulator is checked against a continuous-time Markov chain
(:func:`exact_throughput`) and against an event-by-event simulation
(:func:`simulate_events`).
"""

from __future__ import annotations

import heapq
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from cemopt.validation import as_rng, check_int, check_real

__all__ = [
    "FlowLine",
    "TimeDistribution",
    "departure_times",
    "effective_times",
    "simulate_events",
    "throughput",
]

_CHUNK = 256  # parts whose random times are drawn together (memory vs numpy call overhead)
_RING_BYTES = 512 * 2**20  # refuse buffers so large that the departure-time ring exceeds this


class TimeDistribution:
    """A non-negative random duration: processing, time to failure or repair time.

    Build one with :meth:`exponential`, :meth:`deterministic`, :meth:`numpy` (any
    ``numpy.random.Generator`` method, e.g. ``"gamma"``, ``"lognormal"``,
    ``"weibull"``) or :meth:`custom` (your own sampler).

    >>> TimeDistribution.exponential(2.0)
    TimeDistribution.exponential(rate=2)
    >>> d = TimeDistribution.numpy("gamma", shape=4.0, scale=0.25)
    >>> d.sample(np.random.default_rng(0), 3).round(3)
    array([0.978, 1.259, 0.683])

    Attributes
    ----------
    kind : str
        ``"exponential"``, ``"deterministic"``, ``"numpy"`` or ``"custom"``.
    rate : float or None
        The rate of an exponential distribution (None for other kinds).
    mean : float or None
        The mean, when known (exponential, deterministic, or given as ``mean_time``).
    """

    def __init__(self, kind: str, sampler: Callable, *, rate=None, mean=None, label="") -> None:
        self.kind = kind
        self._sampler = sampler
        self.rate = rate
        self.mean = mean
        self._label = label

    @classmethod
    def exponential(cls, rate: float) -> TimeDistribution:
        """Exponential times with ``rate`` > 0 (mean ``1 / rate``).

        >>> TimeDistribution.exponential(0.5).mean
        2.0
        """
        rate = check_real(rate, "rate", low=0.0, low_open=True)
        return cls(
            "exponential",
            lambda rng, size: rng.exponential(1.0 / rate, size),
            rate=rate,
            mean=1.0 / rate,
            label=f"rate={rate:g}",
        )

    @classmethod
    def deterministic(cls, value: float) -> TimeDistribution:
        """Always ``value`` > 0.

        >>> TimeDistribution.deterministic(1.5).sample(None, 2)
        array([1.5, 1.5])
        """
        value = check_real(value, "value", low=0.0, low_open=True)
        return cls(
            "deterministic",
            lambda rng, size: np.full(size, value),
            mean=value,
            label=f"value={value:g}",
        )

    @classmethod
    def numpy(
        cls, method: str, *, mean_time: float | None = None, **params: Any
    ) -> TimeDistribution:
        """Times drawn by ``Generator.<method>(**params, size=...)``.

        The method and parameters are tried once here, so that a typo fails now and
        not in the middle of a simulation. Samples must be finite and >= 0; a
        negative sample raises ``ValueError`` when drawn (nothing is clipped).
        ``mean_time`` records the mean when you know it (it is only used by
        :meth:`FlowLine.isolated_rates`; ``mean`` would clash with numpy's own
        parameter of that name, as in ``lognormal``).

        >>> TimeDistribution.numpy("lognormal", mean=0.0, sigma=0.25, mean_time=1.0315)
        TimeDistribution.numpy('lognormal', mean=0.0, sigma=0.25)
        """
        draw = getattr(np.random.Generator, method, None) if isinstance(method, str) else None
        if draw is None or method.startswith("_") or not callable(draw):
            raise ValueError(
                "`method` must name a numpy.random.Generator method such as 'gamma' or "
                f"'lognormal', but got method={method!r}."
            )
        try:
            draw(np.random.default_rng(0), **params, size=2)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"`params` must be valid for Generator.{method}, but got {params!r}: {exc}"
            ) from exc
        mean_time = check_real(mean_time, "mean_time", low=0.0, low_open=True, allow_none=True)
        text = ", ".join(f"{k}={v!r}" for k, v in params.items())
        return cls(
            "numpy",
            lambda rng, size: getattr(rng, method)(**params, size=size),
            mean=mean_time,
            label=f"{method!r}" + (f", {text}" if text else ""),
        )

    @classmethod
    def custom(cls, sampler: Callable, *, mean_time: float | None = None) -> TimeDistribution:
        """Times from ``sampler(rng, size) -> ndarray`` (a Generator and a shape).

        >>> d = TimeDistribution.custom(lambda rng, size: 1.0 + rng.random(size))
        >>> d.sample(np.random.default_rng(0), 2).round(3)
        array([1.637, 1.27 ])
        """
        if not callable(sampler):
            raise TypeError(f"`sampler` must be callable, but got sampler={sampler!r}.")
        mean_time = check_real(mean_time, "mean_time", low=0.0, low_open=True, allow_none=True)
        label = getattr(sampler, "__name__", "sampler")
        return cls("custom", sampler, mean=mean_time, label=label)

    def sample(self, rng: Any, size: int | tuple[int, ...]) -> np.ndarray:
        """Draw times of the given shape; non-finite or negative samples raise."""
        out = np.asarray(self._sampler(as_rng(rng), size), dtype=float)
        if out.shape != np.empty(size).shape:
            raise ValueError(
                f"the sampler of {self!r} must return shape {np.empty(size).shape}, "
                f"but returned shape {out.shape}."
            )
        if not np.all(np.isfinite(out)) or np.any(out < 0):
            bad = out[~(np.isfinite(out) & (out >= 0))][:3]
            raise ValueError(
                f"times drawn from {self!r} must be finite and >= 0, but got {bad.tolist()}."
            )
        return out

    def __repr__(self) -> str:
        if self.kind == "numpy":
            return f"TimeDistribution.numpy({self._label})"
        return f"TimeDistribution.{self.kind}({self._label})"


def _as_distribution(value: Any, name: str, index: int) -> TimeDistribution:
    """A rate (exponential) or a TimeDistribution; the error names the entry."""
    if isinstance(value, TimeDistribution):
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"`{name}[{index}]` must be a positive rate or a TimeDistribution, "
            f"but got {name}[{index}]={value!r}."
        )
    if not (np.isfinite(value) and value > 0):
        raise ValueError(
            f"`{name}[{index}]` must be a finite rate > 0, but got {name}[{index}]={value!r}."
        )
    return TimeDistribution.exponential(float(value))


def _as_entries(values: Any, name: str, m: int | None) -> list:
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
        raise TypeError(
            f"`{name}` must be a sequence with one entry per machine, but got {name}={values!r}."
        )
    values = list(values)
    if m is not None and len(values) != m:
        raise ValueError(
            f"`{name}` must have one entry per machine ({m}), but got {len(values)} entries."
        )
    return values


class FlowLine:
    """A flow line of unreliable machines in series (blocking after service).

    >>> line = FlowLine([1.0, 1.2, 0.9], failure_rates=[0.01, 0.02, 0.0],
    ...                 repair_rates=[0.1, 0.1, 0.1])
    >>> line
    FlowLine(m=3, exponential, failures on 2 machines)
    >>> line.isolated_rates().round(4).tolist()
    [0.9091, 1.0, 0.9]

    Parameters
    ----------
    processing_rates : sequence, one entry per machine (at least 2)
        A rate > 0 gives exponential processing times with that rate; a
        :class:`TimeDistribution` gives any other law (deterministic, gamma, ...).
    failure_rates : sequence or None
        None: reliable machines. Otherwise one entry per machine: a rate > 0
        (exponential time to failure, counted in operating time), 0 (this machine
        never fails) or a :class:`TimeDistribution` of the operating time between
        failures.
    repair_rates : sequence or None
        Required exactly when ``failure_rates`` is given: a rate > 0 or a
        :class:`TimeDistribution` per machine (ignored where the machine never fails).

    Attributes
    ----------
    n_machines : int
    processing : tuple of TimeDistribution
    failure, repair : tuple of (TimeDistribution or None)
        None where the machine never fails.
    is_exponential : bool
        Every distribution is exponential (the Markov-chain model of
        :func:`exact_throughput` applies).
    """

    def __init__(
        self, processing_rates: Any, failure_rates: Any = None, repair_rates: Any = None
    ) -> None:
        entries = _as_entries(processing_rates, "processing_rates", None)
        if len(entries) < 2:
            raise ValueError(
                "`processing_rates` must have an entry for each of m >= 2 machines, "
                f"but got {len(entries)} entries."
            )
        m = len(entries)
        self.n_machines = m
        self.processing = tuple(
            _as_distribution(v, "processing_rates", i) for i, v in enumerate(entries)
        )
        if (failure_rates is None) != (repair_rates is None):
            given = "failure_rates" if repair_rates is None else "repair_rates"
            raise ValueError(
                f"`failure_rates` and `repair_rates` must be given together, but got only {given}."
            )
        failure: list[TimeDistribution | None] = [None] * m
        repair: list[TimeDistribution | None] = [None] * m
        if failure_rates is not None:
            fails = _as_entries(failure_rates, "failure_rates", m)
            repairs = _as_entries(repair_rates, "repair_rates", m)
            for i, (f, r) in enumerate(zip(fails, repairs, strict=True)):
                repair_i = _as_distribution(r, "repair_rates", i)
                if isinstance(f, numbers.Real) and not isinstance(f, bool) and f == 0:
                    continue  # a rate of 0: this machine never fails
                failure[i] = _as_distribution(f, "failure_rates", i)
                repair[i] = repair_i
        self.failure = tuple(failure)
        self.repair = tuple(repair)
        laws = [*self.processing, *(d for d in failure + repair if d is not None)]
        self.is_exponential = all(d.kind == "exponential" for d in laws)

    @classmethod
    def random(cls, n_machines: int, *, failures: bool = True, rng: Any = None) -> FlowLine:
        """An exponential line with random parameters, rounded to 3 decimals.

        Processing rates U(0.8, 1.2); with ``failures``, failure rates U(0.01, 0.05)
        and repair rates U(0.1, 0.5) (long repairs, so buffers matter). The
        benchmark's lines are ``FlowLine.random(m, rng=m)``.

        >>> FlowLine.random(6, rng=6)
        FlowLine(m=6, exponential, failures on 6 machines)
        """
        m = check_int(n_machines, "n_machines", minimum=2)
        g = as_rng(rng)
        rates = g.uniform(0.8, 1.2, m).round(3).tolist()
        if not failures:
            return cls(rates)
        fail = g.uniform(0.01, 0.05, m).round(3).tolist()
        repair = g.uniform(0.1, 0.5, m).round(3).tolist()
        return cls(rates, failure_rates=fail, repair_rates=repair)

    @property
    def has_failures(self) -> bool:
        """Whether any machine can fail."""
        return any(f is not None for f in self.failure)

    def isolated_rates(self) -> np.ndarray:
        """Each machine's production rate alone (never starved or blocked).

        ``1 / (E[processing] (1 + E[repair] / E[time to failure]))``: the long-run
        rate of a machine whose failures come at a rate per operating time. Raises
        ``ValueError`` when a mean is unknown (a custom law without ``mean``).
        """
        rates = []
        for i in range(self.n_machines):
            means = [self.processing[i].mean]
            if self.failure[i] is not None:
                means += [self.failure[i].mean, self.repair[i].mean]
            if any(x is None for x in means):
                raise ValueError(
                    f"the mean times of machine {i} are not all known; give `mean_time=` "
                    "to its TimeDistribution."
                )
            work = means[0] * (1.0 + (means[2] / means[1] if len(means) == 3 else 0.0))
            rates.append(1.0 / work)
        return np.array(rates)

    def __repr__(self) -> str:
        law = "exponential" if self.is_exponential else "general"
        n_fail = sum(f is not None for f in self.failure)
        fails = f", failures on {n_fail} machines" if n_fail else ""
        return f"FlowLine(m={self.n_machines}, {law}{fails})"


# --------------------------------------------------------------------------- checks
def _check_line(line: Any) -> FlowLine:
    if not isinstance(line, FlowLine):
        raise TypeError(f"`line` must be a FlowLine, but got line={line!r}.")
    return line


def _as_allocations(allocations: Any, m: int) -> tuple[np.ndarray, bool]:
    """Integer buffer sizes, shape (B, m - 1); also whether a single 1-d one was given."""
    try:
        a = np.asarray(allocations)
    except (TypeError, ValueError) as exc:  # ragged lists
        raise ValueError(
            f"`allocations` must be an array of shape (n, {m - 1}), but got {allocations!r}."
        ) from exc
    single = a.ndim == 1
    if single:
        a = a[None, :]
    if a.ndim != 2 or a.shape[1] != m - 1 or a.shape[0] == 0:
        raise ValueError(
            f"`allocations` must have shape (n, {m - 1}) (one size per buffer of a {m}-machine "
            f"line), but got allocations with shape {np.shape(allocations)}."
        )
    if a.dtype.kind == "f" and np.all(np.isfinite(a)) and np.all(a == np.round(a)):
        a = a.astype(np.int64)
    if a.dtype.kind not in "iu":
        raise TypeError(
            f"`allocations` must hold integer buffer sizes, but got dtype {a.dtype} "
            f"(allocations={np.array2string(a, threshold=8)})."
        )
    if np.any(a < 0):
        raise ValueError(
            "`allocations` must be >= 0 (buffer sizes), but got "
            f"allocations={np.array2string(a, threshold=8)}."
        )
    return a.astype(np.int64), single


def _seeds(rng: Any, n: int) -> list[np.random.Generator]:
    """``n`` independent generators from one draw of ``rng`` (so rng advances once)."""
    seed = int(as_rng(rng).integers(2**63))
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n)]


# ---------------------------------------------------------------- effective times
class _TimeStream:
    """Effective processing times, chunk by chunk: shape (chunk, m, R, k).

    One generator per machine and purpose (processing, failure, repair), so the
    numbers drawn for machine ``i`` never depend on the batch size when ``k == 1``
    (common random numbers), and the first chunks are the same however many follow.
    """

    def __init__(self, line: FlowLine, R: int, k: int, rng: Any) -> None:
        self.line, self.shape = line, (R, k)
        m = line.n_machines
        gens = _seeds(rng, 3 * m)
        self.proc, self.fail, self.rep = gens[:m], gens[m : 2 * m], gens[2 * m :]
        # operating time left until each machine's next failure (as good as new at t = 0)
        self.left = [
            None if f is None else f.sample(self.fail[i], self.shape)
            for i, f in enumerate(line.failure)
        ]

    def next(self, n: int) -> np.ndarray:
        line = self.line
        out = np.empty((n, line.n_machines, *self.shape))
        for i, law in enumerate(line.processing):
            s = law.sample(self.proc[i], (n, *self.shape))
            if line.failure[i] is not None:
                s = s + self._repairs(i, s)
            out[:, i] = s
        return out

    def _repairs(self, i: int, s: np.ndarray) -> np.ndarray:
        """Repair time inside each part: failures fall at the machine's operating clock."""
        work = np.cumsum(s, axis=0)  # operating time at the end of each part
        total = work[-1]
        nxt = self.left[i]  # next failure, in operating time from the chunk's start
        extra = np.zeros_like(s)
        while True:
            hit = nxt < total
            if not hit.any():
                break
            r, c = np.nonzero(hit)
            at = nxt[r, c]
            part = (work[:, r, c] <= at).sum(axis=0)  # the part being worked on then
            extra[part, r, c] += self.line.repair[i].sample(self.rep[i], r.size)
            nxt = nxt.copy()
            nxt[r, c] += self.line.failure[i].sample(self.fail[i], r.size)
        self.left[i] = nxt - total
        return extra


def effective_times(
    line: FlowLine, n_parts: int, *, replications: int = 1, rng: Any = None
) -> np.ndarray:
    """Effective processing times (processing plus repairs) of ``n_parts`` parts.

    Returns an array of shape ``(n_parts, m, replications)``: ``E[j, i, r]`` is the time
    part ``j`` spends at machine ``i`` from start to completion, blocking excluded. It
    is the same for every allocation; :func:`departure_times` turns it into a
    simulation of any batch of allocations.

    >>> line = FlowLine([1.0, 2.0])
    >>> effective_times(line, 3, rng=0).shape
    (3, 2, 1)
    """
    line = _check_line(line)
    n_parts = check_int(n_parts, "n_parts", minimum=1)
    replications = check_int(replications, "replications", minimum=1)
    stream = _TimeStream(line, replications, 1, rng)
    chunks = [stream.next(min(_CHUNK, n_parts - s)) for s in range(0, n_parts, _CHUNK)]
    return np.concatenate(chunks)[..., 0]


# ---------------------------------------------------------------- the recursion
class _Recursion:
    """The departure-time recursion for a batch, part by part.

    State: ``A = D[:, j - 1]`` of shape (m, R, B), and a ring of the last ``L`` parts'
    departure times, from which the blocking term ``D[i + 1, j - b_i - 1]`` is gathered.
    """

    def __init__(self, buffers: np.ndarray, m: int, R: int) -> None:
        B = buffers.shape[0]
        self.m, self.R, self.B = m, R, B
        self.L = L = int(buffers.max(initial=0)) + 2
        if L * m * R * B * 8 > _RING_BYTES:
            raise ValueError(
                f"`allocations` must have buffers small enough to simulate (largest "
                f"{L - 2} needs a {L * m * R * B * 8 / 2**20:.0f} MiB ring for {B} allocations "
                f"x {R} replications); use fewer allocations or smaller buffers."
            )
        self.A = np.zeros((m, R, B))
        self.ring = np.zeros((L, m, R, B))
        self.flat = self.ring.reshape(-1)
        self.j = 0
        size = m * R * B
        base = (np.arange(1, m)[:, None, None] * R + np.arange(R)[None, :, None]) * B
        base = base + np.arange(B)[None, None, :]  # (m-1, R, B): machine i + 1's slot
        self.offset = (buffers.T + 1)[:, None, :]  # (m-1, 1, B)
        self.base = base
        self.size = size
        # one gather index per residue j mod L, when it is small enough to precompute
        if L * size * 8 <= 64 * 2**20:
            self.table = np.stack([self._index(r) for r in range(L)])
        else:
            self.table = None

    def _index(self, j: int) -> np.ndarray:
        return ((j - self.offset) % self.L) * self.size + self.base

    def run(self, E: np.ndarray) -> np.ndarray:
        """Advance by ``len(E)`` parts; returns the last machine's departures (n, R, B)."""
        n = E.shape[0]
        out = np.empty((n, self.R, self.B))
        L, A, ring, flat, m = self.L, self.A, self.ring, self.flat, self.m
        tmp = np.empty(A.shape[1:])
        for t in range(n):
            j = self.j + t
            r = j % L
            Ej = E[t]
            c = A + Ej  # D[i, j-1] + E[i, j]
            idx = self.table[r] if self.table is not None else self._index(j)
            np.maximum(c[:-1], flat.take(idx), out=c[:-1])  # blocking by machine i + 1
            for i in range(1, m):  # D[i, j] = max(D[i-1, j] + E[i, j], c[i]), in order
                np.add(c[i - 1], Ej[i], out=tmp)
                np.maximum(c[i], tmp, out=c[i])
            ring[r] = c
            out[t] = c[-1]
            A = c
        self.A = A
        self.j += n
        return out


def departure_times(effective: Any, allocations: Any) -> np.ndarray:
    """Departure times from the last machine, for given effective processing times.

    Parameters
    ----------
    effective : array_like, shape (n_parts, m) or (n_parts, m, R)
        Effective processing times (see :func:`effective_times`), shared by every
        allocation, or shape ``(n_parts, m, R, B)`` for one set per allocation.
    allocations : array_like of int, shape (B, m - 1) or (m - 1,)

    Returns
    -------
    ndarray, shape (n_parts, R, B) (or (n_parts, B) for 2-d ``effective``, or
    (n_parts,) for one 1-d allocation as well)

    Examples
    --------
    >>> E = np.array([[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]])  # 3 parts, 2 machines
    >>> departure_times(E, [[0], [5]])  # a machine twice as slow downstream
    array([[3., 3.],
           [5., 5.],
           [7., 7.]])
    """
    E = np.array(effective, dtype=float)
    flat = E.ndim == 2
    if flat:
        E = E[:, :, None]
    if E.ndim not in (3, 4) or E.shape[0] == 0 or E.shape[1] < 2:
        raise ValueError(
            "`effective` must have shape (n_parts, m[, R[, B]]) with m >= 2, but got "
            f"effective with shape {np.shape(effective)}."
        )
    if not np.all(np.isfinite(E)) or np.any(E < 0):
        raise ValueError("`effective` must hold finite times >= 0.")
    m, R = E.shape[1], E.shape[2]
    buffers, single = _as_allocations(allocations, m)
    if E.ndim == 3:
        E = E[..., None]
    elif E.shape[3] != buffers.shape[0]:
        raise ValueError(
            f"`effective` must have one set of times per allocation ({buffers.shape[0]}), "
            f"but got effective with shape {E.shape}."
        )
    buffers = np.minimum(buffers, E.shape[0])  # a buffer never full is the same as larger
    out = _Recursion(buffers, m, R).run(E)
    if flat:
        out = out[:, 0]
    return out[..., 0] if single else out


# ---------------------------------------------------------------- throughput
def throughput(
    line: FlowLine,
    allocations: Any,
    *,
    n_parts: int | None = None,
    horizon: float | None = None,
    warmup: float | None = None,
    replications: int = 1,
    n_batches: int = 20,
    rng: Any = None,
    common_random_numbers: bool = True,
) -> tuple[Any, Any]:
    """Simulated long-run throughput of a batch of buffer allocations.

    >>> line = FlowLine([1.0, 1.0])
    >>> mean, se = throughput(line, [[0], [2], [8]], n_parts=20_000, rng=1)
    >>> mean.round(3), se.round(3)   # exact: 0.667, 0.8, 0.909 (M/M/1/K, K = b + 2)
    (array([0.666, 0.798, 0.907]), array([0.003, 0.004, 0.004]))

    Parameters
    ----------
    line : FlowLine
    allocations : array_like of int, shape (B, m - 1) or (m - 1,)
        Buffer sizes, one row per allocation; the batch is simulated at once. A
        single 1-d allocation gives float results.
    n_parts : int, optional
        Run length in parts: the throughput is ``n_parts`` divided by the time
        between the departures of parts ``warmup`` and ``warmup + n_parts``.
    horizon : float, optional
        Run length in time: departures in ``(warmup, warmup + horizon]`` divided by
        ``horizon``. Give exactly one of ``n_parts`` and ``horizon``.
    warmup : int or float, optional
        Parts (with ``n_parts``) or time (with ``horizon``) discarded at the start,
        when the line fills from empty. Default: a tenth of the run length.
    replications : int, default 1
        Independent runs (stacked in the same vectorised simulation). With 2 or more
        the standard error is that of the mean of the replications' throughputs;
        with 1 it comes from ``n_batches`` batch means of the single run.
    n_batches : int, default 20
        Batches for the batch-means standard error (with ``replications=1``). The
        throughput is a ratio (parts per time); its standard error is the usual
        one of a ratio estimator over the batches.
    rng : None, int or numpy.random.Generator
    common_random_numbers : bool, default True
        Drive every allocation of the batch with the same random numbers (the same
        effective processing times of part ``j`` at machine ``i``), so that the
        differences between allocations carry little noise. False gives each
        allocation its own independent numbers.

    Returns
    -------
    mean, std_error : ndarray, shape (B,) (floats for a 1-d allocation)
    """
    line = _check_line(line)
    buffers, single = _as_allocations(allocations, line.n_machines)
    if (n_parts is None) == (horizon is None):
        raise ValueError(
            "Exactly one of `n_parts` and `horizon` must be given, "
            f"but got n_parts={n_parts!r}, horizon={horizon!r}."
        )
    replications = check_int(replications, "replications", minimum=1)
    n_batches = check_int(n_batches, "n_batches", minimum=2)
    if not isinstance(common_random_numbers, (bool, np.bool_)):
        raise TypeError(
            "`common_random_numbers` must be True or False, but got "
            f"common_random_numbers={common_random_numbers!r}."
        )
    batches = 1 if replications > 1 else n_batches
    B, R = buffers.shape[0], replications
    k = 1 if common_random_numbers else B
    if n_parts is not None:
        n_parts = check_int(n_parts, "n_parts", minimum=batches)
        if warmup is None:
            warmup = n_parts // 10
        warmup = check_int(warmup, "warmup", minimum=0)
        total = warmup + n_parts
        buffers = np.minimum(buffers, total)  # a buffer never full is the same as larger
        stream = _TimeStream(line, R, k, rng)
        rec = _Recursion(buffers, line.n_machines, R)
        # part counts at the batch boundaries (part index p departs at D[p - 1])
        marks = warmup + np.round(np.linspace(0, n_parts, batches + 1)).astype(np.int64)
        stamps = np.zeros((batches + 1, R, B))
        done = 0
        while done < total:
            n = min(_CHUNK, total - done)
            dep = rec.run(stream.next(n))  # (n, m, R, k): k = 1 broadcasts
            inside = (marks > done) & (marks <= done + n)
            stamps[inside] = dep[marks[inside] - done - 1]
            done += n
        counts = np.diff(marks).astype(float)[:, None, None]
        durations = np.diff(stamps, axis=0)
    else:
        horizon = check_real(horizon, "horizon", low=0.0, low_open=True)
        if warmup is None:
            warmup = horizon / 10
        warmup = check_real(warmup, "warmup", low=0.0)
        stream = _TimeStream(line, R, k, rng)
        rec = _Recursion(buffers, line.n_machines, R)
        edges = warmup + horizon * np.linspace(0.0, 1.0, batches + 1)
        below = np.zeros((batches + 1, R, B))  # departures at or before each edge
        last = np.zeros((R, B))
        while last.min() <= edges[-1]:
            dep = rec.run(stream.next(_CHUNK))
            below += (dep[None] <= edges[:, None, None, None]).sum(axis=1)
            last = dep[-1]
        counts = np.diff(below, axis=0)
        durations = np.broadcast_to(np.diff(edges)[:, None, None], counts.shape)
    mean, se = _estimate(counts, durations, replications)
    return (float(mean[0]), float(se[0])) if single else (mean, se)


def _estimate(
    counts: np.ndarray, durations: np.ndarray, replications: int
) -> tuple[np.ndarray, np.ndarray]:
    """Throughput and its standard error from per-batch part counts and durations.

    ``counts`` and ``durations`` have shape (batches, R, B). With replications, each
    replication's ratio is one observation; otherwise the batches of the one run are,
    through the ratio estimator ``sum c / sum T`` and its delta-method variance.
    """
    if replications > 1:
        per_run = counts.sum(axis=0) / durations.sum(axis=0)  # (R, B)
        return per_run.mean(axis=0), per_run.std(axis=0, ddof=1) / np.sqrt(replications)
    c, T = counts[:, 0], durations[:, 0]  # (K, B)
    K = c.shape[0]
    rate = c.sum(axis=0) / T.sum(axis=0)
    resid = c - rate * T
    se = np.sqrt((resid**2).sum(axis=0) / (K * (K - 1))) / T.mean(axis=0)
    return rate, se


# ---------------------------------------------------------------- event by event
def simulate_events(effective: Any, allocation: Any) -> np.ndarray:
    """Departure times from the last machine by a plain event-by-event simulation.

    One line, one allocation, a heap of completion events and explicit machine
    states (working, blocked, idle): the textbook way, kept as an independent check
    of :func:`departure_times` and as the speed baseline of the benchmark.

    >>> E = np.array([[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]])
    >>> simulate_events(E, [0])
    array([3., 5., 7.])
    """
    E = np.array(effective, dtype=float)
    if E.ndim != 2 or E.shape[1] < 2 or E.shape[0] == 0:
        raise ValueError(
            "`effective` must have shape (n_parts, m) with m >= 2, but got effective with "
            f"shape {np.shape(effective)}."
        )
    n, m = E.shape
    buffers, _ = _as_allocations(allocation, m)
    cap = buffers[0].tolist()
    times = E.tolist()
    content = [0] * (m - 1)  # parts waiting in each buffer
    busy = [False] * m  # holding a part (working on it, or blocked with it)
    blocked = [False] * m
    served = [0] * m  # parts each machine has started; parts move in order
    events: list[tuple[float, int]] = []
    departures: list[float] = []

    def start(i: int, t: float) -> None:
        busy[i] = True
        heapq.heappush(events, (t + times[served[i]][i], i))
        served[i] += 1

    def pull(i: int, t: float) -> None:
        """Machine ``i`` has let its part go: take the next one, unblocking upstream."""
        busy[i] = False
        if i == 0:
            if served[0] < n:
                start(0, t)
        elif content[i - 1] > 0:
            content[i - 1] -= 1
            start(i, t)
            if blocked[i - 1]:  # its finished part moves into the freed place
                blocked[i - 1] = False
                content[i - 1] += 1
                pull(i - 1, t)
        elif blocked[i - 1]:  # no buffer: the finished part moves straight in
            blocked[i - 1] = False
            start(i, t)
            pull(i - 1, t)

    start(0, 0.0)
    while len(departures) < n:
        t, i = heapq.heappop(events)
        if i == m - 1:
            departures.append(t)
            pull(i, t)
        elif not busy[i + 1]:  # downstream idle (its buffer is empty): hand over
            start(i + 1, t)
            pull(i, t)
        elif content[i] < cap[i]:
            content[i] += 1
            pull(i, t)
        else:
            blocked[i] = True
    return np.array(departures)
