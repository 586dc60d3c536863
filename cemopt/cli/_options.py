"""Option types (argparse ``type=`` converters) and the option groups subcommands share."""

from __future__ import annotations

import argparse
import math


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a non-negative integer seed, got {text!r}"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer seed, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _probability(text: str) -> float:
    value = _finite_float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a probability in [0, 1], got {text!r}")
    return value


def _nonnegative_float(text: str) -> float:
    value = _finite_float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def _fraction(text: str) -> float:
    value = _finite_float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}")
    return value


def _add_common(
    parser: argparse.ArgumentParser,
    *,
    executor: bool = False,
    progress: bool = False,
    checkpoint: bool = False,
    seed: bool = True,
    plot: str = "the result",
) -> None:
    group = parser.add_argument_group("common options")
    if seed:
        group.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    group.add_argument(
        "--json", action="store_true", help="print one JSON document instead of text"
    )
    group.add_argument("--plot", metavar="FILE", help=f"save a figure of {plot} (.png, .pdf, .svg)")
    if executor:
        group.add_argument(
            "--executor",
            choices=("serial", "thread", "process"),
            help="score batches on a thread or process pool (default serial; process "
            "when --workers is given); the result does not depend on it",
        )
        group.add_argument(
            "--workers", type=_positive_int, help="pool size (default: the number of CPUs)"
        )
    if progress:
        group.add_argument("--progress", action="store_true", help="a progress bar on stderr")
    if checkpoint:
        group.add_argument(
            "--checkpoint", metavar="FILE", help="save the run after every iteration (.npz)"
        )
        group.add_argument(
            "--resume", metavar="FILE", help="continue the run saved in FILE (same options)"
        )


def _add_budget(parser: argparse.ArgumentParser, max_evals: int | None = None) -> None:
    default = f" ({max_evals})" if max_evals else ""
    parser.add_argument(
        "--max-evals", type=_positive_int, default=max_evals, help=f"evaluations{default}"
    )
    parser.add_argument("--max-iter", type=_positive_int, help="iterations")
    parser.add_argument("--time-limit", type=_positive_float, metavar="S", help="seconds")
    parser.add_argument("--n-samples", type=_positive_int, help="samples per iteration")


def _add_target(parser: argparse.ArgumentParser, text: str) -> None:
    parser.add_argument("--target", type=_finite_float, help=text)
    parser.add_argument("--no-target", action="store_true", help="no target: use the budget")


def _add_estimator(parser: argparse.ArgumentParser, n_final: int | None = 100_000) -> None:
    group = parser.add_argument_group("estimator")
    group.add_argument(
        "--n-samples", type=_positive_int, default=1000, help="samples per CE level (1000)"
    )
    default = (
        "100000; with --max-evals, what the levels leave of the budget"
        if n_final is None
        else n_final
    )
    group.add_argument(
        "--n-final", type=_positive_int, default=n_final, help=f"final samples ({default})"
    )
    group.add_argument("--elite-frac", type=_fraction, default=0.1, help="elite fraction rho (0.1)")
    group.add_argument("--smoothing", type=_fraction, default=0.7, help="smoothing alpha (0.7)")
    group.add_argument(
        "--level", type=_fraction, default=0.95, help="confidence level of the interval (0.95)"
    )
