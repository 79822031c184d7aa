"""Demo images: scikit-image's bundled photos, a fallback when no dataset is there."""

from __future__ import annotations

import os
import warnings

import numpy as np
import torch

from srcore.data.read import iter_images
from srcore.data.registry import dataset_info
from srcore.data.verification import verify
from srcore.imageops import modcrop, to_tensor

DEMO_NAMES = ("astronaut", "chelsea", "coffee", "rocket", "camera")


def demo_images(
    limit: int | None = None, keep_grey: bool = False
) -> list[tuple[str, torch.Tensor]]:
    """scikit-image's bundled photos as ``(name, (1, C, H, W))`` float tensors
    (``camera`` is grey: 3 equal channels unless ``keep_grey``).

    Example:
        >>> [(n, tuple(x.shape)) for n, x in demo_images(limit=1)]
        [('astronaut', (1, 3, 512, 512))]
    """
    from skimage import data as skdata

    out = []
    for name in DEMO_NAMES[:limit]:
        arr = np.asarray(getattr(skdata, name)(), dtype=np.uint8)
        if arr.ndim == 2 and not keep_grey:
            arr = np.repeat(arr[..., None], 3, axis=2)
        out.append((name, to_tensor(arr[..., :3] if arr.ndim == 3 else arr)))
    return out


def load_demo_or_dataset(
    name: str,
    scale: int,
    root: str | os.PathLike | None = None,
    limit: int | None = None,
) -> list[tuple[str, torch.Tensor]]:
    """The dataset's HR images (modcropped), or with a warning the demo images when no
    file of it is there; a partial or corrupt dataset raises."""
    info = dataset_info(name)
    report = verify(info.name, root, ["HR"])
    if report.ok:
        return list(iter_images(info.name, scale, root=root, limit=limit))
    if report.n_ok or report.corrupt:
        raise report.error()
    warnings.warn(
        f"dataset {info.name} not found under {report.root}; falling back to the "
        f"scikit-image demo images ({', '.join(DEMO_NAMES[:limit])})",
        stacklevel=2,
    )
    return [(n, modcrop(x, scale)) for n, x in demo_images(limit)]
