"""CVRP benchmark: CE over giant tours (with and without local search) against PyVRP.

On the 20 CVRPLIB instances of ``../shared/data/cvrplib`` (sets A, E, P with the
fleet size k of the name, set X with an unlimited fleet: the conventions under which
the optima in ``cemopt.problems.vrp.OPTIMA`` were proven), for seeds ``0 .. S-1``:

* ``ce``: plain CE, ``cemopt.problems.vrp.solve(problem, rng=seed, time_limit=T,
  local_search=False)``, defaults otherwise (target = the optimum, so a run that finds
  it stops early);
* ``ce+ls``: the same with the default ``local_search=True`` (relocate, or-opt, swap,
  SWAP*, 2-opt, 2-opt* on the best tours of every batch);
* ``pyvrp``: PyVRP's hybrid genetic search (``pyvrp.solve``, ``MaxRuntime`` = the
  mean seconds of ``ce+ls`` on that instance, at least 0.1 s; instance read with
  ``pyvrp.read(path, round_func="round")``, vehicles limited to k for A, E, P).
  Skipped with a note when ``import pyvrp`` fails.

Columns: best and mean gap to the proven optimum, ``100 (cost / optimum - 1)`` %, and
mean wall seconds per run. One process, one core.

Run from the repository root (the full run: 20 instances x 5 seeds x (<= 30 + 30 +
30 s) <= about 2.5 h, less where the optimum is found early)::

    python benchmarks/cvrp.py --seeds 5 --time-limit 30

A quick check: ``python benchmarks/cvrp.py --seeds 1 --time-limit 10 --instances
P-n16-k8,A-n32-k5,E-n76-k7,X-n101-k25``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from cemopt.problems.vrp import CVRP, solve

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "cvrplib"


def run_ce(problem: CVRP, seed: int, local_search: bool, time_limit: float) -> dict[str, Any]:
    """One CE run: cost, gap, seconds, status."""
    start = time.perf_counter()
    res = solve(problem, rng=seed, local_search=local_search, time_limit=time_limit)
    seconds = time.perf_counter() - start
    problem.check_routes(res.x)
    return {
        "cost": res.fun,
        "gap": 100.0 * (res.fun / problem.optimum - 1.0),
        "seconds": seconds,
        "status": res.status,
        "routes": len(res.x),
    }


def run_pyvrp(path: Path, problem: CVRP, seed: int, seconds: float) -> dict[str, Any]:
    """One PyVRP run with a wall-clock limit of ``seconds``."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    data = pyvrp.read(path, round_func="round")
    if problem.max_vehicles is not None:
        vehicle = data.vehicle_type(0)
        data = data.replace(vehicle_types=[vehicle.replace(num_available=problem.max_vehicles)])
    start = time.perf_counter()
    res = pyvrp.solve(data, stop=MaxRuntime(seconds), seed=seed, display=False)
    elapsed = time.perf_counter() - start
    cost = float(res.cost()) if res.is_feasible() else float("nan")
    return {
        "cost": cost,
        "gap": 100.0 * (cost / problem.optimum - 1.0),
        "seconds": elapsed,
        "status": "feasible" if res.is_feasible() else "infeasible",
        "routes": int(res.best.num_routes()),
    }


def summary(runs: list[dict[str, Any]]) -> dict[str, float]:
    gaps = np.array([r["gap"] for r in runs], dtype=float)
    return {
        "best_gap": float(np.nanmin(gaps)) if np.isfinite(gaps).any() else float("nan"),
        "mean_gap": float(np.nanmean(gaps)) if np.isfinite(gaps).any() else float("nan"),
        "seconds": float(np.mean([r["seconds"] for r in runs])),
        "n_optimal": int(np.sum(np.isclose(gaps, 0.0))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument(
        "--first-seed", type=int, default=0, help="seeds FIRST .. FIRST+SEEDS-1 (default 0)"
    )
    parser.add_argument("--time-limit", type=float, default=30.0, help="seconds per CE run")
    parser.add_argument(
        "--instances", default="", help="comma-separated names (default: all in the folder)"
    )
    parser.add_argument("--methods", default="ce,ce+ls,pyvrp")
    parser.add_argument("--data", type=Path, default=SHARED)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/cvrp.json"))
    args = parser.parse_args()

    if not args.data.is_dir():
        print(f"Skipped: CVRPLIB data not found at {args.data} (../shared is absent).")
        return
    paths = sorted(
        args.data.glob("*.vrp"), key=lambda p: (p.stem[0], int(p.stem.split("-")[1][1:]))
    )
    if args.instances:
        wanted = args.instances.split(",")
        paths = [p for p in paths if p.stem in wanted]
    methods = args.methods.split(",")
    notes = []
    if "pyvrp" in methods:
        try:
            import pyvrp  # noqa: F401
        except ImportError:
            methods.remove("pyvrp")
            notes.append("PyVRP skipped: `import pyvrp` failed.")

    records: list[dict[str, Any]] = []
    rows = []
    for path in paths:
        problem = CVRP.from_vrplib(path)
        row: dict[str, Any] = {"instance": path.stem, "n": problem.n_customers}
        for method in methods:
            runs = []
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                if method == "pyvrp":
                    ref = row.get("ce+ls", row.get("ce"))
                    seconds = max(0.1, ref["seconds"]) if ref else args.time_limit
                    run = run_pyvrp(path, problem, seed, seconds)
                else:
                    run = run_ce(problem, seed, method == "ce+ls", args.time_limit)
                run.update(instance=path.stem, method=method, seed=seed)
                records.append(run)
                runs.append(run)
            row[method] = summary(runs)
            print(
                f"{path.stem:12s} {method:6s} best {row[method]['best_gap']:6.2f}% "
                f"mean {row[method]['mean_gap']:6.2f}% {row[method]['seconds']:6.1f} s",
                flush=True,
            )
        rows.append(row)

    header = "| instance | n | " + " | ".join(f"{m} best % | {m} mean % | {m} s" for m in methods)
    lines = [header + " |", "|---|---|" + "---|---|---|" * len(methods)]
    for row in rows:
        cells = [row["instance"], str(row["n"])]
        for m in methods:
            s = row[m]
            cells += [f"{s['best_gap']:.2f}", f"{s['mean_gap']:.2f}", f"{s['seconds']:.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    if rows:
        means = ["**mean**", ""]
        for m in methods:
            means += [
                f"{np.nanmean([r[m]['best_gap'] for r in rows]):.2f}",
                f"{np.nanmean([r[m]['mean_gap'] for r in rows]):.2f}",
                f"{np.mean([r[m]['seconds'] for r in rows]):.1f}",
            ]
        lines.append("| " + " | ".join(means) + " |")
    table = "\n".join(lines)
    print()
    print(
        f"seeds {args.first_seed}..{args.first_seed + args.seeds - 1}, "
        f"CE time limit {args.time_limit:g} s, "
        f"{platform.processor() or platform.machine()}"
    )
    print(table)
    for note in notes:
        print(note)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {"args": {k: str(v) for k, v in vars(args).items()}, "notes": notes, "runs": records},
            indent=1,
        )
    )
    args.out.with_suffix(".md").write_text(table + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
