"""Degradation models: how a low-resolution (LR) image is made from a high-res one.

Two families are used in the SR literature:

* **Bicubic** (the classic benchmarks): ``LR = imresize(HR, 1/s)``, MATLAB's
  antialiased bicubic, see :func:`bicubic_downscale`.
* **Blur kernel + subsampling** (DIV2KRK, KernelGAN, ZSSR):
  ``LR = (HR ⋆ k)↓s``, a correlation with a blur kernel ``k`` followed by keeping every
  ``s``-th pixel, see :func:`downscale_with_kernel` and :func:`random_kernel`.

:func:`degrade` chains either of them with additive Gaussian noise, JPEG compression
and 8-bit quantisation, in that order.

Conventions: images are float ``(B, C, H, W)`` tensors in ``[0, 1]`` on any device.
Kernels are float64 ``(k, k)`` tensors (or ``(B, k, k)``, one per image), indexed
``kernel[row, col]``; where a direction matters, ``x`` is the column and ``y`` the row
(pointing down). Everything random takes ``seed``: an ``int``, a CPU
``torch.Generator``, a ``numpy.random.Generator`` or ``None`` (torch's global
generator, so ``torch.manual_seed`` governs it). Random numbers are drawn on the CPU and
then moved, so a seed gives the same result on every device.

References:
    Bell-Kligler, Shocher, Irani, "Blind Super-Resolution Kernel Estimation using an
    Internal-GAN" (KernelGAN, NeurIPS 2019), section 5 (the DIV2KRK recipe).
    Shocher, Cohen, Irani, "Zero-Shot Super-Resolution using Deep Internal Learning"
    (ZSSR, CVPR 2018).
"""

from __future__ import annotations

import io
import math

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

__all__ = [
    "Seed",
    "gaussian_kernel",
    "anisotropic_gaussian_kernel",
    "random_kernel",
    "kernel_moments",
    "kernel_to_image",
    "blur",
    "downscale_with_kernel",
    "bicubic_downscale",
    "add_gaussian_noise",
    "add_speckle_noise",
    "jpeg",
    "degrade",
    "stable_seed",
    "random_kernel_degradation",
    "degrade_random_kernel",
]

Seed = int | torch.Generator | np.random.Generator | None


# ----------------------------------------------------------------------- helpers


def _generator(seed: Seed) -> torch.Generator:
    """A CPU ``torch.Generator`` for ``seed`` (see the module docstring)."""
    if seed is None:
        return torch.default_generator
    if isinstance(seed, torch.Generator):
        if seed.device.type != "cpu":
            raise ValueError(
                "pass a CPU torch.Generator: random numbers are drawn on the CPU so "
                f"that results do not depend on the device (got {seed.device})"
            )
        return seed
    if isinstance(seed, np.random.Generator):
        return torch.Generator().manual_seed(int(seed.integers(2**63)))
    if isinstance(seed, int | np.integer) and not isinstance(seed, bool):
        return torch.Generator().manual_seed(int(seed))
    raise TypeError(
        "seed must be an int, a torch.Generator, a numpy.random.Generator or None, "
        f"got {type(seed).__name__}"
    )


def _check_image(x: torch.Tensor, name: str = "x") -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim != 4:
        raise ValueError(f"{name} must be (B, C, H, W), got shape {tuple(x.shape)}")
    if not torch.is_floating_point(x):
        raise TypeError(f"{name} must be a float tensor in [0, 1], got {x.dtype}")
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} contains NaN or inf values")


def _check_kernel(kernel: torch.Tensor | np.ndarray, batch: int | None) -> torch.Tensor:
    """Validate a blur kernel: ``(kh, kw)`` or ``(B, kh, kw)``, odd sides, sum > 0."""
    if isinstance(kernel, np.ndarray):
        kernel = torch.from_numpy(kernel)
    if not isinstance(kernel, torch.Tensor):
        raise TypeError(
            f"kernel must be a tensor or array, got {type(kernel).__name__}"
        )
    if kernel.ndim not in (2, 3):
        raise ValueError(
            "kernel must be 2-D (k, k), or 3-D (B, k, k) with one kernel per image, "
            f"got shape {tuple(kernel.shape)}"
        )
    kh, kw = kernel.shape[-2:]
    if kh % 2 == 0 or kw % 2 == 0:
        # An even side has no centre tap: the output would move by half a pixel.
        raise ValueError(f"kernel sides must be odd (centre tap), got {kh}x{kw}")
    if kernel.ndim == 3 and batch is not None and kernel.shape[0] != batch:
        raise ValueError(
            f"{kernel.shape[0]} kernels given for a batch of {batch} images"
        )
    kernel = kernel.to(torch.float64)
    if not bool(torch.isfinite(kernel).all()):
        raise ValueError("kernel contains NaN or inf values")
    sums = kernel.sum(dim=(-2, -1))
    if bool((sums <= 0).any()):
        raise ValueError(
            f"kernel must sum to a positive value (normally 1), got {sums.min():.4g}"
        )
    return kernel


def _integer_scale(scale: float) -> int:
    """``scale`` as a positive int, or a ValueError saying why not."""
    ok = isinstance(scale, int | float | np.integer | np.floating) and not isinstance(
        scale, bool
    )
    if not ok or not math.isfinite(scale) or scale < 1 or scale != int(scale):
        raise ValueError(
            f"scale must be a positive integer for kernel downscaling, got {scale!r} "
            "(use bicubic_downscale for non-integer factors)"
        )
    return int(scale)


def _symmetric_index(n: int, pad: int, device: torch.device) -> torch.Tensor:
    """Indices of ``[-pad, n + pad)`` mirrored half-sample style: ``c b a | a b c``,
    mirrored again as often as needed when ``pad >= n`` (the extension is periodic
    with period ``2n``, as scipy.ndimage's ``'reflect'``)."""
    i = torch.arange(-pad, n + pad, device=device).remainder(2 * n)
    return torch.where(i >= n, 2 * n - 1 - i, i)


def _symmetric_pad(x: torch.Tensor, ph: int, pw: int) -> torch.Tensor:
    """Pad H by ``ph`` and W by ``pw`` on both sides, mirroring the edge pixel too.

    This is MATLAB's ``'symmetric'`` and scipy.ndimage's ``'reflect'`` mode (torch's
    ``'reflect'`` leaves the edge pixel out), for any pad size.
    """
    h, w = x.shape[-2:]
    x = x.index_select(-2, _symmetric_index(h, ph, x.device))
    return x.index_select(-1, _symmetric_index(w, pw, x.device))


def _correlate(
    x: torch.Tensor,
    kernel: torch.Tensor,
    stride: int = 1,
    offset: tuple[int, int] = (0, 0),
) -> torch.Tensor:
    """Per-channel correlation with symmetric padding, sampled at ``offset + stride*j``.

    ``x`` is ``(B, C, H, W)``, ``kernel`` a checked ``(kh, kw)`` or ``(B, kh, kw)``.
    Output ``(B, C, H // stride, W // stride)``.
    """
    b, c, h, w = x.shape
    kh, kw = kernel.shape[-2:]
    # An image smaller than the kernel (ZSSR's smallest fathers at x4) is blurred
    # over its repeated mirror images, as scipy.ndimage.correlate would.
    k = kernel.to(device=x.device, dtype=x.dtype)
    xp = _symmetric_pad(x, kh // 2, kw // 2)
    # Starting the strided windows at the offset is the same as blurring everything and
    # slicing [oy::stride, ox::stride], without computing the discarded pixels.
    xp = xp[..., offset[0] :, offset[1] :]
    if k.ndim == 2:
        weight = k.expand(c, 1, kh, kw)
        out = F.conv2d(xp, weight, stride=stride, groups=c)
    else:
        # One kernel per image: fold the batch into the channels, one group each.
        weight = k.repeat_interleave(c, dim=0)[:, None]
        out = F.conv2d(
            xp.reshape(1, b * c, *xp.shape[-2:]), weight, stride=stride, groups=b * c
        )
        out = out.reshape(b, c, *out.shape[-2:])
    return out[..., : h // stride, : w // stride]


# ----------------------------------------------------------------------- kernels


def _gaussian_grid(
    size: int, cov: torch.Tensor, mean_xy: torch.Tensor | None = None
) -> torch.Tensor:
    """``exp(-d^T cov^-1 d / 2)`` on a ``size x size`` grid, ``d = (x, y) - mean``."""
    centre = (size - 1) / 2.0
    if mean_xy is None:
        mean_xy = torch.tensor([centre, centre], dtype=torch.float64)
    coords = torch.arange(size, dtype=torch.float64)
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")
    d = torch.stack([xx - mean_xy[0], yy - mean_xy[1]], dim=-1)  # (size, size, 2)
    inv = torch.linalg.inv(cov)
    return torch.exp(-0.5 * torch.einsum("...i,ij,...j->...", d, inv, d))


def _check_size(size: int) -> int:
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
        raise ValueError(f"kernel size must be a positive integer, got {size!r}")
    return int(size)


def gaussian_kernel(size: int, sigma: float) -> torch.Tensor:
    """Isotropic Gaussian blur kernel, normalised to sum 1.

    ``k[i, j] ∝ exp(-((i - c)^2 + (j - c)^2) / (2 sigma^2))`` with ``c = (size - 1)/2``.

    Args:
        size: side in pixels (odd if the kernel is to be used by :func:`blur`).
        sigma: standard deviation in pixels, > 0.

    Returns:
        float64 ``(size, size)`` tensor, non-negative, sum 1, symmetric.

    Example:
        >>> k = gaussian_kernel(5, 1.0)
        >>> round(float(k.sum()), 6), tuple(k.shape)
        (1.0, (5, 5))
    """
    size = _check_size(size)
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma!r}")
    cov = torch.eye(2, dtype=torch.float64) * float(sigma) ** 2
    k = _gaussian_grid(size, cov)
    return k / k.sum()


def _covariance(lambda1: float, lambda2: float, theta: float) -> torch.Tensor:
    c, s = math.cos(theta), math.sin(theta)
    rot = torch.tensor([[c, -s], [s, c]], dtype=torch.float64)
    return (
        rot
        @ torch.diag(torch.tensor([lambda1**2, lambda2**2], dtype=torch.float64))
        @ rot.T
    )


def anisotropic_gaussian_kernel(
    size: int, lambda1: float, lambda2: float, theta: float
) -> torch.Tensor:
    """Anisotropic Gaussian blur kernel, normalised to sum 1.

    ``k(d) ∝ exp(-d^T Σ^-1 d / 2)`` with ``d = (x - c, y - c)`` (``x`` = column,
    ``y`` = row, ``c = (size - 1)/2``) and

        ``Σ = R(θ) diag(λ1², λ2²) R(θ)^T``,
        ``R(θ) = [[cos θ, -sin θ], [sin θ, cos θ]]``.

    So ``lambda1`` and ``lambda2`` are the **standard deviations** (pixels) along the
    principal axes, and the ``lambda1`` axis points along ``(cos θ, sin θ)`` in
    ``(x, y)``: ``θ = 0`` is horizontal, and since ``y`` points down a positive ``θ``
    turns it clockwise on screen. (KernelGAN's ``λ`` are variances: see
    :func:`random_kernel`.)

    Args:
        size: side in pixels (odd for :func:`blur`); take ``size >= 6 max(λ)`` if the
            second moments of the kernel must equal ``Σ`` (truncation shrinks them).
        lambda1, lambda2: standard deviations along the principal axes, > 0.
        theta: angle of the ``lambda1`` axis in radians.

    Returns:
        float64 ``(size, size)`` tensor, non-negative, sum 1.

    Example:
        >>> k = anisotropic_gaussian_kernel(21, 3.0, 1.0, 0.0)  # wide horizontally
        >>> bool(k[10, 13] > k[13, 10])
        True
    """
    size = _check_size(size)
    if not (lambda1 > 0 and lambda2 > 0):
        raise ValueError(
            f"lambda1 and lambda2 must be > 0, got {lambda1!r}, {lambda2!r}"
        )
    k = _gaussian_grid(size, _covariance(float(lambda1), float(lambda2), float(theta)))
    return k / k.sum()


def kernel_moments(kernel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Centre of mass and covariance of a 2-D kernel seen as a distribution.

    ``m = Σ k(p) p / Σ k``, ``C = Σ k(p) (p - m)(p - m)^T / Σ k`` with ``p = (x, y)``
    (column, row). For :func:`anisotropic_gaussian_kernel` with a large enough size,
    ``C ≈ R(θ) diag(λ1², λ2²) R(θ)^T``.

    Returns:
        ``(mean_xy, cov)``: float64 ``(2,)`` and ``(2, 2)``.

    Example:
        >>> m, c = kernel_moments(gaussian_kernel(31, 2.0))
        >>> [round(float(v), 6) for v in m], round(float(c[0, 0]), 6)
        ([15.0, 15.0], 4.0)
    """
    k = _check_kernel(kernel, None)
    if k.ndim != 2:
        raise ValueError(f"kernel_moments takes one 2-D kernel, got {tuple(k.shape)}")
    w = k / k.sum()
    yy, xx = torch.meshgrid(
        torch.arange(k.shape[0], dtype=torch.float64),
        torch.arange(k.shape[1], dtype=torch.float64),
        indexing="ij",
    )
    p = torch.stack([xx, yy], dim=-1)
    mean = torch.einsum("hw,hwi->i", w, p)
    d = p - mean
    return mean, torch.einsum("hw,hwi,hwj->ij", w, d, d)


def _compose_x2(k: torch.Tensor) -> torch.Tensor:
    """KernelGAN's analytic x4 kernel: ``K = k ∗ (k upsampled x2 by zero insertion)``.

    Degrading by ``k`` and 2 twice equals degrading by ``K`` and 4 (grid offset 0):
    ``y[j] = Σ_u Σ_t k[u] k[t] x[4j + 2u + t - 3c]``. ``n x n -> (3n - 2) x (3n - 2)``.
    """
    n = k.shape[-1]
    up = torch.zeros(2 * n - 1, 2 * n - 1, dtype=k.dtype)
    up[::2, ::2] = k
    # Full convolution = correlation with the flipped kernel over a zero-padded input.
    out = F.conv2d(F.pad(up, (n - 1,) * 4)[None, None], k.flip(-2, -1)[None, None])[
        0, 0
    ]
    return out / out.sum()


def _sample_kernel(
    size: int,
    var_scale: float,
    gen: torch.Generator,
    noise_level: float,
    variance_range: tuple[float, float],
    center: bool,
) -> torch.Tensor:
    lo, hi = variance_range
    u = torch.rand(3, generator=gen, dtype=torch.float64)
    variances = (lo + (hi - lo) * u[:2]) * var_scale
    theta = float((2.0 * u[2] - 1.0) * math.pi)
    # Drawn even when noise_level == 0 so that a seed gives the same Gaussian whatever
    # the noise level.
    noise = torch.rand(size, size, generator=gen, dtype=torch.float64)
    factor = 1.0 + noise_level * (2.0 * noise - 1.0)
    cov = _covariance(math.sqrt(variances[0]), math.sqrt(variances[1]), theta)
    c = (size - 1) / 2.0
    mean = torch.tensor([c, c], dtype=torch.float64)
    k = _gaussian_grid(size, cov, mean) * factor
    if center:
        # The noise moves the centre of mass by a fraction of a pixel. Move the Gaussian
        # the other way (keeping the noise pattern) until the centre of mass is on the
        # middle tap: converges in a few steps and, unlike interpolating the kernel,
        # leaves no negative ringing taps.
        for _ in range(50):
            err = kernel_moments(k)[0] - c
            if float(err.abs().max()) < 1e-10:
                break
            mean = mean - err
            k = _gaussian_grid(size, cov, mean) * factor
    return k / k.sum()


def random_kernel(
    size: int = 11,
    scale: int = 2,
    *,
    seed: Seed = None,
    noise_level: float = 0.4,
    variance_range: tuple[float, float] = (0.6, 5.0),
    center: bool = True,
) -> torch.Tensor:
    """A random blur kernel following the DIV2KRK / KernelGAN recipe.

    For ``scale = 2`` (KernelGAN, section 5): an anisotropic Gaussian on a
    ``size x size`` grid (11 x 11) with covariance ``R(θ) diag(λ1, λ2) R(θ)^T``,
    ``λ1, λ2 ~ U(0.6, 5)``, ``θ ~ U(-π, π)``, each tap multiplied by
    ``U(1 - noise_level, 1 + noise_level)`` (0.4), normalised to sum 1.

    Here ``λ`` are **variances** (px²), i.e. standard deviations in ``[0.77, 2.24]``:
    the 100 DIV2KRK x2 kernels measure 0.78 to 2.17 px, which an 11 x 11 grid could not
    show if 0.6-5 were standard deviations.

    * ``scale = 4``: KernelGAN's analytic x4 kernel. An x2 kernel is drawn as above and
      composed with itself on the x2-upsampled grid (``k ∗ k↑2``): blurring and
      subsampling by 4 with it equals doing the x2 degradation twice. Size
      ``3 size - 2`` (31 x 31, as DIV2KRK's ``gt_k_x4``); covariance 5x the x2 one
      (standard deviations 1.73-5.0; DIV2KRK's measure 1.76-4.78).
    * other integer scales: drawn directly with variances times ``(scale / 2)^2`` on an
      odd grid of side ``size * scale // 2`` (rounded up to odd).

    ``center=True`` moves the centre of mass onto the middle tap (the multiplicative
    noise shifts it by ~0.05 px, up to ~0.16), as in DIV2KRK's stored kernels.
    Kernels stay independent of the subsampling grid, which
    :func:`downscale_with_kernel` owns (its default grid does KernelGAN's sub-pixel
    shift for even scales).

    Args:
        size: side of the x2 kernel (odd).
        scale: integer downscaling factor >= 2.
        seed: see the module docstring; the same seed gives the same kernel.
        noise_level: half-width of the multiplicative noise, in ``[0, 1)``.
        variance_range: range of the covariance eigenvalues at x2, px².
        center: put the centre of mass on the middle tap.

    Returns:
        float64 ``(n, n)`` tensor, non-negative, sum 1.

    Example:
        >>> k = random_kernel(seed=0)
        >>> tuple(k.shape), tuple(random_kernel(scale=4, seed=0).shape)
        ((11, 11), (31, 31))
    """
    size = _check_size(size)
    if size % 2 == 0:
        raise ValueError(f"random_kernel size must be odd, got {size}")
    s = _integer_scale(scale)
    if s < 2:
        raise ValueError(f"random_kernel needs scale >= 2, got {scale!r}")
    if not 0.0 <= noise_level < 1.0:
        raise ValueError(f"noise_level must be in [0, 1), got {noise_level!r}")
    lo, hi = (float(v) for v in variance_range)
    if not 0 < lo <= hi:
        raise ValueError(
            f"variance_range must satisfy 0 < low <= high, got {variance_range}"
        )
    gen = _generator(seed)
    if s == 4:
        base = _sample_kernel(size, 1.0, gen, noise_level, (lo, hi), center)
        return _compose_x2(base)
    n = (size * s // 2) | 1  # round up to odd
    return _sample_kernel(n, (s / 2.0) ** 2, gen, noise_level, (lo, hi), center)


def kernel_to_image(kernel: torch.Tensor | np.ndarray, *, zoom: int = 1) -> np.ndarray:
    """A kernel as a float64 ``(h*zoom, w*zoom)`` image in ``[0, 1]`` for galleries.

    ``img = max(k, 0) / max(k)``, then each tap repeated ``zoom x zoom`` times (nearest
    neighbour, so the taps stay visible). Negative taps (interpolation ringing) show as
    0 rather than shifting the zero level to grey.

    Example:
        >>> kernel_to_image(gaussian_kernel(3, 1.0), zoom=2).shape
        (6, 6)
    """
    k = (
        kernel.detach().cpu().double().numpy()
        if isinstance(kernel, torch.Tensor)
        else np.asarray(kernel, dtype=np.float64)
    )
    if k.ndim != 2:
        raise ValueError(f"kernel must be 2-D, got shape {k.shape}")
    if not isinstance(zoom, int) or zoom < 1:
        raise ValueError(f"zoom must be a positive integer, got {zoom!r}")
    peak = k.max()
    if not peak > 0:
        raise ValueError("kernel has no positive tap")
    img = np.clip(k, 0.0, None) / peak
    return np.kron(img, np.ones((zoom, zoom)))


# ------------------------------------------------------------------ blur / resize


def blur(x: torch.Tensor, kernel: torch.Tensor | np.ndarray) -> torch.Tensor:
    """Correlate every channel of every image with a kernel; output has the input size.

    ``y[b, c, i, j] = Σ_{u, v} k[u, v] x[b, c, i + u - kh//2, j + v - kw//2]``

    (correlation, as scipy.ndimage.correlate and DIV2KRK; for symmetric kernels the
    same as convolution). Outside the image, ``x`` is mirrored half-sample style
    (``c b a | a b c``: MATLAB ``'symmetric'``, scipy ``'reflect'``), so a constant
    image stays constant up to the border. The kernel is used as given (not
    renormalised).

    Args:
        x: ``(B, C, H, W)`` float tensor, any device, any size (an image smaller
            than the kernel is mirrored repeatedly).
        kernel: ``(kh, kw)``, or ``(B, kh, kw)`` one per image; odd sides, sum > 0.

    Returns:
        ``(B, C, H, W)``, dtype and device of ``x``.

    Example:
        >>> delta = torch.zeros(3, 3, dtype=torch.float64); delta[1, 1] = 1
        >>> x = torch.rand(1, 3, 8, 8)
        >>> bool(torch.equal(blur(x, delta), x))
        True
    """
    _check_image(x)
    k = _check_kernel(kernel, x.shape[0])
    return _correlate(x, k)


def _shift_kernel(kernel: torch.Tensor, shift: float) -> torch.Tensor:
    """Move kernel(s) by ``shift`` px along both axes (cubic-spline interpolation).

    ``k'[t] = k[t - shift]``, as KernelGAN's ``kernel_shift`` (scipy.ndimage.shift,
    order 3). One zero tap is added on every side so that no mass falls off; the sum
    is restored exactly. Interpolation leaves tiny negative ringing taps.
    """
    from scipy import ndimage

    arr = kernel.detach().cpu().to(torch.float64).numpy()
    out = []
    for k in arr[None] if arr.ndim == 2 else arr:
        moved = ndimage.shift(np.pad(k, 1), (shift, shift), order=3, mode="constant")
        out.append(moved * (k.sum() / moved.sum()))
    res = torch.from_numpy(np.stack(out))
    return res[0] if arr.ndim == 2 else res


def downscale_with_kernel(
    x: torch.Tensor,
    kernel: torch.Tensor | np.ndarray,
    scale: int,
    *,
    offset: int | tuple[int, int] | None = None,
) -> torch.Tensor:
    """Blur with a kernel, then keep every ``scale``-th pixel: ``LR = (HR ⋆ k)↓s``.

    ``LR[b, c, j, i] = blur(HR, k)[b, c, p_y(j), p_x(i)]``, ``j < H // s``,
    ``i < W // s``, with :func:`blur`'s correlation and symmetric padding.

    Sampling grid (default, ``offset=None``): LR pixel ``j`` sits at HR coordinate
    ``p(j) = s j + (s - 1)/2``, the centre of its ``s x s`` block, which is where
    MATLAB's ``imresize`` (so :func:`bicubic_downscale`) puts it: a symmetric kernel
    then adds no shift. For odd ``s`` that is the integer offset ``(s - 1)/2``. For
    even ``s`` it falls between HR pixels, so the kernel is moved by -0.5 px along both
    axes (cubic-spline interpolation, as KernelGAN's ``kernel_shift``) and sampled at
    offset ``s // 2``. This reproduces the stored DIV2KRK LR (made by KernelGAN's code)
    at about 48 dB (x2) and 49-53 dB (x4) on textured crops of image 43, where the best
    integer offset reaches only 35-45 dB. (KernelGAN moves the kernel's centre of mass
    rather than the kernel by a fixed amount; DIV2KRK's kernels are centred to 0.03 px.)

    With an integer ``offset`` the kernel is used as given and
    ``LR = blur(HR, k)[..., o_y::s, o_x::s]`` (cropped to ``H // s x W // s``): pure
    subsampling for a delta kernel.

    Args:
        x: ``(B, C, H, W)`` float tensor, any device, at least the kernel's size.
        kernel: ``(k, k)`` or ``(B, k, k)``, odd sides, sum > 0 (not renormalised).
        scale: positive integer factor.
        offset: None for the centred grid above, or ``o`` / ``(o_y, o_x)`` in
            ``[0, s)`` for plain subsampling from that pixel.

    Returns:
        ``(B, C, H // s, W // s)``, dtype and device of ``x``.

    Example:
        >>> x = torch.rand(1, 3, 64, 64)
        >>> tuple(downscale_with_kernel(x, random_kernel(seed=1), 2).shape)
        (1, 3, 32, 32)
    """
    _check_image(x)
    k = _check_kernel(kernel, x.shape[0])
    s = _integer_scale(scale)
    if offset is None:
        oy = ox = s // 2
        if s % 2 == 0:
            k = _shift_kernel(k, -0.5)
    else:
        pair = (offset, offset) if isinstance(offset, int | np.integer) else offset
        oy, ox = (int(o) for o in pair)
        if not (0 <= oy < s and 0 <= ox < s):
            raise ValueError(f"offset must lie in [0, {s}), got {offset!r}")
    return _correlate(x, k, stride=s, offset=(oy, ox))


def bicubic_downscale(x: torch.Tensor, scale: float) -> torch.Tensor:
    """The standard SR degradation: MATLAB ``imresize(x, 1/scale, 'bicubic')``.

    Antialiased Keys cubic (a = -0.5), symmetric borders, LR pixel ``j`` at HR
    coordinate ``s j + (s - 1)/2`` (see :func:`srcore.resize.imresize`). Output size
    ``ceil(H / s) x ceil(W / s)`` (exactly ``H/s x W/s`` after ``modcrop``); not
    clipped or quantised.

    Example:
        >>> tuple(bicubic_downscale(torch.rand(1, 3, 48, 48), 3).shape)
        (1, 3, 16, 16)
    """
    from srcore.resize import imresize

    _check_image(x)
    ok = isinstance(scale, int | float | np.integer | np.floating) and not isinstance(
        scale, bool
    )
    if not ok or not math.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale must be a positive number, got {scale!r}")
    h, w = x.shape[-2:]
    if scale == int(scale) and h % int(scale) == 0 and w % int(scale) == 0:
        # Same result as scale=1/s, without trusting ceil(H * (1/s)) in floating point.
        return imresize(x, size=(h // int(scale), w // int(scale)))
    return imresize(x, 1.0 / scale)


# ------------------------------------------------------------------- noise / JPEG


def _check_sigma(sigma: float) -> float:
    if (
        isinstance(sigma, bool)
        or not isinstance(sigma, int | float | np.floating)
        or not (math.isfinite(sigma) and sigma >= 0)
    ):
        raise ValueError(f"sigma must be a finite number >= 0, got {sigma!r}")
    return float(sigma)


def _randn_like(x: torch.Tensor, seed: Seed) -> torch.Tensor:
    n = torch.randn(x.shape, generator=_generator(seed), dtype=torch.float32)
    return n.to(device=x.device, dtype=x.dtype)


def add_gaussian_noise(
    x: torch.Tensor, sigma: float, seed: Seed = None
) -> torch.Tensor:
    """Additive white Gaussian noise: ``y = x + sigma n``, ``n ~ N(0, 1)`` per value.

    ``sigma`` is on the ``[0, 1]`` intensity scale: the usual "noise level 10" of
    8-bit papers is ``sigma = 10/255``. Not clipped (quantise afterwards).

    Example:
        >>> y = add_gaussian_noise(torch.full((1, 3, 64, 64), 0.5), 10 / 255, seed=0)
        >>> round(float((y - 0.5).std()) * 255)
        10
    """
    _check_image(x)
    sigma = _check_sigma(sigma)
    return x + sigma * _randn_like(x, seed)


def add_speckle_noise(x: torch.Tensor, sigma: float, seed: Seed = None) -> torch.Tensor:
    """Multiplicative (speckle) noise: ``y = x + x n``, ``n ~ N(0, sigma^2)`` per value.

    The noise std at a pixel is ``sigma x``: none where the image is black. ``sigma``
    is relative (``0.1`` = 10 % of the intensity). Not clipped.

    Example:
        >>> y = add_speckle_noise(torch.zeros(1, 1, 4, 4), 0.5, seed=0)
        >>> bool((y == 0).all())
        True
    """
    _check_image(x)
    sigma = _check_sigma(sigma)
    return x + x * (sigma * _randn_like(x, seed))


def jpeg(x: torch.Tensor, quality: int) -> torch.Tensor:
    """JPEG-compress and decode each image of the batch with PIL (libjpeg).

    Each image is rounded to uint8 (clipped to ``[0, 1]``), saved as baseline JPEG at
    ``quality`` with PIL's defaults (4:2:0 chroma subsampling for RGB, standard
    quantisation tables scaled by ``quality``) and read back. Works for C = 1 or 3.

    Args:
        x: ``(B, C, H, W)``, any device.
        quality: integer in ``[1, 95]`` (PIL advises against more than 95).

    Returns:
        ``(B, C, H, W)`` on the 8-bit grid, dtype and device of ``x``.

    Example:
        >>> y = jpeg(torch.rand(2, 3, 16, 16), quality=75)
        >>> tuple(y.shape)
        (2, 3, 16, 16)
    """
    _check_image(x)
    if (
        isinstance(quality, bool)
        or not isinstance(quality, int | np.integer)
        or not (1 <= quality <= 95)
    ):
        raise ValueError(f"JPEG quality must be an integer in [1, 95], got {quality!r}")
    if x.shape[1] not in (1, 3):
        raise ValueError(f"jpeg needs 1 or 3 channels, got {x.shape[1]}")
    arr = torch.round(x.detach().clamp(0, 1) * 255).to(torch.uint8).cpu().numpy()
    out = []
    for img in arr:
        pil = (
            Image.fromarray(img[0])
            if img.shape[0] == 1
            else Image.fromarray(img.transpose(1, 2, 0))
        )
        buf = io.BytesIO()
        pil.save(buf, format="JPEG", quality=int(quality))
        buf.seek(0)
        with Image.open(buf) as dec:
            back = np.asarray(dec.convert(pil.mode), dtype=np.uint8)
        out.append(back[None] if back.ndim == 2 else back.transpose(2, 0, 1))
    y = torch.from_numpy(np.stack(out)).to(torch.float32) / 255.0
    return y.to(device=x.device, dtype=x.dtype)


# ----------------------------------------------------------------------- pipeline


def degrade(
    hr: torch.Tensor,
    scale: int,
    *,
    kernel: torch.Tensor | np.ndarray | None = None,
    noise_sigma: float = 0.0,
    jpeg_quality: int | None = None,
    seed: Seed = None,
    quantize_output: bool = True,
) -> torch.Tensor:
    """Make an LR image: downscale, add noise, JPEG, quantise to 8 bit (in that order).

    ``LR = Q(JPEG_q(D_s(HR) + sigma n))`` with ``D_s`` = :func:`bicubic_downscale`
    when ``kernel`` is None, else :func:`downscale_with_kernel` (centred grid);
    ``n ~ N(0, 1)`` drawn from ``seed``; each stage skipped when off
    (``noise_sigma = 0``, ``jpeg_quality = None``); ``Q`` = round to the 8-bit grid
    with clipping (:func:`srcore.imageops.quantize`).

    Args:
        hr: ``(B, C, H, W)`` in ``[0, 1]``; ``H`` and ``W`` multiples of ``scale``
            (``srcore.imageops.modcrop`` first).
        scale: positive integer factor.
        kernel: blur kernel ``(k, k)`` or ``(B, k, k)``, or None for bicubic.
        noise_sigma: Gaussian noise std on the ``[0, 1]`` scale (e.g. ``10/255``).
        jpeg_quality: ``1..95``, or None for no JPEG.
        seed: for the noise; same seed, same output.
        quantize_output: round to the 8-bit grid at the end (as stored LR images are).

    Returns:
        ``(B, C, H // s, W // s)``, dtype and device of ``hr``.

    Example:
        >>> lr = degrade(torch.rand(1, 3, 64, 64), 4, noise_sigma=5 / 255, seed=0)
        >>> tuple(lr.shape), bool(torch.equal(lr, torch.round(lr * 255) / 255))
        ((1, 3, 16, 16), True)
    """
    from srcore.imageops import quantize

    _check_image(hr, "hr")
    s = _integer_scale(scale)
    h, w = hr.shape[-2:]
    if h % s or w % s:
        raise ValueError(
            f"HR size {h}x{w} is not a multiple of scale {s}; crop it first "
            "(srcore.imageops.modcrop)"
        )
    lr = (
        bicubic_downscale(hr, s)
        if kernel is None
        else downscale_with_kernel(hr, kernel, s)
    )
    if _check_sigma(noise_sigma) > 0:
        lr = add_gaussian_noise(lr, noise_sigma, seed)
    if jpeg_quality is not None:
        lr = jpeg(lr, jpeg_quality)
    return quantize(lr) if quantize_output else lr


# ------------------------------------------------------------ random-kernel data


def stable_seed(*parts: object) -> int:
    """A seed from names (``"BSD100", "3096", 4``), the same on every machine and run.

    Python's ``hash`` of a string changes between processes; CRC-32 of the joined
    text does not, so an image's test kernel is fixed by its name and the scale.
    """
    import zlib

    return zlib.crc32("/".join(str(p) for p in parts).encode())


def degrade_random_kernel(hr: torch.Tensor, scale: int, seed: Seed) -> torch.Tensor:
    """``LR = Q((HR ⋆ k)↓s)`` with ``k = random_kernel(scale=scale, seed=seed)``.

    The random-kernel test images of report 004 (and ZSSR's non-ideal case) when a
    dataset does not ship its own LR: one DIV2KRK-style kernel per image, drawn from
    a seed such as :func:`stable_seed` of the image's name.
    """
    return degrade(hr, scale, kernel=random_kernel(scale=scale, seed=seed))


def random_kernel_degradation(scale: int):
    """A patch-sampler degradation: each HR patch gets its own DIV2KRK-style kernel.

    Returns ``f(hr (B, C, P, P)) -> lr (B, C, P/s, P/s)``, 8-bit. The B kernels are
    drawn from torch's global generator, which
    :class:`srcore.training.patches.PatchSampler`
    forks and seeds from ``(seed, step)``: a training batch is still a pure function
    of its step. The patch borders are padded symmetrically by the blur, as a whole
    image's are.
    """
    s = _integer_scale(scale)

    def apply(hr: torch.Tensor) -> torch.Tensor:
        seeds = torch.randint(2**62, (hr.shape[0],)).tolist()
        kernels = torch.stack([random_kernel(scale=s, seed=int(k)) for k in seeds])
        return degrade(hr, s, kernel=kernels)

    return apply
