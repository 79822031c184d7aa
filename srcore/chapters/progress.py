"""Records a long queue is still computing, as a chapter shows them (:func:`so_far`
then :func:`table`): how many of their images are done, the means over those, and
the cells not started yet; :func:`cell_list` is what the front page counts from.

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


def so_far(
    make: Callable[[RunContext], RunRecord],
    ctx: RunContext,
    images: tuple[str, int | None],
    scale: int,
    profile: str = "paper",
) -> RunRecord:
    """The record ``make`` reads at ``profile`` as far as it got, never computing; for
    a run not started, ``total`` counts the test images ``images = (dataset,
    limit)`` (None without the dataset)."""
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
    """One row per cell (name -> :func:`so_far` record): "n of N" done, mean PSNR and
    gain over bicubic on the images done, how many trained, the ``quick`` record's
    PSNR on the same images, the published value and source, the machines."""
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
                "done": zssr_tables.done_of(rec),
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
    """A cell in words: ``"zssr-Set5-x4-gradual"`` -> ``"Set5 ×4 gradual"``."""
    parts = name.split("-")[1:]
    return " ".join(
        "×" + p[1:] if p[:1] == "x" and p[1:].isdigit() else p for p in parts
    )


def started(table_: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The rows of a :func:`table` with an image done, and one line naming the rest."""
    begun = table_.done.str.split(" of ").str[0].astype(int) > 0
    pending = [cell_name(n) for n in table_.job[~begun]]
    line = f"Not started yet: {', '.join(pending)}." if pending else ""
    return table_[begun].reset_index(drop=True), line


def done_total(table_: pd.DataFrame) -> tuple[int, int]:
    """Images done and in all over a :func:`table` (an unknown total counts what is
    done)."""
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
    """What a chapter stores about its cells, nothing that changes while the queue
    runs: name, method, key, profile, images in all, published PSNR.

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
    """Items done now in a cell's finished record, else in its ``.partial.json``."""
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
    """Images done (from the records under ``root`` now) and in all over stored
    cells (:func:`cell_list`)."""
    done = total = 0
    for cell in cells:
        n = _items_done(cell, root)
        done += n
        total += n if cell["total"] is None else cell["total"]
    return done, total
