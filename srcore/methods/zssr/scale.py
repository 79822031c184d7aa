"""Scales and sizes for ZSSR: scale pairs, MATLAB's output size, bicubic resizing
given both the scale and the output size.

A scale is a float or a ``(vertical, horizontal)`` pair (gradual SR's stages,
``configs.py scale_factors``). The reference (github.com/assafshocher/ZSSR,
``ZSSR.py forward_backward_pass``) interpolates a son back to its father with the
scale *and* the father's size; sons (:mod:`~srcore.methods.zssr.fathers`),
back-projection (:mod:`~srcore.methods.zssr.test_time`) and the training job
(:mod:`~srcore.methods.zssr.single`) all resize this way, so the helpers live here.
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
    if isinstance(scale, tuple | list):
        if len(scale) != 2:
            raise ValueError(
                f"a scale pair must be (vertical, horizontal), got {scale}"
            )
        pair = (float(scale[0]), float(scale[1]))
    else:
        pair = (float(scale), float(scale))
    if not all(math.isfinite(s) and s > 0 for s in pair):
        raise ValueError(f"scale must be positive and finite, got {scale!r}")
    return pair


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
    """MATLAB bicubic ``imresize`` given both the scale and the output size.

    The reference interpolates a son of a father that is not a multiple of the scale
    with the *scale* (kernel positions) and the father's *size* (ZSSR.py
    ``forward_backward_pass``); :func:`srcore.resize.imresize` takes only one, so the
    per-axis matrices are applied here (float64, smaller scale first, as MATLAB).
    ``x`` is ``(B, C, h, w)``; the result ``(B, C, *size)`` keeps ``x``'s dtype.

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
