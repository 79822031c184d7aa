"""Operators that apply a degradation: blur, downscale with a kernel, bicubic.

Images are float ``(B, C, H, W)`` tensors in ``[0, 1]`` on any device; kernels
``(k, k)`` or ``(B, k, k)``, one per image.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from srcore.degrade.checks import (
    check_image,
    check_kernel,
    integer_scale,
    positive_scale,
)


def _symmetric_index(n: int, pad: int, device: torch.device) -> torch.Tensor:
    """Indices of ``[-pad, n + pad)`` mirrored half-sample style (``c b a | a b c``),
    periodic with period ``2n`` when ``pad >= n``."""
    i = torch.arange(-pad, n + pad, device=device).remainder(2 * n)
    return torch.where(i >= n, 2 * n - 1 - i, i)


def _symmetric_pad(x: torch.Tensor, ph: int, pw: int) -> torch.Tensor:
    """Pad H by ``ph`` and W by ``pw`` on both sides, edge pixel mirrored too: MATLAB's
    ``'symmetric'``, scipy.ndimage's ``'reflect'`` (torch's ``'reflect'`` is not)."""
    h, w = x.shape[-2:]
    x = x.index_select(-2, _symmetric_index(h, ph, x.device))
    return x.index_select(-1, _symmetric_index(w, pw, x.device))


def _correlate(
    x: torch.Tensor,
    kernel: torch.Tensor,
    stride: int = 1,
    offset: tuple[int, int] = (0, 0),
) -> torch.Tensor:
    """Per-channel correlation with symmetric padding, sampled at ``offset + stride*j``:
    ``(B, C, H, W)`` -> ``(B, C, H // stride, W // stride)``."""
    b, c, h, w = x.shape
    kh, kw = kernel.shape[-2:]
    # An image smaller than the kernel (ZSSR's smallest fathers at x4) is blurred
    # over its repeated mirror images, as scipy.ndimage.correlate would.
    k = kernel.to(device=x.device, dtype=x.dtype)
    xp = _symmetric_pad(x, kh // 2, kw // 2)
    # Starting the strided windows at the offset is the same as blurring everything and
    # slicing [oy::stride, ox::stride], without computing the discarded pixels.
    xp = xp[..., offset[0] :, offset[1] :]
    if k.ndim == 2:
        weight = k.expand(c, 1, kh, kw)
        out = F.conv2d(xp, weight, stride=stride, groups=c)
    else:
        # One kernel per image: fold the batch into the channels, one group each.
        weight = k.repeat_interleave(c, dim=0)[:, None]
        out = F.conv2d(
            xp.reshape(1, b * c, *xp.shape[-2:]), weight, stride=stride, groups=b * c
        )
        out = out.reshape(b, c, *out.shape[-2:])
    return out[..., : h // stride, : w // stride]


def blur(x: torch.Tensor, kernel: torch.Tensor | np.ndarray) -> torch.Tensor:
    """Correlate every channel of every image with a kernel (odd sides, used as given):

    ``y[b, c, i, j] = Σ_{u, v} k[u, v] x[b, c, i + u - kh//2, j + v - kw//2]``
    (correlation, as scipy.ndimage.correlate and DIV2KRK), ``x`` mirrored outside
    (``c b a | a b c``: MATLAB ``'symmetric'``). Returns ``(B, C, H, W)`` like ``x``.

    Example:
        >>> delta = torch.zeros(3, 3, dtype=torch.float64); delta[1, 1] = 1
        >>> x = torch.rand(1, 3, 8, 8)
        >>> bool(torch.equal(blur(x, delta), x))
        True
    """
    check_image(x)
    k = check_kernel(kernel, x.shape[0])
    return _correlate(x, k)


def _shift_kernel(kernel: torch.Tensor, shift: float) -> torch.Tensor:
    """``k'[t] = k[t - shift]`` along both axes by cubic spline, as KernelGAN's
    ``kernel_shift``; one zero tap added on every side, the sum restored."""
    from scipy import ndimage

    arr = kernel.detach().cpu().to(torch.float64).numpy()
    out = []
    for k in arr[None] if arr.ndim == 2 else arr:
        moved = ndimage.shift(np.pad(k, 1), (shift, shift), order=3, mode="constant")
        out.append(moved * (k.sum() / moved.sum()))
    res = torch.from_numpy(np.stack(out))
    return res[0] if arr.ndim == 2 else res


def downscale_with_kernel(
    x: torch.Tensor,
    kernel: torch.Tensor | np.ndarray,
    scale: int,
    *,
    offset: int | tuple[int, int] | None = None,
) -> torch.Tensor:
    """Blur with a kernel, then keep every ``scale``-th pixel: ``LR = (HR ⋆ k)↓s``.

    Default grid: LR pixel ``j`` sits at HR ``s j + (s - 1)/2``, the centre of its
    block (MATLAB's ``imresize``); for even ``s`` the kernel is moved by -0.5 px (as
    KernelGAN's ``kernel_shift``) and sampled from ``s // 2``, which reproduces the
    stored DIV2KRK LR images. An integer ``offset`` (``o`` or ``(o_y, o_x)`` in
    ``[0, s)``) gives ``blur(HR, k)[..., o_y::s, o_x::s]``: ``(B, C, H // s, W // s)``.

    Example:
        >>> from srcore.degrade.kernels import random_kernel
        >>> x = torch.rand(1, 3, 64, 64)
        >>> tuple(downscale_with_kernel(x, random_kernel(seed=1), 2).shape)
        (1, 3, 32, 32)
    """
    check_image(x)
    k = check_kernel(kernel, x.shape[0])
    s = integer_scale(scale)
    if offset is None:
        oy = ox = s // 2
        if s % 2 == 0:
            k = _shift_kernel(k, -0.5)
    else:
        pair = (offset, offset) if isinstance(offset, int | np.integer) else offset
        oy, ox = (int(o) for o in pair)
        if not (0 <= oy < s and 0 <= ox < s):
            raise ValueError(f"offset must lie in [0, {s}), got {offset!r}")
    return _correlate(x, k, stride=s, offset=(oy, ox))


def bicubic_downscale(x: torch.Tensor, scale: float) -> torch.Tensor:
    """The standard SR degradation: MATLAB ``imresize(x, 1/scale, 'bicubic')``
    (:func:`srcore.resize.imresize`), ``ceil(H / s) x ceil(W / s)``, not quantised.

    Example:
        >>> tuple(bicubic_downscale(torch.rand(1, 3, 48, 48), 3).shape)
        (1, 3, 16, 16)
    """
    from srcore.resize import imresize

    check_image(x)
    scale = positive_scale(scale)
    h, w = x.shape[-2:]
    if scale == int(scale) and h % int(scale) == 0 and w % int(scale) == 0:
        # Same result as scale=1/s, without trusting ceil(H * (1/s)) in floating point.
        return imresize(x, size=(h // int(scale), w // int(scale)))
    return imresize(x, 1.0 / scale)
