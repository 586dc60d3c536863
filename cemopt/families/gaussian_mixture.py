"""A Gaussian mixture whose fit chooses its own number of components."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import (
    _short,
    array_repr,
    as_float_array,
    as_rng,
    check_alpha,
    check_batch,
    check_int,
    check_param_keys,
    check_weights,
    effective_sample_size,
    readonly,
)
from ..errors import DegenerateFitError

__all__ = ["GaussianMixture"]

_LOG_2PI = math.log(2.0 * math.pi)
# effective samples a component needs per dimension (plus one) to keep its covariance
_SAMPLES_PER_DIM = 5
# a component whose responsibility holds fewer effective samples than d + 1 is removed
_EM_STEPS = 100
_EM_TOL = 1e-7
# ridge added to every fitted covariance, relative to the data's mean variance
_RIDGE = 1e-6
# pseudo-samples of the covariance prior, per dimension plus two (the prior's degrees
# of freedom in Fraley & Raftery 2007)
_PRIOR_EXTRA = 2
# components whose weight falls below this in a blend are dropped (weights renormalised)
_BLEND_FLOOR = 1e-3


@dataclass(frozen=True, eq=False, repr=False)
class GaussianMixture:
    r"""A mixture of multivariate normals, ``sum_k weights[k] N(means[k], covs[k])``.

    >>> import numpy as np, cemopt as ce
    >>> f = ce.GaussianMixture([[-3.0, 0.0], [3.0, 0.0]], [np.eye(2), np.eye(2)])
    >>> g = f.fit(f.sample(4000, rng=0))          # two clusters: two components
    >>> g.n_components, (g.means.round(1) + 0.0).tolist()
    (2, [[-3.0, 0.0], [3.0, 0.0]])
    >>> one = np.random.default_rng(1).normal(size=(500, 2))    # one cluster: one component
    >>> ce.GaussianMixture.standard(2).fit(one).n_components
    1

    The CE update for several failure regions (Kurtz & Song 2013; Geyer, Papaioannou &
    Straub 2019): :meth:`fit` runs weighted EM for 1, 2, ... components and keeps the
    number with the best Bayesian information criterion, so the mixture follows the
    elite: one component for one region, more where the weighted samples form several
    clusters.

    Parameters
    ----------
    means : array_like, shape (K, d)
        Component means.
    covs : array_like, shape (K, d, d)
        Symmetric positive-definite component covariances.
    weights : array_like, shape (K,), optional
        Mixture weights, ``> 0``, summing to 1 (within 1e-8; stored normalised).
        Default uniform.
    max_components : int, default 8
        The most components a fit may choose.

    Attributes
    ----------
    dim, n_components : int
    params : dict
        ``{"weights": (K,), "means": (K, d), "covs": (K, d, d)}``, read-only.

    Notes
    -----
    :meth:`fit` (weights ``w``, Kish effective size ``n_eff``) tries ``k = 1, 2, ...,
    K_max`` components with ``K_max = min(max_components, n_eff / (5 (d + 1)))``, so
    that each component can rest on at least five effective samples per parameter
    direction. Each try starts from a deterministic weighted k-means++ seeding (the
    heaviest sample, then repeatedly the sample with the largest ``w D^2`` to the
    chosen centres), runs weighted k-means and then EM with ``1e-6`` times the mean
    variance added to each covariance; a component left with fewer than ``d + 1``
    effective samples is dropped. Each covariance is the posterior mean under a
    conjugate prior (Fraley & Raftery 2007): ``kappa = d + 2`` pseudo-samples of
    ``s^2 / k^(2/d) I`` (``s^2`` the weighted mean variance of the whole sample)
    pooled with the component's ``m`` effective samples, ``(m S + kappa prior) / (m +
    kappa)``, so a component resting on a few heavy importance weights is not fitted
    narrower than its region (the weights are read as importance weights, whose
    information is their Kish effective size: ``weights_are_frequencies = False``
    for :func:`cemopt.testing.check_family`). The kept fit minimises ``BIC = -2 n_eff L + p
    log(n_eff)`` (``L`` the weighted mean log-likelihood, ``p`` the number of free
    parameters); the search stops after two tries that do not improve it. The fit
    is deterministic: the same samples and weights give the same mixture, and its
    components are returned in lexicographic order of their means.

    :meth:`blend` mixes *densities*: ``blend(previous, alpha)`` is the mixture
    ``alpha * self + (1 - alpha) * previous`` (all components of both, weights
    scaled), with components below a weight of 1e-3 dropped. Two mixtures with
    different numbers of components have no common parameters to average, and the
    density mixture keeps the previous proposal as a defensive share.
    """

    means: Any
    covs: Any
    weights: Any = None
    max_components: int = 8

    # integer weights are not repeated rows: the covariance prior's pull follows the
    # weights' Kish effective sample size (see Notes)
    weights_are_frequencies = False

    def __post_init__(self) -> None:
        means = as_float_array(self.means, "means", ndim=2)
        k, d = means.shape
        if k == 0 or d == 0:
            raise ValueError(
                f"`means` must hold at least one component of at least one coordinate, "
                f"but got means with shape {means.shape}."
            )
        covs = np.array(as_float_array(self.covs, "covs", ndim=3))
        if covs.shape != (k, d, d):
            raise ValueError(
                f"`covs` must have shape ({k}, {d}, {d}) to match `means`, but got covs "
                f"with shape {covs.shape}."
            )
        covs = 0.5 * (covs + np.transpose(covs, (0, 2, 1)))
        chol = np.empty_like(covs)
        for j in range(k):
            try:
                chol[j] = np.linalg.cholesky(covs[j])
            except np.linalg.LinAlgError:
                raise ValueError(
                    f"`covs` must be positive definite, but covs[{j}]={_short(covs[j])} is not."
                ) from None
        if self.weights is None:
            weights = np.full(k, 1.0 / k)
        else:
            weights = np.array(as_float_array(self.weights, "weights", ndim=1))
            if weights.shape != (k,):
                raise ValueError(
                    f"`weights` must have one entry per component ({k}), but got weights "
                    f"with shape {weights.shape}."
                )
            if np.any(weights <= 0) or abs(weights.sum() - 1.0) > 1e-8:
                raise ValueError(
                    f"`weights` must be > 0 and sum to 1, but got weights={_short(weights)}."
                )
            weights = weights / weights.sum()
        max_components = check_int(self.max_components, "max_components", minimum=1)
        set_ = object.__setattr__
        set_(self, "means", means)
        set_(self, "covs", readonly(covs))
        set_(self, "weights", readonly(weights))
        set_(self, "max_components", max_components)
        set_(self, "_chol", readonly(chol))
        log_det = 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
        set_(self, "_log_norm", readonly(np.log(weights) - 0.5 * (d * _LOG_2PI + log_det)))

    @classmethod
    def standard(cls, dim: int, *, max_components: int = 8) -> GaussianMixture:
        """One standard normal component, ``N(0, I_dim)``: the start in standard space.

        >>> GaussianMixture.standard(3).n_components
        1
        """
        dim = check_int(dim, "dim", minimum=1)
        return cls(np.zeros((1, dim)), np.eye(dim)[None], max_components=max_components)

    # ------------------------------------------------------------------ basics
    @property
    def dim(self) -> int:
        return self.means.shape[1]

    @property
    def n_components(self) -> int:
        return self.means.shape[0]

    @property
    def params(self) -> dict[str, np.ndarray]:
        """``{"weights", "means", "covs"}`` (read-only)."""
        return {"weights": self.weights, "means": self.means, "covs": self.covs}

    def with_params(self, params: dict[str, Any]) -> GaussianMixture:
        """A mixture with these parameters (any number of components)."""
        check_param_keys(params, ("weights", "means", "covs"), "GaussianMixture")
        return GaussianMixture(
            params["means"], params["covs"], params["weights"], self.max_components
        )

    def __repr__(self) -> str:
        return (
            f"GaussianMixture(n_components={self.n_components}, dim={self.dim}, "
            f"weights={array_repr(self.weights)}, means={array_repr(self.means)})"
        )

    def sample(self, n: int, rng: Any = None) -> np.ndarray:
        """Draw ``n`` samples, shape ``(n, d)``: the labels from one ``rng.random(n)``,
        then each component's rows in one batch, components in order."""
        n = check_int(n, "n", minimum=0)
        rng = as_rng(rng)
        labels = np.searchsorted(np.cumsum(self.weights)[:-1], rng.random(n), side="right")
        x = np.empty((n, self.dim))
        for k in range(self.n_components):
            rows = np.flatnonzero(labels == k)
            if rows.size:
                z = rng.standard_normal((rows.size, self.dim))
                x[rows] = self.means[k] + z @ self._chol[k].T
        return x

    def logpdf(self, x: Any) -> np.ndarray:
        """Log density of each row of ``x`` (shape ``(n, d)``)."""
        x = check_batch(x, (self.dim,))
        return _logsumexp_rows(_log_joint(x, self.means, self._chol, self._log_norm))

    def mode(self) -> np.ndarray:
        """The mean of the heaviest component (the mixture's mode has no closed form)."""
        return self.means[int(np.argmax(self.weights))].copy()

    def degeneracy(self) -> float:
        """The largest marginal standard deviation over the components."""
        return float(np.sqrt(np.diagonal(self.covs, axis1=1, axis2=2).max()))

    # --------------------------------------------------------------- updating
    def fit(self, x: Any, weights: Any = None) -> GaussianMixture:
        """Weighted EM for 1, 2, ... components; the number with the best BIC is kept.

        Raises
        ------
        DegenerateFitError
            Zero total weight, or weighted samples that all coincide.
        """
        x = check_batch(x, (self.dim,))
        n, d = x.shape
        w = check_weights(weights, n, "GaussianMixture")
        w = np.full(n, 1.0 / n) if w is None else w / w.sum()
        keep = w > 0
        x, w = x[keep], w[keep]
        n_eff = effective_sample_size(w, len(w))
        mean = w @ x
        spread = float(w @ np.square(x - mean).sum(axis=1)) / d  # mean variance
        if not spread > 0:
            raise DegenerateFitError(
                "GaussianMixture.fit: all weighted samples coincide, so no covariance can "
                f"be fitted (effective sample size {n_eff:.3g})."
            )
        ridge = _RIDGE * spread
        k_max = max(1, min(self.max_components, int(n_eff // (_SAMPLES_PER_DIM * (d + 1)))))
        best, best_bic, worse = None, math.inf, 0
        for k in range(1, k_max + 1):
            fitted = _em(x, w, _seed_centres(x, w, k), ridge, spread)
            if fitted is None:
                break
            means, covs, mix, loglik = fitted
            k_used = len(mix)
            n_params = (k_used - 1) + k_used * d + k_used * d * (d + 1) / 2
            bic = -2.0 * n_eff * loglik + n_params * math.log(n_eff)
            if best is None or bic < best_bic - 1e-9 * abs(best_bic):
                best, best_bic, worse = (means, covs, mix), bic, 0
            else:
                worse += 1
                if worse == 2:
                    break
            if k_used < k:  # components were dropped: more will not hold either
                break
        if best is None:
            raise DegenerateFitError(
                "GaussianMixture.fit: too few effective samples for one component "
                f"(effective sample size {n_eff:.3g}, {d + 1} needed)."
            )
        means, covs, mix = best
        order = np.lexsort(means.T[::-1])
        return GaussianMixture(means[order], covs[order], mix[order], self.max_components)

    def blend(self, previous: GaussianMixture, alpha: float) -> GaussianMixture:
        """The density mixture ``alpha * self + (1 - alpha) * previous``."""
        if not isinstance(previous, GaussianMixture):
            raise TypeError(
                "`previous` must be a GaussianMixture to blend with, but got a "
                f"{type(previous).__name__}."
            )
        if previous.dim != self.dim:
            raise ValueError(
                f"`previous` must have dim {self.dim} like self, but got previous with "
                f"dim {previous.dim}."
            )
        alpha = check_alpha(alpha)
        if alpha == 1.0:
            return self
        if alpha == 0.0:
            return previous
        weights = np.concatenate([alpha * self.weights, (1.0 - alpha) * previous.weights])
        means = np.concatenate([self.means, previous.means])
        covs = np.concatenate([self.covs, previous.covs])
        keep = weights >= _BLEND_FLOOR
        weights = weights[keep] / weights[keep].sum()
        return GaussianMixture(means[keep], covs[keep], weights, self.max_components)


def _seed_centres(x: np.ndarray, w: np.ndarray, k: int) -> np.ndarray:
    """Deterministic weighted k-means++ seeding: the heaviest sample, then repeatedly
    the sample with the largest ``w * D^2`` to its nearest chosen centre."""
    centres = [x[int(np.argmax(w))]]
    d2 = np.square(x - centres[0]).sum(axis=1)
    for _ in range(1, k):
        i = int(np.argmax(w * d2))
        if not w[i] * d2[i] > 0:
            break
        centres.append(x[i])
        d2 = np.minimum(d2, np.square(x - x[i]).sum(axis=1))
    return np.array(centres)


def _nearest(x: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Index of the nearest centre of each row (squared Euclidean distance)."""
    d2 = (x * x).sum(axis=1)[:, None] - 2.0 * x @ centres.T + (centres * centres).sum(axis=1)
    return np.argmin(d2, axis=1)


def _em(
    x: np.ndarray, w: np.ndarray, centres: np.ndarray, ridge: float, spread: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float] | None:
    """Weighted k-means from ``centres``, then weighted EM; None when nothing is left.

    The covariances are posterior means under a conjugate prior: ``kappa = d + 2``
    pseudo-samples of ``spread / K^(2/d) I`` (the prior scale of Fraley & Raftery
    2007: the data's mean variance shared out among K components) pooled with the
    component's Kish effective sample size ``m`` of weighted samples,
    ``cov = (m S + kappa prior) / (m + kappa)``. Why: a component fitted to a few
    heavy importance weights has a covariance far narrower than its region (on the
    four-branch system a slab 0.15 wide sat on the boundary of a half-plane, and the
    95% intervals covered 86% of the time); the prior widens only such components,
    and a component with hundreds of effective samples keeps its own covariance.
    """
    n = x.shape[0]
    d = x.shape[1]
    kappa = d + _PRIOR_EXTRA
    labels = _nearest(x, centres)
    for _ in range(20):  # weighted Lloyd steps settle the seeding
        one_hot = np.zeros((n, len(centres)))
        one_hot[np.arange(n), labels] = w
        mass = one_hot.sum(axis=0)
        alive = mass > 0
        centres = (one_hot.T @ x)[alive] / mass[alive, None]
        new = _nearest(x, centres)
        if len(centres) == one_hot.shape[1] and np.array_equal(new, labels):
            break
        labels = new
    resp = np.zeros((n, len(centres)))
    resp[np.arange(n), labels] = 1.0
    loglik_old = -math.inf
    loglik = -math.inf
    means = covs = mix = None
    for _ in range(_EM_STEPS):
        wr = resp * w[:, None]  # (n, K)
        mass = wr.sum(axis=0)
        # a component with fewer effective samples than d + 1 cannot hold a covariance
        ess = mass**2 / np.maximum(np.square(wr).sum(axis=0), 1e-300)  # Kish, per component
        alive = ess >= d + 1
        if not alive.any():
            return None
        wr, mass, ess = wr[:, alive], mass[alive], ess[alive]
        mix = mass / mass.sum()
        means = (wr.T @ x) / mass[:, None]
        covs = np.empty((len(mix), d, d))
        chol = np.empty_like(covs)
        prior = spread / len(mix) ** (2.0 / d) * np.eye(d)
        for k in range(len(mix)):
            centred = x - means[k]
            sample_cov = (centred * wr[:, k : k + 1]).T @ centred / mass[k]
            covs[k] = (ess[k] * sample_cov + kappa * prior) / (ess[k] + kappa) + ridge * np.eye(d)
            chol[k] = np.linalg.cholesky(covs[k])
        log_det = 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
        log_joint = _log_joint(x, means, chol, np.log(mix) - 0.5 * (d * _LOG_2PI + log_det))
        log_f = _logsumexp_rows(log_joint)
        loglik = float(w @ log_f)
        resp = np.exp(log_joint - log_f[:, None])
        if abs(loglik - loglik_old) <= _EM_TOL * max(1.0, abs(loglik)):
            break
        loglik_old = loglik
    return means, covs, mix, loglik


def _log_joint(
    x: np.ndarray, means: np.ndarray, chol: np.ndarray, log_norm: np.ndarray
) -> np.ndarray:
    """``log_norm[k] - |L_k^-1 (x - means[k])|^2 / 2``, shape (n, K)."""
    out = np.empty((x.shape[0], len(means)))
    for k in range(len(means)):
        # the d x d inverse of the Cholesky factor, then one product for all rows
        z = (x - means[k]) @ np.linalg.inv(chol[k]).T
        out[:, k] = log_norm[k] - 0.5 * np.einsum("ij,ij->i", z, z)
    return out


def _logsumexp_rows(a: np.ndarray) -> np.ndarray:
    top = a.max(axis=1)
    top = np.where(np.isfinite(top), top, 0.0)
    return top + np.log(np.exp(a - top[:, None]).sum(axis=1))
