"""ZSSR's training crops: (father, son) pairs, and crops of unequal size as one batch.

A father is ``crop x crop`` only when its source is large enough, so the
``batch_size`` fathers of one iteration (and those of N images trained at once) can
differ in size. They are zero-padded at the bottom and right to the largest, and
:class:`~srcore.methods.zssr.net.ZSSRNet` multiplies its feature maps by each crop's
validity mask after every layer: each crop sees the zero border of its own size, as
alone, and the loss is taken on each crop's own region. Crops of one size are not
padded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from srcore.losses import dog_pyramid_loss, l1, mse
from srcore.methods.zssr.config import ZSSRConfig

__all__ = ["Pair", "CropBatch", "batch_crops", "collate", "drop_masks", "crop_loss"]

Size = tuple[int, int]


@dataclass
class Pair:
    """One training example of one image."""

    father: torch.Tensor  # (1, C, H, W): the HR target
    son: torch.Tensor  # (1, C, h, w): the father degraded
    interp: torch.Tensor  # (1, C, H, W): the son interpolated to the father's size


@dataclass
class CropBatch:
    """One image's ``B`` pairs (and dropout masks), zero-padded to common sizes
    (:func:`collate`: ``n`` images', each tensor ``(n, B, ...)``)."""

    son: torch.Tensor  # (B, C, hs, ws)
    interp: torch.Tensor  # (B, C, H, W)
    father: torch.Tensor  # (B, C, H, W)
    valid_lr: torch.Tensor | None  # (B, 1, hs, ws); None when nothing is padded
    valid_hr: torch.Tensor | None  # (B, 1, H, W)
    sizes: list[Size]  # each father's own (h, w)
    drop: tuple[torch.Tensor, torch.Tensor] | None  # layers 1-2 masks (B, width, ., .)


def _pad_to(crops: Sequence[torch.Tensor], hw: Size) -> torch.Tensor:
    """``(1, C, h_b, w_b)`` crops zero-padded (bottom, right) to ``hw``, one batch."""
    pads = [(0, hw[1] - t.shape[-1], 0, hw[0] - t.shape[-2]) for t in crops]
    return torch.cat([F.pad(t, pad) for t, pad in zip(crops, pads, strict=True)])


def _valid_mask(sizes: Sequence[Size], hw: Size, device: torch.device) -> torch.Tensor:
    """``(B, 1, *hw)``: 1 inside each crop's own ``(h, w)``, 0 in its padding."""
    mask = torch.zeros(len(sizes), 1, *hw, device=device)
    for b, (h, w) in enumerate(sizes):
        mask[b, :, :h, :w] = 1
    return mask


def _largest(sizes: Sequence[Size]) -> Size:
    """The smallest size that holds all ``sizes``."""
    return (max(h for h, _ in sizes), max(w for _, w in sizes))


def batch_crops(
    pairs: Sequence[Pair], drops: Sequence[Sequence[torch.Tensor]] | None
) -> CropBatch:
    """One image's pairs (and per-pair dropout masks of layers 1-2) as a batch, each
    tensor padded to the largest of its kind, with validity masks when sizes differ.

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
    hr_hw, lr_hw = _largest(sizes), _largest(son_sizes)
    masked = len(set(sizes)) > 1 or len(set(son_sizes)) > 1
    device = pairs[0].father.device
    drop = None
    if drops is not None:
        drop_hw = _largest([tuple(m[0].shape[-2:]) for m in drops])
        drop = tuple(_pad_to([m[k] for m in drops], drop_hw) for k in (0, 1))
    return CropBatch(
        son=_pad_to([p.son for p in pairs], lr_hw),
        interp=_pad_to([p.interp for p in pairs], hr_hw),
        father=_pad_to([p.father for p in pairs], hr_hw),
        valid_lr=_valid_mask(son_sizes, lr_hw, device) if masked else None,
        valid_hr=_valid_mask(sizes, hr_hw, device) if masked else None,
        sizes=sizes,
        drop=drop,
    )


def collate(
    pairs: Sequence[Sequence[Pair]],
    drops: Sequence[Sequence[Sequence[torch.Tensor]] | None],
) -> CropBatch:
    """The ``n`` images' pairs (``pairs[i]``, and dropout masks ``drops[i]`` or all
    None) as one batch: every crop padded to the largest of the step, each tensor
    ``(n, B, ...)`` and ``sizes`` one list per image.

    Example:
        >>> def pair(h):
        ...     return Pair(torch.rand(1, 1, h, h), torch.rand(1, 1, h // 2, h // 2),
        ...                 torch.rand(1, 1, h, h))
        >>> b = collate([[pair(8)], [pair(6)]], [None, None])
        >>> tuple(b.father.shape), tuple(b.valid_hr.shape), b.sizes
        ((2, 1, 1, 8, 8), (2, 1, 1, 8, 8), [[(8, 8)], [(6, 6)]])
    """
    n, per = len(pairs), len(pairs[0])
    flat = [m for row in drops for m in row] if drops[0] is not None else None
    b = batch_crops([p for row in pairs for p in row], flat)

    def rows(t: torch.Tensor | None) -> torch.Tensor | None:
        return None if t is None else t.unflatten(0, (n, per))

    return CropBatch(
        son=rows(b.son),
        interp=rows(b.interp),
        father=rows(b.father),
        valid_lr=rows(b.valid_lr),
        valid_hr=rows(b.valid_hr),
        sizes=[b.sizes[i * per : (i + 1) * per] for i in range(n)],
        drop=None if b.drop is None else (rows(b.drop[0]), rows(b.drop[1])),
    )


def drop_masks(
    pairs: Sequence[Pair],
    at_lr: bool,
    config: ZSSRConfig,
    gen: torch.Generator | None,
    device: torch.device,
) -> list[list[torch.Tensor]] | None:
    """Dropout masks of layers 1-2 for each crop at its own size (its son's with
    ``at_lr``, else its father's), divided by ``1 - p``; None without dropout. They
    come from the image's device generator ``gen``: the same alone or among N images.

    Example:
        >>> c = ZSSRConfig(dropout=0.5, width=4)
        >>> g, cpu = torch.Generator().manual_seed(0), torch.device("cpu")
        >>> p = Pair(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 4, 4), None)
        >>> [tuple(m.shape) for m in drop_masks([p], True, c, g, cpu)[0]]
        [(1, 4, 4, 4), (1, 4, 4, 4)]
    """
    if gen is None:
        return None
    p, masks = config.dropout, []
    for pair in pairs:
        shape = (1, config.width, *(pair.son if at_lr else pair.father).shape[-2:])
        draws = [torch.rand(shape, generator=gen, device=device) for _ in range(2)]
        masks.append([(u >= p) / (1 - p) for u in draws])
    return masks


def crop_loss(
    out: torch.Tensor, father: torch.Tensor, sizes: Sequence[Size], config: ZSSRConfig
) -> torch.Tensor:
    """Mean over the ``B`` crops of the pixel loss ``config.loss`` (the DoG loss with
    its settings) on each crop's own region.

    Example:
        >>> out, father = torch.zeros(2, 1, 4, 4), torch.ones(2, 1, 4, 4)
        >>> float(crop_loss(out, father, [(4, 4), (2, 2)], ZSSRConfig()))
        1.0
    """
    c = config
    fn = {"l1": l1, "mse": mse, "dog": dog_pyramid_loss}[c.loss]
    dog = (c.dog_levels, c.dog_sigma, c.dog_weight) if c.loss == "dog" else ()
    terms = [
        fn(out[b : b + 1, :, :h, :w], father[b : b + 1, :, :h, :w], *dog)
        for b, (h, w) in enumerate(sizes)
    ]
    return torch.stack(terms).mean()
