"""``python -m cemopt.cli ...``: the same as the ``cemopt`` command."""

import sys

from ._main import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
