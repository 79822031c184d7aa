"""Verification: are a dataset's files all there, with the pinned bytes?

A dataset with no manifest (General-100) is read from images placed by hand
(:func:`manual_files`), with a warning that they are unverified.
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
)

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
        """A :class:`DatasetError`: the title, every missing and corrupt file, a hint.

        Example:
            >>> print(VerifyReport("Set5", Path("d"), missing=["Set5/HR/baby.png"])
            ...       .error(hint=""))
            dataset Set5 under d is incomplete: 1 missing, 0 corrupt (of 1 files)
            missing:
              Set5/HR/baby.png
        """
        total = self.n_ok + len(self.missing) + len(self.corrupt)
        lines = [
            title
            or f"dataset {self.name} under {self.root} is incomplete: "
            f"{len(self.missing)} missing, {len(self.corrupt)} corrupt "
            f"(of {total} files)"
        ]
        if self.missing:
            lines += ["missing:", *(f"  {m}" for m in self.missing)]
        if self.corrupt:
            lines += ["corrupt (sha256 mismatch):", *(f"  {c}" for c in self.corrupt)]
        hint = _HINT.format(name=self.name) if hint is None else hint
        if hint:
            lines.append(hint)
        return DatasetError(
            "\n".join(lines), name=self.name, missing=self.missing, corrupt=self.corrupt
        )


def _local_images(info: DatasetInfo, root: Path, warn: bool) -> list[Path]:
    """The image files of ``<root>/<name>/HR`` by name, warned as unverified."""
    folder = root / info.name / "HR"
    files = (
        [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
        if folder.is_dir()
        else []
    )
    if files and warn:
        warnings.warn(
            f"{info.name} has no checksum manifest: using {len(files)} images from "
            f"{folder} unverified",
            stacklevel=3,
        )
    return sorted(files, key=lambda p: p.name)


def _no_manifest(info: DatasetInfo, root: Path) -> DatasetError:
    return DatasetError(
        f"no checksum manifest for {info.name}; place the images under "
        f"{root / info.name / 'HR'} (source: {info.url})",
        name=info.name,
    )


def manual_files(info: DatasetInfo, base: Path) -> list[Path]:
    """Images placed by hand in ``<base>/<name>/HR`` for a dataset with no manifest
    (General-100), in name order, with a warning; none is a :class:`DatasetError`."""
    files = _local_images(info, base, warn=True)
    if not files:
        raise _no_manifest(info, base)
    return files


def verify(
    name: str,
    root: str | os.PathLike | None = None,
    splits: Iterable[str] | None = None,
) -> VerifyReport:
    """Check every file of a dataset (or of some splits) against the manifest; bad
    files are listed in the report, never raised.

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
        report.n_unverified = len(_local_images(info, base, warn=True))
        if not report.n_unverified:
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
    """Verify and return the data root, or raise one :class:`DatasetError` listing
    every missing and corrupt file and how to fix it."""
    report = verify(name, root, splits)
    if not report.ok:
        info = dataset_info(name)
        if not info.files_known:
            raise _no_manifest(info, report.root)
        raise report.error()
    return report.root


def available(root: str | os.PathLike | None = None) -> Any:
    """Expected, present and verified files per split (``srcore data list``)."""
    import pandas as pd

    base = data_root(root)
    records = []
    for info in DATASETS.values():
        if not info.files_known:
            n = len(_local_images(info, base, warn=False))
            records.append(
                dict(dataset=info.name, role=info.role, split="HR", n_files=None)
                | dict(n_present=n, n_ok=None)
            )
            continue
        for split in info.splits:
            r = verify(info.name, base, [split])
            records.append(
                dict(dataset=info.name, role=info.role, split=split)
                | dict(n_files=r.n_ok + len(r.missing) + len(r.corrupt))
                | dict(n_present=r.n_ok + len(r.corrupt), n_ok=r.n_ok)
            )
    table = pd.DataFrame.from_records(records)
    return table.astype({"n_files": "Int64", "n_present": "Int64", "n_ok": "Int64"})
