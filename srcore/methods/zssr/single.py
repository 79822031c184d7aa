"""ZSSR on one image, in plain code (``ZSSR.py train``), stage by stage: each
iteration draws fathers and sons and takes one Adam step, then the reconstruction test
and the lr rule; after the stage, the self-ensemble gives the SR. The pieces it calls
are those :func:`srcore.methods.zssr.batch.zssr_many` calls too.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from srcore.losses import PerceptualLoss
from srcore.methods.zssr.config import ZSSRConfig
from srcore.methods.zssr.fathers import (
    CropBatch,
    batch_crops,
    crop_loss,
    drop_masks,
    sample_pairs,
)
from srcore.methods.zssr.image import Scale, ZSSRResult, out_size, plan, scale_pair
from srcore.methods.zssr.net import ZSSRNet, build_net
from srcore.methods.zssr.optim import Adam, lr_drops
from srcore.methods.zssr.test_time import (
    net_sr,
    perceptual_term,
    rec_error,
    stage_output,
)
from srcore.metrics import psnr
from srcore.precision import autocast, use_bf16
from srcore.profiles import resolve_device

__all__ = ["zssr", "interpolation"]


def interpolation(x: torch.Tensor, interp: torch.Tensor) -> torch.Tensor:
    """The network removed: its input's bicubic interpolation (the lr rule's and the
    health rule's baseline)."""
    return interp


def zssr(
    lr_img: torch.Tensor,
    scale: Scale,
    config: ZSSRConfig = ZSSRConfig(),  # noqa: B008 (frozen, hence safe)
    *,
    kernel: torch.Tensor | np.ndarray | None = None,
    hr: torch.Tensor | None = None,
    init_state: dict[str, torch.Tensor] | None = None,
    backbone: Callable[[], nn.Module] | None = None,
    device: str | torch.device = "auto",
    progress: bool = True,
    trace_every: int = 50,
    output: str = "ensemble",
) -> ZSSRResult:
    """Super-resolve one image by ZSSR: train a network on it, then apply it.

    Args:
        lr_img: ``(1, C, h, w)`` in [0, 1], RGB (the reference trains on RGB) or grey.
        scale: the SR factor; any float, or a (vertical, horizontal) pair.
        config: see ``PROFILES``, ``PRESETS``; the image's random stream is
            ``config.seed``.
        kernel: the degradation's blur kernel ``(k, k)`` (odd sides) for the
            non-ideal case: sons and back-projection then use
            :func:`srcore.degrade.downscale_with_kernel` (integer scale, one stage).
        hr: optional ``(1, C, ceil(h s), ceil(w s))`` ground truth: it only feeds the
            PSNR trace and ``ZSSRResult.psnr``, the loop never sees it.
        init_state: weights to start from (Online SR's transfer, a pretrained net).
        backbone: a factory of another network (e.g. ``lambda: VDSR(channels=3)``)
            mapping the interpolated son to the father.
        device: where the device has native bf16 (:func:`srcore.precision.use_bf16`)
            training runs under bf16 autocast (``config.amp``; weights, Adam and the
            loss in fp32); the reconstruction tests, the trace and the output run fp32.
        trace_every: iterations between PSNR trace points (with ``hr``).
        output: ``"ensemble"`` (self-ensemble and back-projection: the method),
            ``"plain"`` (the network's output alone) or ``"none"`` (training only:
            ``sr`` is then None, or the previous stage's).

    Returns:
        A :class:`ZSSRResult`. Raises ``FloatingPointError`` when the loss is not
        finite, ``ValueError`` for bad shapes or a too small image.

    Example:
        >>> from srcore.methods.zssr.config import PROFILES
        >>> from srcore.profiles import resolve_profile
        >>> cfg = resolve_profile(ZSSRConfig(), PROFILES, "smoke")
        >>> res = zssr(torch.rand(1, 3, 16, 16), 2, cfg, device="cpu", progress=False)
        >>> tuple(res.sr.shape), res.iterations
        ((1, 3, 32, 32), 12)

    Reference: Shocher, Cohen, Irani, "'Zero-Shot' Super-Resolution using Deep
    Internal Learning", CVPR 2018, §3-4; github.com/assafshocher/ZSSR.
    """
    t_start = time.perf_counter()
    c, dev = config, resolve_device(device)
    if trace_every < 1:
        raise ValueError(f"trace_every must be >= 1, got {trace_every}")
    p = plan(lr_img, scale, c, kernel, hr)
    gen = torch.Generator().manual_seed(c.seed)  # every draw: init, fathers, noise
    # Dropout masks on the device (ZSSRNet takes them explicitly): no forward draws
    # from torch's global generator, and a crop gets the same mask in zssr_many.
    dgen = torch.Generator(dev).manual_seed(c.seed) if c.dropout > 0 else None
    # NHWC pays with bf16 (cuDNN's and oneDNN's fast kernels), not in fp32 on the CPU
    nhwc = c.channels_last and (dev.type == "cuda" or use_bf16(c.amp, dev))

    def new_net(state: dict[str, torch.Tensor] | None) -> nn.Module:
        channels, last_scale = p.lr_img.shape[1], p.stages[-1][0]
        net = build_net(
            c, channels, last_scale, gen, backbone=backbone, init_state=state
        )
        net = net.to(dev).eval()  # eval throughout: dropout comes as explicit masks
        return net.to(memory_format=torch.channels_last) if nhwc else net

    def layout(x: torch.Tensor) -> torch.Tensor:
        return x.contiguous(memory_format=torch.channels_last) if nhwc else x

    def run_net(x: torch.Tensor, interp: torch.Tensor) -> torch.Tensor:
        """The network on ``x`` (LR size; pixel shuffle) or on ``interp`` (its
        bicubic interpolation; the paper's net, a backbone)."""
        return net(layout(x), interp) if shuffle else net(layout(interp))

    def fwd(x: torch.Tensor, interp: torch.Tensor) -> torch.Tensor:
        # Tests, trace and output in fp32 whatever the training precision: rounding
        # noise in the reconstruction error must not move the lr rule's slope test
        with torch.no_grad():
            return run_net(x, interp)

    def train_forward(b: CropBatch) -> torch.Tensor:
        """The crops' outputs ``(B, C, H, W)``, padding included."""
        if isinstance(net, ZSSRNet):
            x, valid = (b.son, b.valid_lr) if shuffle else (b.interp, b.valid_hr)
            base = b.interp if shuffle else None
            return net(layout(x), base, valid=valid, drop=b.drop)
        if b.valid_hr is None:
            return net(layout(b.interp))
        # A foreign backbone cannot mask its padding: crops of unequal size run apart.
        H, W = b.father.shape[-2:]
        outs = [
            F.pad(net(layout(b.interp[i : i + 1, :, :h, :w])), (0, W - w, 0, H - h))
            for i, (h, w) in enumerate(b.sizes)
        ]
        return torch.cat(outs)

    def trace() -> None:
        """PSNR of the plain network output of the stage, at the iterations done."""
        sr = net_sr(fwd, base_img, sf, size)
        res.trace_iters.append(res.iterations)
        res.trace_psnr.append(float(psnr(sr.cpu(), p.hr, shave=p.shave)[0]))

    net = new_net(init_state)
    shuffle = isinstance(net, ZSSRNet) and net.upsample == "pixelshuffle"
    perceptual = None
    if c.perceptual_weight > 0:
        # Pretrained VGG19 or srcore.vgg.WeightsUnavailable: never random features.
        perceptual = PerceptualLoss(c.perceptual_layer, feature_scale=1.0, device=dev)
    params = list(net.parameters())
    adam = Adam(params, c.adam_betas, c.adam_eps)
    res = ZSSRResult.empty()
    # Fathers come from the LR image, then from each finished stage's output; the
    # base image is what the network upscales (changed at c.base_change_sfs).
    sources, source_scales = [p.lr_img.to(dev)], [1.0]
    base_img, base_sf, bases = sources[0], (1.0, 1.0), 0
    base_changes = [scale_pair(s) for s in c.base_change_sfs]
    n_stages, loop_seconds = len(p.stages), 0.0
    bar = tqdm(total=c.max_iters * n_stages, disable=not progress, desc="ZSSR")
    for k, stage in enumerate(p.stages):
        if k > 0 and c.init_net_for_each_sf:
            net = new_net(None)
            params = list(net.parameters())
            adam = Adam(params, c.adam_betas, c.adam_eps)
        sf = (stage[0] / base_sf[0], stage[1] / base_sf[1])  # from the base image
        size = out_size(p.lr_img.shape[-2:], stage)
        max_scale = ([1.0] + [min(s) for s in p.stages])[len(sources) - 1]
        final, tracing = k == n_stages - 1, p.hr is not None and k == n_stages - 1
        lr, last_change, rec_t, rec_e = c.lr, 0, [], []  # the stage's tests
        interp_error = math.nan  # the lr rule's guard and the health rule's baseline
        if final or c.lr_hold_margin > 0:
            interp_error = rec_error(interpolation, base_img, sf, c, gen, p.kernel)
        if final:
            res.rec_interp = interp_error
        if tracing:
            trace()
        for it in range(c.max_iters):
            t0 = time.perf_counter()
            pairs = sample_pairs(
                sources, source_scales, sf, c, gen, max_scale=max_scale, kernel=p.kernel
            )
            batch = batch_crops(pairs, drop_masks(pairs, shuffle, c, dgen, dev))
            with autocast(c.amp, dev):
                out = train_forward(batch).float()
            loss = crop_loss(out, batch.father, batch.sizes, c)
            if perceptual is not None:
                loss = loss + perceptual_term(
                    run_net, base_img, sf, c, gen, p.kernel, perceptual, dev
                )
            value = float(loss.detach())
            if not math.isfinite(value):
                raise FloatingPointError(
                    f"ZSSR: non-finite loss at iteration {res.iterations + 1} (stage "
                    f"{k + 1} of {n_stages}); try a lower lr or amp=False"
                )
            adam.step(torch.autograd.grad(loss, params), lr)
            res.iterations += 1
            res.loss.append(value)
            if it % c.test_every == 0:  # ZSSR.py quick_test
                error = rec_error(fwd, base_img, sf, c, gen, p.kernel)
                rec_t.append(it)
                rec_e.append(error)
                res.rec_iters.append(res.iterations)
                res.rec_mse.append(error)
            if lr_drops(it, last_change, rec_t, rec_e, interp_error, c):
                lr, last_change = lr / 10, it
                res.lr_changes.append(res.iterations)
            loop_seconds += time.perf_counter() - t0
            if tracing and res.iterations % trace_every == 0:
                trace()
            bar.update(1)
            bar.set_postfix(lr=f"{lr:.0e}")
            if lr < c.min_lr:  # ZSSR.py: stop below min_learning_rate
                break
        # The stage's output (ZSSR.py final_test): the network on the base image
        if tracing and (not res.trace_iters or res.trace_iters[-1] != res.iterations):
            trace()
        if final:
            res.rec_final = rec_error(fwd, base_img, sf, c, gen, p.kernel)
            if output == "none":
                break
        ensemble = output == "ensemble"
        sr = stage_output(fwd, base_img, sf, size, c, p.bp_iters[k], p.kernel, ensemble)
        res.sr = sr.float().cpu()
        sources.append(sr.float())
        source_scales.append(min(stage))
        if bases < len(base_changes) and all(
            abs(a - b) < 1e-3 for a, b in zip(stage, base_changes[bases], strict=True)
        ):
            base_img, base_sf, bases = sources[-1], stage, bases + 1
    bar.close()
    if p.hr is not None and output != "none":
        res.psnr = float(psnr(res.sr, p.hr, shave=p.shave)[0])
    res.final_lr = lr
    res.state = {
        name: v.detach().cpu().contiguous().clone()
        for name, v in net.state_dict().items()
    }
    res.seconds = time.perf_counter() - t_start
    res.seconds_per_iter = loop_seconds / max(res.iterations, 1)
    return res
