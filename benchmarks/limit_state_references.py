"""Recompute the Monte Carlo references of ``cemopt.problems.limit_states``.

Three RP problems (RP14, RP38, RP91) have no exact answer; their reference is a
conditional Monte Carlo estimate: one input, on which the failure event given the
others is an interval, is integrated out in closed form, which leaves an average of
smooth probabilities instead of 0/1 indicators. RP8's reference is deterministic
(a convolution, re-derived in the tests); its conditional Monte Carlo estimate here
is an independent check. ``lognormal_sum_30`` uses
the Asmussen-Kroese estimator for sums of iid heavy-tailed terms. Every estimate is
seeded and chunked the same way, so a rerun reproduces the digits stored in the
module; the table shows each estimate, its standard error, the stored value and the
published one.

    python benchmarks/limit_state_references.py            # n = 1e8 (1e7 for the sum)
    python benchmarks/limit_state_references.py --scale 0.01

The exact references (closed forms and 1-d integrals) are re-derived in
``tests/test_limit_states.py``.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable

import numpy as np
from scipy import stats

from cemopt.problems import limit_states as ls

CHUNK = 1_000_000


def _draw(problem: ls.LimitState, columns: list[int], n: int, rng: np.random.Generator):
    """Independent draws of the given inputs (columns of X), by scipy's samplers."""
    return [problem.marginals[i].rvs(size=n, random_state=rng) for i in columns]


def cmc_rp8(n: int, rng: np.random.Generator) -> np.ndarray:
    """``P(5 x5 >= x1 + 2 x2 + 2 x3 + x4 - 5 x6 | the others)``: the lognormal sf of x5.

    (x5, the load with the largest coefficient of variation, carries most of the
    variance; conditioning on x1 instead leaves a standard error four times larger.)
    """
    p = ls.rp8()
    x1, x2, x3, x4, x6 = _draw(p, [0, 1, 2, 3, 5], n, rng)
    t = (x1 + 2 * x2 + 2 * x3 + x4 - 5 * x6) / 5
    out = np.ones(n)
    pos = t > 0
    out[pos] = p.marginals[4].sf(t[pos])
    return out


def cmc_rp14(n: int, rng: np.random.Generator) -> np.ndarray:
    """``P(|x3| x4 / 4 >= sqrt(u^2 - x5^2) | x1, x2, x4, x5)``, ``u = pi x1 x2^3 / 32``.

    ``g <= 0`` is ``u^2 <= (x3 x4 / 4)^2 + x5^2``; x3 (Gumbel) carries most of the
    variance, so it is the one integrated out (its cdf in closed form).
    """
    p = ls.rp14()
    x1, x2, x4, x5 = _draw(p, [0, 1, 3, 4], n, rng)
    u = np.pi * x1 * x2**3 / 32.0
    t = 4.0 * np.sqrt(np.maximum(u * u - x5 * x5, 0.0)) / x4
    x3 = p.marginals[2]
    return x3.sf(t) + x3.cdf(-t)


def cmc_rp38(n: int, rng: np.random.Generator) -> np.ndarray:
    """``g = 15.59e4 - Z / x3^3``: ``P(x3 between 0 and cbrt(Z / 15.59e4) | Z)``.

    ``Z = x1 x2^3 A / (2 B)`` does not involve x3, whose cube in the denominator
    carries most of the variance.
    """
    p = ls.rp38()
    x1, x2, x4, x5, x6, x7 = _draw(p, [0, 1, 3, 4, 5, 6], n, rng)
    a = x4**2 - 4 * x5 * x6 * x7**2 + x4 * (x6 + 4 * x5 + 2 * x6 * x7)
    b = x4 * x5 * (x4 + x6 + 2 * x6 * x7)
    z = x1 * x2**3 / 2.0 * (a / b)
    x3 = p.marginals[2]
    return np.abs(x3.cdf(np.cbrt(z / 15.59e4)) - x3.cdf(0.0))


def cmc_rp91(n: int, rng: np.random.Generator) -> np.ndarray:
    """1 where ``g1 <= 0``, else ``P(x1 <= max(sqrt(q), |x4|) / 84000)``."""
    p = ls.rp91()
    x2, x3, x4, x5 = _draw(p, [1, 2, 3, 4], n, rng)
    g1 = ls.rp91_branch1(x2, x3, x4)
    c = np.maximum(np.sqrt(x3**2 + x4**2 - x3 * x4 + 3.0 * x5**2), np.abs(x4)) / 84000.0
    return np.where(g1 <= 0, 1.0, p.marginals[0].cdf(c))


def asmussen_kroese(n: int, rng: np.random.Generator, terms: int = 30, level: float = 500.0):
    """``terms * P(X_terms > max(M, level - S) | the other terms)`` for iid LogNormal(0, 1)."""
    y = np.exp(rng.standard_normal((n, terms - 1)))
    bound = np.maximum(y.max(axis=1), level - y.sum(axis=1))
    return terms * stats.norm.sf(np.log(bound))


def estimate(
    f: Callable[[int, np.random.Generator], np.ndarray], n: int, seed: int, chunk: int = CHUNK
) -> tuple[float, float]:
    """Mean and standard error of ``f``'s values over ``n`` draws, in seeded chunks."""
    rng = np.random.default_rng(seed)
    total = total_sq = 0.0
    done = 0
    while done < n:
        m = min(chunk, n - done)
        values = f(m, rng)
        total += float(values.sum())
        total_sq += float(np.square(values).sum())
        done += m
    mean = total / n
    var = max(total_sq / n - mean**2, 0.0) * n / (n - 1)
    return mean, math.sqrt(var / n)


CASES = {
    "RP8": (cmc_rp8, 10**8, 8),
    "RP14": (cmc_rp14, 10**8, 14),
    "RP38": (cmc_rp38, 10**8, 38),
    "RP91": (cmc_rp91, 10**8, 91),
    "lognormal_sum_30": (asmussen_kroese, 10**7, 30),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every n by this")
    parser.add_argument("--only", nargs="+", default=sorted(CASES), choices=sorted(CASES))
    args = parser.parse_args()
    print("| problem | n | seed | estimate | std error | stored | published | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.only:
        f, n, seed = CASES[name]
        n = max(int(n * args.scale), 1000)
        problem = ls.PROBLEMS[name]()
        start = time.perf_counter()
        chunk = 100_000 if name == "lognormal_sum_30" else CHUNK
        mean, se = estimate(f, n, seed, chunk)
        seconds = time.perf_counter() - start
        print(
            f"| {name} | {n:.0e} | {seed} | {mean:.6e} | {se:.2e} | "
            f"{problem.probability:.5e} | {problem.published:.5e} | {seconds:.1f} |"
        )


if __name__ == "__main__":
    main()
