"""The ``cemopt`` command: the problem modules from the shell.

::

    cemopt demo                                   the main job on built-in examples
    cemopt solve tsp FILE                         a TSPLIB .tsp/.atsp file
    cemopt solve vrp FILE                         a CVRPLIB .vrp file
    cemopt solve maxcut [FILE] [--n N --m M]      an edge list, or the synthetic instance
    cemopt solve FUNCTION --dim D                 sphere, rosenbrock, rastrigin, ...
    cemopt estimate MODEL                         bridge, exponential_sum, ... (exact known)
    cemopt reliability NETWORK                    dodecahedron, grid, or an edge list
    cemopt buffers --rates ... --slots N          buffer allocation in a flow line
    cemopt compare PROBLEM ... --optimizers ...   cemopt against other optimisers

Every subcommand prints a readable summary, or with ``--json`` one JSON document on
stdout; ``--plot FILE`` saves its figure (format from the suffix: .png, .pdf, .svg);
``--seed`` fixes the run (default 0). Where the underlying call supports them:
``--executor {serial,thread,process}`` and ``--workers N`` score batches on a
``concurrent.futures`` pool (the result does not depend on it), ``--progress`` draws a
progress bar on stderr, ``--checkpoint FILE`` / ``--resume FILE`` save and continue a
run (``solve FUNCTION`` and ``solve maxcut``, which run through
:func:`cemopt.minimize`). Each subcommand's ``--help`` lists what it takes.

A bad option, a missing or malformed file, or an argument the library rejects gives
one line on stderr (``cemopt: error: ...``, naming the options rather than the API's
parameters) and exit status 2, never a traceback (set ``CEMOPT_TRACEBACK=1`` to see
one). Warnings become ``cemopt: warning: ...`` lines. A run that finishes without
success (``success`` false in its report) exits with status 1, a successful one with 0,
an interrupted one with 130. Probabilities below 1e-300 are printed in log form.

Examples
--------
>>> from cemopt.cli import main
>>> main(["solve", "sphere", "--dim", "2", "--max-evals", "2000", "--json"])
... # doctest: +ELLIPSIS
{"command": "solve", "problem": "sphere", ..., "success": true, ...}
0
"""

from ._main import main
from ._parser import build_parser

__all__ = ["build_parser", "main"]
