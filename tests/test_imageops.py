"""Tests for srcore.imageops: image I/O, atomic PNG writing, crops, quantisation, YCbCr.

Expected values are derived by hand (BT.601 studio-range coefficients, 8-bit scaling)
or come from an independent implementation (``skimage.color.rgb2ycbcr``); images are
written with PIL into ``tmp_path`` so that every source pixel is known.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from skimage.color import rgb2ycbcr as sk_rgb2ycbcr

from srcore.imageops import (
    ImageReadError,
    load_image,
    load_image_uint8,
    modcrop,
    quantize,
    rgb_to_y,
    rgb_to_ycbcr,
    save_png,
    shave,
    to_tensor,
    to_uint8,
    ycbcr_to_rgb,
)


def rgb_array(h: int = 6, w: int = 5, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def as_hwc(x: torch.Tensor) -> np.ndarray:
    """(1, C, H, W) tensor -> (H, W, C) float64 array."""
    return x[0].permute(1, 2, 0).double().numpy()


# ------------------------------------------------------------------------------ loading


@pytest.mark.parametrize("ext", ["png", "bmp", "tiff"])
def test_load_lossless_formats_give_source_pixels_over_255(tmp_path, ext):
    src = rgb_array(7, 9)
    path = tmp_path / f"img.{ext}"
    Image.fromarray(src).save(path)
    x = load_image(path)
    assert x.dtype == torch.float32
    assert x.shape == (1, 3, 7, 9)
    np.testing.assert_allclose(as_hwc(x), src / 255.0, atol=1e-7)
    assert np.array_equal(load_image_uint8(path), src)


def test_load_jpeg_shape_and_range(tmp_path):
    path = tmp_path / "img.jpg"
    Image.fromarray(rgb_array(16, 24)).save(path, quality=90)
    x = load_image(path)
    assert x.dtype == torch.float32 and x.shape == (1, 3, 16, 24)
    assert float(x.min()) >= 0.0 and float(x.max()) <= 1.0
    # Values are on the 8-bit grid.
    assert torch.equal(x * 255, torch.round(x * 255))


def test_load_16bit_png_scaled_to_8bit(tmp_path):
    # 65535 -> 255, 32896 / 65535 * 255 = 128.0 -> 128, 257 k -> k (257 = 65535 / 255).
    raw = np.array([[0, 32896, 65535], [257 * 100, 257, 65535 - 257]], dtype=np.uint16)
    img = Image.fromarray(raw)
    assert img.mode == "I;16"
    path = tmp_path / "deep.png"
    img.save(path)
    x = load_image(path, keep_grey=True)
    assert x.shape == (1, 1, 2, 3)
    expected = np.array([[0, 128, 255], [100, 1, 254]]) / 255.0
    np.testing.assert_allclose(x[0, 0].double().numpy(), expected, atol=1e-7)
    assert float(x[0, 0, 0, 2]) == 1.0
    assert abs(float(x[0, 0, 0, 1]) - 0.502) < 1e-3
    # Default: three equal channels.
    x3 = load_image(path)
    assert x3.shape == (1, 3, 2, 3)
    assert torch.equal(x3[:, 0], x[:, 0]) and torch.equal(x3[:, 2], x[:, 0])


def test_load_dark_16bit_png_is_not_mistaken_for_8bit(tmp_path):
    # Every value <= 255 but the file is 16-bit: 255/65535*255 = 0.99 -> 1, 128 -> 0.
    raw = np.array([[0, 128, 255]], dtype=np.uint16)
    path = tmp_path / "dark16.png"
    Image.fromarray(raw).save(path)
    assert np.array_equal(load_image_uint8(path, keep_grey=True), [[0, 0, 1]])


def test_load_greyscale_keep_grey_and_default(tmp_path):
    grey = np.arange(20, dtype=np.uint8).reshape(4, 5) * 12
    path = tmp_path / "grey.png"
    Image.fromarray(grey, mode="L").save(path)
    g = load_image(path, keep_grey=True)
    assert g.shape == (1, 1, 4, 5)
    np.testing.assert_allclose(g[0, 0].double().numpy(), grey / 255.0, atol=1e-7)
    rgb = load_image(path)
    assert rgb.shape == (1, 3, 4, 5)
    for c in range(3):
        assert torch.equal(rgb[0, c], g[0, 0])


def test_load_palette_image_decodes_palette_colours(tmp_path):
    palette = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]
    idx = np.array([[0, 1, 2], [3, 2, 0]], dtype=np.uint8)
    img = Image.fromarray(idx, mode="P")
    img.putpalette(palette + [0] * (768 - len(palette)))
    path = tmp_path / "pal.png"
    img.save(path)
    assert Image.open(path).mode == "P"
    colours = np.array(palette, dtype=np.uint8).reshape(-1, 3)
    assert np.array_equal(load_image_uint8(path), colours[idx])


def test_load_rgba_drops_alpha_with_warning(tmp_path):
    rgb = rgb_array(3, 4)
    alpha = np.full((3, 4, 1), 128, dtype=np.uint8)
    path = tmp_path / "rgba.png"
    Image.fromarray(np.concatenate([rgb, alpha], axis=2), mode="RGBA").save(path)
    with pytest.warns(UserWarning, match="alpha"):
        out = load_image_uint8(path)
    assert np.array_equal(out, rgb)


def test_load_grey_alpha_keeps_grey(tmp_path):
    la = np.stack([np.full((2, 3), 77, np.uint8), np.full((2, 3), 9, np.uint8)], 2)
    path = tmp_path / "la.png"
    Image.fromarray(la, mode="LA").save(path)
    with pytest.warns(UserWarning, match="alpha"):
        g = load_image_uint8(path, keep_grey=True)
    assert np.array_equal(g, np.full((2, 3), 77, np.uint8))


@pytest.mark.parametrize("ext", ["png", "jpg"])
def test_exif_orientation_6_is_applied(tmp_path, ext):
    # Orientation 6 = "rotate 90 degrees clockwise to display".
    src = rgb_array(4, 7, seed=3)
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / f"rot.{ext}"
    Image.fromarray(src).save(path, exif=exif)
    x = load_image(path)
    assert x.shape == (1, 3, 7, 4)  # H and W swapped
    if ext == "png":  # lossless: check the pixel mapping as well
        assert np.array_equal(load_image_uint8(path), np.rot90(src, k=-1))


# -------------------------------------------------------------------------- read errors


def _assert_read_error(path):
    with pytest.raises(ImageReadError) as info:
        load_image(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_missing_file_error_names_file(tmp_path):
    _assert_read_error(tmp_path / "nope.png")


def test_empty_file_error_names_file(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    _assert_read_error(path)


def test_truncated_png_error_names_file(tmp_path):
    good = tmp_path / "good.png"
    Image.fromarray(rgb_array(64, 64)).save(good)
    data = good.read_bytes()
    path = tmp_path / "half.png"
    path.write_bytes(data[: len(data) // 2])
    _assert_read_error(path)


def test_corrupt_png_error_names_file(tmp_path):
    good = tmp_path / "good.png"
    Image.fromarray(rgb_array(64, 64)).save(good)
    head = good.read_bytes()[:40]  # signature and IHDR intact
    junk = np.random.default_rng(1).integers(0, 256, 3000, dtype=np.uint8).tobytes()
    path = tmp_path / "corrupt.png"
    path.write_bytes(head + junk)
    _assert_read_error(path)
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(junk)
    _assert_read_error(garbage)


def test_text_file_renamed_png_error_names_file(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("this is not an image\n")
    _assert_read_error(path)


# ------------------------------------------------------------------------------- saving


def test_save_png_round_trip_is_lossless(tmp_path):
    src = rgb_array(11, 13, seed=5)
    out = save_png(to_tensor(src), tmp_path / "sub" / "a.png")
    assert out == tmp_path / "sub" / "a.png"
    assert np.array_equal(load_image_uint8(out), src)
    # numpy input and a one-channel image
    grey = src[..., 0].copy()
    save_png(grey, tmp_path / "g.png")
    assert np.array_equal(load_image_uint8(tmp_path / "g.png", keep_grey=True), grey)
    save_png(to_tensor(grey), tmp_path / "g2.png")
    assert np.array_equal(load_image_uint8(tmp_path / "g2.png", keep_grey=True), grey)


@pytest.mark.parametrize("bad", [np.full((4, 4, 3), 0.8), np.full((4, 4), 300)])
def test_save_png_rejects_non_uint8_arrays(tmp_path, bad):
    # A silent cast would write 0.8 as black and 300 as 44 (wrap-around).
    with pytest.raises(TypeError, match="uint8"):
        save_png(bad, tmp_path / "x.png")
    assert list(tmp_path.iterdir()) == []


def _failing_save(self, fp, *args, **kwargs):
    fp.write(b"\x89PNG\r\n\x1a\n partial data")
    raise OSError("disk full (simulated)")


def test_save_png_is_atomic_for_new_file(tmp_path, monkeypatch):
    monkeypatch.setattr(Image.Image, "save", _failing_save)
    target = tmp_path / "new.png"
    with pytest.raises(OSError, match="simulated"):
        save_png(rgb_array(), target)
    assert list(tmp_path.iterdir()) == []


def test_save_png_failure_keeps_existing_file(tmp_path, monkeypatch):
    old = rgb_array(5, 5, seed=1)
    target = save_png(old, tmp_path / "img.png")
    before = target.read_bytes()
    monkeypatch.setattr(Image.Image, "save", _failing_save)
    with pytest.raises(OSError, match="simulated"):
        save_png(rgb_array(5, 5, seed=2), target)
    assert [p.name for p in tmp_path.iterdir()] == ["img.png"]
    assert target.read_bytes() == before
    monkeypatch.undo()
    assert np.array_equal(load_image_uint8(target), old)


def test_save_png_interrupt_cleans_up(tmp_path, monkeypatch):
    def interrupted(self, fp, *args, **kwargs):
        fp.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(Image.Image, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_png(rgb_array(), tmp_path / "x.png")
    assert list(tmp_path.iterdir()) == []


# -------------------------------------------------------------------------- conversions


def test_to_tensor_and_to_uint8():
    src = rgb_array(3, 4)
    t = to_tensor(src)
    assert t.shape == (1, 3, 3, 4) and t.dtype == torch.float32
    assert float(t[0, 1, 2, 3]) == pytest.approx(src[2, 3, 1] / 255.0, abs=1e-7)
    assert np.array_equal(to_uint8(t), src)
    assert np.array_equal(to_uint8(t[0]), src)
    assert to_uint8(to_tensor(src[..., 0])).shape == (3, 4)
    # rounding and clipping
    v = torch.tensor([-0.2, 0.0, 100.4 / 255, 100.6 / 255, 1.0, 1.7]).view(1, 1, 1, 6)
    assert to_uint8(v).ravel().tolist() == [0, 0, 100, 101, 255, 255]
    with pytest.raises(TypeError):
        to_tensor(src.astype(np.float32))
    with pytest.raises(ValueError, match="batch"):
        to_uint8(torch.zeros(2, 3, 4, 4))


# -------------------------------------------------------------------------------- crops


def test_modcrop_sizes():
    x = torch.zeros(1, 3, 10, 13)
    assert modcrop(x, 3).shape == (1, 3, 9, 12)
    assert modcrop(x, 2).shape == (1, 3, 10, 12)
    assert modcrop(x, 1).shape == x.shape
    assert modcrop(x, 4.0).shape == (1, 3, 8, 12)
    # top-left is kept
    y = torch.arange(130.0).view(1, 1, 10, 13)
    assert torch.equal(modcrop(y, 4), y[..., :8, :12])


@pytest.mark.parametrize("bad", [2.5, 0, -2])
def test_modcrop_rejects_bad_scale(bad):
    with pytest.raises(ValueError):
        modcrop(torch.zeros(1, 1, 8, 8), bad)


def test_shave_sizes_and_errors():
    y = torch.arange(130.0).view(1, 1, 10, 13)
    assert torch.equal(shave(y, 2), y[..., 2:8, 2:11])
    assert shave(y, 0) is y
    assert shave(y, 4).shape == (1, 1, 2, 5)
    with pytest.raises(ValueError, match="too small"):
        shave(y, 5)  # 10 rows cannot lose 5 per side
    with pytest.raises(ValueError):
        shave(y, -1)


def test_quantize_on_grid_and_clipped():
    x = torch.linspace(-0.3, 1.3, 1001, dtype=torch.float64)
    q = quantize(x)
    assert torch.equal(q * 255, torch.round(q * 255))
    assert float(q.min()) == 0.0 and float(q.max()) == 1.0
    inside = (x >= 0) & (x <= 1)
    assert float((q - x)[inside].abs().max()) <= 0.5 / 255 + 1e-15
    v = torch.tensor([-0.1, 100.4 / 255, 100.6 / 255, 1.2], dtype=torch.float64)
    assert (quantize(v) * 255).tolist() == pytest.approx([0, 100, 101, 255], abs=1e-12)
    assert quantize(torch.zeros(2, dtype=torch.float32)).dtype == torch.float32


# -------------------------------------------------------------------------------- YCbCr


def _pixel(r: float, g: float, b: float) -> torch.Tensor:
    return torch.tensor([r, g, b], dtype=torch.float64).view(1, 3, 1, 1)


@pytest.mark.parametrize(
    ("rgb", "ycbcr_255"),
    [
        ((1, 1, 1), (235.0, 128.0, 128.0)),
        ((0, 0, 0), (16.0, 128.0, 128.0)),
        ((1, 0, 0), (16 + 65.481, 128 - 37.797, 128 + 112.0)),
        ((0, 1, 0), (16 + 128.553, 128 - 74.203, 128 - 93.786)),
        ((0, 0, 1), (16 + 24.966, 128 + 112.0, 128 - 18.214)),
    ],
)
def test_rgb_to_ycbcr_known_values(rgb, ycbcr_255):
    out = rgb_to_ycbcr(_pixel(*rgb)).view(3) * 255
    np.testing.assert_allclose(out.numpy(), ycbcr_255, atol=1e-10)


def test_rgb_to_ycbcr_matches_skimage_and_inverts():
    x = torch.rand(
        2, 3, 9, 7, dtype=torch.float64, generator=torch.Generator().manual_seed(0)
    )
    ycc = rgb_to_ycbcr(x)
    for i in range(2):
        # skimage uses the same BT.601 studio matrix; float input in [0, 1] gives
        # Y in [16, 235] (the 0-255 scale), so compare against 255 * ours.
        ref = sk_rgb2ycbcr(as_hwc(x[i : i + 1]))
        np.testing.assert_allclose(as_hwc(ycc[i : i + 1]) * 255, ref, atol=1e-10)
    assert float((ycbcr_to_rgb(ycc) - x).abs().max()) < 1e-10
    assert torch.allclose(rgb_to_y(x), ycc[:, :1], atol=1e-14, rtol=0)
    assert rgb_to_y(x).shape == (2, 1, 9, 7)
    # Y range
    assert (
        float(rgb_to_y(x).min()) >= 16 / 255 and float(rgb_to_y(x).max()) <= 235 / 255
    )


def test_colour_conversions_keep_dtype():
    x = torch.rand(1, 3, 4, 4)
    assert rgb_to_ycbcr(x).dtype == torch.float32
    assert rgb_to_y(x).dtype == torch.float32
    assert float((ycbcr_to_rgb(rgb_to_ycbcr(x)) - x).abs().max()) < 1e-5


def test_rgb_to_y_gradcheck():
    x = torch.rand(1, 3, 3, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(rgb_to_y, (x,))
    assert torch.autograd.gradcheck(rgb_to_ycbcr, (x,))


@pytest.mark.parametrize("shape", [(3, 4, 4), (1, 1, 4, 4), (1, 4, 4, 4), (4, 4)])
@pytest.mark.parametrize("fn", [rgb_to_ycbcr, ycbcr_to_rgb, rgb_to_y])
def test_colour_conversions_reject_wrong_shapes(fn, shape):
    with pytest.raises(ValueError, match="RGB"):
        fn(torch.zeros(shape))
