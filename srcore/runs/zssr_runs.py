"""Cached ZSSR and Online-SR runs on the benchmark sets: one record row per image,
with the PSNR trace against iterations (for figures only: ZSSR never sees the HR).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import cache, partial
from typing import Any

import torch
from torch import nn

from srcore import data, protocol
from srcore.health import health
from srcore.imageops import save_png
from srcore.methods.osr import pretrain_external
from srcore.methods.vdsr import VDSR
from srcore.methods.zssr import (
    PRESETS,
    PROFILES,
    ZSSRConfig,
    ZSSRResult,
    zssr,
    zssr_many,
)
from srcore.profiles import config_dict, resolve_device, resolve_profile
from srcore.runs import supervised
from srcore.runs.context import DEFAULT_CONTEXT, RunContext
from srcore.runs.kernel_runs import estimated_kernel as estimated_kernel_of
from srcore.runs.kernel_runs import estimated_kernels, image_pair
from srcore.runs.results import RunRecord, crop_file, record_for, results_root, run_key

#: Named variants: overrides on top of the profile (see ``zssr.PRESETS``).
VARIANTS: dict[str, dict[str, Any]] = {
    "zssr": {},
    "zssr_mse": {"loss": "mse"},
    "zssr_dog": {"loss": "dog"},
    "zssr_star": PRESETS["zssr_star"],
    "pixelshuffle": PRESETS["pixelshuffle"],
}
TRACE_EVERY = 50


def zssr_config(
    variant: str, profile: str, *, true_kernel: bool = False, **overrides: Any
) -> ZSSRConfig:
    """The :class:`ZSSRConfig` of a variant and profile (+ the given-kernel preset)."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {list(VARIANTS)}, got {variant!r}")
    extra = {**VARIANTS[variant], **(PRESETS["given_kernel"] if true_kernel else {})}
    return resolve_profile(ZSSRConfig(), PROFILES, profile, **{**extra, **overrides})


def zssr_row(
    res: ZSSRResult, hr: torch.Tensor, lr_img: torch.Tensor, scale: int
) -> dict[str, Any]:
    """A record row of one ZSSR image: its scores, optimisation, health and traces."""
    first = res.rec_mse[0] if res.rec_mse else res.rec_interp
    kept = ("rec_iters", "rec_mse", "iterations", "final_lr", "lr_changes")
    kept += ("trace_iters", "trace_psnr", "seconds", "seconds_per_iter")
    return {
        **protocol.score_row(res.sr, hr, lr_img, scale),
        "health": health(res.rec_final, res.rec_interp, first),
        **{k: getattr(res, k) for k in kept},
    }


def _zssr_options(ctx: RunContext) -> dict[str, Any]:
    """ZSSR's device and progress bar in a run, the PSNR traced every TRACE_EVERY."""
    device = resolve_device(ctx.device)
    return {"device": device, "progress": ctx.progress, "trace_every": TRACE_EVERY}


#: The VDSR backbone: RGB VDSR trained on BSD200 (no BSD100 test image) at the run's
#: one scale, scored on Set5 only.
VDSR_BACKBONE: dict[str, Any] = {"channels": 3, "train_sets": ("BSD200",)}
VDSR_EVAL_SETS = (("Set5", None),)


def pretrained_vdsr(
    scale: int, ctx: RunContext = DEFAULT_CONTEXT, *, retrain: bool = False
) -> RunRecord:
    """The record of :data:`VDSR_BACKBONE` at ``scale``, trained when missing
    ("force" becomes "auto"; ``retrain``: trained again)."""
    mode = "force" if retrain else "read" if ctx.mode == "read" else None
    return supervised.run(
        "vdsr",
        scale,
        ctx.replace(mode=mode),
        eval_sets=VDSR_EVAL_SETS,
        scales=(scale,),
        **VDSR_BACKBONE,
    )


def vdsr_backbone(
    record: RunRecord, ctx: RunContext = DEFAULT_CONTEXT
) -> tuple[Callable[[], nn.Module], dict[str, torch.Tensor]]:
    """A VDSR factory and the weights of a :func:`pretrained_vdsr` record (retrained
    when not in this machine's cache)."""
    try:
        net = supervised.load_weights(record, "vdsr")
    except FileNotFoundError:
        pretrained_vdsr(record.config["scale"], ctx, retrain=True)
        net = supervised.load_weights(record, "vdsr")
    m = record.config["model"]
    return partial(VDSR, m["channels"], m["depth"], m["features"]), net.state_dict()


def zssr_run(
    dataset: str,
    scale: int,
    ctx: RunContext = DEFAULT_CONTEXT,
    *,
    variant: str = "zssr",
    seed: int = 0,
    degradation: str = "bicubic",
    true_kernel: bool = False,
    estimated_kernel: bool = False,
    limit: int | None = None,
    backbone: str | None = None,
    kernels: RunRecord | None = None,
    vdsr: RunRecord | None = None,
    **overrides: Any,
) -> RunRecord:
    """ZSSR ``variant`` on the first ``limit`` images of ``dataset`` at ``scale``.

    ``degradation`` makes the LR (:func:`srcore.runs.kernel_runs.image_pair`);
    ZSSR is given the true kernel (``true_kernel``), KernelGAN's estimate
    (``kernels``, a :func:`srcore.runs.kernel_runs.kernelgan_run` record), or assumes
    bicubic. ``vdsr`` (a :func:`pretrained_vdsr` record) replaces ZSSR's network by
    that VDSR, fine-tuned. ``estimated_kernel=True`` and ``backbone="vdsr"`` make
    those pre-runs here. Image k uses seed ``seed + k``.
    """
    if (true_kernel or estimated_kernel or kernels) and degradation == "bicubic":
        raise ValueError(
            "true_kernel/estimated_kernel need a kernel degradation ('random_kernel')"
        )
    if true_kernel and (estimated_kernel or kernels):
        raise ValueError("true_kernel and estimated_kernel exclude each other")
    if backbone not in (None, "vdsr"):
        raise ValueError(f"backbone must be None or 'vdsr', got {backbone!r}")
    if estimated_kernel:
        kernels = estimated_kernels(dataset, scale, ctx, limit=limit, seed=seed)
    if backbone == "vdsr":
        vdsr = pretrained_vdsr(scale, ctx)
    profile, data_root = ctx.profile, ctx.data_root
    results = results_root(ctx.results, profile)
    given = true_kernel or kernels is not None
    cfg = zssr_config(variant, profile, true_kernel=given, seed=seed, **overrides)
    config = {
        "method": "zssr",
        "variant": variant,
        "model": config_dict(cfg),
        "scale": int(scale),
        "profile": profile,
        "dataset": dataset,
        "limit": limit,
        "degradation": degradation,
        "true_kernel": true_kernel,
        "backbone": None if vdsr is None else {"name": "vdsr", "record": vdsr.key},
        "scoring": protocol.SCORING,
    }
    if kernels is not None:
        config["kernel_estimate"] = {"method": "kernelgan", "record": kernels.key}
    key = run_key("zssr", config)
    # lazy: a complete record needs neither the dataset nor the weights
    items = cache(partial(protocol.test_items, [(dataset, limit)], scale, data_root))
    weights = cache(partial(vdsr_backbone, vdsr, ctx))

    def inputs(item: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """The item's LR, HR, and the kernel ZSSR is given (or None)."""
        lr_img, hr = image_pair(item, scale, degradation, profile, data_root)
        kernel = None if kernels is None else estimated_kernel_of(kernels, item)
        if true_kernel:
            kernel = protocol.test_kernel(*item.split("/", 1), scale, data_root)
        return lr_img, hr, kernel

    def row(item: str, lr_img, hr, res: ZSSRResult) -> dict[str, Any]:
        if items().index(item) == 0:
            crop = protocol.crop_center(res.sr)
            save_png(crop, crop_file("zssr", key, item, results))
        return {**zssr_row(res, hr, lr_img, scale), "dataset": item.split("/")[0]}

    def compute(item: str) -> dict[str, Any]:
        lr_img, hr, kernel = inputs(item)
        factory, init = weights() if vdsr is not None else (None, None)
        image_cfg = dataclasses.replace(cfg, seed=cfg.seed + items().index(item))
        res = zssr(
            lr_img,
            scale,
            image_cfg,
            kernel=kernel,
            hr=hr,
            backbone=factory,
            init_state=init,
            **_zssr_options(ctx),
        )
        return row(item, lr_img, hr, res)

    def compute_many(chunk: list[str]) -> list[dict[str, Any]]:
        """The chunk's images in one zssr_many call (image k keeps seed + k)."""
        lrs, hrs, ks = zip(*(inputs(i) for i in chunk), strict=True)
        first = items().index(chunk[0])
        many = zssr_many(
            lrs,
            scale,
            dataclasses.replace(cfg, seed=cfg.seed + first),
            kernels=ks,
            hrs=hrs,
            **_zssr_options(ctx),
        )
        rows = [row(*args) for args in zip(chunk, lrs, hrs, many, strict=True)]
        for r, res in zip(rows, many, strict=True):
            r["seconds"] = res.seconds / len(chunk)  # the batch's, shared
        return rows

    return record_for(
        "zssr",
        config,
        items,
        compute,
        ctx,
        device=resolve_device(ctx.device),
        compute_many=compute_many if vdsr is None else None,
    )


#: External pretraining (OSR over the first T91 images, as online SR did): images
#: and steps per image per profile (``None``: the profile's per-image budget).
EXTERNAL: dict[str, dict[str, Any]] = {
    "smoke": {"images": 2, "steps": 4},
    "quick": {"images": 8, "steps": 100},
    "paper": {"images": 30, "steps": None},
}


def external_weights(
    dataset: str,
    scale: int,
    cfg: ZSSRConfig,
    ctx: RunContext = DEFAULT_CONTEXT,
) -> dict[str, torch.Tensor]:
    """ZSSR trained online over the first images of ``dataset``
    (:func:`srcore.methods.osr.pretrain_external`), cached by
    :func:`external_settings` under ``<cache>/weights/osr-ext``."""
    settings = external_settings(dataset, cfg, ctx.profile)
    name = run_key("osr-ext", {**settings, "model": config_dict(cfg)})
    path = supervised.cache_dir() / "weights" / "osr-ext" / f"{name}.pt"
    if path.exists():
        return torch.load(path, weights_only=True)
    images = data.iter_images(
        dataset, scale, root=ctx.data_root, limit=settings["images"]
    )
    state = pretrain_external(
        [hr for _, hr in images],
        scale,
        cfg,
        settings["steps"],
        device=resolve_device(ctx.device),
        progress=ctx.progress,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, path)
    return state


def osr_run(
    dataset: str,
    scale: int,
    ctx: RunContext = DEFAULT_CONTEXT,
    *,
    transfer: bool,
    limit: int,
    external: str | None = None,
    adapt: bool = True,
    variant: str = "zssr",
    seed: int = 0,
    **overrides: Any,
) -> RunRecord:
    """ZSSR over a stream of ``limit`` images in one of online SR's modes.

    Image k starts from random weights (ZSSR), image k-1's final weights
    (``transfer``: ZSSR/online), or the :func:`external_weights` of ``external``
    (ZSSR/ext/ftune; ``adapt=False``, no training: ZSSR/ext; with ``transfer``, image 0
    only: ZSSR/ext/online). Image k uses seed ``seed + k`` in every mode.
    """
    if not adapt and (external is None or transfer):
        raise ValueError(
            "adapt=False (no training) needs external weights, no transfer"
        )
    profile, data_root = ctx.profile, ctx.data_root
    results = results_root(ctx.results, profile)
    cfg = zssr_config(variant, profile, seed=seed, **overrides)
    config: dict[str, Any] = {
        "method": "osr",
        "transfer": transfer,
        "model": config_dict(cfg),
        "scale": int(scale),
        "profile": profile,
        "dataset": dataset,
        "limit": limit,
        "variant": variant,
        "external": None
        if external is None
        else external_settings(external, cfg, profile),
        "adapt": adapt,
        "scoring": protocol.SCORING,
    }
    dev = resolve_device(ctx.device)
    key = run_key("osr", config)
    weights = supervised.cache_dir() / "weights" / "osr" / key
    names = cache(partial(protocol.test_items, [(dataset, limit)], scale, data_root))
    run_cfg = cfg if adapt else dataclasses.replace(cfg, max_iters=0)
    pretrained: list[dict[str, torch.Tensor]] = []  # loaded (or trained) on first use

    def start_weights(k: int) -> dict[str, torch.Tensor] | None:
        if transfer and k > 0:
            return torch.load(weights / f"{k - 1}.pt", weights_only=True)
        if external is None:
            return None
        if not pretrained:
            pretrained.append(external_weights(external, scale, cfg, ctx))
        return pretrained[0]

    def compute(item: str) -> dict[str, Any]:
        k = names().index(item)
        start = start_weights(k)
        ds, image = item.split("/", 1)
        lr_img, hr = protocol.test_pair(ds, image, scale, "bicubic", data_root)
        image_cfg = dataclasses.replace(run_cfg, seed=cfg.seed + k)
        res = zssr(
            lr_img, scale, image_cfg, hr=hr, init_state=start, **_zssr_options(ctx)
        )
        weights.mkdir(parents=True, exist_ok=True)
        torch.save(res.state, weights / f"{k}.pt")
        save_png(protocol.crop_center(res.sr), crop_file("osr", key, item, results))
        return {**zssr_row(res, hr, lr_img, scale), "dataset": ds, "position": k}

    return record_for("osr", config, names, compute, ctx, device=dev)


def external_settings(dataset: str, cfg: ZSSRConfig, profile: str) -> dict[str, Any]:
    """What the external weights are trained on (part of a stream's key)."""
    spec = EXTERNAL[profile]
    steps = spec["steps"] if spec["steps"] is not None else cfg.max_iters
    return {"dataset": dataset, "images": spec["images"], "steps": steps}
