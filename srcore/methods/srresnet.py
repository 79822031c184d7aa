"""SRResNet generator, SRGAN discriminator and their training recipes.

Generator (Ledig et al. 2017, Fig. 4): ``k9n64s1`` conv + PReLU; 16 residual blocks
``conv-BN-PReLU-conv-BN``; conv + BN plus the long skip; sub-pixel x2 stages
``conv - PixelShuffle(2) - PReLU``; ``k9n3s1`` conv. Discriminator: seven
``conv-BN-LeakyReLU`` blocks (64 to 512 maps, stride 2 every other), dense 1024,
dense 1: a *logit* (the sigmoid is in :mod:`srcore.losses`' BCE-with-logits).

Deviations: LR and HR in [0, 1] (SRGAN's HR is [-1, 1], §3.2), a linear output; an
adaptive pool to ``pool_size`` (6: the paper's for 96x96) before the dense layers.
Unspecified: channel-wise PReLU, PyTorch's default init, biases kept before BN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

__all__ = [
    "SRResNet",
    "Discriminator",
    "SRResNetConfig",
    "SRGANConfig",
    "PROFILES",
    "SRGAN_PROFILES",
    "CONTENT_LAYERS",
]

#: SRGAN's content losses (§2.2.1, Table 1): pixel MSE or the MSE of VGG19 features
#: φ2,2 / φ5,4 (names of :data:`srcore.vgg.VGG19_LAYERS`; ``None`` = pixels).
CONTENT_LAYERS: dict[str, str | None] = {
    "mse": None,
    "vgg22": "relu2_2",
    "vgg54": "relu5_4",
}


class _ResidualBlock(nn.Module):
    """``x + BN(conv(PReLU(BN(conv(x)))))``, 3x3 convolutions, constant width."""

    def __init__(self, features: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(features, features, 3, padding=1),
            nn.BatchNorm2d(features),
            nn.PReLU(features),
            nn.Conv2d(features, features, 3, padding=1),
            nn.BatchNorm2d(features),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def _upsample_factors(scale: int) -> list[int]:
    """Sub-pixel stages: x2 each for powers of two, one x3 stage (ours, as EDSR)."""
    if scale == 3:
        return [3]
    if scale >= 2 and scale & (scale - 1) == 0:
        return [2] * int(math.log2(scale))
    raise ValueError(f"scale must be 3 or a power of two >= 2, got {scale!r}")


class SRResNet(nn.Module):
    """Ledig et al.'s SRResNet (the SRGAN generator); ``(B,C,h,w) -> (B,C,s*h,s*w)``.

    ``scale``: 3 or a power of two. The output is not clamped.

    Example:
        >>> net = SRResNet(features=16, blocks=2, scale=4)
        >>> tuple(net(torch.rand(1, 3, 12, 10)).shape)
        (1, 3, 48, 40)

    Reference:
        Ledig et al., "Photo-Realistic Single Image Super-Resolution Using a Generative
        Adversarial Network", CVPR 2017, §2.1 and Fig. 4.
    """

    def __init__(
        self, channels: int = 3, features: int = 64, blocks: int = 16, scale: int = 4
    ) -> None:
        super().__init__()
        self.scale = scale
        self.channels = channels
        self.head = nn.Sequential(
            nn.Conv2d(channels, features, 9, padding=4), nn.PReLU(features)
        )
        self.blocks = nn.Sequential(*(_ResidualBlock(features) for _ in range(blocks)))
        self.fuse = nn.Sequential(
            nn.Conv2d(features, features, 3, padding=1), nn.BatchNorm2d(features)
        )
        up: list[nn.Module] = []
        for r in _upsample_factors(scale):
            up += [
                nn.Conv2d(features, features * r * r, 3, padding=1),
                nn.PixelShuffle(r),
                nn.PReLU(features),
            ]
        self.upsample = nn.Sequential(*up)
        self.tail = nn.Conv2d(features, channels, 9, padding=4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.head(x)
        h = h + self.fuse(self.blocks(h))
        return self.tail(self.upsample(h))


class Discriminator(nn.Module):
    """SRGAN's discriminator: ``(B, C, H, W)`` in [0, 1] -> ``(B, 1)`` real/fake logits.

    ``pool_size``: the adaptive pool's side (6: the paper's for 96x96, 1: global).

    Example:
        >>> d = Discriminator(features=8)
        >>> tuple(d(torch.rand(2, 3, 40, 56)).shape)
        (2, 1)

    Reference:
        Ledig et al., CVPR 2017, §2.1 and Fig. 4; Radford et al. 2016 (the guidelines).
    """

    def __init__(
        self, channels: int = 3, features: int = 64, pool_size: int = 6
    ) -> None:
        super().__init__()
        widths = [features, features, 2 * features, 2 * features]
        widths += [4 * features, 4 * features, 8 * features, 8 * features]
        layers: list[nn.Module] = [
            nn.Conv2d(channels, widths[0], 3, padding=1),
            nn.LeakyReLU(0.2, inplace=True),
        ]
        for i in range(1, 8):
            stride = 2 if i % 2 == 1 else 1
            layers += [
                nn.Conv2d(widths[i - 1], widths[i], 3, stride=stride, padding=1),
                nn.BatchNorm2d(widths[i]),
                nn.LeakyReLU(0.2, inplace=True),
            ]
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(pool_size)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(widths[-1] * pool_size * pool_size, 1024),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(1024, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.features(x)))


@dataclass(frozen=True)
class SRResNetConfig:
    """SRResNet (MSE) training recipe; defaults are the paper's (Ledig et al. 2017)."""

    scale: int = 4  # §3.2: x4 throughout
    channels: int = 3  # RGB
    features: int = 64  # Fig. 4: n64
    blocks: int = 16  # §2.1: B = 16 residual blocks
    train_sets: tuple[str, ...] = ("ImageNet-350k",)  # §3.2; not in srcore.data
    crop: int = 96  # §3.2: 96x96 HR sub-images (24x24 LR)
    batch_size: int = 16  # §3.2: 16 random sub-images of distinct images
    optimizer: str = "adam"  # §3.2: Adam, beta1 = 0.9
    beta1: float = 0.9  # §3.2
    lr: float = 1e-4  # §3.2
    lr_step: int | None = None  # §3.2 keeps 1e-4 constant; ours: decay after this
    lr_decay: float = 0.1  # ours: factor of the decay at lr_step
    steps: int = 1_000_000  # §3.2: 10^6 update iterations
    loss: str = "mse"  # §2.2.1 / §3.3: SRResNet-MSE
    seed: int = 0  # ours


@dataclass(frozen=True)
class SRGANConfig:
    """SRGAN training recipe; defaults are the paper's SRGAN-VGG54."""

    scale: int = 4  # §3.2
    channels: int = 3  # RGB
    features: int = 64  # Fig. 4
    blocks: int = 16  # §2.1
    d_features: int = 64  # Fig. 4: discriminator k3n64 ... k3n512
    d_pool: int = 6  # ours: adaptive pool; 6 = paper's dense input for 96x96
    train_sets: tuple[str, ...] = ("ImageNet-350k",)  # §3.2; not in srcore.data
    crop: int = 96  # §3.2
    batch_size: int = 16  # §3.2
    content_loss: str = "vgg54"  # §2.2.1: a key of CONTENT_LAYERS
    vgg_scale: float = 1.0 / 12.75  # §3.2: VGG features rescaled by 1/12.75
    adv_weight: float = 1e-3  # eq. (3): l_SR = l_X + 10^-3 l_Gen
    beta1: float = 0.9  # §3.2: Adam, beta1 = 0.9
    lr: float = 1e-4  # §3.2: 10^5 updates at 10^-4 ...
    lr_final: float = 1e-5  # ... then 10^5 at 10^-5
    lr_switch: int = 100_000  # §3.2
    steps: int = 200_000  # §3.2: 10^5 + 10^5 updates, G and D alternating (k = 1)
    init_from: str = "srresnet-mse"  # §3.2: G initialised from the MSE SRResNet
    seed: int = 0  # ours


#: SRResNet overrides. ``quick`` (ours): half the width and blocks, 64x64 patches,
#: 2000 steps at 1e-3 (the paper's 1e-4 stays below bicubic in that budget).
PROFILES: dict[str, dict] = {
    "smoke": {"steps": 3, "batch_size": 2, "crop": 32, "features": 16, "blocks": 2},
    "quick": {
        "train_sets": ("T91", "BSD200"),
        "features": 32,
        "blocks": 8,
        "crop": 64,
        "lr": 1e-3,
        "lr_step": 1600,
        "steps": 2000,
    },
    "paper": {},
}

#: SRGAN overrides. ``quick`` (ours): ``PROFILES["quick"]``'s generator, a global-pool
#: discriminator, a few hundred updates (the paper's textures are not reproduced).
SRGAN_PROFILES: dict[str, dict] = {
    "smoke": {
        "steps": 3,
        "batch_size": 2,
        "crop": 32,
        "features": 16,
        "blocks": 2,
        "d_features": 8,
        "d_pool": 1,
        "content_loss": "mse",
    },
    "quick": {
        "train_sets": ("T91", "BSD200"),
        "features": 32,
        "blocks": 8,
        "d_pool": 1,
        "crop": 64,
        "batch_size": 8,
        "steps": 600,
        "lr_switch": 400,
    },
    "paper": {},
}
