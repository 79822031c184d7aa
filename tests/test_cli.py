"""`srcore upscale | train` on a user's images, their errors, and the public API."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import srcore
from srcore import imresize
from srcore.cli import main
from srcore.imageops import (
    load_image,
    load_image_uint8,
    quantize,
    to_tensor,
    to_uint8,
)
from srcore.methods import bicubic
from srcore.upscaling import SUPERVISED

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture()
def bird(data_dir: Path) -> Path:
    return data_dir / "Set5" / "LR_bicubic" / "X2" / "bird.png"


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private weights cache: no test sees another's (or the user's) weights."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("SRCORE_CACHE", str(folder))
    return folder


def run(capsys: pytest.CaptureFixture, *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def json_rows(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def random_rgb(h: int = 20, w: int = 24, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).random((h, w, 3)) * 255).astype(np.uint8)


# ------------------------------------------------------------------ upscale works


def test_bicubic_equals_the_protocol_pixel_for_pixel(bird, tmp_path, capsys):
    out = tmp_path / "out.png"
    code, stdout, err = run(
        capsys, "upscale", bird, "--scale", 2, "--method", "bicubic", "-o", out
    )
    assert (code, err) == (0, "")
    assert str(out) in stdout
    lr_img = load_image(bird)
    expected = to_uint8(bicubic.upscale(lr_img, 2))
    np.testing.assert_array_equal(load_image_uint8(out), expected)
    # ... which is MATLAB imresize rounded to 8 bits
    np.testing.assert_array_equal(expected, to_uint8(quantize(imresize(lr_img, 2))))


def test_a_folder_of_five_gives_five_with_json_and_scores(data_dir, tmp_path, capsys):
    lr_dir = data_dir / "Set5" / "LR_bicubic" / "X2"
    hr_dir = data_dir / "Set5" / "HR"
    out = tmp_path / "sr"
    code, stdout, _ = run(
        capsys, "upscale", lr_dir, "--scale", 2, "--method", "bicubic", "-o", out,
        "--hr", hr_dir, "--json",
    )  # fmt: skip
    assert code == 0
    rows = json_rows(stdout)
    names = ["baby", "bird", "butterfly", "head", "woman"]
    assert [Path(r["output"]).name for r in rows] == [f"{n}.png" for n in names]
    assert sorted(p.name for p in out.iterdir()) == [f"{n}.png" for n in names]
    for row in rows:
        assert {"input", "output", "seconds", "psnr", "ssim"} <= set(row)
        assert row["psnr"] == row["psnr_bicubic"] and 0 < row["ssim"] <= 1
        lr_hw = load_image(row["input"]).shape[-2:]
        assert load_image(row["output"]).shape[-2:] == (2 * lr_hw[0], 2 * lr_hw[1])
    # Set5 x2 bicubic: 33.66 dB mean (Kim et al. 2016), from the stored LR files
    assert np.mean([r["psnr"] for r in rows]) == pytest.approx(33.66, abs=0.05)


@pytest.mark.slow
def test_zssr_quick_beats_bicubic_on_bird(bird, data_dir, tmp_path, capsys):
    hr = data_dir / "Set5" / "HR" / "bird.png"
    code, stdout, _ = run(
        capsys, "upscale", bird, "--scale", 2, "--method", "zssr", "--profile",
        "quick", "--device", "cpu", "--hr", hr, "--json", "-o", tmp_path / "z.png",
    )  # fmt: skip
    assert code == 0
    (row,) = json_rows(stdout)
    assert row["psnr"] > row["psnr_bicubic"] + 0.5, row


def test_zssr_seed_picks_the_runs_random_stream(tmp_path, capsys):
    """Same seed, same bits; another seed, another run (init and crops)."""
    Image.fromarray(random_rgb(24, 24)).save(tmp_path / "in.png")
    outs = {}
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        code, _, _ = run(
            capsys, "upscale", tmp_path / "in.png", "--scale", 2, "--method", "zssr",
            "--profile", "smoke", "--device", "cpu", "--seed", seed,
            "-o", tmp_path / f"{name}.png",
        )  # fmt: skip
        assert code == 0
        outs[name] = np.asarray(Image.open(tmp_path / f"{name}.png"))
    assert np.array_equal(outs["a"], outs["b"])
    assert not np.array_equal(outs["a"], outs["c"])


def make_image(kind: str, path: Path) -> np.ndarray:
    """Write a test image of ``kind``; returns the 8-bit pixels srcore should read."""
    rgb = random_rgb()
    if kind == "grey":
        Image.fromarray(rgb[..., 0]).save(path)
        return rgb[..., 0]
    if kind == "16-bit":
        grey16 = rgb[..., 0].astype(np.uint16) * 257  # 8-bit levels, exactly
        Image.fromarray(grey16).save(path)
        return rgb[..., 0]
    if kind == "rgba":
        Image.fromarray(rgb).convert("RGBA").save(path)
        return rgb
    pal = Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE)
    pal.save(path)
    return np.asarray(pal.convert("RGB"))


@pytest.mark.parametrize("kind", ["grey", "16-bit", "rgba", "palette"])
def test_image_kinds(kind, tmp_path, capsys):
    src, out = tmp_path / f"{kind}.png", tmp_path / "out.png"
    pixels = make_image(kind, src)
    code, _, err = run(
        capsys, "upscale", src, "--scale", 2, "--method", "bicubic", "-o", out
    )
    assert code == 0
    assert ("alpha channel dropped" in err) == (kind == "rgba")
    expected = to_uint8(bicubic.upscale(to_tensor(pixels), 2))
    got = np.asarray(Image.open(out))
    assert got.shape == expected.shape  # grey stays grey
    np.testing.assert_array_equal(got, expected)


def test_bicubic_takes_a_float_scale(tmp_path, capsys):
    src, out = tmp_path / "a.jpg", tmp_path / "a.png"
    Image.fromarray(random_rgb()).save(src, quality=90)
    code, _, _ = run(capsys, "upscale", src, "--scale", 1.5, "--method", "bicubic",
                     "-o", out)  # fmt: skip
    assert code == 0 and Image.open(out).size == (36, 30)


def test_dip_smoke_any_size_and_scale(tmp_path, capsys):
    # 20x24 at x3 is 60x72, no multiple of the skip net's 4: padded, then cropped
    src, out = tmp_path / "a.png", tmp_path / "a_x3.png"
    Image.fromarray(random_rgb()[..., 0]).save(src)
    code, stdout, _ = run(
        capsys, "upscale", src, "--scale", 3, "--method", "dip", "--profile",
        "smoke", "--device", "cpu", "--json", "-o", out,
    )  # fmt: skip
    assert code == 0 and json_rows(stdout)[0]["output"] == str(out)
    assert Image.open(out).size == (72, 60) and Image.open(out).mode == "L"


def test_zssr_with_a_kernel(tmp_path, capsys):
    src, out, kfile = tmp_path / "a.png", tmp_path / "b.png", tmp_path / "k.npy"
    Image.fromarray(random_rgb(32, 32)).save(src)
    kernel = np.zeros((5, 5))
    kernel[1:4, 1:4] = 1 / 9
    np.save(kfile, kernel)
    code, _, _ = run(
        capsys, "upscale", src, "--scale", 2, "--method", "zssr", "--profile",
        "smoke", "--kernel", kfile, "--device", "cpu", "-o", out,
    )  # fmt: skip
    assert code == 0 and Image.open(out).size == (64, 64)


def test_an_estimated_kernel_is_checked_and_the_check_reported(tmp_path, capsys):
    """`--kernel estimate` runs ZSSR with and without the estimate and says which
    output it wrote (kernel_used) and why (kernel_check); a rejected estimate is one
    warning line, exit status 0."""
    src, out = tmp_path / "a.png", tmp_path / "b.png"
    Image.fromarray(random_rgb(56, 56)).save(src)
    code, stdout, err = run(
        capsys, "upscale", src, "--scale", 2, "--method", "zssr", "--profile",
        "smoke", "--kernel", "estimate", "--device", "cpu", "--json", "-o", out,
    )  # fmt: skip
    (row,) = json_rows(stdout)
    check = row["kernel_check"]
    assert code == 0 and Image.open(out).size == (112, 112)
    assert row["kernel_used"] == ("estimate" if check["credible"] else "bicubic")
    assert set(check) == {
        "credible",
        "disagreement_db",
        "psnr_to_bicubic",
        "plain_psnr_to_bicubic",
        "reason",
    }
    rejected = [line for line in err.splitlines() if "kernel rejected" in line]
    assert len(rejected) == (0 if check["credible"] else 1)


# ------------------------------------------------------------ trained networks


def test_supervised_without_weights_names_the_train_command(bird, tmp_path, capsys):
    out = tmp_path / "o.png"
    code, _, err = run(
        capsys, "upscale", bird, "--scale", 2, "--method", "srcnn", "-o", out
    )
    assert code == 2 and len(err.splitlines()) == 1
    assert "`srcore train srcnn --scale 2 --profile quick`" in err
    assert not out.exists()


def test_train_then_upscale(bird, data_dir, tmp_path, cache, capsys):
    code, stdout, _ = run(
        capsys, "train", "srcnn", "--scale", 2, "--profile", "smoke",
        "--device", "cpu", "--data-root", data_dir,
    )  # fmt: skip
    weights = cache / "cli" / "srcnn-x2-smoke.pt"
    assert code == 0 and str(weights) in stdout
    meta = json.loads(weights.with_suffix(".json").read_text())
    assert (meta["method"], meta["scale"], meta["profile"]) == ("srcnn", 2, "smoke")
    assert meta["config"]["steps"] == 5
    outs = [tmp_path / "a.png", tmp_path / "b.png", tmp_path / "c.png"]
    for out, extra in zip(
        outs, [[], ["--weights", weights], ["--tile", 64]], strict=True
    ):
        code, _, err = run(
            capsys, "upscale", bird, "--scale", 2, "--method", "srcnn", "--profile",
            "smoke", "--device", "cpu", "-o", out, *extra,
        )  # fmt: skip
        assert code == 0, err
    first = load_image_uint8(outs[0])
    assert first.shape == (288, 288, 3)
    for out in outs[1:]:  # the same weights; tiles see the whole context they need
        np.testing.assert_array_equal(load_image_uint8(out), first)
    # weights of another method are refused, naming the file
    code, _, err = run(
        capsys, "upscale", bird, "--scale", 2, "--method", "vdsr", "--weights",
        weights, "-o", tmp_path / "v.png",
    )  # fmt: skip
    assert code == 2 and str(weights) in err and not (tmp_path / "v.png").exists()
    # weights changed after training no longer match the recorded sha256: refused
    weights.write_bytes(weights.read_bytes() + b"\0")
    code, _, err = run(
        capsys, "upscale", bird, "--scale", 2, "--method", "srcnn", "--profile",
        "smoke", "-o", tmp_path / "d.png",
    )  # fmt: skip
    assert code == 2 and "sha256" in err and not (tmp_path / "d.png").exists()


def test_cli_knows_every_supervised_method():
    from srcore.runs.supervised import SPECS

    assert set(SUPERVISED) == set(SPECS)


# ------------------------------------------------------------------- bad input


def bad_cases(tmp: Path, bird: Path) -> dict[str, tuple[list, str]]:
    """name -> (arguments after `upscale`, the file the message must name)."""
    (tmp / "text.png").write_text("not an image\n")
    (tmp / "empty.png").write_bytes(b"")
    (tmp / "cut.png").write_bytes(bird.read_bytes()[:2000])
    Image.fromarray(random_rgb(6, 6)).save(tmp / "tiny.png")
    (tmp / "afile").write_text("a file, not a folder")
    out = ["-o", tmp / "out" / "x.png"]
    bic = ["--method", "bicubic", "--scale", 2, *out]
    return {
        "missing file": ([tmp / "nope.png", *bic], "nope.png"),
        "not an image": ([tmp / "text.png", *bic], "text.png"),
        "empty file": ([tmp / "empty.png", *bic], "empty.png"),
        "truncated file": ([tmp / "cut.png", *bic], "cut.png"),
        "too small": (
            [tmp / "tiny.png", "--method", "zssr", "--scale", 2, *out],
            "tiny.png",
        ),
        "scale 0": ([bird, "--method", "bicubic", "--scale", 0, *out], "bird.png"),
        "negative scale": (
            [bird, "--method", "srcnn", "--scale", -2, *out],
            "bird.png",
        ),
        "non-integer scale": (
            [bird, "--method", "srcnn", "--scale", 2.5, *out],
            "bird.png",
        ),
        "scale the network cannot do": (
            [bird, "--method", "lapsrn", "--scale", 3, *out],
            "bird.png",
        ),
        "unknown method": ([bird, "--method", "edsr", "--scale", 2, *out], "bird.png"),
        "unwritable output": (
            [bird, "--method", "bicubic", "--scale", 2, "-o", tmp / "afile" / "x.png"],
            "afile",
        ),
        "HR of another size": (
            [bird, *bic, "--hr", tmp / "tiny.png"],
            "tiny.png",
        ),
        "seed for a method that does not learn": ([bird, *bic, "--seed", 3], "--seed"),
    }


CASES = [
    "missing file",
    "not an image",
    "empty file",
    "truncated file",
    "too small",
    "scale 0",
    "negative scale",
    "non-integer scale",
    "scale the network cannot do",
    "unknown method",
    "unwritable output",
    "HR of another size",
    "seed for a method that does not learn",
]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_exits_2_in_one_line(case, bird, tmp_path, capsys):
    args, named = bad_cases(tmp_path, bird)[case]
    before = set(tmp_path.rglob("*"))
    code, stdout, err = run(capsys, "upscale", *args)
    assert code == 2
    assert 1 <= len(err.strip().splitlines()) <= 3, err
    assert "Traceback" not in err and named in err, err
    assert stdout == ""
    assert set(tmp_path.rglob("*")) == before  # no output, no temporary file


def test_a_folder_with_bad_files_writes_every_good_one(tmp_path, capsys):
    """Two good images and two bad files in one folder: both good outputs are
    written, both bad files are named, and the exit status is 2."""
    folder = tmp_path / "in"
    folder.mkdir()
    for k in range(2):
        Image.fromarray(random_rgb(32, 40, seed=k)).save(folder / f"good{k}.png")
    (folder / "text.png").write_text("not an image\n")
    (folder / "empty.png").write_bytes(b"")
    out = tmp_path / "out"
    code, stdout, err = run(
        capsys, "upscale", folder, "--method", "bicubic", "--scale", 2, "-o", out
    )
    assert code == 2
    assert sorted(p.name for p in out.iterdir()) == ["good0.png", "good1.png"]
    assert "text.png" in err and "empty.png" in err and "2 of 4" in err, err
    assert len(stdout.strip().splitlines()) == 2 and "Traceback" not in err


def test_an_hr_one_pixel_off_is_cropped_to_the_common_size(tmp_path, capsys):
    """An HR of odd height (300×451, W×H) made LR by halving, rounding up (150×226):
    the ×2 output is 300×452; both are scored on the 300×451 they share."""
    hr = random_rgb(451, 300)
    Image.fromarray(hr).save(tmp_path / "hr.png")
    Image.fromarray(hr).resize((150, 226), Image.BICUBIC).save(tmp_path / "lr.png")
    code, stdout, err = run(
        capsys,
        "upscale",
        tmp_path / "lr.png",
        "--method",
        "bicubic",
        "--scale",
        2,
        "-o",
        tmp_path / "sr.png",
        "--hr",
        tmp_path / "hr.png",
        "--json",
    )
    assert code == 0, err
    (row,) = json_rows(stdout)
    assert row["psnr"] == pytest.approx(row["psnr_bicubic"])  # bicubic is bicubic
    assert Image.open(tmp_path / "sr.png").size == (300, 452)


def test_bad_input_through_python_m_srcore(tmp_path):
    missing = tmp_path / "nope.png"
    proc = subprocess.run(
        [sys.executable, "-m", "srcore", "upscale", str(missing), "--scale", "2",
         "--method", "bicubic", "-o", str(tmp_path / "o.png")],
        capture_output=True, text=True, cwd=REPO, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        f"error: {missing}: no such file or folder"
    ]


def test_python_m_srcore_upscale_json(bird, tmp_path):
    out = tmp_path / "o.png"
    proc = subprocess.run(
        [sys.executable, "-m", "srcore", "upscale", str(bird), "--scale", "2",
         "--method", "bicubic", "--json", "-o", str(out)],
        capture_output=True, text=True, cwd=REPO, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (row,) = json_rows(proc.stdout)
    assert row["output"] == str(out) and row["seconds"] >= 0 and out.is_file()


# ------------------------------------------------------------------ public API


def test_every_public_name_resolves():
    assert srcore.__all__ == sorted(set(srcore.__all__))
    for name in srcore.__all__:
        assert getattr(srcore, name) is not None, name
        assert name in dir(srcore)
    assert srcore.load_image is load_image
    assert srcore.ZSSRConfig().depth == 8
    with pytest.raises(AttributeError):
        srcore.no_such_name  # noqa: B018


def test_import_srcore_is_light_and_imageops_has_no_cycle():
    code = (
        "import sys, srcore; assert 'torch' not in sys.modules, 'torch'; "
        "import srcore.imageops"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=600)
    subprocess.run(
        [sys.executable, "-c", "import srcore.imageops"],
        check=True,
        cwd=REPO,
        timeout=600,
    )


def test_upscale_function_matches_the_cli_rules():
    lr_img = torch.rand(1, 1, 12, 10)
    assert srcore.upscale(lr_img, 2).shape == (1, 1, 24, 20)
    with pytest.raises(ValueError, match="integer scale"):
        srcore.upscale(lr_img, 1.5, "dip")


def test_version_and_an_image_named_output_for_several_inputs(bird, tmp_path, capsys):
    """`--version` names the installed version; `-o x.png` with two inputs is
    refused in one line instead of becoming a folder named x.png."""
    from importlib.metadata import version

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"srcore {version('srcore')}"
    out = tmp_path / "x.png"
    code, stdout, err = run(
        capsys,
        "upscale",
        bird,
        bird.parent / "baby.png",
        "--method",
        "bicubic",
        "--scale",
        2,
        "-o",
        out,
    )
    assert code == 2 and "x.png" in err and "folder" in err and not out.exists()


def test_skip_existing_leaves_outputs_alone(tmp_path, capsys):
    """--skip-existing: an output already there is not recomputed nor rewritten;
    without it, it is overwritten."""
    folder = tmp_path / "in"
    folder.mkdir()
    for k in range(2):
        Image.fromarray(random_rgb(24, 24, seed=k)).save(folder / f"im{k}.png")
    out = tmp_path / "out"
    out.mkdir()
    (out / "im0.png").write_bytes(b"mine")
    args = ["upscale", folder, "--method", "bicubic", "--scale", 2, "-o", out]
    code, stdout, _ = run(capsys, *args, "--skip-existing")
    assert code == 0 and "skipped: exists" in stdout
    assert (out / "im0.png").read_bytes() == b"mine" and (out / "im1.png").exists()
    assert run(capsys, *args)[0] == 0
    assert (out / "im0.png").read_bytes() != b"mine"


def test_smoke_profile_output_comes_with_a_warning(tmp_path, capsys):
    Image.fromarray(random_rgb(24, 24)).save(tmp_path / "a.png")
    code, _, err = run(
        capsys,
        "upscale",
        tmp_path / "a.png",
        "--method",
        "dip",
        "--scale",
        2,
        "--profile",
        "smoke",
        "-o",
        tmp_path / "b.png",
    )
    assert code == 0 and "warning: the smoke profile" in err


def test_formats_suffix_and_outscale(tmp_path, capsys):
    """A .jpg output is JPEG; a folder's outputs take --format and --suffix;
    --outscale 3 after a x2 method gives 3 x the input's size, and equals MATLAB
    bicubic x1.5 of the x2 output; with --hr it is refused."""
    folder = tmp_path / "in"
    folder.mkdir()
    for k in range(2):
        Image.fromarray(random_rgb(20, 24, seed=k)).save(folder / f"im{k}.png")
    one = tmp_path / "one.jpg"
    bic = ["--method", "bicubic", "--scale", 2]
    assert run(capsys, "upscale", folder / "im0.png", *bic, "-o", one)[0] == 0
    assert Image.open(one).format == "JPEG" and Image.open(one).size == (48, 40)
    out = tmp_path / "out"
    args = ["upscale", folder, *bic, "-o", out, "--format", "webp", "--suffix", "_x3"]
    assert run(capsys, *args, "--outscale", 3)[0] == 0
    assert sorted(p.name for p in out.iterdir()) == ["im0_x3.webp", "im1_x3.webp"]
    assert Image.open(out / "im0_x3.webp").size == (72, 60)
    code, _, err = run(
        capsys,
        "upscale",
        folder / "im0.png",
        *bic,
        "-o",
        tmp_path / "h.png",
        "--outscale",
        3,
        "--hr",
        folder / "im0.png",
    )
    assert code == 2 and "--outscale" in err
    x2 = tmp_path / "x2.png"
    x3 = tmp_path / "x3.png"
    assert run(capsys, "upscale", folder / "im1.png", *bic, "-o", x2)[0] == 0
    assert (
        run(capsys, "upscale", folder / "im1.png", *bic, "-o", x3, "--outscale", 3)[0]
        == 0
    )
    want = imresize(load_image(x2), size=(60, 72)).clamp(0, 1)
    got = load_image(x3)
    assert (to_uint8(got).astype(int) - to_uint8(want).astype(int)).__abs__().max() <= 1


# A Ctrl-C the moment the module named first starts loading; the rest is the argv.
CTRL_C_ON_IMPORT = """\
import runpy
import sys

module = sys.argv[1]


class CtrlC:
    def find_spec(self, name, path=None, target=None):
        if name == module:
            raise KeyboardInterrupt


sys.meta_path.insert(0, CtrlC())
sys.argv = ["srcore", *sys.argv[2:]]
runpy.run_module("srcore", run_name="__main__")
"""


@pytest.mark.parametrize(
    "module, argv",
    [("torch", ["data", "list"]), ("srcore.sweep", ["sweep", "any.ipynb"])],
)
def test_ctrl_c_while_a_command_starts_is_one_line_and_status_130(module, argv):
    """Ctrl-C while torch loads (seconds, before main() runs) or while a command
    loads its own module: one line, no traceback, exit status 130. The interrupt
    is raised at the import itself, not sent after a guessed delay."""
    run = subprocess.run(
        [sys.executable, "-c", CTRL_C_ON_IMPORT, module, *argv],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert (run.returncode, run.stderr) == (130, "interrupted\n")


def _read_png16(path: Path) -> np.ndarray:
    """A 16-bit PNG's samples, decoded here from the file's chunks (PIL reads 16-bit
    RGB only as 8-bit): (H, W, C) uint16."""
    import struct
    import zlib

    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        chunks[kind] = chunks.get(kind, b"") + data[pos + 8 : pos + 8 + n]
        pos += 12 + n
    w, h, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert depth == 16
    c = {0: 1, 2: 3}[colour]
    raw = zlib.decompress(chunks[b"IDAT"])
    rows = [raw[y * (1 + 2 * w * c) : (y + 1) * (1 + 2 * w * c)] for y in range(h)]
    assert all(r[0] == 0 for r in rows)  # filter type 0: the bytes are the samples
    return np.stack(
        [np.frombuffer(r[1:], dtype=">u2").reshape(w, c) for r in rows]
    ).astype(np.uint16)


def test_depth_16_writes_the_float_output_to_16_bits(tmp_path, capsys):
    """--depth 16: a PNG whose samples are round(65535 x) of the float output (here
    bicubic x2 resized by --outscale 3, which is not rounded to 8 bits), so its 8-bit
    rounding equals the 8-bit file; another format is refused before anything
    runs."""
    src = tmp_path / "in.png"
    Image.fromarray(random_rgb(20, 24, seed=3)).save(src)
    bic = ["--method", "bicubic", "--scale", 2, "--outscale", 3]
    deep, flat = tmp_path / "deep.png", tmp_path / "flat.png"
    assert run(capsys, "upscale", src, *bic, "-o", deep, "--depth", 16)[0] == 0
    assert run(capsys, "upscale", src, *bic, "-o", flat)[0] == 0
    samples = _read_png16(deep)
    assert samples.shape == (60, 72, 3)
    eight = np.asarray(Image.open(flat))
    assert np.abs(np.round(samples / 257.0) - eight).max() <= 1
    assert len(np.unique(samples % 257)) > 1  # finer than 8-bit steps
    code, _, err = run(
        capsys, "upscale", src, *bic, "-o", tmp_path / "x.jpg", "--depth", 16
    )
    assert code == 2 and "PNG only" in err
    assert not (tmp_path / "x.jpg").exists()
