"""Permutation sampler: the batched tour sampler against a per-tour Python loop.

``ce.Permutation(n, P).sample(N)`` draws all ``N`` tours in one pass over the ``n``
positions (numpy over the whole batch at each position). The reference is the same
sequential algorithm written the straightforward way: one tour at a time, numpy per
step (mask the visited nodes, cumulative sum, ``searchsorted``), timed on fewer tours
and scaled to tours per second. A third column times the batched Gumbel-max
alternative (argmax of ``log P + Gumbel noise`` over the unvisited nodes, ``n`` random
numbers per tour and step) that ``Permutation`` does not use; the fallback for rows
without mass is left out of both references, which makes them, if anything, faster.

Run:  python benchmarks/permutation_sampler.py [--tours 10000] [--loop-tours 200]
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

import cemopt as ce


def best_time(repeats: int, func, *args) -> float:
    """Shortest wall time of ``func(*args)`` over ``repeats`` calls (shared machines are
    noisy)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func(*args)
        times.append(time.perf_counter() - start)
    return min(times)


def loop_sample(P: np.ndarray, N: int, rng: np.random.Generator) -> np.ndarray:
    """The sequential sampler, one tour at a time (start 0)."""
    n = P.shape[0]
    tours = np.empty((N, n), dtype=np.int64)
    for t in range(N):
        keep = np.ones(n)
        keep[0] = 0.0
        cur = 0
        tours[t, 0] = 0
        for k in range(1, n):
            cum = np.cumsum(P[cur] * keep)
            cur = int(np.searchsorted(cum, rng.random() * cum[-1], side="right"))
            tours[t, k] = cur
            keep[cur] = 0.0
    return tours


def gumbel_sample(P: np.ndarray, N: int, rng: np.random.Generator) -> np.ndarray:
    """The batched Gumbel-max variant, in the same (node, tour) layout (start 0)."""
    n = P.shape[0]
    PT = np.ascontiguousarray(P.T)
    cols = np.arange(N)
    tours = np.zeros((N, n), dtype=np.int64)
    keep = np.ones((n, N))
    keep[0] = 0.0
    W = np.empty((n, N))
    cur = tours[:, 0]
    with np.errstate(divide="ignore"):
        for k in range(1, n):
            np.take(PT, cur, axis=1, out=W, mode="clip")
            W *= keep
            np.log(W, out=W)
            W -= np.log(-np.log(rng.random((n, N))))
            cur = np.argmax(W, axis=0)
            tours[:, k] = cur
            keep[cur, cols] = 0.0
    return tours


def transition_matrix(n: int, seed: int = 0) -> np.ndarray:
    P = np.random.default_rng(seed).random((n, n))
    np.fill_diagonal(P, 0.0)
    return P / P.sum(axis=1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tours", type=int, default=10_000, help="batch size N")
    parser.add_argument("--loop-tours", type=int, default=200, help="tours for the loop")
    parser.add_argument("--gumbel-tours", type=int, default=2_000, help="tours for Gumbel")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300])
    args = parser.parse_args()
    print(
        f"# cemopt {ce.__version__}, numpy {np.__version__}, python "
        f"{platform.python_version()}, {platform.machine()}; best of {args.repeats}"
    )
    print()
    print(
        f"| n | N | batched tours/s | per-tour loop tours/s (on {args.loop_tours}) | ratio "
        f"| batched Gumbel-max tours/s (on {args.gumbel_tours}) |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        P = transition_matrix(n)
        family = ce.Permutation(n, P)
        rng = np.random.default_rng(1)
        family.sample(min(args.tours, 100), rng)  # warm-up
        t_batch = best_time(args.repeats, family.sample, args.tours, rng)
        t_loop = best_time(args.repeats, loop_sample, P, args.loop_tours, rng)
        t_gumbel = best_time(args.repeats, gumbel_sample, P, args.gumbel_tours, rng)
        batched = args.tours / t_batch
        loop = args.loop_tours / t_loop
        gumbel = args.gumbel_tours / t_gumbel
        print(
            f"| {n} | {args.tours} | {batched:,.0f} | {loop:,.0f} | {batched / loop:.1f} "
            f"| {gumbel:,.0f} |"
        )


if __name__ == "__main__":
    main()
