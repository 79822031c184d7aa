"""ZSSR's training crops: (father, son) pairs, and crops of unequal size as one batch.

A father is ``crop x crop`` only when its source is large enough; otherwise it is the
whole rescaled source (``utils.py random_augment``, github.com/assafshocher/ZSSR), so
the ``batch_size`` fathers of one iteration (and those of N images trained at once)
can differ in size. They are **zero-padded** at the bottom and right to the largest,
and :class:`~srcore.methods.zssr.net.ZSSRNet` multiplies its feature maps by each
crop's validity mask after every layer: each crop then sees the zero border of its
own size, as alone, and the loss is taken on each crop's own region. With one crop,
or crops of one size, nothing is padded and no mask is made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

__all__ = ["Pair", "CropBatch", "pad_to", "valid_mask", "largest", "batch_crops"]

Size = tuple[int, int]


@dataclass
class Pair:
    """One training example of one image."""

    father: torch.Tensor  # (1, C, H, W): the HR target
    son: torch.Tensor  # (1, C, h, w): the father degraded
    interp: torch.Tensor  # (1, C, H, W): the son interpolated to the father's size


@dataclass
class CropBatch:
    """One image's ``B`` pairs (and dropout masks), zero-padded to common sizes."""

    son: torch.Tensor  # (B, C, hs, ws)
    interp: torch.Tensor  # (B, C, H, W)
    father: torch.Tensor  # (B, C, H, W)
    valid_lr: torch.Tensor | None  # (B, 1, hs, ws); None when nothing is padded
    valid_hr: torch.Tensor | None  # (B, 1, H, W)
    sizes: list[Size]  # each father's own (h, w)
    drop: tuple[torch.Tensor, torch.Tensor] | None  # layers 1-2 masks (B, width, ., .)


def pad_to(crops: Sequence[torch.Tensor], hw: Size) -> torch.Tensor:
    """``(1, C, h_b, w_b)`` crops zero-padded (bottom, right) to ``hw``, as one batch.

    Example:
        >>> crops = [torch.ones(1, 3, 4, 5), torch.ones(1, 3, 6, 2)]
        >>> tuple(pad_to(crops, (6, 5)).shape)
        (2, 3, 6, 5)
    """

    def pad(t: torch.Tensor) -> torch.Tensor:
        return F.pad(t, (0, hw[1] - t.shape[-1], 0, hw[0] - t.shape[-2]))

    return torch.cat([pad(t) for t in crops])


def valid_mask(
    sizes: Sequence[Size], hw: Size, device: torch.device | str = "cpu"
) -> torch.Tensor:
    """``(B, 1, *hw)``: 1 inside each crop's own ``(h, w)``, 0 in its padding.

    Example:
        >>> valid_mask([(1, 2)], (2, 2)).flatten().tolist()
        [1.0, 1.0, 0.0, 0.0]
    """
    mask = torch.zeros(len(sizes), 1, *hw, device=device)
    for b, (h, w) in enumerate(sizes):
        mask[b, :, :h, :w] = 1
    return mask


def largest(sizes: Sequence[Size]) -> Size:
    """The smallest size that holds all ``sizes``.

    Example:
        >>> largest([(4, 5), (6, 2)])
        (6, 5)
    """
    return (max(h for h, _ in sizes), max(w for _, w in sizes))


def batch_crops(
    pairs: Sequence[Pair],
    drops: Sequence[Sequence[torch.Tensor]] | None,
    *,
    hr_hw: Size | None = None,
    lr_hw: Size | None = None,
    drop_hw: Size | None = None,
    masked: bool | None = None,
) -> CropBatch:
    """One image's pairs (and per-pair dropout masks of layers 1-2) as a batch.

    Each tensor is padded to the largest of its kind, or to the ``*_hw`` given (N
    images batched together pad to their common size); ``masked`` (default: whether
    the pairs differ in size) says whether validity masks are made.

    Example:
        >>> def pair(h, w):
        ...     return Pair(torch.rand(1, 3, h, w), torch.rand(1, 3, h // 2, w // 2),
        ...                 torch.rand(1, 3, h, w))
        >>> b = batch_crops([pair(8, 8), pair(6, 8)], None)
        >>> tuple(b.father.shape), tuple(b.valid_hr.shape), b.sizes
        ((2, 3, 8, 8), (2, 1, 8, 8), [(8, 8), (6, 8)])
    """
    sizes = [tuple(p.father.shape[-2:]) for p in pairs]
    son_sizes = [tuple(p.son.shape[-2:]) for p in pairs]
    hr_hw = hr_hw or largest(sizes)
    lr_hw = lr_hw or largest(son_sizes)
    if masked is None:
        masked = len(set(sizes)) > 1 or len(set(son_sizes)) > 1
    device = pairs[0].father.device
    drop = None
    if drops is not None:
        drop_hw = drop_hw or largest([tuple(m[0].shape[-2:]) for m in drops])
        drop = (
            pad_to([m[0] for m in drops], drop_hw),
            pad_to([m[1] for m in drops], drop_hw),
        )
    return CropBatch(
        son=pad_to([p.son for p in pairs], lr_hw),
        interp=pad_to([p.interp for p in pairs], hr_hw),
        father=pad_to([p.father for p in pairs], hr_hw),
        valid_lr=valid_mask(son_sizes, lr_hw, device) if masked else None,
        valid_hr=valid_mask(sizes, hr_hw, device) if masked else None,
        sizes=sizes,
        drop=drop,
    )
