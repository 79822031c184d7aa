"""Every method's records side by side, for the synthesis chapter and front page.

:func:`walk` reads a results folder, :func:`image_rows` makes one row per (run,
image) and :func:`summary` one per method, set, scale, degradation and image list:
the mean over runs (seeds) of each run's mean,
:math:`\\bar p = \\frac{1}{R}\\sum_r \\frac{1}{N}\\sum_i p_{r,i}`, its spread over
runs (ddof 1), the mean gain over bicubic and the published anchor.

Example:
    >>> rec = RunRecord(key="k", method="srcnn", config={"method": "srcnn",
    ...     "scale": 2, "profile": "quick", "degradation": "bicubic"},
    ...     per_image=[{"image": "Set5/baby", "dataset": "Set5", "psnr": 37.0,
    ...                 "ssim": 0.95, "psnr_bicubic": 34.0, "ssim_bicubic": 0.9,
    ...                 "seconds": 0.1}], provenance={"device": "cpu"})
    >>> row = summary(image_rows([rec])).iloc[0]
    >>> row.method, float(row.gain_db), row.published
    ('SRCNN', 3.0, '36.66')
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from srcore import health
from srcore.chapters import claim_files, tables
from srcore.chapters.published import KIM2016_TABLE2, anchor, anchor_text
from srcore.chapters.verdicts import MARGIN_DB
from srcore.runs.random_kernel_lapsrn import FAULT_NAMES
from srcore.runs.results import RunRecord

#: The order of the test sets in every table (any other set follows, sorted).
SETS = ("Set5", "Set14", "BSD100", "DIV2K", "DIV2KRK")
#: A record's method -> the family its figure colour and marker stand for.
FAMILIES = {
    "bicubic": "Bicubic",
    "srcnn": "SRCNN",
    "vdsr": "VDSR",
    "srresnet": "SRResNet",
    "srgan": "SRGAN",
    "lapsrn": "LapSRN",
    "lapsrn-crops": "LapSRN",
    "zssr": "ZSSR",
    "osr": "ZSSR/OSR streams",
    "dip": "DIP",
}
#: The families whose every image is its own optimisation (test time = training).
INTERNAL = ("ZSSR", "ZSSR/OSR streams", "DIP")
#: Whether a page at this profile leaves out records made from uncommitted code
#: (smoke records are made by the tests and mean nothing anyway).
SKIP_DIRTY = {"smoke": False, "quick": True, "paper": True}
#: The only test sets whose anchors were made on random kernels (KernelGAN's).
RANDOM_KERNEL_SETS = ("DIV2KRK",)


def walk(
    root: str | os.PathLike, skip_dirty: bool = True
) -> tuple[list[RunRecord], dict[str, int]]:
    """The finished, clean method records under ``root`` and how many were skipped
    (``unfinished``; ``dirty``: from uncommitted code; protocol ``checks``)."""
    kept, skipped = [], {"unfinished": 0, "dirty": 0, "checks": 0}
    for path in sorted(Path(root).glob("*/*.json")):
        if path.parent.name == claim_files.FOLDER:  # the chapters' claims, not runs
            continue
        if path.name.endswith(".partial.json"):
            skipped["unfinished"] += 1
            continue
        rec = RunRecord.from_json(json.loads(path.read_text()))
        if "check" in rec.config:
            skipped["checks"] += 1
        elif not rec.complete:
            skipped["unfinished"] += 1
        elif skip_dirty and rec.provenance.get("dirty"):
            skipped["dirty"] += 1
        else:
            kept.append(rec)
    return kept, skipped


def method_label(record: RunRecord) -> str:
    """:func:`srcore.chapters.tables.label`, plus the fault a run injected on purpose,
    so a broken run never averages with a sound one.

    Example:
        >>> rec = RunRecord(key="k", method="srcnn", config={"fault":
        ...                 "misaligned_pairs"}, per_image=[])
        >>> method_label(rec)
        'SRCNN [fault: misaligned pairs]'
    """
    name = tables.label(record)
    fault = record.config.get("fault")
    return f"{name} [fault: {FAULT_NAMES.get(fault, fault)}]" if fault else name


def _setting(rec: RunRecord, by_key: dict[str, RunRecord], name: str) -> Any:
    """A config value, else that of the record it was made from (LapSRN on crops
    names its LapSRN record)."""
    if name in rec.config:
        return rec.config[name]
    source = by_key.get(str(rec.config.get("lapsrn")))
    return None if source is None else source.config.get(name)


def image_rows(records: Sequence[RunRecord]) -> pd.DataFrame:
    """One row per (run, image): method (:func:`method_label`), family, profile, set
    (``"BSD100 (64² crops)"`` for crops), scale, degradation, device, run
    (``key@seed``), image (``"Set5/baby"``), scores, seconds and health."""
    by_key = {r.key: r for r in records}
    out = []
    for rec in records:
        scale = _setting(rec, by_key, "scale")
        if scale is None:
            continue
        trained_rows = tables.optimised_rows(rec)
        per_item = rec.method in tables.INTERNAL
        whole = _health_word(trained_rows[0]) if trained_rows and not per_item else ""
        c = rec.config
        model = c["model"] if isinstance(c.get("model"), dict) else {}
        crop = c["eval"].get("crop") if isinstance(c.get("eval"), dict) else None
        common = {
            "method": method_label(rec),
            "family": FAMILIES.get(rec.method, rec.method),
            "profile": c.get("profile"),
            "scale": int(scale),
            "degradation": _setting(rec, by_key, "degradation") or "bicubic",
            "device": str(rec.provenance.get("device", "cpu")).split(":")[0],
        }
        for row in rec.per_image:
            if row["image"] == "train" or row.get("psnr") is None:
                continue
            name = str(row["image"]).split("@")[0]
            ds = row.get("dataset") or (
                name.split("/")[0] if "/" in name else c.get("dataset")
            )
            seed = row.get("seed", model.get("seed", 0))
            out.append(
                {
                    **common,
                    "set": f"{ds} ({crop}² crops)" if crop else ds,
                    "run": f"{rec.key}@{seed}",
                    "image": name if "/" in name else f"{ds}/{name}",
                    "psnr": float(row["psnr"]),
                    "ssim": float(row["ssim"]),
                    "psnr_bicubic": float(row.get("psnr_bicubic", row["psnr"])),
                    "ssim_bicubic": float(row.get("ssim_bicubic", row["ssim"])),
                    "seconds": float(row.get("seconds", np.nan)),
                    "health": _health_word(row) if per_item else whole,
                }
            )
    return pd.DataFrame(out)


def _health_word(row: dict[str, Any]) -> str:
    """ "" if trained, else its verdict ("unchecked": made before the rule)."""
    return "unchecked" if row.get("health") is None else health.flag(row)


#: The columns that name one row of :func:`summary`.
KEYS = ["method", "family", "profile", "set", "scale", "degradation", "image_list"]
#: The columns :func:`summary` adds to :data:`KEYS`.
SUMMARY = ["n_images", "runs", "psnr", "psnr_sd", "ssim", "psnr_bicubic", "gain_db"]
SUMMARY += ["gain_sd", "seconds", "device", "not_trained", "unchecked"]
SUMMARY += ["published_psnr", "published"]


def published_value(
    method: str, ds: str, scale: int, degradation: str
) -> tuple[float, str]:
    """(PSNR, cell text) of the published value comparable to our row, else
    (NaN, ""): random kernels on DIV2KRK only, bicubic LR elsewhere; Bicubic's own
    is Kim et al. (2016)'s column.

    Example:
        >>> published_value("SRCNN", "Set5", 2, "random_kernel")
        (nan, '')
    """
    if (ds in RANDOM_KERNEL_SETS) != (degradation != "bicubic"):
        return float("nan"), ""
    if method == "Bicubic":
        for p in KIM2016_TABLE2:
            if (p.method, p.dataset, p.scale) == ("Bicubic", ds, scale):
                return p.psnr, f"{p.psnr:.2f}"
        return float("nan"), ""
    a = anchor(method, ds, scale)
    return (a.psnr, anchor_text(method, ds, scale)) if a else (float("nan"), "")


def image_lists(rows: pd.DataFrame) -> pd.Series:
    """Which images each run scored on its set (``"5 images #3f2a"``: a digest of
    their names): two runs are seeds of one mean only when it is equal."""

    def name(images: pd.Series) -> str:
        names = sorted(set(images))
        digest = hashlib.sha1("\n".join(names).encode()).hexdigest()[:4]
        return f"{len(names)} image" + ("" if len(names) == 1 else "s") + f" #{digest}"

    return rows.groupby(["run", "set"], sort=False).image.transform(name)


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per :data:`KEYS` (see the module), columns :data:`SUMMARY`; a
    published value only beside a row over the whole set (its largest image list).
    """
    if rows.empty:
        return pd.DataFrame(columns=[*KEYS, *SUMMARY])
    rows = rows.assign(gain=rows.psnr - rows.psnr_bicubic, image_list=image_lists(rows))
    out = []
    for key, g in rows.groupby(KEYS, sort=False, dropna=False):
        runs = g.groupby("run", sort=False)[["psnr", "ssim", "gain", "seconds"]].mean()
        info = dict(zip(KEYS, key, strict=True))
        pub, text = published_value(
            info["method"], info["set"], info["scale"], info["degradation"]
        )
        several = len(runs) > 1
        out.append(
            {
                **info,
                "n_images": int(g.image.nunique()),
                "runs": len(runs),
                "psnr": float(runs.psnr.mean()),
                "psnr_sd": float(runs.psnr.std(ddof=1)) if several else np.nan,
                "ssim": float(runs.ssim.mean()),
                "psnr_bicubic": float(g.groupby("image").psnr_bicubic.mean().mean()),
                "gain_db": float(runs.gain.mean()),
                "gain_sd": float(runs.gain.std(ddof=1)) if several else np.nan,
                "seconds": float(runs.seconds.mean()),
                "device": "+".join(sorted(g.device.unique())),
                "not_trained": int((~g.health.isin(["", "unchecked"])).sum()),
                "unchecked": int((g.health == "unchecked").sum()),
                "published_psnr": pub,
                "published": text,
            }
        )
    out = pd.DataFrame(out)
    whole = out.groupby(["set", "scale", "degradation"]).n_images.transform("max")
    partial = out.n_images < whole
    out.loc[partial, "published_psnr"] = np.nan
    out.loc[partial, "published"] = ""
    return _ordered(out)


def set_order(name: str) -> tuple[int, str]:
    """Sort key of a set's name: :data:`SETS` order, then any other set by name.

    Example:
        >>> sorted(["T91", "BSD100 (64² crops)", "Set5"], key=set_order)
        ['Set5', 'BSD100 (64² crops)', 'T91']
    """
    base = name.split(" (")[0]
    return (SETS.index(base) if base in SETS else len(SETS), name)


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    """Scale, then set (:data:`SETS` order), then family in :data:`FAMILIES` order."""
    families = list(dict.fromkeys(FAMILIES.values()))
    key = frame.assign(
        _set=frame.set.map(set_order),
        _fam=frame.family.map(lambda f: families.index(f) if f in families else 99),
    )
    key = key.sort_values(["scale", "_set", "_fam", "method", "profile"])
    return key.drop(columns=["_set", "_fam"]).reset_index(drop=True)


def shown_lists(table: pd.DataFrame) -> pd.Series:
    """Per (set, scale, degradation), the image list most methods were scored on
    (bicubic aside), then the one with most images."""
    at = ["set", "scale", "degradation"]
    t = table[table.method != "Bicubic"]
    t = t if len(t) else table
    counts = t.groupby([*at, "image_list"], sort=False).agg(
        methods=("method", "nunique"), images=("n_images", "max")
    )
    best = counts.sort_values(["methods", "images"], ascending=False)
    return best.reset_index().groupby(at, sort=False).image_list.first()


def published_gaps(table: pd.DataFrame) -> dict[str, Any]:
    """Ours minus published (dB) on bicubic-LR rows: Bicubic's largest \\|gap\\|,
    and the other methods' mean, min, max, count and count below.
    """
    bic = table[table.degradation == "bicubic"]
    is_bicubic = bic.method == "Bicubic"
    gap = bic.psnr - bic.published_psnr.astype(float)
    others = gap[~is_bicubic].dropna()
    return {
        "bicubic_max_gap": float(gap[is_bicubic].dropna().abs().max()),
        "mean_gap": float(others.mean()),
        "min_gap": float(others.min()),
        "max_gap": float(others.max()),
        "n_below": int((others < 0).sum()),
        "n_gap_rows": len(others),
    }


def who_wins(table: pd.DataFrame, near_db: float = MARGIN_DB) -> pd.DataFrame:
    """Per set and scale (bicubic LR, :func:`shown_lists`, trained runs only): the
    best method by PSNR, the fastest within ``near_db`` of it, and the frontier of
    methods no faster method beats, fastest first (``"Bicubic → SRCNN → ZSSR"``).
    """
    rows: list[dict[str, Any]] = []
    if table.empty:
        return pd.DataFrame(rows)
    t = table[(table.degradation == "bicubic") & ~table.set.str.contains("crops")]
    for (ds, scale, _), il in shown_lists(t).items() if len(t) else []:
        g = t[(t.set == ds) & (t.scale == scale) & (t.image_list == il)]
        g = g[g.not_trained.fillna(0) == 0]
        if len(g) < 2:
            continue
        best = g.loc[g.psnr.idxmax()]
        near = g[g.psnr >= best.psnr - near_db].sort_values("seconds").iloc[0]
        frontier, top = [], -np.inf
        by_time = g.sort_values(["seconds", "psnr"], ascending=[True, False])
        for r in by_time.itertuples():
            if r.psnr > top:
                frontier.append(r.method)
                top = r.psnr
        rows.append(
            {
                "set": f"{ds} ×{scale}",
                "best": best.method,
                "best_psnr": float(best.psnr),
                "best_s": float(best.seconds),
                "near": near.method,
                "near_psnr": float(near.psnr),
                "near_s": float(near.seconds),
                "frontier": " → ".join(frontier),
                "n_methods": len(g),
            }
        )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    order = out.set.map(lambda s: (int(s.split("×")[1]), set_order(s.split(" ×")[0])))
    return (
        out.assign(_o=order).sort_values("_o").drop(columns="_o").reset_index(drop=True)
    )


def wins_story(wins: pd.DataFrame, table: pd.DataFrame) -> str:
    """:func:`who_wins` in sentences: how often a per-image optimisation is best, and
    where one is, a supervised network near it and the test time it saves."""
    if wins.empty:
        return "No set and scale has two methods on the same images yet."
    family = dict(zip(table.method, table.family, strict=True))
    internal = [family.get(m, "") in INTERNAL for m in wins.best]
    n = len(wins)
    text = (
        f"Of {n} set{'s' if n > 1 else ''} and scale{'s' if n > 1 else ''} "
        f"compared, a per-image optimisation is best on {sum(internal)} and a "
        f"supervised network on {n - sum(internal)}. "
    )
    cheaper = []
    for r, is_internal in zip(wins.itertuples(), internal, strict=True):
        if is_internal and family.get(r.near, "") not in INTERNAL:
            cheaper.append(
                f"on {r.set}, {r.near} comes within {r.best_psnr - r.near_psnr:.2f} dB "
                f"of {r.best} in {r.best_s / r.near_s:,.0f} times less time"
            )
    if cheaper:
        text += "Where an optimisation wins, a supervised network may come close: "
        text += "; ".join(cheaper) + "."
    return text
