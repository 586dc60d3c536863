"""TSPLIB reader: every shipped instance, every optimal tour, every matrix layout."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from conftest import TEST_DATA, data_roots

from cemopt.problems.tsp import TSPLIB_OPTIMA
from cemopt.problems.tsplib import MATRIX_FORMATS, coordinate_distances, read_tour, read_tsplib

DIMENSIONS = {
    "br17": 17, "ftv33": 34, "ftv35": 36, "ftv38": 39, "p43": 43, "ry48p": 48, "ft53": 53,
    "ftv170": 171, "rbg323": 323, "burma14": 14, "ulysses16": 16, "gr17": 17, "bayg29": 29,
    "bays29": 29, "dantzig42": 42, "att48": 48, "eil51": 51, "berlin52": 52, "st70": 70,
    "pr76": 76, "kroA100": 100, "ch130": 130, "a280": 280,
}  # fmt: skip


def _instances(root: Path) -> list[Path]:
    root = root / "tsplib"
    return sorted([*root.glob("tsp/*.tsp"), *root.glob("atsp/*.atsp")])


def _listed_optima(root: Path) -> dict[str, int]:
    """The optima of TSPLIB95's bestSolutions lists shipped beside the instances."""
    listed = {}
    for path in (root / "tsplib").glob("*/bestSolutions_*.txt"):
        for line in path.read_text().splitlines():
            if ":" in line:
                key, value = line.split(":")
                listed[key.strip()] = int(value.split()[0])
    return listed


def _header_dimension(path: Path) -> int:
    match = re.search(r"^DIMENSION\s*:\s*(\d+)", path.read_text(), re.M)
    assert match, path.name
    return int(match.group(1))


def test_shipped_instances_cover_every_layout(test_data):
    """The files in tests/data (a fresh clone has no ../shared) cover each weight type
    and matrix layout of TSPLIB that its instances use."""
    kinds = {
        (inst.type, inst.edge_weight_type, inst.edge_weight_format)
        for inst in map(read_tsplib, _instances(test_data))
    }
    assert {
        ("TSP", "GEO", None), ("TSP", "ATT", None), ("TSP", "EUC_2D", None),
        ("TSP", "EXPLICIT", "LOWER_DIAG_ROW"), ("TSP", "EXPLICIT", "UPPER_ROW"),
        ("TSP", "EXPLICIT", "FULL_MATRIX"), ("ATSP", "EXPLICIT", "FULL_MATRIX"),
    } <= kinds  # fmt: skip
    assert len(list((test_data / "tsplib").glob("tsp/*.opt.tour"))) == 11


@pytest.mark.parametrize("root", data_roots(), ids=lambda p: p.parent.name)
def test_every_instance_parses_to_its_dimension(root):
    paths = _instances(root)
    if root != TEST_DATA:
        assert set(DIMENSIONS) <= {p.stem for p in paths}  # ../shared may hold more
    for path in paths:
        inst = read_tsplib(path)
        n = DIMENSIONS.get(path.stem, _header_dimension(path))
        assert inst.dimension == n, path.name
        assert inst.distances.shape == (n, n)
        assert inst.distances.dtype == np.int64
        assert np.all(np.diag(inst.distances) == 0)  # ATSP placeholders dropped
        assert np.all(inst.distances >= 0)
        assert inst.type == ("ATSP" if path.suffix == ".atsp" else "TSP")
        if inst.type == "TSP":
            np.testing.assert_array_equal(inst.distances, inst.distances.T)


@pytest.mark.parametrize("root", data_roots(), ids=lambda p: p.parent.name)
def test_optimal_tours_have_exactly_the_published_length(root):
    tours = sorted((root / "tsplib" / "tsp").glob("*.opt.tour"))
    assert len(tours) >= 11
    optima = _listed_optima(root)
    for path in tours:
        name = path.name.split(".")[0]
        d = read_tsplib(path.with_name(f"{name}.tsp")).distances
        tour = read_tour(path)
        assert sorted(tour) == list(range(len(d)))
        assert d[tour, np.roll(tour, -1)].sum() == optima[name], name


def test_published_optima_match_best_solutions_lists(test_data):
    listed = _listed_optima(test_data)
    for name, value in TSPLIB_OPTIMA.items():
        assert listed[name] == value, name


def test_geo_and_att_headers(test_data):
    burma = read_tsplib(test_data / "tsplib" / "tsp" / "burma14.tsp")
    assert burma.edge_weight_type == "GEO" and burma.coordinates.shape == (14, 2)
    bayg = read_tsplib(test_data / "tsplib" / "tsp" / "bayg29.tsp")
    assert bayg.edge_weight_format == "UPPER_ROW" and bayg.coordinates.shape == (29, 2)


# ----------------------------------------------------------- hand-made files
FULL = np.array(
    [[0, 1, 2, 3], [1, 0, 4, 5], [2, 4, 0, 6], [3, 5, 6, 0]], dtype=np.int64
)  # symmetric 4 x 4


def _stream(fmt: str, matrix: np.ndarray) -> list[int]:
    n = len(matrix)
    diag = "DIAG" in fmt
    if fmt == "FULL_MATRIX":
        return matrix.ravel().tolist()
    out = []
    row_major = fmt.endswith("ROW")
    upper = fmt.startswith("UPPER")
    for a in range(n):
        for b in range(n):
            i, j = (a, b) if row_major else (b, a)
            if (j > i if upper else j < i) or (diag and i == j):
                out.append(int(matrix[i, j]))
    return out


def _write(tmp_path: Path, body: str, name: str = "x.tsp") -> Path:
    path = tmp_path / name
    path.write_text(body)
    return path


@pytest.mark.parametrize("fmt", MATRIX_FORMATS)
def test_explicit_formats(tmp_path, fmt):
    numbers = _stream(fmt, FULL)
    # wrap the stream unevenly across lines: 3 numbers, then 2, then the rest
    text = "\n".join(
        [" ".join(map(str, numbers[:3])), " ".join(map(str, numbers[3:5])),
         " ".join(map(str, numbers[5:]))]
    )  # fmt: skip
    path = _write(
        tmp_path,
        f"NAME: t\nTYPE: TSP\nDIMENSION: 4\nEDGE_WEIGHT_TYPE: EXPLICIT\n"
        f"EDGE_WEIGHT_FORMAT: {fmt}\nEDGE_WEIGHT_SECTION\n{text}\nEOF\n",
    )
    inst = read_tsplib(path)
    np.testing.assert_array_equal(inst.distances, FULL)
    assert inst.edge_weight_format == fmt


def test_atsp_full_matrix_ignores_the_diagonal(tmp_path):
    path = _write(
        tmp_path,
        "NAME: a\nTYPE: ATSP\nDIMENSION: 3\nEDGE_WEIGHT_TYPE: EXPLICIT\n"
        "EDGE_WEIGHT_FORMAT: FULL_MATRIX\nEDGE_WEIGHT_SECTION\n9999 1 2\n3 9999\n4 5 6 9999\nEOF\n",
        "a.atsp",
    )
    np.testing.assert_array_equal(read_tsplib(path).distances, [[0, 1, 2], [3, 0, 4], [5, 6, 0]])


def _coords_file(tmp_path: Path, kind: str, rows: str) -> Path:
    n = len(rows.strip().splitlines())
    return _write(
        tmp_path,
        f"NAME: c\nTYPE: TSP\nDIMENSION: {n}\nEDGE_WEIGHT_TYPE: {kind}\nNODE_COORD_SECTION\n"
        f"{rows}EOF\n",
    )


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("EUC_2D", 4),  # sqrt(3.2^2 + 2.5^2) = 4.06 -> nint 4
        ("CEIL_2D", 5),
        ("MAN_2D", 6),  # 5.7 -> 6
        ("MAX_2D", 3),  # max(nint 3.2, nint 2.5) = max(3, 3)
        ("ATT", 2),  # sqrt(16.49 / 10) = 1.28 -> nint 1 < 1.28 -> 2
    ],
)
def test_coordinate_rules(tmp_path, kind, expected):
    path = _coords_file(tmp_path, kind, "1 0 0\n2 3.2 2.5\n3 0 1\n")
    assert read_tsplib(path).distances[0, 1] == expected


def test_geo_rule_by_hand():
    # TSPLIB95: deg = (int) x, min = x - deg, rad = PI (deg + 5 min / 3) / 180, PI = 3.141592
    xy = np.array([[16.47, 96.10], [16.47, 94.44]])  # burma14 nodes 1 and 2
    lat = 3.141592 * (16 + 5 * 0.47 / 3) / 180
    lon = [3.141592 * (96 + 5 * 0.10 / 3) / 180, 3.141592 * (94 + 5 * 0.44 / 3) / 180]
    q1, q2, q3 = np.cos(lon[0] - lon[1]), 1.0, np.cos(2 * lat)
    expected = int(6378.388 * np.arccos(0.5 * ((1 + q1) * q2 - (1 - q1) * q3)) + 1.0)
    assert coordinate_distances(xy, "GEO")[0, 1] == expected == 153


def test_vectorised_distances_match_a_loop():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 100, size=(12, 2))
    d = coordinate_distances(xy, "EUC_2D")
    loop = [[int(np.hypot(*(xy[i] - xy[j])) + 0.5) if i != j else 0 for j in range(12)]
            for i in range(12)]  # fmt: skip
    np.testing.assert_array_equal(d, loop)


def test_read_tour(tmp_path):
    path = _write(tmp_path, "TYPE: TOUR\nDIMENSION: 4\nTOUR_SECTION\n1 3\n4\n2 -1\nEOF\n", "t.tour")
    np.testing.assert_array_equal(read_tour(path), [0, 2, 3, 1])


# ------------------------------------------------------------- malformed files
HEAD = "NAME: m\nTYPE: TSP\n"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            HEAD + "EDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n1 0 0\nEOF\n",
            r"x\.tsp, line 4: expected a DIMENSION header before this line",
        ),
        (
            HEAD + "DIMENSION: 3\nEDGE_WEIGHT_TYPE: EXPLICIT\nEDGE_WEIGHT_FORMAT: UPPER_ROW\n"
            "EDGE_WEIGHT_SECTION\n1 2\nEOF\n",
            r"x\.tsp, line 7: too few matrix entries in EDGE_WEIGHT_SECTION: got 2, "
            r"expected 3 for UPPER_ROW with DIMENSION 3",
        ),
        (
            HEAD + "DIMENSION: 3\nEDGE_WEIGHT_TYPE: EUC_4D\nNODE_COORD_SECTION\n1 0 0\nEOF\n",
            r"x\.tsp, line 4: unknown EDGE_WEIGHT_TYPE 'EUC_4D'; expected one of EXPLICIT",
        ),
        (
            HEAD + "DIMENSION: 3\nEDGE_WEIGHT_TYPE: EXPLICIT\nEDGE_WEIGHT_FORMAT: DIAG\n"
            "EDGE_WEIGHT_SECTION\n1 2 3\nEOF\n",
            r"x\.tsp, line 5: unknown EDGE_WEIGHT_FORMAT 'DIAG' for EXPLICIT weights",
        ),
        (
            HEAD + "DIMENSION: three\nEDGE_WEIGHT_TYPE: EUC_2D\n",
            r"x\.tsp, line 3: expected an integer DIMENSION, got 'three'",
        ),
        (
            HEAD
            + "DIMENSION: 3\nEDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n1 0 0\n2 1 x\n3 1 1\n",
            r"x\.tsp, line 7: expected a number in NODE_COORD_SECTION, got 'x'",
        ),
        (
            HEAD + "DIMENSION: 3\nEDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n1 0 0\n2 1 1\n",
            r"x\.tsp, line 7: NODE_COORD_SECTION has 2 nodes; expected DIMENSION = 3",
        ),
        ("NAME: m\nTYPE: CVRP\nDIMENSION: 3\n", r"x\.tsp, line 2: expected TYPE TSP or ATSP"),
        ("1 2 3\n", r"x\.tsp, line 1: expected a 'KEY : value' header or a section name"),
    ],
    ids=[
        "no-dimension",
        "few-entries",
        "unknown-type",
        "unknown-format",
        "bad-dimension",
        "bad-number",
        "few-nodes",
        "bad-type",
        "no-header",
    ],
)
def test_malformed_files(tmp_path, body, message):
    with pytest.raises(ValueError, match=message):
        read_tsplib(_write(tmp_path, body))


TOUR_HEAD = "NAME : t\nTYPE : TOUR\nDIMENSION : 4\nTOUR_SECTION\n"  # lines 1-4


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "line 1: expected a TSPLIB tour file, but the file is empty"),
        (" \n\t\n", "line 1: expected a TSPLIB tour file, but the file is empty"),
        (TOUR_HEAD + "1 2 3 4\nEOF\n", "line 6: expected -1 to end the tour before EOF (4 nodes"),
        (
            TOUR_HEAD + "1 2\n3 4\n",
            "line 6: expected -1 to end the tour in TOUR_SECTION, but the file ends after 4 nodes",
        ),
        (
            TOUR_HEAD,
            "line 4: expected -1 to end the tour in TOUR_SECTION, but the file ends after 0",
        ),
        (
            TOUR_HEAD + "1 2 2 4 -1\n",
            "line 5: expected each node once, but node 2 repeats (first on line 5)",
        ),
        (
            TOUR_HEAD + "1 2\n4\n2 -1\n",
            "line 7: expected each node once, but node 2 repeats (first on line 5)",
        ),
        (
            TOUR_HEAD + "1 2 3 5 -1\n",
            r"line 5: expected a node number in 1..4 (DIMENSION 4, line 3), got 5",
        ),
        (
            TOUR_HEAD + "1 0 2 3 -1\n",
            r"line 5: expected a node number in 1..4 (DIMENSION 4, line 3), got 0",
        ),
        (
            TOUR_HEAD + "1 2 -3 4 -1\n",
            "line 5: expected a node number in 1..4 (DIMENSION 4, line 3), got -3",
        ),
        (
            TOUR_HEAD + "1 2 4 -1\n",
            "line 5: TOUR_SECTION has 3 nodes; expected 4 for DIMENSION 4 (line 3): missing 3",
        ),
        (
            TOUR_HEAD + "1 2 3 4 1 -1\n",
            "line 5: TOUR_SECTION has 5 nodes; expected 4 for DIMENSION 4 (line 3): node 5 of "
            "the tour is on this line",
        ),
        ("TOUR_SECTION\n1 2 3 1 -1\n", "line 2: expected each node once, but node 1 repeats"),
        (
            "TOUR_SECTION\n1 2 4 -1\n",
            "line 2: expected a node number in 1..3 (the tour has 3 nodes and the file no "
            "DIMENSION), got 4",
        ),
        (
            TOUR_HEAD + "1 2.0 3 4 -1\n",
            "line 5: expected a whole node number or -1 in TOUR_SECTION, got '2.0'",
        ),
        (
            TOUR_HEAD + "1 2 3 x4 -1\n",
            "line 5: expected a whole node number or -1 in TOUR_SECTION, got 'x4'",
        ),
        (
            TOUR_HEAD + "1 2\nthree 4 -1\n",
            "line 6: expected a whole node number or -1 in TOUR_SECTION, got 'three'",
        ),
        (
            TOUR_HEAD + "1 2 1_0 4 -1\n",
            "line 5: expected a whole node number or -1 in TOUR_SECTION, got '1_0'",
        ),
        (
            TOUR_HEAD + "1 2 3 4 -1\n4 3 2 1 -1\n-1\n",
            "line 6: expected EOF or the end of the file after the tour's -1, got another tour",
        ),
        (
            TOUR_HEAD + "1 2 3 4 -1\n-1\nCOMMENT : late\n",
            "line 7: expected EOF or the end of the file after the tour's -1, got 'COMMENT'",
        ),
        (
            "NAME : t\nTYPE : TOUR\nDIMENSION : 5\nDIMENSION : 4\nTOUR_SECTION\n1 2 3 4 -1\n",
            "line 4: DIMENSION repeats with another value: '4' here, '5' on line 3",
        ),
        ("NAME : t\nTYPE : TSP\nTOUR_SECTION\n1 2 -1\n", "line 2: expected TYPE TOUR, got 'TSP'"),
        ("NAME : t\nDIMENSION : 2\n", "line 2: expected a TOUR_SECTION"),
        (
            "NAME : t\n1 2 -1\n",
            r"line 2: expected a 'KEY : value' header or TOUR_SECTION, got '1 2 -1'",
        ),
        ("NAME : t\nEOF\nTOUR_SECTION\n1 -1\n", "line 2: expected TOUR_SECTION before EOF"),
        (
            "NAME : t\nNODE_COORD_SECTION\n1 0 0\n",
            "line 2: expected TOUR_SECTION before NODE_COORD_SECTION",
        ),
        (
            "DIMENSION : four\nTOUR_SECTION\n1 -1\n",
            "line 1: expected an integer DIMENSION, got 'four'",
        ),
        ("DIMENSION : 0\nTOUR_SECTION\n-1\n", "line 1: expected DIMENSION >= 1, got 0"),
        ("DIMENSION : 2\nTOUR_SECTION\n1 2 -1\n", None),  # valid: EOF is optional
    ],
    ids=lambda v: v if v is None or len(v) < 40 else v[:40],
)
def test_malformed_tour(tmp_path, body, message):
    path = _write(tmp_path, body, "t.tour")
    if message is None:
        np.testing.assert_array_equal(read_tour(path), [0, 1])
        return
    with pytest.raises(ValueError, match=f"^{re.escape(str(path))}, {re.escape(message)}"):
        read_tour(path)


def test_tour_variants_that_say_the_same_tour(tmp_path):
    tour = [0, 2, 3, 1]
    for body in [
        "TYPE: TOUR\nDIMENSION: 4\nTOUR_SECTION\n1 3\n4\n2 -1\nEOF\n",
        "TYPE : TOUR\nDIMENSION : 4\nTOUR_SECTION\n1\n3\n4\n2\n-1\n-1\nEOF\n",  # TSPLIB's -1 -1
        "type\ttour\r\nDIMENSION\t4\r\nTOUR_SECTION 1 3 4 2 -1\r\n",  # tabs, CRLF, no EOF
        "DIMENSION : 4\nDIMENSION : 4\nTOUR_SECTION\n\n1 3\n\n4 2\n-1\nEOF\nwhatever\n",
        "TOUR_SECTION\n+1 03 4 2 -1\n",  # no DIMENSION: the tour's own length
    ]:
        np.testing.assert_array_equal(read_tour(_write(tmp_path, body, "t.tour")), tour)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e200", "2e12"])
def test_non_finite_or_huge_coordinates_name_the_file_and_line(tmp_path, value):
    path = _coords_file(tmp_path, "EUC_2D", f"1 0 0\n2 {value} 1\n3 0 1\n")
    with pytest.raises(
        ValueError,
        match=rf"x\.tsp, line 7: expected a number in NODE_COORD_SECTION that is finite and "
        rf"at most 1e\+12 in absolute value, got '{re.escape(value)}'",
    ):
        read_tsplib(path)


def test_bad_matrix_entries_name_the_file_and_line(tmp_path):
    head = HEAD + "DIMENSION: 3\nEDGE_WEIGHT_TYPE: EXPLICIT\nEDGE_WEIGHT_FORMAT: UPPER_ROW\n"
    path = _write(tmp_path, head + "EDGE_WEIGHT_SECTION\n1 2\nnan\nEOF\n")
    with pytest.raises(ValueError, match=r"x\.tsp, line 8: expected a number that is finite"):
        read_tsplib(path)
    path = _write(tmp_path, head + "EDGE_WEIGHT_SECTION\n1 -2\n3\nEOF\n")
    with pytest.raises(
        ValueError,
        match=r"x\.tsp, line 7: expected non-negative distances in EDGE_WEIGHT_SECTION, "
        r"got -2 from node 1 to node 3",
    ):
        read_tsplib(path)


def test_node_indices_must_be_whole_and_unique(tmp_path):
    path = _coords_file(tmp_path, "EUC_2D", "1 0 0\n1.5 1 1\n3 0 1\n")
    with pytest.raises(ValueError, match=r"line 7: expected a node index 1\.\.3 in NODE_COORD"):
        read_tsplib(path)
    path = _coords_file(tmp_path, "EUC_2D", "1 0 0\n3 1 1\n3 0 1\n")
    with pytest.raises(ValueError, match=r"line 8: node 3 appears twice in NODE_COORD_SECTION"):
        read_tsplib(path)


def test_a_tab_separates_a_key_without_a_colon(tmp_path):
    path = _write(
        tmp_path, "NAME\tt\nTYPE\tTSP\nDIMENSION\t3\nEDGE_WEIGHT_TYPE\tEUC_2D\n"
        "NODE_COORD_SECTION\n1 0 0\n2 3 0\n3 3 4\nEOF\n",
    )  # fmt: skip
    inst = read_tsplib(path)
    assert inst.name == "t" and inst.distances[0].tolist() == [0, 3, 5]


# ------------------------------------------------------- known optima and data
def _edited_eil51(tmp_path: Path, edit: str) -> Path:
    lines = (TEST_DATA / "tsplib" / "tsp" / "eil51.tsp").read_text().splitlines()
    start = lines.index("NODE_COORD_SECTION") + 1
    if edit == "removed":
        del lines[start + 50]  # city 51
        lines = [re.sub(r"^DIMENSION : 51", "DIMENSION : 50", line) for line in lines]
    else:
        lines[start + 4] = "5 1 1"  # city 5 moved
    path = tmp_path / "eil51.tsp"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_optimum_attaches_to_the_data_not_the_name(tmp_path):
    from cemopt import CemoptWarning
    from cemopt.problems.tsp import TSP, TSPLIB_DATA
    from cemopt.problems.tsplib import distance_digest

    original = TSP.from_tsplib(TEST_DATA / "tsplib" / "tsp" / "eil51.tsp")
    assert original.optimum == 426
    assert TSPLIB_DATA["eil51"] == (51, distance_digest(original.distances))
    for edit, why in [
        ("removed", "DIMENSION 50, not TSPLIB's 51"),
        ("moved", "distances that differ from TSPLIB's"),
    ]:
        with pytest.warns(
            CemoptWarning,
            match=rf"eil51\.tsp: NAME eil51 is the TSPLIB instance with optimum 426, but this "
            rf"file has {why}; no optimum is attached",
        ):
            problem = TSP.from_tsplib(_edited_eil51(tmp_path, edit))
        assert problem.optimum is None and problem.name == "eil51"


def test_every_listed_optimum_has_its_data(test_data):
    from cemopt.problems.tsp import TSPLIB_DATA

    assert set(TSPLIB_DATA) == set(TSPLIB_OPTIMA)


@pytest.mark.parametrize("root", data_roots(), ids=lambda p: p.parent.name)
def test_every_listed_instance_present_gets_its_optimum(root):
    # the digests were taken from these files; a mismatch would silently drop the
    # optimum (and the default target) of an instance the benchmarks rely on
    from cemopt.problems.tsp import TSP

    found = 0
    for name, value in TSPLIB_OPTIMA.items():
        paths = [root / "tsplib" / kind / f"{name}.{kind}" for kind in ("tsp", "atsp")]
        for path in (p for p in paths if p.exists()):
            assert TSP.from_tsplib(path).optimum == value, name
            found += 1
    assert found == (21 if root == TEST_DATA else len(TSPLIB_OPTIMA))  # shared: all listed


def test_malformed_tour_dimension_names_the_file(tmp_path):
    path = _write(tmp_path, "DIMENSION: 3.5\nTOUR_SECTION\n1 2 3 -1\nEOF\n", "t.tour")
    with pytest.raises(ValueError, match=r"t\.tour, line 1: expected an integer DIMENSION"):
        read_tour(path)
    path = _write(tmp_path, "DIMENSION: 3\nTOUR_SECTION\n1 2 inf -1\nEOF\n", "t.tour")
    with pytest.raises(ValueError, match=r"t\.tour, line 3: expected a whole node .*, got 'inf'"):
        read_tour(path)
