"""Tables of supervised records: mean scores beside bicubic, training cost.

Example:
    >>> rows = [{"image": "train", "params": 10, "steps": 2, "seconds": 60.0,
    ...          "seconds_per_step": 30.0},
    ...         {"image": "Set5/baby", "dataset": "Set5", "psnr": 30.0, "ssim": 0.9,
    ...          "psnr_bicubic": 29.0, "ssim_bicubic": 0.8, "hf_energy": 0.1,
    ...          "hf_energy_bicubic": 0.05, "hf_energy_hr": 0.2, "lpips": None,
    ...          "seconds": 0.5}]
    >>> rec = RunRecord(key="k", method="srcnn", config={"method": "srcnn",
    ...                 "scale": 2}, per_image=rows)
    >>> table = summary([rec])
    >>> table.method[0], float(table.gain_db[0]), float(efficiency([rec]).train_min[0])
    ('SRCNN', 1.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from srcore.chapters.published import anchor_text
from srcore.chapters.tables import label, mean_scores, trained
from srcore.runs.results import RunRecord

#: A validation curve is "still rising" ("falling") when its last point is more than
#: this many dB above (below) its point at the start of the run's last
#: :data:`TREND_TAIL` share of steps, else "flat".
TREND_DB = 0.05
TREND_TAIL = 0.3


def summary(records: Sequence[RunRecord]) -> pd.DataFrame:
    """Mean scores per method, dataset and scale beside bicubic, high-frequency
    energy, LPIPS (NaN where it could not run), seconds per image, health and the
    published PSNR (:func:`~srcore.chapters.published.anchor_text`)."""
    rows = []
    for rec in records:
        frame = pd.DataFrame([r for r in rec.per_image if r["image"] != "train"])
        for ds, group in frame.groupby("dataset", sort=False):
            rows.append(
                {
                    "method": label(rec),
                    "dataset": ds,
                    "scale": rec.config["scale"],
                    **mean_scores(group),
                    "hf_energy": group.hf_energy.mean(),
                    "hf_energy_bicubic": group.hf_energy_bicubic.mean(),
                    "hf_energy_hr": group.hf_energy_hr.mean(),
                    "lpips": pd.to_numeric(group.lpips, errors="coerce").mean(),
                    "infer_s": group.seconds.mean(),
                    "trained": trained(rec),
                    "published": anchor_text(label(rec), ds, rec.config["scale"]),
                }
            )
    return pd.DataFrame(rows)


def trends(records: Sequence[RunRecord]) -> pd.DataFrame:
    """Where each run's validation PSNR was going when training stopped: first and
    last value, the change over the last :data:`TREND_TAIL` of the steps, the trend.

    Example:
        >>> rec = RunRecord(key="k", method="srcnn", config={"scale": 2},
        ...     per_image=[], history={"val_step": [1, 2, 3, 4],
        ...                            "val_psnr": [28.0, 29.0, 29.5, 30.0]})
        >>> row = trends([rec]).iloc[0]
        >>> row.trend, float(row.tail_change_db)
        ('still rising', 1.0)
    """
    rows = []
    for rec in records:
        steps = list(rec.history.get("val_step", []))
        vals = list(rec.history.get("val_psnr", []))
        if not vals:
            continue
        start = next(
            (i for i, t in enumerate(steps) if t >= steps[-1] * (1 - TREND_TAIL)),
            len(vals) - 1,
        )
        change = vals[-1] - vals[max(start - 1, 0)]
        trend = (
            "still rising"
            if change > TREND_DB
            else "falling"
            if change < -TREND_DB
            else "flat"
        )
        rows.append(
            {
                "method": label(rec),
                "scale": rec.config["scale"],
                "steps": steps[-1],
                "val_first": vals[0],
                "val_last": vals[-1],
                "tail_change_db": change,
                "trend": trend,
            }
        )
    return pd.DataFrame(rows)


def efficiency(records: Sequence[RunRecord]) -> pd.DataFrame:
    """Training cost and size per run: parameters, s/step, training minutes, device."""
    rows = []
    for rec in records:
        trained = next(r for r in rec.per_image if r["image"] == "train")
        evals = [r["seconds"] for r in rec.per_image if r["image"] != "train"]
        rows.append(
            {
                "method": label(rec),
                "scale": rec.config["scale"],
                "params": trained["params"],
                "steps": trained["steps"],
                "s_per_step": trained["seconds_per_step"],
                "train_min": trained["seconds"] / 60.0,
                "infer_s_per_image": sum(evals) / max(len(evals), 1),
                "device": rec.provenance.get("hardware", "?"),
            }
        )
    return pd.DataFrame(rows)
