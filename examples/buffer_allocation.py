"""Where should 8 buffer slots go in a 4-machine line? CE on simulations, checked exactly.

1. The line: four exponential machines, the second the slowest, two of them failing
   now and then. Simulated throughputs of a few allocations beside the exact values
   from the line's Markov chain.
2. CE over allocations (each slot sent to a buffer by a categorical draw), scored by
   simulation with common random numbers, then its finalists re-evaluated: the answer
   against the best of all 45 allocations by the Markov chain, and the winner's curse
   that the final re-evaluation removes.
3. The same on a line no Markov chain describes (deterministic and gamma processing
   times, uniform repair times), 6 machines and 20 slots.

Run:  python examples/buffer_allocation.py
"""

from __future__ import annotations

import time

import numpy as np

from cemopt.problems.buffer_allocation import (
    BufferAllocation,
    FlowLine,
    TimeDistribution,
    all_allocations,
    exact_throughput,
    solve,
    throughput,
)


def main() -> None:
    start = time.perf_counter()
    line = FlowLine(
        [1.1, 0.67, 0.98, 1.35], failure_rates=[0.02, 0.0, 0.03, 0.0], repair_rates=[0.2] * 4
    )
    shown = np.array([[8, 0, 0], [0, 8, 0], [3, 3, 2], [3, 4, 1]])
    mean, se = throughput(line, shown, n_parts=20_000, rng=0)
    print(f"{line}: simulated vs exact throughput")
    for allocation, m, s in zip(shown, mean, se, strict=True):
        exact = exact_throughput(line, allocation)
        print(f"  {allocation.tolist()}: {m:.4f} +- {s:.4f}   exact {exact:.4f}")

    every = all_allocations(8, 3)
    exact = np.array([exact_throughput(line, a) for a in every])
    best = every[np.argmax(exact)]
    res = solve(BufferAllocation(line, total_buffer=8), rng=1)
    print(
        f"\nCE: {res.x.tolist()} after {res.nit} iterations, {res.simulated_parts / 1e6:.2f} M "
        f"simulated parts; exact best of {len(every)}: {best.tolist()} ({exact.max():.4f})"
    )
    print(
        f"  best single estimate during CE {res.best_seen:.4f} (for {res.best_seen_x.tolist()},"
        f" exact {exact_throughput(line, res.best_seen_x):.4f}): the winner's curse"
    )
    print(
        f"  final re-evaluation {res.fun:.4f} +- {res.std_error:.4f} "
        f"(exact {exact_throughput(line, res.x):.4f})"
    )

    TD = TimeDistribution
    general = FlowLine(
        [TD.deterministic(1.0), TD.numpy("gamma", shape=2.0, scale=0.55), TD.deterministic(1.05)]
        + [TD.numpy("gamma", shape=3.0, scale=0.33), TD.deterministic(0.95), 1.0],
        failure_rates=[0.01, 0.02, 0.01, 0.03, 0.01, 0.02],
        repair_rates=[TD.numpy("uniform", low=5.0, high=15.0)] * 6,
    )
    res = solve(BufferAllocation(general, total_buffer=20), rng=2)
    even = np.array([4, 4, 4, 4, 4])
    m_even, _ = throughput(general, even, n_parts=20_000, rng=3)
    m_ce, s_ce = throughput(general, res.x, n_parts=20_000, rng=3)
    print(
        f"\n{general}, 20 slots: CE {res.x.tolist()} {m_ce:.4f} +- {s_ce:.4f} "
        f"against {even.tolist()} {m_even:.4f} (same random numbers)"
    )
    print(f"\n{time.perf_counter() - start:.1f} s in all")


if __name__ == "__main__":
    main()
