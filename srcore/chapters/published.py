"""Every published and report number the book prints, read from ``published.yaml``.

That file holds each value with its source and its tag (``V`` verified against the
cited file, ``P`` cross-checked against a third-party copy, ``U`` printed
"unverified") and says what each table means; this module gives them the shapes the
chapters read.

Example:
    >>> row = published_table("Bicubic").query("dataset == 'Set5' and scale == 2")
    >>> float(row.psnr.iloc[0]), REPORT_003["source"].split(",")[0]
    (33.66, 'shared/reports/003-lapsrn-vs-deep-image-prior-charbonnier.txt')
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from importlib import resources
from typing import Any

import pandas as pd
import yaml


@dataclass(frozen=True)
class Published:
    """One published (PSNR, SSIM) pair; ``ssim`` is NaN where the book shows none."""

    method: str
    dataset: str
    scale: int
    psnr: float
    ssim: float
    source: str
    tag: str


def _tuples(value: Any) -> Any:
    """``value`` with every list made a tuple, dicts kept in order."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    return value


def _published(group: dict[str, Any]) -> tuple[Published, ...]:
    """The rows of a ``{source, rows: [[method, dataset, scale, psnr, ssim, tag]]}``."""
    return tuple(
        Published(m, ds, s, p, math.nan if q is None else q, group["source"], tag)
        for m, ds, s, p, q, tag in group["rows"]
    )


_DATA = _tuples(
    yaml.safe_load(
        resources.files("srcore.chapters").joinpath("published.yaml").read_text("utf-8")
    )
)
# Each name is the data file's key of that name, where its meaning is written.
KIM2016_TABLE2: tuple[Published, ...] = _published(_DATA["KIM2016_TABLE2"])
ANCHORS: tuple[Published, ...] = tuple(
    r for r in KIM2016_TABLE2 if r.method in ("SRCNN", "VDSR")
) + tuple(a for group in _DATA["ANCHORS"] for a in _published(group))
ANCHOR_OF: dict[str, str] = _DATA["ANCHOR_OF"]
KERNELGAN_DIV2KRK: dict[str, Any] = _DATA["KERNELGAN_DIV2KRK"]
DIP_PAPER: dict[str, Any] = _DATA["DIP_PAPER"]
REPORT_000: dict[str, Any] = _DATA["REPORT_000"]
REPORT_001: dict[str, Any] = _DATA["REPORT_001"]
_IDEAL = _DATA["REPORT_001_IDEAL"]
#: (dataset, scale) -> {method: (PSNR, SSIM)}
REPORT_001_IDEAL: dict[tuple[str, int], dict[str, tuple[float, float]]] = {
    (ds, s): dict(zip(_IDEAL["methods"], pairs, strict=True))
    for ds, s, *pairs in _IDEAL["rows"]
}
REPORT_001_NONIDEAL: dict[str, Any] = _DATA["REPORT_001_NONIDEAL"]["values"]
REPORT_002: dict[str, Any] = _DATA["REPORT_002"]
REPORT_003: dict[str, Any] = _DATA["REPORT_003"]
REPORT_004: dict[str, Any] = _DATA["REPORT_004"]
_ANCHOR_AT = {(a.method, a.dataset, a.scale): a for a in ANCHORS}


def published_table(method: str | None = None) -> pd.DataFrame:
    """Kim et al. 2016's rows (optionally one method's), with source and tag."""
    rows = [asdict(r) for r in KIM2016_TABLE2 if method is None or r.method == method]
    return pd.DataFrame(rows)


def compare_with_published(ours: pd.DataFrame, method: str = "Bicubic") -> pd.DataFrame:
    """Our mean PSNR/SSIM (columns dataset, scale, psnr, ssim) beside the published
    ones, with the differences ``d_psnr``, ``d_ssim`` (NaN where none is published)."""
    pub = published_table(method)[["dataset", "scale", "psnr", "ssim", "tag"]]
    table = ours.merge(pub, on=["dataset", "scale"], how="left", suffixes=("", "_pub"))
    table["d_psnr"] = table["psnr"] - table["psnr_pub"]
    table["d_ssim"] = table["ssim"] - table["ssim_pub"]
    return table


def agreement(table: pd.DataFrame, psnr_tol: float, ssim_tol: float) -> dict[str, Any]:
    """How many compared rows of :func:`compare_with_published` lie within the
    bounds, which lie outside (``"Set14 ×4"``, or ``"none"``), and the differences'
    extremes."""
    rows = table.dropna(subset=["psnr_pub"])
    ok = (rows["d_psnr"].abs() <= psnr_tol) & (rows["d_ssim"].abs() <= ssim_tol)
    bad = rows[~ok]
    names = [f"{d} ×{s}" for d, s in zip(bad.dataset, bad.scale, strict=True)]
    return {
        "n_within": int(ok.sum()),
        "n_rows": len(rows),
        "all_within": bool(ok.all()),
        "outside": ", ".join(names) or "none",
        "max_abs_d_psnr": float(rows["d_psnr"].abs().max()),
        "min_d_psnr": float(rows["d_psnr"].min()),
        "max_d_psnr": float(rows["d_psnr"].max()),
        "mean_d_psnr": float(rows["d_psnr"].mean()),
        "max_abs_d_ssim": float(rows["d_ssim"].abs().max()),
        "psnr_tol": psnr_tol,
        "ssim_tol": ssim_tol,
    }


def anchor(method: str, dataset: str, scale: int) -> Published | None:
    """The published value of ``method`` (an anchor name, or a label mapped by
    :data:`ANCHOR_OF`) on ``dataset`` at ``scale``, or None.

    Example:
        >>> anchor("SRResNet", "Set5", 4).psnr, anchor("LapSRN", "Urban100", 4)
        (32.05, None)
    """
    name = (
        "ZSSR" if method.startswith("ZSSR, gradual") else ANCHOR_OF.get(method, method)
    )
    return _ANCHOR_AT.get((name, dataset, scale))


def anchor_label(method: str, dataset: str, scale: int) -> str:
    """An anchor as a verdict table's "paper" cell, or ``""`` where none exists.

    Example:
        >>> anchor_label("SRGAN-MSE", "Set5", 4)
        'SRGAN 29.40 dB (Set5 ×4, unverified)'
    """
    a = anchor(method, dataset, scale)
    if a is None:
        return ""
    flag = ", unverified" if a.tag == "U" else ""
    return f"{a.method} {a.psnr:.2f} dB ({a.dataset} ×{a.scale}{flag})"


def anchor_text(method: str, dataset: str, scale: int) -> str:
    """``"32.05"``, ``"29.40 (unverified)"`` or ``""``: an anchor in a table cell.

    Example:
        >>> anchor_text("SRGAN-MSE", "Set5", 4), anchor_text("SRCNN", "Set5", 8)
        ('29.40 (unverified)', '')
    """
    a = anchor(method, dataset, scale)
    if a is None:
        return ""
    return f"{a.psnr:.2f}" + (" (unverified)" if a.tag == "U" else "")
