"""Row operations on a batch of samples: an (n, ...) array or, for ``Product``, a dict
of such arrays. The engine never needs to know which; it goes through these helpers.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def batch_len(X: Any) -> int:
    """Number of samples (rows) in a batch; every part of a dict batch must agree."""
    if isinstance(X, dict):
        if not X:
            raise ValueError("`X` must hold at least one component, but got an empty dict.")
        lengths = {name: np.shape(part)[0] if np.ndim(part) else None for name, part in X.items()}
        if None in lengths.values() or len(set(lengths.values())) != 1:
            raise ValueError(
                f"`X` must have the same number of rows in every component, but got {lengths}."
            )
        return next(iter(lengths.values()))
    if np.ndim(X) == 0:
        raise ValueError(f"`X` must be a batch with samples on axis 0, but got X={X!r}.")
    return np.shape(X)[0]


def take_rows(X: Any, index: Any) -> Any:
    """The rows ``index`` (an integer array or a slice) of a batch, as a batch."""
    if isinstance(X, dict):
        return {name: np.asarray(part)[index] for name, part in X.items()}
    return np.asarray(X)[index]


def row(X: Any, i: int) -> Any:
    """One sample, as the objective of a non-vectorised run receives it."""
    if isinstance(X, dict):
        return {name: part[i] for name, part in X.items()}
    return X[i]


def split_rows(n: int, n_chunks: int) -> list[slice]:
    """``n_chunks`` contiguous slices covering ``range(n)`` in order (none empty)."""
    n_chunks = max(1, min(n_chunks, n))
    bounds = np.linspace(0, n, n_chunks + 1).round().astype(int)
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]


def copy_row(X: Any, i: int) -> Any:
    """An independent copy of one sample (kept as ``res.x``)."""
    if isinstance(X, dict):
        return {name: np.array(part[i]) for name, part in X.items()}
    return np.array(X[i])


def concat_rows(X: Any, Y: Any) -> Any:
    """The rows of ``X`` followed by those of ``Y`` (same kind of batch)."""
    if isinstance(X, dict):
        return {name: np.concatenate([X[name], Y[name]]) for name in X}
    return np.concatenate([X, Y])
