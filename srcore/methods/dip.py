"""Deep Image Prior for super-resolution: fit a random network to one LR image.

``x* = f_θ*(z)``, ``θ* = argmin_θ E(d(f_θ(z)), x0)``: a random hourglass ``f_θ``
(:class:`SkipNet`) maps fixed noise ``z`` to an HR image whose downsampling ``d`` is
fitted to the LR image ``x0`` (Ulyanov, Vedaldi, Lempitsky, CVPR 2018, eq. (2), §4;
settings of their ``super-resolution.ipynb``; Indulkar: a Charbonnier data term).
Deviations: MATLAB-style :func:`downsample`; BatchNorm without running statistics;
the output and the PSNR trace are ``f(z)``, not the last step's perturbed output.
"""

from __future__ import annotations

import contextlib
import copy
import pickle
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from srcore.files import atomic_write
from srcore.losses import charbonnier, mse
from srcore.metrics import psnr
from srcore.precision import autocast, use_bf16
from srcore.profiles import resolve_device
from srcore.resize import imresize

__all__ = [
    "SkipNet",
    "DIPConfig",
    "DIPResult",
    "PROFILES",
    "PAPER_BY_SCALE",
    "downsample",
    "optimize",
    "init_image",
    "DATA_TERMS",
]


def _bn(c: int) -> nn.BatchNorm2d:
    # DIP's nets stay in train mode; no running statistics keeps them pure (vmap)
    return nn.BatchNorm2d(c, track_running_stats=False)


def _block(cin: int, cout: int, k: int, stride: int = 1) -> nn.Sequential:
    """Reflection pad, conv, BN, LeakyReLU(0.2) (DIP ``models/common.py: conv``)."""
    pad = [nn.ReflectionPad2d((k - 1) // 2)] if k > 1 else []
    return nn.Sequential(
        *pad, nn.Conv2d(cin, cout, k, stride), _bn(cout), nn.LeakyReLU(0.2)
    )


class SkipNet(nn.Module):
    """DIP's "skip" hourglass, ``(B, in_channels, H, W) -> (B, out_channels, H, W)``.

    Per level: down = 3x3 conv stride 2 + 3x3 conv; skip = 1x1 conv; up = bilinear x2,
    concat [skip, deeper], BN, 3x3 conv, 1x1 conv; a 1x1 conv and a sigmoid last.
    ``H``, ``W``: multiples of ``2**levels``, at least ``2**(levels+1)``.

    Example:
        >>> net = SkipNet(8, 3, channels=8, levels=2)
        >>> tuple(net(torch.rand(1, 8, 16, 16)).shape)
        (1, 3, 16, 16)

    Reference: Ulyanov et al., "Deep Image Prior", supplementary Fig. 21;
    ``models/skip.py``.
    """

    def __init__(
        self,
        in_channels: int = 32,
        out_channels: int = 3,
        *,
        channels: int = 128,
        levels: int = 5,
        skip: int = 4,
    ) -> None:
        super().__init__()
        if levels < 1 or channels < 1 or skip < 0:
            raise ValueError(f"bad SkipNet shape: {channels=}, {levels=}, {skip=}")
        self.levels, self.skip = levels, skip
        depths = [in_channels] + [channels] * (levels - 1)
        self.skips = nn.ModuleList(_block(d, skip, 1) for d in depths if skip)
        self.down = nn.ModuleList(
            nn.Sequential(_block(d, channels, 3, 2), _block(channels, channels, 3))
            for d in depths
        )
        self.up = nn.ModuleList(
            nn.Sequential(
                _bn(skip + channels),
                _block(skip + channels, channels, 3),
                _block(channels, channels, 1),
            )
            for _ in depths
        )
        self.head = nn.Conv2d(channels, out_channels, 1)

    def check_size(self, h: int, w: int) -> None:
        """Raise a ValueError unless ``h x w`` passes through every level."""
        m = 2**self.levels
        if h % m or w % m or min(h, w) < 2 * m:
            raise ValueError(
                f"SkipNet with {self.levels} levels needs H and W multiples of {m} "
                f"and >= {2 * m}, got {h}x{w}; crop the HR image first (DIP crops "
                "to multiples of 32)"
            )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        self.check_size(z.shape[-2], z.shape[-1])
        x, feats = z, []
        for i, down in enumerate(self.down):
            feats.append(self.skips[i](x) if self.skip else None)
            x = down(x)
        for i in reversed(range(self.levels)):
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
            if self.skip:
                x = torch.cat([feats[i], x], dim=1)
            x = self.up[i](x)
        # The last layer runs in float32 even under bf16 autocast: a bf16 sigmoid
        # resolves ~1/512 near 0.5, coarser than the 8-bit grid the data term fits.
        with torch.autocast(z.device.type, enabled=False):
            return torch.sigmoid(self.head(x.float()))


def downsample(x: torch.Tensor, scale: int) -> torch.Tensor:
    """The data term's ``d``: ``imresize(x, 1/scale, kernel="lanczos2")``, ``(B, C, H,
    W) -> (B, C, H/scale, W/scale)``. DIP's ``Downsampler`` has the same taps; it
    differs in the two LR pixels nearest each border (it replicates, MATLAB mirrors).

    Example:
        >>> tuple(downsample(torch.rand(2, 3, 32, 32), 4).shape)
        (2, 3, 8, 8)
    """
    h, w = x.shape[-2:]
    if h % scale or w % scale:
        raise ValueError(f"size {h}x{w} is not a multiple of scale {scale}")
    return imresize(x, size=(h // scale, w // scale), kernel="lanczos2")


@dataclass(frozen=True)
class DIPConfig:
    """DIP super-resolution settings; defaults are the authors' x4 ones (x8:
    ``PAPER_BY_SCALE[8]`` as overrides)."""

    steps: int = 2000  # super-resolution.ipynb: num_iter 2000 (x4), 4000 (x8)
    lr: float = 0.01  # super-resolution.ipynb: LR = 0.01
    optimizer: str = "adam"  # super-resolution.ipynb: OPTIMIZER = 'adam'
    input_depth: int = 32  # super-resolution.ipynb: input_depth = 32
    input_noise_var: float = 0.1  # get_noise(..., noise_type='u', var=1./10): U[0,1)/10
    reg_noise_std: float = 0.03  # super-resolution.ipynb: 0.03 (x4), 0.05 (x8)
    loss: str = "mse"  # paper eq. (2) with ||.||^2; Indulkar: "charbonnier"
    charbonnier_eps: float = 1e-3  # Indulkar follows LapSRN: sqrt(d^2 + 1e-6)
    channels: int = 128  # get_net(..., skip_n33d=128, skip_n33u=128)
    levels: int = 5  # get_net(..., num_scales=5)
    skip: int = 4  # get_net(..., skip_n11=4)
    amp: bool = True  # ours: bf16 autocast where native (srcore.precision)
    seed: int = 0  # ours: image i of a call uses seed + i


#: The authors' per-scale settings (super-resolution.ipynb).
PAPER_BY_SCALE: dict[int, dict] = {
    4: {"steps": 2000, "reg_noise_std": 0.03},
    8: {"steps": 4000, "reg_noise_std": 0.05},
}

#: Overrides per profile. ``quick`` keeps the paper's network and x4 noise and cuts
#: the steps to 600 (DIP's PSNR curve rises fastest early).
PROFILES: dict[str, dict] = {
    "smoke": {"steps": 5, "channels": 8, "levels": 2, "input_depth": 8},
    "quick": {"steps": 600},
    "paper": {},
}


@dataclass
class DIPResult:
    """What :func:`optimize` returns; ``trace_psnr[i][k]`` is image ``i`` after
    ``trace_steps[k]`` steps (empty without ``hr``)."""

    sr: torch.Tensor  # (N, C, H, W) in [0, 1], on the CPU
    trace_steps: list[int]
    trace_psnr: list[list[float]]
    loss: list[float]  # data term per step, mean over the N images
    image_loss: list[list[float]]  # image i's data term per step
    interp_loss: list[float]  # image i's data term of the bicubic interpolation
    seconds: float  # wall clock of the whole call (of all its parts, if resumed)
    seconds_per_step: float  # optimisation steps only (no tracing), all N images
    # One entry per part of a run resumed from a checkpoint: the step it started
    # after and the caller's ``checkpoint_note`` (e.g. the commit); empty if none.
    segments: list[dict[str, Any]] = field(default_factory=list)


#: The data terms DIP can fit with, by ``DIPConfig.loss``.
DATA_TERMS = {"mse": mse, "charbonnier": charbonnier}


def _data_term(config: DIPConfig):
    if config.loss not in DATA_TERMS:
        raise ValueError(
            f"unknown loss {config.loss!r}; choose one of {list(DATA_TERMS)}"
        )
    fn = DATA_TERMS[config.loss]
    if config.loss == "charbonnier":
        return lambda x, y: fn(x, y, eps=config.charbonnier_eps)
    return fn


def init_image(config: DIPConfig, channels: int, size: tuple[int, int], seed: int):
    """Image ``seed``'s network, fixed input ``z`` and noise seed, all from ``seed``."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = SkipNet(
            config.input_depth,
            channels,
            channels=config.channels,
            levels=config.levels,
            skip=config.skip,
        )
    g = torch.Generator().manual_seed(seed)
    z = torch.rand((config.input_depth, *size), generator=g) * config.input_noise_var
    return net, z, int(torch.randint(2**62, (1,), generator=g))


def optimize(
    lr_imgs: torch.Tensor,
    scale: int,
    config: DIPConfig = DIPConfig(),  # noqa: B008 (frozen, hence safe)
    *,
    hr: torch.Tensor | None = None,
    trace_every: int = 50,
    device: str | torch.device = "auto",
    progress: bool = True,
    checkpoint: str | Path | None = None,
    checkpoint_every: int = 100,
    checkpoint_match: Mapping[str, Any] | None = None,
    checkpoint_note: Mapping[str, Any] | None = None,
) -> DIPResult:
    """Super-resolve ``N`` LR images by DIP, each with its own network, all at once.

    Per image ``i``: ``θ_i`` and ``z_i ~ U[0, 1)^{D x H x W} * var`` drawn from seed
    ``config.seed + i``; each step minimises ``loss(downsample(f_θi(z_i + σ n)),
    x0_i)`` with fresh ``n ~ N(0, 1)``; the result is ``f_θi(z_i)`` after
    ``config.steps`` steps. ``hr`` ``(N, C, h*scale, w*scale)`` only feeds the PSNR
    trace (Y, 8-bit, ``shave=scale``; the loop never sees it).

    N > 1 images run stacked in one ``vmap``; the loss is the *sum* of the images',
    so N at once equals N runs up to float rounding. ``config.amp``: bf16 autocast
    where native (last layer, loss and Adam in fp32). The state is saved to
    ``checkpoint`` every ``checkpoint_every`` steps and resumed if saved with the same
    shape, ``scale``, ``config`` and ``checkpoint_match``; removed at the end.

    Returns:
        A :class:`DIPResult`. Raises ``FloatingPointError`` if the loss is not finite.

    Example:
        >>> cfg = DIPConfig(steps=2, channels=8, levels=2, input_depth=8)
        >>> res = optimize(torch.rand(1, 3, 8, 8), 2, cfg, device="cpu", progress=False)
        >>> tuple(res.sr.shape), len(res.loss)
        ((1, 3, 16, 16), 2)
    """
    if lr_imgs.ndim != 4 or not torch.is_floating_point(lr_imgs):
        raise ValueError(
            f"lr_imgs must be a float (N, C, h, w) tensor, got {lr_imgs.shape}"
        )
    if config.optimizer != "adam":
        raise ValueError(f"only Adam is implemented, got {config.optimizer!r}")
    if trace_every < 1:
        raise ValueError(f"trace_every must be >= 1, got {trace_every}")
    t_start = time.perf_counter()
    dev = resolve_device(device)
    n, c, h, w = lr_imgs.shape
    size = (h * scale, w * scale)
    if hr is not None and tuple(hr.shape) != (n, c, *size):
        raise ValueError(f"hr must be {(n, c, *size)}, got {tuple(hr.shape)}")
    loss_fn = _data_term(config)
    nets, zs, noise_seeds = zip(
        *(init_image(config, c, size, config.seed + i) for i in range(n)), strict=True
    )
    nets[0].check_size(*size)
    bf16 = use_bf16(config.amp, dev)
    if n == 1:
        # One image: the plain module (vmap's grouped convolutions cost ~0.45 s of
        # 1.2 s per step at 256x256 on 2 CPU cores); NHWC where bf16 pays for it.
        net = nets[0].to(dev)
        if bf16:
            net = net.to(memory_format=torch.channels_last)
        trainable = list(net.parameters())

        def run_all(z: torch.Tensor) -> torch.Tensor:
            return net(z.contiguous(memory_format=torch.channels_last) if bf16 else z)

    else:
        stacked, buffers = torch.func.stack_module_state(list(nets))
        params = {k: v.to(dev).detach().requires_grad_() for k, v in stacked.items()}
        trainable = list(params.values())
        base = copy.deepcopy(nets[0]).to("meta")

        def forward(p: dict, z: torch.Tensor) -> torch.Tensor:  # one image (D, H, W)
            return torch.func.functional_call(base, (p, buffers), (z[None],))[0]

        vmapped = torch.vmap(forward)

        def run_all(z: torch.Tensor) -> torch.Tensor:
            return vmapped(params, z)

    z = torch.stack(zs).to(dev)  # (N, D, H, W)
    target = lr_imgs.to(dev, torch.float32)
    gens = [torch.Generator(dev).manual_seed(s) for s in noise_seeds]
    opt = torch.optim.Adam(trainable, lr=config.lr)
    cuda = dev.type == "cuda"
    amp = autocast(config.amp, dev)
    flags = torch.backends.cudnn.flags(enabled=True, benchmark=True) if cuda else None
    # The interpolation's own data term: what a fit must beat (srcore.health).
    interp = downsample(imresize(target, scale), scale)
    interp_loss = [
        float(loss_fn(interp[i : i + 1], target[i : i + 1])) for i in range(n)
    ]

    def clean() -> torch.Tensor:  # f(z) without perturbation: the SR estimate
        with torch.no_grad(), amp:
            return run_all(z).float().clamp(0, 1)

    log: dict[str, Any] = {  # what a checkpoint resumes, under its keys on disk
        "step": 0,
        "seconds": 0.0,
        "step_time": 0.0,
        "trace_steps": [],
        "trace": [[] for _ in range(n)],
        "losses": [],
        "image_losses": [[] for _ in range(n)],
        "segments": [],
    }
    # What a checkpoint holds of the networks, sharing their storage: one image, its
    # state_dict; N images, the stacked parameters and buffers.
    live = net.state_dict() if n == 1 else {"params": params, "buffers": buffers}
    match = {
        "shape": [n, c, h, w],
        "scale": scale,
        "config": asdict(config),
        "bf16": bf16,
        **dict(checkpoint_match or {}),
    }
    saved = None
    if checkpoint is not None and Path(checkpoint).exists():
        try:
            saved = torch.load(checkpoint, map_location="cpu", weights_only=False)
        except (OSError, RuntimeError, EOFError, pickle.UnpicklingError):  # damaged
            pass
    if saved is not None and saved.get("match") == match:  # else start afresh
        _copy_into(live, saved["modules"])
        opt.load_state_dict(saved["opt"])
        for g, state in zip(gens, saved["gens"], strict=True):
            g.set_state(state)
        log.update({k: saved[k] for k in log})
    start, seconds_before = log["step"], log["seconds"]
    if checkpoint is not None:
        log["segments"].append({"from_step": start, **dict(checkpoint_note or {})})

    def save(step: int) -> None:  # a kill mid-write leaves the last whole state
        log.update(step=step, seconds=seconds_before + time.perf_counter() - t_start)
        state = {
            "match": match,
            "modules": _cpu_copy(live),
            "opt": opt.state_dict(),
            "gens": [g.get_state() for g in gens],
            **log,
        }
        atomic_write(checkpoint, lambda fh: torch.save(state, fh))  # type: ignore[arg-type]

    steps = range(start + 1, config.steps + 1)
    with flags or contextlib.nullcontext():
        for step in tqdm(
            steps, disable=not progress, desc="DIP", initial=start, total=config.steps
        ):
            t0 = time.perf_counter()
            zin = z
            if config.reg_noise_std > 0:
                noise = torch.stack(
                    [torch.randn(z.shape[1:], generator=g, device=dev) for g in gens]
                )
                zin = z + config.reg_noise_std * noise
            with amp:
                out = run_all(zin).float()
            low = downsample(out, scale)
            per_image = torch.stack(
                [loss_fn(low[i : i + 1], target[i : i + 1]) for i in range(n)]
            )
            values = per_image.detach().cpu()
            if not torch.isfinite(values).all():
                bad = torch.nonzero(~torch.isfinite(values)).flatten().tolist()
                raise FloatingPointError(
                    f"DIP: non-finite loss at step {step} of {config.steps} "
                    f"(images {bad}); try amp=False or a lower lr"
                )
            opt.zero_grad(set_to_none=True)
            per_image.sum().backward()
            opt.step()
            log["losses"].append(float(values.mean()))
            for i in range(n):
                log["image_losses"][i].append(float(values[i]))
            log["step_time"] += time.perf_counter() - t0
            if hr is not None and (step % trace_every == 0 or step == config.steps):
                scores = psnr(clean().cpu(), hr.cpu(), shave=scale)
                log["trace_steps"].append(step)
                for i in range(n):
                    log["trace"][i].append(float(scores[i]))
            if checkpoint is not None and step % checkpoint_every == 0:
                if step < config.steps:
                    save(step)
        sr = clean().cpu()
    if checkpoint is not None:
        Path(checkpoint).unlink(missing_ok=True)
    return DIPResult(
        sr=sr,
        trace_steps=log["trace_steps"],
        trace_psnr=log["trace"],
        loss=log["losses"],
        image_loss=log["image_losses"],
        interp_loss=interp_loss,
        seconds=seconds_before + time.perf_counter() - t_start,
        seconds_per_step=log["step_time"] / max(config.steps, 1),
        segments=log["segments"] if len(log["segments"]) > 1 else [],
    )


def _cpu_copy(tensors: dict[str, Any]) -> dict[str, Any]:
    """A CPU copy of a (nested) dict of tensors."""
    return {
        k: v.detach().cpu().clone() if torch.is_tensor(v) else _cpu_copy(v)
        for k, v in tensors.items()
    }


@torch.no_grad()
def _copy_into(tensors: dict[str, Any], saved: dict[str, Any]) -> None:
    """Copy ``saved`` into the (nested) dict ``tensors`` in place (Adam keeps its
    references)."""
    for k, v in tensors.items():
        if torch.is_tensor(v):
            v.copy_(saved[k])
        else:
            _copy_into(v, saved[k])
