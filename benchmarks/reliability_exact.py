"""Exact network unreliability: cemopt's frontier programme against graphillion's ZDDs.

Graphs that grow: grids 2 x k, 3 x k and 4 x k (k doubling), square grids r x r,
random 3-regular graphs and random geometric graphs (connected, n nodes). Each graph is
solved two-terminal (first and last node: opposite corners of a grid) and all-terminal,
with independent edge failure probabilities drawn uniform in [0.01, 0.2] (seeded).

Ours: ``unreliability_exact`` (validation, reductions, ordering and the programme).
Peer: graphillion (pip install graphillion; a C++ decision-diagram library):
``GraphSet.set_universe(edges, traversal=...)`` then
``GraphSet.reliability(working_probabilities, terminals)``, one OpenMP thread, in a
child process with a memory cap and a time limit (a case beyond them says so). The edge
order decides a decision diagram's size, so graphillion runs twice: with its BFS order
from node 0, and with the edge order our programme uses on the whole graph, passed
as-is. (Its default "greedy" order took 26 s on the 3 x 20 grid and ran out of memory
on 3 x 40.) Seconds are wall-clock, the best of up to 5 repeats for cases under 0.2 s.
``ratio`` is graphillion's better time over ours (above 1: ours is faster);
``agreement`` is ``|U - (1 - R_graphillion)| / U``, the worse of the two runs.

A second table takes q = 1e-6 on every edge, where the unreliability is about 1e-12:
graphillion returns the reliability R, and ``1 - R`` keeps only the digits that
survive the cancellation; ours sums non-negative terms only.

Run:  python benchmarks/reliability_exact.py [--quick] [--no-peer] [--peer-limit 30]
Writes ``benchmarks/out/reliability_exact.json`` and prints the markdown tables.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import platform
import resource
import time
from pathlib import Path

import networkx as nx
import numpy as np

from cemopt.problems.network_reliability._exact import (
    _best_order,  # the programme's own edge order, handed to graphillion for a fair race
    _edge_sequence,
    frontier_width,
    unreliability_exact,
)

ROOT = Path(__file__).resolve().parents[1]


def graphs(quick: bool) -> list[tuple[str, nx.Graph]]:
    """The growing graph families, nodes relabelled 0 .. n-1."""
    out = []
    for rows, lengths in ((2, (25, 50, 100, 200)), (3, (25, 50, 100, 200)), (4, (12, 25, 50))):
        for k in lengths[:2] if quick else lengths:
            out.append((f"grid {rows}x{k}", nx.grid_2d_graph(rows, k)))
    for side in (6, 8) if quick else (6, 8, 9, 10, 11):
        out.append((f"grid {side}x{side}", nx.grid_2d_graph(side, side)))
    for n in (20, 30) if quick else (20, 30, 40, 50):
        out.append((f"3-regular n={n}", nx.random_regular_graph(3, n, seed=n)))
    for n in (20, 30) if quick else (20, 30, 40):
        graph = nx.random_geometric_graph(n, 1.8 / math.sqrt(n), seed=n)
        out.append(
            (f"geometric n={n}", graph.subgraph(max(nx.connected_components(graph), key=len)))
        )
    return [(name, nx.convert_node_labels_to_integers(g, ordering="sorted")) for name, g in out]


def best_time(function, budget: float = 0.2, repeats: int = 5):
    """(value, seconds): the best of up to ``repeats`` runs while they stay under ``budget``."""
    best, value = math.inf, None
    for _ in range(repeats):
        started = time.perf_counter()
        value = function()
        best = min(best, time.perf_counter() - started)
        if best > budget:
            break
    return value, best


def _peer_child(edges, q, terminals, traversal, memory_bytes, connection) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    try:
        from graphillion import GraphSet

        GraphSet.omp_set_num_threads(1)
        q_of = {frozenset(e): x for e, x in zip(edges, q, strict=True)}

        def solve() -> float:
            GraphSet.set_universe(
                edges, traversal=traversal, source=0 if traversal == "bfs" else None
            )
            working = {e[:2]: 1.0 - q_of[frozenset(e[:2])] for e in GraphSet.universe()}
            return GraphSet.reliability(working, terminals)

        connection.send(best_time(solve))
    except BaseException as exc:  # MemoryError, ImportError, ...: report, never hang
        connection.send((None, type(exc).__name__))


def peer(edges, q, terminals, traversal: str, limit: float, memory_gb: float):
    """graphillion's reliability in a child process: (R, seconds) or (None, reason)."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    edges = [tuple(int(v) for v in e) for e in edges]
    args = (edges, list(map(float, q)), list(map(int, terminals)), traversal)
    child = context.Process(target=_peer_child, args=(*args, int(memory_gb * 2**30), send))
    child.start()
    send.close()  # so that a child killed by std::bad_alloc reads as EOF, not as a hang
    try:
        result = receive.recv() if receive.poll(limit) else (None, f"over {limit:g} s")
    except EOFError:
        result = (None, "crashed (memory)")
    child.kill()
    child.join()
    return result


def has_peer() -> bool:
    try:
        import graphillion  # noqa: F401
    except ImportError:
        return False
    return True


def run_case(name, graph, terminals_kind, q, args, with_peer: bool) -> dict:
    n = graph.number_of_nodes()
    edges = np.array(sorted(tuple(sorted(e)) for e in graph.edges))
    terminals = [0, n - 1] if terminals_kind == "two" else list(range(n))
    width = frontier_width(n, edges, terminals)
    value, ours = best_time(lambda: unreliability_exact(n, edges, q, terminals, max_frontier=16))
    row = {
        "graph": name,
        "terminals": terminals_kind,
        "nodes": n,
        "edges": len(edges),
        "width": width,
        "value": value,
        "ours_s": ours,
    }
    if with_peer:
        # graphillion's BFS edge order, and the order our programme uses on the whole graph
        # (before reductions), handed over as-is: each order is far better on some graphs
        graph = nx.Graph([tuple(e) for e in edges.tolist()])
        sequence, _ = _edge_sequence(_best_order(graph), graph)
        position = {frozenset(e): i for i, e in enumerate(edges.tolist())}
        ordered_q = [q[position[frozenset(e)]] for e in sequence]
        for label, order, order_q, traversal in (
            ("bfs", edges, q, "bfs"),
            ("ours", sequence, ordered_q, "as-is"),
        ):
            reliability, seconds = peer(
                order, order_q, terminals, traversal, args.peer_limit, args.peer_memory_gb
            )
            ok = reliability is not None
            row[f"peer_{label}_s"] = seconds if ok else None
            row[f"peer_{label}_note"] = None if ok else seconds
            row[f"peer_{label}_value"] = 1.0 - reliability if ok else None
    return row


def table(rows: list[dict], with_peer: bool, agreement: str = "agreement") -> str:
    head = "| graph | terminals | nodes | edges | width | unreliability | ours s |"
    rule = "|---|---|---|---|---|---|---|"
    if with_peer:
        head += f" graphillion s (bfs) | graphillion s (our order) | ratio | {agreement} |"
        rule += "---|---|---|---|"
    lines = [head, rule]
    for r in rows:
        line = (
            f"| {r['graph']} | {r['terminals']} | {r['nodes']} | {r['edges']} | {r['width']} "
            f"| {r['value']:.10e} | {r['ours_s']:.4f} |"
        )
        if with_peer:
            times, values = [], []
            for label in ("bfs", "ours"):
                if r[f"peer_{label}_s"] is None:
                    line += f" {r[f'peer_{label}_note']} |"
                else:
                    line += f" {r[f'peer_{label}_s']:.4f} |"
                    times.append(r[f"peer_{label}_s"])
                    values.append(r[f"peer_{label}_value"])
            if times:
                worst = max(abs(r["value"] - v) / r["value"] for v in values)
                line += f" {min(times) / r['ours_s']:.2f} | {worst:.1e} |"
            else:
                line += " – | – |"
        lines.append(line)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the smaller half of the graphs")
    parser.add_argument("--no-peer", action="store_true", help="time cemopt alone")
    parser.add_argument("--peer-limit", type=float, default=30.0, help="seconds per peer run")
    parser.add_argument("--peer-memory-gb", type=float, default=6.0)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "out" / "reliability_exact.json"
    )
    args = parser.parse_args()
    with_peer = not args.no_peer and has_peer()
    if not with_peer and not args.no_peer:
        print("graphillion is not installed (pip install graphillion): timing cemopt alone.\n")

    rows = []
    for index, (name, graph) in enumerate(graphs(args.quick)):
        rng = np.random.default_rng(index)
        q = rng.uniform(0.01, 0.2, graph.number_of_edges())
        for kind in ("two", "all"):
            rows.append(run_case(name, graph, kind, q, args, with_peer))
            print(rows[-1], flush=True)
    tiny = []
    for name, graph in [(f"grid {r}x{k}", nx.grid_2d_graph(r, k)) for r, k in ((3, 10), (4, 25))]:
        graph = nx.convert_node_labels_to_integers(graph, ordering="sorted")
        tiny.append(
            run_case(name, graph, "two", np.full(graph.number_of_edges(), 1e-6), args, with_peer)
        )
        print(tiny[-1], flush=True)

    meta = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "numpy": np.__version__,
        "networkx": nx.__version__,
        "graphillion": _peer_version(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"meta": meta, "rows": rows, "tiny_q": tiny}, indent=1))
    print(f"\n{meta}\n")
    print(table(rows, with_peer))
    if with_peer:
        print("\nq = 1e-6 on every edge (graphillion: 1 - R)\n")
        print(table(tiny, with_peer, agreement="rel. diff. of 1 - R"))


def _peer_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("graphillion")
    except Exception:
        return None


if __name__ == "__main__":
    main()
