"""Report 003's chapter: LapSRN's level weights and DIP with MSE vs Charbonnier, x4.

The report compared bicubic, LapSRN with pyramid-loss weights ``(w1, w2)`` in
``{(1, 1), (2, 1), (1, 2)}`` and Deep Image Prior (DIP) with the MSE and the
Charbonnier data term on 10 BSD100 test images at x4. Here:

* LapSRN: :func:`srcore.runs.supervised.run` trains one network per weighting and scores
  it on the full benchmark sets; :func:`lapsrn_on_crops` also scores it on DIP's crops.
* DIP: :func:`dip_run` optimises one network per (image, seed) for each loss, on the
  same images and seeds for both losses, and keeps each run's PSNR-vs-step trace.
  ``quick`` uses fixed centre crops (:data:`DIP_EVAL`): DIP costs ~0.1 s per step for
  a 64x64 output on two CPU cores and ~1.8 s at 256x256.

Nothing in the notebook optimises: it calls these functions, which go through
:func:`srcore.runs.results.load_or_run` (cached, resumable records).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import torch

from srcore import data
from srcore.chapters import supervised_tables
from srcore.chapters.literature import REPORT_003
from srcore.imageops import load_image, save_png
from srcore.methods import bicubic, dip
from srcore.metrics import psnr, ssim
from srcore.profiles import config_dict, resolve_device, resolve_profile
from srcore.runs import supervised
from srcore.runs.benchmark import make_lr
from srcore.runs.results import RunRecord, crop_file, load_or_run, run_key

__all__ = [
    "DIP_EVAL",
    "WEIGHTINGS",
    "crop_pair",
    "dip_run",
    "lapsrn_runs",
    "lapsrn_on_crops",
    "crops_table",
    "full_table",
    "report_table",
    "dip_curves",
    "final_gains",
    "label",
    "crop_views",
    "conclusions",
]

SCALE = 4  # the report works at x4 only
#: Report 003's LapSRN loss weights (w1 on the x2 level, w2 on the x4 level).
WEIGHTINGS: tuple[tuple[float, float], ...] = ((1.0, 1.0), (2.0, 1.0), (1.0, 2.0))
#: DIP's test images per profile: the first ``images`` of ``dataset``, each cut to a
#: centred ``crop`` square (None: the whole image cropped to a multiple of 32, as the
#: DIP code does), optimised once per seed.
DIP_EVAL: dict[str, dict[str, Any]] = {
    "smoke": {"dataset": "BSD100", "images": 1, "crop": 64, "seeds": [0]},
    "quick": {"dataset": "BSD100", "images": 10, "crop": 64, "seeds": [0]},
    "paper": {"dataset": "BSD100", "images": 100, "crop": None, "seeds": [0, 1]},
}
TRACE_EVERY = 25


def _centre(x: torch.Tensor, h: int, w: int) -> torch.Tensor:
    top, left = (x.shape[-2] - h) // 2, (x.shape[-1] - w) // 2
    return x[..., top : top + h, left : left + w]


def crop_pair(
    dataset: str, image: str, crop: int | None, data_root: Any = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(lr, hr)`` of one DIP test image: HR centre-cropped, LR its MATLAB bicubic.

    ``crop=None`` keeps the largest centred multiple of 32 (DIP's network halves the
    size five times). The LR is made from the crop, so every method sees the same
    ``(lr, hr)``.
    """
    hr = data.load_hr(dataset, image, SCALE, root=data_root)
    h, w = hr.shape[-2:]
    ch, cw = (crop, crop) if crop else (h - h % 32, w - w % 32)
    if ch > h or cw > w:
        raise ValueError(f"{dataset}/{image} is {h}x{w}, smaller than crop {crop}")
    hr = _centre(hr, ch, cw)
    return make_lr(hr, SCALE), hr


def _items(profile: str, data_root: Any) -> list[str]:
    spec = DIP_EVAL[profile]
    return supervised.test_items([(spec["dataset"], spec["images"])], SCALE, data_root)


def _scores(sr: torch.Tensor, hr: torch.Tensor, lr_img: torch.Tensor) -> dict:
    bic = bicubic.upscale(lr_img, SCALE)
    return {
        "psnr": float(psnr(sr, hr, shave=SCALE)),
        "ssim": float(ssim(sr, hr, shave=SCALE)),
        "psnr_bicubic": float(psnr(bic, hr, shave=SCALE)),
        "ssim_bicubic": float(ssim(bic, hr, shave=SCALE)),
    }


N_SAVED = 3  # outputs saved as PNG per record (first images), for the figures


def dip_run(
    loss: str,
    *,
    profile: str = "quick",
    data_root: Any = None,
    results: Any = None,
    mode: str | None = None,
    device: str = "auto",
    progress: bool = True,
    **overrides: Any,
) -> RunRecord:
    """DIP with ``loss`` ("mse" or "charbonnier") on :data:`DIP_EVAL` ``[profile]``.

    One item per ``image@seed``; each row holds the final PSNR/SSIM (Y, shave 4),
    bicubic on the same crop, the PSNR trace every :data:`TRACE_EVERY` steps (from
    the HR, for the figure only: the run always stops at ``config.steps``) and the
    timings. Both losses use the same images, seeds (network init, input noise and
    perturbations all follow the seed) and step count.
    """
    cfg = resolve_profile(
        dip.DIPConfig(), dip.PROFILES, profile, loss=loss, **overrides
    )
    spec = DIP_EVAL[profile]
    config = {
        "method": "dip",
        "model": config_dict(cfg),
        "scale": SCALE,
        "profile": profile,
        "eval": spec,
        "protocol": "matlab-bicubic LR of the crop, 8-bit, Y, shave=scale",
    }
    dev = resolve_device(device)

    names: list[str] = []  # the test images, listed (and verified) once per run

    def items() -> list[str]:
        names[:] = names or _items(profile, data_root)
        return [f"{i}@{s}" for i in names for s in spec["seeds"]]

    def compute(item: str) -> dict[str, Any]:
        name, seed = item.rsplit("@", 1)
        ds, image = name.split("/", 1)
        lr_img, hr = crop_pair(ds, image, spec["crop"], data_root)
        res = dip.optimize(
            lr_img,
            SCALE,
            replace(cfg, seed=cfg.seed + int(seed)),
            hr=hr,
            trace_every=TRACE_EVERY,
            device=dev,
            progress=progress,
        )
        if int(seed) == spec["seeds"][0] and name in names[:N_SAVED]:
            save_png(res.sr, crop_file("dip", run_key("dip", config), name, results))
        return {
            **_scores(res.sr, hr, lr_img),
            "dataset": ds,
            "seed": int(seed),
            "trace_steps": res.trace_steps,
            "trace_psnr": res.trace_psnr[0],
            "final_loss": res.loss[-1],
            "seconds": res.seconds,
            "seconds_per_step": res.seconds_per_step,
        }

    return load_or_run(
        "dip",
        config,
        items,
        compute,
        root=results,
        mode=mode,
        device=dev,
        progress=progress,
    )


def lapsrn_runs(profile: str = "quick", **common: Any) -> list[RunRecord]:
    """LapSRN x4, one run per weighting in :data:`WEIGHTINGS`, on the benchmark sets."""
    return [
        supervised.run("lapsrn", SCALE, profile=profile, level_weights=w, **common)
        for w in WEIGHTINGS
    ]


def lapsrn_on_crops(
    run: RunRecord,
    *,
    profile: str = "quick",
    data_root: Any = None,
    results: Any = None,
    mode: str | None = None,
    device: str = "auto",
    progress: bool = True,
) -> RunRecord:
    """A trained LapSRN (from :func:`lapsrn_runs`) scored on DIP's crops.

    Needs the run's weights in the cache; the record it writes is what the book reads.
    """
    spec = DIP_EVAL[profile]
    config = {"method": "lapsrn-crops", "lapsrn": run.key, "eval": spec}
    dev = resolve_device(device)
    state: dict[str, Any] = {}
    names: list[str] = []  # the test images, listed (and verified) once per run

    def items() -> list[str]:
        names[:] = names or _items(profile, data_root)
        return names

    def compute(item: str) -> dict[str, Any]:
        if "net" not in state:
            state["net"] = supervised.load_weights(run, "lapsrn").to(dev)
        ds, image = item.split("/", 1)
        lr_img, hr = crop_pair(ds, image, spec["crop"], data_root)
        with torch.no_grad():
            sr = supervised.super_resolve(
                state["net"], supervised.SPECS["lapsrn"], lr_img, SCALE
            ).cpu()
        if item in names[:N_SAVED]:
            save_png(
                sr,
                crop_file(
                    "lapsrn-crops", run_key("lapsrn-crops", config), item, results
                ),
            )
        return {**_scores(sr, hr, lr_img), "dataset": ds}

    return load_or_run(
        "lapsrn-crops",
        config,
        items,
        compute,
        root=results,
        mode=mode,
        device=dev,
        progress=progress,
    )


def label(record: RunRecord) -> str:
    """'LapSRN w1=2, w2=1' for a LapSRN run record."""
    return _weights(record)


def _weights(record: RunRecord) -> str:
    """'LapSRN w1=2, w2=1' for a LapSRN run record."""
    w = record.config["model"]["level_weights"] or (1, 1)
    return f"LapSRN w1={w[0]:g}, w2={w[1]:g}"


def _mean_row(method: str, rows: Sequence[dict]) -> dict[str, Any]:
    frame = pd.DataFrame(rows)
    return {
        "method": method,
        "n": len(frame),
        "psnr": frame.psnr.mean(),
        "ssim": frame.ssim.mean(),
        "gain_db": (frame.psnr - frame.psnr_bicubic).mean(),
    }


def crops_table(
    dip_records: Sequence[RunRecord],
    lapsrn_crop_records: Sequence[RunRecord],
    lapsrn_records: Sequence[RunRecord],
) -> pd.DataFrame:
    """Our table on DIP's images: bicubic, LapSRN per weighting, DIP per loss.

    ``lapsrn_crop_records[i]`` belongs to ``lapsrn_records[i]``. ``gain_db`` is the
    mean per-image gain over bicubic on the same crops.
    """
    base = dip_records[0].per_image
    bic = pd.DataFrame(base)
    rows = [
        {
            "method": "Bicubic",
            "n": bic.image.str.split("@").str[0].nunique(),
            "psnr": bic.psnr_bicubic.mean(),
            "ssim": bic.ssim_bicubic.mean(),
            "gain_db": 0.0,
        }
    ]
    for crop_rec, run in zip(lapsrn_crop_records, lapsrn_records, strict=True):
        rows.append(_mean_row(_weights(run), crop_rec.per_image))
    for rec in dip_records:
        loss = rec.config["model"]["loss"]
        label = "DIP with " + ("MSE" if loss == "mse" else "Charbonnier")
        rows.append(_mean_row(label, rec.per_image))
    return pd.DataFrame(rows)


def full_table(lapsrn_records: Sequence[RunRecord]) -> pd.DataFrame:
    """LapSRN per weighting on whole benchmark images (Set5, BSD100, ...) x4."""
    parts = []
    for rec in lapsrn_records:
        part = supervised_tables.summary([rec])
        part["method"] = _weights(rec)
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    return table[["method", "dataset", "n_images", "psnr", "psnr_bicubic", "gain_db"]]


def report_table() -> pd.DataFrame:
    """Report 003's Table 1 (10 BSD100 images, x4), with gains over its bicubic."""
    frame = pd.DataFrame(REPORT_003["table"], columns=["method", "psnr", "ssim"])
    frame["gain_db"] = frame.psnr - frame.psnr.iloc[0]
    return frame


def dip_curves(records: Sequence[RunRecord]) -> pd.DataFrame:
    """Long table of DIP traces: loss, step, mean/std/min/max PSNR over (image, seed),
    and the mean bicubic PSNR of the same crops."""
    rows = []
    for rec in records:
        loss = rec.config["model"]["loss"]
        steps = rec.per_image[0]["trace_steps"]
        traces = np.array([r["trace_psnr"] for r in rec.per_image])  # (runs, T)
        bic = float(np.mean([r["psnr_bicubic"] for r in rec.per_image]))
        for k, step in enumerate(steps):
            col = traces[:, k]
            rows.append(
                {
                    "loss": loss,
                    "step": step,
                    "mean": col.mean(),
                    "std": col.std(),
                    "min": col.min(),
                    "max": col.max(),
                    "bicubic": bic,
                    "runs": len(col),
                }
            )
    return pd.DataFrame(rows)


def final_gains(records: Sequence[RunRecord]) -> pd.DataFrame:
    """Per loss: mean final PSNR, bicubic, the gain, how many runs beat bicubic, and
    the first traced step at which the mean curve passes bicubic."""
    curves = dip_curves(records)
    rows = []
    for rec in records:
        loss = rec.config["model"]["loss"]
        frame = pd.DataFrame(rec.per_image)
        c = curves[curves.loss == loss]
        above = c[c["mean"] > c["bicubic"]]
        rows.append(
            {
                "loss": loss,
                "runs": len(frame),
                "psnr": frame.psnr.mean(),
                "psnr_bicubic": frame.psnr_bicubic.mean(),
                "gain_db": (frame.psnr - frame.psnr_bicubic).mean(),
                "runs_above_bicubic": int((frame.psnr > frame.psnr_bicubic).sum()),
                "first_step_above_bicubic": int(above.step.min())
                if len(above)
                else None,
                "s_per_step": frame.seconds_per_step.mean(),
            }
        )
    return pd.DataFrame(rows)


def crop_views(
    dip_records: Sequence[RunRecord],
    lapsrn_crops: RunRecord,
    *,
    data_root: Any = None,
    results: Any = None,
) -> dict[str, dict[str, torch.Tensor]]:
    """Per saved test crop: bicubic, LapSRN, DIP per loss and HR, all the same size."""
    out = {}
    spec = dip_records[0].config["eval"]
    names = [r["image"].split("@")[0] for r in dip_records[0].per_image]
    for item in list(dict.fromkeys(names))[:N_SAVED]:
        ds, image = item.split("/", 1)
        lr_img, hr = crop_pair(ds, image, spec["crop"], data_root)
        views = {"bicubic": bicubic.upscale(lr_img, SCALE)}
        views["LapSRN"] = load_image(
            crop_file("lapsrn-crops", lapsrn_crops.key, item, results)
        )
        for rec in dip_records:
            loss = rec.config["model"]["loss"]
            views[f"DIP {loss}"] = load_image(crop_file("dip", rec.key, item, results))
        views["HR"] = hr
        out[item] = views
    return out


def conclusions(
    ours: pd.DataFrame,
    dip_records: Sequence[RunRecord],
    lapsrn_records: Sequence[RunRecord],
) -> str:
    """The chapter's closing bullets, computed from the tables and records."""
    gains = final_gains(dip_records).set_index("loss")
    full = full_table(lapsrn_records)
    lines = []
    for ds in ("Set5", "BSD100"):
        rows = full[full.dataset == ds]
        if len(rows):
            spread = rows.psnr.max() - rows.psnr.min()
            lines.append(
                f"* LapSRN ×4 on {ds}: {rows.psnr.min():.2f}-{rows.psnr.max():.2f} dB "
                f"over the three weightings (spread {spread:.2f} dB), bicubic "
                f"{rows.psnr_bicubic.iloc[0]:.2f} dB: every weighting beats bicubic by "
                f"at least {rows.gain_db.min():.2f} dB, and the weighting hardly "
                "matters, as the report found."
            )
    for loss, row in gains.iterrows():
        lines.append(
            f"* DIP with {loss}: {row.psnr:.2f} dB after its last step against "
            f"bicubic {row.psnr_bicubic:.2f} dB on the same crops (mean gain "
            f"{row.gain_db:+.2f} dB; {int(row.runs_above_bicubic)} of {int(row.runs)} "
            "runs above bicubic); its mean curve first passes bicubic at step "
            f"{row.first_step_above_bicubic}."
        )
    if {"mse", "charbonnier"} <= set(gains.index):
        diff = gains.loc["charbonnier", "psnr"] - gains.loc["mse", "psnr"]
        lines.append(
            f"* Charbonnier minus MSE for DIP: {diff:+.2f} dB (the report: +0.83 dB)."
        )
    best = ours.loc[ours.psnr.idxmax()]
    lines.append(
        f"* Best on DIP's crops: {best.method} ({best.psnr:.2f} dB). The report "
        "ranked DIP with Charbonnier first."
    )
    return "\n".join(lines)
