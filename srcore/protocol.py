"""The evaluation protocol: the one source of test pairs for every method's runs.

A test pair (:func:`test_pair`) is the dataset's image modcropped to the scale and
an LR image made from it by one of the :data:`DEGRADATIONS`. Which images a run
scores (:func:`test_items`), how (:func:`score_row`) and the crops kept for the
book's figures (:func:`crop_center`) are set here too, so every method scores the
same pixels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

from srcore import data
from srcore.degrade import degrade, random_kernel, stable_seed
from srcore.methods import bicubic
from srcore.metrics import psnr, ssim

#: How every record scores an output (part of each record's config, so a change of
#: protocol is a change of key).
SCORING: dict[str, Any] = {"channel": "Y", "grey": "as is", "bits": 8, "shave": "scale"}

#: Evaluation sets per profile: (dataset, image limit or None for all).
EVAL_SETS: dict[str, tuple[tuple[str, int | None], ...]] = {
    "smoke": (("Set5", 1),),
    "quick": (("Set5", None), ("Set14", None), ("BSD100", None), ("DIV2K", 10)),
    "paper": (("Set5", None), ("Set14", None), ("BSD100", None), ("DIV2K", None)),
}
#: Test sets of the random-kernel runs: DIV2KRK's own LR images (x2 and x4 only) and
#: BSD100 degraded by one seeded DIV2KRK-style kernel per image (also x8).
RANDOM_KERNEL_EVAL_SETS: dict[str, tuple[tuple[str, int | None], ...]] = {
    "smoke": (("Set5", 1),),
    "quick": (("DIV2KRK", 5), ("BSD100", 20)),
    "paper": (("DIV2KRK", None), ("BSD100", None)),
}
#: How LR images are made: MATLAB bicubic, or blur by a random kernel + subsampling.
DEGRADATIONS = ("bicubic", "random_kernel")
CROP_BOX = 64  # HR side of the crops saved for the book's figures


def make_lr(hr: torch.Tensor, scale: int) -> torch.Tensor:
    """The benchmark LR image: MATLAB ``imresize(hr, 1/scale)`` rounded to 8 bits,
    ``(B, C, H / scale, W / scale)`` for ``H``, ``W`` multiples of ``scale``.

    Example:
        >>> make_lr(torch.rand(1, 3, 12, 8), 4).shape
        torch.Size([1, 3, 3, 2])
    """
    return degrade(hr, scale)


def _div2krk_index(image: str) -> int:
    return int(image.split("_", 1)[1])


def test_pair(
    dataset: str,
    image: str,
    scale: int,
    degradation: str = "bicubic",
    data_root: Any = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One test image's ``(lr, hr)``, ``(1, C, h, w)`` and ``(1, C, scale h, scale w)``.

    ``bicubic``: :func:`make_lr` of the HR. ``random_kernel``: DIV2KRK's own LR file
    for ``dataset="DIV2KRK"`` (``image="im_<i>"``, HR = DIV2K ``0800+i``); for other
    sets the HR blurred by :func:`test_kernel` and subsampled
    (:func:`srcore.degrade.degrade`), quantised to 8 bits.

    Example:
        >>> test_pair("Set5", "baby", 2, "gaussian")
        Traceback (most recent call last):
        ...
        ValueError: degradation must be one of ('bicubic', 'random_kernel')
    """
    if degradation not in DEGRADATIONS:
        raise ValueError(f"degradation must be one of {DEGRADATIONS}")
    if dataset == "DIV2KRK":
        index = _div2krk_index(image)
        lr_img, _ = data.load_div2krk(index, scale, root=data_root)
        hr = data.load_hr("DIV2K", f"{800 + index:04d}", scale, root=data_root)
        want = (hr.shape[-2] // scale, hr.shape[-1] // scale)
        if tuple(lr_img.shape[-2:]) != want:
            raise ValueError(
                f"DIV2KRK {image} x{scale}: LR {tuple(lr_img.shape[-2:])} does not "
                f"match HR {tuple(hr.shape[-2:])} / {scale}"
            )
        return lr_img, hr
    hr = data.load_hr(dataset, image, scale, root=data_root)
    if degradation == "bicubic":
        return make_lr(hr, scale), hr
    return degrade(hr, scale, kernel=test_kernel(dataset, image, scale, data_root)), hr


def test_kernel(
    dataset: str, image: str, scale: int, data_root: Any = None
) -> torch.Tensor:
    """The blur kernel of a random-kernel test image (see :func:`test_pair`).

    DIV2KRK's stored kernel for ``dataset="DIV2KRK"``, else the DIV2KRK-style kernel
    (:func:`srcore.degrade.random_kernel`) seeded by ``(dataset, image, scale)``.

    Example:
        >>> k = test_kernel("BSD100", "101085", 2)
        >>> torch.equal(k, test_kernel("BSD100", "101085", 2)), float(k.sum())
        (True, 1.0)
    """
    if dataset == "DIV2KRK":
        index = _div2krk_index(image)
        return torch.from_numpy(data.div2krk_kernel(index, scale, root=data_root))
    return random_kernel(scale=scale, seed=stable_seed(dataset, image, scale))


def test_items(
    eval_sets: Sequence[tuple[str, int | None]], scale: int, data_root: Any = None
) -> list[str]:
    """Test-image names ``"<dataset>/<stem>"`` of ``(dataset, limit)`` pairs: each
    set sorted and cut to its first ``limit`` images (DIV2KRK: those stored here).

    Example:
        >>> test_items([("DIV2KRK", 2)], 8)  # DIV2KRK has no x8
        []
    """
    names = []
    for ds, limit in eval_sets:
        if ds == "DIV2KRK":
            if scale in (2, 4):  # DIV2KRK has no x8
                names += [f"DIV2KRK/im_{i}" for i in data.div2krk_indices()][:limit]
            continue
        paths = data.image_paths(ds, "HR", root=data_root)[:limit]
        names += [f"{ds}/{p.stem}" for p in paths]
    return names


def centre_crop(x: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """The centred ``h x w`` window of ``(..., H, W)``; odd margins leave the extra
    pixel at the bottom/right.

    Example:
        >>> centre_crop(torch.arange(25.0).view(1, 1, 5, 5), 2, 2).flatten().tolist()
        [6.0, 7.0, 11.0, 12.0]
    """
    top, left = (x.shape[-2] - h) // 2, (x.shape[-1] - w) // 2
    return x[..., top : top + h, left : left + w]


def crop_center(x: torch.Tensor) -> torch.Tensor:
    """The central ``CROP_BOX`` square: the region saved for each model's output."""
    return centre_crop(x, CROP_BOX, CROP_BOX)


def crop_pair(
    dataset: str,
    image: str,
    scale: int,
    crop: int | None,
    data_root: Any = None,
    *,
    multiple: int = 1,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(lr, hr)`` of a centred HR crop of side ``crop`` and its :func:`make_lr`;
    ``None`` keeps the largest centred window of sides multiple of ``multiple``."""
    if crop is not None and crop % scale:
        raise ValueError(f"crop {crop} is not a multiple of scale {scale}")
    hr = data.load_hr(dataset, image, scale, root=data_root)
    h, w = hr.shape[-2:]
    ch, cw = (crop, crop) if crop else (h - h % multiple, w - w % multiple)
    if ch > h or cw > w:
        raise ValueError(f"{dataset}/{image} is {h}x{w}, smaller than crop {crop}")
    hr = centre_crop(hr, ch, cw)
    return make_lr(hr, scale), hr


# Named after the test set, not tests: pytest must not collect them where imported.
for _fn in (test_pair, test_kernel, test_items):
    _fn.__test__ = False  # type: ignore[attr-defined]


def score_row(
    sr: torch.Tensor, hr: torch.Tensor, lr_img: torch.Tensor, scale: float
) -> dict[str, float]:
    """PSNR/SSIM of ``sr`` and of the bicubic interpolation of ``lr_img`` against
    ``hr`` under :data:`SCORING` (``shave = ceil(scale)``), both cropped to ``hr``'s
    size, a grey output repeated against an RGB ``hr``: the score row of every record
    and of ``srcore upscale --hr``.

    Example:
        >>> hr = torch.rand(1, 3, 16, 16)
        >>> lr_img = make_lr(hr, 2)
        >>> row = score_row(bicubic.upscale(lr_img, 2), hr, lr_img, 2)
        >>> row["psnr"] == row["psnr_bicubic"], sorted(row)
        (True, ['psnr', 'psnr_bicubic', 'ssim', 'ssim_bicubic'])
    """
    shave = math.ceil(scale)
    height, width = hr.shape[-2:]
    row = {}
    for name, x in (("", sr), ("_bicubic", bicubic.upscale(lr_img, scale))):
        x = x[..., :height, :width]
        if x.shape[1] == 1 and hr.shape[1] == 3:
            x = x.expand(-1, 3, -1, -1)
        row[f"psnr{name}"] = float(psnr(x, hr, shave=shave))
        row[f"ssim{name}"] = float(ssim(x, hr, shave=shave))
    return row
