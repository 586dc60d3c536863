"""Shared fixtures. Tests import cemopt as users do (the installed package)."""

from __future__ import annotations

from pathlib import Path

import pytest

#: Real TSPLIB and CVRPLIB instances shipped with the tests (see tests/data/README.md).
TEST_DATA = Path(__file__).resolve().parent / "data"
#: The full benchmark data beside the repository, when present (not in a fresh clone).
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def data_roots() -> list[Path]:
    """The shipped data, and ../shared/data too where it exists (it holds more files)."""
    return [TEST_DATA, *([SHARED_DATA] if SHARED_DATA.is_dir() else [])]


@pytest.fixture
def test_data() -> Path:
    """The real instances shipped in tests/data (present in every clone)."""
    return TEST_DATA


@pytest.fixture
def shared_data() -> Path:
    """The full data in ../shared/data; tests needing it skip in a fresh clone."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real instance data not found at {SHARED_DATA} (../shared is absent)")
    return SHARED_DATA
