"""Degradation recipes: :func:`degrade` chains downscaling, noise, JPEG and 8-bit
quantisation; its random-kernel forms serve test images and training patches."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from srcore.degrade.checks import Seed, check_image, check_sigma, integer_scale
from srcore.degrade.kernels import random_kernel
from srcore.degrade.noise import add_gaussian_noise, jpeg
from srcore.degrade.ops import bicubic_downscale, downscale_with_kernel


def degrade(
    hr: torch.Tensor,
    scale: int,
    *,
    kernel: torch.Tensor | np.ndarray | None = None,
    noise_sigma: float = 0.0,
    jpeg_quality: int | None = None,
    seed: Seed = None,
    quantize_output: bool = True,
) -> torch.Tensor:
    """Make an LR image: ``LR = Q(JPEG_q(D_s(HR) + sigma n))``.

    ``D_s`` is :func:`bicubic_downscale` when ``kernel`` is None, else
    :func:`downscale_with_kernel`; ``n ~ N(0, 1)`` from ``seed``; a stage is skipped
    when off (``noise_sigma = 0``, ``jpeg_quality = None``); ``Q`` rounds to the 8-bit
    grid (:func:`srcore.imageops.quantize`) unless ``quantize_output`` is False.
    ``H`` and ``W`` must be multiples of ``scale``; returns ``(B, C, H/s, W/s)``.

    Example:
        >>> lr = degrade(torch.rand(1, 3, 64, 64), 4, noise_sigma=5 / 255, seed=0)
        >>> tuple(lr.shape), bool(torch.equal(lr, torch.round(lr * 255) / 255))
        ((1, 3, 16, 16), True)
    """
    from srcore.imageops import quantize

    check_image(hr, "hr")
    s = integer_scale(scale)
    h, w = hr.shape[-2:]
    if h % s or w % s:
        raise ValueError(
            f"HR size {h}x{w} is not a multiple of scale {s}; crop it first "
            "(srcore.imageops.modcrop)"
        )
    lr = (
        bicubic_downscale(hr, s)
        if kernel is None
        else downscale_with_kernel(hr, kernel, s)
    )
    if check_sigma(noise_sigma) > 0:
        lr = add_gaussian_noise(lr, noise_sigma, seed)
    if jpeg_quality is not None:
        lr = jpeg(lr, jpeg_quality)
    return quantize(lr) if quantize_output else lr


def stable_seed(*parts: object) -> int:
    """A seed from names (``"BSD100", "3096", 4``): CRC-32 of the joined text, the
    same in every process (unlike Python's ``hash``).

    Example:
        >>> stable_seed("BSD100", "3096", 4) == stable_seed("BSD100/3096", 4)
        True
    """
    import zlib

    return zlib.crc32("/".join(str(p) for p in parts).encode())


def degrade_random_kernel(hr: torch.Tensor, scale: int, seed: Seed) -> torch.Tensor:
    """``LR = Q((HR ⋆ k)↓s)`` with ``k = random_kernel(scale=scale, seed=seed)``: a
    random-kernel test image where a dataset ships no LR (seed: :func:`stable_seed`).

    Example:
        >>> tuple(degrade_random_kernel(torch.rand(1, 3, 32, 32), 2, seed=4).shape)
        (1, 3, 16, 16)
    """
    return degrade(hr, scale, kernel=random_kernel(scale=scale, seed=seed))


def random_kernel_degradation(
    scale: int,
) -> Callable[[torch.Tensor], torch.Tensor]:
    """A patch-sampler degradation, ``f(hr (B, C, P, P)) -> lr (B, C, P/s, P/s)``,
    each patch with its own random kernel drawn from torch's global generator (which
    :class:`srcore.training.patches.PatchSampler` seeds per step).

    Example:
        >>> lr = random_kernel_degradation(2)(torch.rand(3, 3, 24, 24))
        >>> tuple(lr.shape)
        (3, 3, 12, 12)
    """
    s = integer_scale(scale)

    def apply(hr: torch.Tensor) -> torch.Tensor:
        seeds = torch.randint(2**62, (hr.shape[0],)).tolist()
        kernels = torch.stack([random_kernel(scale=s, seed=int(k)) for k in seeds])
        return degrade(hr, s, kernel=kernels)

    return apply
