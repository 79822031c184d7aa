"""Each chapter's ``findings`` on the committed records, and the notebooks' prose.

The closing prose of every report notebook is Markdown that its code cells show, with
the measured numbers filled in (:mod:`srcore.prose`). Here:

* each ``findings`` is called on the committed records (read mode, nothing trains)
  with the inputs its notebook builds from its default parameters; its numbers must
  agree with the records, recomputed independently, and its checked labels must
  follow the rule each chapter states;
* chapter 004's analysis lives in its notebook: its closing prose is checked
  against the records after running it;
* no markdown cell states a measured number by hand (:func:`typed_numbers`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from srcore import degrade
from srcore.chapters import (
    report001,
    tables,
)
from srcore.chapters.published import (
    REPORT_001_IDEAL,
    REPORT_001_NONIDEAL,
    REPORT_002,
)
from srcore.chapters.verdicts import MARGIN_DB
from srcore.prose import notebook_prose
from srcore.runs import supervised, zssr_runs
from srcore.runs.context import RunContext
from srcore.runs.results import RunRecord

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
REPORTS = {
    "r000": "r000_online_sr",
    "r001": "r001_zssr_review",
    "r002": "r002_srcnn_srgan",
    "r003": "r003_lapsrn_dip",
    "r004": "r004_lapsrn_real_world",
}


@pytest.fixture(scope="module")
def read_mode(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Iterator:
    """Committed records only (a missing one is an error, nothing trains), with a
    private weights cache; yields the run context of the notebooks' runs."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SRCORE_RESULTS_MODE", "read")
        mp.setenv("SRCORE_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield RunContext(profile="quick", data_root=data_dir, progress=False)


def _mean(record: RunRecord, column: str, dataset: str | None = None) -> float:
    """Mean of one per-image column of a record (one test set's rows)."""
    rows = [
        r
        for r in record.per_image
        if r["image"] != "train" and dataset in (None, r.get("dataset"))
    ]
    return float(np.mean([r[column] for r in rows]))


def _gain(record: RunRecord, dataset: str | None = None) -> float:
    return _mean(record, "psnr", dataset) - _mean(record, "psnr_bicubic", dataset)


# --- report 000: its analysis lives in its notebook ---------------------------------


@pytest.mark.slow
def test_report000_prose_follows_the_records(read_mode, tmp_path) -> None:
    """Chapter 000 on the committed records: Table 1's three PSNRs and their order,
    ZSSR*'s time ratio, the stream's two means and the word the verdict rule's
    margin gives their difference, recomputed here."""
    shown = _chapter_markdown("r000_online_sr", read_mode, tmp_path)
    text = " ".join(" ".join(shown).split())
    mse, dog, star = (
        zssr_runs.zssr_run("T91", 2, read_mode, variant=v, limit=1)
        for v in ("zssr_mse", "zssr_dog", "zssr_star")
    )
    psnrs = [_mean(r, "psnr") for r in (mse, dog, star)]
    assert f"ZSSR with MSE {psnrs[0]:.2f} dB, with DoG {psnrs[1]:.2f} dB" in text
    order = "the same" if psnrs == sorted(psnrs) else "not the same"
    assert rf"(MSE below DoG below ZSSR\*) is {order} as the report's" in text
    ratio = _mean(star, "seconds") / _mean(mse, "seconds")
    assert rf"ZSSR\* took {ratio:.1f}× the time per image" in text
    scratch, online = (
        zssr_runs.osr_run("BSD100", 2, read_mode, transfer=t, limit=4, variant="zssr")
        for t in (False, True)
    )
    a, b = _mean(scratch, "psnr"), _mean(online, "psnr")
    assert f"from scratch {a:.2f} dB, with weight transfer {b:.2f} dB" in text
    word = (
        "above"
        if b - a > MARGIN_DB
        else "below"
        if b - a < -MARGIN_DB
        else "level with"
    )
    assert f"weight transfer ends {word} from-scratch ZSSR" in text
    assert text.rstrip().endswith("claims).")


# --- report 001 ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def r001(read_mode: RunContext) -> dict[str, Any]:
    ideal = report001.ideal_runs(["Set5"], [2, 3, 4], [4], ctx=read_mode)
    nonideal, variants = [], []
    for scale in (2, 4):
        base, extra = report001.nonideal_runs(
            scale, 2, ["pixelshuffle"], vdsr_backbone=scale == 2, ctx=read_mode
        )
        nonideal += base
        variants += extra
    partial = read_mode.replace(partial=True)
    blind = report001.blind_sets(5, 5, ctx=read_mode)
    kernels = report001.kernel_runs_on(5, ctx=partial)
    found = report001.findings(ideal, nonideal, variants)
    found |= report001.all_blind_findings(blind) | report001.kernel_findings(kernels)
    seeds = report001.blind_seed_runs(5, [0, 1, 2], ctx=read_mode)
    found |= report001.blind_seed_findings(seeds)
    return {"ideal": ideal, "nonideal": nonideal, "blind": blind, "findings": found}


def test_report001_blind_findings_agree_with_the_records(r001: dict) -> None:
    """The blind case's means are the per-image records' (BSD100 x2, 5 images)."""
    f, blind = r001["findings"], r001["blind"]["blind_x2"]
    assert f["blind_x2_n"] == 5
    est = _mean(blind["estimated kernel"], "psnr")
    assert f["blind_x2_estimated"] == pytest.approx(est)
    assumed = _mean(blind["assumes bicubic"], "psnr")
    assert f["blind_x2_est_minus_assumed"] == pytest.approx(est - assumed)
    errors = [r["kernel_error"] for r in blind["kernels"].per_image]
    assert f["blind_x2_kernel_error"] == pytest.approx(sum(errors) / len(errors))


def test_report001_the_worst_blind_image_is_the_records_largest_loss(r001) -> None:
    """``worst`` is the image where the estimate loses most to assuming bicubic, and
    its excess blur is computed from that image's kernel covariances."""
    f, blind = r001["findings"], r001["blind"]["blind_x2"]
    est = {r["image"]: r["psnr"] for r in blind["estimated kernel"].per_image}
    assumed = {r["image"]: r["psnr"] for r in blind["assumes bicubic"].per_image}
    loss = {i: est[i] - assumed[i] for i in est}
    worst = min(loss, key=loss.get)
    assert f"BSD100/{f['blind_x2_worst']}" == worst
    assert f["blind_x2_worst_loss"] == pytest.approx(loss[worst])
    row = next(r for r in blind["kernels"].per_image if r["image"] == worst)
    excess = degrade.excess_blur(row["cov_estimate"], row["cov_true"])
    assert f["blind_x2_worst_excess"] == pytest.approx(excess)
    rest = [v for i, v in loss.items() if i != worst]
    assert f["blind_x2_rest_est_minus_assumed"] == pytest.approx(sum(rest) / len(rest))


def test_report001_findings_agree_with_the_records(r001: dict) -> None:
    f = r001["findings"]
    x2 = r001["ideal"][0]  # ideal_runs: Set5 x2 first
    assert x2.config["scale"] == 2
    assert f["ideal_set5_x2_psnr"] == pytest.approx(_mean(x2, "psnr"))
    assert f["ideal_set5_x2_gain"] == pytest.approx(_gain(x2))
    assert f["ideal_set5_x2_published"] == REPORT_001_IDEAL[("Set5", 2)]["ZSSR"][0]
    for s in (2, 4):
        true_k, assumed = (
            r for r in r001["nonideal"] if r.config["scale"] == s
        )  # nonideal_runs: the true kernel first
        assert f[f"nonideal_x{s}_true"] == pytest.approx(_mean(true_k, "psnr"))
        diff = _mean(true_k, "psnr") - _mean(assumed, "psnr")
        assert f[f"nonideal_x{s}_gain"] == pytest.approx(diff)
        shuffle = f[f"variant_shuffle_x{s}_psnr"] - f[f"nonideal_x{s}_assumed"]
        assert f[f"variant_shuffle_x{s}_diff"] == pytest.approx(shuffle)
    paper = REPORT_001_NONIDEAL
    diff = paper["ZSSR, true kernel"][0] - paper["ZSSR, estimated kernel"][0]
    assert f["paper_true_vs_estimated"] == pytest.approx(diff)


# --- report 002: its analysis lives in its notebook ---------------------------------


@pytest.mark.slow
def test_report002_prose_follows_the_records(read_mode, tmp_path) -> None:
    """Chapter 002 on the committed records: the scale it infers from the report's
    bicubic level (never from the gain) and the DIV2K gains it quotes, recomputed
    here."""
    text = " ".join(
        " ".join(_chapter_markdown("r002_srcnn_srgan", read_mode, tmp_path)).split()
    )
    runs = [supervised.run("srcnn", s, read_mode) for s in (2, 3, 4)]
    bicubic = {s: _mean(runs[s - 2], "psnr_bicubic", "DIV2K") for s in (2, 3, 4)}
    level = REPORT_002["bicubic_psnr"]
    inferred = min(bicubic, key=lambda s: abs(bicubic[s] - level))
    assert f"Nearest: ×{inferred}, {bicubic[inferred] - level:+.2f} dB" in text
    gains = ", ".join(f"×{s} {_gain(runs[s - 2], 'DIV2K'):+.2f}" for s in (2, 3))
    assert gains in text
    assert f"×3 on Set5 gains {_gain(runs[1], 'Set5'):+.2f} dB" in text
    assert text.rstrip().endswith("claims).")


# --- report 003: its analysis lives in its notebook ---------------------------------


@pytest.mark.slow
def test_report003_prose_follows_the_records(read_mode, tmp_path) -> None:
    """Chapter 003 on the committed records: the LapSRN weighting spreads, DIP's
    numbers per loss and the paired Charbonnier-minus-MSE difference with its
    standard error and word by the chapter's rule, recomputed here."""
    from srcore.runs import dip_vs_lapsrn as dl

    shown = _chapter_markdown("r003_lapsrn_dip", read_mode, tmp_path)
    text = " ".join(" ".join(shown).split())
    lapsrn = dl.lapsrn_runs(read_mode, seed=0)
    mse, charb = (
        dl.dip_run(loss, read_mode, seed=0) for loss in ("mse", "charbonnier")
    )
    for ds in ("Set5", "Set14", "BSD100", "DIV2K"):
        means = [_mean(r, "psnr", ds) for r in lapsrn]
        assert f"{min(means):.2f}-{max(means):.2f} dB on {ds}" in text, ds
    spread = max(
        max(m) - min(m)
        for m in (
            [_mean(r, "psnr", ds) for r in lapsrn]
            for ds in ("Set5", "Set14", "BSD100", "DIV2K")
        )
    )
    word = "within" if spread <= 0.05 else "beyond"
    assert f"on any set is {spread:.3f} dB, {word} the 0.05 dB margin" in text
    assert f"MSE ends at {_mean(mse, 'psnr'):.2f} dB" in text
    assert f"Charbonnier at {_mean(charb, 'psnr'):.2f} dB" in text
    d = np.array(
        [
            c["psnr"] - m["psnr"]
            for c, m in zip(charb.per_image, mse.per_image, strict=True)
        ]
    )
    se = d.std(ddof=1) / np.sqrt(len(d))
    assert f"Charbonnier minus MSE: {d.mean():+.2f} ± {se:.2f} dB" in text
    assert f"Charbonnier ends {tables.versus(d.mean(), 2 * se)} MSE" in text
    assert text.rstrip().endswith("claims).")


# --- report 004: its analysis lives in its notebook ---------------------------------


def _chapter_markdown(notebook: str, ctx: RunContext, tmp: Path) -> list[str]:
    """A chapter run on the committed records (read mode): the Markdown its code
    cells show, in order (compare with whitespace collapsed: templates wrap)."""
    import nbformat
    import papermill

    out = tmp / f"{notebook}.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS / f"{notebook}.ipynb"),
        str(out),
        parameters={"data_root": str(ctx.data_root)},
        kernel_name="python3",
        cwd=str(NOTEBOOKS),
        progress_bar=False,
    )
    return [
        "".join(o["data"]["text/markdown"])
        for c in nbformat.read(out, as_version=4).cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if "text/markdown" in o.get("data", {})
    ]


@pytest.mark.slow
def test_report004_prose_follows_the_records(read_mode, tmp_path) -> None:
    """The chapter's closing numbers, recomputed here from the records: per scale
    how many (model, test set) pairs beat bicubic and their gains, and each fault's
    word against bicubic and the cause it names."""
    from srcore.runs import random_kernel_lapsrn as rk

    shown = _chapter_markdown("r004_lapsrn_real_world", read_mode, tmp_path)
    text = " ".join(" ".join(shown).split())
    runs = rk.runs((2, 4, 8), ctx=read_mode)
    faults = rk.fault_runs(["misaligned_pairs", "random_image_branch"], ctx=read_mode)
    for s in (2, 4, 8):
        gains = [
            _gain(rec, ds)
            for (scale, _), rec in runs.items()
            if scale == s
            for ds in {r["dataset"] for r in rec.per_image if r["image"] != "train"}
        ]
        beats = f"at ×{s}: {sum(g > 0 for g in gains)} of {len(gains)}"
        assert beats in text, beats
        sub = _gain(runs[(s, "subpixel")], "BSD100")
        assert f"{sub:+.2f} / {_gain(runs[(s, 'deconv')], 'BSD100'):+.2f}" in text
    below = []
    for name, rec in faults.items():
        gain = _gain(rec, "DIV2KRK")
        word = "below" if gain < 0 else "above"
        assert f"({gain:+.2f} dB, {word} bicubic)" in text, name
        if gain < 0:
            below.append(rk.FAULT_NAMES[name])
    cause = (
        "consistent with " + " and ".join(below)
        if below
        else "not reproduced by the faults tried here"
    )
    assert f"failure is {cause}" in text
    assert text.rstrip().endswith("claims).")  # the verdicts' summary line, last


# --- the notebooks' prose ------------------------------------------------------------


def markdown_cells(notebook: Path) -> list[str]:
    """The prose of a notebook: markdown cells and the templates its code says."""
    return notebook_prose(notebook)


#: A decimal number (``25.09``); one after "±" is a stated bound, not a measurement.
DECIMAL = re.compile(r"(?<![±\d.])\d+\.\d+")
#: Words that say where a number comes from: the report, a paper, a citation.
SOURCE = re.compile(
    r"\breport|\bpaper|\bpublished|et al\.|\b[A-Z][\w-]+ \(?(?:19|20)\d\d\b"
)
#: Words that make a number ours, i.e. measured here (then code must fill it in).
OURS = re.compile(r"\b(?:our|ours|we|here)\b", re.IGNORECASE)
#: What carries no prose number: roles, inline code, LaTeX math.
NOT_PROSE = re.compile(r"\{[a-z:]+\}`[^`]*`|`[^`]*`|\$\$.*?\$\$|\$[^$]*\$", re.S)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[])")
ITEM = re.compile(r"^\s*(?:[*-]|\d+\.)\s+")


def paragraphs(cell: str) -> list[str]:
    """A markdown cell's paragraphs and list items, each on one line, without table
    rows, headings or what :data:`NOT_PROSE` names. A paragraph that starts in lower
    case continues the sentence before it (text around a table)."""
    out: list[str] = []
    block: list[str] = []
    for line in [*NOT_PROSE.sub(" ", cell).splitlines(), ""]:
        if line.lstrip().startswith(("|", "#")):
            continue
        if not line.strip() or ITEM.match(line):
            if block:
                text = " ".join(block).replace("**", "")
                if out and text[:1].islower():
                    out[-1] += " " + text
                else:
                    out.append(text)
            block = [ITEM.sub("", line)] if line.strip() else []
        else:
            block.append(line.strip())
    return out


def typed_numbers(cell: str) -> list[str]:
    """The sentences of a markdown cell that state a measured number by hand.

    Rule: a decimal number outside a table row (:data:`DECIMAL`) belongs to the
    report or a paper only if its sentence, or the first sentence of its paragraph
    (``"What the report did."``), names its source (:data:`SOURCE`), and the sentence
    does not speak of our own results (:data:`OURS`). Any other decimal is a
    measured value typed by hand: code must fill it in.

    Example:
        >>> typed_numbers("**What the report did.** Its Table 1: 25.09 dB.")
        []
        >>> typed_numbers("DIP costs about 0.1 s per step on two CPU cores.")
        ['DIP costs about 0.1 s per step on two CPU cores.']
        >>> typed_numbers("The published averages sit 0.01 dB above ours.")
        ['The published averages sit 0.01 dB above ours.']
    """
    bad = []
    for para in paragraphs(cell):
        sentences = SENTENCE_END.split(para)
        topic = bool(SOURCE.search(sentences[0]))
        for s in sentences:
            sourced = topic or SOURCE.search(s)
            if DECIMAL.search(s) and (not sourced or OURS.search(s)):
                bad.append(s)
    return bad


def test_the_rule_passes_quoted_numbers_and_fails_typed_ones() -> None:
    honest = """**What the report did.** It trained LapSRN. Its Table 1 (on T91):

| method | PSNR |
|---|---|
| Bicubic | 25.09 |

and Table 2 (Kim et al. 2016): ZSSR 34.927 dB. The bound is ±0.02 dB, and
$\\sigma=1.5$; ours is G dB (`eps=1e-3`, `crop=64`).
"""
    assert typed_numbers(honest) == []
    assert typed_numbers("* Per image, it matches the table within 0.04 dB.")
    assert typed_numbers("The report's value is 1.34 dB; we measure 1.20 dB.")


@pytest.mark.parametrize(
    "notebook",
    [p.name for p in sorted(NOTEBOOKS.glob("*.ipynb"))],
)
def test_no_markdown_cell_types_a_measured_number(notebook: str) -> None:
    """Measured numbers reach the prose only through a template's fields."""
    typed = [
        s for cell in markdown_cells(NOTEBOOKS / notebook) for s in typed_numbers(cell)
    ]
    assert not typed, "\n".join(typed)


def test_blind_seed_table_averages_only_the_seeds_that_are_complete() -> None:
    """Two complete seeds are averaged (mean, sd with ddof 1); a third that has
    done fewer images is shown but left out of the mean."""

    def runs(seed: int, gains: list[float]) -> dict[str, RunRecord]:
        def rec(kind: str, psnr: list[float]) -> RunRecord:
            rows = [
                {
                    "image": f"BSD100/{i}",
                    "psnr": p,
                    "psnr_bicubic": 25.0,
                    "kernel_error": 0.3,
                    "bicubic_error": 1.0,
                    "seconds": 1.0,
                    "cov_estimate": [[1.0, 0.0], [0.0, 1.0]],
                    "cov_true": [[2.0, 0.0], [0.0, 2.0]],
                }
                for i, p in enumerate(psnr)
            ]
            return RunRecord(
                key=f"{kind}{seed}",
                method="zssr",
                config={"model": {"seed": seed}},
                per_image=rows,
            )

        assumed = [26.0] * len(gains)
        return {
            "true kernel": rec("t", [28.0] * len(gains)),
            "estimated kernel": rec("e", [26.0 + g for g in gains]),
            "assumes bicubic": rec("a", assumed),
            "kernels": rec("k", assumed),
        }

    table = report001.blind_seed_table(
        [runs(0, [1.0, 2.0]), runs(1, [2.0, 3.0]), runs(2, [9.0])]
    )
    mean, sd = table.iloc[-2], table.iloc[-1]
    assert mean.seed == "mean of 2 seeds"
    assert mean.est_minus_assumed_db == pytest.approx(2.0)
    assert sd.est_minus_assumed_db == pytest.approx(np.std([1.5, 2.5], ddof=1))
    assert table.n_images.tolist()[:3] == [2, 2, 1]
    f = report001.blind_seed_findings([runs(0, [1.0, 2.0]), runs(1, [2.0, 3.0])])
    assert f["blind_x2_seeds"] == 2
    assert f["blind_x2_true_minus_est_mean"] == pytest.approx(0.0)
