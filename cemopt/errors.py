"""Warnings and exceptions raised by cemopt."""

from __future__ import annotations

__all__ = ["CemoptWarning", "CheckpointError", "ConvergenceWarning", "DegenerateFitError"]


class CemoptWarning(UserWarning):
    """Base class of every warning cemopt emits (filter them all with this one)."""


class ConvergenceWarning(CemoptWarning):
    """A run ended without meeting its goal, or its answer should not be trusted."""


class DegenerateFitError(ValueError):
    """A family could not be fitted: zero total weight or too few effective samples.

    It is a ``ValueError`` so that callers who fit families by hand can catch it as
    bad input; the optimiser catches it and ends the run with status
    ``"degenerate elite"`` rather than returning NaN parameters.
    """


class CheckpointError(ValueError):
    """A checkpoint file is damaged, edited, or not a cemopt checkpoint.

    The message names the file and what is wrong with it. It is a ``ValueError``, so
    ``except ValueError`` catches it with every other bad input.
    """
