"""``cemopt compare``: cemopt against other optimisers on the same budgets and seeds."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from ._common import CLIError, Report, _check_input, _check_output, _count, _executor


def _compare(args: argparse.Namespace) -> Report:
    from .. import compare as cmp

    if args.list:
        return _list_optimizers(cmp.OPTIMIZERS)
    if not args.problems:
        raise CLIError("compare needs at least one PROBLEM (or --list)")
    for option in ("csv", "trace_csv", "output"):
        _check_output(getattr(args, option), "--" + option.replace("_", "-"))
    problems: dict[str, Any] = {}
    for item in args.problems:
        if item.lower().endswith((".tsp", ".atsp")) or os.sep in item:
            from cemopt.problems.tsp import TSP

            problem = TSP.from_tsplib(_check_input(item, "TSPLIB file"))
            problems[problem.name or Path(item).stem] = problem
        else:
            problems[item] = item
    options = None
    if args.options is not None:
        try:
            options = json.loads(args.options)
        except json.JSONDecodeError as exc:
            raise CLIError(f"--options must be JSON, e.g. '{{\"cemopt\": {{}}}}': {exc}") from None
    total = len(problems) * len(args.optimizers) * len(args.seeds)
    done = [0]

    def progress(record: Any) -> None:
        done[0] += 1
        width = 24
        filled = round(width * done[0] / total)
        sys.stderr.write(
            f"\r[{'#' * filled}{' ' * (width - filled)}] {done[0]}/{total} runs "
            f"({record.problem}, {record.optimizer}, seed {record.seed})\033[K"
        )
        sys.stderr.flush()

    with _executor(args) as pool:
        start = time.perf_counter()
        try:
            result = cmp.compare(
                problems,
                args.optimizers,
                budget=args.budget,
                seeds=args.seeds,
                target=args.target,
                dim=args.dim,
                stop_at_target=not args.no_stop_at_target,
                options=options,
                executor=pool,
                callback=progress if args.progress else None,
            )
        finally:
            if args.progress and done[0]:
                sys.stderr.write("\n")
        seconds = time.perf_counter() - start
    if args.csv:
        result.to_csv(args.csv)
    if args.trace_csv:
        result.to_csv(args.trace_csv, what="trace")
    if args.output:
        result.to_json(args.output)
    summary = result.summary()
    failed = [r for r in result.records if r.status == "error"]
    document = {
        "command": "compare",
        "summary": summary.rows,
        **json.loads(result.to_json()),
        "errors": len(failed),
        "seconds": round(seconds, 3),
    }
    reasons: dict[tuple[str, str, str], list[int]] = {}
    for r in failed:
        reasons.setdefault((r.problem, r.optimizer, r.error), []).append(r.seed)
    why = [
        f"  {problem}, {optimizer}, {_count(len(seeds), 'seed')} "
        f"({', '.join(map(str, seeds))}): {error}"
        for (problem, optimizer, error), seeds in reasons.items()
    ]
    written = [
        f"  {kind}: {path}"
        for kind, path in (
            ("runs (CSV)", args.csv),
            ("traces (CSV)", args.trace_csv),
            ("everything (JSON)", args.output),
        )
        if path
    ]
    lines = [
        f"{_count(len(problems), 'problem')} x {_count(len(result.optimizers), 'optimizer')} x "
        f"{_count(len(args.seeds), 'seed')}, budget {args.budget} evaluations ({seconds:.1f} s)",
        "",
        summary.to_markdown(),
        *(["", f"{_count(len(failed), 'run')} raised an error:", *why] if failed else []),
        *([""] + ["written:"] + written if written else []),
    ]

    def figure() -> Any:
        from ..plot import plot_ecdf

        return plot_ecdf(result)

    return document, lines, figure


def _list_optimizers(registry: dict[str, Any]) -> Report:
    import importlib.util

    rows = []
    for name, adapter in registry.items():
        module = getattr(adapter, "module", None)
        installed = module is None or importlib.util.find_spec(module) is not None
        rows.append(
            {
                "name": name,
                "spaces": list(adapter.spaces),
                "installed": installed,
                "description": getattr(adapter, "description", ""),
            }
        )
    width = max(len(r["name"]) for r in rows)
    lines = ["optimizers (also any 'nevergrad:<Name>' when nevergrad is installed):"]
    lines += [
        f"  {r['name']:<{width}}  {'/'.join(r['spaces']):<30} "
        f"{'' if r['installed'] else '(not installed) '}{r['description']}"
        for r in rows
    ]
    return {"command": "compare", "optimizers": rows}, lines, None
