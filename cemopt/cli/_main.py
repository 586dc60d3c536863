"""The ``cemopt`` command's entry point: parse, run the handler, print, and turn errors
and warnings into one-line messages."""

from __future__ import annotations

import json
import os
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from ._common import (
    CLIError,
    _check_input,
    _check_output,
    _check_plot,
    _flag_names,
    _jsonable,
    _one_line,
)
from ._parser import build_parser


def _show_warnings(caught: list[warnings.WarningMessage], stream: Any) -> list[str]:
    shown = []
    for item in caught:
        if issubclass(item.category, (DeprecationWarning, PendingDeprecationWarning)):
            continue
        if issubclass(item.category, (FutureWarning, ResourceWarning)):
            continue
        text = f"{item.category.__name__}: {' '.join(str(item.message).split())}"
        if text not in shown:
            shown.append(text)
            stream.write(f"cemopt: warning: {text}\n")
    return shown


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``cemopt`` command; returns the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        0 done; 1 done, but the run did not succeed (``success`` false in the report:
        a budget ran out before a stopping rule, an estimate that cannot be trusted, a
        run of ``compare`` that raised); 2 bad options or input (one line on stderr);
        130 interrupted. See :data:`EXIT_STATUSES`.

    Examples
    --------
    >>> main(["solve", "rastrigin", "--dim", "2", "--max-evals", "5000"])
    ... # doctest: +ELLIPSIS
    rastrigin in 2 dimensions (minimum 0), CE over a full-covariance Gaussian on [-5.12, 5.12]^2
      f           ...
    0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _check_plot(args.plot)
        for option in ("checkpoint",):
            _check_output(getattr(args, option, None), f"--{option}")
        if getattr(args, "resume", None) is not None:
            _check_input(args.resume, "--resume")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            document, lines, figure = args.handler(args)
            unplotted = args.plot and figure is not None and document.get("nit") == 0
            if unplotted:  # the run stopped before its first iteration: nothing to draw
                figure = None
            elif args.plot and figure is not None:
                import matplotlib.pyplot as plt

                fig = figure()
                fig.savefig(args.plot, dpi=120, bbox_inches="tight")
                plt.close(fig)
        shown = _show_warnings(caught, sys.stderr)
        if unplotted:
            shown.append(f"--plot {args.plot}: not written, the run has no iteration")
            sys.stderr.write(f"cemopt: warning: {shown[-1]}\n")
    except KeyboardInterrupt:
        sys.stderr.write("cemopt: interrupted\n")
        return 130
    except (CLIError, ValueError, TypeError, OSError, ImportError, KeyError) as exc:
        if os.environ.get("CEMOPT_TRACEBACK"):
            raise
        sys.stderr.write(f"cemopt: error: {_flag_names(_one_line(exc), args)}\n")
        return 2
    if args.json:
        if args.plot:
            document["plot"] = args.plot
        document["warnings"] = shown
        lines = [json.dumps(_jsonable(document))]
    elif args.plot:
        lines.append(
            f"figure: {args.plot}" if figure is not None else "(no figure for this output)"
        )
    try:
        print("\n".join(lines), flush=True)
    except BrokenPipeError:  # `cemopt ... | head`: the reader left, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return _exit_status(document)


#: the exit statuses of ``cemopt``, as its help and the README list them
EXIT_STATUSES = {
    0: "done: the run succeeded (or there was nothing to succeed at, as an exact value)",
    1: "done, but the run did not succeed: its result is printed with success false "
    "(a budget ran out before a stopping rule, an estimate that cannot be trusted, a run "
    "of compare that raised)",
    2: "bad options or input: one line on stderr, nothing run",
    130: "interrupted (Ctrl-C): the best so far is printed",
}


def _exit_status(document: dict[str, Any]) -> int:
    if document.get("status") == "interrupted":
        return 130
    if document.get("success") is False or document.get("errors"):
        return 1
    return 0
