"""Benchmark evaluation: a method on a dataset at a scale, scored by the protocol.

The protocol (see :mod:`srcore.metrics`): HR modcropped to the scale, LR made by
MATLAB-bicubic downscaling and rounded to 8 bits, the method's output rounded to 8 bits,
PSNR/SSIM on the 8-bit luma (grey levels for grey images) with ``shave = scale``.
Results go through :func:`srcore.results.load_or_run`, so a repeated call loads them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import torch

from srcore import data
from srcore.degrade import degrade
from srcore.methods import bicubic
from srcore.metrics import psnr, ssim
from srcore.results import RunRecord, load_or_run

__all__ = ["METHODS", "PROFILES", "make_lr", "evaluate", "benchmark_table"]

Upscaler = Callable[[torch.Tensor, int], torch.Tensor]

#: Methods that need no training, by name. Trained methods register their own runners.
METHODS: dict[str, Upscaler] = {"bicubic": bicubic.upscale}

#: How many images of each dataset a profile evaluates (None = all).
PROFILES: dict[str, dict[str, Any]] = {
    "smoke": {"limit": 2},
    "quick": {"limit": None},
    "paper": {"limit": None},
}


def make_lr(hr: torch.Tensor, scale: int) -> torch.Tensor:
    """The benchmark LR image: MATLAB ``imresize(hr, 1/scale)`` rounded to 8 bits."""
    return degrade(hr, scale)


def evaluate(
    method: str,
    dataset: str,
    scale: int,
    *,
    profile: str = "quick",
    data_root: str | os.PathLike | None = None,
    results: str | os.PathLike | None = None,
    mode: str | None = None,
    upscaler: Upscaler | None = None,
    method_config: dict[str, Any] | None = None,
    progress: bool = True,
) -> RunRecord:
    """Score ``method`` on every (profile-limited) image of ``dataset`` at ``scale``.

    Returns the cached :class:`RunRecord` (per-image ``psnr``, ``ssim``, ``seconds``)
    when one exists for the same config, else computes it (resumably).
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {list(PROFILES)}")
    fn = upscaler or METHODS.get(method)
    if fn is None:
        raise ValueError(f"unknown method {method!r}; known: {sorted(METHODS)}")
    limit = PROFILES[profile]["limit"]
    config = {
        "method": method,
        "method_config": method_config or {},
        "dataset": data.dataset_info(dataset).name,
        "scale": int(scale),
        "profile": profile,
        "limit": limit,
        "protocol": "matlab-bicubic LR, 8-bit, Y (grey as is), shave=scale",
    }

    def names() -> list[str]:
        return [p.stem for p in data.image_paths(dataset, "HR", root=data_root)[:limit]]

    def compute(name: str) -> dict[str, Any]:
        hr = data.load_hr(dataset, name, scale, root=data_root)
        lr_img = make_lr(hr, scale)
        t0 = time.perf_counter()
        sr = fn(lr_img, scale)
        seconds = time.perf_counter() - t0
        return {
            "psnr": float(psnr(sr, hr, shave=scale)),
            "ssim": float(ssim(sr, hr, shave=scale)),
            "seconds": seconds,
            "height": int(hr.shape[-2]),
            "width": int(hr.shape[-1]),
            "channels": int(hr.shape[-3]),
        }

    return load_or_run(
        method, config, names, compute, root=results, mode=mode, progress=progress
    )


def benchmark_table(records: Sequence[RunRecord]) -> pd.DataFrame:
    """One row per record: method, dataset, scale, mean psnr/ssim, n_images, profile."""
    rows = [
        {
            "method": r.method,
            "dataset": r.config["dataset"],
            "scale": r.config["scale"],
            "psnr": r.mean("psnr"),
            "ssim": r.mean("ssim"),
            "n_images": len(r.per_image),
            "profile": r.config.get("profile"),
        }
        for r in records
    ]
    return pd.DataFrame(rows)
