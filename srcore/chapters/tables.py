"""What every chapter's tables share: one label per record (one name for one method
in every table and figure), its health, one mean row, one crop view."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import torch

from srcore import health
from srcore.imageops import load_image
from srcore.methods import bicubic
from srcore.prose import Prose
from srcore.protocol import crop_center, test_pair
from srcore.runs.results import RunRecord, record_crop
from srcore.tableformat import header

#: Display names of the methods whose records need no further detail.
NAMES = {
    "bicubic": "Bicubic",
    "srcnn": "SRCNN",
    "vdsr": "VDSR",
    "srresnet": "SRResNet",
    "lapsrn-crops": "LapSRN",
}
#: LapSRN's upsampling layers, as the chapters name them.
UPSAMPLERS = {"deconv": "transposed conv", "subpixel": "sub-pixel"}
#: ZSSR's named variants (:data:`srcore.methods.zssr.VARIANTS`).
ZSSR_VARIANTS = {
    "zssr": "ZSSR",
    "zssr_mse": "ZSSR, MSE",
    "zssr_dog": "ZSSR, DoG",
    "zssr_star": "ZSSR*",
    "pixelshuffle": "ZSSR, pixel shuffle",
}


def label(record: RunRecord) -> str:
    """Display name of any record: ``SRGAN-MSE``, LapSRN by level weights or
    upsampler, DIP by loss, ZSSR/OSR by variant, stream mode, scale stages, backbone
    and kernel (``ZSSR, true kernel``, ``OSR (weight transfer)``).

    Example:
        >>> rec = RunRecord(key="k", method="lapsrn", config={"method": "lapsrn",
        ...     "model": {"level_weights": [2.0, 1.0]}}, per_image=[])
        >>> label(rec)
        'LapSRN w1=2, w2=1'
    """
    c = record.config
    method = c.get("method", record.method)
    if method == "srgan":
        return f"SRGAN-{c['model']['content_loss'].upper()}"
    if method == "lapsrn":
        return _lapsrn(c["model"])
    if method == "dip":
        return "DIP with " + ("MSE" if c["model"]["loss"] == "mse" else "Charbonnier")
    if method == "osr":
        return _osr(c)
    if method == "zssr":
        return _zssr(c)
    return NAMES.get(method, method)


def _lapsrn(model: Mapping[str, Any]) -> str:
    if model.get("level_weights"):
        w = model["level_weights"]
        return f"LapSRN w1={w[0]:g}, w2={w[1]:g}"
    if model.get("preact_residual"):
        return f"LapSRN, {UPSAMPLERS[model['upsample']]}"
    return "LapSRN"


def _osr(c: Mapping[str, Any]) -> str:
    star = "*" if c.get("variant") == "zssr_star" else ""
    if c.get("external") is None:
        if c["transfer"]:
            return f"OSR{star} (weight transfer)"
        return f"ZSSR{star} from scratch"
    mode = "/online" if c["transfer"] else "/ftune" if c["adapt"] else ""
    return f"ZSSR/ext{mode}{star}"


def _zssr(c: Mapping[str, Any]) -> str:
    name = ZSSR_VARIANTS[c["variant"]]
    stages = c["model"].get("scale_factors") or []
    if len(stages) > 3:  # the paper's schedule of small steps, named by its end
        name += f", gradual to ×{_stage(stages[-1])} in {len(stages)} steps"
    elif len(stages) > 1:
        name += ", gradual " + "→".join(f"×{_stage(f)}" for f in stages)
    if c.get("backbone") is not None:
        name = (
            "VDSR pre-trained on BSD200, no internal training"
            if c["model"]["max_iters"] == 0
            else name + ", pre-trained VDSR backbone"
        )
    if c["degradation"] != "bicubic":
        if c.get("kernel_estimate"):
            name += ", estimated kernel"
        else:
            name += ", true kernel" if c["true_kernel"] else ", assumes bicubic"
    return name


def _stage(factor: Any) -> str:
    """``2.0`` -> ``"2"``, ``[1.5, 2.0]`` -> ``"1.5x2"`` (vertical x horizontal)."""
    parts = factor if isinstance(factor, list | tuple) else [factor]
    return "x".join(f"{float(p):g}" for p in parts)


def trained(record: RunRecord) -> str:
    """A record's health in a table cell (:mod:`srcore.health`): ``"k of n"`` items
    trained (internal learning), the training's verdict (supervised), ``"not
    recorded"`` (made before the rule) or ``""`` (nothing optimised).

    Example:
        >>> def row(image, error):
        ...     h = {"error": error, "interp_error": 1.0, "start_error": 1.0}
        ...     return {"image": image, "health": h}
        >>> rec = RunRecord(key="k", method="zssr", config={},
        ...                 per_image=[row("a", 0.5), row("b", 1.0)])
        >>> trained(rec)
        '1 of 2 (1 stalled)'
    """
    rows = optimised_rows(record)
    if not rows:
        return ""
    if any(r.get("health") is None for r in rows):
        return "not recorded"
    bad = [health.row_verdict(r) for r in rows if not health.is_healthy(r)]
    if record.method not in INTERNAL and len(rows) == 1:
        return str(health.row_verdict(rows[0]))
    kinds = ", ".join(f"{bad.count(v)} {v}" for v in health.VERDICTS if v in bad)
    text = f"{len(rows) - len(bad)} of {len(rows)}"
    return f"{text} ({kinds})" if bad else text


#: Methods whose every item is its own optimisation (the others train once).
INTERNAL = ("zssr", "osr", "dip")
#: Methods that optimise nothing.
UNTRAINED = ("bicubic", "bicubic-vs-selfexsr", "imresize-vs-matlab", "lapsrn-crops")


def optimised_rows(record: RunRecord) -> list[dict[str, Any]]:
    """The rows of a record that carry an optimisation: every item of an
    internal-learning run, the ``"train"`` row of a supervised one (SRGAN's judged on
    its content loss), none for bicubic."""
    if record.method in UNTRAINED:
        return []
    if record.method in INTERNAL:
        return list(record.per_image)
    rows = [r for r in record.per_image if r["image"] == "train"]
    content = (record.history or {}).get("content")
    if record.method == "srgan" and content:  # judged on its content term
        rows = [{**r, "health": health.gan_health(content)} for r in rows]
    return rows


def not_trained(records: Sequence[RunRecord]) -> dict[str, int]:
    """How many optimisations of ``records`` did not train, and how many were made
    before the health rule (``{"not_trained": n, "unchecked": m, "runs": N}``)."""
    rows = [r for rec in records for r in optimised_rows(rec)]
    unchecked = sum(r.get("health") is None for r in rows)
    bad = sum(
        r["health"]["verdict"] != "trained" for r in rows if r.get("health") is not None
    )
    return {"not_trained": bad, "unchecked": unchecked, "runs": len(rows)}


#: The training-health bullet of every chapter's findings, filled in by
#: :func:`health_bullet` (one sentence for the whole book).
HEALTH_BULLET = (
    "* **Training health** (the protocol chapter's rule): of the {runs} optimisations"
    " in {counted}, {not_trained} did not train and {unchecked} were made before the"
    ' rule (their tables say "not recorded"); each is flagged in the {columns} column'
    " of its table."
)


def health_bullet(
    records: Sequence[RunRecord],
    counted: str = "this chapter's tables",
    columns: Sequence[str] = ("trained",),
) -> str:
    """:data:`HEALTH_BULLET` filled in by :func:`not_trained` of ``records``;
    ``columns``: the raw names of the table columns that flag a run."""
    shown = [f"`{header(name)}`" for name in columns]
    flagged = " or ".join(filter(None, [", ".join(shown[:-1]), shown[-1]]))
    return Prose(not_trained(records), counted=counted, columns=flagged).text(
        HEALTH_BULLET
    )


def evidence_flags(records: Sequence[RunRecord]) -> dict[str, int]:
    """What weakens the evidence of ``records``, as a
    :class:`~srcore.chapters.verdicts.Claim` takes it (``unhealthy``, ``dirty``,
    ``unchecked`` counts)."""
    counts = not_trained(records)
    return {
        "unhealthy": counts["not_trained"],
        "dirty": sum(bool(r.provenance.get("dirty")) for r in records),
        "unchecked": counts["unchecked"],
    }


def mean_scores(rows: Sequence[Mapping[str, Any]] | pd.DataFrame) -> dict[str, Any]:
    """``n_images``, the means of psnr, ssim, psnr_bicubic, ssim_bicubic over
    per-image rows, and ``gain_db``, the mean per-image PSNR gain over bicubic.

    Example:
        >>> m = mean_scores([{"psnr": 30.0, "psnr_bicubic": 28.0, "ssim": 0.9,
        ...                   "ssim_bicubic": 0.8}] * 2)
        >>> m["n_images"], m["gain_db"]
        (2, 2.0)
    """
    f = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    return {
        "n_images": len(f),
        "psnr": float(f.psnr.mean()),
        "ssim": float(f.ssim.mean()),
        "psnr_bicubic": float(f.psnr_bicubic.mean()),
        "ssim_bicubic": float(f.ssim_bicubic.mean()),
        "gain_db": float((f.psnr - f.psnr_bicubic).mean()),
    }


def crop_views(
    records: Sequence[RunRecord],
    item: str,
    pair: tuple[torch.Tensor, torch.Tensor] | None = None,
    *,
    labels: Sequence[str] | None = None,
    data_root: Any = None,
    results: Any = None,
) -> dict[str, torch.Tensor]:
    """The panels of one crop figure of ``item`` (``"BSD100/102061"``), central crops
    (:func:`srcore.protocol.crop_center`): bicubic of the LR, each record's saved
    output under ``labels`` (default :func:`label`), HR. ``pair`` defaults to the
    protocol's test pair at the first record's scale and degradation."""
    ds, image = item.split("/", 1)
    if pair is None:
        c = records[0].config
        degradation = c.get("degradation", "bicubic")
        pair = test_pair(ds, image, c["scale"], degradation, data_root)
    lr_img, hr = pair
    scale = hr.shape[-1] // lr_img.shape[-1]
    grey = hr.shape[1] == 1
    names = labels or [label(r) for r in records]
    views = {"bicubic": bicubic.upscale(lr_img, scale)}
    for rec, name in zip(records, names, strict=True):
        path = record_crop(rec, item, results)
        views[name] = load_image(path, keep_grey=grey)
    views["HR"] = hr
    return {k: crop_center(v) for k, v in views.items()}


def versus(diff: float, bound: float) -> str:
    """``"above"`` if ``diff > bound``, ``"below"`` if ``diff < -bound``, else
    ``"level with"``: the word a chapter's prose puts between two methods.

    Example:
        >>> versus(0.3, 0.1), versus(0.05, 0.1)
        ('above', 'level with')
    """
    if diff > bound:
        return "above"
    return "below" if diff < -bound else "level with"
