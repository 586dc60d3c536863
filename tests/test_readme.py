"""The README's Python examples run as written (in order, sharing one namespace)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_examples_run():
    if not README.exists():
        pytest.skip("README.md is not next to the tests (installed without the source tree)")
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    runnable = [b for b in blocks if "my_slow_objective" not in b]  # needs the user's code
    assert len(runnable) >= 3
    namespace: dict = {}
    for block in runnable:
        exec(compile(block, str(README), "exec"), namespace)
    assert namespace["res"].fun == namespace["problem"].optimum
