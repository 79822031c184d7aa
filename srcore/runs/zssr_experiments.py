"""ZSSR in the ideal and the non-ideal case: against bicubic, over seeds, with the
authors' init, and its variants on random-kernel images. Each function names a set of
:func:`srcore.runs.zssr_runs.zssr_run` records so that a chapter and the queue ask
for the same keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from srcore.methods.zssr import PRESETS
from srcore.runs import zssr_runs
from srcore.runs.context import RunContext
from srcore.runs.results import RunRecord

#: The reference's gradual configs per final scale (``zssr.PRESETS``).
GRADUAL: dict[int, str] = {2: "gradual_x2", 4: "gradual_x4"}


def ideal_runs(
    sets: Sequence[str],
    scales: Sequence[int],
    gradual_scales: Sequence[int] = (),
    *,
    ctx: RunContext,
    seed: int = 0,
) -> list[RunRecord]:
    """ZSSR on bicubic LR for each (set, scale); at ``gradual_scales`` also with the
    reference's gradual scale increments."""
    runs = []
    for ds in sets:
        for s in scales:
            runs.append(zssr_runs.zssr_run(ds, s, ctx, seed=seed))
            if s in gradual_scales:
                gradual = PRESETS[GRADUAL[s]]
                runs.append(zssr_runs.zssr_run(ds, s, ctx, seed=seed, **gradual))
    return runs


def seed_runs(
    dataset: str, scale: int, seeds: Sequence[int], *, ctx: RunContext
) -> list[RunRecord]:
    """The same ZSSR run once per seed (image k of seed s uses s + k)."""
    return [zssr_runs.zssr_run(dataset, scale, ctx, seed=s) for s in seeds]


#: The BSD100 images of the init comparison (the first two, 101087 among them).
INIT_IMAGES = 2


def init_runs(
    seeds: Sequence[int], *, ctx: RunContext, limit: int = INIT_IMAGES
) -> dict[str, list[RunRecord]]:
    """ZSSR x2 on the first ``limit`` BSD100 images as the authors' code runs it
    (``PRESETS["reference_init"]`` and ``["reference_lr_rule"]``) and as srcore
    does, once per seed."""
    ref = {**PRESETS["reference_init"], **PRESETS["reference_lr_rule"]}
    return {
        "authors (init 0.1, lr rule as is)": [
            zssr_runs.zssr_run("BSD100", 2, ctx, limit=limit, seed=s, **ref)
            for s in seeds
        ],
        "srcore (init 1.0, lr guard)": [
            zssr_runs.zssr_run("BSD100", 2, ctx, limit=limit, seed=s) for s in seeds
        ],
    }


def nonideal_runs(
    scale: int,
    limit: int,
    variants: Sequence[str] = (),
    vdsr_backbone: bool = False,
    *,
    ctx: RunContext,
    seed: int = 0,
) -> tuple[list[RunRecord], list[RunRecord]]:
    """ZSSR with the true kernel and assuming bicubic on the first ``limit``
    random-kernel BSD100 images, then (assuming bicubic) ``variants`` and, with
    ``vdsr_backbone``, a VDSR pre-trained on BSD200 alone and fine-tuned by ZSSR."""
    kw: dict[str, Any] = dict(degradation="random_kernel", limit=limit, seed=seed)
    base = [
        zssr_runs.zssr_run("BSD100", scale, ctx, true_kernel=t, **kw)
        for t in (True, False)
    ]
    extra = [
        zssr_runs.zssr_run("BSD100", scale, ctx, variant=v, **kw) for v in variants
    ]
    if vdsr_backbone:
        # ZSSR's init is unused here; the records were made under the reference's
        unused = PRESETS["reference_init"]
        extra += [
            zssr_runs.zssr_run(
                "BSD100", scale, ctx, backbone="vdsr", **iters, **unused, **kw
            )
            for iters in ({"max_iters": 0}, {})
        ]
    return base, extra
