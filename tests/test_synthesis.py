"""The synthesis chapter on small hand-made records.

Two layers: :mod:`srcore.chapters.all_methods` (which records are read, the mean over
seeds beside the published value, the best method per set), which the front page
uses too; and the chapter's own analysis in ``notebooks/99_synthesis.py`` (its page
tables, the per-image win/loss counts, the verdict counts), tested by executing the
notebook here, in this process, on a results folder of hand-made records and calling
the functions it defines. On the committed records: the anchors the chapter
promises.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jupytext
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from srcore.chapters import all_methods, claim_files, published
from srcore.chapters.verdicts import VERDICTS, Claim
from srcore.runs.context import RunContext
from srcore.runs.results import COMMITTED_RESULTS, RunRecord

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "99_synthesis.py"


def run_chapter(results: Path, **parameters: Any) -> dict[str, Any]:
    """The synthesis notebook executed in this process on the records under
    ``results`` (``quick`` profile, no bicubic baseline to load), its parameters
    cell's values replaced by ``parameters``: its namespace, with the functions it
    defines and the values it computed (``table``, ``rows``, ``prose``...)."""
    namespace: dict[str, Any] = {}
    chosen = {"results": str(results), "datasets": [], "scales": [], **parameters}
    for cell in jupytext.read(NOTEBOOK).cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, str(NOTEBOOK), "exec"), namespace)
            if "parameters" in cell.metadata.get("tags", []):
                namespace.update(chosen)
    plt.close("all")
    return namespace


@pytest.fixture(scope="module")
def chapter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The notebook run on an empty results folder: its functions, and what it
    shows without any record."""
    yield run_chapter(tmp_path_factory.mktemp("empty"))


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


# --- srcore.chapters.all_methods ------------------------------------------------------


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
    records, skipped = all_methods.walk(tmp_path)
    assert [r.key for r in records] == ["srcnn-a"]
    assert skipped == {"unfinished": 2, "dirty": 1, "checks": 1}


def test_seeds_are_averaged_beside_the_published_value(chapter) -> None:
    runs = [_srcnn("a", 0, 0.0), _srcnn("b", 1, 0.4)]
    table = all_methods.summary(all_methods.image_rows(runs))
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
    page = chapter["scale_table"](table, 4).set_index("method")
    cell = page.loc["SRCNN"]
    assert cell["Set5 · ours"] == "31.20 ± 0.28"
    assert page.loc["Bicubic", "Set5 · ours"] == "29.00"
    assert cell["Set5 · published"] == f"{expected.psnr:.2f}"
    kim = published.published_table("Bicubic").query("dataset == 'Set5' and scale == 4")
    assert page.loc["Bicubic", "Set5 · published"] == f"{kim.psnr.iloc[0]:.2f}"


def test_a_record_over_other_images_is_never_a_seed(chapter) -> None:
    """Three seeds over 5 BSD100 images and one record over 2 of them: two groups,
    each its own mean and seed count, and the page table shows the 5-image seeds."""
    five = [f"BSD100/{k}" for k in range(5)]

    def zssr(key: str, images: list[str], offset: float) -> RunRecord:
        rows = [_row(im, 30.0 + offset + k, 28.0 + k) for k, im in enumerate(images)]
        return _record(key, "zssr", rows, scale=2, variant="zssr", model={})

    seeds = [zssr(f"s{k}", five, 0.01 * k) for k in range(3)]
    two = zssr("two", five[:2], -2.0)
    rows = all_methods.image_rows([*seeds, two])
    table = all_methods.summary(rows).sort_values("n_images")
    assert table[["n_images", "runs"]].values.tolist() == [[2, 1], [5, 3]]
    small, big = table.itertuples()
    assert big.psnr == pytest.approx(32.01) and big.psnr_sd == pytest.approx(0.01)
    assert small.psnr == pytest.approx(28.5) and np.isnan(small.psnr_sd)
    assert big.gain_db == pytest.approx(2.01) and small.gain_db == pytest.approx(0.0)
    page = chapter["scale_table"](all_methods.summary(rows), 2).set_index("method")
    assert page.iloc[:, 0].to_dict() == {"Bicubic": "30.00", "ZSSR": "32.01 ± 0.010"}
    detail = chapter["detail_table"](all_methods.summary(rows))
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
    rows = all_methods.image_rows([gan, rk, bic])
    table = all_methods.summary(rows).set_index("method")
    assert table.loc["SRGAN-MSE", "published"] == "26.02 (unverified)"
    # An anchor made on bicubic LR is never set beside a random-kernel row.
    assert table.loc["LapSRN w1=1, w2=1", "published"] == ""
    # Bicubic's own anchor: Kim et al. (2016).
    kim = published.published_table("Bicubic").query("dataset == 'Set5' and scale == 4")
    assert table.loc["Bicubic", "published_psnr"] == float(kim.psnr.iloc[0])
    assert table.loc["Bicubic", "gain_db"] == 0.0
    gaps = all_methods.published_gaps(table.reset_index())
    assert gaps["bicubic_max_gap"] == pytest.approx(abs(28.4 - kim.psnr.iloc[0]))
    # SRGAN-MSE on Set14: the one row of a method with a published value
    assert (gaps["n_gap_rows"], gaps["n_below"]) == (1, 1)
    assert gaps["mean_gap"] == pytest.approx(25.0 - 26.02)


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
    rows = all_methods.image_rows([bic, lap, crops, dip]).set_index("method")
    assert rows.loc["Bicubic", "image"] == "Set5/baby"
    assert rows.loc["Bicubic", "psnr_bicubic"] == 30.0
    assert "train" not in set(rows.image)
    assert rows.loc["LapSRN", "set"] == "BSD100 (64² crops)"
    assert rows.loc["LapSRN", "scale"] == 4  # from the LapSRN record it names
    assert rows.loc["DIP with MSE", "image"] == "BSD100/3096"
    assert rows.loc["DIP with MSE", "run"] == "d@1"
    # Crops are not the full images the papers scored: no anchor.
    table = all_methods.summary(all_methods.image_rows([crops, dip]))
    assert set(table.published) == {""}


def test_a_fault_is_part_of_the_name() -> None:
    sound = _srcnn("a", 0, 0.0)
    broken = _srcnn("b", 0, -5.0)
    broken.config["fault"] = "misaligned_pairs"
    table = all_methods.summary(all_methods.image_rows([sound, broken]))
    assert sorted(table.method) == ["SRCNN", "SRCNN [fault: misaligned pairs]"]
    assert set(table.runs) == {1}


# --- the chapter's own analysis (notebooks/99_synthesis.py) -------------------------

# Per image (baby, bird, head, woman, butterfly): A beats B by 1 dB on three images,
# ties it (0.03 dB) on one and loses by 1 dB on one; both beat bicubic (28 dB)
# everywhere; C is scored on another image only.
IMAGES = [*SET5, "Set5/woman", "Set5/butterfly"]
PSNR = {"A": [31.0, 30.03, 29.0, 31.0, 31.0], "B": [30.0] * 5}


def _win_records() -> list[RunRecord]:
    recs = [
        _record(
            m, m.lower(), [_row(im, p, 28.0) for im, p in zip(IMAGES, v, strict=True)]
        )
        for m, v in PSNR.items()
    ]
    recs.append(_record("c", "c", [_row("Set14/man", 30.0, 28.0)]))
    return recs


def _claims(results: Path) -> None:
    """Two chapters' stored claims: r001's report claims (one reproduced, one not
    tested) and the protocol's check (apart from the reports' total)."""
    ctx = RunContext(results=results, mode="auto")
    full = {"budget": "paper", "images": 5}
    report = [
        Claim("variant helps", report=0.8, ours=0.7, **full),
        Claim("needs VGG", why_not="needs VGG weights"),
    ]
    claim_files.publish("r001", report, ctx)
    check = Claim("matches MATLAB", report=0.0, ours=0.0, exact=True, source="protocol")
    claim_files.publish("protocol", [check], ctx)


@pytest.fixture(scope="module")
def wins_chapter(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The notebook run on the win/loss records and two chapters' claims."""
    results = tmp_path_factory.mktemp("wins")
    for rec in _win_records():
        _save(results, rec)
    _claims(results)
    return run_chapter(results)


def test_win_loss_counts_wins_beyond_the_tie_margin(wins_chapter) -> None:
    nb = wins_chapter
    rows = nb["rows"]
    groups = nb["comparable_groups"](rows)
    assert len(groups) == 1  # C alone on its image: two methods, not three
    group = groups.iloc[0]
    assert (group.n_images, group.n_methods) == (5, 3)
    assert set(group.methods) == {"Bicubic", "a", "b"}
    wins = nb["win_loss"](rows, group)
    assert wins.loc["a", "b"] == 3 and wins.loc["b", "a"] == 1  # one tie
    assert wins.loc["a", "Bicubic"] == 5 and wins.loc["Bicubic", "a"] == 0
    assert list(np.diag(wins)) == [0, 0, 0]
    assert list(wins.index) == ["a", "b", "Bicubic"]  # by mean PSNR
    # the chapter drew that group, and its prose counts the pairs:
    # a-b split, a-Bicubic and b-Bicubic sweeps
    prose = nb["prose"]
    assert (prose["wl_n"], prose["wl_groups"]) == (1, "Set5 ×4")
    assert (prose["wl_pairs"], prose["wl_sweeps"], prose["wl_split"]) == (3, 2, 1)
    assert nb["pick_groups"](groups, min_images=6).empty  # fewer images than that
    assert nb["plot_win_loss"](wins, 5, "Set5 ×4").axes
    plt.close("all")


def test_a_difference_within_the_tie_margin_is_no_win(chapter) -> None:
    rows = pd.DataFrame(
        {
            "method": ["A", "A"],
            "set": ["S", "S"],
            "scale": [2, 2],
            "degradation": ["bicubic"] * 2,
            "image": ["S/1", "S/2"],
            "psnr": [30.0, 30.0],
            "psnr_bicubic": [29.0, 30.02],
        }
    )
    group = {"set": "S", "scale": 2, "degradation": "bicubic"}
    wins = chapter["win_loss"](rows, {**group, "methods": ("Bicubic", "A")})
    # on S/2 bicubic is 0.02 dB above A: a tie; on S/1 A wins by 1 dB
    assert wins.to_dict() == {
        "A": {"A": 0, "Bicubic": 0},
        "Bicubic": {"A": 1, "Bicubic": 0},
    }


def test_groups_are_drawn_by_the_methods_they_add(chapter) -> None:
    groups = pd.DataFrame(
        {
            "set": ["Set5", "BSD100", "Set5"],
            "scale": [4, 4, 2],
            "degradation": ["bicubic"] * 3,
            "n_images": [5, 100, 5],
            "n_methods": [3, 3, 3],
            "methods": [
                ("Bicubic", "A", "B"),
                ("Bicubic", "A", "B"),
                ("Bicubic", "A", "C"),
            ],
        }
    )
    drawn = chapter["pick_groups"](groups, 2)
    assert [f"{g.set} x{g.scale}" for g in drawn.itertuples()] == [
        "BSD100 x4",
        "Set5 x2",
    ]


def test_quality_vs_compute_draws_cpu_and_gpu_points(chapter) -> None:
    recs = _win_records()
    recs[0].provenance["device"] = "cuda:0"
    table = all_methods.summary(all_methods.image_rows(recs))
    assert set(table.device) == {"cpu", "cuda"}
    fig = chapter["plot_quality_vs_compute"](table)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "CPU (filled)" in labels and "GPU (hollow)" in labels
    plt.close("all")


def test_the_stored_claims_are_counted_apart_by_whose_they_are(wins_chapter) -> None:
    """The chapter joins the claims the chapters stored: the reports' total counts
    r001's two, the protocol's check apart."""
    prose = wins_chapter["prose"]
    assert (prose["n_claims"], prose["n_reproduced"], prose["n_not_tested"]) == (
        2,
        1,
        1,
    )
    assert (prose["n_judged"], prose["n_preliminary"], prose["n_other_claims"]) == (
        1,
        0,
        1,
    )
    page = wins_chapter["verdict_summary_page"](wins_chapter["counts"])
    assert page["claims of"].tolist() == [
        "001 ZSSR review",
        "all report claims",
        "protocol checks",
    ]
    assert page.columns[1] == "judged: reproduced · not · contradicted"
    assert page.iloc[0, 1] == "1 · 0 · 0"


def test_verdicts_are_counted_per_chapter(chapter) -> None:
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
    counts = chapter["verdict_summary"](verdicts)
    assert list(counts["claims of"]) == ["one", "two", "all report claims"]
    assert counts.iloc[-1]["reproduced"] == 2 and counts.iloc[-1]["claims"] == 4
    totals = chapter["verdict_totals"](counts)
    assert totals["n_claims"] == 4 and totals["n_reproduced"] == 2
    assert totals["n_not_reproduced"] == 1 and totals["n_not_tested"] == 1
    assert sum(totals[f"n_{v.replace(' ', '_')}"] for v in VERDICTS) == 4
    assert totals["n_judged"] + totals["n_preliminary"] + totals["n_not_tested"] == 4


def test_headline_counts_add_up_and_keep_other_claims_apart(chapter) -> None:
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
    counts = chapter["verdict_summary"](verdicts)
    assert counts["claims of"].tolist() == [
        "r1",
        "r2",
        "all report claims",
        "protocol checks",
        "the KernelGAN paper's claims (in r1)",
    ]
    totals = chapter["verdict_totals"](counts)
    assert totals["n_claims"] == 3 and totals["n_other_claims"] == 2
    assert (totals["n_judged"], totals["n_preliminary"], totals["n_not_tested"]) == (
        1,
        2,
        0,
    )


def test_provenance_and_anchors_are_counted(chapter) -> None:
    rec = RunRecord(
        key="k",
        method="m",
        config={"profile": "quick"},
        per_image=[],
        provenance={
            "hardware": "CPU",
            "device": "cpu",
            "commit": "abc",
            "date": "2026-11-22T10:00:00+00:00",
        },
    )
    row = chapter["provenance_table"]([rec]).iloc[0].to_dict()
    assert (row["records"], row["commits"], row["made"]) == (1, 1, "2026-11-22")
    table = pd.DataFrame(
        {
            "method": ["SRCNN", "ZSSR", "Bicubic"],
            "published": ["36.66", "", "33.66"],
            "published_psnr": [36.66, float("nan"), 33.66],
            "set": ["Set5"] * 3,
            "scale": [2] * 3,
        }
    )
    a = chapter["anchored"](table)
    assert (a["n_anchored"], a["anchored"], a["n_methods"]) == (1, "SRCNN", 2)
    assert a["n_anchor_methods"] == 1 and a["n_unverified"] == 0


def test_committed_records_put_seven_methods_beside_published_values(chapter) -> None:
    """The acceptance of the chapter: at least 7 of our methods have an anchor, and
    no page table is wider than 8 columns."""
    records, _ = all_methods.walk(COMMITTED_RESULTS)
    table = all_methods.summary(all_methods.image_rows(records))
    a = chapter["anchored"](table)
    assert a["n_anchored"] >= 7, a["anchored"]
    for scale in sorted(table.scale.unique()):
        assert chapter["scale_table"](table, scale).shape[1] <= 8
    assert set(table.published[table.set.str.contains("crops")]) <= {""}


def test_an_empty_results_folder_gives_empty_tables(chapter) -> None:
    """The chapter runs without any record (the fixture ran it): nothing read,
    nothing drawn, every table empty."""
    prose, table = chapter["prose"], chapter["table"]
    assert (prose["n_records"], len(table), prose["wl_n"]) == (0, 0, 0)
    assert chapter["detail_table"](table).empty
    assert chapter["training_table"](chapter["records"]).empty
    wins = all_methods.who_wins(table)
    assert wins.empty and chapter["wins_table"](wins).empty
    assert all_methods.wins_story(wins, table).startswith("No set")
    assert chapter["plot_quality_vs_compute"](table).axes
    plt.close("all")
