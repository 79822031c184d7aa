"""Supervised runs end to end (smoke), SRGAN's loop, and SRCNN beating bicubic."""

from __future__ import annotations

import json

import pytest
import torch

from srcore import data, health, psnr
from srcore.chapters import supervised_tables, tables
from srcore.imageops import rgb_to_ycbcr
from srcore.methods import bicubic
from srcore.methods.srresnet import Discriminator, SRResNet
from srcore.profiles import config_dict
from srcore.protocol import make_lr
from srcore.runs import supervised
from srcore.runs.context import RunContext
from srcore.runs.results import crop_file
from srcore.training.gan import content_loss_name, train_srgan
from srcore.training.models import SPECS, model_config
from srcore.training.patches import PatchSampler
from srcore.training.supervised import fit, super_resolve


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SRCORE_CACHE", str(tmp_path / "cache"))


def test_smoke_run_trains_scores_and_reloads(data_dir, tmp_path):
    res = tmp_path / "results"
    ctx = RunContext("smoke", results=res, progress=False)
    record = supervised.run("srcnn", 3, ctx)
    train_row, *evals = record.per_image
    assert train_row["image"] == "train" and train_row["params"] == 8129
    assert train_row["steps"] == 5 and train_row["seconds_per_step"] > 0
    assert evals and all(r["psnr"] > 0 and "psnr_bicubic" in r for r in evals)
    assert record.history["step"] and record.history["val_psnr"]
    # the health check: model and interpolated input on the same fresh batches
    h = train_row["health"]
    assert h["interp_error"] > 0 and h["start_error"] == record.history["loss"][0]
    assert health.row_verdict(train_row) in health.VERDICTS
    image = evals[0]["image"].split("/", 1)[1]
    assert crop_file(record.method, record.key, f"Set5/{image}", res).exists()
    again = supervised.run("srcnn", 3, ctx.replace(mode="read"))
    assert again.per_image == record.per_image
    table = supervised_tables.summary([record])
    assert table.loc[0, "method"] == "SRCNN" and table.loc[0, "n_images"] == 1


def test_srgan_smoke_starts_from_srresnet_and_labels_its_content_loss(
    data_dir, tmp_path
):
    res = tmp_path / "results"
    record = supervised.run(
        "srgan", 4, RunContext("smoke", results=res, progress=False)
    )
    assert record.config["model"]["content_loss"] == content_loss_name("vgg54")
    assert tables.label(record).startswith("SRGAN-")
    assert list((res / "srresnet").glob("*.json")), "SRResNet record not made first"
    assert {"d_loss", "adv", "content"} <= set(record.history)


def test_vgg54_falls_back_to_mse_only_without_weights(monkeypatch):
    monkeypatch.setattr("srcore.training.gan.vgg_weights_available", lambda: False)
    assert content_loss_name("vgg54") == "mse"
    monkeypatch.setattr("srcore.training.gan.vgg_weights_available", lambda: True)
    assert content_loss_name("vgg54") == "vgg54"


def test_gan_loop_moves_both_networks_and_resumes_exactly(tmp_path):
    hr = [torch.rand(1, 3, 48, 48, generator=torch.Generator().manual_seed(1))]
    sampler = PatchSampler(hr, 2, 16, seed=0)
    kwargs = dict(steps=4, batch_size=2, lr=1e-3, lr_final=1e-4, lr_switch=2)

    def fresh():
        torch.manual_seed(0)
        return SRResNet(3, 8, 1, scale=2), Discriminator(3, 8, 1)

    g, d = fresh()
    g0 = [p.clone() for p in g.parameters()]
    straight = train_srgan(g, d, sampler, **kwargs, progress=False, log_every=1)
    assert len(straight["d_loss"]) == 4
    assert any(not torch.equal(a, b) for a, b in zip(g0, g.parameters(), strict=True))
    # interrupted after 2 updates, resumed by a new process (new objects)
    g2, d2 = fresh()
    ckpt = tmp_path / "ckpt"
    train_srgan(
        g2,
        d2,
        sampler,
        **{**kwargs, "steps": 4},
        ckpt_dir=ckpt,
        ckpt_every=2,
        progress=False,
        log_every=1,
    )
    g3, d3 = fresh()
    resumed = train_srgan(
        g3, d3, sampler, **kwargs, ckpt_dir=ckpt, progress=False, log_every=1
    )
    assert resumed["steps_done"] == 4
    for a, b in zip(g2.parameters(), g3.parameters(), strict=True):
        assert torch.equal(a, b)


def test_luma_model_keeps_bicubic_chroma_and_grey_stays_grey():
    net = torch.nn.Conv2d(1, 1, 1)
    torch.nn.init.ones_(net.weight)
    torch.nn.init.zeros_(net.bias)  # identity on Y
    spec = SPECS["srcnn"]
    lr_img = torch.rand(1, 3, 10, 12)
    out = super_resolve(net, spec, lr_img, 2)
    ref = bicubic.upscale(lr_img, 2)
    assert out.shape == (1, 3, 20, 24)
    diff = (rgb_to_ycbcr(out) - rgb_to_ycbcr(ref)).abs().max()
    assert diff < 2 / 255  # identity network: bicubic back, up to 8-bit rounding
    grey = super_resolve(net, spec, lr_img[:, :1], 2)
    assert grey.shape == (1, 1, 20, 24)


def test_srcnn_beats_bicubic_on_a_real_image(data_dir, tmp_path):
    """A few hundred Adam updates on T91 already beat bicubic on Set5 butterfly ×3."""
    cfg = model_config(
        "srcnn",
        "quick",
        3,
        steps=300,
        batch_size=16,
        train_sets=("T91",),
        lr_milestones=(),
    )
    model, history = fit("srcnn", cfg, 3, data_root=data_dir, progress=False)
    assert history.loss[-1] < history.loss[0]
    # trained by the health rule: below the interpolated input's own loss
    assert history.interp_loss is not None
    final, interp = history.heldout_loss, history.interp_loss
    assert health.verdict(final, interp, history.loss[0]) == "trained"
    hr = data.load_hr("Set5", "butterfly", 3, root=data_dir)
    lr_img = make_lr(hr, 3)
    with torch.no_grad():
        sr = super_resolve(model, SPECS["srcnn"], lr_img, 3)
    gain = float(psnr(sr, hr, shave=3) - psnr(bicubic.upscale(lr_img, 3), hr, shave=3))
    assert gain > 0.3, f"SRCNN gains only {gain:+.2f} dB over bicubic"


def _committed(method: str, scale: int):
    from srcore.runs import results

    found = [
        r
        for r in results.load_records(method)
        if r.config["profile"] == "quick" and r.config["scale"] == scale
    ]
    assert len(found) == 1, f"committed quick {method} x{scale} record missing"
    return found[0]


def test_committed_quick_srcnn_beats_bicubic_by_1db_on_set5_x3():
    record = _committed("srcnn", 3)
    set5 = [r for r in record.per_image if r.get("dataset") == "Set5"]
    assert len(set5) == 5
    gain = sum(r["psnr"] - r["psnr_bicubic"] for r in set5) / 5
    assert gain >= 1.0, f"quick SRCNN x3 gains only {gain:.2f} dB on Set5"


def test_rerun_reproduces_committed_srcnn_x3(data_dir, monkeypatch):
    """Retrain the committed quick SRCNN x3 from scratch: Set5 mean within 0.05 dB.

    Training is deterministic given the initial weights, but the committed run drew
    its initial weights from the notebook's RNG stream (after the x2 run), so an
    isolated re-run starts elsewhere: the chapter's number (the Set5 mean) must
    still agree within 0.05 dB; single images move by up to ~0.12 dB.
    """
    record = _committed("srcnn", 3)
    cfg = model_config("srcnn", "quick", 3)
    assert json.loads(json.dumps(config_dict(cfg))) == record.config["model"]
    # A re-run reproduces in the record's precision: bf16 autocast only where the
    # CPU that made it had native bf16 (this one may, the record's may not have).
    native = bool(record.provenance.get("cpu_native_bf16", False))
    monkeypatch.setenv("SRCORE_CPU_BF16", "1" if native else "0")
    torch.manual_seed(0)
    model, _ = fit("srcnn", cfg, 3, data_root=data_dir, progress=False)
    spec = SPECS["srcnn"]
    new, old = [], []
    for row in (r for r in record.per_image if r.get("dataset") == "Set5"):
        hr = data.load_hr("Set5", row["image"].split("/")[1], 3, root=data_dir)
        with torch.no_grad():
            sr = super_resolve(model, spec, make_lr(hr, 3), 3)
        new.append(float(psnr(sr, hr, shave=3)))
        old.append(row["psnr"])
    assert max(abs(a - b) for a, b in zip(new, old, strict=True)) < 0.3
    assert sum(new) / len(new) == pytest.approx(sum(old) / len(old), abs=0.05)


def test_paper_runs_end_by_their_rule_on_held_out_training_images(
    data_dir, monkeypatch
):
    """A ``paper`` run validates on the last BSD200 images, never trains on them,
    and stops when its validations stop rising (here: at once, a 50 dB margin)."""
    from srcore.training import supervised as sup
    from srcore.training.models import StoppingRule

    rule = StoppingRule(
        val_every=2, plateau_checks=1, plateau_db=50.0, max_hours=1, holdout=2
    )
    held = sup.held_out_images(rule, 3, data_dir)
    names = [n for n, _ in data.iter_images("BSD200", 3, root=data_dir)]
    assert [n for n, _ in held] == names[-2:]
    seen: dict[str, list] = {}
    real_validator, real_images = sup.psnr_validator, sup._train_images

    def spy_validator(pairs, shave):
        seen["val_targets"] = [hr for _, hr in pairs]
        return real_validator(pairs, shave=shave)

    def spy_images(cfg, scale, root, limit, held_out=frozenset()):
        seen["held_out"] = held_out
        return real_images(cfg, scale, root, limit, held_out)

    monkeypatch.setattr(sup, "psnr_validator", spy_validator)
    monkeypatch.setattr(sup, "_train_images", spy_images)
    cfg = model_config("srcnn", "smoke", 3, steps=40, train_sets=("BSD200",))
    _, history = fit(
        "srcnn", cfg, 3, data_root=data_dir, smoke=True, progress=False, stopping=rule
    )
    assert seen["held_out"] == {("BSD200", n) for n in names[-2:]}
    luma = [rgb_to_ycbcr(hr)[:, :1] for _, hr in held]
    assert [t.shape for t in seen["val_targets"]] == [t.shape for t in luma]
    assert history.stopped.startswith("plateau") and history.steps_done == 4
    without = fit("srcnn", cfg, 3, data_root=data_dir, smoke=True, progress=False)[1]
    assert without.stopped is None and without.steps_done == 40


def test_only_paper_records_carry_a_stopping_rule():
    """Quick records keep the keys they were committed under; paper ones say how
    they end."""
    s = supervised.RunSettings(0, "bicubic", None, None)
    quick = supervised.run_config(
        "vdsr", 2, "quick", s, model_config("vdsr", "quick", 2)
    )
    paper = supervised.run_config(
        "vdsr", 2, "paper", s, model_config("vdsr", "paper", 2)
    )
    assert "stopping" not in quick
    assert paper["stopping"]["val_set"] == "BSD200"
    assert paper["stopping"]["max_hours"] > 0


def test_srcnn_trains_fp32_where_bf16_would_be_slower(data_dir, monkeypatch):
    """bf16 autocast is per network: SRCNN keeps fp32 (its step is slower in bf16),
    VDSR takes bf16, on a CPU that has it (forced here)."""
    monkeypatch.setenv("SRCORE_CPU_BF16", "1")
    precision = {}
    for name in ("srcnn", "vdsr"):
        cfg = model_config(name, "smoke", 2, steps=2)
        _, history = fit(name, cfg, 2, data_root=data_dir, smoke=True, progress=False)
        precision[name] = history.precision
    assert precision == {"srcnn": "fp32", "vdsr": "bf16"}
