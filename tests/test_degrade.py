"""Tests for srcore.degrade: kernels, blur, kernel and bicubic downscaling, noise, JPEG.

The DIV2KRK cross-check needs the study data in ``../shared/datasets`` next to the
repository (present in CI); it skips, saying why, only when that folder is absent.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import torch
from PIL import Image
from scipy import ndimage

from srcore import degrade as D
from srcore.imageops import quantize, to_tensor

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    """10 log10(1 / mse) for images in [0, 1]."""
    return float(10 * torch.log10(1 / ((a.double() - b.double()) ** 2).mean()))


def moments(k: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Centre of mass (x, y) and covariance of a kernel, computed independently."""
    k = k.numpy() / k.numpy().sum()
    yy, xx = np.mgrid[: k.shape[0], : k.shape[1]].astype(np.float64)
    mx, my = (k * xx).sum(), (k * yy).sum()
    dx, dy = xx - mx, yy - my
    cov = np.array(
        [[(k * dx * dx).sum(), (k * dx * dy).sum()], [(k * dx * dy).sum(), 0.0]]
    )
    cov[1, 1] = (k * dy * dy).sum()
    return np.array([mx, my]), cov


def delta(size: int) -> torch.Tensor:
    k = torch.zeros(size, size, dtype=torch.float64)
    k[size // 2, size // 2] = 1.0
    return k


def on_8bit_grid(x: torch.Tensor) -> bool:
    return bool(torch.allclose(x * 255, torch.round(x * 255), atol=1e-4))


# ----------------------------------------------------------------------- kernels


def test_gaussian_kernel_values() -> None:
    k = D.gaussian_kernel(9, 1.5)
    assert k.shape == (9, 9) and k.dtype == torch.float64
    assert math.isclose(float(k.sum()), 1.0, abs_tol=1e-12)
    assert bool((k >= 0).all())
    # symmetric under flips and transposition, peak in the middle
    for t in (k.flip(0), k.flip(1), k.T):
        assert torch.allclose(k, t, atol=1e-15)
    assert int(k.argmax()) == 4 * 9 + 4
    # ratio of neighbouring taps follows exp(-d^2 / (2 sigma^2))
    assert math.isclose(float(k[4, 5] / k[4, 4]), math.exp(-1 / (2 * 1.5**2)))
    assert math.isclose(float(k[5, 5] / k[4, 4]), math.exp(-2 / (2 * 1.5**2)))
    # with enough room the second moment is sigma^2
    _, cov = moments(D.gaussian_kernel(31, 2.5))
    np.testing.assert_allclose(cov, np.diag([6.25, 6.25]), atol=1e-6)


@pytest.mark.parametrize("l1, l2, theta", [(3.0, 1.2, 0.7), (2.0, 4.0, -2.0)])
def test_anisotropic_kernel_covariance(l1: float, l2: float, theta: float) -> None:
    k = D.anisotropic_gaussian_kernel(41, l1, l2, theta)
    assert math.isclose(float(k.sum()), 1.0, abs_tol=1e-12) and bool((k >= 0).all())
    c, s = math.cos(theta), math.sin(theta)
    rot = np.array([[c, -s], [s, c]])
    expected = rot @ np.diag([l1**2, l2**2]) @ rot.T
    mean, cov = moments(k)
    np.testing.assert_allclose(mean, [20.0, 20.0], atol=1e-9)
    np.testing.assert_allclose(cov, expected, atol=2e-3)
    # srcore's own moment helper agrees
    m2, c2 = D.kernel_moments(k)
    np.testing.assert_allclose(c2.numpy(), cov, atol=1e-12)
    np.testing.assert_allclose(m2.numpy(), mean, atol=1e-12)


def test_anisotropic_kernel_orientation_and_isotropic_case() -> None:
    k = D.anisotropic_gaussian_kernel(21, 3.0, 1.0, 0.0)
    # theta = 0: the wide (lambda1) axis is horizontal, i.e. along the columns
    assert float(k[10, 14]) > 10 * float(k[14, 10])
    k90 = D.anisotropic_gaussian_kernel(21, 3.0, 1.0, math.pi / 2)
    assert torch.allclose(k90, k.T, atol=1e-12)
    iso = D.anisotropic_gaussian_kernel(15, 2.0, 2.0, 1.234)
    assert torch.allclose(iso, D.gaussian_kernel(15, 2.0), atol=1e-14)


def test_random_kernel_properties_and_seeding() -> None:
    k = D.random_kernel(seed=7)
    assert k.shape == (11, 11) and k.dtype == torch.float64
    assert math.isclose(float(k.sum()), 1.0, abs_tol=1e-12)
    assert bool((k >= 0).all())
    # centred: centre of mass on the middle tap despite the multiplicative noise
    np.testing.assert_allclose(moments(k)[0], [5.0, 5.0], atol=1e-8)
    assert torch.equal(k, D.random_kernel(seed=7))
    assert not torch.allclose(k, D.random_kernel(seed=8))
    assert torch.equal(
        D.random_kernel(seed=np.random.default_rng(3)),
        D.random_kernel(seed=np.random.default_rng(3)),
    )
    # without centring the noise moves the centre of mass off the middle tap
    off = moments(D.random_kernel(seed=7, center=False))[0]
    assert np.abs(off - 5.0).max() > 1e-3
    # the noise is really there: a noise-free kernel of the same seed differs
    smooth = D.random_kernel(seed=7, noise_level=0.0)
    assert 0.01 < float((k - smooth).abs().max() / smooth.max()) < 0.5


def test_random_kernel_eigen_stds_follow_kernelgan_ranges() -> None:
    # KernelGAN: covariance eigenvalues (variances) ~ U(0.6, 5) -> stds in
    # [0.775, 2.236]; an 11x11 grid only shrinks the large ones a little.
    stds = []
    for seed in range(40):
        _, cov = moments(D.random_kernel(seed=seed, noise_level=0.0))
        stds.append(np.sqrt(np.linalg.eigvalsh(cov)))
    stds = np.array(stds)
    assert stds.min() >= math.sqrt(0.6) - 1e-4
    assert stds.max() <= math.sqrt(5.0) + 1e-4
    # and the range is actually used, not a constant
    assert stds.min() < 1.1 and stds.max() > 1.8


def test_random_kernel_x4_is_x2_kernel_applied_twice() -> None:
    k2 = D.random_kernel(seed=11)
    k4 = D.random_kernel(scale=4, seed=11)
    assert k4.shape == (31, 31)
    assert math.isclose(float(k4.sum()), 1.0, abs_tol=1e-12) and bool((k4 >= 0).all())
    # k4 = k2 * (k2 upsampled x2): its covariance is exactly 5x that of k2
    m2, c2 = moments(k2)
    m4, c4 = moments(k4)
    np.testing.assert_allclose(c4, 5 * c2, rtol=1e-9)
    np.testing.assert_allclose(m4, [15.0, 15.0], atol=1e-7)
    # ... and degrading x2 twice with k2 equals degrading x4 with k4 (away from the
    # borders, where the two paddings differ)
    x = torch.rand(1, 3, 96, 96, generator=torch.Generator().manual_seed(0))
    x = x.double()
    twice = D.downscale_with_kernel(
        D.downscale_with_kernel(x, k2, 2, offset=0), k2, 2, offset=0
    )
    once = D.downscale_with_kernel(x, k4, 4, offset=0)
    torch.testing.assert_close(once[..., 5:-5, 5:-5], twice[..., 5:-5, 5:-5])


def test_kernel_to_image() -> None:
    k = D.random_kernel(seed=0)
    img = D.kernel_to_image(k, zoom=3)
    assert img.shape == (33, 33)
    assert img.min() >= 0 and math.isclose(img.max(), 1.0)
    np.testing.assert_allclose(img[::3, ::3], (k / k.max()).numpy())


# ----------------------------------------------------------------------- blur


def test_blur_identity_constant_and_scipy_reference() -> None:
    g = torch.Generator().manual_seed(1)
    x = torch.rand(2, 3, 20, 23, generator=g)
    assert torch.equal(D.blur(x, delta(5)), x)
    const = torch.full((1, 3, 16, 16), 0.3)
    torch.testing.assert_close(D.blur(const, D.random_kernel(seed=2)), const)
    # correlation (not convolution) with half-sample symmetric borders == scipy's
    # correlate(mode="reflect"), borders included
    k = D.random_kernel(seed=3)
    xd = x.double()
    ref = np.stack(
        [
            ndimage.correlate(xd[0, c].numpy(), k.numpy(), mode="reflect")
            for c in range(3)
        ]
    )
    np.testing.assert_allclose(D.blur(xd, k)[0].numpy(), ref, atol=1e-12)


def test_blur_lowers_high_frequencies() -> None:
    x = torch.rand(1, 1, 64, 64, generator=torch.Generator().manual_seed(0))

    def hf_energy(img: torch.Tensor) -> float:
        spec = torch.fft.fftshift(torch.fft.fft2(img - img.mean())).abs() ** 2
        yy, xx = torch.meshgrid(torch.arange(64), torch.arange(64), indexing="ij")
        far = ((yy - 32) ** 2 + (xx - 32) ** 2) > 16**2  # beyond a quarter of Nyquist
        return float(spec[..., far].sum())

    assert hf_energy(D.blur(x, D.gaussian_kernel(7, 1.5))) < 0.05 * hf_energy(x)


def test_blur_per_image_kernels() -> None:
    x = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(4))
    ks = torch.stack([D.gaussian_kernel(5, 1.0), D.random_kernel(5, seed=1)])
    out = D.blur(x, ks)
    torch.testing.assert_close(out[:1], D.blur(x[:1], ks[0]))
    torch.testing.assert_close(out[1:], D.blur(x[1:], ks[1]))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_blur_and_downscale_on_cuda_match_cpu() -> None:
    x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    k = D.random_kernel(seed=1)
    for fn in (lambda t: D.blur(t, k), lambda t: D.downscale_with_kernel(t, k, 2)):
        out = fn(x.cuda())
        assert out.device.type == "cuda"
        torch.testing.assert_close(out.cpu(), fn(x), atol=1e-6, rtol=0)


# ----------------------------------------------------------------------- downscaling


def test_downscale_with_kernel_size_and_offsets() -> None:
    x = torch.rand(2, 3, 37, 50, generator=torch.Generator().manual_seed(0))
    k = D.random_kernel(seed=0)
    assert D.downscale_with_kernel(x, k, 3).shape == (2, 3, 12, 16)
    assert D.downscale_with_kernel(x, k, 2).shape == (2, 3, 18, 25)
    # a delta kernel with an explicit offset is pure subsampling
    for s, off in [(2, 0), (2, 1), (4, 2), (3, 1)]:
        out = D.downscale_with_kernel(x, delta(3), s, offset=off)
        assert torch.equal(out, x[..., off::s, off::s][..., : 37 // s, : 50 // s])
    out = D.downscale_with_kernel(x, delta(3), 2, offset=(0, 1))
    assert torch.equal(out, x[..., 0:36:2, 1::2])
    # at odd scales the default grid is the integer offset (s - 1) / 2
    assert torch.equal(D.downscale_with_kernel(x, delta(3), 3), x[..., 1:36:3, 1:48:3])
    # any kernel: the default equals blur-then-slice (odd scale, no interpolation)
    torch.testing.assert_close(
        D.downscale_with_kernel(x, k, 3), D.blur(x, k)[..., 1:36:3, 1:48:3]
    )


def test_default_grid_is_centred_like_bicubic() -> None:
    # On a linear ramp a symmetric kernel changes nothing, so LR(j) reads the ramp at
    # the sampling position: s j + (s - 1)/2, as MATLAB imresize (bicubic) does.
    s = 2
    yy, xx = torch.meshgrid(
        torch.arange(64, dtype=torch.float64),
        torch.arange(64, dtype=torch.float64),
        indexing="ij",
    )
    ramp = ((0.3 * xx + 0.7 * yy) / 100)[None, None]
    lr = D.downscale_with_kernel(ramp, D.gaussian_kernel(11, 1.5), s)
    j = torch.arange(32, dtype=torch.float64)
    pos = s * j + (s - 1) / 2
    expected = ((0.3 * pos[None, :] + 0.7 * pos[:, None]) / 100)[None, None]
    torch.testing.assert_close(lr[..., 4:-4, 4:-4], expected[..., 4:-4, 4:-4])
    bic = D.bicubic_downscale(ramp, s)
    torch.testing.assert_close(lr[..., 4:-4, 4:-4], bic[..., 4:-4, 4:-4])
    # the integer offset s // 2 instead sits half a pixel further down-right
    lr1 = D.downscale_with_kernel(ramp, D.gaussian_kernel(11, 1.5), s, offset=1)
    shift = (lr1 - lr)[..., 4:-4, 4:-4]
    torch.testing.assert_close(shift, torch.full_like(shift, 0.5 * (0.3 + 0.7) / 100))


def test_bicubic_downscale_matches_imresize() -> None:
    from srcore.resize import imresize

    x = torch.rand(1, 3, 48, 36, generator=torch.Generator().manual_seed(0))
    for s in (2, 3, 4):
        out = D.bicubic_downscale(x, s)
        assert out.shape == (1, 3, 48 // s, 36 // s)
        torch.testing.assert_close(out, imresize(x, 1 / s))
    # MATLAB size rule when the scale does not divide the size: ceil(H / s)
    assert D.bicubic_downscale(x[..., :47, :35], 2).shape == (1, 3, 24, 18)


@pytest.fixture(scope="module")
def div2krk() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"study datasets not found at {SHARED}")
    return SHARED


@pytest.mark.parametrize("scale", [2, 4])
def test_div2krk_is_reproduced_by_the_default_grid(div2krk: Path, scale: int) -> None:
    # DIV2KRK im_43 is DIV2K 0843 blurred with kernel_43 and subsampled. Central,
    # textured 256x256 crop (multiples of 4, so the LR crop is aligned at x2 and x4).
    r0, c0, n = 552, 892, 256
    hr = to_tensor(np.asarray(Image.open(div2krk / "DIV2K/HR/0843.png").convert("RGB")))
    lr_rgba = np.asarray(Image.open(div2krk / f"DIV2KRK/lr_x{scale}/im_43.png"))
    lr = to_tensor(np.ascontiguousarray(lr_rgba[..., :3]))
    mat = scipy.io.loadmat(str(div2krk / f"DIV2KRK/gt_k_x{scale}/kernel_43.mat"))
    kernel = torch.from_numpy(mat["Kernel"])
    assert kernel.shape == ((11, 11) if scale == 2 else (31, 31))
    x = hr[..., r0 : r0 + n, c0 : c0 + n]
    ref = lr[..., r0 // scale : (r0 + n) // scale, c0 // scale : (c0 + n) // scale]
    m = 4  # LR border pixels left out: there the crop's padding differs from the image

    def score(out: torch.Tensor) -> float:
        return psnr(out[..., m:-m, m:-m], ref[..., m:-m, m:-m])

    default = score(D.downscale_with_kernel(x, kernel, scale))
    integer = {
        (oy, ox): score(D.downscale_with_kernel(x, kernel, scale, offset=(oy, ox)))
        for oy in range(scale)
        for ox in range(scale)
    }
    best = max(integer, key=integer.get)
    # measured: 48.3 dB (x2), 52.2 dB (x4); best integer offsets 35.5 / 40.2 dB
    assert default > 45.0, (default, integer)
    assert default > integer[best] + 3.0, (default, best, integer[best])
    # the quantised LR, as a user would store it, is as close
    quant = score(quantize(D.downscale_with_kernel(x, kernel, scale)))
    assert quant > 45.0


# ----------------------------------------------------------------------- noise / JPEG


def test_gaussian_noise_seeded_and_calibrated() -> None:
    x = torch.full((1, 3, 128, 128), 0.5)
    sigma = 10 / 255
    a = D.add_gaussian_noise(x, sigma, seed=1)
    assert torch.equal(a, D.add_gaussian_noise(x, sigma, seed=1))
    assert not torch.equal(a, D.add_gaussian_noise(x, sigma, seed=2))
    n = (a - x).double()
    assert abs(float(n.std()) - sigma) < 0.02 * sigma
    assert abs(float(n.mean())) < 3 * sigma / math.sqrt(n.numel())
    # a generator continues its stream: two calls draw different noise
    g = torch.Generator().manual_seed(5)
    assert not torch.equal(
        D.add_gaussian_noise(x, sigma, g), D.add_gaussian_noise(x, sigma, g)
    )
    assert torch.equal(D.add_gaussian_noise(x, 0.0, seed=1), x)


def test_jpeg_quality() -> None:
    g = torch.Generator().manual_seed(0)
    # smooth-ish content plus detail, so both quality levels leave something
    x = D.blur(torch.rand(2, 3, 64, 64, generator=g), D.gaussian_kernel(5, 1.0))
    x = quantize(x)
    lo, hi = D.jpeg(x, 10), D.jpeg(x, 90)
    assert lo.shape == x.shape and lo.dtype == x.dtype
    assert on_8bit_grid(lo) and on_8bit_grid(hi)
    assert psnr(hi, x) > psnr(lo, x) + 5
    assert torch.equal(D.jpeg(x, 50), D.jpeg(x, 50))  # deterministic
    grey = D.jpeg(x[:, :1], 75)
    assert grey.shape == (2, 1, 64, 64) and psnr(grey, x[:, :1]) > 25
    for bad in (0, 96, 50.5, True):
        with pytest.raises(ValueError, match="quality"):
            D.jpeg(x, bad)


# ----------------------------------------------------------------------- pipeline


def test_degrade_pipeline() -> None:
    hr = torch.rand(2, 3, 48, 64, generator=torch.Generator().manual_seed(0))
    k = D.random_kernel(seed=4)
    for kernel in (None, k):
        lr = D.degrade(
            hr,
            4 if kernel is None else 2,
            kernel=kernel,
            noise_sigma=5 / 255,
            jpeg_quality=70,
            seed=3,
        )
        s = 4 if kernel is None else 2
        assert lr.shape == (2, 3, 48 // s, 64 // s)
        assert on_8bit_grid(lr) and float(lr.min()) >= 0 and float(lr.max()) <= 1
        again = D.degrade(
            hr, s, kernel=kernel, noise_sigma=5 / 255, jpeg_quality=70, seed=3
        )
        assert torch.equal(lr, again)
    a = D.degrade(hr, 2, noise_sigma=5 / 255, seed=1)
    b = D.degrade(hr, 2, noise_sigma=5 / 255, seed=2)
    assert not torch.equal(a, b)
    # the clean bicubic path is exactly quantize(imresize(hr, 1/s))
    from srcore.resize import imresize

    assert torch.equal(D.degrade(hr, 2), quantize(imresize(hr, 0.5)))
    raw = D.degrade(hr, 2, kernel=k, quantize_output=False)
    torch.testing.assert_close(raw, D.downscale_with_kernel(hr, k, 2))


# ----------------------------------------------------------------------- errors


def test_bad_kernels_are_rejected() -> None:
    x = torch.rand(1, 3, 32, 32)
    with pytest.raises(ValueError, match="2-D"):
        D.blur(x, torch.ones(5) / 5)
    with pytest.raises(ValueError, match="2-D"):
        D.blur(x, torch.ones(1, 1, 3, 3))
    with pytest.raises(ValueError, match="odd"):
        D.blur(x, torch.ones(4, 4) / 16)
    with pytest.raises(ValueError, match="positive"):
        D.blur(x, torch.zeros(3, 3))
    with pytest.raises(ValueError, match="positive"):
        D.downscale_with_kernel(x, -delta(3), 2)
    with pytest.raises(ValueError, match="3 kernels given for a batch of 1"):
        D.blur(x, torch.stack([delta(3)] * 3))
    with pytest.raises(ValueError, match="sigma"):
        D.gaussian_kernel(5, 0.0)
    with pytest.raises(ValueError, match="odd"):
        D.random_kernel(10)


def test_bad_scales_images_and_offsets_are_rejected() -> None:
    x = torch.rand(1, 3, 32, 32)
    k = D.random_kernel(seed=0)
    for bad in (2.5, 0, -2, True):
        with pytest.raises(ValueError, match="positive integer"):
            D.downscale_with_kernel(x, k, bad)
    # An image smaller than the kernel is blurred over its repeated mirror images:
    # a constant stays constant, and it matches scipy's 'reflect' correlation.
    small = D.downscale_with_kernel(torch.full((1, 3, 8, 40), 0.3), k, 2)
    assert small.shape == (1, 3, 4, 20)
    assert torch.allclose(small, torch.full_like(small, 0.3), atol=1e-6)
    tiny = torch.rand(1, 1, 3, 4, dtype=torch.float64)
    ref = ndimage.correlate(tiny[0, 0].numpy(), k.double().numpy(), mode="reflect")
    assert np.allclose(D.blur(tiny, k.double())[0, 0].numpy(), ref)
    with pytest.raises(ValueError, match="offset"):
        D.downscale_with_kernel(x, k, 2, offset=2)
    nan = x.clone()
    nan[0, 1, 3, 4] = float("nan")
    for fn in (
        lambda: D.blur(nan, k),
        lambda: D.downscale_with_kernel(nan, k, 2),
        lambda: D.degrade(nan, 2),
        lambda: D.add_gaussian_noise(nan, 0.1, seed=0),
    ):
        with pytest.raises(ValueError, match="NaN"):
            fn()
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        D.blur(x[0], k)
    with pytest.raises(ValueError, match="modcrop"):
        D.degrade(torch.rand(1, 3, 33, 32), 2)
    with pytest.raises(ValueError, match="sigma"):
        D.add_gaussian_noise(x, -0.1, seed=0)
