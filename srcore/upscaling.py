"""Super-resolve a user's own image with any method of the package, in one call.

:func:`upscale` is what ``srcore upscale`` runs on each image: MATLAB bicubic, a
network trained beforehand (:func:`srcore.trained.load_network`) or ZSSR/DIP, which
learn on the image itself. Every problem the user can fix raises :class:`InputError`
with a one-line message.

Example:
    >>> tuple(upscale(torch.rand(1, 3, 8, 8), 2, "bicubic").shape)
    (1, 3, 16, 16)
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from srcore.imageops import quantize
from srcore.methods import bicubic
from srcore.metrics import psnr
from srcore.profiles import resolve_device

#: Networks trained on external images first (``srcore train``).
SUPERVISED = ("srcnn", "vdsr", "srresnet", "srgan", "lapsrn")
#: Methods that learn on the input image itself.
INTERNAL = ("zssr", "dip")
METHODS = ("bicubic", *SUPERVISED, *INTERNAL)
#: Smallest LR side a learning method is given: below it the networks' receptive
#: fields exceed the image and there is nothing to learn from (ours).
MIN_LR_SIDE = 8


class InputError(ValueError):
    """A problem with what the user asked for; the message is one line for them."""


def check_method(method: str) -> str:
    """``method`` if it is one of :data:`METHODS`, else an :class:`InputError`."""
    if method not in METHODS:
        raise InputError(
            f"unknown method {method!r}; choose one of {', '.join(METHODS)}"
        )
    return method


def check_scale(method: str, scale: float) -> int | float:
    """The scale as ``int`` when integral: bicubic takes any scale > 0, ZSSR any > 1,
    the others an integer >= 2 their network can build.

    Example:
        >>> check_scale("srcnn", 2.0), check_scale("bicubic", 1.5)
        (2, 1.5)
    """
    check_method(method)
    if not math.isfinite(scale) or scale <= 0:
        raise InputError(f"scale must be a number > 0, got {scale:g}")
    integral = float(scale).is_integer()
    if method == "bicubic" or (method == "zssr" and scale > 1):
        return int(scale) if integral else float(scale)
    if not integral or scale < 2:
        raise InputError(f"{method} needs an integer scale >= 2, got {scale:g}")
    scale = int(scale)
    if method in SUPERVISED:
        from srcore.runs.supervised import SPECS, model_config

        try:
            SPECS[method].build(model_config(method, "smoke", scale), scale)
        except ValueError as err:
            raise InputError(f"{method} cannot upscale by {scale}: {err}") from None
    return scale


def check_size(
    method: str, lr_img: torch.Tensor, scale: float, kernel: Any = None
) -> None:
    """An :class:`InputError` if the image is too small for ``method``: learning
    methods need :data:`MIN_LR_SIDE` px per side, ZSSR's smallest fathers (half the
    image) ``2 ceil(scale)`` px and the kernel."""
    h, w = lr_img.shape[-2:]
    need = 1 if method == "bicubic" else MIN_LR_SIDE
    if method == "zssr":
        k = 0 if kernel is None else int(np.shape(kernel)[0])
        need = max(need, math.ceil(max(2 * math.ceil(scale), k) / 0.5))
    if min(h, w) < need:
        raise InputError(
            f"image is {w}×{h}, too small for {method} at ×{scale:g} "
            f"(needs at least {need} px per side)"
        )


def check_device(device: str) -> torch.device:
    """:func:`srcore.profiles.resolve_device`, raising :class:`InputError`."""
    try:
        return resolve_device(device)
    except (RuntimeError, ValueError) as err:
        raise InputError(f"device {device!r}: {err}") from None


def load_kernel(path: str | os.PathLike) -> np.ndarray:
    """A blur kernel from ``.npy`` or ``.mat`` (key ``Kernel`` as in DIV2KRK, else the
    only array): square, odd side, finite, summing to 1; float64."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: kernel file not found")
    try:
        if path.suffix.lower() == ".mat":
            from scipy.io import loadmat

            arrays = {k: v for k, v in loadmat(path).items() if not k.startswith("__")}
            arr = arrays.get("Kernel", arrays.get("kernel"))
            if arr is None and len(arrays) == 1:
                (arr,) = arrays.values()
        else:
            arr = np.load(path, allow_pickle=False)
    except Exception as err:  # scipy/numpy raise many types on a bad file
        raise InputError(f"{path}: cannot read a kernel ({err})") from None
    if arr is None:
        raise InputError(f"{path}: no 'Kernel' array in the .mat file")
    arr = np.asarray(arr, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] % 2 == 0:
        raise InputError(f"{path}: kernel must be square with odd sides, {arr.shape}")
    if not np.isfinite(arr).all():
        raise InputError(f"{path}: kernel has NaN or infinite taps")
    if abs(arr.sum() - 1.0) > KERNEL_SUM_TOLERANCE:
        raise InputError(
            f"{path}: kernel sums to {arr.sum():.6g}, not 1 (divide it by its sum)"
        )
    return arr / arr.sum()


#: How far from 1 a kernel file's sum may be (DIV2KRK's are 1 to ~1e-7).
KERNEL_SUM_TOLERANCE = 1e-3
#: The scales ``--kernel estimate`` (KernelGAN) can do.
ESTIMATE_SCALES = (2, 4)


def check_estimate_size(lr_img: torch.Tensor, profile: str) -> None:
    """An :class:`InputError` if KernelGAN cannot take crops of the image."""
    from srcore.methods.kernelgan import kernel_config

    cfg = kernel_config(profile)
    need = cfg.crop + 2 * cfg.border
    h, w = lr_img.shape[-2:]
    if min(h, w) < need:
        raise InputError(
            f"image is {w}×{h}, too small to estimate its kernel (needs at least "
            f"{need} px per side)"
        )


def estimate_kernel(
    lr_img: torch.Tensor,
    scale: int,
    profile: str = "quick",
    *,
    device: str = "auto",
    progress: bool = False,
) -> np.ndarray:
    """The image's blur kernel for ``scale`` (2 or 4), estimated by KernelGAN from the
    image alone with the profile's budget; float64, sum 1."""
    from srcore.methods.kernelgan import estimate_kernel as kernelgan
    from srcore.methods.kernelgan import kernel_config

    if scale not in ESTIMATE_SCALES:
        raise InputError(f"--kernel estimate works at x2 and x4, not x{scale:g}")
    check_estimate_size(lr_img, profile)
    cfg = kernel_config(profile)
    rgb = lr_img.repeat(1, 3, 1, 1) if lr_img.shape[1] == 1 else lr_img
    res = kernelgan(
        rgb, int(scale), cfg, device=check_device(device), progress=progress
    )
    return res.kernel.numpy()


#: How many dB further from the bicubic interpolation ZSSR's output with an
#: estimated kernel may be than without it (:func:`check_estimate`).
ESTIMATE_MAX_EXTRA_DISAGREEMENT_DB = 10.0


def check_estimate(
    sr_kernel: torch.Tensor,
    sr_plain: torch.Tensor,
    lr_img: torch.Tensor,
    scale: int,
) -> dict[str, Any]:
    """Is an estimated kernel credible? Judged on ZSSR's outputs, no HR needed.

    ``d = PSNR_Y(sr_plain, b) - PSNR_Y(sr_kernel, b)``, ``b`` the bicubic
    interpolation of ``lr_img`` (shave = scale): how much further from ``b`` the
    estimate takes ZSSR than ZSSR goes on its own; credible when
    ``d <= ESTIMATE_MAX_EXTRA_DISAGREEMENT_DB``. A kernel too wide (KernelGAN reads
    a soft photo's softness as blur) makes ZSSR sharpen and ring, far from ``b``.

    Returns:
        ``{"credible", "disagreement_db", "psnr_to_bicubic", "plain_psnr_to_bicubic",
        "reason"}`` (``reason`` None when credible).

    Example:
        >>> lr = torch.rand(1, 3, 8, 8)
        >>> b = bicubic.upscale(lr, 2)
        >>> check_estimate(b, b, lr, 2)["credible"]
        True
    """
    b = bicubic.upscale(lr_img, scale)
    h = min(sr_kernel.shape[-2], sr_plain.shape[-2], b.shape[-2])
    w = min(sr_kernel.shape[-1], sr_plain.shape[-1], b.shape[-1])
    shave = math.ceil(scale)

    def to_b(sr: torch.Tensor) -> float:  # capped: an output equal to b is 100 dB
        return min(float(psnr(sr[..., :h, :w], b[..., :h, :w], shave=shave)[0]), 100.0)

    with_k, plain = to_b(sr_kernel), to_b(sr_plain)
    d = plain - with_k
    credible = d <= ESTIMATE_MAX_EXTRA_DISAGREEMENT_DB
    reason = None
    if not credible:
        reason = (
            f"ZSSR with it is {with_k:.1f} dB from the bicubic interpolation, "
            f"{d:.1f} dB further than without it (limit "
            f"{ESTIMATE_MAX_EXTRA_DISAGREEMENT_DB:g} dB)"
        )
    return {
        "credible": credible,
        "disagreement_db": round(d, 3),
        "psnr_to_bicubic": round(with_k, 3),
        "plain_psnr_to_bicubic": round(plain, 3),
        "reason": reason,
    }


def _zssr(lr_img, scale, profile, kernel, device, progress, seed) -> torch.Tensor:
    from srcore.methods.zssr import zssr
    from srcore.runs.zssr_runs import zssr_config

    cfg = zssr_config("zssr", profile, true_kernel=kernel is not None, seed=seed)
    res = zssr(lr_img, scale, cfg, kernel=kernel, device=device, progress=progress)
    return quantize(res.sr)


def _dip(lr_img, scale, profile, device, progress, seed) -> torch.Tensor:
    """DIP on the image edge-padded (bottom/right) to an HR size the skip net takes
    (multiples of ``2**levels``), the output cropped back (the authors crop the HR
    instead, which would lose pixels)."""
    from srcore.methods.dip import PAPER_BY_SCALE, PROFILES, DIPConfig, optimize
    from srcore.profiles import resolve_profile

    extra = PAPER_BY_SCALE.get(scale, {}) if profile == "paper" else {}
    cfg = resolve_profile(DIPConfig(), PROFILES, profile, seed=seed, **extra)
    m = 2**cfg.levels
    step = m // math.gcd(m, scale)  # LR multiple whose HR size is a multiple of m
    h, w = lr_img.shape[-2:]
    low = math.ceil(2 * m / scale)

    def side(n: int) -> int:
        return math.ceil(max(n, low) / step) * step

    padded = F.pad(lr_img, (0, side(w) - w, 0, side(h) - h), mode="replicate")
    res = optimize(padded, scale, cfg, device=device, progress=progress)
    return quantize(res.sr[..., : h * scale, : w * scale])


def upscale(
    lr_img: torch.Tensor,
    scale: float,
    method: str = "bicubic",
    *,
    profile: str = "quick",
    kernel: np.ndarray | None = None,
    network: Any = None,
    device: str = "auto",
    progress: bool = False,
    seed: int = 0,
) -> torch.Tensor:
    """Super-resolve one image by ``method``; ``(1, C, h, w)`` in [0, 1], C = 1 or 3.

    ``kernel`` is ZSSR's blur kernel; ``network`` a trained method's
    :func:`srcore.trained.load_network`; ``profile`` and ``seed`` set ZSSR's/DIP's
    budget and random stream. Returns ``(1, C, ceil(h scale), ceil(w scale))`` on the
    8-bit grid, on the CPU.
    """
    scale = check_scale(method, scale)
    if kernel is not None and method != "zssr":
        raise InputError(f"a kernel is only used by zssr, not by {method}")
    check_size(method, lr_img, scale, kernel)
    if method == "bicubic":
        return bicubic.upscale(lr_img, scale)
    if method == "zssr":
        return _zssr(lr_img, scale, profile, kernel, device, progress, seed)
    if method == "dip":
        return _dip(lr_img, scale, profile, device, progress, seed)
    from srcore.runs.supervised import super_resolve

    if network is None or network.method != method or network.scale != scale:
        raise InputError(
            f"{method} x{scale:g} needs network=srcore.trained.load_network(...)"
        )
    with torch.no_grad():
        sr = super_resolve(
            network.model, network.spec, lr_img, scale, progress=progress
        )
        return sr.cpu()
