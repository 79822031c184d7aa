"""Verification: are a dataset's files all there, with the pinned bytes?

Reading functions verify before they read and fail loudly, naming every missing or
corrupt file, instead of silently scoring a partial dataset. :func:`verify` returns a
:class:`VerifyReport`, :func:`require` raises one :class:`DatasetError` listing every
bad file, and :func:`available` tabulates all datasets. A dataset with no manifest
(General-100) is read from the images placed by hand (:func:`manual_files`), with a
warning that they are unverified.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from srcore.data.checksums import file_ok, manifest
from srcore.data.registry import (
    DATASETS,
    DatasetError,
    DatasetInfo,
    data_root,
    dataset_info,
    problem_message,
)

__all__ = [
    "IMAGE_SUFFIXES",
    "VerifyReport",
    "available",
    "manual_files",
    "require",
    "verify",
]


IMAGE_SUFFIXES = (".png", ".bmp", ".jpg", ".jpeg", ".tif", ".tiff")
_HINT = (
    "Set SRCORE_DATA to the folder that holds the datasets, "
    "or run `python -m srcore data fetch {name}`."
)


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
            problem_message(title, self.missing, self.corrupt, hint),
            name=self.name,
            missing=self.missing,
            corrupt=self.corrupt,
        )


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


def manual_files(info: DatasetInfo, base: Path) -> list[Path]:
    """Images placed by hand for a dataset with no manifest (General-100), warned.

    They are the image files of ``<base>/<name>/HR`` in name order; none there is a
    :class:`DatasetError` saying where to put them.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     manual_files(DATASETS["General-100"], Path(tmp))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        srcore.data.registry.DatasetError: no checksum manifest for General-100; ...
    """
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

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     report = verify("Set5", tmp, ["HR"])
        >>> report.ok, report.n_ok, report.missing[0]
        (False, 0, 'Set5/HR/baby.png')
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
        elif file_ok(path, entry):
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

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     require("Set5", tmp, ["HR"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        srcore.data.registry.DatasetError: dataset Set5 under ... 5 missing, ...
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

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     table = available(tmp)
        >>> table.iloc[0].to_dict()["n_present"], list(table.columns)[:3]
        (0, ['dataset', 'role', 'split'])
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
            n_ok = sum(file_ok(base / e.relpath, e) for e in present)
            records.append(
                dict(dataset=info.name, role=info.role, split=split)
                | dict(n_files=len(entries), n_present=len(present), n_ok=n_ok)
            )
    table = pd.DataFrame.from_records(records)
    return table.astype({"n_files": "Int64", "n_present": "Int64", "n_ok": "Int64"})
