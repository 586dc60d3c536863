"""Figures of results with matplotlib, one for each kind of result.

- :func:`plot_history`: the level and best value of an optimisation run by iteration.
- :func:`plot_params`: how the sampling family's parameters evolved (a heatmap for
  probabilities: Bernoulli, Categorical, Permutation transition matrices; lines for
  means and standard deviations: Normal, MultivariateNormal, Exponential).
- :func:`plot_information`: entropy of the family and KL step of each update.
- :func:`plot_rare_event`: the level sequence of a rare-event estimate and the estimate
  with its confidence interval (against the exact value when known).
- :func:`plot_tour`, :func:`plot_routes`: a tour, vehicle routes.
- :func:`plot_network`: a network with its links coloured by failure probability.
- :func:`plot_convergence`, :func:`plot_ecdf`, :func:`plot_final_values`: comparisons
  made by :func:`cemopt.compare.compare` (from :mod:`cemopt._compare_plots`).

matplotlib is imported inside the functions, and nothing in the engine imports this
module, so ``import cemopt`` never loads it. Functions that draw one panel take
``ax=`` and return the Axes (``ax.figure.savefig(...)``); those that draw several
return the Figure. Nothing is ever shown.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from cemopt.plot import plot_tour
>>> ax = plot_tour([[0, 0], [1, 0], [1, 1], [0, 1]], [0, 1, 2, 3], title="square")
>>> ax.get_title()
'square'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._compare_plots import plot_convergence, plot_ecdf, plot_final_values

__all__ = [
    "plot_convergence",
    "plot_ecdf",
    "plot_final_values",
    "plot_history",
    "plot_information",
    "plot_network",
    "plot_params",
    "plot_rare_event",
    "plot_routes",
    "plot_tour",
]


def _points(coordinates: Any) -> np.ndarray:
    xy = np.asarray(coordinates, dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ValueError(
            f"`coordinates` must have shape (n, 2), but got shape {np.shape(coordinates)}."
        )
    return xy


def _axes(ax: Any) -> Any:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax


def plot_tour(coordinates: Any, tour: Any, *, ax: Any = None, title: str | None = None) -> Any:
    """Draw a closed tour through points in the plane.

    Parameters
    ----------
    coordinates : array_like, shape (n, 2)
    tour : array_like of int, shape (n,)
        A permutation of ``0..n-1``; the closing edge back to ``tour[0]`` is drawn.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when None.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_tour([[0, 0], [2, 0], [1, 1]], [0, 1, 2])
    >>> len(ax.lines)
    1
    """
    xy = _points(coordinates)
    order = np.asarray(tour, dtype=np.int64)
    if order.shape != (xy.shape[0],) or not np.array_equal(np.sort(order), np.arange(xy.shape[0])):
        raise ValueError(
            f"`tour` must be a permutation of 0..{xy.shape[0] - 1}, but got shape {order.shape}."
        )
    ax = _axes(ax)
    closed = np.r_[order, order[:1]]
    ax.plot(xy[closed, 0], xy[closed, 1], "-", color="tab:blue", linewidth=1.2, zorder=1)
    ax.scatter(xy[:, 0], xy[:, 1], s=12, color="black", zorder=2)
    ax.scatter(*xy[order[0]], s=50, marker="s", color="tab:red", zorder=3)
    ax.set_aspect("equal", adjustable="datalim")
    if title is not None:
        ax.set_title(title)
    return ax


def plot_routes(
    coordinates: Any,
    routes: Sequence[Sequence[int]],
    *,
    depot: int = 0,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Draw vehicle routes: each depot -> customers -> depot in its own colour.

    Parameters
    ----------
    coordinates : array_like, shape (n, 2)
    routes : list of lists of int
        Customer node indices of each route, the depot excluded.
    depot : int, default 0
    ax : matplotlib.axes.Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> xy = [[0, 0], [1, 0], [1, 1], [-1, 0], [-1, -1]]
    >>> ax = plot_routes(xy, [[1, 2], [3, 4]], title="2 routes")
    >>> len(ax.lines), ax.get_title()
    (2, '2 routes')
    """
    xy = _points(coordinates)
    n = xy.shape[0]
    if isinstance(depot, bool) or not isinstance(depot, (int, np.integer)) or not 0 <= depot < n:
        raise ValueError(f"`depot` must be a node index in 0..{n - 1}, but got depot={depot!r}.")
    paths = []
    for route in routes:
        nodes = np.asarray(route, dtype=np.int64).reshape(-1)
        if np.any((nodes < 0) | (nodes >= n)) or np.any(nodes == depot):
            raise ValueError(
                f"`routes` must hold customer indices in 0..{n - 1} other than the depot "
                f"{depot}, but got route={list(route)!r}."
            )
        paths.append(np.r_[depot, nodes, depot])
    import matplotlib.pyplot as plt

    ax = _axes(ax)
    colours = plt.get_cmap("tab10" if len(paths) <= 10 else "tab20")
    for k, path in enumerate(paths):
        ax.plot(xy[path, 0], xy[path, 1], "-", color=colours(k % colours.N), linewidth=1.2)
    ax.scatter(xy[:, 0], xy[:, 1], s=12, color="black", zorder=2)
    ax.scatter(*xy[depot], s=60, marker="s", color="tab:red", zorder=3)
    ax.set_aspect("equal", adjustable="datalim")
    if title is not None:
        ax.set_title(title)
    return ax


def plot_information(result: Any, *, ax: Any = None, title: str | None = None) -> Any:
    """Entropy of the sampling distribution and KL step of each update, by iteration.

    The entropy (nats, left axis) shows the distribution concentrating; the KL
    divergence between successive families (nats, right axis, log scale) shows how far
    each update moved it, which is what the ``kl_tol`` stopping rule watches.

    Parameters
    ----------
    result : OptimizeResult or RareEventResult
        Anything with ``history.entropy`` and ``history.kl``.
    ax : matplotlib.axes.Axes, optional
        Axes for the entropy; the KL gets a twin axis. A new figure when None.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        The entropy axes; ``ax.right_ax`` is the KL axes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import cemopt as ce
    >>> res = ce.maximize(lambda X: X.sum(axis=1), ce.Bernoulli([0.5] * 8),
    ...                   n_samples=100, vectorized=True, rng=0)
    >>> ax = plot_information(res, title="one-max")
    >>> len(ax.lines), len(ax.right_ax.lines), ax.get_xlabel()
    (1, 1, 'iteration')
    """
    history = getattr(result, "history", None)
    if not (hasattr(history, "entropy") and hasattr(history, "kl")):
        raise TypeError(
            "`result` must be an OptimizeResult or RareEventResult (with history.entropy "
            f"and history.kl), but got {type(result).__name__}."
        )
    entropy = np.asarray(history.entropy, dtype=float)
    kl = np.asarray(history.kl, dtype=float)
    iterations = np.arange(1, entropy.size + 1)
    ax = _axes(ax)
    ax.plot(iterations, entropy, "-", color="tab:blue", label="entropy")
    ax.set_xlabel("iteration")
    ax.set_ylabel("entropy (nats)", color="tab:blue")
    right = ax.twinx()
    positive = kl > 0  # a log scale shows the positive steps; NaN (no closed form) is left out
    right.plot(iterations[positive], kl[positive], ".-", color="tab:red", label="KL step")
    if positive.any():
        right.set_yscale("log")
    right.set_ylabel("KL(new || previous) (nats)", color="tab:red")
    ax.right_ax = right
    if title is not None:
        ax.set_title(title)
    return ax


# ------------------------------------------------------------------ optimisation runs
def _history(result: Any, columns: tuple[str, ...]) -> Any:
    history = getattr(result, "history", None)
    if not all(hasattr(history, c) for c in columns):
        raise TypeError(
            f"`result` must be an OptimizeResult (with history.{', history.'.join(columns)}), "
            f"but got {type(result).__name__}."
        )
    if len(history) == 0:
        raise ValueError("`result` must have at least one iteration in its history, but got 0.")
    return history


def plot_history(
    result: Any,
    *,
    ax: Any = None,
    logy: bool | None = None,
    title: str | None = None,
) -> Any:
    """The level and the best value of an optimisation run, by iteration.

    Draws the level gamma_t (the worst elite value, what CE raises or lowers each
    iteration), the best value of each batch and the best value so far, in the
    caller's sign (maximisation runs climb). Restarts are marked by dotted vertical
    lines. For a noisy problem whose answer is re-evaluated at the end (the buffer
    allocation's ``AllocationResult``: ``candidates`` and ``std_error``), that answer
    is marked too, a red diamond with its 95 % interval and a dashed line: the best
    value so far is then the maximum of noisy estimates and reads too high.

    Parameters
    ----------
    result : OptimizeResult
        From :func:`cemopt.minimize`, :func:`cemopt.maximize` or a problem's solver.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when None.
    logy : bool, optional
        Log scale for the values. Default: when every value is positive and they span
        more than two decades.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import cemopt as ce
    >>> res = ce.minimize(lambda X: (X**2).sum(axis=1), ce.Normal([3.0, 3.0], [1.0, 1.0]),
    ...                   n_samples=100, vectorized=True, max_iter=20, rng=0)
    >>> ax = plot_history(res, title="sphere")
    >>> [line.get_label() for line in ax.lines], ax.get_yscale()
    (['level', 'batch best', 'best so far'], 'log')
    """
    history = _history(result, ("level", "best", "best_so_far", "restart"))
    iterations = np.arange(1, len(history) + 1)
    series = {
        "level": np.asarray(history.level, dtype=float),
        "batch best": np.asarray(history.best, dtype=float),
        "best so far": np.asarray(history.best_so_far, dtype=float),
    }
    ax = _axes(ax)
    styles = {"level": ("-", "tab:blue"), "batch best": (":", "tab:orange")}
    styles["best so far"] = ("-", "tab:green")
    for label, values in series.items():
        style, colour = styles[label]
        ax.plot(iterations, values, style, color=colour, label=label)
    for start in np.flatnonzero(np.diff(np.asarray(history.restart)) != 0) + 1:
        ax.axvline(start + 0.5, color="0.5", lw=0.8, ls=":")
    final_se = getattr(result, "std_error", None)
    if getattr(result, "candidates", None) is not None and result.fun is not None:
        # a noisy problem's answer (buffer allocation): x re-simulated at the end; the
        # "best so far" above is the maximum of noisy estimates, biased upwards
        fun = float(result.fun)
        se = float(final_se) if final_se is not None and np.isfinite(final_se) else 0.0
        ax.axhline(fun, color="tab:red", lw=1.0, ls="--", zorder=0)
        ax.errorbar(
            [len(history) + 0.5],
            [fun],
            yerr=[[1.96 * se], [1.96 * se]],
            fmt="D",
            color="tab:red",
            capsize=3,
            label=f"answer, re-evaluated: {fun:.4g} ± {1.96 * se:.2g} (95%)",
        )
        series["answer"] = np.array([fun])
    if logy is None:
        finite = np.concatenate([v[np.isfinite(v)] for v in series.values()])
        logy = bool(finite.size and finite.min() > 0 and finite.max() / finite.min() > 100)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("objective value")
    ax.legend(fontsize="small")
    ax.grid(True, alpha=0.3)
    if title is not None:
        ax.set_title(title)
    return ax


#: parameters drawn as a heatmap (probabilities); the others are drawn as lines
_PROBABILITIES = {"p", "probs", "P", "weights"}


def plot_params(
    result: Any,
    *,
    iteration: int = -1,
    max_lines: int = 10,
    figsize: Any = None,
) -> Any:
    """How the sampling family's parameters evolved over a run (``keep_params=True``).

    One panel per parameter in ``result.history.params``:

    - Bernoulli ``p`` (and any probability vector): a heatmap of the probability of
      each coordinate (columns) by iteration (rows), on a fixed 0-1 colour scale.
    - Categorical ``probs`` and Permutation transition matrices ``P``: a heatmap of the
      matrix at ``iteration`` (the last by default); for a Categorical also the
      probability of each coordinate's final mode by iteration, which shows the
      distribution concentrating.
    - Means (Normal, MultivariateNormal, Exponential): one line per coordinate.
    - Scales: Normal ``std`` and MultivariateNormal ``sqrt(diag(cov))``, one line per
      coordinate, log scale.

    With more than ``max_lines`` coordinates, lines give way to a heatmap. Parameters
    of a ``Product`` family appear under their joined names (``"a.mean"``).

    Parameters
    ----------
    result : OptimizeResult
        A run made with ``keep_params=True``.
    iteration : int, default -1
        Which iteration's matrix to draw for matrix parameters (Python indexing).
    max_lines : int, default 10
    figsize : (float, float), optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import cemopt as ce
    >>> res = ce.maximize(lambda X: X.sum(axis=1), ce.Bernoulli([0.5] * 6), n_samples=60,
    ...                   vectorized=True, keep_params=True, rng=0)
    >>> fig = plot_params(res)
    >>> fig.axes[0].get_title(), fig.axes[0].get_ylabel()
    ('p', 'iteration')
    """
    history = _history(result, ("params",))
    if not history.params:
        raise ValueError(
            "`result` must come from a run with keep_params=True (its history.params is "
            "empty), but got no parameters."
        )
    if isinstance(iteration, bool) or not isinstance(iteration, (int, np.integer)):
        raise TypeError(f"`iteration` must be an integer, but got iteration={iteration!r}.")
    n_iter = len(history)
    if not -n_iter <= iteration < n_iter:
        raise ValueError(
            f"`iteration` must be in [{-n_iter}, {n_iter - 1}], but got iteration={iteration}."
        )
    panels = []  # (title, kind, data)
    for name, value in history.params.items():
        value = np.asarray(value, dtype=float)
        short = name.rsplit(".", 1)[-1]
        if short == "cov" and value.ndim == 3:
            scales = np.sqrt(np.diagonal(value, axis1=1, axis2=2))
            panels.append((f"{name[: -len('cov')]}std (sqrt diag cov)", "scale", scales))
        elif short in _PROBABILITIES and value.ndim == 2:
            panels.append((name, "probability", value))
        elif value.ndim == 3:
            panels.append(
                (f"{name} at iteration {np.arange(n_iter)[iteration] + 1}", "matrix", value)
            )
            if short == "probs":
                mode = value[-1].argmax(axis=1)
                by_iter = np.take_along_axis(value, mode[None, :, None], axis=2)[..., 0]
                panels.append((f"{name} of the final mode", "probability", by_iter))
        elif value.ndim == 2:
            panels.append((name, "scale" if short in ("std", "scale") else "line", value))
        # other shapes (scalars per iteration, deeper nesting) have no standard picture
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(
        len(panels), 1, figsize=figsize or (6.4, 2.8 * len(panels)), squeeze=False
    )
    iterations = np.arange(1, n_iter + 1)
    for ax, (title, kind, data) in zip(axes[:, 0], panels, strict=True):
        ax.set_title(title)
        if kind == "matrix":
            matrix = data[iteration]
            image = ax.imshow(matrix, vmin=0.0, vmax=1.0, cmap="viridis", aspect="auto")
            transitions = matrix.shape[0] == matrix.shape[1] and title.split(".")[-1][:1] == "P"
            ax.set_xlabel("to node" if transitions else "category")
            ax.set_ylabel("from node" if transitions else "coordinate")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            fig.colorbar(image, ax=ax, label="probability")
        elif kind == "probability" or data.shape[1] > max_lines:
            bounds = {"vmin": 0.0, "vmax": 1.0} if kind == "probability" else {}
            image = ax.imshow(
                data,
                aspect="auto",
                origin="lower",
                interpolation="nearest",
                cmap="viridis",
                extent=(-0.5, data.shape[1] - 0.5, 0.5, n_iter + 0.5),
                **bounds,
            )
            ax.set_xlabel("coordinate")
            ax.set_ylabel("iteration")
            fig.colorbar(image, ax=ax, label="probability" if kind == "probability" else "value")
        else:
            for j in range(data.shape[1]):
                ax.plot(iterations, data[:, j], "-", label=f"[{j}]")
            if kind == "scale" and np.all(data > 0):
                ax.set_yscale("log")
            ax.set_xlabel("iteration")
            ax.set_ylabel("value")
            ax.grid(True, alpha=0.3)
            if data.shape[1] > 1:
                ax.legend(fontsize="x-small", ncol=min(5, data.shape[1]))
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------ rare events
def plot_rare_event(
    result: Any,
    *,
    exact: float | None = None,
    gamma: float | None = None,
    level: float = 0.95,
    figsize: Any = None,
    log_exact: float | None = None,
) -> Any:
    """The level sequence of a rare-event estimate and the estimate with its interval.

    Left: the levels gamma_1, gamma_2, ... by iteration, climbing to ``gamma``.
    Right: each estimate with its ``level`` confidence interval, and the exact value as
    a horizontal line when given; a log scale when the values span more than a decade.
    An estimate of 0 (no sample in the event) is drawn as a downward triangle at the
    upper end of its interval. Where a probability underflows (below 1e-300, 0.0 as
    a float: ``P(Z >= 40)``, say), the right panel is drawn in log10 p instead, from
    ``log_probability`` and :meth:`RareEventResult.log_ci`, so that it is never empty.

    Parameters
    ----------
    result : RareEventResult or dict of str -> RareEventResult
        One estimate, or several by label (several methods on one problem: CE and
        crude Monte Carlo, say) drawn side by side.
    exact : float, optional
        The true probability.
    gamma : float, optional
        The target level, drawn as a horizontal line (the last level of a successful
        run is gamma itself).
    level : float, default 0.95
        Confidence level of the intervals (:meth:`RareEventResult.ci`).
    figsize : (float, float), optional
    log_exact : float, optional
        Natural log of the true probability, for an exact value that underflows.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes: the levels, then the estimates.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import cemopt as ce
    >>> from scipy import stats
    >>> S = lambda X: X.sum(axis=1)      # a sum of 4 exponentials: Gamma(4, 1)
    >>> est = ce.estimate(S, ce.Exponential([1.0] * 4), 20.0, n_final=2000, rng=0)
    >>> fig = plot_rare_event({"CE": est}, exact=stats.gamma.sf(20.0, 4), gamma=20.0)
    >>> [t.get_text() for t in fig.axes[1].get_xticklabels()], len(fig.axes[0].lines)
    (['CE'], 2)
    """
    results = dict(result) if isinstance(result, dict) else {"estimate": result}
    for label, res in results.items():
        if not all(hasattr(res, a) for a in ("levels", "probability", "ci")):
            raise TypeError(
                "`result` must be a RareEventResult or a dict of them, but got "
                f"{label}={type(res).__name__}."
            )
    if exact is not None and not (np.isfinite(exact) and 0 <= exact <= 1):
        raise ValueError(f"`exact` must be a probability in [0, 1], but got exact={exact!r}.")
    if not 0 < level < 1:
        raise ValueError(f"`0 < level < 1` must hold, but got level={level!r}.")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=figsize or (9.6, 3.6))
    colours = plt.get_cmap("tab10")
    positions = np.arange(len(results))
    if log_exact is None and exact:
        log_exact = float(np.log(exact))
    log_form = any(
        res.probability < 1e-300 and np.isfinite(getattr(res, "log_probability", np.nan))
        for res in results.values()
    ) or (log_exact is not None and log_exact < np.log(1e-300))
    for k, (label, res) in enumerate(results.items()):
        levels = np.asarray(res.levels, dtype=float)
        if levels.size:
            left.plot(np.arange(1, levels.size + 1), levels, "o-", color=colours(k), label=label)
        if log_form:
            to10 = 1 / np.log(10)
            p10 = float(getattr(res, "log_probability", np.nan)) * to10
            low, high = (v * to10 for v in res.log_ci(level)) if hasattr(res, "log_ci") else (
                np.nan, np.nan)  # fmt: skip
            low = max(low, p10 - 3)  # an interval reaching 0 is cut at p / 1000
            if np.isfinite(p10) and np.isfinite(high):
                right.errorbar(
                    [k], [p10], yerr=[[p10 - low], [high - p10]], fmt="o", capsize=4,
                    color=colours(k),
                )  # fmt: skip
            else:
                right.plot([k], [p10], "o", color=colours(k))
            continue
        low, high = res.ci(level)
        p = float(res.probability)
        drawn = p if p > 0 else np.nan  # a log axis has no place for 0
        if np.isfinite(low) and np.isfinite(high) and p > 0:
            below = p - max(low, p * 1e-3)  # an interval reaching 0 is cut at p / 1000
            right.errorbar(
                [k], [p], yerr=[[below], [high - p]], fmt="o", capsize=4, color=colours(k)
            )
        elif p == 0 and np.isfinite(high) and high > 0:
            # nothing seen: a log axis has no 0, so draw the upper bound, pointing down
            right.plot([k], [high], "v", color=colours(k), markersize=8)
        else:
            right.plot([k], [drawn], "o", color=colours(k))
    if gamma is not None:
        left.axhline(gamma, color="tab:red", ls="--", lw=1, label="gamma")
    left.set_xlabel("iteration")
    left.set_ylabel("level gamma_t")
    left.set_title("level sequence")
    left.grid(True, alpha=0.3)
    if left.get_legend_handles_labels()[0]:
        left.legend(fontsize="small")
    if log_form:
        if log_exact is not None and np.isfinite(log_exact):
            e10 = log_exact / np.log(10)
            right.axhline(e10, color="black", ls="--", lw=1, label=f"exact 10^{e10:.6g}")
            right.legend(fontsize="small")
        right.set_xticks(positions, list(results))
        right.set_xlim(-0.6, len(results) - 0.4)
        right.set_ylabel("log10 probability")
        right.set_title(f"estimate, {level:.0%} interval (log10 p: below 1e-300)")
        right.grid(True, axis="y", alpha=0.3)
        fig.tight_layout()
        return fig
    if exact is not None and exact > 0:
        right.axhline(exact, color="black", ls="--", lw=1, label=f"exact {exact:.4g}")
        right.legend(fontsize="small")
    drawn_values = [v for line in right.lines for v in line.get_ydata() if np.isfinite(v) and v > 0]
    drawn_values += [float(res.probability) for res in results.values() if res.probability > 0]
    if exact:
        drawn_values.append(exact)
    if not drawn_values or max(drawn_values) > 10 * min(drawn_values):
        right.set_yscale("log")  # estimates decades apart (crude against CE, say)
    right.set_xticks(positions, list(results))
    right.set_xlim(-0.6, len(results) - 0.4)
    right.set_ylabel("probability")
    right.set_title(f"estimate, {level:.0%} interval")
    right.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- networks
def _network_positions(graph: Any, layout: Any) -> dict:
    import networkx as nx

    if isinstance(layout, dict):
        return layout
    nodes = list(graph.nodes)
    if layout is None:  # grid-like nodes (row, col) are their own positions
        if all(isinstance(v, tuple) and len(v) == 2 for v in nodes):
            return {v: (float(v[1]), -float(v[0])) for v in nodes}
        layout = "kamada_kawai" if len(nodes) <= 200 else "spring"
    simple = nx.Graph(graph)  # layouts want a simple graph; parallel links share a place
    if layout == "kamada_kawai":
        return nx.kamada_kawai_layout(simple)
    if layout == "spring":
        return nx.spring_layout(simple, seed=0)
    if layout == "circular":
        return nx.circular_layout(simple)
    raise ValueError(
        "`layout` must be None, 'kamada_kawai', 'spring', 'circular' or a dict of "
        f"positions, but got layout={layout!r}."
    )


def plot_network(
    network: Any,
    values: Any = None,
    *,
    label: str | None = None,
    layout: Any = None,
    labels: bool | None = None,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """A network with its links coloured by failure probability and its terminals marked.

    ``network`` is a :class:`cemopt.problems.network_reliability.Network` (or anything
    with its ``graph``, ``nodes``, ``edges``, ``terminals`` and ``failure_prob``).
    Links are coloured by ``values`` (one per link, in ``network.links`` order: a CE
    proposal's tuned failure probabilities, say) or by their failure probabilities;
    the colour scale is logarithmic when the values are positive and span more than a
    decade, so that the failure-prone links stand out, and always spans the values
    themselves (one value on every link: a narrow scale around it, not 0 to 1).

    Parameters
    ----------
    network : Network
    values : array_like, shape (m,), optional
        Per-link values; default ``network.failure_prob``.
    label : str, optional
        Colour bar label; default "failure probability".
    layout : None, {"kamada_kawai", "spring", "circular"} or dict
        Node positions. None: a grid's ``(row, col)`` nodes where they are, else
        Kamada-Kawai (spring above 200 nodes). A dict maps node -> (x, y).
    labels : bool, optional
        Write each node's name beside it (grid nodes as "row,col"). Default: for
        networks of at most 60 nodes.
    ax : matplotlib.axes.Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.collections[0]`` holds the links (a ``LineCollection``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from cemopt.problems.network_reliability import Network
    >>> net = Network.grid(3, 4, failure_prob=[0.01] * 16 + [0.2])
    >>> ax = plot_network(net, title="grid")
    >>> len(ax.collections[0].get_segments()), ax.get_title()
    (17, 'grid')
    """
    needed = ("graph", "nodes", "edges", "terminals", "failure_prob")
    if not all(hasattr(network, a) for a in needed):
        raise TypeError(
            "`network` must be a cemopt.problems.network_reliability.Network (with "
            f"{', '.join(needed)}), but got {type(network).__name__}."
        )
    edges = np.asarray(network.edges, dtype=np.int64)
    m = edges.shape[0]
    if values is None:
        values = np.asarray(network.failure_prob, dtype=float)
        label = label or "failure probability"
    else:
        values = np.asarray(values, dtype=float)
        if values.shape != (m,) or not np.all(np.isfinite(values)):
            raise ValueError(
                f"`values` must be {m} finite numbers, one per link, but got shape {values.shape}."
            )
        label = label or "value"
    from matplotlib.collections import LineCollection
    from matplotlib.colors import LogNorm, Normalize

    where = _network_positions(network.graph, layout)
    xy = np.array([where[v] for v in network.nodes], dtype=float)
    ax = _axes(ax)
    positive = values[values > 0]
    if positive.size == m and positive.max() > 10 * positive.min():
        norm = LogNorm(positive.min(), positive.max())
    else:
        low, high = float(values.min()), float(values.max())
        if high <= low:  # one value on every link: a narrow scale around it
            half = 0.1 * abs(low) if low != 0 else 0.5
            low, high = (max(0.0, low - half) if low >= 0 else low - half), high + half
        norm = Normalize(low, high)
    lines = LineCollection(xy[edges], cmap="plasma", norm=norm, linewidths=2.0, zorder=1)
    lines.set_array(values)
    ax.add_collection(lines)
    terminal = np.zeros(len(network.nodes), dtype=bool)
    terminal[np.asarray(network.terminals, dtype=np.int64)] = True
    ax.scatter(xy[~terminal, 0], xy[~terminal, 1], s=18, color="black", zorder=2)
    ax.scatter(
        xy[terminal, 0],
        xy[terminal, 1],
        s=70,
        marker="s",
        color="tab:green",
        zorder=3,
        label="terminals",
    )
    ax.figure.colorbar(lines, ax=ax, label=label)
    ax.autoscale_view()
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xticks([])
    ax.set_yticks([])
    if labels is None:
        labels = len(network.nodes) <= 60
    if labels:
        for (x, y), node in zip(xy, network.nodes, strict=True):
            text = ",".join(map(str, node)) if isinstance(node, tuple) else str(node)
            ax.annotate(
                text,
                (x, y),
                xytext=(4, 4),
                textcoords="offset points",
                fontsize="x-small",
                zorder=4,
            )
    if not terminal.all():
        ax.legend(fontsize="small", loc="best")
    if title is not None:
        ax.set_title(title)
    return ax
