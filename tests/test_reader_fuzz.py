"""The TSPLIB and CVRPLIB readers fuzzed: seeded mutations of the real files shipped in
tests/data. Every mutated file must parse to the same data as the original or raise one
``ValueError`` that names the file (never a KeyError, TypeError, IndexError or a
message in numpy's words).

The mutations are those whose honest outcome is known without a second parser: they
either keep the data (whitespace, tabs, CRLF, blank lines, reordered indexed lines,
headers that carry no data) or break the file (a line dropped, repeated or cut off, a
number replaced by ``nan``, ``inf``, ``1e200`` or a word, a stray character inside a
token, DIMENSION off by one). A mutation that happens to leave the data intact (a stray
character in the COMMENT) must then parse to the same data.
"""

from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from conftest import TEST_DATA

from cemopt.problems.tsplib import read_cvrplib, read_tsplib
from cemopt.problems.vrp import CVRP

TSPLIB_FILES = ["tsp/eil51.tsp", "tsp/burma14.tsp", "tsp/gr17.tsp", "tsp/bayg29.tsp",
                "tsp/att48.tsp", "atsp/br17.atsp"]  # fmt: skip
CVRPLIB_FILES = ["A-n32-k5.vrp", "E-n30-k3.vrp", "P-n16-k8.vrp", "X-n101-k25.vrp"]
N_MUTATIONS = 150  # per file: 900 TSPLIB and 600 CVRPLIB files, about 4 s in all

BAD_TOKENS = ["nan", "inf", "-inf", "1e200", "1e13", "abc", "NaN", "--1", "1,5", "0x10"]
STRAY = ["x", "#", ",", ":", "\x00", "\u00e9", "\t"]  # never a digit, sign, '.' or 'e'


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def mutate(text: str, rng: np.random.Generator) -> tuple[str, str]:
    """One seeded mutation of a file's text, and its name."""
    crlf = "\r\n" in text
    lines = text.replace("\r\n", "\n").split("\n")
    kind = str(
        rng.choice(
            ["drop", "repeat", "truncate", "token", "delete-token", "stray", "dimension",
             "tabs", "crlf", "blank", "trailing", "swap-indexed"]
        )
    )  # fmt: skip
    pick = int(rng.integers(len(lines)))
    if kind == "drop":
        del lines[pick]
    elif kind == "repeat":
        lines.insert(pick, lines[pick])
    elif kind == "truncate":
        lines = lines[:pick]
    elif kind in ("token", "delete-token", "stray"):
        candidates = [i for i, line in enumerate(lines) if line.split()]
        i = int(rng.choice(candidates))
        tokens = lines[i].split()
        t = int(rng.integers(len(tokens)))
        if kind == "token":
            numbers = [k for k, tok in enumerate(tokens) if _is_number(tok)]
            if numbers:
                t = int(rng.choice(numbers))
            tokens[t] = str(rng.choice(BAD_TOKENS))
        elif kind == "delete-token":
            del tokens[t]
        else:
            word = tokens[t]
            at = int(rng.integers(len(word) + 1))
            tokens[t] = word[:at] + str(rng.choice(STRAY)) + word[at:]
        lines[i] = " ".join(tokens)
    elif kind == "dimension":
        for i, line in enumerate(lines):
            if line.replace(" ", "").upper().startswith("DIMENSION:"):
                n = int(line.split(":")[1])
                lines[i] = f"DIMENSION : {n + int(rng.choice([-1, 1]))}"
    elif kind == "tabs":
        lines = [line.replace(" ", "\t") if rng.random() < 0.5 else line for line in lines]
    elif kind == "crlf":
        crlf = not crlf
    elif kind == "blank":
        lines.insert(pick, "  \t ")
    elif kind == "trailing":
        lines = [line + " \t " for line in lines]
    elif kind == "swap-indexed":
        # two lines of an indexed section (node coordinates or demands, "i ..."): the
        # reader places each row by its index, so the data stay the same
        section, indexed = None, []
        for i, line in enumerate(lines):
            head = line.strip().upper()
            if head.endswith("_SECTION"):
                section = head
            elif section in ("NODE_COORD_SECTION", "DEMAND_SECTION", "DISPLAY_DATA_SECTION"):
                if line.split() and _is_number(line.split()[0]):
                    indexed.append((section, i))
        same = [i for s, i in indexed if s == indexed[0][0]] if indexed else []
        if len(same) >= 2:
            a, b = rng.choice(same, size=2, replace=False)
            lines[a], lines[b] = lines[b], lines[a]
    newline = "\r\n" if crlf else "\n"
    return newline.join(lines), kind


def _same(a, b, fields) -> bool:
    for field in fields:
        x, y = getattr(a, field), getattr(b, field)
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            if x is None or y is None or x.shape != y.shape or not np.array_equal(x, y):
                return False
        elif x != y:
            return False
    return True


TSP_FIELDS = ("type", "dimension", "distances", "coordinates", "edge_weight_type")
CVRP_FIELDS = ("dimension", "capacity", "demands", "distances", "coordinates")


def fuzz(reader, fields, relative: str, tmp_path: Path, seed: int) -> Counter:
    original = TEST_DATA / relative
    reference = reader(original)
    text = original.read_bytes().decode("utf-8")
    rng = np.random.default_rng(seed)
    outcome: Counter = Counter()
    for k in range(N_MUTATIONS):
        mutated, kind = mutate(text, rng)
        path = tmp_path / f"m{k}{original.suffix}"
        path.write_bytes(mutated.encode("utf-8"))
        try:
            result = reader(path)
        except ValueError as exc:
            message = str(exc)
            assert message.startswith(f"{path}, line "), (kind, message)
            assert "\n" not in message, (kind, message)
            outcome["ValueError"] += 1
            continue
        # any other exception escapes and fails the test, showing the mutation
        assert _same(result, reference, fields), (kind, mutated)
        outcome["same data"] += 1
    return outcome


@pytest.mark.parametrize("relative", TSPLIB_FILES)
def test_tsplib_reader_fuzzed(relative, tmp_path):
    outcome = fuzz(read_tsplib, TSP_FIELDS, f"tsplib/{relative}", tmp_path, seed=1)
    assert sum(outcome.values()) == N_MUTATIONS
    assert outcome["ValueError"] > 20 and outcome["same data"] > 20  # both kinds exercised


@pytest.mark.parametrize("relative", CVRPLIB_FILES)
def test_cvrplib_reader_fuzzed(relative, tmp_path):
    outcome = fuzz(read_cvrplib, CVRP_FIELDS, f"cvrplib/{relative}", tmp_path, seed=2)
    assert sum(outcome.values()) == N_MUTATIONS
    assert outcome["ValueError"] > 20 and outcome["same data"] > 20


def test_cvrp_from_vrplib_fuzzed_raises_only_value_errors_naming_the_file(tmp_path):
    """The problem built from a mutated file: a ValueError naming the file, or a CVRP
    with the original's numbers (the fleet may change with the COMMENT)."""
    original = TEST_DATA / "cvrplib" / "A-n32-k5.vrp"
    reference = CVRP.from_vrplib(original)
    rng = np.random.default_rng(3)
    text = original.read_text()
    for k in range(N_MUTATIONS):
        mutated, kind = mutate(text, rng)
        path = tmp_path / f"m{k}.vrp"
        path.write_text(mutated)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                problem = CVRP.from_vrplib(path)
        except ValueError as exc:
            assert str(exc).startswith(f"{path}"), (kind, str(exc))
            continue
        np.testing.assert_array_equal(problem.distances, reference.distances)
        np.testing.assert_array_equal(problem.demands, reference.demands)
        assert problem.optimum in (None, reference.optimum)
