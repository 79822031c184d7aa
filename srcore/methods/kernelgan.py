"""KernelGAN: estimate an LR image's blur kernel from the image alone.

Patches of ``y = (x ⋆ k)↓s`` recur across scales, so the right kernel keeps the
distribution of ``y``'s patches when it downscales ``y``. A deep *linear* generator
``G`` (convolutions 7-5-3-1-1-1, no bias) downscales crops of ``y`` by 2 against a
patch discriminator ``D``: ``min_G max_D E|D(y_crop) - 1| + E|D(G(y_crop'))| +
R(k_G)``, ``R`` the authors' regularisers (sum to one, boundary ring, a bicubic warm
start whose weight decays, then centre of mass and sparsity). The final kernel keeps
the taps above 0.75 x the 41st largest, renormalised and centred; the x4 kernel is
the x2 one composed with itself (paper §4.1). Deviation: ``G(c) = (c ⋆ k_G)↓2`` with
the composed kernel (the reference strides G's first layer).

Reference: Bell-Kligler, Shocher, Irani, "Blind Super-Resolution Kernel Estimation
using an Internal-GAN", NeurIPS 2019, §3-4 and supplementary; the authors' code.

Example:
    >>> res = estimate_kernel(torch.rand(1, 3, 56, 56), 2, kernel_config("smoke"))
    >>> tuple(res.kernel.shape), round(float(res.kernel.sum()), 6), res.steps
    ((15, 15), 1.0, 30)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from srcore.degrade import bicubic_kernel, center_kernel, compose_x2
from srcore.profiles import resolve_device, resolve_profile

__all__ = [
    "KernelGANConfig",
    "PROFILES",
    "KernelGANResult",
    "LinearGenerator",
    "PatchDiscriminator",
    "estimate_kernel",
    "kernel_config",
]


@dataclass(frozen=True)
class KernelGANConfig:
    """KernelGAN's settings; defaults are the paper's (authors' ``configs.py``)."""

    g_layers: tuple[int, ...] = (7, 5, 3, 1, 1, 1)  # G_structure
    g_channels: int = 64  # G_chan
    d_channels: int = 64  # D_chan
    d_layers: int = 7  # D_n_layers
    d_kernel: int = 7  # D_kernel_size
    crop: int = 64  # input_crop_size (G's input, LR pixels)
    steps: int = 3000  # max_iters
    lr_g: float = 2e-4  # g_lr
    lr_d: float = 2e-4  # d_lr
    beta1: float = 0.5  # Adam momentum
    lr_every: int = 750  # learner: update_l_rate_freq
    lr_factor: float = 10.0  # learner: update_l_rate_rate
    lambda_sum_to_one: float = 0.5
    lambda_boundaries: float = 0.5
    lambda_bicubic: float = 5.0
    bicubic_until: float = 0.4  # learner: bic_loss_to_start_change (3 steps in a row)
    bicubic_decay: float = 100.0  # learner: lambda_bicubic_decay_rate
    bicubic_every: int = 200  # learner: lambda_update_freq
    bicubic_min: float = 5e-6  # learner: lambda_bicubic_min
    constraints_below: float = 5e-3  # learner: insert constraints below this weight
    lambda_centralized: float = 1.0  # learner: lambda_centralized_end
    lambda_sparse: float = 5.0  # learner: lambda_sparse_end
    keep_largest: int = 40  # n_filtering
    border: int = 10  # DataGenerator.shave_edges (synthetic images)
    seed: int = 0  # ours


#: Overrides per profile. ``quick`` runs the paper's budget (half of it is not enough).
PROFILES: dict[str, dict] = {
    "smoke": {"steps": 30, "g_channels": 8, "d_channels": 8, "crop": 32},
    "quick": {},
    "paper": {},
}


def kernel_config(profile: str, **overrides: object) -> KernelGANConfig:
    """The profile's :class:`KernelGANConfig` (paper defaults + overrides)."""
    return resolve_profile(KernelGANConfig(), PROFILES, profile, **overrides)


class LinearGenerator(nn.Module):
    """A deep linear downscaler: ``G(x) = (x ⋆ k)↓2``, ``k`` the composition of its
    convolutions (size ``Σ (l - 1) + 1``: 13 for 7-5-3-1-1-1), each channel alike.

    ``x``: ``(B, C, H, W)`` -> ``(B, C, (H - n) // 2 + 1, (W - n) // 2 + 1)``.
    """

    def __init__(self, layers: tuple[int, ...], channels: int):
        super().__init__()
        widths = [1] + [channels] * (len(layers) - 1) + [1]
        self.weights = nn.ParameterList(
            nn.Parameter(torch.empty(widths[i + 1], widths[i], size, size))
            for i, size in enumerate(layers)
        )
        for w in self.weights:
            nn.init.xavier_normal_(w, gain=0.1)  # authors' weights_init_G
        self.size = sum(n - 1 for n in layers) + 1

    def kernel(self) -> torch.Tensor:
        """The composed kernel ``(n, n)``: a delta pushed through every layer, each
        "full" (padded by its size - 1), so the support grows 1 -> 7 -> 11 -> 13."""
        k = torch.ones(1, 1, 1, 1, device=self.weights[0].device)
        for w in self.weights:
            k = F.conv2d(F.pad(k, (w.shape[-1] - 1,) * 4), w)
        return k[0, 0].flip(0, 1)  # conv2d correlates: flip to a correlation kernel

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _downscale(x, self.kernel())


class PatchDiscriminator(nn.Module):
    """A fully convolutional patch discriminator: one ``k x k`` spectral-normalised
    convolution, then 1x1 layers (BatchNorm, ReLU), a sigmoid map of "real".

    ``(B, 3, H, W)`` -> ``(B, 1, H - k + 1, W - k + 1)``.
    """

    def __init__(self, channels: int, layers: int, kernel: int):
        super().__init__()
        sn = nn.utils.parametrizations.spectral_norm
        blocks: list[nn.Module] = [sn(nn.Conv2d(3, channels, kernel))]
        for _ in range(layers - 2):
            blocks += [
                sn(nn.Conv2d(channels, channels, 1)),
                nn.BatchNorm2d(channels),
                nn.ReLU(inplace=True),
            ]
        blocks += [sn(nn.Conv2d(channels, 1, 1)), nn.Sigmoid()]
        self.net = nn.Sequential(*blocks)
        for m in self.modules():  # authors' weights_init_D
            if isinstance(m, nn.Conv2d):
                nn.init.xavier_normal_(m.weight, gain=0.1)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.normal_(m.weight, 1.0, 0.02)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


@dataclass
class KernelGANResult:
    """What :func:`estimate_kernel` returns: ``kernel`` for the requested scale
    (float64, centred, sum 1), the x2 one it came from, G's ``raw_kernel`` before the
    clean-up, and :func:`srcore.health.kernel_health`."""

    kernel: torch.Tensor
    kernel_x2: torch.Tensor
    raw_kernel: torch.Tensor
    health: dict
    seconds: float
    steps: int
    trace_steps: list[int] = field(default_factory=list)
    trace_g: list[float] = field(default_factory=list)
    trace_d: list[float] = field(default_factory=list)
    trace_bicubic: list[float] = field(default_factory=list)


def _crop_sampler(img: torch.Tensor, size: int, gen: torch.Generator, count: int):
    """``count`` top-left corners (even, so crops share the x2 grid) of ``size``
    crops, drawn with probability ∝ the share of strong edges in the crop (pixels in
    the top 3 % of the gradient magnitude, as the authors' gradient map)."""
    grey = img.mean(1, keepdim=True)[0, 0]
    gy, gx = torch.gradient(grey)
    mag = torch.sqrt(gx**2 + gy**2)
    strong = (mag >= torch.quantile(mag.flatten()[::7], 0.97)).float()
    share = F.avg_pool2d(strong[None, None], size, stride=1)[0, 0]  # (H-s+1, W-s+1)
    share = share[::2, ::2] + 1e-3  # every crop stays possible
    flat = torch.multinomial(share.flatten(), count, replacement=True, generator=gen)
    rows, cols = flat // share.shape[1], flat % share.shape[1]
    return torch.stack([rows * 2, cols * 2], 1).tolist()


def _boundary_mask(n: int) -> torch.Tensor:
    """The authors' penalty mask: 30 (1 - g/max g), g a Gaussian of σ = n, on the
    outer ring of the kernel (the middle ``n - 4`` square is free)."""
    t = torch.arange(n, dtype=torch.float64) - (n - 1) / 2
    g = torch.exp(-(t[:, None] ** 2 + t[None] ** 2) / (2 * n**2))
    mask = 30.0 * (1.0 - g / g.max())
    mask[2:-2, 2:-2] = 0.0
    return mask.float()


def _centre_of_mass(k: torch.Tensor) -> torch.Tensor:
    idx = torch.arange(k.shape[0], dtype=k.dtype, device=k.device)
    total = k.sum()
    return torch.stack([(k.sum(1) * idx).sum() / total, (k.sum(0) * idx).sum() / total])


def _clean(k: torch.Tensor, keep: int) -> torch.Tensor:
    """Zero the taps below 0.75 x the (keep + 1)-th largest, renormalise, centre."""
    k = k.detach().double().cpu()
    floor = 0.75 * torch.sort(k.flatten(), descending=True).values[keep]
    k = torch.clamp(k - floor, min=0.0)
    if not k.sum() > 0:
        raise FloatingPointError("KernelGAN's kernel has no positive taps")
    return center_kernel(k / k.sum())


def estimate_kernel(
    lr_img: torch.Tensor,
    scale: int,
    config: KernelGANConfig = KernelGANConfig(),
    *,
    device: str | torch.device = "cpu",
    progress: bool = False,
    trace_every: int = 50,
) -> KernelGANResult:
    """Estimate the blur kernel of ``lr_img`` for SR by ``scale`` (2 or 4).

    ``lr_img`` is ``(1, 3, h, w)`` in [0, 1] (grey: repeat it to 3 channels), at
    least ``crop + 2 border`` pixels a side. A GAN's losses do not fall, so the run
    is judged on its final kernel (:func:`srcore.health.kernel_health`). Raises
    ``ValueError`` for a bad scale or size, ``FloatingPointError`` when the losses
    stop being finite.
    """
    if scale not in (2, 4):
        raise ValueError(f"KernelGAN estimates x2 and x4 kernels, not x{scale}")
    dev = resolve_device(device)
    if lr_img.ndim != 4 or lr_img.shape[:2] != (1, 3):
        raise ValueError(f"lr_img must be (1, 3, h, w), got {tuple(lr_img.shape)}")
    cfg = config
    b = cfg.border
    img = lr_img[..., b : lr_img.shape[-2] - b, b : lr_img.shape[-1] - b]
    if min(img.shape[-2:]) < cfg.crop:
        raise ValueError(
            f"KernelGAN needs an LR image of at least {cfg.crop + 2 * b} px a side, "
            f"got {tuple(lr_img.shape[-2:])}"
        )
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    img = (img.float() * 2.0 - 1.0).to(dev)  # the authors' range, [-1, 1]
    G = LinearGenerator(cfg.g_layers, cfg.g_channels).to(dev)
    D = PatchDiscriminator(cfg.d_channels, cfg.d_layers, cfg.d_kernel).to(dev)
    n = G.size
    d_size = (cfg.crop - n) // 2 + 1  # G's output side = D's input side
    opt_g = torch.optim.Adam(G.parameters(), cfg.lr_g, betas=(cfg.beta1, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), cfg.lr_d, betas=(cfg.beta1, 0.999))
    # Bicubic on G's own grid: output j centred on input 2j + n//2 + 1/2, as
    # imresize's pixel centres, so the warm start is aligned exactly.
    bicubic = bicubic_kernel(2, n, shift=0.5).float().to(dev)
    mask = _boundary_mask(n).to(dev)
    centre = torch.full((2,), (n - 1) / 2 + 0.5, device=dev)

    def crops(size: int, count: int) -> torch.Tensor:
        corners = _crop_sampler(img, size, gen, count)
        return torch.cat([img[..., r : r + size, c : c + size] for r, c in corners])

    g_crops, d_crops = crops(cfg.crop, cfg.steps), crops(d_size, cfg.steps)
    lam_bic, similar_steps, constrained = cfg.lambda_bicubic, 0, False
    empty = torch.empty(0)
    res = KernelGANResult(empty, empty, empty, {}, 0.0, cfg.steps)
    t0, threads = time.perf_counter(), torch.get_num_threads()
    if dev.type == "cpu":  # its convolutions are tiny: one thread is ~3x faster
        torch.set_num_threads(1)
    try:
        for step in tqdm(range(cfg.steps), desc="KernelGAN", disable=not progress):
            if step and step % cfg.lr_every == 0:
                for opt in (opt_g, opt_d):
                    for group in opt.param_groups:
                        group["lr"] /= cfg.lr_factor
            g_in = g_crops[step : step + 1]
            d_real = d_crops[step : step + 1]
            # G: fool D, within the kernel's constraints.
            opt_g.zero_grad(set_to_none=True)
            k = G.kernel()
            fake = G(g_in)
            adversarial = (1.0 - D(fake)).abs().mean()
            loss_bic = F.mse_loss(fake, _downscale(g_in, bicubic))
            loss = (
                adversarial
                + lam_bic * loss_bic
                + cfg.lambda_sum_to_one * (1.0 - k.sum()).abs()
                + cfg.lambda_boundaries * (k * mask).abs().mean()
            )
            if constrained:
                loss = (
                    loss
                    + cfg.lambda_centralized * F.mse_loss(_centre_of_mass(k), centre)
                    + cfg.lambda_sparse * (k.abs() + 1e-12).pow(0.2).mean()
                )
            if not torch.isfinite(loss):
                raise FloatingPointError(
                    f"KernelGAN's G loss is {loss.item()} at {step}"
                )
            loss.backward()
            opt_g.step()
            # D: real crops (with the authors' 1/255 noise) against G's outputs.
            opt_d.zero_grad(set_to_none=True)
            noise = 2.0 / 255.0
            real = D(d_real + noise * torch.randn_like(d_real))
            fake_d = D(fake.detach() + noise * torch.randn_like(fake))
            loss_d = 0.5 * ((1.0 - real).abs().mean() + fake_d.abs().mean())
            loss_d.backward()
            opt_d.step()
            # The authors' learner: warm start at bicubic, then the other constraints.
            if similar_steps < 3:
                similar_steps = similar_steps + 1 if loss_bic < cfg.bicubic_until else 0
            elif step % cfg.bicubic_every == 0 and lam_bic > cfg.bicubic_min:
                lam_bic = max(lam_bic / cfg.bicubic_decay, cfg.bicubic_min)
                constrained = constrained or lam_bic < cfg.constraints_below
            if step % trace_every == 0 or step == cfg.steps - 1:
                res.trace_steps.append(step)
                res.trace_g.append(adversarial.item())
                res.trace_d.append(loss_d.item())
                res.trace_bicubic.append(loss_bic.item())
        res.seconds = time.perf_counter() - t0
        res.raw_kernel = G.kernel().detach().double().cpu()
        res.kernel_x2 = _clean(res.raw_kernel, cfg.keep_largest)
        res.health = _health(res.raw_kernel, res.kernel_x2, mask.cpu())
        res.kernel = res.kernel_x2
        if scale == 4:
            res.kernel = center_kernel(_crop_x4(compose_x2(res.kernel_x2), n))
        return res
    finally:
        torch.set_num_threads(threads)


def _crop_x4(k4: torch.Tensor, n: int) -> torch.Tensor:
    """The authors' x4 crop: ``n // 2`` taps off every side (negligible taps)."""
    c = n // 2
    k4 = k4[c:-c, c:-c]
    return k4 / k4.sum()


def _downscale(x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """``(x ⋆ k)↓2`` per channel, valid part: ``(B, C, H, W)`` -> ``(B, C, h, w)``."""
    b, c, h, w = x.shape
    k = kernel.to(x.dtype).to(x.device)[None, None]
    out = F.conv2d(x.reshape(b * c, 1, h, w), k, stride=2)
    return out.reshape(b, c, *out.shape[-2:])


def _health(raw: torch.Tensor, kernel: torch.Tensor, mask: torch.Tensor) -> dict:
    """:func:`srcore.health.kernel_health` of G's final kernel: its taps' sum, the
    share of its mass on the ring its boundary loss penalises, and the estimate's
    distance to the (centred) bicubic kernel of the same size."""
    from srcore.degrade import kernel_error
    from srcore.health import kernel_health

    mass = raw.abs()
    boundary = float((mass * (mask > 0)).sum() / mass.sum())
    prior = bicubic_kernel(2, kernel.shape[-1])
    return kernel_health(float(raw.sum()), boundary, kernel_error(kernel, prior))
