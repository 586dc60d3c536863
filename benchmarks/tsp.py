"""CE on TSPLIB instances: plain CE, CE with local search, OR-Tools and LKH (elkai).

Instances: ATSP ftv33, ftv35, ftv38, p43, ry48p, ft53 and TSP eil51, berlin52, st70,
kroA100, read from ``../shared/data/tsplib`` (relative to the repository root;
skipped with a note when absent). For each instance and seed, ``solve`` runs with its
defaults (``local_search=False`` for plain CE, the default ``local_search=True`` otherwise),
stopping at the known optimum or after ``--time-limit`` seconds. Reported: the best,
mean and worst gap to the optimum in %, how many runs hit the optimum, and seconds
per run (wall clock). Beside them, where installed: OR-Tools routing (guided local
search, time limit = the mean time of CE + local search on that instance, at least
1 s) and elkai (LKH-3, one run) as the quality ceiling.

``--instances`` may also name any other instance of the shared data (ftv170, a280,
rbg323, lin318, ...).

Run:  python benchmarks/tsp.py [--seeds 10] [--first-seed 0] [--instances ftv33,eil51]
      [--time-limit 55] [--methods CE,CE+LS] [--no-peers] [--candidates K]
Writes ``benchmarks/out/tsp.json`` (raw runs) and ``benchmarks/out/tsp.md`` (table).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from cemopt.problems.tsp import TSP, solve

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "tsplib"
INSTANCES = (
    "atsp/ftv33.atsp",
    "atsp/ftv35.atsp",
    "atsp/ftv38.atsp",
    "atsp/p43.atsp",
    "atsp/ry48p.atsp",
    "atsp/ft53.atsp",
    "tsp/eil51.tsp",
    "tsp/berlin52.tsp",
    "tsp/st70.tsp",
    "tsp/kroA100.tsp",
)


def gap(value: float, optimum: float) -> float:
    """Percentage above the optimum."""
    return 100.0 * (value / optimum - 1.0)


def run_ce(
    problem: TSP, seeds: range, local_search: bool, time_limit: float, **options: Any
) -> list[dict]:
    runs = []
    for seed in seeds:
        started = time.perf_counter()
        res = solve(problem, rng=seed, local_search=local_search, time_limit=time_limit, **options)
        seconds = time.perf_counter() - started
        runs.append(
            {
                "seed": seed,
                "fun": res.fun,
                "gap": gap(res.fun, problem.optimum),
                "seconds": seconds,
                "nit": res.nit,
                "nfev": res.nfev,
                "status": res.status,
            }
        )
        print(
            f"  {'CE+LS' if local_search else 'CE   '} seed {seed}: {res.fun:g} "
            f"({runs[-1]['gap']:.2f} %) {seconds:.1f} s {res.status}",
            flush=True,
        )
    return runs


def run_ortools(problem: TSP, seconds: float) -> dict | None:
    try:
        from ortools.constraint_solver import pywrapcp, routing_enums_pb2
    except ImportError:
        return None
    d = np.rint(problem.distances).astype(np.int64)
    manager = pywrapcp.RoutingIndexManager(problem.n, 1, 0)
    routing = pywrapcp.RoutingModel(manager)

    def cost(i: int, j: int) -> int:
        return int(d[manager.IndexToNode(i), manager.IndexToNode(j)])

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(cost))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(1000 * seconds))
    started = time.perf_counter()
    solution = routing.SolveWithParameters(params)
    elapsed = time.perf_counter() - started
    if solution is None:
        return None
    value = float(solution.ObjectiveValue())
    return {"fun": value, "gap": gap(value, problem.optimum), "seconds": elapsed}


def run_elkai(problem: TSP) -> dict | None:
    try:
        import elkai
    except ImportError:
        return None
    d = np.rint(problem.distances).astype(np.int64)
    started = time.perf_counter()
    tour = elkai.DistanceMatrix(d.tolist()).solve_tsp()
    elapsed = time.perf_counter() - started
    tour = np.asarray(tour[:-1] if tour[0] == tour[-1] and len(tour) > problem.n else tour)
    value = problem.tour_length(tour)
    return {"fun": value, "gap": gap(value, problem.optimum), "seconds": elapsed}


def summary(runs: list[dict], optimum: float) -> dict:
    gaps = np.array([r["gap"] for r in runs])
    return {
        "best": float(gaps.min()),
        "mean": float(gaps.mean()),
        "worst": float(gaps.max()),
        "hits": int(sum(r["fun"] <= optimum for r in runs)),
        "runs": len(runs),
        "seconds": float(np.mean([r["seconds"] for r in runs])),
        "max_seconds": float(np.max([r["seconds"] for r in runs])),
    }


def table(results: list[dict]) -> str:
    lines = [
        "| instance | n | optimum | method | best % | mean % | worst % | optimum hit | s/run |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for method in ("CE", "CE+LS"):
            s = r.get(method)
            if s is None:
                continue
            lines.append(
                f"| {r['name']} | {r['n']} | {r['optimum']:g} | {method} | {s['best']:.2f} | "
                f"{s['mean']:.2f} | {s['worst']:.2f} | {s['hits']}/{s['runs']} | "
                f"{s['seconds']:.1f} (max {s['max_seconds']:.1f}) |"
            )
        for method in ("OR-Tools GLS", "elkai (LKH)"):
            if method not in r:  # not run (--no-peers)
                continue
            s = r[method]
            if s is None:
                lines.append(f"| {r['name']} | {r['n']} | {r['optimum']:g} | {method} | "
                             "not installed | | | | |")  # fmt: skip
                continue
            hit = "1/1" if s["gap"] <= 0 else "0/1"
            lines.append(
                f"| {r['name']} | {r['n']} | {r['optimum']:g} | {method} | {s['gap']:.2f} | "
                f"{s['gap']:.2f} | {s['gap']:.2f} | {hit} | {s['seconds']:.1f} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. +seeds-1")
    parser.add_argument("--no-peers", action="store_true", help="skip OR-Tools and elkai")
    parser.add_argument(
        "--candidates", type=int, default=None, help="solve's tour family (0: dense)"
    )
    parser.add_argument("--instances", default=",".join(Path(p).stem for p in INSTANCES))
    parser.add_argument("--time-limit", type=float, default=55.0, help="seconds per CE run")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "tsp.json")
    parser.add_argument("--methods", default="CE,CE+LS", help="comma-separated subset of CE,CE+LS")
    args = parser.parse_args()
    methods = args.methods.split(",")
    if not DATA.is_dir():
        print(f"TSPLIB data not found at {DATA} (../shared is absent); nothing to run.")
        return
    wanted = args.instances.split(",")
    # any other instance of the shared data by name (ftv170, a280, rbg323, ...)
    extra = [
        f"{kind}/{name}.{kind}"
        for name in wanted
        if name not in {Path(p).stem for p in INSTANCES}
        for kind in ("atsp", "tsp")
        if (DATA / kind / f"{name}.{kind}").exists()
    ]
    results = []
    for relative in (*INSTANCES, *extra):
        if Path(relative).stem not in wanted:
            continue
        problem = TSP.from_tsplib(DATA / relative)
        if problem.optimum is None:  # gaps need the published optimum
            print(f"{problem.name}: no published optimum attached, skipped", flush=True)
            continue
        print(f"{problem.name} (n={problem.n}, optimum {problem.optimum:g})", flush=True)
        entry = {"name": problem.name, "n": problem.n, "optimum": problem.optimum, "runs": {}}
        for method in methods:
            seeds = range(args.first_seed, args.first_seed + args.seeds)
            options = {} if args.candidates is None else {"candidates": args.candidates}
            runs = run_ce(problem, seeds, method == "CE+LS", args.time_limit, **options)
            entry[method] = summary(runs, problem.optimum)
            entry["runs"][method] = runs
        peer_time = entry["CE+LS"]["seconds"] if "CE+LS" in entry else args.time_limit
        if not args.no_peers:
            entry["OR-Tools GLS"] = run_ortools(problem, max(1.0, peer_time))
            entry["elkai (LKH)"] = run_elkai(problem)
        results.append(entry)
    text = table(results)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "seeds": args.seeds,
        "first_seed": args.first_seed,
        "candidates": args.candidates,
        "time_limit": args.time_limit,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }
    args.out.write_text(json.dumps({"meta": meta, "results": results}, indent=1))
    args.out.with_suffix(".md").write_text(text + "\n")


if __name__ == "__main__":
    main()
