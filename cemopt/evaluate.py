"""How a batch is scored: vectorised, one sample at a time, or in tasks on an Executor.

Sampling and refitting always happen in the calling process; only scoring is farmed
out, through :meth:`concurrent.futures.Executor.submit`, and the results are read back
in the order of the rows. A vectorised objective is always called on the same
*blocks* of rows, ``[0, B), [B, 2B), ...`` for a block size ``B`` fixed by the caller
(default 1024), whether it runs serially or on an executor and however many tasks the
executor gets. The values therefore depend on the samples alone, never on the number
of workers or CPUs, or on which task finished first: even an objective whose last
bits depend on the shape of its input (a BLAS matrix product) gives the same run
everywhere.

Policy for bad scores (stated once, applied everywhere):

* A NaN score counts as the worst possible value: it is never elite. NaNs are
  counted (``res.n_nan``) and warned about once per run.
* An exception raised by the objective propagates, unless ``catch`` lists its type:
  then the sample (or, for a vectorised objective, the whole block) scores NaN.
* An objective that returns the wrong number of values raises ``ValueError``.

Stopping inside a batch: with a ``deadline``, the clock is read before every block
(every sample for a non-vectorised objective); once it has passed, or on Ctrl-C,
scoring stops and :class:`BatchCutShort` carries the values of the rows scored so
far, in order, so that the caller keeps the evaluations already made.
"""

from __future__ import annotations

import math
import os
import pickle
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import numpy as np

from ._batch import batch_len, row, take_rows
from ._validation import objective_name, real_values

__all__ = ["BatchCutShort", "DEFAULT_BLOCK_SIZE", "Evaluator"]

#: rows per call of a vectorised objective: large enough that the per-call cost does
#: not show next to the work on 1024 rows, small enough that big batches (the final
#: sample of a rare-event estimate) spread over workers and a time limit is checked
#: often.
DEFAULT_BLOCK_SIZE = 1024


class BatchCutShort(Exception):
    """Scoring stopped part way through a batch.

    Attributes
    ----------
    values : ndarray
        Scores of the first ``len(values)`` rows of the batch, in order.
    reason : str
        ``"time_limit"`` (the deadline passed) or ``"interrupted"`` (Ctrl-C).
    """

    def __init__(self, values: np.ndarray, reason: str) -> None:
        super().__init__(f"scoring stopped after {len(values)} rows ({reason})")
        self.values = values
        self.reason = reason


class Evaluator:
    """Scores batches with a user objective.

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` for one sample, or with ``vectorized=True``
        ``f(X) -> (n,)`` for a batch whose samples are on axis 0 (an ``(n, d)``
        array, or a dict of such arrays for a ``Product`` family).
    vectorized : bool
        Whether ``f`` takes a whole batch.
    executor : concurrent.futures.Executor, optional
        Scores the batch in tasks with ``executor.submit``, read back in row order.
        The executor is the caller's: it is used, never shut down.
    block_size : int or None, default 1024
        Rows per call of a vectorised ``f``: a batch of n rows is scored as the blocks
        ``[0, B), [B, 2B), ...``, serially or on the executor alike, so the values
        never depend on the executor. None: one call per batch (serially) or per
        task (on an executor); the values may then depend on the number of tasks
        when ``f``'s last bits depend on the shape of its input. Ignored for a
        non-vectorised ``f``, which is called once per row.
    n_chunks : int, optional
        Tasks per batch on an executor (each holds whole blocks). Default:
        ``4 * os.cpu_count()``, which keeps every worker busy without tiny tasks; the
        values do not depend on it.
    catch : tuple of exception types
        Exceptions that turn a score into NaN instead of propagating.

    Examples
    --------
    >>> import numpy as np
    >>> score = Evaluator(lambda X: (X ** 2).sum(axis=1), vectorized=True)
    >>> score(np.array([[1.0, 2.0], [0.0, 3.0]]))
    array([5., 9.])
    """

    def __init__(
        self,
        f: Callable[..., Any],
        *,
        vectorized: bool = False,
        executor: Executor | None = None,
        block_size: int | None = DEFAULT_BLOCK_SIZE,
        n_chunks: int | None = None,
        catch: Sequence[type[BaseException]] | type[BaseException] = (),
    ) -> None:
        if not callable(f):
            raise TypeError(f"`f` must be callable, but got f={f!r}.")
        if not isinstance(vectorized, (bool, np.bool_)):
            raise TypeError(
                f"`vectorized` must be True or False, but got vectorized={vectorized!r}."
            )
        if executor is not None and not callable(getattr(executor, "submit", None)):
            raise TypeError(
                "`executor` must be a concurrent.futures.Executor (anything with .submit), "
                f"but got executor={executor!r}."
            )
        if isinstance(catch, type):
            catch = (catch,)
        catch = tuple(catch)
        if not all(isinstance(c, type) and issubclass(c, BaseException) for c in catch):
            raise TypeError(f"`catch` must be a tuple of exception types, but got catch={catch!r}.")
        if any(issubclass(c, KeyboardInterrupt) for c in catch):
            raise ValueError(
                "`catch` must not include KeyboardInterrupt: Ctrl-C always stops a run."
            )
        for name, value in (("n_chunks", n_chunks), ("block_size", block_size)):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise ValueError(f"`{name} >= 1` must hold, but got {name}={value!r}.")
        if isinstance(executor, ProcessPoolExecutor):
            _check_picklable(f)
        self.f = f
        self.vectorized = bool(vectorized)
        self.executor = executor
        self.block_size = block_size
        # the number of tasks decides only how blocks are shared out, never the values
        self.n_chunks = n_chunks or 4 * (os.cpu_count() or 1)
        self.catch = catch

    def __call__(self, X: Any, *, deadline: float | None = None) -> np.ndarray:
        """Score a batch; returns float values of shape ``(n,)``, NaN where caught.

        ``deadline`` is a :func:`time.perf_counter` reading; once it has passed (or
        on Ctrl-C) :class:`BatchCutShort` is raised with the values scored so far.
        """
        n = batch_len(X)
        if self.executor is None:
            return self._serial(X, n, deadline)
        return self._on_executor(X, n, deadline)

    # ------------------------------------------------------------------ serial
    def _serial(self, X: Any, n: int, deadline: float | None) -> np.ndarray:
        out = np.empty(n)
        scored = _Scored()
        clock = (self.f, self.vectorized, self.catch, self._step(n), deadline, time.perf_counter)
        try:
            finished = _score_into(out, X, scored, *clock)
        except KeyboardInterrupt:
            raise BatchCutShort(out[: scored.rows].copy(), "interrupted") from None
        if not finished:
            raise BatchCutShort(out[: scored.rows].copy(), "time_limit")
        return out

    # ---------------------------------------------------------------- executor
    def _on_executor(self, X: Any, n: int, deadline: float | None) -> np.ndarray:
        step = self._step(n)
        tasks = _task_slices(n, step, self.n_chunks)
        wall = None if deadline is None else _wall_deadline(deadline)
        futures: list[Any] = []
        parts: list[np.ndarray] = []
        done = 0
        try:
            for task in tasks:
                job = (self.f, self.vectorized, self.catch, take_rows(X, task), step, wall)
                futures.append(self.executor.submit(_score_job, job))
            for task, future in zip(tasks, futures, strict=True):
                timeout = None if deadline is None else max(0.0, deadline - time.perf_counter())
                try:
                    values = future.result(timeout=timeout)
                except FutureTimeout:
                    _cancel(futures)
                    raise BatchCutShort(_joined(parts), "time_limit") from None
                parts.append(values)
                done += len(values)
                if len(values) < task.stop - task.start:  # the task saw the deadline pass
                    _cancel(futures)
                    raise BatchCutShort(_joined(parts), "time_limit")
        except KeyboardInterrupt:
            _cancel(futures)
            raise BatchCutShort(_joined(parts), "interrupted") from None
        except BatchCutShort:
            raise
        except (pickle.PicklingError, AttributeError, TypeError) as exc:
            _cancel(futures)
            if "pickle" not in str(exc).lower():
                raise
            raise TypeError(
                "The objective could not be sent to the executor's workers: define it at "
                "module level (not a lambda or a nested function), or wrap it with "
                "functools.partial."
            ) from exc
        except BaseException:
            _cancel(futures)
            raise
        return _joined(parts) if parts else np.empty(0)

    def _step(self, n: int) -> int:
        """Rows per call of ``f``: 1 for a non-vectorised objective."""
        if not self.vectorized:
            return 1
        return max(n, 1) if self.block_size is None else self.block_size


class _Scored:
    """How many leading rows are scored (read back after a Ctrl-C)."""

    def __init__(self) -> None:
        self.rows = 0


def _wall_deadline(deadline: float) -> float:
    """A ``perf_counter`` deadline as a ``time.time`` one, which worker processes share
    (``perf_counter`` readings mean nothing in another process)."""
    return time.time() + (deadline - time.perf_counter())


def _task_slices(n: int, step: int, n_tasks: int) -> list[slice]:
    """Up to ``n_tasks`` contiguous row ranges, each made of whole blocks of ``step``."""
    n_blocks = max(1, math.ceil(n / step))
    n_tasks = max(1, min(n_tasks, n_blocks))
    bounds = np.linspace(0, n_blocks, n_tasks + 1).round().astype(int) * step
    bounds = np.minimum(bounds, n)
    return [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]


def _score_job(job: tuple) -> np.ndarray:
    """One task, in whichever process runs it: the values of its leading rows scored
    before the (wall-clock) deadline, all of them when it did not pass."""
    f, vectorized, catch, X, step, wall = job
    out = np.empty(batch_len(X))
    scored = _Scored()
    _score_into(out, X, scored, f, vectorized, catch, step, wall, time.time)
    return out[: scored.rows]


def _score_into(
    out: np.ndarray,
    X: Any,
    scored: _Scored,
    f: Callable,
    vectorized: bool,
    catch: tuple,
    step: int,
    deadline: float | None,
    clock: Callable[[], float],
) -> bool:
    """Score ``X`` into ``out`` block by block; False when ``clock()`` passed ``deadline``."""
    n = len(out)
    for start in range(0, n, step):
        if deadline is not None and clock() >= deadline:
            return False
        stop = min(start + step, n)
        if vectorized:
            out[start:stop] = _score_block(f, catch, take_rows(X, slice(start, stop)))
        else:
            out[start] = _score_one(f, catch, row(X, start))
        scored.rows = stop
    return True


def _score_block(f: Callable, catch: tuple, X: Any) -> np.ndarray:
    n = batch_len(X)
    try:
        values = f(X)
    except catch:
        return np.full(n, np.nan)
    return _as_values(values, n, f)


def _score_one(f: Callable, catch: tuple, x: Any) -> float:
    # the objective is a black box: one call per sample is the contract
    try:
        value = f(x)
    except catch:
        return np.nan
    return _as_scalar(value, f)


def _cancel(futures: list[Any]) -> None:
    for future in futures:
        future.cancel()  # those already running finish on their own; none is waited for


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(0)


def _as_values(values: Any, n: int, f: Callable | None = None) -> np.ndarray:
    array = real_values(values, f"The objective {objective_name(f)} must return")
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.shape != (n,):
        raise ValueError(
            f"The objective must return one value per sample: got {array.size} values "
            f"(shape {array.shape}) for {n} samples. With vectorized=True, f(X) takes X of "
            "shape (n, d) and returns shape (n,)."
        )
    return array


def _as_scalar(value: Any, f: Callable | None = None) -> float:
    array = real_values(value, f"The objective {objective_name(f)} must return")
    if array.size != 1:
        raise ValueError(
            f"The objective must return one number per sample, but returned shape {array.shape}. "
            "If it scores a whole batch, pass vectorized=True."
        )
    return float(array.reshape(()))


def _check_picklable(f: Callable) -> None:
    try:
        pickle.dumps(f)
    except Exception as exc:  # pickle raises several types; all mean the same here
        raise TypeError(
            "`f` must be picklable to run on a ProcessPoolExecutor: define it at module "
            "level (not a lambda or a nested function), or wrap it with functools.partial."
        ) from exc
