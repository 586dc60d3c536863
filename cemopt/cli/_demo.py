"""``cemopt demo``: max-cut n=400 and Rosenbrock d=10, what examples/demo.py does."""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

import cemopt as ce

from ._common import Report, _executor, _optimize_fields, _run_lines, _vector


def _demo(args: argparse.Namespace) -> Report:
    from cemopt.problems import functions
    from cemopt.problems.maxcut import MaxCut
    from cemopt.problems.maxcut import solve as solve_maxcut

    with _executor(args) as pool:
        start = time.perf_counter()
        problem = MaxCut.synthetic(n=400, m=200, rng=2024)
        cut = solve_maxcut(problem, rng=args.seed + 1, executor=pool, progress=args.progress)
        cut_seconds = time.perf_counter() - start

        start = time.perf_counter()
        fn, d = functions.rosenbrock, 10
        generator = np.random.default_rng(args.seed)
        family = ce.MultivariateNormal(
            generator.uniform(fn.lower, fn.upper, d),
            np.eye(d) * ((fn.upper - fn.lower) / 2) ** 2,
        )
        rosen = ce.minimize(
            fn,
            family,
            vectorized=True,
            target=1e-8,
            max_evals=100_000,
            rng=args.seed + 1,
            executor=pool,
            progress=args.progress,
        )
        rosen_seconds = time.perf_counter() - start
    document = {
        "command": "demo",
        "success": bool(cut.success and rosen.success),
        "maxcut": {
            "n": 400,
            "optimum": problem.optimum,
            "cut": cut.fun,
            **_optimize_fields(cut, cut_seconds),
        },
        "rosenbrock": {
            "dim": d,
            "f_opt": fn.f_opt,
            "x": rosen.x,
            **_optimize_fields(rosen, rosen_seconds),
        },
    }
    lines = [
        "cemopt demo: the cross-entropy method on two built-in problems",
        "",
        "max-cut, the CE tutorial's 400-node two-block graph (Bernoulli node sides)",
        f"  cut         {cut.fun:.0f} (known optimum {problem.optimum:.0f})",
        *_run_lines(cut, cut_seconds),
        "",
        "Rosenbrock in 10 dimensions (full-covariance Gaussian, minimum 0 at (1, ..., 1))",
        f"  f           {rosen.fun:.3e} at x = {_vector(rosen.x, 4)}",
        *_run_lines(rosen, rosen_seconds),
    ]

    def figure() -> Any:
        import matplotlib.pyplot as plt

        from ..plot import plot_history

        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
        plot_history(cut, ax=left, title="max-cut n=400")
        plot_history(rosen, ax=right, title="Rosenbrock d=10")
        fig.tight_layout()
        return fig

    return document, lines, figure
