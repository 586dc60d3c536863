"""Independent exponential coordinates, the classic rare-event proposal."""

from __future__ import annotations

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
    check_same_kind,
    check_weights,
    effective_sample_size,
    readonly,
)
from ..errors import DegenerateFitError
from ._information import check_comparable, in_base

__all__ = ["Exponential"]


@dataclass(frozen=True, eq=False, repr=False)
class Exponential:
    """Independent exponential coordinates with the given means (scale parameters).

    >>> import cemopt.families as cf
    >>> f = cf.Exponential([1.0, 2.0])
    >>> f.sample(2, rng=0)
    array([[0.6799319 , 2.0391942 ],
           [0.01980666, 0.00453865]])
    >>> f.fit([[1.0, 2.0], [3.0, 6.0]]).mean
    array([2., 4.])

    Parameters
    ----------
    mean : array_like, shape (d,)
        Means ``> 0`` (a scalar means ``d = 1``).

    Attributes
    ----------
    dim : int
        ``d``.
    params : dict
        ``{"mean": (d,)}`` read-only float array.

    Notes
    -----
    Samples are float64 arrays ``mean * rng.standard_exponential((n, d))``;
    ``logpdf(x) = -sum(log(mean) + x / mean)`` and ``-inf`` when a coordinate is
    negative. The CE update is the weighted mean: the classic closed-form update of
    multilevel rare-event estimation with exponential proposals.

    The family has no ``mode`` (it is 0 whatever the parameters) and no
    ``degeneracy``: it is meant as an importance-sampling proposal, not as a search
    distribution that should collapse to a point.
    """

    mean: Any

    def __post_init__(self) -> None:
        mean = as_float_array(self.mean, "mean", ndim=(0, 1))
        mean = readonly(np.atleast_1d(mean).copy())
        if mean.shape[0] == 0:
            raise ValueError("`mean` must have at least one coordinate, but got mean=[].")
        if not np.all(mean > 0):
            raise ValueError(f"`mean` must be > 0, but got mean={_short(mean)}.")
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "_log_norm", float(np.log(mean).sum()))

    @property
    def dim(self) -> int:
        """Number of coordinates."""
        return self.mean.shape[0]

    @property
    def params(self) -> dict[str, np.ndarray]:
        """``{"mean": ...}`` (read-only)."""
        return {"mean": self.mean}

    def with_params(self, params: dict[str, Any]) -> Exponential:
        """An ``Exponential`` with this ``mean``."""
        check_param_keys(params, ("mean",), "Exponential")
        return Exponential(params["mean"])

    def __repr__(self) -> str:
        return f"Exponential(mean={array_repr(self.mean)})"

    def sample(self, n: int, rng: Any = None) -> np.ndarray:
        """Draw ``n`` samples, shape ``(n, d)`` float64."""
        n = check_int(n, "n", minimum=0)
        x = as_rng(rng).standard_exponential((n, self.dim))
        x *= self.mean
        return x

    def logpdf(self, x: Any) -> np.ndarray:
        """Log density of each row of ``x`` (shape ``(n, d)``); ``-inf`` if any entry < 0."""
        x = check_batch(x, (self.dim,))
        out = -(x @ (1.0 / self.mean)) - self._log_norm
        out[np.any(x < 0, axis=1)] = -np.inf
        return out

    def fit(self, x: Any, weights: Any = None) -> Exponential:
        """Weighted mean of each coordinate: the CE update.

        Raises
        ------
        DegenerateFitError
            Zero total weight, or a coordinate whose weighted samples are all 0.
        ValueError
            Negative or non-finite samples, or the wrong shape.
        """
        x = check_batch(x, (self.dim,))
        n = x.shape[0]
        w = check_weights(weights, n, "Exponential")
        if not np.all(np.isfinite(x) & (x >= 0)):
            raise ValueError(f"`x` must be finite and >= 0, but got x={_short(x)}.")
        mean = x.mean(axis=0) if w is None else (w @ x) / w.sum()
        if not np.all(mean > 0):
            raise DegenerateFitError(
                "Exponential.fit: all weighted samples are 0 in coordinate(s) "
                f"{np.flatnonzero(~(mean > 0)).tolist()}, so the fitted mean would be 0 "
                f"(effective sample size {effective_sample_size(w, n):.3g})."
            )
        return Exponential(mean)

    def blend(
        self, previous: Exponential, alpha: float, *, scale_alpha: float | None = None
    ) -> Exponential:
        """``alpha * mean + (1 - alpha) * previous.mean``.

        The mean is the family's only parameter and is blended with ``alpha``;
        ``scale_alpha`` is accepted (checked) and ignored.
        """
        check_same_kind(self, previous)
        alpha = check_alpha(alpha)
        if scale_alpha is not None:
            check_alpha(scale_alpha, "scale_alpha")
        return Exponential(alpha * self.mean + (1.0 - alpha) * previous.mean)

    # ---------------------------------------------------------- information measures
    def entropy(self, *, base: float | None = None) -> float:
        """Entropy ``sum(1 + ln mean)``, in nats (``base=2``: bits).

        >>> Exponential([1.0, 1.0]).entropy()
        2.0
        """
        return in_base(float(np.sum(1.0 + np.log(self.mean))), base)

    def kl_divergence(self, other: Exponential, *, base: float | None = None) -> float:
        """``KL(self || other) = sum(ln(m_q / m_p) + m_p / m_q - 1)`` for means ``m``.

        >>> round(Exponential([1.0]).kl_divergence(Exponential([2.0])), 6)
        0.193147
        """
        check_comparable(self, other, "kl_divergence")
        ratio = self.mean / other.mean
        return in_base(float(np.sum(ratio - 1.0 - np.log(ratio))), base)

    def cross_entropy(self, other: Exponential, *, base: float | None = None) -> float:
        """``H(self, other) = sum(ln m_q + m_p / m_q)``.

        >>> round(Exponential([1.0]).cross_entropy(Exponential([2.0])), 6)
        1.193147
        """
        check_comparable(self, other, "cross_entropy")
        return in_base(float(np.sum(np.log(other.mean) + self.mean / other.mean)), base)
