"""Bicubic interpolation: the baseline every SR table starts from.

The upscale is MATLAB's ``imresize(lr, s, 'bicubic')`` rounded to 8 bits, exactly the
"Bicubic" column of Kim et al. (2016, Table 2) when the LR image is made the same way.
"""

from __future__ import annotations

import torch

from srcore.imageops import quantize
from srcore.resize import imresize

__all__ = ["upscale"]


def upscale(lr_img: torch.Tensor, scale: int | float) -> torch.Tensor:
    """Bicubic upscaling by ``scale``, quantised to 8 bits.

    Args:
        lr_img: ``(B, C, H, W)`` in [0, 1].
        scale: upscaling factor.

    Returns:
        ``(B, C, ceil(H*scale), ceil(W*scale))`` on the 8-bit grid.

    Example:
        >>> upscale(torch.zeros(1, 3, 8, 8), 2).shape
        torch.Size([1, 3, 16, 16])
    """
    return quantize(imresize(lr_img, scale))
