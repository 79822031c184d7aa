"""Records a long queue is still computing, as a chapter shows them: how many of
their images are done, the means over those, and the cells not started yet.

A chapter names the records it shows at a budget the book build cannot afford (the
``paper`` profile: minutes to hours per image on a CPU), reads each with
:func:`so_far` (never computing), and shows :func:`table`: one row per cell, "n of
N" images done and the means over the images done. ``scripts/paper_runs.py``
computes such records image by image across sessions; the book shows them as they
land. :func:`started` keeps the rows with an image done and names the others in one
line; :func:`done_total` sums the images over a table.

For the front page a chapter stores :func:`cell_list` (which record each cell is,
its images in all, its published value: nothing that changes while the queue runs,
:func:`srcore.chapters.claim_files.publish_facts`), and the front page counts the
images done from the records as they are with :func:`images_done`.

Example:
    >>> rec = RunRecord(key="k", method="zssr", config={}, per_image=[
    ...     {"image": "Set5/baby", "psnr": 37.0, "psnr_bicubic": 34.0}],
    ...     extra={"total": 5})
    >>> t = table({"zssr-Set5-x2": rec}, {"zssr-Set5-x2": (37.37, "ZSSR paper")})
    >>> t.done.tolist(), float(t.gain_db.iloc[0]), done_total(t)
    (['1 of 5'], 3.0, (1, 5))
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from srcore import protocol
from srcore.chapters import zssr_tables
from srcore.runs.context import RunContext
from srcore.runs.results import RunRecord, machines, record_path

__all__ = [
    "so_far",
    "table",
    "cell_name",
    "started",
    "done_total",
    "cell_list",
    "images_done",
]


def so_far(
    make: Callable[[RunContext], RunRecord],
    ctx: RunContext,
    images: tuple[str, int | None],
    scale: int,
    profile: str = "paper",
) -> RunRecord:
    """The record ``make`` reads at ``profile`` as far as it got (``done`` of
    ``total``), never computing: read mode, unfinished records allowed. For a run
    not started yet, ``total`` counts its test images, the first ``limit`` of
    ``images = (dataset, limit)`` at ``scale``, in the dataset folder (None
    without it)."""
    rec = make(ctx.replace(profile=profile, mode="read", partial=True))
    if rec.total is None:
        try:
            items = protocol.test_items([images], scale, ctx.data_root)
        except (OSError, ValueError):
            items = None  # no dataset here: the total stays unknown
        rec.extra["total"] = None if items is None else len(items)
    return rec


def _mean_over(record: RunRecord | None, images: set[str]) -> float:
    """Mean PSNR of ``record`` over ``images`` where it has them all, else NaN."""
    if record is None or not images:
        return math.nan
    psnr = {r["image"]: r["psnr"] for r in record.per_image}
    if not images <= set(psnr):
        return math.nan
    return sum(psnr[i] for i in images) / len(images)


def table(
    cells: Mapping[str, RunRecord],
    published: Mapping[str, tuple[float | None, str]] | None = None,
    quick: Mapping[str, RunRecord] | None = None,
) -> pd.DataFrame:
    """One row per cell (name -> record as far as it got, :func:`so_far`): how far
    it got ("n of N"), its mean PSNR and its gain over bicubic on the images done,
    how many trained (:mod:`srcore.health`), the same cell at the ``quick`` budget
    (``quick[name]``) over the same images where it has them all, the published
    value and its source (``published[name]``), and the machines and precisions its
    images ran on (:func:`srcore.runs.results.machines`). Images not done are not
    in the means."""
    published, quick = published or {}, quick or {}
    rows = []
    for name, rec in cells.items():
        frame = pd.DataFrame(rec.per_image)
        value, source = published.get(name, (None, ""))
        psnr = float(frame.psnr.mean()) if rec.done else math.nan
        bicubic = float(frame.psnr_bicubic.mean()) if rec.done else math.nan
        done_images = {r["image"] for r in rec.per_image}
        rows.append(
            {
                "job": name,
                "done": f"{rec.done} of {'?' if rec.total is None else rec.total}",
                "psnr": psnr,
                "gain_db": psnr - bicubic,
                "trained": zssr_tables.trained_count(rec.per_image) if rec.done else "",
                "quick_psnr": _mean_over(quick.get(name), done_images),
                "published": value,
                "published_source": source,
                "machine": machines([rec]) if rec.done else "",
            }
        )
    return pd.DataFrame(rows)


def cell_name(name: str) -> str:
    """A cell in words: ``"zssr-Set5-x4-gradual"`` -> ``"Set5 ×4 gradual"``.

    Example:
        >>> cell_name("dip-Set5-x4-charbonnier")
        'Set5 ×4 charbonnier'
    """
    parts = name.split("-")[1:]
    return " ".join(
        "×" + p[1:] if p[:1] == "x" and p[1:].isdigit() else p for p in parts
    )


def started(table_: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The rows of a :func:`table` with at least one image done, and one line
    naming the cells not started (a pending cell is never a row of dashes).

    Example:
        >>> t = pd.DataFrame({"job": ["zssr-Set5-x2", "zssr-Set14-x3"],
        ...                   "done": ["5 of 5", "0 of 14"]})
        >>> rows, line = started(t)
        >>> rows.job.tolist(), line
        (['zssr-Set5-x2'], 'Not started yet: Set14 ×3.')
    """
    begun = table_.done.str.split(" of ").str[0].astype(int) > 0
    pending = [cell_name(n) for n in table_.job[~begun]]
    line = f"Not started yet: {', '.join(pending)}." if pending else ""
    return table_[begun].reset_index(drop=True), line


def done_total(table_: pd.DataFrame) -> tuple[int, int]:
    """Images done and images in all over the rows of a :func:`table` (a row whose
    total is unknown counts only what is done).

    Example:
        >>> done_total(pd.DataFrame({"done": ["3 of 5", "0 of ?"]}))
        (3, 5)
    """
    done = total = 0
    for cell in table_.done:
        n, _, of = cell.partition(" of ")
        done += int(n)
        total += int(of) if of.isdigit() else int(n)
    return done, total


def cell_list(
    cells: Mapping[str, RunRecord],
    published: Mapping[str, tuple[float | None, str]] | None = None,
) -> list[dict[str, Any]]:
    """What a chapter stores about its cells (name -> record as far as it got): per
    cell its name, its record's method, key and profile, its images in all and the
    published PSNR beside it (None without one). Nothing here changes while the
    queue computes the records.

    Example:
        >>> rec = RunRecord(key="dip-1", method="dip", config={"profile": "paper"},
        ...                 per_image=[], extra={"total": 5})
        >>> cell_list({"dip-Set5-x4-mse": rec}, {"dip-Set5-x4-mse": (29.9, "DIP")})
        [{'cell': 'dip-Set5-x4-mse', 'method': 'dip', 'key': 'dip-1', \
'profile': 'paper', 'total': 5, 'published': 29.9}]
    """
    published = published or {}
    return [
        {
            "cell": name,
            "method": rec.method,
            "key": rec.key,
            "profile": rec.config.get("profile"),
            "total": rec.total,
            "published": published.get(name, (None, ""))[0],
        }
        for name, rec in cells.items()
    ]


def _items_done(cell: Mapping[str, Any], root: str | os.PathLike | None) -> int:
    """Items of a stored cell's record done now: the finished record's, else its
    ``.partial.json``'s, else none."""
    path = record_path(cell["method"], cell["key"], root, cell["profile"])
    for candidate in (path, path.with_suffix(".partial.json")):
        if candidate.exists():
            data = json.loads(candidate.read_text())
            if data.get("key") == cell["key"]:
                return len(data.get("per_image", []))
    return 0


def images_done(
    cells: Sequence[Mapping[str, Any]], root: str | os.PathLike | None = None
) -> tuple[int, int]:
    """Images done and images in all over stored cells (:func:`cell_list`), the
    images done counted from their records under ``root`` as they are now (a cell
    whose total is unknown counts only what is done).

    Example:
        >>> import tempfile
        >>> cell = {"method": "dip", "key": "dip-1", "profile": "paper", "total": 5}
        >>> images_done([cell], tempfile.mkdtemp())
        (0, 5)
    """
    done = total = 0
    for cell in cells:
        n = _items_done(cell, root)
        done += n
        total += n if cell["total"] is None else cell["total"]
    return done, total
