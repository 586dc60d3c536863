"""Cumulative step-size adaptation for the CE update of a ``MultivariateNormal``.

The CE update of a Gaussian is a weighted maximum-likelihood fit of the elite. Left to
itself, truncation selection shrinks that fit faster than the search moves, and the
adaptive variance scaling of AMaLGaM (the engine's other step-size rule) grows it back
only 11% an iteration: a minimal iAMaLGaM written after ECJ's port needs about 13 000
evaluations on the 20-d sphere where CMA-ES needs 2 700
(``benchmarks/amalgam_reference.py``). CMA-ES
(Hansen & Ostermeier 2001; Hansen 2016, "The CMA Evolution Strategy: A Tutorial")
keeps the CE method's weighted fit of the covariance -- its rank-mu update is the
weighted ML covariance of the elite about the *old* mean, blended in with a small
weight (Ollivier et al. 2017 derive both from the same information-geometric flow) --
and controls the overall size separately, by the length of the path the mean has
travelled: steps that keep pointing the same way mean the distribution is too small,
steps that cancel mean it is too large.

:class:`CumulativeStepSize` is that update written on the family's public face: the
weighted fit (``fit`` with weights), its mean and covariance, the Cholesky factor for
whitening; the result is what ``with_params`` would build, made from the factor the
update computes anyway (the family's ``_make``: ``with_params`` would check the fit's
mean and the symmetric covariance again and factorise it a second time, 15 us of an
iteration's 150 at d = 10). The covariance carries the step size
(``cov = sigma^2 C``), so the family stays an ordinary ``MultivariateNormal``; with a
box, everything happens in its Gaussian's coordinates, as the fit does.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.linalg import lapack

from ._batch import take_rows
from ._validation import readonly, short
from .errors import DegenerateFitError
from .families.multivariate_normal import cholesky_or_none
from .step import StepOutcome

_TINY = np.finfo(float).tiny

#: iterations of best scores that the flat-history rule compares: pycma's tolfunhist
#: window, 10 + ceil(30 d / n)
HISTORY_BASE, HISTORY_PER_DIM = 10, 30
#: iterations without a better best score that end a run: pycma's tolstagnation,
#: 100 + 100 d^1.5 / n
STAGNATION_BASE, STAGNATION_PER_DIM = 100, 100


class CumulativeStepSize:
    """The weighted CE update with CMA-ES's step-size and rank-one rules.

    >>> import cemopt as ce
    >>> rule = CumulativeStepSize(dim=2, n_samples=6)
    >>> rule.n_elite, round(float(rule.weights.sum()), 12)
    (3, 1.0)
    >>> fam = ce.MultivariateNormal([3.0, 3.0], np.eye(2))
    >>> X = fam.sample(6, rng=0)
    >>> new = rule.step(fam, X, (X**2).sum(axis=1)).family
    >>> bool(np.linalg.norm(new.mean) < np.linalg.norm(fam.mean))
    True

    Parameters
    ----------
    dim : int
        ``d``.
    n_samples : int
        The batch size ``n``; the elite is its best ``floor(n / 2)`` (at least one),
        weighted ``log((n + 1) / 2) - log(i)`` for rank ``i`` and normalised.

    Notes
    -----
    With the elite's weights ``w`` (``mu_eff = 1 / sum w^2``), the fit ``(m', S')`` of
    the elite, the step ``s = m' - m`` and ``L`` the Cholesky factor of the current
    ``cov``, one update is

    - ``p_s <- (1 - c_s) p_s + sqrt(c_s (2 - c_s) mu_eff) L^-1 s`` (the path, whitened);
    - ``p_c <- (1 - c_c) p_c + h sqrt(c_c (2 - c_c) mu_eff) s / sigma`` (``h`` = 0
      while ``|p_s|`` is still long after a start, as in CMA-ES);
    - ``cov <- (1 - c_1 - c_mu) cov + c_mu (S' + s s') + c_1 sigma^2 p_c p_c'``: the ML
      covariance about the old mean, blended in, and the path's rank-one term (and
      the active term of the worse half, below);
    - ``cov <- f^2 cov`` and ``sigma <- f sigma`` with ``f = exp(c_s / d_s (|p_s| /
      E|N(0, I)| - 1))``;

    and the mean becomes ``m'``. The rates are CMA-ES's defaults (Hansen 2016, table
    1): ``c_s = (mu_eff + 2) / (d + mu_eff + 5)``, ``d_s = 1 + 2 max(0, sqrt((mu_eff -
    1) / (d + 1)) - 1) + c_s``, ``c_c = (4 + mu_eff / d) / (d + 4 + 2 mu_eff / d)``,
    ``c_1 = 2 / ((d + 1.3)^2 + mu_eff)``, ``c_mu = min(1 - c_1, 2 (mu_eff - 2 + 1 /
    mu_eff) / ((d + 2)^2 + mu_eff))``. The whitening uses the Cholesky factor, not the
    symmetric square root: the length of each step is the same, the path's
    coordinates turn with the factor (as in the Cholesky CMA-ES of Krause, Arbones &
    Igel 2016). The worse half gets CMA-ES's negative weights (active CMA, Hansen 2016,
    eq. 53, each step normalised to length ``sqrt(d)`` in the current family's metric):
    on BBOB they took the median evaluations to 1e-8 from 1.19-1.35 to 1.00-1.07 times
    pycma's and the solved runs from 349 to 353 of 480 (``benchmarks/bbob.py``; with
    the no-effect stop, :func:`without_effect`, 359).
    """

    def __init__(self, dim: int, n_samples: int) -> None:
        d = int(dim)
        self.dim = d
        mu = max(1, int(n_samples) // 2)
        raw = math.log((n_samples + 1) / 2) - np.log(np.arange(1, mu + 1))
        if mu == 1 or not np.all(raw > 0):  # n = 1 or 2: the best alone
            raw = np.ones(mu)
        self.weights = raw / raw.sum()
        # the fit's weights when the whole elite is valid (the step renormalises the
        # leading ones when NaN scores leave fewer valid samples than the elite)
        self._elite_weights = self._normalised(mu)
        self.mu_eff = float(1.0 / np.sum(self.weights**2))
        mu_eff = self.mu_eff
        self.c_s = (mu_eff + 2) / (d + mu_eff + 5)
        self.d_s = 1 + 2 * max(0.0, math.sqrt((mu_eff - 1) / (d + 1)) - 1) + self.c_s
        self.c_c = (4 + mu_eff / d) / (d + 4 + 2 * mu_eff / d)
        self.c_1 = 2 / ((d + 1.3) ** 2 + mu_eff)
        self.c_mu = min(1 - self.c_1, 2 * (mu_eff - 2 + 1 / mu_eff) / ((d + 2) ** 2 + mu_eff))
        self.chi = math.sqrt(d) * (1 - 1 / (4 * d) + 1 / (21 * d * d))  # E|N(0, I)|
        # active CMA (Hansen 2016, eq. 53): negative weights for the worse half, scaled
        # so that the decay they add cannot make the covariance indefinite
        n_worse = int(n_samples) - mu
        worse = math.log((n_samples + 1) / 2) - np.log(np.arange(mu + 1, n_samples + 1))
        if n_worse > 0 and np.any(worse < 0):
            mu_eff_minus = worse.sum() ** 2 / np.sum(worse**2)
            limit = min(
                1 + self.c_1 / self.c_mu,
                1 + 2 * mu_eff_minus / (mu_eff + 2),
                (1 - self.c_1 - self.c_mu) / (d * self.c_mu),
            )
            self.negative_weights = worse * limit / np.abs(worse).sum()
        else:
            self.negative_weights = np.zeros(0)
        self._negative_cache: dict[int, tuple[np.ndarray, np.ndarray, float]] = {}
        self.history_window = HISTORY_BASE + math.ceil(HISTORY_PER_DIM * d / n_samples)
        self.stagnation_window = STAGNATION_BASE + math.ceil(
            STAGNATION_PER_DIM * d**1.5 / n_samples
        )
        # the state of a start: empty paths, the step size of the initial family
        self.path_sigma = np.zeros(d)
        self.path_cov = np.zeros(d)
        self.sigma = 1.0  # the step size relative to the start
        self.t = 0

    def _normalised(self, k: int) -> np.ndarray:
        """The leading ``k`` weights, normalised to sum 1."""
        return self.weights[:k] / self.weights[:k].sum()

    @property
    def n_elite(self) -> int:
        """How many of a batch are elite (``floor(n / 2)``, at least one)."""
        return self.weights.size

    def step(self, family: Any, X: np.ndarray, scores: np.ndarray) -> StepOutcome:
        """One update of ``family`` (which drew ``X``) from the batch's scores
        (smaller is better; NaN is never elite).

        Raises
        ------
        DegenerateFitError
            Every score is NaN, or the elite's fit fails (all elite samples equal).
        """
        nan = np.isnan(scores)
        if nan.any():
            valid = np.flatnonzero(~nan)
            if valid.size == 0:
                raise DegenerateFitError("No elite: every score in the batch is NaN.")
            ranked = valid[np.argsort(scores[valid], kind="stable")]  # best first
        else:
            ranked = np.argsort(scores, kind="stable")
        k = min(self.n_elite, ranked.size)
        elite = ranked[:k]
        weights = self._elite_weights if k == self.n_elite else self._normalised(k)
        fitted = family.fit(take_rows(X, elite), weights)
        mean, cov = np.asarray(family.mean), np.asarray(family.cov)
        step = np.asarray(fitted.mean) - mean
        self.t += 1
        # L^-1 step by LAPACK directly (scipy's solve_triangular wrapper costs more
        # than the solve at these sizes; the same call as MultivariateNormal.whiten)
        L_transposed = np.asarray(family.cholesky).T
        whitened = lapack.dtrtrs(L_transposed, step[:, None], lower=0, trans=1)[0][:, 0]
        c_s, c_c, c_1, c_mu = self.c_s, self.c_c, self.c_1, self.c_mu
        self.path_sigma = (1 - c_s) * self.path_sigma + math.sqrt(
            c_s * (2 - c_s) * self.mu_eff
        ) * whitened
        length = math.sqrt(self.path_sigma @ self.path_sigma)  # np.linalg.norm's sum
        # CMA-ES's h_sigma: no rank-one step while the path is still long from a start
        settled = length / math.sqrt(1 - (1 - c_s) ** (2 * self.t)) < (1.4 + 2 / (self.dim + 1)) * (
            self.chi
        )
        self.path_cov = (1 - c_c) * self.path_cov
        if settled:
            self.path_cov += math.sqrt(c_c * (2 - c_c) * self.mu_eff) * step / self.sigma
        keep = 1 - c_1 - c_mu + (0.0 if settled else c_1 * c_c * (2 - c_c))
        new_cov = (
            keep * cov
            + c_mu * (np.asarray(fitted.cov) + step[:, None] * step)  # outer products
            + c_1 * self.sigma**2 * (self.path_cov[:, None] * self.path_cov)
        )
        new_cov += self._active_term(family, X, ranked[k:])
        factor = math.exp(min(1.0, (c_s / self.d_s) * (length / self.chi - 1)))
        new_cov *= factor**2
        self.sigma *= factor
        new_cov = 0.5 * (new_cov + new_cov.T)
        # what with_params would build, without checking again the mean of a fit and a
        # covariance symmetric by construction: its factor, which must exist
        chol = cholesky_or_none(new_cov)
        if chol is None or not (chol.diagonal() > 0).all():
            # rounding made it indefinite (or an overflow made it NaN): cannot go on
            raise DegenerateFitError(
                "MultivariateNormal: the adapted covariance is not positive definite "
                f"(cov={short(new_cov)})."
            )
        new = family._make(fitted.mean, readonly(new_cov), chol)
        level = float(scores[elite[-1]])
        return StepOutcome(family=new, fitted=fitted, level=level, elite=elite, elite_ess=k)

    def _active_term(self, family: Any, X: np.ndarray, ranked: np.ndarray) -> np.ndarray:
        """``c_mu (sum_i w_i (d / |z_i|^2) y_i y_i' - (sum_i w_i) cov)`` over the worst
        of the valid rows after the elite (``ranked``, best first), ``w_i < 0``: the
        covariance shrinks along the steps that did worst (``z_i`` whitened by the
        current family, ``y_i = L z_i``, so each term is scale-free), and the decay
        the negative weights give back."""
        m = min(ranked.size, self.negative_weights.size)
        if m == 0:
            return np.zeros((self.dim, self.dim))
        # the worst get the most negative weights: w, w d and the sum of w, per m
        w, w_dim, w_sum = self._negative_for(m)
        z = family.whiten(take_rows(X, ranked[-m:]))
        scaled = w_dim / np.maximum(np.einsum("ij,ij->i", z, z), _TINY)
        y = z @ np.asarray(family.cholesky).T
        return self.c_mu * ((y * scaled[:, None]).T @ y - w_sum * np.asarray(family.cov))

    def _negative_for(self, m: int) -> tuple[np.ndarray, np.ndarray, float]:
        """The last ``m`` negative weights ``w``, ``w d`` and ``sum w`` (cached: ``m``
        is the batch size less the elite, the same every iteration of a start)."""
        cached = self._negative_cache.get(m)
        if cached is None:
            w = self.negative_weights[-m:]
            cached = self._negative_cache[m] = (w, w * self.dim, w.sum())
        return cached

    # ------------------------------------------------------------ checkpoints
    def state(self) -> dict[str, Any]:
        """The paths and counters a resumed run needs."""
        return {
            "path_sigma": self.path_sigma.copy(),
            "path_cov": self.path_cov.copy(),
            "sigma": self.sigma,
            "t": self.t,
        }

    def restore(self, path_sigma: np.ndarray, path_cov: np.ndarray, sigma: float, t: int) -> None:
        """Set the state saved by :meth:`state` (already checked by the caller)."""
        self.path_sigma = np.array(path_sigma, dtype=float)
        self.path_cov = np.array(path_cov, dtype=float)
        self.sigma, self.t = float(sigma), int(t)


def without_effect(family: Any, axes: bool) -> str | None:
    """Where ``family`` has become too narrow for its mean to move: pycma's
    ``noeffectcoord`` and ``noeffectaxis``.

    ``"coordinate"`` when adding a fifth of some coordinate's standard deviation to
    the mean leaves that coordinate unchanged in floating point; with ``axes``, also
    ``"axis"`` when adding a tenth of some principal axis (an eigenvector scaled by
    its standard deviation) leaves the whole mean unchanged. None otherwise. Such a
    distribution still samples, but no sample can move the mean in that direction:
    a ridge the search has fallen off, not a converged optimum (a converged run
    meets the flat-history stop long before). The axes need an eigen-decomposition,
    so the engine asks for them every ``d`` iterations only (pycma checks one axis an
    iteration, in turn).

    >>> import cemopt as ce
    >>> without_effect(ce.MultivariateNormal([1e12, 0.0], np.eye(2) * 1e-12), axes=False)
    'coordinate'
    >>> print(without_effect(ce.MultivariateNormal([1.0, 0.0], np.eye(2)), axes=True))
    None
    """
    mean, cov = np.asarray(family.mean), np.asarray(family.cov)
    if (mean == mean + 0.2 * np.sqrt(cov.diagonal())).any():
        return "coordinate"
    if axes:
        variances, directions = np.linalg.eigh(cov)
        moved = mean[:, None] + 0.1 * directions * np.sqrt(np.maximum(variances, 0.0))
        if np.any(np.all(moved == mean[:, None], axis=0)):
            return "axis"
    return None


def condition_bound(family: Any) -> float:
    """A lower bound of the condition number of ``family.cov``: the squared ratio of
    the largest to the smallest diagonal entry of its Cholesky factor (no
    eigen-decomposition; the bound is what the stop rule needs)."""
    diagonal = family.cholesky.diagonal()  # positive: the factor of a covariance
    return float((diagonal.max() / diagonal.min()) ** 2)
