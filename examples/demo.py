"""The main job on built-in examples: CE optimisation, seeded, in a few seconds.

1. Max-cut on the CE tutorial's synthetic graph (400 nodes, known optimum 40000),
   by CE over Bernoulli node sides.
2. Rosenbrock in 10 dimensions (minimum 0 at (1, ..., 1)), by CE over a
   full-covariance Gaussian with restarts.

Run:  python examples/demo.py
"""

from __future__ import annotations

import time

import numpy as np

import cemopt as ce
from cemopt.problems import functions
from cemopt.problems.maxcut import MaxCut, solve


def main() -> None:
    start = time.perf_counter()
    problem = MaxCut.synthetic(n=400, m=200, rng=2024)
    res = solve(problem, rng=1)
    print(
        f"max-cut  n=400: cut {res.fun:.0f} (known optimum {problem.optimum:.0f}), "
        f"{res.nit} iterations, {res.nfev} cuts sampled, {time.perf_counter() - start:.1f} s"
    )

    start = time.perf_counter()
    d = 10
    fn = functions.rosenbrock
    rng = np.random.default_rng(0)
    family = ce.MultivariateNormal(
        rng.uniform(fn.lower, fn.upper, d), np.eye(d) * ((fn.upper - fn.lower) / 2) ** 2
    )
    res = ce.minimize(fn, family, vectorized=True, target=1e-8, max_evals=100_000, rng=1)
    print(
        f"rosenbrock d=10: f = {res.fun:.2e} ({res.message}) after {res.nfev} evaluations, "
        f"{res.n_restarts} restarts, {time.perf_counter() - start:.1f} s"
    )


if __name__ == "__main__":
    main()
