"""Report 003's runs: DIP records (same images and seeds per loss), tables, curves."""

from __future__ import annotations

import pandas as pd
import pytest

from srcore.chapters import supervised_tables
from srcore.precision import cpu_has_native_bf16
from srcore.runs import dip_vs_lapsrn
from srcore.runs.context import RunContext


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SRCORE_CACHE", str(tmp_path / "cache"))


def test_crop_pair_is_centred_and_divisible(data_dir):
    lr_img, hr = dip_vs_lapsrn.crop_pair("BSD100", "101085", 64, data_dir)
    assert tuple(hr.shape[-2:]) == (64, 64) and tuple(lr_img.shape[-2:]) == (16, 16)
    _, whole = dip_vs_lapsrn.crop_pair("BSD100", "101085", None, data_dir)
    assert all(n % 32 == 0 for n in whole.shape[-2:])
    with pytest.raises(ValueError, match="smaller than crop"):
        dip_vs_lapsrn.crop_pair("BSD100", "101085", 4096, data_dir)


def test_dip_records_share_images_and_seeds(data_dir, tmp_path):
    res = tmp_path / "results"
    runs = [
        dip_vs_lapsrn.dip_run(
            loss, RunContext("smoke", data_root=data_dir, results=res, progress=False)
        )
        for loss in ("mse", "charbonnier")
    ]
    images = [[r["image"] for r in rec.per_image] for rec in runs]
    assert images[0] == images[1] and images[0]
    for rec in runs:
        row = rec.per_image[0]
        assert row["trace_steps"][-1] == rec.config["model"]["steps"]
        assert len(row["trace_psnr"]) == len(row["trace_steps"])
        assert row["psnr"] == pytest.approx(row["trace_psnr"][-1], abs=1e-6)
        assert dip_vs_lapsrn.crop_file(
            "dip", rec.key, images[0][0].split("@")[0], res
        ).exists()
    # Same seed, same bicubic: only the loss differs between the two records.
    assert runs[0].per_image[0]["psnr_bicubic"] == runs[1].per_image[0]["psnr_bicubic"]
    assert runs[0].per_image[0]["psnr"] != runs[1].per_image[0]["psnr"]
    again = dip_vs_lapsrn.dip_run(
        "mse", RunContext("smoke", data_root=data_dir, results=res, mode="read")
    )
    assert again.per_image == runs[0].per_image


def test_committed_quick_lapsrn_beats_bicubic_on_set5_and_bsd100_x4():
    from srcore.runs import results

    runs = [
        r
        for r in results.load_records("lapsrn")
        if r.config["profile"] == "quick"
        and r.config["scale"] == 4
        and r.config["degradation"] == "bicubic"
    ]
    weights = sorted(tuple(r.config["model"]["level_weights"]) for r in runs)
    assert weights == sorted(dip_vs_lapsrn.WEIGHTINGS)
    table = supervised_tables.summary(runs)
    for ds in ("Set5", "BSD100"):
        rows = table[table.dataset == ds]
        assert len(rows) == 3 and (rows.gain_db > 0.5).all(), rows


def test_committed_dip_beats_bicubic_for_both_losses():
    """Each seed of the quick DIP runs (chapter 03's spread) has both losses, on the
    same images, and each gains over bicubic on average."""
    from collections import defaultdict

    from srcore.runs import results

    runs = [r for r in results.load_records("dip") if r.config["profile"] == "quick"]
    by_seed = defaultdict(list)
    for r in runs:
        by_seed[r.config["model"]["seed"]].append(r)
    assert set(by_seed) >= {0, 1, 2}, sorted(by_seed)
    for seed, pair in by_seed.items():
        losses = sorted(r.config["model"]["loss"] for r in pair)
        assert losses == ["charbonnier", "mse"], (seed, losses)
        images = {tuple(x["image"] for x in r.per_image) for r in pair}
        assert len(images) == 1, f"seed {seed}: the two losses ran on other images"
        for rec in pair:
            frame = pd.DataFrame(rec.per_image)
            assert len(frame) == 10
            gain = (frame.psnr - frame.psnr_bicubic).mean()
            loss = rec.config["model"]["loss"]
            assert gain > 0, f"DIP {loss} seed {seed} gains {gain:+.3f} dB"


#: How far a re-run of a committed DIP image may land from its record. On one CPU
#: and thread count a re-run is bit-identical; across CPUs it is not: BSD100 image 2
#: (MSE, 600 steps) gives 24.310 dB here against the record's 24.478 dB, made on
#: another AMD EPYC with the same code (the code before and after the issue-10
#: refactoring gives 24.31032289172977 both). Twice that difference.
DIP_RERUN_TOL_DB = 0.35


def test_rerun_reproduces_a_committed_dip_image(data_dir, monkeypatch):
    """One committed DIP image re-optimised from scratch in the record's own
    precision: same PSNR within :data:`DIP_RERUN_TOL_DB`."""
    from dataclasses import replace

    from srcore.methods import dip
    from srcore.metrics import psnr
    from srcore.runs import results

    rec = next(
        r
        for r in results.load_records("dip")
        if r.config["profile"] == "quick" and r.config["model"]["loss"] == "mse"
    )
    row = rec.per_image[1]
    _, precision = results.item_machine(rec, row)
    if precision == "bf16" and not cpu_has_native_bf16():
        pytest.skip("the record was made in bf16; this CPU has no native bf16")
    monkeypatch.setenv("SRCORE_CPU_BF16", "1" if precision == "bf16" else "0")
    name, seed = row["image"].rsplit("@", 1)
    ds, image = name.split("/")
    lr_img, hr = dip_vs_lapsrn.crop_pair(
        ds, image, rec.config["eval"]["crop"], data_dir
    )
    cfg = dip.DIPConfig(**{k: v for k, v in rec.config["model"].items()})
    out = dip.optimize(
        lr_img, 4, replace(cfg, seed=cfg.seed + int(seed)), device="cpu", progress=False
    )
    assert float(psnr(out.sr, hr, shave=4)) == pytest.approx(
        row["psnr"], abs=DIP_RERUN_TOL_DB
    )


def test_dip_eval_profiles_keep_their_settings():
    """The records hash these settings: a changed value would orphan them."""
    assert dip_vs_lapsrn.DIP_EVAL == {
        "smoke": {"dataset": "BSD100", "images": 1, "crop": 64, "seeds": [0]},
        "quick": {"dataset": "BSD100", "images": 10, "crop": 64, "seeds": [0]},
        "paper": {"dataset": "BSD100", "images": 100, "crop": None, "seeds": [0, 1]},
    }
