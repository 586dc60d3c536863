"""Strict JSON for the benchmarks' result files (shared by the scripts beside it)."""

from __future__ import annotations

import math
from typing import Any


def clean(value: Any) -> Any:
    """NaN and inf as None, so that the JSON file is strict JSON.

    >>> clean({"a": [1.0, float("nan")], "b": float("inf")})
    {'a': [1.0, None], 'b': None}
    """
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: clean(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(item) for item in value]
    return value
