"""Independent Bernoulli coordinates: binary vectors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import entr, rel_entr, xlogy

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
    readonly,
)
from ._information import check_comparable, in_base

__all__ = ["Bernoulli"]


@dataclass(frozen=True, eq=False, repr=False)
class Bernoulli:
    """Independent Bernoulli coordinates with success probabilities ``p``.

    >>> import cemopt.families as cf
    >>> f = cf.Bernoulli([0.1, 0.5, 1.0])
    >>> f.sample(2, rng=0)
    array([[0, 1, 1],
           [1, 0, 1]], dtype=int8)
    >>> f.fit([[0, 1, 1], [1, 1, 1]]).p
    array([0.5, 1. , 1. ])

    Parameters
    ----------
    p : array_like, shape (d,)
        Probabilities of a 1, each in ``[0, 1]`` (0 and 1 allowed). A scalar means
        ``d = 1``.

    Attributes
    ----------
    dim : int
        ``d``.
    params : dict
        ``{"p": (d,)}`` read-only float array.

    Notes
    -----
    Samples are ``int8`` arrays of 0/1 with shape ``(n, d)``, drawn in one pass as
    ``(rng.random((n, d)) < p)``. ``logpdf`` uses ``0 * log 0 = 0``, so a coordinate
    with ``p`` exactly 0 or 1 contributes 0 for its sure value and ``-inf`` for the
    impossible one (any other value than 0/1 is ``-inf`` too). The CE update is the
    weighted mean of the samples.

    Examples
    --------
    >>> f.mode()
    array([0, 0, 1], dtype=int8)
    >>> f.degeneracy()
    0.5
    """

    p: Any

    def __post_init__(self) -> None:
        p = as_float_array(self.p, "p", ndim=(0, 1))
        p = readonly(np.atleast_1d(p).copy())
        if p.shape[0] == 0:
            raise ValueError("`p` must have at least one coordinate, but got p=[].")
        if not np.all((p >= 0) & (p <= 1)):
            raise ValueError(f"`0 <= p <= 1` must hold, but got p={_short(p)}.")
        object.__setattr__(self, "p", p)
        with np.errstate(divide="ignore"):
            object.__setattr__(self, "_log_p", readonly(np.log(p)))
            object.__setattr__(self, "_log_q", readonly(np.log1p(-p)))

    @property
    def dim(self) -> int:
        """Number of coordinates."""
        return self.p.shape[0]

    @property
    def params(self) -> dict[str, np.ndarray]:
        """``{"p": ...}`` (read-only)."""
        return {"p": self.p}

    def with_params(self, params: dict[str, Any]) -> Bernoulli:
        """A ``Bernoulli`` with this ``p``."""
        check_param_keys(params, ("p",), "Bernoulli")
        return Bernoulli(params["p"])

    def __repr__(self) -> str:
        return f"Bernoulli(p={array_repr(self.p)})"

    def sample(self, n: int, rng: Any = None) -> np.ndarray:
        """Draw ``n`` binary vectors, shape ``(n, d)`` int8."""
        n = check_int(n, "n", minimum=0)
        return (as_rng(rng).random((n, self.dim)) < self.p).view(np.int8)

    def logpdf(self, x: Any) -> np.ndarray:
        """Log probability of each row of ``x`` (shape ``(n, d)``, entries 0/1)."""
        x = check_batch(x, (self.dim,), dtype=None)
        terms = np.where(x == 1, self._log_p, np.where(x == 0, self._log_q, -np.inf))
        return terms.sum(axis=1)

    def fit(self, x: Any, weights: Any = None) -> Bernoulli:
        """Weighted frequency of ones per coordinate: the CE update.

        Parameters
        ----------
        x : array_like, shape (n, d)
            Entries 0/1 (any numeric or bool dtype).
        weights : array_like, shape (n,), optional
            Non-negative, not necessarily normalised; ``None`` = equal weights.

        Raises
        ------
        DegenerateFitError
            Zero total weight.
        ValueError
            Entries other than 0 and 1, or the wrong shape.
        """
        x = check_batch(x, (self.dim,), dtype=None)
        w = check_weights(weights, x.shape[0], "Bernoulli")
        if not np.all((x == 0) | (x == 1)):
            raise ValueError(f"`x` must contain only 0 and 1, but got x={_short(x)}.")
        p = x.mean(axis=0) if w is None else (w @ x) / w.sum()
        return Bernoulli(np.clip(p, 0.0, 1.0))  # clip: rounding of the weighted sums

    def blend(
        self, previous: Bernoulli, alpha: float, *, scale_alpha: float | None = None
    ) -> Bernoulli:
        """``alpha * p + (1 - alpha) * previous.p``; ``scale_alpha`` is accepted and
        ignored (no scale parameter)."""
        check_same_kind(self, previous)
        alpha = check_alpha(alpha)
        if scale_alpha is not None:
            check_alpha(scale_alpha, "scale_alpha")
        p = alpha * self.p + (1.0 - alpha) * previous.p
        return Bernoulli(np.clip(p, 0.0, 1.0))

    # ---------------------------------------------------------- information measures
    def entropy(self, *, base: float | None = None) -> float:
        """Entropy ``-sum(p ln p + (1 - p) ln(1 - p))``, in nats (``base=2``: bits).

        >>> Bernoulli([0.5, 1.0]).entropy(base=2)
        1.0
        """
        return in_base(float(np.sum(entr(self.p) + entr(1.0 - self.p))), base)

    def kl_divergence(self, other: Bernoulli, *, base: float | None = None) -> float:
        """``KL(self || other) = sum(p ln(p / q) + (1 - p) ln((1 - p) / (1 - q)))``.

        ``+inf`` where ``other`` gives probability 0 to an outcome ``self`` can take.

        >>> round(Bernoulli([0.5]).kl_divergence(Bernoulli([0.25])), 6)
        0.143841
        >>> Bernoulli([0.5]).kl_divergence(Bernoulli([1.0]))
        inf
        """
        check_comparable(self, other, "kl_divergence")
        p, q = self.p, other.p
        return in_base(float(np.sum(rel_entr(p, q) + rel_entr(1.0 - p, 1.0 - q))), base)

    def cross_entropy(self, other: Bernoulli, *, base: float | None = None) -> float:
        """``H(self, other) = -sum(p ln q + (1 - p) ln(1 - q))`` (``+inf`` as in
        :meth:`kl_divergence`).

        >>> round(Bernoulli([0.5]).cross_entropy(Bernoulli([0.25])), 6)
        0.836988
        """
        check_comparable(self, other, "cross_entropy")
        p, q = self.p, other.p
        return in_base(-float(np.sum(xlogy(p, q) + xlogy(1.0 - p, 1.0 - q))), base)

    def mode(self) -> np.ndarray:
        """The most likely vector, ``(p > 0.5)`` as int8."""
        return (self.p > 0.5).astype(np.int8)

    def degeneracy(self) -> float:
        """``max(min(p, 1 - p))``: 0 when every coordinate is certain."""
        return float(np.max(np.minimum(self.p, 1.0 - self.p)))
