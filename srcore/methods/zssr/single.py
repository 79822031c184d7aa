"""ZSSR on one image, in plain code: from the LR image to its SR output.

:func:`zssr` is the method. Its loop is ``ZSSR.py train`` of
the authors' code (github.com/assafshocher/ZSSR), stage by stage for gradual SR:

1. build the network, its random init drawn from the image's generator;
2. each iteration: draw ``batch_size`` HR fathers from the LR image (and earlier
   stages' outputs) and degrade them to LR sons; run the network on the sons
   (interpolated to the fathers' size); the loss against the fathers; one Adam step
   at the image's current learning rate; then the reconstruction test and the lr
   policy, which divides lr by 10 and stops training once lr < ``min_lr``;
3. after the stage: the network on the LR image itself, under the self-ensemble and
   back-projection; that output is the SR (and a source of fathers for the next
   stage).

The image's data, tests and policy live in :class:`~srcore.methods.zssr.job.ZSSRJob`,
shared with the N-image loop (:func:`srcore.methods.zssr.batch.zssr_many`), which
computes the same thing for N images at once (tested equal).
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
from srcore.methods.zssr.adam import Adam
from srcore.methods.zssr.config import ZSSRConfig
from srcore.methods.zssr.crops import CropBatch, batch_crops
from srcore.methods.zssr.job import ZSSRJob, ZSSRResult
from srcore.methods.zssr.net import ZSSRNet, build_net
from srcore.methods.zssr.scale import Scale
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

    Trains :class:`~srcore.methods.zssr.net.ZSSRNet` (or ``backbone()``) on (son,
    father) pairs cut from ``lr_img`` (:mod:`~srcore.methods.zssr.fathers`) with the
    reference's learning-rate policy and stopping rule
    (:mod:`~srcore.methods.zssr.policy`), stage by stage for gradual
    ``scale_factors``, and returns the network's output on ``lr_img`` after the
    geometric self-ensemble and back-projection
    (:mod:`~srcore.methods.zssr.test_time`). ``hr`` only feeds the PSNR trace and
    ``ZSSRResult.psnr``: the loop never sees it.

    Args:
        lr_img: ``(1, C, h, w)`` in [0, 1], RGB (the reference trains on RGB) or grey.
        scale: the SR factor; any float, or a (vertical, horizontal) pair.
        config: a :class:`ZSSRConfig` (see ``PROFILES``, ``PRESETS``); the image's
            random stream is ``config.seed``.
        kernel: the degradation's blur kernel ``(k, k)`` (numpy or torch, odd sides)
            for the non-ideal case: sons and back-projection then use
            :func:`srcore.degrade.downscale_with_kernel` (integer scale, one stage);
            see ``PRESETS["given_kernel"]``. Noise: ``config.noise_std``.
        hr: optional ``(1, C, ceil(h s), ceil(w s))`` ground truth, for the trace.
        init_state: weights to start from (Online SR's transfer, a pretrained net).
        backbone: a factory of another network (e.g. ``lambda: VDSR(channels=3)``)
            mapping the interpolated son to the father; trained the same way.
        device: ``"auto"``, ``"cpu"``, ``"cuda"``...; where the device has native
            bf16 (:func:`srcore.precision.use_bf16`) training runs under bf16
            autocast (``config.amp``; weights, Adam and the loss in fp32); the
            reconstruction tests that drive the lr rule, the trace and the output
            always run fp32.
        progress: tqdm bar over iterations.
        trace_every: iterations between PSNR trace points (with ``hr``).
        output: ``"ensemble"`` (self-ensemble and back-projection: the method),
            ``"plain"`` (the network's output alone) or ``"none"`` (training only,
            e.g. Online SR's external pretraining: ``sr`` is then None, or the
            previous stage's).

    Returns:
        A :class:`ZSSRResult`. Raises ``FloatingPointError`` naming the iteration when
        the loss is not finite, ``ValueError`` for bad shapes or a too small image,
        ``srcore.vgg.WeightsUnavailable`` for ``perceptual_weight > 0`` without VGG
        weights.

    Example:
        >>> from srcore.methods.zssr.config import PROFILES
        >>> from srcore.profiles import resolve_profile
        >>> cfg = resolve_profile(ZSSRConfig(), PROFILES, "smoke")
        >>> res = zssr(torch.rand(1, 3, 16, 16), 2, cfg, device="cpu", progress=False)
        >>> tuple(res.sr.shape), res.iterations
        ((1, 3, 32, 32), 12)
        >>> res = zssr(torch.rand(1, 3, 16, 16), 2, cfg, device="cpu",
        ...            progress=False, output="none")
        >>> res.sr is None, sorted(res.state)[0]
        (True, 'convs.0.weight')

    Reference: Shocher, Cohen, Irani, "'Zero-Shot' Super-Resolution using Deep
    Internal Learning", CVPR 2018, §3-4; github.com/assafshocher/ZSSR.
    """
    t_start = time.perf_counter()
    c, dev = config, resolve_device(device)
    job = ZSSRJob(
        lr_img,
        scale,
        c,
        kernel=kernel,
        hr=hr,
        seed=c.seed,
        device=dev,
        trace_every=trace_every,
    )
    bf16 = use_bf16(c.amp, dev)
    # NHWC pays with bf16 (cuDNN's and oneDNN's fast kernels), not in fp32 on the CPU
    nhwc = c.channels_last and (dev.type == "cuda" or bf16)

    def new_net(state: dict[str, torch.Tensor] | None) -> nn.Module:
        net = build_net(
            c,
            lr_img.shape[1],
            job.stages[-1][0],
            job.gen,
            backbone=backbone,
            init_state=state,
        ).to(dev)
        # Eval mode throughout: training dropout comes as explicit masks
        # (ZSSRJob.drop_masks), so no forward draws from torch's global generator.
        net.eval()
        return net.to(memory_format=torch.channels_last) if nhwc else net

    net = new_net(init_state)
    shuffle = isinstance(net, ZSSRNet) and net.upsample == "pixelshuffle"

    def amp() -> torch.autocast:
        return autocast(c.amp, dev)

    perceptual = None
    if c.perceptual_weight > 0:
        # Pretrained VGG19 or srcore.vgg.WeightsUnavailable: never random features.
        perceptual = PerceptualLoss(c.perceptual_layer, feature_scale=1.0, device=dev)

    def layout(x: torch.Tensor) -> torch.Tensor:
        return x.contiguous(memory_format=torch.channels_last) if nhwc else x

    def run_net(x: torch.Tensor, interp: torch.Tensor) -> torch.Tensor:
        """The network on ``x`` (LR size; pixel shuffle) or on ``interp`` (its
        bicubic interpolation; the paper's net, a backbone)."""
        return net(layout(x), interp) if shuffle else net(layout(interp))

    def fwd(x: torch.Tensor, interp: torch.Tensor) -> torch.Tensor:
        # Tests, trace and output in fp32 whatever the training precision: the lr
        # rule reads the reconstruction error, and rounding noise in it must not
        # move the rule's slope test (issue 21)
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

    params = list(net.parameters())
    adam = Adam(params, c.adam_betas, c.adam_eps)
    n_stages = len(job.stages)
    bar = tqdm(total=c.max_iters * n_stages, disable=not progress, desc="ZSSR")
    loop_seconds, loop_iters = 0.0, 0
    for k in range(n_stages):
        if k > 0 and c.init_net_for_each_sf:
            net = new_net(None)
            params = list(net.parameters())
            adam = Adam(params, c.adam_betas, c.adam_eps)
        job.start_stage(k)
        if job.tracing:
            job.trace(fwd)
        for it in range(c.max_iters):
            if job.stopped:
                break
            t0, traced = time.perf_counter(), job.trace_seconds
            pairs = job.sample_pairs()  # fathers, sons, interpolated sons
            batch = batch_crops(pairs, job.drop_masks(pairs, shuffle))
            with amp():
                out = train_forward(batch).float()
            loss = job.crop_loss(out, batch.father, batch.sizes)
            if perceptual is not None:
                son, interp, target = job.content_pair()
                with amp():
                    rec = run_net(son, interp)
                loss = loss + c.perceptual_weight * perceptual(rec.float(), target)
            value = float(loss.detach())
            if not math.isfinite(value):
                raise FloatingPointError(
                    f"ZSSR: non-finite loss at iteration {job.iters + 1} (stage "
                    f"{k + 1} of {n_stages}); try a lower lr or amp=False"
                )
            adam.step(torch.autograd.grad(loss, params), job.lr)
            job.after_step(it, value, fwd)  # tests, lr policy, stopping
            loop_seconds += time.perf_counter() - t0 - (job.trace_seconds - traced)
            loop_iters += 1
            bar.update(1)
            bar.set_postfix(lr=f"{job.lr:.0e}")
        job.finish_stage(fwd, output)  # the stage's SR
    bar.close()
    state = {
        k: v.detach().cpu().contiguous().clone() for k, v in net.state_dict().items()
    }
    seconds = time.perf_counter() - t_start
    return job.result(state, seconds, loop_seconds / max(loop_iters, 1))
