"""VGG19 feature extractor for perceptual (content) losses.

Layers are named as SRGAN's ``φ_i,j`` (Ledig et al. 2017, eq. 5): ``"relu5_4"`` is the
4th convolution of block 5 after its ReLU ("VGG54"), ``"conv3_1"`` a pre-activation
output, ``"pool2"`` the second pooling. The network is torchvision's VGG19
``features`` stack with its module indices, so that torchvision's ImageNet checkpoint
loads into it, cut after the requested layer (the classifier head is never built).
"""

from __future__ import annotations

import os
import pickle
from urllib.parse import urlparse

import torch
from torch import nn

#: Convolutions per block in VGG19 (configuration "E" of Simonyan & Zisserman 2015).
_BLOCKS = ((64, 2), (128, 2), (256, 4), (512, 4), (512, 4))
_WEIGHTS_URL = "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"


def _layer_names() -> tuple[str, ...]:
    names = []
    for block, (_, convs) in enumerate(_BLOCKS, start=1):
        for j in range(1, convs + 1):
            names += [f"conv{block}_{j}", f"relu{block}_{j}"]
        names.append(f"pool{block}")
    return tuple(names)


#: Names of the 37 modules of torchvision's ``vgg19().features``, in order.
VGG19_LAYERS: tuple[str, ...] = _layer_names()


class WeightsUnavailable(RuntimeError):
    """The pretrained VGG19 weights could not be downloaded or read."""


def vgg_checkpoint_path() -> str:
    """Where ``torch.hub`` keeps (or would keep) the VGG19 ImageNet checkpoint."""
    filename = os.path.basename(urlparse(_WEIGHTS_URL).path)
    return os.path.join(torch.hub.get_dir(), "checkpoints", filename)


def vgg_weights_available() -> bool:
    """Whether the VGG19 checkpoint is in the hub cache (nothing is downloaded)."""
    return os.path.isfile(vgg_checkpoint_path())


def _build(n_layers: int) -> nn.Sequential:
    """The first ``n_layers`` modules of VGG19's ``features``, torchvision's indices."""
    layers: list[nn.Module] = []
    in_ch = 3
    for out_ch, convs in _BLOCKS:
        for _ in range(convs):
            layers += [nn.Conv2d(in_ch, out_ch, 3, padding=1), nn.ReLU(inplace=True)]
            in_ch = out_ch
        layers.append(nn.MaxPool2d(2, 2))
    return nn.Sequential(*layers[:n_layers])


def _init_random(net: nn.Sequential) -> None:
    # torchvision's VGG init, so the random network matches vgg19(weights=None).
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            nn.init.zeros_(m.bias)


def _load_imagenet_state() -> dict[str, torch.Tensor]:
    try:
        return torch.hub.load_state_dict_from_url(
            _WEIGHTS_URL, progress=False, check_hash=True, weights_only=True
        )
    except (OSError, RuntimeError, EOFError, pickle.UnpicklingError) as err:
        # network errors are OSErrors; a bad hash or truncated file raises the others
        folder = os.path.dirname(vgg_checkpoint_path())
        raise WeightsUnavailable(
            f"VGG19 ImageNet weights could not be loaded ({type(err).__name__}: "
            f"{err}); put vgg19-dcbb9e9d.pth in {folder} (download it from "
            f"{_WEIGHTS_URL} on a connected machine)"
        ) from err


def vgg19_features(
    layer: str = "relu5_4",
    *,
    pretrained: bool = True,
    device: str | torch.device = "cpu",
) -> nn.Module:
    """VGG19 ``features`` truncated after ``layer``, in eval mode, parameters frozen.

    Maps ``(B, 3, H, W)`` ImageNet-normalised RGB to the feature map of ``layer``,
    ``(B, C_l, H / 2^p, W / 2^p)`` after ``p`` poolings. ``pretrained`` loads
    torchvision's ``VGG19_Weights.IMAGENET1K_V1`` (:class:`WeightsUnavailable` when it
    can be neither found nor downloaded); ``False`` gives torchvision's random init,
    **not a perceptual loss**: only to test the plumbing offline.

    Example:
        >>> net = vgg19_features("relu2_2", pretrained=False)
        >>> tuple(net(torch.rand(1, 3, 32, 32)).shape)
        (1, 128, 16, 16)

    Reference:
        Simonyan & Zisserman, ICLR 2015 (configuration E); Ledig et al., CVPR 2017,
        §2.2.
    """
    if layer not in VGG19_LAYERS:
        raise ValueError(f"unknown VGG19 layer {layer!r}; choose one of {VGG19_LAYERS}")
    net = _build(VGG19_LAYERS.index(layer) + 1)
    if pretrained:
        state = _load_imagenet_state()
        net.load_state_dict({k: state[f"features.{k}"] for k in net.state_dict()})
    else:
        _init_random(net)
    net.requires_grad_(False)
    return net.eval().to(device)
