"""Tour families at scale: the candidate-list family against the dense one.

``ce.SparsePermutation(nearest_candidates(D, k))`` keeps the transitions on the ``k``
nearest neighbours (plus an escape mass spread over the other nodes) and costs
``O(n k)`` per tour; ``ce.Permutation(n)`` holds the dense ``n x n`` matrix and costs
``O(n^2)`` per tour. Both are timed on the same random Euclidean instances (uniform
points in the unit square), from their uniform start, for ``sample``, ``logpdf`` and
``fit`` of a batch of ``N`` tours: best of ``--repeats`` wall times, in milliseconds
per tour, and the dense-over-sparse ratio.

``--instance FILE.tsp`` also times one iteration of ``cemopt.problems.tsp.solve`` (its
defaults: CE with local search on the elite) on that TSPLIB instance, against sampling
the same number of tours with either family: where the time goes at that size.

Run:  python benchmarks/sparse_permutation.py [--sizes 100 280 1002 2000] [--tours 200]
                                              [--k 10] [--repeats 3] [--instance a280.tsp]
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
from permutation_sampler import best_time  # the script's folder is on sys.path

import cemopt as ce
from cemopt.families import nearest_candidates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 280, 1002, 2000])
    parser.add_argument("--tours", type=int, default=200)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--instance", default=None, help="a TSPLIB .tsp file")
    args = parser.parse_args()
    print(
        f"# cemopt {ce.__version__}, numpy {np.__version__}, python "
        f"{platform.python_version()}; N = {args.tours} tours, k = {args.k}, best of "
        f"{args.repeats}"
    )
    print("| n | op | dense ms/tour | sparse ms/tour | dense / sparse |")
    print("|---:|---|---:|---:|---:|")
    for n in args.sizes:
        pts = np.random.default_rng(n).uniform(size=(n, 2))
        D = np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(axis=-1))
        dense, sparse = ce.Permutation(n), ce.SparsePermutation(nearest_candidates(D, args.k))
        tours = sparse.sample(args.tours, rng=0)
        ops = {
            "sample": lambda f, _: f.sample(args.tours, rng=1),
            "logpdf": lambda f, x: f.logpdf(x),
            "fit": lambda f, x: f.fit(x),
        }
        for name, op in ops.items():
            td = best_time(args.repeats, op, dense, tours) / args.tours * 1e3
            ts = best_time(args.repeats, op, sparse, tours) / args.tours * 1e3
            print(f"| {n} | {name} | {td:.3f} | {ts:.3f} | {td / ts:.1f} |", flush=True)
    if args.instance:
        one_iteration(args.instance, args.k)


def one_iteration(path: str, k: int) -> None:
    from cemopt.problems.tsp import TSP, solve

    problem = TSP.from_tsplib(path)
    start = time.perf_counter()
    res = solve(problem, rng=0, max_iter=1, target=False)
    spent = time.perf_counter() - start
    dense = best_time(1, ce.Permutation(problem.n).sample, res.nfev, 0)
    sparse_family = ce.SparsePermutation(nearest_candidates(problem.distances, k))
    sparse = best_time(1, sparse_family.sample, res.nfev, 0)
    print(
        f"\n{problem.name} (n = {problem.n}): one iteration of tsp.solve ({res.nfev} tours, "
        f"local search on the elite) {spent:.1f} s; sampling {res.nfev} tours: dense "
        f"{dense:.2f} s, sparse {sparse:.2f} s"
    )


if __name__ == "__main__":
    main()
