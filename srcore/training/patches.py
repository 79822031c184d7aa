"""Training pairs cut from HR images: random patches, degraded on the fly, a pure
function of ``(seed, step)`` so that a resumed run sees the same batches.

Reference: Dong et al., SRCNN (TPAMI 2016) §4.1 (sub-images, Y channel); Lim et al.,
EDSR (CVPRW 2017) §4.2 (random flips and 90° rotations).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence

import torch

from srcore.degrade import degrade
from srcore.geometry import dihedral
from srcore.imageops import modcrop, quantize, rgb_to_y
from srcore.resize import imresize

Degradation = Callable[[torch.Tensor], torch.Tensor]
CHANNELS = ("rgb", "y")
_CUBIC_HALF_WIDTH = 2.0  # Keys cubic support is [-2, 2] input pixels when enlarging


def step_seed(seed: int, step: int) -> int:
    """A 63-bit seed for ``(seed, step)`` by SHA-256 (``seed + step`` would make run
    ``seed=1`` replay run ``seed=0`` one step later)."""
    digest = hashlib.sha256(f"srcore-patches:{int(seed)}:{int(step)}".encode())
    return int.from_bytes(digest.digest()[:8], "little") >> 1


def _to_channels(img: torch.Tensor, channels: str) -> torch.Tensor:
    """``(1, C, H, W)`` -> float32 ``"rgb"`` (grey replicated) or ``"y"`` (MATLAB luma
    rounded to 8 bits as SRCNN's ``generate_train.m``; grey stays grey)."""
    img = img.to(torch.float32)
    if channels == "rgb":
        return img.expand(-1, 3, -1, -1).contiguous() if img.shape[1] == 1 else img
    return img if img.shape[1] == 1 else quantize(rgb_to_y(img))


def _check_images(images: Sequence[torch.Tensor], channels: str, what: str) -> None:
    if channels not in CHANNELS:
        raise ValueError(f"channels must be one of {CHANNELS}, got {channels!r}")
    if len(images) == 0:
        raise ValueError(f"{what}: no images given")
    for i, img in enumerate(images):
        if not isinstance(img, torch.Tensor) or img.ndim != 4 or img.shape[0] != 1:
            shape = tuple(img.shape) if isinstance(img, torch.Tensor) else type(img)
            raise ValueError(f"{what}: image {i} must be (1, C, H, W), got {shape}")
        if img.shape[1] not in (1, 3) or not torch.is_floating_point(img):
            raise ValueError(
                f"{what}: image {i} must be a float RGB or grey image in [0, 1], got "
                f"{img.shape[1]} channels of {img.dtype}"
            )


def _make_input(
    hr: torch.Tensor, scale: int, degradation: Degradation | None, upsample: bool
) -> torch.Tensor:
    """The network input for HR ``(B, C, H, W)``: degraded, optionally upscaled."""
    lr_img = degrade(hr, scale) if degradation is None else degradation(hr)
    want = (hr.shape[-2] // scale, hr.shape[-1] // scale)
    if tuple(lr_img.shape[-2:]) != want or lr_img.shape[:2] != hr.shape[:2]:
        raise ValueError(
            f"the degradation turned HR {tuple(hr.shape)} into {tuple(lr_img.shape)}; "
            f"expected {(*hr.shape[:2], *want)} (HR size / scale {scale})"
        )
    if upsample:
        # SRCNN/VDSR input: MATLAB imresize(lr, s) stored as uint8.
        lr_img = quantize(imresize(lr_img, size=tuple(hr.shape[-2:])))
    return lr_img


class PatchSampler:
    """Random aligned ``(LR, HR)`` patch pairs, a pure function of ``(seed, step)``.

    One sample: an image of ``hr_images`` (``(1, C, H, W)`` in [0, 1]) drawn in
    proportion to its aligned patch positions (as SRCNN's sub-images), optionally
    rescaled by ``f ~ U(rescale)``, a ``patch_size`` square at a multiple of
    ``scale``, a random dihedral transform (``augment``). ``degradation`` ``(B, C, P,
    P) -> (B, C, P/s, P/s)`` (default MATLAB bicubic, 8-bit) runs under a torch RNG
    seeded from ``(seed, step)``; ``upsample_input`` returns its bicubic upscale.

    Example:
        >>> sampler = PatchSampler([torch.rand(1, 3, 40, 50)], scale=2, patch_size=16)
        >>> lr_img, hr = sampler.batch(step=0, batch_size=4)
        >>> tuple(lr_img.shape), tuple(hr.shape)
        ((4, 3, 8, 8), (4, 3, 16, 16))
    """

    def __init__(
        self,
        hr_images: Sequence[torch.Tensor],
        scale: int,
        patch_size: int,
        *,
        degradation: Degradation | None = None,
        channels: str = "rgb",
        augment: bool = True,
        rescale: tuple[float, float] | None = None,
        upsample_input: bool = False,
        seed: int = 0,
    ) -> None:
        if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
            raise ValueError(f"scale must be a positive integer, got {scale!r}")
        if patch_size < scale or patch_size % scale:
            raise ValueError(
                f"patch_size must be a positive multiple of scale {scale}, "
                f"got {patch_size}"
            )
        _check_images(hr_images, channels, "PatchSampler")
        if rescale is not None:
            lo, hi = (float(v) for v in rescale)
            if not (0 < lo <= hi and math.isfinite(hi)):
                raise ValueError(
                    f"rescale must be (lo, hi) with 0 < lo <= hi, got {rescale}"
                )
            rescale = (lo, hi)
        for i, img in enumerate(hr_images):
            h, w = img.shape[-2:]
            if h < patch_size or w < patch_size:
                raise ValueError(
                    f"image {i} is {h}x{w}, smaller than patch_size {patch_size}; "
                    "drop it or use a smaller patch"
                )
        self.scale = scale
        self.patch_size = patch_size
        self.degradation = degradation
        self.channels = channels
        self.augment = augment
        self.rescale = rescale
        self.upsample_input = upsample_input
        self.seed = int(seed)
        # (C, H, W) views in the training channels, on the CPU: crops are cheap there
        # and the batch moves to the device once, in the training loop.
        self.images = [
            _to_channels(img.detach().cpu(), channels)[0] for img in hr_images
        ]
        positions = [
            ((h - patch_size) // scale + 1) * ((w - patch_size) // scale + 1)
            for h, w in (img.shape[-2:] for img in self.images)
        ]
        self._weights = torch.tensor(positions, dtype=torch.float64)

    def _aligned(self, g: torch.Generator, length: int) -> int:
        """A random multiple of ``scale`` in ``[0, length - patch_size]``."""
        n = (length - self.patch_size) // self.scale + 1
        return int(torch.randint(n, (), generator=g)) * self.scale

    def _rescaled_crop(self, img: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        """A ``patch_size`` square of ``img`` rescaled by a random factor."""
        p = self.patch_size
        lo, hi = self.rescale
        u = torch.rand(3, generator=g, dtype=torch.float64).tolist()
        # At least the factor that keeps a whole patch inside the rescaled image.
        f = max(lo + (hi - lo) * u[0], p / min(img.shape[-2:]))
        margin = math.ceil(_CUBIC_HALF_WIDTH / min(f, 1.0)) + 1
        corner = []
        window = []
        for length, r in zip(img.shape[-2:], u[1:], strict=True):
            n = min(length, math.ceil(p / f) + 2 * margin)
            corner.append(int(r * (length - n + 1)))
            window.append(n)
        (y, x), (nh, nw) = corner, window
        out = quantize(imresize(img[None, :, y : y + nh, x : x + nw], f))[0]
        starts = []
        for n, length, out_len in zip(
            window, img.shape[-2:], out.shape[-2:], strict=True
        ):
            if n < length:
                # A window inside the image: the centre is clear of its mirrored edges.
                starts.append((out_len - p) // 2)
            else:
                starts.append(int(torch.randint(out_len - p + 1, (), generator=g)))
        oy, ox = starts
        return out[:, oy : oy + p, ox : ox + p]

    def _sample(self, g: torch.Generator) -> torch.Tensor:
        index = int(torch.multinomial(self._weights, 1, generator=g))
        img = self.images[index]
        p = self.patch_size
        if self.rescale is not None:
            crop = self._rescaled_crop(img, g)
        else:
            y = self._aligned(g, img.shape[-2])
            x = self._aligned(g, img.shape[-1])
            crop = img[:, y : y + p, x : x + p]
        if self.augment:
            crop = dihedral(crop, int(torch.randint(8, (), generator=g)))
        return crop

    def batch(self, step: int, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(lr (B, C, P/s, P/s) or upsampled, hr (B, C, P, P))`` of ``step``; the
        global RNG is left untouched."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        s = step_seed(self.seed, step)
        g = torch.Generator().manual_seed(s)
        hr = torch.stack([self._sample(g) for _ in range(batch_size)]).contiguous()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(s ^ 0x5DEECE66D)
            lr_img = _make_input(hr, self.scale, self.degradation, self.upsample_input)
        return lr_img, hr


def validation_pairs(
    hr_images: Sequence[torch.Tensor],
    scale: int,
    channels: str = "rgb",
    upsample_input: bool = False,
    *,
    degradation: Degradation | None = None,
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Whole-image ``(lr, hr)`` pairs made as the training patches are (HR in
    ``channels``, modcropped; LR ``degradation(hr)``, upscaled with ``upsample_input``).

    Example:
        >>> [(lr, hr)] = validation_pairs([torch.rand(1, 3, 33, 35)], 2, "y")
        >>> tuple(lr.shape), tuple(hr.shape)
        ((1, 1, 16, 17), (1, 1, 32, 34))
    """
    _check_images(hr_images, channels, "validation_pairs")
    pairs = []
    for img in hr_images:
        hr = modcrop(_to_channels(img, channels), scale)
        pairs.append((_make_input(hr, scale, degradation, upsample_input), hr))
    return pairs
