"""The engine's own argument checks (families, weights); the public ones live in
:mod:`cemopt.validation` and are re-exported here for the engine's modules."""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import DegenerateFitError
from .validation import _short, as_float_array, as_rng, check_int, check_real

# the public checks are re-exported so that the engine imports every check from here
__all__ = [
    "as_float_array",
    "as_rng",
    "check_int",
    "check_real",
    "check_weights",
    "effective_sample_size",
    "check_alpha",
    "check_same_kind",
    "readonly",
    "check_batch",
    "short",
    "check_param_keys",
    "array_repr",
]


def check_weights(weights: Any, n: int, family_name: str) -> np.ndarray | None:
    """Validate fit weights: None, or ``n`` finite non-negative numbers, not all zero.

    Returns the weights as a float array (or None). Raises :class:`DegenerateFitError`
    when the total weight is zero, since no distribution is defined by nothing.
    """
    if weights is None:
        if n == 0:
            raise DegenerateFitError(f"{family_name}.fit needs at least one sample, but got 0.")
        return None
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1 or w.shape[0] != n:
        raise ValueError(
            f"`weights` must have one entry per sample: got shape {w.shape} for {n} samples."
        )
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"`weights` must be finite and >= 0, but got weights={_short(w)}.")
    if not w.sum() > 0:
        raise DegenerateFitError(
            f"{family_name}.fit got zero total weight (effective sample size 0)."
        )
    return w


def effective_sample_size(weights: np.ndarray | None, n: int) -> float:
    """Kish's effective sample size (sum w)^2 / sum w^2; ``n`` for equal weights."""
    if weights is None:
        return float(n)
    return float(weights.sum() ** 2 / np.square(weights).sum())


def check_alpha(alpha: Any, name: str = "alpha") -> float:
    """A blending weight in [0, 1]."""
    return check_real(alpha, name, low=0.0, high=1.0)


def check_same_kind(
    family: Any, previous: Any, method: str = "blend", *, name: str = "previous"
) -> None:
    """``previous`` must be the same family type with the same ``dim``.

    ``name`` is the argument being checked (``"previous"`` for ``blend``, ``"other"``
    for the information measures) and ``method`` what it is checked for.
    """
    purpose = f"to {method} with" if name == "previous" else f"for {method}"
    if type(previous) is not type(family):
        raise TypeError(
            f"`{name}` must be a {type(family).__name__} {purpose}, "
            f"but got a {type(previous).__name__}."
        )
    dim = getattr(family, "dim", None)
    if dim is not None and previous.dim != dim:
        where = "" if name == "previous" else f" {purpose}"
        raise ValueError(
            f"`{name}` must have dim {dim} like self{where}, but got {name} with "
            f"dim {previous.dim}."
        )


# --- helpers added for the families (cemopt.families) -------------------------------


def readonly(array: np.ndarray) -> np.ndarray:
    """Mark ``array`` read-only in place and return it (families store only these)."""
    array.setflags(write=False)
    return array


def check_batch(
    x: Any, trailing: tuple[int, ...], name: str = "x", *, dtype: Any = float
) -> np.ndarray:
    """A batch of samples: an array of shape ``(n, *trailing)`` (no copy when possible)."""
    try:
        array = np.asarray(x, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"`{name}` must be an array of samples, but got {name}={x!r}.") from exc
    if array.ndim != 1 + len(trailing) or array.shape[1:] != tuple(trailing):
        want = "(n" + "".join(f", {k}" for k in trailing) + ")"
        raise ValueError(
            f"`{name}` must have shape {want}, but got {name} with shape {array.shape}."
        )
    return array


def short(array: Any) -> str:
    """A short, readable rendering of an array for error messages and reprs."""
    return _short(array)


def check_param_keys(params: Any, keys: tuple[str, ...], family_name: str) -> None:
    """``params`` for ``with_params``: a mapping with exactly ``keys``."""
    if not hasattr(params, "keys") or set(params.keys()) != set(keys):
        got = sorted(params.keys()) if hasattr(params, "keys") else type(params).__name__
        raise ValueError(
            f"`params` must be a dict with keys {sorted(keys)} for {family_name}, "
            f"but got params with keys {got}."
        )


def array_repr(array: np.ndarray) -> str:
    """Compact array text for a family's ``repr``."""
    return np.array2string(
        np.asarray(array), separator=", ", threshold=8, edgeitems=3, precision=6
    ).replace("\n", "")
