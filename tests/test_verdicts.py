"""The verdict rule on known values, the claims built from a chapter's findings, and
the loaders of the synthesis chapter reading what the notebooks read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from srcore.chapters import chapter_claims, claims
from srcore.chapters.verdicts import (
    MARGIN_DB,
    Claim,
    tolerance,
    verdict,
    verdict_counts,
    verdict_table,
)

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        (Claim("x", report=1.0, ours=1.0 + MARGIN_DB * 0.9), "reproduced"),
        (Claim("x", report=1.0, ours=1.0 + MARGIN_DB * 1.1), "not reproduced"),
        (Claim("x", report=1.0, ours=-1.0), "contradicted"),
        (Claim("x", report=1.0, ours=0.05), "not reproduced (no difference)"),
        (Claim("x", report=0.05, ours=1.0), "not reproduced (an effect"),
        (Claim("x", report=2.0, ours=0.9), "not reproduced (same sign, smaller)"),
        (Claim("x", direction=-1, ours=-0.5), "reproduced"),
        (Claim("x", direction=-1, ours=0.5), "contradicted"),
        (Claim("x", direction=-1, ours=0.1), "not reproduced"),
        (Claim("x", report=1.0, ours=1.0, unhealthy=2), "not tested (2 runs"),
        (Claim("x", report=1.0), "not tested (no record)"),
        (
            Claim("x", report=137.0, ours=0.4, value=True, margin=10),
            "not reproduced (s",
        ),
    ],
)
def test_verdict_rule(claim: Claim, expected: str) -> None:
    assert verdict(claim).startswith(expected)


def test_seed_spread_widens_the_tolerance() -> None:
    """With a spread over seeds, a difference of 2 sd still agrees; one seed uses the
    stated margin only."""
    noisy = Claim("x", report=0.0, ours=0.5, spread=0.3, seeds=3)
    assert tolerance(noisy) == pytest.approx(0.6)
    assert verdict(noisy) == "reproduced"
    assert verdict(Claim("x", report=0.0, ours=0.5)).startswith("not reproduced")


def test_counts_and_table() -> None:
    cs = [Claim("a", report=1.0, ours=1.0), Claim("b", why_not="needs VGG weights")]
    t = verdict_table(cs)
    assert t["verdict"].tolist() == ["reproduced", "not tested (needs VGG weights)"]
    assert t["ours"].iloc[0] == "+1.00 dB"
    counts = verdict_counts(t["verdict"])
    assert counts["reproduced"] == 1 and counts["not tested"] == 1


def test_report000_claims_follow_the_findings() -> None:
    """Table 1's DoG claim: the report's +0.30 dB against ours; a dead stream makes
    the stream claims untested, not averaged."""
    f = {
        "t1_n_images": 1,
        "t1_psnr_mse": 33.0,
        "t1_psnr_dog": 33.31,
        "t1_psnr_star": 33.0,
        "stream_psnr_scratch": 30.0,
        "stream_psnr_transfer": 30.7,
        "stream_n_images": 4,
        "ext_gain_ext": -1.0,
        "ext_gain_ftune": 0.5,
        "ext_gain_online": 0.7,
        "star_time_ratio": 3.4,
    }
    by = {c.claim: verdict(c) for c in claims.report000_claims(f)}
    assert by["a DoG loss beats MSE (Table 1)"] == "reproduced"
    assert by["ZSSR* costs 3–4× ZSSR's time per iteration"] == "reproduced"
    dead = claims.report000_claims(f, health={"stream": 1})
    stream = [verdict(c) for c in dead if "stream" in c.setting]
    assert stream and all(v.startswith("not tested (1 run") for v in stream)


def _parameters(notebook: str) -> dict:
    """The literal assignments of a notebook's ``parameters`` cell."""
    text = (NOTEBOOKS / f"{notebook}.py").read_text()
    cell = text.split('# %% tags=["parameters"]\n', 1)[1].split("# %%", 1)[0]
    out = {}
    for node in ast.parse(cell).body:
        if isinstance(node, ast.Assign):
            try:
                out[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return out


@pytest.mark.parametrize(
    ("key", "notebook"),
    [
        ("protocol", "00_protocol"),
        ("r000", "r000_online_sr"),
        ("r001", "r001_zssr_review"),
        ("r002", "r002_srcnn_srgan"),
        ("r004", "r004_lapsrn_real_world"),
    ],
)
def test_synthesis_reads_what_the_notebooks_read(key: str, notebook: str) -> None:
    """The loaders of :mod:`chapter_claims` use each notebook's default parameters."""
    params = _parameters(notebook)
    for name, value in chapter_claims.DEFAULTS[key].items():
        assert params[name] == value, (notebook, name)


def test_a_complete_paper_cell_decides_its_ideal_row():
    """Report 001's Set5 rows read the paper-budget record once it is complete (its
    gain, 'paper' in the setting, its own health); an unfinished one changes
    nothing."""
    from srcore.health import health
    from srcore.runs.results import RunRecord

    f = {"ideal_set5_x3_gain": 2.0, "ideal_set5_x3_n": 5}
    rows = [
        {
            "image": f"Set5/{i}",
            "psnr": 33.0,
            "psnr_bicubic": 30.5,
            "health": health(0.5, 1.0, 2.0),
            "provenance": {"hardware": "CPU X", "cpu_native_bf16": True},
        }
        for i in range(5)
    ]
    cfg = {"model": {"amp": True}}
    full = RunRecord("zssr-p", "zssr", cfg, rows, extra={"total": 5})
    half = RunRecord("zssr-h", "zssr", cfg, rows[:2], extra={"total": 5})

    def row3(paper):
        (c,) = [c for c in claims.report001_claims(f, paper=paper) if "×3" in c.claim]
        return c

    assert row3(None).ours == 2.0 and row3(None).setting.startswith("quick")
    assert row3({3: half}).ours == 2.0
    c = row3({3: full})
    assert c.ours == pytest.approx(2.5) and c.setting.startswith("paper · Set5 (5")
    assert "CPU X, bf16" in c.setting and c.unhealthy == 0
