"""Tables of ZSSR/OSR records: mean scores, PSNR traces, iterations to a target.

Example:
    >>> row = {"image": "Set5/baby", "psnr": 31.0, "ssim": 0.9, "psnr_bicubic": 30.0,
    ...        "ssim_bicubic": 0.8, "iterations": 100, "seconds": 2.0,
    ...        "trace_iters": [0, 50, 100], "trace_psnr": [29.0, 30.5, 31.0]}
    >>> rec = RunRecord(key="k", method="osr", config={"method": "osr",
    ...     "dataset": "Set5", "scale": 2, "transfer": False}, per_image=[row])
    >>> summary([rec]).method[0], float(summary([rec]).gain_db[0])
    ('ZSSR from scratch', 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from srcore import health
from srcore.chapters.tables import label, mean_scores, trained
from srcore.runs.results import RunRecord

#: The column order of :func:`summary` (the tables the chapters show).
COLUMNS = ["method", "dataset", "scale", "n_images", "psnr", "psnr_bicubic"]
COLUMNS += ["gain_db", "ssim", "ssim_bicubic", "iterations", "s_per_image"]
COLUMNS += ["trained", "seed"]


def done_of(record: RunRecord) -> str:
    """``"n of N"`` items done (``"n of ?"`` for a run not started)."""
    total = "?" if record.total is None else record.total
    return f"{record.done} of {total}"


def trained_count(rows: Sequence[dict]) -> str:
    """``"n of N"``: how many rows passed the health rule (:mod:`srcore.health`);
    rows made before the rule say ``"not recorded"``."""
    if any("health" not in r for r in rows):
        return "not recorded"
    return f"{len(rows) - health.count_unhealthy(rows)} of {len(rows)}"


def network_alone(rows: Sequence[dict]) -> str:
    """The plain network's output against bicubic from its PSNR trace: the mean last
    traced PSNR minus bicubic's, and on how many images its best rises above
    bicubic at all (else the gain is self-ensemble and back-projection). "" without
    traces.

    Example:
        >>> network_alone([{"trace_psnr": [29.0, 29.9], "psnr_bicubic": 30.0},
        ...                {"trace_psnr": [29.0, 31.5], "psnr_bicubic": 30.0}])
        '+0.70 dB, 1 of 2 above'
    """
    traced = [r for r in rows if r.get("trace_psnr")]
    if not traced:
        return ""
    end = sum(r["trace_psnr"][-1] - r["psnr_bicubic"] for r in traced) / len(traced)
    above = sum(max(r["trace_psnr"]) > r["psnr_bicubic"] for r in traced)
    return f"{end:+.2f} dB, {above} of {len(traced)} above"


def summary(records: Sequence[RunRecord]) -> pd.DataFrame:
    """Mean scores per record beside bicubic, iterations, seconds, health
    (:data:`COLUMNS`)."""
    rows = []
    for rec in records:
        f = pd.DataFrame(rec.per_image)
        rows.append(
            {
                "method": label(rec),
                "dataset": rec.config["dataset"],
                "scale": rec.config["scale"],
                **mean_scores(f),
                "iterations": f.iterations.mean(),
                "s_per_image": f.seconds.mean(),
                "trained": trained(rec),
                "seed": rec.config.get("model", {}).get("seed"),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def seed_spread(records: Sequence[RunRecord]) -> pd.DataFrame:
    """One run per seed: each seed's mean PSNR and gain over bicubic, then their mean
    and standard deviation over the finished seeds (not over images).

    Example:
        >>> recs = [RunRecord(key="k", method="zssr", config={"model": {"seed": s}},
        ...     per_image=[{"image": "a", "psnr": p, "psnr_bicubic": 30.0}])
        ...     for s, p in [(0, 31.0), (1, 33.0)]]
        >>> t = seed_spread(recs).iloc[-1]
        >>> t.seed, t.done, float(t.psnr), round(float(t.psnr_spread), 3)
        ('mean ± sd', '2 of 2 seeds', 32.0, 1.414)
    """
    nan = float("nan")
    rows = []
    for rec in records:
        f = pd.DataFrame(rec.per_image)
        rows.append(
            {
                "seed": str(rec.config["model"]["seed"]),
                "done": done_of(rec),
                "psnr": float(f.psnr.mean()) if len(f) else nan,
                "gain_db": float((f.psnr - f.psnr_bicubic).mean()) if len(f) else nan,
                "trained": trained(rec),
            }
        )
    table = pd.DataFrame(rows).assign(psnr_spread=nan, gain_spread=nan)
    finished = table[[rec.complete for rec in records]]
    n = len(finished)
    # pandas gives NaN for the mean of nothing and the spread of one
    summary_row = {
        "seed": "mean ± sd",
        "done": f"{n} of {len(records)} seeds",
        "psnr": float(finished.psnr.mean()),
        "gain_db": float(finished.gain_db.mean()),
        "trained": trained_count([r for rec in records for r in rec.per_image]),
        "psnr_spread": float(finished.psnr.std(ddof=1)),
        "gain_spread": float(finished.gain_db.std(ddof=1)),
    }
    return pd.concat([table, pd.DataFrame([summary_row])], ignore_index=True)


def traces(record: RunRecord) -> pd.DataFrame:
    """Long table: image, position, iteration, PSNR of the plain network output."""
    rows = [
        (r["image"], k, it, value, label(record))
        for k, r in enumerate(record.per_image)
        for it, value in zip(r["trace_iters"], r["trace_psnr"], strict=True)
    ]
    columns = ["image", "position", "iteration", "psnr", "method"]
    return pd.DataFrame(rows, columns=columns)


def iterations_to_match(scratch: RunRecord, online: RunRecord) -> pd.DataFrame:
    """Per stream position: the plain-output PSNR from-scratch ZSSR ends with, and
    the iterations each run needs to reach it (None: never)."""
    rows = []
    for k, (a, b) in enumerate(zip(scratch.per_image, online.per_image, strict=True)):
        target = a["trace_psnr"][-1]
        rows.append(
            {
                "position": k,
                "image": a["image"],
                "target_psnr": target,
                "iters_scratch": _first_at_least(a, target),
                "iters_online": _first_at_least(b, target),
                "psnr_start_online": b["trace_psnr"][0],
                "psnr_start_scratch": a["trace_psnr"][0],
            }
        )
    frame = pd.DataFrame(rows)
    saved = frame.iters_scratch.astype(float) - frame.iters_online.astype(float)
    return frame.assign(saved=saved)


def _first_at_least(row: dict, target: float) -> int | None:
    """The first traced iteration count whose PSNR reaches ``target``."""
    pairs = zip(row["trace_iters"], row["trace_psnr"], strict=True)
    return next((it for it, value in pairs if value >= target), None)
