"""Run cemopt and other optimisers on the same problems, budgets and seeds.

:func:`compare` runs every (problem, optimiser, seed) triple with the same budget of
objective evaluations and collects one :class:`RunRecord` per run: problem,
optimiser, seed, evaluations used, best value so far, whether and when the target
was reached, wall time, and the trace of improvements (evaluation index, best value,
seconds) for convergence curves and ECDFs. :class:`Comparison` holds the records and
writes them as CSV or JSON (or a pandas DataFrame); :meth:`Comparison.summary` gives
success rates, evaluations to target (median and COCO's expected running time) and
final-value statistics.

Every optimiser sees the problem through the same counting objective, which cuts a
batch that would overrun the budget and ends the run when the budget is spent (or
the target is reached). The numbers in a record are what that counter saw, never
what the optimiser reports about itself. The peers (random search, scipy, pycma,
nevergrad, random restarts of a local search) live in :mod:`cemopt._peers`;
``OPTIMIZERS`` lists them.

Examples
--------
>>> from cemopt.compare import compare
>>> result = compare(["sphere"], ["cemopt", "random"], budget=2000, seeds=[0, 1], dim=2)
>>> [(r.optimizer, r.seed, r.evaluations <= 2000) for r in result.records]
... # doctest: +NORMALIZE_WHITESPACE
[('cemopt', 0, True), ('cemopt', 1, True), ('random', 0, True), ('random', 1, True)]
>>> result.summary().rows[0]["successes"]
2
"""

from __future__ import annotations

import csv
import functools
import json
import math
import numbers
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

import numpy as np

from ._peers import OPTIMIZERS, Adapter, BudgetSpent, get_adapter
from ._validation import check_int, check_real

__all__ = [
    "OPTIMIZERS",
    "Comparison",
    "Problem",
    "RunRecord",
    "Summary",
    "compare",
]

#: problem kinds and the default precision of their target (f - f* for continuous
#: problems, as COCO's final target; the exact optimum for discrete ones)
KINDS = {"continuous": 1e-8, "binary": 0.0, "permutation": 0.0}

#: instances built when a problem is given by name (only the size needs choosing)
NAMED_DEFAULTS: dict[str, dict[str, Any]] = {
    "maxcut": {"n": 100, "m": 50, "rng": 0},
    "tsp": {"n": 30, "rng": 0},
}

_RUN_FIELDS = (
    "problem",
    "optimizer",
    "seed",
    "budget",
    "evaluations",
    "best",
    "target",
    "reached",
    "evals_to_target",
    "time",
    "status",
    "error",
)
_TRACE_FIELDS = ("problem", "optimizer", "seed", "evaluations", "best", "time")


# -------------------------------------------------------------------- problems
@dataclass(frozen=True, eq=False)
class Problem:
    """A problem as :func:`compare` sees it: a vectorised objective and its space.

    Parameters
    ----------
    name : str
    objective : callable
        ``objective(X) -> (n,)`` on a batch: ``(n, dim)`` floats (continuous), 0/1
        integers (binary) or permutations of ``0..dim-1`` (permutation).
    kind : {"continuous", "binary", "permutation"}
    dim : int
    lower, upper : array_like, optional
        The box of a continuous problem (needed for the start point and the peers
        that need bounds).
    sense : {"min", "max"}
    optimum : float, optional
        The known optimal value (targets and ECDFs measure the gap to it).
    local_search : callable, optional
        ``local_search(tour) -> tour`` for permutation problems: cemopt uses it on its
        elite, ``"multistart-ls"`` restarts it.
    family : Family, optional
        The problem module's own starting family for cemopt (max-cut fixes node 0's
        side, as ``maxcut.solve`` does); default: a Gaussian at the start point,
        Bernoulli(0.5) or a uniform Permutation.

    Examples
    --------
    >>> import numpy as np
    >>> p = Problem("square", lambda X: (X**2).sum(axis=1), "continuous", 2,
    ...             lower=[-1, -1], upper=[1, 1], optimum=0.0)
    >>> p.default_target
    1e-08
    >>> Problem.from_object("maxcut").optimum
    2500.0
    """

    name: str
    objective: Callable[[Any], Any]
    kind: str
    dim: int
    lower: Any = None
    upper: Any = None
    sense: str = "min"
    optimum: float | None = None
    local_search: Callable[[Any], Any] | None = None
    family: Any = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"`name` must be a non-empty string, but got name={self.name!r}.")
        if not callable(self.objective):
            raise TypeError(f"`objective` must be callable, but got objective={self.objective!r}.")
        if self.kind not in KINDS:
            raise ValueError(f"`kind` must be one of {list(KINDS)}, but got kind={self.kind!r}.")
        if self.sense not in ("min", "max"):
            raise ValueError(f"`sense` must be 'min' or 'max', but got sense={self.sense!r}.")
        check_int(self.dim, "dim", minimum=1)
        check_real(self.optimum, "optimum", allow_none=True)
        if self.kind == "continuous":
            for name in ("lower", "upper"):
                value = np.broadcast_to(np.asarray(getattr(self, name), dtype=float), (self.dim,))
                if not np.all(np.isfinite(value)):
                    raise ValueError(
                        f"`{name}` must be finite bounds of length {self.dim} for a continuous "
                        f"problem, but got {name}={getattr(self, name)!r}."
                    )
                object.__setattr__(self, name, value.copy())
            if not np.all(self.lower < self.upper):
                raise ValueError("`lower < upper` must hold in every coordinate.")

    @property
    def sign(self) -> float:
        """+1 for minimisation, -1 for maximisation (the runner always minimises)."""
        return 1.0 if self.sense == "min" else -1.0

    @property
    def default_target(self) -> float | None:
        """``optimum`` moved by the kind's precision toward worse values (None: no optimum)."""
        if self.optimum is None:
            return None
        return self.optimum + self.sign * KINDS[self.kind]

    def start(self, seed: int) -> np.ndarray | None:
        """The common start of a continuous run: uniform in the box, from ``seed``."""
        if self.kind != "continuous":
            return None
        return np.random.default_rng(seed).uniform(self.lower, self.upper, self.dim)

    def info(self) -> dict[str, Any]:
        """The plain facts a :class:`Comparison` keeps (JSON-ready)."""
        return {"kind": self.kind, "dim": self.dim, "sense": self.sense, "optimum": self.optimum}

    @classmethod
    def from_object(cls, problem: Any, *, dim: int = 10, name: str | None = None) -> Problem:
        """Wrap a problem: a name from ``cemopt.problems.PROBLEMS``, a
        ``functions.TestFunction`` (in ``dim`` dimensions), a ``MaxCut``, a ``TSP``,
        or a :class:`Problem` (returned as is)."""
        if isinstance(problem, Problem):
            return problem
        if isinstance(problem, str):
            return cls.from_object(_by_name(problem), dim=dim, name=name or problem)
        if all(hasattr(problem, a) for a in ("func", "lower", "upper", "f_opt", "sense")):
            dims = getattr(problem, "dims", None)
            if dims is not None and dim not in dims:
                raise ValueError(
                    f"`dim` must be one of {list(dims)} for {problem.name}, but got dim={dim}."
                )
            return cls(
                name or problem.name,
                problem.func,  # a module-level function: pickles by reference
                "continuous",
                dim,
                lower=problem.lower,
                upper=problem.upper,
                sense=problem.sense,
                optimum=problem.f_opt,
            )
        if hasattr(problem, "cut_value") and hasattr(problem, "n_nodes"):
            import cemopt as ce

            p0 = np.full(problem.n_nodes, 0.5)
            p0[0] = 1.0  # maxcut.solve's formulation: a cut and its complement are one cut
            return cls(
                name or "maxcut",
                problem.cut_value,
                "binary",
                problem.n_nodes,
                sense="max",
                optimum=problem.optimum,
                family=ce.Bernoulli(p0),
            )
        if hasattr(problem, "tour_length") and hasattr(problem, "distances"):
            from cemopt.problems import tsp  # lazily: problems import the engine

            search = tsp.two_opt_or_opt if problem.symmetric else tsp.or_opt
            return cls(
                name or problem.name or "tsp",
                problem.tour_length,
                "permutation",
                problem.n,
                optimum=problem.optimum,
                local_search=functools.partial(search, problem),
            )
        raise TypeError(
            "`problems` must hold names, Problem objects, test functions, MaxCut or TSP "
            f"instances, but got {type(problem).__name__}."
        )


def _by_name(name: str) -> Any:
    from cemopt.problems import PROBLEMS  # lazily: problems import the engine

    usable = sorted(k for k in PROBLEMS if k not in ("vrp",) and not k.startswith("rare_events."))
    if name not in usable:
        raise ValueError(f"`problems` must name one of {usable}, but got {name!r}.")
    return PROBLEMS[name](**NAMED_DEFAULTS.get(name, {}))


# -------------------------------------------------------------------- counting
class _Counter:
    """The objective every optimiser sees: counts, records improvements, ends runs.

    Called with a batch, it returns the values to minimise (the sign flipped for a
    maximisation problem). A batch that would overrun the budget is cut to the room
    left; once the budget is spent, or the target reached with ``stop_at_target``, it
    raises :class:`BudgetSpent` after recording the batch.
    """

    def __init__(self, problem: Problem, budget: int, target: float | None, stop: bool):
        self.problem, self.budget, self.stop = problem, budget, stop
        self.sign = problem.sign
        self.target = None if target is None else self.sign * target  # minimisation sense
        self.count, self.best, self.hit = 0, math.inf, None
        self.trace: list[tuple[int, float, float]] = []
        self.t0 = time.perf_counter()

    def __call__(self, X: Any) -> np.ndarray:
        room = self.budget - self.count
        if room <= 0:
            raise BudgetSpent
        X = X[:room]
        values = np.asarray(self.problem.objective(X), dtype=float).reshape(-1)
        if values.shape[0] != len(X):
            raise ValueError(
                f"the objective of {self.problem.name!r} returned {values.shape[0]} values "
                f"for {len(X)} candidates"
            )
        signed = self.sign * values
        scored = np.where(np.isnan(signed), np.inf, signed)  # NaN never counts as best
        running = np.minimum.accumulate(np.concatenate(([self.best], scored)))
        seconds = time.perf_counter() - self.t0
        for i in np.flatnonzero(scored < running[:-1]):  # each improvement, in order
            self.trace.append((self.count + int(i) + 1, self.sign * float(scored[i]), seconds))
        self.best = float(running[-1])
        if self.target is not None and self.hit is None:
            reached = np.flatnonzero(scored <= self.target)
            if reached.size:
                self.hit = self.count + int(reached[0]) + 1
        self.count += len(values)
        if self.count >= self.budget or (self.stop and self.hit is not None):
            raise BudgetSpent
        return signed


# --------------------------------------------------------------------- records
@dataclass(frozen=True)
class RunRecord:
    """One run: what the counting objective saw.

    Attributes
    ----------
    problem, optimizer : str
    seed, budget, evaluations : int
        ``evaluations <= budget`` always (fewer when the target was reached first or
        the optimiser stopped by itself).
    best : float
        Best value found, in the problem's own sense (NaN when nothing was evaluated).
    target : float or None
    reached : bool
    evals_to_target : int or None
        Index of the first evaluation that reached the target.
    time : float
        Wall seconds of the run.
    status : {"ok", "error", "unavailable"}
    error : str
        Why, for "error" (the exception) and "unavailable" (missing library, wrong kind
        of problem, a known bug of the peer); empty otherwise.
    trace : tuple of (int, float, float)
        Each improvement: (evaluation index, best value so far, seconds).

    Examples
    --------
    >>> r = RunRecord("sphere", "random", 0, 10, 10, 0.5, None, False, None, 0.01, "ok")
    >>> r.as_dict()["best"]
    0.5
    """

    problem: str
    optimizer: str
    seed: int
    budget: int
    evaluations: int
    best: float
    target: float | None
    reached: bool
    evals_to_target: int | None
    time: float
    status: str
    error: str = ""
    trace: tuple[tuple[int, float, float], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The run's fields without the trace (one table row)."""
        return {name: getattr(self, name) for name in _RUN_FIELDS}

    def best_at(self, evaluations: Any) -> np.ndarray:
        """Best value so far after each number of ``evaluations`` (NaN before the first)."""
        points = np.asarray(evaluations, dtype=float)
        if not self.trace:
            return np.full(points.shape, np.nan)
        at = np.array([t[0] for t in self.trace], dtype=float)
        values = np.array([t[1] for t in self.trace])
        index = np.searchsorted(at, points, side="right") - 1
        # after the run ended the best stays what it was (a step function)
        return np.where(index >= 0, values[np.maximum(index, 0)], np.nan)


@dataclass(frozen=True)
class _Task:
    problem: Problem
    optimizer: Any  # a registry name, or an Adapter object
    options: dict
    seed: int
    budget: int
    target: float | None
    stop_at_target: bool
    raise_errors: bool


def _run_one(task: _Task) -> RunRecord:
    """One run, in whichever process the executor gives it."""
    adapter = get_adapter(task.optimizer)
    problem = task.problem
    base = {
        "problem": problem.name,
        "optimizer": adapter.name,
        "seed": task.seed,
        "budget": task.budget,
        "target": task.target,
    }
    reason = adapter.unavailable(problem)
    if reason is not None:
        return RunRecord(
            **base,
            evaluations=0,
            best=math.nan,
            reached=False,
            evals_to_target=None,
            time=0.0,
            status="unavailable",
            error=reason,
        )
    counter = _Counter(problem, task.budget, task.target, task.stop_at_target)
    status, error = "ok", ""
    start = time.perf_counter()
    try:
        adapter.run(problem, counter, task.seed, problem.start(task.seed), **task.options)
    except Exception as exc:  # one failed run must not lose the comparison
        if task.raise_errors:
            raise
        status, error = "error", f"{type(exc).__name__}: {exc}".splitlines()[0]
    elapsed = time.perf_counter() - start
    best = problem.sign * counter.best if counter.count and np.isfinite(counter.best) else math.nan
    return RunRecord(
        **base,
        evaluations=counter.count,
        best=best,
        reached=counter.hit is not None,
        evals_to_target=counter.hit,
        time=elapsed,
        status=status,
        error=error,
        trace=tuple(counter.trace),
    )


# ------------------------------------------------------------------ comparison
@dataclass
class Comparison:
    """The records of a :func:`compare` run, with the facts needed to read them.

    Attributes
    ----------
    records : list of RunRecord
        One per (problem, optimiser, seed), in that nesting order.
    problems : dict
        Problem name -> ``{"kind", "dim", "sense", "optimum"}``.
    budget : int
    seeds : list of int
    optimizers : list of str

    Examples
    --------
    >>> result = compare(["sphere"], ["random"], budget=100, seeds=[0], dim=2)
    >>> result.rows()[0]["evaluations"], len(result.trace_rows()) >= 1
    (100, True)
    """

    records: list[RunRecord]
    problems: dict[str, dict[str, Any]]
    budget: int
    seeds: list[int]
    optimizers: list[str]
    settings: dict[str, Any] = field(default_factory=dict)

    # ---- tables
    def rows(self) -> list[dict[str, Any]]:
        """One dict per run (no traces)."""
        return [r.as_dict() for r in self.records]

    def trace_rows(self) -> list[dict[str, Any]]:
        """One dict per improvement of each run: the long table behind the curves."""
        return [
            {
                "problem": r.problem,
                "optimizer": r.optimizer,
                "seed": r.seed,
                "evaluations": e,
                "best": b,
                "time": t,
            }
            for r in self.records
            for e, b, t in r.trace
        ]

    def to_csv(self, path: str | PathLike, *, what: str = "runs") -> None:
        """Write the runs (``what="runs"``) or the traces (``what="trace"``) as CSV."""
        rows, header = self._table(what)
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=header)
            writer.writeheader()
            writer.writerows(rows)

    def to_frame(self, what: str = "runs") -> Any:
        """The runs or the traces as a pandas DataFrame (needs pandas)."""
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError(
                "Comparison.to_frame needs pandas (pip install pandas); use .rows() or "
                ".to_csv() without it."
            ) from exc
        rows, header = self._table(what)
        return pd.DataFrame(rows, columns=list(header))

    def _table(self, what: str) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
        if what == "runs":
            return self.rows(), _RUN_FIELDS
        if what == "trace":
            return self.trace_rows(), _TRACE_FIELDS
        raise ValueError(f"`what` must be 'runs' or 'trace', but got what={what!r}.")

    def to_json(self, path: str | PathLike | None = None) -> str:
        """Everything (records with traces, problems, budget, seeds) as JSON text,
        written to ``path`` when given. NaN and infinities are written as null."""
        document = {
            "budget": self.budget,
            "seeds": self.seeds,
            "optimizers": self.optimizers,
            "problems": self.problems,
            "settings": self.settings,
            "records": [{**r.as_dict(), "trace": [list(t) for t in r.trace]} for r in self.records],
        }
        text = json.dumps(_jsonable(document), indent=1)
        if path is not None:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
        return text

    @classmethod
    def from_json(cls, source: str | PathLike) -> Comparison:
        """Read what :meth:`to_json` wrote (a path, or the JSON text itself)."""
        text = str(source)
        if not text.lstrip().startswith("{"):
            with open(source, encoding="utf-8") as handle:
                text = handle.read()
        doc = json.loads(text)
        records = []
        for raw in doc["records"]:
            values = {k: raw[k] for k in _RUN_FIELDS}
            values["best"] = math.nan if values["best"] is None else values["best"]
            trace = tuple((int(e), float(b), float(t)) for e, b, t in raw.get("trace", []))
            records.append(RunRecord(**values, trace=trace))
        return cls(
            records,
            doc["problems"],
            doc["budget"],
            doc["seeds"],
            doc["optimizers"],
            doc.get("settings", {}),
        )

    # ---- reading the records
    def select(self, problem: str | None = None, optimizer: str | None = None) -> list[RunRecord]:
        """The records of one problem and/or optimiser."""
        return [
            r
            for r in self.records
            if (problem is None or r.problem == problem)
            and (optimizer is None or r.optimizer == optimizer)
        ]

    def reference(self, problem: str) -> tuple[float, float]:
        """``(f_ref, scale)`` for gaps: the known optimum (else the best value any run
        found) and ``max(1, |f_ref|)``."""
        info = self.problems[problem]
        ref = info["optimum"]
        if ref is None:
            found = [r.best for r in self.select(problem) if np.isfinite(r.best)]
            if not found:
                return math.nan, 1.0
            ref = max(found) if info["sense"] == "max" else min(found)
        return float(ref), max(1.0, abs(float(ref)))

    def gap(self, problem: str, values: Any) -> np.ndarray:
        """Distance to the reference, ``|f - f_ref| / max(1, |f_ref|)`` toward worse
        (0 at the optimum): the precision COCO's targets are stated in."""
        ref, scale = self.reference(problem)
        sign = 1.0 if self.problems[problem]["sense"] == "min" else -1.0
        return sign * (np.asarray(values, dtype=float) - ref) / scale

    def summary(self) -> Summary:
        """Success rate, evaluations to target and final values per (problem, optimiser)."""
        return Summary.of(self)

    def __repr__(self) -> str:
        return (
            f"Comparison({len(self.records)} runs: {len(self.problems)} problems x "
            f"{len(self.optimizers)} optimizers x {len(self.seeds)} seeds, "
            f"budget={self.budget})"
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return repr(value)


# --------------------------------------------------------------------- summary
@dataclass
class Summary:
    """Per (problem, optimiser): success rate, evaluations to target, final values.

    ``ert`` is COCO's expected running time: all evaluations spent (up to the target
    in successful runs, the whole run otherwise) divided by the number of successes
    (inf without any). Final values are in the problem's own sense; ``best`` and
    ``worst`` follow it (the largest cut is the best).

    Examples
    --------
    >>> s = compare(["sphere"], ["cemopt"], budget=3000, seeds=[0, 1], dim=2).summary()
    >>> s.rows[0]["success_rate"], s.columns[:3]
    (1.0, ('problem', 'optimizer', 'runs'))
    """

    rows: list[dict[str, Any]]
    columns: tuple[str, ...] = (
        "problem",
        "optimizer",
        "runs",
        "errors",
        "successes",
        "success_rate",
        "median_evals_to_target",
        "ert",
        "median",
        "q25",
        "q75",
        "best",
        "worst",
        "median_time",
        "note",
    )

    @classmethod
    def of(cls, comparison: Comparison) -> Summary:
        rows = []
        for problem in comparison.problems:
            maximise = comparison.problems[problem]["sense"] == "max"
            for optimizer in comparison.optimizers:
                runs = comparison.select(problem, optimizer)
                rows.append(cls._row(problem, optimizer, runs, maximise))
        return cls(rows)

    @staticmethod
    def _row(problem: str, optimizer: str, runs: list[RunRecord], maximise: bool) -> dict:
        done = [r for r in runs if r.status != "unavailable"]
        hits = [r.evals_to_target for r in done if r.reached]
        finals = np.array([r.best for r in done if np.isfinite(r.best)])
        spent = sum(r.evals_to_target if r.reached else r.evaluations for r in done)
        notes = sorted({r.error for r in runs if r.status == "unavailable"})
        notes += sorted({r.error for r in runs if r.status == "error"})[:1]
        q25, median, q75 = np.percentile(finals, [25, 50, 75]) if finals.size else [np.nan] * 3
        return {
            "problem": problem,
            "optimizer": optimizer,
            "runs": len(done),
            "errors": sum(r.status == "error" for r in runs),
            "successes": len(hits),
            "success_rate": len(hits) / len(done) if done else math.nan,
            "median_evals_to_target": float(np.median(hits)) if hits else math.nan,
            "ert": spent / len(hits) if hits else (math.inf if done else math.nan),
            "median": float(median),
            "q25": float(q25),
            "q75": float(q75),
            "best": float(finals.max() if maximise else finals.min()) if finals.size else math.nan,
            "worst": float(finals.min() if maximise else finals.max()) if finals.size else math.nan,
            "median_time": float(np.median([r.time for r in done])) if done else math.nan,
            "note": "; ".join(notes),
        }

    def to_frame(self) -> Any:
        """A pandas DataFrame (needs pandas)."""
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError("Summary.to_frame needs pandas (pip install pandas).") from exc
        return pd.DataFrame(self.rows, columns=list(self.columns))

    def to_markdown(self) -> str:
        """A markdown table: successes, median evaluations to target, ERT, final values."""
        head = (
            "| problem | optimizer | success | median evals to target | ERT | "
            "final median [IQR] | best | worst | time (s) |"
        )
        lines = [head, "|---|---|---|---|---|---|---|---|---|"]
        for row in self.rows:
            if row["runs"] == 0:
                cells = ["—"] * 7
                cells[0] = f"unavailable: {row['note']}"
            else:
                k = row["errors"]
                errors = f" ({k} error{'' if k == 1 else 's'})" if k else ""
                cells = [
                    f"{row['successes']}/{row['runs']}{errors}",
                    _num(row["median_evals_to_target"], "—"),
                    _num(row["ert"], "—"),
                    f"{_num(row['median'])} [{_num(row['q25'])}, {_num(row['q75'])}]",
                    _num(row["best"]),
                    _num(row["worst"]),
                    f"{row['median_time']:.2f}",
                ]
            lines.append(f"| {row['problem']} | {row['optimizer']} | " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_markdown()


def _num(value: float, missing: str = "nan") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    if math.isinf(value):
        return "∞"
    return f"{value:.4g}"


# ------------------------------------------------------------------ the runner
def compare(
    problems: Any,
    optimizers: Any = ("cemopt", "random", "differential_evolution"),
    *,
    budget: int,
    seeds: Iterable[int] = (0, 1, 2, 3, 4),
    target: float | Mapping[str, float] | None = None,
    dim: int = 10,
    stop_at_target: bool = True,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    executor: Executor | None = None,
    errors: str = "record",
    callback: Callable[[RunRecord], Any] | None = None,
) -> Comparison:
    """Run each optimiser on each problem with the same budget and seeds.

    Parameters
    ----------
    problems : str, object, or a sequence or dict of them
        Names from ``cemopt.problems.PROBLEMS`` (test functions in ``dim``
        dimensions; ``"maxcut"`` and ``"tsp"`` as in :data:`NAMED_DEFAULTS`),
        ``TestFunction``, ``MaxCut`` or ``TSP`` instances, or :class:`Problem` objects
        for your own black box. A dict gives the names.
    optimizers : str or sequence of str
        Names from :data:`OPTIMIZERS` (``"cemopt"``, ``"random"``,
        ``"differential_evolution"``, ``"dual_annealing"``, ``"cma"``,
        ``"multistart-ls"``) or ``"nevergrad:<Name>"``; an optimiser that cannot run
        on a problem (wrong kind, library missing, known bug) gives records with
        ``status="unavailable"`` and the reason.
    budget : int
        Objective evaluations per run (>= 1), the same for every optimiser.
    seeds : iterable of int
        One run per seed (non-negative, distinct); the same seeds for every optimiser.
        A continuous run starts from ``uniform(lower, upper)`` drawn from its seed.
    target : float or dict, optional
        Success threshold in the problem's own sense (a dict: per problem name).
        Default: the known optimum plus 1e-8 for continuous problems (COCO's final
        target), the exact optimum for discrete ones; none when unknown.
    dim : int, default 10
        Dimension of test functions given by name or as ``TestFunction``.
    stop_at_target : bool, default True
        End a run at its target (the evaluations saved show up in ERT).
    options : dict, optional
        Optimiser name -> keyword arguments for its adapter (e.g.
        ``{"cemopt": {"n_samples": 200}}``).
    executor : concurrent.futures.Executor, optional
        Runs are farmed out one per task; the records do not depend on it (apart from
        ``time``).
    errors : {"record", "raise"}
        "record": a run that raises becomes a record with ``status="error"``;
        "raise": the exception propagates, and unavailable optimisers raise
        ``ValueError`` before any run.
    callback : callable, optional
        ``callback(record)`` after each run (progress bars).

    Returns
    -------
    Comparison

    Examples
    --------
    >>> res = compare("maxcut", ["cemopt"], budget=20_000, seeds=[0])
    >>> res.records[0].reached, res.records[0].best == res.problems["maxcut"]["optimum"]
    (True, True)
    """
    budget = check_int(budget, "budget", minimum=1)
    dim = check_int(dim, "dim", minimum=1)
    seeds = _check_seeds(seeds)
    if errors not in ("record", "raise"):
        raise ValueError(f"`errors` must be 'record' or 'raise', but got errors={errors!r}.")
    if executor is not None and not callable(getattr(executor, "map", None)):
        raise TypeError(
            f"`executor` must be a concurrent.futures.Executor, but got executor={executor!r}."
        )
    if callback is not None and not callable(callback):
        raise TypeError(f"`callback` must be callable or None, but got callback={callback!r}.")
    resolved = _resolve_problems(problems, dim)
    adapters = _resolve_optimizers(optimizers)
    options = _check_options(options, adapters)
    if isinstance(target, Mapping) and set(target) - set(resolved):
        raise ValueError(
            f"`target` must name problems being compared ({sorted(resolved)}), "
            f"but got {sorted(set(target) - set(resolved))}."
        )
    targets = {name: _target(target, problem) for name, problem in resolved.items()}
    if errors == "raise":
        for problem in resolved.values():
            for adapter in adapters.values():
                reason = adapter.unavailable(problem)
                if reason is not None:
                    raise ValueError(f"`optimizers`: {adapter.name} cannot run: {reason}.")

    tasks = [
        _Task(
            problem,
            name if name in OPTIMIZERS or name.startswith("nevergrad:") else adapter,
            dict(options.get(name, {})),
            seed,
            budget,
            targets[problem.name],
            bool(stop_at_target),
            errors == "raise",
        )
        for problem in resolved.values()
        for name, adapter in adapters.items()
        for seed in seeds
    ]
    results = map(_run_one, tasks) if executor is None else executor.map(_run_one, tasks)
    records = []
    for record in results:
        records.append(record)
        if callback is not None:
            callback(record)
    return Comparison(
        records,
        {name: p.info() for name, p in resolved.items()},
        budget,
        list(seeds),
        list(adapters),
        {
            "stop_at_target": bool(stop_at_target),
            "options": {k: dict(v) for k, v in options.items()},
        },
    )


def _check_seeds(seeds: Any) -> list[int]:
    rule = "`seeds` must be a non-empty sequence of non-negative integers"
    try:
        values = list(seeds)
    except TypeError:
        raise TypeError(f"{rule}, but got seeds={seeds!r}.") from None
    if not values:
        raise ValueError(f"{rule}, but got seeds={seeds!r}.")
    values = [check_int(s, "seeds", minimum=0) for s in values]
    if len(set(values)) != len(values):
        raise ValueError(f"`seeds` must be distinct, but got seeds={values!r}.")
    return values


def _resolve_problems(problems: Any, dim: int) -> dict[str, Problem]:
    if isinstance(problems, Mapping):
        items = [(str(k), v) for k, v in problems.items()]
    elif isinstance(problems, (str, Problem)) or not isinstance(problems, Sequence):
        items = [(None, problems)]
    else:
        items = [(None, p) for p in problems]
    if not items:
        raise ValueError(f"`problems` must not be empty, but got problems={problems!r}.")
    resolved: dict[str, Problem] = {}
    for name, problem in items:
        p = Problem.from_object(problem, dim=dim, name=name)
        if p.name in resolved:
            raise ValueError(f"`problems` must have distinct names, but got {p.name!r} twice.")
        resolved[p.name] = p
    return resolved


def _resolve_optimizers(optimizers: Any) -> dict[str, Adapter]:
    items = [optimizers] if isinstance(optimizers, (str, Adapter)) else list(optimizers)
    if not items:
        raise ValueError(f"`optimizers` must not be empty, but got optimizers={optimizers!r}.")
    adapters: dict[str, Adapter] = {}
    for item in items:
        adapter = get_adapter(item)
        if adapter.name in adapters:
            raise ValueError(
                f"`optimizers` must have distinct names, but got {adapter.name!r} twice."
            )
        adapters[adapter.name] = adapter
    return adapters


def _check_options(options: Any, adapters: dict[str, Adapter]) -> dict[str, Mapping[str, Any]]:
    if options is None:
        return {}
    if not isinstance(options, Mapping) or not all(
        isinstance(v, Mapping) for v in options.values()
    ):
        raise TypeError(
            "`options` must be a dict of optimizer name -> dict of keyword arguments, "
            f"but got options={options!r}."
        )
    unknown = sorted(set(options) - set(adapters))
    if unknown:
        raise ValueError(
            f"`options` must name optimizers being compared ({sorted(adapters)}), "
            f"but got {unknown}."
        )
    return dict(options)


def _target(target: Any, problem: Problem) -> float | None:
    if isinstance(target, Mapping):
        value = target.get(problem.name)
        if value is None:
            return problem.default_target
        return check_real(value, "target")
    if target is None:
        return problem.default_target
    return check_real(target, "target")
