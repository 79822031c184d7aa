"""N ZSSR networks as one: stacked parameters and the N images' crops in one batch.

The N-image loop (:mod:`~srcore.methods.zssr.batch`) keeps each image's network
as one row of stacked parameters ``{name: (N, ...)}`` (``torch.func.
stack_module_state`` style) and runs all rows through one ``torch.vmap``. Here: the
stacked parameters, each row initialised as the image alone would be
(:func:`stack_nets`), and the active images' crops zero-padded to the sizes common
to all of them (:func:`collate`; padding and masks as in
:mod:`~srcore.methods.zssr.crops`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from srcore.methods.zssr.crops import Pair, batch_crops, largest
from srcore.methods.zssr.job import ZSSRJob
from srcore.methods.zssr.net import build_net

__all__ = ["StackedBatch", "collate", "stack_nets"]


@dataclass
class StackedBatch:
    """Crops of ``n`` images x ``B`` fathers, zero-padded to common sizes."""

    son: torch.Tensor  # (n, B, C, hs, ws)
    interp: torch.Tensor  # (n, B, C, H, W)
    father: torch.Tensor  # (n, B, C, H, W)
    valid_lr: torch.Tensor | None  # (n, B, 1, hs, ws); None when all crops agree
    valid_hr: torch.Tensor | None  # (n, B, 1, H, W)
    sizes: list[list[tuple[int, int]]]  # each father's (h, w)
    drop: tuple[torch.Tensor, torch.Tensor] | None  # (n, B, width, ., .) masks


def collate(
    pairs: Sequence[Sequence[Pair]],
    drops: Sequence[Sequence[Sequence[torch.Tensor]] | None],
) -> StackedBatch:
    """The ``n`` images' pairs (``pairs[i]``, and dropout masks ``drops[i]`` or all
    None) as one batch: every crop padded to the largest of the step.

    Example:
        >>> def pair(h):
        ...     return Pair(torch.rand(1, 1, h, h), torch.rand(1, 1, h // 2, h // 2),
        ...                 torch.rand(1, 1, h, h))
        >>> b = collate([[pair(8)], [pair(6)]], [None, None])
        >>> tuple(b.father.shape), tuple(b.valid_hr.shape), b.sizes
        ((2, 1, 1, 8, 8), (2, 1, 1, 8, 8), [[(8, 8)], [(6, 6)]])
    """
    sizes = [tuple(p.father.shape[-2:]) for row in pairs for p in row]
    son_sizes = [tuple(p.son.shape[-2:]) for row in pairs for p in row]
    masked = len(set(sizes)) > 1 or len(set(son_sizes)) > 1
    drop_hw = None
    if drops[0] is not None:
        drop_hw = largest([tuple(m[0].shape[-2:]) for row in drops for m in row])
    rows = [
        batch_crops(
            row,
            drop,
            hr_hw=largest(sizes),
            lr_hw=largest(son_sizes),
            drop_hw=drop_hw,
            masked=masked,
        )
        for row, drop in zip(pairs, drops, strict=True)
    ]
    return StackedBatch(
        son=torch.stack([r.son for r in rows]),
        interp=torch.stack([r.interp for r in rows]),
        father=torch.stack([r.father for r in rows]),
        valid_lr=torch.stack([r.valid_lr for r in rows]) if masked else None,
        valid_hr=torch.stack([r.valid_hr for r in rows]) if masked else None,
        sizes=[r.sizes for r in rows],
        drop=None
        if rows[0].drop is None
        else tuple(torch.stack([r.drop[k] for r in rows]) for k in (0, 1)),
    )


def stack_nets(
    jobs: Sequence[ZSSRJob],
    channels: int,
    init_state: dict | Sequence[dict | None] | None,
) -> tuple[nn.Module, dict[str, torch.Tensor]]:
    """A template network and the jobs' stacked parameters ``{name: (N, ...)}``.

    Image ``i``'s init is :func:`~srcore.methods.zssr.net.build_net`'s from its own
    generator (seed ``seed + i``), as alone; ``init_state`` (one dict, or one per
    image) then replaces it.

    Example:
        >>> from srcore.methods.zssr.config import ZSSRConfig
        >>> cfg = ZSSRConfig(depth=3, width=8)
        >>> jobs = [ZSSRJob(torch.rand(1, 3, 16, 16), 2, cfg, kernel=None, hr=None,
        ...                 seed=i, device=torch.device("cpu"), trace_every=50)
        ...         for i in range(2)]
        >>> net, params = stack_nets(jobs, 3, None)
        >>> tuple(params["convs.0.weight"].shape)
        (2, 8, 3, 3, 3)
    """
    states = (
        init_state if isinstance(init_state, list | tuple) else [init_state] * len(jobs)
    )
    if len(states) != len(jobs):
        raise ValueError(f"{len(states)} init states for {len(jobs)} images")
    nets = [
        build_net(job.c, channels, job.stages[-1][0], job.gen, init_state=state)
        for job, state in zip(jobs, states, strict=True)
    ]
    params = {
        k: torch.stack([dict(n.named_parameters())[k].detach() for n in nets])
        for k, _ in nets[0].named_parameters()
    }
    return nets[0], params
