"""The TSPLIB, tour and CVRPLIB readers fuzzed: seeded mutations of the real files shipped in
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

from cemopt.problems.tsplib import read_cvrplib, read_tour, read_tsplib
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


# --------------------------------------------------------------------------- tours
TOUR_FILES = ["ulysses16.opt.tour", "eil51.opt.tour", "a280.opt.tour", "ch130.opt.tour",
              "kroA100.opt.tour"]  # fmt: skip  # one line / one per line; a280, ch130: no EOF


def _node_tokens(lines: list[str]) -> list[tuple[int, int]]:
    """(line, token) of every node of the tour: after TOUR_SECTION, before the -1."""
    start = next(i for i, line in enumerate(lines) if line.strip().upper() == "TOUR_SECTION")
    found = []
    for i in range(start + 1, len(lines)):
        for t, token in enumerate(lines[i].split()):
            if token == "-1":
                return found
            found.append((i, t))
    raise AssertionError("the shipped tour has no -1")


def mutate_tour(text: str, tour: np.ndarray, rng: np.random.Generator):
    """A seeded mutation of a tour file, its name and what it must give: ``("same",
    tour)`` (that tour, or a ValueError if the file broke), ``("tour", tour)`` (exactly
    that tour: the file is valid) or ``("error", None)`` (a ValueError).

    Half are the generic mutations of :func:`mutate`; the others edit the tour itself:
    two nodes swapped (another valid tour), the nodes re-wrapped across lines, TSPLIB's
    second -1, the EOF line dropped (all valid), a node replaced by another one, by 0,
    by n + 1 or by -2, an EOF or a second tour inside or after it (all errors)."""
    if rng.random() < 0.5:
        mutated, kind = mutate(text, rng)
        return mutated, kind, ("same", tour)
    lines = text.split("\n")
    nodes = _node_tokens(lines)
    n = len(nodes)
    kind = str(rng.choice(["swap", "rewrap", "double-end", "no-eof", "replace", "range",
                           "inner-eof", "second-tour"]))  # fmt: skip
    cells = [line.split() for line in lines]
    expect: tuple[str, np.ndarray | None] = ("error", None)
    if kind == "swap":
        a, b = rng.choice(n, size=2, replace=False)
        (ia, ta), (ib, tb) = nodes[a], nodes[b]
        cells[ia][ta], cells[ib][tb] = cells[ib][tb], cells[ia][ta]
        swapped = tour.copy()
        swapped[[a, b]] = swapped[[b, a]]
        expect = ("tour", swapped)
    elif kind == "rewrap":
        first, last = nodes[0][0], nodes[-1][0]
        flat = [cells[i][t] for i, t in nodes]
        cuts = np.sort(rng.choice(np.arange(1, n), size=int(rng.integers(0, 6)), replace=False))
        wrapped = [" ".join(part) for part in np.split(np.array(flat), cuts)]
        rest = cells[last][nodes[-1][1] + 1 :]  # the -1 when it shares the last line
        cells[first : last + 1] = [w.split() for w in wrapped[:-1]] + [wrapped[-1].split() + rest]
        expect = ("tour", tour)
    elif kind == "double-end":
        end = next(i for i, c in enumerate(cells) if "-1" in c)
        cells.insert(end + 1, ["-1"])
        expect = ("tour", tour)
    elif kind == "no-eof":
        cells = [c for c in cells if [w.upper() for w in c] != ["EOF"]]
        expect = ("tour", tour)
    elif kind in ("replace", "range"):
        i, t = nodes[int(rng.integers(n))]
        old = int(cells[i][t])
        if kind == "replace":
            new = int(rng.choice([k for k in range(1, n + 1) if k != old]))
        else:
            new = int(rng.choice([0, n + 1, -2, 10**30]))
        cells[i][t] = str(new)
    elif kind == "inner-eof":
        i, t = nodes[int(rng.integers(n))]
        cells[i].insert(t, "EOF")
    elif kind == "second-tour":
        end = next(i for i, c in enumerate(cells) if "-1" in c)
        cells.insert(end + 1, [str(k) for k in rng.permutation(n) + 1] + ["-1"])
    return "\n".join(" ".join(c) for c in cells), kind, expect


@pytest.mark.parametrize("name", TOUR_FILES)
def test_tour_reader_fuzzed(name, tmp_path):
    original = TEST_DATA / "tsplib" / "tsp" / name
    reference = read_tour(original)
    assert sorted(reference) == list(range(len(reference)))
    text = original.read_text()
    rng = np.random.default_rng(4)
    outcome: Counter = Counter()
    for k in range(N_MUTATIONS):
        mutated, kind, (rule, expected) = mutate_tour(text, reference, rng)
        path = tmp_path / f"m{k}.tour"
        path.write_bytes(mutated.encode("utf-8"))
        try:
            result = read_tour(path)
        except ValueError as exc:
            message = str(exc)
            assert message.startswith(f"{path}, line "), (kind, message)
            assert "\n" not in message, (kind, message)
            assert rule != "tour", (kind, message)  # a valid file must not be refused
            outcome["ValueError"] += 1
            continue
        # any other exception escapes and fails the test, showing the mutation
        assert rule != "error", (kind, mutated)
        assert result.dtype == np.int64 and np.array_equal(result, expected), (kind, mutated)
        outcome["same data" if rule == "same" else "the edited tour"] += 1
    assert sum(outcome.values()) == N_MUTATIONS
    assert outcome["ValueError"] > 20 and outcome["same data"] > 20, outcome
    assert outcome["the edited tour"] > 10, outcome
