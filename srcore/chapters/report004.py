"""Report 004's chapter: LapSRN on random-kernel (DIV2KRK-style) degradations.

The report trained a sub-pixel LapSRN (10 pre-activated layers per level, Y channel)
on DIV2KRK-like data at x2 and x4; its x4 model beat interpolation and its x2 model
failed (12.96 dB against 25.60 dB). Here every run goes through
:func:`srcore.runs.supervised.run` with ``degradation="random_kernel"``: training
patches
each blurred by a fresh DIV2KRK-style kernel, tests on DIV2KRK's own LR files (x2, x4)
and on BSD100 with one seeded kernel per image (x2, x4, x8).

The report's hypothesis for the failure (a single-level "post-upsampling" model is
unsuitable) is tested by the x2 runs themselves; two other explanations are tested
by injecting them on purpose (:data:`srcore.runs.supervised.FAULTS`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import torch

from srcore.chapters import supervised_tables
from srcore.chapters.literature import REPORT_004
from srcore.degrade import random_kernel
from srcore.imageops import load_image
from srcore.methods import bicubic
from srcore.runs import supervised
from srcore.runs.results import RunRecord
from srcore.vgg import vgg_weights_available

__all__ = [
    "UPSAMPLERS",
    "overrides",
    "runs",
    "fault_runs",
    "table",
    "report_beside",
    "loss_rows",
    "example_kernels",
    "crop_views",
    "failure_analysis",
    "conclusions",
]

UPSAMPLERS = ("deconv", "subpixel")
LABELS = {"deconv": "LapSRN, transposed conv", "subpixel": "LapSRN, sub-pixel"}


def overrides(scale: int, upsample: str, profile: str) -> dict[str, Any]:
    """Model settings of one run: report 004's pre-activated levels with a local
    skip, the given upsampler and, in ``quick``/``smoke``, patches big enough for the
    kernel (x8: 96x96 HR, 12x12 LR, batch 8 to keep the step cost near x4's)."""
    extra: dict[str, Any] = {"upsample": upsample, "preact_residual": True}
    if profile in ("quick", "smoke"):
        extra["crop"] = {2: 64, 4: 64, 8: 96}[scale]
        if scale == 8:
            extra["batch_size"] = 8 if profile == "quick" else 2
    return extra


def runs(
    scales: Sequence[int] = (2, 4, 8),
    upsamplers: Sequence[str] = UPSAMPLERS,
    *,
    profile: str = "quick",
    **common: Any,
) -> dict[tuple[int, str], RunRecord]:
    """One trained LapSRN per (scale, upsampler) on random-kernel data."""
    return {
        (s, up): supervised.run(
            "lapsrn",
            s,
            profile=profile,
            degradation="random_kernel",
            **overrides(s, up, profile),
            **common,
        )
        for s in scales
        for up in upsamplers
    }


def fault_runs(
    profile: str = "quick", faults: Sequence[str] = supervised.FAULTS, **common: Any
) -> dict[str, RunRecord]:
    """The x2 sub-pixel run again, once per deliberate fault in ``faults``."""
    return {
        fault: supervised.run(
            "lapsrn",
            2,
            profile=profile,
            degradation="random_kernel",
            fault=fault,
            **overrides(2, "subpixel", profile),
            **common,
        )
        for fault in faults
    }


def table(records: Mapping[tuple[int, str], RunRecord]) -> pd.DataFrame:
    """Mean Y-PSNR/SSIM per scale, upsampler and test set, beside bicubic
    interpolation of the same random-kernel LR images."""
    parts = []
    for (_, up), rec in records.items():
        part = supervised_tables.summary([rec])
        part["method"] = LABELS[up]
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True)
    cols = ["scale", "dataset", "method", "n_images", "psnr", "psnr_bicubic"]
    cols += ["gain_db", "ssim", "ssim_bicubic"]
    return frame[cols].sort_values(["scale", "dataset", "method"], kind="stable")


def report_beside(ours: pd.DataFrame) -> pd.DataFrame:
    """Report 004's Table 1 beside our DIV2KRK rows (sub-pixel, as the report's)."""
    rows = []
    for k, s in enumerate(REPORT_004["scales"]):
        interp = REPORT_004["table"][0][1 + k]
        model = REPORT_004["table"][1][1 + k]
        rows.append(
            {
                "scale": s,
                "source": "report 004 (its DIV2KRK test split)",
                "interpolation": interp,
                "LapSRN sub-pixel": model,
                "gain_db": model - interp,
            }
        )
        mine = ours[
            (ours.scale == s)
            & (ours.dataset == "DIV2KRK")
            & (ours.method == LABELS["subpixel"])
        ]
        if len(mine):
            r = mine.iloc[0]
            rows.append(
                {
                    "scale": s,
                    "source": f"ours (DIV2KRK, {r.n_images} images)",
                    "interpolation": r.psnr_bicubic,
                    "LapSRN sub-pixel": r.psnr,
                    "gain_db": r.gain_db,
                }
            )
    return pd.DataFrame(rows)


def loss_rows() -> pd.DataFrame:
    """Charbonnier (run) and perceptual (run only where VGG19 weights exist) rows."""
    status = (
        "runs with the ImageNet VGG19 weights"
        if vgg_weights_available()
        else "not run: needs VGG weights"
    )
    return pd.DataFrame(
        [
            {"loss": "Charbonnier (ε = 1e-3), every level", "status": "run (above)"},
            {"loss": "perceptual (VGG19 features), report 004 §3.4", "status": status},
        ]
    )


def example_kernels(n: int = 4) -> tuple[list[torch.Tensor], list[str]]:
    """A few training kernels per scale (seeds 0..n-1), for a gallery."""
    kernels, titles = [], []
    for s in (2, 4, 8):
        for seed in range(n):
            k = random_kernel(scale=s, seed=seed)
            kernels.append(k)
            titles.append(f"×{s}, seed {seed} ({k.shape[-1]}²)")
    return kernels, titles


def crop_views(
    records: Mapping[tuple[int, str], RunRecord],
    scale: int,
    *,
    data_root: Any = None,
    results: Any = None,
) -> dict[str, dict[str, torch.Tensor]]:
    """Per test set: centre crops of bicubic, each upsampler's output and HR."""
    at_scale = {up: r for (s, up), r in records.items() if s == scale}
    any_rec = next(iter(at_scale.values()))
    firsts: dict[str, str] = {}
    for row in any_rec.per_image:
        if row["image"] != "train":
            ds, image = row["image"].split("/", 1)
            firsts.setdefault(ds, image)
    out = {}
    for ds, image in firsts.items():
        lr_img, hr = supervised.test_pair(ds, image, scale, "random_kernel", data_root)
        views = {"bicubic": bicubic.upscale(lr_img, scale)}
        for up, rec in at_scale.items():
            path = supervised_tables.crop_path(rec, ds, image, results)
            views[LABELS[up]] = load_image(path, keep_grey=hr.shape[1] == 1)
        views["HR"] = hr
        out[f"{ds} / {image} ×{scale}"] = {
            k: v if v.shape[-1] == supervised.CROP_BOX else supervised.crop_center(v)
            for k, v in views.items()
        }
    return out


def failure_analysis(good: RunRecord, faults: Mapping[str, RunRecord]) -> pd.DataFrame:
    """Mean PSNR on each test set of the correct x2 run and of each faulty one, and
    the validation PSNR of each after its first and last check."""
    rows = []
    for name, rec in {"none (correct pairs, bilinear init)": good, **faults}.items():
        summ = supervised_tables.summary([rec])
        hist = rec.history
        for r in summ.itertuples():
            rows.append(
                {
                    "fault": name,
                    "dataset": r.dataset,
                    "psnr": r.psnr,
                    "psnr_bicubic": r.psnr_bicubic,
                    "gain_db": r.gain_db,
                    "val_psnr_first": hist["val_psnr"][0]
                    if hist.get("val_psnr")
                    else None,
                    "val_psnr_last": hist["val_psnr"][-1]
                    if hist.get("val_psnr")
                    else None,
                }
            )
    return pd.DataFrame(rows)


def conclusions(
    ours: pd.DataFrame,
    records: Mapping[tuple[int, str], RunRecord],
    faults: Mapping[str, RunRecord],
) -> str:
    """The chapter's closing bullets, computed from the tables and records."""
    lines = []
    for s in sorted(ours.scale.unique()):
        rows = ours[ours.scale == s]
        beats = int((rows.gain_db > 0).sum())
        text = ", ".join(
            f"{r.method.split(', ')[1]} on {r.dataset} {r.gain_db:+.2f} dB"
            for r in rows.itertuples()
        )
        lines.append(
            f"* ×{s}: {beats} of {len(rows)} (model, test set) pairs beat bicubic "
            f"interpolation ({text})."
        )
    for ds in ours.dataset.unique():
        pivot = ours[ours.dataset == ds].pivot(
            index="scale", columns="method", values="psnr"
        )
        if set(LABELS.values()) <= set(pivot.columns):
            diff = pivot[LABELS["subpixel"]] - pivot[LABELS["deconv"]]
            lines.append(
                f"* Sub-pixel minus transposed convolution on {ds}: "
                + ", ".join(f"×{s} {d:+.2f} dB" for s, d in diff.items())
                + "."
            )
    analysis = failure_analysis(records[(2, "subpixel")], faults)
    div = analysis[analysis.dataset == "DIV2KRK"]
    if len(div):
        parts = [f"{r.fault}: {r.psnr:.2f} dB" for r in div.itertuples()]
        below = [r.fault for r in div.itertuples() if r.gain_db < 0]
        first = ", ".join(
            f"{r.fault} {r.val_psnr_first:.2f} dB" for r in div.itertuples()
        )
        falling = [
            r.fault for r in div.itertuples() if r.val_psnr_last < r.val_psnr_first
        ]
        verdict = (
            "Below bicubic: "
            + ", ".join(below)
            + (
                f"; {', '.join(falling)} also gets worse as it trains (Set5 validation "
                "PSNR falls from its first to its last check), the report's symptom. "
                if falling
                else ". "
            )
            + "That fault is the most likely reason for the report's failure; its "
            "size here differs from the report's -12.64 dB (other data, budget and "
            "network)."
            if below
            else "No fault tried here lands below bicubic after the full run; "
            "they only slow the start (Set5 validation PSNR after the first tenth "
            f"of training: {first}), so a model stopped that early, or a fault not "
            "tried here, stays the candidate for the report's 12.96 dB."
        )
        lines.append(
            "* Report 004's ×2 failure, on DIV2KRK ×2 (bicubic "
            f"{div.psnr_bicubic.iloc[0]:.2f} dB): " + "; ".join(parts) + ". "
            "A single level is not the cause: our correct single-level model beats "
            "bicubic. " + verdict
        )
    return "\n".join(lines)
