"""``python -m cemopt ...``: the same as the ``cemopt`` command (:mod:`cemopt.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
