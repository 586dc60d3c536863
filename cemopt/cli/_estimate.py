"""``cemopt estimate MODEL``: rare-event probabilities of the reference models; the
options made from each model factory's signature; the estimate report shared with
``cemopt reliability``."""

from __future__ import annotations

import argparse
import inspect
import numbers
import re
import time
from collections.abc import Callable
from typing import Any

import cemopt as ce

from ._common import Report, _executor, _g, _vector
from ._options import _finite_float


def _doc_help(factory: Callable[..., Any]) -> dict[str, str]:
    """Each parameter's type line and first description line, from a numpydoc docstring."""
    doc = inspect.getdoc(factory) or ""
    section = doc.split("Parameters\n----------\n", 1)[-1] if "Parameters\n---" in doc else ""
    helps: dict[str, str] = {}
    lines = section.split("\n\n")[0].splitlines()
    for k, line in enumerate(lines):
        header = re.match(r"^(\w+) : (.*)$", line)
        if header:
            following = lines[k + 1] if k + 1 < len(lines) else ""
            text = header.group(2)
            if following.startswith("    "):  # the description's first line
                text += "; " + following.strip()
            helps[header.group(1)] = text.replace("%", "%%")
    return helps


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
    document, lines = _estimate_report(est, model.exact, args.level, seconds)
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
        )
        fig.suptitle(args.model)
        fig.tight_layout()
        return fig

    return document, lines, figure


_HIT_METHODS = ("cross-entropy", "crude", "ce")


def _estimate_report(
    est: Any, exact: float | None, level: float, seconds: float
) -> tuple[dict[str, Any], list[str]]:
    low, high = est.ci(level)
    deviation = None if not exact else (est.probability - exact) / exact
    in_se = (
        None
        if exact is None or not est.std_error > 0
        else (est.probability - exact) / est.std_error
    )
    document = {
        "method": est.method,
        "probability": est.probability,
        "std_error": est.std_error,
        "relative_error": est.relative_error,
        "log_probability": est.log_probability,
        "ci": [low, high],
        "ci_level": level,
        "exact": exact,
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
    lines = [
        f"  estimate    {_g(est.probability)}  (SE {_g(est.std_error, 3)}, relative error "
        f"{_g(est.relative_error, 3)})",
        f"  {level:.0%} CI      [{_g(low)}, {_g(high)}]",
    ]
    if exact is not None:
        extra = "" if in_se is None else f", {in_se:+.2f} SE"
        dev = "" if deviation is None else f"  (relative deviation {deviation:+.3%}{extra})"
        lines.append(f"  exact       {_g(exact, 8)}{dev}")
    if len(est.levels):
        lines.append(f"  levels      {_vector(est.levels, 8)}")
    lines.append(f"  status      {est.status}: {est.message}")
    # conditional estimators (turnip, pmc) average probabilities: no samples "in the event"
    hits = f" ({est.n_hits} final samples in the event)" if est.method in _HIT_METHODS else ""
    lines.append(f"  evaluations {est.nfev}{hits}")
    return document, lines
