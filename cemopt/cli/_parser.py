"""The argument parser of the ``cemopt`` command: every subcommand, its options and its
handler."""

from __future__ import annotations

import argparse

from .._version import __version__
from ._buffers import _buffers
from ._common import _Parser
from ._compare import _compare
from ._demo import _demo
from ._estimate import _doc_summary, _estimate, _model_options
from ._options import (
    _add_budget,
    _add_common,
    _add_estimator,
    _add_target,
    _finite_float,
    _nonnegative_float,
    _positive_float,
    _positive_int,
    _probability,
    _seed,
)
from ._reliability import _reliability
from ._solve import _solve_function, _solve_maxcut, _solve_tsp, _solve_vrp


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``cemopt`` command (subcommands and their options).

    Examples
    --------
    >>> args = build_parser().parse_args(["solve", "rosenbrock", "--dim", "5"])
    >>> args.problem, args.dim, args.seed
    ('rosenbrock', 5, 0)
    """
    from cemopt.problems import functions, network_reliability, rare_events

    parser = _Parser(
        prog="cemopt",
        description="The cross-entropy method from the shell: optimisation, rare events, "
        "routing, network reliability, buffer allocation, comparisons.",
        epilog="Each subcommand has --help. Exit status: 0 when the run succeeded; 1 when "
        "it finished without success (a budget ran out before a stopping rule, an estimate "
        "that cannot be trusted, a compare run that raised), its result printed all the "
        "same; 2 for bad options or input; 130 when interrupted.",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"cemopt {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser(
        "demo",
        help="the main job on built-in examples (max-cut n=400, Rosenbrock d=10), seconds",
        description="CE on the CE tutorial's 400-node max-cut (known optimum 40000) and on "
        "Rosenbrock in 10 dimensions (minimum 0): what examples/demo.py does.",
        allow_abbrev=False,
    )
    _add_common(demo, executor=True, progress=True, plot="both runs' histories")
    demo.set_defaults(handler=_demo)

    # -- solve
    solve = commands.add_parser(
        "solve",
        help="optimise: tsp FILE, vrp FILE, maxcut [FILE], or a test function",
        description="Optimise a routing problem, a max-cut, or a continuous test function.",
        allow_abbrev=False,
    )
    problems = solve.add_subparsers(dest="problem", metavar="PROBLEM", required=True)

    tsp = problems.add_parser(
        "tsp",
        help="a TSPLIB .tsp/.atsp file, by CE over tours with 2-opt/or-opt on the elite",
        description="Shortest tour of a TSPLIB instance: CE over cemopt.Permutation with "
        "local search on the elite (2-opt and or-opt on a symmetric instance, or-opt on an "
        "asymmetric one), or plain CE with --no-local-search. The time limit holds inside "
        "the local search too. Prints the tour in TSPLIB node numbers. No --executor or "
        "--checkpoint: the TSP solver does not take them.",
        allow_abbrev=False,
    )
    tsp.add_argument("file", metavar="FILE", help="TSPLIB file (.tsp or .atsp)")
    tsp.add_argument("--time-limit", type=_positive_float, metavar="S", help="seconds")
    tsp.add_argument("--max-evals", type=_positive_int, help="tours scored, at most")
    tsp.add_argument("--max-iter", type=_positive_int, default=500, help="iterations (500)")
    tsp.add_argument("--n-samples", type=_positive_int, help="tours per iteration")
    tsp.add_argument(
        "--no-local-search",
        action="store_true",
        help="plain CE, the reference method (default: local search on the elite)",
    )
    _add_target(tsp, "stop at a tour this short (default: the known optimum)")
    _add_common(tsp, progress=True, plot="the tour (or the history without coordinates)")
    tsp.set_defaults(handler=_solve_tsp)

    vrp = problems.add_parser(
        "vrp",
        help="a CVRPLIB .vrp file, by CE over giant tours with route moves",
        description="Capacitated vehicle routing on a CVRPLIB instance: CE over giant "
        "tours split optimally into routes, with local search (relocate, or-opt, swap, "
        "SWAP*, 2-opt, 2-opt*) on the routes of the best tours, or plain CE with "
        "--no-local-search. "
        "No --executor or --checkpoint.",
        allow_abbrev=False,
    )
    vrp.add_argument("file", metavar="FILE", help="CVRPLIB file (.vrp)")
    vrp.add_argument("--time-limit", type=_positive_float, metavar="S", help="seconds")
    vrp.add_argument("--max-evals", type=_positive_int, help="giant tours scored, at most")
    vrp.add_argument("--max-iter", type=_positive_int, help="iterations")
    vrp.add_argument("--n-samples", type=_positive_int, help="giant tours per iteration")
    vrp.add_argument(
        "--no-local-search",
        action="store_true",
        help="plain CE, the reference method (default: local search on the best routes)",
    )
    vrp.add_argument(
        "--max-vehicles",
        default="auto",
        help="'auto' (the trucks stated in the file), 'none', or a number",
    )
    _add_target(vrp, "stop at routes this cheap (default: the known optimum)")
    _add_common(vrp, progress=True, plot="the routes")
    vrp.set_defaults(handler=_solve_vrp)

    maxcut = problems.add_parser(
        "maxcut",
        help="max-cut of an edge-list FILE, or of the synthetic two-block graph",
        description="Maximum cut by CE over Bernoulli node sides. FILE: an edge list "
        "('u v' or 'u v weight' per line, or networkx's 'u v {dict}'), .graphml or .gml; "
        "without FILE, the synthetic two-block graph with a known optimum.",
        allow_abbrev=False,
    )
    maxcut.add_argument("file", metavar="FILE", nargs="?", help="graph file (optional)")
    maxcut.add_argument("--n", type=_positive_int, default=400, help="nodes (synthetic, 400)")
    maxcut.add_argument("--m", type=_positive_int, default=200, help="first block (200)")
    maxcut.add_argument("--c", type=_positive_float, default=1.0, help="weight between blocks (1)")
    maxcut.add_argument(
        "--instance-seed", type=_seed, default=2024, help="seed of the synthetic graph (2024)"
    )
    _add_budget(maxcut)
    _add_target(maxcut, "stop at a cut this large (default: the known optimum)")
    _add_common(maxcut, executor=True, progress=True, checkpoint=True, plot="the history")
    maxcut.set_defaults(handler=_solve_maxcut)

    for fn in functions.FUNCTIONS.values():
        sub = problems.add_parser(
            fn.name,
            help=f"the {fn.name} test function ({fn.sense} {fn.f_opt:g})",
            description=f"{fn.name} ({fn.sense}imum {fn.f_opt:g}) by CE over a "
            "full-covariance Gaussian on the function's usual domain "
            f"[{fn.lower:g}, {fn.upper:g}]^d (MultivariateNormal with lower and upper: "
            "every sample lies in it), started at a uniform point of it with a standard "
            "deviation of half its width, with restarts while the budget lasts.",
            allow_abbrev=False,
        )
        dims = f"dimension ({' or '.join(map(str, fn.dims))})" if fn.dims else "dimension (10)"
        sub.add_argument("--dim", type=_positive_int, help=dims)
        _add_budget(sub, max_evals=100_000)
        _add_target(sub, "stop at this value (default: the optimum within 1e-8)")
        _add_common(sub, executor=True, progress=True, checkpoint=True, plot="the history")
        sub.set_defaults(handler=_solve_function)

    # -- estimate
    estimate = commands.add_parser(
        "estimate",
        help="rare-event probability of a reference model with an exact answer",
        description="P(S(X) >= gamma) by multilevel CE importance sampling (or crude Monte "
        "Carlo) for the reference models of cemopt.problems.rare_events, against their "
        "exact values. Network reliability: see 'cemopt reliability'.",
        allow_abbrev=False,
    )
    models = estimate.add_subparsers(dest="model", metavar="MODEL", required=True)
    for name, factory in rare_events.MODELS.items():
        sub = models.add_parser(
            name,
            help=_doc_summary(factory),
            description=_doc_summary(factory),
            allow_abbrev=False,
        )
        sub.set_defaults(model_params=_model_options(sub, factory))
        _add_estimator(sub, n_final=None)
        sub.add_argument("--crude", action="store_true", help="crude Monte Carlo, n-final samples")
        sub.add_argument("--max-iter", type=_positive_int, default=100, help="CE levels (100)")
        sub.add_argument(
            "--max-evals",
            type=_positive_int,
            help="evaluations of S in all, the final sample included (no limit)",
        )
        sub.add_argument(
            "--time-limit", type=_positive_float, metavar="S", help="seconds (no limit)"
        )
        _add_common(
            sub, executor=True, progress=True, checkpoint=True, plot="the levels and the estimate"
        )
        sub.set_defaults(handler=_estimate)

    # -- reliability
    reliability = commands.add_parser(
        "reliability",
        help="network unreliability: dodecahedron, grid, or an edge-list FILE",
        description="Probability that independent link failures disconnect the terminals: "
        "exact (frontier dynamic programme) and/or estimated (CE-tuned merge process by "
        "default). NETWORK: 'dodecahedron' (terminals 0 and 19), 'grid' (--rows x --cols, "
        "opposite corners), or an edge-list FILE with 'u v' or 'u v q' lines (q: the "
        "link's failure probability).",
        allow_abbrev=False,
    )
    reliability.add_argument("network", metavar="NETWORK", help="dodecahedron, grid or FILE")
    reliability.add_argument("--rows", type=_positive_int, default=3, help="grid rows (3)")
    reliability.add_argument("--cols", type=_positive_int, default=10, help="grid columns (10)")
    reliability.add_argument(
        "--terminals",
        nargs="+",
        metavar="NODE",
        help="terminal nodes (grid nodes as 'row,col'), or 'all'",
    )
    reliability.add_argument(
        "--q", type=_probability, help="failure probability of every link (default 0.01)"
    )
    reliability.add_argument(
        "--method",
        choices=(*network_reliability.METHODS, "exact"),
        default="ce-turnip",
        help="estimator (ce-turnip), or 'exact' alone",
    )
    reliability.add_argument(
        "--exact", action="store_true", help="also compute the exact value and compare"
    )
    reliability.add_argument(
        "--max-frontier", type=_positive_int, default=12, help="limit of the exact method (12)"
    )
    _add_estimator(reliability, n_final=10_000)
    _add_common(reliability, executor=True, plot="the network")
    reliability.set_defaults(handler=_reliability)

    # -- buffers
    buffers = commands.add_parser(
        "buffers",
        help="buffer allocation in a flow line of unreliable machines",
        description="Where should --slots buffer slots go between the machines of a flow "
        "line? CE over slot assignments scored by simulation with common random numbers; "
        "the finalists are re-simulated. Rates are of exponential times. No --executor "
        "or --checkpoint (the simulations share random numbers within a batch).",
        allow_abbrev=False,
    )
    buffers.add_argument(
        "--rates", type=_positive_float, nargs="+", required=True, help="processing rates"
    )
    buffers.add_argument("--slots", type=_positive_int, required=True, help="slots to allocate")
    buffers.add_argument("--failure-rates", type=_nonnegative_float, nargs="+", metavar="RATE")
    buffers.add_argument("--repair-rates", type=_positive_float, nargs="+", metavar="RATE")
    buffers.add_argument(
        "--n-parts", type=_positive_int, default=1000, help="parts per simulation (1000)"
    )
    buffers.add_argument("--n-samples", type=_positive_int, help="allocations per iteration")
    buffers.add_argument("--max-iter", type=_positive_int, default=30, help="iterations (30)")
    buffers.add_argument(
        "--max-evals", type=_positive_int, help="allocations scored during CE, at most"
    )
    buffers.add_argument(
        "--time-limit",
        type=_positive_float,
        metavar="S",
        help="seconds for the whole run, the final re-simulation of the finalists included",
    )
    buffers.add_argument(
        "--exact", action="store_true", help="the exact throughput of the answer (Markov chain)"
    )
    _add_common(buffers, progress=True, plot="the history")
    buffers.set_defaults(handler=_buffers)

    # -- compare
    compare = commands.add_parser(
        "compare",
        help="cemopt against other optimisers on the same budgets and seeds",
        description="Run optimisers on problems with the same evaluation budget and seeds "
        "(cemopt.compare); prints the summary table. PROBLEM: a test function name "
        "(sphere, rastrigin, ...), maxcut, tsp, or a TSPLIB file. --list shows the "
        "optimisers.",
        allow_abbrev=False,
    )
    compare.add_argument("problems", metavar="PROBLEM", nargs="*", help="problems to compare on")
    compare.add_argument(
        "--optimizers",
        nargs="+",
        default=["cemopt", "random", "differential_evolution"],
        help="optimiser names (default: cemopt random differential_evolution)",
    )
    compare.add_argument("--list", action="store_true", help="list the optimisers and exit")
    compare.add_argument(
        "--budget", type=_positive_int, default=10_000, help="evaluations per run (10000)"
    )
    compare.add_argument(
        "--seeds", type=_seed, nargs="+", default=[0, 1, 2, 3, 4], help="seeds (0 1 2 3 4)"
    )
    compare.add_argument("--dim", type=_positive_int, default=10, help="test function dimension")
    compare.add_argument("--target", type=_finite_float, help="success threshold (all problems)")
    compare.add_argument(
        "--no-stop-at-target", action="store_true", help="use the whole budget in every run"
    )
    compare.add_argument("--options", metavar="JSON", help="per-optimizer options as JSON")
    compare.add_argument("--csv", metavar="FILE", help="write the runs as CSV")
    compare.add_argument("--trace-csv", metavar="FILE", help="write the improvements as CSV")
    compare.add_argument("--output", metavar="FILE", help="write everything as JSON")
    _add_common(
        compare, executor=True, progress=True, seed=False, plot="the ECDF of evaluations to targets"
    )
    compare.set_defaults(handler=_compare)
    return parser
