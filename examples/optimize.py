"""Optimisation with cemopt, step by step: minimize/maximize, ask/tell, checkpoints.

1. ``ce.maximize`` on MATLAB's ``peaks``, CEoptim's first example (Benham et al. 2017):
   a Normal family from mean (-3, -3), sd (10, 10) finds the global maximum 8.10621 at
   (-0.0093, 1.5814) among three local maxima.
2. Ask/tell with a mixed family (``ce.Product`` of a Normal and a Categorical): you
   drive the loop and score the batch yourself, as with a simulator or a lab. The
   problem: pick one of four machines (a fixed cost each) and tune two settings; the
   best choice, by enumeration, is machine 2 with settings (2, -1), cost 0.5.
3. A run checkpointed after every iteration, stopped early, and resumed: it reaches
   the same answer as the run that was never stopped.

Run:  python examples/optimize.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

import cemopt as ce
from cemopt.problems.functions import peaks, rosenbrock

COSTS = np.array([3.0, 1.0, 0.5, 2.0])


def plant(X: dict) -> np.ndarray:
    """Cost of machine k with settings x: its fixed cost plus a quadratic tuning loss."""
    k = X["machine"][:, 0]
    x = X["settings"]
    return COSTS[k] + (x[:, 0] - k) ** 2 + (x[:, 1] + 1.0) ** 2


def main() -> None:
    start = time.perf_counter()
    res = ce.maximize(peaks, ce.Normal([-3.0, -3.0], [10.0, 10.0]), vectorized=True, rng=0)
    print(
        f"peaks: max {res.fun:.5f} at {res.x.round(4).tolist()} (known {peaks.f_opt:.5f} at "
        f"{peaks.x_opt(2).round(4).tolist()}), {res.nfev} evaluations, {res.message}"
    )

    family = ce.Product(
        settings=ce.Normal([0.0, 0.0], [5.0, 5.0]), machine=ce.Categorical(np.full((1, 4), 0.25))
    )
    opt = ce.CrossEntropy(family, n_samples=200, rng=1)
    while not opt.stop():
        X = opt.ask()  # a dict: settings (200, 2), machine (200, 1)
        opt.tell(X, plant(X))  # scored by you, a whole batch at a time
    best = opt.result()
    print(
        f"ask/tell: machine {int(best.x['machine'][0])}, settings "
        f"{best.x['settings'].round(4).tolist()}, cost {best.fun:.6f} (best by enumeration: "
        f"machine {int(COSTS.argmin())}, settings [2, -1], cost {COSTS.min()})"
    )

    family = ce.MultivariateNormal(np.zeros(5), 25 * np.eye(5))
    settings = dict(vectorized=True, n_samples=200, max_iter=150)
    whole = ce.minimize(rosenbrock, family, rng=2, **settings)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "run.npz"
        first = ce.minimize(
            rosenbrock, family, rng=2, checkpoint=path, **{**settings, "max_iter": 40}
        )
        resumed = ce.minimize(rosenbrock, family, resume=path, **settings)
    print(
        f"checkpoint: stopped at iteration {first.nit} (f = {first.fun:.3g}), resumed to "
        f"iteration {resumed.nit}: f = {resumed.fun:.6e}; never stopped: f = {whole.fun:.6e} "
        f"({'the same' if resumed.fun == whole.fun else 'different'})"
    )
    print(f"\n{time.perf_counter() - start:.1f} s in all")


if __name__ == "__main__":
    main()
