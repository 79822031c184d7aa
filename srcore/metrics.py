"""PSNR, SSIM and LPIPS as the SR literature reports them.

The protocol behind the published tables (Kim et al. 2016 and the MATLAB scripts that
followed it): both images are 8-bit; a colour image is scored on the luma of MATLAB's
``rgb2ycbcr`` *rounded to uint8*; a greyscale image on its own grey levels; ``shave =
scale`` pixels are removed on every side; PSNR uses a 255 peak, SSIM Wang et al.'s
window (:func:`ssim`). Everything is computed in float64.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from functools import lru_cache

import torch
import torch.nn.functional as F

from srcore.imageops import quantize, rgb_to_y
from srcore.imageops import shave as shave_border


def scoring_channel(x: torch.Tensor, *, round_y: bool = True) -> torch.Tensor:
    """The channel the literature scores, on the 0-255 scale, float64, ``(B, 1, H, W)``.

    RGB -> 8-bit RGB -> MATLAB luma (rounded to uint8 when ``round_y``, as
    ``rgb2ycbcr`` on uint8). A one-channel image is scored on its own grey levels, as
    the MATLAB scripts do (``if size(im, 3) > 1, im = rgb2ycbcr(im)``): the rule
    follows the stored channel count, so an RGB file of three equal channels is
    scored on its luma.
    """
    if x.ndim != 4 or x.shape[1] not in (1, 3):
        raise ValueError(
            f"expected a (B, 1|3, H, W) tensor, got shape {tuple(x.shape)}"
        )
    x = quantize(x.to(torch.float64))
    if x.shape[1] == 1:
        return x * 255.0
    y = rgb_to_y(x) * 255.0
    return torch.round(y) if round_y else y


def _prepare(sr: torch.Tensor, hr: torch.Tensor, shave: int, y_channel: bool):
    if sr.shape[-2:] != hr.shape[-2:]:
        raise ValueError(f"size mismatch: sr {tuple(sr.shape)} vs hr {tuple(hr.shape)}")
    if sr.ndim == 3:
        sr, hr = sr[None], hr[None]
    if torch.isnan(sr).any() or torch.isnan(hr).any():
        raise ValueError("NaN in an image passed to a metric")
    if y_channel:
        # A one-channel reference is scored on grey levels even if sr came out as RGB.
        if hr.shape[1] == 1 and sr.shape[1] == 3:
            sr = sr.mean(dim=1, keepdim=True)
        elif hr.shape[1] != sr.shape[1]:
            raise ValueError(
                f"a {sr.shape[1]}-channel output cannot be scored against a "
                f"{hr.shape[1]}-channel reference"
            )
        a, b = scoring_channel(sr), scoring_channel(hr)
    else:
        if sr.shape[1] != hr.shape[1]:
            raise ValueError(f"channel mismatch: {sr.shape[1]} vs {hr.shape[1]}")
        a, b = quantize(sr.double()) * 255.0, quantize(hr.double()) * 255.0
    return shave_border(a, shave), shave_border(b, shave)


def psnr(
    sr: torch.Tensor, hr: torch.Tensor, *, shave: int = 0, y_channel: bool = True
) -> torch.Tensor:
    """Peak signal-to-noise ratio in dB, one value per image: ``10 log10(255^2 / MSE)``.

    ``sr``, ``hr``: ``(B, C, H, W)`` in [0, 1], C = 3 or 1; ``shave`` pixels removed
    on each side; ``y_channel``: MATLAB's 8-bit luma, else all 8-bit channels. Returns
    float64 ``(B,)``, ``inf`` where the images are identical.

    Example:
        >>> hr = torch.full((1, 1, 8, 8), 100 / 255)
        >>> round(float(psnr(hr + 1 / 255, hr)), 2)  # an error of one grey level
        48.13
    """
    a, b = _prepare(sr, hr, shave, y_channel)
    mse = ((a - b) ** 2).flatten(1).mean(dim=1)
    return 10.0 * torch.log10(255.0**2 / mse)


@lru_cache(maxsize=8)
def _gaussian_1d(size: int, sigma: float) -> torch.Tensor:
    coords = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(coords**2) / (2 * sigma**2))
    return g / g.sum()


def _ssim_map(
    a: torch.Tensor, b: torch.Tensor, window: int, sigma: float
) -> torch.Tensor:
    """SSIM map of two ``(B, C, H, W)`` float64 images on the 0-255 scale ("valid"
    region); the five local statistics filtered by the separable window in two
    grouped 1-D passes."""
    c1, c2 = (0.01 * 255.0) ** 2, (0.03 * 255.0) ** 2
    n, channels = a.shape[:2]
    g = _gaussian_1d(window, sigma).to(a.device)
    stats = torch.cat([a, b, a * a, b * b, a * b], dim=1)  # (B, 5C, H, W)
    k = stats.shape[1]
    stats = F.conv2d(stats, g.view(1, 1, window, 1).expand(k, 1, window, 1), groups=k)
    stats = F.conv2d(stats, g.view(1, 1, 1, window).expand(k, 1, 1, window), groups=k)
    mu_a, mu_b, aa, bb, ab = stats.split(channels, dim=1)
    var_a, var_b, cov = aa - mu_a**2, bb - mu_b**2, ab - mu_a * mu_b
    num = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
    den = (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    return num / den


def ssim(
    sr: torch.Tensor,
    hr: torch.Tensor,
    *,
    shave: int = 0,
    y_channel: bool = True,
    window: int = 11,
    sigma: float = 1.5,
) -> torch.Tensor:
    """Structural similarity (Wang et al. 2004), one value per image.

    ``SSIM = (2 mu_x mu_y + C1)(2 s_xy + C2)
    / ((mu_x^2 + mu_y^2 + C1)(s_x^2 + s_y^2 + C2))``
    with Gaussian-weighted local statistics (11x11, sigma 1.5), C1 = (0.01 L)^2,
    C2 = (0.03 L)^2, L = 255, averaged over the valid map (Wang's ``ssim_index.m``; not
    MATLAB's built-in ``ssim``, which pads); float64 ``(B,)``. With
    ``y_channel=False`` the per-channel values are averaged (BasicSR's convention).
    """
    a, b = _prepare(sr, hr, shave, y_channel)
    if min(a.shape[-2:]) < window:
        raise ValueError(
            f"image {tuple(a.shape[-2:])} is smaller than the SSIM window {window}"
        )
    return _ssim_map(a, b, window, sigma).flatten(1).mean(dim=1)


def high_frequency_energy(x: torch.Tensor, *, cutoff: float = 0.25) -> torch.Tensor:
    """Fraction of spectral energy above ``cutoff`` x Nyquist on the luma (mean
    removed), per image: a sharpness measure that needs no pretrained network."""
    y = scoring_channel(x if x.shape[1] in (1, 3) else x[:, :3], round_y=False)[:, 0]
    y = y - y.mean(dim=(-2, -1), keepdim=True)
    power = torch.fft.fft2(y).abs() ** 2
    fy = torch.fft.fftfreq(y.shape[-2], device=y.device, dtype=torch.float64)
    fx = torch.fft.fftfreq(y.shape[-1], device=y.device, dtype=torch.float64)
    radius = torch.sqrt(fy[:, None] ** 2 + fx[None, :] ** 2) / 0.5
    high = power[:, radius > cutoff].sum(dim=1)
    return high / power.flatten(1).sum(dim=1).clamp_min(1e-30)


class LPIPSUnavailable(RuntimeError):
    """The LPIPS backbone weights could not be loaded (offline, no cached file)."""


_LPIPS_CACHE: dict[tuple[str, str], torch.nn.Module] = {}
_LPIPS_FAILED: dict[str, str] = {}


def lpips_model(
    net: str = "alex", device: str | torch.device = "cpu"
) -> torch.nn.Module:
    """The published LPIPS metric (Zhang et al. 2018) with its pretrained backbone
    from torchvision's cache; :class:`LPIPSUnavailable` where it cannot be fetched
    (random features would not be LPIPS)."""
    key = (net, str(device))
    if net in _LPIPS_FAILED:  # one failed download per process is enough
        raise LPIPSUnavailable(_LPIPS_FAILED[net])
    if key not in _LPIPS_CACHE:
        try:
            import lpips  # noqa: PLC0415 - heavy import, only when LPIPS is asked for
        except ImportError as err:  # pragma: no cover - lpips is a dependency
            raise LPIPSUnavailable("the `lpips` package is not installed") from err
        try:
            # torch.hub announces its download on stdout: kept out of the book's pages
            quiet = contextlib.redirect_stdout(io.StringIO())
            with warnings.catch_warnings(), quiet:
                warnings.simplefilter("ignore", UserWarning)  # torchvision deprecations
                model = lpips.LPIPS(net=net, verbose=False)
        except Exception as err:  # urllib / hub errors vary by platform
            _LPIPS_FAILED[net] = (
                f"LPIPS needs the pretrained {net} backbone weights, which could not "
                f"be loaded ({type(err).__name__}: {err}). Put the torchvision "
                f"checkpoint in {torch.hub.get_dir()}/checkpoints or run once with "
                f"network access."
            )
            raise LPIPSUnavailable(_LPIPS_FAILED[net]) from err
        _LPIPS_CACHE[key] = model.eval().to(device)
    return _LPIPS_CACHE[key]


@torch.no_grad()
def lpips_distance(
    sr: torch.Tensor, hr: torch.Tensor, *, net: str = "alex", shave: int = 0
) -> torch.Tensor:
    """LPIPS distance per image (lower is closer) on RGB in [0,1]; grey is
    replicated."""
    model = lpips_model(net, sr.device)
    a, b = shave_border(sr, shave), shave_border(hr, shave)
    if a.shape[1] == 1:
        a, b = a.expand(-1, 3, -1, -1), b.expand(-1, 3, -1, -1)
    return model(a.float() * 2 - 1, b.float() * 2 - 1).flatten().double()
