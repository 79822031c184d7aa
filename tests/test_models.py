"""SRCNN, VDSR, SRResNet and the SRGAN discriminator: shapes, sizes, learning, seeds."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from srcore.losses import adversarial_loss_discriminator, mse
from srcore.methods import srcnn, srresnet, vdsr
from srcore.methods.srcnn import SRCNN, SRCNNConfig
from srcore.methods.srresnet import Discriminator, SRGANConfig, SRResNet, SRResNetConfig
from srcore.methods.vdsr import VDSR, VDSRConfig
from srcore.profiles import resolve_profile
from srcore.vgg import VGG19_LAYERS

torch.set_num_threads(min(2, torch.get_num_threads()))


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def conv_params(cin: int, cout: int, k: int) -> int:
    return cin * cout * k * k + cout


# ---------------------------------------------------------------------- shapes


def test_srcnn_and_vdsr_keep_the_size():
    x = torch.rand(2, 1, 23, 17)
    assert SRCNN()(x).shape == x.shape
    assert VDSR(depth=6, features=16)(x).shape == x.shape
    rgb = torch.rand(1, 3, 15, 15)
    assert SRCNN(channels=3)(rgb).shape == rgb.shape


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_srresnet_upscales_by_scale(scale):
    net = SRResNet(features=8, blocks=2, scale=scale)
    assert net.scale == scale
    assert tuple(net(torch.rand(2, 3, 7, 9)).shape) == (2, 3, 7 * scale, 9 * scale)


def test_srresnet_rejects_unsupported_scale():
    with pytest.raises(ValueError, match="scale"):
        SRResNet(scale=5)


@pytest.mark.parametrize("size", [(96, 96), (40, 56)])
def test_discriminator_gives_one_logit_per_image(size):
    d = Discriminator(features=8)
    assert tuple(d(torch.rand(3, 3, *size)).shape) == (3, 1)


# ------------------------------------------------------------------ parameters


def test_srcnn_915_parameter_count():
    # 64*81+64 + 32*64+32 + 1*32*25+1
    assert n_params(SRCNN()) == 5248 + 2080 + 801 == 8129
    assert n_params(SRCNN(f2=5)) == 5248 + conv_params(64, 32, 5) + 801
    assert SRCNN().border == 6


def test_vdsr_parameter_count():
    expected = (
        conv_params(1, 64, 3) + 18 * conv_params(64, 64, 3) + conv_params(64, 1, 3)
    )
    assert n_params(VDSR()) == expected == 665_921


def test_srresnet_parameter_count():
    f, b = 64, 16
    block = 2 * conv_params(f, f, 3) + 2 * 2 * f + f  # 2 convs, 2 BN (γ, β), PReLU
    expected = (
        conv_params(3, f, 9) + f  # head conv + PReLU
        + b * block
        + conv_params(f, f, 3) + 2 * f  # fuse conv + BN
        + 2 * (conv_params(f, 4 * f, 3) + f)  # two x2 sub-pixel stages + PReLU
        + conv_params(f, 3, 9)
    )  # fmt: skip
    assert n_params(SRResNet()) == expected == 1_550_659


def test_discriminator_parameter_count():
    w = [64, 64, 128, 128, 256, 256, 512, 512]
    convs = conv_params(3, 64, 3) + sum(
        conv_params(w[i - 1], w[i], 3) + 2 * w[i] for i in range(1, 8)
    )
    dense = (512 * 6 * 6 + 1) * 1024 + 1024 + 1
    assert n_params(Discriminator()) == convs + dense
    global_pool = Discriminator(pool_size=1)
    assert n_params(global_pool) == convs + (512 + 1) * 1024 + 1024 + 1


# -------------------------------------------------------------------- behaviour


def test_vdsr_is_identity_when_last_conv_is_zero():
    torch.manual_seed(0)
    net = VDSR(depth=4, features=8)
    last = net.body[-1]
    assert isinstance(last, nn.Conv2d)
    nn.init.zeros_(last.weight)
    nn.init.zeros_(last.bias)
    x = torch.rand(2, 1, 13, 11)
    assert torch.equal(net(x), x)


def test_vdsr_he_init_std():
    torch.manual_seed(0)
    w = VDSR().body[2].weight.detach()  # a 64 -> 64 hidden conv
    assert float(w.std()) == pytest.approx((2 / (64 * 9)) ** 0.5, rel=0.05)


def test_srcnn_init_modes():
    torch.manual_seed(0)
    paper = SRCNN().requires_grad_(False)
    assert float(paper.conv1.weight.std()) == pytest.approx(1e-3, rel=0.1)
    assert float(paper.conv1.bias.abs().max()) == 0.0
    he = SRCNN(init_std=None).requires_grad_(False)
    assert float(he.conv1.weight.std()) == pytest.approx((2 / 81) ** 0.5, rel=0.1)
    assert float(he.conv3.weight.std()) == pytest.approx(1e-3, rel=0.1)


def test_srcnn_param_groups_follow_the_paper():
    net = SRCNN()
    groups = srcnn.param_groups(net, 1e-4, 1e-5)
    assert [g["lr"] for g in groups] == [1e-4, 1e-5]
    ids = [id(p) for g in groups for p in g["params"]]
    assert sorted(ids) == sorted(id(p) for p in net.parameters())


def _fit(model: nn.Module, x, target_fn, steps: int, lr: float) -> tuple[float, float]:
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = target_fn(model(x))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses[0], losses[-1]


@pytest.mark.parametrize(
    "name, make, shape, lr",
    [
        ("SRCNN", lambda: SRCNN(init_std=None), (4, 1, 16, 16), 1e-3),
        ("VDSR", lambda: VDSR(depth=6, features=16), (4, 1, 16, 16), 1e-3),
        (
            "SRResNet",
            lambda: SRResNet(features=16, blocks=2, scale=2),
            (4, 3, 8, 8),
            1e-3,
        ),
    ],
)
def test_a_few_adam_steps_lower_the_loss(name, make, shape, lr):
    torch.manual_seed(0)
    model = make()
    x = torch.rand(shape)
    scale = getattr(model, "scale", 1)
    target = torch.rand(shape[0], shape[1], shape[2] * scale, shape[3] * scale)
    first, last = _fit(model, x, lambda out: mse(out, target), 15, lr)
    assert last < 0.8 * first, name


def test_discriminator_learns_to_separate():
    torch.manual_seed(0)
    d = Discriminator(features=8, pool_size=1)
    real = torch.rand(4, 3, 32, 32) * 0.5 + 0.5
    fake = torch.rand(4, 3, 32, 32) * 0.5
    first, last = _fit(
        d,
        torch.cat([real, fake]),
        lambda out: adversarial_loss_discriminator(out[:4], out[4:]),
        15,
        1e-3,
    )
    assert last < 0.5 * first


@pytest.mark.parametrize(
    "make",
    [
        SRCNN,
        lambda: VDSR(depth=4, features=8),
        lambda: SRResNet(features=8, blocks=2),
        lambda: Discriminator(features=8),
    ],
)
def test_same_seed_same_initial_weights(make):
    torch.manual_seed(123)
    a = make()
    torch.manual_seed(123)
    b = make()
    torch.manual_seed(124)
    c = make()
    pa, pb, pc = (list(m.state_dict().values()) for m in (a, b, c))
    assert all(torch.equal(u, v) for u, v in zip(pa, pb, strict=True))
    assert not all(torch.equal(u, v) for u, v in zip(pa, pc, strict=True))


# ---------------------------------------------------------------------- configs


@pytest.mark.parametrize(
    "config, profiles",
    [
        (SRCNNConfig(), srcnn.PROFILES),
        (VDSRConfig(), vdsr.PROFILES),
        (SRResNetConfig(), srresnet.PROFILES),
        (SRGANConfig(), srresnet.SRGAN_PROFILES),
    ],
)
def test_profiles_are_valid_overrides(config, profiles):
    assert set(profiles) == {"smoke", "quick", "paper"} and profiles["paper"] == {}
    for name in profiles:
        cfg = resolve_profile(config, profiles, name)
        assert dataclasses.is_dataclass(cfg)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.steps = 1


def test_srgan_content_losses_name_vgg_layers():
    assert SRGANConfig().content_loss in srresnet.CONTENT_LAYERS
    for profile in srresnet.SRGAN_PROFILES:
        cfg = resolve_profile(SRGANConfig(), srresnet.SRGAN_PROFILES, profile)
        assert cfg.content_loss in srresnet.CONTENT_LAYERS
    layers = [v for v in srresnet.CONTENT_LAYERS.values() if v is not None]
    assert all(layer in VGG19_LAYERS for layer in layers)


def test_paper_defaults():
    c = SRCNNConfig()
    assert (c.f1, c.f2, c.f3, c.n1, c.n2, c.crop, c.lr, c.lr_last) == (
        9, 1, 5, 64, 32, 33, 1e-4, 1e-5
    )  # fmt: skip
    v = VDSRConfig()
    assert (v.depth, v.crop, v.batch_size, v.lr, v.momentum, v.scales) == (
        20, 41, 64, 0.1, 0.9, (2, 3, 4)
    )  # fmt: skip
    r = SRResNetConfig()
    assert (r.blocks, r.features, r.crop, r.batch_size, r.steps) == (
        16, 64, 96, 16, 1_000_000
    )  # fmt: skip
    g = SRGANConfig()
    assert (g.content_loss, g.adv_weight, g.lr, g.lr_final, g.steps) == (
        "vgg54", 1e-3, 1e-4, 1e-5, 200_000
    )  # fmt: skip


# ------------------------------------------------------------------- MAC count


def _benchmark_module():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "models.py"
    spec = importlib.util.spec_from_file_location("benchmarks_models", path)
    module = importlib.util.module_from_spec(spec)
    # Registered first: dataclasses look their module up in sys.modules.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_count_macs_matches_the_analytic_formula():
    count_macs = _benchmark_module().count_macs
    h, w = 20, 12
    # SRCNN 9-1-5: 81*64 + 64*32 + 32*25 = 8032 MACs per pixel.
    assert count_macs(SRCNN(), (1, 1, h, w)) == 8032 * h * w
    assert count_macs(VDSR(), (2, 1, h, w)) == 2 * h * w * (576 + 18 * 36864 + 576)
    tconv = nn.ConvTranspose2d(4, 6, 3, stride=2)
    assert count_macs(tconv, (1, 4, 5, 5)) == 25 * 4 * 6 * 9
    assert count_macs(nn.Linear(10, 3), (7, 10)) == 7 * 30
