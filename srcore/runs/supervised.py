"""Supervised runs: train a network on patches, score it on the benchmarks, cache both.

One run = one model config (method, profile, scale, seed): it trains on patches of the
training sets (T91 + BSD200 here, the "291 images" of VDSR; DIV2K train is not on this
machine), validates PSNR on Set5 while training, and then scores every evaluation image
with the protocol of :mod:`srcore.runs.benchmark`. Everything goes through
:func:`srcore.runs.results.load_or_run` with the items ``["train", "Set5/baby", ...]``,
so:

- the record holds training time per step, the loss / validation curves, inference
  seconds per image, PSNR/SSIM, a sharpness measure and LPIPS where its weights exist;
- an interrupted run resumes (training from its checkpoint, evaluation per image);
- weights and checkpoints live in the cache folder (``$SRCORE_CACHE``, default
  ``~/.cache/srcore``), never in git; small crops of the outputs are written next to
  the record for the book's figures.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from srcore import data, losses
from srcore.degrade import (
    degrade,
    degrade_random_kernel,
    random_kernel,
    random_kernel_degradation,
    stable_seed,
)
from srcore.imageops import quantize, rgb_to_ycbcr, save_png, ycbcr_to_rgb
from srcore.inference import predict
from srcore.methods import bicubic, lapsrn, srcnn, srresnet, vdsr
from srcore.metrics import (
    LPIPSUnavailable,
    high_frequency_energy,
    lpips_distance,
    psnr,
    ssim,
)
from srcore.profiles import config_dict, resolve_device, resolve_profile
from srcore.resize import imresize
from srcore.runs.benchmark import make_lr
from srcore.runs.results import RunRecord, crop_file, load_or_run, run_key
from srcore.training.loop import (
    TrainConfig,
    TrainHistory,
    count_parameters,
    psnr_validator,
    train,
)
from srcore.training.patches import PatchSampler, dihedral, validation_pairs

__all__ = [
    "ModelSpec",
    "SPECS",
    "EVAL_SETS",
    "cache_dir",
    "model_config",
    "super_resolve",
    "run",
    "load_weights",
]

#: Evaluation sets per profile: (dataset, image limit). The report evaluated 10
#: DIV2K images; ``quick`` keeps that count.
EVAL_SETS: dict[str, tuple[tuple[str, int | None], ...]] = {
    "smoke": (("Set5", 1),),
    "quick": (("Set5", None), ("Set14", None), ("BSD100", None), ("DIV2K", 10)),
    "paper": (("Set5", None), ("Set14", None), ("BSD100", None), ("DIV2K", None)),
}
#: Test sets of the random-kernel runs (report 004): DIV2KRK's own LR images (x2 and
#: x4 only; 13 are stored here, full 2K images: ``quick`` scores the first 5) and
#: BSD100 degraded by one seeded DIV2KRK-style kernel per image (:func:`test_pair`),
#: which also covers x8 (``quick``: the first 20).
RANDOM_KERNEL_EVAL_SETS: dict[str, tuple[tuple[str, int | None], ...]] = {
    "smoke": (("Set5", 1),),
    "quick": (("DIV2KRK", 5), ("BSD100", 20)),
    "paper": (("DIV2KRK", None), ("BSD100", None)),
}
#: How LR images are made: MATLAB bicubic, or blur by a random kernel + subsampling.
DEGRADATIONS = ("bicubic", "random_kernel")
#: Deliberate training faults, to test explanations of report 004's failed x2 model:
#: ``misaligned_pairs`` gives each HR target its own random rotation/flip,
#: independent of its LR input (an augmentation applied to one side only);
#: ``random_image_branch`` starts LapSRN's image-upsampling filters from random
#: weights instead of bilinear interpolation.
FAULTS = ("misaligned_pairs", "random_image_branch")
#: Training sets actually used when a paper's own set is not in the registry.
FALLBACK_TRAIN_SETS = ("T91", "BSD200")
CROP_BOX = 64  # HR side of the crops saved for the book's figures


@dataclass(frozen=True)
class ModelSpec:
    """How to build, feed and train one supervised method."""

    name: str
    default: Any  # the paper-default config dataclass
    profiles: dict[str, dict[str, Any]]
    build: Callable[[Any, int], nn.Module]  # (config, scale) -> network
    upsampled_input: bool  # fed the bicubic upscale (SRCNN, VDSR) or the LR itself
    luma_only: bool  # trained and run on the Y channel
    loss: Callable[[Any], Callable] | None = None  # config -> loss_fn; default MSE


def _on_luma(spec: ModelSpec, channels: int) -> bool:
    """Whether a model works on Y: its paper's choice (``luma_only``) unless it is
    configured for 3 channels (VDSR as ZSSR's RGB backbone, report 001)."""
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
    "srcnn": ModelSpec(
        "srcnn", srcnn.SRCNNConfig(), srcnn.PROFILES, _build_srcnn, True, True
    ),
    "vdsr": ModelSpec(
        "vdsr", vdsr.VDSRConfig(), vdsr.PROFILES, _build_vdsr, True, True
    ),
    "srresnet": ModelSpec(
        "srresnet",
        srresnet.SRResNetConfig(),
        srresnet.PROFILES,
        _build_srresnet,
        False,
        False,
    ),
    "lapsrn": ModelSpec(
        "lapsrn",
        lapsrn.LapSRNConfig(),
        lapsrn.PROFILES,
        _build_lapsrn,
        False,
        True,
        loss=lambda cfg: cfg.loss,  # Charbonnier at every pyramid level
    ),
    "srgan": ModelSpec(
        "srgan",
        srresnet.SRGANConfig(),
        srresnet.SRGAN_PROFILES,
        _build_srresnet,
        False,
        False,
    ),
}


def cache_dir() -> Path:
    """Where weights and checkpoints go: ``$SRCORE_CACHE`` or ``~/.cache/srcore``."""
    env = os.environ.get("SRCORE_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "srcore"


def model_config(name: str, profile: str, scale: int, **overrides: Any) -> Any:
    """The method's config for a profile and scale, with the training sets resolved.

    Training sets that are not in :data:`srcore.data.DATASETS` (SRResNet's ImageNet
    subset) are replaced by T91 + BSD200, and the substitution is visible in the config.
    """
    spec = SPECS[name]
    cfg = resolve_profile(spec.default, spec.profiles, profile, **overrides)
    if hasattr(cfg, "scale"):
        cfg = replace(cfg, scale=scale)
    if any(s not in data.DATASETS for s in cfg.train_sets):
        cfg = replace(cfg, train_sets=FALLBACK_TRAIN_SETS)
    if name == "srgan":
        from srcore.training.gan import content_loss_name

        # VGG54 where the ImageNet weights exist, else the paper's SRGAN-MSE; the
        # generator starts from the SRResNet of the same profile.
        cfg = replace(
            cfg,
            content_loss=content_loss_name(cfg.content_loss),
            init_from=f"srresnet:{profile}",
        )
    return cfg


def _train_config(cfg: Any, device: str) -> TrainConfig:
    """The engine's :class:`TrainConfig` from a method config's training fields."""
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
        val_every=max(cfg.steps // 10, 1),
        ckpt_every=max(cfg.steps // 10, 1),
        log_every=max(min(cfg.steps // 100, 50), 1),
        seed=cfg.seed,
        device=device,
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


def _train_images(cfg: Any, scale: int, data_root: Any, limit: int | None) -> list:
    images = []
    for name in cfg.train_sets:
        for _, hr in data.iter_images(name, scale, root=data_root, limit=limit):
            if min(hr.shape[-2:]) >= cfg.crop:
                images.append(hr)
    return images


def _scales(cfg: Any, scale: int) -> tuple[int, ...]:
    return tuple(getattr(cfg, "scales", (scale,)))


class _MultiScaleSampler:
    """VDSR's multi-scale training: batch ``t`` comes from scale ``scales[t % n]``."""

    def __init__(self, samplers: Sequence[PatchSampler]) -> None:
        self.samplers = list(samplers)

    def batch(self, step: int, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.samplers[step % len(self.samplers)].batch(step, batch_size)


class _MisalignedPairs:
    """The ``misaligned_pairs`` fault: each HR target gets a dihedral transform of
    its own (seeded by the step), so it no longer matches its LR input."""

    def __init__(self, sampler: PatchSampler, seed: int) -> None:
        self.sampler, self.seed = sampler, seed

    def batch(self, step: int, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        lr_img, hr = self.sampler.batch(step, batch_size)
        g = torch.Generator().manual_seed(stable_seed("misaligned", self.seed, step))
        ks = torch.randint(8, (hr.shape[0],), generator=g).tolist()
        return lr_img, torch.stack(
            [dihedral(h, k) for h, k in zip(hr, ks, strict=True)]
        )


def _random_image_branch(model: nn.Module, seed: int) -> None:
    """The ``random_image_branch`` fault: LapSRN's image upsamplers get He-normal
    random weights (as a sub-pixel conv gets by default in Keras-like code)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for level in model.levels:
            for m in level.image_up.modules():
                if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                    fan_in = m.weight[0].numel()
                    w = torch.randn(m.weight.shape, generator=g)
                    m.weight.copy_(w * (2.0 / fan_in) ** 0.5)


def test_pair(
    dataset: str,
    image: str,
    scale: int,
    degradation: str = "bicubic",
    data_root: Any = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One test image's ``(lr, hr)``, both ``(1, C, h, w)`` / ``(1, C, sh, sw)``.

    ``bicubic``: the protocol's MATLAB-bicubic LR. ``random_kernel``: DIV2KRK's own
    LR file for ``dataset="DIV2KRK"`` (``image="im_<i>"``, HR = DIV2K ``0800+i``),
    otherwise the HR blurred by a DIV2KRK-style kernel seeded by the image's name and
    the scale (:func:`srcore.degrade.degrade_random_kernel`), subsampled and
    quantised to 8 bits.
    """
    if degradation not in DEGRADATIONS:
        raise ValueError(f"degradation must be one of {DEGRADATIONS}")
    if dataset == "DIV2KRK":
        index = int(image.split("_", 1)[1])
        lr_img, _ = data.load_div2krk(index, scale, root=data_root)
        hr = data.load_hr("DIV2K", f"{800 + index:04d}", scale, root=data_root)
        want = (hr.shape[-2] // scale, hr.shape[-1] // scale)
        if tuple(lr_img.shape[-2:]) != want:
            raise ValueError(
                f"DIV2KRK {image} x{scale}: LR {tuple(lr_img.shape[-2:])} does not "
                f"match HR {tuple(hr.shape[-2:])} / {scale}"
            )
        return lr_img, hr
    hr = data.load_hr(dataset, image, scale, root=data_root)
    if degradation == "bicubic":
        return make_lr(hr, scale), hr
    return degrade(hr, scale, kernel=test_kernel(dataset, image, scale, data_root)), hr


def test_kernel(
    dataset: str, image: str, scale: int, data_root: Any = None
) -> torch.Tensor:
    """The blur kernel of a random-kernel test image (see :func:`test_pair`):
    DIV2KRK's stored kernel, else the DIV2KRK-style kernel seeded by the name."""
    if dataset == "DIV2KRK":
        index = int(image.split("_", 1)[1])
        return torch.from_numpy(data.div2krk_kernel(index, scale, root=data_root))
    return random_kernel(scale=scale, seed=stable_seed(dataset, image, scale))


def test_items(
    eval_sets: Sequence[tuple[str, int | None]], scale: int, data_root: Any = None
) -> list[str]:
    """Test-image names ``"<dataset>/<stem>"`` of ``(dataset, limit)`` pairs, in
    sorted order, each set cut to its first ``limit`` images; DIV2KRK (x2/x4 only)
    lists the images this build's copy holds. The one place a run's items come
    from, so every method scores the same images."""
    names = []
    for ds, limit in eval_sets:
        if ds == "DIV2KRK":
            if scale in (2, 4):  # DIV2KRK has no x8
                names += [f"DIV2KRK/im_{i}" for i in data.div2krk_indices()][:limit]
            continue
        paths = data.image_paths(ds, "HR", root=data_root)[:limit]
        names += [f"{ds}/{p.stem}" for p in paths]
    return names


def _validation(
    scale: int, channels: str, upsampled: bool, degradation: str, data_root: Any, n: int
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Set5 validation pairs; random-kernel ones use each image's seeded kernel."""
    val = list(data.iter_images("Set5", scale, root=data_root))[:n]
    if degradation == "bicubic":
        return validation_pairs([hr for _, hr in val], scale, channels, upsampled)
    pairs = []
    for name, hr in val:
        seed = stable_seed("Set5", name, scale)
        pairs += validation_pairs(
            [hr],
            scale,
            channels,
            upsampled,
            degradation=lambda x, seed=seed: degrade_random_kernel(x, scale, seed),
        )
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
    results: Any = None,
    mode: str | None = None,
    degradation: str = "bicubic",
    fault: str | None = None,
) -> tuple[nn.Module, TrainHistory]:
    """Train method ``name`` with ``cfg``; returns the network and its history.

    ``results`` / ``mode`` are only used by SRGAN, to find (or make) the record of
    the SRResNet it starts from. ``degradation`` makes the LR patches (see
    :data:`DEGRADATIONS`); ``fault`` injects one of :data:`FAULTS`.
    """
    if fault is not None and fault not in FAULTS:
        raise ValueError(f"fault must be None or one of {FAULTS}, got {fault!r}")
    spec = SPECS[name]
    limit = 4 if smoke else None
    images = _train_images(cfg, scale, data_root, limit)
    channels = "y" if _on_luma(spec, getattr(cfg, "channels", 1)) else "rgb"
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
        for s in _scales(cfg, scale)
    ]
    pairs = _validation(
        scale,
        channels,
        spec.upsampled_input,
        degradation,
        data_root,
        1 if smoke else 5,
    )
    # The initial weights follow the config's seed, so a run re-made in isolation
    # starts where the recorded one did (records made before this drew them from
    # the caller's RNG stream).
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        model = spec.build(cfg, scale)
    if fault == "random_image_branch":
        _random_image_branch(model, cfg.seed)
    if name == "srgan":
        base = run(
            "srresnet",
            scale,
            profile=cfg.init_from.split(":", 1)[1],
            data_root=data_root,
            results=results,
            mode=mode,
            device=device,
            progress=progress,
        )
        model.load_state_dict(load_weights(base, "srresnet").state_dict())
        return _fit_srgan(
            cfg, scale, model, samplers[0], pairs, ckpt_dir, device, progress
        )
    groups = None
    if name == "srcnn":

        def groups(m: nn.Module) -> list[dict]:
            return srcnn.param_groups(m, cfg.lr, cfg.lr_last)

    source = samplers[0] if len(samplers) == 1 else _MultiScaleSampler(samplers)
    if fault == "misaligned_pairs":
        source = _MisalignedPairs(source, cfg.seed)
    history = train(
        model,
        spec.loss(cfg) if spec.loss else _loss(cfg),
        source,
        _train_config(cfg, device),
        val_fn=psnr_validator(pairs, shave=scale),
        ckpt_dir=ckpt_dir,
        progress=progress,
        param_groups=groups,
    )
    return model, history


def _fit_srgan(
    cfg: srresnet.SRGANConfig,
    scale: int,
    generator: nn.Module,
    sampler: PatchSampler,
    pairs: list,
    ckpt_dir: Path | None,
    device: str,
    progress: bool,
) -> tuple[nn.Module, TrainHistory]:
    """SRGAN's adversarial phase, from an already initialised generator."""
    from srcore.training.gan import train_srgan

    discriminator = srresnet.Discriminator(cfg.channels, cfg.d_features, cfg.d_pool)
    hist = train_srgan(
        generator,
        discriminator,
        sampler,
        steps=cfg.steps,
        batch_size=cfg.batch_size,
        lr=cfg.lr,
        lr_final=cfg.lr_final,
        lr_switch=cfg.lr_switch,
        beta1=cfg.beta1,
        adv_weight=cfg.adv_weight,
        content=cfg.content_loss,
        seed=cfg.seed,
        device=resolve_device(device),
        ckpt_dir=ckpt_dir,
        val_fn=psnr_validator(pairs, shave=scale),
        val_every=max(cfg.steps // 10, 1),
        ckpt_every=max(cfg.steps // 10, 1),
        log_every=max(min(cfg.steps // 100, 50), 1),
        progress=progress,
    )
    extra = {k: hist.pop(k) for k in ("content", "adv", "d_loss", "d_real", "d_fake")}
    history = TrainHistory.from_dict(hist)
    history.gan = extra  # type: ignore[attr-defined]  # kept for the record
    return generator, history


def super_resolve(
    model: nn.Module, spec: ModelSpec, lr_img: torch.Tensor, scale: int
) -> torch.Tensor:
    """The model's 8-bit output for one LR image, in the image's own channels.

    Luma models follow their papers' test scripts: the network restores Y (from the
    bicubic upscale's Y for SRCNN/VDSR, from the LR's Y for LapSRN) and the chroma
    stays bicubic. A grey image is
    its own luma. RGB models get a grey image replicated to 3 channels and return the
    mean of their output channels.
    """
    device = next(model.parameters()).device
    lr_img = lr_img.to(device)
    big = lr_img.shape[-1] * lr_img.shape[-2] * scale * scale > 1024 * 1024
    first_conv = next(m for m in model.modules() if isinstance(m, nn.Conv2d))
    if _on_luma(spec, first_conv.in_channels):
        grey = lr_img.shape[1] == 1
        up = quantize(imresize(lr_img, scale))  # the input of SRCNN/VDSR, the chroma
        x, s = (up, 1) if spec.upsampled_input else (lr_img, scale)
        if not grey:
            x = quantize(rgb_to_ycbcr(x)[:, :1])
        y = predict(model, x, scale=s, tile=(256 // s) if big else None)
        if grey:
            return quantize(y)
        ycbcr = rgb_to_ycbcr(up)
        return quantize(ycbcr_to_rgb(torch.cat([y, ycbcr[:, 1:]], dim=1)))
    grey = lr_img.shape[1] == 1
    x = lr_img.expand(-1, 3, -1, -1) if grey else lr_img
    s = scale
    if spec.upsampled_input:  # an RGB VDSR/SRCNN takes the bicubic upscale
        x, s = quantize(imresize(x, scale)), 1
    out = quantize(predict(model, x, scale=s, tile=96 if big else None))
    return out.mean(dim=1, keepdim=True) if grey else out


def _lpips_or_none(sr: torch.Tensor, hr: torch.Tensor, shave: int) -> float | None:
    try:
        return float(lpips_distance(sr, hr, shave=shave))
    except LPIPSUnavailable:
        return None


def crop_center(x: torch.Tensor) -> torch.Tensor:
    """The central ``CROP_BOX`` square: the region saved for each model's output."""
    h, w = x.shape[-2:]
    top, left = (h - CROP_BOX) // 2, (w - CROP_BOX) // 2
    return x[..., top : top + CROP_BOX, left : left + CROP_BOX]


def load_weights(record: RunRecord, name: str) -> nn.Module:
    """The trained network of a record, from the cache (trained by :func:`run`)."""
    path = cache_dir() / "weights" / name / f"{record.key}.pt"
    if not path.exists():
        raise FileNotFoundError(
            f"weights of {record.key} are not in the cache ({path}); re-run "
            "`srcore.runs.supervised.run` with results mode 'force' to train them "
            "again"
        )
    spec = SPECS[name]
    cfg = type(spec.default)(**_tuples(record.config["model"]))
    model = spec.build(cfg, record.config["scale"])
    model.load_state_dict(torch.load(path, weights_only=True))
    return model.eval()


def _tuples(d: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}


def run(
    name: str,
    scale: int,
    *,
    profile: str = "quick",
    data_root: Any = None,
    results: Any = None,
    mode: str | None = None,
    device: str = "auto",
    progress: bool = True,
    degradation: str = "bicubic",
    fault: str | None = None,
    eval_sets: Sequence[tuple[str, int | None]] | None = None,
    **overrides: Any,
) -> RunRecord:
    """Train (or load) method ``name`` at ``scale`` and score it on the eval sets.

    ``degradation="random_kernel"`` trains on patches blurred by a fresh
    DIV2KRK-style kernel each and tests on :data:`RANDOM_KERNEL_EVAL_SETS`
    (report 004); ``fault`` injects one of :data:`FAULTS` into training.
    ``eval_sets`` ((set, first n or None) pairs) replaces the profile's test sets,
    e.g. for a network trained only to initialise another method.
    """
    spec = SPECS[name]
    if degradation not in DEGRADATIONS:
        raise ValueError(f"degradation must be one of {DEGRADATIONS}")
    cfg = model_config(name, profile, scale, **overrides)
    bicubic_lr = degradation == "bicubic"
    if eval_sets is None:
        eval_sets = (EVAL_SETS if bicubic_lr else RANDOM_KERNEL_EVAL_SETS)[profile]
    config = {
        "method": name,
        "model": config_dict(cfg),
        "scale": int(scale),
        "profile": profile,
        "eval_sets": [list(e) for e in eval_sets],
        "protocol": "matlab-bicubic LR, 8-bit, Y (grey as is), shave=scale",
    }
    # Keys of bicubic runs stay as they were before these options existed.
    if not bicubic_lr:
        config["degradation"] = degradation
        config["protocol"] = (
            "random-kernel LR (DIV2KRK files; else seeded DIV2KRK-style kernel per "
            "image), 8-bit, Y (grey as is), shave=scale"
        )
    if fault is not None:
        config["fault"] = fault
    dev = resolve_device(device)
    key = run_key(name, config)  # the record's key, as load_or_run computes it
    base = cache_dir() / "weights" / name
    weights, hist_path, ckpt = (
        base / f"{key}.pt",
        base / f"{key}.history.json",
        base / key,
    )
    state: dict[str, Any] = {}

    def items() -> list[str]:
        if "items" not in state:
            state["items"] = ["train", *test_items(eval_sets, scale, data_root)]
        return state["items"]

    def model() -> nn.Module:
        if "model" not in state:
            net = spec.build(cfg, scale)
            net.load_state_dict(torch.load(weights, weights_only=True))
            state["model"] = net.to(dev).eval()
        return state["model"]

    def compute(item: str) -> dict[str, Any]:
        if item == "train":
            net, history = fit(
                name,
                cfg,
                scale,
                data_root=data_root,
                ckpt_dir=ckpt,
                device=str(dev),
                progress=progress,
                smoke=profile == "smoke",
                results=results,
                mode=None if mode == "force" else mode,
                degradation=degradation,
                fault=fault,
            )
            weights.parent.mkdir(parents=True, exist_ok=True)
            torch.save(net.state_dict(), weights)
            hist_path.write_text(
                json.dumps({**history.to_dict(), **getattr(history, "gan", {})})
            )
            state["model"] = net.to(dev).eval()
            return {
                "seconds": history.total_seconds,
                "seconds_per_step": history.seconds_per_step,
                "steps": history.steps_done,
                "params": count_parameters(net),
                "device": history.device,
            }
        ds, image = item.split("/", 1)
        lr_img, hr = test_pair(ds, image, scale, degradation, data_root)
        net = model()
        t0 = time.perf_counter()
        with torch.no_grad():
            sr = super_resolve(net, spec, lr_img, scale).cpu()
        seconds = time.perf_counter() - t0
        if item == next(i for i in items() if i.startswith(f"{ds}/")):
            save_png(crop_center(sr), crop_file(name, key, item, results))
        bic = bicubic.upscale(lr_img, scale)
        return {
            "psnr": float(psnr(sr, hr, shave=scale)),
            "ssim": float(ssim(sr, hr, shave=scale)),
            "hf_energy": float(high_frequency_energy(sr)),
            "lpips": _lpips_or_none(sr, hr, scale),
            "seconds": seconds,
            "dataset": ds,
            # the same image's bicubic and HR figures, for paired comparisons
            "psnr_bicubic": float(psnr(bic, hr, shave=scale)),
            "ssim_bicubic": float(ssim(bic, hr, shave=scale)),
            "hf_energy_bicubic": float(high_frequency_energy(bic)),
            "hf_energy_hr": float(high_frequency_energy(hr)),
        }

    def finalize(rows: list[dict[str, Any]]) -> dict[str, Any]:
        history = json.loads(hist_path.read_text()) if hist_path.exists() else {}
        return {
            "history": history,
            "params": count_parameters(spec.build(cfg, scale)),
        }

    return load_or_run(
        name,
        config,
        items,
        compute,
        root=results,
        mode=mode,
        device=dev,
        finalize=finalize,
        progress=progress,
    )
