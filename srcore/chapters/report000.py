"""Report 000's chapter: ZSSR's loss variants, ZSSR* and Online SR along a stream.

Names the chapter's runs (cached :mod:`srcore.runs.zssr_runs` records) and reshapes
them into its tables, figure and closing sentences; nothing here trains directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from srcore.chapters import zssr_tables
from srcore.runs import zssr_runs
from srcore.runs.results import RunRecord
from srcore.vgg import vgg_weights_available

__all__ = [
    "REPORT",
    "REPORT_ROW",
    "EXTERNAL_MODES",
    "external_runs",
    "beside_report",
    "not_run",
    "plot_stream",
    "conclusions",
]

#: Report 000's numbers (x2, bicubic LR): Table 1 on T91, Table 2 on the first 30
#: General-100 images; (PSNR, SSIM).
REPORT: dict[str, dict[str, tuple[float, float]]] = {
    "table1": {
        "ZSSR, MSE": (33.921, 0.943),
        "ZSSR, DoG": (34.222, 0.945),
        "ZSSR*": (34.327, 0.946),
    },
    "table2": {
        "ZSSR": (34.927, 0.953),
        "ZSSR*": (35.092, 0.955),
        "ZSSR+": (34.381, 0.949),
        "ZSSR/ext*": (34.129, 0.947),
        "ZSSR/online*": (35.776, 0.959),
        "ZSSR/ext/ftune*": (35.588, 0.958),
        "ZSSR/ext/online*": (35.772, 0.959),
        "ZSSR/ext+": (33.92, 0.945),
        "ZSSR/online+": (35.348, 0.956),
        "ZSSR/ext/ftune+": (35.139, 0.955),
        "ZSSR/ext/online+": (35.322, 0.955),
    },
}


#: The report's row each of our methods is compared with. Our quick stream trains
#: with plain ZSSR (L1, batch 1) where the report's stream rows used ZSSR* (DoG,
#: batch 8): the pairing is by what starts each image's network, not by the loss.
REPORT_ROW: dict[str, str] = {
    "ZSSR from scratch": "ZSSR",
    "OSR (weight transfer)": "ZSSR/online*",
    "ZSSR/ext": "ZSSR/ext*",
    "ZSSR/ext/ftune": "ZSSR/ext/ftune*",
    "ZSSR/ext/online": "ZSSR/ext/online*",
    "ZSSR* from scratch": "ZSSR*",
    "OSR* (weight transfer)": "ZSSR/online*",
    "ZSSR/ext*": "ZSSR/ext*",
    "ZSSR/ext/ftune*": "ZSSR/ext/ftune*",
    "ZSSR/ext/online*": "ZSSR/ext/online*",
}


#: Table 2's modes that start from external weights: (transfer, adapt).
EXTERNAL_MODES: dict[str, tuple[bool, bool]] = {
    "ext": (False, False),
    "ext/ftune": (False, True),
    "ext/online": (True, True),
}


def external_runs(
    dataset: str, limit: int, external: str | None, **common: Any
) -> list[RunRecord]:
    """The stream again from weights pretrained by OSR over ``external`` (T91):
    without adaptation, fine-tuned per image, and online (report 000 §3.4)."""
    if external is None:
        return []
    return [
        zssr_runs.osr_run(
            dataset,
            2,
            transfer=transfer,
            adapt=adapt,
            external=external,
            limit=limit,
            **common,
        )
        for transfer, adapt in EXTERNAL_MODES.values()
    ]


def beside_report(records: Sequence[RunRecord], table: str) -> pd.DataFrame:
    """Our mean PSNR/SSIM per record beside the report's row of the same method
    (:data:`REPORT_ROW`; the report's images differ: compare the differences
    between rows, not the levels)."""
    ours = zssr_tables.summary(records)
    report = REPORT[table]
    ours["report_method"] = [REPORT_ROW.get(m, m) for m in ours.method]
    ours["report_psnr"] = [report.get(m, (None, None))[0] for m in ours.report_method]
    ours["report_ssim"] = [report.get(m, (None, None))[1] for m in ours.report_method]
    cols = ["method", "dataset", "n_images", "psnr", "psnr_bicubic", "gain_db", "ssim"]
    report_cols = ["report_method", "report_psnr", "report_ssim", "iterations"]
    return ours[[*cols, *report_cols]]


def not_run(shown: Sequence[RunRecord]) -> pd.DataFrame:
    """The report's Table 1 and 2 rows that none of ``shown`` stands for, and why."""
    labels = [zssr_tables.label(r) for r in shown]
    covered = {REPORT_ROW.get(m, m) for m in labels}
    vgg = "not run: needs VGG weights" if not vgg_weights_available() else "not run"
    rows = []
    for table, methods in REPORT.items():
        for method in methods:
            if method in covered:
                continue
            if method.endswith("+"):
                why = vgg + " (perceptual loss)"
            elif method == "ZSSR*" and table == "table1":
                why = "not run: add 'zssr_star' to table1_variants"
            else:
                why = (
                    "not run: ZSSR* training along the stream "
                    "(stream_variant='zssr_star'; 3-4x ZSSR's cost per iteration)"
                )
            rows.append((table.replace("table", "Table "), method, why))
    return pd.DataFrame(rows, columns=["table", "report's method", "status"])


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
    external: Sequence[RunRecord] = (),
) -> str:
    """The chapter's closing bullets, computed from the records."""
    t1 = zssr_tables.summary(table1).set_index("method")
    lines = [
        "* Table 1 ("
        + f"{int(t1.n_images.iloc[0])} T91 image"
        + ("s" if int(t1.n_images.iloc[0]) > 1 else "")
        + "): "
        + ", ".join(f"{m} {r.psnr:.2f} dB" for m, r in t1.iterrows())
        + " (the report: MSE 33.92, DoG 34.22, ZSSR* 34.33 dB)."
    ]
    if {"ZSSR*", "ZSSR, MSE"} <= set(t1.index):
        ratio = t1.s_per_image["ZSSR*"] / t1.s_per_image["ZSSR, MSE"]
        lines.append(
            f"* ZSSR* took {ratio:.1f}× the time per image of ZSSR with MSE for the "
            "same number of iterations (the report: 3-4× on a GPU; a batch of 8 costs "
            "about 8× on a CPU, which has no idle parallelism to absorb it)."
        )
    s = zssr_tables.summary([stream[False], stream[True]]).set_index("method")
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
    if external:
        e = zssr_tables.summary(external).set_index("method")
        scratch = s.psnr.iloc[0]
        ext = e.loc[[m for m in e.index if m.startswith("ZSSR/ext")]]
        lines.append(
            "* From T91-pretrained weights: "
            + ", ".join(
                f"{m} {r.psnr:.2f} dB ({r.psnr - scratch:+.2f} vs from scratch)"
                for m, r in ext.iterrows()
            )
            + " (the report: ext* -0.80, ext/ftune* +0.66, ext/online* +0.85 dB vs "
            "ZSSR)."
        )
    return "\n".join(lines)
