"""Report 001's chapter: ZSSR in the ideal and non-ideal cases, and its variants.

Names the chapter's runs (cached :mod:`srcore.runs.zssr_runs` records) and reshapes
them into its tables, figure and closing sentences; nothing here trains directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
import torch
from matplotlib.figure import Figure

from srcore.chapters import zssr_tables
from srcore.chapters.literature import REPORT_001_IDEAL, REPORT_001_NONIDEAL
from srcore.methods.zssr import PRESETS
from srcore.runs import zssr_runs
from srcore.runs.results import RunRecord
from srcore.vgg import vgg_weights_available

__all__ = [
    "REPORT_VARIANTS",
    "ideal_runs",
    "nonideal_runs",
    "ideal_table",
    "nonideal_reference",
    "plot_traces",
    "variants_status",
    "variants_beside_report",
    "crop_views",
    "conclusions",
]


#: Report 001 §8's variant experiments on BSD100 with unknown kernels: (ZSSR,
#: variant) mean PSNR as the report printed them, by scale.
REPORT_VARIANTS: dict[str, dict[int, tuple[float, float]]] = {
    "ZSSR, pixel shuffle, assumes bicubic": {
        2: (28.2554, 28.2550),
        4: (24.23, 25.0655),
    },
    "ZSSR, pre-trained VDSR backbone, assumes bicubic": {2: (28.2492, 27.6091)},
}


#: The reference's gradual configs per final scale (``zssr.PRESETS``).
GRADUAL: dict[int, str] = {2: "gradual_x2", 4: "gradual_x4"}


def ideal_runs(
    sets: Sequence[str],
    scales: Sequence[int],
    gradual_scales: Sequence[int] = (),
    **common: Any,
) -> list[RunRecord]:
    """ZSSR on MATLAB-bicubic LR for each (set, scale); at ``gradual_scales`` also
    with the reference's gradual scale increments (the ZSSR paper's choice for
    large factors), on the same images."""
    runs = []
    for ds in sets:
        for s in scales:
            runs.append(zssr_runs.zssr_run(ds, s, **common))
            if s in gradual_scales:
                runs.append(zssr_runs.zssr_run(ds, s, **PRESETS[GRADUAL[s]], **common))
    return runs


def nonideal_runs(
    scale: int,
    limit: int,
    variants: Sequence[str] = (),
    vdsr_backbone: bool = False,
    **common: Any,
) -> tuple[list[RunRecord], list[RunRecord]]:
    """The non-ideal case at one scale: ZSSR with the true kernel and assuming
    bicubic, then the variants on the same LR images (assuming bicubic, as the
    report did): named ``variants`` (pixel shuffle) and, with ``vdsr_backbone``, a
    VDSR pre-trained on BSD200 alone (0 internal iterations) and fine-tuned by ZSSR."""
    kw = dict(degradation="random_kernel", limit=limit, **common)
    base = [
        zssr_runs.zssr_run("BSD100", scale, true_kernel=t, **kw) for t in (True, False)
    ]
    extra = [zssr_runs.zssr_run("BSD100", scale, variant=v, **kw) for v in variants]
    if vdsr_backbone:
        extra += [
            zssr_runs.zssr_run("BSD100", scale, backbone="vdsr", **iters, **kw)
            for iters in ({"max_iters": 0}, {})
        ]
    return base, extra


def ideal_table(records: Sequence[RunRecord]) -> pd.DataFrame:
    """Our ZSSR and bicubic per (set, scale) beside the published SRCNN, VDSR,
    EDSR+, SelfExSR and ZSSR PSNRs (over all of the set's images)."""
    ours = zssr_tables.summary(records)
    rows = []
    for r in ours.itertuples():
        pub = REPORT_001_IDEAL.get((r.dataset, r.scale), {})
        rows.append(
            {
                "method": r.method,
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


def variants_status(shown: Sequence[RunRecord] = ()) -> pd.DataFrame:
    """Report 001's variants: run here (a record among ``shown``), or why not."""
    labels = " ".join(zssr_tables.label(r) for r in shown)
    hybrid = (
        "runs where the ImageNet VGG19 weights exist"
        if vgg_weights_available()
        else "not run: needs VGG weights"
    )

    def status(marker: str, param: str) -> str:
        return "run (above)" if marker in labels else f"not run in this build: {param}"

    return pd.DataFrame(
        [
            {
                "variant": "pixel shuffle inside the net",
                "status": status(
                    "pixel shuffle", "`nonideal_variants=['pixelshuffle']`"
                ),
            },
            {
                "variant": "VDSR backbone pre-trained on BSD200",
                "status": status("VDSR", "`vdsr_backbone=True`"),
            },
            {"variant": "L1 + content (perceptual) loss", "status": hybrid},
        ]
    )


def variants_beside_report(records: Sequence[RunRecord]) -> pd.DataFrame:
    """Each variant's mean PSNR next to plain ZSSR (assuming bicubic) on the same
    images and scale, and the report's same difference (:data:`REPORT_VARIANTS`)."""
    table = zssr_tables.summary(records)
    rows = []
    for r in table.itertuples():
        if r.method == "ZSSR, assumes bicubic" or "true kernel" in r.method:
            continue
        base = table[
            (table.method == "ZSSR, assumes bicubic") & (table.scale == r.scale)
        ]
        ref = REPORT_VARIANTS.get(r.method, {}).get(r.scale)
        rows.append(
            {
                "variant": r.method,
                "scale": r.scale,
                "n_images": r.n_images,
                "ZSSR (ours)": base.psnr.iloc[0] if len(base) else None,
                "variant (ours)": r.psnr,
                "difference (ours)": r.psnr - base.psnr.iloc[0] if len(base) else None,
                "difference (report)": ref[1] - ref[0] if ref else None,
            }
        )
    return pd.DataFrame(rows)


def crop_views(
    records: Sequence[RunRecord], data_root: Any = None, results: Any = None
) -> dict[str, dict[str, torch.Tensor]]:
    """For each record: centre crops of bicubic, ZSSR and HR on its first image."""
    out = {}
    for rec in records:
        item = rec.per_image[0]["image"]
        views = zssr_tables.crop_views([rec], item, data_root, results)
        out[f"{item} ×{rec.config['scale']} ({zssr_tables.label(rec)})"] = views
    return out


def conclusions(
    ideal: Sequence[RunRecord],
    nonideal: Sequence[RunRecord],
    variants: Sequence[RunRecord] = (),
) -> str:
    """The chapter's closing bullets, computed from the records."""
    lines = []
    for r in zssr_tables.summary(ideal).itertuples():
        pub = REPORT_001_IDEAL.get((r.dataset, r.scale), {}).get("ZSSR")
        text = (
            f"* Ideal case, {r.dataset} ×{r.scale} ({r.n_images} images): "
            f"{r.method} {r.psnr:.2f} dB vs bicubic {r.psnr_bicubic:.2f} dB, a gain of "
            f"{r.gain_db:+.2f} dB in {r.iterations:.0f} iterations on average"
        )
        if pub:
            text += f" (published ZSSR {pub[0]:.2f} dB after up to 3000 iterations)"
        lines.append(text + ".")
    table = zssr_tables.summary(nonideal)
    for scale, t in table.groupby("scale"):
        t = t.set_index("method")
        if not {"ZSSR, true kernel", "ZSSR, assumes bicubic"} <= set(t.index):
            continue
        true_k = t.loc["ZSSR, true kernel"]
        assumed = t.loc["ZSSR, assumes bicubic"]
        lines.append(
            f"* Non-ideal case ({true_k.n_images} BSD100 images ×{scale}): ZSSR with "
            f"the true kernel {true_k.psnr:.2f} dB, assuming bicubic "
            f"{assumed.psnr:.2f} dB, bicubic interpolation "
            f"{true_k.psnr_bicubic:.2f} dB: knowing the kernel gains "
            f"{true_k.psnr - assumed.psnr:+.2f} dB (the paper, ×2: +0.87 dB over an "
            "estimated kernel, +1.9 dB over EDSR+)."
        )
    for _, r in variants_beside_report([*nonideal, *variants]).iterrows():
        ref = r["difference (report)"]
        report = "not in the report" if pd.isna(ref) else f"the report: {ref:+.2f} dB"
        lines.append(
            f"* {r['variant']} ×{r['scale']}: {r['variant (ours)']:.2f} dB, "
            f"{r['difference (ours)']:+.2f} dB against plain ZSSR on the same images "
            f"({report})."
        )
    return "\n".join(lines)
