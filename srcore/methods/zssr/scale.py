"""Scales and sizes for ZSSR: scale pairs, MATLAB's output size, and bicubic resizing
given both the scale and the output size (sons, back-projection and the loops all
resize this way, as ``ZSSR.py forward_backward_pass`` does).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import torch

from srcore.resize import resize_matrix

__all__ = ["Scale", "scale_pair", "out_size", "resize_to"]

Scale = float | tuple[float, float]


def scale_pair(scale: Scale) -> tuple[float, float]:
    """``(vertical, horizontal)`` of a scale, checked positive and finite.

    Example:
        >>> scale_pair(2), scale_pair((1.5, 2))
        ((2.0, 2.0), (1.5, 2.0))
    """
    pair = tuple(scale) if isinstance(scale, tuple | list) else (scale, scale)
    if len(pair) != 2 or not all(math.isfinite(s) and s > 0 for s in pair):
        raise ValueError(f"scale must be positive and finite, or a pair, got {scale!r}")
    return (float(pair[0]), float(pair[1]))


def out_size(hw: Sequence[int], scale: Scale) -> tuple[int, int]:
    """``ceil(size * scale)`` per axis, MATLAB ``imresize``'s output size.

    Example:
        >>> out_size((17, 20), 1.5)
        (26, 30)
    """
    s = scale_pair(scale)
    return (math.ceil(hw[0] * s[0]), math.ceil(hw[1] * s[1]))


@lru_cache(maxsize=1024)
def _matrix(n_in: int, n_out: int, scale: float, device: torch.device) -> torch.Tensor:
    # Cached per device: a fresh host-to-GPU copy per resize would stall the loop.
    return torch.from_numpy(resize_matrix(n_in, n_out, scale)).to(device)


def resize_to(x: torch.Tensor, scale: Scale, size: Sequence[int]) -> torch.Tensor:
    """MATLAB bicubic ``imresize`` with the *scale* (kernel positions) and the *size*.

    :func:`srcore.resize.imresize` takes only one of them, so the per-axis matrices
    are applied here (float64, smaller scale first, as MATLAB). ``x`` is ``(B, C, h,
    w)``; the result ``(B, C, *size)`` keeps ``x``'s dtype.

    Example:
        >>> tuple(resize_to(torch.rand(1, 3, 9, 8), 2, (17, 16)).shape)
        (1, 3, 17, 16)
    """
    s = scale_pair(scale)
    y = x.to(torch.float64)
    passes = sorted(
        [(2, int(size[0]), s[0]), (3, int(size[1]), s[1])], key=lambda p: p[2]
    )
    for dim, n_out, sc in passes:
        m = _matrix(y.shape[dim], n_out, sc, y.device)
        eq = "oh,bchw->bcow" if dim == 2 else "ow,bchw->bcho"
        y = torch.einsum(eq, m, y)
    return y.to(x.dtype)
