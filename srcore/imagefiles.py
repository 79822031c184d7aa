"""The image files a command reads and writes: inputs, outputs and HR references.

Each check raises :class:`srcore.upscaling.InputError` naming the file before any
work starts, so that a bad command leaves nothing behind.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import torch

from srcore.imageops import SAVE_FORMATS
from srcore.upscaling import InputError

#: What a folder given as INPUT or --hr is searched for.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif")


def folder_images(folder: Path) -> list[Path]:
    """The images of a folder (not its subfolders), sorted by name; none is an error."""
    found = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    )
    if not found:
        raise InputError(f"{folder}: no images ({', '.join(IMAGE_SUFFIXES)}) in folder")
    return found


def input_files(names: list[str]) -> tuple[list[Path], bool]:
    """The input files of files and folders ``names``, and whether a folder was
    among them."""
    files, folder = [], False
    for name in names:
        path = Path(name)
        if path.is_dir():
            files += folder_images(path)
            folder = True
        elif path.exists():
            files.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    stems = [p.stem for p in files]
    twice = sorted({s for s in stems if stems.count(s) > 1})
    if twice:
        raise InputError(f"two inputs would both be written as {twice[0]}.png")
    return files, folder


def _writable(folder: Path, out: Path) -> None:
    """The nearest existing ancestor of ``folder`` must be a writable folder."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(f"{out}: cannot write there, {probe} is not a writable folder")


def output_files(
    inputs: list[Path],
    out: Path,
    *,
    folder: bool = False,
    raw: str = "",
    fmt: str = "png",
    suffix: str = "",
) -> list[Path]:
    """One output image per input: ``out`` itself for one input, else
    ``out/<stem><suffix>.<fmt>``, as when ``folder``, ``out`` is a folder or ``raw``
    (the name as typed) ends with ``/``.

    Example:
        >>> import tempfile
        >>> d = Path(tempfile.mkdtemp())
        >>> [p.name for p in output_files([Path("a.png"), Path("b.jpg")], d,
        ...                               fmt="webp", suffix="_x2")]
        ['a_x2.webp', 'b_x2.webp']
    """
    as_folder = folder or len(inputs) > 1 or out.is_dir() or raw.endswith("/")
    if as_folder and out.suffix.lower() in IMAGE_SUFFIXES and not out.is_dir():
        raise InputError(
            f"{out}: looks like an image name, but several outputs need a folder; "
            "give a folder name"
        )
    if not as_folder and out.suffix.lower() not in SAVE_FORMATS:
        raise InputError(
            f"{out}: the output is an 8-bit image; name it *.png, *.jpg or *.webp "
            "(or a folder)"
        )
    if f".{fmt}" not in SAVE_FORMATS:
        raise InputError(f"--format must be png, jpg or webp, got {fmt!r}")
    outs = [out / f"{p.stem}{suffix}.{fmt}" for p in inputs] if as_folder else [out]
    _writable(out if as_folder else out.parent, out)
    for src, dst in zip(inputs, outs, strict=True):
        if dst.exists() and dst.resolve() == src.resolve():
            raise InputError(f"{dst}: would overwrite the input; choose another output")
        if dst.is_dir():
            raise InputError(f"{dst}: is a folder, cannot write the image there")
    return outs


def hr_files(hr: list[str] | None, inputs: list[Path]) -> list[Path | None]:
    """The HR file of each input: one file per input, or a folder holding one image
    of each input's name (any image suffix); ``None`` each without ``hr``."""
    if not hr:
        return [None] * len(inputs)
    if len(hr) == 1 and Path(hr[0]).is_dir():
        by_stem: dict[str, list[Path]] = {}
        for p in folder_images(Path(hr[0])):
            by_stem.setdefault(p.stem, []).append(p)
        missing = [p for p in inputs if len(by_stem.get(p.stem, [])) != 1]
        if missing:
            raise InputError(f"{hr[0]}: no single HR image named {missing[0].stem}.*")
        return [by_stem[p.stem][0] for p in inputs]
    if len(hr) != len(inputs):
        raise InputError(f"--hr: {len(hr)} HR files for {len(inputs)} inputs")
    return [Path(p) for p in hr]


def reference(
    hr: torch.Tensor, lr_hw: tuple[int, int], scale: float, name: str | Path
) -> torch.Tensor:
    """The HR image cropped (bottom/right) to the size it shares with the output
    (``ceil(h scale) x ceil(w scale)``), as ``modcrop`` does; the two may differ by
    up to ``ceil(scale) - 1`` pixels either way.

    Example:
        >>> tuple(reference(torch.rand(1, 3, 101, 99), (50, 49), 2, "hr.png").shape)
        (1, 3, 100, 98)
    """
    h, w = (math.ceil(n * scale) for n in lr_hw)
    hh, hw = hr.shape[-2:]
    slack = math.ceil(scale)
    if not (abs(hh - h) < slack and abs(hw - w) < slack):
        raise InputError(
            f"{name}: HR is {hw}×{hh}; the ×{scale:g} output is {w}×{h} "
            f"(sizes up to {slack - 1} px apart are cropped to the common size)"
        )
    h, w = min(h, hh), min(w, hw)
    if min(h, w) - 2 * slack < 11:
        raise InputError(f"{name}: {w}×{h} is too small to score (SSIM window 11)")
    return hr[..., :h, :w]
