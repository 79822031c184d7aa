"""Reading verified datasets: image paths, HR images, shipped LR, DIV2KRK kernels.

Every function verifies the split it reads first; images come back as float
``(1, C, H, W)`` tensors in ``[0, 1]``, HR modcropped to the scale.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from srcore.data.checksums import manifest
from srcore.data.registry import data_root, dataset_info, resolve_split
from srcore.data.verification import manual_files, require
from srcore.imageops import load_image, load_image_uint8, modcrop, to_tensor


def image_paths(
    name: str,
    split: str = "HR",
    scale: int | None = None,
    root: str | os.PathLike | None = None,
) -> list[Path]:
    """Verified paths of one split (``scale`` picks an LR split, ``LR_bicubic_X2``),
    in file-name string order: SelfExSR's numbering of BSD100, so "the first k
    images" means the same everywhere. A dataset without a manifest (General-100)
    lists the images placed by hand in its folder.
    """
    info = dataset_info(name)
    base = data_root(root)
    if not info.files_known:
        return manual_files(info, base)
    resolved = resolve_split(info, split, scale)
    require(info.name, base, [resolved])
    paths = [base / e.relpath for e in manifest(info.name, [resolved])]
    return sorted(paths, key=lambda p: p.name)


def _pick(paths: Sequence[Path], image: str | int, what: str) -> Path:
    if isinstance(image, int):
        return paths[image]
    for p in paths:
        if image in (p.stem, p.name):
            return p
    names = ", ".join(p.stem for p in paths)
    raise ValueError(f"no image {image!r} in {what}; available: {names}")


def load_hr(
    name: str,
    image: str | int,
    scale: int,
    root: str | os.PathLike | None = None,
    keep_grey: bool = True,
) -> torch.Tensor:
    """HR image ``(1, C, H, W)`` cropped top-left to multiples of ``scale``;
    ``image`` is a file stem (``"baby"``) or an index in sorted order. Grey images
    stay 1-channel with ``keep_grey``, as in the MATLAB protocol."""
    path = _pick(image_paths(name, "HR", root=root), image, f"{name} HR")
    return modcrop(load_image(path, keep_grey=keep_grey), scale)


def iter_images(
    name: str,
    scale: int,
    root: str | os.PathLike | None = None,
    limit: int | None = None,
    keep_grey: bool = True,
) -> Iterator[tuple[str, torch.Tensor]]:
    """Yield ``(image_name, hr)`` in sorted order, HR modcropped to ``scale``; the
    whole split is verified before the first image."""
    paths = image_paths(name, "HR", root=root)
    for path in paths[:limit]:
        yield path.stem, modcrop(load_image(path, keep_grey=keep_grey), scale)


def load_lr_reference(
    name: str, image: str | int, scale: int, root: Any = None
) -> torch.Tensor:
    """The shipped ``LR_bicubic/X<scale>`` image ``(1, C, h, w)`` (MATLAB-made), grey
    kept: only to compare with what the literature used."""
    paths = image_paths(name, "LR_bicubic", scale, root=root)
    path = _pick(paths, image, f"{name} LR_bicubic_X{scale}")
    return load_image(path, keep_grey=True)


def div2krk_indices() -> list[int]:
    """Image numbers ``i`` (DIV2K 0800+i) for which DIV2KRK LR images are stored.

    Example:
        >>> div2krk_indices()[:3]
        [14, 24, 30]
    """
    stems = (Path(e.relpath).stem for e in manifest("DIV2KRK", ["lr_x2"]))
    return sorted(int(s.split("_")[1]) for s in stems)


def div2krk_kernel(
    i: int, scale: int, root: str | os.PathLike | None = None
) -> np.ndarray:
    """Ground-truth blur kernel ``i`` (1-100) of DIV2KRK, float64, sums to 1."""
    from scipy.io import loadmat

    paths = image_paths("DIV2KRK", "gt_k", scale, root=root)
    path = _pick(paths, f"kernel_{int(i)}", f"DIV2KRK gt_k_x{scale}")
    return np.asarray(loadmat(path)["Kernel"], dtype=np.float64)


def load_div2krk(
    image_index: int, scale: int, root: str | os.PathLike | None = None
) -> tuple[torch.Tensor, np.ndarray]:
    """DIV2KRK LR image ``im_<i>`` (RGB ``(1, 3, h, w)``, its opaque alpha dropped)
    and its kernel; the HR is ``load_hr("DIV2K", f"{800 + i:04d}", scale)``."""
    paths = image_paths("DIV2KRK", "lr", scale, root=root)
    path = _pick(paths, f"im_{int(image_index)}", f"DIV2KRK lr_x{scale}")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*alpha channel dropped")
        lr = to_tensor(load_image_uint8(path))
    return lr, div2krk_kernel(image_index, scale, root)
