"""Degradation models: how a low-resolution (LR) image is made from a high-res one.

Two families are used in the SR literature:

* **Bicubic** (the classic benchmarks): ``LR = imresize(HR, 1/s)``, MATLAB's
  antialiased bicubic, see :func:`bicubic_downscale`.
* **Blur kernel + subsampling** (DIV2KRK, KernelGAN, ZSSR):
  ``LR = (HR ⋆ k)↓s``, a correlation with a blur kernel ``k`` followed by keeping every
  ``s``-th pixel, see :func:`downscale_with_kernel` and :func:`random_kernel`.

:func:`degrade` chains either of them with additive Gaussian noise, JPEG compression
and 8-bit quantisation, in that order.

The package is laid out as kornia's filters: kernel constructors
(:mod:`~srcore.degrade.kernels`) apart from the operators that apply them
(:mod:`~srcore.degrade.ops`: blur and downscaling; :mod:`~srcore.degrade.noise`:
noise and JPEG), the named recipes built from both (:mod:`~srcore.degrade.recipes`)
and the argument checks they share (:mod:`~srcore.degrade.checks`). Everything
public is importable from here: ``from srcore.degrade import random_kernel``.

Conventions: images are float ``(B, C, H, W)`` tensors in ``[0, 1]`` on any device.
Kernels are float64 ``(k, k)`` tensors (or ``(B, k, k)``, one per image), indexed
``kernel[row, col]``; where a direction matters, ``x`` is the column and ``y`` the row
(pointing down). Everything random takes ``seed``: an ``int``, a CPU
``torch.Generator``, a ``numpy.random.Generator`` or ``None`` (torch's global
generator, so ``torch.manual_seed`` governs it). Random numbers are drawn on the CPU and
then moved, so a seed gives the same result on every device.

Example:
    >>> import torch
    >>> from srcore import degrade as D
    >>> lr = D.degrade(torch.rand(1, 3, 32, 32), 2, kernel=D.random_kernel(seed=0))
    >>> tuple(lr.shape)
    (1, 3, 16, 16)

References:
    Bell-Kligler, Shocher, Irani, "Blind Super-Resolution Kernel Estimation using an
    Internal-GAN" (KernelGAN, NeurIPS 2019), section 5 (the DIV2KRK recipe).
    Shocher, Cohen, Irani, "Zero-Shot Super-Resolution using Deep Internal Learning"
    (ZSSR, CVPR 2018).
"""

from srcore.degrade.checks import Seed
from srcore.degrade.kernels import (
    anisotropic_gaussian_kernel,
    bicubic_kernel,
    center_kernel,
    compose_x2,
    excess_blur,
    gaussian_kernel,
    kernel_error,
    kernel_moments,
    kernel_to_image,
    random_kernel,
)
from srcore.degrade.noise import add_gaussian_noise, add_speckle_noise, jpeg
from srcore.degrade.ops import bicubic_downscale, blur, downscale_with_kernel
from srcore.degrade.recipes import (
    degrade,
    degrade_random_kernel,
    random_kernel_degradation,
    stable_seed,
)

__all__ = [
    "Seed",
    "gaussian_kernel",
    "anisotropic_gaussian_kernel",
    "random_kernel",
    "kernel_moments",
    "kernel_to_image",
    "compose_x2",
    "center_kernel",
    "bicubic_kernel",
    "kernel_error",
    "excess_blur",
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
