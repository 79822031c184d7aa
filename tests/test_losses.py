"""Losses against hand-computed values; VGG plumbing with random weights, offline."""

from __future__ import annotations

import math
import urllib.error

import pytest
import torch

from srcore import losses, vgg
from srcore.losses import (
    PerceptualLoss,
    adversarial_loss_discriminator,
    adversarial_loss_generator,
    charbonnier,
    dog_pyramid,
    dog_pyramid_loss,
    l1,
    mse,
)

# --------------------------------------------------------------------------- pixel


def test_l1_and_mse_hand_values():
    x = torch.tensor([[0.0, 0.5], [1.0, 0.25]]).view(1, 1, 2, 2)
    y = torch.tensor([[0.5, 0.5], [0.0, 0.75]]).view(1, 1, 2, 2)
    # |d| = 0.5, 0, 1, 0.5 ; d^2 = 0.25, 0, 1, 0.25
    assert float(l1(x, y)) == pytest.approx(2.0 / 4)
    assert float(mse(x, y)) == pytest.approx(1.5 / 4)


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="shape mismatch"):
        mse(torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 2, 3))


def test_charbonnier_values_and_convention():
    z = torch.zeros(2, 3, 4, 4)
    assert float(charbonnier(z, z)) == pytest.approx(1e-3)
    assert float(charbonnier(z, z, eps=0.5)) == pytest.approx(0.5)
    # sqrt(0.3^2 + 0.4^2) = 0.5: eps enters squared (LapSRN's ρ = sqrt(x^2 + ε^2)).
    x = torch.full((1, 1, 2, 2), 0.3)
    assert float(charbonnier(x, torch.zeros_like(x), eps=0.4)) == pytest.approx(0.5)
    # Far from zero it is L1 to within eps^2 / (2|d|).
    x = torch.tensor([0.2, -0.6])
    assert float(charbonnier(x, torch.zeros(2))) == pytest.approx(0.4, abs=1e-5)
    with pytest.raises(ValueError):
        charbonnier(z, z, eps=0.0)


def test_charbonnier_gradient_finite_at_zero():
    x = torch.zeros(1, 1, 3, 3, requires_grad=True)
    charbonnier(x, torch.zeros(1, 1, 3, 3)).backward()
    assert torch.isfinite(x.grad).all()
    assert torch.equal(x.grad, torch.zeros_like(x.grad))


# ----------------------------------------------------------------------- DoG


def test_dog_pyramid_telescopes_and_keeps_constants():
    torch.manual_seed(0)
    x = torch.rand(2, 3, 24, 20, dtype=torch.float64)
    pyr = dog_pyramid(x, levels=6, sigma=3.0)
    assert len(pyr) == 7 and all(p.shape == x.shape for p in pyr)
    assert torch.allclose(sum(pyr), x, atol=1e-12)
    const = torch.full((1, 1, 20, 20), 0.3, dtype=torch.float64)
    bands = dog_pyramid(const, levels=3, sigma=1.0)
    assert all(b.abs().max() < 1e-12 for b in bands[:-1])
    assert torch.allclose(bands[-1], const)


def test_dog_pyramid_loss_zero_iff_equal():
    torch.manual_seed(1)
    y = torch.rand(2, 1, 32, 32)
    assert float(dog_pyramid_loss(y, y)) == 0.0
    x = y.clone()
    x[0, 0, 16, 16] += 0.1
    assert float(dog_pyramid_loss(x, y)) > 0.0


def test_dog_pyramid_loss_hand_checkable_cases():
    y = torch.rand(1, 1, 30, 30, dtype=torch.float64)
    # A constant offset c lives only in the low-pass band: loss = c^2, whatever W.
    for w in (1.0, 10.0):
        assert float(dog_pyramid_loss(y + 0.2, y, weight=w)) == pytest.approx(0.04)
    # levels=1, an impulse of height a in a zero image: band 0 = a(δ - g), low-pass
    # = a g with g the blurred impulse, so the loss is (W |δ - g|^2 + |g|^2) a^2 / N.
    a, n, sigma = 0.5, 31, 1.0
    x = torch.zeros(1, 1, n, n, dtype=torch.float64)
    x[0, 0, n // 2, n // 2] = a
    radius = math.ceil(3 * sigma)
    t = torch.arange(-radius, radius + 1, dtype=torch.float64)
    g1 = torch.exp(-(t**2) / (2 * sigma**2))
    g = torch.outer(g1, g1) / g1.sum() ** 2  # 7x7, far from the edges
    delta = torch.zeros_like(g)
    delta[radius, radius] = 1.0
    expected = (10 * ((delta - g) ** 2).sum() + (g**2).sum()) * a * a / (n * n)
    got = dog_pyramid_loss(x, torch.zeros_like(x), levels=1, sigma=sigma, weight=10)
    assert float(got) == pytest.approx(float(expected), rel=1e-10)


def test_dog_pyramid_loss_weight_scales_detail_only():
    torch.manual_seed(2)
    x, y = torch.rand(1, 1, 24, 24), torch.rand(1, 1, 24, 24)
    l0 = dog_pyramid_loss(x, y, weight=0.0)
    l1_ = dog_pyramid_loss(x, y, weight=1.0)
    l10 = dog_pyramid_loss(x, y, weight=10.0)
    assert float(l10 - l0) == pytest.approx(10 * float(l1_ - l0), rel=1e-4)


# ----------------------------------------------------------------------- GAN


def test_adversarial_losses_known_values():
    z = torch.zeros(5, 1)
    assert float(adversarial_loss_generator(z)) == pytest.approx(math.log(2))
    assert float(adversarial_loss_discriminator(z, z)) == pytest.approx(2 * math.log(2))
    # Confident and right: D says real (+20) for real and fake (-20) for fake.
    big = torch.full((3, 1), 20.0)
    assert float(adversarial_loss_discriminator(big, -big)) < 1e-8
    # Generator loss -log sigmoid(l): l = log 3 -> sigmoid = 3/4.
    lg = torch.full((2, 1), math.log(3.0))
    assert float(adversarial_loss_generator(lg)) == pytest.approx(-math.log(0.75))
    assert float(adversarial_loss_generator(-big)) == pytest.approx(20.0, rel=1e-6)


# ------------------------------------------------------------------- perceptual


@pytest.fixture(scope="module")
def random_perceptual() -> PerceptualLoss:
    torch.manual_seed(0)
    return PerceptualLoss("relu2_2", pretrained=False)


def test_perceptual_plumbing_random_vgg(random_perceptual):
    torch.manual_seed(3)
    y = torch.rand(2, 3, 32, 32)
    assert float(random_perceptual(y, y)) == 0.0
    x = y.clone().requires_grad_(True)
    with torch.no_grad():
        x[:, :, 8:16, 8:16] += 0.2
    loss = random_perceptual(x, y)
    assert loss.item() > 0.0
    loss.backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert not any(p.requires_grad for p in random_perceptual.parameters())


def test_perceptual_grey_input_and_feature_scale(random_perceptual):
    torch.manual_seed(4)
    x, y = torch.rand(1, 1, 24, 24), torch.rand(1, 1, 24, 24)
    rgb = random_perceptual(x.expand(-1, 3, -1, -1), y.expand(-1, 3, -1, -1))
    assert float(random_perceptual(x, y)) == pytest.approx(float(rgb))
    unscaled = PerceptualLoss("relu2_2", pretrained=False, feature_scale=1.0)
    unscaled.features.load_state_dict(random_perceptual.features.state_dict())
    assert float(unscaled(x, y)) == pytest.approx(float(rgb) * 12.75**2, rel=1e-5)


def test_perceptual_stays_in_eval_mode(random_perceptual):
    random_perceptual.train()
    assert not random_perceptual.features.training


def test_vgg_layers_and_shapes():
    assert len(vgg.VGG19_LAYERS) == 37
    assert vgg.VGG19_LAYERS[35] == "relu5_4" and vgg.VGG19_LAYERS[8] == "relu2_2"
    torch.manual_seed(0)
    net = vgg.vgg19_features("relu3_1", pretrained=False)
    assert len(net) == vgg.VGG19_LAYERS.index("relu3_1") + 1
    assert tuple(net(torch.rand(1, 3, 32, 32)).shape) == (1, 256, 8, 8)
    with pytest.raises(ValueError, match="unknown VGG19 layer"):
        vgg.vgg19_features("relu6_1", pretrained=False)


def test_vgg_random_init_is_seeded():
    torch.manual_seed(5)
    a = vgg.vgg19_features("relu1_2", pretrained=False)
    torch.manual_seed(5)
    b = vgg.vgg19_features("relu1_2", pretrained=False)
    assert all(
        torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True)
    )


def test_pretrained_vgg_offline_raises_weights_unavailable(monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    with pytest.raises(vgg.WeightsUnavailable) as info:
        vgg.vgg19_features("relu5_4", pretrained=True)
    msg = str(info.value)
    assert "vgg19-dcbb9e9d.pth" in msg
    assert str(torch.hub.get_dir()) in msg and "checkpoints" in msg
    assert isinstance(info.value, RuntimeError)
    with pytest.raises(vgg.WeightsUnavailable):
        losses.PerceptualLoss(pretrained=True)


def test_vgg_weights_available_checks_the_hub_file(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    assert vgg.vgg_checkpoint_path().startswith(str(tmp_path))
    assert vgg.vgg_weights_available() is False
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "vgg19-dcbb9e9d.pth").write_bytes(b"")
    assert vgg.vgg_weights_available() is True
