r"""Permutation Monte Carlo for network unreliability (Elperin, Gertsbakh & Lomonosov).

Edge ``e`` is born (repaired) at an exponential time of rate
:math:`\lambda_e = -\ln q_e`, so that it is born by time 1 with probability
:math:`1 - q_e`: the network at time 1 is the static network of the problem. Given the
order :math:`\pi` in which the edges are born, the times between births are independent
exponentials with rates :math:`\Lambda_0 > \Lambda_1 > \dots`, where
:math:`\Lambda_i` is the total rate of the edges not yet born. If the terminals connect
at the :math:`r`-th birth (the critical number of the order), the network is down at
time 1 exactly when fewer than :math:`r` births happened by then:

.. math:: P(\text{down} \mid \pi) = P(N(1) < r(\pi)),

a pure-birth probability computed here exactly by uniformisation, as a sum of
non-negative terms (no cancellation, so tiny values keep their digits). Averaging it over
sampled orders is the permutation Monte Carlo estimator; drawing the orders from other
rates :math:`\mu` (for example the ones the CE method tuned) and multiplying by the
likelihood ratio of the first :math:`r` births gives an unbiased importance-sampling
version.

>>> import numpy as np
>>> rates = np.array([[2.0, 1.0]])     # two births left, at rates 2 then 1
>>> p = pure_birth_survival(rates, np.array([2]))   # P(second birth after time 1)
>>> exact = 2 * np.exp(-1.0) - np.exp(-2.0)          # hypoexponential tail
>>> bool(np.isclose(p[0], exact, rtol=1e-14))
True

References
----------
.. [1] Elperin, T., Gertsbakh, I. & Lomonosov, M. (1991). Estimation of network
   reliability using graph evolution models. *IEEE Trans. Reliability* 40, 572-581.
.. [2] Gertsbakh, I. & Shpungin, Y. (2010). *Models of Network Reliability*. CRC Press.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from ._batch import connection_times

__all__ = ["pure_birth_survival", "PermutationScore"]


def pure_birth_survival(
    rates: np.ndarray, r: np.ndarray, *, rtol: float = 1e-16, log: bool = False
) -> np.ndarray:
    """``P(N(1) < r)`` for pure-birth processes whose ``i``-th birth has rate ``rates[:, i]``.

    Uniformisation at the rate ``rates[:, 0]`` (the largest): the chain jumps at the
    events of a Poisson process and moves up with probability ``rates[:, i] /
    rates[:, 0]``; the answer is a Poisson-weighted sum of non-negative terms, summed
    until the Poisson tail left is below ``rtol`` times the sum. The sum is kept in
    log space and the chain's distribution rescaled whenever its mass gets small, so
    that an answer of 1e-250 or e^-5000 (large rates) keeps its relative accuracy.
    The loop runs about ``rates.max()`` steps.

    Parameters
    ----------
    rates : ndarray, shape (N, R)
        Positive, non-increasing along each row; only the first ``r`` entries of a row
        matter.
    r : ndarray of int, shape (N,)
        Critical numbers, ``1 <= r <= R``.
    rtol : float
        Relative truncation error allowed.
    log : bool, default False
        Return the natural log of the probabilities (finite where they underflow).

    Returns
    -------
    ndarray, shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> pure_birth_survival(np.array([[3.0]]), np.array([1]))   # exp(-3)
    array([0.04978707])
    >>> pure_birth_survival(np.array([[900.0]]), np.array([1]), log=True)   # no underflow
    array([-900.])
    """
    n = rates.shape[0]
    if n == 0:
        return np.zeros(0)
    width = int(r.max())
    total = rates[:, 0]
    below = np.arange(width)[:, None] < r[None, :]  # (width, n): the states that count
    # states on axis 0, samples on axis 1: each update is a few contiguous row operations
    up = np.where(below, rates[:, :width].T / total, 0.0)
    stay = 1.0 - up
    # mass moving from state i to i + 1 is kept only while i + 1 < r (beyond is absorbed)
    move_on = up[:-1] * below[1:]
    state = np.zeros((width, n))  # the distribution of the chain, divided by exp(log_scale)
    state[0] = 1.0
    log_scale = np.zeros(n)
    moved = np.empty((width - 1, n))
    log_total = np.log(total)
    log_answer = np.full(n, -np.inf)
    log_rtol = np.log(rtol)
    k = 0
    while True:
        mass = state.sum(axis=0)  # non-increasing in k: mass beyond r - 1 leaves
        with np.errstate(divide="ignore"):  # a chain absorbed for good adds nothing
            log_term = -total + k * log_total - special.gammaln(k + 1) + log_scale + np.log(mass)
        log_answer = np.logaddexp(log_answer, log_term)
        if k + 1 > total.max():
            # the rest: at most mass_k * weight_k * x / (1 - x), x = total / (k + 1)
            ratio = total / (k + 1)
            if np.all(log_term + np.log(ratio / (1 - ratio)) <= log_rtol + log_answer):
                return log_answer if log else np.exp(log_answer)
        small = (mass < 1e-200) & (mass > 0)
        if small.any():
            state[:, small] /= mass[small]
            log_scale[small] += np.log(mass[small])
        np.multiply(state[:-1], move_on, out=moved)
        state *= stay
        state[1:] += moved
        k += 1


class _ConditionalScore:
    """The network, the nominal repair rates and the rates the times were drawn with.

    ``sampling_rates`` is one rate per link, or ``K`` rows of them with
    ``mixture_weights``: the times were then drawn from the mixture that picks row
    ``k`` with probability ``mixture_weights[k]`` (a defensive mixture keeps a share
    of the nominal rates, which bounds the likelihood ratio by one over that share).
    """

    def __init__(
        self,
        n_nodes: int,
        edges: np.ndarray,
        terminals: np.ndarray,
        rates: np.ndarray,
        sampling_rates: np.ndarray | None = None,
        *,
        mixture_weights: np.ndarray | None = None,
        log: bool = False,
    ) -> None:
        self.n_nodes = n_nodes
        self.edges = edges
        self.terminals = terminals
        self.rates = rates
        self.sampling_rates = rates if sampling_rates is None else sampling_rates
        self.log = log
        if self.weighted:
            table = np.atleast_2d(np.asarray(self.sampling_rates, dtype=float))
            if mixture_weights is None:
                mixture_weights = np.full(table.shape[0], 1.0 / table.shape[0])
            mixture_weights = np.asarray(mixture_weights, dtype=float)
            if table.shape[1:] != np.shape(rates) or mixture_weights.shape != table.shape[:1]:
                raise ValueError(
                    f"`sampling_rates` must have shape ({len(rates)},) or (K, {len(rates)}) "
                    f"with K `mixture_weights`, but got {table.shape} and "
                    f"{mixture_weights.shape}."
                )
            self._table = table  # (K, m)
            with np.errstate(divide="ignore"):  # a component of weight 0 never counts
                self._log_mixture = np.log(mixture_weights)

    @property
    def weighted(self) -> bool:
        """Whether the times come from other rates than ``rates`` (a likelihood ratio)."""
        return self.sampling_rates is not self.rates

    def _log_ratio(self, log_nominal: np.ndarray, log_sampling: np.ndarray) -> np.ndarray:
        """``log P(sequence)`` under ``rates`` minus its log under the sampling mixture."""
        joint = log_sampling + self._log_mixture
        top = joint.max(axis=1)
        return log_nominal - top - np.log(np.exp(joint - top[:, None]).sum(axis=1))


class PermutationScore(_ConditionalScore):
    """Conditional probability of failure given the birth order, times a likelihood ratio.

    Called on a batch of birth times ``T`` (shape ``(N, m)``) drawn with rates
    ``sampling_rates``, it returns, for each sample, ``L(pi) * P(down | pi)`` with the
    probability under ``rates``; ``L`` is the likelihood ratio of the first ``r``
    births (1 when ``sampling_rates`` is ``rates``). Its mean is the unreliability.
    With ``log=True`` it returns the natural logs, computed in log space throughout
    (values far below 1e-308 stay finite). Picklable, so it can score chunks on any
    executor.

    Examples
    --------
    >>> import numpy as np
    >>> score = PermutationScore(2, np.array([[0, 1]]), np.array([0, 1]), np.array([1.0]))
    >>> score(np.array([[0.3]]))        # one edge: down with probability exp(-1)
    array([0.36787944])
    """

    def __call__(self, times: np.ndarray) -> np.ndarray:
        times = np.asarray(times, dtype=float)
        _, r, order = connection_times(self.n_nodes, self.edges, self.terminals, times)
        m = self.edges.shape[0]
        if np.any(r > m):
            raise ValueError("the terminals are not connected even with every edge working")
        rates = self.rates[order]
        remaining = np.cumsum(rates[:, ::-1], axis=1)[:, ::-1]  # accurate: sums of positives
        log_probability = pure_birth_survival(remaining, r, log=True)
        if not self.weighted:
            return log_probability if self.log else np.exp(log_probability)
        first = np.arange(m) < r[:, None]

        def log_order(rates_in_order: np.ndarray) -> np.ndarray:  # of the first r births
            left = np.cumsum(rates_in_order[:, ::-1], axis=1)[:, ::-1]
            return np.where(first, np.log(rates_in_order) - np.log(left), 0.0).sum(axis=1)

        log_sampling = np.stack([log_order(row[order]) for row in self._table], axis=1)
        log_value = log_probability + self._log_ratio(log_order(rates), log_sampling)
        return log_value if self.log else np.exp(log_value)


class MergeScore(_ConditionalScore):
    """The merge-process (turnip) estimator: ``P(down | merge sequence)`` times a ratio.

    The refinement of permutation Monte Carlo by Lomonosov's merge process: a link born
    inside an already connected component changes nothing, so only the sequence of
    component merges matters. After the ``i``-th merge the time to the next one is
    exponential with the total rate :math:`\\Lambda_i` of the links joining different
    components (recomputed as a sum of positive terms), and the network is down at
    time 1 when fewer than ``r`` merges, the number that joins the terminals, happened
    by then. Birth times ``T`` drawn with ``sampling_rates`` give the merge sequence;
    the likelihood ratio of that sequence, :math:`\\prod_i (\\lambda_{e_i} / \\Lambda_i)
    / (\\mu_{e_i} / M_i)` (a mixture's in the denominator for several rows of
    ``sampling_rates``), corrects for rates other than ``rates``. With ``log=True``
    the natural logs of the values, which never underflow.

    Examples
    --------
    >>> import numpy as np
    >>> score = MergeScore(2, np.array([[0, 1], [0, 1]]), np.array([0, 1]),
    ...                    np.array([1.0, 2.0]))
    >>> score(np.array([[0.3, 0.1]]))    # two parallel links: down w.p. exp(-1) exp(-2)
    array([0.04978707])
    >>> log_score = MergeScore(2, np.array([[0, 1], [0, 1]]), np.array([0, 1]),
    ...                        np.array([1.0, 2.0]), log=True)
    >>> log_score(np.array([[0.3, 0.1]]))    # -1 - 2
    array([-3.])
    """

    def __call__(self, times: np.ndarray) -> np.ndarray:
        times = np.asarray(times, dtype=float)
        n, m = times.shape
        order = np.argsort(times, axis=1, kind="stable")
        u, v = self.edges[:, 0], self.edges[:, 1]
        weighted = self.weighted
        labels = np.broadcast_to(np.arange(self.n_nodes), (n, self.n_nodes)).copy()
        width = self.n_nodes - 1  # at most n - 1 merges
        merge_rates = np.zeros((n, width))
        merges = np.zeros(n, dtype=np.int64)
        crossing = labels[:, u] != labels[:, v]  # links joining different components
        relevant = crossing @ self.rates
        if weighted:
            log_rates, log_table = np.log(self.rates), np.log(self._table.T)  # (m,), (m, K)
            relevant_sampling = crossing @ self._table.T  # (n, K)
            log_nominal = np.zeros(n)  # log P(merge sequence) under rates ...
            log_sampling = np.zeros((n, self._table.shape[0]))  # ... and each sampling row
        critical = np.zeros(n, dtype=np.int64)
        pending = np.arange(n)
        for step in range(m):
            if pending.size == 0:
                break
            edge = order[pending, step]
            lab = labels[pending]
            rows = np.arange(pending.size)
            a, b = lab[rows, u[edge]], lab[rows, v[edge]]
            merging = a != b
            if not merging.any():
                continue
            who = pending[merging]
            merge_rates[who, merges[who]] = relevant[who]
            if weighted:
                e = edge[merging]
                log_nominal[who] += log_rates[e] - np.log(relevant[who])
                log_sampling[who] += log_table[e] - np.log(relevant_sampling[who])
            merges[who] += 1
            lab = lab[merging]
            lab = np.where(lab == a[merging, None], b[merging, None], lab)
            labels[who] = lab
            crossing = lab[:, u] != lab[:, v]
            relevant[who] = crossing @ self.rates
            if weighted:
                relevant_sampling[who] = crossing @ self._table.T
            at_terminals = lab[:, self.terminals]
            done = np.all(at_terminals == at_terminals[:, :1], axis=1)
            critical[who[done]] = merges[who[done]]
            pending = np.setdiff1d(pending, who[done], assume_unique=True)
        if pending.size:
            raise ValueError("the terminals are not connected even with every edge working")
        log_value = pure_birth_survival(merge_rates, critical, log=True)
        if weighted:
            log_value = log_value + self._log_ratio(log_nominal, log_sampling)
        return log_value if self.log else np.exp(log_value)
