"""ZSSR: network, fathers and sons, the lr policy, test-time ensemble, the loops,
N images at once, Online SR, and one real-image check against bicubic.

Tiny networks on 8-32 px images keep the file to seconds; the real-image test (a
Set5 baby crop, x2) takes ~5-10 s on one thread.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
from skimage import data as skdata

from srcore import vgg
from srcore.degrade import downscale_with_kernel, gaussian_kernel
from srcore.geometry import dihedral
from srcore.methods.osr import online_sr, pretrain_external
from srcore.methods.vdsr import VDSR
from srcore.methods.zssr import (
    PRESETS,
    PROFILES,
    ZSSRConfig,
    ZSSRNet,
    back_projection,
    check_config,
    father_to_son,
    fit_slope,
    lr_check_due,
    lr_should_drop,
    sample_father,
    sample_father_scale,
    self_ensemble,
    zssr,
    zssr_many,
)
from srcore.methods.zssr import fathers as zssr_fathers
from srcore.methods.zssr import test_time as zssr_test_time
from srcore.methods.zssr.image import resize_to
from srcore.methods.zssr.optim import Adam, RowAdam
from srcore.metrics import psnr
from srcore.profiles import PROFILE_NAMES, resolve_profile
from srcore.resize import imresize

SMOKE = resolve_profile(ZSSRConfig(), PROFILES, "smoke")
#: The real-image test's budget: a 5 x 32 network, 400 iterations at a fixed lr
#: (~5 s on one thread).
SHORT = {"depth": 5, "width": 32, "max_iters": 400, "lr_policy": False}


@pytest.fixture(autouse=True)
def _one_thread():
    # Tiny tensors: two threads on a loaded machine mostly wait on each other.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _astronaut(size: int, offset: int = 0, grey: bool = False) -> torch.Tensor:
    img = skdata.astronaut()
    c = img.shape[0] // 2 + offset
    crop = img[c - size // 2 : c + size // 2, c - size // 2 : c + size // 2]
    x = torch.from_numpy(crop).permute(2, 0, 1)[None].float() / 255.0
    return x.mean(dim=1, keepdim=True) if grey else x


def _lr(hr: torch.Tensor, scale: int) -> torch.Tensor:
    return imresize(hr, 1 / scale).clamp(0, 1)


def _run(lr_img, scale=2, config=SMOKE, **kw):
    return zssr(lr_img, scale, config, device="cpu", progress=False, **kw)


# ---------------------------------------------------------------------- network


@pytest.mark.parametrize("variance", [1.0, 0.1])  # srcore's default, the reference's
def test_net_layout_and_init(variance):
    net = ZSSRNet(3) if variance == 1.0 else ZSSRNet(3, init_variance=variance)
    convs = list(net.convs)
    assert len(convs) == 8 and all(c.kernel_size == (3, 3) for c in convs)
    assert [c.out_channels for c in convs] == [64] * 7 + [3]
    assert all(c.bias is None for c in convs)  # ZSSR.py: filters only
    # N(0, v / (9 c_in)): check the empirical std of the 64 -> 64 layers.
    w = torch.cat([c.weight.detach().flatten() for c in convs[1:-1]])
    assert float(w.std()) == pytest.approx(math.sqrt(variance / (9 * 64)), rel=0.02)


def test_reference_init_preset_restores_the_authors_variance():
    assert ZSSRConfig().init_variance == 1.0
    assert PRESETS["reference_init"] == {"init_variance": 0.1}


def test_zero_residual_net_is_the_identity_on_its_input():
    net = ZSSRNet(3, depth=3, width=8)
    with torch.no_grad():
        net.convs[-1].weight.zero_()
    x = torch.rand(2, 3, 12, 10)
    assert torch.equal(net(x), x)


@pytest.mark.parametrize("h,w", [(10, 10), (7, 9)])
def test_pixelshuffle_net_adds_the_residual_to_bicubic(h, w):
    net = ZSSRNet(3, depth=3, width=8, upsample="pixelshuffle", scale=3)
    assert net.convs[-1].out_channels == 3 * 9
    x = torch.rand(1, 3, h, w)
    assert net(x).shape == (1, 3, 3 * h, 3 * w)
    with torch.no_grad():
        net.convs[-1].weight.zero_()
    torch.testing.assert_close(net(x), imresize(x, 3))
    base = torch.rand(1, 3, 3 * h - 1, 3 * w - 2)  # the father's size is what counts
    assert net(x, base).shape == base.shape


def test_valid_mask_makes_padding_exact():
    net = ZSSRNet(3, depth=4, width=8)
    with torch.no_grad():
        net.convs[-1].weight.normal_(0, 0.1)
    small = torch.rand(1, 3, 9, 11)
    padded = torch.nn.functional.pad(small, (0, 5, 0, 3))
    valid = torch.zeros(1, 1, 12, 16)
    valid[..., :9, :11] = 1
    torch.testing.assert_close(
        net(padded, valid=valid)[..., :9, :11], net(small), rtol=0, atol=1e-6
    )


def test_tanh_residual_is_bounded():
    net = ZSSRNet(1, depth=3, width=8, tanh_residual=True)
    with torch.no_grad():
        net.convs[-1].weight.fill_(10.0)
    x = torch.rand(1, 1, 8, 8)
    assert float((net(x) - x).detach().abs().max()) <= 1.0


# ------------------------------------------------------------- fathers and sons


def test_father_scales_are_drawn_proportional_to_size():
    g = torch.Generator().manual_seed(0)
    draws = np.array([sample_father_scale(g, 0.5, 1.0, "size") for _ in range(20000)])
    assert draws.min() >= 0.5 and draws.max() <= 1.0
    # P(s < 0.75) = (0.75^3 - 0.5^3) / (1 - 0.5^3) for a density proportional to s^2.
    expected = (0.75**3 - 0.5**3) / (1 - 0.5**3)
    assert np.mean(draws < 0.75) == pytest.approx(expected, abs=0.012)
    # Finer: each of 5 bins holds its share of the area-weighted mass.
    edges = np.linspace(0.5, 1.0, 6)
    counts = np.histogram(draws, edges)[0] / draws.size
    share = (edges[1:] ** 3 - edges[:-1] ** 3) / (1 - 0.5**3)
    np.testing.assert_allclose(counts, share, atol=0.012)
    uniform = [sample_father_scale(g, 0.5, 1.0, "uniform") for _ in range(20000)]
    assert np.mean(np.array(uniform) < 0.75) == pytest.approx(0.5, abs=0.012)


def _contains(img: torch.Tensor, crop: torch.Tensor) -> bool:
    h, w = crop.shape[-2:]
    return any(
        torch.equal(img[..., y : y + h, x : x + w], crop)
        for y in range(img.shape[-2] - h + 1)
        for x in range(img.shape[-1] - w + 1)
    )


def test_father_modes():
    img = torch.rand(1, 3, 20, 14)
    g = torch.Generator().manual_seed(1)
    leave = dataclasses.replace(SMOKE, crop=8, leave_as_is_probability=1.0)
    for _ in range(5):  # a plain crop of the LR image
        father = sample_father([img], [1.0], leave, g)
        assert father.shape == (1, 3, 8, 8) and _contains(img, father)
    flips = dataclasses.replace(
        SMOKE, crop=64, leave_as_is_probability=0.0, no_interpolate_probability=1.0
    )
    seen = set()
    for _ in range(40):  # crop >= image: the whole image under a dihedral transform
        father = sample_father([img], [1.0], flips, g)
        k = next(
            k
            for k in range(8)
            if dihedral(img, k).shape == father.shape
            and torch.equal(dihedral(img, k), father)
        )
        seen.add(k)
    assert seen == set(range(8))
    affine = dataclasses.replace(
        SMOKE, crop=64, leave_as_is_probability=0.0, no_interpolate_probability=0.0
    )
    for _ in range(10):  # the whole rescaled image, warped, in [0, 1]
        father = sample_father([img], [1.0], affine, g)
        assert 0 <= float(father.min()) and float(father.max()) <= 1
        assert 0.5 * 20 - 1 <= father.shape[-2] <= 20
        assert 0.5 * 14 - 1 <= father.shape[-1] <= 14


def test_father_source_is_the_smallest_at_least_that_large():
    # Gradual SR: scales above 1 must come from the x2 output (here all ones).
    small, big = torch.zeros(1, 1, 16, 16), torch.ones(1, 1, 32, 32)
    cfg = dataclasses.replace(
        SMOKE, crop=64, min_scale=1.5, leave_as_is_probability=0.0
    )
    g = torch.Generator().manual_seed(2)
    fathers = [
        sample_father([small, big], [1.0, 2.0], cfg, g, max_scale=2.0)
        for _ in range(20)
    ]
    assert all(float(f.min()) > 0.99 for f in fathers)


def test_sons_are_matlab_bicubic_or_use_the_kernel_when_given():
    odd = torch.rand(1, 3, 33, 30)
    assert torch.equal(father_to_son(odd, 2), imresize(odd, 0.5).clamp(0, 1))
    assert father_to_son(odd, 3).shape == (1, 3, 11, 10)
    father = torch.rand(1, 3, 24, 24)
    k = gaussian_kernel(7, 1.5)
    son = father_to_son(father, 2, kernel=k)
    torch.testing.assert_close(son, downscale_with_kernel(father, k, 2).clamp(0, 1))
    assert (son - father_to_son(father, 2)).abs().max() > 1e-3
    noisy = father_to_son(father, 2, noise_std=0.1, seed=0)
    assert 0.05 < float((noisy - father_to_son(father, 2)).std()) < 0.15
    assert torch.equal(noisy, father_to_son(father, 2, noise_std=0.1, seed=0))


def test_zssr_with_a_kernel_trains_on_kernel_sons(monkeypatch):
    calls = []

    def spy(*args, **kwargs):
        calls.append(1)
        return downscale_with_kernel(*args, **kwargs)

    monkeypatch.setattr(zssr_fathers, "downscale_with_kernel", spy)
    monkeypatch.setattr(zssr_test_time, "downscale_with_kernel", spy)
    k = gaussian_kernel(5, 1.0).numpy()  # numpy kernels are accepted too
    res = _run(_lr(_astronaut(40), 2), kernel=k)
    assert res.sr.shape == (1, 3, 40, 40)
    assert len(calls) >= SMOKE.max_iters  # every son (and back-projection)
    with pytest.raises(ValueError, match="one integer scale"):
        _run(_lr(_astronaut(48), 2), 1.5, kernel=k)


# ------------------------------------------------------------ learning-rate policy


def test_fit_slope_is_numpy_polyfit_with_the_old_scaling():
    t = np.array([0, 50, 100, 150, 200.0])
    e = np.array([1.0, 0.9, 0.95, 0.7, 0.72])
    slope, std = fit_slope(t, e)
    (np_slope, _), cov = np.polyfit(t, e, 1, cov=True)
    # numpy >= 1.16 scales by RSS / (M - 2); the reference's numpy by RSS / (M - 4).
    assert slope == pytest.approx(np_slope)
    assert std == pytest.approx(math.sqrt(cov[0, 0] * (5 - 2) / (5 - 4)))
    with pytest.raises(ValueError, match=">= 5"):
        fit_slope(t[:4], e[:4])


def test_lr_policy_drops_on_a_flat_curve_not_on_a_steep_one():
    t = np.arange(5) * 50.0
    wiggle = 1e-4 * np.array([1.0, -1.0, 1.0, -1.0, 1.0])  # no trend, RSS 4.8e-8
    _, std = fit_slope(t, wiggle)
    assert std == pytest.approx(math.sqrt(4.8e-8 / (5 - 4) / 25000))
    assert lr_should_drop(t, 1e-2 + wiggle)  # flat: drop
    assert not lr_should_drop(t, 1e-2 - 2e-5 * t + wiggle)  # steep: keep
    assert lr_should_drop(t, 1e-2 + 2e-5 * t + wiggle)  # rising: drop
    # The reference's inequality -1.5 slope < std, from both sides of the threshold.
    edge = std / 1.5
    assert not lr_should_drop(t, 1e-2 - 1.1 * edge * t + wiggle)
    assert lr_should_drop(t, 1e-2 - 0.9 * edge * t + wiggle)


def test_lr_checks_follow_the_reference_schedule():
    c = ZSSRConfig()
    due = [it for it in range(1000) if lr_check_due(it, 0, c)]
    assert due[0] == 299 and due[1] == 359  # (it + 1) % 60 == 0 and it > 256
    after = [it for it in range(299, 1000) if lr_check_due(it, 299, c)]
    assert after[0] == 599


def test_lr_policy_in_the_loop_and_the_stopping_rule():
    lr_img = _lr(_astronaut(32), 2)
    res = _run(lr_img)
    assert res.final_lr == pytest.approx(SMOKE.lr / 10 ** len(res.lr_changes))
    assert res.rec_iters == list(range(1, SMOKE.max_iters + 1, SMOKE.test_every))
    # min_lr above lr / 10: the first drop stops training.
    stop = dataclasses.replace(SMOKE, max_iters=200, min_lr=5e-4)
    res = _run(lr_img, config=stop)
    assert res.lr_changes and res.iterations == res.lr_changes[0] < 200
    fixed = dataclasses.replace(SMOKE, lr_policy=False, max_iters=30)
    res = _run(lr_img, config=fixed)
    assert res.iterations == 30 and res.lr_changes == [] and res.final_lr == SMOKE.lr


# -------------------------------------------------------------------- test time


@pytest.mark.parametrize("hw", [(8, 8), (7, 10)])
def test_self_ensemble_of_an_identity_like_net_is_the_identity(hw):
    lr = torch.rand(1, 3, *hw, dtype=torch.float64)

    def bicubic(x, size):
        return imresize(x, 2)

    torch.testing.assert_close(
        self_ensemble(bicubic, lr, 2), imresize(lr, 2), rtol=0, atol=1e-12
    )

    # A network that is not equivariant is changed by the ensemble.
    def shifted(x, size):
        return torch.roll(imresize(x, 2), 1, dims=-1)

    assert (self_ensemble(shifted, lr, 2) - shifted(lr, None)).abs().max() > 1e-3


def test_back_projection_reduces_the_lr_consistency_error():
    hr = _astronaut(32)
    lr = _lr(hr, 2)
    sr = (imresize(lr, 2) + 0.05 * torch.randn(hr.shape)).clamp(0, 1)
    errors = []
    for _ in range(5):
        errors.append(float((imresize(sr, 0.5) - lr).abs().mean()))
        sr = back_projection(sr, lr, 2)
    assert all(b < a for a, b in zip(errors, errors[1:], strict=False))
    assert errors[-1] < 0.3 * errors[0]
    k = gaussian_kernel(5, 1.0)
    lr_k = downscale_with_kernel(hr, k, 2)
    sr = imresize(lr_k, 2)
    before = float((downscale_with_kernel(sr, k, 2) - lr_k).abs().mean())
    for _ in range(3):
        sr = back_projection(sr, lr_k, 2, kernel=k)
    after = float((downscale_with_kernel(sr, k, 2) - lr_k).abs().mean())
    assert after < 0.5 * before


# ---------------------------------------------------------------------- the loop


@pytest.mark.parametrize(
    "channels,scale,hw",
    [
        (3, 2, (16, 16)),
        (3, 3, (17, 19)),
        (1, 2, (15, 20)),
        (1, 3, (16, 17)),
        (3, 1.5, (16, 17)),
    ],
)
def test_output_shapes(channels, scale, hw):
    lr = torch.rand(1, channels, *hw)
    res = _run(lr, scale)
    out = (math.ceil(hw[0] * scale), math.ceil(hw[1] * scale))
    assert res.sr.shape == (1, channels, *out)
    assert 0 <= float(res.sr.min()) and float(res.sr.max()) <= 1
    assert res.iterations == SMOKE.max_iters and len(res.loss) == SMOKE.max_iters


@pytest.mark.parametrize("preset", ["pixelshuffle", "zssr_star", "gradual_x4"])
def test_variants_run(preset):
    cfg = dataclasses.replace(
        SMOKE,
        **{k: v for k, v in PRESETS[preset].items() if k != "back_projection_iters"},
    )
    scale = 4 if preset == "gradual_x4" else 2
    lr = _lr(_astronaut(64), 4) if scale == 4 else _lr(_astronaut(32), 2)
    res = _run(lr, scale, cfg)
    assert res.sr.shape == ((1, 3, 64, 64) if scale == 4 else (1, 3, 32, 32))
    assert all(map(math.isfinite, res.loss))
    stages = 2 if preset == "gradual_x4" else 1
    assert res.iterations == stages * SMOKE.max_iters


def test_a_few_iterations_lower_the_loss():
    # The training loss is over random fathers of varying difficulty; the fixed task
    # is reconstructing the LR image from its son (the lr policy's error).
    cfg = dataclasses.replace(
        SMOKE,
        depth=5,
        width=32,
        crop=32,
        max_iters=100,
        lr_policy=False,
        test_every=20,
    )
    res = _run(_lr(_astronaut(48), 2), config=cfg)
    assert res.rec_iters == [1, 21, 41, 61, 81]
    assert all(b < a for a, b in zip(res.rec_mse, res.rec_mse[1:], strict=False))
    assert res.rec_mse[-1] < 0.9 * res.rec_mse[0], res.rec_mse
    assert np.mean(res.loss[-20:]) < np.mean(res.loss[:20])


def test_same_seed_same_result_and_hr_only_feeds_the_trace():
    hr = _astronaut(32)
    lr = _lr(hr, 2)
    a = _run(lr, hr=hr, trace_every=4)
    b = _run(lr)
    assert torch.equal(a.sr, b.sr) and a.loss == b.loss
    assert all(torch.equal(a.state[k], b.state[k]) for k in a.state)
    assert a.trace_iters == [0, 4, 8, 12] and b.trace_iters == []
    assert a.psnr == pytest.approx(float(psnr(a.sr, hr, shave=2)[0]))
    c = _run(lr, config=dataclasses.replace(SMOKE, seed=1))
    assert (c.sr - a.sr).abs().max() > 1e-4


def test_adam_matches_torch_and_each_row_of_the_stacked_one():
    torch.manual_seed(0)
    w0 = torch.randn(3, 4)
    targets = [torch.randn(3, 4) for _ in range(5)]
    ref = w0.clone().requires_grad_()
    opt = torch.optim.Adam([ref], lr=1e-2)
    one = w0.clone()
    adam = Adam([one], (0.9, 0.999), 1e-8)
    # Row 1 of two stacked networks; row 0 sits out the steps (a stopped image).
    rows = {"w": torch.stack([torch.zeros(3, 4), w0.clone()])}
    row_adam = RowAdam(rows, (0.9, 0.999), 1e-8)
    for t in targets:
        opt.zero_grad()
        (ref - t).square().sum().backward()
        opt.step()
        adam.step([2 * (one - t)], lr=1e-2)
        row_adam.step([1], [2 * (rows["w"][1:] - t)], [1e-2])
    # torch updates m by lerp: the same formula, rounded differently.
    torch.testing.assert_close(one, ref.detach(), rtol=0, atol=1e-6)
    assert torch.equal(rows["w"][1], one)
    assert torch.equal(rows["w"][0], torch.zeros(3, 4))


@pytest.mark.usefixtures("fp32")
@pytest.mark.parametrize("upsample", ["bicubic", "pixelshuffle"])
def test_n_at_once_equals_one_by_one(upsample):
    # Two sizes (padding + masks), 2 crops per image, dropout, a sensitive lr policy;
    # the reference init and lr rule, whose slow start makes the policy stop the
    # images apart (srcore's guard holds the rate on that start: both would run 30).
    cfg = dataclasses.replace(
        SMOKE,
        batch_size=2,
        dropout=0.1,
        max_iters=30,
        min_lr=5e-5,
        seed=3,
        upsample=upsample,
        **PRESETS["reference_init"],
        **PRESETS["reference_lr_rule"],
    )
    imgs = [_lr(_astronaut(36), 2), _lr(_astronaut(28, offset=60), 2)]
    many = zssr_many(imgs, 2, cfg, device="cpu", progress=False)
    for i, img in enumerate(imgs):
        alone = _run(img, config=dataclasses.replace(cfg, seed=3 + i))
        assert many[i].iterations == alone.iterations
        assert many[i].lr_changes == alone.lr_changes
        np.testing.assert_allclose(many[i].loss, alone.loss, rtol=1e-4, atol=1e-6)
        torch.testing.assert_close(many[i].sr, alone.sr, rtol=0, atol=1e-4)
        for k, v in alone.state.items():
            torch.testing.assert_close(many[i].state[k], v, rtol=0, atol=1e-4)
    if upsample == "bicubic":  # the policy stopped them apart: one froze first
        assert many[0].iterations != many[1].iterations


@pytest.mark.usefixtures("fp32")
@pytest.mark.parametrize("preset", ["plain", "zssr_star", "pixelshuffle", "gradual_x4"])
def test_the_batched_path_on_one_image_equals_the_plain_path(preset):
    # zssr runs the plain one-image loop; zssr_many([img]) the stacked, vmapped one.
    overrides = {k: v for k, v in PRESETS.get(preset, {}).items()}
    overrides.pop("back_projection_iters", None)
    cfg = dataclasses.replace(SMOKE, max_iters=40, min_lr=5e-5, **overrides)
    scale = 4 if preset == "gradual_x4" else 2
    img = _lr(_astronaut(64 if scale == 4 else 36), scale)
    (many,) = zssr_many([img], scale, cfg, device="cpu", progress=False)
    alone = _run(img, scale, cfg)
    assert many.iterations == alone.iterations and many.lr_changes == alone.lr_changes
    np.testing.assert_allclose(many.loss, alone.loss, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(many.sr, alone.sr, rtol=0, atol=1e-4)
    for k, v in alone.state.items():
        torch.testing.assert_close(many.state[k], v, rtol=0, atol=1e-4)


def test_backbone_vdsr_is_fine_tuned_from_its_state():
    def factory():
        return VDSR(channels=3, depth=3, features=8)

    torch.manual_seed(0)
    start = factory().state_dict()
    res = _run(_lr(_astronaut(32), 2), init_state=start, backbone=factory)
    assert set(res.state) == set(start)
    assert any((res.state[k] - start[k]).abs().max() > 0 for k in start)
    shuffle = dataclasses.replace(SMOKE, upsample="pixelshuffle")
    with pytest.raises(ValueError, match="backbone"):
        _run(_lr(_astronaut(32), 2), config=shuffle, backbone=factory)


# ------------------------------------------------------------------- Online SR


@pytest.mark.usefixtures("fp32")
def test_online_mode_starts_from_the_previous_weights():
    imgs = [_lr(_astronaut(32), 2), _lr(_astronaut(32, offset=50), 2)]
    online = online_sr(imgs, 2, SMOKE, mode="online", device="cpu", progress=False)
    again = _run(
        imgs[1], config=dataclasses.replace(SMOKE, seed=1), init_state=online[0].state
    )
    assert torch.equal(online[1].sr, again.sr)
    scratch = online_sr(imgs, 2, SMOKE, mode="scratch", device="cpu", progress=False)
    assert torch.equal(scratch[0].sr, online[0].sr)  # same seed, same first image
    assert (scratch[1].sr - online[1].sr).abs().max() > 1e-4
    batched = online_sr(
        imgs, 2, SMOKE, mode="scratch", batched=True, device="cpu", progress=False
    )
    torch.testing.assert_close(batched[1].sr, scratch[1].sr, rtol=0, atol=1e-4)


def test_external_modes():
    hrs = [_astronaut(32), _astronaut(32, offset=50)]
    imgs = [_lr(h, 2) for h in hrs]
    ext = pretrain_external(
        [_astronaut(24, offset=-80)], 2, SMOKE, steps=5, device="cpu", progress=False
    )
    frozen = online_sr(
        imgs,
        2,
        SMOKE,
        mode="ext",
        init_state=ext,
        hrs=hrs,
        device="cpu",
        progress=False,
    )
    assert [r.iterations for r in frozen] == [0, 0]
    assert all(torch.equal(frozen[0].state[k], ext[k]) for k in ext)
    assert frozen[0].trace_iters == [0]
    ftune = online_sr(
        imgs,
        2,
        SMOKE,
        mode="ext_ftune",
        init_state=ext,
        hrs=hrs,
        device="cpu",
        progress=False,
        trace_every=4,
    )
    # Both images start from the external weights: their iteration-0 PSNR is ext's.
    assert [r.trace_psnr[0] for r in ftune] == [r.trace_psnr[0] for r in frozen]
    with pytest.raises(ValueError, match="needs init_state"):
        online_sr(imgs, 2, SMOKE, mode="ext_online", device="cpu", progress=False)
    with pytest.raises(ValueError, match="random init"):
        online_sr(imgs, 2, SMOKE, mode="online", init_state=ext, progress=False)
    with pytest.raises(ValueError, match="mode must be"):
        online_sr(imgs, 2, SMOKE, mode="offline", progress=False)


# ---------------------------------------------------------------------- errors


def test_perceptual_variant_needs_real_vgg_weights(monkeypatch):
    def offline():
        raise vgg.WeightsUnavailable("offline (test)")

    monkeypatch.setattr(vgg, "_load_imagenet_state", offline)
    cfg = dataclasses.replace(SMOKE, perceptual_weight=0.1)
    with pytest.raises(vgg.WeightsUnavailable):
        _run(_lr(_astronaut(32), 2), config=cfg)


def test_non_finite_loss_names_the_iteration():
    # Adam's first step moves every weight by ~lr: the second loss overflows.
    with pytest.raises(FloatingPointError, match="at iteration 2 "):
        _run(_lr(_astronaut(32), 2), config=dataclasses.replace(SMOKE, lr=1e30))


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="too small"):
        _run(torch.rand(1, 3, 5, 5), 2)
    with pytest.raises(ValueError, match=r"\(1, C, h, w\)"):
        _run(torch.rand(3, 16, 16), 2)
    with pytest.raises(ValueError, match="one float image"):
        _run(torch.rand(2, 3, 16, 16), 2)
    with pytest.raises(ValueError, match="hr must be"):
        _run(torch.rand(1, 3, 16, 16), 2, hr=torch.rand(1, 3, 16, 16))
    with pytest.raises(ValueError, match="loss must be"):
        _run(torch.rand(1, 3, 16, 16), 2, dataclasses.replace(SMOKE, loss="l2"))
    with pytest.raises(ValueError, match="last of scale_factors"):
        _run(
            torch.rand(1, 3, 16, 16), 2, dataclasses.replace(SMOKE, scale_factors=(3,))
        )
    with pytest.raises(ValueError, match="same channel count"):
        zssr_many(
            [torch.rand(1, 3, 16, 16), torch.rand(1, 1, 16, 16)],
            2,
            SMOKE,
            device="cpu",
            progress=False,
        )


def test_profiles_and_presets_resolve():
    for name in PROFILE_NAMES:
        assert isinstance(resolve_profile(ZSSRConfig(), PROFILES, name), ZSSRConfig)
    assert resolve_profile(ZSSRConfig(), PROFILES, "paper") == ZSSRConfig()
    for overrides in PRESETS.values():
        check_config(dataclasses.replace(ZSSRConfig(), **overrides))
    for overrides in PROFILES.values():
        check_config(dataclasses.replace(ZSSRConfig(), **overrides))


# -------------------------------------------------------------- the method works


def test_zssr_beats_bicubic_on_a_set5_crop(data_dir):
    from srcore.data import load_hr
    from srcore.methods.bicubic import upscale
    from srcore.protocol import make_lr

    hr = load_hr("Set5", "baby", 2, root=data_dir)
    c = hr.shape[-1] // 2
    hr = hr[..., c - 48 : c + 48, c - 48 : c + 48]
    lr = make_lr(hr, 2)
    cfg = dataclasses.replace(ZSSRConfig(), **SHORT)
    res = zssr(lr, 2, cfg, hr=hr, device="cpu", progress=False, trace_every=100)
    bicubic = float(psnr(upscale(lr, 2), hr, shave=2)[0])
    # Back-projection alone lifts bicubic by ~1.1 dB here: the network must add more.
    bp_only = self_ensemble(lambda x, size: imresize(x, 2), lr, 2, bp_iters=10)
    with_bp = float(psnr(bp_only, hr, shave=2)[0])
    # srcore's init starts below bicubic (a residual of a few percent), then learns.
    assert res.trace_psnr[0] < bicubic
    assert res.trace_psnr[-1] > bicubic + 1.0, (res.trace_psnr, bicubic)
    assert res.psnr > bicubic + 1.5 and res.psnr > with_bp + 0.5, (res.psnr, with_bp)


def test_same_seed_and_threads_is_bit_identical_and_seeds_differ():
    """The seed spread the book reports is the only randomness: a run repeated with
    its seed on the same machine and thread count gives the same bits."""
    lr_img = _lr(_astronaut(32), 2)
    cfg = dataclasses.replace(SMOKE, seed=5)
    a, b = _run(lr_img, config=cfg), _run(lr_img, config=cfg)
    assert torch.equal(a.sr, b.sr) and a.loss == b.loss and a.rec_mse == b.rec_mse
    c = _run(lr_img, config=dataclasses.replace(cfg, seed=6))
    assert not torch.equal(a.sr, c.sr)


def test_health_of_a_stalled_and_a_trained_run():
    """The health rule reads the run's own reconstruction error: a network whose
    residual is held at zero stays at the interpolation (stalled); a trained one
    ends below it."""
    from srcore.health import verdict

    lr_img = _lr(_astronaut(48), 2)
    cfg = dataclasses.replace(
        SMOKE, depth=4, width=16, max_iters=150, lr_policy=False, crop=24
    )
    trained = _run(lr_img, config=cfg)
    assert verdict(trained.rec_final, trained.rec_interp, trained.rec_mse[0]) == (
        "trained"
    )
    frozen = _run(lr_img, config=dataclasses.replace(cfg, lr=1e-12))
    zeroed = {k: torch.zeros_like(v) for k, v in frozen.state.items()}
    still = _run(lr_img, config=dataclasses.replace(cfg, lr=1e-12), init_state=zeroed)
    assert still.rec_final == pytest.approx(still.rec_interp, rel=1e-6)
    assert verdict(still.rec_final, still.rec_interp, still.rec_mse[0]) == "stalled"


def test_under_bf16_training_the_tests_and_the_output_run_fp32(monkeypatch):
    """The lr rule reads the reconstruction error, and the output is scored: both
    come from an fp32 forward of the trained weights, whatever the training
    precision (issue 21), so the output equals that forward and not the bf16 one."""
    monkeypatch.setenv("SRCORE_CPU_BF16", "1")  # autocast on, native or not
    cfg = resolve_profile(ZSSRConfig(), PROFILES, "smoke")
    lr_img = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(3))
    res = zssr(lr_img, 2, cfg, device="cpu", progress=False, output="plain")
    net = ZSSRNet(3, depth=cfg.depth, width=cfg.width)
    net.load_state_dict(res.state)
    interp = resize_to(lr_img, 2, (32, 32))
    with torch.no_grad():
        fp32 = net(interp).clamp(0, 1)
        with torch.autocast("cpu", torch.bfloat16):
            bf16 = net(interp).float().clamp(0, 1)
    assert torch.allclose(res.sr, fp32, atol=1e-6)
    assert (res.sr - bf16).abs().max() > 1e-4


def test_the_lr_rule_waits_until_the_network_beats_the_interpolation():
    """A network that cannot move (lr 1e-12) reconstructs no better than the
    interpolation: the authors' rule reads the flat error as convergence and cuts
    the rate; srcore's guard (lr_hold_margin) holds it, so training runs on."""
    lr_img = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(5))
    frozen = dataclasses.replace(SMOKE, lr=1e-12, min_lr=1e-16)
    held = zssr(lr_img, 2, frozen, device="cpu", progress=False, output="none")
    assert held.lr_changes == [] and held.iterations == SMOKE.max_iters
    assert min(held.rec_mse) >= 0.95 * held.rec_interp
    authors = dataclasses.replace(frozen, **PRESETS["reference_lr_rule"])
    cut = zssr(lr_img, 2, authors, device="cpu", progress=False, output="none")
    assert cut.lr_changes != []
