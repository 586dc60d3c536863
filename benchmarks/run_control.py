"""Runs that stop when asked, and what a checkpoint costs.

Part A, time limits: a run whose single iteration takes longer than its time limit
(a slow black-box objective, a slow vectorised one, a rare-event estimate with a slow
limit state) must end within max(10%, 1 s) of the limit. Part B, checkpoints: the
extra wall time of ``checkpoint=`` on a cheap 400 000-evaluation run, and the time of
one write as the history grows (it must not grow with it).

Each case runs in a fresh process, on this checkout and, with ``--baseline PATH``, on
another checkout of cemopt (for example the code before the one loop: ``git worktree
add /tmp/old 03c6060``), in the same session, so that the two are compared on the same
machine at the same time.

Run:  python benchmarks/run_control.py [--baseline /tmp/old]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ the cases
def slow_sample(x):
    """A black box: 2 ms per sample."""
    time.sleep(0.002)
    return float(sum((v - 1.0) ** 2 for v in x))


def slow_batch(X):
    """A vectorised simulation: 0.5 ms per row, whatever the batch."""
    import numpy as np

    time.sleep(0.0005 * len(X))
    return ((np.asarray(X) - 1.0) ** 2).sum(axis=1)


def slow_limit_state(X):
    """A limit state of 0.2 ms per row (a sum of exponentials)."""
    import numpy as np

    time.sleep(0.0002 * len(X))
    return np.asarray(X).sum(axis=1)


def case_time_limit(name: str) -> dict:
    import numpy as np

    import cemopt as ce

    family = ce.Normal(np.zeros(3), np.full(3, 2.0))
    start = time.perf_counter()
    if name == "black box, 2 ms/sample, 2000/iteration, limit 3 s":
        res = ce.minimize(slow_sample, family, n_samples=2000, time_limit=3.0, rng=0)
        limit, status, nfev = 3.0, res.status, res.nfev
    elif name == "vectorised, 0.5 ms/row, 6000/iteration, limit 2 s":
        res = ce.minimize(
            slow_batch, family, n_samples=6000, vectorized=True, time_limit=2.0, rng=0
        )
        limit, status, nfev = 2.0, res.status, res.nfev
    else:  # estimate
        try:
            est = ce.estimate(
                slow_limit_state,
                ce.Exponential(np.ones(5)),
                30.0,
                n_final=100_000,
                time_limit=4.0,
                rng=0,
            )
        except TypeError as exc:  # the code before the one loop had no time_limit
            return {"case": name, "error": str(exc).split("\n")[0]}
        limit, status, nfev = 4.0, est.status, est.nfev
    wall = time.perf_counter() - start
    return {"case": name, "limit": limit, "wall": wall, "status": status, "nfev": nfev}


class NoisySphere:
    """The sphere plus uniform noise of amplitude 1 (its own seeded generator). With the
    scale almost frozen (``scale_smoothing=1e-3``, no variance scaling, no patience rule)
    CE never settles
    on it, so a run uses its whole budget at a steady, cheap cost per iteration."""

    def __init__(self) -> None:
        import numpy as np

        self.noise = np.random.default_rng(12345)

    def __call__(self, X):
        import numpy as np

        X = np.asarray(X)
        return (X**2).sum(axis=1) + self.noise.random(len(X))


def case_checkpoint(with_checkpoint: bool) -> dict:
    import numpy as np

    import cemopt as ce

    family = ce.Normal(np.full(5, 3.0), np.full(5, 5.0))
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "run.npz") if with_checkpoint else None
    start = time.perf_counter()
    res = ce.minimize(  # status max_evals: the whole budget is used
        NoisySphere(),
        family,
        n_samples=50,
        scale_smoothing=1e-3,
        variance_scaling=False,
        patience=0,
        vectorized=True,
        max_evals=400_000,
        degeneracy_tol=None,
        value_tol=None,
        checkpoint=path,
        rng=0,
    )
    wall = time.perf_counter() - start
    return {"checkpoint": with_checkpoint, "wall": wall, "nit": res.nit, "status": res.status}


def case_save_time() -> dict:
    """Median time of one save after 100, 1000 and 10000 iterations."""
    import numpy as np

    import cemopt as ce

    folder = tempfile.mkdtemp()
    opt = ce.CrossEntropy(
        ce.Normal(np.zeros(5), np.ones(5)),
        n_samples=20,
        scale_smoothing=1e-3,
        max_iter=10**9,
        patience=0,
        degeneracy_tol=None,
        value_tol=None,
        variance_scaling=False,
        rng=0,
    )
    out = {}
    path = os.path.join(folder, "run.npz")
    noisy_sphere = NoisySphere()
    for target in (100, 1000, 10_000):
        while opt.nit < target:
            X = opt.ask()
            opt.tell(X, noisy_sphere(X))
        times = []
        for _ in range(20):
            t = time.perf_counter()
            opt.save(path)
            times.append(time.perf_counter() - t)
        out[str(target)] = 1e3 * float(np.median(times))
    return out


# ------------------------------------------------------------------ the driver
CASES = (
    "black box, 2 ms/sample, 2000/iteration, limit 3 s",
    "vectorised, 0.5 ms/row, 6000/iteration, limit 2 s",
    "estimate, 0.2 ms/row, n_final 100000, limit 4 s",
)


def run_worker(kind: str, arg: str) -> None:
    if kind == "time":
        result = case_time_limit(arg)
    elif kind == "checkpoint":
        result = case_checkpoint(arg == "yes")
    else:
        result = case_save_time()
    print(json.dumps(result))


def in_process(code: Path, kind: str, arg: str = "") -> dict:
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run(
        [sys.executable, __file__, "--worker", kind, arg],
        env=env,
        cwd=str(code),
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(lines[-1])


def _wall(record: dict) -> float:
    return record.get("wall", float("inf"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="another cemopt checkout to compare")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run_worker(*args.worker)
        return
    codes = {"this checkout": HERE}
    if args.baseline:
        codes["baseline"] = args.baseline.resolve()
    print("## A. time limits: wall clock against the limit (tolerance max(10%, 1 s))\n")
    print("| code | case | limit s | wall s | over s | within | status | nfev |")
    print("|---|---|---|---|---|---|---|---|")
    for label, code in codes.items():
        for case in CASES:
            r = in_process(code, "time", case)
            if "error" in r:
                print(f"| {label} | {case} | | | | | {r['error'][:60]} | |")
                continue
            over = r["wall"] - r["limit"]
            ok = over <= max(0.1 * r["limit"], 1.0)
            print(
                f"| {label} | {case} | {r['limit']:.1f} | {r['wall']:.2f} | {over:+.2f} | "
                f"{'yes' if ok else 'NO'} | {r['status']} | {r['nfev']} |"
            )
    print("\n## B. checkpoints: a cheap 400 000-evaluation run (noisy sphere, d = 5)\n")
    print(
        "| code | without s | with checkpoint s | extra s | iterations "
        "| one save after 100 / 1000 / 10000 iterations, ms |"
    )
    print("|---|---|---|---|---|---|")
    for label, code in codes.items():
        plain = min((in_process(code, "checkpoint", "no") for _ in range(3)), key=_wall)
        saved = min((in_process(code, "checkpoint", "yes") for _ in range(3)), key=_wall)
        per = in_process(code, "save")
        saves = (
            " / ".join(f"{per[k]:.2f}" for k in ("100", "1000", "10000"))
            if "error" not in per
            else per["error"]
        )
        print(
            f"| {label} | {plain['wall']:.2f} | {saved['wall']:.2f} | "
            f"{saved['wall'] - plain['wall']:+.2f} | {plain['nit']} ({plain['status']}) | "
            f"{saves} |"
        )


if __name__ == "__main__":
    main()
