"""Defaults that depend on the family, computed in one place (documented in
:class:`cemopt.CrossEntropy`).

The numbers come from ``benchmarks/continuous.py`` (see ``benchmarks/RESULTS.md``):
for Gaussian families with adaptive variance scaling an elite of 20% and a batch of
``max(10 (4 + 3 ln d), (d + 1) / elite_frac)`` solved all 50 runs of the
five-function benchmark, where 10% lost most Rastrigin runs to premature
convergence; for every other family the CE literature's 10% (de Boer et al. 2005)
stays.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .families import MultivariateNormal
from .families._base import capabilities


def scales_adaptively(family: Any) -> bool:
    """Whether the family supports adaptive variance scaling (``rescaled``, ``whiten``
    and an integer ``dim``, which sets the multiplier's patience)."""
    return capabilities(family)["variance_scaling"]


def shifts_its_mean(family: Any) -> bool:
    """Whether the anticipated mean shift applies: a ``mean`` vector of length ``dim``,
    and either no bounds or a ``moved(x, step)`` method that keeps a moved sample a
    valid point of the family (the bounded ``MultivariateNormal``'s)."""
    mean = getattr(family, "mean", None)
    dim = getattr(family, "dim", None)
    if not isinstance(dim, (int, np.integer)) or np.shape(mean) != (int(dim),):
        return False
    if callable(getattr(family, "moved", None)):
        return True
    return getattr(family, "lower", None) is None and getattr(family, "upper", None) is None


def default_elite_frac(family: Any) -> float:
    """0.2 for Gaussian families that scale adaptively, 0.1 otherwise."""
    return 0.2 if scales_adaptively(family) else 0.1


def default_patience(family: Any, variance_scaling: bool) -> int:
    """5 iterations without a better level (CEoptim's default), or 0 (off) for
    families whose variance scaling has its own no-improvement rule."""
    return 0 if variance_scaling and scales_adaptively(family) else 5


def default_n_samples(family: Any, elite_frac: float) -> int:
    """Batch size: Gaussian families ``max(round(10 (4 + 3 ln d)), ceil((d + 1) / rho))``
    (enough elite to estimate a d-dimensional covariance); other families
    ``max(100, 10 * number of parameters)``.
    """
    if scales_adaptively(family):
        d = int(family.dim)
        return max(round(10 * (4 + 3 * math.log(d))), math.ceil(round((d + 1) / elite_frac, 9)))
    params = getattr(family, "params", None)
    if not isinstance(params, dict):
        raise TypeError(
            f"`n_samples` must be given for a family without `params` ({type(family).__name__})."
        )
    return int(max(100, 10 * _count(params)))


def default_scale_alpha(family: Any, smoothing: float, n_elite: int) -> float | None:
    """Smoothing of a full covariance: ``min(smoothing, 2 k / d^1.5)``.

    An ML covariance from k elite points in d dimensions is noisy when k is close to
    d; averaged with too much weight, its eigenvalue spread compounds and the
    covariance becomes ill-conditioned (measured: the d=100 sphere fails at 0.7 and
    converges at 2k/d^1.5). None (use ``smoothing``) for other families.
    """
    if isinstance(family, MultivariateNormal):
        return min(smoothing, 2.0 * n_elite / family.dim**1.5)
    return None


def _count(params: dict[str, Any]) -> int:
    return sum(_count(v) if isinstance(v, dict) else int(np.size(v)) for v in params.values())
