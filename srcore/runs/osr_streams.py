"""Online SR along a stream of images (×2, :func:`srcore.runs.zssr_runs.osr_run`):
the streams a comparison needs, named so that a chapter and the queue ask for the
same records.
"""

from __future__ import annotations

from collections.abc import Sequence

from srcore.runs import zssr_runs
from srcore.runs.context import RunContext
from srcore.runs.results import RunRecord

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
    return [
        zssr_runs.osr_run(
            dataset,
            2,
            ctx,
            transfer=transfer,
            adapt=adapt,
            external=external,
            limit=limit,
            variant=variant,
            seed=seed,
        )
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
