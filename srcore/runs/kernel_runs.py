"""Cached KernelGAN runs: one estimated blur kernel per random-kernel test image,
scored against the true one; ZSSR's blind case reads them (:func:`estimated_kernel`).
"""

from __future__ import annotations

from functools import cache, partial
from typing import Any

import torch

from srcore import protocol
from srcore.degrade import bicubic_kernel, kernel_error, kernel_moments
from srcore.methods.kernelgan import estimate_kernel, kernel_config
from srcore.profiles import SMOKE_LR_CROP, config_dict, resolve_device
from srcore.runs.context import DEFAULT_CONTEXT, RunContext
from srcore.runs.results import RunRecord, record_for

#: Significant digits of the kernel taps stored in a record (sum 1 to ~1e-7).
KERNEL_DIGITS = 8


def _taps(k: torch.Tensor) -> list[list[float]]:
    return [[float(f"{v:.{KERNEL_DIGITS}g}") for v in row] for row in k.tolist()]


def image_pair(
    item: str,
    scale: int,
    degradation: str,
    profile: str,
    data_root: str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(lr_img, hr)`` of ``item`` (:func:`srcore.protocol.test_pair`); a smoke
    random-kernel pair is cut to its central :data:`srcore.profiles.SMOKE_LR_CROP`."""
    lr_img, hr = protocol.test_pair(*item.split("/", 1), scale, degradation, data_root)
    h, w = lr_img.shape[-2:]
    if profile != "smoke" or degradation == "bicubic" or max(h, w) <= SMOKE_LR_CROP:
        return lr_img, hr
    ch, cw = min(h, SMOKE_LR_CROP), min(w, SMOKE_LR_CROP)
    y, x = (h - ch) // 2, (w - cw) // 2
    lr_crop = lr_img[..., y : y + ch, x : x + cw]
    return lr_crop, hr[..., y * scale : (y + ch) * scale, x * scale : (x + cw) * scale]


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

    Each row: the kernel and its x2 source, :func:`srcore.degrade.kernel_error` of it
    and of the bicubic kernel, covariances, health, seconds and loss traces. Image k
    uses seed ``seed + k``.
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
    items = cache(
        partial(protocol.test_items, [(dataset, limit)], scale, ctx.data_root)
    )

    def compute(item: str) -> dict[str, Any]:
        ds, image = item.split("/", 1)
        lr_img, _ = image_pair(item, scale, "random_kernel", ctx.profile, ctx.data_root)
        truth = protocol.test_kernel(ds, image, scale, ctx.data_root)
        index = items().index(item)
        image_cfg = kernel_config(ctx.profile, seed=seed + index, **overrides)
        if lr_img.shape[1] == 1:
            lr_img = lr_img.repeat(1, 3, 1, 1)
        res = estimate_kernel(
            lr_img, scale, image_cfg, device=dev, progress=ctx.progress
        )
        bicubic = bicubic_kernel(scale, 13 if scale == 2 else 25)
        kept = ("health", "seconds", "steps")
        kept += ("trace_steps", "trace_g", "trace_d", "trace_bicubic")
        return {
            "dataset": ds,
            "kernel": _taps(res.kernel),
            "kernel_x2": _taps(res.kernel_x2),
            "kernel_error": kernel_error(res.kernel, truth),
            "bicubic_error": kernel_error(bicubic, truth),
            "cov_estimate": kernel_moments(res.kernel)[1].tolist(),
            "cov_true": kernel_moments(truth)[1].tolist(),
            **{k: getattr(res, k) for k in kept},
        }

    return record_for("kernelgan", config, items, compute, ctx, device=dev)


def estimated_kernel(record: RunRecord, item: str) -> torch.Tensor:
    """The kernel KernelGAN estimated for ``item`` ("BSD100/8023") in ``record``."""
    for row in record.per_image:
        if row["image"] == item:
            return kernel_from_row(row)
    raise KeyError(f"{record.key} has no kernel for {item}")


def estimated_kernels(
    dataset: str,
    scale: int,
    ctx: RunContext = DEFAULT_CONTEXT,
    *,
    limit: int | None = None,
    seed: int = 0,
) -> RunRecord:
    """:func:`kernelgan_run` for ZSSR's blind case, made when missing ("force"
    becomes "auto"; no deadline: ZSSR cannot start without its kernels)."""
    pre = ctx.replace(mode="read" if ctx.mode == "read" else None, deadline=None)
    return kernelgan_run(dataset, scale, pre, limit=limit, seed=seed)
