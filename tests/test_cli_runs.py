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
