"""LapSRN: progressive x2 steps of a Laplacian pyramid, one per pyramid level.

Lai et al. (2017), §3.1, Fig. 3. An input conv (``C -> 64``, 3x3) starts the
*feature-extraction branch*; each level then runs ``depth`` 3x3 convolutions of 64
maps, upsamples the features x2 with a 4x4 stride-2 transposed convolution, and turns
them into a residual image with one 3x3 conv (``64 -> C``). The *image-reconstruction
branch* upsamples the image x2 with a 4x4 transposed convolution initialised to
bilinear interpolation (:func:`bilinear_deconv_weight`) and adds the residual:
``I_k = up(I_{k-1}) + r_k``, ``I_0`` the LR input. Every conv and transposed conv but
the residual and image-upsampling ones is followed by LeakyReLU(0.2); zero padding
keeps sizes. Scale ``2^L`` has ``L`` levels (x2: 1, x4: 2, x8: 3).

Outputs: in *training mode* ``forward`` returns the list ``[I_1, ..., I_L]`` (x2, x4,
..., coarsest first) for :func:`pyramid_loss`; in *eval mode* it returns only the
finest ``I_L``, so :func:`srcore.inference.predict` and
:func:`srcore.training.loop.psnr_validator` see an ordinary ``(B, C, h, w) -> (B, C,
sh, sw)``
network. :meth:`LapSRN.forward_levels` always returns the list.

Variants (``upsample``, ``preact_residual``) follow Benedetti, which swaps the
transposed convolutions for sub-pixel convolutions (Shi et al. 2016) and uses 10
pre-activated convolutions with a local skip per level. Our reading of both:

* ``upsample="subpixel"``: *both* branches use ``conv 3x3 (n -> 4n) + PixelShuffle(2)``.
  The image branch's conv is initialised so that it computes exactly the same bilinear
  x2 as the 4x4 transposed conv (:func:`bilinear_subpixel_weight`; taps
  ``(1/4, 3/4, 0)`` and ``(0, 3/4, 1/4)`` per output phase), so both variants start as
  the same function and differ only in what they can learn. The feature branch's conv
  gets the same He init as the transposed conv it replaces.
* ``preact_residual=True``: per level ``h = f + body(f)``, ``body = (LReLU -> conv) x
  depth`` (the activation *before* each conv, no activation after the last, as in
  pre-activation ResNets, He et al. 2016), then ``f' = up(h)`` without activation; the
  residual conv and the next level's body read it through their leading LReLU. The
  input conv is then linear. Benedetti does not say where the skip starts; ours spans
  the ``depth`` convolutions of one level (its "skip connection links the input to the
  output of the last convolutional layer"). Benedetti states a LeakyReLU slope of
  0.02; we keep 0.2 (``negative_slope`` changes it).

Initialisation follows the authors' ``init_LapSRN.m``: the input conv ~ N(0, 1e-3^2),
every other feature-branch filter (convs, feature upsampling, residual conv) ~ N(0,
2 / (9 n)) with ``n = features`` (He et al. 2015 for 3x3 filters), biases 0; the image
upsampling filter is bilinear and has no bias. So a fresh network is, to within the
tiny residual, bilinear x2 per level. Not reproduced: the code's 0.1 learning-rate
multiplier on biases, and its 3x3 (not 4x4) feature transposed conv; the paper's text
says 4x4 for all transposed convs, which we follow.

The bilinear filters live in :mod:`srcore.methods.lapsrn_bilinear` and the pyramid
loss in :mod:`srcore.methods.lapsrn_loss`; both are importable from here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from srcore.methods.lapsrn_bilinear import (
    bilinear_deconv_weight,
    bilinear_subpixel_weight,
)
from srcore.methods.lapsrn_loss import pyramid_loss, pyramid_targets

__all__ = [
    "LapSRN",
    "LapSRNConfig",
    "PROFILES",
    "bilinear_deconv_weight",
    "bilinear_subpixel_weight",
    "pyramid_targets",
    "pyramid_loss",
]

UPSAMPLERS = ("deconv", "subpixel")


def _conv(cin: int, cout: int, bias: bool = True) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, padding=1, bias=bias)


def _upsampler(cin: int, kind: str, bias: bool) -> nn.Module:
    """x2 upsampling of ``cin`` maps: 4x4 stride-2 transposed conv or sub-pixel conv."""
    if kind == "deconv":
        return nn.ConvTranspose2d(cin, cin, 4, stride=2, padding=1, bias=bias)
    return nn.Sequential(_conv(cin, 4 * cin, bias), nn.PixelShuffle(2))


class _Level(nn.Module):
    """One pyramid level: features ``(B, n, h, w)`` and image ``(B, C, h, w)`` in,
    both at ``(2h, 2w)`` out."""

    def __init__(
        self,
        channels: int,
        features: int,
        depth: int,
        upsample: str,
        preact: bool,
        slope: float,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for _ in range(depth):
            pair = [_conv(features, features), nn.LeakyReLU(slope)]
            layers += pair[::-1] if preact else pair
        self.body = nn.Sequential(*layers)
        self.preact = preact
        self.up = _upsampler(features, upsample, bias=True)
        self.act = nn.LeakyReLU(slope)
        self.residual = _conv(features, channels)
        self.image_up = _upsampler(channels, upsample, bias=False)

    def forward(
        self, feat: torch.Tensor, img: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if self.preact:
            feat = self.up(feat + self.body(feat))
            res = self.residual(self.act(feat))
        else:
            feat = self.act(self.up(self.body(feat)))
            res = self.residual(feat)
        return feat, self.image_up(img) + res


class LapSRN(nn.Module):
    """Lai et al.'s Laplacian pyramid SR network; ``(B, C, h, w)`` LR in [0, 1].

    Args:
        channels: image channels, 1 (Y, as in the paper) or 3 (RGB).
        scale: 2, 4 or 8 (any power of two); one level per x2.
        depth: 3x3 convolutions per level, ``d`` (10 for x2/x4 in the paper).
        features: maps of the feature branch (64).
        upsample: ``"deconv"`` (paper) or ``"subpixel"`` (Benedetti); see module.
        preact_residual: Benedetti's pre-activated levels with a local skip.
        negative_slope: LeakyReLU slope (0.2).

    Returns (forward): training mode: list of ``L = log2(scale)`` tensors
    ``(B, C, 2^k h, 2^k w)``, ``k = 1 .. L`` (coarsest first); eval mode: only the
    last, ``(B, C, scale h, scale w)``. Not clamped.

    Example:
        >>> net = LapSRN(scale=4, depth=2, features=8)
        >>> [tuple(y.shape) for y in net(torch.rand(1, 1, 6, 5))]
        [(1, 1, 12, 10), (1, 1, 24, 20)]
        >>> tuple(net.eval()(torch.rand(1, 1, 6, 5)).shape)
        (1, 1, 24, 20)

    Reference:
        Lai, Huang, Ahuja, Yang, "Deep Laplacian Pyramid Networks for Fast and Accurate
        Super-Resolution", CVPR 2017, §3.1, §4.1; code ``init_LapSRN.m``.
    """

    def __init__(
        self,
        channels: int = 1,
        scale: int = 4,
        depth: int = 10,
        features: int = 64,
        *,
        upsample: str = "deconv",
        preact_residual: bool = False,
        negative_slope: float = 0.2,
    ) -> None:
        super().__init__()
        if scale < 2 or scale & (scale - 1):
            raise ValueError(f"scale must be a power of two >= 2, got {scale!r}")
        if upsample not in UPSAMPLERS:
            raise ValueError(f"upsample must be one of {UPSAMPLERS}, got {upsample!r}")
        if depth < 1 or features < 1 or channels < 1:
            raise ValueError("depth, features and channels must be >= 1")
        self.channels, self.scale, self.upsample = channels, scale, upsample
        self.preact_residual = preact_residual
        self.num_levels = int(math.log2(scale))
        self.input_conv = _conv(channels, features)
        # Post-activation: LReLU after the input conv; pre-activation: the first
        # level's body starts with one.
        self.input_act = (
            nn.Identity() if preact_residual else nn.LeakyReLU(negative_slope)
        )
        self.levels = nn.ModuleList(
            _Level(channels, features, depth, upsample, preact_residual, negative_slope)
            for _ in range(self.num_levels)
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """The authors' init (``init_LapSRN.m``): input conv N(0, 1e-3^2), other
        feature filters N(0, 2 / (9 features)), biases 0, image upsampling bilinear."""
        n = self.input_conv.out_channels
        nn.init.normal_(self.input_conv.weight, 0.0, 1e-3)
        nn.init.zeros_(self.input_conv.bias)
        std = math.sqrt(2.0 / (9 * n))
        for level in self.levels:
            for m in [*level.body.modules(), *level.up.modules(), level.residual]:
                if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                    nn.init.normal_(m.weight, 0.0, std)
                    nn.init.zeros_(m.bias)
            with torch.no_grad():
                if self.upsample == "deconv":
                    level.image_up.weight.copy_(bilinear_deconv_weight(self.channels))
                else:
                    level.image_up[0].weight.copy_(
                        bilinear_subpixel_weight(self.channels)
                    )

    def forward_levels(self, x: torch.Tensor) -> list[torch.Tensor]:
        """All level outputs ``[x2, x4, ...]`` (coarsest first), in any mode."""
        feat = self.input_act(self.input_conv(x))
        img = x
        outputs = []
        for level in self.levels:
            feat, img = level(feat, img)
            outputs.append(img)
        return outputs

    def forward(self, x: torch.Tensor) -> torch.Tensor | list[torch.Tensor]:
        outputs = self.forward_levels(x)
        return outputs if self.training else outputs[-1]


@dataclass(frozen=True)
class LapSRNConfig:
    """LapSRN training recipe; defaults are the paper's x4 model (Lai et al. 2017).

    ``steps`` counts mini-batch updates; the paper's epoch is 1000 of them (§4.1), so
    its "halve every 50 epochs" is ``lr_step = 50_000``. The code's ``lr_min = 1e-6``
    floor is not modelled (our step schedule keeps halving).
    """

    scale: int = 4  # §4: separate x2, x4, x8 models
    channels: int = 1  # §4.1 / test code: Y of YCbCr
    depth: int = 10  # §4.2 (recalled): d = 10 for x2 and x4, d = 5 for x8
    features: int = 64  # §4.1: 64 filters of 3x3
    upsample: str = "deconv"  # §3.1: transposed convs; "subpixel": Benedetti
    preact_residual: bool = False  # Benedetti's variant when True
    negative_slope: float = 0.2  # §4.1: LReLU slope 0.2 (Benedetti states 0.02)
    level_weights: tuple[float, ...] | None = None  # eq. (1): unweighted; Indulkar
    loss_reduction: str = "sum"  # eq. (1), vllab_nn_L1_loss.m: sum over pixels
    eps: float = 1e-3  # §3.3: ε = 1e-3 (code: sqrt(d^2 + 1e-6))
    train_sets: tuple[str, ...] = ("T91", "BSD200")  # §4.1: 291 images
    # HR patch side: the authors' code (init_opts.m) uses 48, the paper's §4.1 text
    # 128. At 128 the paper's lr (1e-5 on the per-image sum) makes the loss jump
    # 5-fold within 3 updates in fp32 and turn NaN at update 11 in bf16; at 48 the
    # same recipe descends (issue 24's probe): we follow the released code.
    crop: int = 48
    rescale: tuple[float, float] | None = (0.5, 1.0)  # §4.1: random downscale
    augment: bool = True  # §4.1: rotations by 90° and flips
    batch_size: int = 64  # §4.1, init_opts.m
    optimizer: str = "sgd"  # §4.1: MatConvNet SGD
    lr: float = 1e-5  # §4.1, init_opts.m (on the loss summed per image)
    momentum: float = 0.9  # §4.1
    weight_decay: float = 1e-4  # §4.1
    lr_step: int = 50_000  # §4.1: halved every 50 epochs of 1000 iterations
    lr_decay: float = 0.5  # §4.1
    steps: int = 1_000_000  # init_opts.m: 1000 epochs (uncertain: paper gives none)
    seed: int = 0  # ours (init_LapSRN.m seeds rng(0))

    def __post_init__(self) -> None:
        if self.upsample not in UPSAMPLERS:
            raise ValueError(f"upsample must be one of {UPSAMPLERS}")
        if self.loss_reduction not in ("mean", "sum"):
            raise ValueError("loss_reduction must be 'mean' or 'sum'")

    def build(self) -> LapSRN:
        """The network this config describes."""
        return LapSRN(
            self.channels,
            self.scale,
            self.depth,
            self.features,
            upsample=self.upsample,
            preact_residual=self.preact_residual,
            negative_slope=self.negative_slope,
        )

    def loss(self, outputs: Sequence[torch.Tensor], hr: torch.Tensor) -> torch.Tensor:
        """:func:`pyramid_loss` with this config's weights, ε and reduction; a
        ``loss_fn`` for :func:`srcore.training.loop.train`."""
        return pyramid_loss(
            outputs,
            hr,
            weights=self.level_weights,
            eps=self.eps,
            reduction=self.loss_reduction,
        )


#: Overrides per profile. ``quick`` (ours, not the paper's): depth 5, Adam at 1e-3
#: on the per-level *mean* loss (the paper's SGD at 1e-5 is tuned to a loss summed
#: over ~10^6 pixels and needs ~10^5 updates), /10 for the last 20 %, 64x64 HR
#: patches (16x16 LR at x4) without the random rescale, batch 16, 1000 steps (~0.8 s
#: each on one busy CPU core). Sanity run, x4 Y on Set5: the fresh (bilinear) network
#: 27.07 dB; after 600 steps of this recipe (decay at 480) 30.05 dB, bicubic 28.42.
PROFILES: dict[str, dict] = {
    "smoke": {"steps": 5, "batch_size": 2, "crop": 32, "depth": 2, "rescale": None},
    "quick": {
        "depth": 5,
        "optimizer": "adam",
        "lr": 1e-3,
        "weight_decay": 0.0,
        "loss_reduction": "mean",
        "lr_step": 800,
        "lr_decay": 0.1,
        "crop": 64,
        "rescale": None,
        "batch_size": 16,
        "steps": 1000,
    },
    "paper": {},
}
