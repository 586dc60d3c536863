"""What users feed the ``cemopt`` command and what it tells them back (in process).

Parallel links in an edge list, probabilities that underflow, flag names in errors, exit
statuses of runs that did not succeed, help text. Answers are checked against values
found another way (enumeration by hand, ``log_probability``).
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from conftest import TEST_DATA

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


# ------------------------------------------------------------------------- help
def _help_texts(parser, path=()):
    """(path, text) for every help line and description of the command tree."""
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                yield (*path, choice.dest), choice.help or ""
            for name, sub in action.choices.items():
                yield (*path, name, "description"), sub.description or ""
                yield from _help_texts(sub, (*path, name))
        elif action.help:
            yield (*path, action.dest), action.help


def test_help_has_no_markup_and_docstring_help_is_whole_sentences():
    from cemopt.cli import build_parser

    texts = list(_help_texts(build_parser()))
    assert len(texts) > 200
    for where, text in texts:
        assert not re.search(r"``|:\w+:`|`", text), (where, text)
    # what comes from the rare-event models' docstrings: whole sentences, not a first line
    from cemopt.problems.rare_events import MODELS

    from_docs = [(w, t) for w, t in texts if w[0] == "estimate" and len(w) > 1
                 and w[1] in MODELS and (w[-1].startswith("model_") or len(w) == 2
                 or w[-1] == "description")]  # fmt: skip
    assert len(from_docs) > 15
    for where, text in from_docs:
        whole = r"^[^ ].*[.?] \(.*\)$" if where[-1].startswith("model_") else r"^[^ ].*[.?]$"
        assert re.match(whole, text), (where, text)  # "Sentence. (type line)"


def test_estimate_help_is_readable(capsys):
    with pytest.raises(SystemExit):
        main(["estimate", "exponential_sum", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "The level, > 0. At most one of gamma and probability; when both are None, gamma = " \
        "4 * n * mean (40 for the defaults: P = 3.9259e-9). (float, optional)" in out  # fmt: skip


# ------------------------------------------------------------------ underflow
def test_an_underflowing_probability_is_printed_in_log_form(capsys):
    from scipy import special

    exact_log10 = float(special.log_ndtr(-40.0)) / np.log(10)  # Phi(-40) = 10^-349.437
    code, doc = run_json(capsys, "estimate", "gaussian_linear", "--beta", 40)
    assert code == 0 and doc["probability"] == 0.0  # the float underflows...
    assert doc["log10_probability"] == pytest.approx(exact_log10, abs=0.05)  # ...the log not
    assert doc["log10_exact"] == pytest.approx(exact_log10, abs=1e-9)
    low, high = doc["log10_ci"]
    rel = doc["relative_error"]
    assert high - low == pytest.approx(np.log10((1 + 1.96 * rel) / (1 - 1.96 * rel)), rel=1e-3)
    assert low < exact_log10 < high
    assert abs(doc["deviation_in_se"]) < 4
    assert main(["estimate", "gaussian_linear", "--beta", "40"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"estimate    10\^-349\.4\d+  \(log10 p = -349\.4\d+, relative error", out)
    assert re.search(r"95% CI      10\^\[-349\.\d+, -349\.\d+\]  \(log10 scale\)", out)
    assert "exact       10^-349.437" in out
    assert "estimate    0 " not in out and "[0, 0]" not in out


def test_an_ordinary_probability_is_printed_as_it_is(capsys):
    code, doc = run_json(capsys, "estimate", "gaussian_linear", "--beta", 3)
    low, high = doc["ci"]
    assert doc["log10_ci"] == pytest.approx([np.log10(low), np.log10(high)], rel=1e-12)
    main(["estimate", "gaussian_linear", "--beta", "3"])
    assert "10^" not in capsys.readouterr().out


# ------------------------------------------------------- exit status, flag names
def test_a_run_that_did_not_succeed_exits_1_and_still_reports(capsys):
    code, doc = run_json(capsys, "solve", "sphere", "--dim", 3, "--max-iter", 2)
    assert code == 1 and doc["success"] is False and doc["status"] == "max_iter"
    code, doc = run_json(capsys, "solve", "sphere", "--dim", 2)
    assert code == 0 and doc["success"] is True


def test_the_exit_statuses_are_documented(capsys):
    from cemopt.cli._main import EXIT_STATUSES

    assert sorted(EXIT_STATUSES) == [0, 1, 2, 130]
    with pytest.raises(SystemExit):
        main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "Exit status: 0 when the run succeeded; 1 when it finished without success" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["buffers", "--rates", "1", "--slots", "3"],
         "`--rates` must have an entry for each of m >= 2 machines"),
        (["estimate", "bridge", "--n-samples", "5"],
         "`--elite-frac * --n-samples >= 1` must hold (at least one elite sample), but got "
         "--elite-frac 0.1, --n-samples 5."),
        (["estimate", "bridge", "--gamma", "-1"], "`--gamma` must be > 0, but got --gamma -1.0."),
        (["compare", "nosuch"], "`PROBLEM` must name one of"),
    ],
)  # fmt: skip
def test_errors_name_the_flags(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("cemopt: error: ") and message in err, err
    assert "processing_rates" not in err and "n_samples" not in err


def test_compare_shows_why_runs_failed_and_exits_1(capsys):
    argv = ["compare", "sphere", "--optimizers", "cemopt", "--budget", "100", "--seeds", "0",
            "1", "--dim", "2", "--options", '{"cemopt": {"n_samples": 1}}']  # fmt: skip
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "| sphere | cemopt | 0/2 (2 errors) |" in out
    assert (
        "2 runs raised an error:\n  sphere, cemopt, 2 seeds (0, 1): ValueError: "
        "`elite_frac * n_samples >= 1` must hold" in out
    )
    assert main([*argv, "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["errors"] == 2


BURMA = str(TEST_DATA / "tsplib" / "tsp" / "burma14.tsp")
P16 = str(TEST_DATA / "cvrplib" / "P-n16-k8.vrp")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["solve", "sphere", "--n-samples", "1"],
         "`the elite fraction * --n-samples >= 1` must hold (at least one elite sample), but "
         "got the elite fraction 0.5 (which this command fixes; no option sets it), "
         "--n-samples 1. Give --n-samples 2 or more."),
        (["solve", "rosenbrock", "--n-samples", "1"], "Give --n-samples 2 or more."),
        (["solve", "vrp", P16, "--n-samples", "2"],
         "but got the elite fraction 0.01 (which this command fixes; no option sets it), "
         "--n-samples 2. Give --n-samples 100 or more."),
        (["solve", "tsp", BURMA, "--n-samples", "1"],
         "`--n-samples >= 2` must hold, but got --n-samples 1."),
        (["solve", "vrp", P16, "--max-vehicles", "2"],
         "`--max-vehicles * the file's CAPACITY` must cover the total demand, but got "
         "--max-vehicles 2, the file's CAPACITY 35, total demand 246."),
        (["solve", "maxcut", "--n", "20", "--m", "2"],
         "`--c >= the largest within-block weight b * (--n - --m) / --m` must hold for the "
         "optimum to be known, but got --c 1.0, the largest within-block weight b 1.0 (which "
         "this command fixes), --n 20, --m 2."),
    ],
)  # fmt: skip
def test_errors_describe_parameters_the_command_fixes(capsys, argv, message):
    """API parameters with no option in the subcommand (elite_frac, the two-block
    graph's b, the file's capacity) are described, never named as API parameters."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("cemopt: error: ") and message in err, err
    assert not re.search(r"elite_frac|n_samples|\bb=|capacity=|max_vehicles", err), err
