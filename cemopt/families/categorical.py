"""Independent categorical coordinates, each over its own set of categories."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import entr, rel_entr, xlogy

from .._validation import (
    _short,
    array_repr,
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

__all__ = ["Categorical"]

_SUM_TOL = 1e-9
_FEW = 16  # up to this many categories, sample by one comparison pass per category


@dataclass(frozen=True, eq=False, repr=False)
class Categorical:
    """``d`` independent categorical coordinates; coordinate ``j`` takes values
    ``0, ..., n_categories[j] - 1``.

    >>> import cemopt.families as cf
    >>> f = cf.Categorical([[0.2, 0.8], [0.1, 0.1, 0.8]])  # ragged: 2 and 3 categories
    >>> f.n_categories
    array([2, 3])
    >>> f.sample(3, rng=0)
    array([[1, 2],
           [0, 0],
           [1, 2]])
    >>> f.fit([[0, 2], [1, 2]]).probs
    array([[0.5, 0.5, 0. ],
           [0. , 0. , 1. ]])

    Parameters
    ----------
    probs : array_like, shape (d, k), or a sequence of d 1-d arrays
        Probabilities per coordinate; each row non-negative and summing to 1 (to a
        tolerance of 1e-9). Rows of different lengths (ragged) are allowed.

    Attributes
    ----------
    probs : ndarray, shape (d, k_max)
        Rows padded on the right with zeros to the longest row (read-only).
    n_categories : ndarray of int64, shape (d,)
        Number of categories of each coordinate.
    dim : int
        ``d``.
    params : dict
        ``{"probs": (d, k_max)}`` (padded, read-only).

    Notes
    -----
    Samples are ``int64`` category indices of shape ``(n, d)``, drawn by a vectorised
    inverse CDF; the upper edge of each coordinate's last possible category is set to
    infinity, so rounding in the cumulative sums can never select a padding or
    zero-probability category. ``logpdf`` returns ``-inf`` for a category out of range
    (negative or ``>= n_categories``) and raises ``ValueError`` for non-integer values.
    The CE update is the weighted frequency of each category (padding stays 0).

    Examples
    --------
    >>> f.mode()
    array([1, 2])
    >>> round(f.degeneracy(), 6)
    0.2
    """

    probs: Any

    def __post_init__(self) -> None:
        rows = _as_rows(self.probs)
        d = len(rows)
        counts = np.array([row.shape[0] for row in rows], dtype=np.int64)
        padded = np.zeros((d, int(counts.max())))
        for j, row in enumerate(rows):
            if not np.all(np.isfinite(row)):
                raise ValueError(f"`probs` must be finite, but got probs[{j}]={_short(row)}.")
            if np.any(row < 0):
                raise ValueError(f"`probs` must be non-negative, but got probs[{j}]={_short(row)}.")
            total = row.sum()
            if abs(total - 1.0) > _SUM_TOL:
                raise ValueError(
                    f"`probs` rows must sum to 1, but got probs[{j}]={_short(row)} "
                    f"summing to {total!r}."
                )
            padded[j, : row.shape[0]] = row
        set_ = object.__setattr__
        set_(self, "probs", readonly(padded))
        set_(self, "n_categories", readonly(counts))
        with np.errstate(divide="ignore"):
            set_(self, "_log_probs", readonly(np.log(padded)))
        # inverse-CDF edges: the upper edge of the last category with positive
        # probability (and every later one) is +inf
        edges = np.cumsum(padded, axis=1)
        k = padded.shape[1]
        last = k - 1 - np.argmax(padded[:, ::-1] > 0, axis=1)
        edges[np.arange(k) >= last[:, None]] = np.inf
        set_(self, "_edges", readonly(edges))

    @property
    def dim(self) -> int:
        """Number of coordinates."""
        return self.probs.shape[0]

    @property
    def ragged(self) -> bool:
        """Whether the coordinates have different numbers of categories."""
        return bool(np.any(self.n_categories != self.probs.shape[1]))

    @property
    def params(self) -> dict[str, np.ndarray]:
        """``{"probs": ...}``: padded ``(d, k_max)`` probabilities (read-only)."""
        return {"probs": self.probs}

    def with_params(self, params: dict[str, Any]) -> Categorical:
        """A ``Categorical`` with these (padded) ``probs`` and the same numbers of
        categories as ``self``."""
        check_param_keys(params, ("probs",), "Categorical")
        probs = np.asarray(params["probs"], dtype=float)
        if probs.shape != self.probs.shape:
            raise ValueError(
                f"`params['probs']` must have shape {self.probs.shape}, but got shape "
                f"{probs.shape}."
            )
        return self._from_padded(probs)

    def _from_padded(self, probs: np.ndarray) -> Categorical:
        if not self.ragged:
            return Categorical(probs)
        k = self.n_categories
        if np.any(probs[np.arange(probs.shape[1]) >= k[:, None]] != 0):
            raise ValueError(
                "`probs` must be 0 beyond each coordinate's number of categories "
                f"{k.tolist()}, but got probs={_short(probs)}."
            )
        return Categorical([row[:kj] for row, kj in zip(probs, k.tolist(), strict=True)])

    def __repr__(self) -> str:
        if self.ragged:
            rows = [self.probs[j, :kj] for j, kj in enumerate(self.n_categories.tolist())]
            shown = rows if len(rows) <= 6 else [*rows[:3], "...", *rows[-3:]]
            body = ", ".join(r if isinstance(r, str) else array_repr(r) for r in shown)
            return f"Categorical(probs=[{body}])"
        return f"Categorical(probs={array_repr(self.probs)})"

    def sample(self, n: int, rng: Any = None) -> np.ndarray:
        """Draw ``n`` vectors of category indices, shape ``(n, d)`` int64."""
        n = check_int(n, "n", minimum=0)
        u = as_rng(rng).random((n, self.dim))
        edges = self._edges
        k = edges.shape[1]
        # category = number of edges <= u; the last edge is always +inf
        if k <= _FEW:
            out = np.zeros((n, self.dim), dtype=np.int64)
            for c in range(k - 1):  # a pass per category, not per sample
                out += u >= edges[:, c]
            return out
        out = np.empty((n, self.dim), dtype=np.int64)
        for j in range(self.dim):  # a pass per coordinate, not per sample
            out[:, j] = np.searchsorted(edges[j], u[:, j], side="right")
        return out

    def logpdf(self, x: Any) -> np.ndarray:
        """Log probability of each row of ``x`` (shape ``(n, d)``, integer categories).

        Out-of-range categories give ``-inf``; non-integer values raise ``ValueError``.
        """
        x = self._as_indices(x)
        valid = (x >= 0) & (x < self.n_categories)
        safe = np.where(valid, x, 0)
        terms = self._log_probs[np.arange(self.dim), safe]
        terms[~valid] = -np.inf
        return terms.sum(axis=1)

    def fit(self, x: Any, weights: Any = None) -> Categorical:
        """Weighted frequencies of each category, per coordinate: the CE update.

        Parameters
        ----------
        x : array_like of int, shape (n, d)
            Category indices, each in ``[0, n_categories[j])``.
        weights : array_like, shape (n,), optional
            Non-negative, not necessarily normalised; ``None`` = equal weights.

        Raises
        ------
        DegenerateFitError
            Zero total weight.
        ValueError
            Non-integer or out-of-range categories, or the wrong shape.
        """
        x = self._as_indices(x)
        n, d = x.shape
        w = check_weights(weights, n, "Categorical")
        if not np.all((x >= 0) & (x < self.n_categories)):
            raise ValueError(
                f"`x` must hold categories in [0, n_categories) = "
                f"{_short(self.n_categories)} per coordinate, but got x={_short(x)}."
            )
        k = self.probs.shape[1]
        flat = (x + np.arange(d) * k).ravel()
        wflat = None if w is None else np.broadcast_to(w[:, None], (n, d)).ravel()
        counts = np.bincount(flat, weights=wflat, minlength=d * k).reshape(d, k)
        probs = counts / counts.sum(axis=1, keepdims=True)
        return self._from_padded(probs)

    def _as_indices(self, x: Any) -> np.ndarray:
        x = check_batch(x, (self.dim,), dtype=None)
        if x.dtype.kind in "iub":
            return x
        if x.dtype.kind != "f" or not np.all(np.isfinite(x) & (x == np.round(x))):
            raise ValueError(f"`x` must hold integer categories, but got x={_short(x)}.")
        return x.astype(np.int64)

    def blend(
        self, previous: Categorical, alpha: float, *, scale_alpha: float | None = None
    ) -> Categorical:
        """``alpha * probs + (1 - alpha) * previous.probs``; ``scale_alpha`` is accepted
        and ignored (no scale parameter). ``previous`` must have the same categories."""
        check_same_kind(self, previous)
        alpha = check_alpha(alpha)
        if scale_alpha is not None:
            check_alpha(scale_alpha, "scale_alpha")
        if not np.array_equal(previous.n_categories, self.n_categories):
            raise ValueError(
                f"`previous` must have the same numbers of categories "
                f"{_short(self.n_categories)} as self, but got previous with "
                f"{_short(previous.n_categories)}."
            )
        return self._from_padded(alpha * self.probs + (1.0 - alpha) * previous.probs)

    # ---------------------------------------------------------- information measures
    def entropy(self, *, base: float | None = None) -> float:
        """Entropy ``-sum_j sum_c probs[j, c] ln probs[j, c]``, in nats (``base=2``: bits).

        >>> Categorical([[0.25] * 4, [1.0, 0.0]]).entropy(base=2)
        2.0
        """
        return in_base(float(entr(self.probs).sum()), base)

    def kl_divergence(self, other: Categorical, *, base: float | None = None) -> float:
        """``KL(self || other) = sum probs ln(probs / other.probs)``; ``+inf`` where
        ``other`` gives probability 0 to a category ``self`` can take.

        ``other`` must have the same numbers of categories (``ValueError`` otherwise).

        >>> round(Categorical([[0.5, 0.5]]).kl_divergence(Categorical([[0.25, 0.75]])), 6)
        0.143841
        """
        self._check_other(other, "kl_divergence")
        return in_base(float(rel_entr(self.probs, other.probs).sum()), base)

    def cross_entropy(self, other: Categorical, *, base: float | None = None) -> float:
        """``H(self, other) = -sum probs ln other.probs`` (``+inf`` as in
        :meth:`kl_divergence`).

        >>> round(Categorical([[0.5, 0.5]]).cross_entropy(Categorical([[0.25, 0.75]])), 6)
        0.836988
        """
        self._check_other(other, "cross_entropy")
        return in_base(-float(xlogy(self.probs, other.probs).sum()), base)

    def _check_other(self, other: Any, method: str) -> None:
        check_comparable(self, other, method)
        if not np.array_equal(other.n_categories, self.n_categories):
            raise ValueError(
                f"`other` must have the same numbers of categories "
                f"{_short(self.n_categories)} as self for {method}, but got other with "
                f"{_short(other.n_categories)}."
            )

    def mode(self) -> np.ndarray:
        """The most likely category of each coordinate (int64)."""
        return np.argmax(self.probs, axis=1).astype(np.int64)

    def degeneracy(self) -> float:
        """``max(1 - max(probs))`` over coordinates: 0 when every coordinate is certain."""
        return float(np.max(1.0 - self.probs.max(axis=1)))


def _as_rows(probs: Any) -> list[np.ndarray]:
    if isinstance(probs, np.ndarray):
        if probs.ndim != 2:
            raise ValueError(
                f"`probs` must be 2-d (d, k) or a list of 1-d arrays, but got probs with "
                f"shape {probs.shape}."
            )
        candidates = list(probs)
    else:
        try:
            candidates = list(probs)
        except TypeError as exc:
            raise TypeError(
                f"`probs` must be a 2-d array or a list of 1-d arrays, but got probs={probs!r}."
            ) from exc
    if not candidates:
        raise ValueError("`probs` must have at least one coordinate, but got probs=[].")
    rows = []
    for j, row in enumerate(candidates):
        try:
            array = np.asarray(row, dtype=float)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"`probs` rows must be arrays of real numbers, but got probs[{j}]={row!r}."
            ) from exc
        if array.ndim != 1 or array.shape[0] == 0:
            raise ValueError(
                f"`probs` rows must be non-empty 1-d arrays, but got probs[{j}] with shape "
                f"{array.shape}."
            )
        rows.append(array)
    return rows
