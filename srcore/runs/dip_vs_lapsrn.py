"""DIP and LapSRN at ×4 on the same test crops: the runs behind the DIP chapter
(LapSRN per pyramid-loss weighting, DIP per data term, image and seed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import torch

from srcore import protocol
from srcore.health import health, tail_mean
from srcore.imageops import save_png
from srcore.methods import dip
from srcore.profiles import config_dict, resolve_device, resolve_profile
from srcore.runs import supervised
from srcore.runs.context import RunContext
from srcore.runs.results import (
    RunRecord,
    crop_file,
    provenance,
    record_for,
    results_root,
    run_key,
)
from srcore.training.models import SPECS
from srcore.training.supervised import super_resolve

SCALE = 4  # the comparison is at x4 only
#: The LapSRN loss weightings compared (w1 on the x2 level, w2 on the x4 level).
WEIGHTINGS: tuple[tuple[float, float], ...] = ((1.0, 1.0), (2.0, 1.0), (1.0, 2.0))
#: DIP's test images per profile: the first ``images`` of ``dataset``, each cut to a
#: centred ``crop`` square, optimised once per seed (part of the records' keys).
DIP_EVAL: dict[str, dict[str, Any]] = {
    # one image, a 64x64 HR crop (LR 16x16): checks the pipeline only
    "smoke": {"dataset": "BSD100", "images": 1, "crop": 64, "seeds": [0]},
    # 64x64 crops: whole images take far longer on two CPU cores
    "quick": {"dataset": "BSD100", "images": 10, "crop": 64, "seeds": [0]},
    # the whole set, whole images (a multiple of 32), two seeds for the spread
    "paper": {"dataset": "BSD100", "images": 100, "crop": None, "seeds": [0, 1]},
}
#: DIP at the published setting: the whole Set5 images, one optimisation each.
DIP_SET5: dict[str, Any] = {
    "dataset": "Set5",
    "images": None,
    "crop": None,
    "seeds": [0],
}
TRACE_EVERY = 25  # steps between two points of a DIP record's PSNR trace


def crop_pair(
    dataset: str, image: str, crop: int | None, data_root: Any = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(lr, hr)`` of one DIP test image: HR centre-cropped (``None``: the largest
    multiple of 32, as DIP's network halves the size five times), LR from the crop.
    """
    return protocol.crop_pair(dataset, image, SCALE, crop, data_root, multiple=32)


def _test_images(spec: dict[str, Any], data_root: Any) -> Callable[[], list[str]]:
    """The test images of an eval ``spec``, listed at the first call only."""
    sets = [(spec["dataset"], spec["images"])]
    return cache(lambda: protocol.test_items(sets, SCALE, data_root))


N_SAVED = 3  # outputs saved as PNG per record (first images), for the figures


def dip_run(
    loss: str,
    ctx: RunContext,
    *,
    seed: int = 0,
    eval_spec: dict[str, Any] | None = None,
    **overrides: Any,
) -> RunRecord:
    """DIP with ``loss`` ("mse" or "charbonnier") on :data:`DIP_EVAL` ``[profile]``
    (or ``eval_spec``), one item per ``image@seed`` (``seed`` added to the spec's).

    Each row: scores, the PSNR trace every :data:`TRACE_EVERY` steps (for figures:
    the run always stops at ``config.steps``), the loss trace, health and timings.
    """
    profile, data_root = ctx.profile, ctx.data_root
    results = results_root(ctx.results, profile)
    cfg = resolve_profile(
        dip.DIPConfig(), dip.PROFILES, profile, loss=loss, seed=seed, **overrides
    )
    spec = eval_spec or DIP_EVAL[profile]
    config = {
        "method": "dip",
        "model": config_dict(cfg),
        "scale": SCALE,
        "profile": profile,
        "eval": spec,
        "degradation": "bicubic",
        "scoring": protocol.SCORING,
    }
    dev = resolve_device(ctx.device)
    names = _test_images(spec, data_root)

    def items() -> list[str]:
        return [f"{i}@{s}" for i in names() for s in spec["seeds"]]

    def compute(item: str) -> dict[str, Any]:
        name, seed = item.rsplit("@", 1)
        ds, image = name.split("/", 1)
        lr_img, hr = crop_pair(ds, image, spec["crop"], data_root)
        # an item resumes from its checkpoint on the same machine only
        where = provenance(dev)
        res = dip.optimize(
            lr_img,
            SCALE,
            replace(cfg, seed=cfg.seed + int(seed)),
            hr=hr,
            trace_every=TRACE_EVERY,
            device=dev,
            progress=ctx.progress,
            checkpoint=checkpoint_file(run_key("dip", config), item),
            checkpoint_match={k: where[k] for k in ("hardware", "device", "dirty")},
            checkpoint_note={k: where[k] for k in ("commit", "date")},
        )
        if int(seed) == spec["seeds"][0] and name in names()[:N_SAVED]:
            save_png(res.sr, crop_file("dip", run_key("dip", config), name, results))
        return {
            **protocol.score_row(res.sr, hr, lr_img, SCALE),
            "dataset": ds,
            "seed": int(seed),
            "trace_steps": res.trace_steps,
            "trace_psnr": res.trace_psnr[0],
            "final_loss": res.loss[-1],
            "loss_trace": res.image_loss[0][TRACE_EVERY - 1 :: TRACE_EVERY],
            "health": health(
                tail_mean(res.image_loss[0]), res.interp_loss[0], res.image_loss[0][0]
            ),
            "seconds": res.seconds,
            "seconds_per_step": res.seconds_per_step,
            **({"segments": res.segments} if res.segments else {}),
        }

    return record_for("dip", config, items, compute, ctx, device=dev)


def checkpoint_file(key: str, item: str) -> Path:
    """Where DIP item ``item`` of record ``key`` keeps its checkpoint (the cache).

    Example:
        >>> checkpoint_file("dip-0123", "Set5/baby@0").name
        'dip-0123-Set5_baby@0.pt'
    """
    return supervised.cache_dir() / "checkpoints" / f"{key}-{item.replace('/', '_')}.pt"


def lapsrn_runs(ctx: RunContext, *, seed: int = 0) -> list[RunRecord]:
    """LapSRN x4, one run per weighting in :data:`WEIGHTINGS`, on the benchmark sets."""
    return [
        supervised.run("lapsrn", SCALE, ctx, seed=seed, level_weights=w)
        for w in WEIGHTINGS
    ]


def lapsrn_on_crops(run: RunRecord, ctx: RunContext) -> RunRecord:
    """A trained LapSRN (:func:`lapsrn_runs`, weights in the cache) on DIP's crops."""
    profile, data_root = ctx.profile, ctx.data_root
    results = results_root(ctx.results, profile)
    spec = DIP_EVAL[profile]
    config = {
        "method": "lapsrn-crops",
        "lapsrn": run.key,
        "eval": spec,
        "profile": profile,
        "scoring": protocol.SCORING,
    }
    dev = resolve_device(ctx.device)
    net = cache(lambda: supervised.load_weights(run, "lapsrn").to(dev))
    names = _test_images(spec, data_root)

    def compute(item: str) -> dict[str, Any]:
        ds, image = item.split("/", 1)
        lr_img, hr = crop_pair(ds, image, spec["crop"], data_root)
        with torch.no_grad():
            sr = super_resolve(net(), SPECS["lapsrn"], lr_img, SCALE).cpu()
        if item in names()[:N_SAVED]:
            key = run_key("lapsrn-crops", config)
            save_png(sr, crop_file("lapsrn-crops", key, item, results))
        return {**protocol.score_row(sr, hr, lr_img, SCALE), "dataset": ds}

    return record_for("lapsrn-crops", config, names, compute, ctx, device=dev)
