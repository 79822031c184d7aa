"""ZSSR on N images at once: N networks, stacked weights, one vmapped forward.

An optimisation of :func:`~srcore.methods.zssr.single.zssr` called N times. Each
image keeps everything ZSSR gives it alone: its own network (init from seed
``config.seed + i``), its own fathers and sons (from the same seed), its own
learning-rate policy and its own stopping iteration (one
:class:`~srcore.methods.zssr.job.ZSSRJob` each). What is shared is the work per
iteration: the N networks' weights are stacked ``{name: (N, ...)}``
(:func:`~srcore.methods.zssr.stack.stack_nets`), and one ``torch.vmap`` of
``functional_call`` runs every image's crops through its own network, which PyTorch
lowers to grouped convolutions (groups = N).

Crops of different sizes (between images, and between iterations) are zero-padded
to the largest of the step, with validity masks (:mod:`~srcore.methods.zssr.crops`):
each crop sees the zero border of its own size, as alone, and the loss is taken on
each crop's own region. The padded pixels cost compute, not accuracy. (Grouping by
size instead would fragment the batch, since sizes vary continuously with the
father's scale.)

Per-image learning rates: the loss is the *sum* of the images' losses, so row ``i``
of each gradient is image ``i``'s own; :class:`~srcore.methods.zssr.adam.RowAdam`
keeps one step count and one learning rate per row, and an image that has stopped
(lr below ``min_lr``) is left out of the forward, the backward and the update.
Hence N images at once equal N calls of ``zssr`` with seeds ``seed + i``, up to
float rounding (tested).

Where the device has native bf16 (:func:`srcore.precision.use_bf16`) the training
forward runs under bf16 autocast (``config.amp``; weights and Adam in fp32); the
tests and the output run fp32.
channels_last is not used here: vmap folds the images into the channel axis of a
grouped convolution. The gain is on a GPU (one kernel launch per layer for all
images); on a 2-core CPU the work per image is the same as one at a time.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from srcore.losses import PerceptualLoss
from srcore.methods.zssr.adam import RowAdam
from srcore.methods.zssr.config import ZSSRConfig
from srcore.methods.zssr.job import Forward, ZSSRJob, ZSSRResult
from srcore.methods.zssr.scale import Scale
from srcore.methods.zssr.stack import StackedBatch, collate, stack_nets
from srcore.precision import autocast
from srcore.profiles import resolve_device

__all__ = ["zssr_many", "vmap_forward"]


def vmap_forward(net: nn.Module, params: dict, batch: StackedBatch) -> torch.Tensor:
    """Every active image's crops through its own weights: ``(n, B, C, H, W)``.

    ``params`` are the active rows ``{name: (n, ...)}``; ``net`` is a
    :class:`~srcore.methods.zssr.net.ZSSRNet` template.
    """
    ps = net.upsample == "pixelshuffle"
    x = batch.son if ps else batch.interp
    base = batch.interp if ps else None
    valid = batch.valid_lr if ps else batch.valid_hr
    d1, d2 = batch.drop if batch.drop is not None else (None, None)

    def one(p, x, base, valid, d1, d2):  # one image: (B, C, H, W) crops
        drop = None if d1 is None else (d1, d2)
        kwargs = {"base": base, "valid": valid, "drop": drop}
        return torch.func.functional_call(net, p, (x,), kwargs)

    args = (x, base, valid, d1, d2)
    in_dims = (0, *(None if a is None else 0 for a in args))
    return torch.vmap(one, in_dims=in_dims)(params, *args)


def _train_many(
    jobs: list[ZSSRJob],
    channels: int,
    init_state: dict | Sequence[dict | None] | None,
    *,
    output: str,
    progress: bool,
    t_start: float,
) -> list[ZSSRResult]:
    """Train the jobs' networks together (stage by stage, iteration by iteration)."""
    c, dev = jobs[0].c, jobs[0].device

    def amp() -> torch.autocast:
        return autocast(c.amp, dev)

    def stacked(state) -> tuple[nn.Module, dict[str, torch.Tensor]]:
        net, params = stack_nets(jobs, channels, state)
        return net.to(dev).eval(), {k: v.to(dev) for k, v in params.items()}

    # Eval mode throughout: training dropout comes as explicit per-image masks.
    net, params = stacked(init_state)
    perceptual = None
    if c.perceptual_weight > 0:
        perceptual = PerceptualLoss(c.perceptual_layer, feature_scale=1.0, device=dev)
    ps = net.upsample == "pixelshuffle"

    def run_one(p: dict, x: torch.Tensor, interp: torch.Tensor) -> torch.Tensor:
        if ps:
            return torch.func.functional_call(net, p, (x,), {"base": interp})
        return torch.func.functional_call(net, p, (interp,))

    def test_forward(i: int) -> Forward:
        def fwd(x: torch.Tensor, interp: torch.Tensor) -> torch.Tensor:
            # fp32, as in the one-image loop: the lr rule's input is not rounded
            with torch.no_grad():
                return run_one({k: v[i] for k, v in params.items()}, x, interp)

        return fwd

    adam = RowAdam(params, c.adam_betas, c.adam_eps)
    n_stages = len(jobs[0].stages)
    bar = tqdm(
        total=c.max_iters * n_stages, disable=not progress, desc=f"ZSSR x{len(jobs)}"
    )
    loop_seconds, loop_iters = 0.0, 0
    for k in range(n_stages):
        if k > 0 and c.init_net_for_each_sf:
            params.update(stacked(None)[1])
            adam = RowAdam(params, c.adam_betas, c.adam_eps)
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
            batch = collate(pairs, drops)
            rows = torch.tensor(active, device=dev)
            p_act = {name: v[rows].requires_grad_() for name, v in params.items()}
            with amp():
                out = vmap_forward(net, p_act, batch).float()
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


def zssr_many(
    lr_imgs: Sequence[torch.Tensor],
    scale: Scale,
    config: ZSSRConfig = ZSSRConfig(),  # noqa: B008 (frozen, hence safe)
    *,
    kernels: Sequence[torch.Tensor | np.ndarray | None] | None = None,
    hrs: Sequence[torch.Tensor | None] | None = None,
    init_state: dict | Sequence[dict | None] | None = None,
    device: str | torch.device = "auto",
    progress: bool = True,
    trace_every: int = 50,
    postprocess: bool = True,
) -> list[ZSSRResult]:
    """ZSSR on N images at once, each with its own network, fathers and lr policy.

    Image ``i`` gets exactly what ``zssr(lr_imgs[i], scale, replace(config, seed=
    config.seed + i), kernel=kernels[i], hr=hrs[i], init_state=...)`` would give it
    (up to float rounding), computed in one batched loop (see the module docstring).
    The loop runs until every image has stopped; stopped images cost nothing more.

    Args:
        lr_imgs: N tensors ``(1, C, h_i, w_i)`` in [0, 1]; sizes may differ, ``C``
            may not.
        scale: the SR factor (or a (vertical, horizontal) pair), shared.
        config: shared :class:`~srcore.methods.zssr.config.ZSSRConfig`.
        kernels: one blur kernel (or None) per image, for the non-ideal case.
        hrs: one ground truth (or None) per image, for the PSNR traces only.
        init_state: weights for every image (one state dict) or per image (a list);
            e.g. a pretrained network fine-tuned on each image (Online SR "ext_ftune").
        device, progress, trace_every, postprocess: as for ``zssr``.

    Returns:
        N :class:`~srcore.methods.zssr.job.ZSSRResult`, in order. ``seconds`` and
        ``seconds_per_iter`` are those of the whole batch (divide by N for a
        per-image cost).

    Example:
        >>> from srcore.methods.zssr.config import PROFILES
        >>> from srcore.profiles import resolve_profile
        >>> cfg = resolve_profile(ZSSRConfig(), PROFILES, "smoke")
        >>> imgs = [torch.rand(1, 3, 16, 16), torch.rand(1, 3, 20, 18)]
        >>> res = zssr_many(imgs, 2, cfg, device="cpu", progress=False)
        >>> [tuple(r.sr.shape) for r in res]
        [(1, 3, 32, 32), (1, 3, 40, 36)]
    """
    t_start = time.perf_counter()
    lr_imgs = list(lr_imgs)
    if not lr_imgs:
        raise ValueError("zssr_many needs at least one image")
    dev = resolve_device(device)
    n = len(lr_imgs)
    hrs = list(hrs) if hrs is not None else [None] * n
    kernels = list(kernels) if kernels is not None else [None] * n
    if len(hrs) != n or len(kernels) != n:
        raise ValueError(f"{len(hrs)} HR images, {len(kernels)} kernels for {n} images")
    jobs = [
        ZSSRJob(
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
    return _train_many(
        jobs,
        channels.pop(),
        init_state,
        output="ensemble" if postprocess else "plain",
        progress=progress,
        t_start=t_start,
    )
