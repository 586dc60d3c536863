"""``cemopt estimate MODEL``: rare-event probabilities of the reference models; the
options made from each model factory's signature; the estimate report shared with
``cemopt reliability``."""

from __future__ import annotations

import argparse
import inspect
import math
import numbers
import re
import time
from collections.abc import Callable
from typing import Any

import cemopt as ce

from ._common import Report, _executor, _g, _vector
from ._options import _finite_float


def _plain(text: str) -> str:
    """Docstring text as plain words for ``--help``: no RST roles, literals or
    citation marks, whitespace joined."""
    text = re.sub(r":\w+:`~?([^`]*)`", r"\1", text)  # :class:`cemopt.Normal`
    text = re.sub(r"``([^`]*)``", r"\1", text)  # ``gamma``
    text = re.sub(r"`([^`]*)`_?", r"\1", text)  # `gamma`, links
    text = re.sub(r"\s*\[\d+\]_?", "", text)  # citations [1]
    return " ".join(text.split())


def _sentence(text: str) -> str:
    text = _plain(text)
    if text and not text.endswith((".", "?", "!")):
        text += "."
    return text  # not capitalised: it may start with a variable ("a, not all zero")


def _doc_summary(factory: Callable[..., Any]) -> str:
    """The docstring's first paragraph, whole and plain."""
    return _sentence((inspect.getdoc(factory) or "").split("\n\n")[0])


def _doc_help(factory: Callable[..., Any]) -> dict[str, str]:
    """Each parameter's description, whole and plain, then its type line in brackets,
    from a numpydoc docstring."""
    doc = inspect.getdoc(factory) or ""
    section = doc.split("Parameters\n----------\n", 1)[-1] if "Parameters\n---" in doc else ""
    section = re.split(r"\n\S[^\n]*\n-{3,}\n", section)[0]  # up to the next section
    helps: dict[str, str] = {}
    name = None
    for line in section.splitlines():
        header = re.match(r"^(\w+) : (.*)$", line)
        if header:
            name = header.group(1)
            helps[name] = ["", header.group(2)]
        elif name is not None and line.startswith("    "):
            helps[name][0] += " " + line.strip()
    return {
        key: (_sentence(text) + f" ({_plain(kind)})" if text else _plain(kind)).replace("%", "%%")
        for key, (text, kind) in helps.items()
    }


def _model_options(parser: argparse.ArgumentParser, factory: Callable[..., Any]) -> list[str]:
    """An option per parameter of a rare-event model factory, typed from its default."""
    helps = _doc_help(factory)
    group = parser.add_argument_group("model parameters")
    names = []
    for param in inspect.signature(factory).parameters.values():
        default = param.default
        option = "--" + param.name.replace("_", "-")
        text = helps.get(param.name, "")
        if isinstance(default, bool):
            continue
        if isinstance(default, numbers.Integral):
            group.add_argument(
                option, dest=f"model_{param.name}", metavar=param.name.upper(), type=int, help=text
            )
        elif default is None or isinstance(default, numbers.Real):
            several = "array" in text or param.name in ("coefficients", "means", "p")
            group.add_argument(
                option,
                dest=f"model_{param.name}",
                metavar=param.name.upper(),
                type=_finite_float,
                nargs="+" if several else None,
                help=text,
            )
        else:  # arrays (the bridge's edge means)
            group.add_argument(
                option,
                dest=f"model_{param.name}",
                metavar=param.name.upper(),
                type=_finite_float,
                nargs="+",
                help=text,
            )
        names.append(param.name)
    return names


def _estimate(args: argparse.Namespace) -> Report:
    from cemopt.problems.rare_events import MODELS

    factory = MODELS[args.model]
    kwargs = {}
    for name in args.model_params:
        value = getattr(args, f"model_{name}")
        if value is None:
            continue
        if isinstance(value, list) and len(value) == 1 and name not in ("means", "coefficients"):
            value = value[0]  # one number for a scalar-or-array parameter
        kwargs[name] = value
    model = factory(**kwargs)
    with _executor(args) as pool:
        start = time.perf_counter()
        if args.crude:
            n = args.n_final or args.max_evals or 100_000
            est = ce.crude_monte_carlo(
                model.S, model.nominal, model.gamma, n=n, executor=pool, rng=args.seed
            )
        else:
            est = ce.estimate(
                model.S,
                model.nominal,
                model.gamma,
                n_samples=args.n_samples,
                n_final=args.n_final,
                elite_frac=args.elite_frac,
                smoothing=args.smoothing,
                max_iter=args.max_iter,
                max_evals=args.max_evals,
                time_limit=args.time_limit,
                executor=pool,
                rng=args.seed,
                progress=args.progress,
                checkpoint=args.checkpoint,
                resume=args.resume,
            )
        seconds = time.perf_counter() - start
    document, lines = _estimate_report(
        est, model.exact, args.level, seconds, log_exact=getattr(model, "log_exact", None)
    )
    document = {
        "command": "estimate",
        "model": args.model,
        "parameters": kwargs,
        "gamma": model.gamma,
        **document,
    }
    lines = [
        f"{args.model}: P(S(X) >= {model.gamma:g}) by "
        f"{'crude Monte Carlo' if args.crude else 'multilevel CE importance sampling'}",
        *lines,
        f"  {seconds:.2f} s",
    ]

    def figure() -> Any:
        from ..plot import plot_rare_event

        fig = plot_rare_event(
            {"crude" if args.crude else "CE": est},
            exact=model.exact,
            gamma=model.gamma,
            level=args.level,
            log_exact=getattr(model, "log_exact", None),
        )
        fig.suptitle(args.model)
        fig.tight_layout()
        return fig

    return document, lines, figure


_HIT_METHODS = ("cross-entropy", "crude", "ce")


#: below this a probability is printed in log form (log10 p): double precision keeps
#: its relative accuracy down to about 1e-308, and nobody reads "1.2e-305" more easily
#: than "10^-304.9"
_LOG_FORM_BELOW = 1e-300


def _log10_ci(est: Any, low: float, high: float, level: float) -> tuple[float, float]:
    """The confidence interval in log10 space, right also where p underflows."""
    if hasattr(est, "log_ci"):
        return tuple(v / math.log(10) for v in est.log_ci(level))  # type: ignore[return-value]
    return _log10(low), _log10(high)


def _log10(x: float) -> float:
    if x != x:
        return math.nan
    return math.log10(x) if x > 0 else -math.inf


def _power(log10_value: float, digits: int = 6) -> str:
    if log10_value != log10_value:
        return "nan"
    if math.isinf(log10_value):
        return "0"
    return f"10^{log10_value:.{digits}g}"


def _estimate_report(
    est: Any,
    exact: float | None,
    level: float,
    seconds: float,
    log_exact: float | None = None,
) -> tuple[dict[str, Any], list[str]]:
    low, high = est.ci(level)
    log_p = getattr(est, "log_probability", math.nan)
    log10_p = log_p / math.log(10) if log_p == log_p else math.nan
    log10_low, log10_high = _log10_ci(est, low, high, level)
    if log_exact is None and exact is not None and exact > 0:
        log_exact = math.log(exact)
    log10_exact = None if log_exact is None else log_exact / math.log(10)
    rel = est.relative_error
    if log_exact is None or not math.isfinite(log_exact) or not math.isfinite(log_p):
        deviation = None if not exact else (est.probability - exact) / exact
        in_se = (
            None
            if exact is None or not est.std_error > 0
            else (est.probability - exact) / est.std_error
        )
    else:  # from the logs, right also where p and the exact value underflow
        deviation = math.expm1(log_p - log_exact)
        in_se = (1 - math.exp(log_exact - log_p)) / rel if rel > 0 else None
    document = {
        "method": est.method,
        "probability": est.probability,
        "std_error": est.std_error,
        "relative_error": rel,
        "log_probability": log_p,
        "log10_probability": log10_p,
        "ci": [low, high],
        "log10_ci": [log10_low, log10_high],
        "ci_level": level,
        "exact": exact,
        "log10_exact": log10_exact,
        "relative_deviation": deviation,
        "deviation_in_se": in_se,
        "levels": est.levels,
        "nfev": est.nfev,
        "n_hits": est.n_hits,
        "ess": est.ess,
        "success": est.success,
        "status": est.status,
        "message": est.message,
        "seconds": round(seconds, 3),
    }
    small = est.probability < _LOG_FORM_BELOW and math.isfinite(log10_p)
    if small:  # the float underflows (or nearly): the logs carry the answer
        lines = [
            f"  estimate    {_power(log10_p, 8)}  (log10 p = {log10_p:.6f}, relative error "
            f"{_g(rel, 3)}; p is below {_LOG_FORM_BELOW:g}, printed in log form)",
            f"  {level:.0%} CI      10^[{log10_low:.6f}, {log10_high:.6f}]  (log10 scale)",
        ]
    else:
        lines = [
            f"  estimate    {_g(est.probability)}  (SE {_g(est.std_error, 3)}, relative error "
            f"{_g(rel, 3)})",
            f"  {level:.0%} CI      [{_g(low)}, {_g(high)}]",
        ]
    if exact is not None or log10_exact is not None:
        extra = "" if in_se is None else f", {in_se:+.2f} SE"
        dev = "" if deviation is None else f"  (relative deviation {deviation:+.3%}{extra})"
        shown = (
            _power(log10_exact, 10)
            if log10_exact is not None and (small or not exact)
            else _g(exact, 8)
        )
        lines.append(f"  exact       {shown}{dev}")
    if len(est.levels):
        lines.append(f"  levels      {_vector(est.levels, 8)}")
    lines.append(f"  status      {est.status}: {est.message}")
    # conditional estimators (turnip, pmc) average probabilities: no samples "in the event"
    hits = f" ({est.n_hits} final samples in the event)" if est.method in _HIT_METHODS else ""
    lines.append(f"  evaluations {est.nfev}{hits}")
    return document, lines
