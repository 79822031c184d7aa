"""Blur-kernel constructors: Gaussian, anisotropic Gaussian, DIV2KRK-style random.

The kernels the operators of :mod:`srcore.degrade.ops` apply. They are float64
``(k, k)`` tensors, non-negative, summing to 1, indexed ``kernel[row, col]``; where a
direction matters, ``x`` is the column and ``y`` the row (pointing down).
:func:`kernel_moments` measures a kernel as a distribution and
:func:`kernel_to_image` draws it for galleries.

References:
    Bell-Kligler, Shocher, Irani, "Blind Super-Resolution Kernel Estimation using an
    Internal-GAN" (KernelGAN, NeurIPS 2019), section 5 (the DIV2KRK recipe).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from srcore.degrade.checks import Seed, check_kernel, integer_scale, torch_generator

__all__ = [
    "gaussian_kernel",
    "anisotropic_gaussian_kernel",
    "random_kernel",
    "kernel_moments",
    "kernel_to_image",
    "compose_x2",
    "center_kernel",
    "bicubic_kernel",
    "kernel_error",
]


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
    k = check_kernel(kernel, None)
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


def compose_x2(k: torch.Tensor) -> torch.Tensor:
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


def center_kernel(kernel: torch.Tensor | np.ndarray, rounds: int = 5) -> torch.Tensor:
    """Move a kernel's centre of mass onto its middle tap (sub-pixel, cubic spline).

    A shift of the kernel is a shift of the image, which no LR image can reveal, so
    estimated kernels are centred as DIV2KRK's are (KernelGAN's ``kernel_shift`` does
    the same on its own grid). One zero tap is added on every side, negative ringing
    taps are clipped and the sum is 1; a few rounds bring the centre within ~1e-3 px.

    Returns:
        float64 ``(n + 2, n + 2)``, non-negative, sum 1.

    Example:
        >>> k = torch.zeros(5, 5, dtype=torch.float64); k[1, 3] = 1.0
        >>> [round(float(v), 3) for v in kernel_moments(center_kernel(k))[0]]
        [3.0, 3.0]
    """
    from scipy import ndimage

    k = np.pad(np.asarray(torch.as_tensor(kernel, dtype=torch.float64)), 1)
    k = np.clip(k, 0.0, None)
    middle = (k.shape[0] - 1) / 2.0
    for _ in range(rounds):
        mean = kernel_moments(torch.from_numpy(k))[0].numpy()  # (x, y)
        shift = (middle - mean[1], middle - mean[0])  # (rows, cols)
        if max(abs(v) for v in shift) < 1e-4:
            break
        k = np.clip(ndimage.shift(k, shift, order=3, mode="constant"), 0.0, None)
        k = k / k.sum()
    return torch.from_numpy(k / k.sum())


def bicubic_kernel(scale: int = 2, size: int = 13, shift: float = 0.0) -> torch.Tensor:
    """The kernel a method assumes when it assumes bicubic: MATLAB's antialiased
    cubic for ``imresize(·, 1/scale)``, ``w(t) = cubic((t - shift) / s) / s``, at the
    integer offsets ``t`` from the middle of an odd ``size x size`` grid (outer
    product, sum 1); ``shift`` moves it off the middle tap.

    On :func:`~srcore.degrade.ops.downscale_with_kernel`'s grid (which moves an odd
    kernel by half a pixel for even scales) it reproduces ``imresize`` to about 69 dB
    at x2 (``size=13``) and 88 dB at x4 (``size=25``) on a smooth random image.

    Example:
        >>> k = bicubic_kernel(2)
        >>> tuple(k.shape), round(float(k.sum()), 6), bool((k[6, 6] == k.max()))
        ((13, 13), 1.0, True)
    """
    from srcore.resize import KERNELS

    if size % 2 == 0:
        raise ValueError(f"bicubic_kernel size must be odd, got {size}")
    cubic = KERNELS["bicubic"][0]
    t = np.arange(size, dtype=np.float64) - (size - 1) / 2.0 - shift
    w = cubic(t / scale) / scale
    k = np.outer(w, w)
    return torch.from_numpy(k / k.sum())


def kernel_error(
    estimate: torch.Tensor | np.ndarray, truth: torch.Tensor | np.ndarray
) -> float:
    """Relative L2 distance of two centred kernels: ``||k_est - k|| / ||k||``, after
    zero-padding the smaller to the larger's (odd) size, middle taps aligned.

    0 for the true kernel; a delta against a wide kernel gives more than 1.

    Example:
        >>> k = gaussian_kernel(11, 1.5)
        >>> kernel_error(k, k), round(kernel_error(gaussian_kernel(11, 2.5), k), 2)
        (0.0, 0.53)
    """
    a = torch.as_tensor(estimate, dtype=torch.float64)
    b = torch.as_tensor(truth, dtype=torch.float64)
    n = max(a.shape[-1], b.shape[-1])

    def pad(k: torch.Tensor) -> torch.Tensor:
        p = (n - k.shape[-1]) // 2
        return F.pad(k, (p, p, p, p))

    a, b = pad(a), pad(b)
    return float(torch.linalg.norm(a - b) / torch.linalg.norm(b))


def excess_blur(
    cov_estimate: torch.Tensor | np.ndarray, cov_truth: torch.Tensor | np.ndarray
) -> float:
    """How much more an estimated kernel blurs than the true one, in its worst
    direction: the largest eigenvalue of ``C_est - C_true`` (pixels², covariances of
    :func:`kernel_moments`).

    ``max_u u^T (C_est - C_true) u`` over unit directions ``u``: positive when the
    estimate claims blur along some direction that the image does not have, so a
    method inverting it sharpens beyond the truth there (ringing); zero or negative
    when the estimate is nowhere wider than the truth, so it only under-corrects,
    as a bicubic assumption does on a wider kernel.

    Example:
        >>> wide = anisotropic_gaussian_kernel(31, 3.0, 1.0, 0.0)  # wide along x
        >>> tall = anisotropic_gaussian_kernel(31, 3.0, 1.0, math.pi / 2)
        >>> round(excess_blur(kernel_moments(tall)[1], kernel_moments(wide)[1]), 2)
        8.0
        >>> excess_blur(kernel_moments(wide)[1], kernel_moments(wide)[1]) < 1e-9
        True
    """
    a = torch.as_tensor(cov_estimate, dtype=torch.float64)
    b = torch.as_tensor(cov_truth, dtype=torch.float64)
    if a.shape != (2, 2) or b.shape != (2, 2):
        raise ValueError(
            f"excess_blur takes two 2x2 covariances, got {tuple(a.shape)} "
            f"and {tuple(b.shape)}"
        )
    d = a - b
    return float(torch.linalg.eigvalsh((d + d.T) / 2)[-1])


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
        seed: a :data:`~srcore.degrade.checks.Seed`; the same seed gives the same
            kernel.
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
    s = integer_scale(scale)
    if s < 2:
        raise ValueError(f"random_kernel needs scale >= 2, got {scale!r}")
    if not 0.0 <= noise_level < 1.0:
        raise ValueError(f"noise_level must be in [0, 1), got {noise_level!r}")
    lo, hi = (float(v) for v in variance_range)
    if not 0 < lo <= hi:
        raise ValueError(
            f"variance_range must satisfy 0 < low <= high, got {variance_range}"
        )
    gen = torch_generator(seed)
    if s == 4:
        base = _sample_kernel(size, 1.0, gen, noise_level, (lo, hi), center)
        return compose_x2(base)
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
