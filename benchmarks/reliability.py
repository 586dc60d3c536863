"""Network unreliability: crude Monte Carlo against the CE and graph-evolution estimators.

For each network (exact value from the frontier programme) and method, over several
seeds: the mean estimate / exact, the relative error the estimator reports, how often
the exact value lies within 4 reported standard errors or the 95% interval, evaluations and
seconds, and the work-normalised relative variance ``RE**2 * seconds`` as a ratio to
crude Monte Carlo's (larger = the method is that many times more efficient). Crude
Monte Carlo's relative variance is the exact ``(1 - p) / (p n)`` (one run of it at 1e-9
would need about 1e11 samples to see a failure), with its time per sample measured.

    python benchmarks/reliability.py                 # all networks, 5 seeds
    python benchmarks/reliability.py --seeds 2 --n-final 5000

``--coverage`` measures instead how often the 95% interval ``est.ci(0.95)`` of the
merge-process estimators covers the exact value over many seeds (default 200; the
binomial 99% band for 200 trials at 0.95 is 181 to 197), on the dodecahedron at
q = 1e-2, 1e-3, 1e-4 and the 4x5 grid at 1e-4, with the spread of the estimates
(empirical RE: their standard deviation / exact) beside the reported relative error,
and the work-normalised relative variance ``RE**2 * evaluations`` (lower is better)
from both. ``--baseline REV`` runs the estimators of git revision ``REV`` in the same
run (seed by seed, alternating, so that load falls on both alike):

    python benchmarks/reliability.py --coverage --methods ce-turnip --baseline 685fadc
    python benchmarks/reliability.py --coverage --n-samples 200 --n-tune 10 --baseline 685fadc

``--log-space`` estimates unreliabilities of 1e-250, 1e-300 and 1e-420 (a 2x3 grid
with tiny q) with the merge-process estimators, against the exact log.

The exact routine's timing against graphillion is ``benchmarks/reliability_exact.py``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from types import ModuleType

import networkx as nx
import numpy as np
from scipy import stats

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


def coverage_networks() -> dict[str, Network]:
    return {
        "dodecahedron 2-term q=1e-2": Network.dodecahedron(1e-2),
        "dodecahedron 2-term q=1e-3": Network.dodecahedron(1e-3),
        "dodecahedron 2-term q=1e-4": Network.dodecahedron(1e-4),
        "grid 4x5 2-term q=1e-4": Network.grid(4, 5, 1e-4),
    }


def load_revision(revision: str) -> ModuleType:
    """``cemopt.problems.network_reliability`` as it was at git ``revision``."""
    root = Path(__file__).resolve().parents[1]
    folder = "problems/network_reliability"
    names = subprocess.run(
        ["git", "ls-tree", "--name-only", f"{revision}:{folder}"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    name = f"network_reliability_at_{revision}"
    package = Path(tempfile.mkdtemp()) / name
    package.mkdir()
    for file in names:
        if file.endswith(".py"):
            text = subprocess.run(
                ["git", "show", f"{revision}:{folder}/{file}"],
                cwd=root,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            (package / file).write_text(text)
    spec = importlib.util.spec_from_file_location(
        name, package / "__init__.py", submodule_search_locations=[str(package)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def coverage(args: argparse.Namespace) -> None:
    """The 95% intervals' coverage and the spread of the estimates over many seeds."""
    versions = {"now": importlib.import_module("cemopt.problems.network_reliability")}
    if args.baseline:
        versions[args.baseline] = load_revision(args.baseline)
    tuning = {
        key: value
        for key, value in (("n_samples", args.n_samples), ("n_tune", args.n_tune))
        if value is not None
    }
    low, high = (
        int(stats.binom.ppf(0.005, args.seeds, 0.95)),
        int(stats.binom.isf(0.005, args.seeds, 0.95)),
    )
    print(
        f"{args.seeds} seeds, n_final={args.n_final} {tuning or ''}; binomial 99% band: "
        f"{low} to {high} ({low / args.seeds:.1%} to {high / args.seeds:.1%})\n"
    )
    print(
        "| network | method | code | covered (95% CI) | below / above | success | "
        "reported RE (median) | empirical RE | evaluations | WNRV reported | "
        "WNRV empirical | s / run |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, network in coverage_networks().items():
        if args.networks and not any(word in name for word in args.networks):
            continue
        exact = exact_unreliability(network)
        for method in args.methods:
            runs = {key: [] for key in versions}
            for seed in range(args.seeds):
                for key, module in versions.items():
                    net = module.Network(
                        network.graph,
                        [network.nodes[t] for t in network.terminals],
                        network.failure_prob,
                    )
                    start = time.perf_counter()
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", ce.ConvergenceWarning)
                        est = module.estimate_unreliability(
                            net, method=method, n_final=args.n_final, rng=seed, **tuning
                        )
                    elapsed = time.perf_counter() - start
                    lo, hi = est.ci(0.95)
                    runs[key].append(
                        (
                            est.probability / exact,
                            est.relative_error,
                            lo <= exact <= hi,
                            (est.probability - exact) / est.std_error,
                            est.success,
                            est.nfev,
                            elapsed,
                        )
                    )
            for key, rows in runs.items():
                columns = map(np.array, zip(*rows, strict=True))
                ratio, rel, covered, z, success, nfev, seconds = columns
                empirical = ratio.std(ddof=1)
                work = nfev.mean()
                print(
                    f"| {name} | {method} | {key} | {covered.sum()}/{args.seeds} "
                    f"({covered.mean():.1%}) | {(z < -1.96).sum()} / {(z > 1.96).sum()} | "
                    f"{success.sum()}/{args.seeds} | {np.median(rel):.4f} | {empirical:.4f} | "
                    f"{work:.0f} | {np.median(rel) ** 2 * work:.2f} | "
                    f"{empirical**2 * work:.2f} | {seconds.mean():.2f} |",
                    flush=True,
                )


def log_space(args: argparse.Namespace) -> None:
    """Estimates of 1e-250, 1e-300 and 1e-420 against the exact log."""
    for q in (7e-126, 1e-150, 1e-210):
        network = Network.grid(2, 3, q)  # four cuts of two links: about 4 q^2
        exact = exact_unreliability(network, log=True)
        print(f"grid 2x3, q={q:g}: exact log10 p = {exact / np.log(10):.4f}")
        for method in ("turnip", "pmc", "ce-turnip"):
            est = estimate_unreliability(network, method=method, n_final=2000, rng=0)
            print(
                f"  {method:9s} log10 p = {est.log_probability / np.log(10):.4f}  "
                f"p = {est.probability:.4e}  RE = {est.relative_error:.4f}  "
                f"(log p - exact) / RE = {(est.log_probability - exact) / est.relative_error:+.2f}"
                f"  success={est.success}"
            )


def crude_seconds_per_sample(network: Network, n: int = 200_000) -> float:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ce.ConvergenceWarning)  # no failure seen: fine here
        estimate_unreliability(network, method="crude", n_final=n, rng=0)
    return (time.perf_counter() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, help="default 5, or 200 with --coverage")
    parser.add_argument("--n-final", type=int, default=10_000)
    parser.add_argument("--methods", nargs="+", default=None)
    parser.add_argument(
        "--coverage", action="store_true", help="coverage of the 95%% intervals over seeds"
    )
    parser.add_argument("--baseline", help="with --coverage: also the code at this git revision")
    parser.add_argument("--networks", nargs="+", help="with --coverage: names containing these")
    parser.add_argument("--n-samples", type=int, help="with --coverage: CE tuning batch size")
    parser.add_argument("--n-tune", type=int, help="with --coverage: CE tuning iterations")
    parser.add_argument(
        "--log-space", action="store_true", help="estimates of 1e-250 to 1e-420 (2x3 grid)"
    )
    args = parser.parse_args()
    if args.log_space:
        log_space(args)
        return
    if args.coverage:
        args.seeds = args.seeds or 200
        args.methods = args.methods or ["ce-turnip"]
        coverage(args)
        return
    args.seeds = args.seeds or 5
    args.methods = args.methods or [m for m in METHODS if m != "crude"]

    print(
        "| network | exact | method | mean est / exact | reported RE (median) | "
        "within 4 SE | 95% CI covers | evaluations | seconds | WNRV ratio vs crude |"
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
            estimates, errors, inside4, covers, evals, seconds, wnrv = [], [], 0, 0, [], [], []
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
                low, high = est.ci(0.95)
                covers += low <= exact <= high
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
                f"{np.median(errors):.3g} | {inside4}/{ok} | {covers}/{ok} | "
                f"{int(np.median(evals))} | {np.median(seconds):.2f} | "
                f"{crude_wnrv / np.median(wnrv):.3g} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
