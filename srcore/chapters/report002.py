"""Report 002's chapter: the tables and sentences built from the supervised records.

Kept out of the notebook so that it stays a thin sequence of calls (see STYLE.md);
nothing here trains or scores: it reshapes :func:`srcore.runs.supervised_tables.summary`
tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import torch

from srcore import data
from srcore.chapters import supervised_tables
from srcore.chapters.literature import REPORT_002
from srcore.imageops import load_image
from srcore.methods import bicubic
from srcore.runs import supervised
from srcore.runs.benchmark import make_lr
from srcore.runs.results import RunRecord

__all__ = ["report_vs_ours", "sharpness", "crop_views", "conclusions"]


def report_vs_ours(table: pd.DataFrame) -> pd.DataFrame:
    """The report's DIV2K row above ours (one row per method and scale)."""
    ours = table[table.dataset == "DIV2K"][
        ["method", "scale", "n_images", "psnr_bicubic", "psnr", "gain_db"]
    ]
    report = pd.DataFrame(
        [
            {
                "method": "report: SRCNN",
                "scale": None,
                "n_images": REPORT_002["n_images"],
                "psnr_bicubic": REPORT_002["bicubic_psnr"],
                "psnr": REPORT_002["srcnn_psnr"],
                "gain_db": REPORT_002["srcnn_psnr"] - REPORT_002["bicubic_psnr"],
            }
        ]
    )
    return pd.concat([report, ours], ignore_index=True)


def sharpness(table: pd.DataFrame, scale: int) -> tuple[pd.DataFrame, int, int]:
    """SRResNet and SRGAN rows at ``scale`` with their high-frequency energies, and
    on how many datasets SRGAN's energy exceeds SRResNet's (count, total)."""
    rows = table[
        (table.scale == scale) & table.method.str.startswith(("SRResNet", "SRGAN"))
    ]
    pivot = rows.pivot(index="dataset", columns="method", values="hf_energy")
    gan_col = next(c for c in pivot.columns if c.startswith("SRGAN"))
    sharper = int((pivot[gan_col] > pivot["SRResNet"]).sum())
    cols = ["method", "dataset", "psnr", "hf_energy", "hf_energy_bicubic"]
    return rows[[*cols, "hf_energy_hr"]], sharper, len(pivot)


def crop_views(
    runs: Sequence[RunRecord], scale: int, *, data_root: Any = None, results: Any = None
) -> dict[str, dict[str, torch.Tensor]]:
    """Per evaluated set (up to 3): bicubic, each network at ``scale``, HR crops."""
    out: dict[str, dict[str, torch.Tensor]] = {}
    at_scale = [r for r in runs if r.config["scale"] == scale]
    for ds, _ in at_scale[0].config["eval_sets"][:3]:
        image = data.image_paths(ds, "HR", root=data_root)[0].stem
        hr = data.load_hr(ds, image, scale, root=data_root)
        views = {"bicubic": bicubic.upscale(make_lr(hr, scale), scale)}
        for r in at_scale:
            path = supervised_tables.crop_path(r, ds, image, results)
            views[supervised_tables.label(r)] = load_image(
                path, keep_grey=hr.shape[1] == 1
            )
        views["HR"] = hr
        out[f"{ds} / {image}"] = {
            k: v if v.shape[-1] == supervised.CROP_BOX else supervised.crop_center(v)
            for k, v in views.items()
        }
    return out


def conclusions(table: pd.DataFrame, gan_scale: int, bicubic_seconds: float) -> str:
    """The chapter's closing bullet list, computed from the summary table."""
    x3 = table[
        (table.method == "SRCNN") & (table.scale == 3) & (table.dataset == "Set5")
    ]
    div2k = table[(table.dataset == "DIV2K") & (table.method == "SRCNN")]
    target = REPORT_002["srcnn_psnr"] - REPORT_002["bicubic_psnr"]
    lines = []
    if len(x3):
        lines.append(
            f"* SRCNN ×3 on Set5 gains {x3.gain_db.iloc[0]:+.2f} dB over bicubic "
            f"({x3.psnr.iloc[0]:.2f} vs {x3.psnr_bicubic.iloc[0]:.2f} dB; Kim et al. "
            "2016 list 32.75 vs 30.39 dB for the fully trained SRCNN)."
        )
    if len(div2k):
        closest = div2k.loc[(div2k.gain_db - target).abs().idxmin(), "scale"]
        gains = ", ".join(
            f"×{s} {g:+.2f}" for s, g in zip(div2k.scale, div2k.gain_db, strict=True)
        )
        lines.append(
            f"* On DIV2K, SRCNN's gain over bicubic is {gains} dB; the report's "
            f"{target:+.2f} dB is closest to our ×{closest}."
        )
    rows, sharper, total = sharpness(table, gan_scale)
    gan = rows[rows.method.str.startswith("SRGAN")]
    base = rows[rows.method == "SRResNet"]
    lines.append(
        f"* {gan.method.iloc[0]} trains end to end and its outputs carry more "
        f"high-frequency energy than SRResNet's on {sharper} of {total} sets, at a "
        f"mean PSNR of {gan.psnr.mean():.2f} dB against SRResNet's "
        f"{base.psnr.mean():.2f} dB."
    )
    lines.append(
        f"* The report's bicubic timing ({REPORT_002['bicubic_s_per_image']:.0f} s per "
        "image) reflects its implementation, not the method: MATLAB-exact bicubic ×2 "
        f"of a DIV2K image takes {bicubic_seconds:.2f} s here."
    )
    return "\n".join(lines)
