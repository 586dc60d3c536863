"""cemopt against its peers through ``cemopt.compare``: the comparison table and ECDF.

Two suites, the same seeds for every optimiser, success at f - f* <= 1e-8
(continuous) or the exact optimum (max-cut), runs stopped at the target:

* continuous: sphere, Rosenbrock, Rastrigin, Ackley in d dimensions, budget
  10^4 d evaluations; cemopt, uniform random search, scipy's differential
  evolution and dual annealing, pycma's IPOP-CMA-ES;
* max-cut: the CE tutorial's two-block instance (n = 400, m = 200, known optimum
  40 000); cemopt, random cuts, nevergrad's DiscreteOnePlusOne (when installed).

Prints the markdown tables and writes the ECDF figure (COCO's 51 targets
10^2..10^-8 on f - f* for the continuous suite; relative gaps 10^0..10^-4 and 0 for
max-cut) and the convergence figure under ``benchmarks/``; the records go to
``benchmarks/out/compare.json``.

Run:  python benchmarks/compare.py [--seeds 5] [--dim 10] [--maxcut-budget 200000]
                                   [--workers 1]
"""

from __future__ import annotations

import argparse
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import scipy  # noqa: E402

import cemopt as ce  # noqa: E402
from cemopt._compare_plots import plot_convergence, plot_ecdf  # noqa: E402
from cemopt.compare import Comparison, compare  # noqa: E402
from cemopt.problems.maxcut import MaxCut  # noqa: E402

HERE = Path(__file__).resolve().parent
CONTINUOUS = ("sphere", "rosenbrock", "rastrigin", "ackley")
CONTINUOUS_PEERS = ("cemopt", "random", "differential_evolution", "dual_annealing", "cma")
BINARY_PEERS = ("cemopt", "random", "nevergrad:DiscreteOnePlusOne")


def merge(a: Comparison, b: Comparison) -> Comparison:
    """One comparison of both suites (each record keeps its own budget)."""
    optimizers = list(dict.fromkeys([*a.optimizers, *b.optimizers]))
    return Comparison(
        a.records + b.records,
        {**a.problems, **b.problems},
        max(a.budget, b.budget),
        a.seeds,
        optimizers,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--dim", type=int, default=10)
    parser.add_argument("--budget-per-dim", type=int, default=10_000)
    parser.add_argument("--maxcut-budget", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=1, help="runs in parallel processes")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "compare.json")
    args = parser.parse_args()
    seeds = list(range(args.seeds))
    pool = ProcessPoolExecutor(args.workers) if args.workers > 1 else None
    start = time.perf_counter()
    try:
        continuous = compare(
            list(CONTINUOUS),
            CONTINUOUS_PEERS,
            budget=args.budget_per_dim * args.dim,
            seeds=seeds,
            dim=args.dim,
            executor=pool,
        )
        maxcut = compare(
            {"maxcut": MaxCut.synthetic(n=400, m=200, rng=2024)},
            BINARY_PEERS,
            budget=args.maxcut_budget,
            seeds=seeds,
            executor=pool,
        )
    finally:
        if pool is not None:
            pool.shutdown()
    wall = time.perf_counter() - start
    both = merge(continuous, maxcut)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    both.to_json(args.out)

    versions = (
        f"cemopt {ce.__version__}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"python {platform.python_version()}"
    )
    print(
        f"# continuous, d={args.dim}, {args.seeds} seeds, budget {continuous.budget} "
        f"evaluations, target f - f* <= 1e-8; {versions}\n"
    )
    print(continuous.summary().to_markdown())
    print(
        f"\n# max-cut n=400 m=200 (optimum 40000), {args.seeds} seeds, budget "
        f"{maxcut.budget} evaluations, target: the optimum\n"
    )
    print(maxcut.summary().to_markdown())
    print(f"\n# wall time {wall:.0f} s ({args.workers} worker(s))")

    fig = plot_ecdf(
        both,
        groups={
            f"continuous: {', '.join(CONTINUOUS)} (d={args.dim})": list(CONTINUOUS),
            "max-cut: n=400, m=200": ["maxcut"],
        },
    )
    fig.savefig(HERE / "compare_ecdf.png", dpi=110)
    fig = plot_convergence(both, ncols=5, figsize=(22, 4))
    fig.savefig(HERE / "compare_convergence.png", dpi=90)
    print(f"# figures: {HERE / 'compare_ecdf.png'}, {HERE / 'compare_convergence.png'}")


if __name__ == "__main__":
    main()
