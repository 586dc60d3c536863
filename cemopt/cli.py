"""The ``cemopt`` command: the problem modules from the shell.

::

    cemopt demo                                   the main job on built-in examples
    cemopt solve tsp FILE                         a TSPLIB .tsp/.atsp file
    cemopt solve vrp FILE                         a CVRPLIB .vrp file (needs vrplib)
    cemopt solve maxcut [FILE] [--n N --m M]      an edge list, or the synthetic instance
    cemopt solve FUNCTION --dim D                 sphere, rosenbrock, rastrigin, ...
    cemopt estimate MODEL                         bridge, exponential_sum, ... (exact known)
    cemopt reliability NETWORK                    dodecahedron, grid, or an edge list
    cemopt buffers --rates ... --slots N          buffer allocation in a flow line
    cemopt compare PROBLEM ... --optimizers ...   cemopt against other optimisers

Every subcommand prints a readable summary, or with ``--json`` one JSON document on
stdout; ``--plot FILE`` saves its figure (format from the suffix: .png, .pdf, .svg);
``--seed`` fixes the run (default 0). Where the underlying call supports them:
``--executor {serial,thread,process}`` and ``--workers N`` score batches on a
``concurrent.futures`` pool (the result does not depend on it), ``--progress`` draws a
progress bar on stderr, ``--checkpoint FILE`` / ``--resume FILE`` save and continue a
run (``solve FUNCTION`` and ``solve maxcut``, which run through
:func:`cemopt.minimize`). Each subcommand's ``--help`` lists what it takes.

A bad option, a missing or malformed file, or an argument the library rejects gives
one line on stderr (``cemopt: error: ...``) and exit status 2, never a traceback (set
``CEMOPT_TRACEBACK=1`` to see one). Warnings become ``cemopt: warning: ...`` lines.

Examples
--------
>>> from cemopt.cli import main
>>> main(["solve", "sphere", "--dim", "2", "--max-evals", "2000", "--json"])
... # doctest: +ELLIPSIS
{"command": "solve", "problem": "sphere", ..., "success": true, ...}
0
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import math
import numbers
import os
import re
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

import cemopt as ce

from ._version import __version__

__all__ = ["build_parser", "main"]

#: what a subcommand hands back: the JSON document, the text lines, the figure maker
Report = tuple[dict[str, Any], list[str], Callable[[], Any] | None]


class CLIError(Exception):
    """A problem with the command line or its files, reported in one line (exit 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors in one line: ``cemopt: error: ... (see ... --help)``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"cemopt: error: {message} (see '{self.prog} --help')\n")


# ------------------------------------------------------------------ option types
def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a non-negative integer seed, got {text!r}"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer seed, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


# --------------------------------------------------------------- common options
def _add_common(
    parser: argparse.ArgumentParser,
    *,
    executor: bool = False,
    progress: bool = False,
    checkpoint: bool = False,
    seed: bool = True,
    plot: str = "the result",
) -> None:
    group = parser.add_argument_group("common options")
    if seed:
        group.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    group.add_argument(
        "--json", action="store_true", help="print one JSON document instead of text"
    )
    group.add_argument("--plot", metavar="FILE", help=f"save a figure of {plot} (.png, .pdf, .svg)")
    if executor:
        group.add_argument(
            "--executor",
            choices=("serial", "thread", "process"),
            help="score batches on a thread or process pool (default serial; process "
            "when --workers is given); the result does not depend on it",
        )
        group.add_argument(
            "--workers", type=_positive_int, help="pool size (default: the number of CPUs)"
        )
    if progress:
        group.add_argument("--progress", action="store_true", help="a progress bar on stderr")
    if checkpoint:
        group.add_argument(
            "--checkpoint", metavar="FILE", help="save the run after every iteration (.npz)"
        )
        group.add_argument(
            "--resume", metavar="FILE", help="continue the run saved in FILE (same options)"
        )


@contextlib.contextmanager
def _executor(args: argparse.Namespace) -> Iterator[Any]:
    kind = getattr(args, "executor", None)
    workers = getattr(args, "workers", None)
    if kind is None:
        kind = "serial" if workers is None else "process"
    if kind == "serial":
        if workers is not None:
            raise CLIError("--workers needs --executor thread or process")
        yield None
        return
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

    pool_class = ThreadPoolExecutor if kind == "thread" else ProcessPoolExecutor
    with pool_class(max_workers=workers or os.cpu_count() or 1) as pool:
        yield pool


def _check_output(path: str | None, option: str) -> None:
    """Fail before any work when an output file could not be written."""
    if path is None:
        return
    folder = Path(path).expanduser().resolve().parent
    if not folder.is_dir():
        raise CLIError(f"{option} {path}: the folder {folder} does not exist")


def _check_plot(path: str | None) -> None:
    if path is None:
        return
    _check_output(path, "--plot")
    import matplotlib

    matplotlib.use("Agg")  # the command never shows a window
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    suffix = Path(path).suffix.lstrip(".").lower()
    formats = FigureCanvasAgg.get_supported_filetypes()
    if suffix not in formats:
        raise CLIError(
            f"--plot {path}: the suffix must name an image format ({', '.join(sorted(formats))})"
        )


def _check_input(path: str, what: str) -> Path:
    file = Path(path).expanduser()
    if not file.exists():
        raise CLIError(f"{what} {path}: no such file")
    if not file.is_file():
        raise CLIError(f"{what} {path}: not a file")
    return file


# ------------------------------------------------------------------------ output
def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value) if math.isfinite(value) else None  # JSON has no NaN
    if value is None or isinstance(value, str):
        return value
    return str(value)


def _g(value: Any, digits: int = 6) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return f"{value:.{digits}g}"


def _vector(x: Any, limit: int = 10) -> str:
    values = np.asarray(x).reshape(-1)
    shown = ", ".join(_g(float(v)) if values.dtype.kind == "f" else str(v) for v in values[:limit])
    more = f", ... ({values.size} in all)" if values.size > limit else ""
    return f"[{shown}{more}]"


def _optimize_fields(res: Any, seconds: float) -> dict[str, Any]:
    return {
        "fun": float(res.fun),
        "success": bool(res.success),
        "status": res.status,
        "message": res.message,
        "nit": int(res.nit),
        "nfev": int(res.nfev),
        "restarts": int(getattr(res, "n_restarts", 0)),
        "seconds": round(seconds, 3),
    }


def _run_lines(res: Any, seconds: float) -> list[str]:
    restarts = getattr(res, "n_restarts", 0)
    return [
        f"  status      {res.status}: {res.message}",
        f"  iterations  {res.nit}, {res.nfev} evaluations"
        + (f", {restarts} restarts" if restarts else "")
        + f", {seconds:.2f} s",
    ]


class _Progress:
    """A progress bar fed by an optimiser's callback (solvers without ``progress=``)."""

    def __init__(self, max_iter: int | None) -> None:
        from ._progress import ProgressBar

        self.bar = ProgressBar(max_iter, None)

    def __call__(self, intermediate: Any) -> None:
        self.bar.update(nit=intermediate.nit, nfev=intermediate.nfev, best=intermediate.fun)

    def close(self) -> None:
        self.bar.close()


# -------------------------------------------------------------------------- demo
def _demo(args: argparse.Namespace) -> Report:
    from cemopt.problems import functions
    from cemopt.problems.maxcut import MaxCut
    from cemopt.problems.maxcut import solve as solve_maxcut

    with _executor(args) as pool:
        start = time.perf_counter()
        problem = MaxCut.synthetic(n=400, m=200, rng=2024)
        cut = solve_maxcut(problem, rng=args.seed + 1, executor=pool, progress=args.progress)
        cut_seconds = time.perf_counter() - start

        start = time.perf_counter()
        fn, d = functions.rosenbrock, 10
        generator = np.random.default_rng(args.seed)
        family = ce.MultivariateNormal(
            generator.uniform(fn.lower, fn.upper, d),
            np.eye(d) * ((fn.upper - fn.lower) / 2) ** 2,
        )
        rosen = ce.minimize(
            fn,
            family,
            vectorized=True,
            target=1e-8,
            max_evals=100_000,
            rng=args.seed + 1,
            executor=pool,
            progress=args.progress,
        )
        rosen_seconds = time.perf_counter() - start
    document = {
        "command": "demo",
        "maxcut": {
            "n": 400,
            "optimum": problem.optimum,
            "cut": cut.fun,
            **_optimize_fields(cut, cut_seconds),
        },
        "rosenbrock": {
            "dim": d,
            "f_opt": fn.f_opt,
            "x": rosen.x,
            **_optimize_fields(rosen, rosen_seconds),
        },
    }
    lines = [
        "cemopt demo: the cross-entropy method on two built-in problems",
        "",
        "max-cut, the CE tutorial's 400-node two-block graph (Bernoulli node sides)",
        f"  cut         {cut.fun:.0f} (known optimum {problem.optimum:.0f})",
        *_run_lines(cut, cut_seconds),
        "",
        "Rosenbrock in 10 dimensions (full-covariance Gaussian, minimum 0 at (1, ..., 1))",
        f"  f           {rosen.fun:.3e} at x = {_vector(rosen.x, 4)}",
        *_run_lines(rosen, rosen_seconds),
    ]

    def figure() -> Any:
        import matplotlib.pyplot as plt

        from .plot import plot_history

        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
        plot_history(cut, ax=left, title="max-cut n=400")
        plot_history(rosen, ax=right, title="Rosenbrock d=10")
        fig.tight_layout()
        return fig

    return document, lines, figure


# ------------------------------------------------------------------------- solve
def _solve_function(args: argparse.Namespace) -> Report:
    from cemopt.problems import functions

    fn = functions.FUNCTIONS[args.problem]
    d = args.dim if args.dim is not None else (fn.dims[0] if fn.dims else 10)
    if fn.dims is not None and d not in fn.dims:
        raise CLIError(f"--dim {d}: {fn.name} is defined for dim {' or '.join(map(str, fn.dims))}")
    lower, upper = fn.bounds(d)
    generator = np.random.default_rng(args.seed)
    # the same start as cemopt.compare: uniform in the box; the spread covers the box
    family = ce.MultivariateNormal(
        generator.uniform(lower, upper), np.eye(d) * ((fn.upper - fn.lower) / 2) ** 2
    )
    tolerance = -1e-8 if fn.sense == "max" else 1e-8
    target = (
        None if args.no_target else (fn.f_opt + tolerance if args.target is None else args.target)
    )
    run = ce.maximize if fn.sense == "max" else ce.minimize
    with _executor(args) as pool:
        start = time.perf_counter()
        res = run(
            fn.func,  # a module-level function: it pickles for a process pool
            family,
            vectorized=True,
            n_samples=args.n_samples,
            max_evals=args.max_evals,
            max_iter=args.max_iter,
            time_limit=args.time_limit,
            target=target,
            rng=generator,
            executor=pool,
            progress=args.progress,
            checkpoint=args.checkpoint,
            resume=args.resume,
        )
        seconds = time.perf_counter() - start
    document = {
        "command": "solve",
        "problem": fn.name,
        "dim": d,
        "sense": fn.sense,
        "f_opt": fn.f_opt,
        "error": abs(res.fun - fn.f_opt),
        "x": res.x,
        **_optimize_fields(res, seconds),
    }
    lines = [
        f"{fn.name} in {d} dimensions ({'maximum' if fn.sense == 'max' else 'minimum'} "
        f"{fn.f_opt:g}), CE over a full-covariance Gaussian",
        f"  f           {_g(res.fun, 10)} (|f - f*| = {abs(res.fun - fn.f_opt):.3e})",
        f"  x           {_vector(res.x)}",
        *_run_lines(res, seconds),
    ]

    def figure() -> Any:
        from .plot import plot_history

        return plot_history(res, title=f"{fn.name}, d={d}").figure

    return document, lines, figure


def _read_edge_list(path: str, weight: str) -> Any:
    """An undirected graph from an edge list ("u v" or "u v w" or "u v {dict}") or a
    GraphML/GML file."""
    import networkx as nx

    file = _check_input(path, "graph file")
    try:
        suffix = file.suffix.lower()
        if suffix == ".graphml":
            graph = nx.read_graphml(file)
        elif suffix == ".gml":
            graph = nx.read_gml(file)
        else:
            rows = [
                line.split("#", 1)[0].strip()
                for line in file.read_text(encoding="utf-8").splitlines()
            ]
            rows = [row for row in rows if row]
            if not rows:
                raise ValueError("no edges")
            widths = {len(row.split()) for row in rows}
            if widths == {2}:
                data: Any = False
            elif widths == {3}:
                data = ((weight, float),)
            else:
                data = True  # "u v {'weight': 2.0}" lines, as networkx writes them
            graph = nx.parse_edgelist(rows, nodetype=str, data=data)
    except (ValueError, TypeError, IndexError, SyntaxError, UnicodeDecodeError) as exc:
        raise CLIError(f"cannot read the graph file {path}: {_one_line(exc)}") from None
    except nx.NetworkXException as exc:
        raise CLIError(f"cannot read the graph file {path}: {_one_line(exc)}") from None
    if graph.is_directed():
        graph = graph.to_undirected()
    if graph.number_of_edges() == 0:
        raise CLIError(f"cannot read the graph file {path}: no edges")
    return graph


def _solve_maxcut(args: argparse.Namespace) -> Report:
    from cemopt.problems.maxcut import MaxCut
    from cemopt.problems.maxcut import solve as solve_maxcut

    if args.file is not None:
        problem = MaxCut(_read_edge_list(args.file, "weight"))
        source = f"{args.file}: {problem.n_nodes} nodes"
    else:
        problem = MaxCut.synthetic(n=args.n, m=args.m, c=args.c, rng=args.instance_seed)
        source = (
            f"synthetic two-block graph n={args.n}, m={args.m} (instance seed "
            f"{args.instance_seed}, known optimum {problem.optimum:g})"
        )
    options: dict[str, Any] = {}
    if args.no_target:
        options["target"] = None
    elif args.target is not None:
        options["target"] = args.target
    with _executor(args) as pool:
        start = time.perf_counter()
        res = solve_maxcut(
            problem,
            rng=args.seed,
            n_samples=args.n_samples,
            max_evals=args.max_evals,
            max_iter=args.max_iter,
            time_limit=args.time_limit,
            executor=pool,
            progress=args.progress,
            checkpoint=args.checkpoint,
            resume=args.resume,
            **options,
        )
        seconds = time.perf_counter() - start
    sides = np.asarray(res.x).astype(int)
    document = {
        "command": "solve",
        "problem": "maxcut",
        "n_nodes": problem.n_nodes,
        "optimum": problem.optimum,
        "cut": res.fun,
        "side": {str(node): int(s) for node, s in zip(problem.nodes, sides, strict=True)},
        **_optimize_fields(res, seconds),
    }
    lines = [
        f"max-cut on {source}",
        f"  cut         {_g(res.fun, 10)}"
        + ("" if problem.optimum is None else f" (known optimum {problem.optimum:g})"),
        f"  sides       {int(sides.sum())} nodes on side 1, {int((1 - sides).sum())} on side 0; "
        f"side 1: {_vector([problem.nodes[i] for i in np.flatnonzero(sides)], 12)}",
        *_run_lines(res, seconds),
    ]

    def figure() -> Any:
        from .plot import plot_history

        return plot_history(res, title=f"max-cut, n={problem.n_nodes}").figure

    return document, lines, figure


def _solve_tsp(args: argparse.Namespace) -> Report:
    from cemopt.problems.tsp import TSP
    from cemopt.problems.tsp import solve as solve_tsp

    _check_input(args.file, "TSPLIB file")
    problem = TSP.from_tsplib(args.file)
    target = False if args.no_target else args.target
    progress = _Progress(args.max_iter) if args.progress else None
    start = time.perf_counter()
    try:
        res = solve_tsp(
            problem,
            rng=args.seed,
            local_search=False if args.no_local_search else None,
            n_samples=args.n_samples,
            max_iter=args.max_iter,
            time_limit=args.time_limit,
            target=target,
            callback=progress,
        )
    finally:
        if progress is not None:
            progress.close()
    seconds = time.perf_counter() - start
    tour = np.asarray(res.x) + 1  # TSPLIB numbers its nodes from 1
    gap = None if problem.optimum is None else (res.fun - problem.optimum) / problem.optimum
    document = {
        "command": "solve",
        "problem": "tsp",
        "name": problem.name,
        "n": problem.n,
        "symmetric": problem.symmetric,
        "optimum": problem.optimum,
        "length": res.fun,
        "gap": gap,
        "tour": tour,
        **_optimize_fields(res, seconds),
    }
    known = "" if gap is None else f" (optimum {problem.optimum:g}, gap {100 * gap:.2f} %)"
    method = "plain CE" if args.no_local_search else "CE + local search"
    lines = [
        f"{problem.name}: {problem.n} nodes, {'symmetric' if problem.symmetric else 'asymmetric'}"
        f", {method}",
        f"  length      {_g(res.fun, 10)}{known}",
        f"  tour        {_vector(tour, 12)} (TSPLIB node numbers)",
        *_run_lines(res, seconds),
    ]

    def figure() -> Any:
        from .plot import plot_history, plot_tour

        if problem.coordinates is not None and problem.coordinates.shape[1] == 2:
            title = f"{problem.name}: length {res.fun:g}"
            return plot_tour(problem.coordinates, res.x, title=title).figure
        return plot_history(res, title=f"{problem.name} (no coordinates)").figure

    return document, lines, figure


def _solve_vrp(args: argparse.Namespace) -> Report:
    import importlib.util

    from cemopt.problems.vrp import CVRP
    from cemopt.problems.vrp import solve as solve_vrp

    _check_input(args.file, "CVRPLIB file")
    if importlib.util.find_spec("vrplib") is None:
        raise CLIError(
            "solve vrp reads CVRPLIB files with the vrplib package, which is not installed "
            "(pip install 'cemopt[routing]')"
        )
    if args.max_vehicles in ("auto", "none"):
        fleet: Any = None if args.max_vehicles == "none" else "auto"
    else:
        try:
            fleet = int(args.max_vehicles)
        except ValueError:
            raise CLIError(
                f"--max-vehicles must be 'auto', 'none' or an integer, got {args.max_vehicles!r}"
            ) from None
    try:
        problem = CVRP.from_vrplib(args.file, max_vehicles=fleet)
    except (ValueError, TypeError, OSError):
        raise
    except Exception as exc:  # vrplib's parser raises whatever its input makes it raise
        raise CLIError(f"cannot read the CVRPLIB file {args.file}: {_one_line(exc)}") from None
    start = time.perf_counter()
    res = solve_vrp(
        problem,
        rng=args.seed,
        local_search=args.local_search,
        n_samples=args.n_samples,
        max_iter=args.max_iter,
        time_limit=args.time_limit,
    )
    seconds = time.perf_counter() - start
    routes = [list(map(int, route)) for route in res.x]
    gap = None if problem.optimum is None else (res.fun - problem.optimum) / problem.optimum
    document = {
        "command": "solve",
        "problem": "vrp",
        "name": problem.name,
        "n_customers": problem.n_customers,
        "capacity": problem.capacity,
        "max_vehicles": problem.max_vehicles,
        "optimum": problem.optimum,
        "cost": res.fun,
        "gap": gap,
        "routes": routes,
        **_optimize_fields(res, seconds),
    }
    known = "" if gap is None else f" (optimum {problem.optimum:g}, gap {100 * gap:.2f} %)"
    lines = [
        f"{problem.name}: {problem.n_customers} customers, capacity {problem.capacity:g}, "
        f"{'CE + route local search' if args.local_search else 'CE'}",
        f"  cost        {_g(res.fun, 10)}{known}",
        f"  routes      {len(routes)} (customers numbered as in CVRPLIB .sol files)",
        *(f"    Route #{k}: {' '.join(map(str, r))}" for k, r in enumerate(routes, 1)),
        *_run_lines(res, seconds),
    ]

    def figure() -> Any:
        from .plot import plot_history, plot_routes

        if problem.coordinates is not None:
            title = f"{problem.name}: cost {res.fun:g}"
            return plot_routes(problem.coordinates, routes, title=title).figure
        return plot_history(res, title=f"{problem.name} (no coordinates)").figure

    return document, lines, figure


# ---------------------------------------------------------------------- estimate
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
            est = ce.crude_monte_carlo(
                model.S, model.nominal, model.gamma, n=args.n_final, executor=pool, rng=args.seed
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
                executor=pool,
                rng=args.seed,
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
        from .plot import plot_rare_event

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


# ------------------------------------------------------------------- reliability
def _node_lookup(graph: Any) -> dict[str, Any]:
    lookup: dict[str, Any] = {}
    for node in graph.nodes:
        lookup[str(node)] = node
        if isinstance(node, tuple):
            lookup[",".join(map(str, node))] = node  # grid nodes: "2,9"
    return lookup


def _reliability(args: argparse.Namespace) -> Report:
    from cemopt.problems import network_reliability as nr

    q = 0.01 if args.q is None else args.q
    if args.network == "dodecahedron":
        network = nr.Network.dodecahedron(failure_prob=q)
        source = "dodecahedron"
    elif args.network == "grid":
        network = nr.Network.grid(args.rows, args.cols, failure_prob=q)
        source = f"{args.rows} x {args.cols} grid"
    else:
        source = args.network
        graph = _read_edge_list(args.network, "failure_prob")
        has_q = all("failure_prob" in data for *_, data in graph.edges(data=True))
        if args.q is None and not has_q:
            raise CLIError(
                f"{args.network}: give --q, or a third column with each link's failure probability"
            )
        if args.terminals is None:
            raise CLIError(f"{args.network}: give --terminals (two or more nodes, or 'all')")
        network = nr.Network(graph, None, "failure_prob" if args.q is None else args.q)
    if args.terminals is not None:
        terminals = None
        if args.terminals != ["all"]:
            lookup = _node_lookup(network.graph)
            unknown = [t for t in args.terminals if t not in lookup]
            if unknown:
                names = [
                    ",".join(map(str, v)) if isinstance(v, tuple) else str(v)
                    for v in lookup.values()
                ]
                some = ", ".join(dict.fromkeys(names[:16]))
                raise CLIError(
                    f"--terminals: no node {unknown[0]!r} in the network (nodes: {some}, ...)"
                )
            terminals = [lookup[t] for t in args.terminals]
        network = nr.Network(network.graph, terminals, network.failure_prob)

    exact = None
    start = time.perf_counter()
    if args.exact or args.method == "exact":
        exact = nr.exact_unreliability(network, max_frontier=args.max_frontier)
    est = None
    if args.method != "exact":
        with _executor(args) as pool:
            est = nr.estimate_unreliability(
                network,
                method=args.method,
                n_samples=args.n_samples,
                n_final=args.n_final,
                elite_frac=args.elite_frac,
                smoothing=args.smoothing,
                executor=pool,
                rng=args.seed,
            )
    seconds = time.perf_counter() - start
    terminals_text = (
        "all nodes"
        if network.kind == "all-terminal"
        else ", ".join(str(network.nodes[t]) for t in network.terminals)
    )
    document: dict[str, Any] = {
        "command": "reliability",
        "network": source,
        "n_nodes": network.n_nodes,
        "n_links": network.n_edges,
        "terminals": [network.nodes[t] for t in network.terminals],
        "kind": network.kind,
        "exact": exact,
    }
    lines = [
        f"{source}: {network.n_nodes} nodes, {network.n_edges} links, {network.kind} "
        f"({terminals_text}), failure probabilities in "
        f"[{network.failure_prob.min():.3g}, {network.failure_prob.max():.3g}]",
    ]
    if est is None:
        document.update(method="exact", probability=exact, seconds=round(seconds, 3))
        lines.append(f"  exact unreliability {_g(exact, 10)} ({seconds:.2f} s)")
    else:
        part, more = _estimate_report(est, exact, args.level, seconds)
        document.update(part)
        document["method"] = args.method
        lines += [f"  method      {args.method}", *more, f"  {seconds:.2f} s"]

    def figure() -> Any:
        from .plot import plot_network

        title = f"{source}: unreliability {_g(exact if est is None else est.probability, 4)}"
        return plot_network(network, title=title).figure

    return document, lines, figure


# ----------------------------------------------------------------------- buffers
def _buffers(args: argparse.Namespace) -> Report:
    from cemopt.problems import buffer_allocation as ba

    line = ba.FlowLine(args.rates, args.failure_rates, args.repair_rates)
    start = time.perf_counter()
    res = ba.optimize(
        line,
        args.slots,
        n_samples=args.n_samples,
        max_iter=args.max_iter,
        n_parts=args.n_parts,
        rng=args.seed,
        progress=args.progress,
    )
    seconds = time.perf_counter() - start
    exact = None
    if args.exact:
        if not line.is_exponential:
            raise CLIError("--exact needs exponential processing, failure and repair times")
        exact = float(ba.exact_throughput(line, res.x))
    document = {
        "command": "buffers",
        "machines": line.n_machines,
        "slots": args.slots,
        "allocation": res.x,
        "throughput": res.fun,
        "std_error": getattr(res, "std_error", None),
        "exact_throughput": exact,
        **_optimize_fields(res, seconds),
    }
    exact_text = "" if exact is None else f" (exact {exact:.6g})"
    lines = [
        f"{line}: {args.slots} buffer slots over {line.n_machines - 1} buffers",
        f"  allocation  {res.x.tolist()}",
        f"  throughput  {res.fun:.6g} +- {getattr(res, 'std_error', math.nan):.2g}{exact_text}",
        *_run_lines(res, seconds),
    ]

    def figure() -> Any:
        from .plot import plot_history

        return plot_history(res, title=f"buffer allocation, {args.slots} slots").figure

    return document, lines, figure


# ----------------------------------------------------------------------- compare
def _compare(args: argparse.Namespace) -> Report:
    from . import compare as cmp

    if args.list:
        return _list_optimizers(cmp.OPTIMIZERS)
    if not args.problems:
        raise CLIError("compare needs at least one PROBLEM (or --list)")
    for option in ("csv", "trace_csv", "output"):
        _check_output(getattr(args, option), "--" + option.replace("_", "-"))
    problems: dict[str, Any] = {}
    for item in args.problems:
        if item.lower().endswith((".tsp", ".atsp")) or os.sep in item:
            from cemopt.problems.tsp import TSP

            problem = TSP.from_tsplib(_check_input(item, "TSPLIB file"))
            problems[problem.name or Path(item).stem] = problem
        else:
            problems[item] = item
    options = None
    if args.options is not None:
        try:
            options = json.loads(args.options)
        except json.JSONDecodeError as exc:
            raise CLIError(f"--options must be JSON, e.g. '{{\"cemopt\": {{}}}}': {exc}") from None
    total = len(problems) * len(args.optimizers) * len(args.seeds)
    done = [0]

    def progress(record: Any) -> None:
        done[0] += 1
        width = 24
        filled = round(width * done[0] / total)
        sys.stderr.write(
            f"\r[{'#' * filled}{' ' * (width - filled)}] {done[0]}/{total} runs "
            f"({record.problem}, {record.optimizer}, seed {record.seed})\033[K"
        )
        sys.stderr.flush()

    with _executor(args) as pool:
        start = time.perf_counter()
        try:
            result = cmp.compare(
                problems,
                args.optimizers,
                budget=args.budget,
                seeds=args.seeds,
                target=args.target,
                dim=args.dim,
                stop_at_target=not args.no_stop_at_target,
                options=options,
                executor=pool,
                callback=progress if args.progress else None,
            )
        finally:
            if args.progress and done[0]:
                sys.stderr.write("\n")
        seconds = time.perf_counter() - start
    if args.csv:
        result.to_csv(args.csv)
    if args.trace_csv:
        result.to_csv(args.trace_csv, what="trace")
    if args.output:
        result.to_json(args.output)
    summary = result.summary()
    document = {
        "command": "compare",
        "summary": summary.rows,
        **json.loads(result.to_json()),
        "seconds": round(seconds, 3),
    }
    written = [
        f"  {kind}: {path}"
        for kind, path in (
            ("runs (CSV)", args.csv),
            ("traces (CSV)", args.trace_csv),
            ("everything (JSON)", args.output),
        )
        if path
    ]
    lines = [
        f"{_count(len(problems), 'problem')} x {_count(len(result.optimizers), 'optimizer')} x "
        f"{_count(len(args.seeds), 'seed')}, budget {args.budget} evaluations ({seconds:.1f} s)",
        "",
        summary.to_markdown(),
        *([""] + ["written:"] + written if written else []),
    ]

    def figure() -> Any:
        from .plot import plot_ecdf

        return plot_ecdf(result)

    return document, lines, figure


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _list_optimizers(registry: dict[str, Any]) -> Report:
    import importlib.util

    rows = []
    for name, adapter in registry.items():
        module = getattr(adapter, "module", None)
        installed = module is None or importlib.util.find_spec(module) is not None
        rows.append(
            {
                "name": name,
                "spaces": list(adapter.spaces),
                "installed": installed,
                "description": getattr(adapter, "description", ""),
            }
        )
    width = max(len(r["name"]) for r in rows)
    lines = ["optimizers (also any 'nevergrad:<Name>' when nevergrad is installed):"]
    lines += [
        f"  {r['name']:<{width}}  {'/'.join(r['spaces']):<30} "
        f"{'' if r['installed'] else '(not installed) '}{r['description']}"
        for r in rows
    ]
    return {"command": "compare", "optimizers": rows}, lines, None


# ------------------------------------------------------------------------ parser
def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``cemopt`` command (subcommands and their options).

    Examples
    --------
    >>> args = build_parser().parse_args(["solve", "rosenbrock", "--dim", "5"])
    >>> args.problem, args.dim, args.seed
    ('rosenbrock', 5, 0)
    """
    from cemopt.problems import functions, network_reliability, rare_events

    parser = _Parser(
        prog="cemopt",
        description="The cross-entropy method from the shell: optimisation, rare events, "
        "routing, network reliability, buffer allocation, comparisons.",
        epilog="Each subcommand has --help. Exit status: 0 done, 2 bad options or input, "
        "130 interrupted.",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"cemopt {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser(
        "demo",
        help="the main job on built-in examples (max-cut n=400, Rosenbrock d=10), seconds",
        description="CE on the CE tutorial's 400-node max-cut (known optimum 40000) and on "
        "Rosenbrock in 10 dimensions (minimum 0): what examples/demo.py does.",
        allow_abbrev=False,
    )
    _add_common(demo, executor=True, progress=True, plot="both runs' histories")
    demo.set_defaults(handler=_demo)

    # -- solve
    solve = commands.add_parser(
        "solve",
        help="optimise: tsp FILE, vrp FILE, maxcut [FILE], or a test function",
        description="Optimise a routing problem, a max-cut, or a continuous test function.",
        allow_abbrev=False,
    )
    problems = solve.add_subparsers(dest="problem", metavar="PROBLEM", required=True)

    tsp = problems.add_parser(
        "tsp",
        help="a TSPLIB .tsp/.atsp file, by CE over tours with 2-opt/or-opt on the elite",
        description="Shortest tour of a TSPLIB instance: CE over cemopt.Permutation with "
        "local search on the elite (or plain CE). Prints the tour in TSPLIB node numbers. "
        "No --executor or --checkpoint: the TSP solver does not take them.",
        allow_abbrev=False,
    )
    tsp.add_argument("file", metavar="FILE", help="TSPLIB file (.tsp or .atsp)")
    tsp.add_argument("--time-limit", type=_positive_float, metavar="S", help="seconds")
    tsp.add_argument("--max-iter", type=_positive_int, default=500, help="iterations (500)")
    tsp.add_argument("--n-samples", type=_positive_int, help="tours per iteration")
    tsp.add_argument(
        "--no-local-search", action="store_true", help="plain CE (the reference method)"
    )
    _add_target(tsp, "stop at a tour this short (default: the known optimum)")
    _add_common(tsp, progress=True, plot="the tour (or the history without coordinates)")
    tsp.set_defaults(handler=_solve_tsp)

    vrp = problems.add_parser(
        "vrp",
        help="a CVRPLIB .vrp file (needs vrplib), by CE over giant tours",
        description="Capacitated vehicle routing on a CVRPLIB instance: CE over giant "
        "tours split optimally into routes. Reads files with vrplib (pip install "
        "'cemopt[routing]'). No --executor, --progress or --checkpoint.",
        allow_abbrev=False,
    )
    vrp.add_argument("file", metavar="FILE", help="CVRPLIB file (.vrp)")
    vrp.add_argument("--time-limit", type=_positive_float, metavar="S", help="seconds")
    vrp.add_argument("--max-iter", type=_positive_int, help="iterations")
    vrp.add_argument("--n-samples", type=_positive_int, help="giant tours per iteration")
    vrp.add_argument("--local-search", action="store_true", help="improve the best routes")
    vrp.add_argument(
        "--max-vehicles",
        default="auto",
        help="'auto' (the trucks stated in the file), 'none', or a number",
    )
    _add_common(vrp, plot="the routes")
    vrp.set_defaults(handler=_solve_vrp)

    maxcut = problems.add_parser(
        "maxcut",
        help="max-cut of an edge-list FILE, or of the synthetic two-block graph",
        description="Maximum cut by CE over Bernoulli node sides. FILE: an edge list "
        "('u v' or 'u v weight' per line, or networkx's 'u v {dict}'), .graphml or .gml; "
        "without FILE, the synthetic two-block graph with a known optimum.",
        allow_abbrev=False,
    )
    maxcut.add_argument("file", metavar="FILE", nargs="?", help="graph file (optional)")
    maxcut.add_argument("--n", type=_positive_int, default=400, help="nodes (synthetic, 400)")
    maxcut.add_argument("--m", type=_positive_int, default=200, help="first block (200)")
    maxcut.add_argument("--c", type=_positive_float, default=1.0, help="weight between blocks (1)")
    maxcut.add_argument(
        "--instance-seed", type=_seed, default=2024, help="seed of the synthetic graph (2024)"
    )
    _add_budget(maxcut)
    _add_target(maxcut, "stop at a cut this large (default: the known optimum)")
    _add_common(maxcut, executor=True, progress=True, checkpoint=True, plot="the history")
    maxcut.set_defaults(handler=_solve_maxcut)

    for fn in functions.FUNCTIONS.values():
        sub = problems.add_parser(
            fn.name,
            help=f"the {fn.name} test function ({fn.sense} {fn.f_opt:g})",
            description=f"{fn.name} on [{fn.lower:g}, {fn.upper:g}]^d ({fn.sense}imum "
            f"{fn.f_opt:g}) by CE over a full-covariance Gaussian started uniformly in the "
            "box, with restarts while the budget lasts.",
            allow_abbrev=False,
        )
        dims = f"dimension ({' or '.join(map(str, fn.dims))})" if fn.dims else "dimension (10)"
        sub.add_argument("--dim", type=_positive_int, help=dims)
        _add_budget(sub, max_evals=100_000)
        _add_target(sub, "stop at this value (default: the optimum within 1e-8)")
        _add_common(sub, executor=True, progress=True, checkpoint=True, plot="the history")
        sub.set_defaults(handler=_solve_function)

    # -- estimate
    estimate = commands.add_parser(
        "estimate",
        help="rare-event probability of a reference model with an exact answer",
        description="P(S(X) >= gamma) by multilevel CE importance sampling (or crude Monte "
        "Carlo) for the reference models of cemopt.problems.rare_events, against their "
        "exact values. Network reliability: see 'cemopt reliability'.",
        allow_abbrev=False,
    )
    models = estimate.add_subparsers(dest="model", metavar="MODEL", required=True)
    for name, factory in rare_events.MODELS.items():
        sub = models.add_parser(
            name,
            help=(inspect.getdoc(factory) or "").splitlines()[0],
            description=(inspect.getdoc(factory) or "").split("\n\n")[0],
            allow_abbrev=False,
        )
        sub.set_defaults(model_params=_model_options(sub, factory))
        _add_estimator(sub)
        sub.add_argument("--crude", action="store_true", help="crude Monte Carlo, n-final samples")
        sub.add_argument("--max-iter", type=_positive_int, default=100, help="CE levels (100)")
        _add_common(sub, executor=True, plot="the levels and the estimate")
        sub.set_defaults(handler=_estimate)

    # -- reliability
    reliability = commands.add_parser(
        "reliability",
        help="network unreliability: dodecahedron, grid, or an edge-list FILE",
        description="Probability that independent link failures disconnect the terminals: "
        "exact (frontier dynamic programme) and/or estimated (CE-tuned merge process by "
        "default). NETWORK: 'dodecahedron' (terminals 0 and 19), 'grid' (--rows x --cols, "
        "opposite corners), or an edge-list FILE with 'u v' or 'u v q' lines (q: the "
        "link's failure probability).",
        allow_abbrev=False,
    )
    reliability.add_argument("network", metavar="NETWORK", help="dodecahedron, grid or FILE")
    reliability.add_argument("--rows", type=_positive_int, default=3, help="grid rows (3)")
    reliability.add_argument("--cols", type=_positive_int, default=10, help="grid columns (10)")
    reliability.add_argument(
        "--terminals",
        nargs="+",
        metavar="NODE",
        help="terminal nodes (grid nodes as 'row,col'), or 'all'",
    )
    reliability.add_argument(
        "--q", type=_probability, help="failure probability of every link (default 0.01)"
    )
    reliability.add_argument(
        "--method",
        choices=(*network_reliability.METHODS, "exact"),
        default="ce-turnip",
        help="estimator (ce-turnip), or 'exact' alone",
    )
    reliability.add_argument(
        "--exact", action="store_true", help="also compute the exact value and compare"
    )
    reliability.add_argument(
        "--max-frontier", type=_positive_int, default=12, help="limit of the exact method (12)"
    )
    _add_estimator(reliability, n_final=10_000)
    _add_common(reliability, executor=True, plot="the network")
    reliability.set_defaults(handler=_reliability)

    # -- buffers
    buffers = commands.add_parser(
        "buffers",
        help="buffer allocation in a flow line of unreliable machines",
        description="Where should --slots buffer slots go between the machines of a flow "
        "line? CE over slot assignments scored by simulation with common random numbers; "
        "the finalists are re-simulated. Rates are of exponential times. No --executor "
        "or --checkpoint (the simulations share random numbers within a batch).",
        allow_abbrev=False,
    )
    buffers.add_argument(
        "--rates", type=_positive_float, nargs="+", required=True, help="processing rates"
    )
    buffers.add_argument("--slots", type=_positive_int, required=True, help="slots to allocate")
    buffers.add_argument("--failure-rates", type=_nonnegative_float, nargs="+", metavar="RATE")
    buffers.add_argument("--repair-rates", type=_positive_float, nargs="+", metavar="RATE")
    buffers.add_argument(
        "--n-parts", type=_positive_int, default=1000, help="parts per simulation (1000)"
    )
    buffers.add_argument("--n-samples", type=_positive_int, help="allocations per iteration")
    buffers.add_argument("--max-iter", type=_positive_int, default=30, help="iterations (30)")
    buffers.add_argument(
        "--exact", action="store_true", help="the exact throughput of the answer (Markov chain)"
    )
    _add_common(buffers, progress=True, plot="the history")
    buffers.set_defaults(handler=_buffers)

    # -- compare
    compare = commands.add_parser(
        "compare",
        help="cemopt against other optimisers on the same budgets and seeds",
        description="Run optimisers on problems with the same evaluation budget and seeds "
        "(cemopt.compare); prints the summary table. PROBLEM: a test function name "
        "(sphere, rastrigin, ...), maxcut, tsp, or a TSPLIB file. --list shows the "
        "optimisers.",
        allow_abbrev=False,
    )
    compare.add_argument("problems", metavar="PROBLEM", nargs="*", help="problems to compare on")
    compare.add_argument(
        "--optimizers",
        nargs="+",
        default=["cemopt", "random", "differential_evolution"],
        help="optimiser names (default: cemopt random differential_evolution)",
    )
    compare.add_argument("--list", action="store_true", help="list the optimisers and exit")
    compare.add_argument(
        "--budget", type=_positive_int, default=10_000, help="evaluations per run (10000)"
    )
    compare.add_argument(
        "--seeds", type=_seed, nargs="+", default=[0, 1, 2, 3, 4], help="seeds (0 1 2 3 4)"
    )
    compare.add_argument("--dim", type=_positive_int, default=10, help="test function dimension")
    compare.add_argument("--target", type=_finite_float, help="success threshold (all problems)")
    compare.add_argument(
        "--no-stop-at-target", action="store_true", help="use the whole budget in every run"
    )
    compare.add_argument("--options", metavar="JSON", help="per-optimizer options as JSON")
    compare.add_argument("--csv", metavar="FILE", help="write the runs as CSV")
    compare.add_argument("--trace-csv", metavar="FILE", help="write the improvements as CSV")
    compare.add_argument("--output", metavar="FILE", help="write everything as JSON")
    _add_common(
        compare, executor=True, progress=True, seed=False, plot="the ECDF of evaluations to targets"
    )
    compare.set_defaults(handler=_compare)
    return parser


def _probability(text: str) -> float:
    value = _finite_float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a probability in [0, 1], got {text!r}")
    return value


def _nonnegative_float(text: str) -> float:
    value = _finite_float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def _fraction(text: str) -> float:
    value = _finite_float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}")
    return value


def _add_budget(parser: argparse.ArgumentParser, max_evals: int | None = None) -> None:
    default = f" ({max_evals})" if max_evals else ""
    parser.add_argument(
        "--max-evals", type=_positive_int, default=max_evals, help=f"evaluations{default}"
    )
    parser.add_argument("--max-iter", type=_positive_int, help="iterations")
    parser.add_argument("--time-limit", type=_positive_float, metavar="S", help="seconds")
    parser.add_argument("--n-samples", type=_positive_int, help="samples per iteration")


def _add_target(parser: argparse.ArgumentParser, text: str) -> None:
    parser.add_argument("--target", type=_finite_float, help=text)
    parser.add_argument("--no-target", action="store_true", help="no target: use the budget")


def _add_estimator(parser: argparse.ArgumentParser, n_final: int = 100_000) -> None:
    group = parser.add_argument_group("estimator")
    group.add_argument(
        "--n-samples", type=_positive_int, default=1000, help="samples per CE level (1000)"
    )
    group.add_argument(
        "--n-final", type=_positive_int, default=n_final, help=f"final samples ({n_final})"
    )
    group.add_argument("--elite-frac", type=_fraction, default=0.1, help="elite fraction rho (0.1)")
    group.add_argument("--smoothing", type=_fraction, default=0.7, help="smoothing alpha (0.7)")
    group.add_argument(
        "--level", type=_fraction, default=0.95, help="confidence level of the interval (0.95)"
    )


# -------------------------------------------------------------------------- main
def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, KeyError):
        text = f"{type(exc).__name__}: {text}"
    return text


def _show_warnings(caught: list[warnings.WarningMessage], stream: Any) -> list[str]:
    shown = []
    for item in caught:
        if issubclass(item.category, (DeprecationWarning, PendingDeprecationWarning)):
            continue
        if issubclass(item.category, (FutureWarning, ResourceWarning)):
            continue
        text = f"{item.category.__name__}: {' '.join(str(item.message).split())}"
        if text not in shown:
            shown.append(text)
            stream.write(f"cemopt: warning: {text}\n")
    return shown


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``cemopt`` command; returns the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        0 done, 2 bad options or input (one line on stderr), 130 interrupted.

    Examples
    --------
    >>> main(["solve", "rastrigin", "--dim", "2", "--max-evals", "3000"])
    ... # doctest: +ELLIPSIS
    rastrigin in 2 dimensions (minimum 0), CE over a full-covariance Gaussian
      f           ...
    0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _check_plot(args.plot)
        for option in ("checkpoint",):
            _check_output(getattr(args, option, None), f"--{option}")
        if getattr(args, "resume", None) is not None:
            _check_input(args.resume, "--resume")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            document, lines, figure = args.handler(args)
            if args.plot and figure is not None:
                import matplotlib.pyplot as plt

                fig = figure()
                fig.savefig(args.plot, dpi=120, bbox_inches="tight")
                plt.close(fig)
        shown = _show_warnings(caught, sys.stderr)
    except KeyboardInterrupt:
        sys.stderr.write("cemopt: interrupted\n")
        return 130
    except (CLIError, ValueError, TypeError, OSError, ImportError, KeyError) as exc:
        if os.environ.get("CEMOPT_TRACEBACK"):
            raise
        sys.stderr.write(f"cemopt: error: {_one_line(exc)}\n")
        return 2
    if args.json:
        if args.plot:
            document["plot"] = args.plot
        document["warnings"] = shown
        lines = [json.dumps(_jsonable(document))]
    elif args.plot:
        lines.append(
            f"figure: {args.plot}" if figure is not None else "(no figure for this output)"
        )
    try:
        print("\n".join(lines), flush=True)
    except BrokenPipeError:  # `cemopt ... | head`: the reader left, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 130 if document.get("status") == "interrupted" else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
