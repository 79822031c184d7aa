"""VDSR: a 20-layer 3x3 network that predicts the residual over bicubic upscaling.

``F(x) = x + r(x)``, ``r = conv_d ∘ (ReLU ∘ conv)^{d-1}``: ``d = 20`` zero-padded 3x3
convolutions of 64 maps (Kim et al. 2016, §3.1, Fig. 2). One network serves x2, x3
and x4 (§3.3). Training (§3.2, §4.1): SGD at 0.1 with *adjustable gradient clipping*
to ``[-θ/γ, θ/γ]``, ``γ`` the current rate (``grad_clip_mode="adjustable"``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["VDSR", "VDSRConfig", "PROFILES"]


class VDSR(nn.Module):
    """Kim et al.'s very deep residual SR network; ``(B, C, H, W) -> (B, C, H, W)``.

    Input: the bicubic-upscaled LR image in [0, 1]; the output is not clamped.

    Example:
        >>> net = VDSR(depth=5)
        >>> x = torch.rand(1, 1, 41, 41)
        >>> net(x).shape == x.shape
        True

    Reference:
        Kim, Lee, Lee, "Accurate Image Super-Resolution Using Very Deep Convolutional
        Networks", CVPR 2016.
    """

    def __init__(self, channels: int = 1, depth: int = 20, features: int = 64) -> None:
        super().__init__()
        if depth < 2:
            raise ValueError(f"depth must be >= 2, got {depth}")
        self.channels = channels
        layers: list[nn.Module] = [nn.Conv2d(channels, features, 3, padding=1)]
        for _ in range(depth - 2):
            layers += [
                nn.ReLU(inplace=True),
                nn.Conv2d(features, features, 3, padding=1),
            ]
        layers += [nn.ReLU(inplace=True), nn.Conv2d(features, channels, 3, padding=1)]
        #: The residual branch ``r``; ``body[-1]`` is the last convolution.
        self.body = nn.Sequential(*layers)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """He normal init (fan-in, ReLU gain) on every convolution, zero biases."""
        for m in self.body.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


@dataclass(frozen=True)
class VDSRConfig:
    """VDSR training recipe; defaults are the paper's (Kim et al. 2016)."""

    scales: tuple[int, ...] = (2, 3, 4)  # §3.3/§4.1: one network trained on x2, x3, x4
    channels: int = 1  # §4.1: luminance only
    depth: int = 20  # §3.1, §4.2: 20 weight layers
    features: int = 64  # §3.1: 64 filters of 3x3x64
    train_sets: tuple[str, ...] = ("T91", "BSD200")  # §4.1: 291 images (Yang + BSD)
    crop: int = 41  # §4.1: 41x41 patches (= receptive field of depth 20)
    batch_size: int = 64  # §4.1
    optimizer: str = "sgd"  # §3.2, §4.1
    momentum: float = 0.9  # §4.1
    weight_decay: float = 1e-4  # §4.1
    lr: float = 0.1  # §4.1: initial rate
    lr_decay: float = 0.1  # §4.1: divided by 10 ...
    lr_step: int = 2490  # ... every 20 epochs (80 epochs = 9960 iterations, §4.1)
    # §3.2 adjustable gradient clipping, each gradient in [-θ/γ, θ/γ]; θ is not
    # given: ours, the largest of 1e-2, 1e-3, 1e-4 that descends without a jump.
    clip_theta: float = 1e-4
    steps: int = 9960  # §4.1: 80 epochs of batch 64
    loss: str = "mse"  # §3.2: 1/2 ||r - f(x)||^2
    augment: bool = True  # §4.1: rotations and flips
    seed: int = 0  # ours


#: Overrides per profile. ``quick`` (ours): Adam at 1e-4 (÷10 for the last 20 %), no
#: clipping or weight decay, x3 only, so that a CPU trains it in minutes.
PROFILES: dict[str, dict] = {
    "smoke": {"steps": 5, "batch_size": 2, "crop": 21, "depth": 5},
    "quick": {
        "scales": (3,),
        "optimizer": "adam",
        "lr": 1e-4,
        "lr_step": 800,
        "clip_theta": 0.0,
        "weight_decay": 0.0,
        "batch_size": 16,
        "steps": 1000,
    },
    "paper": {},
}
