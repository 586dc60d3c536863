"""The engine's own argument checks (families, weights); the public ones live in
:mod:`cemopt.validation` and are re-exported here for the engine's modules."""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import DegenerateFitError
from .validation import _short, as_float_array, as_rng, check_int, check_real

# the public checks are re-exported so that the engine imports every check from here
__all__ = [
    "real_values",
    "objective_name",
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
    if w.size and not (w.min() >= 0 and w.max() < np.inf):  # a NaN fails both
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


def objective_name(f: Any) -> str:
    """How an error names an objective: its qualified name, else its type."""
    name = getattr(f, "__qualname__", None) or getattr(f, "__name__", None)
    if name is None:
        func = getattr(f, "func", None)  # functools.partial
        name = getattr(func, "__qualname__", None) or type(f).__name__
    return f"`{name}`"


def real_values(values: Any, what: str) -> np.ndarray:
    """``values`` as a float array, or ``TypeError`` that starts with ``what`` ("The
    objective `f` must return", "`values` must be") unless every entry is a real
    number (bool, int or float; NaN is a number, left to the NaN policy).

    Complex values are not silently cut to their real part, numeric strings are not
    parsed, and None is not turned into NaN: each is a bug in the objective, and the
    message says which value it returned.

    Examples
    --------
    >>> real_values([1, 2.5, np.nan], "The objective `f` must return")
    array([1. , 2.5, nan])
    >>> real_values([1, None], "The objective `f` must return")
    Traceback (most recent call last):
    ...
    TypeError: The objective `f` must return real numbers, but got None.
    """
    try:
        array = np.asarray(values)
    except (TypeError, ValueError):  # ragged nesting
        raise TypeError(
            f"{what} real numbers, but got {type(values).__name__} {_short(values)}."
        ) from None
    kind = array.dtype.kind
    if kind in "biuf":
        return array.astype(float, copy=False)
    if kind == "c":
        bad = array.flat[int(np.argmax(array.reshape(-1).imag != 0))] if array.size else 0j
        raise TypeError(
            f"{what} real numbers, but got complex values (e.g. {complex(bad)!r}); "
            "return the real part or the modulus explicitly."
        )
    if kind in "USa":
        first = array.flat[0] if array.size else ""
        raise TypeError(
            f"{what} real numbers, but got strings (e.g. {str(first)!r}); "
            "convert them with float() in the objective if they are numbers."
        )
    if kind == "O":
        for value in array.flat:
            if value is None:
                raise TypeError(f"{what} real numbers, but got None.")
            if isinstance(value, complex) or not _is_real(value):
                raise TypeError(
                    f"{what} real numbers, but got {type(value).__name__} {_short(value)}."
                )
        return array.astype(float)
    raise TypeError(f"{what} real numbers, but got values of dtype {array.dtype}.")


def _is_real(value: Any) -> bool:
    import numbers

    if isinstance(value, (numbers.Real, np.bool_)):
        return True
    kind = getattr(getattr(value, "dtype", None), "kind", None)  # 0-d arrays, tensors
    return kind is not None and kind in "biuf" and np.size(value) == 1
