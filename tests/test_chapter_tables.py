"""The training-health bullet every chapter shows (srcore.chapters.tables)."""

from __future__ import annotations

from srcore.chapters.tables import health_bullet
from srcore.runs.results import RunRecord


def zssr_record(key: str, verdicts: list[str | None]) -> RunRecord:
    """A ZSSR record whose images carry ``verdicts`` (None: made before the rule)."""
    rows = [
        {"image": f"im{i}", "health": None if v is None else {"verdict": v}}
        for i, v in enumerate(verdicts)
    ]
    return RunRecord(key=key, method="zssr", config={}, per_image=rows)


def test_the_bullet_counts_every_optimisation_of_its_records() -> None:
    records = [
        zssr_record("a", ["trained", "stalled", None]),
        zssr_record("b", ["diverged", "trained"]),
        RunRecord(key="c", method="bicubic", config={}, per_image=[{"image": "x"}]),
    ]
    bullet = health_bullet(records)
    assert bullet.startswith("* **Training health** (the protocol chapter's rule):")
    assert (
        "of the 5 optimisations in this chapter's tables, 2 did not train and 1 were"
        " made before the rule" in bullet
    )
    assert bullet.endswith("flagged in the `trained` column of its table.")


def test_the_bullet_names_what_was_counted_and_the_headers_readers_see() -> None:
    bullet = health_bullet(
        [zssr_record("a", ["trained"])],
        "this page's tables (ZSSR's and KernelGAN's)",
        columns=("trained", "ZSSR trained", "kernelgan_health"),
    )
    assert "in this page's tables (ZSSR's and KernelGAN's), 0 did not train" in bullet
    assert bullet.endswith(
        "in the `trained`, `ZSSR trained` or `KernelGAN trained` column of its table."
    )
    assert "\n" not in bullet  # one Markdown list item
