"""LapSRN: shapes, bilinear initialisation, the pyramid loss, training, inference."""

from __future__ import annotations

import dataclasses

import pytest
import torch
import torch.nn.functional as F

from srcore import imresize
from srcore.inference import predict
from srcore.losses import charbonnier
from srcore.methods.lapsrn import (
    PROFILES,
    LapSRN,
    LapSRNConfig,
    bilinear_deconv_weight,
    bilinear_subpixel_weight,
    pyramid_loss,
    pyramid_targets,
)


def tiny(**kwargs) -> LapSRN:
    return LapSRN(**{"depth": 1, "features": 4, **kwargs})


def zero_residuals(net: LapSRN) -> LapSRN:
    with torch.no_grad():
        for level in net.levels:
            level.residual.weight.zero_()
            level.residual.bias.zero_()
    return net


@pytest.mark.parametrize("preact", [False, True])
@pytest.mark.parametrize("upsample", ["deconv", "subpixel"])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("scale", [2, 4, 8])
def test_output_shapes(preact: bool, upsample: str, channels: int, scale: int) -> None:
    net = tiny(
        channels=channels, scale=scale, upsample=upsample, preact_residual=preact
    )
    x = torch.rand(2, channels, 5, 7)
    outs = net.train()(x)
    assert isinstance(outs, list) and len(outs) == net.num_levels
    assert [tuple(o.shape) for o in outs] == [
        (2, channels, 5 * 2**k, 7 * 2**k) for k in range(1, len(outs) + 1)
    ]
    y = net.eval()(x)
    assert isinstance(y, torch.Tensor)
    assert tuple(y.shape) == (2, channels, 5 * scale, 7 * scale)
    assert torch.equal(y, net.forward_levels(x)[-1])
    assert len(net.forward_levels(x)) == net.num_levels  # eval mode too


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="power of two"):
        LapSRN(scale=3)
    with pytest.raises(ValueError, match="upsample"):
        LapSRN(upsample="nearest")
    with pytest.raises(ValueError, match="upsample"):
        LapSRNConfig(upsample="nearest")


def test_bilinear_kernel_values() -> None:
    w = bilinear_deconv_weight(2)
    k = torch.tensor([0.25, 0.75, 0.75, 0.25])
    assert w.shape == (2, 2, 4, 4)
    assert torch.allclose(w[0, 0], torch.outer(k, k))
    assert torch.allclose(w[1, 1], torch.outer(k, k))
    assert w[0, 1].abs().sum() == 0 and w[1, 0].abs().sum() == 0


@pytest.mark.parametrize("factor", [2, 3])
def test_bilinear_kernel_matches_interpolate(factor: int) -> None:
    x = torch.rand(1, 2, 9, 11, dtype=torch.float64)
    w = bilinear_deconv_weight(2, factor).double()
    pad = (w.shape[-1] - factor) // 2
    y = F.conv_transpose2d(x, w, stride=factor, padding=pad)
    ref = F.interpolate(x, scale_factor=factor, mode="bilinear", align_corners=False)
    b = factor  # the outermost LR pixel's outputs see the zero padding
    assert y.shape == ref.shape
    assert torch.allclose(y[..., b:-b, b:-b], ref[..., b:-b, b:-b], atol=1e-12)


def test_subpixel_weight_equals_deconv() -> None:
    x = torch.rand(1, 3, 6, 8, dtype=torch.float64)
    a = F.conv_transpose2d(x, bilinear_deconv_weight(3).double(), stride=2, padding=1)
    b = F.pixel_shuffle(F.conv2d(x, bilinear_subpixel_weight(3).double(), padding=1), 2)
    assert torch.allclose(a, b, atol=1e-12)  # borders included


@pytest.mark.parametrize("upsample", ["deconv", "subpixel"])
def test_fresh_image_branch_is_bilinear(upsample: str) -> None:
    net = zero_residuals(tiny(scale=2, upsample=upsample)).eval()
    const = torch.full((1, 1, 8, 8), 0.6)
    out = net(const)
    assert torch.allclose(out[..., 1:-1, 1:-1], torch.full((14, 14), 0.6), atol=1e-6)
    # A ramp x[j] = a + b j has its x2 output at coordinate (o + 1/2) / 2 - 1/2.
    ramp = (0.1 + 0.05 * torch.arange(10.0)).expand(1, 1, 6, 10)
    out = net(ramp)[0, 0, 2:-2, 2:-2]
    o = torch.arange(2, 18, dtype=torch.float32)
    expect = 0.1 + 0.05 * ((o + 0.5) / 2 - 0.5)
    assert torch.allclose(out, expect.expand_as(out), atol=1e-6)


def test_fresh_network_is_nearly_bilinear() -> None:
    # The authors' init: a 1e-3 input conv keeps the first residuals tiny.
    torch.manual_seed(0)
    net = LapSRN(scale=4, depth=3, features=16).eval()
    x = torch.rand(1, 1, 12, 12)
    ref = F.interpolate(
        F.interpolate(x, scale_factor=2, mode="bilinear"),
        scale_factor=2,
        mode="bilinear",
    )
    assert (net(x) - ref)[..., 4:-4, 4:-4].abs().max() < 0.01


def test_pyramid_targets_are_bicubic() -> None:
    hr = torch.rand(2, 1, 16, 24)
    ts = pyramid_targets(hr, 3)
    assert ts[-1] is hr
    assert torch.allclose(ts[0], imresize(hr, 0.25))
    assert torch.allclose(ts[1], imresize(hr, 0.5))
    with pytest.raises(ValueError, match="divisible"):
        pyramid_targets(torch.rand(1, 1, 10, 12), 3)


def test_pyramid_loss_zero_at_targets() -> None:
    hr = torch.rand(2, 1, 16, 16)
    outs = pyramid_targets(hr, 3)
    # Charbonnier's minimum is eps per level; eps -> small makes it ~0.
    assert float(pyramid_loss(outs, hr, eps=1e-8)) < 1e-6
    assert float(pyramid_loss(outs, hr)) == pytest.approx(3e-3, rel=1e-5)


def test_pyramid_loss_weights_by_hand() -> None:
    hr = torch.rand(1, 1, 8, 8)
    t1, t2 = pyramid_targets(hr, 2)
    o1, o2 = t1 + 0.3, t2 - 0.4  # constant errors: rho = sqrt(d^2 + eps^2)
    r1, r2 = (0.3**2 + 1e-6) ** 0.5, (0.4**2 + 1e-6) ** 0.5
    for w1, w2 in [(1, 1), (2, 1), (1, 2)]:  # report 003's three settings
        got = float(pyramid_loss([o1, o2], hr, weights=(w1, w2)))
        assert got == pytest.approx(w1 * r1 + w2 * r2, rel=1e-5)
    assert float(pyramid_loss([o1, o2], hr)) == pytest.approx(r1 + r2, rel=1e-5)
    # "sum": pixels counted, 16 at x2 and 64 at x4 ...
    got = float(pyramid_loss([o1, o2], hr, reduction="sum"))
    assert got == pytest.approx(16 * r1 + 64 * r2, rel=1e-5)
    # ... per image: a batch of two copies has the same loss (MatConvNet's SGD
    # divides by the batch size), not twice it
    two = [torch.cat([o, o]) for o in (o1, o2)]
    got2 = float(pyramid_loss(two, torch.cat([hr, hr]), reduction="sum"))
    assert got2 == pytest.approx(got, rel=1e-5)
    assert float(charbonnier(o2, t2)) == pytest.approx(r2, rel=1e-5)
    with pytest.raises(ValueError, match="weights"):
        pyramid_loss([o1, o2], hr, weights=(1.0,))


def test_pyramid_loss_gradients_finite() -> None:
    torch.manual_seed(0)
    net = tiny(scale=4)
    hr = torch.rand(2, 1, 16, 16)
    lr_img = imresize(hr, 0.25)
    pyramid_loss(net.train()(lr_img), hr).backward()
    grads = [p.grad for p in net.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    # At a zero error Charbonnier is smooth: gradient 0, not NaN.
    outs = [t.clone().requires_grad_() for t in pyramid_targets(hr, 2)]
    pyramid_loss(outs, hr, weights=(2.0, 1.0)).backward()
    assert all(torch.equal(o.grad, torch.zeros_like(o)) for o in outs)


@pytest.mark.parametrize("preact", [False, True])
def test_adam_steps_lower_loss_and_seed_repeats(preact: bool) -> None:
    def run() -> tuple[LapSRN, list[float]]:
        torch.manual_seed(0)
        net = LapSRN(
            scale=4, depth=2, features=8, upsample="subpixel", preact_residual=preact
        )
        g = torch.Generator().manual_seed(1)
        hr = torch.rand(2, 1, 16, 16, generator=g)
        lr_img = imresize(hr, 0.25)
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        losses = []
        for _ in range(6):
            opt.zero_grad()
            loss = pyramid_loss(net(lr_img), hr)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return net, losses

    net_a, losses_a = run()
    net_b, losses_b = run()
    assert losses_a[-1] < losses_a[0]
    assert losses_a == losses_b
    for a, b in zip(
        net_a.state_dict().values(), net_b.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b)


def test_same_seed_same_init() -> None:
    def weights(seed: int) -> list[torch.Tensor]:
        torch.manual_seed(seed)
        return list(LapSRN(scale=4, depth=2, features=8).state_dict().values())

    assert all(torch.equal(a, b) for a, b in zip(weights(3), weights(3), strict=True))
    assert not all(
        torch.equal(a, b) for a, b in zip(weights(3), weights(4), strict=True)
    )


def test_predict_uses_the_eval_path() -> None:
    torch.manual_seed(0)
    net = tiny(scale=4).train()
    x = torch.rand(1, 1, 10, 9)
    y = predict(net, x, scale=4)
    assert tuple(y.shape) == (1, 1, 40, 36)
    assert net.training  # predict restores the mode
    assert torch.allclose(y, net.forward_levels(x)[-1], atol=1e-6)
    tiled = predict(net, x, scale=4, tile=8, overlap=3)
    assert tiled.shape == y.shape


def test_config_profiles_and_loss() -> None:
    base = LapSRNConfig()
    assert (base.depth, base.features, base.eps, base.batch_size) == (10, 64, 1e-3, 64)
    for name, overrides in PROFILES.items():
        cfg = dataclasses.replace(base, **overrides)
        assert cfg.crop % cfg.scale == 0, name
    cfg = dataclasses.replace(base, **PROFILES["smoke"], level_weights=(2.0, 1.0))
    net = cfg.build()
    hr = torch.rand(1, 1, 16, 16)
    outs = pyramid_targets(hr, 2)
    assert net.num_levels == 2
    assert float(cfg.loss(outs, hr)) == pytest.approx(
        2e-3 * 64 + 1e-3 * 256, rel=1e-4
    )  # "sum" reduction: the paper's
