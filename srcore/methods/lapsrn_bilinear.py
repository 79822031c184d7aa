"""Bilinear upsampling filters: LapSRN's initial image-branch weights.

LapSRN's image-reconstruction branch upsamples x2 with a 4x4 transposed convolution
initialised to bilinear interpolation (:func:`bilinear_deconv_weight`); Benedetti's
sub-pixel variant uses a 3x3 convolution + ``PixelShuffle(2)`` initialised to the
same function (:func:`bilinear_subpixel_weight`), so both start equal.
"""

from __future__ import annotations

import torch

__all__ = ["bilinear_deconv_weight", "bilinear_subpixel_weight"]


def _bilinear_1d(factor: int) -> torch.Tensor:
    """FCN's 1-D bilinear kernel of size ``2 factor - factor % 2``."""
    size = 2 * factor - factor % 2
    center = factor - 1 if size % 2 else factor - 0.5
    return 1 - (torch.arange(size, dtype=torch.float64) - center).abs() / factor


def bilinear_deconv_weight(channels: int, factor: int = 2) -> torch.Tensor:
    """Transposed-conv weight doing channel-wise bilinear upsampling by ``factor``.

    ``w[c, c] = k k^T`` (zero off the diagonal), ``k_t = 1 - |t - c0| / factor`` over
    ``t = 0 .. K-1``, ``K = 2 factor - factor % 2``, ``c0`` the kernel centre; for x2,
    ``k = (1/4, 3/4, 3/4, 1/4)``. Used as ``ConvTranspose2d(C, C, K, stride=factor,
    padding=(K - factor) // 2)``, it equals ``F.interpolate(..., mode="bilinear",
    align_corners=False)`` away from the border (zero padding darkens the outermost
    output pixels, as in the original network).

    Args:
        channels: ``C``; each channel is upsampled on its own.
        factor: integer upsampling factor (2 in LapSRN).

    Returns:
        float32 ``(C, C, K, K)``, ``ConvTranspose2d``'s ``(in, out, kH, kW)`` layout.

    Example:
        >>> bilinear_deconv_weight(1)[0, 0, 0]
        tensor([0.0625, 0.1875, 0.1875, 0.0625])

    Reference:
        Long, Shelhamer, Darrell, "Fully Convolutional Networks", CVPR 2015 (the
        ``upsample_filt`` kernel); Lai et al. 2017 §4.1 / ``bilinear_u.m``.
    """
    if channels < 1 or factor < 1:
        raise ValueError(f"channels and factor must be >= 1, got {channels}, {factor}")
    k = _bilinear_1d(factor)
    w = torch.zeros(channels, channels, k.numel(), k.numel(), dtype=torch.float64)
    w[range(channels), range(channels)] = torch.outer(k, k)
    return w.float()


def bilinear_subpixel_weight(channels: int) -> torch.Tensor:
    """``Conv2d(C, 4C, 3, padding=1)`` weight that, followed by ``PixelShuffle(2)``,
    is the same bilinear x2 as :func:`bilinear_deconv_weight` (borders included).

    Output pixel ``2i + a`` sits at input coordinate ``i - 1/4`` (``a = 0``) or ``i +
    1/4`` (``a = 1``), so its taps over ``(i - 1, i, i + 1)`` are ``(1/4, 3/4, 0)`` or
    ``(0, 3/4, 1/4)``; the 2-D filter of phase ``(a, b)`` is their outer product, and
    ``PixelShuffle`` reads phase ``(a, b)`` of channel ``c`` from channel ``4c + 2a +
    b``.

    Returns:
        float32 ``(4C, C, 3, 3)``.

    Example:
        >>> bilinear_subpixel_weight(1)[0, 0]
        tensor([[0.0625, 0.1875, 0.0000],
                [0.1875, 0.5625, 0.0000],
                [0.0000, 0.0000, 0.0000]])
    """
    taps = torch.tensor([[0.25, 0.75, 0.0], [0.0, 0.75, 0.25]], dtype=torch.float64)
    w = torch.zeros(4 * channels, channels, 3, 3, dtype=torch.float64)
    for c in range(channels):
        for a in range(2):
            for b in range(2):
                w[4 * c + 2 * a + b, c] = torch.outer(taps[a], taps[b])
    return w.float()
