"""The synthesis chapter on small hand-made records: which records it reads, the mean
over seeds beside the published anchor, the per-image win/loss counts, the verdict
counts; and, on the committed records, the anchors the chapter promises."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from srcore.chapters import published, synthesis
from srcore.chapters.verdicts import VERDICTS
from srcore.runs.results import COMMITTED_RESULTS, RunRecord


def _row(image: str, psnr: float, bicubic: float, **extra: Any) -> dict[str, Any]:
    ds = image.split("/")[0]
    return {
        "image": image,
        "dataset": ds,
        "psnr": psnr,
        "ssim": 0.9,
        "psnr_bicubic": bicubic,
        "ssim_bicubic": 0.8,
        "seconds": 0.5,
        **extra,
    }


def _record(
    key: str,
    method: str,
    rows: list[dict[str, Any]],
    *,
    scale: int = 4,
    dirty: bool = False,
    device: str = "cpu",
    **config: Any,
) -> RunRecord:
    config = {
        "method": method,
        "scale": scale,
        "profile": "quick",
        "degradation": "bicubic",
        "scoring": {"channel": "Y"},
        **config,
    }
    return RunRecord(
        key=key,
        method=method,
        config=config,
        per_image=rows,
        provenance={"dirty": dirty, "device": device, "commit": "abc"},
    )


def _save(root: Path, rec: RunRecord, suffix: str = ".json") -> None:
    folder = root / rec.method
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{rec.key}{suffix}").write_text(json.dumps(rec.to_json()))


SET5 = ["Set5/baby", "Set5/bird", "Set5/head"]
TRAIN = {"image": "train", "seconds": 600.0, "params": 10, "steps": 5}


def _srcnn(key: str, seed: int, offset: float) -> RunRecord:
    rows = [_row(im, 30.0 + offset + k, 28.0 + k) for k, im in enumerate(SET5)]
    return _record(key, "srcnn", [TRAIN, *rows], model={"seed": seed})


def test_walk_skips_unfinished_dirty_and_checks(tmp_path: Path) -> None:
    good = _srcnn("srcnn-a", 0, 0.0)
    _save(tmp_path, good)
    _save(tmp_path, _srcnn("srcnn-b", 1, 0.0), ".partial.json")
    dirty = _srcnn("srcnn-c", 2, 0.0)
    dirty.provenance["dirty"] = True
    _save(tmp_path, dirty)
    half = _srcnn("srcnn-d", 3, 0.0)
    half.extra["total"] = 10
    _save(tmp_path, half)
    _save(tmp_path, _record("chk", "imresize-vs-matlab", [], check="matlab"))
    records, skipped = synthesis.walk(tmp_path)
    assert [r.key for r in records] == ["srcnn-a"]
    assert skipped == {"unfinished": 2, "dirty": 1, "checks": 1}


def test_seeds_are_averaged_beside_the_published_value() -> None:
    runs = [_srcnn("a", 0, 0.0), _srcnn("b", 1, 0.4)]
    table = synthesis.summary(synthesis.image_rows(runs))
    assert len(table) == 1
    row = table.iloc[0]
    # Per seed: mean PSNR 31.0 and 31.4 over the same three images.
    assert (row.method, row.set, row.scale, row.n_images, row.runs) == (
        "SRCNN",
        "Set5",
        4,
        3,
        2,
    )
    assert row.psnr == pytest.approx(31.2)
    assert row.psnr_sd == pytest.approx(np.std([31.0, 31.4], ddof=1))
    assert row.psnr_bicubic == pytest.approx(29.0)
    assert row.gain_db == pytest.approx(2.2)
    expected = published.anchor("SRCNN", "Set5", 4)
    assert row.published == f"{expected.psnr:.2f}"
    assert row.published_psnr == expected.psnr
    page = synthesis.scale_table(table, 4).set_index("method")
    cell = page.loc["SRCNN"]
    assert cell["Set5 · ours"] == "31.20 ± 0.28"
    assert page.loc["Bicubic", "Set5 · ours"] == "29.00"
    assert cell["Set5 · published"] == f"{expected.psnr:.2f}"


def test_a_record_over_other_images_is_never_a_seed() -> None:
    """Three seeds over 5 BSD100 images and one record over 2 of them: two groups,
    each its own mean and seed count, and the page table shows the 5-image seeds."""
    five = [f"BSD100/{k}" for k in range(5)]

    def zssr(key: str, images: list[str], offset: float) -> RunRecord:
        rows = [_row(im, 30.0 + offset + k, 28.0 + k) for k, im in enumerate(images)]
        return _record(key, "zssr", rows, scale=2, variant="zssr", model={})

    seeds = [zssr(f"s{k}", five, 0.01 * k) for k in range(3)]
    two = zssr("two", five[:2], -2.0)
    rows = synthesis.image_rows([*seeds, two])
    table = synthesis.summary(rows).sort_values("n_images")
    assert table[["n_images", "runs"]].values.tolist() == [[2, 1], [5, 3]]
    small, big = table.itertuples()
    assert big.psnr == pytest.approx(32.01) and big.psnr_sd == pytest.approx(0.01)
    assert small.psnr == pytest.approx(28.5) and np.isnan(small.psnr_sd)
    assert big.gain_db == pytest.approx(2.01) and small.gain_db == pytest.approx(0.0)
    page = synthesis.scale_table(synthesis.summary(rows), 2).set_index("method")
    assert page.iloc[:, 0].to_dict() == {"Bicubic": "30.00", "ZSSR": "32.01 ± 0.010"}
    detail = synthesis.detail_table(synthesis.summary(rows))
    assert sorted(detail["images × seeds"]) == ["2 × 1", "5 × 3"]


def test_published_pairing_follows_label_set_scale_and_lr() -> None:
    gan = _record(
        "g", "srgan", [_row("Set14/man", 25.0, 24.0)], model={"content_loss": "mse"}
    )
    rk = _record(
        "z",
        "lapsrn",
        [_row("BSD100/3096", 25.0, 24.0)],
        degradation="random_kernel",
        model={"level_weights": [1.0, 1.0]},
    )
    bic = _record("b", "bicubic", [_row("Set5/baby", 28.4, 28.4)], dataset="Set5")
    table = synthesis.summary(synthesis.image_rows([gan, rk, bic])).set_index("method")
    assert table.loc["SRGAN-MSE", "published"] == "26.02 (unverified)"
    # An anchor made on bicubic LR is never set beside a random-kernel row.
    assert table.loc["LapSRN w1=1, w2=1", "published"] == ""
    # Bicubic's own anchor: Kim et al. (2016).
    kim = published.published_table("Bicubic").query("dataset == 'Set5' and scale == 4")
    assert table.loc["Bicubic", "published_psnr"] == float(kim.psnr.iloc[0])
    assert table.loc["Bicubic", "gain_db"] == 0.0


def test_image_rows_names_images_sets_and_scales() -> None:
    bic = _record(
        "b", "bicubic", [{"image": "baby", "psnr": 30.0, "ssim": 0.9}], dataset="Set5"
    )
    lap = _record("lapsrn-x", "lapsrn", [TRAIN], model={"level_weights": None})
    crops = RunRecord(
        key="c",
        method="lapsrn-crops",
        config={
            "method": "lapsrn-crops",
            "lapsrn": "lapsrn-x",
            "profile": "quick",
            "eval": {"crop": 64},
        },
        per_image=[_row("BSD100/3096", 26.0, 25.0)],
    )
    dip = _record(
        "d",
        "dip",
        [_row("BSD100/3096@1", 26.0, 25.0, seed=1)],
        model={"loss": "mse"},
        eval={"crop": 64},
    )
    rows = synthesis.image_rows([bic, lap, crops, dip]).set_index("method")
    assert rows.loc["Bicubic", "image"] == "Set5/baby"
    assert rows.loc["Bicubic", "psnr_bicubic"] == 30.0
    assert "train" not in set(rows.image)
    assert rows.loc["LapSRN", "set"] == "BSD100 (64² crops)"
    assert rows.loc["LapSRN", "scale"] == 4  # from the LapSRN record it names
    assert rows.loc["DIP with MSE", "image"] == "BSD100/3096"
    assert rows.loc["DIP with MSE", "run"] == "d@1"
    # Crops are not the full images the papers scored: no anchor.
    table = synthesis.summary(synthesis.image_rows([crops, dip]))
    assert set(table.published) == {""}


def test_a_fault_is_part_of_the_name() -> None:
    sound = _srcnn("a", 0, 0.0)
    broken = _srcnn("b", 0, -5.0)
    broken.config["fault"] = "misaligned_pairs"
    table = synthesis.summary(synthesis.image_rows([sound, broken]))
    assert sorted(table.method) == ["SRCNN", "SRCNN [fault: misaligned pairs]"]
    assert set(table.runs) == {1}


# Per image (baby, bird, head): A beats B by 1 dB, ties it (0.03 dB), loses by 1 dB;
# both beat bicubic everywhere; C sees other images.
PSNR = {"A": [31.0, 30.03, 29.0], "B": [30.0, 30.0, 30.0]}


def _win_records() -> list[RunRecord]:
    recs = [
        _record(
            m, m.lower(), [_row(im, p, 28.0) for im, p in zip(SET5, v, strict=True)]
        )
        for m, v in PSNR.items()
    ]
    recs.append(_record("c", "c", [_row("Set5/woman", 30.0, 28.0)]))
    return recs


def test_win_loss_counts_wins_beyond_the_tie_margin() -> None:
    rows = synthesis.image_rows(_win_records())
    groups = synthesis.comparable_groups(rows)
    assert len(groups) == 1  # C alone on its image: two methods, not three
    group = groups.iloc[0]
    assert (group.n_images, group.n_methods) == (3, 3)
    assert set(group.methods) == {"Bicubic", "a", "b"}
    wins = synthesis.win_loss(rows, group)
    assert wins.loc["a", "b"] == 1 and wins.loc["b", "a"] == 1  # one tie
    assert wins.loc["a", "Bicubic"] == 3 and wins.loc["Bicubic", "a"] == 0
    assert list(np.diag(wins)) == [0, 0, 0]
    assert list(wins.index) == ["a", "b", "Bicubic"]  # by mean PSNR
    drawn = synthesis.pick_groups(groups, min_images=3)
    f = synthesis.findings([], {}, synthesis.summary(rows), rows, drawn)
    # Pairs: a-b split, a-Bicubic and b-Bicubic sweeps.
    assert (f["wl_pairs"], f["wl_sweeps"], f["wl_split"]) == (3, 2, 1)
    assert synthesis.pick_groups(groups).empty  # fewer than MIN_IMAGES images
    fig = synthesis.plot_win_loss(wins, 3, "Set5 ×4")
    assert fig.axes


def test_quality_vs_compute_draws_cpu_and_gpu_points() -> None:
    recs = _win_records()
    recs[0].provenance["device"] = "cuda:0"
    table = synthesis.summary(synthesis.image_rows(recs))
    assert set(table.device) == {"cpu", "cuda"}
    fig = synthesis.plot_quality_vs_compute(table)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "CPU (filled)" in labels and "GPU (hollow)" in labels


def test_verdicts_are_counted_per_chapter() -> None:
    verdicts = pd.DataFrame(
        {
            "chapter": ["one", "one", "two", "two"],
            "verdict": [
                "reproduced",
                "not tested (needs VGG weights)",
                "not reproduced (no difference)",
                "reproduced",
            ],
        }
    )
    counts = synthesis.verdict_summary(verdicts)
    assert list(counts["claims of"]) == ["one", "two", "all report claims"]
    assert counts.iloc[-1]["reproduced"] == 2 and counts.iloc[-1]["claims"] == 4
    totals = synthesis.verdict_totals(counts)
    assert totals["n_claims"] == 4 and totals["n_reproduced"] == 2
    assert totals["n_not_reproduced"] == 1 and totals["n_not_tested"] == 1
    assert sum(totals[f"n_{v.replace(' ', '_')}"] for v in VERDICTS) == 4
    assert totals["n_judged"] + totals["n_preliminary"] + totals["n_not_tested"] == 4


def test_headline_counts_add_up_and_keep_other_claims_apart() -> None:
    """Report claims, protocol checks and another paper's claims: the reports' total
    counts only the first, split into judged, preliminary and not tested."""
    verdicts = pd.DataFrame(
        {
            "chapter": ["p", "r1", "r1", "r1", "r2"],
            "verdict": [
                "reproduced",
                "reproduced at the paper budget",
                "consistent at the quick budget (1 seed)",
                "not tested (needs VGG weights)",
                "opposite at the quick budget",
            ],
            "source": ["protocol", "report", "report", "KernelGAN paper", "report"],
        }
    )
    totals = synthesis.verdict_totals(synthesis.verdict_summary(verdicts))
    assert totals["n_claims"] == 3 and totals["n_other_claims"] == 2
    assert (totals["n_judged"], totals["n_preliminary"], totals["n_not_tested"]) == (
        1,
        2,
        0,
    )


def test_committed_records_put_seven_methods_beside_published_values() -> None:
    """The acceptance of the chapter: at least 7 of our methods have an anchor, and
    no page table is wider than 8 columns."""
    records, skipped = synthesis.walk(COMMITTED_RESULTS)
    table = synthesis.summary(synthesis.image_rows(records))
    a = synthesis.anchored(table)
    assert a["n_anchored"] >= 7, a["anchored"]
    for scale in sorted(table.scale.unique()):
        assert synthesis.scale_table(table, scale).shape[1] <= 8
    assert set(table.published[table.set.str.contains("crops")]) <= {""}


def test_an_empty_results_folder_gives_empty_tables(tmp_path: Path) -> None:
    records, skipped = synthesis.walk(tmp_path)
    rows = synthesis.image_rows(records)
    table = synthesis.summary(rows)
    drawn = synthesis.pick_groups(synthesis.comparable_groups(rows))
    f = synthesis.findings(records, skipped, table, rows, drawn)
    assert (f["n_records"], f["n_groups"], f["wl_n"]) == (0, 0, 0)
    assert synthesis.detail_table(table).empty
    assert synthesis.training_table(records).empty
    assert synthesis.who_wins(table).empty and synthesis.wins_table(table).empty
    assert synthesis.wins_story(synthesis.who_wins(table), table).startswith("No set")
    assert synthesis.plot_quality_vs_compute(table).axes
