"""Result objects: ``OptimizeResult`` and its per-iteration ``History``.

Field names follow :class:`scipy.optimize.OptimizeResult` (``x, fun, nit, nfev,
success, status, message``) so that code written for scipy switches without
relearning; ``status`` is a short string key into :data:`STATUS_MESSAGES`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

__all__ = [
    "HISTORY_COLUMNS",
    "LEVEL_COLUMNS",
    "History",
    "LevelHistory",
    "OptimizeResult",
    "RareEventResult",
    "RARE_EVENT_MESSAGES",
    "STATUS_MESSAGES",
]

#: status key -> (success, message). The one table every stopping rule goes through.
STATUS_MESSAGES: dict[str, tuple[bool, str]] = {
    "target": (True, "The target value was reached."),
    "degenerate": (True, "The sampling distribution degenerated to a point (degeneracy_tol)."),
    "kl": (
        True,
        "The update moved the sampling distribution by less than kl_tol "
        "(KL divergence between successive families).",
    ),
    "patience": (True, "The level did not improve for `patience` iterations."),
    "flat": (True, "The scores of a batch spread less than value_tol."),
    "flat history": (
        True,
        "The best scores of the last 10 + 30 d / n_samples iterations spread less than "
        "value_tol (csa).",
    ),
    "stagnation": (
        False,
        "The best score did not improve for 100 + 100 d^1.5 / n_samples iterations (csa).",
    ),
    "ill-conditioned": (
        False,
        "The covariance's condition number passed 1e14 (csa): the search could not "
        "go on in its smallest directions.",
    ),
    "no effect": (
        False,
        "The distribution became narrower than the floating-point spacing of its mean "
        "along a coordinate or a principal axis (csa): the search could not move there.",
    ),
    "max_iter": (False, "The maximum number of iterations (max_iter) was reached."),
    "max_evals": (False, "The maximum number of evaluations (max_evals) was reached."),
    "time_limit": (False, "The time limit (time_limit) was reached."),
    "callback": (False, "The callback asked to stop."),
    "interrupted": (False, "Interrupted by the user (KeyboardInterrupt); best so far returned."),
    "degenerate elite": (
        False,
        "The elite could not be fitted (no valid scores, or zero total weight).",
    ),
}

HISTORY_COLUMNS = (
    "level",
    "best",
    "best_so_far",
    "mean_value",
    "n_samples",
    "n_elite",
    "nfev",
    "n_nan",
    "degeneracy",
    "entropy",
    "kl",
    "alpha",
    "scale_alpha",
    "scale",
    "restart",
)


_INT_COLUMNS = frozenset({"n_samples", "n_elite", "nfev", "n_nan", "restart"})


@dataclass(frozen=True, eq=False)
class History:
    """Per-iteration record of a run, one row per iteration, stored as arrays.

    >>> import cemopt as ce
    >>> res = ce.minimize(lambda X: (X ** 2).sum(axis=1), ce.Normal([1.0], [1.0]),
    ...                   n_samples=50, vectorized=True, max_iter=3, rng=0)
    >>> res.history.nfev.tolist(), len(res.history)
    ([50, 100, 150], 3)

    Attributes
    ----------
    level : ndarray
        The elite threshold gamma_t (worst elite value) of each iteration.
    best, best_so_far, mean_value : ndarray
        Best value in the batch, best value seen so far, mean of the non-NaN values.
    n_samples, n_elite, nfev, n_nan : ndarray of int
        Batch size, elite size, cumulative evaluations, cumulative NaN scores.
    degeneracy : ndarray
        ``family.degeneracy()`` after the update (NaN when the family has none).
    entropy : ndarray
        ``family.entropy()`` after the update, in nats (see ``docs/information.md``).
    kl : ndarray
        ``KL(family after || family before)`` of the update, in nats: how far it moved
        the sampling distribution (NaN for an iteration whose elite could not be fitted).
        Both are NaN for families without a closed form (``Mixture``, ``Permutation``
        beyond 8 nodes): the engine does not spend a Monte Carlo batch per iteration.
    alpha, scale_alpha : ndarray
        Smoothing weights used for location and scale parameters.
    scale : ndarray
        The variance multiplier of adaptive variance scaling (1 when inactive).
    restart : ndarray of int
        Index of the restart (0 for the first run) each iteration belongs to.
    params : dict of ndarray
        With ``keep_params=True``: each family parameter stacked over iterations
        (nested ``Product`` names joined with "."). Empty otherwise.
    """

    level: np.ndarray
    best: np.ndarray
    best_so_far: np.ndarray
    mean_value: np.ndarray
    n_samples: np.ndarray
    n_elite: np.ndarray
    nfev: np.ndarray
    n_nan: np.ndarray
    degeneracy: np.ndarray
    entropy: np.ndarray
    kl: np.ndarray
    alpha: np.ndarray
    scale_alpha: np.ndarray
    scale: np.ndarray
    restart: np.ndarray
    params: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: list[dict[str, Any]], params: dict[str, list] | None = None):
        """Build from a list of per-iteration dicts.

        >>> History.from_rows([{"level": 1.0, "nfev": 10}]).nfev.tolist()
        [10]
        """
        columns = {
            name: np.array([r.get(name, 0 if name in _INT_COLUMNS else np.nan) for r in rows])
            for name in HISTORY_COLUMNS
        }
        return cls._typed(columns, params)

    @classmethod
    def from_columns(cls, columns: Any, params: dict[str, list] | None = None) -> History:
        """Build from the run's growing columns (read-only views, no copy of floats)."""
        return cls._typed({name: columns.view(name) for name in HISTORY_COLUMNS}, params)

    @classmethod
    def _typed(cls, columns: dict[str, np.ndarray], params: dict[str, list] | None) -> History:
        typed = {
            name: column.astype(int) if name in _INT_COLUMNS else column.astype(float, copy=False)
            for name, column in columns.items()
        }
        stacked = {k: np.array(v) for k, v in (params or {}).items()}
        return cls(**typed, params=stacked)

    def __len__(self) -> int:
        return len(self.level)

    def as_dict(self) -> dict[str, np.ndarray]:
        """Columns as a dict of arrays (ready for ``pandas.DataFrame``)."""
        return {name: getattr(self, name) for name in HISTORY_COLUMNS}

    def __repr__(self) -> str:
        if not len(self):
            return "History(0 iterations)"
        return (
            f"History({len(self)} iterations, best {self.best_so_far[-1]:.6g}, "
            f"columns: {', '.join(HISTORY_COLUMNS)})"
        )


@dataclass(frozen=True, eq=False)
class OptimizeResult:
    """The outcome of :func:`cemopt.minimize`, :func:`cemopt.maximize` or
    :meth:`cemopt.CrossEntropy.result`.

    >>> import cemopt as ce
    >>> res = ce.maximize(lambda X: X.sum(axis=1), ce.Bernoulli([0.5] * 4),
    ...                   n_samples=40, vectorized=True, rng=0)
    >>> res.x.tolist(), res.fun, res.success, res.status
    ([1, 1, 1, 1], 4.0, True, 'flat')

    Attributes
    ----------
    x : ndarray or dict
        The best evaluated sample.
    fun : float
        Its objective value (in the caller's sign: the maximum for ``maximize``).
    nit, nfev : int
        Iterations (CE updates) and objective evaluations, over all restarts.
    success : bool
        True when a convergence rule or the target ended the run.
    status : str
        Which rule ended the run: a key of :data:`cemopt.result.STATUS_MESSAGES`.
    message : str
        That rule in words.
    family : Family
        The final sampling distribution.
    history : History
        One row per iteration.
    x_mode : ndarray, dict or None
        ``family.mode()``: the distribution's own best guess (None if it has none).
        For noisy objectives this is often a better answer than ``x``.
    n_nan : int
        Number of NaN scores (each counted as the worst value).
    interrupted : bool
        True when the run was stopped by KeyboardInterrupt.
    n_restarts : int
        Restarts performed.
    """

    x: Any
    fun: float
    nit: int
    nfev: int
    success: bool
    status: str
    message: str
    family: Any
    history: History
    x_mode: Any = None
    n_nan: int = 0
    interrupted: bool = False
    n_restarts: int = 0

    def __repr__(self) -> str:
        # scipy's _RichResult layout: message and success first, names right-aligned.
        order = ["message", "success", "status", "fun", "x", "nit", "nfev"]
        names = order + [f.name for f in fields(self) if f.name not in order]
        width = max(map(len, names))
        lines = []
        for name in names:
            text = _format_value(getattr(self, name))
            indent = " " * (width + 3)
            lines.append(f"{name:>{width}}: " + text.replace("\n", "\n" + indent))
        return "\n".join(lines)


def _format_value(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return np.array2string(value, threshold=12, edgeitems=3, precision=6)
    if isinstance(value, dict) and all(isinstance(v, np.ndarray) for v in value.values()):
        return "{" + ", ".join(f"{k}: {_format_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float):
        return f"{value:.10g}"
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


#: columns of a rare-event run's history, one row per level
LEVEL_COLUMNS = (
    "level",
    "n_elite",
    "elite_ess",
    "n_batches",
    "nfev",
    "degeneracy",
    "entropy",
    "kl",
    "sigma",
)


@dataclass(frozen=True, eq=False)
class LevelHistory:
    """Per-level record of a rare-event run, one row per CE iteration.

    Attributes
    ----------
    level : ndarray
        gamma_t, in the caller's orientation (increasing towards gamma for ">=").
    n_elite : ndarray of int
        Elite size (samples at or beyond the level).
    elite_ess : ndarray
        Effective sample size of the elite's likelihood-ratio weights.
    n_batches : ndarray of int
        Batches of ``n_samples`` drawn at this level (more than one when the elite's
        weights were too uneven, see ``min_ess``).
    sigma : ndarray
        With ``levels="smoothed"``: the width of the smoothed indicator at each level
        (NaN for quantile levels).
    nfev : ndarray of int
        Cumulative evaluations.
    degeneracy : ndarray
        ``proposal.degeneracy()`` after the update (NaN when the family has none).
    entropy : ndarray
        ``proposal.entropy()`` after the update, in nats (NaN without a closed form).
    kl : ndarray
        ``KL(proposal after || proposal before)`` of the update, in nats (NaN without a
        closed form).

    Examples
    --------
    >>> h = LevelHistory.from_rows([{"level": 1.0, "n_elite": 10, "elite_ess": 8.0,
    ...                             "nfev": 100, "degeneracy": 0.5}])
    >>> h.level.tolist(), len(h)
    ([1.0], 1)
    """

    level: np.ndarray
    n_elite: np.ndarray
    elite_ess: np.ndarray
    nfev: np.ndarray
    degeneracy: np.ndarray
    entropy: np.ndarray = field(default_factory=lambda: np.array([]))
    kl: np.ndarray = field(default_factory=lambda: np.array([]))
    n_batches: np.ndarray = field(default_factory=lambda: np.array([], dtype=int))
    sigma: np.ndarray = field(default_factory=lambda: np.array([]))

    @classmethod
    def from_rows(cls, rows: list[dict[str, Any]]) -> LevelHistory:
        """Build from per-level dicts; ``entropy``, ``kl`` and ``sigma`` may be left out
        (NaN), ``n_batches`` too (1)."""
        optional = {"entropy": np.nan, "kl": np.nan, "n_batches": 1, "sigma": np.nan}
        return cls._typed(
            {
                n: np.array([r.get(n, optional[n]) if n in optional else r[n] for r in rows])
                for n in LEVEL_COLUMNS
            }
        )

    @classmethod
    def from_columns(cls, columns: Any) -> LevelHistory:
        """Build from a run's growing columns (read-only views)."""
        return cls._typed({name: columns.view(name) for name in LEVEL_COLUMNS})

    @classmethod
    def _typed(cls, columns: dict[str, np.ndarray]) -> LevelHistory:
        ints = {"n_elite", "nfev", "n_batches"}
        return cls(
            **{
                n: c.astype(int) if n in ints else np.asarray(c, dtype=float)
                for n, c in columns.items()
            }
        )

    def __len__(self) -> int:
        return len(self.level)

    def __repr__(self) -> str:
        return f"LevelHistory({len(self)} levels: {np.array2string(self.level, precision=4)})"


#: rare-event status key -> (success, message)
RARE_EVENT_MESSAGES: dict[str, tuple[bool, str]] = {
    "converged": (True, "The level sequence reached gamma; the estimate uses a fresh sample."),
    "plateau": (
        True,
        "The smoothed levels stopped narrowing (the same width for `patience` levels) with "
        "part of each batch in the event; the estimate uses a fresh sample from that "
        "proposal, which passed the final checks.",
    ),
    "crude": (True, "Crude Monte Carlo estimate."),
    "subset": (
        True,
        "Subset simulation reached gamma: the estimate is the product of the levels' "
        "conditional probabilities, its error bar Au & Beck's (the correlation within "
        "each level's chains counted, the one between levels not).",
    ),
    "stalled": (
        False,
        "The level sequence stalled before reaching gamma (an impossible event, or a family "
        "that cannot move further): no final sample was drawn, there is no estimate.",
    ),
    "max_iter": (
        False,
        "The level sequence did not reach gamma within max_iter iterations: no final "
        "sample was drawn, there is no estimate.",
    ),
    "max_evals": (
        False,
        "The level sequence did not reach gamma within the evaluations max_evals leaves "
        "the levels (the rest is the final sample's): no final sample was drawn, there is "
        "no estimate.",
    ),
    "time_limit": (False, "The time limit (time_limit) was reached."),
    "callback": (False, "The callback asked to stop."),
    "interrupted": (False, "Interrupted by the user (KeyboardInterrupt)."),
    "running": (False, "The run has not stopped yet."),
    "degenerate elite": (
        False,
        "The elite could not be fitted (no valid score, or zero likelihood-ratio weight): "
        "no final sample was drawn, there is no estimate.",
    ),
    "no hits": (
        False,
        "No final sample reached gamma: the probability is too small for this sample size "
        "and proposal; no error bar can be given.",
    ),
    "above one": (
        False,
        "The estimate exceeds 1, which no probability does: the proposal misrepresents a "
        "common event (start from the nominal, whose weights are all 1).",
    ),
    "uncovered event": (
        False,
        "Samples inside the event that the levels met lie where the final proposal draws "
        "thousands of times less than the ideal proposal would: part of the event (another "
        "failure region) is under-sampled, and the estimate is probably too low. More "
        "samples per level (n_samples) let the proposal keep every region.",
    ),
    "heavy weights": (
        False,
        "The final likelihood-ratio weights have a heavy tail (Pareto-smoothed importance "
        "sampling k-hat above its threshold): their variance is probably infinite, so "
        "the estimate converges slowly and its error bar cannot be trusted. A proposal "
        "with heavier tails than the nominal's (or a defensive share, defensive=0.1) "
        "avoids it.",
    ),
    "degenerate weights": (
        False,
        "The final likelihood-ratio weights are degenerate (effective sample size below "
        "min_ess): a few samples carry the estimate and its error bar is not trustworthy.",
    ),
    "nan": (
        False,
        "S returned NaN for some final samples; they were counted outside the event, so the "
        "estimate is a lower bound.",
    ),
}


@dataclass(frozen=True, eq=False)
class RareEventResult:
    """The outcome of :func:`cemopt.estimate` or :func:`cemopt.crude_monte_carlo`.

    Vocabulary of OpenTURNS, for users coming from there: ``relative_error`` is its
    coefficient of variation of the estimator, ``levels`` its threshold per step,
    ``proposal`` its auxiliary distribution.

    Attributes
    ----------
    probability : float
        The estimate of P(S(X) >= gamma) (or <=, see ``event``); NaN when the run
        made no estimate (its levels never reached gamma).
    std_error : float
        Its estimated standard error (NaN when no sample reached gamma).
    relative_error : float
        ``std_error / probability``.
    log_probability : float
        Natural log of the estimate, exact even when ``probability`` underflows.
    levels : ndarray
        The level sequence gamma_1, gamma_2, ..., ending at gamma on success.
    proposal : Family
        The importance-sampling density the final estimate used.
    nfev : int
        Evaluations of S in all (levels and the final sample).
    n_final : int
        Size of the final sample (the draws made: fewer than asked when a time limit,
        the callback or Ctrl-C cut it short).
    n_hits : int
        Final samples inside the event.
    ess : float
        Effective sample size of the final weights over the hits (Kish); the
        relative error is about ``1 / sqrt(ess)``.
    success, status, message
        Whether the estimate can be trusted, the rule that decided it, in words.
    history : LevelHistory
        One row per level.
    n_nan : int
        NaN values of S (counted outside the event).
    method : str
        ``"cross-entropy"``, ``"crude"`` or ``"subset"`` (subset simulation, the fallback of
        :func:`cemopt.failure_probability`).
    interrupted : bool
        True when the run was stopped by KeyboardInterrupt.
    design_point : ndarray or None
        The sample inside the event with the highest nominal density seen during the
        run (the design point, or most probable failure point, of reliability
        analysis); None when no sample reached the event.
    khat : float
        The Pareto-smoothed importance-sampling k-hat of the final weights
        (:func:`cemopt.diagnostics.pareto_khat`): below 0.5 the weights have a finite
        variance; above ``min(1 - 1/log10(n_final), 0.7)`` the result is flagged
        (``status="heavy weights"``). NaN with too few final draws, or none.

    Examples
    --------
    >>> import cemopt as ce
    >>> est = ce.crude_monte_carlo(lambda X: X[:, 0], ce.Exponential([1.0]), 1.0,
    ...                            n=10_000, rng=0)
    >>> round(est.probability, 2), est.success  # exact exp(-1) = 0.368
    (0.37, True)
    """

    probability: float
    std_error: float
    relative_error: float
    log_probability: float
    levels: np.ndarray
    proposal: Any
    nfev: int
    n_final: int
    n_hits: int
    ess: float
    success: bool
    status: str
    message: str
    history: LevelHistory
    n_nan: int = 0
    method: str = "cross-entropy"
    interrupted: bool = False
    design_point: Any = None
    khat: float = float("nan")

    def ci(self, level: float = 0.95) -> tuple[float, float]:
        """A two-sided confidence interval for the probability.

        Crude Monte Carlo: the exact (Clopper-Pearson) binomial interval.
        Importance sampling: the normal interval ``p -/+ z se``, with its lower end
        at 0 at least (a probability is never negative); NaN bounds when no sample
        reached gamma or there is no estimate.

        >>> import cemopt as ce
        >>> est = ce.crude_monte_carlo(lambda X: X[:, 0], ce.Exponential([1.0]), 1.0,
        ...                            n=1000, rng=0)
        >>> low, high = est.ci(0.95)
        >>> bool(low < est.probability < high)
        True
        """
        from scipy import stats

        if not 0 < level < 1:
            raise ValueError(f"`0 < level < 1` must hold, but got level={level!r}.")
        if self.method == "crude":
            tail = (1 - level) / 2
            k, n = self.n_hits, self.n_final
            low = 0.0 if k == 0 else float(stats.beta.ppf(tail, k, n - k + 1))
            high = 1.0 if k == n else float(stats.beta.ppf(1 - tail, k + 1, n - k))
            return low, high
        z = float(stats.norm.ppf(0.5 + level / 2))
        half = z * self.std_error
        if not half >= 0 or self.probability != self.probability:  # NaN: no error bar
            return float("nan"), float("nan")
        return max(0.0, float(self.probability - half)), float(self.probability + half)

    def log_ci(self, level: float = 0.95) -> tuple[float, float]:
        """:meth:`ci` on the natural-log scale, right also where ``probability``
        underflows to 0: from ``log_probability`` and the relative error for
        importance sampling (``log p + log(1 -/+ z RE)``; the lower end is ``-inf``
        when the interval reaches 0), the logs of the exact binomial bounds for crude
        Monte Carlo.

        >>> import cemopt as ce
        >>> est = ce.estimate(lambda X: X.sum(axis=1), ce.Exponential([1.0] * 4), 900.0,
        ...                   rng=0)  # P ~ e^-880: 0.0 as a float
        >>> low, high = est.log_ci(0.95)
        >>> est.probability, bool(low < est.log_probability < high < -800)
        (0.0, True)
        """
        import math

        from scipy import stats

        if not 0 < level < 1:
            raise ValueError(f"`0 < level < 1` must hold, but got level={level!r}.")
        if self.method == "crude":
            low, high = self.ci(level)
            return (math.log(low) if low > 0 else -math.inf), math.log(high)
        rel, log_p = float(self.relative_error), float(self.log_probability)
        if not (rel >= 0 and math.isfinite(log_p)):
            return float("nan"), float("nan")
        z = float(stats.norm.ppf(0.5 + level / 2))
        low = -math.inf if z * rel >= 1 else log_p + math.log1p(-z * rel)
        return low, log_p + math.log1p(z * rel)

    def __repr__(self) -> str:
        order = [
            "message",
            "success",
            "status",
            "probability",
            "std_error",
            "relative_error",
            "log_probability",
            "levels",
            "nfev",
            "n_final",
            "n_hits",
            "ess",
            "n_nan",
            "method",
            "proposal",
            "history",
        ]
        width = max(map(len, order))
        return "\n".join(f"{name:>{width}}: {_format_value(getattr(self, name))}" for name in order)
