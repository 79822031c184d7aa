"""Deep Image Prior: the skip net, the Lanczos2 data term, and the optimisation loop.

Tiny networks (8 channels, 2 levels) on 16x16 / 32x32 HR images keep the file to
seconds on a busy CPU.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from skimage import data as skdata

from srcore import imresize, psnr
from srcore.methods import dip
from srcore.methods.dip import (
    PROFILES,
    DIPConfig,
    SkipNet,
    downsample,
    optimize,
)
from srcore.profiles import PROFILE_NAMES, resolve_profile

TINY = DIPConfig(channels=8, levels=2, input_depth=8, steps=30)


@pytest.fixture(autouse=True)
def _one_thread():
    # Tiny tensors: with two threads on a loaded machine each op waits on the other
    # thread's time slice (~20x slower); one thread keeps this file to seconds.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _astronaut(size: int, offset: int = 0) -> torch.Tensor:
    """A centre ``size x size`` crop of skimage's astronaut, ``(1, 3, size, size)``."""
    img = skdata.astronaut()
    c = img.shape[0] // 2 + offset
    crop = img[c - size // 2 : c + size // 2, c - size // 2 : c + size // 2]
    return torch.from_numpy(crop).permute(2, 0, 1)[None].float() / 255.0


def _lr(hr: torch.Tensor, scale: int) -> torch.Tensor:
    return imresize(hr, 1 / scale).clamp(0, 1)


def _fit(lr, scale, config=TINY, **kw):
    return optimize(lr, scale, config, device="cpu", progress=False, **kw)


# ----------------------------------------------------------------------- SkipNet


@pytest.mark.parametrize("levels,size", [(2, 16), (3, 32)])
def test_skipnet_shape_and_sigmoid_range(levels, size):
    net = SkipNet(8, 3, channels=8, levels=levels, skip=4)
    out = net(torch.rand(2, 8, size, size) * 0.1)
    assert out.shape == (2, 3, size, size)
    assert 0 < float(out.detach().min()) and float(out.detach().max()) < 1


def test_skipnet_paper_layout():
    net = SkipNet()  # 32 -> 3, 128 channels, 5 levels, 4 skip channels
    assert len(net.down) == len(net.up) == len(net.skips) == 5
    assert net.down[0][0][1].stride == (2, 2)  # [pad, conv, bn, act]
    assert isinstance(net.down[0][0][0], torch.nn.ReflectionPad2d)
    assert net.up[0][1][1].in_channels == 128 + 4
    assert net.skips[0][0].kernel_size == (1, 1)


@pytest.mark.parametrize("hw", [(10, 16), (16, 18), (4, 4)])
def test_skipnet_rejects_bad_sizes(hw):
    net = SkipNet(8, 3, channels=8, levels=2)
    with pytest.raises(ValueError, match="multiples of 4"):
        net(torch.rand(1, 8, *hw))


def test_same_seed_same_init_and_input():
    a_net, a_z, a_seed = dip.init_image(TINY, 3, (16, 16), seed=5)
    b_net, b_z, b_seed = dip.init_image(TINY, 3, (16, 16), seed=5)
    c_net, c_z, _ = dip.init_image(TINY, 3, (16, 16), seed=6)
    for (k, va), vb, vc in zip(
        a_net.state_dict().items(),
        b_net.state_dict().values(),
        c_net.state_dict().values(),
        strict=True,
    ):
        assert torch.equal(va, vb), k
        if va.ndim == 4:  # conv weights
            assert not torch.equal(va, vc), k
    assert torch.equal(a_z, b_z) and a_seed == b_seed and not torch.equal(a_z, c_z)
    # DIP's noise_type='u', var=1/10: U[0, 1) * 0.1
    assert a_z.shape == (8, 16, 16) and 0 <= a_z.min() and a_z.max() < 0.1


# ------------------------------------------------------------------- downsampler


def _dip_lanczos2_downsample(x: torch.Tensor, scale: int) -> torch.Tensor:
    """DIP's ``Downsampler(kernel_type='lanczos2', phase=0.5, preserve_size=True)``
    written from its definition: 4s taps of lanczos2(d / s) at half-pixel offsets,
    normalised, replication padding 1.5 s, stride s."""
    n = 4 * scale
    d = np.abs(np.arange(1, n + 1) + 0.5 - (n + 2) / 2) / scale
    k1 = 2 * np.sin(np.pi * d) * np.sin(np.pi * d / 2) / (np.pi**2 * d**2)
    k = np.outer(k1, k1)
    k = torch.from_numpy(k / k.sum()).to(x.dtype)
    c = x.shape[1]
    pad = (n - scale) // 2
    xp = F.pad(x, (pad,) * 4, mode="replicate")
    return F.conv2d(xp, k.expand(c, 1, n, n), stride=scale, groups=c)


@pytest.mark.parametrize("scale", [2, 4])
def test_downsample_equals_dip_lanczos2_away_from_borders(scale):
    x = torch.rand(2, 3, 32, 32, dtype=torch.float64)
    ours, theirs = downsample(x, scale), _dip_lanczos2_downsample(x, scale)
    assert ours.shape == theirs.shape == (2, 3, 32 // scale, 32 // scale)
    torch.testing.assert_close(
        ours[..., 2:-2, 2:-2], theirs[..., 2:-2, 2:-2], rtol=0, atol=1e-12
    )
    assert (ours - theirs).abs().max() > 1e-6  # the borders do differ


# ----------------------------------------------------------------------- optimize


def test_optimize_fits_lr_and_uses_hr_only_for_the_trace():
    hr = _astronaut(32)
    lr = _lr(hr, 2)
    res = _fit(lr, 2, hr=hr, trace_every=10)
    assert res.sr.shape == hr.shape and 0 <= res.sr.min() and res.sr.max() <= 1
    assert len(res.loss) == TINY.steps and all(map(math.isfinite, res.loss))
    assert np.mean(res.loss[-5:]) < 0.5 * res.loss[0]
    assert res.trace_steps == [10, 20, 30]
    assert len(res.trace_psnr) == 1 and len(res.trace_psnr[0]) == 3
    # The last trace point is the returned image's score.
    last = float(psnr(res.sr, hr, shave=2)[0])
    assert res.trace_psnr[0][-1] == pytest.approx(last, abs=1e-9)
    assert res.seconds >= res.seconds_per_step * TINY.steps > 0
    # Without HR: the same image, no trace.
    blind = _fit(lr, 2)
    assert blind.trace_steps == [] and blind.trace_psnr == [[]]
    assert torch.equal(blind.sr, res.sr)
    assert blind.loss == res.loss


@pytest.mark.usefixtures("fp32")
def test_n_at_once_equals_one_by_one():
    hr = torch.cat([_astronaut(16), _astronaut(16, offset=40)])
    lr = _lr(hr, 2)
    cfg = dataclasses.replace(TINY, steps=12, seed=3)
    both = _fit(lr, 2, cfg)
    for i in range(2):
        alone = _fit(lr[i : i + 1], 2, dataclasses.replace(cfg, seed=3 + i))
        torch.testing.assert_close(both.sr[i : i + 1], alone.sr, rtol=0, atol=1e-4)
    # Different seeds, different networks: the two are not the same fit.
    swapped = _fit(lr[:1], 2, dataclasses.replace(cfg, seed=4))
    assert (swapped.sr - both.sr[:1]).abs().max() > 1e-3


@pytest.mark.parametrize("loss", ["mse", "charbonnier"])
def test_both_data_terms_run(loss):
    lr = _lr(_astronaut(16), 2)
    res = _fit(lr, 2, dataclasses.replace(TINY, steps=3, loss=loss))
    assert len(res.loss) == 3 and all(map(math.isfinite, res.loss))
    if loss == "charbonnier":
        assert min(res.loss) >= TINY.charbonnier_eps


def test_bad_inputs_raise():
    lr = torch.rand(1, 3, 8, 8)
    with pytest.raises(ValueError, match="unknown loss"):
        _fit(lr, 2, dataclasses.replace(TINY, loss="l1"))
    with pytest.raises(ValueError, match="multiples of 4"):
        _fit(torch.rand(1, 3, 5, 5), 2)
    with pytest.raises(ValueError, match="hr must be"):
        _fit(lr, 2, hr=torch.rand(1, 3, 8, 8))


def test_nan_loss_names_the_step(monkeypatch):
    calls = []

    def poisoned(x, y):
        calls.extend([1] if x.requires_grad else [])  # training steps only
        out = dip.mse(x, y)
        return out * float("nan") if len(calls) >= 3 else out

    monkeypatch.setitem(dip.DATA_TERMS, "mse", poisoned)
    with pytest.raises(FloatingPointError, match=r"step 3 of 30 \(images \[0\]\)"):
        _fit(_lr(_astronaut(16), 2), 2)


def test_profiles_resolve():
    for name in PROFILE_NAMES:
        cfg = resolve_profile(DIPConfig(), PROFILES, name)
        assert isinstance(cfg, DIPConfig)
    assert resolve_profile(DIPConfig(), PROFILES, "paper") == DIPConfig()
    x8 = resolve_profile(DIPConfig(), PROFILES, "paper", **dip.PAPER_BY_SCALE[8])
    assert (x8.steps, x8.reg_noise_std) == (4000, 0.05)


def test_same_seed_bit_identical_and_health_from_the_data_term():
    """Repeated with its seed, DIP gives the same bits; its health compares its own
    final data term with the interpolation's (srcore.health)."""
    from srcore.health import tail_mean, verdict

    lr = _lr(_astronaut(32), 2)
    cfg = dataclasses.replace(TINY, steps=60)
    a, b = _fit(lr, 2, cfg), _fit(lr, 2, cfg)
    assert torch.equal(a.sr, b.sr) and a.loss == b.loss
    assert len(a.image_loss[0]) == 60 and a.interp_loss[0] > 0
    # the tiny net falls from its start but not below bicubic's data term in 60 steps
    first = a.image_loss[0][0]
    assert (
        verdict(tail_mean(a.image_loss[0]), a.interp_loss[0], first) == "under-fitted"
    )
    still = _fit(lr, 2, dataclasses.replace(cfg, lr=1e-12))  # never moves
    first = still.image_loss[0][0]
    assert verdict(tail_mean(still.image_loss[0]), still.interp_loss[0], first) == (
        "stalled"
    )


@pytest.mark.usefixtures("fp32")
def test_one_image_alone_equals_the_same_image_among_two():
    """One image runs the plain module, N > 1 the vmap-ed stack: same result."""
    lr = _lr(_astronaut(32), 2)
    cfg = dataclasses.replace(TINY, steps=5, seed=3)
    alone = _fit(lr, 2, cfg)
    pair = _fit(torch.cat([lr, _lr(_astronaut(32, offset=40), 2)]), 2, cfg)
    torch.testing.assert_close(pair.sr[:1], alone.sr, rtol=0, atol=1e-4)
    np.testing.assert_allclose(pair.image_loss[0], alone.image_loss[0], rtol=1e-4)


class _Killed(Exception):
    """Stands for the end of a session in the middle of a run."""


def _fit_killed_at(step: int, lr, cfg, monkeypatch, **kw) -> None:
    """Run :func:`_fit` on ``lr`` until the session "ends" during training step
    ``step`` (the data term raises at that step's last image)."""
    calls = []

    def data_term(x, y):
        calls.extend([1] if x.requires_grad else [])  # training steps only
        if len(calls) == step * len(lr):  # one call per image and step
            raise _Killed
        return dip.mse(x, y)

    with monkeypatch.context() as m:
        m.setitem(dip.DATA_TERMS, "mse", data_term)
        with pytest.raises(_Killed):
            _fit(lr, 2, cfg, **kw)


@pytest.mark.parametrize("n", [1, 2])
def test_a_run_resumed_from_its_checkpoint_computes_the_uninterrupted_run(
    tmp_path, monkeypatch, n
):
    hr = torch.cat([_astronaut(16), _astronaut(16, offset=40)])[:n]
    lr = _lr(hr, 2)
    cfg = dataclasses.replace(TINY, steps=10, seed=5)
    straight = _fit(lr, 2, cfg, hr=hr, trace_every=2)
    ckpt = tmp_path / "run.pt"
    _fit_killed_at(
        8,
        lr,
        cfg,
        monkeypatch,
        hr=hr,
        trace_every=2,
        checkpoint=ckpt,
        checkpoint_every=3,
        checkpoint_note={"commit": "a"},
    )
    assert ckpt.exists()  # saved after steps 3 and 6: the run goes on from 6
    resumed = _fit(
        lr,
        2,
        cfg,
        hr=hr,
        trace_every=2,
        checkpoint=ckpt,
        checkpoint_every=3,
        checkpoint_note={"commit": "b"},
    )
    assert not ckpt.exists()
    assert torch.equal(resumed.sr, straight.sr)
    assert resumed.loss == straight.loss
    assert resumed.trace_steps == straight.trace_steps
    assert resumed.trace_psnr == straight.trace_psnr
    assert resumed.segments == [
        {"from_step": 0, "commit": "a"},
        {"from_step": 6, "commit": "b"},
    ]
    assert straight.segments == []


def test_a_checkpoint_from_another_machine_or_setting_is_not_resumed(
    tmp_path, monkeypatch
):
    lr = _lr(_astronaut(16), 2)
    cfg = dataclasses.replace(TINY, steps=6)
    ckpt = tmp_path / "run.pt"

    _fit_killed_at(
        5,
        lr,
        cfg,
        monkeypatch,
        checkpoint=ckpt,
        checkpoint_every=2,
        checkpoint_match={"hardware": "cpu A"},
    )
    assert ckpt.exists()
    other = _fit(
        lr,
        2,
        cfg,
        checkpoint=ckpt,
        checkpoint_every=2,
        checkpoint_match={"hardware": "cpu B"},
    )
    assert other.segments == []  # started afresh: one part, from step 0
    assert torch.equal(other.sr, _fit(lr, 2, cfg).sr)
    ckpt.write_bytes(b"not a checkpoint")  # a damaged file: started afresh too
    assert torch.equal(_fit(lr, 2, cfg, checkpoint=ckpt).sr, other.sr)
