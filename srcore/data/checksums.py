"""The checksum manifest (``srcore/manifests/datasets.csv``): every dataset file,
its pinned sha256 and its source, and the cached hashing that checks a file."""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

from PIL import Image

from srcore.data.registry import dataset_info, resolve_split
from srcore.files import atomic_write, file_sha256

MANIFEST_COLUMNS = (
    "dataset",
    "split",
    "relpath",
    "sha256",
    "source_repo",
    "source_commit",
    "source_path",
    "source_sha256",
    "pixel_sha256",
)
# Splits whose local files were repacked from the source (a subset of the MATLAB
# variables, recompressed), so no source file has their hash: they can be verified
# but not rebuilt by :func:`fetch`.
REPACKED_SPLIT_PREFIXES = ("MATLAB_float_ref",)


@dataclass(frozen=True)
class ManifestEntry:
    """One file of a dataset: where it goes, its hash, and where it comes from.

    ``source_sha256``: the file's hash in the source archive (differs from ``sha256``
    for converted files, T91's BMP -> PNG; empty for repacked files).
    ``pixel_sha256`` (converted files): the decoded pixels' hash, so a conversion
    made with another zlib still verifies.
    """

    dataset: str
    split: str
    relpath: str
    sha256: str
    source_repo: str
    source_commit: str
    source_path: str
    source_sha256: str = ""
    pixel_sha256: str = ""

    @property
    def fetchable(self) -> bool:
        return bool(self.source_sha256 and self.source_repo and self.source_commit)

    @property
    def converted(self) -> bool:
        return (
            Path(self.source_path).suffix.lower() != Path(self.relpath).suffix.lower()
        )


@lru_cache(maxsize=1)
def load_manifest() -> tuple[ManifestEntry, ...]:
    """Every row of the packaged ``srcore/manifests/datasets.csv`` (read once).

    Example:
        >>> len(load_manifest())
        1231
    """
    text = resources.files("srcore").joinpath("manifests/datasets.csv").read_text()
    rows = csv.DictReader(io.StringIO(text))
    return tuple(ManifestEntry(**{k: row[k] for k in MANIFEST_COLUMNS}) for row in rows)


def manifest(
    name: str | None = None, splits: Iterable[str] | None = None
) -> list[ManifestEntry]:
    """Manifest rows, optionally of one dataset and some of its splits.

    Example:
        >>> [Path(e.relpath).name for e in manifest("Set5", ["HR"])][:2]
        ['baby.png', 'bird.png']
    """
    rows = list(load_manifest())
    if name is not None:
        info = dataset_info(name)
        rows = [r for r in rows if r.dataset == info.name]
        if splits is not None:
            wanted = {resolve_split(info, s, None) for s in splits}
            unknown = sorted(wanted - set(info.splits))
            if unknown:
                raise ValueError(
                    f"{info.name} has no split {', '.join(unknown)}; "
                    f"its splits are {', '.join(info.splits)}"
                )
            rows = [r for r in rows if r.split in wanted]
    return rows


def build_manifest(
    src_csv: str | os.PathLike,
    dst_csv: str | os.PathLike,
    bmp_csv: str | os.PathLike | None = None,
) -> int:
    """Regenerate the packaged manifest from the data folder's ``MANIFEST.csv``,
    adding ``source_sha256`` (T91: from ``T91/ORIGINAL_BMP_SHA256.csv``) and
    ``pixel_sha256``; returns the number of rows written."""
    src_csv = Path(src_csv)
    src_root = src_csv.parent
    bmp_csv = Path(bmp_csv) if bmp_csv else src_root / "T91" / "ORIGINAL_BMP_SHA256.csv"
    with open(bmp_csv, newline="") as fh:
        bmp_hash = {r["png_name"]: r["original_bmp_sha256"] for r in csv.DictReader(fh)}
    with open(src_csv, newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for row in rows:
        entry = ManifestEntry(**{k: row[k] for k in MANIFEST_COLUMNS[:7]})
        if entry.split.startswith(REPACKED_SPLIT_PREFIXES):
            entry = replace(entry, source_sha256="")
        elif entry.converted:
            png_name = Path(entry.relpath).name
            if png_name not in bmp_hash:
                raise ValueError(f"no original hash for converted file {entry.relpath}")
            pixels = _cached("pixels", src_root / entry.relpath, pixel_digest)
            entry = replace(
                entry, source_sha256=bmp_hash[png_name], pixel_sha256=pixels
            )
        else:
            entry = replace(entry, source_sha256=entry.sha256)
        out.append(entry)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    for e in out:
        writer.writerow([getattr(e, c) for c in MANIFEST_COLUMNS])
    payload = buf.getvalue().encode()
    atomic_write(Path(dst_csv), lambda fh: fh.write(payload))
    load_manifest.cache_clear()
    return len(out)


# Cached by path, size and mtime: the tests and every benchmark verify ~1,200 files.
_HASH_CACHE: dict[tuple[str, str, int, int], str] = {}


def _cached(kind: str, path: Path, compute: Callable[[Path], str]) -> str:
    st = path.stat()
    key = (kind, str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _HASH_CACHE:
        _HASH_CACHE[key] = compute(path)
    return _HASH_CACHE[key]


def pixel_digest(data: bytes | Path) -> str:
    """sha256 of the decoded pixels (mode, size, raw bytes) of a file's bytes or path.

    Example:
        >>> png, bmp = io.BytesIO(), io.BytesIO()
        >>> Image.new("RGB", (4, 3), (9, 8, 7)).save(png, format="PNG")
        >>> Image.new("RGB", (4, 3), (9, 8, 7)).save(bmp, format="BMP")
        >>> pixel_digest(png.getvalue()) == pixel_digest(bmp.getvalue())
        True
    """
    src = io.BytesIO(data) if isinstance(data, bytes) else data
    with Image.open(src) as img:
        img.load()
        h = hashlib.sha256(f"{img.mode} {img.width} {img.height}\n".encode())
        h.update(img.tobytes())
    return h.hexdigest()


def file_ok(path: Path, entry: ManifestEntry) -> bool:
    """Whether the file at ``path`` is ``entry``'s: same sha256, or same pixels for
    a converted file (``entry.pixel_sha256``).

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     path = Path(tmp) / "baby.png"
        ...     _ = path.write_bytes(b"not an image")
        ...     file_ok(path, manifest("Set5", ["HR"])[0])
        False
    """
    if _cached("file", path, file_sha256) == entry.sha256:
        return True
    if not entry.pixel_sha256:
        return False
    try:
        return _cached("pixels", path, pixel_digest) == entry.pixel_sha256
    except OSError:
        return False
