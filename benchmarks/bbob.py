"""cemopt on the BBOB suite (COCO's noiseless functions, through the ``ioh`` package).

The 24 BBOB functions, instances 1 to ``--instances``, in the dimensions ``--dims``,
with the budget ``10^4 * d`` evaluations per run, the same start ``x0 ~ U[-4, 4]^d``
(seeded by function, instance and dimension) and the same initial step ``sigma0 = 2``
for everyone:

``cemopt``
    ``ce.minimize`` with its defaults: a full-covariance ``ce.MultivariateNormal(x0,
    sigma0^2 I)`` with cumulative step-size adaptation (``csa``), restarts while the
    budget lasts.
``cemopt-amalgam``
    The same with ``csa=False``: iAMaLGaM's rules (adaptive variance scaling,
    anticipated mean shift, its batch, elite and covariance weight).
``cemopt-bounded``
    ``ce.MultivariateNormal(x0, sigma0^2 I, lower=-5, upper=5)`` (BBOB's region of
    interest, which holds every optimum), its defaults otherwise.
``cemopt-bounded-diagonal``
    ``ce.Normal(x0, sigma0, lower=-5, upper=5)``: independent coordinates truncated to
    the box.
``pycma-ipop``
    ``cma.fmin2(None, x0, sigma0, restarts=9, incpopsize=2)`` with the batch objective
    (``parallel_objective``), unbounded.
``pycma-ipop-defaults``
    The same with pycma's default output on (its data files in a temporary folder)
    and the objective called one point at a time, as pycma's first example does: for
    the CPU per evaluation a user meets (the issue's 140 us) beside the quiet batch
    runs above.
``scipy-de``
    ``scipy.optimize.differential_evolution`` on ``[-5, 5]^d`` from ``x0``, vectorised.

Every method's objective goes through the same counter: it cuts a batch that would
overrun the budget, records for each of the 51 targets ``f - f_opt <= 10^k``, ``k = 2,
1.8, ..., -8``, the first evaluation that reached it, and ends the run at ``10^-8``
(a run is *solved* when it reaches that target). The runtime ECDF is the share of
(function, instance, target) triples reached by a number of evaluations, COCO-style;
the evaluation ratio is, over the runs both methods solve, the median of a method's
evaluations to ``10^-8`` over pycma IPOP's; the paired count is, over the runs both
made (same function, instance and seed), how many only the method solved and how many
only pycma IPOP did, with the two-sided sign test's p-value (solved counts that differ
by a few runs in hundreds are often the seeds' noise). CPU per evaluation is process time over
evaluations (objective included, the BBOB functions are C++ in ``ioh``).

Run:  python benchmarks/bbob.py [--dims 2 5 10 20] [--instances 5] [--methods ...]
                                [--workers 2] [--out results.json] [--plot ecdf.png]
                                [--merge earlier.json ...] [--seeds 0 1 2]
      python benchmarks/bbob.py --compare before.json after.json

The runs are independent and seeded, so the results do not depend on ``--workers``.
``--merge`` reports the runs of an earlier ``--out`` file together with this run's,
this run's replacing those of the same method, function, instance, dimension and seed
(evaluation counts are deterministic; CPU times then come from different runs).
``--merge`` takes several files (a later one's runs replace an earlier one's), and
``--methods`` with no name runs nothing, so ``--methods --merge a.json b.json``
reports earlier runs together. ``--seeds`` repeats the suite with other seeds of the
methods (the starts stay the same): the solved counts of one seed move by a few runs
from seed to seed, and the table of solved runs per seed shows by how much.
``--compare before.json after.json`` runs nothing: it lists the shared runs whose
evaluations, targets or final precision differ between two ``--out`` files (none, for
a change that should leave the search alone) and each method's CPU per evaluation
after over before. Evaluation counts are deterministic on one machine; another CPU
can round differently (OpenBLAS picks its kernels by processor) and change a few runs.
"""

from __future__ import annotations

import argparse
import json
import math
import os

# One BLAS thread per process, for every method alike, unless the caller says
# otherwise: with --workers processes on a 2-core machine, OpenBLAS's threads wait on
# each other; a 10 x 10 triangular solve took 4 ms in 7 of 276 calls of a cemopt run
# with the default two threads (5 us with one), and a spinning thread counts as
# process time. Set before numpy is imported, which reads it once.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import platform  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import scipy  # noqa: E402
from scipy import optimize, stats  # noqa: E402

import cemopt as ce  # noqa: E402

FUNCTIONS = tuple(range(1, 25))
TARGETS = 10.0 ** np.round(np.arange(2.0, -8.0 - 1e-9, -0.2), 1)  # 51 targets
SOLVED = TARGETS[-1]
SIGMA0 = 2.0
BOX = 5.0
#: the functions COCO groups as multimodal (with and without global structure)
MULTIMODAL = (3, 4, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24)


class BudgetSpent(Exception):
    """Raised by the counter to end a run at the budget or at the final target."""


class Counter:
    """Counts evaluations, records when each target is first reached, enforces the budget."""

    def __init__(self, problem: Any, budget: int):
        self.problem, self.budget = problem, budget
        self.f_opt = float(problem.optimum.y)
        self.count = 0
        self.best = math.inf
        self.hits = np.full(len(TARGETS), -1, dtype=np.int64)  # -1: not reached

    def batch(self, X: Any) -> np.ndarray:
        X = np.atleast_2d(np.asarray(X, dtype=float))
        room = self.budget - self.count
        if room <= 0:
            raise BudgetSpent
        X = X[:room]  # cut, as cemopt cuts its own last batch
        values = np.asarray(self.problem(X), dtype=float)
        # running best of this batch, as precision above the optimum
        running = np.minimum.accumulate(np.minimum(values - self.f_opt, self.best))
        todo = self.hits < 0
        if todo.any():
            # first index where the running best falls to each target not yet reached
            reached = running[:, None] <= TARGETS[todo][None, :]
            first = np.where(reached.any(axis=0), reached.argmax(axis=0) + 1 + self.count, -1)
            self.hits[np.flatnonzero(todo)] = first
        self.count += len(values)
        self.best = float(running[-1])
        if self.count >= self.budget or self.hits[-1] >= 0:
            raise BudgetSpent
        return values


def start(fid: int, iid: int, d: int) -> np.ndarray:
    """The shared start point: ``U[-4, 4]^d`` from a seed of (function, instance, d)."""
    return np.random.default_rng([fid, iid, d]).uniform(-4.0, 4.0, d)


def seed_of(fid: int, iid: int, d: int, repeat: int = 0) -> int:
    """The methods' own seed; ``repeat`` (``--seeds``) draws other runs from the same x0."""
    return 1_000_000 * repeat + 10_000 * d + 100 * fid + iid


# ----------------------------------------------------------------------- methods
def run_cemopt(
    counter: Counter, x0: np.ndarray, seed: int, box: str | None, **options: Any
) -> None:
    d = len(x0)
    if box == "diagonal":
        family = ce.Normal(x0, np.full(d, SIGMA0), lower=-BOX, upper=BOX)
    elif box == "full":
        family = ce.MultivariateNormal(x0, np.eye(d) * SIGMA0**2, lower=-BOX, upper=BOX)
    else:
        family = ce.MultivariateNormal(x0, np.eye(d) * SIGMA0**2)
    try:
        ce.minimize(
            counter.batch,
            family,
            vectorized=True,
            max_evals=counter.budget,
            target=counter.f_opt + SOLVED,
            rng=seed,
            **options,
        )
    except BudgetSpent:
        pass


def run_pycma_ipop(counter: Counter, x0: np.ndarray, seed: int) -> None:
    import cma

    options = {
        "maxfevals": counter.budget,
        "ftarget": counter.f_opt + SOLVED,
        "verbose": -9,
        "seed": seed + 1,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pycma warns about restarts and flat fitness
        try:
            cma.fmin2(
                None,
                x0,
                SIGMA0,
                options,
                restarts=9,
                incpopsize=2,
                parallel_objective=lambda xs: list(counter.batch(xs)),
            )
        except BudgetSpent:
            pass


def run_pycma_ipop_defaults(counter: Counter, x0: np.ndarray, seed: int) -> None:
    """pycma IPOP as its documentation's first example calls it: one point at a time,
    its default output (printed, discarded here, and the ``outcmaes/`` data files,
    written to a temporary folder). The same runs as ``pycma-ipop``, for the CPU."""
    import contextlib
    import io
    import tempfile

    import cma

    with tempfile.TemporaryDirectory() as folder:
        options = {
            "maxfevals": counter.budget,
            "ftarget": counter.f_opt + SOLVED,
            "seed": seed + 1,
            "verb_filenameprefix": str(Path(folder) / "outcmaes") + os.sep,
        }
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            try:
                cma.fmin2(
                    lambda x: float(counter.batch(x[None, :])[0]),
                    x0,
                    SIGMA0,
                    options,
                    restarts=9,
                    incpopsize=2,
                )
            except BudgetSpent:
                pass


def run_scipy_de(counter: Counter, x0: np.ndarray, seed: int) -> None:
    d = len(x0)
    try:
        optimize.differential_evolution(
            lambda X: counter.batch(X.T),
            [(-BOX, BOX)] * d,
            x0=x0,
            rng=seed,
            maxiter=10**9,
            tol=0,
            atol=0,
            vectorized=True,
            updating="deferred",
            polish=False,  # L-BFGS-B's finite differences would bypass the batch counter
        )
    except BudgetSpent:
        pass


METHODS = {
    "cemopt": lambda c, x0, s: run_cemopt(c, x0, s, box=None),
    "cemopt-amalgam": lambda c, x0, s: run_cemopt(c, x0, s, box=None, csa=False),
    "cemopt-bounded": lambda c, x0, s: run_cemopt(c, x0, s, box="full"),
    "cemopt-bounded-diagonal": lambda c, x0, s: run_cemopt(c, x0, s, box="diagonal"),
    "pycma-ipop": run_pycma_ipop,
    "pycma-ipop-defaults": run_pycma_ipop_defaults,
    "scipy-de": run_scipy_de,
}


def run_one(method: str, fid: int, iid: int, d: int, repeat: int = 0) -> dict[str, Any]:
    import ioh

    problem = ioh.get_problem(fid, instance=iid, dimension=d, problem_class=ioh.ProblemClass.BBOB)
    counter = Counter(problem, budget=10_000 * d)
    cpu = time.process_time()
    METHODS[method](counter, start(fid, iid, d), seed_of(fid, iid, d, repeat))
    cpu = time.process_time() - cpu
    return {
        "method": method,
        "seed": repeat,
        "function": fid,
        "instance": iid,
        "dim": d,
        "evaluations": counter.count,
        "precision": counter.best,
        "hits": counter.hits.tolist(),
        "solved": bool(counter.hits[-1] >= 0),
        "cpu_s": cpu,
    }


# ------------------------------------------------------------------------ report
def summarise(records: list[dict[str, Any]], methods: list[str], dims: list[int]) -> str:
    lines = []
    for d in dims:
        at_d = [r for r in records if r["dim"] == d]
        runs = {(r["method"], r["function"], r["instance"], r.get("seed", 0)): r for r in at_d}
        keys = sorted({(r["function"], r["instance"], r.get("seed", 0)) for r in at_d})
        seeds = sorted({k[-1] for k in keys})
        pairs = len({k[:2] for k in keys})
        lines.append(
            f"\n### d = {d} ({pairs} function-instance pairs x {len(seeds)} "
            f"seed{'s' if len(seeds) > 1 else ''}, "
            f"budget {10_000 * d})\n"
        )
        lines.append(
            "| method | solved to 1e-8 | multimodal solved | ECDF area (targets x log-evals) "
            "| median evals ratio to pycma-ipop (both solve) | solved by it alone / by "
            "pycma-ipop alone (sign test p) | CPU us/eval |"
        )
        lines.append("|---|---|---|---|---|---|---|")
        for m in methods:
            mine = [runs[(m, *k)] for k in keys if (m, *k) in runs]
            if not mine:
                continue
            solved = sum(r["solved"] for r in mine)
            multi = sum(r["solved"] for r in mine if r["function"] in MULTIMODAL)
            n_multi = sum(r["function"] in MULTIMODAL for r in mine)
            ratios = [
                runs[(m, *k)]["hits"][-1] / runs[("pycma-ipop", *k)]["hits"][-1]
                for k in keys
                if (m, *k) in runs
                and ("pycma-ipop", *k) in runs
                and runs[(m, *k)]["solved"]
                and runs[("pycma-ipop", *k)]["solved"]
            ]
            ratio = f"{np.median(ratios):.2f} ({len(ratios)} runs)" if ratios else "-"
            paired = paired_solved(runs, keys, m)
            cpu = 1e6 * sum(r["cpu_s"] for r in mine) / max(1, sum(r["evaluations"] for r in mine))
            area = ecdf_area(mine, d)
            lines.append(
                f"| {m} | {solved} / {len(mine)} | {multi} / {n_multi} | {area:.3f} | "
                f"{ratio} | {paired} | {cpu:.1f} |"
            )
        lines.append("")
        lines.append("| solved per function | " + " | ".join(f"f{f}" for f in FUNCTIONS) + " |")
        lines.append("|---|" + "---|" * len(FUNCTIONS))
        for m in methods:
            row = []
            for f in FUNCTIONS:
                mine = [r for (mm, ff, *_), r in runs.items() if mm == m and ff == f]
                row.append(f"{sum(r['solved'] for r in mine)}" if mine else "-")
            lines.append(f"| {m} | " + " | ".join(row) + " |")
        if len(seeds) > 1:
            lines.append("")
            lines.append("| solved per seed | " + " | ".join(f"seed {s}" for s in seeds) + " |")
            lines.append("|---|" + "---|" * len(seeds))
            for m in methods:
                counts = []
                for s in seeds:
                    mine = [r for (mm, *_, ss), r in runs.items() if mm == m and ss == s]
                    counts.append(str(sum(r["solved"] for r in mine)) if mine else "-")
                lines.append(f"| {m} | " + " | ".join(counts) + " |")
    return "\n".join(lines)


def paired_solved(runs: dict[tuple[Any, ...], dict[str, Any]], keys: list[Any], method: str) -> str:
    """Over the runs both ``method`` and pycma IPOP made (same function, instance and
    seed): how many only ``method`` solved, how many only pycma, and the two-sided
    sign test's p-value of that split (whether the two solve as often, seed noise
    aside: the runs both or neither solve say nothing about which is better)."""
    if method == "pycma-ipop":
        return "-"
    both = [k for k in keys if (method, *k) in runs and ("pycma-ipop", *k) in runs]
    if not both:
        return "-"
    mine = sum(
        runs[(method, *k)]["solved"] and not runs[("pycma-ipop", *k)]["solved"] for k in both
    )
    theirs = sum(
        runs[("pycma-ipop", *k)]["solved"] and not runs[(method, *k)]["solved"] for k in both
    )
    if mine + theirs == 0:
        return "0 / 0"
    p = stats.binomtest(mine, mine + theirs, 0.5).pvalue
    return f"{mine} / {theirs} (p = {p:.2f})"


def ecdf(records: list[dict[str, Any]], d: int) -> tuple[np.ndarray, np.ndarray]:
    """Share of (run, target) pairs reached by ``evals / d`` on a log grid."""
    grid = np.logspace(0, 4, 201)  # evals / d from 1 to the budget 10^4
    hits = np.array([r["hits"] for r in records], dtype=float)  # (runs, targets)
    hits[hits < 0] = np.inf
    reached = (hits[:, :, None] / d <= grid[None, None, :]).mean(axis=(0, 1))
    return grid, reached


def ecdf_area(records: list[dict[str, Any]], d: int) -> float:
    """Mean ECDF value over the log grid: 1 = every target at the first evaluation."""
    _, reached = ecdf(records, d)
    return float(reached.mean())


def plot(records: list[dict[str, Any]], methods: list[str], dims: list[int], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(dims), figsize=(4 * len(dims), 3.4), squeeze=False)
    for ax, d in zip(axes[0], dims, strict=True):
        for m in methods:
            mine = [r for r in records if r["dim"] == d and r["method"] == m]
            if mine:
                grid, reached = ecdf(mine, d)
                ax.step(grid, reached, where="post", label=m)
        ax.set_xscale("log")
        ax.set_ylim(0, 1)
        ax.set_xlabel("evaluations / d")
        ax.set_title(f"BBOB f1-f24, d = {d}, 51 targets")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("share of (run, target) pairs reached")
    axes[0][-1].legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def run_key(r: dict[str, Any]) -> tuple[Any, ...]:
    """(method, function, instance, dim, seed): what identifies a run across files."""
    return (r["method"], r["function"], r["instance"], r["dim"], r.get("seed", 0))


def compare(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> str:
    """The runs two files share: which differ in evaluations, targets reached or final
    precision (a change meant to leave the search alone must leave them all equal),
    and the CPU per evaluation of each method and dimension, after over before."""
    old = {run_key(r): r for r in before}
    new = {run_key(r): r for r in after}
    common = sorted(old.keys() & new.keys())

    def trace(r: dict[str, Any]) -> tuple[Any, ...]:
        return r["evaluations"], r["hits"], r["precision"]

    differ = [k for k in common if trace(old[k]) != trace(new[k])]
    lines = [f"{len(common)} runs in both files; {len(differ)} differ"]
    lines += [f"  differs: {k}" for k in differ[:20]]
    lines += ["", "| method | d | runs | CPU us/eval before | after | after / before |"]
    lines.append("|---|---|---|---|---|---|")
    for method, d in sorted({(k[0], k[3]) for k in common}):
        keys = [k for k in common if k[0] == method and k[3] == d]
        cpu = [
            1e6 * sum(runs[k]["cpu_s"] for k in keys) / sum(runs[k]["evaluations"] for k in keys)
            for runs in (old, new)
        ]
        cells = [method, d, len(keys), f"{cpu[0]:.2f}", f"{cpu[1]:.2f}", f"{cpu[1] / cpu[0]:.2f}"]
        lines.append("| " + " | ".join(str(cell) for cell in cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dims", type=int, nargs="+", default=[2, 5, 10, 20])
    parser.add_argument("--instances", type=int, default=5)
    parser.add_argument("--functions", type=int, nargs="+", default=list(FUNCTIONS))
    parser.add_argument("--methods", nargs="*", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--plot", type=Path, default=None)
    parser.add_argument("--merge", type=Path, nargs="+", default=None)
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[0],
        help="sets of the methods' own seeds, each a repeat of the suite from the same x0",
    )
    parser.add_argument(
        "--compare",
        type=Path,
        nargs=2,
        metavar=("BEFORE", "AFTER"),
        help="compare the runs of two --out files (nothing is run)",
    )
    args = parser.parse_args()
    if args.compare:
        before, after = (json.loads(path.read_text())["records"] for path in args.compare)
        print(compare(before, after))
        return

    from importlib.metadata import version

    import cma

    jobs = [
        (m, f, i, d, seed)
        for d in args.dims
        for f in args.functions
        for i in range(1, args.instances + 1)
        for m in args.methods
        for seed in args.seeds
    ]
    print(
        f"# cemopt {ce.__version__}, pycma {cma.__version__}, ioh {version('ioh')}, "
        f"scipy {scipy.__version__}, numpy {np.__version__}, python {platform.python_version()}; "
        f"{platform.processor() or platform.machine()}; {len(jobs)} runs, {args.workers} workers, "
        f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}"
    )
    wall = time.perf_counter()
    if args.workers > 1:
        with ProcessPoolExecutor(args.workers) as pool:
            records = list(pool.map(run_one, *zip(*jobs, strict=True), chunksize=4))
    else:
        records = [run_one(*job) for job in jobs]
    methods, dims = args.methods, args.dims
    if args.merge:
        merged: dict[tuple[Any, ...], dict[str, Any]] = {}
        for path in args.merge:  # a later file's run replaces an earlier one's
            for r in json.loads(path.read_text())["records"]:
                if r["method"] in METHODS:
                    merged[run_key(r)] = r
        fresh = {run_key(r) for r in records}
        kept = [r for key, r in merged.items() if key not in fresh]
        records = kept + records
        methods = [m for m in METHODS if any(r["method"] == m for r in records)]
        dims = sorted({r["dim"] for r in records})
        names = ", ".join(str(path) for path in args.merge)
        print(f"# merged with {len(kept)} runs of {names}")
    print(summarise(records, methods, dims))
    print(f"\n# wall time {time.perf_counter() - wall:.0f} s")
    if args.out:
        args.out.write_text(
            json.dumps(
                {
                    "args": vars(args)
                    | {
                        "out": str(args.out),
                        "plot": str(args.plot),
                        "merge": [str(path) for path in args.merge or []],
                    },
                    "records": records,
                }
            )
        )
    if args.plot:
        plot(records, methods, dims, args.plot)


if __name__ == "__main__":
    main()
