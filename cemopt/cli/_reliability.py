"""``cemopt reliability NETWORK``: network unreliability, exact and/or estimated."""

from __future__ import annotations

import argparse
import time
from typing import Any

from ._common import CLIError, Report, _count, _executor, _g, _parallel_links, _read_edge_list
from ._estimate import _estimate_report


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
    parallel = (0, 0)
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
        parallel = _parallel_links(graph)
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
        "parallel_links": parallel[1],
        "exact": exact,
    }
    lines = [
        f"{source}: {network.n_nodes} nodes, {network.n_edges} links, {network.kind} "
        f"({terminals_text}), failure probabilities in "
        f"[{network.failure_prob.min():.3g}, {network.failure_prob.max():.3g}]",
    ]
    if parallel[0]:
        lines.append(
            f"  parallel links: {_count(parallel[0], 'node pair')} joined by more than one "
            f"link ({_count(parallel[1], 'extra link')}); each link is kept and fails on its own"
        )
    if est is None:
        document.update(method="exact", probability=exact, seconds=round(seconds, 3))
        lines.append(f"  exact unreliability {_g(exact, 10)} ({seconds:.2f} s)")
    else:
        part, more = _estimate_report(est, exact, args.level, seconds)
        document.update(part)
        document["method"] = args.method
        lines += [f"  method      {args.method}", *more, f"  {seconds:.2f} s"]

    def figure() -> Any:
        from ..plot import plot_network

        title = f"{source}: unreliability {_g(exact if est is None else est.probability, 4)}"
        return plot_network(network, title=title).figure

    return document, lines, figure
