"""Argument checks with cemopt's error wording, public so that problems and users share it.

Every message follows one pattern, "`name` must <rule>, but got name=<value>.", so that a
user sees the argument, the rule and the offending value together, before any work
starts. The problem modules (``cemopt.problems``) use these checks exactly as a user's
own code would.

>>> from cemopt.validation import check_int
>>> check_int(3, "n_samples", minimum=1)
3
>>> check_int(0, "n_samples", minimum=1)
Traceback (most recent call last):
...
ValueError: `n_samples >= 1` must hold, but got n_samples=0.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = ["as_rng", "check_int", "check_real", "as_float_array"]


def as_rng(rng: Any, name: str = "rng") -> np.random.Generator:
    """Normalise ``rng`` (None, an int seed, a SeedSequence or a Generator) once.

    >>> gen = as_rng(7)
    >>> as_rng(gen) is gen
    True
    """
    if type(rng) is np.random.Generator:  # the engine's every draw: no checks to make
        return rng
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


def check_int(
    value: Any, name: str, *, minimum: int | None = None, allow_none: bool = False
) -> int | None:
    """An integer (not a bool, not a float), optionally at least ``minimum``.

    >>> check_int(None, "max_iter", allow_none=True) is None
    True
    """
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
    """A finite real number inside the interval given by ``low``/``high``.

    >>> check_real(0.5, "smoothing", low=0, high=1, low_open=True)
    0.5
    >>> check_real(0.0, "smoothing", low=0, high=1, low_open=True)
    Traceback (most recent call last):
    ...
    ValueError: `0 < smoothing <= 1` must hold, but got smoothing=0.0.
    """
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


def as_float_array(
    value: Any, name: str, *, ndim: int | tuple[int, ...] | None = None
) -> np.ndarray:
    """A finite float array (a copy, read-only), with ``ndim`` checked when given.

    >>> as_float_array([1, 2], "mean", ndim=1)
    array([1., 2.])
    """
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
    if not np.isfinite(array).all():
        raise ValueError(f"`{name}` must be finite, but got {name}={_short(array)}.")
    array.setflags(write=False)
    return array


def _short(array: np.ndarray) -> str:
    return np.array2string(np.asarray(array), threshold=8, precision=4)
