"""Exact network unreliability: cemopt's frontier programme against graphillion's ZDDs.

Graphs that grow: grids 2 x k, 3 x k and 4 x k (k doubling), square grids r x r,
random 3-regular graphs and random geometric graphs (connected, n nodes). Each graph is
solved two-terminal (first and last node: opposite corners of a grid) and all-terminal,
with independent edge failure probabilities drawn uniform in [0.01, 0.2] (seeded).

Ours: ``unreliability_exact`` (validation, reductions, ordering and the programme).
Peer: graphillion (pip install graphillion; a C++ decision-diagram library):
``GraphSet.set_universe(edges, traversal="bfs", source=0)`` then
``GraphSet.reliability(working_probabilities, terminals)``, one OpenMP thread, in a
child process with a memory cap and a time limit (a case beyond them reads "limit").
graphillion's default traversal ("greedy") took 26 s on the 3 x 20 grid and ran out of
memory on 3 x 40, so the benchmark gives it BFS, its best order on these graphs.
Seconds are wall-clock, the best of up to 5 repeats for cases under 0.2 s. ``ratio``
is graphillion's seconds over ours (above 1: ours is faster); ``agreement`` is
``|U - (1 - R_graphillion)| / U``.

A second table takes q = 1e-6 on every edge, where the unreliability is about 1e-12:
graphillion returns the reliability R, and ``1 - R`` keeps only the digits that
survive the cancellation; ours sums non-negative terms only.

Run:  python benchmarks/reliability_exact.py [--quick] [--no-peer] [--peer-limit 60]
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

from cemopt.problems._reliability_exact import frontier_width, unreliability_exact

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


def _peer_child(edges, q, terminals, memory_bytes, connection) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    try:
        from graphillion import GraphSet

        GraphSet.omp_set_num_threads(1)
        working = {tuple(e): 1.0 - x for e, x in zip(edges, q, strict=True)}

        def solve() -> float:
            GraphSet.set_universe(edges, traversal="bfs", source=0)
            return GraphSet.reliability(working, terminals)

        connection.send(best_time(solve))
    except BaseException as exc:  # MemoryError, bad_alloc, ImportError: report, never hang
        connection.send((None, repr(exc)))


def peer(edges, q, terminals, limit: float, memory_gb: float):
    """graphillion's reliability in a child process: (R, seconds) or (None, reason)."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    edges = [tuple(int(v) for v in e) for e in edges]
    child = context.Process(
        target=_peer_child,
        args=(edges, list(map(float, q)), list(map(int, terminals)), int(memory_gb * 2**30), send),
    )
    child.start()
    if receive.poll(limit):
        result = receive.recv()
    else:
        result = (None, f"over {limit:g} s")
    child.kill()
    child.join()
    if result[0] is None and "Error" not in str(result[1]) and "over" not in str(result[1]):
        result = (None, "failed")
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
        reliability, seconds = peer(edges, q, terminals, args.peer_limit, args.peer_memory_gb)
        row["peer_s"] = seconds if reliability is not None else None
        row["peer_note"] = None if reliability is not None else seconds
        row["peer_value"] = None if reliability is None else 1.0 - reliability
    return row


def table(rows: list[dict], with_peer: bool, agreement: str = "agreement") -> str:
    head = "| graph | terminals | nodes | edges | width | unreliability | ours s |"
    rule = "|---|---|---|---|---|---|---|"
    if with_peer:
        head += f" graphillion s | ratio | {agreement} |"
        rule += "---|---|---|"
    lines = [head, rule]
    for r in rows:
        line = (
            f"| {r['graph']} | {r['terminals']} | {r['nodes']} | {r['edges']} | {r['width']} "
            f"| {r['value']:.10e} | {r['ours_s']:.4f} |"
        )
        if with_peer:
            if r["peer_s"] is None:
                line += f" {r['peer_note']} | – | – |"
            else:
                agreement = abs(r["value"] - r["peer_value"]) / r["value"]
                line += f" {r['peer_s']:.4f} | {r['peer_s'] / r['ours_s']:.2f} | {agreement:.1e} |"
        lines.append(line)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the smaller half of the graphs")
    parser.add_argument("--no-peer", action="store_true", help="time cemopt alone")
    parser.add_argument("--peer-limit", type=float, default=60.0, help="seconds per peer case")
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
