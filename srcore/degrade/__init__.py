"""Degradation models: how a low-resolution (LR) image is made from a high-res one.

* **Bicubic** (the classic benchmarks): ``LR = imresize(HR, 1/s)``, MATLAB's
  antialiased bicubic, :func:`bicubic_downscale`.
* **Blur kernel + subsampling** (DIV2KRK, KernelGAN, ZSSR): ``LR = (HR ⋆ k)↓s``,
  :func:`downscale_with_kernel` with e.g. :func:`random_kernel`.

:func:`degrade` chains either with Gaussian noise, JPEG and 8-bit quantisation.
Kernel constructors (``kernels``) stand apart from the operators (``ops``,
``noise``) and the recipes (``recipes``); everything random takes a ``seed``.

Example:
    >>> import torch
    >>> from srcore import degrade as D
    >>> lr = D.degrade(torch.rand(1, 3, 32, 32), 2, kernel=D.random_kernel(seed=0))
    >>> tuple(lr.shape)
    (1, 3, 16, 16)
"""

# ruff: noqa: F401 (the package re-exports its modules' public names)

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
from srcore.degrade.noise import add_gaussian_noise, jpeg
from srcore.degrade.ops import bicubic_downscale, blur, downscale_with_kernel
from srcore.degrade.recipes import (
    degrade,
    degrade_random_kernel,
    random_kernel_degradation,
    stable_seed,
)
