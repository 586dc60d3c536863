"""The command line on the one loop: budgets, checkpoints and Ctrl-C for ``estimate``
and ``solve``, run in-process through ``cemopt.cli.main`` (as the doctests do)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from cemopt.cli import main
from cemopt.problems import functions


def test_estimate_with_a_budget_a_checkpoint_and_a_resume(tmp_path, capsys):
    path = tmp_path / "est.npz"
    argv = ["estimate", "exponential_sum", "--max-evals", "20000", "--json"]
    assert main([*argv, "--checkpoint", str(path)]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["success"] and first["nfev"] <= 20_000
    assert abs(first["deviation_in_se"]) <= 4
    assert main([*argv, "--resume", str(path)]) == 0  # a finished run resumes to itself
    again = json.loads(capsys.readouterr().out)
    assert (again["probability"], again["nfev"]) == (first["probability"], first["nfev"])


def test_resume_of_a_damaged_checkpoint_is_one_line(tmp_path, capsys):
    path = tmp_path / "est.npz"
    assert (
        main(["estimate", "exponential_sum", "--n-final", "2000", "--checkpoint", str(path)]) == 0
    )
    capsys.readouterr()
    path.write_bytes(path.read_bytes()[:200])
    assert main(["estimate", "exponential_sum", "--n-final", "2000", "--resume", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"cemopt: error: {path} is not a readable cemopt checkpoint")


def test_ctrl_c_in_the_first_batch_reports_what_it_has(monkeypatch, capsys):
    def interrupted(X):
        raise KeyboardInterrupt

    sphere = dataclasses.replace(functions.FUNCTIONS["sphere"], func=interrupted)
    monkeypatch.setitem(functions.FUNCTIONS, "sphere", sphere)
    assert main(["solve", "sphere", "--dim", "3"]) == 130
    out = capsys.readouterr().out
    assert "x           none (no evaluation finished)" in out
    assert "status      interrupted" in out and "0 evaluations" in out


@pytest.mark.parametrize("option", ["--max-evals", "--time-limit"])
def test_estimate_help_lists_the_budgets(option, capsys):
    with pytest.raises(SystemExit):
        main(["estimate", "bridge", "--help"])
    assert option in capsys.readouterr().out


TSP_FILE = """NAME : six
TYPE : TSP
DIMENSION : 6
EDGE_WEIGHT_TYPE : EUC_2D
NODE_COORD_SECTION
1 0 0
2 10 0
3 20 5
4 20 20
5 5 25
6 0 10
EOF
"""

CVRP_FILE = """NAME : five
TYPE : CVRP
DIMENSION : 5
EDGE_WEIGHT_TYPE : EUC_2D
CAPACITY : 10
NODE_COORD_SECTION
1 0 0
2 10 0
3 0 10
4 -10 0
5 0 -10
DEMAND_SECTION
1 0
2 3
3 4
4 5
5 2
DEPOT_SECTION
1
-1
EOF
"""


def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt


@pytest.mark.parametrize("command", ["tsp", "vrp", "maxcut"])
def test_ctrl_c_in_the_first_batch_of_a_problem_solver(command, tmp_path, monkeypatch, capsys):
    # the message a user saw here was "unsupported operand type(s) for +: 'NoneType'
    # and 'int'": the report must say that no solution was evaluated instead
    if command == "tsp":
        (tmp_path / "six.tsp").write_text(TSP_FILE)
        monkeypatch.setattr("cemopt.problems.tsp._lengths", _interrupt)
        argv = ["solve", "tsp", str(tmp_path / "six.tsp")]
    elif command == "vrp":
        (tmp_path / "five.vrp").write_text(CVRP_FILE)
        monkeypatch.setattr("cemopt.problems.vrp.CVRP.split", _interrupt)
        argv = ["solve", "vrp", str(tmp_path / "five.vrp")]
    else:
        monkeypatch.setattr("cemopt.problems.maxcut.MaxCut.cut_value", _interrupt)
        argv = ["solve", "maxcut", "--n", "20", "--m", "10"]
    assert main([*argv, "--plot", str(tmp_path / "plot.png")]) == 130
    captured = capsys.readouterr()
    assert "status      interrupted" in captured.out and "0 evaluations" in captured.out
    assert "Traceback" not in captured.err and "NoneType" not in captured.err
    assert "--plot" in captured.err and "not written, the run has no iteration" in captured.err
    assert not (tmp_path / "plot.png").exists()
