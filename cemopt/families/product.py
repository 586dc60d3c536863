"""Independent named components over mixed spaces: a sample is a dict of arrays."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from .._validation import as_rng, check_alpha, check_int, check_same_kind, check_weights
from ._base import is_family
from ._information import accepts, add, check_base, check_comparable, in_base

__all__ = ["Product"]


@dataclass(frozen=True, eq=False, repr=False, init=False)
class Product:
    """Independent named components; a sample is ``{name: array (n, ...)}``.

    >>> import cemopt.families as cf
    >>> f = cf.Product(a=cf.Normal([0.0, 0.0], [1.0, 1.0]), b=cf.Bernoulli([0.5]))
    >>> x = f.sample(3, rng=0)
    >>> {name: part.shape for name, part in x.items()}
    {'a': (3, 2), 'b': (3, 1)}
    >>> f.logpdf(x).shape
    (3,)

    Parameters
    ----------
    **components : Family
        At least one component, each a family (see :func:`cemopt.families.is_family`).

    Attributes
    ----------
    components : Mapping[str, Family]
        The components, read-only, in the order given.
    params : dict
        ``{name: component.params}`` (nested; present only when every component has
        ``params``).

    Notes
    -----
    Components are sampled in order from the same generator, so the same ``rng``
    state gives the same samples. ``logpdf`` is the sum of the components' log
    densities; ``fit`` fits each component on its own part with the same weights
    (the CE update factorises over independent components); ``blend`` blends
    componentwise, passing ``scale_alpha`` on when it is given.

    The optional members are present only when the components support them:
    ``params`` and ``with_params`` when all components have them, ``mode`` when all
    components have one (it returns a dict), ``degeneracy`` when at least one has one
    (the maximum over those). ``hasattr`` reports this correctly.
    """

    _components: Mapping[str, Any]

    def __init__(self, **components: Any) -> None:
        if not components:
            raise ValueError("`components` must name at least one family, but got none.")
        for name, component in components.items():
            if not is_family(component):
                raise TypeError(
                    f"`{name}` must be a family (with sample/logpdf/fit/blend, see "
                    f"cemopt.families.Family), but got {name}={component!r}."
                )
        object.__setattr__(self, "_components", dict(components))

    @property
    def components(self) -> Mapping[str, Any]:
        """The named components (read-only mapping)."""
        return MappingProxyType(self._components)

    def __getitem__(self, name: str) -> Any:
        return self._components[name]

    @property
    def fit_recovers_params(self) -> bool:
        """Whether :meth:`fit` on own samples estimates ``params``: when every
        component's does (see :func:`cemopt.testing.check_family`)."""
        return all(getattr(c, "fit_recovers_params", True) for c in self._components.values())

    def __repr__(self) -> str:
        body = ", ".join(f"{name}={comp!r}" for name, comp in self._components.items())
        return f"Product({body})"

    # ------------------------------------------------------------ contract
    def sample(self, n: int, rng: Any = None) -> dict[str, Any]:
        """``{name: component.sample(n, rng)}``, components drawn in order."""
        n = check_int(n, "n", minimum=0)
        rng = as_rng(rng)
        return {name: comp.sample(n, rng) for name, comp in self._components.items()}

    def logpdf(self, x: Mapping[str, Any]) -> np.ndarray:
        """Sum of the components' log densities of their parts of ``x``."""
        self._check_parts(x)
        total = None
        for name, comp in self._components.items():
            part = np.asarray(comp.logpdf(x[name]), dtype=float)
            if total is None:
                total = part.copy()
            elif part.shape != total.shape:
                raise ValueError(
                    f"`x` must have the same number of rows in every part, but got "
                    f"{part.shape[0]} rows in x[{name!r}] and {total.shape[0]} before."
                )
            else:
                total += part
        return total

    def fit(self, x: Mapping[str, Any], weights: Any = None) -> Product:
        """Fit every component on its own part with the same weights."""
        self._check_parts(x)
        sizes = {name: np.shape(x[name])[0] if np.ndim(x[name]) else 0 for name in x}
        n = next(iter(sizes.values()))
        if any(size != n for size in sizes.values()):
            raise ValueError(
                f"`x` must have the same number of rows in every part, but got {sizes}."
            )
        check_weights(weights, n, "Product")
        return Product(
            **{name: comp.fit(x[name], weights) for name, comp in self._components.items()}
        )

    def blend(
        self, previous: Product, alpha: float, *, scale_alpha: float | None = None
    ) -> Product:
        """Blend componentwise (``scale_alpha`` is passed on when given)."""
        check_same_kind(self, previous)
        alpha = check_alpha(alpha)
        if scale_alpha is not None:
            scale_alpha = check_alpha(scale_alpha, "scale_alpha")
        if list(previous._components) != list(self._components):
            raise ValueError(
                f"`previous` must have the components {list(self._components)}, but got "
                f"previous with {list(previous._components)}."
            )
        extra = {} if scale_alpha is None else {"scale_alpha": scale_alpha}
        return Product(
            **{
                name: comp.blend(previous._components[name], alpha, **extra)
                for name, comp in self._components.items()
            }
        )

    def _check_parts(self, x: Any) -> None:
        if not isinstance(x, Mapping) or set(x.keys()) != set(self._components):
            got = sorted(x.keys()) if isinstance(x, Mapping) else type(x).__name__
            raise ValueError(
                f"`x` must be a dict with keys {sorted(self._components)}, but got {got}."
            )

    # ----------------------------------------------------- optional members
    def _all_have(self, attribute: str) -> bool:
        return all(hasattr(comp, attribute) for comp in self._components.values())

    @property
    def params(self) -> dict[str, Any]:
        """``{name: component.params}``; absent unless every component has params."""
        if not self._all_have("params"):
            raise AttributeError("'Product' has params only when every component has them")
        return {name: comp.params for name, comp in self._components.items()}

    @property
    def with_params(self) -> Callable[[Mapping[str, Any]], Product]:
        """``with_params(params)``: a Product with nested ``{name: params}``."""
        if not self._all_have("with_params"):
            raise AttributeError("'Product' has with_params only when every component has it")

        def with_params(params: Mapping[str, Any]) -> Product:
            if not isinstance(params, Mapping) or set(params) != set(self._components):
                got = sorted(params) if isinstance(params, Mapping) else type(params).__name__
                raise ValueError(
                    f"`params` must be a dict with keys {sorted(self._components)} for "
                    f"Product, but got params with keys {got}."
                )
            return Product(
                **{name: comp.with_params(params[name]) for name, comp in self._components.items()}
            )

        return with_params

    @property
    def mode(self) -> Callable[[], dict[str, Any]]:
        """``mode()``: ``{name: component.mode()}``; absent unless all components have one."""
        if not self._all_have("mode"):
            raise AttributeError("'Product' has mode only when every component has one")
        return lambda: {name: comp.mode() for name, comp in self._components.items()}

    @property
    def degeneracy(self) -> Callable[[], float]:
        """``degeneracy()``: the maximum over the components that have one."""
        having = [comp for comp in self._components.values() if hasattr(comp, "degeneracy")]
        if not having:
            raise AttributeError("'Product' has degeneracy only when a component has one")
        return lambda: float(max(comp.degeneracy() for comp in having))

    # ---------------------------------------------------------- information measures
    @property
    def closed_form_information(self) -> bool:
        """True when every component's information measures are exact and cheap."""
        return all(
            getattr(comp, "closed_form_information", True) for comp in self._components.values()
        )

    def _information_method(self, method: str) -> None:
        if not self._all_have(method):
            raise AttributeError(f"'Product' has {method} only when every component has it")

    @property
    def entropy(self) -> Callable[..., float]:
        """``entropy(*, base=None, **options)``: the sum of the components' entropies
        (they are independent). ``options`` (``n_samples``, ``rng``, ``exact``) are
        passed to the components that take them; the result is an
        :class:`~cemopt.Estimate` when any component's is. Absent unless every
        component has ``entropy``.

        >>> import cemopt.families as cf
        >>> f = cf.Product(a=cf.Bernoulli([0.5]), b=cf.Exponential([1.0]))
        >>> round(f.entropy(), 6)  # ln 2 + 1
        1.693147
        """
        self._information_method("entropy")

        def entropy(*, base: float | None = None, **options: Any) -> float:
            check_base(base)
            options = _normalise_options(options)
            parts = [
                comp.entropy(**_options_for(comp.entropy, options))
                for comp in self._components.values()
            ]
            return in_base(add(parts), base)

        return entropy

    @property
    def kl_divergence(self) -> Callable[..., float]:
        """``kl_divergence(other, *, base=None, **options)``: the sum over the components
        of ``KL(self[name] || other[name])``; ``other`` must be a Product with the same
        component names. Absent unless every component has ``kl_divergence``.

        >>> import cemopt.families as cf
        >>> p = cf.Product(a=cf.Bernoulli([0.5]), b=cf.Exponential([1.0]))
        >>> q = cf.Product(a=cf.Bernoulli([0.5]), b=cf.Exponential([2.0]))
        >>> round(p.kl_divergence(q), 6)
        0.193147
        """
        return self._pairwise("kl_divergence")

    @property
    def cross_entropy(self) -> Callable[..., float]:
        """``cross_entropy(other, *, base=None, **options)``: the sum over the components
        of ``H(self[name], other[name])``. Absent unless every component has it.

        >>> import cemopt.families as cf
        >>> p = cf.Product(a=cf.Bernoulli([0.5]), b=cf.Exponential([1.0]))
        >>> round(p.cross_entropy(p), 6) == round(p.entropy(), 6)
        True
        """
        return self._pairwise("cross_entropy")

    def _pairwise(self, method: str) -> Callable[..., float]:
        self._information_method(method)

        def measure(other: Product, *, base: float | None = None, **options: Any) -> float:
            check_comparable(self, other, method)
            if list(other._components) != list(self._components):
                raise ValueError(
                    f"`other` must have the components {list(self._components)} for "
                    f"{method}, but got other with {list(other._components)}."
                )
            check_base(base)
            options = _normalise_options(options)
            parts = []
            for name, comp in self._components.items():
                bound = getattr(comp, method)
                parts.append(bound(other._components[name], **_options_for(bound, options)))
            return in_base(add(parts), base)

        measure.__name__ = method
        return measure


def _normalise_options(options: dict[str, Any]) -> dict[str, Any]:
    """Check the options passed on to components; one generator for all of them."""
    unknown = sorted(set(options) - {"n_samples", "rng", "exact"})
    if unknown:
        raise TypeError(f"`options` may be n_samples, rng and exact, but got {', '.join(unknown)}.")
    if "rng" in options:
        options = {**options, "rng": as_rng(options["rng"])}
    return options


def _options_for(method: Any, options: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in options.items() if accepts(method, key)}
