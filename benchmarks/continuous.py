"""cemopt against pycma, scipy's differential evolution and dual annealing.

Five standard functions in d dimensions (sphere, Rosenbrock, Rastrigin, Ackley,
Griewank, from ``cemopt.problems.functions``), the same seeds and starting points for
every optimiser, a budget of ``10^4 * d`` evaluations per run, success when
``f - f* < 1e-8`` within the budget. cemopt runs with its default settings (only the
budget and target are given); its family is a full-covariance Gaussian centred on the
start with standard deviation half the domain width.

Every optimiser's objective goes through the same counter, which records the index
of the first evaluation that reached the target and stops the run when the budget
is spent; so "evaluations to target" means the same thing for all of them. CPU time
per evaluation is ``time.process_time()`` of the whole run divided by its
evaluations (objective included; the objectives are cheap numpy functions, so this
is mostly optimiser overhead). Where the optimiser can score a batch at once it does
(cemopt, pycma via ``parallel_objective``, differential evolution with
``vectorized=True``); dual annealing evaluates one point at a time.

Run:  python benchmarks/continuous.py [--seeds 10] [--dim 10] [--optimizers ...]
      python benchmarks/continuous.py --ablation   (cemopt with one default changed at a time)
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import scipy
from scipy import optimize

import cemopt as ce
from cemopt.problems import functions

FUNCTION_NAMES = ("sphere", "rosenbrock", "rastrigin", "ackley", "griewank")
TOLERANCE = 1e-8


class BudgetSpent(Exception):
    """Raised by the counter to end a peer's run at the budget or at the target."""


class Counter:
    """Counts evaluations, records the first to reach the target, enforces the budget."""

    def __init__(self, fn: functions.TestFunction, budget: int, stop_at_target: bool = True):
        self.fn, self.budget, self.stop_at_target = fn, budget, stop_at_target
        self.count, self.hit, self.best = 0, None, np.inf

    def batch(self, X) -> np.ndarray:
        X = np.atleast_2d(np.asarray(X, dtype=float))
        room = self.budget - self.count
        if room <= 0:
            raise BudgetSpent
        X = X[:room]  # a batch that would overrun the budget is cut, as cemopt does itself
        values = self.fn(X)
        reached = np.flatnonzero(values - self.fn.f_opt < TOLERANCE)
        if self.hit is None and reached.size:
            self.hit = self.count + int(reached[0]) + 1
        self.count += len(values)
        self.best = min(self.best, float(values.min()))
        if self.count >= self.budget or (self.stop_at_target and self.hit is not None):
            raise BudgetSpent
        return values

    def one(self, x) -> float:
        return float(self.batch(np.asarray(x)[None, :])[0])


def start(fn: functions.TestFunction, d: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(fn.lower, fn.upper, d)


def run_cemopt(fn, d, seed, counter, diagonal: bool = False, **settings):
    x0, width = start(fn, d, seed), fn.upper - fn.lower
    if diagonal:
        family = ce.Normal(x0, np.full(d, width / 2))
    else:
        family = ce.MultivariateNormal(x0, np.eye(d) * (width / 2) ** 2)
    try:
        ce.minimize(
            counter.batch,
            family,
            vectorized=True,
            max_evals=counter.budget,
            target=fn.f_opt + TOLERANCE,
            rng=seed,
            **settings,
        )
    except BudgetSpent:
        pass


def run_pycma(fn, d, seed, counter, restarts: int):
    import cma

    x0, width = start(fn, d, seed), fn.upper - fn.lower
    options = {
        "maxfevals": counter.budget,
        "ftarget": fn.f_opt + TOLERANCE,
        "verbose": -9,
        "seed": seed + 1,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pycma warns about restarts and flat fitness
        try:
            cma.fmin2(
                None,
                x0,
                width / 4,
                options,
                restarts=restarts,
                incpopsize=2,
                parallel_objective=lambda xs: list(counter.batch(xs)),
            )
        except BudgetSpent:
            pass


def run_differential_evolution(fn, d, seed, counter):
    bounds = list(zip(*fn.bounds(d), strict=True))
    try:
        optimize.differential_evolution(
            lambda X: counter.batch(X.T),
            bounds,
            x0=start(fn, d, seed),
            rng=seed,
            maxiter=10**9,
            tol=0,
            atol=0,
            vectorized=True,
            updating="deferred",
            polish=True,
        )
    except BudgetSpent:
        pass


def run_dual_annealing(fn, d, seed, counter):
    bounds = list(zip(*fn.bounds(d), strict=True))
    try:
        optimize.dual_annealing(
            counter.one,
            bounds,
            x0=start(fn, d, seed),
            rng=seed,
            maxfun=counter.budget,
            maxiter=10**9,
        )
    except BudgetSpent:
        pass


#: cemopt with one default changed at a time: what each part of the defaults is for
ABLATIONS = {
    # iAMaLGaM's rules instead of the step-size adaptation, and their parts
    "cemopt-amalgam": {"csa": False},
    "cemopt-amalgam-no-scaling": {"csa": False, "variance_scaling": False},
    "cemopt-amalgam-no-mean-shift": {"csa": False, "mean_shift": False},
    "cemopt-amalgam-dynamic-smoothing": {
        "csa": False,
        "scale_smoothing": ce.DynamicSmoothing(beta=0.7, q=5),
    },
    "cemopt-no-restarts": {"restarts": 0},
    "cemopt-diagonal": {"diagonal": True},
    "cemopt-amalgam-elite-0.1": {"csa": False, "elite_frac": 0.1},
    # the textbook Gaussian CE: rho = 0.1, N = 100, alpha = 0.7, no scaling, no restarts
    "cemopt-textbook": {
        "diagonal": True,
        "elite_frac": 0.1,
        "n_samples": 100,
        "variance_scaling": False,
        "restarts": 0,
        "patience": 5,
    },
}

OPTIMIZERS = {
    "cemopt": run_cemopt,
    "pycma": lambda fn, d, s, c: run_pycma(fn, d, s, c, restarts=0),
    "pycma-ipop": lambda fn, d, s, c: run_pycma(fn, d, s, c, restarts=9),
    "scipy-de": run_differential_evolution,
    "scipy-da": run_dual_annealing,
    **{
        name: (lambda fn, d, s, c, settings=settings: run_cemopt(fn, d, s, c, **settings))
        for name, settings in ABLATIONS.items()
    },
}


def run(optimizer: str, name: str, d: int, seed: int, budget: int) -> dict:
    fn = functions.FUNCTIONS[name]
    counter = Counter(fn, budget)
    cpu = time.process_time()
    OPTIMIZERS[optimizer](fn, d, seed, counter)
    cpu = time.process_time() - cpu
    return {
        "optimizer": optimizer,
        "problem": name,
        "dim": d,
        "seed": seed,
        "evaluations": counter.count,
        "evals_to_target": counter.hit,
        "success": counter.hit is not None,
        "best": counter.best - fn.f_opt,
        "cpu_s": cpu,
        "cpu_us_per_eval": 1e6 * cpu / max(counter.count, 1),
    }


def summarise(records: list[dict], optimizers, names) -> str:
    lines = [
        "| optimizer | " + " | ".join(names) + " | total | CPU µs/eval (median) |",
        "|---" * (len(names) + 3) + "|",
    ]
    for opt in optimizers:
        cells, total, runs = [], 0, 0
        for name in names:
            rows = [r for r in records if r["optimizer"] == opt and r["problem"] == name]
            hits = [r["evals_to_target"] for r in rows if r["success"]]
            total, runs = total + len(hits), runs + len(rows)
            median = f" / {int(np.median(hits))}" if hits else ""
            cells.append(f"{len(hits)}/{len(rows)}{median}")
        cpu = np.median([r["cpu_us_per_eval"] for r in records if r["optimizer"] == opt])
        lines.append(f"| {opt} | " + " | ".join(cells) + f" | {total}/{runs} | {cpu:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--dim", type=int, default=10)
    parser.add_argument("--budget-per-dim", type=int, default=10_000)
    parser.add_argument(
        "--optimizers",
        nargs="+",
        default=[name for name in OPTIMIZERS if name not in ABLATIONS],
        choices=list(OPTIMIZERS),
    )
    parser.add_argument(
        "--ablation", action="store_true", help="run cemopt with one default changed at a time"
    )
    parser.add_argument(
        "--functions", nargs="+", default=list(FUNCTION_NAMES), choices=list(FUNCTION_NAMES)
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/continuous.json"))
    args = parser.parse_args()
    budget = args.budget_per_dim * args.dim
    if args.ablation:
        args.optimizers = ["cemopt", *ABLATIONS]
    records = []
    for opt in args.optimizers:
        for name in args.functions:
            for seed in range(args.seeds):
                records.append(run(opt, name, args.dim, seed, budget))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(records, indent=1))
    print(
        f"# d={args.dim}, {args.seeds} seeds, budget {budget} evaluations, target f - f* < "
        f"{TOLERANCE:g}; cemopt {ce.__version__}, numpy {np.__version__}, scipy "
        f"{scipy.__version__}, python {platform.python_version()}"
    )
    print("# cells: successes/runs / median evaluations to target among successes")
    print(summarise(records, args.optimizers, args.functions))


if __name__ == "__main__":
    main()
