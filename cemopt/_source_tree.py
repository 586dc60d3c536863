"""``cemopt.problems`` when cemopt is imported from its own source checkout.

The folder ``problems/`` of the repository installs as ``cemopt.problems``
(``pyproject.toml``). Run ``python -m cemopt ...`` in the repository root with cemopt
installed non-editable (``pip install .``), and Python imports the folder ``cemopt/`` of
the working directory instead of the installed package; that folder has no
``problems`` inside, and every command that needs one failed with
``No module named 'cemopt.problems'``. :func:`install` maps ``cemopt.problems`` to the
checkout's ``problems/`` in that case only (nothing happens when it is importable).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from typing import Any


class _ProblemsFinder(importlib.abc.MetaPathFinder):
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != "cemopt.problems":
            return None  # its submodules are found on its __path__
        return importlib.util.spec_from_file_location(
            fullname,
            self.folder / "__init__.py",
            submodule_search_locations=[str(self.folder)],
        )


def install() -> None:
    """Add the finder when this ``cemopt/`` sits in a checkout beside ``problems/`` and
    no other ``cemopt.problems`` can be imported."""
    root = Path(__file__).resolve().parent.parent
    folder = root / "problems"
    if not (folder / "__init__.py").is_file() or not (root / "pyproject.toml").is_file():
        return
    if any(isinstance(finder, _ProblemsFinder) for finder in sys.meta_path):
        return
    if (Path(__file__).resolve().parent / "problems").exists():
        return
    try:
        if importlib.util.find_spec("cemopt.problems") is not None:
            return  # an editable install, or the package as installed
    except (ImportError, ValueError):
        pass
    sys.meta_path.append(_ProblemsFinder(folder))
