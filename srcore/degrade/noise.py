"""Degradations after the downscaling: additive Gaussian noise and JPEG.

Noise is drawn on the CPU from ``seed`` (:data:`~srcore.degrade.checks.Seed`) and
then moved, so a seed gives the same noise on every device.
"""

from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image

from srcore.degrade.checks import Seed, check_image, check_sigma, torch_generator


def add_gaussian_noise(
    x: torch.Tensor, sigma: float, seed: Seed = None
) -> torch.Tensor:
    """Additive white Gaussian noise, not clipped: ``y = x + sigma n``,
    ``n ~ N(0, 1)``, ``sigma`` on the ``[0, 1]`` scale (8-bit "level 10" is 10/255).

    Example:
        >>> y = add_gaussian_noise(torch.full((1, 3, 64, 64), 0.5), 10 / 255, seed=0)
        >>> round(float((y - 0.5).std()) * 255)
        10
    """
    check_image(x)
    sigma = check_sigma(sigma)
    n = torch.randn(x.shape, generator=torch_generator(seed), dtype=torch.float32)
    return x + sigma * n.to(device=x.device, dtype=x.dtype)


def jpeg(x: torch.Tensor, quality: int) -> torch.Tensor:
    """JPEG-compress and decode each image of a ``(B, 1 or 3, H, W)`` batch with PIL
    (uint8, baseline at ``quality`` 1-95, 4:2:0 chroma): dtype and device of ``x``.

    Example:
        >>> y = jpeg(torch.rand(2, 3, 16, 16), quality=75)
        >>> tuple(y.shape)
        (2, 3, 16, 16)
    """
    check_image(x)
    if (
        isinstance(quality, bool)
        or not isinstance(quality, int | np.integer)
        or not (1 <= quality <= 95)
    ):
        raise ValueError(f"JPEG quality must be an integer in [1, 95], got {quality!r}")
    if x.shape[1] not in (1, 3):
        raise ValueError(f"jpeg needs 1 or 3 channels, got {x.shape[1]}")
    arr = torch.round(x.detach().clamp(0, 1) * 255).to(torch.uint8).cpu().numpy()
    out = []
    for img in arr:
        pil = Image.fromarray(img[0] if img.shape[0] == 1 else img.transpose(1, 2, 0))
        buf = io.BytesIO()
        pil.save(buf, format="JPEG", quality=int(quality))
        buf.seek(0)
        with Image.open(buf) as dec:
            back = np.asarray(dec.convert(pil.mode), dtype=np.uint8)
        out.append(back[None] if back.ndim == 2 else back.transpose(2, 0, 1))
    y = torch.from_numpy(np.stack(out)).to(torch.float32) / 255.0
    return y.to(device=x.device, dtype=x.dtype)
