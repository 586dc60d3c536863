"""Finite mixtures of one family: multimodal proposals fitted by weighted EM."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import (
    _short,
    array_repr,
    as_float_array,
    as_rng,
    check_alpha,
    check_int,
    check_real,
    check_same_kind,
    check_weights,
    readonly,
)
from ..errors import DegenerateFitError
from ._base import is_family
from ._information import N_SAMPLES, Estimate, check_base, check_comparable, in_base, monte_carlo

__all__ = ["Mixture"]

# A component whose share of the responsibility mass is at most this keeps its
# parameters in an EM step (its weighted fit would rest on rounding noise).
_MIN_MASS = 1e-12
# EM steps that lower the mean log-likelihood by less than this, relative to the mean
# |log f|, count as rounding (not a decrease): accepting them keeps the number of steps
# independent of summation order (integer weights then fit like repeated rows).
_ROUNDING = 1e-12
# Mixture weights must sum to 1 within this (they are then normalised exactly).
_SUM_ATOL = 1e-8


@dataclass(frozen=True, eq=False, repr=False)
class Mixture:
    """A finite mixture ``sum_k weights[k] * components[k]`` of families of one kind.

    >>> import cemopt as ce
    >>> f = ce.Mixture([ce.Exponential([1.0]), ce.Exponential([10.0])], weights=[0.3, 0.7])
    >>> f.sample(3, rng=0).shape
    (3, 1)
    >>> g = f.fit(f.sample(5000, rng=1))
    >>> g.weights.round(2), g.components[1].mean.round(1)
    (array([0.29, 0.71]), array([9.9]))

    Parameters
    ----------
    components : sequence of Family
        ``K >= 1`` families of one type with the same ``dim`` (for example several
        ``Exponential`` or several ``MultivariateNormal``), sampling arrays of shape
        ``(n, d)``.
    weights : array_like, shape (K,), optional
        Mixture weights, ``>= 0`` and summing to 1 (within 1e-8; they are stored
        normalised). Default: uniform, ``1 / K`` each.
    max_em_steps : int, default 50
        Most EM steps one :meth:`fit` takes.
    tol : float, default 1e-10
        :meth:`fit` stops when an EM step raises the weighted *mean* log-likelihood
        by less than ``tol`` (an absolute tolerance; see :meth:`fit`).

    Attributes
    ----------
    components : tuple of Family
        The components, in the order given.
    weights : numpy.ndarray, shape (K,)
        The mixture weights (read-only).
    n_components : int
        ``K``.
    dim : int
        The components' ``dim``.
    params : dict
        ``{"weights": (K,), "components": {"0": components[0].params, ...}}`` (nested,
        read-only; present only when the components have ``params``).

    Notes
    -----
    A mixture is the usual proposal for cross-entropy importance sampling when the
    optimal importance density is multimodal (several dominant failure modes): the
    CE update of a mixture is its weighted maximum-likelihood fit, found by EM (Kurtz
    & Song 2013; Geyer, Papaioannou & Straub 2019).

    ``sample`` draws the labels from one ``rng.random(n)`` and then each component's
    rows in one batch, components in order, so the same ``rng`` state gives the same
    samples. ``logpdf`` is ``logsumexp_k(log weights[k] + components[k].logpdf(x))``;
    components of weight 0 are left out (they contribute ``-inf``).

    The optional members follow the components: ``params`` and ``with_params`` when
    the components have them, ``mode`` when they have a ``mode`` and ``degeneracy``
    when they have a ``degeneracy``; ``hasattr`` reports this correctly.
    """

    components: Any
    weights: Any = None
    max_em_steps: int = 50
    tol: float = 1e-10

    def __post_init__(self) -> None:
        components = self.components
        if is_family(components) or isinstance(components, (str, bytes, Mapping)):
            raise TypeError(
                f"`components` must be a sequence of families, but got components={components!r}."
            )
        if not isinstance(components, Sequence):
            try:
                components = list(components)
            except TypeError:
                raise TypeError(
                    "`components` must be a sequence of families, but got "
                    f"components={components!r}."
                ) from None
        components = tuple(components)
        if not components:
            raise ValueError("`components` must hold at least one family, but got none.")
        for k, component in enumerate(components):
            if not is_family(component):
                raise TypeError(
                    "`components` must hold only families (with sample/logpdf/fit/blend, "
                    f"see cemopt.families.Family), but got components[{k}]={component!r}."
                )
        kinds = [type(component).__name__ for component in components]
        if any(type(component) is not type(components[0]) for component in components):
            raise TypeError(f"`components` must all be of one family type, but got types {kinds}.")
        dims = [getattr(component, "dim", None) for component in components]
        if any(dim != dims[0] for dim in dims):
            raise ValueError(f"`components` must all have the same dim, but got dims {dims}.")
        K = len(components)
        if self.weights is None:
            weights = np.full(K, 1.0 / K)
        else:
            weights = np.array(as_float_array(self.weights, "weights", ndim=1))
            if weights.shape != (K,):
                raise ValueError(
                    f"`weights` must have one entry per component ({K}), but got weights "
                    f"with shape {weights.shape}."
                )
            if not np.all(weights >= 0):
                raise ValueError(f"`weights` must be >= 0, but got weights={_short(weights)}.")
            total = weights.sum()
            if not abs(total - 1.0) <= _SUM_ATOL:
                raise ValueError(
                    f"`weights` must sum to 1, but got weights={_short(weights)} "
                    f"(sum {total:.10g})."
                )
            weights /= total
        set_ = object.__setattr__
        set_(self, "max_em_steps", check_int(self.max_em_steps, "max_em_steps", minimum=1))
        set_(self, "tol", check_real(self.tol, "tol", low=0.0))
        set_(self, "components", components)
        set_(self, "weights", readonly(weights))
        set_(self, "_active", tuple(int(k) for k in np.flatnonzero(weights > 0)))
        with np.errstate(divide="ignore"):
            set_(self, "_log_weights", readonly(np.log(weights)))

    # ------------------------------------------------------------------ basics
    @property
    def n_components(self) -> int:
        """Number of components ``K``."""
        return len(self.components)

    @property
    def dim(self) -> int:
        """The components' number of coordinates."""
        return self.components[0].dim

    def __repr__(self) -> str:
        body = ", ".join(repr(component) for component in self.components)
        text = f"Mixture([{body}], weights={array_repr(self.weights)}"
        if self.max_em_steps != 50:
            text += f", max_em_steps={self.max_em_steps}"
        if self.tol != 1e-10:
            text += f", tol={self.tol:g}"
        return text + ")"

    def _like(self, components: Sequence[Any], weights: np.ndarray) -> Mixture:
        return Mixture(components, weights, max_em_steps=self.max_em_steps, tol=self.tol)

    # ------------------------------------------------------------ contract
    def sample(self, n: int, rng: Any = None) -> np.ndarray:
        """Draw ``n`` samples, shaped like the components' (``(n, d)``).

        Labels come from one ``rng.random(n)`` against the cumulative weights; then
        each component draws all its rows in one call, components in order.
        """
        n = check_int(n, "n", minimum=0)
        rng = as_rng(rng)
        labels = np.searchsorted(np.cumsum(self.weights), rng.random(n), side="right")
        np.minimum(labels, self._active[-1], out=labels)  # rounding guard on the last sum
        counts = np.bincount(labels, minlength=self.n_components)
        rows = np.argsort(labels, kind="stable")
        parts = [
            np.asarray(component.sample(int(count), rng))
            for component, count in zip(self.components, counts, strict=True)
        ]
        out = np.empty((n, *parts[0].shape[1:]), dtype=np.result_type(*parts))
        start = 0
        for part, count in zip(parts, counts, strict=True):
            out[rows[start : start + count]] = part
            start += count
        return out

    def _log_joint(self, x: Any) -> np.ndarray:
        """``log weights[k] + components[k].logpdf(x)``, shape ``(n, K)``; ``-inf``
        columns for components of weight 0 (whose logpdf is not evaluated)."""
        columns = {k: np.asarray(self.components[k].logpdf(x), dtype=float) for k in self._active}
        n = next(iter(columns.values())).shape[0]
        out = np.full((n, self.n_components), -np.inf)
        for k, column in columns.items():
            out[:, k] = column + self._log_weights[k]
        return out

    def logpdf(self, x: Any) -> np.ndarray:
        """Log density of each row: ``logsumexp_k(log weights[k] + components[k].logpdf)``.

        ``-inf`` where every component of positive weight has density 0.
        """
        return _logsumexp_rows(self._log_joint(x))[0]

    def fit(self, x: Any, weights: Any = None) -> Mixture:
        """Weighted maximum likelihood by EM, started from ``self``: the CE update.

        Parameters
        ----------
        x : array_like, shape (n, d)
            Samples (in the support of the mixture where their weight is positive).
        weights : array_like, shape (n,), optional
            Non-negative weights, not necessarily normalised; ``None`` = equal weights.
            Integer weights give the same fit as repeating rows.

        Returns
        -------
        Mixture
            The same number of components, in the same order (no label switching),
            and the same ``max_em_steps`` and ``tol``.

        Raises
        ------
        DegenerateFitError
            Zero total weight.
        ValueError
            A row of positive weight where the mixture density is 0, or ``x`` that the
            components reject.

        Notes
        -----
        Each EM step computes the responsibilities ``r[i, k]`` in log space, refits
        every component with ``components[k].fit(x, weights * r[:, k])`` (on the rows
        where that product is positive) and sets ``weights[k]`` to
        ``sum_i weights[i] r[i, k] / sum_i weights[i]``. The weighted mean
        log-likelihood ``sum_i weights[i] log f(x[i]) / sum_i weights[i]`` does not
        decrease (beyond rounding, 1e-12 of the mean ``|log f|``): a step that would
        lower it (possible only through a component fit that is not an exact
        maximiser, such as a ridged covariance) is rejected and ends the iteration.
        EM stops when a step raises it by less than ``tol`` (absolute: the mean
        log-likelihood does not grow with the sample size, and its changes do not depend
        on the units of ``x``), or after ``max_em_steps``.

        EM finds a *local* maximum near the current parameters: the result depends on
        ``self``, which is what a CE iteration wants (components follow their modes
        from one iteration to the next), but a component started far from any data
        stays where it is.

        A component whose responsibility mass is at most ``1e-12`` of the total, or
        whose own fit raises :class:`DegenerateFitError` (for example a ``Normal``
        responsible for one distinct sample), keeps its previous parameters and gets
        the weight equal to its mass (tiny or 0). This is never an error and never
        gives NaN; a component of weight 0 stays at weight 0 in later fits.
        """
        x = np.asarray(x)
        if x.ndim == 0:
            raise ValueError(f"`x` must be an array of samples (n, d), but got x={x!r}.")
        n = x.shape[0]
        w = check_weights(weights, n, "Mixture")
        if w is None:
            w = np.ones(n)
        elif not np.all(w > 0):
            keep = w > 0
            x, w = x[keep], w[keep]
        total = w.sum()
        current = self
        log_joint = current._log_joint(x)
        log_f, resp = _logsumexp_rows(log_joint)
        if not np.all(np.isfinite(log_f)):
            bad = np.flatnonzero(~np.isfinite(log_f))
            raise ValueError(
                "`x` must lie where the mixture density is positive and finite, but got "
                f"{bad.size} row(s) of positive weight with logpdf {log_f[bad[0]]} (first: "
                f"x={_short(x[bad[0]])})."
            )
        mean_ll = float(w @ log_f) / total
        # changes below this are rounding in the weighted sum, not a decrease
        slack = _ROUNDING * (1.0 + float(w @ np.abs(log_f)) / total)
        for _ in range(self.max_em_steps):
            resp *= w[:, None]  # weights * r[:, k]
            mass = resp.sum(axis=0)
            fitted = []
            for k, component in enumerate(current.components):
                if not mass[k] > _MIN_MASS * total:
                    fitted.append(component)
                    continue
                wk = resp[:, k]
                rows = wk > 0
                try:
                    if rows.all():
                        fitted.append(component.fit(x, wk))
                    else:
                        fitted.append(component.fit(x[rows], wk[rows]))
                except DegenerateFitError:
                    fitted.append(component)
            trial = current._like(fitted, mass / mass.sum())
            trial_joint = trial._log_joint(x)
            trial_f, trial_resp = _logsumexp_rows(trial_joint)
            trial_ll = float(w @ trial_f) / total
            if not trial_ll >= mean_ll - slack:  # a real decrease, or NaN
                break
            gain = trial_ll - mean_ll
            current, resp, mean_ll = trial, trial_resp, trial_ll
            if gain < self.tol:
                break
        return current

    def blend(
        self, previous: Mixture, alpha: float, *, scale_alpha: float | None = None
    ) -> Mixture:
        """Blend componentwise (``scale_alpha`` passed on when given); weights linearly.

        Component ``k`` of ``self`` is blended with component ``k`` of ``previous``
        (``fit`` keeps the order, so the labels match along a CE run), and the weights
        become ``alpha * weights + (1 - alpha) * previous.weights``.
        """
        check_same_kind(self, previous)
        alpha = check_alpha(alpha)
        if scale_alpha is not None:
            scale_alpha = check_alpha(scale_alpha, "scale_alpha")
        if previous.n_components != self.n_components:
            raise ValueError(
                f"`previous` must have {self.n_components} components like self, but got "
                f"previous with {previous.n_components}."
            )
        mine, theirs = type(self.components[0]), type(previous.components[0])
        if theirs is not mine:
            raise TypeError(
                f"`previous` must have {mine.__name__} components like self, but got "
                f"previous with {theirs.__name__} components."
            )
        extra = {} if scale_alpha is None else {"scale_alpha": scale_alpha}
        components = [
            component.blend(other, alpha, **extra)
            for component, other in zip(self.components, previous.components, strict=True)
        ]
        return self._like(components, alpha * self.weights + (1.0 - alpha) * previous.weights)

    # ----------------------------------------------------- optional members
    def _all_have(self, attribute: str) -> bool:
        return all(hasattr(component, attribute) for component in self.components)

    @property
    def params(self) -> dict[str, Any]:
        """``{"weights": ..., "components": {"0": ..., ...}}``; absent unless the
        components have ``params``."""
        if not self._all_have("params"):
            raise AttributeError("'Mixture' has params only when its components have them")
        return {
            "weights": self.weights,
            "components": {str(k): comp.params for k, comp in enumerate(self.components)},
        }

    @property
    def with_params(self) -> Callable[[Mapping[str, Any]], Mixture]:
        """``with_params(params)``: a Mixture with nested params as in :attr:`params`
        (the components keep their other settings, such as bounds)."""
        if not self._all_have("with_params"):
            raise AttributeError("'Mixture' has with_params only when its components have it")

        def with_params(params: Mapping[str, Any]) -> Mixture:
            keys = [str(k) for k in range(self.n_components)]
            parts = params.get("components") if isinstance(params, Mapping) else None
            if (
                not isinstance(params, Mapping)
                or set(params) != {"weights", "components"}
                or not isinstance(parts, Mapping)
                or set(parts) != set(keys)
            ):
                got = sorted(params) if isinstance(params, Mapping) else type(params).__name__
                if isinstance(parts, Mapping):
                    got = f"{got} and components keys {sorted(parts)}"
                raise ValueError(
                    f"`params` must be a dict with keys ['components', 'weights'] and "
                    f"components keys {keys} for Mixture, but got params with keys {got}."
                )
            components = [
                comp.with_params(parts[key])
                for key, comp in zip(keys, self.components, strict=True)
            ]
            return self._like(components, params["weights"])

        return with_params

    @property
    def mode(self) -> Callable[[], Any]:
        """``mode()``: the mode of the heaviest component (the first of equal weights);
        absent unless the components have ``mode``.

        This is the mixture's mode when the components are well separated and alike in
        spread; in general the mixture's most likely point may lie elsewhere.
        """
        if not self._all_have("mode"):
            raise AttributeError("'Mixture' has mode only when its components have one")
        return lambda: self.components[int(np.argmax(self.weights))].mode()

    @property
    def degeneracy(self) -> Callable[[], float]:
        """``degeneracy()``: the maximum over the components of positive weight;
        absent unless the components have ``degeneracy``."""
        if not self._all_have("degeneracy"):
            raise AttributeError("'Mixture' has degeneracy only when its components have it")
        return lambda: float(max(self.components[k].degeneracy() for k in self._active))

    # ---------------------------------------------------------- information measures
    #: A mixture's entropy and divergences have no closed form: they are Monte Carlo
    #: estimates, which the optimiser does not compute every iteration (history NaN).
    closed_form_information = False

    def entropy(
        self, *, base: float | None = None, n_samples: int = N_SAMPLES, rng: Any = None
    ) -> Estimate:
        """Monte Carlo estimate of the entropy ``-E[ln f(X)]`` (no closed form exists).

        Parameters
        ----------
        base : float, optional
            Logarithm base: None for nats, 2 for bits.
        n_samples : int, default 10000
            Draws ``X ~ self`` the estimate averages ``-logpdf(X)`` over.
        rng : None, int or numpy.random.Generator
            Source of the draws.

        Returns
        -------
        Estimate
            A float with ``std_error`` and ``n_samples``.

        Examples
        --------
        >>> import cemopt as ce
        >>> f = ce.Mixture([ce.Normal([-5.0], [1.0]), ce.Normal([5.0], [1.0])])
        >>> h = f.entropy(rng=0)  # two separated modes: ln 2 + ln sqrt(2 pi e) = 2.112
        >>> bool(abs(h - 2.112086) < 4 * h.std_error)
        True
        """
        check_base(base)
        return in_base(monte_carlo(self, None, n_samples=n_samples, rng=rng)[0], base)

    def kl_divergence(
        self,
        other: Mixture,
        *,
        base: float | None = None,
        n_samples: int = N_SAMPLES,
        rng: Any = None,
    ) -> Estimate:
        """Monte Carlo estimate of ``KL(self || other) = E[ln f(X) - ln g(X)]``,
        ``X ~ self``.

        ``other`` must be a Mixture of the same component type and ``dim`` (the
        number of components may differ). Arguments as in :meth:`entropy`; ``+inf``
        when ``other`` has density 0 at a draw.

        >>> import cemopt as ce
        >>> f = ce.Mixture([ce.Exponential([1.0]), ce.Exponential([3.0])])
        >>> f.kl_divergence(f, rng=0)
        Estimate(0.0, std_error=0, n_samples=10000)
        """
        self._check_other(other, "kl_divergence")
        check_base(base)
        return in_base(monte_carlo(self, other, n_samples=n_samples, rng=rng)[2], base)

    def cross_entropy(
        self,
        other: Mixture,
        *,
        base: float | None = None,
        n_samples: int = N_SAMPLES,
        rng: Any = None,
    ) -> Estimate:
        """Monte Carlo estimate of ``H(self, other) = -E[ln g(X)]``, ``X ~ self``;
        arguments as in :meth:`kl_divergence`.

        >>> import cemopt as ce
        >>> f = ce.Mixture([ce.Exponential([1.0]), ce.Exponential([3.0])])
        >>> float(f.cross_entropy(f, rng=0)) == float(f.entropy(rng=0))
        True
        """
        self._check_other(other, "cross_entropy")
        check_base(base)
        return in_base(monte_carlo(self, other, n_samples=n_samples, rng=rng)[1], base)

    def _check_other(self, other: Any, method: str) -> None:
        check_comparable(self, other, method)
        mine, theirs = type(self.components[0]), type(other.components[0])
        if theirs is not mine:
            raise TypeError(
                f"`other` must have {mine.__name__} components like self for {method}, but "
                f"got other with {theirs.__name__} components."
            )


def _logsumexp_rows(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise ``log(sum(exp(a)))`` (max-shifted) and ``exp(a - that)``, which for a
    log joint density are the log mixture density and the responsibilities.

    Rows that are all ``-inf`` give ``-inf`` (and responsibilities NaN), silently.
    """
    shift = a.max(axis=1)
    shift[~np.isfinite(shift)] = 0.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scaled = np.exp(a - shift[:, None])
        total = scaled.sum(axis=1)
        scaled /= total[:, None]
        return np.log(total) + shift, scaled
