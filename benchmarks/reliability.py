"""Network unreliability: crude Monte Carlo against the CE and graph-evolution estimators.

For each network (exact value from the frontier programme) and method, over several
seeds: the mean estimate / exact, the relative error the estimator reports, how often
the exact value lies within 4 (and 2) reported standard errors, evaluations and
seconds, and the work-normalised relative variance ``RE**2 * seconds`` as a ratio to
crude Monte Carlo's (larger = the method is that many times more efficient). Crude
Monte Carlo's relative variance is the exact ``(1 - p) / (p n)`` (one run of it at 1e-9
would need about 1e11 samples to see a failure), with its time per sample measured.

    python benchmarks/reliability.py                 # all networks, 5 seeds
    python benchmarks/reliability.py --seeds 2 --n-final 5000

The exact routine's timing against graphillion is ``benchmarks/reliability_exact.py``.
"""

from __future__ import annotations

import argparse
import time
import warnings

import networkx as nx
import numpy as np

import cemopt as ce
from cemopt.problems.network_reliability import (
    METHODS,
    Network,
    estimate_unreliability,
    exact_unreliability,
)


def networks() -> dict[str, Network]:
    return {
        "dodecahedron 2-term q=0.1": Network.dodecahedron(0.1),
        "dodecahedron 2-term q=1e-3": Network.dodecahedron(1e-3),
        "dodecahedron 2-term q=1e-4": Network.dodecahedron(1e-4),
        "dodecahedron all-term q=1e-3": Network(nx.dodecahedral_graph(), None, 1e-3),
        "grid 4x5 3-term q=0.02": Network.grid(4, 5, 0.02, terminals=[(0, 0), (3, 4), (0, 4)]),
        "grid 4x5 2-term q=1e-4": Network.grid(4, 5, 1e-4),
    }


def crude_seconds_per_sample(network: Network, n: int = 200_000) -> float:
    start = time.perf_counter()
    estimate_unreliability(network, method="crude", n_final=n, rng=0)
    return (time.perf_counter() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--n-final", type=int, default=10_000)
    parser.add_argument("--methods", nargs="+", default=[m for m in METHODS if m != "crude"])
    args = parser.parse_args()

    print(
        "| network | exact | method | mean est / exact | reported RE (median) | "
        "within 4 SE | within 2 SE | evaluations | seconds | WNRV ratio vs crude |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, network in networks().items():
        exact = exact_unreliability(network)
        crude_time = crude_seconds_per_sample(network)
        # crude MC's work-normalised relative variance: (1-p)/(p n) * n * t = (1-p)/p * t
        crude_wnrv = (1 - exact) / exact * crude_time
        print(
            f"| {name} | {exact:.4e} | crude | 1 (exact RV) | "
            f"{np.sqrt((1 - exact) / (exact * args.n_final)):.3g} at n={args.n_final} | - | - | "
            f"{args.n_final} | {crude_time * args.n_final:.3f} | 1 |"
        )
        for method in args.methods:
            estimates, errors, inside4, inside2, evals, seconds, wnrv = [], [], 0, 0, [], [], []
            failures = 0
            for seed in range(args.seeds):
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ce.ConvergenceWarning)
                    est = estimate_unreliability(
                        network, method=method, n_final=args.n_final, rng=seed
                    )
                elapsed = time.perf_counter() - start
                if not est.success or not np.isfinite(est.std_error):
                    failures += 1
                    continue
                estimates.append(est.probability / exact)
                errors.append(est.relative_error)
                inside4 += abs(est.probability - exact) < 4 * est.std_error
                inside2 += abs(est.probability - exact) < 2 * est.std_error
                evals.append(est.nfev)
                seconds.append(elapsed)
                wnrv.append(est.relative_error**2 * elapsed)
            ok = args.seeds - failures
            if ok == 0:
                print(
                    f"| {name} | {exact:.4e} | {method} | failed ({failures}/{args.seeds}) "
                    "| | | | | | |"
                )
                continue
            fail_note = f" ({failures} failed)" if failures else ""
            print(
                f"| {name} | {exact:.4e} | {method}{fail_note} | {np.mean(estimates):.3f} | "
                f"{np.median(errors):.3g} | {inside4}/{ok} | {inside2}/{ok} | "
                f"{int(np.median(evals))} | {np.median(seconds):.2f} | "
                f"{crude_wnrv / np.median(wnrv):.3g} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
