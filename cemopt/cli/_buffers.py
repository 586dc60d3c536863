"""``cemopt buffers``: buffer allocation in a flow line of unreliable machines."""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

from ._common import CLIError, Report, _optimize_fields, _run_lines, _vector


def _buffers(args: argparse.Namespace) -> Report:
    from cemopt.problems import buffer_allocation as ba

    line = ba.FlowLine(args.rates, args.failure_rates, args.repair_rates)
    start = time.perf_counter()
    res = ba.solve(
        ba.BufferAllocation(line, args.slots),
        rng=args.seed,
        max_evals=args.max_evals,
        time_limit=args.time_limit,
        progress=args.progress,
        n_samples=args.n_samples,
        max_iter=args.max_iter,
        n_parts=args.n_parts,
    )
    seconds = time.perf_counter() - start
    exact = None
    if args.exact and res.x is not None:  # no allocation when no evaluation finished
        if not line.is_exponential:
            raise CLIError("--exact needs exponential processing, failure and repair times")
        exact = float(ba.exact_throughput(line, res.x))
    document = {
        "command": "buffers",
        "machines": line.n_machines,
        "slots": args.slots,
        "allocation": res.x,
        "throughput": res.fun,
        "std_error": getattr(res, "std_error", None),
        "exact_throughput": exact,
        **_optimize_fields(res, seconds),
    }
    exact_text = "" if exact is None else f" (exact {exact:.6g})"
    lines = [
        f"{line}: {args.slots} buffer slots over {line.n_machines - 1} buffers",
        f"  allocation  {_vector(res.x)}",
        f"  throughput  {res.fun:.6g} +- {getattr(res, 'std_error', math.nan):.2g}{exact_text}",
        *_run_lines(res, seconds),
    ]

    def figure() -> Any:
        from ..plot import plot_history

        return plot_history(res, title=f"buffer allocation, {args.slots} slots").figure

    return document, lines, figure
