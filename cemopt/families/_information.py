r"""Information measures of families: the pieces every family shares.

Every family has ``entropy()``, ``kl_divergence(other)`` and ``cross_entropy(other)``:

.. math:: H(p) = -E_p[\ln p(X)], \quad H(p, q) = -E_p[\ln q(X)], \quad
          \mathrm{KL}(p \,\|\, q) = E_p[\ln p(X) - \ln q(X)] = H(p, q) - H(p).

This module holds what they share: the units (``base``), the check that two families
can be compared at all, the Monte Carlo estimator for families without a closed form
and its return type :class:`Estimate`, and the engine's per-iteration record
(:func:`step_information`).

Decisions, in one place:

- Units: nats (natural log) by default; ``base=2`` gives bits, any ``base > 0``,
  ``!= 1`` is allowed (as in :func:`scipy.stats.entropy`).
- Families of different kinds, or of the same kind and different shapes (``dim``,
  numbers of categories, component names, ``start`` of tours), raise ``TypeError``
  or ``ValueError`` naming ``other``: there is no common sample space.
- Same kind and shape but ``p`` puts mass where ``q`` has none (a truncated ``Normal``
  whose box is not inside the other's, a Bernoulli ``q = 0`` where ``p > 0``): the
  divergence and the cross-entropy are ``+inf``, which is their mathematical value.
- Closed forms return a plain ``float``. Monte Carlo estimates (``Mixture``, and
  ``Permutation`` beyond the exact dynamic programme) return an :class:`Estimate`, a
  float that carries its standard error.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np

from .._validation import as_rng, check_int, check_real, check_same_kind

__all__ = [
    "Estimate",
    "NoClosedForm",
    "check_comparable",
    "in_base",
    "monte_carlo",
    "step_information",
]

#: default sample size of Monte Carlo estimates
N_SAMPLES = 10_000


class NoClosedForm(ValueError):
    """Raised by ``entropy(exact=True)`` and friends where no exact value is available."""


class Estimate(float):
    """A Monte Carlo estimate: a ``float`` that also carries its standard error.

    Returned by the information measures of families without a closed form
    (:class:`cemopt.Mixture`, :class:`cemopt.Permutation` for large ``n``), so that
    an estimate is never mistaken for an exact value: test ``isinstance(h, Estimate)``.
    It behaves as the float it is in arithmetic (whose results are plain floats).

    >>> import cemopt as ce
    >>> f = ce.Mixture([ce.Exponential([1.0]), ce.Exponential([3.0])])
    >>> h = f.entropy(n_samples=20_000, rng=0)
    >>> isinstance(h, ce.Estimate), h.n_samples, bool(h.std_error < 0.02)
    (True, 20000, True)

    Attributes
    ----------
    std_error : float
        Standard error of the estimate (the sample standard deviation of the
        per-sample terms over ``sqrt(n_samples)``); NaN when the value is infinite.
    n_samples : int
        Number of samples it rests on.
    """

    std_error: float
    n_samples: int

    def __new__(cls, value: float, std_error: float, n_samples: int) -> Estimate:
        obj = super().__new__(cls, value)
        obj.std_error = float(std_error)
        obj.n_samples = int(n_samples)
        return obj

    def __repr__(self) -> str:
        return (
            f"Estimate({float(self)!r}, std_error={self.std_error:.3g}, n_samples={self.n_samples})"
        )

    def __reduce__(self):  # pickling keeps the standard error
        return (Estimate, (float(self), self.std_error, self.n_samples))


def check_base(base: Any) -> float | None:
    """``None`` (nats) or a logarithm base ``> 0`` other than 1 (2 gives bits)."""
    if base is None:
        return None
    base = check_real(base, "base", low=0.0, low_open=True)
    if base == 1.0 or math.isinf(base):
        raise ValueError(
            f"`base` must be None (nats) or a finite number > 0 other than 1 (2 for bits), "
            f"but got base={base!r}."
        )
    return base


def in_base(value: float, base: Any) -> float:
    """``value`` (in nats) expressed in ``base``; an :class:`Estimate` stays one.

    >>> round(in_base(math.log(2.0), 2), 12), in_base(1.5, None)
    (1.0, 1.5)
    """
    base = check_base(base)
    if base is None:
        return value
    scale = math.log(base)
    if isinstance(value, Estimate):
        return Estimate(float(value) / scale, value.std_error / abs(scale), value.n_samples)
    return float(value) / scale


def check_comparable(family: Any, other: Any, method: str) -> None:
    """``other`` must be the same kind of family with the same ``dim``.

    >>> import cemopt as ce
    >>> check_comparable(ce.Bernoulli([0.5]), ce.Normal([0.0], [1.0]), "kl_divergence")
    Traceback (most recent call last):
    ...
    TypeError: `other` must be a Bernoulli for kl_divergence, but got a Normal.
    """
    check_same_kind(family, other, method, name="other")


def monte_carlo(
    p: Any, q: Any | None, *, n_samples: Any = N_SAMPLES, rng: Any = None
) -> tuple[Estimate, Estimate | None, Estimate | None]:
    """Monte Carlo estimates of ``H(p)``, ``H(p, q)`` and ``KL(p || q)`` from one sample.

    ``X ~ p`` (``n_samples`` rows); the per-sample terms are ``-log p(X)``,
    ``-log q(X)`` and ``log p(X) - log q(X)``, so the three estimates satisfy
    ``H(p, q) = H(p) + KL(p || q)`` exactly. Without ``q`` only ``H(p)`` is returned
    (the other two are None). A ``q`` with zero density at some sample gives ``+inf``
    (with a NaN standard error): the divergence is infinite.

    >>> import cemopt as ce
    >>> h, ce_, kl = monte_carlo(ce.Exponential([1.0]), ce.Exponential([2.0]), rng=0)
    >>> abs(kl - (math.log(2.0) + 0.5 - 1.0)) < 4 * kl.std_error  # exact KL
    True
    """
    n = check_int(n_samples, "n_samples", minimum=2)
    X = p.sample(n, as_rng(rng))
    log_p = np.asarray(p.logpdf(X), dtype=float)
    entropy = _mean_and_error(-log_p)
    if q is None:
        return entropy, None, None
    log_q = np.asarray(q.logpdf(X), dtype=float)
    return entropy, _mean_and_error(-log_q), _mean_and_error(log_p - log_q)


def _mean_and_error(terms: np.ndarray) -> Estimate:
    n = terms.shape[0]
    if np.any(np.isposinf(terms)):
        return Estimate(math.inf, math.nan, n)
    return Estimate(float(terms.mean()), float(terms.std(ddof=1) / math.sqrt(n)), n)


def add(values: list[float]) -> float:
    """Sum of independent parts; an :class:`Estimate` when any part is one (standard
    errors add in quadrature, the parts being estimated from independent samples)."""
    total = float(sum(float(v) for v in values))
    estimates = [v for v in values if isinstance(v, Estimate)]
    if not estimates:
        return total
    se = math.sqrt(sum(v.std_error**2 for v in estimates))
    return Estimate(total, se, min(v.n_samples for v in estimates))


def accepts(method: Any, keyword: str) -> bool:
    """Whether ``method`` takes the keyword ``keyword`` (for passing options on)."""
    try:
        return keyword in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


def step_information(new: Any, previous: Any) -> tuple[float, float]:
    """``(H(new), KL(new || previous))`` in nats for the engine's history; NaN where
    the family has no closed form.

    The engine records these every iteration, so only cheap, exact values are used:
    families without ``entropy``/``kl_divergence``, or whose
    ``closed_form_information`` is False (``Mixture``; ``Permutation`` with more than
    8 nodes), give NaN rather than a Monte Carlo estimate that would cost a batch of
    samples per iteration. ``previous=None`` gives a NaN divergence.

    >>> import cemopt as ce
    >>> h, kl = step_information(ce.Bernoulli([0.5]), ce.Bernoulli([0.5]))
    >>> round(h, 6), kl
    (0.693147, 0.0)
    """
    if not getattr(new, "closed_form_information", True):
        return math.nan, math.nan
    # the divergence first: a family may cache its entropy while computing it
    kl_method = getattr(new, "kl_divergence", None)
    kl = math.nan
    if previous is not None and callable(kl_method):
        kl = float(kl_method(previous))
    entropy = getattr(new, "entropy", None)
    h = float(entropy()) if callable(entropy) else math.nan
    return h, kl
