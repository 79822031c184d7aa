"""Named degradation recipes: the LR images the study's chapters are scored on.

:func:`degrade` chains a downscaling (:mod:`srcore.degrade.ops`) with additive
Gaussian noise, JPEG compression (:mod:`srcore.degrade.noise`) and 8-bit
quantisation, in that order. :func:`degrade_random_kernel` and
:func:`random_kernel_degradation` are its DIV2KRK-style random-kernel forms, for test
images and training patches; :func:`stable_seed` fixes an image's kernel by its name.

References:
    Shocher, Cohen, Irani, "Zero-Shot Super-Resolution using Deep Internal Learning"
    (ZSSR, CVPR 2018).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from srcore.degrade.checks import Seed, check_image, check_sigma, integer_scale
from srcore.degrade.kernels import random_kernel
from srcore.degrade.noise import add_gaussian_noise, jpeg
from srcore.degrade.ops import bicubic_downscale, downscale_with_kernel

__all__ = [
    "degrade",
    "stable_seed",
    "degrade_random_kernel",
    "random_kernel_degradation",
]


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
    """Make an LR image: downscale, add noise, JPEG, quantise to 8 bit (in that order).

    ``LR = Q(JPEG_q(D_s(HR) + sigma n))`` with ``D_s`` = :func:`bicubic_downscale`
    when ``kernel`` is None, else :func:`downscale_with_kernel` (centred grid);
    ``n ~ N(0, 1)`` drawn from ``seed``; each stage skipped when off
    (``noise_sigma = 0``, ``jpeg_quality = None``); ``Q`` = round to the 8-bit grid
    with clipping (:func:`srcore.imageops.quantize`).

    Args:
        hr: ``(B, C, H, W)`` in ``[0, 1]``; ``H`` and ``W`` multiples of ``scale``
            (``srcore.imageops.modcrop`` first).
        scale: positive integer factor.
        kernel: blur kernel ``(k, k)`` or ``(B, k, k)``, or None for bicubic.
        noise_sigma: Gaussian noise std on the ``[0, 1]`` scale (e.g. ``10/255``).
        jpeg_quality: ``1..95``, or None for no JPEG.
        seed: for the noise; same seed, same output.
        quantize_output: round to the 8-bit grid at the end (as stored LR images are).

    Returns:
        ``(B, C, H // s, W // s)``, dtype and device of ``hr``.

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
    """A seed from names (``"BSD100", "3096", 4``), the same on every machine and run.

    Python's ``hash`` of a string changes between processes; CRC-32 of the joined
    text does not, so an image's test kernel is fixed by its name and the scale.

    Example:
        >>> stable_seed("BSD100", "3096", 4) == stable_seed("BSD100/3096", 4)
        True
    """
    import zlib

    return zlib.crc32("/".join(str(p) for p in parts).encode())


def degrade_random_kernel(hr: torch.Tensor, scale: int, seed: Seed) -> torch.Tensor:
    """``LR = Q((HR ⋆ k)↓s)`` with ``k = random_kernel(scale=scale, seed=seed)``.

    The random-kernel test images of Benedetti (and ZSSR's non-ideal case) when a
    dataset does not ship its own LR: one DIV2KRK-style kernel per image, drawn from
    a seed such as :func:`stable_seed` of the image's name.

    Example:
        >>> hr = torch.rand(1, 3, 32, 32)
        >>> lr = degrade_random_kernel(hr, 2, stable_seed("demo", 2))
        >>> tuple(lr.shape), bool(torch.equal(lr, degrade_random_kernel(hr, 2, 4)))
        ((1, 3, 16, 16), False)
    """
    return degrade(hr, scale, kernel=random_kernel(scale=scale, seed=seed))


def random_kernel_degradation(
    scale: int,
) -> Callable[[torch.Tensor], torch.Tensor]:
    """A patch-sampler degradation: each HR patch gets its own DIV2KRK-style kernel.

    Returns ``f(hr (B, C, P, P)) -> lr (B, C, P/s, P/s)``, 8-bit. The B kernels are
    drawn from torch's global generator, which
    :class:`srcore.training.patches.PatchSampler`
    forks and seeds from ``(seed, step)``: a training batch is still a pure function
    of its step. The patch borders are padded symmetrically by the blur, as a whole
    image's are.

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
