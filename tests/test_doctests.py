"""Every docstring example in cemopt and cemopt.problems runs and prints what it shows."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import cemopt
import cemopt.problems


def _modules() -> list[str]:
    names = []
    for package in (cemopt, cemopt.problems):
        names.append(package.__name__)
        for info in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + "."):
            if info.name != "cemopt.problems":  # walked on its own, where it is installed
                names.append(info.name)
    return sorted(set(names))


@pytest.mark.parametrize("module", _modules())
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_public_objects_have_examples():
    """A tiny example near the top of every public class and function."""
    missing = []
    for name in cemopt.__all__:
        obj = getattr(cemopt, name)
        if (
            callable(obj)
            and not (isinstance(obj, type) and issubclass(obj, BaseException))
            and ">>>" not in (obj.__doc__ or "")
        ):
            missing.append(name)
    assert not missing, f"public objects without a docstring example: {missing}"
