"""ZSSR's training examples: HR fathers cut from the LR image (``utils.py
random_augment``), LR sons made from them (``ZSSR.py father_to_son``), and the crops
of one iteration as one batch with their loss; every draw from the image's generator.

Crops can differ in size (a father is ``crop x crop`` only where its source allows):
they are zero-padded at the bottom and right, and ``ZSSRNet`` masks each crop's
padding after every layer, so each crop runs as alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from srcore.degrade import add_gaussian_noise, downscale_with_kernel
from srcore.geometry import dihedral
from srcore.losses import dog_pyramid_loss, l1, mse
from srcore.methods.zssr.config import FATHER_SAMPLING, ZSSRConfig
from srcore.methods.zssr.image import Scale, out_size, resize_to, scale_pair

__all__ = [
    "sample_father_scale",
    "sample_father",
    "father_to_son",
    "sample_pairs",
    "Pair",
    "CropBatch",
    "batch_crops",
    "collate",
    "drop_masks",
    "crop_loss",
]

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


def _uniform(gen: torch.Generator) -> float:
    return float(torch.rand((), generator=gen, dtype=torch.float64))


def _normal(gen: torch.Generator) -> float:
    return float(torch.randn((), generator=gen, dtype=torch.float64))


def _randint(gen: torch.Generator, n: int) -> int:
    return int(torch.randint(n, (), generator=gen))


def sample_father_scale(
    gen: torch.Generator, low: float, high: float, rule: str = "size"
) -> float:
    """A father's scale ``s`` in ``[low, high]`` relative to the LR image.

    ``rule="size"`` (paper §4, "proportional to the size"): ``p(s) ∝ s^2``, ``s = (low^3
    + u (high^3 - low^3))^(1/3)``; ``"uniform"`` (``random_augment``): ``low + u (high
    - low)``; ``u ~ U[0, 1)``.

    Example:
        >>> g = torch.Generator().manual_seed(0)
        >>> 0.5 <= sample_father_scale(g, 0.5, 1.0) <= 1.0
        True
    """
    if rule not in FATHER_SAMPLING:
        raise ValueError(f"rule must be one of {FATHER_SAMPLING}, got {rule!r}")
    u = _uniform(gen)
    if high <= low:
        return float(high)
    if rule == "uniform":
        return low + u * (high - low)
    return (low**3 + u * (high**3 - low**3)) ** (1.0 / 3.0)


def _random_crop(img: torch.Tensor, crop: int, gen: torch.Generator) -> torch.Tensor:
    h, w = img.shape[-2:]
    ch, cw = min(crop, h), min(crop, w)
    y0, x0 = _randint(gen, h - ch + 1), _randint(gen, w - cw + 1)
    return img[..., y0 : y0 + ch, x0 : x0 + cw]


def _away_from_zero(a: float, floor: float = 1e-2) -> float:
    # A scale difference ~ N(0, 0.25) can cancel the scale (4 sigma at s = 0.5).
    return math.copysign(max(abs(a), floor), a)


def _affine_crop(
    img: torch.Tensor, rel: float, c: ZSSRConfig, gen: torch.Generator
) -> torch.Tensor:
    """``random_augment``'s 'affine' mode, bicubic (a = -0.75 as OpenCV's)."""
    h, w = img.shape[-2:]
    diff = _normal(gen) * c.scale_diff_sigma
    mirror = (1.0 if _normal(gen) >= 0 else -1.0) if c.allow_rotation else 1.0
    ch, cw = min(c.crop, max(1, int(rel * h))), min(c.crop, max(1, int(rel * w)))
    dy = (_uniform(gen) - 0.5) * max(rel * h - ch, 0.0)
    dx = (_uniform(gen) - 0.5) * max(rel * w - cw, 0.0)
    theta = _uniform(gen) * 2 * math.pi if c.allow_rotation else 0.0
    shx, shy = _normal(gen) * c.shear_sigma, _normal(gen) * c.shear_sigma
    scale = np.diag(
        [mirror * _away_from_zero(rel + diff / 2), _away_from_zero(rel - diff / 2)]
    )
    rot = np.array(
        [[math.cos(theta), math.sin(theta)], [-math.sin(theta), math.cos(theta)]]
    )
    shear = np.array([[1.0, shx], [shy, 1.0]])
    inv = np.linalg.inv(shear @ rot @ scale)  # father offset -> source offset (x, y)
    ys = np.arange(ch) + 0.5 - ch / 2 + dy
    xs = np.arange(cw) + 0.5 - cw / 2 + dx
    q = np.stack(np.meshgrid(xs, ys, indexing="xy"), axis=-1)  # (ch, cw, 2) as (x, y)
    p = q @ inv.T + np.array([w / 2, h / 2])  # source coords, pixel edges at integers
    grid = torch.from_numpy(2 * p / np.array([w, h]) - 1)[None].to(
        img.device, img.dtype
    )
    out = F.grid_sample(
        img, grid, mode="bicubic", padding_mode="reflection", align_corners=False
    )
    return out.clamp(0, 1)


def sample_father(
    sources: Sequence[torch.Tensor],
    source_scales: Sequence[float],
    config: ZSSRConfig,
    gen: torch.Generator,
    *,
    max_scale: float = 1.0,
) -> torch.Tensor:
    """One HR father: a crop of a randomly rescaled and transformed source.

    ``utils.py random_augment``: a crop of the LR image (``leave_as_is_probability``),
    of a source under a dihedral transform (``no_interpolate_probability``), else an
    affine warp of the smallest source of scale ``> s - 1e-6`` (``s`` from
    :func:`sample_father_scale`). Returns ``(1, C, h, w)`` in [0, 1].

    Example:
        >>> g = torch.Generator().manual_seed(0)
        >>> f = sample_father([torch.rand(1, 3, 40, 30)], [1.0], ZSSRConfig(crop=16), g)
        >>> f.shape[-2] <= 16 and f.shape[-1] <= 16
        True
    """
    c = config
    u = _uniform(gen)
    mode, s = "leave", 1.0
    if u >= c.leave_as_is_probability:
        rotate_only = u < c.leave_as_is_probability + c.no_interpolate_probability
        mode = "no_interp" if rotate_only else "affine"
        s = sample_father_scale(gen, c.min_scale, max_scale, c.father_sampling)
    i = next((k for k, b in enumerate(source_scales) if b > s - 1e-6), 0)
    img = sources[i]
    if mode == "affine":
        return _affine_crop(img, s / source_scales[i], c, gen)
    if mode == "no_interp" and c.allow_rotation:
        img = dihedral(img, _randint(gen, 8))
    return _random_crop(img, c.crop, gen)


def father_to_son(
    father: torch.Tensor,
    scale: Scale,
    *,
    kernel: torch.Tensor | None = None,
    noise_std: float = 0.0,
    seed: torch.Generator | int | None = None,
) -> torch.Tensor:
    """The LR son of an HR father: ``clip(D(father) + noise_std n, 0, 1)``.

    ``D`` is MATLAB's bicubic ``imresize(father, 1/scale)``, or with a ``kernel`` the
    blur-and-subsample :func:`srcore.degrade.downscale_with_kernel`; ``n ~ N(0, 1)``.

    Example:
        >>> tuple(father_to_son(torch.rand(1, 3, 33, 32), 2).shape)
        (1, 3, 17, 16)
    """
    s = scale_pair(scale)
    if kernel is None:  # = imresize(father, 1 / s), with device-cached matrices
        inv = (1 / s[0], 1 / s[1])
        son = resize_to(father, inv, out_size(father.shape[-2:], inv))
    else:
        son = downscale_with_kernel(father, kernel, int(s[0]))
    if noise_std > 0:
        son = add_gaussian_noise(son, noise_std, seed)
    return son.clamp(0, 1)


def sample_pairs(
    sources: Sequence[torch.Tensor],
    source_scales: Sequence[float],
    scale: Scale,
    config: ZSSRConfig,
    gen: torch.Generator,
    *,
    max_scale: float,
    kernel: torch.Tensor | None = None,
) -> list[Pair]:
    """One iteration's ``batch_size`` pairs: a father (:func:`sample_father`), its son
    and the son interpolated back to the father's size (``forward_backward_pass``).

    Example:
        >>> g = torch.Generator().manual_seed(0)
        >>> (p,) = sample_pairs([torch.rand(1, 3, 20, 20)], [1.0], 2, ZSSRConfig(), g,
        ...                     max_scale=1.0)
        >>> p.son.shape[-1] * 2 >= p.father.shape[-1] == p.interp.shape[-1]
        True
    """
    pairs = []
    for _ in range(config.batch_size):
        father = sample_father(sources, source_scales, config, gen, max_scale=max_scale)
        son = father_to_son(
            father, scale, kernel=kernel, noise_std=config.noise_std, seed=gen
        )
        pairs.append(Pair(father, son, resize_to(son, scale, father.shape[-2:])))
    return pairs
