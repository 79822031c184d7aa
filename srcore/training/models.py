"""The supervised methods as the runs see them: how each is built, fed and configured
(:data:`SPECS`), and their configs with this build's substitutions written in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from torch import nn

from srcore import data
from srcore.methods import lapsrn, srcnn, srresnet, vdsr
from srcore.profiles import resolve_profile

#: Training sets actually used when a paper's own set is not in the registry.
FALLBACK_TRAIN_SETS = ("T91", "BSD200")


@dataclass(frozen=True)
class ModelSpec:
    """How to build, feed and train one supervised method."""

    default: Any  # the paper-default config dataclass
    profiles: dict[str, dict[str, Any]]
    build: Callable[[Any, int], nn.Module]  # (config, scale) -> network
    upsampled_input: bool = False  # fed the bicubic upscale (SRCNN, VDSR), not the LR
    luma_only: bool = False  # trained and run on the Y channel
    bf16_pays: bool = True  # bf16 autocast where the hardware has it (not SRCNN)
    loss: Callable[[Any], Callable] | None = None  # config -> loss_fn; default MSE


def on_luma(spec: ModelSpec, channels: int) -> bool:
    """Whether a model works on Y: ``luma_only`` unless configured for 3 channels.

    Example:
        >>> on_luma(SPECS["vdsr"], 1), on_luma(SPECS["vdsr"], 3)
        (True, False)
    """
    return spec.luma_only and channels == 1


def _build_srcnn(cfg: srcnn.SRCNNConfig, scale: int) -> nn.Module:
    return srcnn.SRCNN(
        cfg.channels, cfg.f1, cfg.f2, cfg.f3, cfg.n1, cfg.n2, init_std=cfg.init_std
    )


def _build_vdsr(cfg: vdsr.VDSRConfig, scale: int) -> nn.Module:
    return vdsr.VDSR(cfg.channels, cfg.depth, cfg.features)


def _build_lapsrn(cfg: lapsrn.LapSRNConfig, scale: int) -> nn.Module:
    return replace(cfg, scale=scale).build()


def _build_srresnet(cfg: Any, scale: int) -> nn.Module:
    """SRResNet, also the SRGAN generator (same fields in both configs)."""
    return srresnet.SRResNet(cfg.channels, cfg.features, cfg.blocks, scale)


SPECS: dict[str, ModelSpec] = {
    # fp32: bf16 is slower for SRCNN's tiny layers (benchmarks/paper_training.py)
    "srcnn": ModelSpec(
        srcnn.SRCNNConfig(), srcnn.PROFILES, _build_srcnn, True, True, bf16_pays=False
    ),
    "vdsr": ModelSpec(vdsr.VDSRConfig(), vdsr.PROFILES, _build_vdsr, True, True),
    "srresnet": ModelSpec(
        srresnet.SRResNetConfig(), srresnet.PROFILES, _build_srresnet
    ),
    "lapsrn": ModelSpec(
        lapsrn.LapSRNConfig(),
        lapsrn.PROFILES,
        _build_lapsrn,
        luma_only=True,
        loss=lambda cfg: cfg.loss,  # Charbonnier at every pyramid level
    ),
    "srgan": ModelSpec(
        srresnet.SRGANConfig(), srresnet.SRGAN_PROFILES, _build_srresnet
    ),
}


@dataclass(frozen=True)
class StoppingRule:
    """How a ``paper``-profile run ends: by its validation curve, not by the paper's
    update count, which no CPU reaches.

    Every ``val_every`` updates the network is scored on the last ``holdout`` images
    of ``val_set``, left out of training (no test image chooses when a run ends). It
    stops at a plateau or after ``max_hours``
    (:func:`srcore.training.loop.stop_reason`), or at the paper's update count.
    """

    val_every: int
    plateau_checks: int
    plateau_db: float
    max_hours: float
    val_set: str = "BSD200"
    holdout: int = 10


#: The stopping rule of each ``paper`` run: ``val_every`` is one validation per 6-9
#: minutes (benchmarks/paper_training.py); the caps are this project's compute (VDSR's
#: whole schedule fits; SRCNN, LapSRN and SRResNet end long before their papers').
PAPER_STOPPING: dict[str, StoppingRule] = {
    # val_every, plateau_checks, plateau_db, max_hours
    "srcnn": StoppingRule(5_000, 5, 0.02, 4),
    "vdsr": StoppingRule(500, 5, 0.02, 5),
    "lapsrn": StoppingRule(1_000, 5, 0.02, 8),
    "srresnet": StoppingRule(1_000, 5, 0.02, 10),
}


def stopping_rule(name: str, profile: str) -> StoppingRule | None:
    """:data:`PAPER_STOPPING` of ``name`` at ``paper``; None elsewhere."""
    return PAPER_STOPPING.get(name) if profile == "paper" else None


def model_config(name: str, profile: str, scale: int, **overrides: Any) -> Any:
    """The method's config for a profile and scale.

    Training sets not in :data:`srcore.data.DATASETS` (SRResNet's ImageNet subset)
    become :data:`FALLBACK_TRAIN_SETS`; SRGAN's content loss falls back to MSE
    without VGG weights, and its ``init_from`` names the SRResNet it starts from.

    Example:
        >>> model_config("srresnet", "smoke", 4).train_sets
        ('T91', 'BSD200')
    """
    spec = SPECS[name]
    cfg = resolve_profile(spec.default, spec.profiles, profile, **overrides)
    if hasattr(cfg, "scale"):
        cfg = replace(cfg, scale=scale)
    if any(s not in data.DATASETS for s in cfg.train_sets):
        cfg = replace(cfg, train_sets=FALLBACK_TRAIN_SETS)
    if name == "srgan":
        from srcore.training.gan import content_loss_name

        cfg = replace(
            cfg,
            content_loss=content_loss_name(cfg.content_loss),
            init_from=f"srresnet:{profile}",
        )
    return cfg


def config_from_json(name: str, fields: dict[str, Any]) -> Any:
    """Method ``name``'s config from a record's ``config["model"]`` (lists: tuples)."""
    tuples = {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}
    return type(SPECS[name].default)(**tuples)
