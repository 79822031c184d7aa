"""Tables and views of ZSSR/OSR records: labels, summaries, traces, crop views."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import torch

from srcore.imageops import load_image
from srcore.methods import bicubic
from srcore.runs import supervised
from srcore.runs.results import RunRecord, crop_file

__all__ = ["crop_views", "label", "summary", "traces", "iterations_to_match"]


def crop_views(
    records: Sequence[RunRecord], item: str, data_root: Any = None, results: Any = None
) -> dict[str, torch.Tensor]:
    """Centre crops of ``item`` (``"BSD100/102061"``): bicubic interpolation of its
    LR (made as the records made it), each record's saved output (ZSSR runs save
    their first image, stream runs every image), and HR."""
    ds, image = item.split("/", 1)
    c = records[0].config
    degradation = c.get("degradation", "bicubic")  # stream runs: bicubic LR
    lr_img, hr = supervised.test_pair(ds, image, c["scale"], degradation, data_root)
    grey = hr.shape[1] == 1
    views = {"bicubic": supervised.crop_center(bicubic.upscale(lr_img, c["scale"]))}
    for rec in records:
        path = crop_file(rec.method, rec.key, item, results)
        views[label(rec)] = load_image(path, keep_grey=grey)
    return {**views, "HR": supervised.crop_center(hr)}


def label(record: RunRecord) -> str:
    """Display name of a ZSSR/OSR record ('ZSSR, true kernel', 'ZSSR*', ...)."""
    c = record.config
    if c["method"] == "osr":
        star = "*" if c.get("variant") == "zssr_star" else ""
        if "external" not in c:
            if c["transfer"]:
                return f"OSR{star} (weight transfer)"
            return f"ZSSR{star} from scratch"
        mode = "/online" if c["transfer"] else "/ftune" if c["adapt"] else ""
        return f"ZSSR/ext{mode}{star}"
    label = {
        "zssr": "ZSSR",
        "zssr_mse": "ZSSR, MSE",
        "zssr_dog": "ZSSR, DoG",
        "zssr_star": "ZSSR*",
        "pixelshuffle": "ZSSR, pixel shuffle",
    }[c["variant"]]
    stages = c["model"].get("scale_factors") or []
    if len(stages) > 1:
        label += ", gradual " + "→".join(f"×{_stage(f)}" for f in stages)
    if "backbone" in c:
        label = (
            "VDSR pre-trained on BSD200, no internal training"
            if c["model"]["max_iters"] == 0
            else label + ", pre-trained VDSR backbone"
        )
    if c["degradation"] != "bicubic":
        label += ", true kernel" if c["true_kernel"] else ", assumes bicubic"
    return label


def _stage(factor: Any) -> str:
    """``2.0`` -> ``"2"``, ``[1.5, 2.0]`` -> ``"1.5x2"`` (vertical x horizontal)."""
    parts = factor if isinstance(factor, list | tuple) else [factor]
    return "x".join(f"{float(p):g}" for p in parts)


def summary(records: Sequence[RunRecord]) -> pd.DataFrame:
    """Mean scores per record: method, dataset, scale, n, PSNR/SSIM beside bicubic
    on the same LR images, mean gain, iterations and seconds per image."""
    rows = []
    for rec in records:
        f = pd.DataFrame(rec.per_image)
        rows.append(
            {
                "method": label(rec),
                "dataset": rec.config["dataset"],
                "scale": rec.config["scale"],
                "n_images": len(f),
                "psnr": f.psnr.mean(),
                "psnr_bicubic": f.psnr_bicubic.mean(),
                "gain_db": (f.psnr - f.psnr_bicubic).mean(),
                "ssim": f.ssim.mean(),
                "ssim_bicubic": f.ssim_bicubic.mean(),
                "iterations": f.iterations.mean(),
                "s_per_image": f.seconds.mean(),
            }
        )
    return pd.DataFrame(rows)


def traces(record: RunRecord) -> pd.DataFrame:
    """Long table: image, position, iteration, PSNR of the plain network output."""
    rows = []
    for k, r in enumerate(record.per_image):
        for it, value in zip(r["trace_iters"], r["trace_psnr"], strict=True):
            rows.append(
                {
                    "image": r["image"],
                    "position": k,
                    "iteration": it,
                    "psnr": value,
                    "method": label(record),
                }
            )
    return pd.DataFrame(rows)


def iterations_to_match(scratch: RunRecord, online: RunRecord) -> pd.DataFrame:
    """Per stream position: the plain-output PSNR from-scratch ZSSR ends with, and
    the iterations each run needs to reach it (None: never within its budget)."""
    rows = []
    for k, (a, b) in enumerate(zip(scratch.per_image, online.per_image, strict=True)):
        target = a["trace_psnr"][-1]
        rows.append(
            {
                "position": k,
                "image": a["image"],
                "target_psnr": target,
                "iters_scratch": _first_at_least(a, target),
                "iters_online": _first_at_least(b, target),
                "psnr_start_online": b["trace_psnr"][0],
                "psnr_start_scratch": a["trace_psnr"][0],
            }
        )
    frame = pd.DataFrame(rows)
    frame["saved"] = frame.iters_scratch.astype(float) - frame.iters_online.astype(
        float
    )
    return frame


def _first_at_least(row: dict, target: float) -> int | None:
    """The first traced iteration count whose PSNR reaches ``target``."""
    pairs = zip(row["trace_iters"], row["trace_psnr"], strict=True)
    return next((it for it, value in pairs if value >= target), None)
