"""Cached KernelGAN runs: one estimated blur kernel per random-kernel test image.

:func:`kernelgan_run` estimates the kernel of each LR image of a random-kernel test
set (:func:`srcore.protocol.test_pair`: DIV2KRK's own LR files, or BSD100 blurred by
one seeded DIV2KRK-style kernel per image) and scores it against the true kernel
(:func:`srcore.degrade.kernel_error`), beside the error of the bicubic kernel that a
method assuming bicubic uses. ``zssr_run(..., estimated_kernel=True)`` then reads the
kernels from this record (:func:`estimated_kernel`).

Example:
    >>> from srcore.runs.context import RunContext
    >>> import tempfile
    >>> ctx = RunContext(profile="smoke", results=tempfile.mkdtemp(), progress=False)
    >>> rec = kernelgan_run("Set5", 2, ctx, limit=1)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import torch

from srcore import protocol
from srcore.degrade import bicubic_kernel, kernel_error, kernel_moments
from srcore.methods.kernelgan import estimate_kernel, kernel_config
from srcore.profiles import config_dict, resolve_device
from srcore.runs.context import DEFAULT_CONTEXT, RunContext
from srcore.runs.results import RunRecord, record_for

__all__ = ["kernelgan_run", "estimated_kernel", "kernel_from_row", "KERNEL_DIGITS"]

#: Significant digits of the kernel taps stored in a record (sum 1 to ~1e-7).
KERNEL_DIGITS = 8


def _taps(k: torch.Tensor) -> list[list[float]]:
    return [[float(f"{v:.{KERNEL_DIGITS}g}") for v in row] for row in k.tolist()]


def kernel_from_row(row: dict[str, Any]) -> torch.Tensor:
    """The estimated kernel of a record row, float64 ``(n, n)``, sum 1."""
    k = torch.tensor(row["kernel"], dtype=torch.float64)
    return k / k.sum()


def kernelgan_run(
    dataset: str,
    scale: int,
    ctx: RunContext = DEFAULT_CONTEXT,
    *,
    limit: int | None = None,
    seed: int = 0,
    **overrides: Any,
) -> RunRecord:
    """KernelGAN on the first ``limit`` random-kernel LR images of ``dataset``.

    Each row: the estimated kernel (``kernel``, for ``scale``) and its x2 source,
    ``kernel_error`` and ``bicubic_error`` (:func:`srcore.degrade.kernel_error` of
    the estimate and of :func:`srcore.degrade.bicubic_kernel` against the true
    kernel), the covariances of the three kernels, KernelGAN's health
    (:func:`srcore.methods.kernelgan.estimate_kernel`), seconds and loss traces.
    Image k uses seed ``seed + k``.
    """
    cfg = kernel_config(ctx.profile, seed=seed, **overrides)
    config = {
        "method": "kernelgan",
        "model": config_dict(cfg),
        "scale": int(scale),
        "profile": ctx.profile,
        "dataset": dataset,
        "limit": limit,
        "degradation": "random_kernel",
    }
    dev = resolve_device(ctx.device)
    state: dict[str, Any] = {}

    def items() -> list[str]:
        if "items" not in state:
            state["items"] = protocol.test_items(
                [(dataset, limit)], scale, ctx.data_root
            )
        return state["items"]

    def compute(item: str) -> dict[str, Any]:
        ds, image = item.split("/", 1)
        lr_img, _ = protocol.test_pair(ds, image, scale, "random_kernel", ctx.data_root)
        truth = protocol.test_kernel(ds, image, scale, ctx.data_root)
        index = items().index(item)
        image_cfg = kernel_config(ctx.profile, seed=seed + index, **overrides)
        if lr_img.shape[1] == 1:
            lr_img = lr_img.repeat(1, 3, 1, 1)
        res = estimate_kernel(
            lr_img, scale, image_cfg, device=dev, progress=ctx.progress
        )
        bicubic = bicubic_kernel(scale, 13 if scale == 2 else 25)
        return {
            "dataset": ds,
            "kernel": _taps(res.kernel),
            "kernel_x2": _taps(res.kernel_x2),
            "kernel_error": kernel_error(res.kernel, truth),
            "bicubic_error": kernel_error(bicubic, truth),
            "cov_estimate": kernel_moments(res.kernel)[1].tolist(),
            "cov_true": kernel_moments(truth)[1].tolist(),
            "health": res.health,
            "seconds": res.seconds,
            "steps": res.steps,
            "trace_steps": res.trace_steps,
            "trace_g": res.trace_g,
            "trace_d": res.trace_d,
            "trace_bicubic": res.trace_bicubic,
        }

    return record_for("kernelgan", config, items, compute, ctx, device=dev)


def estimated_kernel(record: RunRecord, item: str) -> torch.Tensor:
    """The kernel KernelGAN estimated for ``item`` ("BSD100/8023") in ``record``."""
    for row in record.per_image:
        if row["image"] == item:
            return kernel_from_row(row)
    raise KeyError(f"{record.key} has no kernel for {item}")
