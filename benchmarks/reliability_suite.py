"""Reliability problems: cemopt.failure_probability against OpenTURNS on the whole suite.

Every problem of ``cemopt.problems.limit_states.PROBLEMS`` (failure ``g(X) <= 0``, a
reference probability ``p`` exact or from a conditional Monte Carlo with a tiny
standard error), ``--seeds`` seeds each (default 10, seeds ``0 .. n-1``), and these
methods:

``cemopt``
    ``cemopt.failure_probability(g, marginals, correlation=..., rng=seed)`` with its
    defaults (two independent runs that must agree, improved CE levels, Gaussian or
    vMFN mixtures, 2000 samples per level, a fresh final sample).
``cemopt-5000`` (the number is ``--budget``)
    The same with ``max_evals=5000``: calls of ``g`` in all, final samples included.
``ot-ce``
    ``ot.StandardSpaceCrossEntropyImportanceSampling(event, 0.1)``: Gaussian CE
    (means and standard deviations) after OpenTURNS' isoprobabilistic transformation.
``ot-nais``
    ``ot.NAIS(event, 0.1)``, on the same event written in standard space (the input
    ``ot.Normal(d)`` and ``g`` composed with the inverse isoprobabilistic
    transformation: NAIS refuses bounded inputs such as RP14's and RP55's uniforms).
``ot-subset``
    ``ot.SubsetSampling(event)`` with ``setConditionalProbability(0.1)``.

OpenTURNS runs 1000 samples per level with rho (quantile level) 0.1. CE and NAIS draw a
level as one block (``setMaximumOuterSampling(1)``, ``setBlockSize(1000)``: the same
estimates, bit for bit, as 1000 blocks of one, but one vectorised call of ``g`` per
level); subset sampling keeps ``setMaximumOuterSampling(1000)`` with block size 1 (with
one block of 1000 it gives other, worse, estimates: mean 0.87 and spread 0.65 of
P(N(0,1) > 3.5) over 100 seeds against 1.00 and 0.40). ``ot.RandomGenerator.SetSeed(seed)``
before each run. The event is otbenchmark's (``otbenchmark.ReliabilityProblemNN()`` /
``FourBranchSerialSystemReliability()``: its distribution and its symbolic ``g``)
where otbenchmark has the problem and its formula parses; elsewhere (RP77 and RP110,
whose if/else programs OpenTURNS 1.27 does not parse, and ``lognormal_sum_30``,
``normal_sum_100``, ``normal_sum_1000``) it is our vectorised ``g`` composed with our
Nataf map (``LimitState.g_standard``) as an ``ot.PythonFunction`` (``func_sample``) of
``ot.Normal(d)`` inputs, the same probability in standard space, where all three
OpenTURNS algorithms work anyway. Each OpenTURNS run happens in a forked child with a
wall-clock limit (``--timeout``); a timeout, an exception or a crash is a *failed* run
(no answer); after ``--max-timeouts`` timeouts in a row, the method's remaining seeds on
that problem are not run and count as failed too.

Per problem and method (statistics over the runs that returned a finite estimate,
cemopt's flagged runs included):

* **mean / ref**: mean estimate over the reference;
* **RE emp**: sqrt(mean((p_hat - p)^2)) / p, the root mean square relative error
  against the reference (not the spread around the mean: bias counts);
* **CoV**: mean self-reported coefficient of variation (cemopt ``res.cov``,
  OpenTURNS ``getCoefficientOfVariation()``; OpenTURNS' CE and NAIS compute it on the
  sample the last proposal was fitted to);
* **calls**: mean calls of ``g`` (cemopt ``res.nfev``; OpenTURNS
  ``getEvaluationCallsNumber()`` of ``g``);
* **WNRV** = RE_emp^2 x calls (lower is better; crude Monte Carlo: (1 - p) / p), with
  a 95% chi-square interval (n squared errors about the true value: n degrees of
  freedom). With 10 seeds a WNRV is known to a factor of about 3 (the interval spans
  [0.49, 3.1] x WNRV), and for heavy-tailed estimators the interval is optimistic;
* **CPU s**: mean ``time.process_time()`` per run (in the child for OpenTURNS);
* **silent wrong**: runs that claim success (cemopt ``success=True``; OpenTURNS flags
  nothing, so every run that returned an answer claims it) and whose estimate is more
  than max(4 x its own standard error, 4% of p) from p (the reference's own standard
  error, at most 0.06% of p, is added in quadrature to the run's). A claimed NaN
  estimate is silent wrong;
* **flagged**: cemopt's ``success=False`` (it says it could not);
* **failed**: OpenTURNS runs with no answer (timeout, exception, crash, or not run
  after repeated timeouts), cemopt runs that raised.

The summary counts, per method, the problems with no silent wrong run, those with at
most one flagged run, and those where the method's WNRV and its RE emp are at or below
NAIS's (a problem where NAIS gave no finite estimate counts for the method when it has
one).

``--coverage``: the coverage of ``res.ci(0.95)`` of ``cemopt.failure_probability`` with
its defaults over ``--coverage-seeds`` seeds (default 200) on ``--coverage-problems``
(default ``normal_sum_100``, a hyperplane in 100 dimensions with an exact reference,
``RP75``, two failure regions, and ``four_branch``, four). A flagged run is not a
covered claim: covered/200 counts only successful runs whose interval holds p; the
coverage among successful runs is reported with the number of successes. The band is
the central 99% binomial interval of the number covered for a true 95% coverage.

Run:  python benchmarks/reliability_suite.py [--problems ...] [--seeds 10] [--methods ...]
      python benchmarks/reliability_suite.py --coverage
      (writes benchmarks/out/reliability_suite.json / reliability_coverage.json)
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import platform
import subprocess
import sys
import time
import traceback
import warnings
from _json import clean  # benchmarks/_json.py, beside this script
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import scipy
from scipy import stats

import cemopt as ce
from cemopt.problems.limit_states import PROBLEMS, LimitState

try:
    import openturns as ot
except ImportError:  # the OpenTURNS peers are optional
    ot = None

RHO = 0.1  # OpenTURNS quantile level (cemopt has no rho: its levels follow the CoV)
N_LEVEL = 1000  # OpenTURNS samples per level
WRONG_SE = 4.0  # silent wrong: more than max(4 SE, 4% of p) off
WRONG_REL = 0.04
OT_METHODS = ("ot-ce", "ot-nais", "ot-subset")
COVERAGE_PROBLEMS = ("normal_sum_100", "RP75", "four_branch")


# ----------------------------------------------------------------------------- cemopt
def run_cemopt(problem: LimitState, seed: int, max_evals: int | None) -> dict[str, Any]:
    cpu = time.process_time()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning: recorded as `flagged`
            res = ce.failure_probability(
                problem.g,
                problem.marginals,
                correlation=problem.correlation,
                max_evals=max_evals,
                rng=seed,
            )
    except Exception as exc:  # a crash is a failed run, reported, not the end
        return {
            "failed": True,
            "claimed": False,
            "flagged": False,
            "status": f"error: {type(exc).__name__}: {str(exc)[:200]}",
            "cpu_s": time.process_time() - cpu,
            "traceback": traceback.format_exc(),
        }
    low, high = res.ci(0.95)
    return {
        "failed": False,
        "claimed": bool(res.success),
        "flagged": not bool(res.success),
        "estimate": float(res.probability),
        "std_error": float(res.std_error),
        "cov": float(res.cov),
        "calls": int(res.nfev),
        "cpu_s": time.process_time() - cpu,
        "status": str(res.status),
        "ci95": [float(low), float(high)],
    }


# -------------------------------------------------------------------------- OpenTURNS
_OTB_CLASSES = {"four_branch": "FourBranchSerialSystemReliability"}


def _otbenchmark_event(name: str) -> Any | None:
    """otbenchmark's event for ``name``, or None where it has none or it does not parse."""
    cls = _OTB_CLASSES.get(name, f"ReliabilityProblem{name[2:]}" if name[:2] == "RP" else None)
    if cls is None:
        return None
    if not hasattr(ot, "ComposedDistribution"):  # otbenchmark 0.2.1 predates the rename
        ot.ComposedDistribution = ot.JointDistribution
    try:
        import otbenchmark
    except ImportError:
        return None
    try:
        event = getattr(otbenchmark, cls)().getEvent()
        event.getFunction()(event.getAntecedent().getDistribution().getMean())
    except Exception:  # RP77, RP110: OpenTURNS cannot parse their if/else programs
        return None
    return event


def openturns_model(name: str, problem: LimitState) -> tuple[Any, Any, Any, Any, str]:
    """``(distribution, g, operator, threshold, source)`` of the problem for OpenTURNS."""
    event = _otbenchmark_event(name)
    if event is not None:
        dist = event.getAntecedent().getDistribution()
        return dist, event.getFunction(), event.getOperator(), event.getThreshold(), "otbenchmark"
    d = problem.dim

    def g_sample(U: Any) -> np.ndarray:
        return np.asarray(problem.g_standard(np.asarray(U)), dtype=float)[:, None]

    g = ot.PythonFunction(d, 1, func_sample=g_sample)
    return ot.Normal(d), g, ot.LessOrEqual(), 0.0, "PythonFunction of g_standard"


def _openturns_algorithm(kind: str, name: str, problem: LimitState) -> tuple[Any, Any]:
    dist, g, operator, threshold, _ = openturns_model(name, problem)

    def event(function: Any, inputs: Any) -> Any:
        vector = ot.CompositeRandomVector(function, ot.RandomVector(inputs))
        return ot.ThresholdEvent(vector, operator, threshold)

    if kind == "ot-ce":
        algo = ot.StandardSpaceCrossEntropyImportanceSampling(event(g, dist), RHO)
    elif kind == "ot-nais":
        to_physical = dist.getInverseIsoProbabilisticTransformation()
        standard = event(ot.ComposedFunction(g, to_physical), ot.Normal(dist.getDimension()))
        algo = ot.NAIS(standard, RHO)
    elif kind == "ot-subset":
        algo = ot.SubsetSampling(event(g, dist))
        algo.setConditionalProbability(RHO)
        algo.setMaximumOuterSampling(N_LEVEL)
        algo.setBlockSize(1)
        return algo, g
    else:
        raise ValueError(kind)
    algo.setMaximumOuterSampling(1)
    algo.setBlockSize(N_LEVEL)
    return algo, g


def _openturns_child(kind: str, name: str, seed: int, conn: Any) -> None:
    try:
        problem = PROBLEMS[name]()
        ot.RandomGenerator.SetSeed(seed)
        cpu = time.process_time()
        algo, g = _openturns_algorithm(kind, name, problem)
        algo.run()
        result = algo.getResult()
        cpu = time.process_time() - cpu
        estimate = float(result.getProbabilityEstimate())
        cov = float(result.getCoefficientOfVariation())
        conn.send(
            {
                "failed": False,
                "claimed": True,  # OpenTURNS flags nothing: an answer is a claim
                "flagged": False,
                "estimate": estimate,
                "std_error": abs(cov * estimate),
                "cov": cov,
                "calls": int(g.getEvaluationCallsNumber()),
                "cpu_s": cpu,
                "status": "ok",
            }
        )
    except Exception as exc:  # an OpenTURNS exception is a failed run, not a crash
        message = f"error: {type(exc).__name__}: {str(exc).strip()[:200]}"
        conn.send(
            {
                "failed": True,
                "claimed": False,
                "flagged": False,
                "status": message,
                "traceback": traceback.format_exc(),
            }
        )
    finally:
        conn.close()


def run_openturns(name: str, seed: int, kind: str, timeout: float) -> dict[str, Any]:
    """One OpenTURNS run in a forked child, killed after ``timeout`` wall seconds."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_openturns_child, args=(kind, name, seed, send))
    start = time.perf_counter()
    child.start()
    send.close()
    record, answered = None, receive.poll(timeout)
    if answered:
        try:
            record = receive.recv()
        except EOFError:  # the child died without answering
            record = None
    child.join(max(0.0, timeout - (time.perf_counter() - start)) + 1.0)
    if child.is_alive():
        child.kill()
        child.join()
    if not answered:  # nothing within the limit (a crash closes the pipe: poll is True)
        return {
            "failed": True,
            "claimed": False,
            "flagged": False,
            "timeout": True,
            "status": f"timeout {timeout:g}s",
        }
    if record is None:
        return {
            "failed": True,
            "claimed": False,
            "flagged": False,
            "status": f"crash (exit code {child.exitcode})",
        }
    return record


# ---------------------------------------------------------------------------- summary
def is_silent_wrong(record: dict[str, Any], problem: LimitState) -> bool:
    """A claimed answer more than max(4 SE, 4% of p) from the reference p."""
    if not record.get("claimed"):
        return False
    p, estimate = problem.probability, record["estimate"]
    if not math.isfinite(estimate):
        return True
    se = record.get("std_error", math.nan)
    se = math.hypot(se, problem.std_error) if math.isfinite(se) else 0.0
    return abs(estimate - p) > max(WRONG_SE * se, WRONG_REL * p)


def summarise(records: list[dict[str, Any]], problem: LimitState, seeds: int) -> dict[str, Any]:
    p = problem.probability
    finite = [r for r in records if not r["failed"] and math.isfinite(r["estimate"])]
    out: dict[str, Any] = {
        "runs": seeds,
        "finite": len(finite),
        "silent_wrong": sum(is_silent_wrong(r, problem) for r in records),
        "flagged": sum(bool(r.get("flagged")) for r in records),
        "failed": sum(bool(r["failed"]) for r in records) + seeds - len(records),
        "not_run": seeds - len(records),
        "statuses": dict(Counter(r["status"] for r in records)),
    }
    answered = [r for r in records if not r["failed"]]
    if answered:
        out["calls"] = float(np.mean([r["calls"] for r in answered]))
        out["cpu_s"] = float(np.mean([r["cpu_s"] for r in answered]))
    if not finite:
        return out
    estimates = np.array([r["estimate"] for r in finite])
    covs = np.array([r["cov"] for r in finite], dtype=float)
    n = len(estimates)
    re2 = float(np.mean(((estimates - p) / p) ** 2))
    calls = float(np.mean([r["calls"] for r in finite]))
    wnrv = re2 * calls
    out.update(
        mean_ratio=float(estimates.mean() / p),
        re=math.sqrt(re2),
        cov=float(np.nanmean(covs)) if np.isfinite(covs).any() else math.nan,
        calls_finite=calls,
        wnrv=wnrv,
        # n squared errors about the true value: chi-square with n degrees of freedom
        wnrv_ci=(
            wnrv * n / float(stats.chi2.ppf(0.975, n)),
            wnrv * n / float(stats.chi2.ppf(0.025, n)),
        ),
    )
    return out


def _g(x: Any, digits: int = 3) -> str:
    if x is None or not math.isfinite(x):
        return "nan"
    return f"{x:.{digits}g}"


def _count(s: dict[str, Any], key: str) -> str:
    return f"{s[key]}" if s[key] else "0"


def detail_table(summaries: dict[str, dict[str, dict[str, Any]]], methods: list[str]) -> str:
    lines = [
        "| problem | p | method | mean / ref | RE emp | CoV | calls | WNRV [95% CI] | CPU s "
        "| silent wrong | flagged | failed |",
        "|---" * 12 + "|",
    ]
    for name, rows in summaries.items():
        p = PROBLEMS[name]().probability
        for method in methods:
            s = rows.get(method)
            if s is None:
                continue
            if "skipped" in s:
                skipped = f"| {name} | {p:.3e} | {method} | skipped: {s['skipped']} |"
                lines.append(skipped + " |" * 8)
                continue
            head = f"| {name} | {p:.3e} | {method} |"
            counts = f"| {s['silent_wrong']} | {s['flagged']} | {s['failed']} |"
            if not s["finite"]:
                why = ", ".join(sorted(s["statuses"]))
                calls = f"{s['calls']:.0f}" if "calls" in s else ""
                cpu = f"{s['cpu_s']:.2f}" if "cpu_s" in s else ""
                lines.append(f"{head} no estimate ({why}) | | | {calls} | | {cpu} {counts}")
                continue
            name_n = "" if s["finite"] == s["runs"] else f" ({s['finite']} finite)"
            low, high = s["wnrv_ci"]
            lines.append(
                f"{head} {_g(s['mean_ratio'], 4)}{name_n} | {_g(s['re'])} | {_g(s['cov'])} "
                f"| {s['calls_finite']:.0f} | {_g(s['wnrv'])} [{_g(low, 2)}, {_g(high, 2)}] "
                f"| {s['cpu_s']:.2f} {counts}"
            )
    return "\n".join(lines)


def matrix_table(
    summaries: dict[str, dict[str, dict[str, Any]]], methods: list[str], cell: Any, title: str
) -> str:
    lines = [f"| {title} | " + " | ".join(methods) + " |", "|---" * (len(methods) + 1) + "|"]
    for name, rows in summaries.items():
        cells = []
        for method in methods:
            s = rows.get(method)
            cells.append("" if s is None else ("skipped" if "skipped" in s else cell(s)))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _counts_cell(s: dict[str, Any]) -> str:
    return f"{s['silent_wrong']} / {s['flagged']} / {s['failed']}"


def _wnrv_cell(s: dict[str, Any]) -> str:
    if not s["finite"]:
        return "-"
    mark = "" if s["finite"] == s["runs"] else f" ({s['finite']})"
    return f"{_g(s['wnrv'])}{mark}"


def _re_cell(s: dict[str, Any]) -> str:
    if not s["finite"]:
        return "-"
    mark = "" if s["finite"] == s["runs"] else f" ({s['finite']})"
    return f"{_g(s['re'], 2)}{mark}"


def _at_or_below(mine: dict[str, Any] | None, nais: dict[str, Any] | None, key: str) -> bool | None:
    """``mine[key] <= nais[key]``; None when the comparison is not possible."""
    if mine is None or nais is None or "skipped" in mine or "skipped" in nais:
        return None
    if not mine.get("finite"):
        return False
    if not nais.get("finite"):
        return True
    return mine[key] <= nais[key]


def summary_table(summaries: dict[str, dict[str, dict[str, Any]]], methods: list[str]) -> str:
    lines = [
        "| method | problems run | no silent wrong run | at most 1 flagged run "
        "| WNRV <= NAIS's | RE emp <= NAIS's | silent wrong runs | flagged runs | failed runs |",
        "|---" * 9 + "|",
    ]
    for method in methods:
        rows = [s[method] for s in summaries.values() if method in s and "skipped" not in s[method]]
        wnrv = [_at_or_below(s.get(method), s.get("ot-nais"), "wnrv") for s in summaries.values()]
        re = [_at_or_below(s.get(method), s.get("ot-nais"), "re") for s in summaries.values()]
        compared = sum(v is not None for v in wnrv)
        lines.append(
            f"| {method} | {len(rows)} | {sum(s['silent_wrong'] == 0 for s in rows)} "
            f"| {sum(s['flagged'] <= 1 for s in rows)} "
            f"| {sum(bool(v) for v in wnrv)} of {compared} "
            f"| {sum(bool(v) for v in re)} of {compared} "
            f"| {sum(s['silent_wrong'] for s in rows)} | {sum(s['flagged'] for s in rows)} "
            f"| {sum(s['failed'] for s in rows)} |"
        )
    return "\n".join(lines)


# ------------------------------------------------------------------------------ utils
def versions() -> dict[str, str]:
    out = {
        "cemopt": ce.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "python": platform.python_version(),
        "commit": commit(),
        "openturns": ot.__version__ if ot is not None else "not installed",
    }
    try:
        import otbenchmark

        out["otbenchmark"] = otbenchmark.__version__
    except Exception:
        out["otbenchmark"] = "not installed"
    return out


def commit() -> str:
    """The commit (``+dirty`` when cemopt/ or problems/limit_states.py differ from it)."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "cemopt", "problems/limit_states.py"],
            cwd=root,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return (head or "unknown") + ("+dirty" if dirty else "")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            names = [line.split(":", 1)[1].strip() for line in handle if "model name" in line]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()}"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------ modes
def run_suite(args: argparse.Namespace) -> None:
    budget_name = f"cemopt-{args.budget}"
    known = ["cemopt", budget_name, *OT_METHODS]
    methods = args.methods or known
    for method in methods:
        if method not in known:
            raise SystemExit(f"unknown method {method!r}; choose from {known}")
    if ot is None:
        print("# note: `import openturns` failed; the ot-* methods are skipped")
    seeds = list(range(args.seeds))
    wall = time.perf_counter()
    summaries: dict[str, dict[str, dict[str, Any]]] = {}
    records: list[dict[str, Any]] = []
    sources: dict[str, str] = {}
    meta = {
        "versions": versions(),
        "machine": machine(),
        "seeds": args.seeds,
        "budget": args.budget,
        "timeout_s": args.timeout,
        "max_timeouts": args.max_timeouts,
        "rho": RHO,
        "n_per_level": N_LEVEL,
        "command": " ".join(sys.argv),
    }
    for name in args.problems:
        problem = PROBLEMS[name]()
        summaries[name] = {}
        if ot is not None:
            sources[name] = openturns_model(name, problem)[4]
        for method in methods:
            if method.startswith("ot-") and ot is None:
                summaries[name][method] = {"skipped": "openturns is not installed"}
                continue
            rows: list[dict[str, Any]] = []
            timeouts = 0
            for seed in seeds:
                if method.startswith("ot-"):
                    if timeouts >= args.max_timeouts:
                        break
                    record = run_openturns(name, seed, method, args.timeout)
                    timeouts = timeouts + 1 if record.get("timeout") else 0
                else:
                    budget = None if method == "cemopt" else args.budget
                    record = run_cemopt(problem, seed, budget)
                record["silent_wrong"] = is_silent_wrong(record, problem)
                record.update(problem=name, method=method, seed=seed)
                rows.append(record)
            records.extend(rows)
            summaries[name][method] = summary = summarise(rows, problem, len(seeds))
            _log(
                f"{name:>17} {method:>12}: ratio {_g(summary.get('mean_ratio', math.nan), 4)} "
                f"RE {_g(summary.get('re', math.nan))} silent wrong {summary['silent_wrong']} "
                f"flagged {summary['flagged']} failed {summary['failed']} "
                f"({time.perf_counter() - wall:.0f} s)"
            )
        meta["wall_s"] = time.perf_counter() - wall
        meta["openturns_models"] = sources
        args.out.parent.mkdir(parents=True, exist_ok=True)
        payload = {"meta": meta, "summaries": summaries, "records": records}
        args.out.write_text(json.dumps(clean(payload), indent=1))
    print_report(summaries, methods, sources, args)
    print(f"# wall time {time.perf_counter() - wall:.0f} s; JSON: {args.out}")


def print_report(
    summaries: dict[str, dict[str, dict[str, Any]]],
    methods: list[str],
    sources: dict[str, str],
    args: argparse.Namespace,
) -> None:
    print(
        "# "
        + ", ".join(f"{k} {v}" for k, v in versions().items())
        + f"; {machine()}; {args.seeds} seeds (0..{args.seeds - 1}) per problem and method; "
        f"OpenTURNS: rho {RHO}, {N_LEVEL} samples per level, {args.timeout:g} s wall per run"
    )
    print(
        "# RE emp = RMS of (p_hat - p)/p over the finite estimates; CoV = mean self-reported; "
        "WNRV = RE_emp^2 x mean calls [95% chi-square]; silent wrong = success claimed and "
        f"more than max({WRONG_SE:g} SE, {WRONG_REL:.0%} of p) off; flagged = success=False; "
        "failed = no answer"
    )
    other = {n: s for n, s in sources.items() if s != "otbenchmark"}
    if other:
        print(f"# OpenTURNS event from our g (PythonFunction in standard space): {sorted(other)}")
    print()
    print(summary_table(summaries, methods))
    print()
    print(matrix_table(summaries, methods, _counts_cell, "silent wrong / flagged / failed"))
    print()
    print(matrix_table(summaries, methods, _wnrv_cell, "WNRV"))
    print()
    print(matrix_table(summaries, methods, _re_cell, "RE emp"))
    print()
    print(detail_table(summaries, methods))
    print()


def merge_runs(args: argparse.Namespace) -> None:
    """The report of saved runs: each file's (problem, method) rows replace those of
    the files before it (a rerun of some methods or problems after a change)."""
    rows: dict[tuple[str, str], list[dict[str, Any]]] = {}
    sources: dict[str, str] = {}
    for path in args.merge:
        payload = json.loads(Path(path).read_text())
        sources.update(payload["meta"].get("openturns_models", {}))
        fresh: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for record in payload["records"]:
            # the JSON holds NaN as null (see _json.clean)
            for key in ("estimate", "std_error", "cov"):
                if key in record and record[key] is None:
                    record[key] = math.nan
            fresh.setdefault((record["problem"], record["method"]), []).append(record)
        rows.update(fresh)
        command = payload["meta"].get("command", "")
        run_at = payload["meta"].get("versions", {}).get("commit", "?")
        print(f"# {path}: {command}, run at commit {run_at} ({len(fresh)} problem-method pairs)")
    methods = list(dict.fromkeys(m for _, m in rows))
    order = ["cemopt", f"cemopt-{args.budget}", *OT_METHODS]
    methods.sort(key=lambda m: order.index(m) if m in order else len(order))
    summaries: dict[str, dict[str, dict[str, Any]]] = {}
    for name in [n for n in PROBLEMS if any(p == n for p, _ in rows)]:
        problem = PROBLEMS[name]()
        summaries[name] = {
            method: summarise(rows[(name, method)], problem, args.seeds)
            for method in methods
            if (name, method) in rows
        }
    print_report(summaries, methods, sources, args)


def binomial_band(n: int, coverage: float = 0.95, level: float = 0.99) -> tuple[int, int]:
    """The central ``level`` interval of Binomial(n, coverage)."""
    tail = (1 - level) / 2
    return int(stats.binom.ppf(tail, n, coverage)), int(stats.binom.isf(tail, n, coverage))


def run_coverage(args: argparse.Namespace) -> None:
    wall = time.perf_counter()
    seeds = list(range(args.coverage_seeds))
    rows = []
    records: list[dict[str, Any]] = []
    for name in args.coverage_problems:
        problem = PROBLEMS[name]()
        p = problem.probability
        covered = succeeded = covered_any = 0
        cpu = 0.0
        for seed in seeds:
            record = run_cemopt(problem, seed, None)
            low, high = record.get("ci95", (math.nan, math.nan))
            holds = bool(low <= p <= high)
            record.update(problem=name, seed=seed, covers=holds)
            records.append(record)
            succeeded += record["claimed"]
            covered += record["claimed"] and holds
            covered_any += holds
            cpu += record["cpu_s"]
        n = len(seeds)
        low_n, high_n = binomial_band(n)
        band_s = binomial_band(succeeded) if succeeded else (0, 0)
        rows.append(
            {
                "problem": name,
                "p": p,
                "runs": n,
                "covered": covered,
                "band": (low_n, high_n),
                "succeeded": succeeded,
                "flagged": n - succeeded,
                "covered_among_successes": covered / succeeded if succeeded else math.nan,
                "band_successes": band_s,
                "covered_any": covered_any,
                "cpu_s": cpu / n,
            }
        )
        elapsed = time.perf_counter() - wall
        _log(f"{name}: covered {covered}/{n}, successes {succeeded} ({elapsed:.0f} s)")
        args.coverage_out.parent.mkdir(parents=True, exist_ok=True)
        meta = {"versions": versions(), "machine": machine(), "command": " ".join(sys.argv)}
        payload = {"meta": meta, "rows": rows, "records": records}
        args.coverage_out.write_text(json.dumps(clean(payload), indent=1))
    wall = time.perf_counter() - wall
    print(
        "# "
        + ", ".join(f"{k} {v}" for k, v in versions().items())
        + f"; {machine()}; cemopt.failure_probability defaults, seeds 0..{len(seeds) - 1}; "
        "interval res.ci(0.95); band = central 99% of Binomial(n, 0.95)"
    )
    print()
    print(
        "| problem | p | covered (successful runs) / runs | 99% band | flagged "
        "| coverage among successes | its 99% band | any interval holds p | CPU s/run |"
    )
    print("|---" * 9 + "|")
    for r in rows:
        n, s = r["runs"], r["succeeded"]
        lo, hi = r["band"]
        slo, shi = r["band_successes"]
        among = f"{r['covered']}/{s} = {r['covered_among_successes']:.1%}" if s else "-"
        print(
            f"| {r['problem']} | {r['p']:.4e} | {r['covered']}/{n} = {r['covered'] / n:.1%} "
            f"| {lo}-{hi} ({lo / n:.1%}-{hi / n:.1%}) | {r['flagged']} | {among} "
            f"| {slo}-{shi} ({slo / max(s, 1):.1%}-{shi / max(s, 1):.1%}) "
            f"| {r['covered_any']}/{n} | {r['cpu_s']:.2f} |"
        )
    print()
    print(f"# wall time {wall:.0f} s; JSON: {args.coverage_out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=list(PROBLEMS))
    parser.add_argument("--seeds", type=int, default=10, help="seeds 0..n-1 per problem")
    parser.add_argument(
        "--methods",
        nargs="+",
        default=None,
        help="cemopt, cemopt-<budget>, ot-ce, ot-nais, ot-subset (default: all)",
    )
    parser.add_argument(
        "--budget", type=int, default=5000, help="max_evals of the cemopt-<budget> method"
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="wall s per OpenTURNS run")
    parser.add_argument(
        "--max-timeouts",
        type=int,
        default=2,
        help="after this many OpenTURNS timeouts in a row, skip the method's other seeds",
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/reliability_suite.json"))
    parser.add_argument(
        "--merge",
        nargs="+",
        type=Path,
        default=None,
        help="print the report of saved JSON runs (later files replace earlier rows)",
    )
    parser.add_argument("--coverage", action="store_true", help="run the coverage check instead")
    parser.add_argument("--coverage-seeds", type=int, default=200)
    parser.add_argument(
        "--coverage-problems", nargs="+", default=list(COVERAGE_PROBLEMS), choices=list(PROBLEMS)
    )
    parser.add_argument(
        "--coverage-out", type=Path, default=Path("benchmarks/out/reliability_coverage.json")
    )
    args = parser.parse_args()
    if args.merge:
        merge_runs(args)
    elif args.coverage:
        run_coverage(args)
    else:
        run_suite(args)


if __name__ == "__main__":
    main()
