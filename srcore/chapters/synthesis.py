"""The synthesis chapter: every committed record under one protocol, side by side.

Nothing here trains or scores. :func:`walk` reads the records of a results folder
(skipping unfinished and dirty ones), :func:`image_rows` flattens them into one row per
(run, image), and the rest reshapes that frame:

* :func:`summary`: one row per (method, profile, set, scale, degradation) with the
  mean over runs (seeds) of each run's mean,
  :math:`\\bar p = \\frac{1}{R}\\sum_r \\frac{1}{N}\\sum_i p_{r,i}`, its spread over
  runs (standard deviation, ddof 1), bicubic on the same images, the mean gain
  :math:`\\Delta = \\overline{p - p_{\\text{bicubic}}}` and the published anchor
  (:func:`srcore.chapters.published.anchor`);
* :func:`scale_table` / :func:`detail_table`: the page-sized views of it;
* :func:`win_loss`: per image, how often one method beats another by more than
  :data:`TIE_DB`;
* :func:`plot_quality_vs_compute`, :func:`plot_win_loss`: the two figures;
* :func:`verdict_summary`: the verdicts of all chapters counted per chapter.

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

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from srcore import health
from srcore.chapters import claim_files, supervised_tables, tables
from srcore.chapters.published import KIM2016_TABLE2, anchor, anchor_text
from srcore.chapters.verdicts import (
    JUDGED,
    MARGIN_DB,
    PRELIMINARY,
    VERDICTS,
    verdict_counts,
)
from srcore.runs.random_kernel_lapsrn import FAULT_NAMES
from srcore.runs.results import RunRecord

__all__ = [
    "SETS",
    "FAMILIES",
    "TIE_DB",
    "MIN_IMAGES",
    "SKIP_DIRTY",
    "walk",
    "method_label",
    "image_rows",
    "summary",
    "image_lists",
    "shown_lists",
    "scale_table",
    "detail_table",
    "who_wins",
    "wins_table",
    "wins_story",
    "anchored",
    "training_table",
    "plot_quality_vs_compute",
    "comparable_groups",
    "pick_groups",
    "win_loss",
    "plot_win_loss",
    "verdict_summary",
    "verdict_totals",
    "verdict_summary_page",
    "provenance_table",
    "findings",
]

#: The order of the test sets in every table (any other set follows, sorted); the
#: page tables (:func:`scale_table`) show these sets only.
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
#: Below this PSNR difference (dB) on one image, two methods tie.
TIE_DB = 0.05
#: A win/loss heatmap needs at least this many images: a share of fewer says little.
MIN_IMAGES = 5
#: Whether a chapter at this profile leaves out records made from uncommitted code:
#: smoke records are made by the tests, often from a working tree being edited, and
#: their numbers mean nothing anyway.
SKIP_DIRTY = {"smoke": False, "quick": True, "paper": True}
#: The only test sets whose anchors were made on random kernels (KernelGAN's).
RANDOM_KERNEL_SETS = ("DIV2KRK",)


def walk(
    root: str | os.PathLike, skip_dirty: bool = True
) -> tuple[list[RunRecord], dict[str, int]]:
    """The finished, clean method records under ``root`` and how many were skipped.

    Skipped: ``unfinished`` (a ``.partial.json`` or a record with fewer items than
    its total) and, with ``skip_dirty``, ``dirty`` (``provenance.dirty`` true: made
    from uncommitted code, being re-made; :data:`SKIP_DIRTY`). Protocol checks (a
    config with a ``check`` key) are not methods and are counted as ``checks``.

    Example:
        >>> import tempfile
        >>> walk(tempfile.mkdtemp())
        ([], {'unfinished': 0, 'dirty': 0, 'checks': 0})
    """
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
    """:func:`srcore.chapters.tables.label`, plus the fault a run injected on purpose
    (``misaligned_pairs``...), so a broken run never averages with a
    sound one.

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
    """One row per (run, image): method (:func:`method_label`), family, profile, set,
    scale, degradation, device (``cpu``/``cuda``), run (``key@seed``), image, psnr,
    ssim, psnr_bicubic, ssim_bicubic, seconds.

    ``image`` is ``"Set5/baby"`` (a DIP row's ``"@seed"`` dropped); a supervised
    record's ``"train"`` row is left out; a record scored on crops has the set
    ``"BSD100 (64² crops)"``; a bicubic record is its own bicubic.
    """
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
    """ "" for a trained optimisation, else its verdict, or "unchecked" for one made
    before the health rule."""
    return "unchecked" if row.get("health") is None else health.flag(row)


KEYS = ["method", "family", "profile", "set", "scale", "degradation", "image_list"]
#: The columns :func:`summary` adds to :data:`KEYS`.
SUMMARY = ["n_images", "runs", "psnr", "psnr_sd", "ssim", "psnr_bicubic", "gain_db"]
SUMMARY += ["gain_sd", "seconds", "device", "not_trained", "unchecked"]
SUMMARY += ["published_psnr", "published"]


def _published(method: str, ds: str, scale: int, degradation: str) -> tuple[float, str]:
    """(PSNR, cell text) of the anchor comparable to our row, else (NaN, "").

    Anchors on full images only; on DIV2KRK only for random kernels and elsewhere
    only for bicubic LR. Bicubic's own anchor is Kim et al. (2016)'s column.
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
    """Which images each run scored on its set, as a short name: the number of
    images and a digest of their sorted names (``"5 images #3f2a"``). Two runs are
    seeds of one mean only when this is equal: a record over 2 images of BSD100 is
    not a fourth seed of three records over 5.

    Example:
        >>> rows = pd.DataFrame({"run": ["a", "a", "b"], "set": ["S"] * 3,
        ...                      "image": ["S/1", "S/2", "S/1"]})
        >>> [x.split(" #")[0] for x in image_lists(rows)]
        ['2 images', '2 images', '1 image']
    """

    def name(images: pd.Series) -> str:
        names = sorted(set(images))
        digest = hashlib.sha1("\n".join(names).encode()).hexdigest()[:4]
        return f"{len(names)} image" + ("" if len(names) == 1 else "s") + f" #{digest}"

    return rows.groupby(["run", "set"], sort=False).image.transform(name)


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per method, profile, set, scale, degradation and image list
    (:func:`image_lists`; see the module).

    Columns: the keys, n_images, runs, psnr, psnr_sd (NaN with one run), ssim,
    psnr_bicubic, gain_db, gain_sd, seconds (mean per image), device (``cpu``,
    ``cuda`` or ``cpu+cuda``), not_trained and unchecked (optimisations behind the
    row that failed the health rule, or were made before it), published_psnr and
    published (its text, "" if none). A published value is set beside a row only
    when the row covers the whole set (as many images as the set's largest group):
    a paper's mean over 100 images is not compared with ours over 2.
    """
    if rows.empty:
        return pd.DataFrame(columns=[*KEYS, *SUMMARY])
    rows = rows.assign(gain=rows.psnr - rows.psnr_bicubic, image_list=image_lists(rows))
    out = []
    for key, g in rows.groupby(KEYS, sort=False, dropna=False):
        runs = g.groupby("run", sort=False)[["psnr", "ssim", "gain", "seconds"]].mean()
        info = dict(zip(KEYS, key, strict=True))
        pub, text = _published(
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


def _set_order(name: str) -> tuple[int, str]:
    base = name.split(" (")[0]
    return (SETS.index(base) if base in SETS else len(SETS), name)


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    """Scale, then set (:data:`SETS` order), then family in :data:`FAMILIES` order."""
    families = list(dict.fromkeys(FAMILIES.values()))
    key = frame.assign(
        _set=frame.set.map(_set_order),
        _fam=frame.family.map(lambda f: families.index(f) if f in families else 99),
    )
    key = key.sort_values(["scale", "_set", "_fam", "method", "profile"])
    return key.drop(columns=["_set", "_fam"]).reset_index(drop=True)


def _row_names(frame: pd.DataFrame) -> pd.Series:
    """The method, with its profile when the frame holds more than one profile, and
    a flag where optimisations behind it did not train (:mod:`srcore.health`)."""
    names = frame.method
    if frame.profile.nunique() > 1:
        names = names + " (" + frame.profile.astype(str) + ")"
    bad = frame.get("not_trained", pd.Series(0, index=frame.index)).fillna(0)
    total = frame.n_images * frame.runs if "runs" in frame else frame.n_images
    flags = [
        ""
        if not b
        else (
            " (did not train)"
            if fam not in INTERNAL
            else f" ({int(b)} of {int(n)} did not train)"
        )
        for b, fam, n in zip(bad, frame.family, total, strict=True)
    ]
    return names + flags


def _psnr_text(row: pd.Series) -> str:
    """``"31.00"``, or ``"31.00 ± 0.004"`` over several runs (two decimals, three
    below 0.01)."""
    if row.runs <= 1 or not np.isfinite(row.psnr_sd):
        return f"{row.psnr:.2f}"
    digits = 2 if row.psnr_sd >= 0.01 else 3
    return f"{row.psnr:.2f} ± {row.psnr_sd:.{digits}f}"


def shown_lists(table: pd.DataFrame) -> pd.Series:
    """Per (set, scale, degradation), the image list a page table shows: the one
    most methods were scored on (bicubic aside), then the one with most images.

    Example:
        >>> t = pd.DataFrame({"set": ["S"] * 3, "scale": [2] * 3,
        ...     "degradation": ["bicubic"] * 3, "method": ["A", "B", "A"],
        ...     "image_list": ["5 images #a", "5 images #a", "2 images #b"],
        ...     "n_images": [5, 5, 2]})
        >>> shown_lists(t).tolist()
        ['5 images #a']
    """
    at = ["set", "scale", "degradation"]
    t = table[table.method != "Bicubic"]
    t = t if len(t) else table
    counts = t.groupby([*at, "image_list"], sort=False).agg(
        methods=("method", "nunique"), images=("n_images", "max")
    )
    best = counts.sort_values(["methods", "images"], ascending=False)
    return best.reset_index().groupby(at, sort=False).image_list.first()


def scale_table(
    table: pd.DataFrame, scale: int, sets: Sequence[str] = SETS
) -> pd.DataFrame:
    """Bicubic-LR rows of the sets of :data:`SETS` (full images: crops and other
    sets are in :func:`detail_table` only) at ``scale`` pivoted, to fit a page: one
    row per method, per set a column of our mean PSNR (dB; "± spread" over seeds)
    and, where any method has an anchor, a column of the published PSNR. A column
    holds only methods scored on the same images, the image list of
    :func:`shown_lists` (runs on other images are in :func:`detail_table`), and
    bicubic on those images. Empty cells print "–". ``sets`` keeps those sets only
    (a page shows two or three at a time).

    Example:
        >>> t = pd.DataFrame([{"method": "SRCNN", "family": "SRCNN",
        ...     "profile": "quick", "set": "Set5", "scale": 2,
        ...     "degradation": "bicubic", "image_list": "5 images #a",
        ...     "n_images": 5, "runs": 1, "psnr": 36.0, "psnr_bicubic": 33.7,
        ...     "psnr_sd": float("nan"), "published": "36.66"}])
        >>> scale_table(t, 2).to_dict("records")
        [{'method': 'Bicubic', 'Set5 · ours': '33.70', 'Set5 · published': '33.66'}, \
{'method': 'SRCNN', 'Set5 · ours': '36.00', 'Set5 · published': '36.66'}]
    """
    t = table[
        (table.scale == scale) & (table.degradation == "bicubic") & table.set.isin(sets)
    ].copy()
    if t.empty:
        return pd.DataFrame({"method": []})
    lists = shown_lists(t)
    key = list(zip(t.set, t.scale, t.degradation, strict=True))
    t = t[[lists.get(k) == il for k, il in zip(key, t.image_list, strict=True)]]
    t = t[t.method != "Bicubic"]
    t["row"] = _row_names(t)
    t["ours"] = [_psnr_text(r) for _, r in t.iterrows()]
    out = pd.DataFrame({"method": ["Bicubic", *dict.fromkeys(t.row)]})
    for ds in sorted(t.set.unique(), key=_set_order):
        at = t[t.set == ds].set_index("row")
        ours = at.ours.to_dict() | {"Bicubic": f"{at.psnr_bicubic.iloc[0]:.2f}"}
        out[f"{ds} · ours"] = out.method.map(ours).fillna("–")
        pub = at.published.replace("", "–").to_dict()
        same = table[(table.set == ds) & (table.scale == scale)]
        whole = at.n_images.max() >= same.n_images.max()
        kim = _published("Bicubic", ds, scale, "bicubic")[1] if whole else ""
        pub["Bicubic"] = kim or "–"
        if any(v != "–" for v in pub.values()):
            out[f"{ds} · published"] = out.method.map(pub).fillna("–")
    return out


def who_wins(table: pd.DataFrame, near_db: float = MARGIN_DB) -> pd.DataFrame:
    """Per set and scale (bicubic LR, the image list of :func:`shown_lists`, methods
    whose runs all trained): the best method by mean PSNR and its test-time seconds
    per image; the fastest method within ``near_db`` of it; and the
    quality-versus-compute frontier, the methods no faster method beats in PSNR,
    fastest first.

    Columns: set (``"Set5 ×4"``), best, best_psnr, best_s, near (the fastest within
    ``near_db``), near_psnr, near_s, frontier (names joined by " → "), n_methods.

    Example:
        >>> t = pd.DataFrame({"set": ["S"] * 3, "scale": [4] * 3,
        ...     "degradation": ["bicubic"] * 3, "image_list": ["a"] * 3,
        ...     "method": ["Bicubic", "Fast", "Slow"], "n_images": [5] * 3,
        ...     "psnr": [28.0, 30.0, 30.1], "seconds": [0.01, 0.1, 60.0],
        ...     "not_trained": [0, 0, 0]})
        >>> w = who_wins(t).iloc[0]
        >>> w.best, w.near, w.frontier
        ('Slow', 'Fast', 'Bicubic → Fast → Slow')
    """
    rows: list[dict[str, Any]] = []
    if table.empty:
        return pd.DataFrame(rows)
    t = table[(table.degradation == "bicubic") & ~table.set.str.contains("crops")]
    if t.empty:
        return pd.DataFrame(rows)
    lists = shown_lists(t)
    for (ds, scale, _), il in lists.items():
        g = t[(t.set == ds) & (t.scale == scale) & (t.image_list == il)]
        g = g[g.not_trained.fillna(0) == 0]
        if len(g) < 2:
            continue
        best = g.loc[g.psnr.idxmax()]
        near = g[g.psnr >= best.psnr - near_db].sort_values("seconds").iloc[0]
        frontier, top = [], -np.inf
        for r in g.sort_values(
            ["seconds", "psnr"], ascending=[True, False]
        ).itertuples():
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
    order = out.set.map(lambda s: (int(s.split("×")[1]), _set_order(s.split(" ×")[0])))
    return (
        out.assign(_o=order).sort_values("_o").drop(columns="_o").reset_index(drop=True)
    )


def wins_story(wins: pd.DataFrame, table: pd.DataFrame) -> str:
    """:func:`who_wins` in sentences, for the chapter's prose: how often a per-image
    optimisation (ZSSR, DIP) is best and how often a supervised network, and, where
    the best is an optimisation, a supervised network within the margin of it and
    the factor of test time it saves.

    Example:
        >>> t = pd.DataFrame({"method": ["ZSSR", "SRCNN"],
        ...                   "family": ["ZSSR", "SRCNN"]})
        >>> w = pd.DataFrame({"set": ["Set5 ×4"], "best": ["ZSSR"], "best_psnr": [30.5],
        ...     "best_s": [50.0], "near": ["SRCNN"], "near_psnr": [30.4],
        ...     "near_s": [0.5], "frontier": ["SRCNN → ZSSR"], "n_methods": [2]})
        >>> wins_story(w, t).split(". ")[0]
        'Of 1 set and scale compared, a per-image optimisation is best on 1 and a \
supervised network on 0'
    """
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


def wins_table(wins: pd.DataFrame) -> pd.DataFrame:
    """:func:`who_wins` for a page: set, best (PSNR, s per image), fastest within
    the margin, frontier."""
    if wins.empty:
        return pd.DataFrame(columns=["set", "best", "fastest within the margin"])

    def cell(name: str, psnr: float, s: float) -> str:
        return f"{name} ({psnr:.2f} dB, {s:.3g} s)"

    return pd.DataFrame(
        {
            "set": wins.set,
            "best (PSNR, s per image)": [
                cell(r.best, r.best_psnr, r.best_s) for r in wins.itertuples()
            ],
            "fastest within the margin": [
                cell(r.near, r.near_psnr, r.near_s) for r in wins.itertuples()
            ],
            "frontier (fastest first)": wins.frontier,
        }
    )


def detail_table(table: pd.DataFrame, degradation: str = "bicubic") -> pd.DataFrame:
    """Every group of bicubic LR (``degradation="bicubic"``) or of any other LR, with
    human headers: method, set (with its scale), images × seeds, PSNR (dB, ± spread
    over seeds), SSIM, Δ vs bicubic (dB, same images); for random
    kernels also the published PSNR where a comparable anchor exists (DIV2KRK).
    Bicubic's own PSNR is left out to fit a page (the gain over it is shown).
    """
    if degradation == "bicubic":
        t = table[table.degradation == "bicubic"]
    else:
        t = table[table.degradation != "bicubic"]
    out = pd.DataFrame(
        {
            "method": _row_names(t),
            "set": t.set + " ×" + t.scale.astype(str),
            "images × seeds": [
                f"{n} × {k}" for n, k in zip(t.n_images, t.runs, strict=True)
            ],
            "PSNR (dB)": [_psnr_text(r) for _, r in t.iterrows()],
            "SSIM": t.ssim.map("{:.4f}".format),
            "Δ vs bicubic (dB)": t.gain_db.map("{:+.2f}".format),
        }
    )
    if degradation != "bicubic" and (t.published != "").any():
        out["published (dB)"] = t.published.replace("", "–")
    return out.reset_index(drop=True)


def anchored(table: pd.DataFrame) -> dict[str, Any]:
    """How many of our methods sit beside a published value (bicubic excluded).

    Returns ``n_methods`` (labels with a mean), ``n_anchored`` (labels with at least
    one anchored row), ``anchored`` (their names, separated by "; "),
    ``n_anchored_rows`` (rows with an anchor), ``n_unverified`` (of them, tagged
    unverified) and ``n_anchor_methods`` (distinct published methods behind them).

    Example:
        >>> t = pd.DataFrame({"method": ["SRCNN", "ZSSR", "Bicubic"],
        ...     "published": ["36.66", "", "33.66"],
        ...     "published_psnr": [36.66, float("nan"), 33.66],
        ...     "set": ["Set5"] * 3, "scale": [2] * 3})
        >>> a = anchored(t)
        >>> a["n_anchored"], a["anchored"], a["n_methods"]
        (1, 'SRCNN', 2)
    """
    t = table[table.method != "Bicubic"]
    hit = t[t.published != ""]
    names = list(dict.fromkeys(hit.method))
    found = [
        anchor(m, ds, s)
        for m, ds, s in zip(hit.method, hit.set, hit.scale, strict=True)
    ]
    behind = {a.method for a in found if a is not None}
    return {
        "n_methods": int(t.method.nunique()),
        "n_anchored": len(names),
        "anchored": "; ".join(names),
        "n_anchored_rows": len(hit),
        "n_unverified": int(hit.published.str.contains("unverified").sum()),
        "n_anchor_methods": len(behind),
    }


def training_table(records: Sequence[RunRecord]) -> pd.DataFrame:
    """The supervised records' training cost (excluded from the figure's x-axis):
    method, scale, parameters, steps, training (min), inference (s per image),
    device (:func:`srcore.chapters.supervised_tables.efficiency`)."""
    sup = [r for r in records if any(row["image"] == "train" for row in r.per_image)]
    if not sup:
        return pd.DataFrame(columns=["method", "scale", "training (min)"])
    e = supervised_tables.efficiency(sup)
    return pd.DataFrame(
        {
            "method": [method_label(r) for r in sup],
            "scale": e.scale.map("×{}".format),
            "parameters": e.params.map("{:,}".format),
            "steps": e.steps,
            "training (min)": e.train_min.map("{:.1f}".format),
            "inference (s/image)": e.infer_s_per_image.map("{:.3f}".format),
            "device": [str(r.provenance.get("device", "?")) for r in sup],
        }
    )


def plot_quality_vs_compute(table: pd.DataFrame) -> Figure:
    """Δ PSNR over bicubic against test-time seconds per image (log x), one point per
    bicubic-LR group, colour and marker by family; filled markers were made on a CPU,
    hollow ones on a GPU (CUDA)."""
    t = table[table.degradation == "bicubic"]
    families = [f for f in dict.fromkeys(FAMILIES.values()) if f in set(t.family)]
    markers = "osD^vP*Xph"
    fig, ax = plt.subplots(figsize=(9, 4.6))
    handles = []
    for k, fam in enumerate(families):
        color, marker = plt.cm.tab10.colors[k % 10], markers[k % len(markers)]
        at = t[t.family == fam]
        for gpu in (False, True):
            pts = at[at.device.str.contains("cuda") == gpu]
            ax.scatter(
                pts.seconds,
                pts.gain_db,
                s=46,
                marker=marker,
                facecolors="none" if gpu else color,
                edgecolors=color,
                linewidths=1.4,
            )
        handles.append(Line2D([], [], color=color, marker=marker, ls="", label=fam))
    handles += [
        Line2D([], [], color="0.3", marker="o", ls="", label="CPU (filled)"),
        Line2D(
            [], [], color="0.3", marker="o", mfc="none", ls="", label="GPU (hollow)"
        ),
    ]
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("test-time seconds per image (log scale)")
    ax.set_ylabel("Δ PSNR over bicubic (dB)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    return fig


def _per_image(rows: pd.DataFrame) -> pd.DataFrame:
    """PSNR per (set, scale, degradation, image) and method, averaged over runs, with
    a ``Bicubic`` column from the rows' own bicubic scores."""
    rows = rows[rows.method != "Bicubic"]
    at = ["set", "scale", "degradation", "image"]
    wide = rows.pivot_table(index=at, columns="method", values="psnr", aggfunc="mean")
    wide["Bicubic"] = rows.groupby(at).psnr_bicubic.mean()
    return wide


def comparable_groups(rows: pd.DataFrame, min_methods: int = 3) -> pd.DataFrame:
    """The sets of methods scored on exactly the same images (same set, scale and
    degradation), bicubic included, with at least ``min_methods`` methods.

    Columns: set, scale, degradation, n_images, n_methods, methods (a tuple).
    """
    columns = ["set", "scale", "degradation", "n_images", "n_methods", "methods"]
    out = []
    if rows.empty or rows.method.eq("Bicubic").all():
        return pd.DataFrame(out, columns=columns)
    wide = _per_image(rows)
    for (ds, s, deg), block in wide.groupby(level=[0, 1, 2], sort=False):
        by_images: dict[frozenset, list[str]] = {}
        for m in block.columns.drop("Bicubic"):
            images = frozenset(block.index[block[m].notna()].get_level_values("image"))
            if images:
                by_images.setdefault(images, []).append(m)
        for images, methods in by_images.items():
            if len(methods) + 1 >= min_methods:
                out.append(
                    {
                        "set": ds,
                        "scale": int(s),
                        "degradation": deg,
                        "n_images": len(images),
                        "n_methods": len(methods) + 1,
                        "methods": ("Bicubic", *methods),
                    }
                )
    return pd.DataFrame(out, columns=columns)


def pick_groups(
    groups: pd.DataFrame, n: int = 3, min_images: int = MIN_IMAGES
) -> pd.DataFrame:
    """Up to ``n`` groups of at least ``min_images`` images to draw: first the one
    with the most methods (then images); after it, the one adding the most methods
    not drawn yet, then the most methods, then the most images.

    Example:
        >>> g = pd.DataFrame({"set": ["Set5", "BSD100", "Set5"], "scale": [4, 4, 2],
        ...     "degradation": ["bicubic"] * 3, "n_images": [5, 100, 5],
        ...     "n_methods": [3, 3, 3], "methods": [("Bicubic", "A", "B"),
        ...     ("Bicubic", "A", "B"), ("Bicubic", "A", "C")]})
        >>> [f"{g.set} x{g.scale}" for g in pick_groups(g, 2).itertuples()]
        ['BSD100 x4', 'Set5 x2']
    """
    left = groups[groups.n_images >= min_images]
    chosen: list[int] = []
    drawn: set[str] = set()
    while len(chosen) < n and len(left):
        new = [len(set(ms) - drawn) for ms in left.methods]
        best = (
            left.assign(_new=new)
            .sort_values(["_new", "n_methods", "n_images"], ascending=False)
            .index[0]
        )
        chosen.append(best)
        drawn |= set(groups.loc[best, "methods"])
        left = left.drop(index=best)
    return groups.loc[chosen].reset_index(drop=True)


def win_loss(
    rows: pd.DataFrame, group: pd.Series | dict, tie_db: float = TIE_DB
) -> pd.DataFrame:
    """Per image of ``group`` (a row of :func:`comparable_groups`), how often the
    row method's PSNR beats the column method's by more than ``tie_db``:
    ``wins[a, b] = #{i : p_a(i) - p_b(i) > tie_db}`` (the diagonal is 0). Methods
    are ordered by mean PSNR, best first.

    Example:
        >>> rows = pd.DataFrame({"method": ["A", "A"], "set": ["S", "S"],
        ...     "scale": [2, 2], "degradation": ["bicubic"] * 2,
        ...     "image": ["S/1", "S/2"], "psnr": [30.0, 30.0],
        ...     "psnr_bicubic": [29.0, 30.02]})
        >>> g = {"set": "S", "scale": 2, "degradation": "bicubic",
        ...      "methods": ("Bicubic", "A")}
        >>> win_loss(rows, g).to_dict()
        {'A': {'A': 0, 'Bicubic': 0}, 'Bicubic': {'A': 1, 'Bicubic': 0}}
    """
    wide = _per_image(rows).loc[(group["set"], group["scale"], group["degradation"])]
    block = wide[list(group["methods"])].dropna()
    order = block.mean().sort_values(ascending=False).index
    values = block[order].to_numpy()
    wins = (values[:, :, None] - values[:, None, :] > tie_db).sum(axis=0)
    return pd.DataFrame(wins, index=order, columns=order)


def plot_win_loss(wins: pd.DataFrame, n_images: int, title: str) -> Figure:
    """Seaborn heatmap of the share of images the row method wins (colour) with the
    count annotated; the diagonal is left blank."""
    share = wins / n_images
    mask = np.eye(len(wins), dtype=bool)
    size = 1.1 + 0.62 * len(wins)
    fig, ax = plt.subplots(figsize=(size + 2.2, size))
    sns.heatmap(
        share,
        mask=mask,
        annot=wins,
        fmt="d",
        vmin=0.0,
        vmax=1.0,
        cmap="Blues",
        linewidths=0.5,
        cbar_kws={"label": "share of images the row method wins"},
        ax=ax,
    )
    ax.tick_params(axis="x", labelrotation=35)
    plt.setp(ax.get_xticklabels(), ha="right", rotation_mode="anchor")
    ax.tick_params(axis="y", labelrotation=0)
    ax.set_xlabel("column method")
    ax.set_ylabel("row method")
    ax.set_title(title)
    fig.tight_layout()
    return fig


#: The total row of the report claims in :func:`verdict_summary`.
ALL_REPORTS = "all report claims"


def _claim_group(chapter: str, source: str) -> str:
    if source == "protocol":
        return "protocol checks"
    if source == "report":
        return chapter
    return f"the {source}'s claims (in {chapter.split(' ', 1)[-1]})"


def verdict_summary(verdicts: pd.DataFrame) -> pd.DataFrame:
    """Verdicts counted per chapter (:func:`srcore.chapters.verdicts.verdict_counts`):
    the reports' claims per chapter and their total (:data:`ALL_REPORTS`), then,
    apart, the protocol's checks and the claims of other papers a chapter tests
    (column ``source`` of ``verdicts``: ``report``, ``protocol`` or a paper's name;
    all ``report`` when absent). Columns: ``claims of``, the kinds of
    :data:`~srcore.chapters.verdicts.VERDICTS`, ``claims``.

    Example:
        >>> v = pd.DataFrame({"chapter": ["a", "a", "b"],
        ...     "verdict": ["reproduced", "not tested (x)", "contradicted"],
        ...     "source": ["report", "report", "KernelGAN paper"]})
        >>> s = verdict_summary(v)
        >>> s["claims of"].tolist()
        ['a', 'all report claims', "the KernelGAN paper's claims (in b)"]
        >>> int(s.set_index("claims of").loc["all report claims", "claims"])
        2
    """
    source = verdicts["source"] if "source" in verdicts else "report"
    v = verdicts.assign(source=source)
    groups = zip(v.chapter, v.source, strict=True)
    v = v.assign(group=[_claim_group(c, s) for c, s in groups])
    rows = []
    reports = v[v.source == "report"]
    for group, g in reports.groupby("group", sort=False):
        rows.append({"claims of": group, **verdict_counts(g.verdict)})
    rows.append({"claims of": ALL_REPORTS, **verdict_counts(reports.verdict)})
    for group, g in v[v.source != "report"].groupby("group", sort=False):
        rows.append({"claims of": group, **verdict_counts(g.verdict)})
    out = pd.DataFrame(rows, columns=["claims of", *VERDICTS])
    out["claims"] = out[list(VERDICTS)].sum(axis=1)
    return out


def verdict_summary_page(counts: pd.DataFrame) -> pd.DataFrame:
    """:func:`verdict_summary` narrowed to a page: the three judged kinds in one
    column and the three preliminary ones in another ("0 · 2 · 0").

    Example:
        >>> v = pd.DataFrame({"chapter": ["a"], "verdict": ["reproduced"]})
        >>> verdict_summary_page(verdict_summary(v)).columns.tolist()[1]
        'judged: reproduced · not · contradicted'
    """

    def joined(row: pd.Series, kinds: tuple[str, ...]) -> str:
        return " · ".join(str(int(row[k])) for k in kinds)

    return pd.DataFrame(
        {
            "claims of": counts["claims of"],
            "judged: reproduced · not · contradicted": [
                joined(r, JUDGED) for _, r in counts.iterrows()
            ],
            "below the report's evidence: consistent · not · opposite": [
                joined(r, PRELIMINARY) for _, r in counts.iterrows()
            ],
            "not tested": counts["not tested"],
            "claims": counts["claims"],
        }
    )


def verdict_totals(counts: pd.DataFrame) -> dict[str, int]:
    """The reports' total row of :func:`verdict_summary` as glue keys:
    ``n_claims`` and ``n_<kind>`` per verdict kind (``n_not_reproduced``...), with
    ``n_judged`` (at the report's budget and sample) and ``n_preliminary`` (below
    it), and ``n_other_claims`` (protocol checks and other papers' claims, apart).

    Example:
        >>> v = pd.DataFrame({"chapter": ["a"], "verdict": ["reproduced"]})
        >>> verdict_totals(verdict_summary(v))["n_reproduced"]
        1
    """
    at = counts.set_index("claims of")
    total = at.loc[ALL_REPORTS]
    out = {"n_claims": int(total["claims"])}
    out |= {f"n_{v.replace(' ', '_')}": int(total[v]) for v in VERDICTS}
    out["n_judged"] = int(sum(total[v] for v in JUDGED))
    out["n_preliminary"] = int(sum(total[v] for v in PRELIMINARY))
    after = list(at.index).index(ALL_REPORTS) + 1
    out["n_other_claims"] = int(at.iloc[after:]["claims"].sum())
    return out


def provenance_table(records: Sequence[RunRecord]) -> pd.DataFrame:
    """Where the records shown were made: per profile, hardware and device, how many
    records, from how many commits, over which dates.

    Example:
        >>> rec = RunRecord(key="k", method="m", config={"profile": "quick"},
        ...     per_image=[], provenance={"hardware": "CPU", "device": "cpu",
        ...     "commit": "abc", "date": "2026-11-22T10:00:00+00:00"})
        >>> provenance_table([rec]).iloc[0].to_dict()["made"]
        '2026-11-22'
    """
    rows = [
        {
            "profile": r.config.get("profile"),
            "hardware": r.provenance.get("hardware", "?"),
            "device": str(r.provenance.get("device", "?")),
            "commit": r.provenance.get("commit"),
            "date": str(r.provenance.get("date", "?"))[:10],
        }
        for r in records
    ]
    if not rows:
        return pd.DataFrame(columns=["profile", "hardware", "device", "records"])
    out = []
    keys = ["profile", "hardware", "device"]
    for key, g in pd.DataFrame(rows).groupby(keys, sort=False, dropna=False):
        first, last = g.date.min(), g.date.max()
        out.append(
            {
                **dict(zip(keys, key, strict=True)),
                "records": len(g),
                "commits": int(g.commit.nunique()),
                "made": first if first == last else f"{first} to {last}",
            }
        )
    return pd.DataFrame(out)


def _nan_safe(x: pd.Series, how: str) -> float:
    return float(getattr(x, how)()) if len(x) else float("nan")


def findings(
    records: Sequence[RunRecord],
    skipped: dict[str, int],
    table: pd.DataFrame,
    rows: pd.DataFrame,
    drawn: pd.DataFrame,
) -> dict[str, Any]:
    """The chapter's glued numbers (plain Python values).

    ``n_records`` shown, ``n_dirty``/``n_unfinished``/``n_checks`` left out
    (:func:`walk`); ``n_scorings`` (distinct scoring protocols among the records) and
    ``scorings`` (that in words);
    ``n_gpu`` (records made on CUDA); ``n_groups``, ``n_bicubic_groups``,
    ``n_random_groups`` (rows of :func:`summary` by degradation); the
    :func:`anchored` counts; ``bicubic_max_gap`` (largest |ours − Kim et al.| of
    Bicubic), ``mean_gap``/``min_gap``/``max_gap`` (ours − published over the other
    anchored rows of bicubic LR, ``n_gap_rows`` of them) and ``n_below`` (those
    rows below their published value);
    ``supervised_s``/``internal_s`` (median test-time seconds per image of the
    supervised networks and of the per-image optimisations, bicubic LR) and their
    ``time_ratio``; ``wl_groups`` (the heatmaps, "Set5 ×4, ..."),
    ``wl_n``, and over their method pairs ``wl_pairs``, ``wl_sweeps`` (pairs where
    one method wins on every image) and ``wl_split`` (pairs where each wins on at
    least one image).
    """
    pairs = sweeps = split = 0
    for g in drawn.itertuples():
        wins = win_loss(rows, g._asdict()).to_numpy()
        upper = np.triu_indices(len(wins), k=1)
        a, b = wins[upper], wins.T[upper]
        pairs += len(a)
        sweeps += int(((a == g.n_images) | (b == g.n_images)).sum())
        split += int(((a > 0) & (b > 0)).sum())
    scorings = {json.dumps(r.config.get("scoring"), sort_keys=True) for r in records}
    bic = table[table.degradation == "bicubic"]
    is_bic = bic.method == "Bicubic"
    gap = bic.psnr - bic.published_psnr.astype(float)
    bic_gap = gap[is_bic].dropna().abs()
    others = gap[~is_bic].dropna()
    internal = bic.family.isin(INTERNAL)
    sup_s = _nan_safe(bic.seconds[~internal & ~is_bic], "median")
    int_s = _nan_safe(bic.seconds[internal], "median")
    return {
        "n_records": len(records),
        "n_dirty": int(skipped.get("dirty", 0)),
        "n_unfinished": int(skipped.get("unfinished", 0)),
        "n_checks": int(skipped.get("checks", 0)),
        "n_scorings": len(scorings),
        "scorings": "one scoring protocol"
        if len(scorings) == 1
        else f"{len(scorings)} different scoring protocols",
        "n_gpu": sum("cuda" in str(r.provenance.get("device")) for r in records),
        "n_groups": len(table),
        "n_bicubic_groups": len(bic),
        "n_random_groups": int((table.degradation != "bicubic").sum()),
        **anchored(table),
        "bicubic_max_gap": _nan_safe(bic_gap, "max"),
        "mean_gap": _nan_safe(others, "mean"),
        "min_gap": _nan_safe(others, "min"),
        "max_gap": _nan_safe(others, "max"),
        "n_below": int((others < 0).sum()),
        "n_gap_rows": len(others),
        "supervised_s": sup_s,
        "internal_s": int_s,
        "time_ratio": int_s / sup_s if sup_s > 0 else float("nan"),
        "wl_groups": ", ".join(f"{g.set} ×{g.scale}" for g in drawn.itertuples())
        or "none",
        "wl_n": len(drawn),
        "wl_pairs": pairs,
        "wl_sweeps": sweeps,
        "wl_split": split,
    }
