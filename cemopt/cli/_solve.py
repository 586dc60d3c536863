"""``cemopt solve``: a test function, max-cut, TSP or CVRP instance, optimised by CE."""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

import cemopt as ce

from ._common import (
    CLIError,
    Report,
    _check_input,
    _count,
    _executor,
    _g,
    _optimize_fields,
    _parallel_links,
    _read_edge_list,
    _run_lines,
    _vector,
)


def _solve_function(args: argparse.Namespace) -> Report:
    from cemopt.problems import functions

    fn = functions.FUNCTIONS[args.problem]
    d = args.dim if args.dim is not None else (fn.dims[0] if fn.dims else 10)
    if fn.dims is not None and d not in fn.dims:
        raise CLIError(f"--dim {d}: {fn.name} is defined for dim {' or '.join(map(str, fn.dims))}")
    lower, upper = fn.bounds(d)
    generator = np.random.default_rng(args.seed)
    # the same start as cemopt.compare: uniform in the box; the spread covers the box,
    # and the samples stay in it
    family = ce.MultivariateNormal(
        generator.uniform(lower, upper),
        np.eye(d) * ((fn.upper - fn.lower) / 2) ** 2,
        lower=lower,
        upper=upper,
    )
    tolerance = -1e-8 if fn.sense == "max" else 1e-8
    target = (
        None if args.no_target else (fn.f_opt + tolerance if args.target is None else args.target)
    )
    run = ce.maximize if fn.sense == "max" else ce.minimize
    with _executor(args) as pool:
        start = time.perf_counter()
        res = run(
            fn.func,  # a module-level function: it pickles for a process pool
            family,
            vectorized=True,
            n_samples=args.n_samples,
            max_evals=args.max_evals,
            max_iter=args.max_iter,
            time_limit=args.time_limit,
            target=target,
            rng=generator,
            executor=pool,
            progress=args.progress,
            checkpoint=args.checkpoint,
            resume=args.resume,
        )
        seconds = time.perf_counter() - start
    document = {
        "command": "solve",
        "problem": fn.name,
        "dim": d,
        "sense": fn.sense,
        "f_opt": fn.f_opt,
        "error": abs(res.fun - fn.f_opt),
        "x": res.x,
        **_optimize_fields(res, seconds),
    }
    lines = [
        f"{fn.name} in {d} dimensions ({'maximum' if fn.sense == 'max' else 'minimum'} "
        f"{fn.f_opt:g}), CE over a full-covariance Gaussian on [{fn.lower:g}, {fn.upper:g}]^{d}",
        f"  f           {_g(res.fun, 10)} (|f - f*| = {abs(res.fun - fn.f_opt):.3e})",
        f"  x           {_vector(res.x)}",
        *_run_lines(res, seconds),
    ]

    def figure() -> Any:
        from ..plot import plot_history

        return plot_history(res, title=f"{fn.name}, d={d}").figure

    return document, lines, figure


def _solve_maxcut(args: argparse.Namespace) -> Report:
    from cemopt.problems.maxcut import MaxCut
    from cemopt.problems.maxcut import solve as solve_maxcut

    parallel = (0, 0)
    if args.file is not None:
        graph = _read_edge_list(args.file, "weight")
        problem = MaxCut(graph)
        parallel = _parallel_links(graph)
        source = f"{args.file}: {problem.n_nodes} nodes, {_count(graph.number_of_edges(), 'edge')}"
    else:
        problem = MaxCut.synthetic(n=args.n, m=args.m, c=args.c, rng=args.instance_seed)
        source = (
            f"synthetic two-block graph n={args.n}, m={args.m} (instance seed "
            f"{args.instance_seed}, known optimum {problem.optimum:g})"
        )
    options: dict[str, Any] = {}
    if args.no_target:
        options["target"] = None
    elif args.target is not None:
        options["target"] = args.target
    with _executor(args) as pool:
        start = time.perf_counter()
        res = solve_maxcut(
            problem,
            rng=args.seed,
            n_samples=args.n_samples,
            max_evals=args.max_evals,
            max_iter=args.max_iter,
            time_limit=args.time_limit,
            executor=pool,
            progress=args.progress,
            checkpoint=args.checkpoint,
            resume=args.resume,
            **options,
        )
        seconds = time.perf_counter() - start
    # a run stopped before any evaluation finished (Ctrl-C in the first batch) has no cut
    sides = np.zeros(0, dtype=int) if res.x is None else np.asarray(res.x).astype(int)
    document = {
        "command": "solve",
        "problem": "maxcut",
        "n_nodes": problem.n_nodes,
        "optimum": problem.optimum,
        "cut": res.fun,
        "parallel_edges": parallel[1],
        "side": {str(node): int(s) for node, s in zip(problem.nodes, sides, strict=False)},
        **_optimize_fields(res, seconds),
    }
    lines = [
        f"max-cut on {source}",
        *(
            [
                f"  parallel edges: {_count(parallel[0], 'node pair')} joined by more than one "
                f"edge ({_count(parallel[1], 'extra edge')}); the weights of a pair's edges "
                "are summed"
            ]
            if parallel[0]
            else []
        ),
        f"  cut         {_g(res.fun, 10)}"
        + ("" if problem.optimum is None else f" (known optimum {problem.optimum:g})"),
        (
            f"  sides       {int(sides.sum())} nodes on side 1, {int((1 - sides).sum())} on "
            f"side 0; side 1: {_vector([problem.nodes[i] for i in np.flatnonzero(sides)], 12)}"
            if res.x is not None
            else f"  sides       {_vector(None)}"
        ),
        *_run_lines(res, seconds),
    ]

    def figure() -> Any:
        from ..plot import plot_history

        return plot_history(res, title=f"max-cut, n={problem.n_nodes}").figure

    return document, lines, figure


def _solve_tsp(args: argparse.Namespace) -> Report:
    from cemopt.problems.tsp import TSP, default_local_search
    from cemopt.problems.tsp import solve as solve_tsp

    _check_input(args.file, "TSPLIB file")
    problem = TSP.from_tsplib(args.file)
    target = False if args.no_target else args.target
    start = time.perf_counter()
    res = solve_tsp(
        problem,
        rng=args.seed,
        local_search=not args.no_local_search,
        max_evals=args.max_evals,
        time_limit=args.time_limit,
        progress=args.progress,
        n_samples=args.n_samples,
        max_iter=args.max_iter,
        target=target,
    )
    seconds = time.perf_counter() - start
    # TSPLIB numbers its nodes from 1; no tour when no evaluation finished (Ctrl-C early)
    tour = None if res.x is None else np.asarray(res.x) + 1
    gap = None if problem.optimum is None else (res.fun - problem.optimum) / problem.optimum
    document = {
        "command": "solve",
        "problem": "tsp",
        "name": problem.name,
        "n": problem.n,
        "symmetric": problem.symmetric,
        "optimum": problem.optimum,
        "length": res.fun,
        "gap": gap,
        "tour": tour,
        **_optimize_fields(res, seconds),
    }
    known = "" if gap is None else f" (optimum {problem.optimum:g}, gap {100 * gap:.2f} %)"
    method = "plain CE" if args.no_local_search else f"CE + {default_local_search(problem)}"
    lines = [
        f"{problem.name}: {problem.n} nodes, {'symmetric' if problem.symmetric else 'asymmetric'}"
        f", {method}",
        f"  length      {_g(res.fun, 10)}{known}",
        f"  tour        {_vector(tour, 12)} (TSPLIB node numbers)",
        *_run_lines(res, seconds),
    ]

    def figure() -> Any:
        from ..plot import plot_history, plot_tour

        if (
            res.x is not None
            and problem.coordinates is not None
            and (problem.coordinates.shape[1] == 2)
        ):
            title = f"{problem.name}: length {res.fun:g}"
            return plot_tour(problem.coordinates, res.x, title=title).figure
        return plot_history(res, title=f"{problem.name} (no coordinates)").figure

    return document, lines, figure


def _solve_vrp(args: argparse.Namespace) -> Report:
    from cemopt.problems.vrp import CVRP, default_local_search
    from cemopt.problems.vrp import solve as solve_vrp

    _check_input(args.file, "CVRPLIB file")
    if args.max_vehicles in ("auto", "none"):
        fleet: Any = None if args.max_vehicles == "none" else "auto"
    else:
        try:
            fleet = int(args.max_vehicles)
        except ValueError:
            raise CLIError(
                f"--max-vehicles must be 'auto', 'none' or an integer, got {args.max_vehicles!r}"
            ) from None
    problem = CVRP.from_vrplib(args.file, max_vehicles=fleet)
    start = time.perf_counter()
    res = solve_vrp(
        problem,
        rng=args.seed,
        local_search=not args.no_local_search,
        max_evals=args.max_evals,
        time_limit=args.time_limit,
        progress=args.progress,
        n_samples=args.n_samples,
        max_iter=args.max_iter,
        target=False if args.no_target else args.target,
    )
    seconds = time.perf_counter() - start
    routes = [] if res.x is None else [list(map(int, route)) for route in res.x]
    gap = None if problem.optimum is None else (res.fun - problem.optimum) / problem.optimum
    document = {
        "command": "solve",
        "problem": "vrp",
        "name": problem.name,
        "n_customers": problem.n_customers,
        "capacity": problem.capacity,
        "max_vehicles": problem.max_vehicles,
        "optimum": problem.optimum,
        "cost": res.fun,
        "gap": gap,
        "routes": routes,
        **_optimize_fields(res, seconds),
    }
    known = "" if gap is None else f" (optimum {problem.optimum:g}, gap {100 * gap:.2f} %)"
    lines = [
        f"{problem.name}: {problem.n_customers} customers, capacity {problem.capacity:g}, "
        + ("plain CE" if args.no_local_search else f"CE + {default_local_search(problem)}"),
        f"  cost        {_g(res.fun, 10)}{known}",
        f"  routes      {len(routes)} (customers numbered as in CVRPLIB .sol files)",
        *(f"    Route #{k}: {' '.join(map(str, r))}" for k, r in enumerate(routes, 1)),
        *_run_lines(res, seconds),
    ]

    def figure() -> Any:
        from ..plot import plot_history, plot_routes

        if routes and problem.coordinates is not None:
            title = f"{problem.name}: cost {res.fun:g}"
            return plot_routes(problem.coordinates, routes, title=title).figure
        return plot_history(res, title=f"{problem.name} (no coordinates)").figure

    return document, lines, figure
