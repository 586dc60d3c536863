"""Shared fixtures. Tests import cemopt as users do (the installed package)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The real instances in ../shared/data; tests needing them skip in a fresh clone."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real instance data not found at {SHARED_DATA} (../shared is absent)")
    return SHARED_DATA
