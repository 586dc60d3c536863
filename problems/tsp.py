r"""The travelling salesman problem (TSP) and its asymmetric form (ATSP) by CE.

A tour visits every node once and returns to its start; its length is
:math:`\sum_k d_{t_k t_{k+1}}` with :math:`t_{n} = t_0`. CE samples tours from a
Markov chain over the nodes (:class:`cemopt.Permutation`: a transition matrix P,
each tour a walk that never revisits a node) and refits P to the transition
frequencies of the elite tours (Rubinstein 1999; de Boer, Kroese, Mannor &
Rubinstein 2005, section 3.2).

:func:`solve` runs CE (:func:`cemopt.minimize` with its ``improve`` hook) and, by
default, improves the best tours of each batch by a local search before the update:
the elite then holds locally optimal tours, and P learns which edges good local optima
share. Each iteration then kicks the best tour so far ``n_kicks`` times (iterated local
search: a local double bridge and the local search again, kept when shorter) and puts
the result in the batch. ``local_search=False`` runs plain CE, the reference method.
The local searches (:func:`two_opt`, :func:`or_opt`, :func:`two_opt_or_opt`) take a
``deadline``, so a ``time_limit`` holds even when improving one batch would take
longer.

Examples
--------
>>> from cemopt.problems.tsp import TSP, solve
>>> problem = TSP.random_euclidean(8, rng=0)
>>> problem
TSP(n=8, symmetric, name='random8')
>>> res = solve(problem, rng=1, target=False)
>>> sorted(res.x.tolist()) == list(range(8)), res.x[0]
(True, np.int64(0))
>>> bool(res.fun == problem.tour_length(res.x))
True
"""

from __future__ import annotations

import functools
import warnings
import weakref
from collections.abc import Callable
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

import cemopt as ce
from cemopt.families import nearest_candidates
from cemopt.validation import as_rng, check_int, check_real

from ._local_search import (
    allowed_local_search,
    check_deadline,
    check_search_callable,
    deadline_after,
    expired,
)
from ._neighbour_moves import (
    or_opt_neighbours,
    or_opt_segment_exchange_neighbours,
    two_opt_or_opt_exchange_neighbours,
    two_opt_or_opt_neighbours,
)
from .tsplib import distance_digest, read_tsplib

__all__ = [
    "LOCAL_SEARCHES",
    "NEIGHBOURS",
    "TSP",
    "TSPLIB_DATA",
    "TSPLIB_OPTIMA",
    "default_local_search",
    "neighbour_or_opt",
    "neighbour_or_opt_or_3opt",
    "neighbour_two_opt_or_opt",
    "neighbour_two_opt_or_opt_or_3opt",
    "or_opt",
    "solve",
    "two_opt",
    "two_opt_or_opt",
]

#: Optimal tour lengths of TSPLIB instances, by name. Source: TSPLIB95's
#: ``bestSolutions`` lists (G. Reinelt, "TSPLIB - a traveling salesman problem
#: library", ORSA J. Computing 3(4), 1991; comopt.ifi.uni-heidelberg.de/software/TSPLIB95),
#: as copied in ``../shared/data/tsplib/SOURCE.md``.
TSPLIB_OPTIMA: dict[str, int] = {
    # ATSP
    "br17": 39,
    "ftv33": 1286,
    "ftv35": 1473,
    "ftv38": 1530,
    "p43": 5620,
    "ry48p": 14422,
    "ft53": 6905,
    "ftv170": 2755,
    "rbg323": 1326,
    # TSP
    "burma14": 3323,
    "ulysses16": 6859,
    "gr17": 2085,
    "bayg29": 1610,
    "bays29": 2020,
    "dantzig42": 699,
    "att48": 10628,
    "eil51": 426,
    "berlin52": 7542,
    "st70": 675,
    "pr76": 108159,
    "kroA100": 21282,
    "ch130": 6110,
    "a280": 2579,
    # at scale (issue 16); the optimal tours shipped for pcb442 and pr1002 evaluate to
    # exactly these lengths
    "lin318": 42029,
    "rd400": 15281,
    "pr439": 107217,
    "pcb442": 50778,
    "d493": 35002,
    "att532": 27686,
    "rat575": 6773,
    "u724": 41910,
    "pr1002": 259045,
}

#: What each optimum of :data:`TSPLIB_OPTIMA` belongs to: the instance's DIMENSION and
#: :func:`cemopt.problems.tsplib.distance_digest` of its distance matrix as TSPLIB95
#: distributes it. :meth:`TSP.from_tsplib` attaches an optimum only when the name, the
#: dimension and the digest all match, so an edited copy of eil51 (a city removed or
#: moved) gets no optimum and no default stopping target.
TSPLIB_DATA: dict[str, tuple[int, str]] = {
    "br17": (17, "f54816fdb7387173"),
    "ftv33": (34, "39fc08c64f1018ec"),
    "ftv35": (36, "0597887ef1a02eb4"),
    "ftv38": (39, "c425eb00af7bfc0a"),
    "p43": (43, "b4ce29f709f5911c"),
    "ry48p": (48, "ba025fc215287243"),
    "ft53": (53, "bf542aa3d9122ee8"),
    "ftv170": (171, "721840fd3443a959"),
    "rbg323": (323, "a36898e3727c10bd"),
    "burma14": (14, "09620d5919361186"),
    "ulysses16": (16, "979eae86cb55fdc9"),
    "gr17": (17, "e118d5ce4a3f98d3"),
    "bayg29": (29, "4d522101be9477bf"),
    "bays29": (29, "7d823e07eee45a06"),
    "dantzig42": (42, "655bf80dcba5c93c"),
    "att48": (48, "7e12fa3838b57d99"),
    "eil51": (51, "f0235da317f404cf"),
    "berlin52": (52, "d0f51331de88c618"),
    "st70": (70, "3c6d900876efe228"),
    "pr76": (76, "6d05a17ffd011f3b"),
    "kroA100": (100, "d62bd8d85dd61197"),
    "ch130": (130, "b2aba344f42f13f6"),
    "a280": (280, "a126c470c9c353b2"),
    "lin318": (318, "351e5eacb4f0d97a"),
    "rd400": (400, "45bd3fff22eb43f4"),
    "pr439": (439, "abcb33a49b4a9a62"),
    "pcb442": (442, "74fba61baac9ebe0"),
    "d493": (493, "81e094d1ebb1a770"),
    "att532": (532, "ef4d1efd554723e0"),
    "rat575": (575, "44a18906e32f7588"),
    "u724": (724, "af11c7204eddf63b"),
    "pr1002": (1002, "9388ee3b05074300"),
}


class TSP:
    """A (possibly asymmetric) TSP on a full distance matrix.

    Parameters
    ----------
    distances : array_like, shape (n, n)
        ``distances[i, j]`` is the cost of the edge from i to j: finite,
        non-negative, n >= 3. The diagonal is ignored (set to 0).
    name : str, optional
    optimum : float, optional
        The known optimal tour length (used as the default target of :func:`solve`).
    coordinates : array_like, shape (n, 2), optional
        Positions of the nodes (x, y), for plotting (:func:`cemopt.plot.plot_tour`).
        :meth:`from_tsplib` gives GEO instances (longitude, latitude) in decimal
        degrees, so that their maps are not transposed.

    Attributes
    ----------
    distances : ndarray (n, n), read-only
    n : int
    symmetric : bool
        Whether ``distances`` equals its transpose.
    name, optimum, coordinates

    Examples
    --------
    >>> problem = TSP([[0, 1, 2], [1, 0, 3], [2, 3, 0]])
    >>> problem.tour_length([0, 1, 2]), problem.symmetric
    (6.0, True)
    """

    def __init__(
        self,
        distances: Any,
        *,
        name: str | None = None,
        optimum: float | None = None,
        coordinates: Any = None,
    ) -> None:
        try:
            matrix = np.array(distances, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(
                "`distances` must be a square (n, n) numeric matrix with n >= 3, but got "
                f"distances={_short(distances)}."
            ) from None
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] < 3:
            raise ValueError(
                "`distances` must be a square (n, n) matrix with n >= 3, "
                f"but got shape {matrix.shape}."
            )
        np.fill_diagonal(matrix, 0.0)
        if not np.all(np.isfinite(matrix)):
            raise ValueError("`distances` must be finite off the diagonal, but got inf or NaN.")
        if np.any(matrix < 0):
            raise ValueError(
                f"`distances` must be non-negative, but got min={matrix.min():g} off the diagonal."
            )
        matrix.setflags(write=False)
        self.distances = matrix
        self.n = matrix.shape[0]
        self.symmetric = bool(np.array_equal(matrix, matrix.T))
        self.name = name
        if optimum is not None and not (np.isfinite(optimum) and optimum >= 0):
            raise ValueError(f"`optimum` must be finite and >= 0, but got optimum={optimum!r}.")
        self.optimum = None if optimum is None else float(optimum)
        if coordinates is not None:
            coordinates = np.array(coordinates, dtype=float)
            if coordinates.ndim != 2 or coordinates.shape[0] != self.n:
                raise ValueError(
                    f"`coordinates` must have shape ({self.n}, 2), "
                    f"but got shape {coordinates.shape}."
                )
            coordinates.setflags(write=False)
        self.coordinates = coordinates

    # ------------------------------------------------------------ constructors
    @classmethod
    def from_tsplib(cls, path: str | PathLike) -> TSP:
        """Read a TSPLIB ``.tsp``/``.atsp`` file; the optimum comes from
        :data:`TSPLIB_OPTIMA` when the instance is listed there with the same
        DIMENSION and distance matrix (:data:`TSPLIB_DATA`).

        A file that carries a listed NAME but other data (a city removed, moved or
        added) gets no optimum, and a :class:`cemopt.CemoptWarning` says why.

        Examples
        --------
        >>> TSP.from_tsplib("../shared/data/tsplib/atsp/ftv33.atsp")  # doctest: +SKIP
        TSP(n=34, asymmetric, name='ftv33', optimum=1286)
        """
        instance = read_tsplib(path)
        name = instance.name.split(".")[0] or Path(path).name.split(".")[0]
        coordinates = instance.coordinates
        if instance.edge_weight_type == "GEO" and coordinates is not None:
            # TSPLIB's GEO rows are (latitude, longitude) in DDD.MM: plot positions are
            # (longitude, latitude) in decimal degrees, east to the right, north up
            degrees = np.trunc(coordinates)
            decimal = degrees + 5.0 * (coordinates - degrees) / 3.0
            coordinates = decimal[:, ::-1]
        return cls(
            instance.distances,
            name=name,
            optimum=_known_optimum(path, name, instance.distances),
            coordinates=coordinates,
        )

    @classmethod
    def from_coordinates(cls, xy: Any, **kwargs: Any) -> TSP:
        """Euclidean (float) distances between the rows of ``xy``, shape (n, d).

        Examples
        --------
        >>> TSP.from_coordinates([[0, 0], [3, 0], [3, 4]]).distances[0]
        array([0., 3., 5.])
        """
        points = np.asarray(xy, dtype=float)
        if points.ndim != 2 or points.shape[0] < 3:
            raise ValueError(
                f"`xy` must have shape (n, d) with n >= 3, but got shape {points.shape}."
            )
        diff = points[:, None, :] - points[None, :, :]
        distances = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
        return cls(distances, coordinates=points, **kwargs)

    @classmethod
    def random_euclidean(cls, n: int, rng: Any = None) -> TSP:
        """``n`` uniform points in the unit square, Euclidean distances.

        Examples
        --------
        >>> TSP.random_euclidean(5, rng=0).n
        5
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 3:
            raise ValueError(f"`n` must be an integer >= 3, but got n={n!r}.")
        points = np.random.default_rng(rng).random((int(n), 2))
        return cls.from_coordinates(points, name=f"random{n}")

    # ----------------------------------------------------------------- scoring
    def tour_length(self, tours: Any) -> Any:
        """Lengths of a batch of tours, shape (N, n) -> (N,); a single tour (n,) -> float.

        Each row must be a permutation of ``0..n-1``; the closing edge back to the
        first node counts.

        Examples
        --------
        >>> problem = TSP([[0, 1, 9], [9, 0, 1], [1, 9, 0]])
        >>> problem.tour_length([[0, 1, 2], [0, 2, 1]])
        array([ 3., 27.])
        """
        array = np.asarray(tours)
        single = array.ndim == 1
        array = np.atleast_2d(array)
        if array.ndim != 2 or array.shape[1] != self.n:
            raise ValueError(
                f"`tours` must have shape (N, {self.n}) or ({self.n},), "
                f"but got shape {np.shape(tours)}."
            )
        if not np.issubdtype(array.dtype, np.integer):
            raise ValueError(f"`tours` must hold integer node indices, but got {array.dtype}.")
        if not np.array_equal(
            np.sort(array, axis=1), np.broadcast_to(np.arange(self.n), array.shape)
        ):
            raise ValueError(f"`tours` must have each row a permutation of 0..{self.n - 1}.")
        lengths = _lengths(self.distances, array)
        return float(lengths[0]) if single else lengths

    def __repr__(self) -> str:
        parts = [f"n={self.n}", "symmetric" if self.symmetric else "asymmetric"]
        if self.name is not None:
            parts.append(f"name={self.name!r}")
        if self.optimum is not None:
            parts.append(f"optimum={self.optimum:g}")
        return f"TSP({', '.join(parts)})"


def _known_optimum(path: str | PathLike, name: str, distances: np.ndarray) -> int | None:
    """TSPLIB's optimum for these data, or None (with a warning when only the name
    matches)."""
    if name not in TSPLIB_OPTIMA:
        return None
    dimension, digest = TSPLIB_DATA[name]
    if len(distances) != dimension:
        why = f"DIMENSION {len(distances)}, not TSPLIB's {dimension}"
    elif distance_digest(distances) != digest:
        why = "distances that differ from TSPLIB's"
    else:
        return TSPLIB_OPTIMA[name]
    warnings.warn(
        f"{path}: NAME {name} is the TSPLIB instance with optimum {TSPLIB_OPTIMA[name]}, "
        f"but this file has {why}; no optimum is attached (and no default target).",
        ce.CemoptWarning,
        stacklevel=3,
    )
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _segment_double_bridge(tour: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``A B C D -> A C B D`` with the cuts within 50 positions from a random start: the
    double bridge of iterated local search (Martin, Otto & Felten 1991) kept local, so
    the local search repairs it with few moves; it keeps the direction of every path,
    so it suits asymmetric problems too."""
    n = len(tour)
    window = min(50, n)
    if window < 4:
        return tour.copy()
    a, b, c = np.sort(rng.choice(np.arange(1, window), 3, replace=False))
    t = np.roll(tour, -int(rng.integers(n)))
    return np.concatenate([t[:a], t[b:c], t[a:b], t[c:]])


def _lengths(distances: np.ndarray, tours: np.ndarray) -> np.ndarray:
    """Unchecked batch tour lengths: one fancy-indexing gather and a row sum."""
    return distances[tours, np.roll(tours, -1, axis=1)].sum(axis=1)


def _tolerance(distances: np.ndarray) -> float:
    """A move improves when its delta is below ``-tol`` (round-off on float data)."""
    return 1e-9 * max(float(distances.max()), 1.0)


def _check_tour(problem: TSP, tour: Any) -> np.ndarray:
    if not isinstance(problem, TSP):
        raise TypeError(f"`problem` must be a TSP, but got {type(problem).__name__}.")
    t = np.array(tour, dtype=np.int64)
    if t.shape != (problem.n,) or not np.array_equal(np.sort(t), np.arange(problem.n)):
        raise ValueError(
            f"`tour` must be a permutation of 0..{problem.n - 1}, but got tour={_short(tour)}."
        )
    return t


def _rotate_to(t: np.ndarray, first: int) -> np.ndarray:
    return np.roll(t, -int(np.flatnonzero(t == first)[0]))


# ------------------------------------------------------------------ local search
#: The names ``local_search`` takes in :func:`solve`: 2-opt (symmetric problems),
#: or-opt (any), and 2-opt then or-opt again until neither improves (symmetric); the
#: ``neighbour`` searches on the ``NEIGHBOURS`` nearest nodes, among them or-opt with
#: the segment exchange (or-3opt) for any problem.
LOCAL_SEARCHES = (
    "2-opt",
    "or-opt",
    "2-opt+or-opt",
    "neighbour 2-opt+or-opt",
    "neighbour 2-opt+or-opt+or-3opt",
    "neighbour or-opt",
    "neighbour or-opt+or-3opt",
)
#: nearest neighbours per node for the neighbour-list searches
NEIGHBOURS = 10


def _two_opt(
    d: np.ndarray, t: np.ndarray, tol: float, deadline: float | None
) -> tuple[np.ndarray, bool]:
    """Best-improvement 2-opt to a local optimum, or until ``deadline``; ``t`` is
    modified in place."""
    n = t.size
    i, j = np.triu_indices(n, 2)  # edges (t_i, t_i+1) and (t_j, t_j+1), not adjacent
    keep = ~((i == 0) & (j == n - 1))
    i, j = i[keep], j[keep]
    improved = False
    if i.size == 0:  # a triangle: every pair of its edges is adjacent, no 2-opt move
        return t, improved
    while not expired(deadline):
        a, b = t, np.roll(t, -1)
        delta = d[a[i], a[j]] + d[b[i], b[j]] - d[a[i], b[i]] - d[a[j], b[j]]
        k = int(np.argmin(delta))
        if delta[k] >= -tol:
            break
        t[i[k] + 1 : j[k] + 1] = t[i[k] + 1 : j[k] + 1][::-1].copy()
        improved = True
    return t, improved


def _or_opt(
    d: np.ndarray, t: np.ndarray, tol: float, deadline: float | None, max_len: int = 3
) -> tuple[np.ndarray, bool]:
    """Best-improvement or-opt (segments of 1..max_len nodes moved forward-facing), to a
    local optimum or until ``deadline``."""
    n = t.size
    lengths = [length for length in range(1, max_len + 1) if length <= n - 2]
    offset = (np.arange(n)[None, :] - np.arange(n)[:, None]) % n  # (k - i) mod n
    improved = False
    while not expired(deadline):
        nxt = np.roll(t, -1)
        edge = d[t, nxt]  # edge k: t_k -> t_k+1
        best, move = -tol, None
        for length in lengths:
            s, e = t, np.roll(t, -(length - 1))  # segment t_i .. t_i+L-1
            p, q = np.roll(t, 1), np.roll(t, -length)
            removal = d[p, s] + d[e, q] - d[p, q]
            # delta[i, k]: move segment i between t_k and t_k+1
            delta = d[np.ix_(t, s)].T + d[np.ix_(e, nxt)] - edge[None, :] - removal[:, None]
            delta[(offset < length) | (offset > n - 2)] = np.inf
            flat = int(np.argmin(delta))
            if delta.flat[flat] < best:
                best, move = float(delta.flat[flat]), (length, *divmod(flat, n))
        if move is None:
            break
        length, i, k = move
        r = np.roll(t, -i)
        m = (k - i) % n
        seg, rest = r[:length], r[length:]
        cut = m - length + 1
        t = np.concatenate([rest[:cut], seg, rest[cut:]])
        improved = True
    return t, improved


def _combined(d: np.ndarray, t: np.ndarray, tol: float, deadline: float | None) -> np.ndarray:
    t, _ = _two_opt(d, t, tol, deadline)
    while True:
        t, improved = _or_opt(d, t, tol, deadline)
        if not improved:
            return t
        t, improved = _two_opt(d, t, tol, deadline)
        if not improved:
            return t


_SEARCHES: dict[str, Callable[[np.ndarray, np.ndarray, float, float | None], np.ndarray]] = {
    "2-opt": lambda d, t, tol, deadline: _two_opt(d, t, tol, deadline)[0],
    "or-opt": lambda d, t, tol, deadline: _or_opt(d, t, tol, deadline)[0],
    "2-opt+or-opt": _combined,
}


def _symmetric_only(problem: TSP) -> None:
    if not problem.symmetric:
        raise ValueError("`problem` must be symmetric for 2-opt; use or_opt for an ATSP.")


def two_opt(problem: TSP, tour: Any, *, deadline: float | None = None) -> np.ndarray:
    """Improve a tour by 2-opt moves until none shortens it (a 2-optimal tour).

    A 2-opt move removes two edges and reconnects the two paths the other way,
    reversing one of them; it is exact only for a symmetric problem (on an
    asymmetric one the reversed path changes length, which this move ignores, so
    use :func:`or_opt` there).

    Parameters
    ----------
    problem : TSP
    tour : array_like of int, shape (n,)
    deadline : float, optional
        A :func:`time.perf_counter` reading: once it has passed, no further move is
        tried and the tour so far is returned (at once, when it has passed already).
        None (default): run to the local optimum.

    Returns
    -------
    ndarray of int64, shape (n,)
        A 2-optimal tour (or, past the deadline, the tour reached), no longer than
        ``tour``, starting at the same node.

    Notes
    -----
    Best improvement: each pass computes the deltas of all n (n - 3) / 2 moves at
    once with numpy (four gathers from the distance matrix), applies the best one
    and repeats: O(n^2) time and memory per pass, O(n) passes typical from a random
    tour and a handful from a good one. The deadline is checked before each pass.

    Examples
    --------
    >>> problem = TSP.from_coordinates([[0, 0], [1, 0], [1, 1], [0, 1]])
    >>> two_opt(problem, [0, 2, 1, 3]).tolist()
    [0, 1, 2, 3]
    """
    t = _check_tour(problem, tour)
    deadline = check_deadline(deadline)
    _symmetric_only(problem)
    first = int(t[0])
    t, _ = _two_opt(problem.distances, t, _tolerance(problem.distances), deadline)
    return _rotate_to(t, first)


def or_opt(
    problem: TSP, tour: Any, *, max_len: int = 3, deadline: float | None = None
) -> np.ndarray:
    """Improve a tour by or-opt moves until none shortens it.

    An or-opt move cuts a segment of 1 to ``max_len`` consecutive nodes and
    reinserts it between two other neighbours, keeping its direction of travel, so
    it is exact on asymmetric problems too.

    Parameters
    ----------
    problem : TSP
    tour : array_like of int, shape (n,)
    max_len : int, default 3
    deadline : float, optional
        A :func:`time.perf_counter` reading, as in :func:`two_opt`.

    Returns
    -------
    ndarray of int64, shape (n,)
        A tour no longer than ``tour`` with no improving or-opt move (or, past the
        deadline, the tour reached), starting at the same node.

    Notes
    -----
    Best improvement: each pass evaluates all ``max_len * n * (n - L - 1)`` moves
    as ``(n, n)`` arrays per segment length (two gathers each), applies the best and
    repeats: O(max_len n^2) time and O(n^2) memory per pass. The deadline is checked
    before each pass.

    Examples
    --------
    >>> d = [[0, 1, 5, 5], [5, 0, 1, 5], [5, 5, 0, 1], [1, 5, 5, 0]]
    >>> or_opt(TSP(d), [0, 2, 1, 3]).tolist()
    [0, 1, 2, 3]
    """
    t = _check_tour(problem, tour)
    max_len = check_int(max_len, "max_len", minimum=1)
    deadline = check_deadline(deadline)
    first = int(t[0])
    t, _ = _or_opt(problem.distances, t, _tolerance(problem.distances), deadline, max_len)
    return _rotate_to(t, first)


def two_opt_or_opt(problem: TSP, tour: Any, *, deadline: float | None = None) -> np.ndarray:
    """2-opt, then or-opt, again until neither improves (symmetric problems).

    ``deadline`` (a :func:`time.perf_counter` reading) stops it as in :func:`two_opt`.

    Examples
    --------
    >>> problem = TSP.from_coordinates([[0, 0], [1, 0], [1, 1], [0, 1]])
    >>> two_opt_or_opt(problem, [0, 2, 1, 3]).tolist()
    [0, 1, 2, 3]
    """
    t = _check_tour(problem, tour)
    deadline = check_deadline(deadline)
    _symmetric_only(problem)
    first = int(t[0])
    t = _combined(problem.distances, t, _tolerance(problem.distances), deadline)
    return _rotate_to(t, first)


def neighbour_two_opt_or_opt(
    problem: TSP, tour: Any, *, deadline: float | None = None
) -> np.ndarray:
    """2-opt and or-opt on the ``NEIGHBOURS`` nearest nodes with don't-look bits, in
    turn until neither improves (symmetric problems).

    A local optimum for the moves that bring a node next to one of its nearest
    neighbours (:mod:`cemopt.problems._neighbour_moves`), at ``O(n k)`` work per sweep
    rather than the full searches' ``O(n^2)`` per move. ``deadline`` as in
    :func:`two_opt`.

    Examples
    --------
    >>> problem = TSP.from_coordinates([[0, 0], [1, 0], [1, 1], [0, 1]])
    >>> neighbour_two_opt_or_opt(problem, [0, 2, 1, 3]).tolist()
    [0, 1, 2, 3]
    """
    return _run_neighbour_search(problem, tour, deadline, "neighbour 2-opt+or-opt")


def neighbour_or_opt(problem: TSP, tour: Any, *, deadline: float | None = None) -> np.ndarray:
    """Or-opt (segments of 1 to 3 nodes, forward-facing) on the ``NEIGHBOURS`` nearest
    successors and predecessors with don't-look bits. ``deadline`` as in
    :func:`two_opt`.

    Examples
    --------
    >>> d = [[0, 1, 5, 5], [5, 0, 1, 5], [5, 5, 0, 1], [1, 5, 5, 0]]
    >>> neighbour_or_opt(TSP(d), [0, 2, 1, 3]).tolist()
    [0, 1, 2, 3]
    """
    return _run_neighbour_search(problem, tour, deadline, "neighbour or-opt")


def neighbour_or_opt_or_3opt(
    problem: TSP, tour: Any, *, deadline: float | None = None
) -> np.ndarray:
    """Or-opt and the segment exchange (or-3opt: two consecutive paths of any length
    trade places, each kept in its direction) on the ``NEIGHBOURS`` nearest nodes with
    don't-look bits, in turn until neither improves: the default search of an
    asymmetric problem (every move keeps the direction of travel). ``deadline`` as in
    :func:`two_opt`.

    Examples
    --------
    >>> d = [[0, 1, 5, 5], [5, 0, 1, 5], [5, 5, 0, 1], [1, 5, 5, 0]]
    >>> neighbour_or_opt_or_3opt(TSP(d), [0, 2, 1, 3]).tolist()
    [0, 1, 2, 3]
    """
    return _run_neighbour_search(problem, tour, deadline, "neighbour or-opt+or-3opt")


def neighbour_two_opt_or_opt_or_3opt(
    problem: TSP, tour: Any, *, deadline: float | None = None
) -> np.ndarray:
    """2-opt, or-opt and the segment exchange (or-3opt) on the ``NEIGHBOURS`` nearest
    nodes with don't-look bits, in turn until none improves: the default search of a
    symmetric problem. ``deadline`` as in :func:`two_opt`.

    Examples
    --------
    >>> problem = TSP.from_coordinates([[0, 0], [1, 0], [1, 1], [0, 1]])
    >>> neighbour_two_opt_or_opt_or_3opt(problem, [0, 2, 1, 3]).tolist()
    [0, 1, 2, 3]
    """
    return _run_neighbour_search(problem, tour, deadline, "neighbour 2-opt+or-opt+or-3opt")


def default_local_search(problem: TSP) -> str:
    """The search ``local_search=True`` means: ``"neighbour 2-opt+or-opt+or-3opt"`` on
    a symmetric problem; on an asymmetric one (where a 2-opt move, which reverses a
    path, changes its length) ``"neighbour or-opt+or-3opt"``.

    The neighbour-list searches (the ``NEIGHBOURS = 10`` nearest nodes, don't-look bits,
    first improvement; :mod:`cemopt.problems._neighbour_moves`) replaced the
    full-neighbourhood ones as the default after measuring both in ``tsp.solve`` with
    ``time_limit=60`` (30 for the two smallest), seed 0: kroA100 optimal in 0.2 s (1.7
    s), ch130 optimal in 8 s (0.05% above at 30 s), a280 0.62% above the optimum
    (3.10%), lin318 0.97% (3.0%). The segment exchange (or-3opt), with faster or-opt
    moves, then came into both defaults (``benchmarks/tsp.py``, 60 s, seed 0): on the
    ATSPs, where or-opt alone was weak, ftv170 from 1.74% to 0.54%, rbg323 from 3.02% to
    2.19%, and ry48p, p43, ftv33, ftv35, ftv38 and ft53 optimal in at most 5.6 s (3
    seeds each; ry48p took 12 s median before); on the symmetric ones rd400 from 1.58%
    to 1.13%, pr439 from 1.12% to 0.65%, pcb442 from 1.64% to 1.30%, lin318 from 0.97%
    to 0.78%, with eil51, berlin52, st70, kroA100 and ch130 still optimal within 3 s.
    The full searches stay available by name.

    Examples
    --------
    >>> default_local_search(TSP([[0, 1, 2], [1, 0, 3], [2, 3, 0]]))
    'neighbour 2-opt+or-opt+or-3opt'
    """
    if not isinstance(problem, TSP):
        raise TypeError(f"`problem` must be a TSP, but got {type(problem).__name__}.")
    return "neighbour 2-opt+or-opt+or-3opt" if problem.symmetric else "neighbour or-opt+or-3opt"


def _resolve_local_search(problem: TSP, local_search: Any) -> Callable | None:
    """``local_search`` checked and turned into ``search(d, tour, tol, deadline) -> tour``
    (None for plain CE)."""
    if isinstance(local_search, (bool, np.bool_)):
        if not local_search:
            return None
        local_search = default_local_search(problem)
    if isinstance(local_search, str):
        if local_search.startswith("neighbour ") and local_search in LOCAL_SEARCHES:
            if "2-opt" in local_search and not problem.symmetric:
                raise ValueError(
                    "`local_search` must not use 2-opt on an asymmetric problem (use "
                    f"'neighbour or-opt+or-3opt'), but got local_search={local_search!r}."
                )
            return _neighbour_search(problem, local_search)
        if local_search not in _SEARCHES:
            raise ValueError(
                f"{allowed_local_search(LOCAL_SEARCHES, 'tour')}, "
                f"but got local_search={local_search!r}."
            )
        if "2-opt" in local_search and not problem.symmetric:
            raise ValueError(
                "`local_search` must not use 2-opt on an asymmetric problem (use 'or-opt' or "
                f"True), but got local_search={local_search!r}."
            )
        return _SEARCHES[local_search]
    if not callable(local_search):
        raise TypeError(
            f"{allowed_local_search(LOCAL_SEARCHES, 'tour')}, "
            f"but got local_search={_short(local_search)}."
        )
    check_search_callable(local_search, problem, "tour", LOCAL_SEARCHES)
    user = local_search

    def search(d: np.ndarray, t: np.ndarray, tol: float, deadline: float | None) -> np.ndarray:
        out = np.asarray(user(problem, t, deadline=deadline))
        if (
            out.shape != (problem.n,)
            or not np.issubdtype(out.dtype, np.integer)
            or not np.array_equal(np.sort(out), np.arange(problem.n))
        ):
            raise ValueError(
                f"`local_search` must return a permutation of 0..{problem.n - 1}, but "
                f"{getattr(user, '__name__', 'it')} returned {_short(out)}."
            )
        return out.astype(np.int64)

    return search


#: per problem, its distances (to tell a replaced matrix) and their neighbour lists
_NEIGHBOUR_LISTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _neighbour_lists(problem: TSP) -> tuple[list, list, list]:
    """The distances as nested lists, the nearest successors and the nearest
    predecessors of every node: built once per problem (the public searches are
    called once per tour when passed to :func:`solve`)."""
    d = problem.distances
    cached = _NEIGHBOUR_LISTS.get(problem)
    if cached is None or cached[0] is not d:
        k = min(NEIGHBOURS, problem.n - 1)
        near = nearest_candidates(d, k).tolist()
        near_in = near if problem.symmetric else nearest_candidates(d.T, k).tolist()
        cached = (d, d.tolist(), near, near_in)
        _NEIGHBOUR_LISTS[problem] = cached
    return cached[1], cached[2], cached[3]


def _run_neighbour_search(problem: TSP, tour: Any, deadline: Any, name: str) -> np.ndarray:
    """The public face of the neighbour-list search ``name``: the tour and deadline
    checked (and a symmetric problem where it uses 2-opt), the result starting where
    ``tour`` does."""
    t = _check_tour(problem, tour)
    deadline = check_deadline(deadline)
    if "2-opt" in name:
        _symmetric_only(problem)
    search = _neighbour_search(problem, name)
    found = search(problem.distances, t, _tolerance(problem.distances), deadline)
    return _rotate_to(found, int(t[0]))


def _neighbour_search(problem: TSP, name: str) -> Callable:
    """The neighbour-list search ``name`` on this problem."""
    rows, near, near_in = _neighbour_lists(problem)

    def search(dist: np.ndarray, t: np.ndarray, tol: float, deadline: float | None) -> np.ndarray:
        if name == "neighbour 2-opt+or-opt":
            return two_opt_or_opt_neighbours(rows, t, near, tol, deadline)
        if name == "neighbour 2-opt+or-opt+or-3opt":
            return two_opt_or_opt_exchange_neighbours(rows, t, near, tol, deadline)
        if name == "neighbour or-opt+or-3opt":
            return or_opt_segment_exchange_neighbours(
                rows, t, near, tol, deadline, in_neighbours=near_in
            )
        return or_opt_neighbours(
            rows, t, near, tol, deadline, symmetric=False, in_neighbours=near_in
        )[0]

    return search


# ----------------------------------------------------------------------- solve
# Above this many nodes solve samples from the sparse tour family on the _CANDIDATES
# nearest successors. The sparse sampler is the faster one from about 280 nodes
# (benchmarks/sparse_permutation.py: 1.6x there, 5.8x at 1 002), but up to 500 nodes
# the sampling is a small part of a minute and the dense family did as well (seven
# TSPLIB instances of 280 to 493 nodes, 3 seeds, 60 s: mean gaps 0.28% dense, 0.29%
# sparse, worst 0.97% and 1.07%); at 1 002 nodes the dense batch is a third of the
# minute and the sparse family ends closer (pr1002: 0.97% against 1.39%).
_DENSE_UP_TO = 500
_CANDIDATES = 10


def solve(
    problem: TSP,
    *,
    rng: Any = None,
    local_search: bool | str | Callable[..., Any] = True,
    max_evals: int | None = None,
    time_limit: float | None = None,
    callback: Callable[[ce.OptimizeResult], Any] | None = None,
    progress: bool = False,
    n_samples: int | None = None,
    elite_frac: float | None = None,
    smoothing: float | None = None,
    n_improve: int | None = None,
    n_kicks: int | None = None,
    candidates: int | None = None,
    max_iter: int = 500,
    patience: int | None = None,
    restarts: int | None = None,
    target: Any = None,
) -> ce.OptimizeResult:
    """Find a short tour by CE over random tours (:class:`cemopt.Permutation`, or
    :class:`cemopt.SparsePermutation` above 500 nodes), with local search.

    Each iteration asks :class:`cemopt.CrossEntropy` for a batch of tours, scores it
    with :meth:`TSP.tour_length`, replaces the ``n_improve`` best tours by their
    local optima, and tells the batch back; the elite (the best ``elite_frac``) then
    refits the transition matrix.

    Parameters
    ----------
    problem : TSP
    rng : None, int or numpy.random.Generator
    local_search : bool, str or callable, default True
        True: the problem's default search (:func:`default_local_search`: ``"neighbour
        2-opt+or-opt+or-3opt"`` for a symmetric problem: 2-opt, or-opt and the segment
        exchange on the 10 nearest neighbours with don't-look bits; for an asymmetric one
        ``"neighbour or-opt+or-3opt"``, or-opt and the direction-keeping segment exchange).
        False: plain CE, the reference method. A name from :data:`LOCAL_SEARCHES`. Or a
        callable ``local_search(problem, tour, *, deadline) -> tour``, the convention of
        :func:`two_opt`, :func:`or_opt` and :func:`two_opt_or_opt` (which can be passed as
        they are): it gets a tour (int64, shape (n,), its own copy) and ``deadline``, a
        :func:`time.perf_counter` reading past which it should return (None without
        ``time_limit``), and returns a permutation of ``0..n-1``.
    max_evals : int, optional
        Tours sampled and scored, at most (the last batch is cut to fit).
    time_limit : float, optional
        Seconds for the whole run. The local search stops at it between moves and
        the engine between iterations, so the run ends within about a second of it
        even when one iteration is long (measured: ``a280`` with ``time_limit=30``
        ended after 30.0 s, against 71 s when only the engine checked it); status
        ``"time_limit"``.
    callback : callable, optional
        ``callback(intermediate_result)`` after each iteration; True stops the run.
    progress : bool, default False
        A one-line progress bar on stderr.
    n_samples : int, optional
        Tours per iteration. Default: ``5 n^2`` for plain CE, the CE tutorial's value
        (de Boer et al. 2005, section 3.2), and at least 100, so that the default
        elite of 1 % holds one tour on 3 or 4 cities; ``max(500, 5 n)`` with local search
        (measured on ftv33..kroA100: 50 tours converged on a near-optimal local
        optimum of ftv38 and ft53; 500 reached their optima in a few seconds).
    elite_frac : float, optional
        Default 0.01 for plain CE (the tutorial's rho), 0.1 with local search; raised
        to ``1 / n_samples`` where that is less than one tour.
    smoothing : float, optional
        Weight of the new fit, alpha. Default 0.3. The tutorial's 0.7 froze plain CE
        on ft53 at 3-5 % above the optimum (2 seeds), 0.3 at 1.1-1.6 %; with local
        search the local optima agree quickly, and a slower P keeps exploring.
    n_improve : int, optional
        How many of the best tours of each batch are improved, the best first.
        Default: the elite (``ceil(elite_frac * n_samples)``, 50 tours). Improving
        the whole elite keeps a CE + local search run at 0.3-3 s up to kroA100 on a
        2-core machine (``benchmarks/tsp.py``), so there was no need to improve fewer.
    n_kicks : int, optional
        Iterated local search on the best tour so far, after the batch's own local
        optima: this many times per iteration, a segment double bridge (three cuts
        within 50 positions, the two middle paths swapped) and the local search from
        there, kept when shorter; the result joins the batch in place of its best
        tour, so the elite learns from it. Default ``n`` with local search (0 turns it
        off; plain CE has none). Measured alone from a random start, 20 s, seed 0: pcb442
        0.44% above the optimum, rd400 0.67%, d493 1.02%, rbg323 and ftv170 optimal,
        where CE with local search alone stood at 1.3%, 1.4%, 1.8%, 2.2% and 0.5% after
        60 s.
    candidates : int, optional
        The tour family. ``k > 0``: :class:`cemopt.SparsePermutation` on the ``k``
        nearest successors of each node (:func:`cemopt.families.nearest_candidates`),
        whose sampling, ``logpdf`` and fit cost ``O(n k)`` per tour; 0: the dense
        :class:`cemopt.Permutation` (``O(n^2)`` per tour). Default 0 up to 500 nodes
        and 10 above, where the dense batch takes a large share of the time (pr1002
        at 60 s: 0.97% above the optimum sparse, 1.39% dense; ``benchmarks/tsp.py``).
    max_iter : int, default 500
    patience : int, optional
        Stop when the level has not improved for this many iterations. Default 10
        for plain CE and 20 with local search.
    restarts : int, optional
        Convergence stops (patience, degenerate) that did not reach the target start
        CE again from the uniform matrix, this many times (default 2): with the same
        batch size for plain CE (independent runs: ftv33 has a trap 4.3 % above the
        optimum that some seeds fall into), with twice the batch with local search.
        Combine with ``time_limit`` to bound the run.
    target : float, None or False
        Stop once a tour this short is found. None: ``problem.optimum`` (when
        known); False: no target.

    Returns
    -------
    OptimizeResult
        ``res.x`` the best tour (int64, a permutation of ``0..n-1`` starting at 0),
        ``res.fun`` its length in the problem's units, ``res.nit``, ``res.nfev``
        (tours sampled and scored; local-search moves are not counted), ``res.status``
        one of ``target``, ``patience``, ``degenerate``, ``flat``, ``max_iter``,
        ``max_evals``, ``time_limit``, ``callback``.

    Examples
    --------
    >>> problem = TSP.random_euclidean(9, rng=0)
    >>> res = solve(problem, rng=0, target=False)
    >>> res.x[0], res.x.shape
    (np.int64(0), (9,))
    >>> plain = solve(problem, rng=0, local_search=False, target=False)
    >>> bool(res.fun <= plain.fun)
    True
    """
    if not isinstance(problem, TSP):
        raise TypeError(f"`problem` must be a TSP, but got {type(problem).__name__}.")
    improve = _resolve_local_search(problem, local_search)
    time_limit = check_real(time_limit, "time_limit", low=0, low_open=True, allow_none=True)
    if callback is not None and not callable(callback):
        raise TypeError(f"`callback` must be callable or None, but got callback={callback!r}.")
    deadline = deadline_after(time_limit)
    n = problem.n
    plain = improve is None
    if n_samples is None:
        n_samples = max(100, 5 * n * n) if plain else max(500, 5 * n)
    if elite_frac is None:
        elite_frac = 0.01 if plain else 0.1
        # at least one elite tour, and one tour outside the elite
        n_samples_checked = check_int(n_samples, "n_samples", minimum=2)
        elite_frac = max(elite_frac, 1.0 / n_samples_checked)
    if smoothing is None:
        smoothing = 0.3
    if patience is None:
        patience = 10 if plain else 20
    if restarts is None:
        restarts = 2
    if target is None:
        target = problem.optimum
    elif target is False:
        target = None

    d = problem.distances
    tol = _tolerance(d)
    if n_improve is None:
        n_improve = int(np.ceil(round(elite_frac * n_samples, 9)))
    n_improve = check_int(n_improve, "n_improve", minimum=0)
    if n_kicks is None:
        n_kicks = 0 if plain else n
    n_kicks = check_int(n_kicks, "n_kicks", minimum=0)
    if candidates is None:
        candidates = 0 if n <= _DENSE_UP_TO else _CANDIDATES
    candidates = check_int(candidates, "candidates", minimum=0)
    if candidates > n - 1:
        raise ValueError(
            f"`candidates` must be at most n - 1 = {n - 1} (or 0, the dense family), "
            f"but got candidates={candidates}."
        )
    family = (
        ce.SparsePermutation(nearest_candidates(d, candidates)) if candidates else ce.Permutation(n)
    )
    # the kicks draw from their own stream, spawned from rng, so that the CE's samples
    # come from the other
    ce_rng, kick_rng = as_rng(rng).spawn(2)
    kicked: dict[str, Any] = {"tour": None, "length": np.inf}

    def kick_best(tours: np.ndarray, lengths: np.ndarray) -> None:
        # iterated local search from the best tour so far; the batch's best row takes
        # the result when it is shorter than that row
        row = int(np.argmin(lengths))
        if lengths[row] < kicked["length"]:
            kicked["tour"], kicked["length"] = tours[row].copy(), float(lengths[row])
        tour, length = kicked["tour"], kicked["length"]
        for _ in range(n_kicks):
            if expired(deadline):
                break
            trial = improve(d, _segment_double_bridge(tour, kick_rng), tol, deadline)
            trial_length = float(_lengths(d, trial[None])[0])
            if trial_length < length - tol:
                tour, length = trial, trial_length
        kicked["tour"], kicked["length"] = tour, length
        if length < lengths[row]:
            tours[row], lengths[row] = _rotate_to(tour, 0), length

    def improve_best(tours: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # the engine's memetic hook: local optima of the best tours join the batch;
        # the best first, so that a deadline leaves the least promising unimproved
        tours, lengths = np.array(tours), lengths.copy()
        best = np.argpartition(lengths, min(n_improve, len(lengths)) - 1)[:n_improve]
        done = []
        for row in best[np.argsort(lengths[best], kind="stable")]:
            if expired(deadline):
                break
            tours[row] = _rotate_to(improve(d, tours[row].copy(), tol, deadline), 0)
            done.append(row)
        done = np.array(done, dtype=np.intp)
        lengths[done] = _lengths(d, tours[done])
        if n_kicks:
            kick_best(tours, lengths)
        return tours, lengths

    return ce.minimize(
        functools.partial(_lengths, d),
        family,
        vectorized=True,
        n_samples=n_samples,
        elite_frac=elite_frac,
        smoothing=smoothing,
        max_iter=max_iter,
        max_evals=max_evals,
        time_limit=time_limit,
        target=target,
        patience=patience,
        restarts=restarts,
        restart_growth=1.0 if plain else 2.0,
        improve=None if plain or n_improve <= 0 else improve_best,
        callback=callback,
        progress=progress,
        rng=ce_rng,
    )
