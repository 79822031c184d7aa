"""The book's ``paper``-budget runs: what each chapter sets beside its paper.

Each job is one cached, resumable record (:func:`srcore.runs.results.load_or_run`)
made with the ``paper`` profile, in priority order (:data:`JOBS`):

* ZSSR on Set5 at x2 (with the reference's six gradual increments, which the
  paper's numbers used: ZSSR README), x3 and x4, and Set14 x2 (gradual): report
  001's ideal table beside the published values;
* DIP at 2000 steps, the paper network, on the whole Set5 images at x4, with the MSE
  and with the Charbonnier data term: report 003's comparison at the published
  setting;
* the online-SR stream with ZSSR* from scratch and with weight transfer, on 10
  images: report 000's Table 2 setting.

The chapters read them with :func:`read` (never computing: "n of N done" until a
job is finished); ``scripts/paper_runs.py`` computes what is missing within a time
budget, job after job, on any device.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from srcore import protocol
from srcore.chapters import report003, zssr_tables
from srcore.chapters.published import DIP_PAPER, REPORT_000, REPORT_001_IDEAL
from srcore.methods.zssr import PRESETS
from srcore.runs import zssr_runs
from srcore.runs.context import RunContext
from srcore.runs.results import RunRecord

__all__ = [
    "Job",
    "JOBS",
    "STREAM_SET",
    "STREAM_IMAGES",
    "read",
    "run",
    "table",
    "done_total",
]

#: The stream of the online-SR paper jobs (BSD100: General-100 is not stored here).
STREAM_SET, STREAM_IMAGES = "BSD100", 10


def _zssr(dataset: str, scale: int, gradual: bool) -> Callable[[RunContext], RunRecord]:
    extra = PRESETS["gradual_x2"] if gradual else {}
    return lambda ctx: zssr_runs.zssr_run(dataset, scale, ctx, **extra)


def _dip(loss: str) -> Callable[[RunContext], RunRecord]:
    return lambda ctx: report003.dip_run(loss, ctx, eval_spec=report003.DIP_SET5)


def _stream(transfer: bool) -> Callable[[RunContext], RunRecord]:
    return lambda ctx: zssr_runs.osr_run(
        STREAM_SET, 2, ctx, transfer=transfer, limit=STREAM_IMAGES, variant="zssr_star"
    )


@dataclass(frozen=True)
class Job:
    """One paper record: how to make it, and its test images ``(dataset, limit)``."""

    make: Callable[[RunContext], RunRecord]
    images: tuple[str, int | None]
    scale: int


#: Job name -> :class:`Job`, in the order they are computed.
JOBS: dict[str, Job] = {
    "zssr-Set5-x2-gradual": Job(_zssr("Set5", 2, gradual=True), ("Set5", None), 2),
    "zssr-Set5-x3": Job(_zssr("Set5", 3, gradual=False), ("Set5", None), 3),
    "zssr-Set5-x4": Job(_zssr("Set5", 4, gradual=False), ("Set5", None), 4),
    "zssr-Set14-x2-gradual": Job(_zssr("Set14", 2, gradual=True), ("Set14", None), 2),
    "dip-Set5-x4-mse": Job(_dip("mse"), ("Set5", None), 4),
    "dip-Set5-x4-charbonnier": Job(_dip("charbonnier"), ("Set5", None), 4),
    "osr-star-scratch": Job(_stream(False), (STREAM_SET, STREAM_IMAGES), 2),
    "osr-star-transfer": Job(_stream(True), (STREAM_SET, STREAM_IMAGES), 2),
}


def read(name: str, ctx: RunContext) -> RunRecord:
    """Job ``name``'s record as far as it got (``done`` of ``total``), never
    computing: the ``paper`` profile, read mode, unfinished records allowed. A job
    not started yet counts its test images from the dataset folder."""
    job = JOBS[name]
    rec = job.make(ctx.replace(profile="paper", mode="read", partial=True))
    if rec.total is None:
        try:
            items = protocol.test_items([job.images], job.scale, ctx.data_root)
        except (OSError, ValueError):
            items = None  # no dataset here: the total stays unknown
        rec.extra["total"] = None if items is None else len(items)
    return rec


def published(name: str) -> tuple[float | None, str]:
    """The published PSNR a job is set beside, and where it comes from."""
    job = JOBS[name]
    ds, scale = job.images[0], job.scale
    if name.startswith("zssr"):
        return REPORT_001_IDEAL[(ds, scale)]["ZSSR"][0], "ZSSR paper, Table 1"
    if name.startswith("dip"):
        value = DIP_PAPER["x4"][ds][0]
        return value, "DIP paper (recalled, not verified)"
    row = "ZSSR*" if name.endswith("scratch") else "ZSSR/online*"
    return REPORT_000["table2"][row][0], f"report 000, Table 2 ({row}, General-100)"


def table(names: Sequence[str], ctx: RunContext) -> pd.DataFrame:
    """One row per paper job: how far it got ("n of N"), its mean PSNR and
    bicubic's over the items done, how many trained (:mod:`srcore.health`), and the
    published value beside it. Items not done are not in the means."""
    rows = []
    for name in names:
        rec = read(name, ctx)
        f = pd.DataFrame(rec.per_image)
        value, source = published(name)
        done = f"{rec.done} of {'?' if rec.total is None else rec.total}"
        psnr = float(f.psnr.mean()) if rec.done else float("nan")
        bicubic = float(f.psnr_bicubic.mean()) if rec.done else float("nan")
        rows.append(
            {
                "job": name,
                "done": done,
                "psnr": psnr,
                "psnr_bicubic": bicubic,
                "gain_db": psnr - bicubic,
                "trained": zssr_tables.trained_count(rec.per_image) if rec.done else "",
                "published": value,
                "published_source": source,
            }
        )
    return pd.DataFrame(rows)


def done_total(table_: pd.DataFrame) -> tuple[int, int]:
    """Images done and images in all over the rows of a :func:`table` (rows of a
    job whose total is unknown count only what is done)."""
    done = total = 0
    for cell in table_.done:
        n, _, of = cell.partition(" of ")
        done += int(n)
        total += int(of) if of.isdigit() else int(n)
    return done, total


def run(name: str, ctx: RunContext) -> RunRecord:
    """Compute what job ``name`` is missing (``ctx.deadline`` may stop it between
    items: :class:`srcore.runs.results.BudgetExhausted`)."""
    return JOBS[name].make(ctx.replace(profile="paper"))
