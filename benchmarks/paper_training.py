"""What training the supervised networks at their papers' size costs on this machine.

Usage::

    python benchmarks/paper_training.py [--methods srcnn vdsr lapsrn srresnet]
        [--steps 8] [--threads N] [--json out.json]

For each method at the ``paper`` profile (the paper's architecture, batch and patch
size: SRCNN 9-1-5 on 33x33 sub-images in batches of 128, VDSR 20x64 on 41x41 in
batches of 64, LapSRN depth 10 on 48x48 HR patches in batches of 64, SRResNet
16x64 on 96x96 HR patches in batches of 16) it times whole training updates through
:func:`srcore.training.loop.train` (forward, loss, backward, optimiser step, the
loop's own bookkeeping) on patches of the first 16 T91 images cut as the method's
training cuts them (:class:`srcore.training.patches.PatchSampler`), once in fp32
(``amp=False``) and once with bf16 autocast + channels-last where
:func:`srcore.precision.use_bf16` allows it, in one process. A run of
``--steps + 2`` updates minus a run of 2 updates, divided by ``--steps``, is the
time per update, so start-up and the first (slow) steps cancel.

It prints per method: seconds per update in both precisions, their ratio, updates per
hour in the faster one, the paper's update count and the hours that would take here
(SRCNN's 1.5e7 Caffe iterations are not a budget anyone runs on a CPU: the table
shows why the paper runs end by a stopping rule and a time cap instead).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

import torch

from srcore import data
from srcore.precision import use_bf16
from srcore.profiles import resolve_device
from srcore.training.loop import train
from srcore.training.models import SPECS, model_config
from srcore.training.patches import PatchSampler
from srcore.training.supervised import _loss, _train_config

#: The scale each paper's headline network is timed at.
SCALES = {"srcnn": 3, "vdsr": 2, "lapsrn": 4, "srresnet": 4}


def patch_source(method: str, cfg, scale: int, images: list) -> PatchSampler:
    """The method's training patches from ``images``, as :func:`fit` makes them."""
    spec = SPECS[method]
    return PatchSampler(
        images,
        scale,
        cfg.crop - cfg.crop % scale,
        channels="y" if spec.luma_only else "rgb",
        rescale=getattr(cfg, "rescale", None),
        upsample_input=spec.upsampled_input,
        seed=0,
    )


def seconds_per_update(method: str, amp: bool, steps: int, images: list) -> float:
    """Difference timing: (time of ``steps + 2`` updates - time of 2) / ``steps``,
    each from a freshly built network."""
    scale = SCALES[method]
    cfg = model_config(method, "paper", scale)
    spec = SPECS[method]
    source = patch_source(method, cfg, scale, images)
    loss = spec.loss(cfg) if spec.loss else _loss(cfg)
    times = []
    for n in (2, steps + 2):
        torch.manual_seed(0)
        model = spec.build(cfg, scale)
        tcfg = replace(
            _train_config(replace(cfg, steps=n), "auto"),
            amp=amp,
            val_every=0,
            ckpt_every=0,
            log_every=1,
        )
        t0 = time.perf_counter()
        train(model, loss, source, tcfg, progress=False)
        times.append(time.perf_counter() - t0)
    return (times[1] - times[0]) / steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--methods", nargs="+", default=list(SCALES), choices=list(SCALES))
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device("auto")
    bf16 = use_bf16(True, device)
    print(
        f"device {device}, {torch.get_num_threads()} threads, "
        f"bf16 {'native' if bf16 else 'not native: both columns are fp32'}"
    )
    head = (
        f"{'method':9} {'batch x patch':>15} {'fp32 s/upd':>11} {'bf16 s/upd':>11} "
        f"{'ratio':>6} {'upd/hour':>9} {'paper upd':>10} {'paper hours':>12}"
    )
    print(head)
    rows = []
    for m in args.methods:
        cfg = model_config(m, "paper", SCALES[m])
        images = [
            hr
            for _, hr in data.iter_images("T91", SCALES[m], limit=40)
            if min(hr.shape[-2:]) >= cfg.crop
        ][:16]
        fp32 = seconds_per_update(m, False, args.steps, images)
        fast = seconds_per_update(m, True, args.steps, images) if bf16 else fp32
        best = min(fp32, fast)
        row = {
            "method": m,
            "scale": SCALES[m],
            "batch": cfg.batch_size,
            "crop": cfg.crop,
            "fp32_s": fp32,
            "bf16_s": fast if bf16 else None,
            "ratio": fp32 / fast,
            "updates_per_hour": 3600 / best,
            "paper_updates": cfg.steps,
            "paper_hours": cfg.steps * best / 3600,
        }
        rows.append(row)
        print(
            f"{m:9} {f'{cfg.batch_size} x {cfg.crop}²':>15} {fp32:11.3f} "
            f"{fast if bf16 else float('nan'):11.3f} {row['ratio']:6.2f} "
            f"{row['updates_per_hour']:9.0f} {cfg.steps:10.0f} "
            f"{row['paper_hours']:12.1f}"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"threads": torch.get_num_threads(), "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
