"""ZSSR's training examples: HR fathers cut from the LR image (``utils.py
random_augment``), LR sons made from them (``ZSSR.py father_to_son``). Every random
draw comes from the image's CPU generator, so an image's examples depend on its seed
alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from srcore.degrade import add_gaussian_noise, downscale_with_kernel
from srcore.geometry import dihedral
from srcore.methods.zssr.config import FATHER_SAMPLING, ZSSRConfig
from srcore.methods.zssr.crops import Pair
from srcore.methods.zssr.scale import Scale, out_size, resize_to, scale_pair

__all__ = ["sample_father_scale", "sample_father", "father_to_son", "sample_pairs"]


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

    ``rule="size"`` (paper §4: examples are sampled "with probability proportional to
    the size of the HR father"): density ``p(s) ∝ s^2``, the father's area, drawn by
    inverting the CDF, ``s = (low^3 + u (high^3 - low^3))^(1/3)``, ``u ~ U[0, 1)``.
    ``rule="uniform"`` is the code's ``random_augment``: ``s = low + u (high - low)``.

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

    ``utils.py random_augment``: with probability ``leave_as_is_probability`` a plain
    crop of the LR image; ``no_interpolate_probability`` a crop of a source under one
    of the 8 dihedral transforms; otherwise an affine warp (scale difference, mirror,
    rotation, shear) of the source rescaled by ``s / base``. ``s`` comes from
    :func:`sample_father_scale` on ``[min_scale, max_scale]`` and picks the smallest
    source with ``base > s - 1e-6``. ``sources`` are ``(1, C, H_k, W_k)`` (the LR
    image, then each finished stage's output) at ``source_scales`` (1.0 first).

    Returns:
        ``(1, C, h, w)`` in [0, 1]: ``crop x crop``, or the whole (rescaled) source
        along an axis shorter than that.

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
