"""Mixtures of von Mises-Fisher-Nakagami densities: proposals for high dimensions."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import gammaln, ive

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
from .gaussian_mixture import _logsumexp_rows, _seed_centres

__all__ = ["VonMisesFisherNakagami"]

_LOG_2PI = math.log(2.0 * math.pi)
# the mean resultant length is capped here: a direction estimated from finitely many
# samples must not become a point mass (the reference implementation's 0.95)
_MAX_RESULTANT = 0.95
_EM_STEPS = 100
_EM_TOL = 1e-7
_BLEND_FLOOR = 1e-3
# effective samples a component needs, per free parameter
_SAMPLES_PER_PARAM = 5


@dataclass(frozen=True, eq=False, repr=False)
class VonMisesFisherNakagami:
    r"""A mixture of densities that are a direction and a radius, for large ``d``.

    >>> import numpy as np, cemopt as ce
    >>> f = ce.VonMisesFisherNakagami.standard(50)     # exactly N(0, I_50)
    >>> x = f.sample(3, rng=0)
    >>> bool(np.allclose(f.logpdf(x), ce.Normal(np.zeros(50), np.ones(50)).logpdf(x)))
    True

    Each component ``k`` draws a direction ``v`` on the unit sphere from a von
    Mises-Fisher density (mean direction ``directions[k]``, concentration
    ``kappas[k]``) and a radius ``r`` from a Nakagami density (shape ``shapes[k]``,
    spread ``spreads[k]``, so that ``r^2`` is Gamma with mean ``spreads[k]``); the
    sample is ``r v``. A Gaussian component in ``d`` dimensions has ``d (d + 3) / 2``
    parameters, this one ``d + 3``: it can be fitted from a few hundred weighted
    samples in 100 or 1000 dimensions, where the important region of a rare event is
    a cap of a thin shell (Papaioannou, Geyer & Straub 2019). With ``kappas = 0``,
    ``shapes = d / 2`` and ``spreads = d`` it is the standard normal density.

    Parameters
    ----------
    directions : array_like, shape (K, d)
        Mean directions (normalised to unit length here).
    kappas : array_like, shape (K,)
        Concentrations, ``>= 0`` (0 is the uniform direction).
    shapes, spreads : array_like, shape (K,)
        Nakagami shape ``m >= 0.5`` and spread ``Omega > 0``.
    weights : array_like, shape (K,), optional
        Mixture weights, ``> 0``, summing to 1; default uniform.
    max_components : int, default 8
        The most components a fit may choose.

    Notes
    -----
    In Cartesian coordinates the density is ``f(x) = sum_k w_k vMF(x / r; mu_k,
    kappa_k) Nakagami(r; m_k, Omega_k) / r^(d - 1)`` (``r = |x|``; ``r^(d-1)`` is the
    Jacobian of polar coordinates), so it is comparable with any density on ``R^d``.
    ``log I_nu(kappa)`` of the vMF normaliser comes from ``scipy.special.ive`` and,
    where that underflows (large ``nu``), from the uniform asymptotic expansion
    (Abramowitz & Stegun 9.7.7). Directions are drawn by Wood's (1994) rejection
    sampler, vectorised over the batch.

    :meth:`fit` is weighted EM with the M-step of Papaioannou, Geyer & Straub (2019):
    the mean direction is the normalised weighted resultant, ``kappa`` Banerjee et
    al.'s approximation ``(xi d - xi^3) / (1 - xi^2)`` from the mean resultant length
    ``xi`` (capped at 0.95), ``Omega`` the weighted mean of ``r^2`` and ``m`` its
    moment estimate ``Omega^2 / Var(r^2)``. As :class:`GaussianMixture`, it tries 1, 2,
    ... components (deterministic seeding on the directions) and keeps the best BIC;
    :meth:`blend` mixes densities.
    """

    directions: Any
    kappas: Any
    shapes: Any
    spreads: Any
    weights: Any = None
    max_components: int = 8

    def __post_init__(self) -> None:
        mu = np.array(as_float_array(self.directions, "directions", ndim=2))
        k, d = mu.shape
        if k == 0 or d < 2:
            raise ValueError(
                f"`directions` must hold at least one direction in at least 2 dimensions, "
                f"but got directions with shape {mu.shape}."
            )
        norms = np.linalg.norm(mu, axis=1)
        if not np.all(norms > 0):
            raise ValueError("`directions` must be non-zero vectors, but got a zero row.")
        mu = mu / norms[:, None]
        arrays = {}
        for name, value, low in (
            ("kappas", self.kappas, 0.0),
            ("shapes", self.shapes, 0.5),
            ("spreads", self.spreads, 0.0),
        ):
            a = np.array(as_float_array(value, name, ndim=(0, 1)), dtype=float).reshape(-1)
            if a.size == 1 and k > 1:
                a = np.full(k, a[0])
            if a.shape != (k,):
                raise ValueError(
                    f"`{name}` must have one entry per component ({k}), but got {name} with "
                    f"shape {a.shape}."
                )
            if name == "spreads" and not np.all(a > 0):
                raise ValueError(f"`spreads` must be > 0, but got spreads={_short(a)}.")
            if name != "spreads" and not np.all(a >= low):
                raise ValueError(f"`{name}` must be >= {low:g}, but got {name}={_short(a)}.")
            arrays[name] = readonly(a)
        if self.weights is None:
            w = np.full(k, 1.0 / k)
        else:
            w = np.array(as_float_array(self.weights, "weights", ndim=1))
            if w.shape != (k,) or np.any(w <= 0) or abs(w.sum() - 1.0) > 1e-8:
                raise ValueError(
                    f"`weights` must be {k} numbers > 0 summing to 1, but got weights={_short(w)}."
                )
            w = w / w.sum()
        set_ = object.__setattr__
        set_(self, "directions", readonly(mu))
        set_(self, "kappas", arrays["kappas"])
        set_(self, "shapes", arrays["shapes"])
        set_(self, "spreads", arrays["spreads"])
        set_(self, "weights", readonly(w))
        set_(self, "max_components", check_int(self.max_components, "max_components", minimum=1))
        log_c = np.array([_log_vmf_norm(d, kappa) for kappa in arrays["kappas"]])
        set_(self, "_log_vmf_c", readonly(log_c))

    @classmethod
    def standard(cls, dim: int, *, max_components: int = 8) -> VonMisesFisherNakagami:
        """The standard normal density ``N(0, I_dim)`` as one component.

        >>> VonMisesFisherNakagami.standard(20).shapes.tolist()
        [10.0]
        """
        dim = check_int(dim, "dim", minimum=2)
        direction = np.zeros((1, dim))
        direction[0, 0] = 1.0
        return cls(direction, [0.0], [dim / 2.0], [float(dim)], max_components=max_components)

    # ------------------------------------------------------------------ basics
    @property
    def dim(self) -> int:
        return self.directions.shape[1]

    @property
    def n_components(self) -> int:
        return self.directions.shape[0]

    @property
    def params(self) -> dict[str, np.ndarray]:
        return {
            "weights": self.weights,
            "directions": self.directions,
            "kappas": self.kappas,
            "shapes": self.shapes,
            "spreads": self.spreads,
        }

    def with_params(self, params: dict[str, Any]) -> VonMisesFisherNakagami:
        check_param_keys(
            params,
            ("weights", "directions", "kappas", "shapes", "spreads"),
            "VonMisesFisherNakagami",
        )
        return VonMisesFisherNakagami(
            params["directions"],
            params["kappas"],
            params["shapes"],
            params["spreads"],
            params["weights"],
            self.max_components,
        )

    def __repr__(self) -> str:
        return (
            f"VonMisesFisherNakagami(n_components={self.n_components}, dim={self.dim}, "
            f"weights={array_repr(self.weights)}, kappas={array_repr(self.kappas)}, "
            f"shapes={array_repr(self.shapes)}, spreads={array_repr(self.spreads)})"
        )

    def sample(self, n: int, rng: Any = None) -> np.ndarray:
        """Draw ``n`` samples, shape ``(n, d)`` (labels first, then each component's
        radii and directions in one batch, components in order)."""
        n = check_int(n, "n", minimum=0)
        rng = as_rng(rng)
        d = self.dim
        labels = np.searchsorted(np.cumsum(self.weights)[:-1], rng.random(n), side="right")
        x = np.empty((n, d))
        for k in range(self.n_components):
            rows = np.flatnonzero(labels == k)
            if not rows.size:
                continue
            m, omega = self.shapes[k], self.spreads[k]
            r = np.sqrt(rng.gamma(m, omega / m, size=rows.size))
            v = _sample_vmf(self.directions[k], self.kappas[k], rows.size, rng)
            x[rows] = r[:, None] * v
        return x

    def _log_joint(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-component ``log w_k + log vMF + log Nakagami`` (n, K), and ``log r``."""
        return _log_joint(
            x,
            self.directions,
            self.kappas,
            self.shapes,
            self.spreads,
            self.weights,
            self._log_vmf_c,
        )

    def logpdf(self, x: Any) -> np.ndarray:
        """Log density of each row of ``x`` (shape ``(n, d)``) on ``R^d``."""
        x = check_batch(x, (self.dim,))
        joint, log_r = self._log_joint(x)
        return _logsumexp_rows(joint) - (self.dim - 1) * log_r

    def mode(self) -> np.ndarray:
        """The heaviest component's direction at its radial mode."""
        k = int(np.argmax(self.weights))
        m, omega = self.shapes[k], self.spreads[k]
        radius = math.sqrt(omega * (2.0 * m - 1.0) / (2.0 * m))
        return radius * self.directions[k]

    # --------------------------------------------------------------- updating
    def fit(self, x: Any, weights: Any = None) -> VonMisesFisherNakagami:
        """Weighted EM for 1, 2, ... components; the number with the best BIC is kept."""
        x = check_batch(x, (self.dim,))
        n, d = x.shape
        w = check_weights(weights, n, "VonMisesFisherNakagami")
        w = np.full(n, 1.0 / n) if w is None else w / w.sum()
        r = np.linalg.norm(x, axis=1)
        keep = (w > 0) & (r > 0)
        if not keep.any():
            raise DegenerateFitError(
                "VonMisesFisherNakagami.fit: no weighted sample away from the origin."
            )
        x, w, r = x[keep], w[keep] / w[keep].sum(), r[keep]
        v = x / r[:, None]
        n_eff = effective_sample_size(w, len(w))
        per = d + 3
        k_max = max(1, min(self.max_components, int(n_eff // (_SAMPLES_PER_PARAM * per))))
        best, best_bic, worse = None, math.inf, 0
        for k in range(1, k_max + 1):
            fitted = _em(v, r, w, _seed_centres(v, w, k), d)
            if fitted is None:
                break
            params, loglik = fitted
            k_used = len(params[0])
            bic = -2.0 * n_eff * loglik + (k_used * per - 1) * math.log(n_eff)
            if best is None or bic < best_bic - 1e-9 * abs(best_bic):
                best, best_bic, worse = params, bic, 0
            else:
                worse += 1
                if worse == 2:
                    break
            if k_used < k:
                break
        if best is None:
            raise DegenerateFitError(
                "VonMisesFisherNakagami.fit: too few effective samples for one component "
                f"(effective sample size {n_eff:.3g})."
            )
        mix, mu, kappa, m, omega = best
        order = np.lexsort(mu.T[::-1])
        return VonMisesFisherNakagami(
            mu[order], kappa[order], m[order], omega[order], mix[order], self.max_components
        )

    def blend(self, previous: VonMisesFisherNakagami, alpha: float) -> VonMisesFisherNakagami:
        """The density mixture ``alpha * self + (1 - alpha) * previous``."""
        if not isinstance(previous, VonMisesFisherNakagami):
            raise TypeError(
                "`previous` must be a VonMisesFisherNakagami to blend with, but got a "
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
        w = np.concatenate([alpha * self.weights, (1.0 - alpha) * previous.weights])
        keep = w >= _BLEND_FLOOR
        both = [
            np.concatenate([a, b])[keep]
            for a, b in zip(
                (self.directions, self.kappas, self.shapes, self.spreads),
                (previous.directions, previous.kappas, previous.shapes, previous.spreads),
                strict=True,
            )
        ]
        return VonMisesFisherNakagami(*both, w[keep] / w[keep].sum(), self.max_components)


# ------------------------------------------------------------------------ helpers
def _log_bessel_i(nu: float, x: float) -> float:
    """log I_nu(x) for x > 0: exact through ive where it does not underflow, else the
    uniform asymptotic expansion (Abramowitz & Stegun 9.7.7)."""
    value = ive(nu, x)
    if value > 1e-280 and np.isfinite(value):
        return float(math.log(value) + x)
    t = x / nu
    root = math.sqrt(1.0 + t * t)
    eta = root + math.log(t / (1.0 + root))
    return -0.5 * math.log(2.0 * math.pi * nu) + nu * eta - 0.25 * math.log1p(t * t)


def _log_vmf_norm(d: int, kappa: float) -> float:
    """log of the vMF normalising constant on the unit sphere of R^d (w.r.t. the
    surface measure); ``-log |S^{d-1}|`` for kappa = 0."""
    if kappa == 0.0:
        return -(math.log(2.0) + 0.5 * d * math.log(math.pi) - gammaln(0.5 * d))
    nu = 0.5 * d - 1.0
    return nu * math.log(kappa) - 0.5 * d * _LOG_2PI - _log_bessel_i(nu, kappa)


def _log_nakagami(r: np.ndarray, log_r: np.ndarray, m: float, omega: float) -> np.ndarray:
    return (
        math.log(2.0)
        + m * (math.log(m) - math.log(omega))
        - gammaln(m)
        + (2.0 * m - 1.0) * log_r
        - m * r * r / omega
    )


def _log_joint(x, mu, kappa, m, omega, weights, log_c):
    r = np.linalg.norm(x, axis=1)
    with np.errstate(divide="ignore"):
        log_r = np.log(r)
    v = x / np.where(r > 0, r, 1.0)[:, None]
    out = np.empty((x.shape[0], len(weights)))
    for k in range(len(weights)):
        out[:, k] = (
            math.log(weights[k])
            + log_c[k]
            + kappa[k] * (v @ mu[k])
            + _log_nakagami(r, log_r, m[k], omega[k])
        )
    return out, log_r


def _sample_vmf(mu: np.ndarray, kappa: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Wood's (1994) sampler, vectorised: ``w`` by rejection, then a uniform direction
    orthogonal to ``e_d``, then the Householder reflection of ``e_d`` onto ``mu``."""
    d = mu.size
    z = rng.standard_normal((n, d))
    if kappa == 0.0:
        return z / np.linalg.norm(z, axis=1, keepdims=True)
    b = (-2.0 * kappa + math.sqrt(4.0 * kappa * kappa + (d - 1.0) ** 2)) / (d - 1.0)
    x0 = (1.0 - b) / (1.0 + b)
    c = kappa * x0 + (d - 1.0) * math.log(1.0 - x0 * x0)
    w = np.empty(n)
    todo = np.arange(n)
    while todo.size:
        beta = rng.beta(0.5 * (d - 1.0), 0.5 * (d - 1.0), size=todo.size)
        u = rng.random(todo.size)
        cand = (1.0 - (1.0 + b) * beta) / (1.0 - (1.0 - b) * beta)
        ok = kappa * cand + (d - 1.0) * np.log(1.0 - x0 * cand) - c >= np.log(u)
        w[todo[ok]] = cand[ok]
        todo = todo[~ok]
    tangent = z[:, : d - 1]
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    y = np.empty((n, d))
    y[:, : d - 1] = np.sqrt(np.maximum(1.0 - w * w, 0.0))[:, None] * tangent
    y[:, d - 1] = w
    # reflect e_d onto mu: H = I - 2 h h^T / (h^T h), h = e_d - mu (none when mu = e_d)
    h = -mu.copy()
    h[d - 1] += 1.0
    hh = h @ h
    if hh > 1e-300:
        y -= (2.0 / hh) * np.outer(y @ h, h)
    return y


def _em(v: np.ndarray, r: np.ndarray, w: np.ndarray, centres: np.ndarray, d: int):
    """Weighted EM of a vMFN mixture from seeded directions; None when nothing is left."""
    n = len(w)
    log_r = np.log(r)
    labels = np.argmax(v @ centres.T, axis=1)  # the nearest seed direction
    resp = np.zeros((n, len(centres)))
    resp[np.arange(n), labels] = 1.0
    loglik_old = -math.inf
    params = None
    loglik = -math.inf
    for _ in range(_EM_STEPS):
        wr = resp * w[:, None]
        mass = wr.sum(axis=0)
        ess = mass**2 / np.maximum(np.square(wr).sum(axis=0), 1e-300)
        alive = ess >= _SAMPLES_PER_PARAM
        if not alive.any():
            return None
        wr, mass = wr[:, alive], mass[alive]
        mix = mass / mass.sum()
        resultant = wr.T @ v  # (K, d)
        length = np.linalg.norm(resultant, axis=1)
        mu = resultant / np.maximum(length, 1e-300)[:, None]
        xi = np.minimum(length / mass, _MAX_RESULTANT)
        kappa = (xi * d - xi**3) / (1.0 - xi**2)
        r2 = r * r
        omega = (wr.T @ r2) / mass
        var_r2 = np.maximum((wr.T @ (r2 * r2)) / mass - omega**2, 1e-300)
        m = np.clip(omega**2 / var_r2, 0.5, 1e6)
        log_c = np.array([_log_vmf_norm(d, float(kk)) for kk in kappa])
        joint = np.empty((n, len(mix)))
        for k in range(len(mix)):
            joint[:, k] = (
                math.log(mix[k])
                + log_c[k]
                + kappa[k] * (v @ mu[k])
                + _log_nakagami(r, log_r, m[k], omega[k])
            )
        log_f = _logsumexp_rows(joint)
        loglik = float(w @ (log_f - (d - 1) * log_r))
        resp = np.exp(joint - log_f[:, None])
        params = (mix, mu, kappa, m, omega)
        if abs(loglik - loglik_old) <= _EM_TOL * max(1.0, abs(loglik)):
            break
        loglik_old = loglik
    return params, loglik
