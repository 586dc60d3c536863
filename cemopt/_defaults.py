"""Defaults that depend on the family, computed in one place (documented in
:class:`cemopt.CrossEntropy`).

The numbers come from ``benchmarks/continuous.py`` (see ``benchmarks/RESULTS.md``):
for Gaussian families with adaptive variance scaling an elite of 20% and a batch of
``max(10 (4 + 3 ln d), (d + 1) / elite_frac)`` solved all 50 runs of the
five-function benchmark, where 10% lost most Rastrigin runs to premature
convergence; for every other family the CE literature's 10% (de Boer et al. 2005)
stays. A ``MultivariateNormal`` takes the incremental AMaLGaM's rules instead (Bosman,
Grahl & Thierens 2013): a batch of ``10 sqrt(d)``, an elite of 35%, the elite's mean and
a covariance learnt with weight ``1 - exp(-1.1 k^1.2 / d^1.6)``; on BBOB they need half
the evaluations of the rules above and solve 320 runs of 480 against 316, but on the
five-function benchmark they solve Rastrigin in 6 runs of 10 instead of 10, and the
smaller batches cost five times the CPU per evaluation (``benchmarks/RESULTS.md``).
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


def uses_csa(family: Any) -> bool:
    """Whether the CE update with cumulative step-size adaptation applies (and is the
    default): a ``MultivariateNormal``, bounded or not."""
    return isinstance(family, MultivariateNormal)


def default_elite_frac(family: Any, csa: bool = False) -> float:
    """0.5 with ``csa`` (CMA-ES's weighted half), 0.35 for a ``MultivariateNormal``
    without (iAMaLGaM's), 0.2 for a ``Normal``, both with adaptive variance scaling;
    0.1 otherwise."""
    if csa:
        return 0.5
    if isinstance(family, MultivariateNormal):
        return 0.35
    return 0.2 if scales_adaptively(family) else 0.1


def default_patience(family: Any, variance_scaling: bool) -> int:
    """5 iterations without a better level (CEoptim's default), or 0 (off) for
    families whose variance scaling has its own no-improvement rule."""
    return 0 if variance_scaling and scales_adaptively(family) else 5


def default_n_samples(family: Any, elite_frac: float, csa: bool = False) -> int:
    """Batch size: with ``csa`` CMA-ES's ``4 + floor(3 ln d)``; ``MultivariateNormal``
    without ``max(round(10 sqrt(d)), 10)`` (iAMaLGaM's); ``Normal`` ``max(round(10 (4 +
    3 ln d)), ceil((d + 1) / rho))``; other families ``max(100, 10 * number of
    parameters)``.
    """
    if csa:
        return 4 + math.floor(3 * math.log(family.dim))
    if isinstance(family, MultivariateNormal):
        return max(round(10 * math.sqrt(family.dim)), 10)
    if scales_adaptively(family):
        d = int(family.dim)
        return max(round(10 * (4 + 3 * math.log(d))), math.ceil(round((d + 1) / elite_frac, 9)))
    params = getattr(family, "params", None)
    if not isinstance(params, dict):
        raise TypeError(
            f"`n_samples` must be given for a family without `params` ({type(family).__name__})."
        )
    return int(max(100, 10 * _count(params)))


def first_restart_samples(family: Any) -> int:
    """The least batch of the first restart when ``n_samples`` is the default:
    AMaLGaM's ``ceil(17 + 3 d^1.5)`` for a ``MultivariateNormal``, the size at which
    one elite estimates the covariance (the incremental first run's ``10 sqrt(d)`` is
    fast on unimodal functions, the multimodal ones need the larger batch: on BBOB f17
    and f18, instances 1-5, 3 of 10 runs solved at d = 10 and 0 at d = 20 when the
    restarts only doubled it, 7 and 4 with this rule); 0 (no floor) otherwise."""
    if isinstance(family, MultivariateNormal):
        return math.ceil(17 + 3 * family.dim**1.5)
    return 0


def default_smoothing(family: Any) -> float:
    """1 for a ``MultivariateNormal`` (the elite's mean, as in AMaLGaM), 0.7 otherwise."""
    return 1.0 if isinstance(family, MultivariateNormal) else 0.7


def default_scale_alpha(family: Any, smoothing: float, n_elite: int) -> float | None:
    """Smoothing of a full covariance: ``min(smoothing, 1 - exp(-1.1 k^1.2 / d^1.6))``.

    iAMaLGaM's learning rate (Bosman, Grahl & Thierens 2013): an ML covariance from k
    elite points in d dimensions is noisy (singular when k <= d); averaged in with a
    small weight, the noise averages out over iterations instead of compounding into
    an ill-conditioned covariance. None (use ``smoothing``) for other families.
    """
    if isinstance(family, MultivariateNormal):
        return min(smoothing, 1.0 - math.exp(-1.1 * n_elite**1.2 / family.dim**1.6))
    return None


def _count(params: dict[str, Any]) -> int:
    return sum(_count(v) if isinstance(v, dict) else int(np.size(v)) for v in params.values())
