"""Engine overhead: one CE iteration against drawing the same raw random numbers.

One iteration = ask (sample the batch) + score a trivial vectorised objective (the
row sum) + tell (select the elite, refit, blend, record history). The reference is
the bare generator call that draws the same amount of randomness
(``standard_normal((N, d))`` for Normal, ``random((N, d))`` for Bernoulli). The ratio
is the price of the engine on top of the random numbers it cannot avoid; the goal
is at most 2.

Run:  python benchmarks/overhead.py [--repeats 30]
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

import cemopt as ce


def time_per_call(func, repeats: int) -> float:
    """Median wall time of ``func()`` over ``repeats`` calls (after one warm-up)."""
    func()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def trivial(X: np.ndarray) -> np.ndarray:
    return X.sum(axis=1)


def measure(name: str, family, raw_draw, n: int, repeats: int) -> dict:
    rng = np.random.default_rng(0)
    opt = ce.CrossEntropy(
        family,
        n_samples=n,
        max_iter=10**9,
        patience=0,
        degeneracy_tol=None,
        value_tol=None,
        rng=rng,
    )

    def iteration():
        X = opt.ask()
        opt.tell(X, trivial(X))

    raw_rng = np.random.default_rng(1)
    t_iter = time_per_call(iteration, repeats)
    t_raw = time_per_call(lambda: raw_draw(raw_rng), repeats)
    return {
        "case": name,
        "iteration_ms": 1e3 * t_iter,
        "raw_ms": 1e3 * t_raw,
        "ratio": t_iter / t_raw,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    cases = [
        (
            "Normal d=100 N=1000",
            ce.Normal(np.zeros(100), np.ones(100)),
            1000,
            lambda r: r.standard_normal((1000, 100)),
        ),
        (
            "Normal d=1000 N=10000",
            ce.Normal(np.zeros(1000), np.ones(1000)),
            10000,
            lambda r: r.standard_normal((10000, 1000)),
        ),
        (
            "Bernoulli d=1000 N=10000",
            ce.Bernoulli(np.full(1000, 0.5)),
            10000,
            lambda r: r.random((10000, 1000)),
        ),
    ]
    print(
        f"# cemopt {ce.__version__}, numpy {np.__version__}, python {platform.python_version()},"
        f" {platform.machine()}"
    )
    print(f"{'case':<26} {'iteration ms':>13} {'raw draw ms':>12} {'ratio':>6}")
    for name, family, n, raw in cases:
        row = measure(name, family, raw, n, args.repeats)
        print(
            f"{row['case']:<26} {row['iteration_ms']:>13.3f} {row['raw_ms']:>12.3f} "
            f"{row['ratio']:>6.2f}"
        )


if __name__ == "__main__":
    main()
