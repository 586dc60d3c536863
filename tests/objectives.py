"""Module-level objectives: process pools and Dask need picklable functions."""

from __future__ import annotations

import numpy as np


def shifted_sphere(X: np.ndarray) -> np.ndarray:
    """Vectorised: minimum 0 at (1, ..., 1)."""
    return ((np.asarray(X) - 1.0) ** 2).sum(axis=1)


def shifted_sphere_one(x: np.ndarray) -> float:
    """One sample at a time."""
    return float(((np.asarray(x) - 1.0) ** 2).sum())


def row_sum(X: np.ndarray) -> np.ndarray:
    """Vectorised sum of the coordinates (sums of exponentials, Bernoulli counts)."""
    return np.asarray(X, dtype=float).sum(axis=1)
