"""Shared fixtures: where the datasets are, and a private results folder per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "datasets"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """``../shared/datasets``; in CI it exists, and a test needing it must not skip
    there."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI run without the datasets folder {SHARED_DATA}")
        pytest.skip(f"datasets folder {SHARED_DATA} not found (set up ../shared)")
    return SHARED_DATA
