"""The README's Python examples: every block runs on its own, in a fresh namespace, as
a reader who copies one block into a new session runs it; and ``python -m cemopt demo``
works in the repository root, as the shell section recommends."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def _blocks() -> list[tuple[int, str]]:
    if not README.exists():
        return []
    text = README.read_text()
    return [
        (text[: m.start()].count("\n") + 1, m.group(1))
        for m in re.finditer(r"```python\n(.*?)```", text, flags=re.S)
    ]


BLOCKS = _blocks()


def test_the_readme_has_its_examples():
    if not README.exists():
        pytest.skip("README.md is not next to the tests (installed without the source tree)")
    assert len(BLOCKS) >= 12


@pytest.mark.parametrize(("line", "block"), BLOCKS, ids=[f"line{n}" for n, _ in BLOCKS])
def test_each_block_runs_on_its_own(line, block, capsys):
    if "dask.distributed" in block and importlib.util.find_spec("distributed") is None:
        pytest.skip("the Dask example needs dask.distributed (the 'distributed' extra)")
    namespace: dict = {"__name__": f"readme_line{line}"}
    exec(compile(block, f"{README}:{line}", "exec"), namespace)
    out = capsys.readouterr().out
    assert "np.float64(" not in out and "np.int64(" not in out  # plain numbers printed
    # (the blocks assert what they claim: the max-cut optimum, the bridge within 4 SE)


PLAIN_INSTALL = """
import runpy, sys
# as under a plain `pip install .`: no editable finder, the working directory first
sys.meta_path = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path.insert(0, "")
sys.argv = ["cemopt", "demo"]
runpy.run_module("cemopt", run_name="__main__", alter_sys=True)
"""


def test_python_m_cemopt_demo_in_the_repository_root():
    if not (ROOT / "problems").is_dir():
        pytest.skip("not a source checkout")
    run = subprocess.run(
        [sys.executable, "-c", PLAIN_INSTALL], cwd=ROOT, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert "max-cut, the CE tutorial's 400-node two-block graph" in run.stdout
    assert "cut         40000 (known optimum 40000)" in run.stdout
