"""Argument checks of the degradation family (seeds, images, kernels, scales,
sigmas): each returns the value as the operators use it or raises one clear error.
"""

from __future__ import annotations

import math

import numpy as np
import torch

#: An ``int``, a CPU ``torch.Generator``, a ``numpy.random.Generator`` or ``None``
#: (torch's global generator). Numbers are drawn on the CPU, the same on every device.
Seed = int | torch.Generator | np.random.Generator | None


def torch_generator(seed: Seed) -> torch.Generator:
    """A CPU ``torch.Generator`` for a :data:`Seed` (a numpy generator draws its seed).

    Example:
        >>> a = torch.rand(2, generator=torch_generator(3))
        >>> bool(torch.equal(a, torch.rand(2, generator=torch_generator(3))))
        True
    """
    if seed is None:
        return torch.default_generator
    if isinstance(seed, torch.Generator):
        if seed.device.type != "cpu":
            raise ValueError(
                "pass a CPU torch.Generator: random numbers are drawn on the CPU so "
                f"that results do not depend on the device (got {seed.device})"
            )
        return seed
    if isinstance(seed, np.random.Generator):
        return torch.Generator().manual_seed(int(seed.integers(2**63)))
    if isinstance(seed, int | np.integer) and not isinstance(seed, bool):
        return torch.Generator().manual_seed(int(seed))
    raise TypeError(
        "seed must be an int, a torch.Generator, a numpy.random.Generator or None, "
        f"got {type(seed).__name__}"
    )


def check_image(x: torch.Tensor, name: str = "x") -> None:
    """Raise unless ``x`` is a finite float ``(B, C, H, W)`` tensor.

    Example:
        >>> check_image(torch.rand(1, 3, 4, 4))
        >>> check_image(torch.rand(3, 4, 4))
        Traceback (most recent call last):
        ...
        ValueError: x must be (B, C, H, W), got shape (3, 4, 4)
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim != 4:
        raise ValueError(f"{name} must be (B, C, H, W), got shape {tuple(x.shape)}")
    if not torch.is_floating_point(x):
        raise TypeError(f"{name} must be a float tensor in [0, 1], got {x.dtype}")
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} contains NaN or inf values")


def check_kernel(kernel: torch.Tensor | np.ndarray, batch: int | None) -> torch.Tensor:
    """A blur kernel as float64: ``(kh, kw)`` or ``(B, kh, kw)`` with ``B == batch``
    (unless None), odd sides, finite, sum > 0 (not renormalised).

    Example:
        >>> check_kernel(np.ones((3, 3)), None).dtype
        torch.float64
    """
    if isinstance(kernel, np.ndarray):
        kernel = torch.from_numpy(kernel)
    if not isinstance(kernel, torch.Tensor):
        raise TypeError(
            f"kernel must be a tensor or array, got {type(kernel).__name__}"
        )
    if kernel.ndim not in (2, 3):
        raise ValueError(
            "kernel must be 2-D (k, k), or 3-D (B, k, k) with one kernel per image, "
            f"got shape {tuple(kernel.shape)}"
        )
    kh, kw = kernel.shape[-2:]
    if kh % 2 == 0 or kw % 2 == 0:
        # An even side has no centre tap: the output would move by half a pixel.
        raise ValueError(f"kernel sides must be odd (centre tap), got {kh}x{kw}")
    if kernel.ndim == 3 and batch is not None and kernel.shape[0] != batch:
        raise ValueError(
            f"{kernel.shape[0]} kernels given for a batch of {batch} images"
        )
    kernel = kernel.to(torch.float64)
    if not bool(torch.isfinite(kernel).all()):
        raise ValueError("kernel contains NaN or inf values")
    sums = kernel.sum(dim=(-2, -1))
    if bool((sums <= 0).any()):
        raise ValueError(
            f"kernel must sum to a positive value (normally 1), got {sums.min():.4g}"
        )
    return kernel


def _is_number(x: object) -> bool:
    return isinstance(x, int | float | np.integer | np.floating) and not isinstance(
        x, bool
    )


def positive_scale(scale: float) -> float:
    """``scale`` as a float: a finite number > 0 (any factor), or a ValueError.

    Example:
        >>> positive_scale(3)
        3.0
    """
    if not _is_number(scale) or not math.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale must be a positive number, got {scale!r}")
    return float(scale)


def integer_scale(scale: float) -> int:
    """``scale`` as a positive int, or a ValueError saying why not.

    Example:
        >>> integer_scale(4.0)
        4
    """
    ok = _is_number(scale) and math.isfinite(scale) and scale >= 1
    if not ok or scale != int(scale):
        raise ValueError(
            f"scale must be a positive integer for kernel downscaling, got {scale!r} "
            "(use bicubic_downscale for non-integer factors)"
        )
    return int(scale)


def check_sigma(sigma: float) -> float:
    """A noise level as a float: finite and ``>= 0``, or a ValueError.

    Example:
        >>> check_sigma(0)
        0.0
    """
    if not _is_number(sigma) or not (math.isfinite(sigma) and sigma >= 0):
        raise ValueError(f"sigma must be a finite number >= 0, got {sigma!r}")
    return float(sigma)
