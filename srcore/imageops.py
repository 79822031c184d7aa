"""Image I/O and the pixel-level operations of the evaluation protocol.

The only place where PIL, numpy and uint8 meet ``srcore``'s float32 ``(B, C, H, W)``
tensors in [0, 1]. Colour conversions follow MATLAB's ``rgb2ycbcr`` / ``ycbcr2rgb``
(ITU-R BT.601 studio range), on which the published SR tables were scored.
"""

from __future__ import annotations

import os
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from srcore.files import atomic_write

# MATLAB rgb2ycbcr for R, G, B in [0, 1]: ycbcr = offset + M @ rgb (0-255 scale).
_YCBCR_MATRIX = np.array(
    [
        [65.481, 128.553, 24.966],
        [-37.797, -74.203, 112.0],
        [112.0, -93.786, -18.214],
    ]
)
_YCBCR_OFFSET = np.array([16.0, 128.0, 128.0])


class ImageReadError(ValueError):
    """An image file that is missing, empty, truncated, corrupt or not an image."""


def load_image_uint8(path: str | os.PathLike, *, keep_grey: bool = False) -> np.ndarray:
    """Read an image file into a uint8 ``(H, W, 3)`` array (``(H, W)`` for grey with
    ``keep_grey``): 16-bit rounded to 8, palette expanded, alpha dropped with a
    warning, EXIF orientation applied; :class:`ImageReadError` names a bad file."""
    path = Path(path)
    if not path.exists():
        raise ImageReadError(f"image file not found: {path}")
    if path.stat().st_size == 0:
        raise ImageReadError(f"image file is empty: {path}")
    try:
        with Image.open(path) as img:
            img.load()
            img = ImageOps.exif_transpose(img)
            return _pil_to_uint8(img, path, keep_grey)
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise ImageReadError(f"cannot read image {path}: {err}") from err


def _pil_to_uint8(img: Image.Image, path: Path, keep_grey: bool) -> np.ndarray:
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        peak = 65535.0 if arr.max() > 255 or mode.startswith("I;16") else 255.0
        grey = np.round(arr * 255.0 if mode == "F" else arr / peak * 255.0)
        grey = np.clip(grey, 0, 255).astype(np.uint8)
        return grey if keep_grey else np.repeat(grey[..., None], 3, axis=2)
    if mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        mode = img.mode
    if mode in ("RGBA", "LA", "PA"):
        warnings.warn(f"{path.name}: alpha channel dropped", stacklevel=3)
        img = img.convert("L" if mode == "LA" else "RGB")
        mode = img.mode
    if mode in ("L", "1"):
        grey = np.asarray(img.convert("L"), dtype=np.uint8)
        return grey.copy() if keep_grey else np.repeat(grey[..., None], 3, axis=2)
    if mode == "RGB":
        return np.asarray(img, dtype=np.uint8).copy()
    if mode in ("CMYK", "YCbCr", "LAB", "HSV", "RGBX"):
        return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()
    raise ImageReadError(f"unsupported image mode {mode!r} in {path}")


def to_tensor(arr: np.ndarray) -> torch.Tensor:
    """uint8 ``(H, W)`` or ``(H, W, C)`` array -> float32 ``(1, C, H, W)`` in [0, 1]."""
    if arr.dtype != np.uint8:
        raise TypeError(f"expected a uint8 array, got {arr.dtype}")
    if arr.ndim == 2:
        arr = arr[..., None]
    chw = np.ascontiguousarray(arr.transpose(2, 0, 1))
    return torch.from_numpy(chw).float()[None] / 255.0


def load_image(path: str | os.PathLike, *, keep_grey: bool = False) -> torch.Tensor:
    """Read an image into a float32 ``(1, C, H, W)`` tensor in [0, 1] (C = 3, or 1 if
    grey kept)."""
    return to_tensor(load_image_uint8(path, keep_grey=keep_grey))


def quantize(x: torch.Tensor) -> torch.Tensor:
    """Round to the 8-bit grid and clip, staying in float: ``round(255 x) / 255``
    (MATLAB ``im2uint8``, as the published tables score)."""
    return torch.round(x.clamp(0, 1) * 255.0) / 255.0


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """``(1, C, H, W)`` or ``(C, H, W)`` tensor in [0, 1] -> uint8 ``(H, W, C)``
    (or ``(H, W)``)."""
    if x.ndim == 4:
        if x.shape[0] != 1:
            raise ValueError(f"to_uint8 takes one image, got a batch of {x.shape[0]}")
        x = x[0]
    arr = torch.round(x.detach().float().clamp(0, 1) * 255.0).to(torch.uint8)
    arr = arr.cpu().numpy().transpose(1, 2, 0)
    return arr[..., 0] if arr.shape[2] == 1 else arr


def _uint8_image(x: torch.Tensor | np.ndarray, caller: str) -> np.ndarray:
    """An image to write: a float tensor in [0, 1] as 8-bit, a uint8 array as is; any
    other array raises ``TypeError`` (a cast would turn [0, 1] floats to 0/1)."""
    arr = to_uint8(x) if isinstance(x, torch.Tensor) else np.asarray(x)
    if arr.dtype != np.uint8:
        raise TypeError(
            f"{caller} takes a tensor in [0, 1] or a uint8 array, got {arr.dtype}"
        )
    return arr


def save_png(x: torch.Tensor | np.ndarray, path: str | os.PathLike) -> Path:
    """Write a float tensor in [0, 1] or a uint8 array as PNG, atomically."""
    arr = _uint8_image(x, "save_png")
    return atomic_write(path, lambda fh: Image.fromarray(arr).save(fh, format="PNG"))


#: Output formats by file suffix, with the options PIL writes them with (8-bit).
SAVE_FORMATS = {
    ".png": ("PNG", {}),
    ".jpg": ("JPEG", {"quality": 95}),
    ".jpeg": ("JPEG", {"quality": 95}),
    ".webp": ("WEBP", {"quality": 95}),
}


def png16(x: torch.Tensor) -> bytes:
    """A float image in [0, 1] ``(1, C, H, W)``, C = 1 or 3, as a 16-bit PNG file of
    ``round(65535 x)`` (PIL writes 16-bit grey only): signature, ``IHDR``, one
    ``IDAT`` of the zlib-compressed rows (filter byte 0, big-endian samples), ``IEND``
    (ISO/IEC 15948).

    Example:
        >>> import io
        >>> data = png16(torch.full((1, 1, 2, 3), 0.5))
        >>> Image.open(io.BytesIO(data)).size, data[24]  # (W, H), the bit depth
        ((3, 2), 16)
    """
    if x.ndim != 4 or x.shape[0] != 1 or x.shape[1] not in (1, 3):
        raise ValueError(f"png16 takes a (1, 1|3, H, W) tensor, got {tuple(x.shape)}")
    arr = (x[0].detach().float().clamp(0, 1) * 65535).round().to(torch.int32)
    arr = arr.permute(1, 2, 0).cpu().numpy().astype(">u2")  # (H, W, C) big-endian
    h, w, c = arr.shape
    rows = b"".join(b"\x00" + arr[y].tobytes() for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", w, h, 16, 0 if c == 1 else 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 6))
        + chunk(b"IEND", b"")
    )


def save_image(
    x: torch.Tensor | np.ndarray, path: str | os.PathLike, *, depth: int = 8
) -> Path:
    """:func:`save_png` in the format of ``path``'s suffix (:data:`SAVE_FORMATS`);
    ``depth=16`` writes a 16-bit PNG of a float tensor (:func:`png16`).

    Example:
        >>> import tempfile
        >>> p = save_image(torch.rand(1, 3, 8, 8), Path(tempfile.mkdtemp()) / "a.jpg")
        >>> Image.open(p).format
        'JPEG'
    """
    path = Path(path)
    fmt, options = SAVE_FORMATS[path.suffix.lower()]
    if depth == 16:
        if fmt != "PNG" or not isinstance(x, torch.Tensor):
            raise ValueError("16-bit output is PNG from a float tensor only")
        data = png16(x)
        return atomic_write(path, lambda fh: fh.write(data))
    if depth != 8:
        raise ValueError(f"depth must be 8 or 16, got {depth}")
    arr = _uint8_image(x, "save_image")
    return atomic_write(
        path, lambda fh: Image.fromarray(arr).save(fh, format=fmt, **options)
    )


def modcrop(x: torch.Tensor, scale: int) -> torch.Tensor:
    """Crop the bottom/right so that H and W are multiples of ``scale``
    (MATLAB ``modcrop``)."""
    if scale < 1 or int(scale) != scale:
        raise ValueError(f"modcrop needs a positive integer scale, got {scale}")
    h, w = x.shape[-2:]
    return x[..., : h - h % int(scale), : w - w % int(scale)]


def shave(x: torch.Tensor, border: int) -> torch.Tensor:
    """Remove ``border`` pixels on every side (the literature's ``shave_bd`` /
    ``crop_border``)."""
    if border < 0:
        raise ValueError(f"border must be >= 0, got {border}")
    if border == 0:
        return x
    h, w = x.shape[-2:]
    if h <= 2 * border or w <= 2 * border:
        raise ValueError(f"image {h}x{w} is too small to shave {border} px per side")
    return x[..., border:-border, border:-border]


def rgb_to_ycbcr(x: torch.Tensor) -> torch.Tensor:
    """MATLAB ``rgb2ycbcr`` for double input: ``(B, 3, H, W)`` RGB in [0,1] -> YCbCr
    in [0,1], ``Y = (16 + 65.481 R + 128.553 G + 24.966 B) / 255``; not rounded."""
    _check_rgb(x)
    m = torch.as_tensor(_YCBCR_MATRIX, dtype=x.dtype, device=x.device)
    off = torch.as_tensor(_YCBCR_OFFSET, dtype=x.dtype, device=x.device)
    return (torch.einsum("ij,bjhw->bihw", m, x) + off[None, :, None, None]) / 255.0


def ycbcr_to_rgb(x: torch.Tensor) -> torch.Tensor:
    """MATLAB ``ycbcr2rgb``: the exact inverse of :func:`rgb_to_ycbcr` (no clipping)."""
    _check_rgb(x)
    minv = torch.as_tensor(np.linalg.inv(_YCBCR_MATRIX), dtype=x.dtype, device=x.device)
    off = torch.as_tensor(_YCBCR_OFFSET, dtype=x.dtype, device=x.device)
    return torch.einsum("ij,bjhw->bihw", minv, x * 255.0 - off[None, :, None, None])


def rgb_to_y(x: torch.Tensor) -> torch.Tensor:
    """Luma of MATLAB ``rgb2ycbcr``: ``(B, 3, H, W)`` -> ``(B, 1, H, W)`` in
    [16/255, 235/255]."""
    _check_rgb(x)
    w = torch.as_tensor(_YCBCR_MATRIX[0], dtype=x.dtype, device=x.device)
    return (torch.einsum("j,bjhw->bhw", w, x)[:, None] + 16.0) / 255.0


def _check_rgb(x: torch.Tensor) -> None:
    if x.ndim != 4 or x.shape[1] != 3:
        raise ValueError(
            f"expected a (B, 3, H, W) RGB tensor, got shape {tuple(x.shape)}"
        )
