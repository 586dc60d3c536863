"""Exact throughput of small exponential flow lines: a continuous-time Markov chain.

The state is each machine's status (idle, working, down, blocked) and each buffer's
content. Transitions follow the rules of :mod:`cemopt.problems.buffer_allocation._flowline` told as
events rather than as a recursion: a working machine fails at its failure rate and
completes at its processing rate; a down machine is repaired at its repair rate; a
completed part goes straight into an idle machine downstream, else into the buffer,
else the machine is blocked; a machine that lets its part go takes the next one from
upstream, which may unblock the machine above it, and so on up the line. The
reachable states are enumerated from the empty line, the generator is assembled as
a ``scipy.sparse`` matrix, and the stationary distribution solves ``pi Q = 0``,
``sum(pi) = 1`` by a sparse LU factorisation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from cemopt.validation import check_int

from ._flowline import FlowLine, _as_allocations, _check_line

__all__ = ["exact_throughput"]

IDLE, WORKING, DOWN, BLOCKED = 0, 1, 2, 3

#: Default cap on the number of reachable states: the sparse LU of a chain this size
#: takes about 15 s (its fill-in grows fast with the number of machines); beyond it,
#: simulate.
MAX_STATES = 20_000


def exact_throughput(line: FlowLine, allocation: Any, *, max_states: int = MAX_STATES) -> float:
    """The long-run throughput of an exponential line, from its Markov chain.

    >>> line = FlowLine([1.0, 1.0])
    >>> round(exact_throughput(line, [2]), 12)   # M/M/1/K with K = 4: 4/5
    0.8

    Parameters
    ----------
    line : FlowLine
        Every processing, failure and repair time exponential
        (``line.is_exponential``).
    allocation : array_like of int, shape (m - 1,)
        Buffer sizes.
    max_states : int, default 20000
        Refuse (``ValueError``, before the linear solve) when the chain has more
        reachable states than this. Measured sizes and solve times (one core): a
        4-machine line with failures and buffers (5, 5, 5) has 5 432 states (0.2 s);
        6 machines without failures and buffers of 3, 6 930 (1 s); 5 machines with
        failures and buffers of 3, 19 402 (16 s, the sparse LU fills in heavily).

    Returns
    -------
    float
        Parts per unit time leaving the last machine:
        ``sum over states of pi(s) * mu_m * [machine m works in s]``.
    """
    line = _check_line(line)
    if not line.is_exponential:
        raise ValueError(
            "`line` must have exponential processing, failure and repair times for the "
            f"Markov chain, but got {line!r}; estimate its throughput with throughput()."
        )
    buffers, single = _as_allocations(allocation, line.n_machines)
    if not single:
        raise ValueError(
            f"`allocation` must be one allocation of shape ({line.n_machines - 1},), "
            f"but got allocation with shape {np.shape(allocation)}."
        )
    max_states = check_int(max_states, "max_states", minimum=1)
    m = line.n_machines
    caps = tuple(int(b) for b in buffers[0])
    mu = [d.rate for d in line.processing]
    fail = [0.0 if d is None else d.rate for d in line.failure]
    repair = [0.0 if d is None else d.rate for d in line.repair]

    start = tuple([WORKING] + [IDLE] * (m - 1)) + (0,) * (m - 1)
    index = {start: 0}
    order = [start]
    rows, cols, rates = [], [], []
    k = 0
    while k < len(order):
        state = order[k]
        for target, rate in _transitions(state, m, caps, mu, fail, repair):
            j = index.get(target)
            if j is None:
                if len(order) >= max_states:
                    raise ValueError(
                        f"the Markov chain of this line has more than max_states={max_states} "
                        f"states (buffers {list(caps)}, {m} machines); use throughput() or "
                        "raise max_states."
                    )
                j = index[target] = len(order)
                order.append(target)
            rows.append(k)
            cols.append(j)
            rates.append(rate)
        k += 1
    n = len(order)
    Q = sp.coo_matrix((rates, (rows, cols)), shape=(n, n)).tocsr()
    Q = Q - sp.diags(np.asarray(Q.sum(axis=1)).ravel())
    # pi Q = 0 with pi_0 = 1, then normalised: the balance equations of the other states
    # form a non-singular M-matrix whose columns are diagonally dominant, for which
    # Gaussian elimination without pivoting is stable; that lets SuperLU keep a
    # symmetric fill-reducing ordering (far less fill-in than its default here).
    At = Q.T.tocsc()
    pi = np.ones(n)
    if n > 1:
        lu = spla.splu(
            At[1:, 1:],
            permc_spec="MMD_AT_PLUS_A",
            diag_pivot_thresh=0.0,
            options={"SymmetricMode": True},
        )
        pi[1:] = lu.solve(-At[1:, 0].toarray().ravel())
    pi /= pi.sum()
    last_working = np.array([s[m - 1] == WORKING for s in order])
    return float(mu[m - 1] * pi[last_working].sum())


def _transitions(state, m, caps, mu, fail, repair):
    """(next state, rate) pairs out of ``state`` (statuses, then buffer contents)."""
    for i in range(m):
        status = state[i]
        if status == WORKING:
            if fail[i] > 0:
                s = list(state)
                s[i] = DOWN
                yield tuple(s), fail[i]
            yield _complete(list(state), i, m, caps), mu[i]
        elif status == DOWN:
            s = list(state)
            s[i] = WORKING
            yield tuple(s), repair[i]


def _complete(s: list, i: int, m: int, caps) -> tuple:
    """Machine ``i`` finishes its part (blocking after service)."""
    if i == m - 1:
        _pull(s, i, m)
    elif s[i + 1] == IDLE:  # downstream idle, so its buffer is empty: hand the part over
        s[i + 1] = WORKING
        _pull(s, i, m)
    elif s[m + i] < caps[i]:
        s[m + i] += 1
        _pull(s, i, m)
    else:
        s[i] = BLOCKED
    return tuple(s)


def _pull(s: list, i: int, m: int) -> None:
    """Machine ``i`` let its part go: it takes the next one, unblocking upstream."""
    while True:
        if i == 0:
            s[0] = WORKING  # never starved
            return
        buffer = m + i - 1
        if s[buffer] > 0:
            s[i] = WORKING
            if s[i - 1] != BLOCKED:
                s[buffer] -= 1
                return
            # the blocked machine's part takes the freed place; it pulls in turn
        elif s[i - 1] == BLOCKED:  # no buffer between them: the part moves straight in
            s[i] = WORKING
        else:
            s[i] = IDLE
            return
        i -= 1
