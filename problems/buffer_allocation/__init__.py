r"""Buffer allocation in flow lines: where should ``n`` buffer slots go?

A line of ``m`` unreliable machines in series has ``m - 1`` buffers between them
(see :class:`FlowLine`). Given ``n`` slots in total, the allocation
:math:`b = (b_1, \dots, b_{m-1})`, :math:`\sum_k b_k = n`, that maximises the
long-run throughput can only be found from simulations, so this is noisy,
simulation-based optimisation. CE handles it as in Alon, Kroese, Raviv & Rubinstein
(2005): each of the ``n`` slots is sent to one of the ``m - 1`` buffers by a
categorical draw (:class:`cemopt.Categorical` with ``n`` coordinates and ``m - 1``
categories), so every sampled allocation uses exactly ``n`` slots, and the
categorical probabilities are refitted to the elite allocations.

This package holds the public names: the line (:class:`FlowLine`,
:class:`TimeDistribution`), the batch simulator (:func:`throughput`, with
:func:`effective_times`, :func:`departure_times` and the event-by-event reference
:func:`simulate_events`), the exact Markov-chain throughput of small exponential
lines (:func:`exact_throughput`), and the problem (:class:`BufferAllocation`) with its
CE solver (:func:`solve`). Inside:
``_flowline`` (time laws, the line, the batch recursion, the event-by-event reference),
``_ctmc`` (the Markov chain) and ``_allocation`` (CE over slot assignments).

Examples
--------
>>> from cemopt.problems.buffer_allocation import (BufferAllocation, FlowLine,
...                                                exact_throughput, solve)
>>> line = FlowLine([1.1, 0.67, 0.98, 1.35])     # exponential, the second machine slowest
>>> res = solve(BufferAllocation(line, total_buffer=8), n_parts=500, rng=0)
>>> res.x.tolist()                               # the best of the 45 allocations
[3, 4, 1]
>>> round(exact_throughput(line, res.x), 4), round(res.fun, 2), round(res.std_error, 3)
(0.6264, 0.64, 0.005)
"""

from ._allocation import (
    AllocationResult,
    BufferAllocation,
    all_allocations,
    slots_to_allocations,
    solve,
)
from ._ctmc import exact_throughput
from ._flowline import (
    FlowLine,
    TimeDistribution,
    departure_times,
    effective_times,
    simulate_events,
    throughput,
)

__all__ = [
    "AllocationResult",
    "BufferAllocation",
    "FlowLine",
    "TimeDistribution",
    "all_allocations",
    "departure_times",
    "effective_times",
    "exact_throughput",
    "simulate_events",
    "slots_to_allocations",
    "solve",
    "throughput",
]
