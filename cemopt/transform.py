"""Physical inputs as functions of independent standard normals (the Nataf transform).

Reliability analysis works in standard normal space: inputs ``X`` with marginals
``F_i`` and a Gaussian copula are written ``x_i = F_i^{-1}(Phi(z_i))`` with ``z = L u``,
``u ~ N(0, I)`` and ``L L^T = R0`` the copula's correlation (Nataf 1962; Liu & Der
Kiureghian 1986). The failure probability of ``g(x) <= 0`` is then that of
``g(T(u)) <= 0`` under independent standard normals, where the CE proposals live.

The Pearson correlation of the physical inputs is not the copula's: ``R0`` follows
from it by solving, pair by pair, ``rho_ij = E[x_i x_j] - ...`` as a function of
``rho0_ij`` (:func:`nataf_correlation`, 2-d Gauss-Hermite quadrature and a root
search).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import optimize, special

from .validation import as_float_array

__all__ = ["StandardNormalMap", "nataf_correlation"]

_HERMITE = np.polynomial.hermite_e.hermegauss(48)  # nodes, weights for N(0, 1)


class StandardNormalMap:
    """The map ``u -> x`` from independent standard normals to the physical inputs.

    >>> from scipy import stats
    >>> T = StandardNormalMap([stats.norm(10, 2), stats.lognorm(0.5)])
    >>> T.to_physical(np.zeros((1, 2))).round(6).tolist()   # the medians
    [[10.0, 1.0]]
    >>> bool(np.allclose(T.to_standard(T.to_physical([[0.3, -1.2]])), [[0.3, -1.2]]))
    True

    Parameters
    ----------
    marginals : sequence of scipy.stats frozen distributions
        One continuous distribution per input (``norm``, ``lognorm``, ``gumbel_r``,
        ``uniform``, ``expon``, ``weibull_min``, ``gamma``, ... anything with ``ppf``,
        ``isf``, ``cdf`` and ``sf``).
    correlation : array_like, shape (d, d), optional
        The correlation matrix of the Gaussian copula (in normal space). None:
        independent inputs. For the Pearson correlation of the physical inputs, pass
        ``nataf_correlation(marginals, pearson)``.

    Notes
    -----
    The upper tail uses ``isf(Phi(-z))`` rather than ``ppf(Phi(z))``: ``Phi(z)`` rounds
    to 1 beyond z = 8.3, and the inputs a rare event depends on often sit there.
    """

    def __init__(self, marginals: Sequence[Any], correlation: Any = None) -> None:
        marginals = list(marginals) if not hasattr(marginals, "ppf") else [marginals]
        if not marginals:
            raise ValueError("`marginals` must hold at least one distribution, but got none.")
        for i, m in enumerate(marginals):
            if not all(callable(getattr(m, name, None)) for name in ("ppf", "isf", "cdf", "sf")):
                raise TypeError(
                    f"`marginals[{i}]` must be a scipy.stats frozen distribution (with ppf, "
                    f"isf, cdf and sf), but got {m!r}."
                )
            if hasattr(m, "dist") and not hasattr(m.dist, "_pdf") and hasattr(m.dist, "_pmf"):
                raise ValueError(
                    f"`marginals[{i}]` must be continuous, but got the discrete {m.dist.name}."
                )
        self.marginals = tuple(marginals)
        d = len(marginals)
        self.dim = d
        if correlation is None:
            self.correlation = None
            self._chol = None
        else:
            R = np.array(as_float_array(correlation, "correlation", ndim=2))
            if R.shape != (d, d):
                raise ValueError(
                    f"`correlation` must have shape ({d}, {d}), one row per marginal, but got "
                    f"shape {R.shape}."
                )
            if not np.allclose(R, R.T, atol=1e-12) or not np.allclose(np.diag(R), 1.0):
                raise ValueError(
                    "`correlation` must be symmetric with a unit diagonal, but got "
                    f"correlation={np.array2string(R, precision=3)}."
                )
            try:
                self._chol = np.linalg.cholesky(0.5 * (R + R.T))
            except np.linalg.LinAlgError:
                raise ValueError(
                    "`correlation` must be positive definite, but got a matrix that is not."
                ) from None
            self.correlation = R

    def __repr__(self) -> str:
        names = ", ".join(getattr(getattr(m, "dist", m), "name", "?") for m in self.marginals)
        dep = "independent" if self.correlation is None else "Gaussian copula"
        return f"StandardNormalMap({self.dim} inputs: {names}; {dep})"

    def to_physical(self, u: Any) -> np.ndarray:
        """``x = T(u)`` for a batch ``u`` of shape ``(n, d)``."""
        u = np.asarray(u, dtype=float)
        if u.ndim != 2 or u.shape[1] != self.dim:
            raise ValueError(f"`u` must have shape (n, {self.dim}), but got shape {u.shape}.")
        z = u if self._chol is None else u @ self._chol.T
        x = np.empty_like(z)
        for i, m in enumerate(self.marginals):
            zi = z[:, i]
            upper = zi > 0
            xi = np.empty_like(zi)
            xi[~upper] = m.ppf(special.ndtr(zi[~upper]))
            xi[upper] = m.isf(special.ndtr(-zi[upper]))
            x[:, i] = xi
        return x

    def to_standard(self, x: Any) -> np.ndarray:
        """``u = T^{-1}(x)`` for a batch ``x`` of shape ``(n, d)``."""
        x = np.asarray(x, dtype=float)
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ValueError(f"`x` must have shape (n, {self.dim}), but got shape {x.shape}.")
        z = np.empty_like(x)
        for i, m in enumerate(self.marginals):
            cdf, sf = m.cdf(x[:, i]), m.sf(x[:, i])
            z[:, i] = np.where(cdf < 0.5, special.ndtri(cdf), -special.ndtri(sf))
        if self._chol is None:
            return z
        return np.linalg.solve(self._chol, z.T).T


def nataf_correlation(marginals: Sequence[Any], pearson: Any) -> np.ndarray:
    """The Gaussian-copula correlation that gives the inputs the Pearson correlation
    ``pearson`` (Liu & Der Kiureghian 1986), pair by pair.

    >>> from scipy import stats
    >>> R0 = nataf_correlation([stats.norm(), stats.norm()], [[1, 0.5], [0.5, 1]])
    >>> round(float(R0[0, 1]), 6)                       # normal marginals: unchanged
    0.5
    >>> R0 = nataf_correlation([stats.lognorm(1.0), stats.lognorm(1.0)], [[1, 0.5], [0.5, 1]])
    >>> round(float(R0[0, 1]), 4)      # exact: log(1 + 0.5 (e - 1)) = 0.6201
    0.6201

    Raises
    ------
    ValueError
        A Pearson correlation no Gaussian copula can give these marginals.
    """
    marginals = list(marginals)
    d = len(marginals)
    P = np.array(as_float_array(pearson, "pearson", ndim=2))
    if P.shape != (d, d) or not np.allclose(P, P.T) or not np.allclose(np.diag(P), 1.0):
        raise ValueError(
            f"`pearson` must be a symmetric ({d}, {d}) matrix with a unit diagonal, but got "
            f"shape {P.shape}."
        )
    R0 = np.eye(d)
    for i in range(d):
        for j in range(i + 1, d):
            if P[i, j] == 0.0:
                continue
            pair = (marginals[i], marginals[j])
            target = float(P[i, j])
            low, high = _pearson(pair, -0.999999), _pearson(pair, 0.999999)
            if not low <= target <= high:
                raise ValueError(
                    f"`pearson[{i}, {j}]` must lie in [{low:.4f}, {high:.4f}] for these "
                    f"marginals (what a Gaussian copula can give), but got {target}."
                )
            R0[i, j] = R0[j, i] = optimize.brentq(
                _pearson_gap, -0.999999, 0.999999, args=(pair, target), xtol=1e-12
            )
    return R0


def _pearson(pair: tuple[Any, Any], r0: float) -> float:
    """The Pearson correlation of the pair under a Gaussian copula of correlation r0
    (48 x 48 Gauss-Hermite nodes)."""
    z, w = _HERMITE
    w = w / w.sum()
    (a, b) = pair
    xa = _to_x(a, z)
    zb = r0 * z[:, None] + np.sqrt(1.0 - r0 * r0) * z[None, :]
    xb = _to_x(b, zb.ravel()).reshape(zb.shape)
    covariance = ((xa[:, None] - a.mean()) * (xb - b.mean()) * np.outer(w, w)).sum()
    return float(covariance / (a.std() * b.std()))


def _pearson_gap(r0: float, pair: tuple[Any, Any], target: float) -> float:
    return _pearson(pair, r0) - target


def _to_x(marginal: Any, z: np.ndarray) -> np.ndarray:
    upper = z > 0
    out = np.empty_like(z, dtype=float)
    out[~upper] = marginal.ppf(special.ndtr(z[~upper]))
    out[upper] = marginal.isf(special.ndtr(-z[upper]))
    return out
