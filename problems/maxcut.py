r"""Max-cut: split the nodes of a weighted graph in two so that the total weight of
the edges between the halves is largest. The classic CE example (Rubinstein 2002;
de Boer, Kroese, Mannor & Rubinstein 2005, section 3.1).

A cut is a 0/1 vector ``x`` (node ``i`` is on side ``x_i``); its value is
:math:`\sum_{i<j} w_{ij} [x_i \ne x_j]`. CE samples cuts from independent
Bernoulli(p) coordinates and refits ``p`` to the elite cuts; node 0 is kept on side 1
(p_0 = 1), since a cut and its complement are the same cut.

Examples
--------
>>> import numpy as np
>>> from cemopt.problems.maxcut import MaxCut, solve
>>> problem = MaxCut.synthetic(n=20, m=10, rng=0)
>>> res = solve(problem, rng=1)
>>> bool(res.fun == problem.optimum)
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import networkx as nx
import numpy as np

import cemopt as ce

__all__ = ["MaxCut", "solve"]


class MaxCut:
    """A max-cut instance on a symmetric, non-negative weight matrix.

    Parameters
    ----------
    weights : array_like, shape (n, n), or networkx.Graph
        Symmetric non-negative weights with a zero diagonal, or a graph whose edges
        carry a ``weight`` attribute (1 when absent; parallel edges add up).
    optimum : float, optional
        The known optimal cut value, when one is known (see :meth:`synthetic`).

    Attributes
    ----------
    weights : ndarray (n, n), read-only
    n_nodes : int
    optimum : float or None
    """

    def __init__(self, weights: Any, *, optimum: float | None = None) -> None:
        if isinstance(weights, nx.Graph):
            self.nodes = list(weights.nodes)
            matrix = nx.to_numpy_array(
                weights, nodelist=self.nodes, weight="weight", multigraph_weight=sum
            )
        else:
            matrix = np.array(weights, dtype=float)
            self.nodes = list(range(matrix.shape[0])) if matrix.ndim == 2 else []
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] < 2:
            raise ValueError(
                "`weights` must be a square (n, n) matrix with n >= 2, "
                f"but got shape {matrix.shape}."
            )
        if not np.all(np.isfinite(matrix)) or np.any(matrix < 0):
            raise ValueError("`weights` must be finite and non-negative.")
        if not np.allclose(matrix, matrix.T, rtol=1e-12, atol=0):
            raise ValueError("`weights` must be symmetric (an undirected graph).")
        if np.any(np.diag(matrix) != 0):
            raise ValueError("`weights` must have a zero diagonal (self-loops never cross a cut).")
        matrix.setflags(write=False)
        self.weights = matrix
        self.n_nodes = matrix.shape[0]
        self.optimum = optimum

    @classmethod
    def synthetic(
        cls, n: int, m: int, c: float = 1.0, *, a: float = 0.0, b: float = 1.0, rng: Any = None
    ) -> MaxCut:
        r"""The two-block instance with a known optimum (Rubinstein & Kroese 2004).

        .. math:: C = \begin{pmatrix} Z_{11} & B_{12} \\ B_{21} & Z_{22} \end{pmatrix}

        Within each block (nodes ``0..m-1`` and ``m..n-1``) the weights are
        U(a, b), symmetric; between blocks they are ``c``; the diagonal is 0. When
        ``c >= b (n - m) / m`` the optimal cut separates the blocks, with value
        ``c m (n - m)`` (exposed as ``.optimum``; ``.optimal_cut`` is the 0/1 vector).
        """
        for name, value in (("n", n), ("m", m)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"`{name}` must be an integer, but got {name}={value!r}.")
        if not 1 <= m < n:
            raise ValueError(f"`1 <= m < n` must hold, but got m={m}, n={n}.")
        if not 0 <= a <= b:
            raise ValueError(f"`0 <= a <= b` must hold, but got a={a}, b={b}.")
        if c < b * (n - m) / m:
            raise ValueError(
                f"`c >= b * (n - m) / m` must hold for the optimum to be known, but got "
                f"c={c}, b={b}, n={n}, m={m}."
            )
        generator = np.random.default_rng(rng)
        upper = np.triu(generator.uniform(a, b, size=(n, n)), k=1)
        weights = upper + upper.T
        weights[:m, m:] = c
        weights[m:, :m] = c
        problem = cls(weights, optimum=float(c * m * (n - m)))
        problem.optimal_cut = np.r_[np.ones(m, dtype=np.int8), np.zeros(n - m, dtype=np.int8)]
        return problem

    @classmethod
    def from_graph(cls, graph: nx.Graph) -> MaxCut:
        """Same as ``MaxCut(graph)``: a networkx graph with optional ``weight`` attributes."""
        return cls(graph)

    def cut_value(self, X: Any) -> np.ndarray:
        """Cut values of a batch of 0/1 vectors, shape (n_samples, n_nodes) -> (n_samples,).

        A single cut of shape ``(n_nodes,)`` gives a float.
        """
        cuts = np.asarray(X)
        single = cuts.ndim == 1
        cuts = np.atleast_2d(cuts)
        if cuts.shape[-1] != self.n_nodes or cuts.ndim != 2:
            raise ValueError(
                f"`X` must have shape (n_samples, {self.n_nodes}), but got {np.shape(X)}."
            )
        if not np.isin(cuts, (0, 1)).all():
            raise ValueError("`X` must hold only 0 and 1 (the side of each node).")
        side = cuts.astype(float)
        # sum over ordered pairs i on side 1, j on side 0 counts every cut edge once
        values = np.einsum("ij,ij->i", side @ self.weights, 1.0 - side)
        return float(values[0]) if single else values

    def __repr__(self) -> str:
        known = "" if self.optimum is None else f", optimum={self.optimum:g}"
        return f"MaxCut(n_nodes={self.n_nodes}{known})"


def solve(
    problem: MaxCut,
    *,
    rng: Any = None,
    max_evals: int | None = None,
    time_limit: float | None = None,
    callback: Callable[[ce.OptimizeResult], Any] | None = None,
    progress: bool = False,
    **options: Any,
) -> ce.OptimizeResult:
    """Find a maximum cut by CE over Bernoulli node sides.

    Parameters
    ----------
    problem : MaxCut
    rng : None, int or numpy.random.Generator
    max_evals : int, optional
        Cuts sampled and scored, at most.
    time_limit : float, optional
        Seconds (status ``"time_limit"``).
    callback : callable, optional
        ``callback(intermediate_result)`` after each iteration; True stops the run.
    progress : bool, default False
        A one-line progress bar on stderr.
    **options
        Passed to :func:`cemopt.maximize` (``n_samples``, ``elite_frac``,
        ``smoothing``, ``max_iter``, ``target``, ``executor``, ``checkpoint``, ...).
        The target defaults to ``problem.optimum`` when it is known.

    Returns
    -------
    OptimizeResult
        ``res.x`` is the best cut (int8 0/1, node 0 on side 1), ``res.fun`` its value.

    Examples
    --------
    >>> problem = MaxCut.synthetic(n=20, m=10, rng=0)
    >>> res = solve(problem, rng=0, max_evals=20_000)
    >>> res.fun == problem.optimum, int(res.x[0])
    (True, 1)
    """
    if not isinstance(problem, MaxCut):
        raise TypeError(f"`problem` must be a MaxCut, but got {type(problem).__name__}.")
    p0 = np.full(problem.n_nodes, 0.5)
    p0[0] = 1.0  # a cut and its complement are the same cut: fix node 0's side
    if problem.optimum is not None:
        options.setdefault("target", problem.optimum)
    return ce.maximize(
        problem.cut_value,
        ce.Bernoulli(p0),
        vectorized=True,
        rng=rng,
        max_evals=max_evals,
        time_limit=time_limit,
        callback=callback,
        progress=progress,
        **options,
    )
