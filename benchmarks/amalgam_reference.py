"""Is the evaluation gap of AMaLGaM's rules on the sphere the algorithm's or cemopt's?

A minimal iAMaLGaM written here outside the engine, after the ECJ port of Bosman's
iAMaLGaM-Full (``ec.eda.amalgam``: the best solution kept, the distribution
multiplier with the standard-deviation ratio and its no-improvement stretch of 25 +
d, the anticipated mean shift of ``0.5 tau n`` samples by ``2 c_mult`` times the
smoothed mean step, the covariance learnt with weight ``1 - exp(-1.1 k^1.2 / d^1.6)``,
the mean on the best solution while the multiplier is below 1), against cemopt's
AMaLGaM rules (``csa=False``), its default (``csa``) and pycma, on the sphere from
x0 ~ U[-4, 4]^d with sigma0 = 2: evaluations until f <= 1e-8.

Run:  python benchmarks/amalgam_reference.py [--dims 10 20] [--seeds 3]
"""

from __future__ import annotations

import argparse
import math
import warnings

import numpy as np

import cemopt as ce

TARGET = 1e-8


def sphere(X: np.ndarray) -> np.ndarray:
    return (X**2).sum(axis=1)


def minimal_iamalgam(x0: np.ndarray, sigma0: float, seed: int, budget: int) -> int:
    """Evaluations of a minimal iAMaLGaM-Full to ``TARGET`` on the sphere (-1: none)."""
    d = len(x0)
    rng = np.random.default_rng(seed)
    n = max(round(10 * math.sqrt(d)), 10)
    tau = 0.35
    n_sel = int(tau * n)
    eta_cov = 1 - math.exp(-1.1 * n_sel**1.2 / d**1.6)
    eta_shift = 1 - math.exp(-1.2 * n_sel**0.31 / d**0.5)
    n_ams = int(0.5 * tau * n / (n - 1) * n)
    multiplier, stretch, max_stretch = 1.0, 0, 25 + d
    mean, cov, shift = np.array(x0, dtype=float), sigma0**2 * np.eye(d), np.zeros(d)
    best_x, best_f, evals, first = None, math.inf, 0, True
    while evals < budget:
        chol = np.linalg.cholesky(multiplier * cov)
        k = n if best_x is None else n - 1  # the best solution is kept
        X = mean + rng.standard_normal((k, d)) @ chol.T
        if not first:
            X[:n_ams] += 2.0 * multiplier * shift
        F = sphere(X)
        evals += k
        if F.min() <= TARGET:
            return evals - k + int(np.argmax(F <= TARGET)) + 1
        if best_x is not None:
            X, F = np.vstack([best_x, X]), np.concatenate([[best_f], F])
        order = np.argsort(F, kind="stable")
        selected, selected_f = X[order[:n_sel]], F[order[:n_sel]]
        if not first:  # the multiplier, from the improvements on the kept best
            improved = selected_f < best_f
            if improved.any():
                stretch, multiplier = 0, max(multiplier, 1.0)
                centre = selected[improved].mean(axis=0) - mean
                ratio = np.abs(np.linalg.solve(np.linalg.cholesky(cov), centre)).max()
                if ratio > 1.0:
                    multiplier /= 0.9
            else:
                if multiplier <= 1:
                    stretch += 1
                if multiplier > 1 or stretch >= max_stretch:
                    multiplier *= 0.9
                if multiplier < 1 and stretch < max_stretch:
                    multiplier = 1.0
        if selected_f[0] < best_f:
            best_f, best_x = float(selected_f[0]), selected[0].copy()
        previous = mean
        mean = selected.mean(axis=0) if multiplier >= 1 else best_x.copy()
        centred = selected - mean
        cov = (1 - eta_cov) * cov + eta_cov * (centred.T @ centred) / n_sel
        shift = (1 - eta_shift) * shift + eta_shift * (mean - previous)
        first = False
    return -1


def cemopt_evaluations(x0: np.ndarray, sigma0: float, seed: int, budget: int, **kw) -> int:
    res = ce.minimize(
        sphere,
        ce.MultivariateNormal(x0, sigma0**2 * np.eye(len(x0))),
        vectorized=True,
        target=TARGET,
        max_evals=budget,
        rng=seed,
        **kw,
    )
    return res.nfev if res.status == "target" else -1


def pycma_evaluations(x0: np.ndarray, sigma0: float, seed: int, budget: int) -> int | None:
    try:
        import cma
    except ImportError:
        return None
    options = {"maxfevals": budget, "ftarget": TARGET, "verbose": -9, "seed": seed + 1}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        es = cma.CMAEvolutionStrategy(x0, sigma0, options)
        while not es.stop():
            X = es.ask()
            es.tell(X, list(sphere(np.array(X))))
    return es.result.evaluations if es.result.fbest <= TARGET else -1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, nargs="+", default=[10, 20])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    print("| d | seed | minimal iAMaLGaM | cemopt csa=False | cemopt (csa) | pycma |")
    print("|---|---|---|---|---|---|")
    for d in args.dims:
        budget = 10_000 * d
        for seed in range(args.seeds):
            x0 = np.random.default_rng(seed).uniform(-4.0, 4.0, d)
            row = [
                minimal_iamalgam(x0, 2.0, seed, budget),
                cemopt_evaluations(x0, 2.0, seed, budget, csa=False),
                cemopt_evaluations(x0, 2.0, seed, budget),
                pycma_evaluations(x0, 2.0, seed, budget),
            ]
            cells = ["not installed" if v is None else str(v) for v in row]
            print(f"| {d} | {seed} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
