"""Shared argument checks: one wording for every error message in cemopt.

Messages follow one pattern, "`name` must <rule>, but got name=<value>.", so that a
user sees the argument, the rule and the offending value together, before any work
starts.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .errors import DegenerateFitError


def as_rng(rng: Any, name: str = "rng") -> np.random.Generator:
    """Normalise ``rng`` (None, an int seed, a SeedSequence or a Generator) once."""
    if isinstance(rng, np.random.RandomState):
        raise TypeError(
            f"`{name}` must be None, an int seed or a numpy.random.Generator; the legacy "
            "RandomState is not supported (use np.random.default_rng(seed))."
        )
    if rng is not None and not isinstance(
        rng, (numbers.Integral, np.random.Generator, np.random.SeedSequence, np.random.BitGenerator)
    ):
        raise TypeError(
            f"`{name}` must be None, an int seed or a numpy.random.Generator, "
            f"but got {name}={rng!r}."
        )
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and rng < 0:
        raise ValueError(f"`{name}` must be a non-negative seed, but got {name}={rng!r}.")
    return np.random.default_rng(rng)


def check_int(value: Any, name: str, *, minimum: int | None = None, allow_none: bool = False):
    """An integer (not a bool, not a float), optionally at least ``minimum``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        kind = "an integer or None" if allow_none else "an integer"
        raise TypeError(f"`{name}` must be {kind}, but got {name}={value!r}.")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"`{name} >= {minimum}` must hold, but got {name}={value}.")
    return value


def check_real(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    allow_none: bool = False,
) -> float | None:
    """A finite real number inside the interval given by ``low``/``high``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a real number, but got {name}={value!r}.")
    value = float(value)
    if not np.isfinite(value) and not (value == np.inf and high is None and not high_open):
        raise ValueError(f"`{name}` must be finite, but got {name}={value}.")
    left = "" if low is None else f"{low:g} {'<' if low_open else '<='} "
    right = "" if high is None else f" {'<' if high_open else '<='} {high:g}"
    rule = f"{left}{name}{right}"
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"`{rule}` must hold, but got {name}={value!r}.")
    if high is not None and (value > high or (high_open and value == high)):
        raise ValueError(f"`{rule}` must hold, but got {name}={value!r}.")
    return value


def as_float_array(value: Any, name: str, *, ndim: int | tuple[int, ...] | None = None):
    """A finite float array (a copy, read-only), with ``ndim`` checked when given."""
    try:
        array = np.array(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"`{name}` must be an array of real numbers, but got {name}={value!r}."
        ) from exc
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if allowed is not None and array.ndim not in allowed:
        want = " or ".join(f"{k}-d" for k in allowed)
        raise ValueError(f"`{name}` must be {want}, but got {name} with shape {array.shape}.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"`{name}` must be finite, but got {name}={_short(array)}.")
    array.setflags(write=False)
    return array


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


def _short(array: np.ndarray) -> str:
    return np.array2string(np.asarray(array), threshold=8, precision=4)


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
