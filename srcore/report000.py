"""Report 000's chapter: ZSSR's loss variants, ZSSR* and Online SR along a stream.

Reshapes :mod:`srcore.zssr_runs` records into the chapter's tables, figure and
closing sentences; nothing here trains.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from srcore import zssr_runs
from srcore.results import RunRecord
from srcore.vgg import vgg_weights_available

__all__ = ["REPORT", "beside_report", "not_run", "plot_stream", "conclusions"]

#: Report 000's numbers (x2, bicubic LR): Table 1 on T91, Table 2 on the first 30
#: General-100 images; (PSNR, SSIM).
REPORT: dict[str, dict[str, tuple[float, float]]] = {
    "table1": {
        "ZSSR, MSE": (33.921, 0.943),
        "ZSSR, DoG": (34.222, 0.945),
        "ZSSR*": (34.327, 0.946),
    },
    "table2": {
        "ZSSR from scratch": (34.927, 0.953),
        "ZSSR*": (35.092, 0.955),
        "ZSSR+": (34.381, 0.949),
        "ZSSR/ext*": (34.129, 0.947),
        "OSR (weight transfer)": (35.776, 0.959),
        "ZSSR/ext/ftune*": (35.588, 0.958),
        "ZSSR/ext/online*": (35.772, 0.959),
        "ZSSR/ext+": (33.92, 0.945),
        "ZSSR/online+": (35.348, 0.956),
        "ZSSR/ext/ftune+": (35.139, 0.955),
        "ZSSR/ext/online+": (35.322, 0.955),
    },
}


def beside_report(records: Sequence[RunRecord], table: str) -> pd.DataFrame:
    """Our mean PSNR/SSIM per record beside the report's row of the same method
    (the report's images differ: compare the differences between rows)."""
    ours = zssr_runs.summary(records)
    report = REPORT[table]
    ours["report_psnr"] = [report.get(m, (None, None))[0] for m in ours.method]
    ours["report_ssim"] = [report.get(m, (None, None))[1] for m in ours.method]
    cols = ["method", "dataset", "n_images", "psnr", "psnr_bicubic", "gain_db"]
    return ours[[*cols, "ssim", "report_psnr", "report_ssim", "iterations"]]


def not_run() -> pd.DataFrame:
    """Table 2's rows this build does not compute, and why."""
    vgg = "needs VGG weights" if not vgg_weights_available() else "paper profile"
    rows = [
        (
            "ZSSR* (Table 1 and 2)",
            "not run in quick here: 3-4x ZSSR's cost per iteration "
            "(`table1_variants=[..., 'zssr_star']`)",
        ),
        (
            "ZSSR+, ZSSR/ext+, ZSSR/online+, ZSSR/ext/ftune+, ZSSR/ext/online+",
            f"not run: {vgg}",
        ),
        (
            "ZSSR/ext*, ZSSR/ext/ftune*, ZSSR/ext/online*",
            "not run in quick: the T91 pre-training "
            "(`srcore.methods.osr.pretrain_external`) is a paper-profile job",
        ),
    ]
    return pd.DataFrame(rows, columns=["methods", "status"])


def plot_stream(scratch: RunRecord, online: RunRecord) -> Figure:
    """Per stream image, PSNR against iterations from scratch (dashed) and with
    weight transfer (solid); the images follow each other along the x axis."""
    fig, ax = plt.subplots(figsize=(9, 3.4))
    offset = 0
    for k, (a, b) in enumerate(zip(scratch.per_image, online.per_image, strict=True)):
        color = plt.cm.tab10.colors[k % 10]
        ax.plot(
            [offset + i for i in a["trace_iters"]],
            a["trace_psnr"],
            ls="--",
            color=color,
        )
        ax.plot([offset + i for i in b["trace_iters"]], b["trace_psnr"], color=color)
        ax.text(
            offset, max(a["trace_psnr"]) + 0.2, a["image"].split("/")[1], fontsize=7
        )
        offset += max(a["trace_iters"][-1], b["trace_iters"][-1]) + 50
    ax.plot([], [], "k--", label="from scratch")
    ax.plot([], [], "k-", label="weight transfer (OSR)")
    ax.set_xlabel("iterations along the stream")
    ax.set_ylabel("PSNR (dB, Y)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def conclusions(
    table1: Sequence[RunRecord],
    stream: Mapping[bool, RunRecord],
    speed: pd.DataFrame,
) -> str:
    """The chapter's closing bullets, computed from the records."""
    t1 = zssr_runs.summary(table1).set_index("method")
    lines = [
        "* Table 1 ("
        + f"{int(t1.n_images.iloc[0])} T91 images): "
        + ", ".join(f"{m} {r.psnr:.2f} dB" for m, r in t1.iterrows())
        + " (the report: MSE 33.92, DoG 34.22, ZSSR* 34.33 dB)."
    ]
    s = zssr_runs.summary([stream[False], stream[True]]).set_index("method")
    later = speed[speed.position > 0]
    faster = int(
        (later.iters_online.fillna(10**9) < later.iters_scratch.fillna(10**9)).sum()
    )
    lines.append(
        f"* Stream of {int(s.n_images.iloc[0])} images: from scratch "
        f"{s.psnr.iloc[0]:.2f} dB, with weight transfer {s.psnr.iloc[1]:.2f} dB "
        f"(bicubic {s.psnr_bicubic.iloc[0]:.2f} dB)."
    )
    lines.append(
        f"* After the first image, weight transfer reaches from-scratch ZSSR's final "
        f"PSNR in fewer iterations on {faster} of {len(later)} images; its network "
        f"starts at {later.psnr_start_online.mean():.2f} dB on average, against "
        f"{later.psnr_start_scratch.mean():.2f} dB for a fresh one."
    )
    return "\n".join(lines)
