"""SRCNN: three convolutions from the bicubic-upscaled image to the HR image.

``F(Y) = W3 * max(0, W2 * max(0, W1 * Y + B1) + B2) + B3``
(patch extraction, non-linear mapping, reconstruction), with the 9-1-5 network of
Dong et al. (2016) as the default: ``f1 = 9, f2 = 1, f3 = 5, n1 = 64, n2 = 32``, on the
luma (Y of YCbCr) only.

Padding: the original trains with valid convolutions (21x21 labels) and tests with
``imfilter(..., 'same', 'replicate')``; here every convolution replicates the edge and
the loss skips ``SRCNNConfig.border`` (6) pixels per side, the original's labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["SRCNN", "SRCNNConfig", "PROFILES", "param_groups"]


class SRCNN(nn.Module):
    """Dong et al.'s three-layer SR network; ``(B, C, H, W) -> (B, C, H, W)``.

    Input: the bicubic-upscaled LR image in [0, 1]; the output is not clamped.

    Example:
        >>> sum(p.numel() for p in SRCNN().parameters())  # 64*81+64+32*64+32+32*25+1
        8129

    Reference:
        Dong, Loy, He, Tang, "Image Super-Resolution Using Deep Convolutional Networks",
        TPAMI 38(2), 2016 (ECCV 2014), §3.1-3.2.
    """

    def __init__(
        self,
        channels: int = 1,
        f1: int = 9,
        f2: int = 1,
        f3: int = 5,
        n1: int = 64,
        n2: int = 32,
        *,
        init_std: float | None = 1e-3,
    ) -> None:
        super().__init__()
        for f in (f1, f2, f3):
            if f < 1 or f % 2 == 0:
                raise ValueError(f"kernel sizes must be odd and >= 1, got {f}")
        self.channels = channels
        #: Pixels on each side whose receptive field crosses the image edge.
        self.border = (f1 + f2 + f3 - 3) // 2

        def conv(cin: int, cout: int, f: int) -> nn.Conv2d:
            return nn.Conv2d(cin, cout, f, padding=f // 2, padding_mode="replicate")

        self.conv1 = conv(channels, n1, f1)
        self.conv2 = conv(n1, n2, f2)
        self.conv3 = conv(n2, channels, f3)
        self.relu = nn.ReLU(inplace=True)
        self.reset_parameters(init_std)

    def reset_parameters(self, std: float | None = 1e-3) -> None:
        """Weights ~ N(0, std^2), biases 0 (the paper's filler, §4.1); ``std=None``
        (ours, faster with Adam) draws layers 1-2 with He normal init and keeps N(0,
        1e-3^2) for the linear last layer."""
        for conv in (self.conv1, self.conv2, self.conv3):
            if std is None and conv is not self.conv3:
                nn.init.kaiming_normal_(conv.weight, mode="fan_in", nonlinearity="relu")
            else:
                nn.init.normal_(conv.weight, 0.0, 1e-3 if std is None else std)
            nn.init.zeros_(conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        return self.conv3(x)


def param_groups(model: SRCNN, lr: float, lr_last: float) -> list[dict]:
    """Optimizer groups with the paper's per-layer rates: ``lr`` for layers 1-2,
    ``lr_last`` for the reconstruction layer (Dong et al. 2016, §4.1: 1e-4 and 1e-5).

    Not reproduced: the Caffe prototxt's 0.1 multiplier on the biases of layers 1-2.

    Example:
        >>> groups = param_groups(SRCNN(), 1e-4, 1e-5)
        >>> [g["lr"] for g in groups]
        [0.0001, 1e-05]
    """
    first = [*model.conv1.parameters(), *model.conv2.parameters()]
    return [
        {"params": first, "lr": lr},
        {"params": list(model.conv3.parameters()), "lr": lr_last},
    ]


@dataclass(frozen=True)
class SRCNNConfig:
    """SRCNN training recipe; defaults are the paper's 9-1-5 x3 model on 91 images."""

    scale: int = 3  # Dong et al. 2016 §4: x3 is the main setting (x2, x4 too)
    channels: int = 1  # §4.1: Y channel of YCbCr only
    f1: int = 9  # §3.2, §4.3: the 9-1-5 base network
    f2: int = 1  # §3.2
    f3: int = 5  # §3.2
    n1: int = 64  # §3.2
    n2: int = 32  # §3.2
    train_sets: tuple[str, ...] = ("T91",)  # §4.1: 91 images (ImageNet variant aside)
    crop: int = 33  # §4.1: 33x33 sub-images (HR size = network input size)
    stride: int = 14  # §4.1: sub-images every 14 px; 0 = random crops instead
    border: int = 6  # valid-conv label 21x21: loss skips 6 px per side (see module)
    batch_size: int = 128  # Caffe solver / net prototxt
    optimizer: str = "sgd"  # §4.1: SGD with momentum
    momentum: float = 0.9  # §4.1
    lr: float = 1e-4  # §4.1: layers 1-2
    lr_last: float = 1e-5  # §4.1: last layer ("important for the network to converge")
    lr_milestones: tuple[int, ...] = ()  # Caffe solver: lr_policy "fixed"
    lr_decay: float = 0.1  # rate multiplier at each milestone (none in the paper)
    weight_decay: float = 0.0  # Caffe solver: weight_decay 0
    init_std: float | None = 1e-3  # §4.1: N(0, 0.001^2), biases 0; None = He
    loss: str = "mse"  # §3.2, eq. (4)
    steps: int = 15_000_000  # Caffe solver max_iter (~1.9e9 sub-images seen)
    seed: int = 0  # ours


#: Overrides per profile. ``quick`` (ours): Adam at 1e-3, /10 for the last 20 %,
#: random crops from T91 + BSD200 and He init, so that a CPU trains it in minutes.
PROFILES: dict[str, dict] = {
    "smoke": {"steps": 5, "batch_size": 4, "crop": 21, "stride": 0},
    "quick": {
        "train_sets": ("T91", "BSD200"),
        "stride": 0,
        "optimizer": "adam",
        "lr": 1e-3,
        "lr_last": 1e-3,
        "lr_milestones": (1200,),
        "init_std": None,
        "batch_size": 32,
        "steps": 1500,
    },
    "paper": {},
}
