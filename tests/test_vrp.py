"""CVRP: CVRPLIB instances and solutions, the vectorised split against enumeration,
local search, solve on a tiny instance with a brute-forced optimum, bad input."""

from __future__ import annotations

import itertools
import re
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import data_roots

from cemopt.problems.tsplib import read_cvrplib
from cemopt.problems.vrp import (
    CVRP,
    OPTIMA,
    ROUTE_MOVES,
    default_local_search,
    euc_2d,
    improve_routes,
    solve,
)


def cvrplib_files(root: Path, suffix: str) -> list[Path]:
    files = sorted((root / "cvrplib").glob(f"*{suffix}"))
    assert files, f"no {suffix} files in {root / 'cvrplib'}"
    return files


def read_solution(path: Path) -> dict:
    """A CVRPLIB ``.sol`` file: ``Route #k: c1 c2 ...`` lines and ``Cost N``."""
    routes, cost = [], None
    for line in path.read_text().splitlines():
        if line.startswith("Route"):
            routes.append([int(c) for c in line.split(":", 1)[1].split()])
        elif line.startswith("Cost"):
            cost = float(line.split()[1])
    return {"routes": routes, "cost": cost}


def all_cuts(tour, max_routes=None):
    """Every way to cut ``tour`` into consecutive routes (at most ``max_routes``)."""
    for cuts in itertools.product((False, True), repeat=len(tour) - 1):
        routes = [[tour[0]]]
        for cut, node in zip(cuts, tour[1:], strict=True):
            if cut:
                routes.append([node])
            else:
                routes[-1].append(node)
        if max_routes is None or len(routes) <= max_routes:
            yield routes


def brute_split(problem: CVRP, tour, max_routes=None, penalty=None) -> float:
    best = np.inf
    limit = None if penalty is not None else max_routes
    for routes in all_cuts(list(tour), limit):
        if any(problem.demands[r].sum() > problem.capacity for r in routes):
            continue
        cost = problem.cost(routes)
        if penalty is not None and max_routes is not None:
            cost += penalty * max(0, len(routes) - max_routes)
        best = min(best, cost)
    return best


# ------------------------------------------------------------------ CVRPLIB data
@pytest.mark.parametrize("root", data_roots(), ids=lambda p: p.parent.name)
def test_every_instance_parses(root):
    files = cvrplib_files(root, ".vrp")
    assert len(files) == 20
    for path in files:
        problem = CVRP.from_vrplib(path)
        text = path.read_text()
        name = path.stem
        n_nodes = int(text.split("DIMENSION")[1].split(":")[1].split()[0])
        capacity = float(text.split("CAPACITY")[1].split(":")[1].split()[0])
        assert problem.name == name
        assert problem.n_customers == n_nodes - 1
        assert problem.capacity == capacity
        assert problem.demands[0] == 0 and problem.demands.shape == (n_nodes,)
        assert problem.demands.max() <= capacity
        assert problem.optimum == OPTIMA[name]
        np.testing.assert_array_equal(problem.distances, problem.distances.T)
        k = int(name.rsplit("-k", 1)[1])
        assert problem.max_vehicles == (None if name.startswith("X-") else k)


def test_the_reader_agrees_with_vrplib(test_data):
    """Every shipped file read by cemopt's reader and by the maintained vrplib package."""
    vrplib = pytest.importorskip("vrplib")
    for path in cvrplib_files(test_data, ".vrp"):
        ours, theirs = read_cvrplib(path), vrplib.read_instance(str(path))
        assert ours.name == theirs["name"] and ours.capacity == theirs["capacity"]
        np.testing.assert_array_equal(ours.demands, theirs["demand"])
        np.testing.assert_array_equal(ours.coordinates, theirs["node_coord"])
        np.testing.assert_array_equal(ours.distances, euc_2d(theirs["node_coord"]))
        assert ours.comment == str(theirs.get("comment", "")).strip()


@pytest.mark.parametrize("root", data_roots(), ids=lambda p: p.parent.name)
def test_every_solution_costs_exactly_its_stated_cost(root):
    sols = cvrplib_files(root, ".sol")
    assert len(sols) == 5
    for path in sols:
        problem = CVRP.from_vrplib(path.with_suffix(".vrp"))
        solution = read_solution(path)
        problem.check_routes(solution["routes"])  # every customer once, capacity, fleet
        assert problem.cost(solution["routes"]) == solution["cost"] == problem.optimum
        # the giant tour of the optimal routes splits back to the optimum
        tour = np.r_[0, [c for route in solution["routes"] for c in route]]
        assert problem.split(tour)[0] == solution["cost"]


def test_unrounded_distances_do_not_give_the_stated_cost(test_data):
    path = test_data / "cvrplib" / "A-n32-k5.sol"
    problem = CVRP.from_vrplib(path.with_suffix(".vrp"))
    routes = read_solution(path)["routes"]
    exact = CVRP(
        np.hypot(*(problem.coordinates[:, None] - problem.coordinates[None]).T),
        problem.demands,
        problem.capacity,
    )
    assert exact.cost(routes) == pytest.approx(787.808, abs=1e-3)  # vs 784 rounded


# ------------------------------------------------------------------------ split
@pytest.mark.parametrize("fleet", ["unlimited", "limited", "penalised"])
def test_split_equals_enumeration_of_cuts(fleet):
    rng = np.random.default_rng(7)
    for _ in range(12):
        n = int(rng.integers(1, 9))
        base = CVRP.random(n, capacity=int(rng.integers(9, 25)), rng=rng)
        k = None
        if fleet != "unlimited":
            k = int(np.ceil(base.demands.sum() / base.capacity)) + int(rng.integers(0, 2))
        problem = CVRP(base.distances, base.demands, base.capacity, max_vehicles=k)
        penalty = 1000.0 if fleet == "penalised" else None
        tours = np.array([rng.permutation(np.arange(1, n + 1)) for _ in range(15)])
        costs = problem.split(tours, excess_penalty=penalty)
        expected = [brute_split(problem, t, k, penalty) for t in tours]
        np.testing.assert_array_equal(costs, expected)
        for tour, cost in zip(tours, costs, strict=True):
            if not np.isfinite(cost):
                continue
            routes = problem.split_routes(tour, excess_penalty=penalty)
            assert [c for r in routes for c in r] == tour.tolist()  # consecutive cuts
            if fleet == "penalised":
                extra = penalty * max(0, len(routes) - k)
                assert problem.cost(routes) + extra == cost
                routes_ok = len(routes) <= k
            else:
                assert problem.cost(routes) == cost
                routes_ok = True
            if routes_ok:
                problem.check_routes(routes)
            assert all(problem.demands[r].sum() <= problem.capacity for r in routes)


def test_split_accepts_depot_first_rows_and_rejects_bad_tours():
    problem = CVRP.random(4, capacity=20, rng=0)
    assert problem.split([0, 2, 1, 4, 3])[0] == problem.split([2, 1, 4, 3])[0]
    with pytest.raises(ValueError, match="must be permutations of the customers 1..4"):
        problem.split([1, 1, 2, 3])
    with pytest.raises(ValueError, match=r"must have shape \(N, 4\)"):
        problem.split([1, 2, 3])


def test_split_with_an_impossible_fleet_is_inf():
    problem = CVRP(euc_2d([[0, 0], [1, 0], [2, 0]]), [0, 2, 2], 3, max_vehicles=2)
    assert problem.split([1, 2])[0] == 6.0  # 0-1-0 and 0-2-0: 2 + 4
    line = euc_2d([[0, 0], [1, 0], [2, 0], [3, 0], [4, 0]])
    tight = CVRP(line, [0, 2, 1, 1, 2], 3, max_vehicles=2)
    assert np.isinf(tight.split([1, 4, 2, 3])[0])  # loads 2, 2, 1, 1: three routes
    assert tight.split([1, 2, 3, 4])[0] == 4 + 8  # 2+1 | 1+2
    with pytest.raises(ValueError, match="no split of this tour fits in max_vehicles=2"):
        tight.split_routes([1, 4, 2, 3])


# ------------------------------------------------------------------ local search
def test_local_search_keeps_feasibility_and_never_worsens():
    rng = np.random.default_rng(3)
    for _ in range(5):
        problem = CVRP.random(25, capacity=30, rng=rng)
        routes = problem.split_routes(rng.permutation(np.arange(1, 26)))
        better = improve_routes(problem, routes)
        problem.check_routes(better)
        assert problem.cost(better) <= problem.cost(routes)
        assert len(better) <= len(routes)
        # a local optimum: another pass finds nothing
        assert improve_routes(problem, better) == better


def test_local_search_past_its_deadline_returns_at_once():
    problem = CVRP.random(60, capacity=30, rng=0)
    routes = problem.split_routes(np.random.default_rng(1).permutation(np.arange(1, 61)))
    now = time.perf_counter()
    assert improve_routes(problem, routes, deadline=now - 1.0) == routes
    assert improve_routes(problem, routes, deadline=now + 3600.0) == improve_routes(problem, routes)


def test_local_search_moves_one_at_a_time():
    """Each subset of moves reaches a local optimum of its own; all four together are at
    least as good as any one of them, from the same start."""
    rng = np.random.default_rng(5)
    problem = CVRP.random(20, capacity=25, rng=rng)
    routes = problem.split_routes(rng.permutation(np.arange(1, 21)))
    every = problem.cost(improve_routes(problem, routes))
    for move in ROUTE_MOVES:
        better = improve_routes(problem, routes, moves=move)
        problem.check_routes(better)
        assert problem.cost(better) <= problem.cost(routes)
        assert improve_routes(problem, better, moves=move) == better
    assert every <= problem.cost(improve_routes(problem, routes, moves="relocate"))


def test_default_local_search_leaves_out_2opt_on_asymmetric_distances():
    symmetric = CVRP.random(5, capacity=10, rng=0)
    assert symmetric.symmetric
    assert default_local_search(symmetric) == "relocate+or-opt+swap+swap*+2-opt+2-opt*"
    d = symmetric.distances.copy()
    d[0, 1] += 1
    skew = CVRP(d, symmetric.demands, symmetric.capacity)
    assert not skew.symmetric and default_local_search(skew) == "relocate+or-opt+swap+swap*+2-opt*"
    res = solve(skew, rng=0, max_iter=20)  # True on asymmetric distances: no 2-opt
    skew.check_routes(res.x)
    with pytest.raises(ValueError, match="`local_search` must not use 2-opt on asymmetric"):
        solve(skew, local_search="2-opt")
    with pytest.raises(ValueError, match="`moves` must not use 2-opt on asymmetric"):
        improve_routes(skew, [[1, 2, 3, 4, 5]], moves="relocate+2-opt")


# ------------------------------------------------------------------------ solve
def tiny_optimum(problem: CVRP) -> float:
    """Every order of the customers times every way to cut it: all solutions."""
    n = problem.n_customers
    return min(
        brute_split(problem, order, problem.max_vehicles)
        for order in itertools.permutations(range(1, n + 1))
    )


@pytest.mark.parametrize("local_search", [False, True, "relocate+2-opt*"])
def test_solve_finds_the_brute_force_optimum(local_search):
    problem = CVRP.random(6, capacity=15, rng=11)
    optimum = tiny_optimum(problem)
    res = solve(problem, rng=0, local_search=local_search, max_iter=200)
    problem.check_routes(res.x)
    assert res.fun == problem.cost(res.x) == optimum
    assert all(isinstance(c, int) for r in res.x for c in r)


def test_solve_respects_the_fleet_and_reaches_a_small_cvrplib_optimum(test_data):
    problem = CVRP.from_vrplib(test_data / "cvrplib" / "P-n16-k8.vrp")  # 8 trucks, tight
    res = solve(problem, rng=0, time_limit=5)  # local search on, the default
    problem.check_routes(res.x)
    assert len(res.x) <= 8
    assert res.fun == 450 and res.status == "target"


def test_local_search_true_is_the_default_moves_and_improve_routes_passes_as_a_callable():
    problem = CVRP.random(10, capacity=20, rng=4)
    runs = [
        solve(problem, rng=2, local_search=ls, target=False, max_iter=5)
        for ls in (True, default_local_search(problem), improve_routes)
    ]
    assert solve(problem, rng=2, target=False, max_iter=5).fun == runs[0].fun
    assert all(r.x == runs[0].x and r.fun == runs[0].fun for r in runs)


def test_callable_local_search_gets_the_deadline():
    problem = CVRP.random(10, capacity=20, rng=4)
    seen = []

    def search(problem, routes, *, deadline):
        seen.append(deadline)
        return routes[::-1]

    solve(problem, rng=0, local_search=search, target=False, max_iter=2)
    assert seen and all(d is None for d in seen)
    seen.clear()
    before = time.perf_counter()
    solve(problem, rng=0, local_search=search, target=False, max_iter=2, time_limit=600)
    assert seen and all(before + 600 <= d <= time.perf_counter() + 600 for d in seen)


def test_time_limit_holds_when_one_iteration_is_long():
    """120 customers, 2400 giant tours a batch: the split and the route moves make an
    iteration long; the run still ends near the limit."""
    problem = CVRP.random(120, capacity=40, rng=0)
    start = time.perf_counter()
    res = solve(problem, rng=0, time_limit=1.0, target=False)
    seconds = time.perf_counter() - start
    assert res.status == "time_limit" and not res.success
    assert seconds < 15.0  # generous: the limit plus at most about one batch
    if res.x is not None:  # None only when stopped before the first tour was scored
        problem.check_routes(res.x)


def test_max_evals_target_false_and_progress(capsys):
    problem = CVRP.random(8, capacity=15, rng=3)
    res = solve(problem, rng=0, max_evals=1200, target=False, progress=True)
    assert res.status == "max_evals" and res.nfev == 1200
    assert capsys.readouterr().err


ALLOWED = (
    r"`local_search` must be True, False, one of \['relocate', 'or-opt', 'swap', 'swap\*', "
    r"'2-opt', '2-opt\*'\] "
    r"or a callable local_search\(problem, routes, \*, deadline\) -> routes"
)


@pytest.mark.parametrize(
    ("local_search", "error", "match"),
    [
        ("3-opt", ValueError, ALLOWED + r", or several .* but got local_search='3-opt'"),
        ("swap+swap", ValueError, ALLOWED + r", or several .* \(each once\), but got "),
        (None, TypeError, ALLOWED + r" \(or several .*\), but got local_search=None"),
        (lambda problem, routes: routes, TypeError, ALLOWED + r", but got a callable with"),
    ],
)
def test_bad_local_search(local_search, error, match):
    with pytest.raises(error, match=match):
        solve(CVRP.random(5, capacity=10, rng=0), local_search=local_search)


def test_bad_local_search_result_and_options():
    problem = CVRP.random(5, capacity=10, rng=0)

    def drops(problem, routes, *, deadline):
        return routes[1:]

    with pytest.raises(
        ValueError, match=r"`local_search` must return routes that serve every customer 1..5"
    ):
        solve(problem, local_search=drops, target=False, max_iter=3)
    with pytest.raises(ValueError, match="`0 < time_limit` must hold, but got time_limit=-1"):
        solve(problem, time_limit=-1)
    with pytest.raises(TypeError, match="`callback` must be callable or None"):
        solve(problem, callback=3)
    with pytest.raises(TypeError, match="`n_improve` must be an integer"):
        solve(problem, n_improve=1.5)
    with pytest.raises(ValueError, match=r"`moves` must be one of \['relocate'"):
        improve_routes(problem, [[1, 2, 3, 4, 5]], moves="3-opt")
    with pytest.raises(TypeError, match=r"`moves` must be None or names"):
        improve_routes(problem, [[1, 2, 3, 4, 5]], moves=["swap"])
    with pytest.raises(ValueError, match=r"`routes` must serve every customer 1..5 exactly once"):
        improve_routes(problem, [[1, 2, 3]])
    with pytest.raises(TypeError, match="`deadline` must be a real number"):
        improve_routes(problem, [[1, 2, 3, 4, 5]], deadline="now")


# -------------------------------------------------------------------- bad input
def test_bad_input_errors():
    d = euc_2d([[0, 0], [1, 0], [2, 0]])
    with pytest.raises(ValueError, match=r"`distances` must be a square \(n, n\) matrix"):
        CVRP(d[:2], [0, 1, 1], 5)
    with pytest.raises(ValueError, match="`distances` must cover the depot and at least one"):
        CVRP([[0.0]], [0], 5)
    with pytest.raises(ValueError, match="`distances` must be non-negative"):
        CVRP(-d, [0, 1, 1], 5)
    with pytest.raises(ValueError, match="`distances` must be finite"):
        CVRP(np.where(d == 1, np.nan, d), [0, 1, 1], 5)
    with pytest.raises(ValueError, match="`demands` must be finite and non-negative"):
        CVRP(d, [0, -1, 1], 5)
    with pytest.raises(ValueError, match=r"`demands\[0\]` \(the depot\) must be 0"):
        CVRP(d, [1, 1, 1], 5)
    with pytest.raises(
        ValueError, match="`demands` must be <= capacity, but customer 2 has demand 6 > capacity 5"
    ):
        CVRP(d, [0, 1, 6], 5)
    with pytest.raises(ValueError, match="`capacity` must be > 0, but got capacity=0"):
        CVRP(d, [0, 0, 0], 0)
    with pytest.raises(ValueError, match="`demands` must have one entry per node"):
        CVRP(d, [0, 1], 5)
    with pytest.raises(ValueError, match="`max_vehicles \\* capacity` must cover"):
        CVRP(d, [0, 4, 4], 5, max_vehicles=1)
    with pytest.raises(ValueError, match="`routes` must respect the capacity"):
        CVRP(d, [0, 3, 3], 5).check_routes([[1, 2]])
    with pytest.raises(ValueError, match="`routes` must serve every customer 1..2 exactly once"):
        CVRP(d, [0, 3, 3], 5).check_routes([[1]])
    with pytest.raises(ValueError, match="`n_customers` must be >= 1"):
        CVRP.random(0)
    with pytest.raises(ValueError, match="`problem` must have at least 2 customers for solve"):
        solve(CVRP(d[:2, :2], [0, 1], 5))
    with pytest.raises(TypeError, match="`problem` must be a CVRP"):
        solve(d)


# ------------------------------------------------------------- malformed files
TINY = """NAME : tiny
COMMENT : (No of trucks: 2, Optimal value: 17)
TYPE : CVRP
DIMENSION : 4
EDGE_WEIGHT_TYPE : EUC_2D
CAPACITY : 10
NODE_COORD_SECTION
1 0 0
2 3 4
3 0 2
4 6 8
DEMAND_SECTION
1 0
2 6
3 7
4 3
DEPOT_SECTION
1
-1
EOF
"""


def _tiny(tmp_path: Path, old: str = "", new: str = "") -> Path:
    assert old in TINY
    path = tmp_path / "tiny.vrp"
    path.write_text(TINY.replace(old, new, 1))
    return path


def test_tiny_file_parses_to_what_it_says(tmp_path):
    problem = CVRP.from_vrplib(_tiny(tmp_path))
    assert problem.n_customers == 3 and problem.capacity == 10 and problem.max_vehicles == 2
    assert problem.demands.tolist() == [0, 6, 7, 3] and problem.optimum == 17
    assert problem.distances[0].tolist() == [0, 5, 2, 10]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("DIMENSION : 4", "DIMENSION : 5", r"line 11: NODE_COORD_SECTION has 4 nodes; expected "
         r"DIMENSION = 5"),
        ("4 3\n", "", r"line 15: DEMAND_SECTION has 3 nodes; expected DIMENSION = 4"),
        ("DIMENSION : 4", "DIMENSION : four", r"line 4: expected an integer DIMENSION, got 'four'"),
        ("CAPACITY : 10\n", "", r"line 6: expected a CAPACITY header before this line"),
        ("CAPACITY : 10", "CAPACITY : nan", r"line 6: expected a number for CAPACITY that is "
         "finite"),
        ("CAPACITY : 10", "CAPACITY : 0", r"line 6: expected CAPACITY > 0, got '0'"),
        ("TYPE : CVRP", "TYPE : TSP", r"line 3: expected TYPE CVRP, got 'TSP'"),
        ("4 6 8", "4 6 inf", r"line 11: expected a number in NODE_COORD_SECTION that is finite"),
        ("3 7", "3 -7", r"line 15: expected a demand >= 0, got '-7'"),
        ("3 7", "3 11", r"line 15: node 3 has demand 11 above CAPACITY 10; no vehicle can"),
        ("3 7", "2 7", r"line 15: node 2 appears twice in DEMAND_SECTION"),
        ("3 7", "3", r"line 15: expected 'node demand' in DEMAND_SECTION, got \['3'\]"),
        ("1 0\n2 6", "1 1\n2 6", r"line 13: expected demand 0 at the depot \(node 1\), got '1'"),
        ("DEPOT_SECTION\n1\n", "DEPOT_SECTION\n2\n", r"line 19: expected one depot, node 1, in "
         r"DEPOT_SECTION \(cemopt's CVRP has its depot first\), got \['2'\]"),
        ("1\n-1\n", "1\n2\n-1\n", r"line 20: expected one depot, node 1"),
        ("-1\n", "", r"line 18: expected -1 to end the DEPOT_SECTION"),
        ("DEPOT_SECTION\n1\n-1\n", "", r"line 17: expected a DEPOT_SECTION \(node 1, then -1\)"),
        ("No of trucks: 2", "No of trucks: 1", r"`max_vehicles \* capacity` must "
         "cover the total demand"),
        ("", "\x00", r"line 1: expected a 'KEY : value' header or a section name"),
    ],
)  # fmt: skip
def test_malformed_cvrplib_files_name_the_file_and_line(tmp_path, old, new, message):
    path = _tiny(tmp_path, old, new)
    with pytest.raises(ValueError, match=re.escape(str(path)) + r"(, |: )" + message):
        CVRP.from_vrplib(path)


def test_a_tab_in_the_comment_keeps_the_fleet_size(tmp_path):
    for comment in [
        "COMMENT :\t(No of trucks:\t2, Optimal value: 17)",
        "COMMENT\t(No of\ttrucks: 2, Optimal value: 17)",
        "COMMENT : (No  of trucks :2,\tOptimal value: 17)",
    ]:
        path = _tiny(tmp_path, "COMMENT : (No of trucks: 2, Optimal value: 17)", comment)
        problem = CVRP.from_vrplib(path)
        assert problem.max_vehicles == 2 and problem.optimum == 17, comment


def test_the_optimum_attaches_to_the_data_and_the_fleet(test_data, tmp_path):
    from cemopt import CemoptWarning

    original = test_data / "cvrplib" / "E-n30-k3.vrp"
    assert CVRP.from_vrplib(original).optimum == 534
    # 534 holds for 3 vehicles; an unlimited fleet does better (503)
    with pytest.warns(CemoptWarning, match=r"max_vehicles=None, and the optimum was proven for 3"):
        assert CVRP.from_vrplib(original, max_vehicles=None).optimum is None
    lines = original.read_text().splitlines()
    start = lines.index("DEMAND_SECTION") + 1
    lines[start + 5] = lines[start + 5].split()[0] + " 1"  # one demand changed
    path = tmp_path / "E-n30-k3.vrp"
    path.write_text("\n".join(lines))
    with pytest.warns(
        CemoptWarning,
        match=r"E-n30-k3\.vrp: NAME E-n30-k3 is the CVRPLIB instance with optimum 534, but "
        r"this file has distances, demands or capacity that differ from CVRPLIB's",
    ):
        problem = CVRP.from_vrplib(path)
    assert problem.optimum is None and problem.max_vehicles == 3


def test_cost_rejects_what_is_not_a_solution():
    problem = CVRP([[0, 1, 2, 3], [1, 0, 1, 2], [2, 1, 0, 1], [3, 2, 1, 0]],
                   [0, 1, 1, 1], capacity=2, max_vehicles=2)  # fmt: skip
    assert problem.cost([[1, 2], [3]]) == 4 + 6
    assert problem.cost([[1], [2], [3]]) == 2 + 4 + 6  # over the fleet: priced, not feasible
    with pytest.raises(ValueError, match=r"`routes` must use at most max_vehicles=2 routes"):
        problem.check_routes([[1], [2], [3]])
    cases = [
        ([[1, 2], [3, 1]], r"must serve every customer 1\.\.3 exactly once, but customer 1 "
         r"is served 2 times\."),
        ([[1, 2]], r"must serve every customer 1\.\.3 exactly once, but 1 is not served: 3\."),
        ([[1, 2, 3]], r"must respect the capacity, but route 0 has load 3 > capacity 2\."),
        ([[0, 1, 2], [3]], r"must hold customer nodes 1\.\.3 \(the depot, 0, is left out\), "
         r"but got node 0\."),
        ([[1, 2], [7]], r"must hold customer nodes 1\.\.3 .*, but got node 7\."),
    ]  # fmt: skip
    for routes, message in cases:
        for check in (problem.cost, problem.check_routes):
            with pytest.raises(ValueError, match="`routes` " + message):
                check(routes)
    for bad in ([[1.0, 2.0], [3.0]], [[True, 2], [3]], [1, 2, 3], None):
        with pytest.raises(TypeError, match=r"`routes` must be a list of routes \(lists of "
                           r"integer customer nodes\)"):  # fmt: skip
            problem.cost(bad)
