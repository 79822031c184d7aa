"""Each chapter's ``findings`` on the committed records, and the notebooks' prose.

The closing prose of every report notebook is Markdown that its code cells show, with
the measured numbers filled in (:mod:`srcore.prose`). Here:

* each chapter's analysis lives in its notebook: the notebook runs on the committed
  records (read mode, nothing trains) with its default parameters, and the numbers
  of its prose must agree with the records, recomputed independently, and its
  labels must follow the rule each chapter states;
* no markdown cell states a measured number by hand (:func:`typed_numbers`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from srcore import degrade
from srcore.chapters import tables
from srcore.chapters.published import REPORT_001_IDEAL, REPORT_002
from srcore.chapters.verdicts import MARGIN_DB
from srcore.prose import notebook_prose
from srcore.runs import supervised, zssr_runs
from srcore.runs.context import RunContext
from srcore.runs.results import RunRecord

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
REPORTS = {
    "r000": "r000_online_sr",
    "r001": "r001_zssr_review",
    "r001b": "r001b_blind_kernels",
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


# --- report 001: its analysis lives in its two notebooks ----------------------------


@pytest.mark.slow
def test_report001_prose_follows_the_records(read_mode, tmp_path) -> None:
    """Chapter 01 on the committed records: the ideal case's Set5 numbers, the
    non-ideal case's and pixel shuffle's difference from plain ZSSR, recomputed
    here; its Set5 claims rest on the paper-budget cells once they are complete (the
    notebook, in read mode, checked its claims against the stored file)."""
    from script_modules import paper_jobs as paper_runs  # the queue's job list

    from srcore.chapters import claim_files
    from srcore.runs import zssr_experiments

    shown = _chapter_markdown("r001_zssr_review", read_mode, tmp_path)
    text = " ".join(" ".join(shown).split())
    x2 = zssr_runs.zssr_run("Set5", 2, read_mode)
    psnr, bicubic = _mean(x2, "psnr"), _mean(x2, "psnr_bicubic")
    assert f"×2 {psnr:.2f} vs {bicubic:.2f} dB ({_gain(x2):+.2f} dB)" in text
    assert f"{REPORT_001_IDEAL[('Set5', 2)]['ZSSR'][0]:.2f}," in text
    base, extra = zssr_experiments.nonideal_runs(
        2, 2, ["pixelshuffle"], vdsr_backbone=True, ctx=read_mode
    )
    true_k, assumed = (_mean(r, "psnr") for r in base)
    known = f"×2 {true_k:.2f}, {assumed:.2f} and {_mean(base[0], 'psnr_bicubic'):.2f}"
    assert f"{known} dB (knowing the kernel: {true_k - assumed:+.2f} dB)" in text
    shuffle = _mean(extra[0], "psnr")
    assert f"shuffle ×2 {shuffle:.2f} dB ({shuffle - assumed:+.2f} dB;" in text
    stored = claim_files.load(["r001"], read_mode)["r001"]
    for scale, records in paper_runs.set5_cells(read_mode).items():
        done = [r for r in records if r.complete]
        (claim,) = [
            c for c in stored if c.claim.endswith(f"Set5 ×{scale} (paper Table 1)")
        ]
        if done:
            assert claim.ours == pytest.approx(np.mean([_gain(r) for r in done]))
            assert claim.setting.startswith(f"paper · Set5 ({done[0].done} images)")
        else:
            assert claim.setting.startswith("quick")
    assert text.rstrip().endswith("claims).")


@pytest.mark.slow
def test_report001_blind_case_prose_follows_the_records(read_mode, tmp_path) -> None:
    """Chapter 01's blind page on the committed records: BSD100 x2's means, the image
    where the estimate loses most with its excess blur (from that image's kernel
    covariances), and the gain over assuming bicubic as mean ± sd over the seeds,
    recomputed here."""
    from srcore.runs import zssr_experiments

    shown = _chapter_markdown("r001b_blind_kernels", read_mode, tmp_path)
    text = " ".join(" ".join(shown).split())
    blind = zssr_experiments.blind_sets(5, 5, ctx=read_mode)["blind_x2"]
    est = {r["image"]: r["psnr"] for r in blind["estimated kernel"].per_image}
    assumed = {r["image"]: r["psnr"] for r in blind["assumes bicubic"].per_image}
    assert len(est) == 5
    wins = sum(est[i] > assumed[i] for i in est)
    mean_est, mean_assumed = (
        np.mean(list(est.values())),
        np.mean(list(assumed.values())),
    )
    assert f"({len(est)} images) {mean_est:.2f} vs {mean_assumed:.2f} dB" in text
    assert f"winning on {wins};" in text
    loss = {i: est[i] - assumed[i] for i in est}
    worst = min(loss, key=loss.get)
    name = worst.split("/", 1)[1]
    assert f"on {name} the estimate costs {loss[worst]:+.2f} dB" in text
    row = next(r for r in blind["kernels"].per_image if r["image"] == worst)
    excess = degrade.excess_blur(row["cov_estimate"], row["cov_true"])
    assert f"{excess:.2f} px² there" in text
    rest = np.mean([v for i, v in loss.items() if i != worst])
    assert f"it gains {rest:+.2f} dB on average" in text
    seeds = zssr_experiments.blind_seed_runs(5, [0, 1, 2], ctx=read_mode)
    gains = [
        _mean(runs["estimated kernel"], "psnr") - _mean(runs["assumes bicubic"], "psnr")
        for runs in seeds
    ]
    spread = f"{np.mean(gains):+.2f} ± {np.std(gains, ddof=1):.2f} dB"
    assert f"over 3 seeds, the estimate gains {spread} over assuming bicubic" in text
    assert text.rstrip().endswith("claims).")


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
    gains = " and ".join(f"×{s} {_gain(runs[s - 2], 'DIV2K'):+.2f}" for s in (2, 3))
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
