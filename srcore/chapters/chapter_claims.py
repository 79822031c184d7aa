"""Every chapter's claims from its records, at its notebook's default parameters.

The chapters build their verdict tables from the records they already show; the
synthesis chapter needs all of them at once, so :func:`all_claims` loads each
chapter's records the way its notebook does (same run functions, same defaults:
``tests/test_verdicts.py`` checks the defaults against the notebooks' parameter
cells) and hands them to :mod:`srcore.chapters.claims`. In the book build (results
mode ``read``) nothing is computed.
"""

from __future__ import annotations

from typing import Any

from srcore.chapters import (
    claims,
    paper_runs,
    published,
    report000,
    report001,
    report002,
    report003,
    report004,
    supervised_tables,
    zssr_tables,
)
from srcore.chapters.verdicts import Claim
from srcore.runs import supervised, zssr_runs
from srcore.runs.benchmark import (
    benchmark_table,
    evaluate,
    matlab_imresize_check,
    selfexsr_agreement,
)
from srcore.runs.context import RunContext

__all__ = ["CHAPTERS", "DEFAULTS", "all_claims"]

#: Chapter titles, in book order, as the synthesis table names them.
CHAPTERS = {
    "protocol": "The evaluation protocol",
    "r001": "001 ZSSR review",
    "r000": "000 Online SR",
    "r002": "002 SRCNN vs SRGAN",
    "r003": "003 LapSRN vs DIP",
    "r004": "004 LapSRN, random kernels",
}
#: The notebooks' default parameters that decide which records a chapter reads.
DEFAULTS: dict[str, dict[str, Any]] = {
    "protocol": {"datasets": ["Set5", "Set14", "BSD100"], "scales": [2, 3, 4]},
    "r000": {
        "table1_images": 1,
        "table1_variants": ["zssr_mse", "zssr_dog", "zssr_star"],
        "stream_images": 4,
        "stream_set": "BSD100",
        "stream_variant": "zssr",
        "external": "T91",
        "stream_seeds": [0, 1, 2],
    },
    "r001": {
        "ideal_sets": ["Set5"],
        "ideal_scales": [2, 3, 4],
        "ideal_gradual": [4],
        "nonideal_images": 2,
        "nonideal_scales": [2, 4],
        "nonideal_variants": ["pixelshuffle"],
        "vdsr_backbone": True,
        "spread_seeds": [0, 1, 2],
        "blind_images": 5,
        "blind_div2krk": 5,
        "blind_seeds": [0, 1, 2],
    },
    "r002": {"srcnn_scales": [2, 3, 4], "gan_scale": 4},
    "r003": {"dip_seeds": [0, 1, 2]},
    "r004": {
        "scales": [2, 4, 8],
        "faults": ["misaligned_pairs", "random_image_branch"],
    },
}


def protocol(ctx: RunContext) -> list[Claim]:
    """The protocol chapter's claims from its records."""
    d = DEFAULTS["protocol"]
    checks = [matlab_imresize_check(s, ctx) for s in d["scales"]]
    imresize_max = max(
        max(row["max_abs_down"], row["max_abs_up_y"])
        for r in checks
        for row in r.per_image
    )
    records = [
        evaluate("bicubic", ds, s, ctx) for ds in d["datasets"] for s in d["scales"]
    ]
    comparison = published.compare_with_published(benchmark_table(records), "Bicubic")
    agreement = published.agreement(comparison, psnr_tol=0.02, ssim_tol=0.003)
    selfexsr = selfexsr_agreement(records, ctx)
    worst = max(row["max_abs_diff_db"] for row in selfexsr.per_image)
    return claims.protocol_claims(agreement, imresize_max, worst)


def r000(ctx: RunContext) -> list[Claim]:
    """Report 000's claims from the chapter's records."""
    d = DEFAULTS["r000"]
    table1 = [
        zssr_runs.zssr_run("T91", 2, ctx, variant=v, limit=d["table1_images"])
        for v in d["table1_variants"]
    ]
    stream = {
        t: zssr_runs.osr_run(
            d["stream_set"],
            2,
            ctx,
            transfer=t,
            limit=d["stream_images"],
            variant=d["stream_variant"],
        )
        for t in (False, True)
    }
    ext = report000.external_runs(
        d["stream_set"],
        d["stream_images"],
        d["external"],
        ctx=ctx,
        variant=d["stream_variant"],
    )
    pairs = report000.stream_seed_runs(
        d["stream_set"],
        d["stream_images"],
        d["stream_seeds"],
        ctx=ctx.replace(partial=True),
        variant=d["stream_variant"],
    )
    speed = zssr_tables.iterations_to_match(stream[False], stream[True])
    f = report000.findings(table1, stream, speed, ext)
    health = {
        "table1": claims.unhealthy_count(table1),
        "stream": claims.unhealthy_count(
            [*stream.values(), *ext, *[r for p in pairs for r in p]]
        ),
    }
    return claims.report000_claims(f, pairs, health)


def r001(ctx: RunContext) -> list[Claim]:
    """Report 001's claims from the chapter's records."""
    d = DEFAULTS["r001"]
    ideal = report001.ideal_runs(
        d["ideal_sets"], d["ideal_scales"], d["ideal_gradual"], ctx=ctx
    )
    spread = report001.seed_runs(
        "Set5", 2, d["spread_seeds"], ctx=ctx.replace(partial=True)
    )
    nonideal, variants = [], []
    for scale in d["nonideal_scales"]:
        base, extra = report001.nonideal_runs(
            scale,
            d["nonideal_images"],
            d["nonideal_variants"],
            vdsr_backbone=d["vdsr_backbone"] and scale == 2,
            ctx=ctx,
        )
        nonideal += base
        variants += extra
    blind = report001.blind_sets(d["blind_images"], d["blind_div2krk"], ctx=ctx)
    f = report001.findings(ideal, nonideal, variants)
    f |= report001.all_blind_findings(blind)
    seeds = report001.blind_seed_runs(d["blind_images"], d["blind_seeds"], ctx=ctx)
    f |= report001.blind_seed_findings(seeds)
    health = claims.report001_health(
        [*ideal, *spread], nonideal, variants, blind, seeds
    )
    return claims.report001_claims(
        f,
        spread,
        health,
        paper_runs.set5_cells(ctx),
        paper_runs.read(paper_runs.SET5_X4_GRADUAL, ctx),
    )


def r002(ctx: RunContext) -> list[Claim]:
    """Report 002's claims from the chapter's records."""
    d = DEFAULTS["r002"]
    srcnn = [supervised.run("srcnn", s, ctx) for s in d["srcnn_scales"]]
    gan = [supervised.run(m, d["gan_scale"], ctx) for m in ("srresnet", "srgan")]
    table = supervised_tables.summary([*srcnn, *gan])
    bicubic_div2k = evaluate("bicubic", "DIV2K", 2, ctx)
    f = report002.findings(table, d["gan_scale"], bicubic_div2k.per_image[0]["seconds"])
    health = {
        "srcnn": claims.unhealthy_count(srcnn),
        "gan": claims.unhealthy_count(gan),
    }
    return claims.report002_claims(f, table, health)


def r003(ctx: RunContext) -> list[Claim]:
    """Report 003's claims from the chapter's records."""
    lapsrn = report003.lapsrn_runs(ctx)
    dip_runs = [report003.dip_run(loss, ctx) for loss in ("mse", "charbonnier")]
    crops = [report003.lapsrn_on_crops(r, ctx) for r in lapsrn]
    spread = {
        s: [
            report003.dip_run(loss, ctx.replace(partial=True), seed=s)
            for loss in LOSSES
        ]
        for s in DEFAULTS["r003"]["dip_seeds"]
    }
    f = report003.findings(dip_runs, crops, lapsrn) | report003.dip_seed_findings(
        spread
    )
    health = {
        "dip": claims.unhealthy_count([r for runs in spread.values() for r in runs]),
        "lapsrn": claims.unhealthy_count(lapsrn),
        "crops": claims.unhealthy_count([*dip_runs, *crops]),
    }
    return claims.report003_claims(f, health)


def r004(ctx: RunContext) -> list[Claim]:
    """Report 004's claims from the chapter's records."""
    d = DEFAULTS["r004"]
    runs = report004.runs(d["scales"], ctx=ctx)
    faults = report004.fault_runs(d["faults"], ctx=ctx)
    f = report004.findings(report004.table(runs), runs, faults)
    health = {s: claims.unhealthy_count([runs[(s, "subpixel")]]) for s in (2, 4)}
    return claims.report004_claims(f, health)


LOSSES = ("mse", "charbonnier")
_LOADERS = {"protocol": protocol, "r001": r001, "r000": r000, "r002": r002}
_LOADERS |= {"r003": r003, "r004": r004}


def all_claims(ctx: RunContext) -> dict[str, list[Claim]]:
    """Each chapter's claims, keyed by its title (:data:`CHAPTERS`), in book order."""
    return {CHAPTERS[k]: _LOADERS[k](ctx) for k in CHAPTERS}
