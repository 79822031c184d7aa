"""Report 003's runs: DIP records (same images and seeds per loss), tables, curves."""

from __future__ import annotations

import pandas as pd
import pytest

from srcore.chapters import report003
from srcore.chapters.published import REPORT_003
from srcore.health import health
from srcore.plots import plot_psnr_traces
from srcore.precision import cpu_has_native_bf16
from srcore.runs.context import RunContext
from srcore.runs.results import RunRecord


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SRCORE_CACHE", str(tmp_path / "cache"))


def test_crop_pair_is_centred_and_divisible(data_dir):
    lr_img, hr = report003.crop_pair("BSD100", "101085", 64, data_dir)
    assert tuple(hr.shape[-2:]) == (64, 64) and tuple(lr_img.shape[-2:]) == (16, 16)
    _, whole = report003.crop_pair("BSD100", "101085", None, data_dir)
    assert all(n % 32 == 0 for n in whole.shape[-2:])
    with pytest.raises(ValueError, match="smaller than crop"):
        report003.crop_pair("BSD100", "101085", 4096, data_dir)


def test_dip_records_share_images_and_seeds_and_make_curves(data_dir, tmp_path):
    res = tmp_path / "results"
    runs = [
        report003.dip_run(
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
        assert report003.crop_file(
            "dip", rec.key, images[0][0].split("@")[0], res
        ).exists()
    # Same seed, same bicubic: only the loss differs between the two records.
    assert runs[0].per_image[0]["psnr_bicubic"] == runs[1].per_image[0]["psnr_bicubic"]
    assert runs[0].per_image[0]["psnr"] != runs[1].per_image[0]["psnr"]
    curves = report003.dip_curves(runs)
    assert set(curves["loss"]) == {"mse", "charbonnier"}
    assert (curves["min"] <= curves["mean"]).all() and (
        curves["mean"] <= curves["max"]
    ).all()
    gains = report003.final_gains(runs)
    assert list(gains["loss"]) == ["mse", "charbonnier"]
    assert plot_psnr_traces(curves).axes
    again = report003.dip_run(
        "mse", RunContext("smoke", data_root=data_dir, results=res, mode="read")
    )
    assert again.per_image == runs[0].per_image


def test_report_table_has_the_reports_numbers():
    table = report003.report_table()
    assert len(table) == len(REPORT_003["table"]) == 6
    best = table.loc[table.psnr.idxmax()]
    assert best.method == "DIP with Charbonnier" and best.psnr == 26.28
    assert table.loc[0, "gain_db"] == 0.0


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
    assert weights == sorted(report003.WEIGHTINGS)
    table = report003.full_table(runs)
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
    lr_img, hr = report003.crop_pair(ds, image, rec.config["eval"]["crop"], data_dir)
    cfg = dip.DIPConfig(**{k: v for k, v in rec.config["model"].items()})
    out = dip.optimize(
        lr_img, 4, replace(cfg, seed=cfg.seed + int(seed)), device="cpu", progress=False
    )
    assert float(psnr(out.sr, hr, shave=4)) == pytest.approx(
        row["psnr"], abs=DIP_RERUN_TOL_DB
    )


def test_dip_eval_profiles_keep_their_settings():
    """The records hash these settings: a changed value would orphan them."""
    assert report003.DIP_EVAL == {
        "smoke": {"dataset": "BSD100", "images": 1, "crop": 64, "seeds": [0]},
        "quick": {"dataset": "BSD100", "images": 10, "crop": 64, "seeds": [0]},
        "paper": {"dataset": "BSD100", "images": 100, "crop": None, "seeds": [0, 1]},
    }


def test_committed_crops_table_uses_the_shared_labels_and_means(monkeypatch):
    monkeypatch.setenv("SRCORE_RESULTS_MODE", "read")
    ctx = RunContext("quick", progress=False)
    lapsrn = report003.lapsrn_runs(ctx, seed=0)
    dips = [report003.dip_run(loss, ctx, seed=0) for loss in ("mse", "charbonnier")]
    crops = [report003.lapsrn_on_crops(r, ctx) for r in lapsrn]
    table = report003.crops_table(dips, crops, lapsrn)
    assert list(table.method) == [
        "Bicubic",
        "LapSRN w1=1, w2=1",
        "LapSRN w1=2, w2=1",
        "LapSRN w1=1, w2=2",
        "DIP with MSE",
        "DIP with Charbonnier",
    ]
    assert list(table.columns) == ["method", "n", "psnr", "ssim", "gain_db"]
    mse = pd.DataFrame(dips[0].per_image)
    row = table.set_index("method").loc["DIP with MSE"]
    assert row.gain_db == pytest.approx((mse.psnr - mse.psnr_bicubic).mean())
    assert row.n == len(mse)


def _dip_record(loss: str, seed: int, gains: list[float], total: int) -> RunRecord:
    rows = [
        {
            "image": f"BSD100/{i}@0",
            "psnr": 25.0 + g,
            "psnr_bicubic": 25.0,
            "health": health(0.5, 1.0, 2.0),  # a trained run's errors
            "provenance": {"hardware": f"CPU {seed % 2}", "cpu_native_bf16": True},
        }
        for i, g in enumerate(gains)
    ]
    config = {"model": {"loss": loss, "amp": True, "seed": seed}}
    return RunRecord(f"dip-{loss}-{seed}", "dip", config, rows, extra={"total": total})


def test_dip_seed_table_averages_complete_seeds_and_names_machines():
    runs = {
        0: [_dip_record("mse", 0, [1.0, 1.0], 2)],
        1: [_dip_record("mse", 1, [2.0, 2.0], 2)],
        2: [_dip_record("mse", 2, [9.0], 2)],  # still running: shown, not averaged
    }
    table = report003.dip_seed_table(runs)
    assert table.done.tolist()[:3] == ["2 of 2", "2 of 2", "1 of 2"]
    assert table.machine.tolist()[:2] == ["CPU 0, bf16", "CPU 1, bf16"]
    last = table.iloc[-1]
    assert last.seed == "mean ± sd over 2 complete seeds"
    assert last.gain_db == pytest.approx(1.5)
    assert last.gain_sd == pytest.approx(0.7071, abs=1e-4)
