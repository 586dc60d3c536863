"""The model: a network with unreliable links and the terminals that must stay
connected (:class:`Network`)."""

from __future__ import annotations

import numbers
from collections.abc import Hashable, Iterable
from typing import Any

import networkx as nx
import numpy as np

from ._batch import terminals_connected
from ._exact import frontier_width


class Network:
    """A network with unreliable links and the terminals that must stay connected.

    Parameters
    ----------
    graph : networkx.Graph or networkx.MultiGraph
        Undirected; parallel links (a MultiGraph) count as separate links, self-loops
        are allowed (they never matter). At least one link.
    terminals : iterable of nodes, optional
        The nodes that must stay connected: two (two-terminal), more (K-terminal), or
        None for all nodes (all-terminal). At least two distinct nodes of ``graph``.
    failure_prob : float, array_like or str, default "failure_prob"
        One probability for every link, one per link in ``graph.edges`` order, or the
        name of the edge attribute that holds each link's probability. Each in [0, 1].

    Attributes
    ----------
    graph : networkx.Graph
        A frozen copy of the graph.
    nodes : list
        The nodes; node ``i`` of the arrays is ``nodes[i]``.
    links : list of tuple
        The links in ``graph.edges`` order (with keys for a MultiGraph).
    edges : ndarray of int, shape (m, 2)
        The links as node indices.
    failure_prob : ndarray, shape (m,)
        ``q_e`` (read-only).
    terminals : ndarray of int
        Terminal node indices.

    Examples
    --------
    >>> import networkx as nx
    >>> from cemopt.problems.network_reliability import exact_unreliability
    >>> net = Network(nx.cycle_graph(4), terminals=[0, 2], failure_prob=0.1)
    >>> net
    Network(4 nodes, 4 links, two-terminal [0, 2], failure_prob in [0.1, 0.1])
    >>> round(exact_unreliability(net), 15)      # both 2-link paths broken: (1 - 0.9**2)**2
    0.0361
    """

    def __init__(
        self,
        graph: nx.Graph,
        terminals: Iterable[Hashable] | None = None,
        failure_prob: float | Iterable[float] | str = "failure_prob",
    ) -> None:
        if not isinstance(graph, nx.Graph):
            raise TypeError(f"`graph` must be a networkx Graph or MultiGraph, but got {graph!r}.")
        if graph.is_directed():
            raise ValueError("`graph` must be undirected, but got a directed graph.")
        if graph.number_of_edges() == 0:
            raise ValueError(f"`graph` must have at least one link, but got {graph!r}.")
        self.graph = nx.freeze(graph.copy())
        self.nodes = list(self.graph.nodes)
        index = {node: i for i, node in enumerate(self.nodes)}
        multi = self.graph.is_multigraph()
        self.links = list(self.graph.edges(keys=True) if multi else self.graph.edges)
        edges = np.array([(index[u], index[v]) for u, v, *_ in self.links], dtype=np.int64)
        edges.setflags(write=False)
        self.edges = edges
        self.failure_prob = _failure_probs(self.graph, self.links, failure_prob)
        self.terminals = _terminal_indices(terminals, index)

    # ------------------------------------------------------------------ facts
    @property
    def n_nodes(self) -> int:
        return len(self.nodes)

    @property
    def n_edges(self) -> int:
        return self.edges.shape[0]

    @property
    def kind(self) -> str:
        """``"two-terminal"``, ``"K-terminal"`` or ``"all-terminal"``."""
        k = self.terminals.size
        return "all-terminal" if k == self.n_nodes else "two-terminal" if k == 2 else "K-terminal"

    def __repr__(self) -> str:
        q = self.failure_prob
        where = "" if self.kind == "all-terminal" else f" {[self.nodes[t] for t in self.terminals]}"
        return (
            f"Network({self.n_nodes} nodes, {self.n_edges} links, {self.kind}{where}, "
            f"failure_prob in [{q.min():.3g}, {q.max():.3g}])"
        )

    def connected(self, working: Any) -> np.ndarray:
        """Whether the working links of each state connect the terminals.

        Parameters
        ----------
        working : array_like of bool, shape (N, m) or (m,)
            ``True`` where the link works.

        Returns
        -------
        ndarray of bool, shape (N,) (or a bool for one state)

        Examples
        --------
        >>> import networkx as nx
        >>> net = Network(nx.path_graph(3), failure_prob=0.1)     # all-terminal
        >>> net.connected([[True, True], [True, False]]).tolist()
        [True, False]
        """
        states = np.asarray(working)
        one = states.ndim == 1
        states = np.atleast_2d(states)
        if states.shape[1:] != (self.n_edges,):
            raise ValueError(
                f"`working` must have shape (N, {self.n_edges}), but got shape {states.shape}."
            )
        result = terminals_connected(self.n_nodes, self.edges, self.terminals, states != 0)
        return bool(result[0]) if one else result

    def frontier_width(self) -> int:
        """The frontier width :func:`exact_unreliability` would meet (compare ``max_frontier``).

        >>> Network.grid(3, 40, 0.1).frontier_width()
        4
        """
        return frontier_width(self.n_nodes, self.edges, self.terminals)

    def with_failure_prob(self, failure_prob: float | Iterable[float]) -> Network:
        """The same network with other failure probabilities.

        >>> import networkx as nx
        >>> Network(nx.path_graph(2), failure_prob=0.1).with_failure_prob(0.5).failure_prob
        array([0.5])
        """
        return Network(self.graph, [self.nodes[t] for t in self.terminals], failure_prob)

    def subnetwork(self, keep: Any) -> Network:
        """The network of the links where ``keep`` is true (all nodes kept).

        >>> import networkx as nx
        >>> net = Network(nx.cycle_graph(3), terminals=[0, 1], failure_prob=0.2)
        >>> net.subnetwork([True, False, True]).n_edges
        2
        """
        keep = np.asarray(keep)
        if keep.shape != (self.n_edges,):
            raise ValueError(
                f"`keep` must have shape ({self.n_edges},), but got shape {keep.shape}."
            )
        graph = nx.MultiGraph() if self.graph.is_multigraph() else nx.Graph()
        graph.add_nodes_from(self.nodes)
        for link, q, kept in zip(self.links, self.failure_prob, keep, strict=True):
            if kept:
                graph.add_edge(link[0], link[1], failure_prob=q)
        return Network(graph, [self.nodes[t] for t in self.terminals], "failure_prob")

    # ------------------------------------------------------------------ examples
    @classmethod
    def dodecahedron(cls, failure_prob: float = 0.01, terminals: Iterable[int] = (0, 19)):
        """The dodecahedron (20 nodes, 30 links), the benchmark network of [1]_.

        Every node has degree 3, so with a common ``q`` the unreliability is about
        ``2 q**3`` for two terminals (either terminal cut off).

        >>> Network.dodecahedron(1e-3).n_edges
        30
        """
        return cls(nx.dodecahedral_graph(), terminals, failure_prob)

    @classmethod
    def grid(
        cls,
        rows: int,
        cols: int,
        failure_prob: float = 0.01,
        terminals: Iterable[tuple[int, int]] | None | str = "corners",
    ) -> Network:
        """A ``rows x cols`` grid; terminals at opposite corners by default.

        >>> Network.grid(3, 4, 0.1).n_edges
        17
        """
        graph = nx.grid_2d_graph(rows, cols)
        if isinstance(terminals, str) and terminals == "corners":
            terminals = [(0, 0), (rows - 1, cols - 1)]
        return cls(graph, terminals, failure_prob)


def _failure_probs(graph: nx.Graph, links: list, failure_prob: Any) -> np.ndarray:
    if isinstance(failure_prob, str):
        attribute = failure_prob
        data = (
            graph.edges(keys=True, data=attribute)
            if graph.is_multigraph()
            else graph.edges(data=attribute)
        )
        values = [value for *_, value in data]
        missing = [link for link, value in zip(links, values, strict=True) if value is None]
        if missing:
            raise ValueError(
                f"`failure_prob` names the edge attribute {attribute!r}, but links "
                f"{missing[:3]} do not have it; give it to every link, or pass one number."
            )
        q = np.array(values, dtype=float) if all(_is_real(v) for v in values) else None
        if q is None:
            raise TypeError(
                f"edge attribute {attribute!r} must hold real numbers, but got {values[:5]}."
            )
    elif _is_real(failure_prob):
        q = np.full(len(links), float(failure_prob))
    else:
        try:
            q = np.array(failure_prob, dtype=float)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                "`failure_prob` must be a number, one number per link, or an edge attribute "
                f"name, but got failure_prob={failure_prob!r}."
            ) from exc
        if q.shape != (len(links),):
            raise ValueError(
                f"`failure_prob` must have one value per link ({len(links)}), but got shape "
                f"{q.shape}."
            )
    bad = ~((q >= 0) & (q <= 1))  # also catches NaN
    if bad.any():
        raise ValueError(
            f"`failure_prob` must be in [0, 1], but got failure_prob={q[bad][0]!r} for link "
            f"{links[int(np.argmax(bad))]!r}."
        )
    q.setflags(write=False)
    return q


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _terminal_indices(terminals: Any, index: dict) -> np.ndarray:
    if terminals is None:
        return np.arange(len(index))
    if isinstance(terminals, (str, bytes)) or not isinstance(terminals, Iterable):
        raise TypeError(f"`terminals` must be a list of nodes or None, but got {terminals!r}.")
    terminals = list(terminals)
    missing = [t for t in terminals if t not in index]
    if missing:
        raise ValueError(f"`terminals` must be nodes of the graph, but {missing[0]!r} is not.")
    unique = list(dict.fromkeys(terminals))
    if len(unique) < 2:
        raise ValueError(
            f"`terminals` must name at least two distinct nodes, but got terminals={terminals!r}."
        )
    return np.array([index[t] for t in unique], dtype=np.int64)
