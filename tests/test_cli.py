"""The ``cemopt`` command, end to end in a subprocess, against answers found another way.

Every subcommand runs as users run it (``python -m cemopt ...``): its exit status,
its text, its ``--json`` document and its ``--plot`` PNG are checked. The numbers are
checked against what nobody here computed: brute-force enumeration (max-cut, a small
TSP, network unreliability), closed forms (the synthetic max-cut optimum c m (n - m),
Phi(-beta), the M/M/1/K throughput of a two-machine line), published values (the CE
tutorial's bridge probability 1.3424597e-5, TSPLIB's br17 = 39, CVRPLIB's
P-n16-k8 = 450). Bad files and bad options give exit status 2 and one line on stderr.
"""

from __future__ import annotations

import csv
import importlib.metadata
import itertools
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from scipy import stats

from cemopt.cli import build_parser, main


def cemopt(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess:
    # Never the repository root: there `python -m cemopt` would import the source folder
    # cemopt/ (no cemopt.problems under a plain `pip install .`) instead of the package.
    return subprocess.run(
        [sys.executable, "-m", "cemopt", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=cwd if cwd is not None else tempfile.gettempdir(),
    )


def ok_json(*args: object) -> dict:
    """The document of a run that finished: exit status 0 when it succeeded, 1 when it
    did not (``success`` false, or a compare run that raised)."""
    run = cemopt(*args, "--json")
    assert "Traceback" not in run.stderr
    assert run.returncode in (0, 1), run.stderr
    doc = json.loads(run.stdout)
    failed = doc.get("success") is False or bool(doc.get("errors"))
    assert run.returncode == (1 if failed else 0), (run.returncode, doc.get("status"))
    return doc


def assert_png(path: Path) -> None:
    from matplotlib.image import imread

    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = imread(path)
    assert image.ndim == 3 and min(image.shape[:2]) > 100


def assert_one_line_error(run: subprocess.CompletedProcess, match: str) -> None:
    assert run.returncode == 2
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("cemopt: error: "), run.stderr
    assert match in lines[0]


# ------------------------------------------------------------------------- demo
def test_demo_reaches_the_known_optima(tmp_path):
    doc = ok_json("demo", "--plot", tmp_path / "demo.png")
    # the CE tutorial's two-block graph: optimum c m (n - m) = 1 * 200 * 200
    assert doc["maxcut"]["cut"] == doc["maxcut"]["optimum"] == 200 * 200
    assert doc["maxcut"]["status"] == "target"
    assert doc["rosenbrock"]["fun"] <= 1e-8  # Rosenbrock's minimum is 0 at (1, ..., 1)
    np.testing.assert_allclose(doc["rosenbrock"]["x"], np.ones(10), atol=1e-3)
    assert doc["warnings"] == [] and doc["plot"].endswith("demo.png")
    assert_png(tmp_path / "demo.png")


# ----------------------------------------------------------------- solve: functions
def test_solve_function_text():
    run = cemopt("solve", "rosenbrock", "--dim", 3, "--max-evals", 20_000)
    assert run.returncode == 0 and run.stderr == ""
    assert run.stdout.startswith("rosenbrock in 3 dimensions (minimum 0)")
    assert "status      target: The target value was reached." in run.stdout


def test_solve_function_same_result_on_a_process_pool():
    serial = ok_json("solve", "ackley", "--dim", 3, "--max-evals", 20_000, "--seed", 4)
    pooled = ok_json(
        "solve", "ackley", "--dim", 3, "--max-evals", 20_000, "--seed", 4,
        "--executor", "process", "--workers", 2,
    )  # fmt: skip
    assert pooled["x"] == serial["x"] and pooled["nfev"] == serial["nfev"]
    # Ackley's minimum is 0 at 0 (the target stops the run within 1e-8 of it)
    assert serial["fun"] <= 1e-8 and np.abs(serial["x"]).max() < 1e-4


def test_checkpoint_and_resume_give_the_uninterrupted_run(tmp_path):
    path = tmp_path / "run.npz"
    first = ok_json("solve", "sphere", "--dim", 4, "--max-iter", 8, "--checkpoint", path)
    assert first["nit"] == 8 and path.is_file()
    resumed = ok_json("solve", "sphere", "--dim", 4, "--max-iter", 30, "--resume", path)
    whole = ok_json("solve", "sphere", "--dim", 4, "--max-iter", 30)
    assert resumed["x"] == whole["x"] and resumed["nit"] == whole["nit"] > 8


# ---------------------------------------------------------------- solve: max-cut
def _max_cut_by_enumeration(graph: nx.Graph) -> float:
    nodes = list(graph.nodes)
    best = 0.0
    for sides in itertools.product((0, 1), repeat=len(nodes) - 1):
        side = dict(zip(nodes, (1, *sides), strict=True))
        best = max(best, sum(w for u, v, w in graph.edges(data="weight") if side[u] != side[v]))
    return best


def test_solve_maxcut_file_against_enumeration(tmp_path):
    rng = np.random.default_rng(7)
    graph = nx.gnp_random_graph(10, 0.5, seed=3)
    weights = rng.uniform(1, 5, graph.number_of_edges())
    lines = [f"n{u} n{v} {w:.3f}" for (u, v), w in zip(graph.edges, weights, strict=True)]
    path = tmp_path / "graph.txt"
    path.write_text("# a weighted edge list\n" + "\n".join(lines) + "\n")
    expected = _max_cut_by_enumeration(nx.read_weighted_edgelist(path))
    doc = ok_json("solve", "maxcut", path, "--plot", tmp_path / "cut.png")
    assert doc["cut"] == pytest.approx(expected, rel=1e-12)
    # the reported sides give that cut
    sides = doc["side"]
    value = sum(float(w) for u, v, w in (line.split() for line in lines) if sides[u] != sides[v])
    assert value == pytest.approx(doc["cut"], rel=1e-12)
    assert_png(tmp_path / "cut.png")


def test_solve_maxcut_synthetic_with_progress():
    run = cemopt("solve", "maxcut", "--n", 40, "--m", 16, "--c", 2, "--progress")
    assert run.returncode == 0, run.stderr
    optimum = 2 * 16 * (40 - 16)  # c m (n - m)
    assert f"cut         {optimum} (known optimum {optimum})" in run.stdout
    assert "iter" in run.stderr and "nfev" in run.stderr and "Traceback" not in run.stderr


# -------------------------------------------------------------------- solve: tsp
def _tsplib(path: Path, xy: np.ndarray) -> None:
    rows = "\n".join(f"{i + 1} {x:.0f} {y:.0f}" for i, (x, y) in enumerate(xy))
    path.write_text(
        f"NAME : tiny\nTYPE : TSP\nDIMENSION : {len(xy)}\nEDGE_WEIGHT_TYPE : EUC_2D\n"
        f"NODE_COORD_SECTION\n{rows}\nEOF\n"
    )


def test_solve_tsp_tiny_file_against_enumeration(tmp_path):
    xy = np.random.default_rng(1).integers(0, 100, size=(8, 2)).astype(float)
    _tsplib(tmp_path / "tiny.tsp", xy)
    # TSPLIB's EUC_2D: nint of the Euclidean distance
    d = np.floor(np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1)) + 0.5)
    best = min(
        sum(d[a, b] for a, b in zip((0, *p), (*p, 0), strict=True))
        for p in itertools.permutations(range(1, 8))
    )
    doc = ok_json(
        "solve", "tsp", tmp_path / "tiny.tsp", "--no-target", "--plot", tmp_path / "t.png"
    )
    assert doc["length"] == best and doc["optimum"] is None
    tour = np.array(doc["tour"]) - 1  # TSPLIB numbers from 1
    assert sorted(tour) == list(range(8))
    assert d[tour, np.roll(tour, -1)].sum() == best
    assert_png(tmp_path / "t.png")


def test_solve_tsp_shipped_atsp_reaches_the_published_optimum(test_data):
    run = cemopt("solve", "tsp", test_data / "tsplib" / "atsp" / "br17.atsp")
    assert run.returncode == 0, run.stderr
    assert "br17: 17 nodes, asymmetric" in run.stdout
    assert "length      39 (optimum 39, gap 0.00 %)" in run.stdout  # TSPLIB's br17 = 39


# -------------------------------------------------------------------- solve: vrp
def test_solve_vrp_routes_are_feasible_and_costed(test_data, tmp_path):
    path = test_data / "cvrplib" / "P-n16-k8.vrp"
    doc = ok_json("solve", "vrp", path, "--time-limit", 3, "--plot", tmp_path / "v.png")
    rows = path.read_text().split("NODE_COORD_SECTION")[1].split("DEMAND_SECTION")
    xy = np.array([line.split()[1:] for line in rows[0].strip().splitlines()], dtype=float)
    demand = np.array(
        [line.split()[1] for line in rows[1].split("DEPOT_SECTION")[0].strip().splitlines()],
        dtype=float,
    )
    instance = {"capacity": 35}  # P-n16-k8
    d = np.floor(np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1)) + 0.5)  # CVRPLIB rounding
    routes = doc["routes"]
    assert sorted(c for r in routes for c in r) == list(range(1, len(xy)))
    assert all(demand[r].sum() <= instance["capacity"] for r in routes)
    cost = sum(d[a, b] for r in routes for a, b in zip([0, *r], [*r, 0], strict=True))
    assert cost == doc["cost"] >= 450  # CVRPLIB's optimum of P-n16-k8
    assert len(routes) <= 8
    assert_png(tmp_path / "v.png")


# --------------------------------------------------------------------- estimate
def test_estimate_bridge_against_the_tutorials_value(tmp_path):
    doc = ok_json("estimate", "bridge", "--n-final", 50_000, "--plot", tmp_path / "b.png")
    assert doc["exact"] == pytest.approx(1.3424597e-5, rel=1e-7)  # de Boer et al. (2005)
    assert abs(doc["probability"] - doc["exact"]) < 4 * doc["std_error"]
    low, high = doc["ci"]
    assert low < doc["probability"] < high and doc["success"] is True
    assert doc["levels"][-1] == doc["gamma"] == 2.0
    assert_png(tmp_path / "b.png")


def test_estimate_gaussian_linear_text():
    run = cemopt("estimate", "gaussian_linear", "--d", 3, "--beta", 3.5, "--n-final", 20_000)
    assert run.returncode == 0 and run.stderr == ""
    exact = stats.norm.sf(3.5)
    assert f"exact       {exact:.8g}" in run.stdout
    assert "multilevel CE importance sampling" in run.stdout
    estimate = float(run.stdout.split("estimate    ")[1].split()[0])
    se = float(run.stdout.split("(SE ")[1].split(",")[0])
    assert abs(estimate - exact) < 4 * se


def test_estimate_crude_without_hits_warns_in_one_line():
    run = cemopt("estimate", "exponential_sum", "--n", 5, "--gamma", 40, "--crude",
                 "--n-final", 1000, "--json")  # fmt: skip
    assert run.returncode == 1  # no estimate to trust
    doc = json.loads(run.stdout)
    assert doc["success"] is False and doc["status"] == "no hits" and doc["probability"] == 0
    assert doc["exact"] == pytest.approx(stats.gamma.sf(40, 5), rel=1e-12)
    assert run.stderr.splitlines() == [f"cemopt: warning: {doc['warnings'][0]}"]
    assert doc["warnings"][0].startswith("ConvergenceWarning: No final sample")


# ------------------------------------------------------------------ reliability
def _unreliability_by_enumeration(links, q, terminals) -> float:
    total = 0.0
    for working in itertools.product((0, 1), repeat=len(links)):
        graph = nx.Graph()
        graph.add_nodes_from(n for link in links for n in link)
        graph.add_edges_from(link for link, w in zip(links, working, strict=True) if w)
        if not all(nx.has_path(graph, terminals[0], t) for t in terminals[1:]):
            total += math.prod(1 - qe if w else qe for qe, w in zip(q, working, strict=True))
    return total


def test_reliability_file_against_enumeration(tmp_path):
    links = [("s", "a"), ("s", "b"), ("a", "b"), ("a", "t"), ("b", "t"), ("s", "t")]
    q = [0.01, 0.05, 0.2, 0.03, 0.002, 0.3]
    path = tmp_path / "net.txt"
    path.write_text("".join(f"{u} {v} {p}\n" for (u, v), p in zip(links, q, strict=True)))
    doc = ok_json(
        "reliability", path, "--terminals", "s", "t", "--exact", "--method", "turnip",
        "--plot", tmp_path / "net.png",
    )  # fmt: skip
    expected = _unreliability_by_enumeration(links, q, ["s", "t"])
    assert doc["exact"] == pytest.approx(expected, rel=1e-12)
    assert abs(doc["probability"] - expected) < 4 * doc["std_error"]
    assert doc["kind"] == "two-terminal" and doc["method"] == "turnip"
    assert_png(tmp_path / "net.png")


def test_reliability_grid_all_terminal_exact():
    doc = ok_json("reliability", "grid", "--rows", 2, "--cols", 3, "--terminals", "all",
                  "--q", 0.1, "--method", "exact")  # fmt: skip
    grid = nx.grid_2d_graph(2, 3)
    expected = _unreliability_by_enumeration(list(grid.edges), [0.1] * 7, list(grid.nodes))
    assert doc["probability"] == pytest.approx(expected, rel=1e-12)
    assert doc["kind"] == "all-terminal" and doc["n_links"] == 7


# ---------------------------------------------------------------------- buffers
def test_buffers_two_machines_against_mm1k():
    doc = ok_json("buffers", "--rates", 1, 1, "--slots", 3, "--exact", "--n-parts", 2000)
    # two equal exponential machines, b slots: an M/M/1/K queue with K = b + 2 and
    # rho = 1, throughput K / (K + 1)
    assert doc["allocation"] == [3]
    assert doc["exact_throughput"] == pytest.approx(5 / 6, rel=1e-10)
    assert abs(doc["throughput"] - 5 / 6) < 4 * doc["std_error"]


def test_buffers_text():
    run = cemopt("buffers", "--rates", 1.1, 0.67, 0.98, 1.35, "--slots", 8, "--n-parts", 500,
                 "--max-iter", 8)  # fmt: skip
    assert run.returncode == 1, run.stderr  # 8 iterations end the run before it converges
    assert "status      max_iter: The maximum number of iterations" in run.stdout
    assert "8 buffer slots over 3 buffers" in run.stdout and "allocation  [" in run.stdout


# ---------------------------------------------------------------------- compare
def test_compare_writes_records_csv_and_ecdf(tmp_path):
    doc = ok_json(
        "compare", "sphere", "maxcut", "--optimizers", "cemopt", "random", "--budget", 400,
        "--seeds", 0, 1, "--dim", 2, "--csv", tmp_path / "runs.csv", "--plot",
        tmp_path / "ecdf.png",
    )  # fmt: skip
    records = doc["records"]
    assert [(r["problem"], r["optimizer"], r["seed"]) for r in records] == [
        (p, o, s) for p in ("sphere", "maxcut") for o in ("cemopt", "random") for s in (0, 1)
    ]
    assert all(0 < r["evaluations"] <= 400 for r in records)
    with open(tmp_path / "runs.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["problem"], r["optimizer"], int(r["seed"])) for r in rows] == [
        (r["problem"], r["optimizer"], r["seed"]) for r in records
    ]
    assert len(doc["summary"]) == 4
    assert_png(tmp_path / "ecdf.png")


# ------------------------------------------------------------- help, entry point
def _commands(parser, prefix=()):
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from _commands(sub, (*prefix, name))


def test_every_subcommand_has_help(capsys):
    commands = list(_commands(build_parser()))
    assert {("demo",), ("solve", "tsp"), ("solve", "vrp"), ("solve", "maxcut")} <= set(commands)
    assert {("solve", "peaks"), ("estimate", "bridge"), ("reliability",), ("buffers",)} <= set(
        commands
    )
    for command in commands:
        with pytest.raises(SystemExit) as exit_:
            main([*command, "--help"])
        assert exit_.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith(f"usage: cemopt {' '.join(command)}")


def test_console_script_entry_point():
    (script,) = importlib.metadata.entry_points(group="console_scripts", name="cemopt")
    assert script.value == "cemopt.cli:main"


def test_compare_list(capsys):
    assert main(["compare", "--list"]) == 0
    out = capsys.readouterr().out
    assert "differential_evolution" in out and "multistart-ls" in out


# ----------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "args, match",
    [
        (["solve", "tsp", "{tmp}/missing.tsp"], "TSPLIB file {tmp}/missing.tsp: no such file"),
        (["solve", "tsp", "{tmp}/bad.tsp"], "bad.tsp, line 1"),
        (["solve", "sphere", "--dim", "0"], "argument --dim: expected a positive integer"),
        (["reliability", "{tmp}/bad.tsp", "--terminals", "a", "b"], "cannot read the graph"),
    ],
)
def test_bad_files_and_options_in_a_subprocess(tmp_path, args, match):
    (tmp_path / "bad.tsp").write_text("this is not TSPLIB\n")
    run = cemopt(*(a.format(tmp=tmp_path) for a in args))
    assert_one_line_error(run, match.format(tmp=tmp_path))


def _in_process(capsys, *args):
    try:
        code = main([str(a) for a in args])
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "args, match",
    [
        (["estimate", "nosuch"], "argument MODEL: invalid choice: 'nosuch'"),
        (["estimate", "bridge", "--gamma", "-1"], "`--gamma` must be > 0, but got --gamma -1.0."),
        (["solve", "sphere", "--plot", "x.nosuchformat"], "the suffix must name an image"),
        (["solve", "sphere", "--plot", "{tmp}/no/folder/x.png"], "does not exist"),
        (["solve", "sphere", "--resume", "{tmp}/none.npz"], "none.npz: no such file"),
        (["solve", "sphere", "--executor", "serial", "--workers", "2"], "--workers needs"),
        (["solve", "peaks", "--dim", "3"], "peaks is defined for dim 2"),
        (["solve", "maxcut", "{tmp}/bad.txt"], "cannot read the graph file"),
        (["solve", "vrp", "{tmp}/bad.txt"], "bad.txt"),
        (["reliability", "grid", "--terminals", "0,0", "9,9"], "no node '9,9'"),
        (["reliability", "{tmp}/net.txt", "--terminals", "a", "b"], "give --q"),
        (["reliability", "{tmp}/net.txt", "--q", "2"], "expected a probability in [0, 1]"),
        (["buffers", "--rates", "1", "1", "--slots", "2", "--failure-rates", "0.1"], "together"),
        (["compare", "sphere", "--options", "{{bad"], "--options must be JSON"),
        (["compare", "nosuch"], "`PROBLEM` must name one of"),
        (["compare"], "compare needs at least one PROBLEM"),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_bad_input_is_one_line_and_status_2(capsys, tmp_path, args, match):
    (tmp_path / "bad.txt").write_text("a b c d e\nf\n")
    (tmp_path / "net.txt").write_text("a b\nb c\n")
    code, out, err = _in_process(capsys, *(a.format(tmp=tmp_path) for a in args))
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("cemopt: error: "), err
    assert match.format(tmp=tmp_path) in lines[0]
