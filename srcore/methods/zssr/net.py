"""ZSSR's image-specific network :class:`ZSSRNet` (``ZSSR.py build_network``), and
:func:`build_net`, one image's network with its init drawn from the image's generator.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from srcore.methods.zssr.config import UPSAMPLERS, ZSSRConfig
from srcore.resize import imresize

__all__ = ["ZSSRNet", "build_net"]


class ZSSRNet(nn.Module):
    """ZSSR's image-specific network: ``depth`` 3x3 convolutions, ReLU between, and a
    residual over the bicubic interpolation.

    ``upsample="bicubic"`` (the paper): ``x`` is the son interpolated to the father's
    size, ``(B, C, H, W)``, and ``out = x + r(x)``. ``"pixelshuffle"`` (Peretz &
    Rahamim §8.1): ``x`` is the son ``(B, C, h, w)`` and ``PixelShuffle(s)`` of the
    last conv's ``C s^2`` maps is added to ``base`` (the son's bicubic interpolation,
    computed when not given). ``tanh_residual`` puts ``tanh`` on ``r`` (Goyal ZSSR*).
    ``valid`` ``(B, 1, H', W')`` zeroes the feature maps outside each padded crop
    after every hidden layer; ``drop`` gives layers 1-2's dropout masks (else
    ``F.dropout`` runs when ``dropout > 0``). Init: weights ``N(0, init_variance /
    (9 c_in))``, biases zero.

    Example:
        >>> ps = ZSSRNet(3, depth=3, width=8, upsample="pixelshuffle", scale=2)
        >>> tuple(ps(torch.rand(1, 3, 10, 10)).shape)
        (1, 3, 20, 20)
    """

    def __init__(
        self,
        channels: int = 3,
        *,
        depth: int = 8,
        width: int = 64,
        upsample: str = "bicubic",
        scale: int = 2,
        tanh_residual: bool = False,
        dropout: float = 0.0,
        bias: bool = False,
        init_variance: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        if upsample not in UPSAMPLERS:
            raise ValueError(f"upsample must be one of {UPSAMPLERS}, got {upsample!r}")
        if depth < 2:
            raise ValueError(f"depth must be >= 2, got {depth}")
        if upsample == "pixelshuffle" and (int(scale) != scale or scale < 2):
            raise ValueError(f"pixel shuffle needs an integer scale >= 2, got {scale}")
        self.upsample, self.scale = upsample, int(scale)
        self.tanh_residual, self.dropout = tanh_residual, float(dropout)
        self.init_variance = init_variance
        out = channels * self.scale**2 if upsample == "pixelshuffle" else channels
        sizes = [channels] + [width] * (depth - 1) + [out]
        with torch.random.fork_rng(devices=[]):  # nn.Conv2d's own init is replaced
            self.convs = nn.ModuleList(
                nn.Conv2d(a, b, 3, padding=1, bias=bias)
                for a, b in zip(sizes[:-1], sizes[1:], strict=True)
            )
        self.reset_parameters(generator)

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Weights ~ ``N(0, init_variance / (k^2 c_in))``, biases 0 (ZSSR.py)."""
        with torch.no_grad():
            for conv in self.convs:
                fan_in = conv.in_channels * conv.kernel_size[0] * conv.kernel_size[1]
                std = math.sqrt(self.init_variance / fan_in)
                conv.weight.normal_(0.0, std, generator=generator)
                if conv.bias is not None:
                    conv.bias.zero_()

    def forward(
        self,
        x: torch.Tensor,
        base: torch.Tensor | None = None,
        *,
        valid: torch.Tensor | None = None,
        drop: Sequence[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        shuffle = self.upsample == "pixelshuffle"
        if not shuffle and base is not None:
            raise ValueError("base is only used with upsample='pixelshuffle'")
        if shuffle and base is None:
            base = imresize(x, self.scale)
        h = x
        for i, conv in enumerate(self.convs[:-1]):
            h = F.relu(conv(h))
            if drop is not None and i < len(drop):
                h = h * drop[i]
            elif drop is None and i < 2 and self.dropout > 0:
                h = F.dropout(h, self.dropout, self.training)
            if valid is not None:
                h = h * valid
        r = self.convs[-1](h)
        if shuffle:
            r = F.pixel_shuffle(r, self.scale)[..., : base.shape[-2], : base.shape[-1]]
        if self.tanh_residual:
            r = torch.tanh(r)
        return (base if shuffle else x) + r


def build_net(
    config: ZSSRConfig,
    channels: int,
    scale: float,
    generator: torch.Generator,
    *,
    backbone: Callable[[], nn.Module] | None = None,
    init_state: dict[str, torch.Tensor] | None = None,
) -> nn.Module:
    """One image's network on the CPU: :class:`ZSSRNet` per ``config``, or
    ``backbone()``; then ``init_state`` when given.

    The init comes from the image's ``generator`` (for a backbone, a seed drawn from
    it seeds torch's global generator inside a fork) before any father is drawn, so
    an image gets the same start alone or among N. ``scale`` sizes the pixel shuffle.

    Example:
        >>> net = build_net(ZSSRConfig(depth=3, width=8), 3, 2, torch.Generator())
        >>> len(net.convs), net.convs[0].out_channels
        (3, 8)
    """
    c = config
    if backbone is not None:
        if c.upsample != "bicubic" or c.dropout > 0:
            raise ValueError(
                "a backbone takes the interpolated son: use upsample='bicubic', "
                "dropout=0"
            )
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(torch.randint(2**62, (), generator=generator)))
            net = backbone()
    else:
        net = ZSSRNet(
            channels,
            depth=c.depth,
            width=c.width,
            upsample=c.upsample,
            scale=int(scale) if c.upsample == "pixelshuffle" else 2,
            tanh_residual=c.tanh_residual,
            dropout=c.dropout,
            bias=c.bias,
            init_variance=c.init_variance,
            generator=generator,
        )
    if init_state is not None:
        net.load_state_dict(init_state)
    return net
