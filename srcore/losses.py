"""Training losses: pixel (L1, MSE, Charbonnier), DoG pyramid, VGG perceptual, GAN.

The image losses take the prediction ``x`` and target ``y``, ``(B, C, H, W)``, and
return the mean over all elements (papers that *sum* differ by a constant factor,
which only rescales the learning rate); the GAN losses take discriminator logits.
"""

from __future__ import annotations

import contextlib
import math

import torch
import torch.nn.functional as F
from torch import nn

from srcore.degrade import gaussian_kernel
from srcore.vgg import vgg19_features

#: torchvision's ImageNet normalisation, the input convention of its VGG weights.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _check_pair(x: torch.Tensor, y: torch.Tensor) -> None:
    if x.shape != y.shape:
        raise ValueError(f"shape mismatch: {tuple(x.shape)} vs {tuple(y.shape)}")


def l1(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean absolute error: ``mean |x - y|``.

    Example:
        >>> float(l1(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 1.0])))
        0.5
    """
    _check_pair(x, y)
    return (x - y).abs().mean()


def mse(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean squared error: ``mean (x - y)^2`` (SRCNN, VDSR, SRResNet-MSE).

    Example:
        >>> float(mse(torch.tensor([0.0, 2.0]), torch.tensor([1.0, 1.0])))
        1.0
    """
    _check_pair(x, y)
    return (x - y).square().mean()


def charbonnier(x: torch.Tensor, y: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """Charbonnier penalty, a differentiable L1: ``mean sqrt((x - y)^2 + eps^2)``.

    ε convention: LapSRN's ``ρ(x) = sqrt(x^2 + ε^2)`` with ``ε = 1e-3``, i.e. ``1e-6``
    *inside* the square root (``sqrt(d^2 + 1e-3)`` would be a much smoother loss).
    Its minimum, at ``x == y``, is ``eps``.

    Example:
        >>> z = torch.zeros(2, 1, 4, 4)
        >>> round(float(charbonnier(z, z)), 6)
        0.001

    Reference:
        Lai et al., "Deep Laplacian Pyramid Networks for Fast and Accurate
        Super-Resolution", CVPR 2017, eq. (1); Charbonnier et al., ICIP 1994.
    """
    _check_pair(x, y)
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps!r}")
    return torch.sqrt((x - y).square() + eps * eps).mean()


def _gaussian_1d(
    sigma: float, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    # Radius ceil(3 sigma) keeps 99.7 % of the mass; the 1-D kernel is the marginal of
    # the normalised 2-D one, so the separable blur equals blurring with it.
    size = 2 * math.ceil(3 * sigma) + 1
    return gaussian_kernel(size, sigma).sum(dim=0).to(device=device, dtype=dtype)


def _blur(x: torch.Tensor, k1: torch.Tensor) -> torch.Tensor:
    """Separable Gaussian blur of each channel; edges replicated, size unchanged."""
    c, r = x.shape[1], k1.numel() // 2
    kh = k1.view(1, 1, -1, 1).expand(c, 1, -1, 1)
    kw = k1.view(1, 1, 1, -1).expand(c, 1, 1, -1)
    x = F.conv2d(F.pad(x, (0, 0, r, r), mode="replicate"), kh, groups=c)
    return F.conv2d(F.pad(x, (r, r, 0, 0), mode="replicate"), kw, groups=c)


def dog_pyramid(
    x: torch.Tensor, levels: int = 6, sigma: float = 3.0
) -> list[torch.Tensor]:
    """Difference-of-Gaussians pyramid ``[DoG_0, ..., DoG_{k-1}, K^k x]``, full size.

    ``K`` is a Gaussian blur of std ``sigma`` px (edges replicated), ``K^0`` the
    identity, ``DoG_i = K^i x - K^{i+1} x``: the ``levels + 1`` tensors, shaped like
    ``x``, sum to ``x``.

    Example:
        >>> x = torch.rand(1, 1, 32, 32)
        >>> pyr = dog_pyramid(x, levels=3)
        >>> len(pyr), bool(torch.allclose(sum(pyr), x, atol=1e-6))
        (4, True)
    """
    if levels < 1:
        raise ValueError(f"levels must be >= 1, got {levels}")
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma!r}")
    k1 = _gaussian_1d(sigma, x.dtype, x.device)
    bands, current = [], x
    for _ in range(levels):
        blurred = _blur(current, k1)
        bands.append(current - blurred)
        current = blurred
    bands.append(current)
    return bands


def dog_pyramid_loss(
    x: torch.Tensor,
    y: torch.Tensor,
    levels: int = 6,
    sigma: float = 3.0,
    weight: float = 10.0,
) -> torch.Tensor:
    """Difference-of-Gaussians pyramid loss: weighted MSE per frequency band.

    ``L = W * sum_{i=0}^{k-1} MSE(DoG_i x, DoG_i y) + MSE(K^k x, K^k y)`` with the
    pyramid of :func:`dog_pyramid` (``k = 6``, ``sigma = 3`` px, ``W = 10``: the
    report's settings, §2.3 and §3.3). The report's formula is ambiguous; as its text
    and the author's code (github.com/mohit1997/OZSSR, ``laploss.py``) do, the bands
    start at the image (``K^0`` = identity, so the band ``x - K x`` is kept) and
    ``W`` weights the bands, not the low-pass. No decimation between levels.

    Example:
        >>> y = torch.rand(1, 1, 24, 24)
        >>> round(float(dog_pyramid_loss(y + 0.1, y)), 6)  # a constant offset: low-pass
        0.01

    Reference:
        Goyal, "Online Super-Resolution using Deep Internal Learning", §2.3.
    """
    _check_pair(x, y)
    # The pyramid is linear, so the pyramid of the difference is the difference.
    bands = dog_pyramid(x - y, levels, sigma)
    detail = sum(b.square().mean() for b in bands[:-1])
    return weight * detail + bands[-1].square().mean()


class PerceptualLoss(nn.Module):
    """VGG19 feature loss ``mean (s φ_l(n(x)) - s φ_l(n(y)))^2``, SRGAN's ``l_VGG/i,j``.

    ``φ_l`` is :func:`srcore.vgg.vgg19_features` cut at ``layer`` (``"relu5_4"`` =
    VGG54), ``n`` torchvision's ImageNet normalisation (a 1-channel input is repeated
    to RGB) and ``s = feature_scale``: SRGAN's ``1 / 12.75``, calibrated for its Caffe
    VGG, so with torchvision's weights it keeps the paper's recipe, not its loss
    magnitude. ``pretrained=False`` gives random features, for plumbing tests only.

    Example:
        >>> loss = PerceptualLoss("relu2_2", pretrained=False)
        >>> y = torch.rand(1, 3, 32, 32)
        >>> float(loss(y, y))
        0.0

    Reference:
        Ledig et al., CVPR 2017, §2.2 eq. (5) and §3.2 (the 1/12.75 rescaling).
    """

    def __init__(
        self,
        layer: str = "relu5_4",
        *,
        feature_scale: float = 1.0 / 12.75,
        pretrained: bool = True,
        device: str | torch.device = "cpu",
    ) -> None:
        super().__init__()
        self.layer = layer
        self.feature_scale = float(feature_scale)
        self.features = vgg19_features(layer, pretrained=pretrained, device=device)
        mean = torch.tensor(IMAGENET_MEAN, device=device).view(1, 3, 1, 1)
        std = torch.tensor(IMAGENET_STD, device=device).view(1, 3, 1, 1)
        self.register_buffer("mean", mean, persistent=False)
        self.register_buffer("std", std, persistent=False)

    def train(self, mode: bool = True) -> PerceptualLoss:
        # The VGG stays in eval mode whatever the enclosing model does.
        super().train(mode)
        self.features.eval()
        return self

    def _phi(self, img: torch.Tensor) -> torch.Tensor:
        if img.shape[1] == 1:
            img = img.expand(-1, 3, -1, -1)
        elif img.shape[1] != 3:
            raise ValueError(f"expected 1 or 3 channels, got {img.shape[1]}")
        return self.features((img - self.mean) / self.std) * self.feature_scale

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Scalar loss; gradients flow to ``x`` (and to ``y`` if it requires them)."""
        _check_pair(x, y)
        with contextlib.nullcontext() if y.requires_grad else torch.no_grad():
            target = self._phi(y)
        return (self._phi(x) - target).square().mean()


def adversarial_loss_generator(d_fake_logits: torch.Tensor) -> torch.Tensor:
    """SRGAN generator loss ``mean -log D(G(z))`` = ``mean softplus(-logit)``, the
    non-saturating form (eq. 6) with the batch mean for the paper's sum.

    Example:
        >>> round(float(adversarial_loss_generator(torch.zeros(4, 1))), 6)  # log 2
        0.693147
    """
    return F.binary_cross_entropy_with_logits(
        d_fake_logits, torch.ones_like(d_fake_logits)
    )


def adversarial_loss_discriminator(
    d_real_logits: torch.Tensor, d_fake_logits: torch.Tensor
) -> torch.Tensor:
    """SRGAN discriminator loss ``mean -log D(x_HR) + mean -log(1 - D(G(z)))``.

    Both terms summed (the negated value function of eq. 2); detach the generated
    images when updating D only.

    Example:
        >>> z = torch.zeros(4, 1)
        >>> round(float(adversarial_loss_discriminator(z, z)), 6)  # 2 log 2
        1.386294

    Reference:
        Ledig et al., CVPR 2017, eq. (2); Goodfellow et al., NeurIPS 2014.
    """
    real = adversarial_loss_generator(d_real_logits)  # -log D(x_HR), the same form
    fake = F.binary_cross_entropy_with_logits(
        d_fake_logits, torch.zeros_like(d_fake_logits)
    )
    return real + fake
