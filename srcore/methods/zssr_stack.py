"""N ZSSR networks as one: stacked parameters, padded crop batches, per-row Adam.

Each image trains its own network; the networks' parameters are stacked ``{name:
(N, ...)}`` so that one loop (:mod:`srcore.methods.zssr_train`) trains one image
(:func:`_direct_forward`, for :func:`srcore.methods.zssr.zssr`) or N at once
(``zssr_many``'s vmapped forward) with the same code. Here: crops zero-padded to
common sizes with validity masks (:class:`_Batch`), the network call on them, each
image's init from its own generator (:func:`_build_nets`), and Adam with one step
count and learning rate per row (:class:`_Adam`, PyTorch's update; the reference
trains one TensorFlow network with ``tf.train.AdamOptimizer``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from srcore.methods.zssr_job import _Job, _Pair
from srcore.methods.zssr_net import ZSSRNet

__all__: list[str] = []


@dataclass
class _Batch:
    """Crops of ``n`` images x ``B`` fathers, zero-padded to common sizes."""

    son: torch.Tensor  # (n, B, C, hs, ws)
    interp: torch.Tensor  # (n, B, C, H, W)
    father: torch.Tensor  # (n, B, C, H, W)
    valid_lr: torch.Tensor | None  # (n, B, 1, hs, ws); None when all crops agree
    valid_hr: torch.Tensor | None  # (n, B, 1, H, W)
    sizes: list[list[tuple[int, int]]]  # each father's (h, w)
    drop: tuple[torch.Tensor, torch.Tensor] | None  # (n, B, width, ., .) masks


def _pad_stack(rows: list[list[torch.Tensor]], hw: tuple[int, int]) -> torch.Tensor:
    def pad(t: torch.Tensor) -> torch.Tensor:
        return F.pad(t, (0, hw[1] - t.shape[-1], 0, hw[0] - t.shape[-2]))

    return torch.stack([torch.cat([pad(t) for t in row]) for row in rows])


def _valid(sizes: list[list[tuple[int, int]]], hw: tuple[int, int]) -> torch.Tensor:
    mask = torch.zeros(len(sizes), len(sizes[0]), 1, *hw)
    for i, row in enumerate(sizes):
        for b, (h, w) in enumerate(row):
            mask[i, b, :, :h, :w] = 1
    return mask


def _collate(pairs: list[list[_Pair]], drops, device: torch.device) -> _Batch:
    sizes = [[tuple(p.father.shape[-2:]) for p in row] for row in pairs]
    son_sizes = [[tuple(p.son.shape[-2:]) for p in row] for row in pairs]
    hr = (max(h for r in sizes for h, _ in r), max(w for r in sizes for _, w in r))
    lr = (
        max(h for r in son_sizes for h, _ in r),
        max(w for r in son_sizes for _, w in r),
    )
    same = (
        len({s for r in sizes for s in r}) == 1
        and len({s for r in son_sizes for s in r}) == 1
    )
    drop = None
    if drops[0] is not None:
        drop_hw = (
            max(m[0].shape[-2] for r in drops for m in r),
            max(m[0].shape[-1] for r in drops for m in r),
        )
        drop = tuple(
            _pad_stack([[m[layer] for m in r] for r in drops], drop_hw)
            for layer in (0, 1)
        )
    return _Batch(
        son=_pad_stack([[p.son for p in r] for r in pairs], lr).to(device),
        interp=_pad_stack([[p.interp for p in r] for r in pairs], hr).to(device),
        father=_pad_stack([[p.father for p in r] for r in pairs], hr).to(device),
        valid_lr=None if same else _valid(son_sizes, lr).to(device),
        valid_hr=None if same else _valid(sizes, hr).to(device),
        sizes=sizes,
        drop=drop,
    )


def _net_args(net: nn.Module, batch: _Batch, i: int | slice):
    """``(args, kwargs)`` of the network call on image(s) ``i`` of the batch."""
    if not isinstance(net, ZSSRNet):
        return (batch.interp[i],), {}
    ps = net.upsample == "pixelshuffle"
    kwargs = {
        "base": batch.interp[i] if ps else None,
        "valid": None
        if batch.valid_hr is None
        else (batch.valid_lr if ps else batch.valid_hr)[i],
        "drop": None if batch.drop is None else (batch.drop[0][i], batch.drop[1][i]),
    }
    return ((batch.son if ps else batch.interp)[i],), kwargs


def _direct_forward(net: nn.Module, params: dict, batch: _Batch) -> torch.Tensor:
    """One image's crops through the network: ``(1, B, C, H, W)``."""
    p = {k: v[0] for k, v in params.items()}
    args, kwargs = _net_args(net, batch, 0)
    if batch.father.is_cuda and getattr(net, "channels_last", False):
        # cuDNN's fast bf16 convolutions are NHWC; the copies are differentiable.
        nhwc = torch.channels_last
        p = {
            k: v.contiguous(memory_format=nhwc) if v.ndim == 4 else v
            for k, v in p.items()
        }
        args = (args[0].contiguous(memory_format=nhwc),)
    if not isinstance(net, ZSSRNet) and batch.valid_hr is not None:
        # A foreign backbone cannot mask its padding: run crops of unequal size apart.
        H, W = batch.father.shape[-2:]
        outs = [
            F.pad(
                torch.func.functional_call(
                    net, p, (batch.interp[0, b : b + 1, :, :h, :w],)
                ),
                (0, W - w, 0, H - h),
            )
            for b, (h, w) in enumerate(batch.sizes[0])
        ]
        return torch.cat(outs)[None]
    return torch.func.functional_call(net, p, args, kwargs)[None]


class _Adam:
    """Adam over stacked parameters ``(N, ...)``: each row (image) has its own step
    count and learning rate, and rows left out of a step (stopped images) are not
    touched. Per row the update is PyTorch's ``torch.optim.Adam``:
    ``p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``."""

    def __init__(self, params: dict[str, torch.Tensor], betas, eps: float) -> None:
        self.params, self.betas, self.eps = params, betas, eps
        self.m = {k: torch.zeros_like(v) for k, v in params.items()}
        self.v = {k: torch.zeros_like(v) for k, v in params.items()}
        n = next(iter(params.values())).shape[0]
        self.t = torch.zeros(n, dtype=torch.float64)

    def step(
        self, rows: list[int], grads: Sequence[torch.Tensor], lrs: list[float]
    ) -> None:
        b1, b2 = self.betas
        idx = torch.tensor(rows)
        self.t[idx] += 1
        t = self.t[idx]
        dev = next(iter(self.params.values())).device
        step_size = (
            (torch.tensor(lrs, dtype=torch.float64) / (1 - b1**t)).float().to(dev)
        )
        bc2_sqrt = torch.sqrt(1 - b2**t).float().to(dev)
        idx = idx.to(dev)
        for (k, p), g in zip(self.params.items(), grads, strict=True):
            shape = (-1,) + (1,) * (p.ndim - 1)
            m = self.m[k][idx].mul_(b1).add_(g, alpha=1 - b1)
            v = self.v[k][idx].mul_(b2).addcmul_(g, g, value=1 - b2)
            denom = (v.sqrt() / bc2_sqrt.view(shape)).add_(self.eps)
            p[idx] = p[idx] - step_size.view(shape) * m / denom
            self.m[k][idx], self.v[k][idx] = m, v


def _build_nets(
    jobs: list[_Job],
    channels: int,
    backbone: Callable[[], nn.Module] | None,
    init_state,
) -> tuple[nn.Module, dict[str, torch.Tensor]]:
    """A template network and the jobs' stacked parameters ``{name: (N, ...)}``.

    Image ``i``'s random init is drawn from its own generator (seed ``seed + i``)
    before any father, so one image alone or in a batch starts identically;
    ``init_state`` (one dict, or one per image) then replaces it.
    """
    c = jobs[0].c
    nets = []
    for job in jobs:
        if backbone is None:
            net = ZSSRNet(
                channels,
                depth=c.depth,
                width=c.width,
                upsample=c.upsample,
                scale=int(job.stages[-1][0]) if c.upsample == "pixelshuffle" else 2,
                tanh_residual=c.tanh_residual,
                dropout=c.dropout,
                bias=c.bias,
                init_variance=c.init_variance,
                generator=job.gen,
            )
        else:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(int(torch.randint(2**62, (), generator=job.gen)))
                net = backbone()
        nets.append(net)
    states = (
        init_state if isinstance(init_state, list | tuple) else [init_state] * len(jobs)
    )
    if len(states) != len(jobs):
        raise ValueError(f"{len(states)} init states for {len(jobs)} images")
    for net, state in zip(nets, states, strict=True):
        if state is not None:
            net.load_state_dict(state)
    params = {
        k: torch.stack([dict(n.named_parameters())[k].detach() for n in nets])
        for k, _ in nets[0].named_parameters()
    }
    return nets[0], params
