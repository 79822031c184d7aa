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
from srcore.methods.zssr.fathers import CropBatch, batch_crops, crop_loss, drop_masks
from srcore.methods.zssr.image import Scale, ZSSRResult, plan
from srcore.methods.zssr.net import ZSSRNet, build_net
from srcore.methods.zssr.optim import Adam
from srcore.methods.zssr.test_time import ImageState
from srcore.precision import autocast, use_bf16
from srcore.profiles import resolve_device

__all__ = ["zssr"]


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
    im = ImageState.start(plan(lr_img, scale, c, kernel, hr), c, c.seed, dev)
    # NHWC pays with bf16 (cuDNN's and oneDNN's fast kernels), not in fp32 on the CPU
    nhwc = c.channels_last and (dev.type == "cuda" or use_bf16(c.amp, dev))

    def new_net(state: dict[str, torch.Tensor] | None) -> nn.Module:
        channels, last_scale = im.p.lr_img.shape[1], im.p.stages[-1][0]
        net = build_net(
            c, channels, last_scale, im.gen, backbone=backbone, init_state=state
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

    net = new_net(init_state)
    shuffle = isinstance(net, ZSSRNet) and net.upsample == "pixelshuffle"
    perceptual = None
    if c.perceptual_weight > 0:
        # Pretrained VGG19 or srcore.vgg.WeightsUnavailable: never random features.
        perceptual = PerceptualLoss(c.perceptual_layer, feature_scale=1.0, device=dev)
    params = list(net.parameters())
    adam = Adam(params, c.adam_betas, c.adam_eps)
    n_stages, loop_seconds = len(im.p.stages), 0.0
    bar = tqdm(total=c.max_iters * n_stages, disable=not progress, desc="ZSSR")
    for k in range(n_stages):
        if k > 0 and c.init_net_for_each_sf:
            net = new_net(None)
            params = list(net.parameters())
            adam = Adam(params, c.adam_betas, c.adam_eps)
        im.begin_stage(k, c, fwd)
        for it in range(c.max_iters):
            t0 = time.perf_counter()
            pairs = im.pairs(c)
            batch = batch_crops(pairs, drop_masks(pairs, shuffle, c, im.dgen, dev))
            with autocast(c.amp, dev):
                out = train_forward(batch).float()
            loss = crop_loss(out, batch.father, batch.sizes, c)
            if perceptual is not None:
                loss = loss + im.perceptual_term(run_net, c, perceptual, dev)
            value = float(loss.detach())
            if not math.isfinite(value):
                raise FloatingPointError(
                    f"ZSSR: non-finite loss at iteration {im.res.iterations + 1} "
                    f"(stage {k + 1} of {n_stages}); try a lower lr or amp=False"
                )
            adam.step(torch.autograd.grad(loss, params), im.lr)
            im.step_done(it, value, c, fwd)
            loop_seconds += time.perf_counter() - t0
            if im.tracing and im.res.iterations % trace_every == 0:
                im.trace(fwd)
            bar.update(1)
            bar.set_postfix(lr=f"{im.lr:.0e}")
            if im.stopped:  # ZSSR.py: stop below min_learning_rate
                break
        im.end_stage(c, fwd, output)
    bar.close()
    state = {
        name: v.detach().cpu().contiguous().clone()
        for name, v in net.state_dict().items()
    }
    seconds = time.perf_counter() - t_start
    return im.finish(output, seconds, loop_seconds / max(im.res.iterations, 1), state)
