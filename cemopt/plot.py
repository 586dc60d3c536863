"""Drawings with matplotlib: tours, vehicle routes, and the information curves of a run.

matplotlib is imported inside the functions, and nothing in the engine imports this
module, so ``import cemopt`` never loads it.

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

__all__ = ["plot_information", "plot_routes", "plot_tour"]


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
