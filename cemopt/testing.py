"""Public conformance checks for sampling families (ours or a user's).

:func:`check_family` exercises a family through the :class:`~cemopt.families.Family`
protocol only (``sample``, ``logpdf``, ``fit``, ``blend``), plus the optional members
``params``, ``with_params`` and ``blend(..., scale_alpha=...)`` where the family has
them, and raises ``AssertionError`` naming the first check that fails.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from scipy import stats

from ._validation import as_rng, check_int, check_real
from .families._base import accepts_scale_alpha, capabilities, is_family

__all__ = ["FamilyReport", "check_family"]

_N_BATCHES = 20


def check_family(family: Any, *, n: int = 20000, rng: Any = 0, k: float = 4.0) -> FamilyReport:
    """Check that ``family`` behaves as the CE engine expects; raise if it does not.

    >>> from cemopt.families import Bernoulli, Normal
    >>> from cemopt.testing import check_family
    >>> report = check_family(Normal([0.0, 1.0], [1.0, 2.0], lower=[-1.0, -np.inf], upper=2.0))
    >>> report["fit"]
    'ok'
    >>> report = check_family(Bernoulli([0.2, 0.9]))
    >>> report["optional members"], [name for name, has in report.optional.items() if not has]
    ('ok', ['variance_scaling'])

    Parameters
    ----------
    family : Family
        The family to check: any object with ``sample``, ``logpdf``, ``fit`` and
        ``blend`` (see :class:`cemopt.families.Family`).
    n : int, default 20000
        Sample size of the statistical checks (at least 400).
    rng : None, int or numpy.random.Generator, default 0
        Seed of every draw the checks make (fixed by default, so a run is
        deterministic).
    k : float, default 4.0
        Tolerance of the statistical checks in standard errors. Checks over many
        parameter entries share it (Bonferroni), with Student-t quantiles when the
        standard error is itself estimated.

    Returns
    -------
    FamilyReport
        A dict ``{check name: "ok" | "skipped: <reason>"}`` for the checks below;
        its attribute ``optional`` says which optional members the engine probes for
        (:data:`cemopt.families.OPTIONAL_MEMBERS`) the family has,
        ``{name: True | False}``. Each one it lacks only turns a feature off.

    Raises
    ------
    AssertionError
        The first failed check, named in the message as ``check_family(<family>) [name]``.
    TypeError
        ``family`` does not implement the protocol.

    Notes
    -----
    The checks, in order:

    ``sample``
        ``sample(n, rng)`` returns ``n`` rows (an array, or a dict of arrays for
        product-like families) of a numeric dtype, and the same generator state gives
        identical samples.
    ``logpdf``
        ``logpdf(X)`` has shape ``(n,)``, a float dtype, and is finite on own samples.
    ``immutability``
        ``params`` arrays are read-only; setting an attribute raises; after all the
        other checks (fit, blend, sample) ``params`` and ``logpdf`` are unchanged.
    ``fit``
        (needs ``params``) a fit on the ``n`` own samples recovers every entry of
        ``params`` (nested dicts are flattened) within ``k`` standard errors plus a
        tiny absolute tolerance. The standard error is family-agnostic: the spread of
        fits on 20 disjoint sub-batches, scaled to ``n`` rows. A family whose fit is
        not consistent for its own parameters (for example a tour distribution whose
        CE update is not the exact MLE) sets the class attribute
        ``fit_recovers_params = False``; the fit on ``n`` rows must then agree with the
        mean of the sub-batch fits instead.
    ``weights``
        ``weights=None``, all ones and all sevens give the same fit; integer weights
        give the same fit as repeated rows (``numpy.allclose``, rtol 1e-8). A family
        whose fit reads the weights as importance weights, whose information is their
        Kish effective sample size rather than their sum (for example a covariance
        prior whose pull fades with the effective sample size), sets the class
        attribute ``weights_are_frequencies = False``; its integer weights are then
        0 or 1 (dropped or kept rows, where both readings agree). Fits are
        compared through ``params`` (or, where parameters are so ill-determined that
        rounding moves them more, through ``logpdf`` on own samples, also to 1e-8), or
        through ``logpdf`` alone when there are no ``params``.
    ``blend``
        ``blend(prev, 1)`` has ``self``'s parameters and ``blend(prev, 0)`` those of
        ``prev`` (a fit on a weighted part of an own sample); also with
        ``scale_alpha`` when ``blend`` accepts it.
    ``likelihood_ratio``
        for ``g`` a fit on a sub-sample, the mean of ``exp(g.logpdf(X) - logpdf(X))``
        over ``X ~ family`` is 1 within ``k`` standard errors (skipped when the ratio
        is infinite somewhere).
    ``optional members``
        those the family has behave as the engine expects: ``mode()`` is one sample
        (``logpdf`` of it finite), ``degeneracy()`` a finite number >= 0,
        ``with_params(params)`` gives back the same parameters (skipped when the
        family has none of them).
    ``information``
        (needs ``entropy``, ``kl_divergence`` and ``cross_entropy`` in closed form;
        skipped where ``closed_form_information`` is False or they return estimates)
        ``entropy()`` agrees with ``-mean(logpdf(X))`` and ``kl_divergence(g)`` with
        ``mean(logpdf(X) - g.logpdf(X))`` within ``k`` standard errors;
        ``kl_divergence(self)`` is 0 and ``cross_entropy(g) = entropy() +
        kl_divergence(g)`` (to 1e-9, relative).
    """
    if not is_family(family):
        raise TypeError(
            "`family` must implement sample/logpdf/fit/blend (see cemopt.families.Family), "
            f"but got {type(family).__name__}."
        )
    n = check_int(n, "n", minimum=20 * _N_BATCHES)
    k = check_real(k, "k", low=0.0, low_open=True)
    base = as_rng(rng)
    seeds = [int(s) for s in base.integers(0, 2**62, size=6)]
    label = f"check_family({_short_repr(family)})"
    report: dict[str, str] = {}

    def fail(check: str, message: str) -> None:
        raise AssertionError(f"{label} [{check}]: {message}")

    # (a) sample ---------------------------------------------------------------------
    X = family.sample(n, np.random.default_rng(seeds[0]))
    _check_batch(X, n, lambda m: fail("sample", m))
    again = family.sample(n, np.random.default_rng(seeds[0]))
    if not _identical(X, again):
        fail("sample", "two draws from generators in the same state differ.")
    report["sample"] = "ok"

    # (b) logpdf ---------------------------------------------------------------------
    lp = np.asarray(family.logpdf(X))
    if lp.shape != (n,):
        fail("logpdf", f"logpdf of {n} samples has shape {lp.shape}, expected ({n},).")
    if lp.dtype.kind != "f":
        fail("logpdf", f"logpdf must return floats, got dtype {lp.dtype}.")
    if not np.all(np.isfinite(lp)):
        bad = int(np.sum(~np.isfinite(lp)))
        fail("logpdf", f"logpdf is not finite on {bad} of {n} own samples.")
    report["logpdf"] = "ok"

    # (c) immutability, first part -------------------------------------------------------
    has_params = hasattr(family, "params")
    before = _flat_params(family.params) if has_params else None
    if before is not None:
        writable = [name for name, value in before.items() if _writeable(value)]
        if writable:
            fail("immutability", f"params arrays must be read-only, but {writable} are writable.")
        before = {name: np.array(value, copy=True) for name, value in before.items()}
    _check_frozen(family, lambda m: fail("immutability", m))

    # (d) fit recovers the parameters --------------------------------------------------------
    if has_params:
        _check_recovery(family, X, n, k, lambda m: fail("fit", m))
        report["fit"] = "ok"
    else:
        report["fit"] = "skipped: the family has no params"

    # (e) weights ------------------------------------------------------------------------
    m0 = min(n, 400)
    Xs = _take(X, np.arange(m0))
    compare = _comparer(family, _take(X, np.arange(m0, 2 * m0)), has_params, same_density=True)
    plain = family.fit(Xs)
    for name, weights in (("all ones", np.ones(m0)), ("all sevens", np.full(m0, 7.0))):
        problem = compare(family.fit(Xs, weights), plain)
        if problem:
            fail("weights", f"fit with weights {name} differs from weights=None: {problem}.")
    # frequencies 0..3; importance-weight fits agree with repeated rows only on 0 or 1
    top = 4 if getattr(family, "weights_are_frequencies", True) else 2
    counts = np.random.default_rng(seeds[1]).integers(0, top, size=m0)
    repeated = _take(Xs, np.repeat(np.arange(m0), counts))
    problem = compare(family.fit(Xs, counts), family.fit(repeated))
    if problem:
        fail("weights", f"fit with integer weights differs from fit on repeated rows: {problem}.")
    report["weights"] = "ok"

    # (f) blend -------------------------------------------------------------------------
    part = _take(X, np.arange(n // 10))
    prev_weights = np.random.default_rng(seeds[2]).uniform(0.5, 1.5, size=n // 10)
    prev = family.fit(part, prev_weights)
    cases = [((prev, 1.0), {}, family, "blend(prev, 1)"), ((prev, 0.0), {}, prev, "blend(prev, 0)")]
    if accepts_scale_alpha(family):
        cases += [
            ((prev, 1.0), {"scale_alpha": 1.0}, family, "blend(prev, 1, scale_alpha=1)"),
            ((prev, 0.0), {"scale_alpha": 0.0}, prev, "blend(prev, 0, scale_alpha=0)"),
        ]
    exact = _comparer(family, X, has_params, rtol=1e-12)
    for args, kwargs, expected, text in cases:
        problem = exact(family.blend(*args, **kwargs), expected)
        if problem:
            fail(
                "blend", f"{text} must equal {'self' if expected is family else 'prev'}: {problem}."
            )
    report["blend"] = "ok"

    # (g) likelihood ratio ----------------------------------------------------------------
    g = family.fit(_take(X, np.arange(n // _N_BATCHES)))
    X2 = family.sample(n, np.random.default_rng(seeds[3]))
    log_ratio = np.asarray(g.logpdf(X2), dtype=float) - family.logpdf(X2)
    if np.any(np.isnan(log_ratio)):
        fail("likelihood_ratio", "g.logpdf(X) - logpdf(X) is NaN for some X ~ family.")
    with np.errstate(over="ignore"):
        ratio = np.exp(log_ratio)
    if not np.all(np.isfinite(ratio)):
        report["likelihood_ratio"] = "skipped: the likelihood ratio is infinite somewhere"
    else:
        mean, se = ratio.mean(), ratio.std(ddof=1) / np.sqrt(n)
        if not abs(mean - 1.0) <= k * se + 1e-12:
            fail(
                "likelihood_ratio",
                f"E_f[g/f] = {mean:.6g} +- {se:.3g} over {n} samples is not 1 within {k:g} "
                "standard errors (logpdf not normalised, or fit outside the support?).",
            )
        report["likelihood_ratio"] = "ok"

    # (h) information measures -------------------------------------------------------------
    report["information"] = _check_information(
        family, X, lp, g, k, lambda m: fail("information", m)
    )

    # (c) immutability, second part ----------------------------------------------------------
    if not np.array_equal(np.asarray(family.logpdf(X)), lp):
        fail("immutability", "logpdf changed after sample/fit/blend were called.")
    if before is not None:
        after = _flat_params(family.params)
        changed = [
            name
            for name in before
            if name not in after or not np.array_equal(before[name], after[name], equal_nan=True)
        ]
        if changed or set(after) != set(before):
            fail("immutability", f"params {changed} changed after sample/fit/blend were called.")
    report["immutability"] = "ok"
    report["optional members"] = _check_optional(family, X, lambda m: fail("optional members", m))
    return FamilyReport(report, optional=capabilities(family))


class FamilyReport(dict):
    """What :func:`check_family` found: ``{check: "ok" | "skipped: ..."}``, and in
    :attr:`optional` which optional members the family has.

    >>> r = FamilyReport({"sample": "ok"}, optional={"mode": False})
    >>> r["sample"], r.optional
    ('ok', {'mode': False})
    """

    def __init__(self, checks: dict[str, str], *, optional: dict[str, bool]) -> None:
        super().__init__(checks)
        self.optional = dict(optional)

    def __repr__(self) -> str:
        has = [name for name, value in self.optional.items() if value]
        lacks = [name for name, value in self.optional.items() if not value]
        return f"FamilyReport({dict.__repr__(self)}, has={has or 'none'}, lacks={lacks or 'none'})"


def _check_optional(family: Any, X: Any, fail: Callable[[str], None]) -> str:
    """The optional members that are there behave as the engine expects."""
    has = capabilities(family)
    checked = False
    if has["mode"]:
        checked = True
        mode = family.mode()
        batch = (
            {k: np.asarray(v)[None] for k, v in mode.items()}
            if isinstance(mode, Mapping)
            else np.asarray(mode)[None]
        )
        try:
            value = np.asarray(family.logpdf(batch), dtype=float)
        except Exception as exc:  # any failure here is the family's defect to report
            fail(f"logpdf of mode() failed ({type(exc).__name__}: {exc}); mode must be one sample.")
        if value.shape != (1,) or not np.isfinite(value[0]):
            fail(f"mode() must be one sample with a finite logpdf, got logpdf {value}.")
    if has["degeneracy"]:
        checked = True
        value = family.degeneracy()
        if not (isinstance(value, (int, float, np.number)) and np.isfinite(value) and value >= 0):
            fail(f"degeneracy() must be a finite number >= 0, got {value!r}.")
    if has["params"] and has["with_params"]:
        checked = True
        again = family.with_params(family.params)
        before, after = _flat_params(family.params), _flat_params(again.params)
        if set(before) != set(after) or not all(
            np.array_equal(before[k], after[k], equal_nan=True) for k in before
        ):
            fail("with_params(params) must give back the same parameters.")
    return "ok" if checked else "skipped: the family has none of mode, degeneracy, with_params"


# ------------------------------------------------------------------------------ helpers
def _short_repr(family: Any) -> str:
    text = repr(family)
    return text if len(text) <= 80 else text[:77] + "..."


def _leaves(x: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(x, Mapping):
        out = []
        for key, value in x.items():
            out += _leaves(value, f"{prefix}{key}.")
        return out
    return [(prefix.rstrip(".") or "x", x)]


def _check_batch(X: Any, n: int, fail: Callable[[str], None]) -> None:
    leaves = _leaves(X)
    if not leaves:
        fail("sample returned an empty dict.")
    for name, leaf in leaves:
        if not isinstance(leaf, np.ndarray):
            fail(f"sample must return numpy arrays, but {name} is a {type(leaf).__name__}.")
        if leaf.ndim == 0 or leaf.shape[0] != n:
            fail(f"sample({n}) must give {n} rows, but {name} has shape {leaf.shape}.")
        if leaf.dtype.kind not in "biuf":
            fail(f"samples must be numeric, but {name} has dtype {leaf.dtype}.")


def _identical(a: Any, b: Any) -> bool:
    la, lb = _leaves(a), _leaves(b)
    if [name for name, _ in la] != [name for name, _ in lb]:
        return False
    return all(
        x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y, equal_nan=True)
        for (_, x), (_, y) in zip(la, lb, strict=True)
    )


def _take(x: Any, index: np.ndarray) -> Any:
    if isinstance(x, Mapping):
        return {key: _take(value, index) for key, value in x.items()}
    return np.asarray(x)[index]


def _flat_params(params: Any) -> dict[str, Any]:
    return dict(_leaves(params))


def _writeable(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.flags.writeable


def _numeric(value: Any) -> np.ndarray | None:
    array = np.asarray(value)
    return array.astype(float) if array.dtype.kind in "biuf" else None


def _check_frozen(family: Any, fail: Callable[[str], None]) -> None:
    names = ["_check_family_probe"]
    if hasattr(family, "params"):
        names += [name for name in family.params if isinstance(name, str)]
    for name in names:
        existed = hasattr(family, name)
        old = getattr(family, name, None)
        try:
            setattr(family, name, old)
        except Exception:  # noqa: BLE001 - any refusal is what we want
            continue
        if existed:
            object.__setattr__(family, name, old)
        else:
            object.__delattr__(family, name)
        fail(f"setting the attribute {name!r} must raise (families are immutable values).")


def _comparer(
    family: Any, X: Any, has_params: bool, *, rtol: float = 1e-8, same_density: bool = False
) -> Callable[[Any, Any], str | None]:
    """A function (a, b) -> None when the two families agree, else a description.

    With ``same_density``, parameters that differ beyond ``rtol`` are still accepted
    when the two log densities agree on ``X`` to ``rtol``: near-unidentifiable
    parameters (a truncated normal far in its tail) amplify rounding.
    """

    def by_params(a: Any, b: Any) -> str | None:
        pa, pb = _flat_params(a.params), _flat_params(b.params)
        if set(pa) != set(pb):
            return f"params keys {sorted(pa)} != {sorted(pb)}"
        for name in pa:
            x, y = _numeric(pa[name]), _numeric(pb[name])
            if x is None or y is None:
                if not np.array_equal(np.asarray(pa[name]), np.asarray(pb[name])):
                    return f"params[{name!r}] differ"
                continue
            if x.shape != y.shape:
                return f"params[{name!r}] shapes {x.shape} != {y.shape}"
            atol = 1e-12 * (1.0 + np.max(np.abs(y), initial=0.0))
            if not np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True):
                worst = np.unravel_index(np.argmax(np.abs(x - y)), x.shape) if x.size else ()
                return (
                    f"params[{name!r}]{[int(j) for j in worst]}: "
                    f"{float(x[worst])!r} != {float(y[worst])!r}"
                )
        return None

    def by_logpdf(a: Any, b: Any) -> str | None:
        la, lb = np.asarray(a.logpdf(X), float), np.asarray(b.logpdf(X), float)
        if not np.allclose(la, lb, rtol=rtol, atol=1e-10, equal_nan=True):
            return f"logpdf differs by up to {np.nanmax(np.abs(la - lb)):.3g}"
        return None

    if not has_params:
        return by_logpdf
    if not same_density:
        return by_params

    def by_params_or_density(a: Any, b: Any) -> str | None:
        problem = by_params(a, b)
        if problem and by_logpdf(a, b) is None:
            return None  # ill-conditioned parameters, same distribution
        return problem

    return by_params_or_density


def _check_recovery(family: Any, X: Any, n: int, k: float, fail: Callable[[str], None]) -> None:
    true = {name: _numeric(v) for name, v in _flat_params(family.params).items()}
    true = {name: v for name, v in true.items() if v is not None}
    m = n // _N_BATCHES
    try:
        full = _flat_params(family.fit(X).params)
        batches = [
            _flat_params(family.fit(_take(X, np.arange(i * m, (i + 1) * m))).params)
            for i in range(_N_BATCHES)
        ]
    except Exception as exc:  # noqa: BLE001 - reported as the check's failure
        fail(f"fit on own samples raised {type(exc).__name__}: {exc}")
    recovers = getattr(family, "fit_recovers_params", True)
    entries = sum(v.size for v in true.values()) or 1
    # Bonferroni over the entries, Student-t for the estimated standard error
    p_each = 2.0 * stats.norm.sf(k) / entries
    k_eff = float(stats.t.isf(p_each / 2.0, df=_N_BATCHES - 1))
    for name, target in true.items():
        fitted = _numeric(full.get(name))
        if fitted is None or fitted.shape != target.shape:
            fail(
                f"fit changed params[{name!r}] from shape {target.shape} to "
                f"{None if fitted is None else fitted.shape}."
            )
        spread = np.stack([_numeric(b[name]) for b in batches])
        se = spread.std(axis=0, ddof=1) * np.sqrt(m / n)
        reference = target if recovers else spread.mean(axis=0)
        tol = k_eff * se + 1e-9 * (1.0 + np.abs(reference))
        excess = np.abs(fitted - reference) - tol
        if np.any(~(excess <= 0)):
            i = (
                np.unravel_index(
                    np.nanargmax(np.where(np.isnan(excess), np.inf, excess)), excess.shape
                )
                if excess.ndim
                else ()
            )
            what = "true value" if recovers else "mean of sub-batch fits"
            fail(
                f"fit on {n} own samples gives params[{name!r}]{[int(j) for j in i]} = "
                f"{float(fitted[i])!r}, {what} {float(reference[i])!r}, standard error "
                f"{se[i]:.3g} (allowed {k_eff:.2f} standard errors)."
            )


def _check_information(
    family: Any, X: Any, lp: np.ndarray, g: Any, k: float, fail: Callable[[str], None]
) -> str:
    """Closed-form entropy and KL against Monte Carlo averages of ``logpdf`` on ``X``."""
    methods = ("entropy", "kl_divergence", "cross_entropy")
    if not all(callable(getattr(family, name, None)) for name in methods):
        return "skipped: the family has no entropy/kl_divergence/cross_entropy"
    if not getattr(family, "closed_form_information", True):
        return "skipped: the information measures are not in closed form"
    h = family.entropy()
    if hasattr(h, "std_error"):
        return "skipped: the information measures are Monte Carlo estimates"
    n = lp.shape[0]
    scale = 1e-9 * (1.0 + abs(h))

    def agree(name: str, value: float, terms: np.ndarray) -> None:
        mean, se = float(terms.mean()), float(terms.std(ddof=1) / np.sqrt(n))
        if not abs(value - mean) <= k * se + scale:
            fail(
                f"{name} = {value:.10g}, but the average over {n} own samples is "
                f"{mean:.10g} +- {se:.3g} (allowed {k:g} standard errors)."
            )

    agree("entropy()", h, -lp)
    self_kl = family.kl_divergence(family)
    if not abs(self_kl) <= scale:
        fail(f"kl_divergence(self) = {self_kl!r}, expected 0.")
    kl = family.kl_divergence(g)
    cross = family.cross_entropy(g)
    if not (kl >= -scale):
        fail(f"kl_divergence(g) = {kl!r} is negative (g a fit on a sub-sample).")
    if np.isfinite(kl):
        agree("kl_divergence(g)", kl, lp - np.asarray(g.logpdf(X), dtype=float))
    if not (cross == h + kl or abs(cross - (h + kl)) <= 1e-9 * (1.0 + abs(cross))):
        fail(f"cross_entropy(g) = {cross!r} != entropy() + kl_divergence(g) = {h + kl!r}.")
    return "ok"
