"""Tables as in a paper: human headers, number formats by unit, one provenance line.

:func:`style_table` shows a DataFrame as the book does; :func:`provenance_caption`
says under a table how its numbers were made. Only display happens here: the
DataFrame keeps its raw column names, so a chained ``.format({"raw_name": ...})``
still addresses them.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from typing import Any

import pandas as pd
import yaml
from pandas.io.formats.style import Styler

from srcore.runs.results import RunRecord

#: Raw column name -> the header a reader sees (``manifests/table_headers.yaml``); a
#: name not listed is shown as it is.
HEADERS: dict[str, str] = yaml.safe_load(
    resources.files("srcore")
    .joinpath("manifests/table_headers.yaml")
    .read_text("utf-8")
)

#: Columns in words whose numbers are dB (a raw name says it: ``psnr``, ``_db``).
DB_COLUMNS: frozenset[str] = frozenset(
    {
        "interpolation",
        "LapSRN sub-pixel",
        "variant (ours)",
        "difference (ours)",
        "difference (report)",
        "bicubic (ours)",
        "ZSSR (ours)",
    }
)

#: Raw names without ``_`` that must not reach the page as they are.
RAW_NAMES: frozenset[str] = frozenset(
    k for k, v in HEADERS.items() if "_" not in k and k != v
)

#: Name parts of a difference, shown signed (``+0.12``); a spread is not one.
_SIGNED = ("d_", "diff", "gain", "minus", "change", "difference", "saved", "−", "Δ")
_UNSIGNED = ("spread", "_sd", " sd", "max_abs", "|")
#: Name parts of a time in seconds or minutes.
_TIME = ("seconds", "s_per", "infer_s", "_min", "s per ")


def header(name: Any) -> str:
    """The header of raw column ``name`` (:data:`HEADERS`; a name in words as is)."""
    return HEADERS.get(str(name), str(name))


def _unit(name: str) -> str:
    """``"ssim"``, ``"db"``, ``"time"`` or ``""`` for raw column ``name``."""
    low = name.lower()
    if "ssim" in low:
        return "ssim"
    shown = header(name)
    if "psnr" in low or low.endswith("_db") or "(dB)" in shown or name in DB_COLUMNS:
        return "db"
    if "(published)" in name or "(ours)" in name:
        return "db"  # the per-method PSNR columns of a table set beside a paper's
    if any(t in low for t in _TIME):
        return "time"
    return ""


def _signed(name: str) -> bool:
    low = f"{name} {header(name)}".lower()
    return any(t in low for t in _SIGNED) and not any(t in low for t in _UNSIGNED)


def _significant(x: float, digits: int = 3) -> str:
    """``x`` to ``digits`` significant digits, never in e-notation above 1e-4."""
    if x == 0:
        return "0"
    a = abs(x)
    if a < 1e-4:
        return f"{x:.1e}"
    decimals = max(0, digits - 1 - math.floor(math.log10(a)))
    return f"{x:.{decimals}f}"


def _general(x: float) -> str:
    """A float with no unit: 2 decimals from 1 up, 3 significant digits below."""
    a = abs(x)
    if a >= 1000:
        return f"{x:.0f}"
    if a >= 100:
        return f"{x:.1f}"
    return f"{x:.2f}" if a >= 1 else _significant(x)


def _whole(column: pd.Series) -> bool:
    """Whether every number in ``column`` is a whole number (NaN ignored)."""
    values = pd.to_numeric(column, errors="coerce").dropna()
    if pd.api.types.is_bool_dtype(column) or values.empty:
        return False
    return bool((values == values.round()).all() and (values.abs() < 1e15).all())


def _formatter(name: str, column: pd.Series, decimals: int | None) -> Callable:
    """The cell formatter of one column: its unit, sign and decimals."""
    unit, sign = _unit(name), "+" if _signed(name) else ""
    if decimals is None and unit not in ("db", "ssim") and _whole(column):
        return lambda v: _cell(v, lambda x: f"{int(round(x)):{sign}d}")
    if unit == "db":
        d = min(2 if decimals is None else decimals, 3)  # never beyond 3 for a dB
    elif unit == "ssim":
        d = 4 if decimals is None else decimals
    else:
        d = decimals
    if d is not None:
        return lambda v: _cell(v, lambda x: f"{x:{sign}.{d}f}")
    if unit == "time":
        return lambda v: _cell(v, _significant)
    return lambda v: _cell(v, lambda x: ("+" if sign and x > 0 else "") + _general(x))


def _cell(value: Any, number: Callable[[float], str]) -> str:
    """A cell: numbers through ``number``, missing as ``–``, anything else as is."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return number(float(value))


#: Columns that say what a table holds: one with a single value over the rows is said
#: once in the caption (:func:`style_table`).
CONTEXT: tuple[str, ...] = ("dataset", "scale", "n_images", "n", "profile", "seed")
CONTEXT += ("device", "iterations", "steps")


def style_table(
    df: pd.DataFrame,
    digits: Mapping[str, int] | None = None,
    *,
    fold: Sequence[str] = CONTEXT,
    caption: str | None = None,
) -> Styler:
    """``df`` as the book shows it: a Styler with human headers, no index.

    Formats by column (its raw name, :func:`_unit`): dB 2 decimals (3 at most),
    SSIM 4, differences signed (``+0.12``), whole numbers as integers, seconds to 3
    significant digits, other floats 2 decimals from 1 up and 3 significant digits
    below; missing values as ``–``. ``digits`` maps a part of a column name to its
    decimals (``{"s_per": 3}``). A column of ``fold`` with one value over two rows or
    more is hidden and said once in the caption, after ``caption``.

    Example:
        >>> t = pd.DataFrame({"dataset": ["Set5"] * 2, "psnr": [33.6486, 31.0]})
        >>> styler = style_table(t)
        >>> styler.caption, "33.65" in styler.to_html()
        ('set: Set5', True)
    """
    fmt = {}
    for col in df.columns:
        decimals = next((d for k, d in (digits or {}).items() if k in str(col)), None)
        fmt[col] = _formatter(str(col), df[col], decimals)
    numeric = [
        c
        for c in df.columns
        if pd.api.types.is_numeric_dtype(df[c])
        and not pd.api.types.is_bool_dtype(df[c])
    ]
    folded = [
        c for c in fold if c in df.columns and len(df) > 1 and df[c].nunique() == 1
    ]
    folded = [c for c in folded if df[c].notna().all()]
    styles = [{"selector": "th, td", "props": [("padding", "0.15em 0.4em")]}]
    styler = (
        df.style.format(fmt)
        .format_index(header, axis="columns")
        .hide(axis="index")
        .set_table_styles(styles)
        .set_properties(subset=numeric, **{"text-align": "right"})
    )
    if folded:
        styler = styler.hide(folded, axis="columns")
    context = " · ".join(f"{header(c)}: {fmt[c](df[c].iloc[0])}" for c in folded)
    said = [t for t in (caption, context) if t]
    if said:
        styler = styler.set_caption(html.escape(" · ".join(said)))
    return styler


def _short(commit: Any) -> str:
    return str(commit)[:7] if commit else "?"


def _images(records: Sequence[RunRecord]) -> int:
    """Distinct test images over ``records`` (rows named ``set/image`` or ``image``
    of the record's set; an aggregate row counts its ``n_images``)."""
    names, aggregate = set(), {}
    for rec in records:
        for row in rec.per_image:
            image = str(row.get("image", ""))
            if image == "train":
                continue
            if "n_images" in row:
                key = row.get("dataset", image)
                aggregate[key] = max(aggregate.get(key, 0), int(row["n_images"]))
                continue
            image = image.split("@")[0]
            if "/" not in image:
                image = f"{rec.config.get('dataset', '?')}/{image}"
            names.add(image)
    return len(names) + sum(aggregate.values())


def _seeds(records: Sequence[RunRecord]) -> list[int]:
    """The seeds of ``records``: the config's, plus a row's own offset (DIP)."""
    seeds = set()
    for rec in records:
        model = rec.config.get("model")
        base = rec.config.get(
            "seed", model.get("seed") if isinstance(model, dict) else None
        )
        if base is None:
            continue
        offsets = {r["seed"] for r in rec.per_image if isinstance(r.get("seed"), int)}
        seeds |= {int(base) + o for o in offsets} or {int(base)}
    return sorted(seeds)


def _states(rec: RunRecord) -> list[Mapping[str, Any]]:
    """The git states of a record: at its start and at each item's."""
    items = [r["provenance"] for r in rec.per_image if r.get("provenance")]
    return [rec.provenance, *items]


def _hardware(provenance: Mapping[str, Any]) -> str:
    return f"{provenance.get('hardware', '?')} ({provenance.get('device', '?')})"


def _summary(records: Sequence[RunRecord]) -> str:
    """The one line: profile · images · seeds · hardware · commit."""
    parts = []
    profiles = sorted({str(p) for r in records if (p := r.config.get("profile"))})
    if profiles:
        parts.append(
            ("profile " if len(profiles) == 1 else "profiles ") + ", ".join(profiles)
        )
    n_images = _images(records)
    parts.append(f"{n_images} image" + ("" if n_images == 1 else "s"))
    seeds = _seeds(records)
    if seeds:
        word = "seed " if len(seeds) == 1 else "seeds "
        parts.append(word + ", ".join(map(str, seeds)))
    parts.append(" / ".join(sorted({_hardware(r.provenance) for r in records})))
    states = [s for r in records for s in _states(r) if s.get("commit")]
    commits = {_short(s["commit"]) for s in states}
    if len(commits) > 1:
        latest = max(states, key=lambda s: str(s.get("date", "")))
        parts.append(f"{len(commits)} commits, latest {_short(latest['commit'])}")
    else:
        parts.append(f"commit {next(iter(commits), '?')}")
    return " · ".join(parts)


def _record_line(rec: RunRecord) -> str:
    """One record's full provenance: key, profile, commit(s), date, hardware, torch."""
    p = rec.provenance
    items = {_short(s["commit"]) for s in _states(rec)[1:] if s.get("commit")}
    items.discard(_short(p.get("commit")))
    commit = _short(p.get("commit")) + (
        f" (items also {', '.join(sorted(items))})" if items else ""
    )
    dirty = any(s.get("dirty") for s in _states(rec))
    fields = [
        f"<code>{html.escape(rec.key)}</code> {html.escape(rec.method)}",
        f"profile {html.escape(str(rec.config.get('profile', '?')))}",
        f"commit {html.escape(commit)}" + (", uncommitted code" if dirty else ""),
        html.escape(str(p.get("date", "?"))[:10]),
        html.escape(_hardware(p)),
        f"torch {html.escape(str(p.get('torch', '?')))}",
    ]
    return " · ".join(fields)


def provenance_caption(records: Sequence[RunRecord]) -> str:
    """How the numbers of a table were made, for ``display(Markdown(...))``: one
    line (profile · images · seeds · hardware · commit) in a collapsed HTML
    ``<details>`` block that lists each record's full provenance.

    Example:
        >>> rec = RunRecord(key="k1", method="bicubic", config={"profile": "quick",
        ...     "dataset": "Set5"}, per_image=[{"image": "baby"}, {"image": "bird"}],
        ...     provenance={"commit": "abc1234def", "dirty": True, "date": "2026-12-01",
        ...                 "hardware": "CPU X", "device": "cpu", "torch": "2.9"})
        >>> caption = provenance_caption([rec])
        >>> caption.split("</summary>")[0].split("<summary>")[1]
        'Made with: profile quick · 2 images · CPU X (cpu) · commit abc1234'
        >>> "uncommitted code" in caption, "dirty" in caption
        (True, False)
    """
    if not records:
        return "No records."
    lines = "".join(f"<li>{_record_line(r)}</li>" for r in records)
    summary = html.escape(_summary(records))
    return (
        f'<details class="provenance"><summary>Made with: {summary}</summary>'
        f"<ul>{lines}</ul></details>"
    )
