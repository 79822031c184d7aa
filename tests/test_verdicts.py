"""The verdict rule on known values, the claims built from a chapter's findings, and
the loaders of the synthesis chapter reading what the notebooks read."""

from __future__ import annotations

from pathlib import Path

import pytest

from srcore.chapters import claim_files
from srcore.chapters.verdicts import (
    FEW_IMAGES,
    JUDGED,
    MARGIN_DB,
    MIN_SEEDS,
    Claim,
    tolerance,
    verdict,
    verdict_counts,
    verdict_kind,
    verdict_table,
)
from srcore.runs.context import RunContext

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


#: Evidence at the report's own budget and sample.
FULL = {"budget": "paper", "images": 5}


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        (Claim("x", report=1.0, ours=1.0 + MARGIN_DB * 0.9, **FULL), "reproduced"),
        (Claim("x", report=1.0, ours=1.0 + MARGIN_DB * 1.1, **FULL), "not reproduced"),
        (Claim("x", report=1.0, ours=-1.0, **FULL), "contradicted"),
        (
            Claim("x", report=1.0, ours=0.05, **FULL),
            "not reproduced at the paper budget (no difference)",
        ),
        (
            Claim("x", report=0.05, ours=1.0, **FULL),
            "not reproduced at the paper budget (an effect where the report's",
        ),
        (
            Claim("x", report=2.0, ours=0.9, **FULL),
            "not reproduced at the paper budget (same sign, smaller)",
        ),
        (Claim("x", direction=-1, ours=-0.5, **FULL), "reproduced"),
        (Claim("x", direction=-1, ours=0.5, **FULL), "contradicted"),
        (Claim("x", direction=-1, ours=0.1, **FULL), "not reproduced"),
        (
            Claim("x", report=1.0, ours=1.0, unhealthy=2, **FULL),
            "not tested (under-trained: 2 runs",
        ),
        (Claim("x", report=1.0, **FULL), "not tested (nothing measured"),
        (
            Claim("x", report=137.0, ours=0.4, value=True, margin=10, exact=True),
            "not reproduced (smaller)",
        ),
        # below the report's budget or sample: the same outcome, another word
        (Claim("x", report=1.0, ours=1.0, images=5), "consistent at the quick budget"),
        (Claim("x", report=1.0, ours=-1.0, images=5), "opposite at the quick budget"),
        (
            Claim("x", report=1.0, ours=1.0, budget="paper", images=2),
            "consistent at the paper budget (2 images)",
        ),
        (
            Claim("x", report=1.0, ours=0.0, budget="paper", images=5, internal=True),
            "not consistent at the paper budget (no difference; 1 seed)",
        ),
        (
            Claim("x", report=1.0, ours=1.0, budget="paper", images=5, unchecked=1),
            "consistent at the paper budget (1 run made before the health rule)",
        ),
        (
            Claim(
                "x", report=1.0, ours=1.0, budget="paper", images=5, report_images=10
            ),
            "consistent at the paper budget (5 of the report's 10 images)",
        ),
    ],
)
def test_verdict_rule(claim: Claim, expected: str) -> None:
    assert verdict(claim).startswith(expected)


def test_internal_learning_needs_three_seeds_for_a_verdict() -> None:
    one = Claim("x", report=1.0, ours=1.0, internal=True, **FULL)
    three = Claim("x", report=1.0, ours=1.0, internal=True, seeds=3, **FULL)
    assert verdict(one) == "consistent at the paper budget (1 seed)"
    assert verdict(three) == "reproduced at the paper budget"
    # a supervised network trains once: one run is its sample
    assert verdict(Claim("x", report=1.0, ours=1.0, **FULL)) == verdict(three)


def test_seed_spread_widens_the_tolerance() -> None:
    """With a spread over seeds, a difference of 2 sd still agrees; one seed uses the
    stated margin only."""
    noisy = Claim("x", report=0.0, ours=0.5, spread=0.3, seeds=3, **FULL)
    assert tolerance(noisy) == pytest.approx(0.6)
    assert verdict(noisy) == "reproduced at the paper budget"
    assert verdict(Claim("x", report=0.0, ours=0.5, **FULL)).startswith(
        "not reproduced"
    )


def test_each_side_is_judged_against_its_own_noise() -> None:
    """Our wide spread does not turn the report's clear effect into 'none': the
    report's +0.87 dB is beyond its own noise, so ours at 2.41 +- 0.60 is the same
    sign and larger (1.54 apart, beyond 2 x 0.60); the report's own spread widens
    the tolerance too."""
    est = Claim("x", report=0.87, ours=2.41, spread=0.60, seeds=3, **FULL)
    assert verdict(est) == "not reproduced at the paper budget (same sign, larger)"
    both = Claim("x", report=0.87, ours=2.41, spread=0.60, report_spread=0.5, **FULL)
    assert tolerance(both) == pytest.approx(2 * (0.6**2 + 0.5**2) ** 0.5)
    assert verdict(both) == "reproduced at the paper budget"
    faint = Claim("x", report=0.10, ours=0.46, **FULL)
    assert verdict(faint).startswith("not reproduced at the paper budget (an effect")


def test_counts_keep_judged_and_preliminary_apart() -> None:
    cs = [
        Claim("a", report=1.0, ours=1.0, **FULL),
        Claim("b", report=1.0, ours=1.0, images=1),
        Claim("c", why_not="needs VGG weights"),
    ]
    t = verdict_table(cs)
    assert t["verdict"].tolist() == [
        "reproduced at the paper budget",
        "consistent at the quick budget (1 image)",
        "not tested (needs VGG weights)",
    ]
    assert t["ours"].iloc[0] == "+1.00 dB"
    counts = verdict_counts(t["verdict"])
    assert (counts["reproduced"], counts["consistent"], counts["not tested"]) == (
        1,
        1,
        1,
    )
    assert sum(counts.values()) == 3


@pytest.fixture(scope="module")
def committed_claims(
    tmp_path_factory: pytest.TempPathFactory, data_dir: Path
) -> dict[str, list[Claim]]:
    """Every chapter's claims as the chapters stored them from the committed records
    (``book/results/claims``; ``make claims`` refreshes them)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SRCORE_RESULTS_MODE", "read")
        mp.setenv("SRCORE_CACHE", str(tmp_path_factory.mktemp("cache")))
        ctx = RunContext(profile="quick", data_root=data_dir, progress=False)
        return claim_files.load_all(ctx)


def test_no_verdict_word_rests_on_less_than_the_reports_evidence(
    committed_claims: dict[str, list[Claim]],
) -> None:
    """On the committed records: 'reproduced' / 'not reproduced' / 'contradicted'
    only at the paper budget, on more than 2 images, with 3 seeds for an internal
    method and every run trained; every measured effect says how many images it
    rests on."""
    for chapter, cs in committed_claims.items():
        for c in cs:
            v = verdict(c)
            if c.ours is not None and not (c.exact or c.value):
                assert c.images is not None, (chapter, c.claim)
            if verdict_kind(v) in JUDGED and not c.exact:
                assert c.budget == "paper" and c.images > FEW_IMAGES, (chapter, v)
                assert not c.internal or c.seeds >= MIN_SEEDS, (chapter, v)
                assert not (c.unhealthy or c.unchecked or c.dirty), (chapter, v)


def test_srcnn_and_srgan_rows_follow_the_rule(
    committed_claims: dict[str, list[Claim]],
) -> None:
    """Report 002: one SRCNN row, at the scale inferred from the report's bicubic
    level; SRGAN judged by its health (a diverged content loss is not tested)."""
    from srcore.health import gan_health
    from srcore.runs import supervised

    r002 = committed_claims["r002"]
    srcnn = [c for c in r002 if c.claim.startswith("SRCNN beats bicubic")]
    assert len(srcnn) == 1 and "inferred from the report's bicubic" in srcnn[0].claim
    (gan,) = [c for c in r002 if c.claim.startswith("SRGAN gives up PSNR")]
    assert gan.source == "SRGAN paper"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SRCORE_RESULTS_MODE", "read")
        rec = supervised.run("srgan", 4, RunContext(profile="quick", progress=False))
    diverged = gan_health(rec.history["content"])["verdict"] != "trained"
    assert verdict(gan).startswith("not tested (under-trained") == diverged
