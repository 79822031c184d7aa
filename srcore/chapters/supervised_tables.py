"""Tables of supervised records: labels, mean scores beside bicubic, training cost."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from srcore.runs.results import RunRecord, crop_file

__all__ = ["label", "summary", "efficiency", "crop_path"]


def label(record: RunRecord) -> str:
    """Display name: ``SRCNN``, ``SRResNet``, ``SRGAN-MSE`` or ``SRGAN-VGG54``."""
    name = record.config["method"]
    if name == "srgan":
        return f"SRGAN-{record.config['model']['content_loss'].upper()}"
    names = {"srcnn": "SRCNN", "vdsr": "VDSR", "srresnet": "SRResNet"}
    return names.get(name, "LapSRN")


def summary(records: Sequence[RunRecord]) -> Any:
    """Mean scores per method, dataset and scale, beside bicubic on the same images.

    Columns: method, dataset, scale, n_images, psnr, ssim, psnr_bicubic,
    ssim_bicubic, gain_db, hf_energy, hf_energy_bicubic, hf_energy_hr, lpips
    (NaN where LPIPS could not run), infer_s (seconds per image).
    """
    import pandas as pd

    rows = []
    for rec in records:
        frame = pd.DataFrame([r for r in rec.per_image if r["image"] != "train"])
        for ds, group in frame.groupby("dataset", sort=False):
            rows.append(
                {
                    "method": label(rec),
                    "dataset": ds,
                    "scale": rec.config["scale"],
                    "n_images": len(group),
                    "psnr": group.psnr.mean(),
                    "ssim": group.ssim.mean(),
                    "psnr_bicubic": group.psnr_bicubic.mean(),
                    "ssim_bicubic": group.ssim_bicubic.mean(),
                    "gain_db": (group.psnr - group.psnr_bicubic).mean(),
                    "hf_energy": group.hf_energy.mean(),
                    "hf_energy_bicubic": group.hf_energy_bicubic.mean(),
                    "hf_energy_hr": group.hf_energy_hr.mean(),
                    "lpips": pd.to_numeric(group.lpips, errors="coerce").mean(),
                    "infer_s": group.seconds.mean(),
                }
            )
    return pd.DataFrame(rows)


def efficiency(records: Sequence[RunRecord]) -> Any:
    """Training cost and size per run: parameters, s/step, training minutes, device."""
    import pandas as pd

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


def crop_path(record: RunRecord, dataset: str, image: str, results: Any = None) -> Path:
    """Where :func:`run` saved the output crop of the first image of ``dataset``."""
    return crop_file(record.config["method"], record.key, f"{dataset}/{image}", results)
