r"""Subset simulation: a rare-event probability as a product of conditional ones.

The cross-entropy estimators fit a proposal density and need it to cover every failure
region; when there are more regions than a mixture can hold (thirty symmetric ones,
say), no fitted proposal is right. Subset simulation (Au & Beck 2001) fits nothing: it
writes the event as the last of nested events ``F_1 > F_2 > ... > F_m = F`` and
estimates each conditional probability ``P(F_j | F_{j-1})`` from Markov chains that
keep the nominal density restricted to ``F_{j-1}`` invariant. The chains never need to
visit every region: with symmetric regions the ones they miss are replaced by the ones
they keep, and the product stays unbiased up to ``O(1/N)``.

Here the nominal is the standard normal density of ``dim`` inputs (map physical
inputs there first: :func:`cemopt.failure_probability` does). Each level keeps the
``p0 N`` best samples as seeds and grows chains from them by the adaptive conditional
sampler of Papaioannou, Betz, Zwirglmaier & Straub (2015): a preconditioned
Crank-Nicolson step ``v = rho u + sqrt(1 - rho^2) xi``, reversible for ``N(0, I)`` in
any dimension, whose per-coordinate width follows the seeds' spread, scaled towards an
acceptance rate of 0.44. All chains of a level step together, so the limit state is
called on whole batches.

The error bar of one run is Au & Beck's: each level contributes ``(1 - p_j) / (N p_j)
(1 + gamma_j)`` to the squared coefficient of variation, ``gamma_j`` from the
autocorrelation of the chains' indicator sequences. It leaves out the correlation
between levels and is too small: measured over 400 seeds on ``P(N(0, 1) > 4)`` in 10
dimensions, 0.207 reported against 0.220 observed (95% intervals cover 91%); over 100
seeds on 30 symmetric lognormal regions, 0.31 against 0.40 (81%). That is why this
module is private: :func:`cemopt.failure_probability` averages independent runs and
takes its error bar from their spread.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Any

import numpy as np

from ._validation import as_rng, check_int, check_real
from .errors import ConvergenceWarning
from .evaluate import DEFAULT_BLOCK_SIZE, BatchCutShort, Evaluator
from .rare_event import _NanCounter
from .result import RARE_EVENT_MESSAGES, LevelHistory, RareEventResult

__all__ = ["subset_simulation"]

#: the acceptance rate the conditional sampler's scale is steered towards (the
#: optimum of a one-dimensional random walk; Papaioannou et al. 2015 use it for aCS)
_TARGET_ACCEPTANCE = 0.44
#: the scale the sampler starts from (theirs)
_START_SCALE = 0.6


def subset_simulation(
    S: Callable[..., Any],
    dim: int,
    gamma: float,
    *,
    event: str = ">=",
    n_samples: int = 2000,
    p0: float = 0.1,
    max_iter: int = 50,
    time_limit: float | None = None,
    vectorized: bool = True,
    executor: Executor | None = None,
    block_size: int | None = DEFAULT_BLOCK_SIZE,
    catch: Sequence[type[BaseException]] | type[BaseException] = (),
    rng: Any = None,
) -> RareEventResult:
    r"""Estimate ``P(S(U) >= gamma)`` for ``U ~ N(0, I_dim)`` by subset simulation.

    >>> import numpy as np
    >>> from scipy import stats
    >>> S = lambda U: U.sum(axis=1) / np.sqrt(U.shape[1])   # N(0, 1)
    >>> est = subset_simulation(S, 10, 4.0, rng=0)
    >>> exact = stats.norm.sf(4.0)                          # 3.2e-5
    >>> est.success, bool(abs(est.probability - exact) < 4 * est.std_error)
    (True, True)

    Parameters
    ----------
    S : callable
        The score of a batch of standard normal samples: ``S(U) -> (n,)`` for ``U`` of
        shape ``(n, dim)`` with ``vectorized=True``, else ``S(u) -> float``.
    dim : int
        The number of standard normal inputs.
    gamma : float
        The threshold of the event.
    event : {">=", "<="}, default ">="
        The event ``S(U) >= gamma`` or ``S(U) <= gamma`` (failure ``g(U) <= 0``).
    n_samples : int, default 2000
        Samples per level (the first from the nominal, the others along the chains).
    p0 : float, default 0.1
        The conditional probability of each intermediate level; ``p0 n_samples``
        seeds start the chains of the next level.
    max_iter : int, default 50
        Levels at most.
    time_limit : float, optional
        Seconds; the run stops between chain steps (or inside one, at a block of
        scores) once they are spent, without an estimate.
    vectorized, executor, block_size, catch, rng
        As in :func:`cemopt.estimate`.

    Returns
    -------
    RareEventResult
        With ``method="subset"``: ``levels`` the thresholds ``b_1, ..., b_m``,
        ``n_final`` the last level's samples and ``n_hits`` those inside the event,
        ``ess = 1 / relative_error^2``, ``proposal=None`` (no density is fitted), and
        ``history.elite_ess`` each level's seeds over ``1 + gamma_j`` (the chains'
        correlation). ``success`` is True when the levels reached ``gamma``.

    Notes
    -----
    A NaN score counts as outside every level (``n_nan``): the estimate is then a
    lower bound, and the result is flagged (``status="nan"``). What subset simulation
    cannot see: a failure region whose intermediate levels hold no seed for several
    levels in a row while it keeps most of the probability (the chains cannot cross to
    it), and regions disconnected within a level, whose shares the chains cannot
    rebalance. With many regions of the same size the estimate stays right; its error
    is then larger than with one region.

    References
    ----------
    Au & Beck (2001), Estimation of small failure probabilities in high dimensions by
    subset simulation, Probab. Eng. Mech. 16, 263-277. Papaioannou, Betz, Zwirglmaier &
    Straub (2015), MCMC algorithms for subset simulation, Probab. Eng. Mech. 41, 89-103.
    """
    if not callable(S):
        raise TypeError(f"`S` must be callable, but got S={S!r}.")
    dim = check_int(dim, "dim", minimum=1)
    gamma = check_real(gamma, "gamma")
    if not math.isfinite(gamma):
        raise ValueError(f"`gamma` must be finite, but got gamma={gamma!r}.")
    if event not in (">=", "<="):
        raise ValueError(f"`event` must be '>=' or '<=', but got event={event!r}.")
    n_samples = check_int(n_samples, "n_samples", minimum=10)
    p0 = check_real(p0, "p0", low=0, high=0.5, low_open=True)
    n_seeds = int(p0 * n_samples)
    if n_seeds < 2:
        raise ValueError(
            f"`p0 * n_samples >= 2` must hold (the seeds of each level's chains), but got "
            f"p0={p0!r} and n_samples={n_samples}."
        )
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    time_limit = check_real(time_limit, "time_limit", low=0, low_open=True, allow_none=True)
    sign = -1.0 if event == ">=" else 1.0
    run = _Subset(
        Evaluator(S, vectorized=vectorized, executor=executor, block_size=block_size, catch=catch),
        dim,
        sign,
        sign * gamma,
        n_samples,
        n_seeds,
        max_iter,
        None if time_limit is None else time.perf_counter() + time_limit,
        as_rng(rng),
    )
    result = run.result()
    if not result.success:
        warnings.warn(result.message, ConvergenceWarning, stacklevel=2)
    return result


class _Subset:
    """One subset-simulation run, in the orientation ``s = sign S <= limit``."""

    def __init__(self, score, dim, sign, limit, n_samples, n_seeds, max_iter, deadline, rng):
        self.score, self.dim, self.sign, self.limit = score, dim, sign, limit
        self.n_samples, self.n_seeds, self.max_iter = n_samples, n_seeds, max_iter
        self.deadline, self.rng = deadline, rng
        self.nfev = 0
        self._nan_counter = _NanCounter()
        self.rows: list[dict[str, Any]] = []
        self.design_point: np.ndarray | None = None
        self.status = self._levels()

    # ----------------------------------------------------------------- scoring
    def _scores(self, U: np.ndarray) -> np.ndarray:
        try:
            values = self.sign * self.score(U, deadline=self.deadline)
        except BatchCutShort as cut:
            self.nfev += len(cut.values)
            raise _Stop(cut.reason) from None
        except KeyboardInterrupt:
            raise _Stop("interrupted") from None
        self.nfev += len(values)
        nan = np.isnan(self._nan_counter(values))  # counted and warned once, as in estimate
        values = np.where(nan, np.inf, values)
        self._note_design_point(U, values)
        return values

    def _note_design_point(self, U: np.ndarray, values: np.ndarray) -> None:
        inside = U[values <= self.limit]
        if not len(inside):
            return
        norms = np.einsum("ij,ij->i", inside, inside)
        k = int(np.argmin(norms))
        if self.design_point is None or norms[k] < self.design_point @ self.design_point:
            self.design_point = inside[k].copy()

    @property
    def n_nan(self) -> int:
        return self._nan_counter.total

    # ------------------------------------------------------------------ levels
    def _levels(self) -> str:
        self.log_p, self.cov2, self.n_hits = 0.0, 0.0, 0
        scale = _START_SCALE
        try:
            U = self.rng.standard_normal((self.n_samples, self.dim))
            s = self._scores(U)
            chains = None  # the first level is plain Monte Carlo: independent samples
            previous = math.inf
            for _ in range(self.max_iter):
                order = np.argsort(s, kind="stable")
                b = float(s[order[self.n_seeds - 1]])
                if b <= self.limit:
                    inside = s <= self.limit
                    self.n_hits = int(inside.sum())
                    self._add_level(inside, chains, self.limit)
                    return "nan" if self.n_nan else "subset"
                if not b < previous or not math.isfinite(b):
                    return "stalled"  # the seeds do not improve: a plateau of S
                previous = b
                seeds = s <= b  # ties at b all seed (the level's p is then above p0)
                self._add_level(seeds, chains, b)
                U, s, chains, scale = self._conditional_samples(U[seeds], s[seeds], b, scale)
            return "max_iter"
        except _Stop as stop:
            return stop.reason

    def _add_level(self, inside: np.ndarray, chains: np.ndarray | None, b: float) -> None:
        p = float(inside.mean())
        gamma = 0.0 if chains is None else _correlation_factor(inside[chains], chains >= 0, p)
        self.log_p += math.log(p)
        self.cov2 += (1.0 - p) / (self.n_samples * p) * (1.0 + gamma)
        self.rows.append(
            {
                "level": self.sign * b,
                "n_elite": int(inside.sum()),
                "elite_ess": float(inside.sum() / (1.0 + gamma)),
                "nfev": self.nfev,
                "degeneracy": math.nan,
            }
        )

    def _conditional_samples(
        self, seeds: np.ndarray, seed_scores: np.ndarray, b: float, scale: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """``n_samples`` states of chains grown from the seeds inside ``s <= b``.

        Returns the states, their scores, the chain layout (``chains[c, t]`` is the row
        of chain ``c``'s ``t``-th state, -1 past its end) and the adapted scale.
        """
        n_chains = len(seeds)
        lengths = np.full(n_chains, self.n_samples // n_chains)
        lengths[: self.n_samples % n_chains] += 1
        steps = int(lengths.max())
        # the seeds' per-coordinate spread sets the proposal widths (aCS)
        spread = seeds.std(axis=0)
        U = np.empty((self.n_samples, self.dim))
        s = np.empty(self.n_samples)
        chains = np.full((n_chains, steps), -1)
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        current, current_s = seeds.copy(), seed_scores.copy()
        for t in range(steps):
            alive = np.flatnonzero(lengths > t)
            if t > 0:
                width = np.minimum(scale * spread, 1.0)
                rho = np.sqrt(1.0 - width**2)
                moved = rho * current[alive] + width * self.rng.standard_normal(
                    (len(alive), self.dim)
                )
                moved_s = self._scores(moved)
                accept = moved_s <= b
                current[alive[accept]] = moved[accept]
                current_s[alive[accept]] = moved_s[accept]
                # the Robbins-Monro step of aCS, one adaptation per chain step
                scale *= math.exp((accept.mean() - _TARGET_ACCEPTANCE) / math.sqrt(t))
            rows = starts[alive] + t
            U[rows], s[rows] = current[alive], current_s[alive]
            chains[alive, t] = rows
        return U, s, chains, scale

    # ------------------------------------------------------------------ result
    def result(self) -> RareEventResult:
        success, message = RARE_EVENT_MESSAGES[self.status]
        reached = self.status in ("subset", "nan")
        if reached:
            log_p, rel = self.log_p, math.sqrt(self.cov2)
            p = math.exp(log_p)
            estimate = (p, rel * p, rel, log_p, 1.0 / self.cov2 if self.cov2 else math.inf)
        else:
            estimate = (math.nan, math.nan, math.nan, math.nan, math.nan)
            if self.status not in ("interrupted", "time_limit"):
                message += " (subset simulation)"
        history = LevelHistory.from_rows(self.rows)
        return RareEventResult(
            probability=estimate[0],
            std_error=estimate[1],
            relative_error=estimate[2],
            log_probability=estimate[3],
            levels=history.level,
            proposal=None,
            nfev=self.nfev,
            n_final=self.n_samples if reached else 0,
            n_hits=self.n_hits,
            ess=estimate[4],
            success=success,
            status=self.status,
            message=message,
            history=history,
            n_nan=self.n_nan,
            method="subset",
            interrupted=self.status == "interrupted",
            design_point=self.design_point,
        )


class _Stop(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


def _correlation_factor(indicator: np.ndarray, valid: np.ndarray, p: float) -> float:
    r"""Au & Beck's ``gamma = 2 sum_k (1 - k N_c / N) rho_k`` of the chains' indicators.

    ``indicator[c, t]`` is whether chain ``c``'s ``t``-th state is inside the next
    level (ignored where ``valid`` is False, past a chain's end); ``rho_k`` is the
    lag-``k`` autocorrelation, pooled over the chains.
    """
    variance = p * (1.0 - p)
    if variance <= 0:
        return 0.0
    n_chains, steps = indicator.shape
    n = int(valid.sum())
    x = np.where(valid, indicator, False).astype(float)
    gamma = 0.0
    for k in range(1, steps):
        pairs = valid[:, :-k] & valid[:, k:]
        count = int(pairs.sum())
        if not count:
            break
        covariance = float((x[:, :-k] * x[:, k:])[pairs].sum()) / count - p * p
        gamma += 2.0 * (1.0 - k * n_chains / n) * covariance / variance
    return max(gamma, 0.0)
