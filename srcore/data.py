"""Benchmark and training datasets: registry, checksums, download and reading.

Every number in the study is computed on files whose sha256 is pinned in
``srcore/manifests/datasets.csv``, so a result can always be traced back to exact
bytes. Reading functions therefore verify before they read and fail loudly, naming
every missing or corrupt file, instead of silently scoring a partial dataset.

Images are never stored in the repository. They live under a data root (see
:func:`data_root`) and can be restored with :func:`fetch`, which downloads the
GitHub archive of each source repository at the pinned commit and checks every
extracted file against the manifest.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from srcore.files import atomic_write
from srcore.imageops import load_image, load_image_uint8, modcrop, to_tensor

__all__ = [
    "DATASETS",
    "DatasetError",
    "DatasetInfo",
    "ManifestEntry",
    "VerifyReport",
    "available",
    "build_manifest",
    "data_root",
    "dataset_info",
    "demo_images",
    "div2krk_indices",
    "div2krk_kernel",
    "fetch",
    "image_paths",
    "iter_images",
    "load_demo_or_dataset",
    "load_div2krk",
    "load_hr",
    "load_lr_reference",
    "manifest",
    "require",
    "verify",
]

GITHUB = "https://github.com"
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
IMAGE_SUFFIXES = (".png", ".bmp", ".jpg", ".jpeg", ".tif", ".tiff")
DEMO_NAMES = ("astronaut", "chelsea", "coffee", "rocket", "camera")
_HINT = (
    "Set SRCORE_DATA to the folder that holds the datasets, "
    "or run `python -m srcore data fetch {name}`."
)


class DatasetError(RuntimeError):
    """A dataset that is missing, incomplete or corrupt; lists every bad file.

    One exception for all problems, so a user fixes everything in one go rather
    than discovering files one at a time.
    """

    def __init__(
        self,
        message: str,
        *,
        name: str = "",
        missing: Sequence[str] = (),
        corrupt: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.name = name
        self.missing = list(missing)
        self.corrupt = list(corrupt)


# --------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset is, what it is used for and how it is obtained.

    ``source`` is ``"github-archive"`` when :func:`fetch` can rebuild it from the
    manifest, or ``"manual"`` when the files must be placed by hand (``url`` says
    where to get them and ``files_known`` is False: there is no checksum list).
    """

    name: str
    role: str
    description: str
    splits: tuple[str, ...]
    hr_split: str | None
    source: str = "github-archive"
    url: str | None = None
    files_known: bool = True


_X234 = ("LR_bicubic_X2", "LR_bicubic_X3", "LR_bicubic_X4")
_MATLAB_REF = ("MATLAB_float_ref_X2", "MATLAB_float_ref_X3", "MATLAB_float_ref_X4")
DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo(
            "Set5",
            "test",
            "Bevilacqua et al. 2012: 5 RGB test images; SelfExSR bicubic LR x2-x4, "
            "MATLAB float reference of the VDSR pipeline, SelfExSR metric tables.",
            ("HR", *_X234, *_MATLAB_REF, "SR_reference_metrics"),
            "HR",
        ),
        DatasetInfo(
            "Set14",
            "test",
            "Zeyde et al. 2010: 14 test images at full original size (bridge is "
            "greyscale); SelfExSR bicubic LR x2-x4 and metric tables.",
            ("HR", *_X234, "SR_reference_metrics"),
            "HR",
        ),
        DatasetInfo(
            "BSD100",
            "test",
            "BSDS300 test set (Martin et al. 2001) as cropped by SelfExSR "
            "(480x321 / 321x480); bicubic LR x2-x4, one ZSSR random-kernel example.",
            ("HR", *_X234, "LR_random_kernel_X2_example", "SR_reference_metrics"),
            "HR",
        ),
        DatasetInfo(
            "Urban100",
            "test",
            "Huang et al. 2015 (SelfExSR): 100 urban scenes; HR and bicubic LR x4. "
            "Not shipped with the study data; fetch it from SelfExSR.",
            ("HR", "LR_bicubic_X4", "SR_reference_metrics"),
            "HR",
        ),
        DatasetInfo(
            "T91",
            "train",
            "Yang et al. 2010: 91 training images; the source BMPs are checked "
            "against their original sha256 and stored as pixel-equal PNGs.",
            ("HR",),
            "HR",
        ),
        DatasetInfo(
            "General-100",
            "train",
            "Dong et al. 2016 (FSRCNN): 100 training images. No checksum list is "
            "known: download by hand and place the images under General-100/HR.",
            ("HR",),
            "HR",
            source="manual",
            url="https://mmlab.ie.cuhk.edu.hk/projects/FSRCNN.html",
            files_known=False,
        ),
        DatasetInfo(
            "BSD200",
            "train",
            "BSDS300 training set: 200 images at full 481x321 / 321x481 "
            "(with T91 the classic '291 images').",
            ("HR",),
            "HR",
        ),
        DatasetInfo(
            "DIV2K",
            "test",
            "Agustsson & Timofte 2017: 13 of the 100 validation HR images "
            "(0814 ... 0894), full size, taken from DIV2KRK's gt.",
            ("valid_HR",),
            "valid_HR",
        ),
        DatasetInfo(
            "DIV2KRK",
            "test",
            "Bell-Kligler et al. 2019 (KernelGAN): random-kernel LR x2/x4 of the 13 "
            "DIV2K images above (im_i = DIV2K 0800+i) and all 100 kernels "
            "(.mat, variable 'Kernel').",
            ("lr_x2", "lr_x4", "gt_k_x2", "gt_k_x4"),
            None,
        ),
    )
}


def dataset_info(name: str) -> DatasetInfo:
    """Registry entry for ``name`` (case-insensitive), or a ValueError listing all."""
    if name in DATASETS:
        return DATASETS[name]
    for key, info in DATASETS.items():
        if key.lower() == name.lower():
            return info
    raise ValueError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")


# --------------------------------------------------------------------------------------
# Manifest
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ManifestEntry:
    """One file of a dataset: where it goes, its hash, and where it comes from.

    ``source_sha256`` is the hash of the file as it is in the source archive; it
    differs from ``sha256`` only for converted files (T91: BMP -> PNG), and is empty
    for repacked files that cannot be downloaded. ``pixel_sha256`` (converted files
    only) hashes the decoded pixels, so a conversion made with another zlib still
    verifies.
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
def _load_manifest() -> tuple[ManifestEntry, ...]:
    text = resources.files("srcore").joinpath("manifests/datasets.csv").read_text()
    rows = csv.DictReader(io.StringIO(text))
    return tuple(ManifestEntry(**{k: row[k] for k in MANIFEST_COLUMNS}) for row in rows)


def manifest(
    name: str | None = None, splits: Iterable[str] | None = None
) -> list[ManifestEntry]:
    """Manifest rows, optionally of one dataset and some of its splits."""
    rows = list(_load_manifest())
    if name is not None:
        info = dataset_info(name)
        rows = [r for r in rows if r.dataset == info.name]
        if splits is not None:
            wanted = _check_splits(info, splits)
            rows = [r for r in rows if r.split in wanted]
    return rows


def _check_splits(info: DatasetInfo, splits: Iterable[str]) -> set[str]:
    wanted = {_resolve_split(info, s, None) for s in splits}
    unknown = sorted(wanted - set(info.splits))
    if unknown:
        raise ValueError(
            f"{info.name} has no split {', '.join(unknown)}; "
            f"its splits are {', '.join(info.splits)}"
        )
    return wanted


def build_manifest(
    src_csv: str | os.PathLike,
    dst_csv: str | os.PathLike,
    bmp_csv: str | os.PathLike | None = None,
) -> int:
    """Regenerate the packaged manifest from the data folder's ``MANIFEST.csv``.

    Run once whenever the shared data changes, e.g.
    ``build_manifest("../shared/datasets/MANIFEST.csv",
    "srcore/manifests/datasets.csv")``. Adds ``source_sha256`` (T91: the original
    BMP hash from ``T91/ORIGINAL_BMP_SHA256.csv``; repacked splits: empty) and, for
    converted files, ``pixel_sha256`` computed from the image next to ``src_csv``.
    Returns the number of rows written.
    """
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
            pixels = _pixel_sha256(src_root / entry.relpath)
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
    _atomic_write(Path(dst_csv), buf.getvalue().encode())
    _load_manifest.cache_clear()
    return len(out)


# --------------------------------------------------------------------------------------
# Hashing (cached: the test suite and every benchmark verify ~1,200 files)
# --------------------------------------------------------------------------------------

_HASH_CACHE: dict[tuple[str, str, int, int], str] = {}


def _cached(kind: str, path: Path, compute: Callable[[Path], str]) -> str:
    st = path.stat()
    key = (kind, str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _HASH_CACHE:
        _HASH_CACHE[key] = compute(path)
    return _HASH_CACHE[key]


def _sha256_file(path: Path) -> str:
    def compute(p: Path) -> str:
        h = hashlib.sha256()
        with open(p, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()

    return _cached("file", path, compute)


def _pixel_digest(data: bytes | Path) -> str:
    """sha256 of decoded pixels (mode, size and raw bytes): format-independent."""
    src = io.BytesIO(data) if isinstance(data, bytes) else data
    with Image.open(src) as img:
        img.load()
        h = hashlib.sha256(f"{img.mode} {img.width} {img.height}\n".encode())
        h.update(img.tobytes())
    return h.hexdigest()


def _pixel_sha256(path: Path) -> str:
    return _cached("pixels", path, _pixel_digest)


def _file_ok(path: Path, entry: ManifestEntry) -> bool:
    if _sha256_file(path) == entry.sha256:
        return True
    if not entry.pixel_sha256:
        return False
    try:
        return _pixel_sha256(path) == entry.pixel_sha256
    except OSError:
        return False


# --------------------------------------------------------------------------------------
# Data root and verification
# --------------------------------------------------------------------------------------


def data_root(root: str | os.PathLike | None = None) -> Path:
    """Folder that holds the datasets (``<root>/<dataset>/...``).

    Order: the argument, then ``$SRCORE_DATA``, then ``../shared/datasets`` next to
    the repository checkout (the study's layout, also used by CI), then the user
    cache (``pooch.os_cache("srcore")``) where :func:`fetch` puts downloads.
    """
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get("SRCORE_DATA")
    if env:
        return Path(env).expanduser()
    repo = Path(__file__).resolve().parents[1]
    shared = repo.parent / "shared" / "datasets"
    if (repo / "pyproject.toml").is_file() and shared.is_dir():
        return shared
    import pooch

    return Path(pooch.os_cache("srcore"))


@dataclass
class VerifyReport:
    """Outcome of :func:`verify`: counts and the relpaths of every bad file."""

    name: str
    root: Path
    n_ok: int = 0
    missing: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)
    n_unverified: int = 0

    @property
    def ok(self) -> bool:
        return not self.missing and not self.corrupt

    def error(self, title: str | None = None, hint: str | None = None) -> DatasetError:
        """A :class:`DatasetError` naming every missing and corrupt file."""
        total = self.n_ok + len(self.missing) + len(self.corrupt)
        title = title or (
            f"dataset {self.name} under {self.root} is incomplete: "
            f"{len(self.missing)} missing, {len(self.corrupt)} corrupt "
            f"(of {total} files)"
        )
        hint = _HINT.format(name=self.name) if hint is None else hint
        return DatasetError(
            _problem_message(title, self.missing, self.corrupt, hint),
            name=self.name,
            missing=self.missing,
            corrupt=self.corrupt,
        )


def _problem_message(
    title: str, missing: Sequence[str], corrupt: Sequence[str], hint: str
) -> str:
    lines = [title]
    if missing:
        lines += ["missing:", *(f"  {m}" for m in missing)]
    if corrupt:
        lines += ["corrupt (sha256 mismatch):", *(f"  {c}" for c in corrupt)]
    if hint:
        lines.append(hint)
    return "\n".join(lines)


def _local_images(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
    return sorted(files, key=lambda p: p.name)


def _manual_folder(info: DatasetInfo, root: Path) -> Path:
    return root / info.name / "HR"


def _no_manifest_message(info: DatasetInfo, root: Path) -> str:
    return (
        f"no checksum manifest for {info.name}; place the images under "
        f"{_manual_folder(info, root)} (source: {info.url})"
    )


def _manual_files(info: DatasetInfo, base: Path) -> list[Path]:
    """Images placed by hand for a dataset with no manifest (General-100), warned."""
    folder = _manual_folder(info, base)
    files = _local_images(folder)
    if not files:
        raise DatasetError(_no_manifest_message(info, base), name=info.name)
    _warn_unverified(info, len(files), folder)
    return files


def _warn_unverified(info: DatasetInfo, n: int, folder: Path) -> None:
    warnings.warn(
        f"{info.name} has no checksum manifest: using {n} images from {folder} "
        "unverified",
        stacklevel=3,
    )


def verify(
    name: str,
    root: str | os.PathLike | None = None,
    splits: Iterable[str] | None = None,
) -> VerifyReport:
    """Check every file of a dataset (or of some splits) against the manifest.

    Never raises for bad files: they are listed in the report (a dataset with no
    local files, such as Urban100 here, comes back with everything missing).
    """
    info = dataset_info(name)
    base = data_root(root)
    report = VerifyReport(info.name, base)
    if not info.files_known:
        folder = _manual_folder(info, base)
        report.n_unverified = len(_local_images(folder))
        if report.n_unverified:
            _warn_unverified(info, report.n_unverified, folder)
        else:
            report.missing.append(f"{info.name}/HR/*")
        return report
    for entry in manifest(info.name, splits):
        path = base / entry.relpath
        if not path.is_file():
            report.missing.append(entry.relpath)
        elif _file_ok(path, entry):
            report.n_ok += 1
        else:
            report.corrupt.append(entry.relpath)
    return report


def require(
    name: str,
    root: str | os.PathLike | None = None,
    splits: Iterable[str] | None = None,
) -> Path:
    """Verify and return the data root, or raise one :class:`DatasetError`.

    The error lists every missing and corrupt file and says how to fix it.
    """
    report = verify(name, root, splits)
    if not report.ok:
        info = dataset_info(name)
        if not info.files_known:
            raise DatasetError(_no_manifest_message(info, report.root), name=info.name)
        raise report.error()
    return report.root


def available(root: str | os.PathLike | None = None) -> Any:
    """Table (pandas DataFrame) of expected, present and verified files per split.

    Backs ``python -m srcore data list``; ``n_ok`` hashes the files (cached).
    """
    import pandas as pd

    base = data_root(root)
    records = []
    for info in DATASETS.values():
        if not info.files_known:
            n = len(_local_images(_manual_folder(info, base)))
            records.append(
                dict(dataset=info.name, role=info.role, split="HR", n_files=None)
                | dict(n_present=n, n_ok=None)
            )
            continue
        for split in info.splits:
            entries = manifest(info.name, [split])
            present = [e for e in entries if (base / e.relpath).is_file()]
            n_ok = sum(_file_ok(base / e.relpath, e) for e in present)
            records.append(
                dict(dataset=info.name, role=info.role, split=split)
                | dict(n_files=len(entries), n_present=len(present), n_ok=n_ok)
            )
    table = pd.DataFrame.from_records(records)
    return table.astype({"n_files": "Int64", "n_present": "Int64", "n_ok": "Int64"})


# --------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------


def _resolve_split(info: DatasetInfo, split: str, scale: int | None) -> str:
    """``HR`` -> the dataset's HR split; ``LR_bicubic``/``lr``/``gt_k`` + scale."""
    if split == "HR":
        if info.hr_split is None:
            raise ValueError(
                f"{info.name} has no HR split (DIV2KRK's HR images are DIV2K's)"
            )
        return info.hr_split
    if scale is not None and split in ("LR_bicubic", "lr", "gt_k"):
        sep = "_X" if split == "LR_bicubic" else "_x"
        return f"{split}{sep}{int(scale)}"
    return split


def image_paths(
    name: str,
    split: str = "HR",
    scale: int | None = None,
    root: str | os.PathLike | None = None,
) -> list[Path]:
    """Verified paths of one split, sorted by file name (plain string order).

    String order is the order SelfExSR numbered BSD100 (img_001 = first id), so
    "the first k images" means the same thing everywhere. ``scale`` picks the LR
    split: ``image_paths("Set5", "LR_bicubic", 2)`` -> ``LR_bicubic_X2``.
    """
    info = dataset_info(name)
    base = data_root(root)
    if not info.files_known:
        return _manual_files(info, base)
    resolved = _resolve_split(info, split, scale)
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
    """HR image ``(1, C, H, W)`` cropped top-left to multiples of ``scale``.

    ``image`` is a file stem (``"baby"``) or an index in sorted order. Grey images
    (Set14 bridge) stay 1-channel with ``keep_grey``: they are scored on their own
    grey levels, as in the MATLAB protocol.
    """
    path = _pick(image_paths(name, "HR", root=root), image, f"{name} HR")
    return modcrop(load_image(path, keep_grey=keep_grey), scale)


def iter_images(
    name: str,
    scale: int,
    root: str | os.PathLike | None = None,
    limit: int | None = None,
    keep_grey: bool = True,
) -> Iterator[tuple[str, torch.Tensor]]:
    """Yield ``(image_name, hr)`` in sorted order, HR modcropped to ``scale``.

    The whole split is verified before the first image is yielded, so a loop never
    stops half way through a benchmark because of a bad file.
    """
    paths = image_paths(name, "HR", root=root)
    for path in paths[:limit]:
        yield path.stem, modcrop(load_image(path, keep_grey=keep_grey), scale)


def load_lr_reference(
    name: str,
    image: str | int,
    scale: int,
    root: str | os.PathLike | None = None,
    keep_grey: bool = True,
) -> torch.Tensor:
    """The shipped ``LR_bicubic/X<scale>`` image (MATLAB-made, exact recipe unknown).

    Benchmarks make their own LR with :func:`srcore.resize.imresize`; these files
    are only for comparing against what the literature used.
    """
    paths = image_paths(name, "LR_bicubic", scale, root=root)
    path = _pick(paths, image, f"{name} LR_bicubic_X{scale}")
    return load_image(path, keep_grey=keep_grey)


def div2krk_indices() -> list[int]:
    """Image numbers ``i`` (DIV2K 0800+i) for which DIV2KRK LR images are stored."""
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
    """DIV2KRK LR image ``im_<i>`` (RGB ``(1, 3, h, w)``) and its kernel.

    The matching HR is ``load_hr("DIV2K", f"{800 + i:04d}", scale)``. The PNGs are
    RGBA with an opaque alpha, which is dropped without the usual warning.
    """
    paths = image_paths("DIV2KRK", "lr", scale, root=root)
    path = _pick(paths, f"im_{int(image_index)}", f"DIV2KRK lr_x{scale}")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*alpha channel dropped")
        lr = to_tensor(load_image_uint8(path))
    return lr, div2krk_kernel(image_index, scale, root)


# --------------------------------------------------------------------------------------
# Download
# --------------------------------------------------------------------------------------


def _atomic_write(path: Path, data: bytes) -> None:
    atomic_write(path, lambda fh: fh.write(data))


def _archive_prefix(zf: zipfile.ZipFile) -> str:
    """The single top-level folder of a GitHub archive (``repo-commit/``), or ''."""
    tops = {n.split("/", 1)[0] for n in zf.namelist() if n.strip("/")}
    if len(tops) == 1:
        top = tops.pop()
        if any(n.startswith(top + "/") for n in zf.namelist()):
            return top + "/"
    return ""


def _download(url: str, fname: str, cache_dir: Path, progress: bool) -> Path:
    import pooch

    try:
        import tqdm  # noqa: F401

        bar = progress
    except ImportError:
        bar = False
    return Path(
        pooch.retrieve(
            url, known_hash=None, fname=fname, path=cache_dir, progressbar=bar
        )
    )


def _extract(zf: zipfile.ZipFile, prefix: str, entry: ManifestEntry) -> bytes | None:
    """Bytes to store at ``relpath``, or None when the source fails its checksum."""
    data = zf.read(prefix + entry.source_path)
    if hashlib.sha256(data).hexdigest() != entry.source_sha256:
        return None
    if not entry.converted:
        return data
    # Lossless conversion (T91: BMP -> PNG); optimize=True reproduces the stored
    # bytes with the zlib used to build the data, the pixel hash covers the rest.
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        buf = io.BytesIO()
        img.save(
            buf, format=Path(entry.relpath).suffix.lstrip(".").upper(), optimize=True
        )
    out = buf.getvalue()
    if hashlib.sha256(out).hexdigest() == entry.sha256:
        return out
    if entry.pixel_sha256 and _pixel_digest(out) == entry.pixel_sha256:
        return out
    return None


def fetch(
    name: str,
    root: str | os.PathLike | None = None,
    mirror: str | None = None,
    progress: bool = True,
    *,
    splits: Iterable[str] | None = None,
    cache_dir: str | os.PathLike | None = None,
) -> Path:
    """Download a dataset into ``<root>`` and verify every file; returns ``root/name``.

    For each source repository the GitHub archive at the pinned commit is fetched
    with pooch into ``cache_dir`` (default: the user cache), and only the needed
    files are copied out. Files already present with the right hash are left
    alone. ``mirror`` (or ``$SRCORE_DATA_MIRROR``) replaces ``https://github.com``.

    Raises:
        DatasetError: one error listing every file that could not be obtained or
            failed its checksum; failed files are never left in place.
    """
    import pooch

    info = dataset_info(name)
    base = data_root(root)
    if not info.files_known:
        _manual_files(info, base)
        return base / info.name
    mirror = (mirror or os.environ.get("SRCORE_DATA_MIRROR") or GITHUB).rstrip("/")
    cache = (
        Path(cache_dir) if cache_dir else Path(pooch.os_cache("srcore")) / "archives"
    )
    entries = manifest(info.name, splits)
    todo = [e for e in entries if not _present_ok(base, e)]
    missing: list[str] = []
    corrupt: list[str] = []
    notes: list[str] = []
    skipped = [e.relpath for e in todo if not e.fetchable]
    if skipped:
        msg = f"{len(skipped)} repacked file(s) of {info.name} cannot be downloaded"
        if splits is None:
            warnings.warn(f"{msg}, skipped: {', '.join(skipped)}", stacklevel=2)
        else:
            missing += skipped
            notes.append(f"{msg} (no source checksum)")
    groups: dict[tuple[str, str], list[ManifestEntry]] = {}
    for e in todo:
        if e.fetchable:
            groups.setdefault((e.source_repo, e.source_commit), []).append(e)
    for (repo, commit), group in groups.items():
        url = f"{mirror}/{repo}/archive/{commit}.zip"
        bad = _fetch_group(url, group, base, cache, progress, notes)
        missing += bad[0]
        corrupt += bad[1]
    if missing or corrupt:
        title = (
            f"fetching {info.name} into {base} failed: {len(missing)} missing, "
            f"{len(corrupt)} corrupt (of {len(entries)} files)"
        )
        detail = "\n".join(notes)
        raise DatasetError(
            _problem_message(title, missing, corrupt, detail),
            name=info.name,
            missing=missing,
            corrupt=corrupt,
        )
    return base / info.name


def _present_ok(base: Path, entry: ManifestEntry) -> bool:
    path = base / entry.relpath
    return path.is_file() and _file_ok(path, entry)


def _fetch_group(
    url: str,
    group: list[ManifestEntry],
    base: Path,
    cache: Path,
    progress: bool,
    notes: list[str],
) -> tuple[list[str], list[str]]:
    """Fetch one archive and install its files; returns (missing, corrupt)."""
    # One cache file per URL, so archives from different mirrors never mix.
    tag = hashlib.sha1(url.encode()).hexdigest()[:10]
    fname = f"{re.sub(r'[^A-Za-z0-9._-]', '_', url.split('/')[-3])}-{tag}.zip"
    try:
        archive = _download(url, fname, cache, progress)
    except Exception as err:  # network, HTTP and file errors all mean "not obtained"
        notes.append(f"download of {url} failed: {err}")
        return [e.relpath for e in group], []
    missing: list[str] = []
    corrupt: list[str] = []
    try:
        with zipfile.ZipFile(archive) as zf:
            prefix = _archive_prefix(zf)
            for entry in group:
                try:
                    data = _extract(zf, prefix, entry)
                except KeyError:
                    missing.append(entry.relpath)
                    notes.append(f"{entry.source_path} not in {url}")
                    continue
                if data is None:
                    corrupt.append(entry.relpath)
                else:
                    _atomic_write(base / entry.relpath, data)
    except zipfile.BadZipFile as err:
        notes.append(f"{url} is not a valid zip archive: {err}")
        missing = [e.relpath for e in group]
    if missing or corrupt:
        # A bad archive must not be reused from the cache by the next attempt.
        archive.unlink(missing_ok=True)
        if corrupt:
            notes.append(f"files from {url} failed their checksum; not installed")
    return missing, corrupt


# --------------------------------------------------------------------------------------
# Demo fallback
# --------------------------------------------------------------------------------------


def demo_images(
    limit: int | None = None, keep_grey: bool = False
) -> list[tuple[str, torch.Tensor]]:
    """scikit-image's bundled photos as ``(name, (1, C, H, W))`` float tensors.

    They ship inside the scikit-image wheel, so demos and notebooks still run on a
    machine with no dataset. ``camera`` is greyscale: 3 equal channels unless
    ``keep_grey``.
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
    """The dataset's HR images (modcropped), or the demo images if it is absent.

    Falls back only when no file of the dataset is there at all, with a warning
    naming the substitute; a partial or corrupt dataset raises instead, because
    scoring it would give silently wrong numbers.
    """
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
