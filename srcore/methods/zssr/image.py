"""One image's ZSSR run: scales and sizes, bicubic resizing given both the scale and
the output size (as ``ZSSR.py forward_backward_pass``), the checked inputs and stages
(:func:`plan`), where both loops start, and its :class:`ZSSRResult`, where they end.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from srcore.methods.zssr.config import ZSSRConfig, check_config
from srcore.resize import resize_matrix

__all__ = ["Scale", "scale_pair", "out_size", "resize_to", "Plan", "plan", "ZSSRResult"]

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


@dataclass
class ZSSRResult:
    """One image's ZSSR run. Iteration numbers count iterations *done* over all
    stages; the PSNR trace scores the plain network output (no self-ensemble, no
    back-projection) of the last stage, from iteration 0 on."""

    sr: torch.Tensor  # (1, C, ceil(H s), ceil(W s)) in [0, 1], CPU, post-processed
    iterations: int  # training iterations done (all stages)
    final_lr: float  # learning rate when training stopped
    psnr: float | None  # Y PSNR of `sr` (shave = scale) when `hr` was given
    trace_iters: list[int]  # iterations done at each trace point (with `hr`)
    trace_psnr: list[float]  # PSNR of the plain network output there
    rec_iters: list[int]  # iterations done at each reconstruction test
    rec_mse: list[float]  # MSE(net(son(I)), I) of the LR image I (the lr policy's)
    lr_changes: list[int]  # iterations done when lr was divided by 10
    loss: list[float]  # training loss per iteration
    seconds: float  # wall clock of the whole call (shared by zssr_many's images)
    seconds_per_iter: float  # one training iteration (all images of a zssr_many call)
    state: dict[str, torch.Tensor]  # final network weights, CPU
    rec_interp: float = math.nan  # reconstruction error with the network removed
    rec_final: float = math.nan  # reconstruction error after training (last stage)

    @classmethod
    def empty(cls) -> ZSSRResult:
        """A result before the run: no output, no iterations, empty histories."""
        return cls(None, 0, math.nan, None, [], [], [], [], [], [], 0.0, 0.0, {})


@dataclass
class Plan:
    """One image's checked inputs: the LR image and HR (CPU, float32), the
    (vertical, horizontal) scale of each stage, back-projections per stage, the
    kernel (float64) and the output size."""

    lr_img: torch.Tensor  # (1, C, h, w) in [0, 1]
    hr: torch.Tensor | None  # (1, C, *out_size), for the PSNR trace only
    stages: list[tuple[float, float]]  # config.scale_factors, or the one scale
    bp_iters: tuple[int, ...]  # one per stage
    kernel: torch.Tensor | None  # (k, k) float64: sons and back-projection use it
    out_size: tuple[int, int]  # ceil((h, w) * scale)
    shave: int  # the PSNR's border


def _check_kernel(kernel, stages: list[tuple[float, float]]) -> torch.Tensor | None:
    if kernel is None:
        return None
    k = torch.as_tensor(np.asarray(kernel) if not torch.is_tensor(kernel) else kernel)
    if k.ndim != 2 or k.shape[0] % 2 == 0 or k.shape[1] % 2 == 0:
        raise ValueError(f"kernel must be (k, k) with odd sides, got {tuple(k.shape)}")
    s = stages[-1]
    if len(stages) != 1 or s[0] != s[1] or s[0] != int(s[0]):
        raise ValueError(
            "a given kernel needs one integer scale stage (no gradual scale_factors), "
            f"got stages {stages}"
        )
    return k.to(torch.float64)


def plan(
    lr_img: torch.Tensor,
    scale: Scale,
    config: ZSSRConfig,
    kernel: torch.Tensor | np.ndarray | None = None,
    hr: torch.Tensor | None = None,
) -> Plan:
    """Check one image's inputs against ``config`` and lay out its stages.

    Raises ``ValueError`` for a bad config, shape, kernel or stage list, or an image
    too small for its smallest fathers.

    Example:
        >>> p = plan(torch.rand(1, 3, 16, 16), 2, ZSSRConfig())
        >>> p.stages, p.out_size, p.bp_iters
        ([(2.0, 2.0)], (32, 32), (10,))
    """
    c = config
    check_config(c)
    if not isinstance(lr_img, torch.Tensor) or lr_img.ndim != 4:
        shape = tuple(lr_img.shape) if isinstance(lr_img, torch.Tensor) else None
        raise ValueError(f"lr_img must be a (1, C, h, w) tensor, got shape {shape}")
    if lr_img.shape[0] != 1 or not torch.is_floating_point(lr_img):
        raise ValueError(
            "lr_img must be one float image (1, C, h, w), got "
            f"{tuple(lr_img.shape)} {lr_img.dtype}; for several use zssr_many"
        )
    stages = [scale_pair(s) for s in (c.scale_factors or (scale,))]
    if stages[-1] != scale_pair(scale):
        raise ValueError(
            f"the last of scale_factors {c.scale_factors} must be the scale {scale}"
        )
    if c.upsample == "pixelshuffle" and len(stages) > 1:
        raise ValueError("upsample='pixelshuffle' supports one scale stage only")
    bp = tuple(c.back_projection_iters)
    if len(bp) not in (1, len(stages)):
        raise ValueError(
            f"back_projection_iters needs 1 or {len(stages)} entries, got {bp}"
        )
    k = _check_kernel(kernel, stages)
    h, w = lr_img.shape[-2:]
    biggest = max(max(s) for s in stages)
    need = max(2 * math.ceil(biggest), 0 if k is None else k.shape[0])
    if (have := int(min(h, w) * c.min_scale)) < need:
        raise ValueError(
            f"image {h}x{w} is too small for ZSSR at x{biggest:g}: its smallest "
            f"fathers (min_scale {c.min_scale}) would be {have} px, and need "
            f">= {need} px; use an LR image of at least "
            f"{math.ceil(need / c.min_scale)} px per side"
        )
    size = out_size((h, w), scale)
    if hr is not None and tuple(hr.shape) != (1, lr_img.shape[1], *size):
        raise ValueError(
            f"hr must be {(1, lr_img.shape[1], *size)}, got {tuple(hr.shape)}"
        )
    return Plan(
        lr_img=lr_img.detach().to("cpu", torch.float32).clamp(0, 1),
        hr=None if hr is None else hr.detach().to("cpu", torch.float32),
        stages=stages,
        bp_iters=bp * len(stages) if len(bp) == 1 else bp,
        kernel=k,
        out_size=size,
        shave=max(1, round(max(scale_pair(scale)))),
    )
