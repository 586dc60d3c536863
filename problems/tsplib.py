r"""Read TSPLIB95 instances (``.tsp``, ``.atsp``) and tours (``.tour``).

The parser is written here rather than taken from a package: ``vrplib`` targets the
VRPLIB flavour of the format (vehicle routing: capacities, demands, depots) and does
not implement TSPLIB's ATSP files, the column-wise matrix layouts or the ATT and GEO
distance rules; ``tsplib95`` is unmaintained and computes distances one pair at a time.
This module covers what the TSP and ATSP files of TSPLIB95 use, follows the
definitions of Reinelt's TSPLIB95 documentation to the letter (rounding included, so
that a published optimal tour evaluates exactly to its published length), and
computes every coordinate-based matrix with whole-array numpy operations.

Supported
---------
- ``TYPE``: TSP, ATSP.
- ``EDGE_WEIGHT_TYPE``: EXPLICIT, EUC_2D, EUC_3D, CEIL_2D, ATT, GEO, MAN_2D, MAN_3D,
  MAX_2D, MAX_3D.
- ``EDGE_WEIGHT_FORMAT`` (EXPLICIT): FULL_MATRIX, UPPER_ROW, LOWER_ROW,
  UPPER_DIAG_ROW, LOWER_DIAG_ROW, UPPER_COL, LOWER_COL, UPPER_DIAG_COL,
  LOWER_DIAG_COL; the numbers are read as one stream, however they wrap.

The diagonal of the returned matrix is always 0: ATSP files hold a per-file
"infinite" placeholder there (9999, 100000000, ...) that is not a distance. A
malformed file raises ``ValueError`` naming the file, the line and what was expected.

Examples
--------
>>> import tempfile, pathlib
>>> from cemopt.problems.tsplib import read_tsplib
>>> text = '''NAME: tiny
... TYPE: TSP
... DIMENSION: 3
... EDGE_WEIGHT_TYPE: EUC_2D
... NODE_COORD_SECTION
... 1 0 0
... 2 3 0
... 3 3 4
... EOF
... '''
>>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.tsp"
>>> _ = path.write_text(text)
>>> inst = read_tsplib(path)
>>> inst.name, inst.dimension, inst.edge_weight_type
('tiny', 3, 'EUC_2D')
>>> inst.distances
array([[0, 3, 5],
       [3, 0, 4],
       [5, 4, 0]])
"""

from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "CVRPLIBInstance",
    "TSPLIBInstance",
    "read_cvrplib",
    "read_tsplib",
    "read_tour",
    "distance_digest",
    "EDGE_WEIGHT_TYPES",
    "MATRIX_FORMATS",
    "COORDINATE_LIMIT",
]

#: Edge weight types this reader computes (EXPLICIT reads a matrix).
EDGE_WEIGHT_TYPES = (
    "EXPLICIT",
    "EUC_2D",
    "EUC_3D",
    "CEIL_2D",
    "ATT",
    "GEO",
    "MAN_2D",
    "MAN_3D",
    "MAX_2D",
    "MAX_3D",
)
#: EXPLICIT layouts this reader understands.
MATRIX_FORMATS = (
    "FULL_MATRIX",
    "UPPER_ROW",
    "LOWER_ROW",
    "UPPER_DIAG_ROW",
    "LOWER_DIAG_ROW",
    "UPPER_COL",
    "LOWER_COL",
    "UPPER_DIAG_COL",
    "LOWER_DIAG_COL",
)
_TYPES = ("TSP", "ATSP")
_SECTIONS = (
    "NODE_COORD_SECTION",
    "EDGE_WEIGHT_SECTION",
    "DISPLAY_DATA_SECTION",
    "TOUR_SECTION",
    "FIXED_EDGES_SECTION",
    "DEPOT_SECTION",
    "DEMAND_SECTION",
    "EDGE_DATA_SECTION",
)
#: The largest coordinate or matrix entry (in absolute value) the reader accepts: up to
#: it, TSPLIB's rounding of a distance is exact in float64 (spacing below 1e-3) and a
#: tour of a million such edges still fits in int64. Real instances stay below 1e7.
COORDINATE_LIMIT = 1e12
# TSPLIB95 documentation, section 2.4 (GEO): these exact constants, not math.pi.
_GEO_PI = 3.141592
_GEO_RRR = 6378.388
# a whole number as a tour file writes it (ASCII digits only: no "1_000", no "\u0661")
_INTEGER = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True, eq=False)
class TSPLIBInstance:
    """A TSP or ATSP instance as read from a TSPLIB file.

    Attributes
    ----------
    name : str
    type : str
        ``"TSP"`` (symmetric) or ``"ATSP"`` (asymmetric).
    dimension : int
        Number of nodes n.
    distances : ndarray, shape (n, n)
        The full distance matrix, row = from, column = to, zero diagonal; ``int64``
        for every computed type and for integer EXPLICIT data, ``float64`` otherwise.
    coordinates : ndarray, shape (n, 2) or (n, 3), or None
        NODE_COORD_SECTION, else DISPLAY_DATA_SECTION (drawing positions of an
        EXPLICIT instance), else None.
    edge_weight_type : str
    edge_weight_format : str or None
    comment : str
    """

    name: str
    type: str
    dimension: int
    distances: np.ndarray
    coordinates: np.ndarray | None
    edge_weight_type: str
    edge_weight_format: str | None
    comment: str

    def __repr__(self) -> str:
        return (
            f"TSPLIBInstance(name={self.name!r}, type={self.type!r}, "
            f"dimension={self.dimension}, edge_weight_type={self.edge_weight_type!r})"
        )


class _Lines:
    """The non-blank lines of a file with their 1-based numbers, and error helpers."""

    def __init__(self, path: str | PathLike) -> None:
        self.path = Path(path)
        text = self.path.read_text(encoding="utf-8", errors="replace")
        self.lines = [
            (number, line.strip())
            for number, line in enumerate(text.splitlines(), start=1)
            if line.strip()
        ]
        self.last = self.lines[-1][0] if self.lines else 1

    def error(self, line: int, message: str) -> ValueError:
        return ValueError(f"{self.path}, line {line}: {message}")


def _keyword(line: str) -> tuple[str, str] | None:
    """``("KEY", "value")`` for a header or section line, None for a data line."""
    if not (line[0].isalpha() or line[0] == "_"):
        return None
    try:  # "nan 3", "inf": a data line (whose numbers the section rejects), not a key
        float(line.split()[0])
        return None
    except ValueError:
        pass
    # the key is one word (TSPLIB's keys have no spaces); a colon, spaces or tabs end it
    match = re.match(r"([^\s:]+)\s*:?(.*)", line)
    if match is None:  # cannot happen: the line starts with a letter or "_"
        return None
    return match.group(1).upper(), match.group(2).strip()


def _split(
    source: _Lines,
) -> tuple[dict[str, tuple[int, str]], dict[str, list], dict[str, int]]:
    """Headers ``{KEY: (line, value)}``, sections ``{NAME: [(line, tokens), ...]}`` and
    the line each section starts on."""
    headers: dict[str, tuple[int, str]] = {}
    sections: dict[str, list] = {}
    starts: dict[str, int] = {}
    current: list | None = None
    for number, line in source.lines:
        keyword = _keyword(line)
        if keyword is None:
            if current is None:
                raise source.error(
                    number, f"expected a 'KEY : value' header or a section name, got {line!r}"
                )
            current.append((number, line.split()))
            continue
        key, value = keyword
        if key == "EOF":
            break
        if key in _SECTIONS or key.endswith("_SECTION"):
            current = sections.setdefault(key, [])
            starts.setdefault(key, number)
            if value:  # numbers on the section line itself
                current.append((number, value.split()))
        else:
            current = None
            headers[key] = (number, value)
    return headers, sections, starts


def _number_stream(source: _Lines, rows: list) -> tuple[np.ndarray, np.ndarray]:
    """All numbers of a section as one float array, with the line of each."""
    values, lines = [], []
    for number, tokens in rows:
        for token in tokens:
            values.append(_finite(source, number, token, "a number"))
            lines.append(number)
    return np.array(values, dtype=float), np.array(lines, dtype=np.int64)


def _finite(source: _Lines, number: int, token: str, what: str) -> float:
    """``float(token)``, or a ValueError naming the line unless it is a finite number of
    at most :data:`COORDINATE_LIMIT` in absolute value."""
    try:
        value = float(token)
    except ValueError:
        raise source.error(number, f"expected {what}, got {token!r}") from None
    if not abs(value) <= COORDINATE_LIMIT:  # also NaN
        raise source.error(
            number,
            f"expected {what} that is finite and at most {COORDINATE_LIMIT:g} in absolute "
            f"value, got {token!r}",
        )
    return value


def _entries_needed(fmt: str, n: int) -> int:
    if fmt == "FULL_MATRIX":
        return n * n
    return n * (n - 1) // 2 if "DIAG" not in fmt else n * (n + 1) // 2


def _stream_positions(fmt: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of each number of an EDGE_WEIGHT_SECTION stream, in stream order."""
    if fmt == "FULL_MATRIX":
        return np.divmod(np.arange(n * n), n)
    k = 0 if "DIAG" in fmt else 1
    if fmt.startswith("UPPER") == fmt.endswith("ROW"):
        rows, cols = np.triu_indices(n, k)
    else:
        rows, cols = np.tril_indices(n, -k)
    return (rows, cols) if fmt.endswith("ROW") else (cols, rows)


def _explicit_matrix(values: np.ndarray, fmt: str, n: int) -> np.ndarray:
    """Place a stream of ``_entries_needed(fmt, n)`` numbers into a full matrix.

    Row-major ``triu_indices`` is the order of UPPER_ROW; a column-wise layout of the
    lower triangle reads the same pairs in the same order with row and column swapped
    (LOWER_COL = UPPER_ROW transposed), and so on.
    """
    if fmt == "FULL_MATRIX":
        return values.reshape(n, n).copy()
    k = 0 if "DIAG" in fmt else 1
    if fmt.startswith("UPPER") == fmt.endswith("ROW"):  # UPPER_*ROW, LOWER_*COL
        rows, cols = np.triu_indices(n, k)
    else:  # LOWER_*ROW, UPPER_*COL
        rows, cols = np.tril_indices(n, -k)
    matrix = np.zeros((n, n))
    matrix[rows, cols] = values
    matrix[cols, rows] = values
    return matrix


def _nint(x: np.ndarray) -> np.ndarray:
    """TSPLIB's ``nint``: ``(int) (x + 0.5)`` for the non-negative values it rounds."""
    return np.floor(x + 0.5).astype(np.int64)


def _geo_radians(x: np.ndarray) -> np.ndarray:
    """TSPLIB95's DDD.MM conversion: ``deg = (int) x`` (truncation), minutes the rest."""
    degrees = np.trunc(x)
    minutes = x - degrees
    return _GEO_PI * (degrees + 5.0 * minutes / 3.0) / 180.0


def coordinate_distances(coordinates: np.ndarray, edge_weight_type: str) -> np.ndarray:
    """The full ``int64`` distance matrix of a coordinate-based TSPLIB type.

    Parameters
    ----------
    coordinates : ndarray, shape (n, 2) or (n, 3)
    edge_weight_type : str
        One of ``EDGE_WEIGHT_TYPES`` other than EXPLICIT.

    Returns
    -------
    ndarray of int64, shape (n, n), zero diagonal

    Examples
    --------
    >>> import numpy as np
    >>> xy = np.array([[0.0, 0.0], [1.0, 1.0]])
    >>> coordinate_distances(xy, "CEIL_2D")[0, 1], coordinate_distances(xy, "EUC_2D")[0, 1]
    (np.int64(2), np.int64(1))
    """
    xy = np.asarray(coordinates, dtype=float)
    if edge_weight_type == "GEO":
        lat, lon = _geo_radians(xy[:, 0]), _geo_radians(xy[:, 1])
        q1 = np.cos(lon[:, None] - lon[None, :])
        q2 = np.cos(lat[:, None] - lat[None, :])
        q3 = np.cos(lat[:, None] + lat[None, :])
        arc = np.arccos(np.clip(0.5 * ((1.0 + q1) * q2 - (1.0 - q1) * q3), -1.0, 1.0))
        dist = (_GEO_RRR * arc + 1.0).astype(np.int64)  # (int) truncation, as in TSPLIB95
    else:
        diff = np.abs(xy[:, None, :] - xy[None, :, :])
        if edge_weight_type in ("EUC_2D", "EUC_3D"):
            dist = _nint(np.sqrt((diff**2).sum(axis=-1)))
        elif edge_weight_type == "CEIL_2D":
            dist = np.ceil(np.sqrt((diff**2).sum(axis=-1))).astype(np.int64)
        elif edge_weight_type == "ATT":
            r = np.sqrt((diff**2).sum(axis=-1) / 10.0)
            t = _nint(r)
            dist = np.where(t < r, t + 1, t)
        elif edge_weight_type in ("MAN_2D", "MAN_3D"):
            dist = _nint(diff.sum(axis=-1))
        elif edge_weight_type in ("MAX_2D", "MAX_3D"):
            dist = _nint(diff).max(axis=-1)
        else:
            raise ValueError(
                f"`edge_weight_type` must be one of {EDGE_WEIGHT_TYPES[1:]}, "
                f"but got edge_weight_type={edge_weight_type!r}."
            )
    np.fill_diagonal(dist, 0)
    return dist


def _coordinates(source: _Lines, rows: list, n: int, section: str, line: int) -> np.ndarray:
    """An (n, d) array from ``index x y [z]`` lines (1-based indices, any order)."""
    if len(rows) != n:
        where = rows[-1][0] if rows else line
        raise source.error(where, f"{section} has {len(rows)} nodes; expected DIMENSION = {n}")
    width = len(rows[0][1])
    if width not in (3, 4):
        raise source.error(rows[0][0], f"expected 'index x y' or 'index x y z' in {section}")
    data = np.empty((n, width))
    for i, (number, tokens) in enumerate(rows):
        if len(tokens) != width:
            raise source.error(number, f"expected {width} numbers per line in {section}")
        data[i] = [_finite(source, number, token, f"a number in {section}") for token in tokens]
        if data[i, 0] != round(data[i, 0]) or not 1 <= data[i, 0] <= n:
            raise source.error(
                number, f"expected a node index 1..{n} in {section}, got {tokens[0]!r}"
            )
    index = data[:, 0].astype(np.int64) - 1
    if not np.array_equal(np.sort(index), np.arange(n)):
        seen = np.zeros(n, dtype=bool)
        for (number, _), i in zip(rows, index, strict=True):
            if seen[i]:
                raise source.error(number, f"node {i + 1} appears twice in {section}")
            seen[i] = True
    coordinates = np.empty((n, width - 1))
    coordinates[index] = data[:, 1:]
    return coordinates


def read_tsplib(path: str | PathLike) -> TSPLIBInstance:
    """Read a TSPLIB95 TSP or ATSP file.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    TSPLIBInstance

    Raises
    ------
    ValueError
        For a malformed file: the message names the file, the line and what was
        expected (a missing DIMENSION, too few matrix entries, an unknown
        EDGE_WEIGHT_TYPE, ...).

    Examples
    --------
    See the module docstring.
    """
    source = _Lines(path)
    if not source.lines:
        raise source.error(1, "expected a TSPLIB file, but the file is empty")
    headers, sections, starts = _split(source)
    header = _header_reader(source, headers, starts)
    type_line, kind = header("TYPE")
    kind = kind.split()[0].upper() if kind else ""
    if kind not in _TYPES:
        raise source.error(type_line, f"expected TYPE TSP or ATSP, got {kind!r}")
    n = _dimension(source, header, 2)
    distances, coordinates, ewt, fmt = _distances(
        source, header, sections, starts, n, atsp=kind == "ATSP"
    )

    name = headers.get("NAME", (0, path_stem(source.path)))[1] or path_stem(source.path)
    return TSPLIBInstance(
        name=name,
        type=kind,
        dimension=n,
        distances=distances,
        coordinates=coordinates,
        edge_weight_type=ewt,
        edge_weight_format=fmt,
        comment=headers.get("COMMENT", (0, ""))[1],
    )


def distance_digest(distances: np.ndarray, *more: Any) -> str:
    """A short SHA-256 digest of a distance matrix: its shape and its entries (as int64
    when they are all whole numbers, float64 otherwise), row by row; then the same for
    each further array in ``more`` (demands and capacity of a CVRP, say).

    Two instances with the same digest have the same tours and tour lengths, so a known
    optimum belongs to the digest, not to the name in a file's header.

    Examples
    --------
    >>> distance_digest(np.array([[0, 1], [1, 0]]))
    '8b5b236ff5bde115'
    """
    h = hashlib.sha256()
    for array in (distances, *more):
        matrix = np.asarray(array, dtype=float)
        if np.all(np.isfinite(matrix)) and np.all(matrix == np.round(matrix)):
            matrix = matrix.astype("<i8")
        else:
            matrix = matrix.astype("<f8")
        h.update(repr(matrix.shape).encode())
        h.update(np.ascontiguousarray(matrix).tobytes())
    return h.hexdigest()[:16]


def path_stem(path: Path) -> str:
    """A file's name without its TSPLIB suffixes (``a280.opt.tour`` -> ``a280``)."""
    return path.name.split(".")[0]


def read_tour(path: str | PathLike) -> np.ndarray:
    """Read a TSPLIB ``.tour`` file: the TOUR_SECTION as 0-based node indices.

    The file holds ``KEY : value`` headers (NAME, COMMENT, TYPE, DIMENSION; others
    are ignored, and TYPE and DIMENSION may repeat only with the same value), then
    ``TOUR_SECTION``: whole node numbers ``1..n``, each once, however they wrap across
    lines, ended by ``-1``. TSPLIB95 allows a second ``-1`` (the end of the section)
    and an ``EOF`` line; both are optional, and nothing else may follow the tour.
    ``TYPE``, when given, must be ``TOUR``; ``DIMENSION``, when given, must equal the
    number of nodes.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    ndarray of int64, shape (n,)
        The tour in file order, ``1`` in the file becoming ``0``.

    Raises
    ------
    ValueError
        Naming the file, the line and what was expected: an empty file, no
        TOUR_SECTION, a token that is not a whole number, no ``-1`` terminator, a node
        outside ``1..n``, a node repeated or missing, a count that differs from
        DIMENSION, a second tour or other text after the ``-1``, TYPE or DIMENSION
        repeated with another value.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.tour"
    >>> _ = path.write_text("TYPE : TOUR\\nDIMENSION : 3\\nTOUR_SECTION\\n1 3\\n2\\n-1\\nEOF\\n")
    >>> read_tour(path)
    array([0, 2, 1])
    """
    source = _Lines(path)
    if not source.lines:
        raise source.error(1, "expected a TSPLIB tour file, but the file is empty")
    rows = iter(source.lines)
    headers: dict[str, tuple[int, str]] = {}
    section: tuple[int, str] | None = None  # the TOUR_SECTION line and what follows it there
    for number, line in rows:
        keyword = _keyword(line)
        if keyword is None:
            raise source.error(
                number, f"expected a 'KEY : value' header or TOUR_SECTION, got {line!r}"
            )
        key, value = keyword
        if key == "TOUR_SECTION":
            section = number, value
            break
        if key == "EOF" or key.endswith("_SECTION"):
            raise source.error(number, f"expected TOUR_SECTION before {key}")
        if key in ("TYPE", "DIMENSION") and key in headers and headers[key][1] != value:
            raise source.error(
                number,
                f"{key} repeats with another value: {value!r} here, {headers[key][1]!r} on "
                f"line {headers[key][0]}",
            )
        headers.setdefault(key, (number, value))
    if section is None:
        raise source.error(source.last, "expected a TOUR_SECTION")
    if "TYPE" in headers and headers["TYPE"][1].upper() != "TOUR":
        raise source.error(headers["TYPE"][0], f"expected TYPE TOUR, got {headers['TYPE'][1]!r}")
    n = _dimension(source, lambda key: headers[key], 1) if "DIMENSION" in headers else None

    def tokens():  # (line, token) through the rest of the file, the section line first
        yield from ((section[0], token) for token in section[1].split())
        for number, line in rows:
            yield from ((number, token) for token in line.split())

    stream = tokens()
    nodes: list[int] = []
    lines: list[int] = []
    end = None  # the line of the tour's -1
    for number, token in stream:
        if token.upper() == "EOF":
            raise source.error(
                number, f"expected -1 to end the tour before EOF ({len(nodes)} nodes read)"
            )
        if not _INTEGER.fullmatch(token):
            raise source.error(
                number, f"expected a whole node number or -1 in TOUR_SECTION, got {token!r}"
            )
        if int(token) == -1:
            end = number
            break
        nodes.append(int(token))
        lines.append(number)
    if end is None:
        raise source.error(
            lines[-1] if lines else section[0],
            f"expected -1 to end the tour in TOUR_SECTION, but the file ends after "
            f"{len(nodes)} nodes",
        )
    closed = False  # after the tour: one more -1 (the end of the section), then EOF or nothing
    for number, token in stream:
        if token == "-1" and not closed:
            closed = True
            continue
        if token.upper() == "EOF":
            break
        other = "another tour" if _INTEGER.fullmatch(token) else repr(token)
        raise source.error(
            number,
            f"expected EOF or the end of the file after the tour's -1, got {other} "
            "(a tour file holds one tour)",
        )

    if n is not None and len(nodes) > n:
        raise source.error(
            lines[n],
            f"TOUR_SECTION has {len(nodes)} nodes; expected {n} for DIMENSION {n} (line "
            f"{headers['DIMENSION'][0]}): node {n + 1} of the tour is on this line",
        )
    size = len(nodes) if n is None else n
    allowed = f"1..{size}" + (
        f" (DIMENSION {n}, line {headers['DIMENSION'][0]})"
        if n is not None
        else f" (the tour has {size} nodes and the file no DIMENSION)"
    )
    first: dict[int, int] = {}
    for node, number in zip(nodes, lines, strict=True):
        if not 1 <= node <= size:
            raise source.error(number, f"expected a node number in {allowed}, got {node}")
        if node in first:
            raise source.error(
                number,
                f"expected each node once, but node {node} repeats (first on line {first[node]})",
            )
        first[node] = number
    if len(nodes) != size:  # fewer: in range and never repeated, so some are missing
        missing = itertools.islice((k for k in range(1, size + 1) if k not in first), 5)
        shown = ", ".join(map(str, missing)) + (", ..." if size - len(nodes) > 5 else "")
        raise source.error(
            end,
            f"TOUR_SECTION has {len(nodes)} nodes; expected {size} for DIMENSION {n} (line "
            f"{headers['DIMENSION'][0]}): missing {shown}",
        )
    return np.array(nodes, dtype=np.int64) - 1


# ------------------------------------------------------------------- CVRPLIB
@dataclass(frozen=True, eq=False)
class CVRPLIBInstance:
    """A capacitated vehicle routing instance as read from a CVRPLIB ``.vrp`` file.

    Node 0 is the depot (node 1 of the file), nodes ``1..n-1`` the customers, in the
    order of the file's node numbers.

    Attributes
    ----------
    name : str
    dimension : int
        Number of nodes n, the depot included.
    capacity : float
    demands : ndarray of float, shape (n,)
        ``demands[0]`` (the depot) is 0.
    distances : ndarray, shape (n, n)
        TSPLIB's rules for the EDGE_WEIGHT_TYPE (EUC_2D rounded to the nearest
        integer, CVRPLIB's convention), ``int64``; EXPLICIT matrices as given.
    coordinates : ndarray, shape (n, 2) or (n, 3), or None
    edge_weight_type : str
    edge_weight_format : str or None
    comment : str
    """

    name: str
    dimension: int
    capacity: float
    demands: np.ndarray
    distances: np.ndarray
    coordinates: np.ndarray | None
    edge_weight_type: str
    edge_weight_format: str | None
    comment: str

    def __repr__(self) -> str:
        return (
            f"CVRPLIBInstance(name={self.name!r}, dimension={self.dimension}, "
            f"capacity={self.capacity:g}, edge_weight_type={self.edge_weight_type!r})"
        )


def _header_reader(source: _Lines, headers: dict, starts: dict) -> Any:
    first_section = min(starts.values(), default=source.last)

    def header(key: str, required: bool = True) -> tuple[int, str | None]:
        if key in headers:
            return headers[key]
        if required:
            raise source.error(first_section, f"expected a {key} header before this line")
        return first_section, None

    return header


def _distances(
    source: _Lines,
    header: Any,
    sections: dict,
    starts: dict,
    n: int,
    atsp: bool,
) -> tuple[np.ndarray, np.ndarray | None, str, str | None]:
    """The distance matrix, the coordinates and the EDGE_WEIGHT_TYPE and FORMAT."""
    ewt_line, ewt = header("EDGE_WEIGHT_TYPE")
    ewt = (ewt or "").upper()
    if ewt not in EDGE_WEIGHT_TYPES:
        raise source.error(
            ewt_line,
            f"unknown EDGE_WEIGHT_TYPE {ewt!r}; expected one of {', '.join(EDGE_WEIGHT_TYPES)}",
        )
    fmt_line, fmt = header("EDGE_WEIGHT_FORMAT", required=False)
    fmt = fmt.upper() if fmt else None

    coordinates = None
    for section in ("NODE_COORD_SECTION", "DISPLAY_DATA_SECTION"):
        if section in sections:
            coordinates = _coordinates(source, sections[section], n, section, starts[section])
            break

    if ewt == "EXPLICIT":
        if fmt not in MATRIX_FORMATS:
            raise source.error(
                fmt_line,
                f"unknown EDGE_WEIGHT_FORMAT {fmt!r} for EXPLICIT weights; expected one of "
                f"{', '.join(MATRIX_FORMATS)}",
            )
        if atsp and fmt != "FULL_MATRIX":
            raise source.error(fmt_line, f"expected FULL_MATRIX for an ATSP, got {fmt}")
        if "EDGE_WEIGHT_SECTION" not in sections:
            raise source.error(source.last, "expected an EDGE_WEIGHT_SECTION (EXPLICIT weights)")
        values, lines = _number_stream(source, sections["EDGE_WEIGHT_SECTION"])
        needed = _entries_needed(fmt, n)
        if values.size != needed:
            where = int(lines[-1]) if lines.size else starts["EDGE_WEIGHT_SECTION"]
            if values.size > needed:
                where = int(lines[needed])
            few = "too few" if values.size < needed else "too many"
            raise source.error(
                where,
                f"{few} matrix entries in EDGE_WEIGHT_SECTION: got {values.size}, expected "
                f"{needed} for {fmt} with DIMENSION {n}",
            )
        rows, cols = _stream_positions(fmt, n)
        negative = np.flatnonzero((values < 0) & (rows != cols))
        if negative.size:
            k = int(negative[0])
            raise source.error(
                int(lines[k]),
                f"expected non-negative distances in EDGE_WEIGHT_SECTION, got {values[k]:g} "
                f"from node {rows[k] + 1} to node {cols[k] + 1}",
            )
        distances = _explicit_matrix(values, fmt, n)
        if np.all(distances == np.round(distances)):
            distances = distances.astype(np.int64)
    else:
        if coordinates is None or "NODE_COORD_SECTION" not in sections:
            raise source.error(
                source.last, f"expected a NODE_COORD_SECTION ({ewt} weights need coordinates)"
            )
        need = 3 if ewt.endswith("3D") else 2
        if coordinates.shape[1] != need:
            raise source.error(
                starts["NODE_COORD_SECTION"],
                f"expected {need} coordinates per node for {ewt}, got {coordinates.shape[1]}",
            )
        distances = coordinate_distances(coordinates, ewt)
    np.fill_diagonal(distances, 0)
    return distances, coordinates, ewt, fmt


def _dimension(source: _Lines, header: Any, minimum: int) -> int:
    dim_line, dim_text = header("DIMENSION")
    if not _INTEGER.fullmatch(dim_text or ""):  # int() would take "1_6" and non-ASCII digits
        raise source.error(dim_line, f"expected an integer DIMENSION, got {dim_text!r}")
    n = int(dim_text)
    if n < minimum:
        raise source.error(dim_line, f"expected DIMENSION >= {minimum}, got {n}")
    return n


def read_cvrplib(path: str | PathLike) -> CVRPLIBInstance:
    """Read a CVRPLIB (TSPLIB-style VRPLIB) ``.vrp`` file of a capacitated VRP.

    The file must say ``TYPE : CVRP`` and give DIMENSION (nodes, the depot included),
    CAPACITY, EDGE_WEIGHT_TYPE (with its coordinates or matrix, as in
    :func:`read_tsplib`), a DEMAND_SECTION of ``node demand`` lines for every node and
    a DEPOT_SECTION naming node 1, ended by ``-1``. The fleet size and a stated
    optimum, when the file has them, are in the COMMENT, which is returned as written
    (tabs included).

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    CVRPLIBInstance

    Raises
    ------
    ValueError
        For a malformed file, always naming the file and the line: a missing header or
        section, a DIMENSION that the sections do not match, a node listed twice, a
        demand that is negative, not finite, above CAPACITY or not 0 at the depot, a
        depot other than node 1, more than one depot, and so on.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> text = '''NAME : tiny
    ... COMMENT : (No of trucks: 2)
    ... TYPE : CVRP
    ... DIMENSION : 3
    ... EDGE_WEIGHT_TYPE : EUC_2D
    ... CAPACITY : 10
    ... NODE_COORD_SECTION
    ... 1 0 0
    ... 2 3 4
    ... 3 0 2
    ... DEMAND_SECTION
    ... 1 0
    ... 2 6
    ... 3 7
    ... DEPOT_SECTION
    ... 1
    ... -1
    ... EOF
    ... '''
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.vrp"
    >>> _ = path.write_text(text)
    >>> inst = read_cvrplib(path)
    >>> inst.demands.tolist(), inst.distances[0].tolist()
    ([0.0, 6.0, 7.0], [0, 5, 2])
    """
    source = _Lines(path)
    if not source.lines:
        raise source.error(1, "expected a CVRPLIB file, but the file is empty")
    headers, sections, starts = _split(source)
    header = _header_reader(source, headers, starts)
    type_line, kind = header("TYPE")
    kind = kind.split()[0].upper() if kind else ""
    if kind != "CVRP":
        raise source.error(type_line, f"expected TYPE CVRP, got {kind!r}")
    n = _dimension(source, header, 2)
    cap_line, cap_text = header("CAPACITY")
    capacity = _finite(source, cap_line, cap_text or "", "a number for CAPACITY")
    if not capacity > 0:
        raise source.error(cap_line, f"expected CAPACITY > 0, got {cap_text!r}")
    distances, coordinates, ewt, fmt = _distances(source, header, sections, starts, n, atsp=False)

    if "DEMAND_SECTION" not in sections:
        raise source.error(source.last, "expected a DEMAND_SECTION")
    rows = sections["DEMAND_SECTION"]
    if len(rows) != n:
        where = rows[-1][0] if rows else starts["DEMAND_SECTION"]
        raise source.error(where, f"DEMAND_SECTION has {len(rows)} nodes; expected DIMENSION = {n}")
    demands = np.full(n, np.nan)
    for number, tokens in rows:
        if len(tokens) != 2:
            raise source.error(number, f"expected 'node demand' in DEMAND_SECTION, got {tokens}")
        node = _finite(source, number, tokens[0], "a node number in DEMAND_SECTION")
        demand = _finite(source, number, tokens[1], "a demand in DEMAND_SECTION")
        if node != round(node) or not 1 <= node <= n:
            raise source.error(
                number, f"expected a node number 1..{n} in DEMAND_SECTION, got {tokens[0]!r}"
            )
        i = int(node) - 1
        if not np.isnan(demands[i]):
            raise source.error(number, f"node {i + 1} appears twice in DEMAND_SECTION")
        if demand < 0:
            raise source.error(number, f"expected a demand >= 0, got {tokens[1]!r}")
        if i == 0 and demand != 0:
            raise source.error(
                number, f"expected demand 0 at the depot (node 1), got {tokens[1]!r}"
            )
        if demand > capacity:
            raise source.error(
                number,
                f"node {i + 1} has demand {tokens[1]} above CAPACITY {cap_text}; no vehicle "
                "can serve it",
            )
        demands[i] = demand

    if "DEPOT_SECTION" not in sections:
        raise source.error(source.last, "expected a DEPOT_SECTION (node 1, then -1)")
    values, lines = _number_stream(source, sections["DEPOT_SECTION"])
    end = np.flatnonzero(values == -1)
    where = int(lines[-1]) if lines.size else starts["DEPOT_SECTION"]
    if end.size == 0:
        raise source.error(where, "expected -1 to end the DEPOT_SECTION")
    if end[0] + 1 != values.size:
        raise source.error(int(lines[end[0] + 1]), "expected nothing after -1 in DEPOT_SECTION")
    if values[: end[0]].tolist() != [1.0]:
        raise source.error(
            where,
            "expected one depot, node 1, in DEPOT_SECTION (cemopt's CVRP has its depot "
            f"first), got {[f'{v:g}' for v in values[: end[0]]]}",
        )

    name = headers.get("NAME", (0, ""))[1] or path_stem(source.path)
    return CVRPLIBInstance(
        name=name,
        dimension=n,
        capacity=capacity,
        demands=demands,
        distances=distances,
        coordinates=coordinates,
        edge_weight_type=ewt,
        edge_weight_format=fmt,
        comment=headers.get("COMMENT", (0, ""))[1],
    )
