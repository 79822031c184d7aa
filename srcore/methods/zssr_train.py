"""ZSSR's training loop: N images' networks trained together, stage by stage.

:func:`_run` checks the inputs, makes one :class:`~srcore.methods.zssr_job._Job` per
image and their stacked networks (:mod:`srcore.methods.zssr_stack`); :func:`_train`
runs the iterations of ``ZSSR.py train`` (github.com/assafshocher/ZSSR): sample
fathers and sons, one forward and backward for all active images, Adam, then each
image's tests and lr policy, until every image has stopped.
:func:`srcore.methods.zssr.zssr` runs one image through it, ``zssr_many`` N at once,
Online SR a stream.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import torch
from torch import nn
from tqdm.auto import tqdm

from srcore.losses import PerceptualLoss
from srcore.methods.zssr_config import ZSSRConfig, _check_config
from srcore.methods.zssr_job import ZSSRResult, _Job
from srcore.methods.zssr_net import ZSSRNet
from srcore.methods.zssr_scale import Scale
from srcore.methods.zssr_stack import _Adam, _Batch, _build_nets, _collate
from srcore.profiles import resolve_device

__all__: list[str] = []


def _train(
    jobs: list[_Job],
    net: nn.Module,
    params: dict[str, torch.Tensor],
    batch_forward: Callable[[nn.Module, dict, _Batch], torch.Tensor],
    *,
    reinit: Callable[[], dict[str, torch.Tensor]],
    output: str,
    progress: bool,
    desc: str,
    t_start: float,
) -> list[ZSSRResult]:
    """Train the jobs' networks together (stage by stage, iteration by iteration).

    ``params`` are stacked ``(N, ...)`` on the device; ``batch_forward(net, p, batch)``
    maps the active images' parameter rows ``p`` and collated crops to ``(n, B, C, H,
    W)`` outputs. The loss is the *sum* of the images' losses, so each row's gradient
    is its own image's; :class:`~srcore.methods.zssr_stack._Adam` keeps per-row steps
    and learning rates.
    """
    c, dev = jobs[0].c, jobs[0].device
    cuda = dev.type == "cuda"

    def amp():
        return torch.autocast(dev.type, torch.bfloat16, enabled=cuda and c.amp)

    perceptual = None
    if c.perceptual_weight > 0:
        # Pretrained VGG19 or srcore.vgg.WeightsUnavailable: never random features.
        perceptual = PerceptualLoss(c.perceptual_layer, feature_scale=1.0, device=dev)
    ps = isinstance(net, ZSSRNet) and net.upsample == "pixelshuffle"
    # Eval mode throughout: training dropout comes as explicit per-image masks
    # (_Job.drop_masks), so no forward draws from torch's global generator.
    net.eval()

    def run_one(p: dict, x: torch.Tensor, interp: torch.Tensor) -> torch.Tensor:
        if ps:
            return torch.func.functional_call(net, p, (x,), {"base": interp})
        return torch.func.functional_call(net, p, (interp,))

    def test_forward(i: int):
        def fwd(x: torch.Tensor, interp: torch.Tensor) -> torch.Tensor:
            with torch.no_grad(), amp():
                return run_one({k: v[i] for k, v in params.items()}, x, interp)

        return fwd

    adam = _Adam(params, c.adam_betas, c.adam_eps)
    n_stages = len(jobs[0].stages)
    bar = tqdm(total=c.max_iters * n_stages, disable=not progress, desc=desc)
    loop_seconds, loop_iters = 0.0, 0
    for k in range(n_stages):
        if k > 0 and c.init_net_for_each_sf:
            params.update(reinit())
            adam = _Adam(params, c.adam_betas, c.adam_eps)
        for i, job in enumerate(jobs):
            job.start_stage(k)
            if job.tracing:
                job.trace(test_forward(i))
        for it in range(c.max_iters):
            active = [i for i, job in enumerate(jobs) if not job.stopped]
            if not active:
                break
            t0 = time.perf_counter()
            traced = sum(job.trace_seconds for job in jobs)
            pairs = [jobs[i].sample_pairs() for i in active]
            drops = [
                jobs[i].drop_masks(pr, ps) for i, pr in zip(active, pairs, strict=True)
            ]
            batch = _collate(pairs, drops, dev)
            rows = torch.tensor(active, device=dev)
            p_act = {name: v[rows].requires_grad_() for name, v in params.items()}
            with amp():
                out = batch_forward(net, p_act, batch).float()
            losses = []
            for j, i in enumerate(active):
                loss = jobs[i].crop_loss(out[j], batch.father[j], batch.sizes[j])
                if perceptual is not None:
                    son, interp, target = jobs[i].content_pair()
                    with amp():
                        rec = run_one({n: v[j] for n, v in p_act.items()}, son, interp)
                    loss = loss + c.perceptual_weight * perceptual(rec.float(), target)
                losses.append(loss)
            total = torch.stack(losses)
            values = total.detach().cpu()
            if not torch.isfinite(values).all():
                bad = [
                    active[j] for j in torch.nonzero(~torch.isfinite(values)).flatten()
                ]
                raise FloatingPointError(
                    f"ZSSR: non-finite loss at iteration {jobs[bad[0]].iters + 1} "
                    f"(stage {k + 1} of {n_stages}, images {bad}); try a lower lr or "
                    "amp=False"
                )
            grads = torch.autograd.grad(total.sum(), list(p_act.values()))
            adam.step(active, grads, [jobs[i].lr for i in active])
            for j, i in enumerate(active):
                jobs[i].after_step(it, float(values[j]), test_forward(i))
            traced = sum(job.trace_seconds for job in jobs) - traced
            loop_seconds += time.perf_counter() - t0 - traced
            loop_iters += 1
            bar.update(1)
            bar.set_postfix(active=len(active), lr=f"{jobs[active[0]].lr:.0e}")
        for i, job in enumerate(jobs):
            job.finish_stage(test_forward(i), output)
    bar.close()
    seconds = time.perf_counter() - t_start
    per_iter = loop_seconds / max(loop_iters, 1)
    buffers = {
        k: v.detach().cpu() for k, v in net.state_dict().items() if k not in params
    }
    return [
        job.result(
            {**buffers, **{k: v[i].detach().cpu().clone() for k, v in params.items()}},
            seconds,
            per_iter,
        )
        for i, job in enumerate(jobs)
    ]


def _run(
    lr_imgs: list[torch.Tensor],
    scale: Scale,
    config: ZSSRConfig,
    *,
    batch_forward: Callable[[nn.Module, dict, _Batch], torch.Tensor],
    kernels: Sequence | None = None,
    hrs: Sequence[torch.Tensor | None] | None = None,
    init_state=None,
    backbone: Callable[[], nn.Module] | None = None,
    device: str | torch.device = "auto",
    progress: bool = True,
    trace_every: int = 50,
    output: str = "ensemble",
    desc: str = "ZSSR",
) -> list[ZSSRResult]:
    """Shared entry of :func:`~srcore.methods.zssr.zssr` and ``zssr_many``: checks,
    jobs, nets, loop."""
    t_start = time.perf_counter()
    _check_config(config)
    if trace_every < 1:
        raise ValueError(f"trace_every must be >= 1, got {trace_every}")
    if backbone is not None and (config.upsample != "bicubic" or config.dropout > 0):
        raise ValueError(
            "a backbone takes the interpolated son: use upsample='bicubic', dropout=0"
        )
    dev = resolve_device(device)
    n = len(lr_imgs)
    hrs = list(hrs) if hrs is not None else [None] * n
    kernels = list(kernels) if kernels is not None else [None] * n
    if len(hrs) != n or len(kernels) != n:
        raise ValueError(f"{len(hrs)} HR images, {len(kernels)} kernels for {n} images")
    jobs = [
        _Job(
            img,
            scale,
            config,
            kernel=kernel,
            hr=hr,
            seed=config.seed + i,
            device=dev,
            trace_every=trace_every,
        )
        for i, (img, hr, kernel) in enumerate(zip(lr_imgs, hrs, kernels, strict=True))
    ]
    channels = {int(img.shape[1]) for img in lr_imgs}
    if len(channels) != 1:
        raise ValueError(f"all images need the same channel count, got {channels}")
    if config.upsample == "pixelshuffle" and len(jobs[0].stages) > 1:
        raise ValueError("upsample='pixelshuffle' supports one scale stage only")
    (ch,) = channels
    net, params = _build_nets(jobs, ch, backbone, init_state)
    net = net.to(dev)
    net.channels_last = config.channels_last
    params = {k: v.to(dev) for k, v in params.items()}

    def reinit() -> dict[str, torch.Tensor]:
        _, fresh = _build_nets(jobs, ch, backbone, None)
        return {k: v.to(dev) for k, v in fresh.items()}

    return _train(
        jobs,
        net,
        params,
        batch_forward,
        reinit=reinit,
        output=output,
        progress=progress,
        desc=desc,
        t_start=t_start,
    )
