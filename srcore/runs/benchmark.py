"""Benchmark evaluation: a method on a dataset at a scale, scored by the protocol
(:mod:`srcore.protocol`: MATLAB-bicubic 8-bit LR, PSNR/SSIM on the 8-bit luma with
``shave = scale``), cached by :func:`srcore.runs.results.load_or_run`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from srcore import data
from srcore.methods import bicubic
from srcore.metrics import psnr, ssim
from srcore.protocol import SCORING, make_lr
from srcore.runs.context import DEFAULT_CONTEXT, RunContext
from srcore.runs.results import RunRecord, load_or_run

Upscaler = Callable[[torch.Tensor, int], torch.Tensor]

#: Methods that need no training, by name. Trained methods register their own runners.
METHODS: dict[str, Upscaler] = {"bicubic": bicubic.upscale}

#: How many images of each dataset a profile evaluates (None = all).
PROFILES: dict[str, dict[str, Any]] = {
    "smoke": {"limit": 2},
    "quick": {"limit": None},
    "paper": {"limit": None},
}


def evaluate(
    method: str,
    dataset: str,
    scale: int,
    ctx: RunContext = DEFAULT_CONTEXT,
    *,
    upscaler: Upscaler | None = None,
    method_config: dict[str, Any] | None = None,
) -> RunRecord:
    """Score ``method`` on every (profile-limited) image of ``dataset`` at ``scale``:
    per-image ``psnr``, ``ssim``, ``seconds``."""
    profile, data_root = ctx.profile, ctx.data_root
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
        "degradation": "bicubic",
        "scoring": SCORING,
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
        method,
        config,
        names,
        compute,
        root=ctx.results,
        mode=ctx.mode,
        progress=ctx.progress,
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


def matlab_imresize_check(scale: int, ctx: RunContext = DEFAULT_CONTEXT) -> RunRecord:
    """Hold :func:`srcore.resize.imresize` against MATLAB's double-precision output.

    ``Set5/MATLAB_float_ref/X<s>/*.mat`` hold ``im_l_ycbcr = imresize(rgb2ycbcr(im_gt
    / 255), 1/s, 'bicubic')`` and the Y of ``imresize(im_l_ycbcr, s)`` x 255; each row
    is our largest absolute difference from them (0-255 scale).
    """
    import numpy as np
    from scipy.io import loadmat

    from srcore.imageops import rgb_to_ycbcr
    from srcore.resize import imresize

    split = f"MATLAB_float_ref_X{int(scale)}"

    def paths() -> dict[str, Path]:
        return {p.stem: p for p in data.image_paths("Set5", split, root=ctx.data_root)}

    def compute(name: str) -> dict[str, Any]:
        mat = loadmat(paths()[name])
        gt = torch.from_numpy(mat["im_gt"].astype(np.float64) / 255.0).permute(2, 0, 1)
        ycbcr = rgb_to_ycbcr(gt[None])
        lr_ref = torch.from_numpy(mat["im_l_ycbcr"]).permute(2, 0, 1)[None]
        down = imresize(ycbcr, 1 / scale)
        up_y = imresize(lr_ref, scale)[0, 0] * 255.0
        return {
            "max_abs_down": float((down - lr_ref).abs().max() * 255.0),
            "max_abs_up_y": float((up_y - torch.from_numpy(mat["im_b_y"])).abs().max()),
            "height": int(gt.shape[-2]),
            "width": int(gt.shape[-1]),
        }

    config = {
        "check": "matlab-imresize",
        "dataset": "Set5",
        "scale": int(scale),
        "profile": ctx.profile,
    }
    return load_or_run(
        "imresize-vs-matlab",
        config,
        lambda: sorted(paths()),
        compute,
        root=ctx.results,
        mode=ctx.mode,
        progress=False,
    )
