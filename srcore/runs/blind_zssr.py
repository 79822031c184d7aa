"""Blind ZSSR: ZSSR on random-kernel images told the true kernel, KernelGAN's
estimate of it, or nothing (it assumes bicubic), and KernelGAN alone. Each function
names a set of records so that a chapter and the queue ask for the same keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from srcore.runs import kernel_runs, zssr_runs
from srcore.runs.context import RunContext
from srcore.runs.results import RunRecord

#: The blind case's ZSSR runs, by what ZSSR is told about the kernel.
BLIND_KINDS: dict[str, dict[str, bool]] = {
    "true kernel": {"true_kernel": True},
    "estimated kernel": {"estimated_kernel": True},
    "assumes bicubic": {},
}

#: The blind case's (set, scale): BSD100 x2 is ZSSR's non-ideal setting (seeded
#: kernels), DIV2KRK KernelGAN's own.
BLIND_SETS: tuple[tuple[str, int], ...] = (
    ("BSD100", 2),
    ("DIV2KRK", 2),
    ("DIV2KRK", 4),
)

#: KernelGAN alone: the same sets (BSD100's x4 LR images are too small for its crop).
KERNEL_SETS = BLIND_SETS


def blind_runs(
    scale: int,
    limit: int,
    *,
    ctx: RunContext,
    seed: int = 0,
    dataset: str = "BSD100",
) -> dict[str, RunRecord]:
    """ZSSR on the first ``limit`` random-kernel images of ``dataset`` per
    :data:`BLIND_KINDS`, plus the KernelGAN record (key ``"kernels"``)."""
    kw: dict[str, Any] = dict(degradation="random_kernel", limit=limit, seed=seed)
    runs = {
        kind: zssr_runs.zssr_run(dataset, scale, ctx, **flags, **kw)
        for kind, flags in BLIND_KINDS.items()
    }
    runs["kernels"] = kernel_runs.kernelgan_run(
        dataset, scale, ctx, limit=limit, seed=seed
    )
    return runs


def blind_key(dataset: str, scale: int) -> str:
    """The name of a blind set: ``blind_x2`` (BSD100), ``blind_div2krk_x4``.

    Example:
        >>> blind_key("BSD100", 2), blind_key("DIV2KRK", 4)
        ('blind_x2', 'blind_div2krk_x4')
    """
    infix = "" if dataset == "BSD100" else f"{dataset.lower()}_"
    return f"blind_{infix}x{scale}"


def blind_sets(
    bsd100_images: int, div2krk_images: int, *, ctx: RunContext, seed: int = 0
) -> dict[str, dict[str, RunRecord]]:
    """:func:`blind_runs` (partial records) on each of :data:`BLIND_SETS` given
    images, keyed by :func:`blind_key`."""
    limits = {"BSD100": bsd100_images, "DIV2KRK": div2krk_images}
    part = ctx.replace(partial=True)
    return {
        blind_key(ds, s): blind_runs(s, limits[ds], ctx=part, seed=seed, dataset=ds)
        for ds, s in BLIND_SETS
        if limits[ds] > 0
    }


def blind_seed_runs(
    images: int, seeds: Sequence[int], *, ctx: RunContext
) -> list[dict[str, RunRecord]]:
    """The BSD100 x2 blind case (:func:`blind_runs`, partial) once per seed."""
    part = ctx.replace(partial=True)
    return [blind_runs(2, images, ctx=part, seed=s) for s in seeds]


def kernel_runs_on(limit: int, *, ctx: RunContext) -> list[RunRecord]:
    """KernelGAN alone on the first ``limit`` images of each of :data:`KERNEL_SETS`."""
    return [
        kernel_runs.kernelgan_run(ds, scale, ctx, limit=limit)
        for ds, scale in KERNEL_SETS
    ]
