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


@pytest.fixture
def fp32(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the test without bf16 autocast, as on a CPU without native bf16.

    For tests that hold two code paths equal to 1e-4 (batched against one by one,
    vmap against the plain module): under bf16 their different kernels round
    differently, so only fp32 tests the equality of the paths themselves."""
    monkeypatch.setenv("SRCORE_CPU_BF16", "0")
