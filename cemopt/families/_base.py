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

import inspect
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = [
    "Family",
    "OPTIONAL_MEMBERS",
    "accepts_scale_alpha",
    "capabilities",
    "degeneracy_of",
    "is_family",
]


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


#: the optional members the engine probes for, and what each one unlocks; a family
#: without them still works everywhere (the four protocol methods are enough)
OPTIONAL_MEMBERS: dict[str, str] = {
    "mode": "res.x_mode, the family's own best guess",
    "degeneracy": "the degeneracy_tol stopping rule and the history's degeneracy column",
    "params": "the default n_samples of minimize, keep_params, checkpoints",
    "with_params": "checkpoints (a resumed run rebuilds the family from its parameters)",
    "scale_alpha": "blend(..., scale_alpha=...): scale_smoothing, a separate weight for "
    "scale parameters",
    "variance_scaling": "rescaled, whiten and an integer dim: adaptive variance scaling",
    "entropy": "the history's entropy column",
    "kl_divergence": "the history's kl column and the kl_tol stopping rule",
}


def accepts_scale_alpha(family: Any) -> bool:
    """Whether ``family.blend`` takes the optional ``scale_alpha`` keyword.

    The protocol's ``blend(previous, alpha)`` has no such keyword; families with
    scale parameters (``Normal``, ``MultivariateNormal``, ...) add it. The engine
    probes for it rather than assuming it, so that a family with only the four
    documented methods works everywhere.

    >>> import cemopt as ce
    >>> class PointMass:  # a family with the protocol's blend only
    ...     def blend(self, previous, alpha):
    ...         return self
    >>> accepts_scale_alpha(ce.Normal([0.0], [1.0])), accepts_scale_alpha(PointMass())
    (True, False)
    """
    blend = getattr(family, "blend", None)
    if not callable(blend):
        return False
    try:
        parameters = inspect.signature(blend).parameters.values()
    except (TypeError, ValueError):  # a builtin or C method: no way to know, so no
        return False
    return any(
        p.name == "scale_alpha" or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters
    )


def capabilities(family: Any) -> dict[str, bool]:
    """Which optional members (:data:`OPTIONAL_MEMBERS`) ``family`` has.

    The engine uses each one only where this says it is there.

    >>> import cemopt as ce
    >>> from cemopt.families import capabilities
    >>> sorted(k for k, v in capabilities(ce.Normal([0.0], [1.0])).items() if not v)
    []
    >>> sorted(k for k, v in capabilities(ce.Permutation(5)).items() if not v)
    ['variance_scaling']
    """
    has = {name: callable(getattr(family, name, None)) for name in ("mode", "degeneracy")}
    has["params"] = isinstance(getattr(family, "params", None), dict)
    has["with_params"] = callable(getattr(family, "with_params", None))
    has["scale_alpha"] = accepts_scale_alpha(family)
    has["variance_scaling"] = (
        callable(getattr(family, "rescaled", None))
        and callable(getattr(family, "whiten", None))
        and isinstance(getattr(family, "dim", None), (int, np.integer))
    )
    has["entropy"] = callable(getattr(family, "entropy", None))
    has["kl_divergence"] = callable(getattr(family, "kl_divergence", None))
    return has
