"""ZSSR at test time (``ZSSR.py final_test``, ``utils.py back_projection``): the
geometric self-ensemble with back-projection (Irani & Peleg 1991), the network's SR
of an image (:func:`net_sr`, :func:`stage_output`), and the network rebuilding the LR
image from its son: ``quick_test``'s error (:func:`rec_error`), which drives the
learning-rate rule, and the perceptual loss term (:func:`perceptual_term`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from srcore.degrade import downscale_with_kernel
from srcore.geometry import dihedral, undo_dihedral
from srcore.methods.zssr.config import ZSSRConfig
from srcore.methods.zssr.fathers import father_to_son
from srcore.methods.zssr.image import Scale, out_size, resize_to, scale_pair
from srcore.precision import autocast

__all__ = [
    "Forward",
    "back_projection",
    "self_ensemble",
    "net_sr",
    "stage_output",
    "rec_error",
    "perceptual_term",
]

#: A trained network at test time: ``(x, interp) -> output``, ``x`` the network's
#: input image and ``interp`` its bicubic interpolation to the output size.
Forward = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def back_projection(
    sr: torch.Tensor,
    lr_img: torch.Tensor,
    scale: Scale,
    *,
    kernel: torch.Tensor | None = None,
) -> torch.Tensor:
    """One back-projection step: ``sr + U(lr - D(sr))``, clipped to [0, 1].

    ``D``: bicubic or the kernel's blur-and-subsample; ``U``: bicubic upscaling.

    Example:
        >>> lr = torch.rand(1, 1, 8, 8)
        >>> tuple(back_projection(torch.rand(1, 1, 16, 16), lr, 2).shape)
        (1, 1, 16, 16)
    """
    s = scale_pair(scale)
    if kernel is None:
        down = resize_to(sr, (1 / s[0], 1 / s[1]), lr_img.shape[-2:])
    else:
        down = downscale_with_kernel(sr, kernel, int(s[0]))
    return (sr + resize_to(lr_img - down, s, sr.shape[-2:])).clamp(0, 1)


def _median(outputs: list[torch.Tensor]) -> torch.Tensor:
    """Element-wise ``np.median`` (``torch.median`` returns the lower middle value)."""
    stacked = torch.stack(outputs).sort(dim=0).values
    n = len(outputs)
    return (stacked[(n - 1) // 2] + stacked[n // 2]) / 2


def self_ensemble(
    upscale: Callable[[torch.Tensor, tuple[int, int]], torch.Tensor],
    lr_img: torch.Tensor,
    scale: Scale,
    *,
    size: tuple[int, int] | None = None,
    flips: bool = True,
    bp_iters: int = 0,
    kernel: torch.Tensor | None = None,
) -> torch.Tensor:
    """Geometric self-ensemble with back-projection (ZSSR.py ``final_test``).

    ``BP^n(median_k BP^n(T_k^-1 upscale(T_k lr)))`` over the 8 dihedral ``T_k`` (the 4
    rotations when the axes' scales differ; none without ``flips``), ``n = bp_iters``;
    ``upscale(x, size)`` maps ``(1, C, h', w')`` to ``(1, C, *size)``.

    Example:
        >>> from srcore.resize import imresize
        >>> lr = torch.rand(1, 1, 8, 8)
        >>> bic = lambda x, size: imresize(x, size=size)
        >>> out = self_ensemble(bic, lr, 2)
        >>> bool(torch.allclose(out, imresize(lr, 2), atol=1e-6))
        True
    """
    s = scale_pair(scale)
    size = tuple(size) if size is not None else out_size(lr_img.shape[-2:], s)
    ks = range(0, 8, 1 if s[0] == s[1] else 2) if flips else range(1)
    outputs = []
    for k in ks:
        out = upscale(dihedral(lr_img, k), size if k % 2 == 0 else size[::-1])
        out = undo_dihedral(out, k)
        for _ in range(bp_iters):
            out = back_projection(out, lr_img, s, kernel=kernel)
        outputs.append(out)
    sr = _median(outputs)
    for _ in range(bp_iters):
        sr = back_projection(sr, lr_img, s, kernel=kernel)
    return sr


def net_sr(
    fwd: Forward, x: torch.Tensor, scale: Scale, size: Sequence[int]
) -> torch.Tensor:
    """The network's SR of ``x`` ``(1, C, h, w)`` at ``size``, clipped to [0, 1].

    Example:
        >>> bic = lambda x, interp: interp
        >>> tuple(net_sr(bic, torch.rand(1, 3, 8, 8), 2, (16, 16)).shape)
        (1, 3, 16, 16)
    """
    return fwd(x, resize_to(x, scale, size)).float().clamp(0, 1)


def stage_output(
    fwd: Forward,
    base_img: torch.Tensor,
    scale: Scale,
    size: Sequence[int],
    config: ZSSRConfig,
    bp_iters: int,
    kernel: torch.Tensor | None,
    ensemble: bool,
) -> torch.Tensor:
    """A stage's SR of its base image (``ZSSR.py final_test``): :func:`self_ensemble`
    with ``bp_iters`` back-projections, or without ``ensemble`` the network alone.

    Example:
        >>> bic, lr = (lambda x, interp: interp), torch.rand(1, 3, 8, 8)
        >>> out = stage_output(bic, lr, 2, (16, 16), ZSSRConfig(), 0, None, True)
        >>> tuple(out.shape)
        (1, 3, 16, 16)
    """
    if not ensemble:
        return net_sr(fwd, base_img, scale, size)
    return self_ensemble(
        lambda x, hw: net_sr(fwd, x, scale, hw),
        base_img,
        scale,
        size=size,
        flips=config.output_flip,
        bp_iters=bp_iters,
        kernel=kernel,
    )


def rec_error(
    fwd: Forward,
    lr_img: torch.Tensor,
    scale: Scale,
    config: ZSSRConfig,
    gen: torch.Generator,
    kernel: torch.Tensor | None = None,
) -> float:
    """``MSE(net(son(I)), I)``: how well the network rebuilds the LR image ``I`` from
    its son (ZSSR.py ``quick_test``; the son's noise from ``gen``).

    Example:
        >>> lr = torch.rand(1, 3, 16, 16)
        >>> err = rec_error(lambda x, interp: interp, lr, 2, ZSSRConfig(), None)
        >>> 0 < err < 0.1
        True
    """
    son = father_to_son(
        lr_img, scale, kernel=kernel, noise_std=config.noise_std, seed=gen
    )
    out = net_sr(fwd, son, scale, lr_img.shape[-2:])
    return float((out - lr_img).square().mean())


def perceptual_term(
    run: Forward,
    lr_img: torch.Tensor,
    scale: Scale,
    config: ZSSRConfig,
    gen: torch.Generator,
    kernel: torch.Tensor | None,
    perceptual: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    device: torch.device,
) -> torch.Tensor:
    """``w * perceptual(run(son(I)), I)``: the content loss of the LR image ``I``
    rebuilt from its son (Peretz & Rahamim), ``w = config.perceptual_weight``; ``run``
    is the training forward (under ``config.amp`` autocast, with gradients)."""
    son = father_to_son(
        lr_img, scale, kernel=kernel, noise_std=config.noise_std, seed=gen
    )
    with autocast(config.amp, device):
        rec = run(son, resize_to(son, scale, lr_img.shape[-2:]))
    return config.perceptual_weight * perceptual(rec.float(), lr_img)
