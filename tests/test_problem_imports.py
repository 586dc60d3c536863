"""No module under problems/ imports a private part of the engine: a problem uses
cemopt as a user would (DESIGN.md: "a problem imports only the engine's public face").

Private means any dotted component with a leading underscore below ``cemopt``
(``cemopt._validation``, ``cemopt.families._information``, ``from cemopt import
_batch``), reached by an absolute or a relative import. The problems' own private
modules (``cemopt.problems._local_search``, ``network_reliability._exact``) are theirs
to import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PROBLEMS = Path(__file__).resolve().parents[1] / "problems"
MODULES = sorted(PROBLEMS.rglob("*.py"))


def _package_of(path: Path) -> list[str]:
    """The dotted package ``path`` belongs to, as installed (problems/ is cemopt.problems)."""
    parts = ["cemopt", "problems", *path.relative_to(PROBLEMS).with_suffix("").parts]
    return parts[:-1]  # a module's package; an __init__ is its own package's module


def _imported(tree: ast.AST, package: list[str]) -> list[tuple[int, str]]:
    """Every (line, dotted name) the module imports, relative imports resolved."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = (node.module or "").split(".") if node.module else []
            if node.level:
                up = package[: len(package) - (node.level - 1)]
                base = up + base
            module = ".".join(base)
            names.append((node.lineno, module))
            names += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return names


def _private_engine(name: str) -> bool:
    parts = name.split(".")
    if parts[0] != "cemopt" or parts[1:2] == ["problems"]:
        return False
    return any(p.startswith("_") and not (p.startswith("__") and p.endswith("__")) for p in parts)


def test_the_problem_modules_are_found():
    names = {p.relative_to(PROBLEMS).as_posix() for p in MODULES}
    assert {"tsp.py", "vrp.py", "network_reliability/__init__.py"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(PROBLEMS).as_posix())
def test_no_private_engine_import(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    bad = [
        f"line {line}: {name}"
        for line, name in _imported(tree, _package_of(path))
        if _private_engine(name)
    ]
    assert not bad, f"{path.name} imports private engine modules: {bad}"


@pytest.mark.parametrize(
    ("source", "package", "private"),
    [
        ("from cemopt._validation import check_int", ["cemopt", "problems"], True),
        ("import cemopt.families._information", ["cemopt", "problems"], True),
        ("from cemopt import _batch", ["cemopt", "problems"], True),
        ("from .._validation import as_rng", ["cemopt", "problems"], True),
        ("from ... import _progress", ["cemopt", "problems", "network_reliability"], True),
        ("from cemopt.validation import check_int", ["cemopt", "problems"], False),
        ("import cemopt as ce", ["cemopt", "problems"], False),
        ("from cemopt import __version__", ["cemopt", "problems"], False),
        ("from ._exact import frontier_width", ["cemopt", "problems", "x"], False),
        ("from .._local_search import expired", ["cemopt", "problems", "x"], False),
    ],
)
def test_the_check_itself(source, package, private):
    found = [_private_engine(name) for _, name in _imported(ast.parse(source), package)]
    assert any(found) == private
