"""The ``Family`` protocol: what the CE engine needs from a sampling distribution.

A family is an immutable value: ``fit`` and ``blend`` return new objects and never
change ``self``. Third-party families need not inherit from anything; they only need
the four methods below (duck typing, checked with :func:`is_family`). The optional
members (``mode``, ``degeneracy``, ``params``, ``with_params``, ``entropy``,
``kl_divergence``, ``cross_entropy``) unlock extra engine features: ``res.x_mode``, the
degeneracy stopping rule, readable history and checkpoints, the ``entropy`` and ``kl``
history columns and the ``kl_tol`` stopping rule.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = ["Family", "degeneracy_of", "is_family"]


@runtime_checkable
class Family(Protocol):
    """A parametric sampling distribution the CE engine can sample, score and refit.

    >>> import cemopt as ce
    >>> isinstance(ce.Bernoulli([0.5, 0.5]), ce.Family)
    True

    Required methods
    ----------------
    sample(n, rng) -> array of shape (n, ...) (a dict of such arrays for ``Product``)
    logpdf(x) -> array of shape (n,), log density (or log mass) of each row
    fit(x, weights=None) -> Family, weighted maximum likelihood on the rows of ``x``
    blend(previous, alpha) -> Family, ``alpha * self + (1 - alpha) * previous``

    Optional members
    ----------------
    mode() -> the most likely single point
    degeneracy() -> float, 0 for a point mass (max std, max min(p, 1 - p), ...)
    params -> dict of read-only arrays (nested dicts for ``Product``)
    with_params(params) -> Family of the same kind with those parameters
    blend(previous, alpha, scale_alpha=...) -> a separate weight for scale parameters
    entropy(*, base=None) -> float, H(self) in nats (bits with ``base=2``)
    kl_divergence(other, *, base=None) -> float, KL(self || other); ``+inf`` where
        ``other`` has no mass where ``self`` has; TypeError/ValueError for another kind
        or shape of family
    cross_entropy(other, *, base=None) -> float, H(self, other) = H(self) + KL(self || other)
    closed_form_information -> bool, False where the three are Monte Carlo estimates
        (returned as :class:`~cemopt.families.Estimate`); the engine then records NaN

    All our families have the information measures; see ``docs/information.md``.
    """

    def sample(self, n: int, rng: Any) -> Any: ...

    def logpdf(self, x: Any) -> np.ndarray: ...

    def fit(self, x: Any, weights: Any = None) -> Family: ...

    def blend(self, previous: Family, alpha: float) -> Family: ...


def is_family(obj: Any) -> bool:
    """True when ``obj`` has the four methods of :class:`Family` (instances only).

    >>> import cemopt as ce
    >>> is_family(ce.Normal([0.0], [1.0])), is_family(ce.Normal), is_family(object())
    (True, False, False)
    """
    return not isinstance(obj, type) and isinstance(obj, Family)


def degeneracy_of(family: Any) -> float:
    """``family.degeneracy()`` where the family has one, NaN otherwise.

    >>> import cemopt as ce
    >>> degeneracy_of(ce.Bernoulli([0.1, 0.5])), degeneracy_of(ce.Exponential([1.0]))
    (0.5, nan)
    """
    method = getattr(family, "degeneracy", None)
    return float(method()) if callable(method) else float("nan")
