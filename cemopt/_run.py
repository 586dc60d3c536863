r"""The one CE loop, shared by optimisation and rare-event estimation.

Both :class:`cemopt.CrossEntropy` (minimise a score) and :class:`cemopt.RareEventCE`
(estimate a small probability) are a :class:`CERun`: ask for a batch, score it, tell
the scores back, until a stopping rule fires. What they share lives here, once:

* the budgets and their vocabulary (``max_iter``, ``max_evals``, ``time_limit``), the
  clock, and the counters (``nit``, ``nfev``, ``n_nan``);
* the NaN policy (counted, warned about once, never elite / never in the event);
* what happens when a batch is cut short by the time limit or Ctrl-C: the rows
  already scored count (``nfev``) and are used (the best so far, the final
  estimate), and the run ends marked ``time_limit`` or ``interrupted``;
* the history, one row per iteration, kept in arrays that grow in place;
* checkpoints: the settings, the generator, the counters and the history, written
  at a cost of one iteration per write, and refused on resume when anything in the
  file is damaged or does not match;
* and :func:`drive`, the loop itself, with the callback (after every iteration, the
  last one included), the progress bar and Ctrl-C.

::

        +-----------------------------------------------------------+
        |  drive(run, score, callback, progress, checkpoint)        |
        |                                                           |
        |    while not run.stop():                                  |
        |        X = run.ask()           sample the current family  |
        |        values = score(X)       Evaluator: blocks, deadline|
        |        run.tell(X, values)     level rule, weights, refit |
        |        save / progress / callback                         |
        +-----------------------------------------------------------+
               |                                 |
      CrossEntropy (optimize.py)        RareEventCE (rare_event.py)
      level: the elite quantile          level: quantile capped at gamma
      weights: none                      weights: likelihood ratios (ESS rule)
      restarts, variance scaling         then a fresh final sample -> estimate
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable
from os import PathLike
from typing import Any

import numpy as np

from . import checkpoint as _checkpoint
from ._batch import batch_len, take_rows
from ._validation import as_rng, check_int, check_real, real_values
from .errors import CemoptWarning, ConvergenceWarning
from .evaluate import BatchCutShort

logger = logging.getLogger("cemopt")

#: the stops that only end the run because of the budget given; on resume they are
#: judged again under the budgets given then, so that a finished run can be extended
BUDGET_STOPS = ("max_iter", "max_evals", "time_limit", "target")


class Columns:
    """Per-iteration records as float64 arrays that grow in place (amortised O(1)).

    :meth:`view` returns a read-only view of the rows so far, so building a result
    after every iteration costs O(1), not O(iterations).

    >>> c = Columns(("a", "b"))
    >>> c.append({"a": 1.0, "b": 2.0}); c.append({"a": 3.0, "b": np.nan})
    >>> c.view("a").tolist(), len(c)
    ([1.0, 3.0], 2)
    """

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self._data = np.empty((16, len(names)))
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def append(self, row: dict[str, Any]) -> None:
        if self._n == len(self._data):
            grown = np.empty((2 * len(self._data), len(self.names)))
            grown[: self._n] = self._data[: self._n]
            self._data = grown
        # a value of None becomes NaN: numpy converts it so when it fills a float row
        self._data[self._n] = [row[name] for name in self.names]
        self._n += 1

    def view(self, name: str) -> np.ndarray:
        column = self._data[: self._n, self.names.index(name)]
        column.flags.writeable = False
        return column

    def last(self, name: str) -> float:
        return float(self._data[self._n - 1, self.names.index(name)])

    def records(self, start: int = 0) -> np.ndarray:
        """Rows ``start..`` as an (n, width) array (for the checkpoint's row log)."""
        return self._data[start : self._n]

    def load(self, records: np.ndarray) -> None:
        self._data = np.array(records, dtype=float).reshape(-1, len(self.names))
        if len(self._data) == 0:
            self._data = np.empty((16, len(self.names)))
        self._n = len(records)


class CERun:
    """What every CE run shares; subclasses add the level rule, weights and result.

    Subclasses implement ``ask``, ``tell``, ``result``, ``_absorb_partial`` (use the
    rows of a batch cut short), ``_progress_fields`` (what the progress bar and the
    debug log show) and the checkpoint hooks ``_state`` and ``_settings``.
    """

    #: history columns (subclasses set them); each row of the history is one iteration
    COLUMNS: tuple[str, ...] = ()
    #: what the checkpoint calls this kind of run
    KIND = "run"
    #: how a NaN score is handled, in the words of the warning
    NAN_WARNING = ""

    def _init_budgets(
        self,
        *,
        max_iter: Any,
        max_evals: Any,
        time_limit: Any,
        rng: Any,
        default_max_iter: int | None = 1000,
    ) -> None:
        self.max_iter = check_int(max_iter, "max_iter", minimum=1, allow_none=True)
        self.max_evals = check_int(max_evals, "max_evals", minimum=1, allow_none=True)
        self.time_limit = check_real(
            time_limit, "time_limit", low=0, low_open=True, allow_none=True
        )
        if self.max_iter is None and self.max_evals is None and self.time_limit is None:
            self.max_iter = default_max_iter
        self.rng = as_rng(rng)
        self.nit = 0
        self.nfev = 0
        self.n_nan = 0
        self._warned_nan = False
        self._started: float | None = None  # perf_counter at the first ask, for time_limit
        self.termination: dict[str, Any] = {}
        self._columns = Columns(self.COLUMNS)
        self._row_log: _checkpoint.RowLog | None = None

    # ------------------------------------------------------------------- clock
    def _start_clock(self) -> None:
        if self._started is None:
            self._started = time.perf_counter()

    @property
    def deadline(self) -> float | None:
        """The ``time.perf_counter()`` reading at which ``time_limit`` runs out."""
        if self.time_limit is None or self._started is None:
            return None
        return self._started + self.time_limit

    def _out_of_time(self) -> bool:
        deadline = self.deadline
        return deadline is not None and time.perf_counter() >= deadline

    # ------------------------------------------------------------------- scores
    def _scores(self, X: Any, values: Any, n: int) -> np.ndarray:
        """The values of a told batch as floats, with the NaN policy applied once."""
        scores = real_values(values, "`values` (the scores told) must be")
        if scores.shape != (n,):
            raise ValueError(
                f"`values` must have one entry per sample: got {scores.size} values "
                f"(shape {scores.shape}) for {n} samples."
            )
        if self.termination:
            raise RuntimeError(f"tell() after the run stopped ({self.termination}).")
        nan = np.isnan(scores)
        if nan.any():
            self.n_nan += int(nan.sum())
            if not self._warned_nan:
                warnings.warn(self.NAN_WARNING, _nan_category(self), stacklevel=3)
                self._warned_nan = True
        self.nfev += n
        return scores

    def tell_partial(self, X: Any, values: Any, reason: str) -> None:
        """Take the leading rows of a batch whose scoring stopped part way.

        The rows count as evaluations and are used where a part of a batch can be
        (the best so far; the final sample of an estimate), but there is no CE update
        on them. The run then ends with ``reason`` (``"time_limit"`` or
        ``"interrupted"``).
        """
        values = real_values(values, "`values` (the scores told) must be")
        if not self.termination and len(values):
            scores = self._scores(X, values, len(values))
            self._absorb_partial(take_rows(X, slice(0, len(values))), scores)
        if not self.termination or reason == "interrupted":
            self.termination = {reason: self.time_limit if reason == "time_limit" else True}

    def interrupt(self) -> None:
        """End the run as interrupted (Ctrl-C), keeping everything told so far."""
        self.termination = {"interrupted": True}

    def stop(self) -> bool:
        """True once a stopping rule has fired (see :attr:`termination`)."""
        return bool(self.termination)

    # -------------------------------------------------------------- checkpoints
    def save(self, path: str | PathLike) -> None:
        """Write the state of the run to ``path`` (one ``.npz`` file and its
        ``.rows`` history log; see :mod:`cemopt.checkpoint`).

        :meth:`load` with the same initial family and settings continues exactly
        where this run stopped: same samples, same result, bit for bit. Saving to the
        same path again appends only the new history rows.
        """
        state = self._state()
        log = self._row_log
        width = len(self.COLUMNS) + self._extra_width()
        if log is None or log.path != _checkpoint.RowLog(path, width).path or log.width != width:
            log = _checkpoint.RowLog(path, width)
        n_rows, digest = log.write(self._history_records(log.written))
        self._row_log = log
        state["history"] = {
            "columns": list(self.COLUMNS),
            "extra": self._extra_layout(),
            "rows": n_rows,
            "digest": digest,
        }
        state["kind"] = self.KIND
        state["settings"] = self._settings()
        state["rng"] = self.rng.bit_generator.state
        state["termination"] = {k: _plain(v) for k, v in self.termination.items()}
        _checkpoint.save_state(path, state)

    def _load_common(self, path: str | PathLike, state: dict[str, Any]) -> _checkpoint.Reader:
        """Check the parts every kind of run has and restore them; return a reader."""
        r = _checkpoint.Reader(state, path)
        kind = r.get("kind")
        if kind != self.KIND:
            raise _checkpoint.CheckpointError(
                f"{path} is a checkpoint of a {kind!r} run, not of a {self.KIND!r} run."
            )
        saved = r.dict("settings")
        now = self._settings()
        if set(saved) != set(now):
            raise _checkpoint.CheckpointError(
                f"{path}: its settings name {sorted(saved)}, expected {sorted(now)}."
            )
        for name, value in now.items():
            if saved[name] != value:
                raise ValueError(
                    f"`{name}` must match the checkpoint {path}: it was saved with "
                    f"{name}={saved[name]!r}, but got {name}={value!r}."
                )
        history = r.dict("history")
        if history.get("columns") != list(self.COLUMNS):
            raise _checkpoint.CheckpointError(
                f"{path}: its history columns are not {list(self.COLUMNS)}."
            )
        extra = self._extra_layout()
        if history.get("extra") != extra:
            raise _checkpoint.CheckpointError(
                f"{path}: its parameter history layout does not match this run's family."
            )
        n_rows = r.int("history", "rows")
        digest = r.get("history", "digest")
        if not isinstance(digest, str):
            raise r.fail(("history", "digest"), "a hex digest", digest)
        width = len(self.COLUMNS) + self._extra_width()
        records = _checkpoint.read_rows(path, width, n_rows, digest)
        self._columns.load(records[:, : len(self.COLUMNS)])
        self._load_extra(records[:, len(self.COLUMNS) :])
        self._row_log = _checkpoint.RowLog.resumed(path, width, n_rows, digest)
        self.rng = _checkpoint.rng_from_state(r.dict("rng"), path)
        return r

    # hooks for a parameter history stored beside the columns (CrossEntropy's keep_params)
    def _extra_width(self) -> int:
        return 0

    def _extra_layout(self) -> dict[str, Any]:
        return {}

    def _history_records(self, start: int) -> np.ndarray:
        return self._columns.records(start)

    def _load_extra(self, records: np.ndarray) -> None:
        return None


def _nan_category(run: CERun) -> type[Warning]:
    return ConvergenceWarning if run.KIND == "estimate" else CemoptWarning


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return str(value)


def drive(
    run: CERun,
    score: Callable[..., np.ndarray],
    *,
    callback: Callable[[Any], Any] | None = None,
    progress: Any = None,
    checkpoint: str | PathLike | None = None,
    improve: Callable[[Any, np.ndarray], tuple[Any, np.ndarray]] | None = None,
) -> Any:
    """The one CE loop: ask, score, (improve), tell, save, report, until a rule fires.

    ``score(X, deadline=...)`` is an :class:`cemopt.Evaluator`; a batch it cuts short
    (time limit, Ctrl-C) is handed to :meth:`CERun.tell_partial`. ``callback`` gets
    ``run.result()`` after every iteration, the last one included; returning True or
    raising StopIteration stops the run with status ``"callback"``. Ctrl-C anywhere
    returns the result so far, marked interrupted.
    """
    debug = logger.isEnabledFor(logging.DEBUG)
    ask_rate = None  # seconds per sample of the last ask
    try:
        while not run.stop():
            if ask_rate is not None and _sampling_would_overrun(run, ask_rate):
                run.termination = {"time_limit": run.time_limit}
                break
            started = time.perf_counter()
            X = run.ask()
            ask_rate = (time.perf_counter() - started) / max(batch_len(X), 1)
            try:
                values = score(X, deadline=run.deadline)
                if improve is not None:  # memetic CE: local search on the batch
                    try:
                        X, values = improve(X, values)
                    except KeyboardInterrupt:
                        run.tell_partial(X, values, "interrupted")
                        raise
            except BatchCutShort as cut:
                # the checkpoint keeps the state before this batch, so that a resumed
                # run draws it again and ends where the uninterrupted run would have
                run.tell_partial(X, cut.values, cut.reason)
            else:
                run.tell(X, values)
                if checkpoint is not None:
                    run.save(checkpoint)
            if progress is not None or debug:
                fields = run._progress_fields()
                if debug:
                    logger.debug("%s", "  ".join(f"{k} {v}" for k, v in fields.items()))
                if progress is not None:
                    progress.update(**fields)
            if callback is not None and _callback_stops(callback, run) and not run.stop():
                run.termination = {"callback": True}
    except KeyboardInterrupt:
        run.interrupt()
    finally:
        if progress is not None:
            progress.close()
    return run.result()


def _sampling_would_overrun(run: CERun, ask_rate: float) -> bool:
    """True when drawing the next batch, at the last batch's seconds per sample, would
    end past the deadline: the sampler cannot be stopped part way (a batch of 3 620
    tours of 724 nodes takes 9.6 s to draw, and a 60 s run ended at 66.7 s), so a batch
    that cannot be drawn in time is not started."""
    deadline = run.deadline
    if deadline is None:
        return False
    return time.perf_counter() + ask_rate * getattr(run, "n_samples", 1) > deadline


def _callback_stops(callback: Callable, run: CERun) -> bool:
    try:
        return callback(run.result()) is True
    except StopIteration:
        return True
