"""Tests for srcore.data: verification, reading geometry, download and fallback.

The study data lives in ``../shared/datasets`` next to the repository (present in
CI). Tests that need it skip, saying why, only when that folder does not exist.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import http.server
import io
import shutil
import threading
import tomllib
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from srcore import data
from srcore.data import checksums

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
DENOISING = (
    "majedelhelou/denoising_datasets",
    "58234876fef6f1b56306705c78dfd40cdb837b86",
)
DCSCN = ("jiny2001/dcscn-super-resolution", "d382bc30d41c94ac72f8cb148d61cc4864b3b380")
SET5 = ("baby", "bird", "butterfly", "head", "woman")


@pytest.fixture
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"study datasets not found at {SHARED}")
    return SHARED


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local stand-in for github.com: (base URL, folder it serves)."""
    folder = tmp_path / "srv"
    folder.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _github_zip(folder: Path, repo_commit: tuple[str, str], files: dict) -> Path:
    """Write ``files`` (source_path -> bytes) as GitHub's ``repo-commit/`` archive."""
    repo, commit = repo_commit
    dest = folder / repo / "archive" / f"{commit}.zip"
    dest.parent.mkdir(parents=True, exist_ok=True)
    top = f"{repo.split('/')[1]}-{commit}/"
    with zipfile.ZipFile(dest, "w") as zf:
        zf.writestr(top, "")
        for source_path, payload in files.items():
            zf.writestr(top + source_path, payload)
    return dest


def _set5_sources(shared: Path) -> dict[str, bytes]:
    rows = data.manifest("Set5", ["HR"])
    return {r.source_path: (shared / r.relpath).read_bytes() for r in rows}


# --- registry and manifest ---------------------------------------------------------


def test_registry_splits_match_manifest() -> None:
    for info in data.DATASETS.values():
        splits = {r.split for r in data.manifest(info.name)}
        if info.files_known:
            assert splits == set(info.splits), info.name
        else:
            assert splits == set(), info.name
    assert len(data.manifest()) == 1231
    assert data.dataset_info("set5").name == "Set5"
    with pytest.raises(ValueError, match="known: Set5"):
        data.dataset_info("Set6")


def test_registry_is_package_data_read_into_typed_entries() -> None:
    """``srcore/manifests/registry.yaml`` ships, and YAML gave each field its type."""
    repo = Path(__file__).resolve().parents[1]
    pyproject = tomllib.loads((repo / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["srcore"]
    assert any(fnmatch.fnmatch("manifests/registry.yaml", p) for p in patterns)
    assert (repo / "srcore" / "manifests" / "registry.yaml").is_file()
    assert list(data.DATASETS)[:2] == ["Set5", "Set14"]
    for name, info in data.DATASETS.items():
        assert info.name == name and info.role in ("test", "train"), name
        assert isinstance(info.splits, tuple), name
        assert all(isinstance(s, str) for s in info.splits), name
        assert info.hr_split is None or info.hr_split in info.splits, name
        manual = info.source == "manual"
        assert info.source in ("github-archive", "manual"), name
        assert manual == (info.url is not None) == (info.files_known is False), name


def test_source_hashes_equal_except_t91_and_repacked() -> None:
    for r in data.manifest():
        if r.dataset == "T91":
            assert r.converted and r.source_path.endswith(".bmp")
            assert r.source_sha256 not in ("", r.sha256) and r.pixel_sha256
        elif r.split.startswith("MATLAB_float_ref"):
            assert r.source_sha256 == "" and not r.fetchable
        else:
            assert r.source_sha256 == r.sha256 and not r.pixel_sha256


def test_build_manifest_reproduces_packaged_csv(shared: Path, tmp_path: Path) -> None:
    out = tmp_path / "datasets.csv"
    n = data.build_manifest(shared / "MANIFEST.csv", out)
    packaged = resources.files("srcore").joinpath("manifests/datasets.csv")
    assert n == 1231
    assert out.read_bytes() == packaged.read_bytes()


def test_data_root_order(shared: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("SRCORE_DATA", raising=False)
    assert data.data_root() == shared
    monkeypatch.setenv("SRCORE_DATA", str(tmp_path))
    assert data.data_root() == tmp_path
    assert data.data_root(tmp_path / "x") == tmp_path / "x"


# --- verification ------------------------------------------------------------------


def test_shared_benchmarks_verify(shared: Path) -> None:
    for name, n_hr in (("Set5", 5), ("Set14", 14), ("BSD100", 100)):
        assert data.verify(name, shared, ["HR"]).n_ok == n_hr
        report = data.verify(name, shared)
        assert report.ok, (report.missing, report.corrupt)
        assert report.n_ok == len(data.manifest(name))
    assert data.require("BSD100", shared, ["HR"]) == shared


def test_urban100_reported_missing(shared: Path) -> None:
    report = data.verify("Urban100", shared)
    assert not report.ok and report.n_ok == 0 and len(report.missing) == 202
    with pytest.raises(data.DatasetError) as exc:
        data.require("Urban100", shared, ["HR"])
    message = str(exc.value)
    expected = [f"Urban100/HR/img_{i:03d}.png" for i in range(1, 101)]
    assert exc.value.missing == expected
    assert all(relpath in message for relpath in expected)
    assert (
        "SRCORE_DATA" in message and "python -m srcore data fetch Urban100" in message
    )


def test_corrupt_and_deleted_files_named_in_one_error(
    shared: Path, tmp_path: Path
) -> None:
    shutil.copytree(shared / "Set5" / "HR", tmp_path / "Set5" / "HR")
    bird = tmp_path / "Set5/HR/bird.png"
    raw = bytearray(bird.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    bird.write_bytes(bytes(raw))
    butterfly = tmp_path / "Set5/HR/butterfly.png"
    butterfly.write_bytes(butterfly.read_bytes()[:1000])
    (tmp_path / "Set5/HR/head.png").unlink()
    with pytest.raises(data.DatasetError) as exc:
        data.image_paths("Set5", root=tmp_path)
    err = exc.value
    assert err.missing == ["Set5/HR/head.png"]
    assert sorted(err.corrupt) == ["Set5/HR/bird.png", "Set5/HR/butterfly.png"]
    for relpath in ("bird.png", "butterfly.png", "head.png"):
        assert f"Set5/HR/{relpath}" in str(err)
    report = data.verify("Set5", tmp_path, ["HR"])
    assert report.n_ok == 2 and not report.ok


def test_available_table(shared: Path) -> None:
    table = data.available(shared).set_index(["dataset", "split"])
    assert table.loc[("Set5", "HR"), "n_present"] == 5
    assert table.loc[("BSD100", "HR"), "n_ok"] == 100
    assert table.loc[("Urban100", "HR"), "n_files"] == 100
    assert table.loc[("Urban100", "HR"), "n_present"] == 0
    assert table.loc[("General-100", "HR"), "n_present"] == 0


# --- reading -----------------------------------------------------------------------


def test_image_paths_sorted_by_name(shared: Path) -> None:
    names = [p.stem for p in data.image_paths("Set5", root=shared)]
    assert names == list(SET5)
    bsd = [p.name for p in data.image_paths("BSD100", root=shared)]
    assert bsd == sorted(bsd) and bsd[0] == "101085.png"
    lr = data.image_paths("Set5", "LR_bicubic", 3, root=shared)
    assert [p.parent.name for p in lr] == ["X3"] * 5
    with pytest.raises(ValueError, match="no split"):
        data.image_paths("Urban100", "LR_bicubic", 2, root=shared)


def test_modcrop_geometry(shared: Path) -> None:
    shapes = {tuple(hr.shape[-2:]) for _, hr in data.iter_images("BSD100", 2, shared)}
    assert shapes == {(320, 480), (480, 320)}
    woman = data.load_hr("Set5", "woman", 3, root=shared)
    assert woman.shape == (1, 3, 342, 228)
    full = data.load_hr("Set5", "woman", 1, root=shared)
    assert torch.equal(woman, full[..., :342, :228])
    bridge = data.load_hr("Set14", "bridge", 4, root=shared)
    assert bridge.shape == (1, 1, 512, 512)
    assert data.load_hr("Set14", "bridge", 4, shared, keep_grey=False).shape[1] == 3
    first = list(data.iter_images("Set14", 3, shared, limit=2))
    assert [n for n, _ in first] == ["baboon", "barbara"]


def test_lr_reference_matches_modcropped_hr(shared: Path) -> None:
    for scale in (2, 3, 4):
        hr = data.load_hr("Set14", "comic", scale, root=shared)
        lr = data.load_lr_reference("Set14", "comic", scale, root=shared)
        assert lr.shape[-2] * scale == hr.shape[-2]
        assert lr.shape[-1] * scale == hr.shape[-1]
    bridge_lr = data.load_lr_reference("Set14", "bridge", 2, root=shared)
    assert bridge_lr.shape == (1, 1, 256, 256)


def test_div2krk(shared: Path) -> None:
    assert data.div2krk_indices()[:3] == [14, 24, 30]
    lr, kernel = data.load_div2krk(53, 4, root=shared)
    hr = data.load_hr("DIV2K", "0853", 4, root=shared)
    assert lr.shape[1] == 3 and lr.shape[-2] * 4 == hr.shape[-2]
    assert kernel.dtype == np.float64 and kernel.shape == (31, 31)
    assert kernel.sum() == pytest.approx(1.0, abs=1e-6)
    k2 = data.div2krk_kernel(1, 2, root=shared)
    assert k2.shape == (11, 11)
    with pytest.raises(ValueError, match="no image 'im_1'"):
        data.load_div2krk(1, 2, root=shared)


# --- download ----------------------------------------------------------------------


def test_fetch_set5_from_mirror(shared: Path, tmp_path: Path, serve) -> None:
    url, folder = serve
    archive = _github_zip(folder, DENOISING, _set5_sources(shared))
    root = tmp_path / "data"
    out = data.fetch(
        "Set5",
        root,
        mirror=url,
        progress=False,
        splits=["HR"],
        cache_dir=tmp_path / "c1",
    )
    assert out == root / "Set5"
    assert sorted(p.name for p in (root / "Set5/HR").iterdir()) == [
        f"{n}.png" for n in SET5
    ]
    assert data.verify("Set5", root, ["HR"]).n_ok == 5
    # Everything present: no download happens (the mirror is now unreachable).
    archive.unlink()
    data.fetch("Set5", root, mirror=url, progress=False, splits=["HR"])


def test_fetch_tampered_archive_names_file(shared: Path, tmp_path: Path, serve) -> None:
    url, folder = serve
    files = _set5_sources(shared)
    files["CSet5/bird.png"] = files["CSet5/bird.png"][:-10] + b"x" * 10
    _github_zip(folder, DENOISING, files)
    root, cache = tmp_path / "data", tmp_path / "cache"
    with pytest.raises(data.DatasetError) as exc:
        data.fetch(
            "Set5", root, mirror=url, progress=False, splits=["HR"], cache_dir=cache
        )
    assert exc.value.corrupt == ["Set5/HR/bird.png"] and exc.value.missing == []
    assert "Set5/HR/bird.png" in str(exc.value)
    assert not (root / "Set5/HR/bird.png").exists()
    assert sorted(p.name for p in (root / "Set5/HR").iterdir()) == [
        "baby.png",
        "butterfly.png",
        "head.png",
        "woman.png",
    ]
    assert list(cache.glob("*.zip")) == []  # the bad archive is not reused


def test_fetch_unreachable_lists_every_file(tmp_path: Path) -> None:
    with pytest.raises(data.DatasetError) as exc:
        data.fetch(
            "Set5",
            tmp_path,
            mirror="http://127.0.0.1:9",
            progress=False,
            splits=["HR"],
            cache_dir=tmp_path / "cache",
        )
    assert exc.value.missing == [f"Set5/HR/{n}.png" for n in SET5]
    assert "download of http://127.0.0.1:9/" in str(exc.value)


def test_fetch_t91_converts_bmp_to_pixel_equal_png(
    shared: Path, tmp_path: Path, serve, monkeypatch
) -> None:
    url, folder = serve
    original = checksums.load_manifest()
    keep = {"T91/HR/t1.png", "T91/HR/t2.png"}
    sources, rows = {}, []
    for r in original:
        if r.dataset != "T91":
            rows.append(r)
        elif r.relpath in keep:
            buf = io.BytesIO()
            Image.open(shared / r.relpath).save(buf, format="BMP")
            sources[r.source_path] = buf.getvalue()
            # Our BMP is not byte-identical to the original: pin its own hash.
            digest = hashlib.sha256(buf.getvalue()).hexdigest()
            rows.append(replace(r, source_sha256=digest))
    monkeypatch.setattr(checksums, "load_manifest", lambda: tuple(rows))
    _github_zip(folder, DCSCN, sources)
    root = tmp_path / "data"
    data.fetch("T91", root, mirror=url, progress=False, cache_dir=tmp_path / "c")
    for relpath in sorted(keep):
        got = np.asarray(Image.open(root / relpath))
        want = np.asarray(Image.open(shared / relpath))
        assert got.dtype == np.uint8 and np.array_equal(got, want)
    assert data.verify("T91", root).n_ok == 2


def test_general100_needs_manual_placement(tmp_path: Path) -> None:
    info = data.dataset_info("General-100")
    assert info.source == "manual" and info.url and not info.files_known
    with pytest.raises(data.DatasetError, match="no checksum manifest for General-100"):
        data.fetch("General-100", tmp_path)
    folder = tmp_path / "General-100" / "HR"
    folder.mkdir(parents=True)
    for i in (1, 2):
        Image.new("RGB", (8, 6), (i, 0, 0)).save(folder / f"im_{i}.png")
    with pytest.warns(UserWarning, match="unverified"):
        paths = data.image_paths("General-100", root=tmp_path)
    assert [p.name for p in paths] == ["im_1.png", "im_2.png"]


# --- demo fallback -----------------------------------------------------------------


def test_demo_fallback_on_empty_root(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="falling back to the scikit-image demo"):
        images = data.load_demo_or_dataset("Set5", 3, root=tmp_path)
    assert [n for n, _ in images] == list(data.DEMO_NAMES)
    for _, x in images:
        assert x.dtype == torch.float32 and x.ndim == 4 and x.shape[1] == 3
        assert x.shape[-2] % 3 == 0 and x.shape[-1] % 3 == 0
        assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    assert len(data.demo_images(limit=2)) == 2


def test_dataset_preferred_over_demo(shared: Path) -> None:
    images = data.load_demo_or_dataset("Set5", 4, root=shared, limit=2)
    assert [n for n, _ in images] == ["baby", "bird"]
    assert images[0][1].shape == (1, 3, 512, 512)


def test_a_dataset_without_a_manifest_lists_the_images_placed_by_hand(tmp_path):
    """General-100 has no manifest: its HR folder's images are what it holds."""
    folder = tmp_path / "General-100" / "HR"
    folder.mkdir(parents=True)
    for name in ["im_2.png", "im_1.png"]:
        Image.new("RGB", (8, 8)).save(folder / name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # it warns that nothing can be verified
        paths = data.image_paths("General-100", root=tmp_path)
    assert [p.name for p in paths] == ["im_1.png", "im_2.png"]
