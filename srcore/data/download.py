"""Download: rebuild a dataset from its source repositories at the pinned commits."""

from __future__ import annotations

import hashlib
import io
import os
import re
import warnings
import zipfile
from collections.abc import Iterable
from pathlib import Path

from PIL import Image

from srcore.data.checksums import ManifestEntry, manifest, pixel_digest
from srcore.data.registry import data_root, dataset_info
from srcore.data.verification import VerifyReport, manual_files, verify
from srcore.files import atomic_write

GITHUB = "https://github.com"


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
    if entry.pixel_sha256 and pixel_digest(out) == entry.pixel_sha256:
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

    Each source repository's GitHub archive at the pinned commit is fetched with
    pooch into ``cache_dir`` (default: the user cache); the listed files are copied
    out (T91 converted BMP -> PNG) and installed only if they match their sha256.
    ``mirror`` (or ``$SRCORE_DATA_MIRROR``) replaces ``https://github.com``. Raises
    one :class:`DatasetError` listing every file not obtained or corrupt.
    """
    import pooch

    info = dataset_info(name)
    base = data_root(root)
    if not info.files_known:
        manual_files(info, base)
        return base / info.name
    mirror = (mirror or os.environ.get("SRCORE_DATA_MIRROR") or GITHUB).rstrip("/")
    cache = (
        Path(cache_dir) if cache_dir else Path(pooch.os_cache("srcore")) / "archives"
    )
    entries = manifest(info.name, splits)
    report = verify(info.name, base, splits)
    bad = {*report.missing, *report.corrupt}
    todo = [e for e in entries if e.relpath in bad]
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
        failed = VerifyReport(info.name, base, missing=missing, corrupt=corrupt)
        raise failed.error(title, "\n".join(notes))
    return base / info.name


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
                    atomic_write(base / entry.relpath, lambda fh, d=data: fh.write(d))
    except zipfile.BadZipFile as err:
        notes.append(f"{url} is not a valid zip archive: {err}")
        missing = [e.relpath for e in group]
    if missing or corrupt:
        # A bad archive must not be reused from the cache by the next attempt.
        archive.unlink(missing_ok=True)
        if corrupt:
            notes.append(f"files from {url} failed their checksum; not installed")
    return missing, corrupt
