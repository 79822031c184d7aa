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

from srcore import plots
from srcore.chapters import zssr_tables
from srcore.chapters.published import REPORT_000
from srcore.chapters.tables import label, versus
from srcore.chapters.verdicts import MARGIN_DB
from srcore.runs import zssr_runs
from srcore.runs.context import RunContext
from srcore.runs.results import RunRecord
from srcore.vgg import vgg_weights_available

__all__ = [
    "REPORT",
    "REPORT_ROW",
    "EXTERNAL_MODES",
    "external_runs",
    "stream_seed_runs",
    "transfer_spread",
    "beside_report",
    "not_run",
    "plot_stream",
    "findings",
]

#: Report 000's Tables 1 and 2 (:data:`srcore.chapters.published.REPORT_000`).
REPORT: dict[str, dict[str, tuple[float, float]]] = {
    t: REPORT_000[t] for t in ("table1", "table2")
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
    dataset: str,
    limit: int,
    external: str | None,
    *,
    ctx: RunContext,
    seed: int = 0,
    variant: str = "zssr",
) -> list[RunRecord]:
    """The stream again from weights pretrained by OSR over ``external`` (T91):
    without adaptation, fine-tuned per image, and online (report 000 §3.4)."""
    if external is None:
        return []
    return [
        zssr_runs.osr_run(
            dataset,
            2,
            ctx,
            transfer=transfer,
            adapt=adapt,
            external=external,
            limit=limit,
            variant=variant,
            seed=seed,
        )
        for transfer, adapt in EXTERNAL_MODES.values()
    ]


def stream_seed_runs(
    dataset: str,
    images: int,
    seeds: Sequence[int],
    *,
    ctx: RunContext,
    variant: str = "zssr",
) -> list[tuple[RunRecord, RunRecord]]:
    """The stream from scratch and with weight transfer, once per seed."""
    return [
        tuple(  # type: ignore[misc]
            zssr_runs.osr_run(
                dataset, 2, ctx, transfer=t, limit=images, variant=variant, seed=s
            )
            for t in (False, True)
        )
        for s in seeds
    ]


def transfer_spread(pairs: Sequence[tuple[RunRecord, RunRecord]]) -> pd.DataFrame:
    """Per seed: the stream's mean PSNR from scratch and with weight transfer, their
    difference, and how many items trained; then the mean and standard deviation
    over the seeds whose two streams are finished (``done``); a seed neither of
    whose streams has started has no row. A difference within one standard
    deviation is no difference."""
    rows = []
    for scratch, online in pairs:
        if not (scratch.done or online.done):
            continue  # a seed not started is no row: the chapter names it
        done = scratch.complete and online.complete
        a = pd.DataFrame(scratch.per_image).psnr.mean() if done else float("nan")
        b = pd.DataFrame(online.per_image).psnr.mean() if done else float("nan")
        items = [*scratch.per_image, *online.per_image]
        rows.append(
            {
                "seed": str(scratch.config["model"]["seed"]),
                "done": ", ".join(map(zssr_tables.done_of, (scratch, online))),
                "scratch_psnr": float(a),
                "transfer_psnr": float(b),
                "transfer_minus_scratch_db": float(b - a),
                "trained": zssr_tables.trained_count(items),
            }
        )
    table = pd.DataFrame(rows)
    cols = ["scratch_psnr", "transfer_psnr", "transfer_minus_scratch_db"]
    table = table.astype({c: float for c in cols})
    mean = {c: float(table[c].mean()) for c in cols}
    sd = {
        c: float(table[c].std(ddof=1)) if len(table) > 1 else float("nan") for c in cols
    }
    items = [r for p in pairs for rec in p for r in rec.per_image]
    summary = [
        {"seed": "mean", **mean, "trained": zssr_tables.trained_count(items)},
        {"seed": "sd over seeds", **sd, "trained": ""},
    ]
    return pd.concat([table, pd.DataFrame(summary)], ignore_index=True)


def beside_report(records: Sequence[RunRecord], table: str) -> pd.DataFrame:
    """Our mean PSNR/SSIM and gain over bicubic per record beside the report's row
    of the same method (:data:`REPORT_ROW`; the report's images differ: compare the
    differences between rows, not the levels)."""
    ours = zssr_tables.summary(records)
    report = REPORT[table]
    ours["report_method"] = [REPORT_ROW.get(m, m) for m in ours.method]
    ours["report_psnr"] = [report.get(m, (None, None))[0] for m in ours.report_method]
    ours["report_ssim"] = [report.get(m, (None, None))[1] for m in ours.report_method]
    cols = ["method", "dataset", "n_images", "psnr", "gain_db", "ssim"]
    report_cols = ["report_method", "report_psnr", "report_ssim", "iterations"]
    report_cols += ["trained"]
    return ours[[*cols, *report_cols]]


def not_run(shown: Sequence[RunRecord]) -> pd.DataFrame:
    """The report's Table 1 and 2 rows that none of ``shown`` stands for, and why."""
    labels = [label(r) for r in shown]
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
    return plots.finish_psnr_axes(fig, ax, "iterations along the stream")


def findings(
    table1: Sequence[RunRecord],
    stream: Mapping[bool, RunRecord],
    speed: pd.DataFrame,
    external: Sequence[RunRecord] = (),
) -> dict[str, Any]:
    """The chapter's measured numbers, for the notebook's closing prose (glue keys).

    ``t1_n_images``; ``t1_psnr_mse``/``_dog``/``_star`` (ZSSR with MSE, DoG, ZSSR*,
    where run) and the report's ``report_t1_*``; ``t1_order``: ``"the same"`` when
    MSE < DoG < ZSSR* in PSNR as in the report, else ``"not the same"``;
    ``star_time_ratio`` (ZSSR* over ZSSR-MSE seconds per image); the stream's
    ``stream_n_images``, ``stream_psnr_scratch``/``_transfer``/``_bicubic``,
    ``transfer_vs_scratch`` (``"above"``/``"level with"``/``"below"``, judged
    with the verdict rule's margin, :data:`~srcore.chapters.verdicts.MARGIN_DB`),
    ``transfer_faster``
    of ``later_images`` (images after the first where weight transfer reaches
    from-scratch ZSSR's final PSNR in fewer iterations), ``start_psnr_online`` /
    ``_scratch`` (mean first traced PSNR there); with ``external``:
    ``ext_psnr_<mode>``, ``ext_gain_<mode>`` (vs from scratch) and the report's
    ``report_ext_gain_<mode>`` (vs its ZSSR) for each mode of :data:`EXTERNAL_MODES`
    (``ext``, ``ftune``, ``online``).
    """
    out: dict[str, Any] = {}
    t1 = zssr_tables.summary(table1).set_index("method")
    out["t1_n_images"] = int(t1.n_images.iloc[0])
    names = {"mse": "ZSSR, MSE", "dog": "ZSSR, DoG", "star": "ZSSR*"}
    for key, method in names.items():
        out[f"report_t1_{key}"] = REPORT["table1"][method][0]
        if method in t1.index:
            out[f"t1_psnr_{key}"] = float(t1.psnr[method])
    if set(names.values()) <= set(t1.index):
        ordered = list(t1.psnr[list(names.values())])
        out["t1_order"] = "the same" if ordered == sorted(ordered) else "not the same"
        ratio = t1.s_per_image["ZSSR*"] / t1.s_per_image["ZSSR, MSE"]
        out["star_time_ratio"] = float(ratio)
    s = zssr_tables.summary([stream[False], stream[True]])
    out["stream_n_images"] = int(s.n_images.iloc[0])
    out["stream_psnr_scratch"] = float(s.psnr.iloc[0])
    out["stream_psnr_transfer"] = float(s.psnr.iloc[1])
    out["stream_psnr_bicubic"] = float(s.psnr_bicubic.iloc[0])
    diff = float(s.psnr.iloc[1] - s.psnr.iloc[0])
    out["transfer_vs_scratch"] = versus(diff, MARGIN_DB)
    later = speed[speed.position > 0]
    never = 10**9  # a run that never reaches the target within its budget
    faster = later.iters_online.fillna(never) < later.iters_scratch.fillna(never)
    out["transfer_faster"] = int(faster.sum())
    out["later_images"] = len(later)
    out["start_psnr_online"] = float(later.psnr_start_online.mean())
    out["start_psnr_scratch"] = float(later.psnr_start_scratch.mean())
    base = REPORT["table2"]["ZSSR"][0]
    for rec in external:
        mode = next(
            m
            for m, (t, a) in EXTERNAL_MODES.items()
            if (t, a) == (rec.config["transfer"], rec.config["adapt"])
        )
        key = mode.split("/")[-1]  # ext, ftune, online
        psnr = float(zssr_tables.summary([rec]).psnr.iloc[0])
        out[f"ext_psnr_{key}"] = psnr
        out[f"ext_gain_{key}"] = psnr - out["stream_psnr_scratch"]
        out[f"report_ext_gain_{key}"] = REPORT["table2"][f"ZSSR/{mode}*"][0] - base
    return out
