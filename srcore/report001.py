"""Report 001's chapter: ZSSR in the ideal and non-ideal cases, and its variants.

Reshapes :mod:`srcore.zssr_runs` records into the chapter's tables, figure and
closing sentences; nothing here trains.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
import torch
from matplotlib.figure import Figure

from srcore import supervised, zssr_runs
from srcore.imageops import load_image
from srcore.literature import REPORT_001_IDEAL, REPORT_001_NONIDEAL
from srcore.methods import bicubic
from srcore.results import RunRecord, results_root
from srcore.vgg import vgg_weights_available

__all__ = [
    "ideal_table",
    "nonideal_reference",
    "plot_traces",
    "variants_status",
    "crop_views",
    "conclusions",
]


def ideal_table(records: Sequence[RunRecord]) -> pd.DataFrame:
    """Our ZSSR and bicubic per (set, scale) beside the published SRCNN, VDSR,
    EDSR+, SelfExSR and ZSSR PSNRs (over all of the set's images)."""
    ours = zssr_runs.summary(records)
    rows = []
    for r in ours.itertuples():
        pub = REPORT_001_IDEAL.get((r.dataset, r.scale), {})
        rows.append(
            {
                "dataset": r.dataset,
                "scale": r.scale,
                "n_images": r.n_images,
                "bicubic (ours)": r.psnr_bicubic,
                "ZSSR (ours)": r.psnr,
                "gain_db": r.gain_db,
                **{f"{m} (published)": v[0] for m, v in pub.items()},
                "ZSSR ours - published": r.psnr - pub["ZSSR"][0] if pub else None,
            }
        )
    return pd.DataFrame(rows)


def nonideal_reference() -> pd.DataFrame:
    """The ZSSR paper's non-ideal table as report 001 quotes it."""
    return pd.DataFrame(
        [
            {"method": m, "psnr": p, "ssim": s}
            for m, (p, s) in REPORT_001_NONIDEAL.items()
        ]
    )


def plot_traces(record: RunRecord) -> Figure:
    """PSNR of the plain network output against iterations, one line per image,
    with that image's bicubic PSNR dashed in the same colour."""
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    for row, color in zip(record.per_image, plt.cm.tab10.colors, strict=False):
        name = row["image"].split("/", 1)[1]
        ax.plot(row["trace_iters"], row["trace_psnr"], color=color, label=name)
        ax.axhline(row["psnr_bicubic"], color=color, ls="--", lw=0.8)
    ax.set_xlabel("iterations")
    ax.set_ylabel("PSNR (dB, Y)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def variants_status(run: Sequence[str] = ()) -> pd.DataFrame:
    """Report 001's variants: run here (``run`` lists the variant names run), or
    why not."""
    hybrid = (
        "runs where the ImageNet VGG19 weights exist"
        if vgg_weights_available()
        else "not run: needs VGG weights"
    )
    shuffle = (
        "run (above)"
        if "pixelshuffle" in run
        else "not run in this build (CPU time); `nonideal_variants=['pixelshuffle']`"
    )
    return pd.DataFrame(
        [
            {"variant": "pixel shuffle inside the net (x2)", "status": shuffle},
            {
                "variant": "VDSR backbone pre-trained on BSD200",
                "status": "not run in this build: `zssr(..., backbone=...)` supports "
                "it; the pre-training is a paper-profile (GPU) job",
            },
            {"variant": "L1 + content (perceptual) loss", "status": hybrid},
        ]
    )


def crop_views(
    records: Sequence[RunRecord], data_root: Any = None, results: Any = None
) -> dict[str, dict[str, torch.Tensor]]:
    """For each record: centre crops of bicubic, ZSSR and HR on its first image."""
    out = {}
    for rec in records:
        c = rec.config
        item = rec.per_image[0]["image"]
        ds, image = item.split("/", 1)
        lr_img, hr = supervised.test_pair(
            ds, image, c["scale"], c["degradation"], data_root
        )
        path = results_root(results) / "zssr" / f"{rec.key}-crops" / "0.png"
        views = {
            "bicubic": supervised.crop_center(bicubic.upscale(lr_img, c["scale"])),
            zssr_runs.label(rec): load_image(path, keep_grey=hr.shape[1] == 1),
            "HR": supervised.crop_center(hr),
        }
        out[f"{item} ×{c['scale']} ({zssr_runs.label(rec)})"] = views
    return out


def conclusions(
    ideal: Sequence[RunRecord],
    nonideal: Sequence[RunRecord],
    variants: Sequence[RunRecord] = (),
) -> str:
    """The chapter's closing bullets, computed from the records."""
    lines = []
    for r in zssr_runs.summary(ideal).itertuples():
        pub = REPORT_001_IDEAL.get((r.dataset, r.scale), {}).get("ZSSR")
        text = (
            f"* Ideal case, {r.dataset} ×{r.scale} ({r.n_images} images): ZSSR "
            f"{r.psnr:.2f} dB vs bicubic {r.psnr_bicubic:.2f} dB, a gain of "
            f"{r.gain_db:+.2f} dB in {r.iterations:.0f} iterations on average"
        )
        if pub:
            text += f" (published ZSSR {pub[0]:.2f} dB after up to 3000 iterations)"
        lines.append(text + ".")
    table = zssr_runs.summary([*nonideal, *variants]).set_index("method")
    true_k = table.loc[table.index.str.contains("true kernel")].iloc[0]
    assumed = table.loc[table.index.str.contains("assumes bicubic")]
    lines.append(
        f"* Non-ideal case ({true_k.n_images} BSD100 images ×{true_k.scale}): "
        f"ZSSR with the true kernel {true_k.psnr:.2f} dB; "
        + ", ".join(f"{name} {row.psnr:.2f} dB" for name, row in assumed.iterrows())
        + f", bicubic interpolation {true_k.psnr_bicubic:.2f} dB. Knowing the kernel "
        f"gains {true_k.psnr - assumed.psnr.iloc[0]:+.2f} dB (the paper: +0.87 dB "
        "over an estimated kernel, +1.9 dB over EDSR+)."
    )
    return "\n".join(lines)
