"""What users feed the ``cemopt`` command and what it tells them back (in process).

Parallel links in an edge list, probabilities that underflow, flag names in errors, exit
statuses of runs that did not succeed, help text. Answers are checked against values
found another way (enumeration by hand, ``log_probability``).
"""

from __future__ import annotations

import json

import pytest

from cemopt.cli import main


def run_json(capsys, *args: object) -> tuple[int, dict]:
    code = main([*map(str, args), "--json"])
    return code, json.loads(capsys.readouterr().out)


# --------------------------------------------------------------- parallel links
def test_reliability_keeps_parallel_links(tmp_path, capsys):
    path = tmp_path / "net.txt"
    path.write_text("A B 0.1\nA B 0.2\nB C 0.05\n")
    # A-C is cut when both A-B links fail (0.1 * 0.2) or B-C fails:
    expected = 1 - (1 - 0.1 * 0.2) * (1 - 0.05)  # 0.069; a plain Graph gives 0.24
    code, doc = run_json(capsys, "reliability", path, "--terminals", "A", "C", "--method", "exact")
    assert code == 0
    assert doc["exact"] == pytest.approx(expected, rel=1e-12)
    assert doc["n_links"] == 3 and doc["parallel_links"] == 1
    assert main(["reliability", str(path), "--terminals", "A", "C", "--method", "exact"]) == 0
    out = capsys.readouterr().out
    assert "parallel links: 1 node pair joined by more than one link (1 extra link)" in out
    assert "each link is kept and fails on its own" in out


def test_reliability_without_parallel_links_says_nothing_of_them(tmp_path, capsys):
    path = tmp_path / "net.txt"
    path.write_text("A B 0.1\nB C 0.05\n")
    assert main(["reliability", str(path), "--terminals", "A", "C", "--method", "exact"]) == 0
    assert "parallel" not in capsys.readouterr().out


def test_maxcut_sums_parallel_edges(tmp_path, capsys):
    path = tmp_path / "g.txt"
    path.write_text("A B 2\nA B 4\nB C 1\n")  # A-B weighs 6; best cut {B} | {A, C}: 7
    code, doc = run_json(capsys, "solve", "maxcut", path)
    assert doc["cut"] == 7 and doc["parallel_edges"] == 1
    assert doc["side"]["A"] == doc["side"]["C"] != doc["side"]["B"]
    main(["solve", "maxcut", str(path)])
    assert "the weights of a pair's edges are summed" in capsys.readouterr().out
