"""How a batch is scored: vectorised, one sample at a time, or in chunks on an Executor.

Sampling and refitting always happen in the calling process; only scoring is farmed
out, through :meth:`concurrent.futures.Executor.map`, which keeps the order of the
chunks. The values therefore depend on the samples alone, never on the number of
workers or on which finished first, so a seed gives the same run everywhere.

Policy for bad scores (stated once, applied everywhere):

* A NaN score counts as the worst possible value: it is never elite. NaNs are
  counted (``res.n_nan``) and warned about once per run.
* An exception raised by the objective propagates, unless ``catch`` lists its type:
  then the sample (or, for a vectorised objective, the whole chunk) scores NaN.
* An objective that returns the wrong number of values raises ``ValueError``.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

import numpy as np

from ._batch import batch_len, row, split_rows, take_rows

__all__ = ["Evaluator"]


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
        Scores contiguous chunks of the batch with ``executor.map`` (order kept). The
        executor is the caller's: it is used, never shut down.
    n_chunks : int, optional
        Chunks per batch on an executor. Default: ``4 * os.cpu_count()``, which keeps
        every worker busy without tiny chunks.
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
        n_chunks: int | None = None,
        catch: Sequence[type[BaseException]] | type[BaseException] = (),
    ) -> None:
        if not callable(f):
            raise TypeError(f"`f` must be callable, but got f={f!r}.")
        if not isinstance(vectorized, (bool, np.bool_)):
            raise TypeError(
                f"`vectorized` must be True or False, but got vectorized={vectorized!r}."
            )
        if executor is not None and not callable(getattr(executor, "map", None)):
            raise TypeError(
                "`executor` must be a concurrent.futures.Executor (anything with .map), "
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
        if n_chunks is not None and (
            isinstance(n_chunks, bool) or not isinstance(n_chunks, int) or n_chunks < 1
        ):
            raise ValueError(f"`n_chunks >= 1` must hold, but got n_chunks={n_chunks!r}.")
        if isinstance(executor, ProcessPoolExecutor):
            _check_picklable(f)
        self.f = f
        self.vectorized = bool(vectorized)
        self.executor = executor
        self.n_chunks = n_chunks or 4 * (os.cpu_count() or 1)
        self.catch = catch

    def __call__(self, X: Any) -> np.ndarray:
        """Score a batch; returns float values of shape ``(n,)``, NaN where caught."""
        n = batch_len(X)
        if self.executor is None:
            return _score(self.f, self.vectorized, self.catch, X)
        chunks = [take_rows(X, s) for s in split_rows(n, self.n_chunks)]
        jobs = [(self.f, self.vectorized, self.catch, chunk) for chunk in chunks]
        try:
            parts = list(self.executor.map(_score_job, jobs))
        except (pickle.PicklingError, AttributeError, TypeError) as exc:
            if "pickle" not in str(exc).lower():
                raise
            raise TypeError(
                "The objective could not be sent to the executor's workers: define it at "
                "module level (not a lambda or a nested function), or wrap it with "
                "functools.partial."
            ) from exc
        return np.concatenate(parts) if parts else np.empty(0)


def _score_job(job: tuple) -> np.ndarray:
    return _score(*job)


def _score(f: Callable, vectorized: bool, catch: tuple, X: Any) -> np.ndarray:
    """Score one chunk in whichever process runs it; NaN for caught exceptions."""
    n = batch_len(X)
    if vectorized:
        try:
            values = f(X)
        except catch:
            return np.full(n, np.nan)
        return _as_values(values, n)
    out = np.empty(n)
    for i in range(n):  # the objective is a black box: one call per sample is the contract
        try:
            out[i] = _as_scalar(f(row(X, i)))
        except catch:
            out[i] = np.nan
    return out


def _as_values(values: Any, n: int) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"The objective must return real numbers, but returned {type(values).__name__}."
        ) from exc
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.shape != (n,):
        raise ValueError(
            f"The objective must return one value per sample: got {array.size} values "
            f"(shape {array.shape}) for {n} samples. With vectorized=True, f(X) takes X of "
            "shape (n, d) and returns shape (n,)."
        )
    return array


def _as_scalar(value: Any) -> float:
    array = np.asarray(value, dtype=float)
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
