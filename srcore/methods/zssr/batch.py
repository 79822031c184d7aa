"""ZSSR on N images at once: N networks, stacked weights, one vmapped forward.

Each image keeps its own network (seed ``config.seed + i``), fathers, lr rule and
stop (an :class:`~srcore.methods.zssr.test_time.ImageState`, as in the one-image
loop); one ``torch.vmap`` of ``functional_call`` runs every image's crops through its
own weights ``{name: (N, ...)}``. The loss is the *sum* of the images' losses, so
row ``i`` of each gradient is image ``i``'s; :class:`~srcore.methods.zssr.optim.RowAdam`
keeps one step count and lr per row and skips stopped images. Hence N at once equal N
calls of :func:`~srcore.methods.zssr.single.zssr` up to float rounding (tested).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from srcore.losses import PerceptualLoss
from srcore.methods.zssr.config import ZSSRConfig
from srcore.methods.zssr.fathers import CropBatch, collate, crop_loss, drop_masks
from srcore.methods.zssr.image import Scale, ZSSRResult, plan
from srcore.methods.zssr.net import build_net
from srcore.methods.zssr.optim import RowAdam
from srcore.methods.zssr.test_time import Forward, ImageState
from srcore.precision import autocast
from srcore.profiles import resolve_device

__all__ = ["zssr_many", "vmap_forward", "stack_nets"]


def vmap_forward(net: nn.Module, params: dict, batch: CropBatch) -> torch.Tensor:
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


def stack_nets(
    gens: Sequence[torch.Generator],
    config: ZSSRConfig,
    channels: int,
    scale: float,
    init_state: dict | Sequence[dict | None] | None,
) -> tuple[nn.Module, dict[str, torch.Tensor]]:
    """A template network and the images' stacked parameters ``{name: (N, ...)}``,
    image ``i``'s init from ``gens[i]`` as alone, or ``init_state`` (one or a list).

    Example:
        >>> from srcore.methods.zssr.config import ZSSRConfig
        >>> gens = [torch.Generator().manual_seed(i) for i in range(2)]
        >>> net, params = stack_nets(gens, ZSSRConfig(depth=3, width=8), 3, 2, None)
        >>> tuple(params["convs.0.weight"].shape)
        (2, 8, 3, 3, 3)
    """
    states = (
        init_state if isinstance(init_state, list | tuple) else [init_state] * len(gens)
    )
    if len(states) != len(gens):
        raise ValueError(f"{len(states)} init states for {len(gens)} images")
    nets = [
        build_net(config, channels, scale, gen, init_state=state)
        for gen, state in zip(gens, states, strict=True)
    ]
    params = {
        k: torch.stack([dict(n.named_parameters())[k].detach() for n in nets])
        for k, _ in nets[0].named_parameters()
    }
    return nets[0], params


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

    Image ``i`` gets what ``zssr(lr_imgs[i], scale, replace(config, seed=config.seed
    + i), kernel=kernels[i], hr=hrs[i], init_state=...)`` would give it (up to float
    rounding). ``lr_imgs`` are N ``(1, C, h_i, w_i)`` (sizes may differ, ``C`` may
    not); ``init_state`` is one state dict for every image or a list, one per image;
    ``postprocess`` is ``zssr``'s ``output="ensemble"`` (else ``"plain"``).

    Returns:
        N :class:`~srcore.methods.zssr.image.ZSSRResult`, in order; ``seconds`` and
        ``seconds_per_iter`` are those of the whole batch.

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
    if trace_every < 1:
        raise ValueError(f"trace_every must be >= 1, got {trace_every}")
    ims = [
        ImageState.start(
            plan(img, scale, config, kernel, hr), config, config.seed + i, dev
        )
        for i, (img, hr, kernel) in enumerate(zip(lr_imgs, hrs, kernels, strict=True))
    ]
    channels = {int(img.shape[1]) for img in lr_imgs}
    if len(channels) != 1:
        raise ValueError(f"all images need the same channel count, got {channels}")
    (n_channels,) = channels
    c, stages = config, ims[0].p.stages

    def stacked(state) -> tuple[nn.Module, dict[str, torch.Tensor]]:
        gens = [im.gen for im in ims]
        net, params = stack_nets(gens, c, n_channels, stages[-1][0], state)
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

    def fwd_of(i: int) -> Forward:
        def fwd(x: torch.Tensor, interp: torch.Tensor) -> torch.Tensor:
            # fp32, as in the one-image loop: the lr rule's input is not rounded
            with torch.no_grad():
                return run_one({k: v[i] for k, v in params.items()}, x, interp)

        return fwd

    adam = RowAdam(params, c.adam_betas, c.adam_eps)
    output = "ensemble" if postprocess else "plain"
    n_stages, loop_seconds, loop_iters = len(stages), 0.0, 0
    bar = tqdm(
        total=c.max_iters * n_stages, disable=not progress, desc=f"ZSSR x{len(ims)}"
    )
    for k in range(n_stages):
        if k > 0 and c.init_net_for_each_sf:
            params.update(stacked(None)[1])
            adam = RowAdam(params, c.adam_betas, c.adam_eps)
        for i, im in enumerate(ims):
            im.begin_stage(k, c, fwd_of(i))
        for it in range(c.max_iters):
            active = [i for i, im in enumerate(ims) if not im.stopped]
            if not active:
                break
            t0 = time.perf_counter()
            pairs = [ims[i].pairs(c) for i in active]
            drops = [
                drop_masks(pr, ps, c, ims[i].dgen, dev)
                for i, pr in zip(active, pairs, strict=True)
            ]
            batch = collate(pairs, drops)
            rows = torch.tensor(active, device=dev)
            p_act = {name: v[rows].requires_grad_() for name, v in params.items()}
            with autocast(c.amp, dev):
                out = vmap_forward(net, p_act, batch).float()
            losses = []
            for j, i in enumerate(active):
                im = ims[i]
                loss = crop_loss(out[j], batch.father[j], batch.sizes[j], c)
                if perceptual is not None:
                    row = {name: v[j] for name, v in p_act.items()}
                    loss = loss + im.perceptual_term(
                        lambda x, interp, row=row: run_one(row, x, interp),
                        c,
                        perceptual,
                        dev,
                    )
                losses.append(loss)
            total = torch.stack(losses)
            values = total.detach().cpu()
            if not torch.isfinite(values).all():
                bad = [
                    active[j] for j in torch.nonzero(~torch.isfinite(values)).flatten()
                ]
                raise FloatingPointError(
                    f"ZSSR: non-finite loss at iteration "
                    f"{ims[bad[0]].res.iterations + 1} (stage {k + 1} of {n_stages}, "
                    f"images {bad}); try a lower lr or amp=False"
                )
            grads = torch.autograd.grad(total.sum(), list(p_act.values()))
            adam.step(active, grads, [ims[i].lr for i in active])
            for j, i in enumerate(active):
                ims[i].step_done(it, float(values[j]), c, fwd_of(i))
            loop_seconds += time.perf_counter() - t0
            loop_iters += 1
            for i in active:
                if ims[i].tracing and ims[i].res.iterations % trace_every == 0:
                    ims[i].trace(fwd_of(i))
            bar.update(1)
            bar.set_postfix(active=len(active), lr=f"{ims[active[0]].lr:.0e}")
        for i, im in enumerate(ims):
            im.end_stage(c, fwd_of(i), output)
    bar.close()
    seconds = time.perf_counter() - t_start
    per_iter = loop_seconds / max(loop_iters, 1)
    buffers = {
        k: v.detach().cpu() for k, v in net.state_dict().items() if k not in params
    }
    return [
        im.finish(
            output,
            seconds,
            per_iter,
            {**buffers, **{k: v[i].detach().cpu().clone() for k, v in params.items()}},
        )
        for i, im in enumerate(ims)
    ]
