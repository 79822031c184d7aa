"""Report 004's random-kernel runs: test pairs, training faults, committed results."""

from __future__ import annotations

import pytest
import torch

from srcore import protocol, psnr
from srcore.chapters import supervised_tables
from srcore.degrade import random_kernel_degradation
from srcore.methods import bicubic
from srcore.methods.lapsrn import bilinear_subpixel_weight
from srcore.protocol import make_lr
from srcore.runs import random_kernel_lapsrn, supervised
from srcore.runs.context import RunContext
from srcore.training import supervised as training
from srcore.training.models import SPECS, config_from_json, model_config
from srcore.training.patches import PatchSampler


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SRCORE_CACHE", str(tmp_path / "cache"))


def test_random_kernel_test_pairs(data_dir):
    lr_img, hr = protocol.test_pair("DIV2KRK", "im_14", 4, "random_kernel", data_dir)
    assert tuple(lr_img.shape[-2:]) == (hr.shape[-2] // 4, hr.shape[-1] // 4)
    a, hr2 = protocol.test_pair("BSD100", "101085", 2, "random_kernel", data_dir)
    b, _ = protocol.test_pair("BSD100", "101085", 2, "random_kernel", data_dir)
    assert torch.equal(a, b), "a test image's kernel must be fixed by its name"
    assert not torch.equal(a, make_lr(hr2, 2))
    other, _ = protocol.test_pair("BSD100", "101087", 2, "random_kernel", data_dir)
    assert a.shape != other.shape or not torch.equal(a, other)
    with pytest.raises(ValueError, match="degradation"):
        protocol.test_pair("BSD100", "101085", 2, "gaussian", data_dir)


def test_random_kernel_patches_are_a_function_of_the_step():
    hr = [torch.rand(1, 1, 80, 80, generator=torch.Generator().manual_seed(3))]
    sampler = PatchSampler(
        hr, 2, 32, channels="y", degradation=random_kernel_degradation(2), seed=1
    )
    (a, h1), (b, h2) = sampler.batch(5, 4), sampler.batch(5, 4)
    assert torch.equal(a, b) and torch.equal(h1, h2)
    c, _ = sampler.batch(6, 4)
    assert not torch.equal(a, c)


def test_misaligned_fault_moves_targets_only():
    hr = [torch.rand(1, 1, 64, 64, generator=torch.Generator().manual_seed(0))]
    sampler = PatchSampler(hr, 2, 32, channels="y", seed=0)
    faulty = training.MisalignedPairs(sampler, seed=0)
    lr_ok, hr_ok = sampler.batch(3, 8)
    lr_bad, hr_bad = faulty.batch(3, 8)
    assert torch.equal(lr_ok, lr_bad)
    assert not torch.equal(hr_ok, hr_bad)


def test_random_image_branch_fault_replaces_the_bilinear_filter():
    from srcore.methods.lapsrn import LapSRN

    net = LapSRN(1, 2, depth=1, upsample="subpixel")
    conv = net.levels[0].image_up[0]
    assert torch.allclose(conv.weight, bilinear_subpixel_weight(1))
    training.random_image_branch(net, seed=0)
    assert not torch.allclose(conv.weight, bilinear_subpixel_weight(1))


def test_bicubic_run_states_every_setting_in_its_key():
    """A committed bicubic record is found in read mode and its config states the
    degradation and fault (no setting is left out of the key when at its default)."""
    record = supervised.run("srcnn", 3, RunContext(mode="read"))
    assert record.config["degradation"] == "bicubic" and record.config["fault"] is None


def test_lapsrn_beats_bicubic_on_a_random_kernel_image(data_dir):
    """A short x2 training on random-kernel patches beats bicubic interpolation of
    a random-kernel LR image (the blur it has learnt to undo)."""
    cfg = model_config(
        "lapsrn",
        "quick",
        2,
        steps=150,
        depth=2,
        preact_residual=True,
        upsample="subpixel",
        train_sets=("T91",),
        lr_step=120,
    )
    model, history = training.fit(
        "lapsrn",
        cfg,
        2,
        data_root=data_dir,
        progress=False,
        degradation="random_kernel",
    )
    assert history.loss[-1] < history.loss[0]
    lr_img, hr = protocol.test_pair("Set5", "butterfly", 2, "random_kernel", data_dir)
    with torch.no_grad():
        sr = training.super_resolve(model, SPECS["lapsrn"], lr_img, 2)
    gain = float(psnr(sr, hr, shave=2) - psnr(bicubic.upscale(lr_img, 2), hr, shave=2))
    assert gain > 0.3, f"LapSRN gains only {gain:+.2f} dB over bicubic"


def _committed_rk():
    from srcore.runs import results

    return [
        r
        for r in results.load_records("lapsrn")
        if r.config.get("degradation") == "random_kernel"
        and r.config["profile"] == "quick"
        and r.config["fault"] is None
    ]


def test_committed_random_kernel_x2_and_x4_beat_bicubic():
    records = {
        (r.config["scale"], r.config["model"]["upsample"]): r for r in _committed_rk()
    }
    for key in [(s, u) for s in (2, 4, 8) for u in random_kernel_lapsrn.UPSAMPLERS]:
        assert key in records, f"committed random-kernel LapSRN {key} missing"
    table = supervised_tables.summary(list(records.values()))
    low = table[table.scale.isin([2, 4])]
    assert set(low.dataset) == {"DIV2KRK", "BSD100"}
    assert (low.gain_db > 0).all(), low
    x8 = table[table.scale == 8]
    assert set(x8.dataset) == {"BSD100"} and (x8.gain_db > 0).all(), x8


def test_committed_misaligned_pairs_fall_below_bicubic_and_worsen():
    """The fault the chapter names as the likely cause of report 004's failure:
    below bicubic on both test sets, validation PSNR lower at the end."""
    from srcore.runs import results

    (good,) = [
        r
        for r in _committed_rk()
        if r.config["scale"] == 2 and r.config["model"]["upsample"] == "subpixel"
    ]
    (bad,) = [
        r
        for r in results.load_records("lapsrn")
        if r.config.get("fault") == "misaligned_pairs"
        and r.config["profile"] == "quick"
    ]
    faulty = supervised_tables.summary([bad])
    assert len(faulty) == 2 and (faulty.gain_db < 0).all(), faulty
    assert (supervised_tables.summary([good]).gain_db > faulty.gain_db.values).all()
    assert bad.history["val_psnr"][-1] < bad.history["val_psnr"][0]


def test_committed_random_kernel_x2_is_what_todays_code_trains(data_dir):
    """The committed x2 sub-pixel run is what today's code trains: its stored config
    is today's quick config, and that training is deterministic (two short fits with
    the config's seed give the same weights, and their loss falls).

    The full retrain takes about ten CPU-minutes, a third of CI's budget, so it is not
    run here. It ran at commit 11ce3db on 2026-12-01 and re-made this record: the
    DIV2KRK gain changed by 0.01 dB.
    """
    import dataclasses

    record = next(
        r
        for r in _committed_rk()
        if r.config["scale"] == 2 and r.config["model"]["upsample"] == "subpixel"
    )
    assert not record.provenance.get("dirty")
    stored = vars(config_from_json("lapsrn", record.config["model"]))
    cfg = model_config(
        "lapsrn", "quick", 2, **{k: v for k, v in stored.items() if k != "scale"}
    )
    assert cfg == config_from_json("lapsrn", record.config["model"])
    short = dataclasses.replace(cfg, steps=20)
    fits = [
        training.fit(
            "lapsrn",
            short,
            2,
            data_root=data_dir,
            progress=False,
            degradation="random_kernel",
        )
        for _ in range(2)
    ]
    (a, history), (b, _) = fits
    for wa, wb in zip(a.state_dict().values(), b.state_dict().values(), strict=True):
        assert torch.equal(wa, wb)
    assert history.loss[-1] < history.loss[0]


def test_overrides_keep_the_chapters_patch_settings():
    """The records hash these settings: a changed value would orphan them."""
    base = {"upsample": "deconv", "preact_residual": True}
    assert random_kernel_lapsrn.overrides(2, "deconv", "quick") == base | {"crop": 64}
    assert random_kernel_lapsrn.overrides(4, "deconv", "smoke") == base | {"crop": 64}
    assert random_kernel_lapsrn.overrides(8, "deconv", "quick") == base | {
        "crop": 96,
        "batch_size": 8,
    }
    assert random_kernel_lapsrn.overrides(8, "deconv", "smoke")["batch_size"] == 2
    assert random_kernel_lapsrn.overrides(4, "deconv", "paper") == base
