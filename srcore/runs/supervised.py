"""Supervised runs: train a network on patches, score it on the benchmarks, cache both.

One record per model config, items ``["train", "Set5/baby", ...]``; weights and
checkpoints live in :func:`cache_dir`, never in git.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

import torch
from torch import nn

from srcore.health import health
from srcore.imageops import save_png
from srcore.methods import bicubic
from srcore.metrics import LPIPSUnavailable, high_frequency_energy, lpips_distance
from srcore.profiles import config_dict, resolve_device
from srcore.protocol import (
    DEGRADATIONS,
    EVAL_SETS,
    RANDOM_KERNEL_EVAL_SETS,
    SCORING,
    crop_center,
    score_row,
    test_items,
    test_pair,
)
from srcore.runs.context import DEFAULT_CONTEXT, RunContext
from srcore.runs.results import (
    BudgetExhausted,
    RunRecord,
    crop_file,
    record_for,
    results_root,
    run_key,
)
from srcore.training.loop import TrainingPaused, count_parameters
from srcore.training.models import SPECS, config_from_json, model_config, stopping_rule
from srcore.training.supervised import fit, super_resolve

#: Test images whose output crop a record keeps besides each set's first image.
FIGURE_ITEMS = ("Set5/butterfly",)


def cache_dir() -> Path:
    """Where weights and checkpoints go: ``$SRCORE_CACHE`` or ``~/.cache/srcore``."""
    env = os.environ.get("SRCORE_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "srcore"


def load_weights(record: RunRecord, name: str) -> nn.Module:
    """The trained network of a record, from the cache (FileNotFoundError if not)."""
    path = cache_dir() / "weights" / name / f"{record.key}.pt"
    if not path.exists():
        raise FileNotFoundError(
            f"weights of {record.key} are not in the cache ({path}); re-run "
            "`srcore.runs.supervised.run` with results mode 'force' to train them "
            "again"
        )
    cfg = config_from_json(name, record.config["model"])
    model = SPECS[name].build(cfg, record.config["scale"])
    model.load_state_dict(torch.load(path, weights_only=True))
    return model.eval()


def _lpips_or_none(sr: torch.Tensor, hr: torch.Tensor, shave: int) -> float | None:
    try:
        return float(lpips_distance(sr, hr, shave=shave))
    except LPIPSUnavailable:
        return None


def run(
    name: str,
    scale: int,
    ctx: RunContext = DEFAULT_CONTEXT,
    *,
    seed: int = 0,
    degradation: str = "bicubic",
    fault: str | None = None,
    eval_sets: Sequence[tuple[str, int | None]] | None = None,
    **overrides: Any,
) -> RunRecord:
    """Train (or load) method ``name`` at ``scale`` and score it on the eval sets.

    ``seed`` seeds the initial weights and the patch stream; ``degradation``,
    ``fault`` and ``eval_sets`` ((set, first n or None) pairs) as
    :func:`srcore.training.supervised.fit` and :func:`run_config`; ``overrides`` are
    fields of the method's config. SRGAN starts from the SRResNet record its
    ``init_from`` names, loaded or made (``mode="force"`` retrains SRGAN only).
    """
    settings = RunSettings(seed, degradation, fault, eval_sets)
    spec = SPECS[name]
    cfg = model_config(name, ctx.profile, scale, seed=settings.seed, **overrides)
    config = run_config(name, scale, ctx.profile, settings, cfg)
    eval_sets = [tuple(e) for e in config["eval_sets"]]
    results = results_root(ctx.results, ctx.profile)
    dev = resolve_device(ctx.device)
    key = run_key(name, config)  # the record's key, as load_or_run computes it
    ckpt = cache_dir() / "weights" / name / key
    weights, hist_path = ckpt.with_suffix(".pt"), ckpt.with_suffix(".history.json")
    state: dict[str, Any] = {}
    items = cache(lambda: ["train", *test_items(eval_sets, scale, ctx.data_root)])

    def model() -> nn.Module:
        if "model" not in state:
            net = spec.build(cfg, scale)
            net.load_state_dict(torch.load(weights, weights_only=True))
            state["model"] = net.to(dev).eval()
        return state["model"]

    def srresnet_weights(cfg: Any) -> dict[str, torch.Tensor]:
        keep = ctx.replace(mode=None if ctx.mode == "force" else ctx.mode)
        profile = cfg.init_from.split(":", 1)[1]
        base = run("srresnet", scale, keep.replace(profile=profile))
        return load_weights(base, "srresnet").state_dict()

    def train_item() -> dict[str, Any]:
        try:
            net, history = fit(
                name,
                cfg,
                scale,
                data_root=ctx.data_root,
                ckpt_dir=ckpt,
                device=str(dev),
                progress=ctx.progress,
                smoke=ctx.profile == "smoke",
                degradation=degradation,
                fault=settings.fault,
                init=srresnet_weights(cfg) if name == "srgan" else None,
                deadline=ctx.deadline,
                stopping=stopping_rule(name, ctx.profile),
            )
        except TrainingPaused as paused:  # a long run spans sessions (the queue)
            raise BudgetExhausted(f"{name} {key}: {paused}") from paused
        weights.parent.mkdir(parents=True, exist_ok=True)
        torch.save(net.state_dict(), weights)
        hist_path.write_text(
            json.dumps({**history.to_dict(), **getattr(history, "gan", {})})
        )
        state["model"] = net.to(dev).eval()
        return {
            "health": training_health(history),
            "precision": history.precision,
            "seconds": history.total_seconds,
            "seconds_per_step": history.seconds_per_step,
            "steps": history.steps_done,
            "stopped": history.stopped,
            "params": count_parameters(net),
            "device": history.device,
        }

    def compute(item: str) -> dict[str, Any]:
        if item == "train":
            return train_item()
        ds, image = item.split("/", 1)
        lr_img, hr = test_pair(ds, image, scale, degradation, ctx.data_root)
        net = model()
        t0 = time.perf_counter()
        with torch.no_grad():
            sr = super_resolve(net, spec, lr_img, scale).cpu()
        seconds = time.perf_counter() - t0
        first = item == next(i for i in items() if i.startswith(f"{ds}/"))
        if first or item in FIGURE_ITEMS:
            save_png(crop_center(sr), crop_file(name, key, item, results))
        bic = bicubic.upscale(lr_img, scale)
        return {
            **score_row(sr, hr, lr_img, scale),
            "hf_energy": float(high_frequency_energy(sr)),
            "lpips": _lpips_or_none(sr, hr, scale),
            "seconds": seconds,
            "dataset": ds,
            # the same image's bicubic and HR figures, for paired comparisons
            "hf_energy_bicubic": float(high_frequency_energy(bic)),
            "hf_energy_hr": float(high_frequency_energy(hr)),
        }

    def finalize(rows: list[dict[str, Any]]) -> dict[str, Any]:
        history = json.loads(hist_path.read_text()) if hist_path.exists() else {}
        return {"history": history, "params": count_parameters(spec.build(cfg, scale))}

    return record_for(name, config, items, compute, ctx, device=dev, finalize=finalize)


@dataclass(frozen=True)
class RunSettings:
    """What a supervised run computes beyond the model config (see :func:`run`)."""

    seed: int
    degradation: str
    fault: str | None
    eval_sets: Sequence[tuple[str, int | None]] | None


def run_config(
    name: str, scale: int, profile: str, settings: RunSettings, cfg: Any
) -> dict[str, Any]:
    """The config a supervised record is keyed by: every setting, always stated."""
    if settings.degradation not in DEGRADATIONS:
        raise ValueError(f"degradation must be one of {DEGRADATIONS}")
    eval_sets = settings.eval_sets
    if eval_sets is None:
        by_profile = (
            EVAL_SETS if settings.degradation == "bicubic" else RANDOM_KERNEL_EVAL_SETS
        )
        eval_sets = by_profile[profile]
    rule = stopping_rule(name, profile)
    return {
        "method": name,
        "model": config_dict(cfg),
        "scale": int(scale),
        "profile": profile,
        "eval_sets": [list(e) for e in eval_sets],
        "degradation": settings.degradation,
        "fault": settings.fault,
        "scoring": SCORING,
        # only where a rule ends the run (paper), so earlier records keep their keys
        **({"stopping": asdict(rule)} if rule else {}),
    }


def training_health(history: Any) -> dict[str, Any] | None:
    """The :mod:`srcore.health` entry of a training history (SRGAN: of its content
    loss), None without held-out losses."""
    if history.interp_loss is None or history.heldout_loss is None:
        return None
    gan = getattr(history, "gan", {})
    curve = gan["content"] if gan.get("content") else history.loss
    return health(history.heldout_loss, history.interp_loss, curve[0])
