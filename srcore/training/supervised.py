"""Training one supervised model, and the inference policy its scores use.

:func:`fit` trains a method of :data:`srcore.training.models.SPECS` on patches of its
training sets with the one loop (SRGAN: :func:`srcore.training.gan.train_srgan`),
validating PSNR while it trains; :data:`FAULTS` can be injected. :func:`super_resolve`
applies a trained network to a test image as each paper's test script does, tiling
large images.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import torch
from torch import nn

from srcore import data, losses
from srcore.degrade import degrade_random_kernel, random_kernel_degradation, stable_seed
from srcore.geometry import dihedral
from srcore.imageops import quantize, rgb_to_ycbcr, ycbcr_to_rgb
from srcore.inference import predict
from srcore.methods import srcnn, srresnet
from srcore.profiles import resolve_device
from srcore.protocol import DEGRADATIONS
from srcore.resize import imresize
from srcore.training.loop import TrainHistory, psnr_validator, train
from srcore.training.models import SPECS, ModelSpec, StoppingRule, on_luma
from srcore.training.optim import TrainConfig
from srcore.training.patches import PatchSampler, validation_pairs

#: Deliberate training faults (:class:`MisalignedPairs`, :func:`random_image_branch`).
FAULTS = ("misaligned_pairs", "random_image_branch")

# The inference policy: set to bound memory, not tuned. Tiles are not exact (VDSR
# sees 20 pixels, past TILE_OVERLAP), so a change changes the DIV2K/DIV2KRK scores.
#: Output pixels above which an image runs in tiles (DIV2K's 2K images, not Set5).
TILE_ABOVE_OUTPUT_PIXELS = 1024 * 1024
#: Output side of a luma model's tile (LR side 256 // scale for LapSRN).
LUMA_TILE_OUTPUT = 256
#: Input side of an RGB model's tile (SRResNet/SRGAN: 96 LR pixels).
RGB_TILE_INPUT = 96
#: Input pixels of context on each inner side of a tile: :func:`predict`'s default.
TILE_OVERLAP = 16


def _train_config(
    cfg: Any, device: str, stopping: StoppingRule | None = None, amp: bool = True
) -> TrainConfig:
    """The loop's :class:`TrainConfig` from a method config (and a stopping rule)."""
    milestones = getattr(cfg, "lr_milestones", ())
    lr_step = getattr(cfg, "lr_step", None)
    step_size = milestones[0] if milestones else lr_step
    theta = getattr(cfg, "clip_theta", 0.0)
    return TrainConfig(
        steps=cfg.steps,
        batch_size=cfg.batch_size,
        lr=cfg.lr,
        optimizer=cfg.optimizer,
        momentum=getattr(cfg, "momentum", 0.9),
        weight_decay=getattr(cfg, "weight_decay", 0.0),
        betas=(getattr(cfg, "beta1", 0.9), 0.999),
        schedule="step" if step_size else "none",
        step_size=step_size or None,
        gamma=getattr(cfg, "lr_decay", 0.1),
        grad_clip=theta or None,
        grad_clip_mode="adjustable",
        val_every=stopping.val_every if stopping else max(cfg.steps // 10, 1),
        ckpt_every=stopping.val_every if stopping else max(cfg.steps // 10, 1),
        log_every=max(min(cfg.steps // 100, 50), 1),
        seed=cfg.seed,
        device=device,
        amp=amp,
        plateau_checks=stopping.plateau_checks if stopping else 0,
        plateau_db=stopping.plateau_db if stopping else 0.0,
        max_hours=stopping.max_hours if stopping else None,
    )


def _loss(cfg: Any) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """MSE (all these papers' loss), leaving out SRCNN's padded border if asked."""
    border = getattr(cfg, "border", 0)
    if not border:
        return losses.mse

    def cropped_mse(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        b = border
        return losses.mse(out[..., b:-b, b:-b], target[..., b:-b, b:-b])

    return cropped_mse


def _train_images(
    cfg: Any,
    scale: int,
    data_root: Any,
    limit: int | None,
    held_out: frozenset[tuple[str, str]] = frozenset(),
) -> list:
    """HR images of ``cfg.train_sets`` at least one crop wide, but ``held_out``."""
    images = []
    for name in cfg.train_sets:
        for image, hr in data.iter_images(name, scale, root=data_root, limit=limit):
            if (name, image) not in held_out and min(hr.shape[-2:]) >= cfg.crop:
                images.append(hr)
    return images


def held_out_images(
    rule: StoppingRule, scale: int, data_root: Any = None
) -> list[tuple[str, torch.Tensor]]:
    """The last ``rule.holdout`` images of ``rule.val_set`` (HR, modcropped)."""
    images = list(data.iter_images(rule.val_set, scale, root=data_root))
    return images[-rule.holdout :]


class _MultiScaleSampler:
    """VDSR's multi-scale training: batch ``t`` comes from scale ``scales[t % n]``."""

    def __init__(self, samplers: Sequence[PatchSampler]) -> None:
        self.samplers = list(samplers)

    def batch(self, step: int, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.samplers[step % len(self.samplers)].batch(step, batch_size)


class MisalignedPairs:
    """The ``misaligned_pairs`` fault: each HR target gets its own dihedral transform
    (seeded by the step), so it no longer matches its LR input."""

    def __init__(self, sampler: Any, seed: int) -> None:
        self.sampler, self.seed = sampler, seed

    def batch(self, step: int, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        lr_img, hr = self.sampler.batch(step, batch_size)
        g = torch.Generator().manual_seed(stable_seed("misaligned", self.seed, step))
        ks = torch.randint(8, (hr.shape[0],), generator=g).tolist()
        return lr_img, torch.stack(
            [dihedral(h, k) for h, k in zip(hr, ks, strict=True)]
        )


def random_image_branch(model: nn.Module, seed: int) -> None:
    """The ``random_image_branch`` fault: LapSRN's image upsamplers get He-normal
    random weights instead of bilinear interpolation."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for level in model.levels:
            for m in level.image_up.modules():
                if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                    fan_in = m.weight[0].numel()
                    w = torch.randn(m.weight.shape, generator=g)
                    m.weight.copy_(w * (2.0 / fan_in) ** 0.5)


def _validation(
    scale: int,
    channels: str,
    upsampled: bool,
    degradation: str,
    val: tuple[str, list[tuple[str, torch.Tensor]]],
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Pairs of ``val = (set, [(name, hr), ...])``; random-kernel LR from each image's
    seeded kernel."""
    val_set, images = val
    pairs = []
    for name, hr in images:
        seed = stable_seed(val_set, name, scale)
        kernel_lr = partial(degrade_random_kernel, scale=scale, seed=seed)
        lr_of = None if degradation == "bicubic" else kernel_lr
        pairs += validation_pairs([hr], scale, channels, upsampled, degradation=lr_of)
    return pairs


def fit(
    name: str,
    cfg: Any,
    scale: int,
    *,
    data_root: Any = None,
    ckpt_dir: Path | None = None,
    device: str = "auto",
    progress: bool = True,
    smoke: bool = False,
    degradation: str = "bicubic",
    fault: str | None = None,
    init: dict[str, torch.Tensor] | None = None,
    deadline: float | None = None,
    stopping: StoppingRule | None = None,
) -> tuple[nn.Module, TrainHistory]:
    """Train method ``name`` with ``cfg``; returns the network and its history.

    Initial weights follow ``cfg.seed``; ``init`` (a state dict) replaces them (SRGAN
    starts from a trained SRResNet). ``degradation`` makes the LR patches
    (:data:`srcore.protocol.DEGRADATIONS`); ``fault`` is one of :data:`FAULTS`;
    ``smoke`` trains on 4 images per set. Validation is on Set5, or with a
    ``stopping`` rule on its held-out training images, which also ends the run.
    Past ``deadline`` training pauses (:class:`srcore.training.loop.TrainingPaused`;
    not SRGAN's loop).

    Example:
        >>> fit("srgan", None, 4)
        Traceback (most recent call last):
        ...
        ValueError: SRGAN's generator starts from a trained SRResNet: pass its weights \
as init
    """
    if fault is not None and fault not in FAULTS:
        raise ValueError(f"fault must be None or one of {FAULTS}, got {fault!r}")
    if degradation not in DEGRADATIONS:
        raise ValueError(f"degradation must be one of {DEGRADATIONS}")
    if name == "srgan" and init is None:
        raise ValueError(
            "SRGAN's generator starts from a trained SRResNet: pass its weights as init"
        )
    spec = SPECS[name]
    if stopping is None:
        val_set, held = "Set5", frozenset()
        val = list(data.iter_images("Set5", scale, root=data_root))[: 1 if smoke else 5]
    else:
        val_set, val = stopping.val_set, held_out_images(stopping, scale, data_root)
        held = frozenset((val_set, image) for image, _ in val)
    images = _train_images(cfg, scale, data_root, 4 if smoke else None, held)
    channels = "y" if on_luma(spec, getattr(cfg, "channels", 1)) else "rgb"
    samplers = [
        PatchSampler(
            images,
            s,
            cfg.crop - cfg.crop % s,
            channels=channels,
            augment=getattr(cfg, "augment", True),
            rescale=getattr(cfg, "rescale", None),
            upsample_input=spec.upsampled_input,
            seed=cfg.seed,
            degradation=(
                None if degradation == "bicubic" else random_kernel_degradation(s)
            ),
        )
        for s in tuple(getattr(cfg, "scales", (scale,)))
    ]
    pairs = _validation(
        scale, channels, spec.upsampled_input, degradation, (val_set, val)
    )
    val_fn = psnr_validator(pairs, shave=scale)
    # seeded here, so that a run re-made in isolation starts where the recorded one did
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        model = spec.build(cfg, scale)
    if fault == "random_image_branch":
        random_image_branch(model, cfg.seed)
    if init is not None:
        model.load_state_dict(init)
    if name == "srgan":
        return _fit_srgan(cfg, model, samplers[0], val_fn, ckpt_dir, device, progress)
    groups = None
    if name == "srcnn":
        groups = partial(srcnn.param_groups, lr=cfg.lr, lr_last=cfg.lr_last)
    source = samplers[0] if len(samplers) == 1 else _MultiScaleSampler(samplers)
    if fault == "misaligned_pairs":
        source = MisalignedPairs(source, cfg.seed)
    history = train(
        model,
        spec.loss(cfg) if spec.loss else _loss(cfg),
        source,
        _train_config(cfg, device, stopping, amp=spec.bf16_pays),
        val_fn=val_fn,
        ckpt_dir=ckpt_dir,
        progress=progress,
        param_groups=groups,
        deadline=deadline,
    )
    return model, history


def _fit_srgan(
    cfg: srresnet.SRGANConfig,
    generator: nn.Module,
    sampler: PatchSampler,
    val_fn: Callable[[nn.Module], float],
    ckpt_dir: Path | None,
    device: str,
    progress: bool,
) -> tuple[nn.Module, TrainHistory]:
    """SRGAN's adversarial phase, from an already initialised generator."""
    from srcore.training.gan import train_srgan

    discriminator = srresnet.Discriminator(cfg.channels, cfg.d_features, cfg.d_pool)
    same = ("steps", "batch_size", "lr", "lr_final", "lr_switch", "beta1", "adv_weight")
    every = max(cfg.steps // 10, 1)
    hist = train_srgan(
        generator,
        discriminator,
        sampler,
        **{k: getattr(cfg, k) for k in (*same, "seed")},
        content=cfg.content_loss,
        device=resolve_device(device),
        ckpt_dir=ckpt_dir,
        val_fn=val_fn,
        val_every=every,
        ckpt_every=every,
        log_every=max(min(cfg.steps // 100, 50), 1),
        progress=progress,
    )
    extra = {k: hist.pop(k) for k in ("content", "adv", "d_loss", "d_real", "d_fake")}
    history = TrainHistory.from_dict(hist)
    history.gan = extra  # type: ignore[attr-defined]  # kept for the record
    return generator, history


def super_resolve(
    model: nn.Module,
    spec: ModelSpec,
    lr_img: torch.Tensor,
    scale: int,
    *,
    progress: bool = False,
) -> torch.Tensor:
    """The model's 8-bit output for one LR image ``(1, C, h, w)``, in its channels.

    Luma models restore Y (of the bicubic upscale for SRCNN/VDSR, of the LR for
    LapSRN) and keep bicubic chroma, as their papers' test scripts; a grey image is
    its own luma. RGB models get grey replicated and return their channels' mean.
    Outputs above :data:`TILE_ABOVE_OUTPUT_PIXELS` run in tiles (``progress``: a bar).

    Example:
        >>> net = nn.Conv2d(1, 1, 1)
        >>> super_resolve(net, SPECS["srcnn"], torch.rand(1, 3, 8, 6), 2).shape
        torch.Size([1, 3, 16, 12])
    """
    device = next(model.parameters()).device
    lr_img = lr_img.to(device)
    out_pixels = lr_img.shape[-1] * lr_img.shape[-2] * scale * scale
    big = out_pixels > TILE_ABOVE_OUTPUT_PIXELS
    first_conv = next(m for m in model.modules() if isinstance(m, nn.Conv2d))
    grey = lr_img.shape[1] == 1
    if on_luma(spec, first_conv.in_channels):
        up = quantize(imresize(lr_img, scale))  # the input of SRCNN/VDSR, the chroma
        x, s = (up, 1) if spec.upsampled_input else (lr_img, scale)
        if not grey:
            x = quantize(rgb_to_ycbcr(x)[:, :1])
        tile = LUMA_TILE_OUTPUT // s if big else None
        y = predict(
            model, x, scale=s, tile=tile, overlap=TILE_OVERLAP, progress=progress
        )
        if grey:
            return quantize(y)
        ycbcr = rgb_to_ycbcr(up)
        return quantize(ycbcr_to_rgb(torch.cat([y, ycbcr[:, 1:]], dim=1)))
    x = lr_img.expand(-1, 3, -1, -1) if grey else lr_img
    s = scale
    if spec.upsampled_input:  # an RGB VDSR/SRCNN takes the bicubic upscale
        x, s = quantize(imresize(x, scale)), 1
    tile = RGB_TILE_INPUT if big else None
    out = predict(model, x, scale=s, tile=tile, overlap=TILE_OVERLAP, progress=progress)
    out = quantize(out)
    return out.mean(dim=1, keepdim=True) if grey else out
