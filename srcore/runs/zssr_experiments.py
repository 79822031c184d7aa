"""The ZSSR and OSR experiments, each a named set of :mod:`srcore.runs.zssr_runs`
records so that a chapter and the queue ask for the same keys: ZSSR in the ideal and
the non-ideal case, blind ZSSR (told the true kernel, KernelGAN's estimate, or
nothing) and KernelGAN alone, and OSR along a stream of images (x2).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from srcore.methods.zssr import PRESETS
from srcore.runs import kernel_runs, zssr_runs
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


#: The blind case's ZSSR runs, by what ZSSR is told about the kernel.
BLIND_KINDS: dict[str, dict[str, bool]] = {
    "true kernel": {"true_kernel": True},
    "estimated kernel": {"estimated_kernel": True},
    "assumes bicubic": {},
}

#: The blind case's (set, scale): BSD100 x2 is ZSSR's non-ideal setting (seeded
#: kernels), DIV2KRK KernelGAN's own.
BLIND_SETS: tuple[tuple[str, int], ...] = (
    ("BSD100", 2),
    ("DIV2KRK", 2),
    ("DIV2KRK", 4),
)


def blind_runs(
    scale: int,
    limit: int,
    *,
    ctx: RunContext,
    seed: int = 0,
    dataset: str = "BSD100",
) -> dict[str, RunRecord]:
    """ZSSR on the first ``limit`` random-kernel images of ``dataset`` per
    :data:`BLIND_KINDS`, plus the KernelGAN record (key ``"kernels"``)."""
    kw: dict[str, Any] = dict(degradation="random_kernel", limit=limit, seed=seed)
    runs = {
        kind: zssr_runs.zssr_run(dataset, scale, ctx, **flags, **kw)
        for kind, flags in BLIND_KINDS.items()
    }
    runs["kernels"] = kernel_runs.kernelgan_run(
        dataset, scale, ctx, limit=limit, seed=seed
    )
    return runs


def blind_key(dataset: str, scale: int) -> str:
    """The name of a blind set: ``blind_x2`` (BSD100), ``blind_div2krk_x4``.

    Example:
        >>> blind_key("BSD100", 2), blind_key("DIV2KRK", 4)
        ('blind_x2', 'blind_div2krk_x4')
    """
    infix = "" if dataset == "BSD100" else f"{dataset.lower()}_"
    return f"blind_{infix}x{scale}"


def blind_sets(
    bsd100_images: int, div2krk_images: int, *, ctx: RunContext, seed: int = 0
) -> dict[str, dict[str, RunRecord]]:
    """:func:`blind_runs` (partial records) on each of :data:`BLIND_SETS` given
    images, keyed by :func:`blind_key`."""
    limits = {"BSD100": bsd100_images, "DIV2KRK": div2krk_images}
    part = ctx.replace(partial=True)
    return {
        blind_key(ds, s): blind_runs(s, limits[ds], ctx=part, seed=seed, dataset=ds)
        for ds, s in BLIND_SETS
        if limits[ds] > 0
    }


def blind_seed_runs(
    images: int, seeds: Sequence[int], *, ctx: RunContext
) -> list[dict[str, RunRecord]]:
    """The BSD100 x2 blind case (:func:`blind_runs`, partial) once per seed."""
    part = ctx.replace(partial=True)
    return [blind_runs(2, images, ctx=part, seed=s) for s in seeds]


def kernel_runs_on(limit: int, *, ctx: RunContext) -> list[RunRecord]:
    """KernelGAN alone on the first ``limit`` images of each of :data:`BLIND_SETS`
    (not BSD100 x4: its LR images are too small for KernelGAN's crop)."""
    return [
        kernel_runs.kernelgan_run(ds, scale, ctx, limit=limit)
        for ds, scale in BLIND_SETS
    ]


#: The modes that start from external weights: (transfer along the stream, adapt
#: each image's network to it).
EXTERNAL_MODES: dict[str, tuple[bool, bool]] = {
    "ext": (False, False),
    "ext/ftune": (False, True),
    "ext/online": (True, True),
}


def external_runs(
    dataset: str,
    limit: int,
    external: str | None,
    *,
    ctx: RunContext,
    seed: int = 0,
    variant: str = "zssr",
) -> list[RunRecord]:
    """The stream again from weights pretrained by OSR over ``external`` (e.g. T91),
    once per mode of :data:`EXTERNAL_MODES`; none when ``external`` is None."""
    if external is None:
        return []
    kw: dict[str, Any] = dict(
        external=external, limit=limit, variant=variant, seed=seed
    )
    return [
        zssr_runs.osr_run(dataset, 2, ctx, transfer=transfer, adapt=adapt, **kw)
        for transfer, adapt in EXTERNAL_MODES.values()
    ]


def stream_seed_runs(
    dataset: str,
    images: int,
    seeds: Sequence[int],
    *,
    ctx: RunContext,
    variant: str = "zssr",
) -> list[tuple[RunRecord, RunRecord]]:
    """The stream from scratch and with weight transfer, once per seed."""
    return [
        tuple(  # type: ignore[misc]
            zssr_runs.osr_run(
                dataset, 2, ctx, transfer=t, limit=images, variant=variant, seed=s
            )
            for t in (False, True)
        )
        for s in seeds
    ]
