"""LapSRN trained and tested on random-kernel (DIV2KRK-style) degradations, with
transposed or sub-pixel upsamplers (pre-activated, locally residual levels), and the
×2 sub-pixel run once per deliberate fault (:data:`srcore.training.supervised.FAULTS`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from srcore.runs import supervised
from srcore.runs.context import RunContext
from srcore.runs.results import RunRecord
from srcore.training.supervised import FAULTS

#: Per-profile patch settings by scale, over LapSRN's own profile (part of the keys).
RUNS: dict[str, dict[int, dict[str, Any]]] = {
    # HR patch side 64 leaves room for the x2 kernel; x8: 12x12 LR, a tiny batch
    "smoke": {2: {"crop": 64}, 4: {"crop": 64}, 8: {"crop": 96, "batch_size": 2}},
    # x8: batch 8 keeps x4's step cost
    "quick": {2: {"crop": 64}, 4: {"crop": 64}, 8: {"crop": 96, "batch_size": 8}},
    "paper": {},  # the LapSRN paper profile's patches at every scale
}
UPSAMPLERS = ("deconv", "subpixel")
#: The faults of :data:`srcore.training.supervised.FAULTS` as prose names them.
FAULT_NAMES = {
    "misaligned_pairs": "misaligned pairs",
    "random_image_branch": "a random image branch",
}


def overrides(scale: int, upsample: str, profile: str) -> dict[str, Any]:
    """Model settings of one run: pre-activated residual levels, the upsampler and
    the profile's patches (:data:`RUNS`)."""
    extra: dict[str, Any] = {"upsample": upsample, "preact_residual": True}
    return extra | RUNS.get(profile, {}).get(scale, {})


def runs(
    scales: Sequence[int] = (2, 4, 8),
    upsamplers: Sequence[str] = UPSAMPLERS,
    *,
    ctx: RunContext,
    seed: int = 0,
) -> dict[tuple[int, str], RunRecord]:
    """One trained LapSRN per (scale, upsampler) on random-kernel data."""
    return {
        (s, up): supervised.run(
            "lapsrn",
            s,
            ctx,
            seed=seed,
            degradation="random_kernel",
            **overrides(s, up, ctx.profile),
        )
        for s in scales
        for up in upsamplers
    }


def fault_runs(
    faults: Sequence[str] = FAULTS, *, ctx: RunContext, seed: int = 0
) -> dict[str, RunRecord]:
    """The ×2 sub-pixel run again, once per deliberate fault in ``faults``."""
    return {
        fault: supervised.run(
            "lapsrn",
            2,
            ctx,
            seed=seed,
            degradation="random_kernel",
            fault=fault,
            **overrides(2, "subpixel", ctx.profile),
        )
        for fault in faults
    }
