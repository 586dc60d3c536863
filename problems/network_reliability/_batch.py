"""Vectorised connectivity kernels for whole batches of edge states or edge times.

A network here is plain arrays: ``n_nodes``, ``edges`` (int ``(m, 2)``) and
``terminals`` (int ``(k,)``). Each kernel handles a batch of ``N`` samples at once,
without a Python loop over samples:

- :func:`terminals_connected`: do the working edges connect the terminals? One call of
  ``scipy.sparse.csgraph.connected_components`` on the block-diagonal union of the
  ``N`` graphs.
- :func:`connection_times`: given edge repair times, the time at which the terminals
  first become connected (a bottleneck / minimax value) and how many edges had been
  repaired by then; a Kruskal sweep over the edges in time order, with component
  labels for all samples updated together (``O(m N n)`` array work).
- :func:`min_cut_sizes`: the number of working edges in a smallest cut separating the
  terminals (0 when they are disconnected); maximum flows of the block-diagonal union
  from a super-source, one per terminal pair ``(t_0, t_j)``.

>>> import numpy as np
>>> edges = np.array([[0, 1], [1, 2], [0, 2]])     # a triangle
>>> working = np.array([[1, 1, 1], [0, 1, 0], [1, 0, 0]], dtype=bool)
>>> terminals_connected(3, edges, np.array([0, 2]), working).tolist()
[True, False, False]
>>> min_cut_sizes(3, edges, np.array([0, 2]), working).tolist()
[2, 0, 0]
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

__all__ = ["terminals_connected", "connection_times", "min_cut_sizes"]


def _block_edges(n_nodes: int, edges: np.ndarray, keep: np.ndarray):
    """Endpoints of the kept edges, shifted into the block of their sample."""
    sample, edge = np.nonzero(keep)
    offset = sample * n_nodes
    return edges[edge, 0] + offset, edges[edge, 1] + offset


def terminals_connected(
    n_nodes: int, edges: np.ndarray, terminals: np.ndarray, working: np.ndarray
) -> np.ndarray:
    """Whether the working edges of each sample connect all the terminals.

    Parameters
    ----------
    n_nodes, edges, terminals
        The network (see the module docstring).
    working : ndarray of bool, shape (N, m)
        ``True`` where the edge works.

    Returns
    -------
    ndarray of bool, shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> terminals_connected(2, np.array([[0, 1]]), np.array([0, 1]),
    ...                     np.array([[True], [False]])).tolist()
    [True, False]
    """
    n = working.shape[0]
    rows, cols = _block_edges(n_nodes, edges, working)
    size = n * n_nodes
    graph = sparse.csr_matrix((np.ones(rows.size, dtype=np.int8), (rows, cols)), (size, size))
    _, labels = csgraph.connected_components(graph, directed=False)
    at_terminals = labels.reshape(n, n_nodes)[:, terminals]
    return np.all(at_terminals == at_terminals[:, :1], axis=1)


def connection_times(
    n_nodes: int, edges: np.ndarray, terminals: np.ndarray, times: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """When the terminals first connect, if edge ``e`` appears at ``times[:, e]``.

    This is the bottleneck value ``min over terminal-connecting trees of max time``
    (for two terminals, the minimax path). It is ``inf`` where even all edges leave
    the terminals apart.

    Parameters
    ----------
    n_nodes, edges, terminals
        The network.
    times : ndarray of float, shape (N, m)
        Edge appearance (repair) times.

    Returns
    -------
    time : ndarray, shape (N,)
        The connection time.
    rank : ndarray of int, shape (N,)
        How many edges had appeared when the terminals connected (the critical number
        of the order; ``m + 1`` where they never connect).
    order : ndarray of int, shape (N, m)
        The edges of each sample in order of appearance (``argsort`` of ``times``).

    Examples
    --------
    >>> import numpy as np
    >>> edges = np.array([[0, 1], [1, 2], [0, 2]])
    >>> time, rank, _ = connection_times(3, edges, np.array([0, 2]),
    ...                                  np.array([[0.5, 0.2, 0.9], [0.1, 0.3, 0.2]]))
    >>> time.tolist(), rank.tolist()
    ([0.5, 0.2], [2, 2])
    """
    n, m = times.shape
    order = np.argsort(times, axis=1, kind="stable")
    labels = np.broadcast_to(np.arange(n_nodes), (n, n_nodes)).copy()
    time = np.full(n, np.inf)
    rank = np.full(n, m + 1, dtype=np.int64)
    pending = np.arange(n)  # samples whose terminals are not yet connected
    for step in range(m):
        edge = order[pending, step]
        lab = labels[pending]
        a = lab[np.arange(pending.size), edges[edge, 0]]
        b = lab[np.arange(pending.size), edges[edge, 1]]
        # merge component a into b (a no-op where a == b)
        lab = np.where(lab == a[:, None], b[:, None], lab)
        labels[pending] = lab
        at_terminals = lab[:, terminals]
        done = np.all(at_terminals == at_terminals[:, :1], axis=1)
        if done.any():
            finished = pending[done]
            time[finished] = times[finished, edge[done]]
            rank[finished] = step + 1
            pending = pending[~done]
            if pending.size == 0:
                break
    return time, rank, order


def min_cut_sizes(
    n_nodes: int, edges: np.ndarray, terminals: np.ndarray, working: np.ndarray
) -> np.ndarray:
    """Working edges in a smallest cut separating the terminals, for each sample.

    A cut separating the terminals separates ``t_0`` from some ``t_j``, so the value is
    the least of the ``k - 1`` minimum ``(t_0, t_j)`` cuts, each found for the whole
    batch by one maximum flow from a super-source joined to every block's ``t_0`` to a
    super-sink joined to every block's ``t_j`` (the blocks do not interact, so the flow
    through each block is that block's own maximum flow).

    Parameters
    ----------
    n_nodes, edges, terminals
        The network; parallel edges add their capacities.
    working : ndarray of bool, shape (N, m)

    Returns
    -------
    ndarray of int, shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> min_cut_sizes(2, np.array([[0, 1], [0, 1]]), np.array([0, 1]),
    ...               np.array([[True, True], [True, False]])).tolist()
    [2, 1]
    """
    n, m = working.shape
    rows, cols = _block_edges(n_nodes, edges, working)
    size = n * n_nodes
    source, sink = size, size + 1
    big = m + 1  # more than any cut, so the super-arcs are never the bottleneck
    offsets = np.arange(n) * n_nodes
    best = np.full(n, m, dtype=np.int64)
    for t in terminals[1:]:
        heads = np.concatenate([rows, cols, np.full(n, source), offsets + t])
        tails = np.concatenate([cols, rows, offsets + terminals[0], np.full(n, sink)])
        capacity = np.concatenate([np.ones(2 * rows.size), np.full(2 * n, big)])
        graph = sparse.csr_matrix(
            (capacity.astype(np.int32), (heads, tails)), shape=(size + 2, size + 2)
        )
        flow = csgraph.maximum_flow(graph, source, sink).flow
        per_sample = np.asarray(flow[source, offsets + terminals[0]].todense()).ravel()
        best = np.minimum(best, per_sample.astype(np.int64))
    return best
