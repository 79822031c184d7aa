"""Blur-kernel constructors: Gaussian, anisotropic Gaussian, DIV2KRK-style random.

Kernels are float64 ``(k, k)`` tensors, non-negative, summing to 1, indexed
``kernel[row, col]``; ``x`` is the column and ``y`` the row (pointing down).

Reference: Bell-Kligler, Shocher, Irani, "Blind Super-Resolution Kernel Estimation
using an Internal-GAN" (KernelGAN, NeurIPS 2019), section 5 (the DIV2KRK recipe).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from srcore.degrade.checks import Seed, check_kernel, integer_scale, torch_generator


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
    """Isotropic Gaussian, ``k[i, j] ∝ exp(-((i - c)² + (j - c)²) / 2σ²)``,
    ``c = (size - 1)/2``, sum 1.

    Example:
        >>> k = gaussian_kernel(5, 1.0)
        >>> round(float(k.sum()), 6), tuple(k.shape)
        (1.0, (5, 5))
    """
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma!r}")
    return anisotropic_gaussian_kernel(size, sigma, sigma, 0.0)


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
    """Anisotropic Gaussian, ``k(d) ∝ exp(-d^T Σ^-1 d / 2)``, sum 1, with
    ``d = (x - c, y - c)``, ``Σ = R(θ) diag(λ1², λ2²) R(θ)^T``,
    ``R(θ) = [[cos θ, -sin θ], [sin θ, cos θ]]``.

    ``lambda1``, ``lambda2`` are **standard deviations** (px) along the principal
    axes (KernelGAN's are variances: :func:`random_kernel`); ``θ = 0`` puts the
    ``lambda1`` axis horizontal.

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
    """Centre of mass ``m = Σ k(p) p / Σ k`` and covariance
    ``C = Σ k(p) (p - m)(p - m)^T / Σ k`` of a 2-D kernel, ``p = (x, y)``:
    float64 ``(2,)`` and ``(2, 2)``.

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
    out = F.conv2d(F.pad(up, (n - 1,) * 4)[None, None], k.flip(-2, -1)[None, None])
    return out[0, 0] / out.sum()


def center_kernel(kernel: torch.Tensor | np.ndarray, rounds: int = 5) -> torch.Tensor:
    """Move a kernel's centre of mass onto its middle tap (sub-pixel, cubic spline),
    as DIV2KRK's are: no LR image reveals a shift. One zero tap added on every side,
    negative ringing taps clipped: float64 ``(n + 2, n + 2)``, sum 1.

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
    """MATLAB's antialiased cubic for ``imresize(·, 1/scale)`` as a blur kernel:
    ``w(t) = cubic((t - shift) / s) / s`` at the integer offsets ``t`` from the
    middle of an odd ``size x size`` grid (outer product, sum 1).

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
    """Relative L2 distance of two centred kernels, ``||k_est - k|| / ||k||``, the
    smaller zero-padded to the larger's (odd) size, middle taps aligned.

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
    """How much more an estimated kernel blurs than the true one in its worst
    direction: ``max_u u^T (C_est - C_true) u`` over unit ``u`` (px², covariances of
    :func:`kernel_moments`); positive means inverting it over-sharpens.

    Example:
        >>> wide = anisotropic_gaussian_kernel(31, 3.0, 1.0, 0.0)  # wide along x
        >>> tall = anisotropic_gaussian_kernel(31, 3.0, 1.0, math.pi / 2)
        >>> round(excess_blur(kernel_moments(tall)[1], kernel_moments(wide)[1]), 2)
        8.0
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


#: The range of the x2 Gaussian's principal **variances** (px²) in
#: :func:`random_kernel`: what fits DIV2KRK's measured 0.78-2.17 px.
VARIANCE_RANGE = (0.6, 5.0)


def _sample_kernel(
    size: int,
    var_scale: float,
    gen: torch.Generator,
    noise_level: float,
    center: bool,
) -> torch.Tensor:
    lo, hi = VARIANCE_RANGE
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
        # Move the Gaussian (not the noise pattern) against the centre-of-mass error:
        # unlike interpolating the kernel, this leaves no negative ringing taps.
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
    center: bool = True,
) -> torch.Tensor:
    """A random blur kernel by the DIV2KRK / KernelGAN recipe (section 5).

    x2: an anisotropic Gaussian on a ``size x size`` grid with covariance
    ``R(θ) diag(λ1, λ2) R(θ)^T``, ``λ ~ U(VARIANCE_RANGE)``, ``θ ~ U(-π, π)``,
    each tap times ``U(1 - noise_level, 1 + noise_level)``, sum 1. x4:
    :func:`compose_x2` of an x2 draw (31 x 31, as DIV2KRK's ``gt_k_x4``); other
    scales: variances times ``(scale / 2)²`` on an odd grid of side
    ``size * scale // 2``. ``center`` puts the centre of mass on the middle tap.

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
    gen = torch_generator(seed)
    if s == 4:
        return compose_x2(_sample_kernel(size, 1.0, gen, noise_level, center))
    n = (size * s // 2) | 1  # round up to odd
    return _sample_kernel(n, (s / 2.0) ** 2, gen, noise_level, center)


def kernel_to_image(kernel: torch.Tensor | np.ndarray, *, zoom: int = 1) -> np.ndarray:
    """A kernel as a float64 ``(h*zoom, w*zoom)`` image, ``max(k, 0) / max(k)``,
    each tap repeated ``zoom x zoom`` times (nearest neighbour) for galleries."""
    k = torch.as_tensor(kernel).detach().cpu().to(torch.float64).numpy()
    if k.ndim != 2:
        raise ValueError(f"kernel must be 2-D, got shape {k.shape}")
    if not isinstance(zoom, int) or zoom < 1:
        raise ValueError(f"zoom must be a positive integer, got {zoom!r}")
    peak = k.max()
    if not peak > 0:
        raise ValueError("kernel has no positive tap")
    img = np.clip(k, 0.0, None) / peak
    return np.kron(img, np.ones((zoom, zoom)))
