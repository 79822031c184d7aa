"""Report 002's chapter: the tables and numbers built from the supervised records.

Kept out of the notebook so that it stays a thin sequence of calls (see STYLE.md);
nothing here trains or scores: it reshapes
:func:`srcore.chapters.supervised_tables.summary` tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import torch

from srcore import data
from srcore.chapters import tables
from srcore.chapters.published import REPORT_002, published_table
from srcore.runs.results import RunRecord, record_crop

__all__ = ["report_vs_ours", "sharpness", "crop_views", "butterfly_views", "findings"]


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
    at_scale = [r for r in runs if r.config["scale"] == scale]
    out = {}
    for ds, _ in at_scale[0].config["eval_sets"][:3]:
        image = data.image_paths(ds, "HR", root=data_root)[0].stem
        out[f"{ds} / {image}"] = tables.crop_views(
            at_scale, f"{ds}/{image}", data_root=data_root, results=results
        )
    return out


def butterfly_views(
    runs: Sequence[RunRecord],
    scale: int = 2,
    *,
    data_root: Any = None,
    results: Any = None,
) -> dict[str, torch.Tensor] | None:
    """The report's Figures 6-8 (Set5 butterfly: ground truth, bicubic, SRCNN) from
    the SRCNN record at ``scale``: the panels of :func:`tables.crop_views`, or None
    when that record keeps no butterfly crop (made before
    :data:`srcore.runs.supervised.FIGURE_ITEMS`)."""
    item = "Set5/butterfly"
    srcnn = [r for r in runs if r.method == "srcnn" and r.config["scale"] == scale]
    if not srcnn or not record_crop(srcnn[0], item, results).exists():
        return None
    return tables.crop_views(srcnn[:1], item, data_root=data_root, results=results)


def findings(
    table: pd.DataFrame, gan_scale: int, bicubic_seconds: float
) -> dict[str, Any]:
    """The chapter's measured numbers, for the notebook's closing prose (glue keys).

    ``srcnn_x3_set5_gain``/``_psnr``/``_bicubic`` and Kim et al.'s
    ``kim_srcnn_x3_set5``/``kim_bicubic_x3_set5``; ``srcnn_div2k_x<s>_gain`` per
    SRCNN scale with ``srcnn_div2k_x<s>_bicubic`` (bicubic on the same images), the
    report's ``report_gain`` and ``report_bicubic``, and ``inferred_scale``: the
    report names no scale, so it is inferred from its bicubic level, the scale whose
    bicubic PSNR on our DIV2K images is nearest the report's (never from the gain
    being judged), with ``inferred_gap`` (ours minus the report's bicubic there);
    ``gan_label``, ``gan_sharper`` of ``gan_sets`` (sets where its
    high-frequency energy exceeds SRResNet's), ``gan_psnr`` and ``srresnet_psnr``
    (means over the sets); ``report_bicubic_s`` and ``bicubic_div2k_s`` (seconds of
    one MATLAB-exact bicubic x2 of a DIV2K image here).
    """
    out: dict[str, Any] = {}
    srcnn = table[table.method == "SRCNN"]
    x3 = srcnn[(srcnn.scale == 3) & (srcnn.dataset == "Set5")]
    if len(x3):
        out["srcnn_x3_set5_gain"] = float(x3.gain_db.iloc[0])
        out["srcnn_x3_set5_psnr"] = float(x3.psnr.iloc[0])
        out["srcnn_x3_set5_bicubic"] = float(x3.psnr_bicubic.iloc[0])
    kim = published_table().query("dataset == 'Set5' and scale == 3")
    kim = kim.set_index("method").psnr
    out["kim_srcnn_x3_set5"] = float(kim["SRCNN"])
    out["kim_bicubic_x3_set5"] = float(kim["Bicubic"])
    target = REPORT_002["srcnn_psnr"] - REPORT_002["bicubic_psnr"]
    out["report_gain"] = target
    div2k = srcnn[srcnn.dataset == "DIV2K"]
    out["report_bicubic"] = REPORT_002["bicubic_psnr"]
    for s, g, b in zip(div2k.scale, div2k.gain_db, div2k.psnr_bicubic, strict=True):
        out[f"srcnn_div2k_x{s}_gain"] = float(g)
        out[f"srcnn_div2k_x{s}_bicubic"] = float(b)
    if len(div2k):
        gap = div2k.psnr_bicubic - REPORT_002["bicubic_psnr"]
        at = gap.abs().idxmin()
        out["inferred_scale"] = int(div2k.loc[at, "scale"])
        out["inferred_gap"] = float(gap[at])
        out["srcnn_div2k_n"] = int(div2k.loc[at, "n_images"])
    rows, sharper, total = sharpness(table, gan_scale)
    gan = rows[rows.method.str.startswith("SRGAN")]
    out["gan_label"] = str(gan.method.iloc[0])
    out["gan_sharper"] = sharper
    out["gan_sets"] = total
    out["gan_psnr"] = float(gan.psnr.mean())
    out["srresnet_psnr"] = float(rows[rows.method == "SRResNet"].psnr.mean())
    out["report_bicubic_s"] = REPORT_002["bicubic_s_per_image"]
    out["bicubic_div2k_s"] = float(bicubic_seconds)
    return out
