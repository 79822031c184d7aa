"""Tests for srcore.resize: MATLAB-compatible imresize.

The MATLAB reference is ``Set5/MATLAB_float_ref`` in the study data
(``../shared/datasets`` next to the repository; present in CI): arrays computed by
MATLAB's own ``rgb2ycbcr`` and ``imresize``. Those tests skip, saying why, only when
that folder is absent. The other expected values are derived by hand from the
cubic-convolution kernel (Keys, a = -0.5), MATLAB's coordinate mapping
``u = x / s + 0.5 (1 - 1/s)`` and symmetric padding.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import torch

from srcore import imresize
from srcore.imageops import rgb_to_ycbcr
from srcore.resize import KERNELS, resize_matrix

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
MATLAB_REF = SHARED / "Set5" / "MATLAB_float_ref"
ALL_KERNELS = sorted(KERNELS)


def _matlab_ref_params():
    files = sorted(MATLAB_REF.glob("X*/*.mat"))
    if not files:
        reason = f"study data not found: {MATLAB_REF} (needs ../shared/datasets)"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason))]
    return [pytest.param(f, id=f"{f.parent.name}-{f.stem}") for f in files]


def hwc_to_tensor(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64)).permute(2, 0, 1)[
        None
    ]


def tensor_to_hwc(x: torch.Tensor) -> np.ndarray:
    return x[0].permute(1, 2, 0).numpy()


def smooth_image(h: int = 64, w: int = 64) -> torch.Tensor:
    yy, xx = torch.meshgrid(
        torch.arange(h, dtype=torch.float64),
        torch.arange(w, dtype=torch.float64),
        indexing="ij",
    )
    img = 0.5 + 0.2 * torch.sin(2 * math.pi * xx / 32) * torch.cos(
        2 * math.pi * yy / 40
    )
    img = img + 0.1 * torch.cos(2 * math.pi * (xx + yy) / 50)
    return img[None, None]


# -------------------------------------------------------------------------- MATLAB data


def test_matlab_reference_is_complete(data_dir):
    # data_dir (conftest) skips without the study data, and fails in CI: the
    # parametrised test below must not silently run on an empty list there.
    assert data_dir / "Set5" / "MATLAB_float_ref" == MATLAB_REF
    # 4 images (no baby) x 3 scales
    assert len(list(MATLAB_REF.glob("X*/*.mat"))) == 12


@pytest.mark.parametrize("mat_path", _matlab_ref_params())
def test_matches_matlab_float_reference(mat_path):
    s = int(mat_path.parent.name[1:])
    m = scipy.io.loadmat(mat_path)
    gt = hwc_to_tensor(m["im_gt"].astype(np.float64) / 255.0)
    ycbcr = rgb_to_ycbcr(gt)
    # MATLAB rgb2ycbcr luma (x 255)
    np.testing.assert_allclose(
        ycbcr[0, 0].numpy() * 255.0, m["im_gt_y"], rtol=0, atol=1e-10
    )
    # imresize(rgb2ycbcr(im_gt / 255), 1/s, 'bicubic') -- antialiased downscale
    lr = imresize(ycbcr, 1 / s)
    assert lr.shape[-2:] == m["im_l_ycbcr"].shape[:2]
    np.testing.assert_allclose(tensor_to_hwc(lr), m["im_l_ycbcr"], rtol=0, atol=1e-10)
    # Y of imresize(im_l_ycbcr, s) x 255 -- upscale from MATLAB's own LR
    up = imresize(hwc_to_tensor(m["im_l_ycbcr"]), s)
    assert up.shape[-2:] == m["im_b_y"].shape
    np.testing.assert_allclose(up[0, 0].numpy() * 255.0, m["im_b_y"], rtol=0, atol=1e-9)


# ------------------------------------------------------------------------ sizes and API


@pytest.mark.parametrize(
    ("n", "scale", "expected"),
    [
        (7, 0.37, 3),  # 2.59
        (10, 0.37, 4),  # 3.7
        (7, 1.5, 11),  # 10.5
        (9, 1.5, 14),  # 13.5
        (7, 2.7, 19),  # 18.9
        (13, 2.7, 36),  # 35.1
        (12, 0.5, 6),
        (12, 3, 36),
    ],
)
def test_output_size_is_ceil_of_scaled_size(n, scale, expected):
    x = torch.rand(1, 1, n, n + 1, dtype=torch.float64)
    out = imresize(x, scale)
    assert out.shape == (1, 1, expected, math.ceil((n + 1) * scale))
    assert out.shape[-2] == math.ceil(n * scale) == expected


def test_size_argument_and_scale_pairs():
    x = torch.rand(2, 3, 8, 12, dtype=torch.float64)
    assert imresize(x, size=(5, 7)).shape == (2, 3, 5, 7)
    assert imresize(x, size=(16, 6)).shape == (2, 3, 16, 6)
    # size and the equivalent scale give the same result
    assert torch.equal(imresize(x, size=(4, 6)), imresize(x, 0.5))
    assert imresize(x, (2, 0.5)).shape == (2, 3, 16, 6)
    assert torch.equal(imresize(x, (2, 0.5)), imresize(x, size=(16, 6)))


def test_argument_errors():
    x = torch.rand(1, 1, 6, 6, dtype=torch.float64)
    with pytest.raises(ValueError, match="exactly one"):
        imresize(x)
    with pytest.raises(ValueError, match="exactly one"):
        imresize(x, 2, size=(12, 12))
    with pytest.raises(ValueError):
        imresize(x, 0)
    with pytest.raises(ValueError):
        imresize(x, -2)
    with pytest.raises(ValueError):
        imresize(x, size=(0, 4))
    with pytest.raises(ValueError, match="kernel"):
        imresize(x, 2, kernel="nearest-ish")
    with pytest.raises(ValueError):
        imresize(torch.rand(1, 1, 1, 6, 6), 2)
    for dtype in (torch.uint8, torch.int64):
        with pytest.raises(TypeError):
            imresize(torch.zeros(1, 1, 6, 6, dtype=dtype), 2)


# --------------------------------------------------------------------------- invariants


@pytest.mark.parametrize("kernel", ALL_KERNELS)
@pytest.mark.parametrize("scale", [0.25, 1 / 3, 0.5, 0.37, 1.5, 2, 2.7, 4])
def test_constant_image_stays_constant(kernel, scale):
    x = torch.full((1, 2, 13, 11), 0.3721, dtype=torch.float64)
    out = imresize(x, scale, kernel=kernel)
    assert float((out - 0.3721).abs().max()) < 1e-14


@pytest.mark.parametrize("kernel", ALL_KERNELS)
@pytest.mark.parametrize(
    ("n_in", "n_out"), [(10, 5), (9, 3), (7, 19), (13, 5), (5, 20), (4, 8)]
)
@pytest.mark.parametrize("antialias", [True, False])
def test_resize_matrix_rows_sum_to_one(kernel, n_in, n_out, antialias):
    mat = resize_matrix(n_in, n_out, n_out / n_in, kernel, antialias)
    assert mat.shape == (n_out, n_in)
    np.testing.assert_allclose(mat.sum(axis=1), 1.0, rtol=0, atol=1e-14)


@pytest.mark.parametrize("kernel", ALL_KERNELS)
def test_scale_one_is_identity(kernel):
    x = torch.rand(2, 3, 9, 8, dtype=torch.float64)
    out = imresize(x, 1, kernel=kernel)
    assert out.shape == x.shape
    assert float((out - x).abs().max()) < 1e-14


def test_up_then_down_is_near_identity_on_smooth_image():
    x = smooth_image()
    back = imresize(imresize(x, 2), 0.5)
    assert back.shape == x.shape
    psnr = 10 * math.log10(1 / float(((back - x) ** 2).mean()))
    assert psnr > 40


def test_linearity():
    g = torch.Generator().manual_seed(0)
    a = torch.rand(1, 1, 9, 7, dtype=torch.float64, generator=g)
    b = torch.rand(1, 1, 9, 7, dtype=torch.float64, generator=g)
    for s in (0.4, 3):
        lhs = imresize(2.5 * a - 0.75 * b, s)
        rhs = 2.5 * imresize(a, s) - 0.75 * imresize(b, s)
        assert float((lhs - rhs).abs().max()) < 1e-13


# ------------------------------------------------------------------------- known values


@pytest.mark.parametrize("s", [2, 3, 4])
def test_cubic_upscale_reproduces_ramp_and_parabola(s):
    # Keys' kernel with a = -1/2 reproduces polynomials up to degree 2, so away from the
    # borders (all 4 taps inside the image) output pixel i sits at input coordinate
    # u = i/s + (1 - 1/s)/2 and takes exactly the value u (ramp) or u^2 (parabola).
    n = 20
    j = torch.arange(1, n + 1, dtype=torch.float64)[None]
    u = torch.arange(1, n * s + 1, dtype=torch.float64) / s + 0.5 * (1 - 1 / s)
    inside = (u - 2 >= 1) & (u + 2 <= n)
    assert int(inside.sum()) > n
    ramp = imresize(j, size=(1, n * s))[0]
    parabola = imresize(j**2, size=(1, n * s))[0]
    assert float((ramp - u)[inside].abs().max()) < 1e-12
    assert float((parabola - u**2)[inside].abs().max()) < 1e-10
    # bilinear reproduces the ramp but not the parabola
    lin = imresize(j, size=(1, n * s), kernel="bilinear")[0]
    lin2 = imresize(j**2, size=(1, n * s), kernel="bilinear")[0]
    assert float((lin - u)[inside].abs().max()) < 1e-12
    assert float((lin2 - u**2)[inside].abs().max()) > 0.1


def test_bilinear_known_matlab_values():
    # imresize([0 1], 2, 'bilinear'): u = x/2 + 1/4 = 0.75, 1.25, 1.75, 2.25; the taps
    # outside [1, 2] mirror onto the border pixel -> [0, 0.25, 0.75, 1].
    out = imresize(
        torch.tensor([[0.0, 1.0]], dtype=torch.float64), 2, kernel="bilinear"
    )
    assert out.shape == (2, 4)
    expected = torch.tensor([0.0, 0.25, 0.75, 1.0], dtype=torch.float64)
    for row in out:
        assert torch.allclose(row, expected, atol=1e-15, rtol=0)


def test_cubic_known_values_with_symmetric_padding():
    # imresize([0 1 0 0], 2): u = 0.75, 1.25, ..., 4.25. Cubic (a = -1/2) weights:
    # k(0.25) = 111/128, k(0.75) = 29/128, k(1.25) = -9/128, k(1.75) = -3/128.
    # Symmetric padding puts a copy of the 1 at index -1, so the first output is
    # k(0.75 - 2) + k(0.75 + 1) = -9/128 - 3/128 = -12/128.
    out = imresize(torch.tensor([[0.0, 1.0, 0.0, 0.0]], dtype=torch.float64), 2)
    expected = (
        torch.tensor([-12, 29, 111, 111, 29, -9, -3, 0], dtype=torch.float64) / 128
    )
    assert out.shape == (2, 8)
    for row in out:
        assert torch.allclose(row, expected, atol=1e-15, rtol=0)


def test_antialiased_half_scale_kernel():
    # Shrinking by 2, MATLAB stretches the cubic kernel: h(x) = k(x/2)/2 over 8 taps at
    # offsets +-0.5, +-1.5, +-2.5, +-3.5 -> the well-known 8-tap filter
    # [-3, -9, 29, 111, 111, 29, -9, -3] / 256.
    mat = resize_matrix(16, 8, 0.5)
    taps = np.array([-3, -9, 29, 111, 111, 29, -9, -3]) / 256
    for i in range(2, 6):  # interior rows (0-based), taps within the image
        expected = np.zeros(16)
        expected[2 * i - 3 : 2 * i + 5] = taps
        np.testing.assert_allclose(mat[i], expected, rtol=0, atol=1e-15)
    # without antialiasing: plain cubic interpolation half-way between two pixels
    plain = resize_matrix(16, 8, 0.5, "cubic", False)
    expected = np.zeros(16)
    expected[3:7] = np.array([-1, 9, 9, -1]) / 16  # u = 5.5 (1-based)
    np.testing.assert_allclose(plain[2], expected, rtol=0, atol=1e-15)


def test_lanczos3_differs_from_cubic_and_bilinear():
    x = torch.rand(
        1, 1, 16, 16, dtype=torch.float64, generator=torch.Generator().manual_seed(2)
    )
    for s in (0.5, 2):
        cubic = imresize(x, s)
        lanczos = imresize(x, s, kernel="lanczos3")
        bilinear = imresize(x, s, kernel="bilinear")
        assert float((cubic - lanczos).abs().max()) > 1e-3
        assert float((cubic - bilinear).abs().max()) > 1e-3
    # "bicubic" and "linear" are aliases
    assert torch.equal(imresize(x, 2, kernel="bicubic"), imresize(x, 2))
    assert torch.equal(
        imresize(x, 2, kernel="linear"), imresize(x, 2, kernel="bilinear")
    )


def test_antialias_flag_matters_only_when_shrinking():
    x = torch.rand(
        1, 1, 16, 16, dtype=torch.float64, generator=torch.Generator().manual_seed(3)
    )
    assert (
        float((imresize(x, 0.5) - imresize(x, 0.5, antialias=False)).abs().max()) > 1e-3
    )
    assert torch.equal(imresize(x, 2), imresize(x, 2, antialias=False))


# ----------------------------------------------------------------------- shapes, dtypes


def test_batch_equals_per_image():
    x = torch.rand(
        4, 3, 17, 13, dtype=torch.float64, generator=torch.Generator().manual_seed(4)
    )
    for s in (0.5, 1 / 3, 2.5):
        batch = imresize(x, s)
        for i in range(4):
            assert torch.allclose(
                batch[i : i + 1], imresize(x[i : i + 1], s), atol=1e-15, rtol=0
            )
            for c in range(3):
                single = imresize(x[i, c], s)  # (H, W) input
                assert torch.allclose(batch[i, c], single, atol=1e-15, rtol=0)


def test_chw_and_hw_inputs_and_float32():
    x = torch.rand(3, 10, 12, dtype=torch.float64)
    out = imresize(x, 0.5)
    assert out.shape == (3, 5, 6)
    assert torch.equal(out, imresize(x[None], 0.5)[0])
    assert imresize(x[0], 2).shape == (20, 24)
    y = imresize(x.float(), 2)
    assert y.dtype == torch.float32
    assert float((y.double() - imresize(x, 2)).abs().max()) < 1e-6


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_matches_cpu():
    x = torch.rand(
        2, 3, 37, 29, dtype=torch.float64, generator=torch.Generator().manual_seed(6)
    )
    for s in (0.25, 1 / 3, 0.5, 2, 3, 2.7):
        for kernel in ("cubic", "lanczos3"):
            cpu = imresize(x, s, kernel=kernel)
            gpu = imresize(x.cuda(), s, kernel=kernel)
            assert gpu.device.type == "cuda" and gpu.dtype == torch.float64
            assert float((gpu.cpu() - cpu).abs().max()) < 1e-12
    y = imresize(x.float().cuda(), 0.5)
    assert y.dtype == torch.float32 and y.device.type == "cuda"


@pytest.mark.parametrize("scale", [0.5, 2, 1.5])
def test_gradcheck(scale):
    x = torch.rand(1, 1, 5, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: imresize(t, scale), (x,))
