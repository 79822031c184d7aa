"""Report 001's claims, each beside what our records measure, judged by
:func:`srcore.chapters.verdicts.verdict` (the other chapters build theirs in their
notebooks; this one moves into chapter 01's notebook next).

:func:`report001_claims` turns the chapter's findings into
:class:`~srcore.chapters.verdicts.Claim` rows: the report's words (short), the
report's effect, ours, how ours was measured and the original paper's value where
one exists. Each notebook stores its claims (:mod:`srcore.chapters.claim_files`) for
the synthesis chapter.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from srcore.chapters import tables, zssr_tables
from srcore.chapters.published import (
    KERNELGAN_DIV2KRK,
    REPORT_001,
    REPORT_001_IDEAL,
    REPORT_001_NONIDEAL,
    anchor,
    anchor_label,
    published_table,
)
from srcore.chapters.verdicts import Claim
from srcore.runs.results import RunRecord, machines

__all__ = [
    "report001_claims",
]

VGG = "needs VGG weights"


def _finite(x: Any) -> float | None:
    """``x`` as a float, None where it is NaN (a spread over one seed)."""
    return None if x is None or not math.isfinite(float(x)) else float(x)


def _get(f: Mapping[str, Any], key: str) -> float | None:
    v = f.get(key)
    return None if v is None else float(v)


def _int(f: Mapping[str, Any], key: str) -> int | None:
    v = f.get(key)
    return None if v is None or v == "?" else int(v)


def _diff(f: Mapping[str, Any], a: str, b: str) -> float | None:
    x, y = _get(f, a), _get(f, b)
    return None if x is None or y is None else x - y


def _seeds(n: int) -> str:
    return f"{n} seed" + ("" if n == 1 else "s")


_paper = anchor_label


# --- report 001 -------------------------------------------------------------------


def _paper_cell(records: RunRecord | Sequence[RunRecord]) -> dict[str, Any] | None:
    """A paper-budget cell over its complete seeds (None before the first is
    complete): the mean over seeds of each seed's mean gain over bicubic, its sd
    over seeds, the seed count, the setting text, the health and the evidence."""
    records = [records] if isinstance(records, RunRecord) else list(records)
    done = [r for r in records if r is not None and r.complete]
    if not done:
        return None
    gains = [
        float(pd.DataFrame(r.per_image).eval("psnr - psnr_bicubic").mean())
        for r in done
    ]
    n = len(done)
    sd = float(pd.Series(gains).std(ddof=1)) if n > 1 else None
    images = min(r.done for r in done)
    return {
        "ours": float(sum(gains) / n),
        "spread": sd,
        "seeds": n,
        "setting": f"paper · Set5 ({images} images) · {_seeds(n)} · {machines(done)}",
        **_trust({"ideal": unhealthy_count(done)}, "ideal"),
        "budget": "paper",
        "images": int(images),
    }


def report001_claims(
    f: Mapping[str, Any],
    spread_records: Sequence[RunRecord] = (),
    health: Mapping[str, int] | None = None,
    paper: Mapping[int, RunRecord | Sequence[RunRecord]] | None = None,
    paper_x4_gradual: RunRecord | None = None,
) -> list[Claim]:
    """Report 001's claims: ZSSR's ideal-case gains over bicubic on Set5 (the paper's
    Table 1), the value of knowing the kernel, pixel shuffle at x2 and x4, the VDSR
    backbone, the perceptual loss (not run: VGG). ``spread_records``: Set5 x2 once
    per seed (:func:`report001.seed_runs`). ``health``: runs that failed the
    health rule per group (``ideal``, ``nonideal_x2``: true and assumed kernel,
    ``shuffle_x2``/``shuffle_x4``/``vdsr``: the variant and its assumed-kernel
    base), from :func:`report001_health`. ``paper``: the Set5 cells at the paper
    budget by scale, one record per seed (:func:`srcore.chapters.paper_runs.
    set5_cells`); once one is complete it replaces the quick evidence of its row.
    ``paper_x4_gradual``: the other way the paper's x4 may have run (gradual x2 ->
    x4), judged as a row of its own once complete: the paper does not say which."""
    bad = health or {}
    bic = published_table("Bicubic").set_index(["dataset", "scale"]).psnr
    claims = []
    n2 = sum(rec.complete for rec in spread_records)
    if n2 > 1:
        summary = zssr_tables.seed_spread(spread_records).iloc[-1]
        mean2, sd2 = float(summary.gain_db), _finite(summary.gain_spread)
    cells = [(scale, "", (paper or {}).get(scale)) for scale in (2, 3, 4)]
    if paper_x4_gradual is not None and paper_x4_gradual.complete:
        cells.append((4, ", gradual ×2→×4", paper_x4_gradual))
    for scale, how, records in cells:
        key = f"ideal_set5_x{scale}"
        ours, sd, n = _get(f, f"{key}_gain"), None, 1
        if scale == 2 and n2 > 1:
            ours, sd, n = mean2, sd2, n2
        evidence = {
            "ours": ours,
            "spread": sd,
            "seeds": n,
            "setting": f"quick · Set5 ({f.get(f'{key}_n', '?')} images) · {_seeds(n)}",
            **_trust(bad, "ideal"),
            "budget": "quick",
            "images": _int(f, f"{key}_n"),
        }
        evidence |= (_paper_cell(records) if records is not None else None) or {}
        paper_psnr = REPORT_001_IDEAL[("Set5", scale)]["ZSSR"][0]
        claims.append(
            Claim(
                f"ZSSR gains over bicubic on Set5 ×{scale}{how} (paper Table 1)",
                report=paper_psnr - float(bic[("Set5", scale)]),
                paper=_paper("ZSSR", "Set5", scale),
                report_images=5,
                internal=True,
                **evidence,
            )
        )
    nonideal = REPORT_001_NONIDEAL
    true_minus_estimated = (
        nonideal["ZSSR, true kernel"][0] - nonideal["ZSSR, estimated kernel"][0]
    )
    known = {
        "ours": _get(f, "nonideal_x2_gain"),
        "images": _int(f, "nonideal_x2_n"),
        "seeds": 1,
    }
    if f.get("blind_x2_seeds", 0) > 1:  # the blind case's seeds over more images
        known = {
            "ours": float(f["blind_x2_true_minus_assumed_mean"]),
            "spread": _finite(f["blind_x2_true_minus_assumed_sd"]),
            "images": int(f["blind_x2_n_seeded"]),
            "seeds": int(f["blind_x2_seeds"]),
        }
    claims.append(
        Claim(
            "knowing the kernel helps ZSSR over assuming bicubic (BSD100 ×2)",
            direction=1,
            setting=f"quick · {known['images']} BSD100 images · "
            f"{_seeds(known['seeds'])} · true kernel minus assumed bicubic",
            report_images=100,
            internal=True,
            **known,
            **_trust(bad, "nonideal_x2"),
        )
    )
    est = _get(f, "blind_x2_est_minus_true")
    ours, sd, n = (None if est is None else -est), None, 1
    if f.get("blind_x2_seeds", 0) > 1:  # the mean and sd over seeds
        n = int(f["blind_x2_seeds"])
        ours, sd = (
            float(f["blind_x2_true_minus_est_mean"]),
            f["blind_x2_true_minus_est_sd"],
        )
    claims.append(
        Claim(
            "an estimated kernel costs ZSSR this much against the true one "
            "(true minus estimated kernel, BSD100 ×2)",
            report=true_minus_estimated,
            ours=ours,
            spread=_finite(sd),
            seeds=n,
            setting=f"quick · {f.get('blind_x2_n', '?')} BSD100 images · {_seeds(n)} · "
            "KernelGAN's estimate (the report: BlindSR's)",
            images=_int(f, "blind_x2_n"),
            report_images=100,
            internal=True,
            **_trust(bad, "blind_x2"),
        )
    )
    for scale in (2, 4):
        key = f"blind_div2krk_x{scale}"
        kgan = anchor("KernelGAN + ZSSR", "DIV2KRK", scale)
        base = KERNELGAN_DIV2KRK["ZSSR with bicubic kernel"][scale][0]
        claims.append(
            Claim(
                "KernelGAN's kernel helps ZSSR over assuming bicubic "
                f"(DIV2KRK ×{scale}, the KernelGAN paper's Table 1)",
                report=kgan.psnr - base,
                ours=_get(f, f"{key}_est_minus_assumed") if f.get(f"{key}_n") else None,
                setting=f"quick · {f.get(f'{key}_n', '?')} DIV2KRK images · 1 seed",
                paper=f"{_paper('KernelGAN + ZSSR', 'DIV2KRK', scale)}; ZSSR with "
                f"bicubic kernel {base:.2f} dB (unverified)",
                images=_int(f, f"{key}_n"),
                report_images=100,
                internal=True,
                source="KernelGAN paper",
                **_trust(bad, key),
            )
        )
    variants = REPORT_001["variants"]
    shuffle = variants["ZSSR, pixel shuffle, assumes bicubic"]
    vdsr = variants["ZSSR, pre-trained VDSR backbone, assumes bicubic"]
    n_img = f.get("nonideal_x2_n", "?")
    for scale in (2, 4):
        claims.append(
            Claim(
                f"pixel shuffle inside the net, ×{scale}: "
                + ("no change" if scale == 2 else "better"),
                report=shuffle[scale][1] - shuffle[scale][0],
                ours=_get(f, f"variant_shuffle_x{scale}_diff"),
                setting=f"quick · {n_img} random-kernel BSD100 images · 1 seed",
                images=_int(f, "nonideal_x2_n"),
                internal=True,
                **_trust(bad, f"shuffle_x{scale}"),
            )
        )
    claims.append(
        Claim(
            "a VDSR backbone pre-trained on BSDS is worse than plain ZSSR, ×2",
            report=vdsr[2][1] - vdsr[2][0],
            ours=_get(f, "variant_vdsr_backbone_x2_diff"),
            setting=f"quick · {n_img} random-kernel BSD100 images · 1 seed",
            images=_int(f, "nonideal_x2_n"),
            internal=True,
            **_trust(bad, "vdsr"),
        )
    )
    claims.append(Claim("L1 + perceptual loss raises SSIM", direction=1, why_not=VGG))
    return claims


def report001_health(
    ideal: Sequence[RunRecord],
    nonideal: Sequence[RunRecord],
    variants: Sequence[RunRecord],
    blind: Mapping[str, Mapping[str, RunRecord]] | None = None,
    blind_seeds: Sequence[Mapping[str, RunRecord]] = (),
) -> dict[str, tuple[int, int]]:
    """Runs that failed the health rule behind each of report 001's claims: a
    variant's difference rests on the variant and on plain ZSSR assuming bicubic at
    the same scale; each blind set (``blind``: :func:`report001.blind_sets`, its ZSSR
    runs and KernelGAN's, under its glue key) on all of its runs, BSD100 x2 also on
    ``blind_seeds`` (:func:`report001.blind_seed_runs`). Each entry is the
    ``(failed, dirty, unchecked)`` tuple of :func:`unhealthy_count`."""

    def scale_of(r: RunRecord) -> int:
        return int(r.config["scale"])

    base = {scale_of(r): r for r in nonideal if "assumes" in tables.label(r)}
    out = {"ideal": unhealthy_count(ideal)}
    out["nonideal_x2"] = unhealthy_count([r for r in nonideal if scale_of(r) == 2])
    for key, runs in (blind or {}).items():
        out[key] = unhealthy_count(list(runs.values()))
    if blind_seeds:  # BSD100 x2 over seeds; seed 0 may be in ``blind`` too
        records = [*(blind or {}).get("blind_x2", {}).values()]
        records += [r for runs in blind_seeds for r in runs.values()]
        out["blind_x2"] = unhealthy_count(list({r.key: r for r in records}.values()))
    for r in variants:
        name = tables.label(r)
        key = "shuffle" if "pixel shuffle" in name else "vdsr"
        key = f"shuffle_x{scale_of(r)}" if key == "shuffle" else key
        behind = [r, base[scale_of(r)]] if scale_of(r) in base else [r]
        previous = out.get(key, (0, 0))
        previous = (*previous, 0, 0)[:3]
        out[key] = tuple(map(sum, zip(previous, unhealthy_count(behind), strict=True)))
    return out


def unhealthy_count(records: Sequence[RunRecord]) -> tuple[int, int, int]:
    """``(failed, dirty, unchecked)``: how many optimisations behind ``records``
    failed the health rule, how many of the records were made from uncommitted code
    (their commit does not say what made them, so they decide nothing) and how many
    optimisations were made before the health rule (nothing says they trained)."""
    dirty = sum(bool(r.provenance.get("dirty")) for r in records)
    counts = tables.not_trained(records)
    return counts["not_trained"], dirty, counts["unchecked"]


def _trust(health: Mapping[str, Any], key: str) -> dict[str, int]:
    """The ``unhealthy``/``dirty``/``unchecked`` fields of a claim from a health
    entry (a count of failed runs, or the tuple of :func:`unhealthy_count`)."""
    value = health.get(key, 0)
    value = tuple(value) if isinstance(value, tuple | list) else (value,)
    failed, dirty, unchecked = (*value, 0, 0)[:3]
    return {"unhealthy": int(failed), "dirty": int(dirty), "unchecked": int(unchecked)}
