"""LapSRN: progressive x2 steps of a Laplacian pyramid, one per pyramid level.

Lai et al. (2017), §3.1, Fig. 3: per level, the *feature branch* runs ``depth`` 3x3
convolutions, upsamples x2 (4x4 transposed conv) and makes a residual image; the
*image branch* upsamples x2 with a transposed conv initialised to bilinear
(:func:`bilinear_deconv_weight`) and adds it: ``I_k = up(I_{k-1}) + r_k``. Every conv
but the residual and image ones is followed by LeakyReLU(0.2).

Variants after Benedetti, in our reading: ``upsample="subpixel"``: *both* branches use
``conv 3x3 (n -> 4n) + PixelShuffle(2)``, the image branch's initialised to the same
bilinear x2 (:func:`bilinear_subpixel_weight`), so both variants start as the same
function. ``preact_residual=True``: per level ``h = f + body(f)``, ``body = (LReLU ->
conv) x depth`` (He et al. 2016), then ``f' = up(h)`` without activation; the skip
spans one level's convolutions (Benedetti does not say where it starts), and the
slope stays 0.2 (Benedetti states 0.02). Not reproduced: the code's 0.1 learning-rate
multiplier on biases and its 3x3 feature transposed conv (the paper says 4x4).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from srcore.losses import charbonnier
from srcore.resize import imresize

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


def bilinear_deconv_weight(channels: int, factor: int = 2) -> torch.Tensor:
    """Transposed-conv weight doing channel-wise bilinear upsampling by ``factor``.

    ``w[c, c] = k k^T``, ``k_t = 1 - |t - c0| / factor``, ``t < K = 2 factor - factor
    % 2``, ``c0`` the centre: float32 ``(C, C, K, K)`` for ``ConvTranspose2d(C, C, K,
    stride=factor, padding=(K - factor) // 2)``.

    Example:
        >>> bilinear_deconv_weight(1)[0, 0, 0]
        tensor([0.0625, 0.1875, 0.1875, 0.0625])

    Reference: Long, Shelhamer, Darrell, "Fully Convolutional Networks", CVPR 2015
    (``upsample_filt``); Lai et al. 2017 §4.1.
    """
    if channels < 1 or factor < 1:
        raise ValueError(f"channels and factor must be >= 1, got {channels}, {factor}")
    size = 2 * factor - factor % 2
    center = factor - 1 if size % 2 else factor - 0.5
    k = 1 - (torch.arange(size, dtype=torch.float64) - center).abs() / factor
    w = torch.zeros(channels, channels, size, size, dtype=torch.float64)
    w[range(channels), range(channels)] = torch.outer(k, k)
    return w.float()


def bilinear_subpixel_weight(channels: int) -> torch.Tensor:
    """``Conv2d(C, 4C, 3, padding=1)`` weight that, followed by ``PixelShuffle(2)``,
    is the same bilinear x2 as :func:`bilinear_deconv_weight` (borders included).

    Output pixel ``2i + a`` takes taps ``(1/4, 3/4, 0)`` (``a = 0``) or ``(0, 3/4,
    1/4)`` over ``(i - 1, i, i + 1)``; phase ``(a, b)`` of channel ``c`` is channel
    ``4c + 2a + b``. Returns float32 ``(4C, C, 3, 3)``.

    Example:
        >>> bilinear_subpixel_weight(1)[0, 0]
        tensor([[0.0625, 0.1875, 0.0000],
                [0.1875, 0.5625, 0.0000],
                [0.0000, 0.0000, 0.0000]])
    """
    taps = torch.tensor([[0.25, 0.75, 0.0], [0.0, 0.75, 0.25]], dtype=torch.float64)
    w = torch.zeros(4 * channels, channels, 3, 3, dtype=torch.float64)
    for c in range(channels):
        for a in range(2):
            for b in range(2):
                w[4 * c + 2 * a + b, c] = torch.outer(taps[a], taps[b])
    return w.float()


def pyramid_targets(hr: torch.Tensor, levels: int) -> list[torch.Tensor]:
    """The HR pyramid ``[hr / 2^(L-1), ..., hr / 2, hr]``, each level MATLAB bicubic
    from ``hr`` itself (``getBatch_LapSRN.m``); sides multiples of ``2^(L-1)``.

    Example:
        >>> [tuple(t.shape[-2:]) for t in pyramid_targets(torch.rand(1, 1, 8, 12), 3)]
        [(2, 3), (4, 6), (8, 12)]
    """
    h, w = hr.shape[-2:]
    f = 2 ** (levels - 1)
    if levels < 1 or h % f or w % f:
        raise ValueError(f"HR size {(h, w)} is not divisible by 2^(levels-1) = {f}")
    return [
        imresize(hr, size=(h // 2**j, w // 2**j)) if j else hr
        for j in range(levels - 1, -1, -1)
    ]


def pyramid_loss(
    outputs: Sequence[torch.Tensor],
    hr: torch.Tensor,
    *,
    weights: Sequence[float] | None = None,
    eps: float = 1e-3,
    reduction: str = "mean",
) -> torch.Tensor:
    """LapSRN's multi-level Charbonnier loss: ``sum_k w_k rho(I_k - y_k)``.

    ``y_k`` is :func:`pyramid_targets`' level ``k``, ``rho`` the Charbonnier penalty
    ``sqrt(d^2 + eps^2)``; ``outputs`` are coarsest first, ``weights`` (Indulkar's
    ``(w_x2, w_x4)`` for x4) default to 1, and the total is not divided by their sum.
    ``reduction="sum"`` sums over each image's pixels and averages over the batch
    (the authors' loss, with MatConvNet dividing gradients by the batch size);
    ``"mean"`` averages over batch and pixels.

    Example:
        >>> hr = torch.rand(2, 1, 8, 8)
        >>> outs = pyramid_targets(hr, 2)
        >>> round(float(pyramid_loss(outs, hr, weights=(2.0, 1.0))), 6)  # 3 eps
        0.003

    Reference: Lai et al., CVPR 2017, §3.3, eq. (1).
    """
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    if isinstance(outputs, torch.Tensor):
        outputs = [outputs]
    n = len(outputs)
    weights = [1.0] * n if weights is None else [float(w) for w in weights]
    if len(weights) != n:
        raise ValueError(f"{n} outputs but {len(weights)} weights")
    if tuple(outputs[-1].shape) != tuple(hr.shape):
        raise ValueError(
            f"finest output {tuple(outputs[-1].shape)} vs HR {tuple(hr.shape)}"
        )
    total = hr.new_zeros(())
    for out, target, w in zip(outputs, pyramid_targets(hr, n), weights, strict=True):
        loss = charbonnier(out, target, eps)
        per_image = out.numel() / out.shape[0]
        total = total + w * (loss * per_image if reduction == "sum" else loss)
    return total


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

    ``scale`` is a power of two (one level per x2), ``depth`` the 3x3 convolutions
    per level (10 for x2/x4 in the paper). ``forward`` returns, in training mode, the
    ``L = log2(scale)`` levels ``(B, C, 2^k h, 2^k w)``, coarsest first; in eval
    mode only the last, ``(B, C, scale h, scale w)``. Not clamped.

    Example:
        >>> net = LapSRN(scale=4, depth=2, features=8)
        >>> [tuple(y.shape) for y in net(torch.rand(1, 1, 6, 5))]
        [(1, 1, 12, 10), (1, 1, 24, 20)]

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

    ``steps`` counts mini-batch updates (an epoch is 1000, §4.1). The code's ``lr_min
    = 1e-6`` floor is not modelled.
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
    # HR patch side: init_opts.m's 48 (the §4.1 text's 128 diverges with this lr)
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
#: on the per-level *mean* loss (the paper's SGD at 1e-5 needs ~10^5 updates), /10
#: for the last 20 %, 64x64 HR patches without the random rescale, batch 16.
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
