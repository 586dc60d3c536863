"""Figures of a :class:`cemopt.compare.Comparison`: convergence, ECDF, final values.

matplotlib is imported inside the functions; each returns its Figure, ready for
``savefig``. Values are drawn as gaps to the problem's reference value (the known
optimum, else the best value any run found), ``|f - f_ref| / max(1, |f_ref|)``
toward worse, on a log scale; a gap of 0 (the optimum itself) is drawn at ``floor``.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from cemopt.compare import compare
>>> from cemopt._compare_plots import plot_ecdf
>>> result = compare(["sphere"], ["cemopt", "random"], budget=500, seeds=[0, 1], dim=2)
>>> fig = plot_ecdf(result)
>>> fig.axes[0].get_xscale()
'log'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["default_targets", "plot_convergence", "plot_ecdf", "plot_final_values"]


def default_targets(kind: str) -> np.ndarray:
    """COCO's 51 targets 10^2 .. 10^-8 for continuous problems; 10^0 .. 10^-4 and 0
    (the optimum itself) for discrete ones, whose gaps are relative.

    Examples
    --------
    >>> len(default_targets("continuous")), default_targets("binary")[-1]
    (51, np.float64(0.0))
    """
    if kind == "continuous":
        return np.logspace(2, -8, 51)
    return np.r_[np.logspace(0, -4, 21), 0.0]


def _pyplot() -> Any:
    import matplotlib.pyplot as plt

    return plt


def _grid(n: int, ncols: int, size: tuple[float, float], figsize: Any) -> tuple[Any, list]:
    plt = _pyplot()
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    figsize = figsize or (size[0] * ncols, size[1] * nrows)
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False)
    axes = list(axes.ravel())
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def _pick(comparison: Any, problems: Any, optimizers: Any) -> tuple[list[str], list[str]]:
    problems = list(comparison.problems) if problems is None else _names(problems, "problems")
    optimizers = (
        list(comparison.optimizers) if optimizers is None else _names(optimizers, "optimizers")
    )
    for name, known, arg in (
        *((p, comparison.problems, "problems") for p in problems),
        *((o, comparison.optimizers, "optimizers") for o in optimizers),
    ):
        if name not in known:
            raise ValueError(f"`{arg}` must be among {list(known)}, but got {name!r}.")
    return problems, optimizers


def _names(value: Any, arg: str) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _runs(comparison: Any, problem: str, optimizer: str) -> list[Any]:
    """Runs that evaluated something (unavailable and empty runs have nothing to draw)."""
    return [r for r in comparison.select(problem, optimizer) if r.trace]


def _colors(optimizers: list[str]) -> dict[str, Any]:
    cycle = _pyplot().rcParams["axes.prop_cycle"].by_key()["color"]
    return {name: cycle[i % len(cycle)] for i, name in enumerate(optimizers)}


def _label(comparison: Any, problem: str) -> str:
    info = comparison.problems[problem]
    ref = "f*" if info["optimum"] is not None else "f_best"
    _, scale = comparison.reference(problem)
    gap = f"|f − {ref}|" if scale == 1.0 else f"|f − {ref}| / |{ref}|"
    return gap


def plot_convergence(
    comparison: Any,
    *,
    problems: Any = None,
    optimizers: Any = None,
    x: str = "evaluations",
    floor: float = 1e-9,
    ncols: int = 3,
    figsize: Any = None,
) -> Any:
    """Best value so far against evaluations (or seconds), median and quartiles over seeds.

    One panel per problem; for each optimiser the median gap across seeds as a line
    and the band between the 25 % and 75 % quantiles, both on log scales.

    Parameters
    ----------
    comparison : Comparison
    problems, optimizers : str or sequence of str, optional
        Subsets to draw (default: all).
    x : {"evaluations", "time"}
    floor : float, default 1e-9
        Where gaps of 0 are drawn (log scale).
    ncols : int, default 3
    figsize : (float, float), optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from cemopt.compare import compare
    >>> fig = plot_convergence(compare("sphere", ["random"], budget=200, seeds=[0], dim=2))
    >>> fig.axes[0].get_title()
    'sphere'
    """
    if x not in ("evaluations", "time"):
        raise ValueError(f"`x` must be 'evaluations' or 'time', but got x={x!r}.")
    problems, optimizers = _pick(comparison, problems, optimizers)
    column = 0 if x == "evaluations" else 2
    colors = _colors(optimizers)
    fig, axes = _grid(len(problems), ncols, (4.6, 3.4), figsize)
    for ax, problem in zip(axes, problems, strict=True):
        runs = {o: _runs(comparison, problem, o) for o in optimizers}
        ends = [t[column] for rs in runs.values() for r in rs for t in r.trace]
        if x == "evaluations":
            last = max([r.evaluations for rs in runs.values() for r in rs], default=1)
            points = np.unique(np.geomspace(1, max(last, 1), 200).round())
        else:
            lo, hi = (min(ends), max(ends)) if ends else (1e-6, 1.0)
            points = np.geomspace(max(lo, 1e-6), max(hi, 2 * max(lo, 1e-6)), 200)
        for optimizer, rs in runs.items():
            if not rs:
                continue
            curves = np.array([_step(r.trace, column, points) for r in rs])
            gaps = np.maximum(comparison.gap(problem, curves), floor)
            drawn = ~np.isnan(curves).any(axis=0)  # from where every run has a value
            if not drawn.any():
                continue
            q25, median, q75 = np.quantile(gaps[:, drawn], [0.25, 0.5, 0.75], axis=0)
            ax.plot(points[drawn], median, color=colors[optimizer], label=optimizer)
            ax.fill_between(points[drawn], q25, q75, color=colors[optimizer], alpha=0.2, lw=0)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(problem)
        ax.set_xlabel("evaluations" if x == "evaluations" else "seconds")
        ax.set_ylabel(_label(comparison, problem))
        ax.grid(True, which="major", alpha=0.3)
    for ax in axes:  # each panel names its own optimisers (they differ by problem kind)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def _step(trace: Sequence[tuple[int, float, float]], column: int, points: np.ndarray):
    """The best-so-far step function of a trace at ``points`` (NaN before the first)."""
    at = np.array([t[column] for t in trace], dtype=float)
    values = np.array([t[1] for t in trace], dtype=float)
    index = np.searchsorted(at, points, side="right") - 1
    return np.where(index >= 0, values[np.maximum(index, 0)], np.nan)


def _hits(comparison: Any, record: Any, targets: np.ndarray) -> np.ndarray:
    """First evaluation reaching each target gap (inf when never reached)."""
    if not record.trace:
        return np.full(len(targets), np.inf)
    at = np.array([t[0] for t in record.trace], dtype=float)
    gaps = comparison.gap(record.problem, [t[1] for t in record.trace])  # non-increasing
    reached = gaps[None, :] <= targets[:, None]
    first = np.where(reached.any(axis=1), reached.argmax(axis=1), -1)
    return np.where(first >= 0, at[np.maximum(first, 0)], np.inf)


def plot_ecdf(
    comparison: Any,
    *,
    targets: Any = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    optimizers: Any = None,
    figsize: Any = None,
) -> Any:
    """Empirical cumulative distribution of evaluations to targets, as in COCO.

    For each optimiser, the fraction of (run, target) pairs whose target gap was
    reached within the number of evaluations on the (log) x axis, over all runs of
    the problems in a panel. Runs that failed count as reaching nothing;
    unavailable optimisers are left out of a panel.

    Parameters
    ----------
    comparison : Comparison
    targets : array_like, optional
        Target gaps ``|f - f_ref| / max(1, |f_ref|)`` (see the module docstring).
        Default :func:`default_targets` of each panel's kind.
    groups : dict, optional
        Panel title -> problem names. Default: one panel per problem kind.
    optimizers : str or sequence of str, optional
    figsize : (float, float), optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from cemopt.compare import compare
    >>> fig = plot_ecdf(compare("sphere", ["random"], budget=200, seeds=[0], dim=2),
    ...                 targets=[1.0, 0.1])
    >>> [float(y) for y in fig.axes[0].get_ylim()]
    [0.0, 1.0]
    """
    _, optimizers = _pick(comparison, None, optimizers)
    if groups is None:
        by_kind: dict[str, list[str]] = {}
        for name, info in comparison.problems.items():
            by_kind.setdefault(info["kind"], []).append(name)
        size = {"continuous": "d", "binary": "n", "permutation": "n"}
        groups = {
            f"{kind}: {', '.join(names)} ({size.get(kind, 'd')}={_dims(comparison, names)})": names
            for kind, names in by_kind.items()
        }
    else:
        for names in groups.values():
            _pick(comparison, names, None)
    if targets is not None:
        targets = np.asarray(targets, dtype=float)
        if (
            targets.ndim != 1
            or targets.size == 0
            or np.any(~np.isfinite(targets))
            or np.any(targets < 0)
        ):
            raise ValueError(
                "`targets` must be a non-empty 1-d array of finite gaps >= 0, "
                f"but got targets={targets!r}."
            )
    colors = _colors(optimizers)
    fig, axes = _grid(len(groups), 2, (5.2, 3.8), figsize)
    for ax, (title, names) in zip(axes, groups.items(), strict=True):
        kind = comparison.problems[names[0]]["kind"]
        panel_targets = default_targets(kind) if targets is None else targets
        budget = max(r.budget for p in names for r in comparison.select(p))
        for optimizer in optimizers:
            runs = [
                r
                for p in names
                for r in comparison.select(p, optimizer)
                if r.status != "unavailable"
            ]
            if not runs:
                continue
            hits = np.concatenate([_hits(comparison, r, panel_targets) for r in runs])
            done = np.sort(hits[np.isfinite(hits)])
            xs = np.r_[1.0, done, budget]
            ys = np.r_[0.0, np.arange(1, done.size + 1), done.size] / hits.size
            ax.step(xs, ys, where="post", color=colors[optimizer], label=optimizer)
        ax.axvline(budget, color="0.6", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_ylim(0.0, 1.0)
        ax.set_xlim(1, budget * 1.05)
        ax.set_title(title, fontsize="medium")
        ax.set_xlabel("evaluations")
        ax.set_ylabel(f"fraction of (run, target) pairs ({len(panel_targets)} targets)")
        ax.grid(True, alpha=0.3)
    for ax in axes:
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize="small", loc="upper left")
    fig.tight_layout()
    return fig


def _dims(comparison: Any, names: list[str]) -> str:
    dims = sorted({comparison.problems[n]["dim"] for n in names})
    return ", ".join(map(str, dims))


def plot_final_values(
    comparison: Any,
    *,
    problems: Any = None,
    optimizers: Any = None,
    gap: bool = True,
    floor: float = 1e-9,
    ncols: int = 3,
    figsize: Any = None,
) -> Any:
    """Box plot of the final best values across seeds, one panel per problem.

    Parameters
    ----------
    comparison : Comparison
    problems, optimizers : str or sequence of str, optional
    gap : bool, default True
        Draw gaps to the reference on a log scale (zeros at ``floor``); False draws
        the values themselves on a linear scale.
    floor : float, default 1e-9
    ncols : int, default 3
    figsize : (float, float), optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from cemopt.compare import compare
    >>> result = compare("sphere", ["random", "cemopt"], budget=300, seeds=[0, 1], dim=2)
    >>> [t.get_text() for t in plot_final_values(result).axes[0].get_xticklabels()]
    ['random', 'cemopt']
    """
    problems, optimizers = _pick(comparison, problems, optimizers)
    fig, axes = _grid(len(problems), ncols, (4.6, 3.4), figsize)
    colors = _colors(optimizers)
    for ax, problem in zip(axes, problems, strict=True):
        data, labels = [], []
        for optimizer in optimizers:
            finals = np.array(
                [r.best for r in comparison.select(problem, optimizer) if np.isfinite(r.best)]
            )
            if finals.size == 0:
                continue
            data.append(np.maximum(comparison.gap(problem, finals), floor) if gap else finals)
            labels.append(optimizer)
        if data:
            boxes = ax.boxplot(data, tick_labels=labels, patch_artist=True)
            for patch, label in zip(boxes["boxes"], labels, strict=True):
                patch.set_facecolor(colors[label])
                patch.set_alpha(0.5)
        if gap:
            ax.set_yscale("log")
            ax.set_ylabel(_label(comparison, problem))
        else:
            ax.set_ylabel("final best value")
        ax.set_title(problem)
        ax.tick_params(axis="x", labelrotation=30)
        ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    return fig
