"""Compare cemopt with its peers on your problems: same budgets, same seeds.

1. Rastrigin in 5 dimensions and a 60-node max-cut (known optimum 900), three
   optimisers each, three seeds, budgets of 20 000 evaluations.
2. The summary table (success rate, evaluations to target, final values).
3. The records as CSV and the ECDF of evaluations to targets as a PNG, in a
   temporary folder (pass a folder to keep them).

Run:  python examples/compare.py [OUT_DIR]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from cemopt._compare_plots import plot_ecdf  # noqa: E402
from cemopt.compare import compare  # noqa: E402
from cemopt.problems.maxcut import MaxCut  # noqa: E402


def main(out: Path) -> None:
    start = time.perf_counter()
    continuous = compare(
        "rastrigin", ["cemopt", "random", "differential_evolution"], budget=20_000,
        seeds=[0, 1, 2], dim=5,
    )  # fmt: skip
    maxcut = compare(
        {"maxcut60": MaxCut.synthetic(n=60, m=30, rng=0)}, ["cemopt", "random"],
        budget=20_000, seeds=[0, 1, 2],
    )  # fmt: skip
    print(continuous.summary())
    print()
    print(maxcut.summary())
    continuous.to_csv(out / "rastrigin_runs.csv")
    fig = plot_ecdf(continuous)
    fig.savefig(out / "rastrigin_ecdf.png")
    print(f"\nrecords and ECDF in {out}; {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as folder:
            main(Path(folder))
