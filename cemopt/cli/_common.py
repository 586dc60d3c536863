"""What every subcommand shares: the report type, one-line errors, executors, input and
output files, the JSON and text formatting of results."""

from __future__ import annotations

import argparse
import contextlib
import math
import numbers
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

#: what a subcommand hands back: the JSON document, the text lines, the figure maker
Report = tuple[dict[str, Any], list[str], Callable[[], Any] | None]


class CLIError(Exception):
    """A problem with the command line or its files, reported in one line (exit 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors in one line: ``cemopt: error: ... (see ... --help)``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"cemopt: error: {message} (see '{self.prog} --help')\n")


#: API parameter -> the option that sets it, where the two names differ
_FLAG_ALIASES = {
    "processing_rates": "rates",
    "failure_prob": "q",
    "max_vehicles": "max_vehicles",
}


#: positional arguments, named by their metavar
_POSITIONALS = {"file": "FILE", "network": "NETWORK", "problems": "PROBLEM", "model": "MODEL"}


#: API parameters that a subcommand fixes without an option: what they are, in words,
#: and what to add after their value
_FIXED = {
    "elite_frac": ("the elite fraction", " (which this command fixes; no option sets it)"),
    "b": ("the largest within-block weight b", " (which this command fixes)"),
    "capacity": ("the file's CAPACITY", ""),
}


def _flag_names(message: str, args: argparse.Namespace) -> str:
    """An error of the library in the words of the command line: each API parameter
    that an option of this subcommand sets is named by that option (`processing_rates`
    -> `--rates`, n_samples=3 -> --n-samples 3); one the subcommand fixes without an
    option is described (`elite_frac` -> the elite fraction, "which this command
    fixes"), and an elite too small for --n-samples says how many samples it takes."""
    options = set(vars(args))
    fixed = {name: words for name, words in _FIXED.items() if name not in options}
    # the elite fraction in force, before its name is replaced
    frac = re.search(r"\belite_frac=([0-9.eE+-]+)", message) if "elite_frac" in fixed else None

    def option(name: str) -> str | None:
        if name in _POSITIONALS and name in options:
            return _POSITIONALS[name]
        for dest in (_FLAG_ALIASES.get(name, name), f"model_{name}"):
            if dest in options and dest not in ("command", "handler", "json", "plot"):
                flag = dest.removeprefix("model_") if dest.startswith("model_") else dest
                return "--" + flag.replace("_", "-")
        return None

    def word(name: str) -> str:
        return option(name) or (fixed[name][0] if name in fixed else name)

    def in_ticks(match: re.Match) -> str:
        inner = re.sub(r"\b[A-Za-z_]\w*\b", lambda m: word(m[0]), match[1])
        return f"`{inner}`"

    def fixed_value(match: re.Match) -> str:
        words, note = fixed[match[1]]
        return f"{words} {match[2]}{note}"

    message = re.sub(r"`([^`]*)`", in_ticks, message)
    message = re.sub(
        r"\b([A-Za-z_]\w*)=", lambda m: f"{option(m[1])} " if option(m[1]) else m[0], message
    )
    if fixed:
        names = "|".join(map(re.escape, fixed))
        message = re.sub(rf"\b({names})=([^\s,)]*[^\s,.)])", fixed_value, message)
    if frac is not None and "--n-samples" in message and "elite" in message:
        try:
            need = math.ceil(round(1.0 / float(frac[1]), 9))
        except (ValueError, ZeroDivisionError):
            return message
        message += f" Give --n-samples {need} or more."
    return message


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, KeyError):
        text = f"{type(exc).__name__}: {text}"
    return text


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


def _read_edge_list(path: str, weight: str) -> Any:
    """An undirected ``networkx.MultiGraph`` from an edge list ("u v" or "u v w" or
    "u v {dict}") or a GraphML/GML file.

    Every line is one link: a pair of nodes written twice is two parallel links, kept
    as such (the reliability model counts them as separate links; max-cut adds their
    weights). :func:`_parallel_links` counts them, for the command to say what it did.
    """
    import networkx as nx

    file = _check_input(path, "graph file")
    try:
        suffix = file.suffix.lower()
        if suffix == ".graphml":
            graph = nx.read_graphml(file, force_multigraph=True)
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
            graph = nx.parse_edgelist(rows, nodetype=str, data=data, create_using=nx.MultiGraph)
    except (ValueError, TypeError, IndexError, SyntaxError, UnicodeDecodeError) as exc:
        raise CLIError(f"cannot read the graph file {path}: {_one_line(exc)}") from None
    except nx.NetworkXException as exc:
        raise CLIError(f"cannot read the graph file {path}: {_one_line(exc)}") from None
    graph = nx.MultiGraph(graph.to_undirected() if graph.is_directed() else graph)
    if graph.number_of_edges() == 0:
        raise CLIError(f"cannot read the graph file {path}: no edges")
    return graph


def _parallel_links(graph: Any) -> tuple[int, int]:
    """``(pairs, extra)``: node pairs joined by more than one link, and the links beyond
    the first of each pair."""
    if not graph.is_multigraph():
        return 0, 0
    counts: dict[frozenset, int] = {}
    for u, v in graph.edges():
        key = frozenset((u, v))
        counts[key] = counts.get(key, 0) + 1
    extra = [c - 1 for c in counts.values() if c > 1]
    return len(extra), sum(extra)


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
    if x is None:  # a run stopped before any evaluation finished
        return "none (no evaluation finished)"
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


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
