"""What Deep Image Prior costs: seconds per step for N images optimised at once.

Usage::

    python benchmarks/dip.py [--device auto] [--size 128] [--images 1 2] [--steps 4]

For each N in ``--images`` it runs :func:`srcore.methods.dip.optimize` on N random LR
images of ``size/scale`` pixels (``size x size`` HR, x4 by default) with the network
of the ``quick`` profile (= the paper's: 128 channels, 5 levels), first ``--warmup``
steps (allocator, cuDNN autotuning), then ``--steps`` timed steps, and prints:

* ``s/step``: one optimisation step for all N images (forward, Lanczos2
  downsampling, loss, backward, Adam), ``DIPResult.seconds_per_step``;
* ``s/img/step``: the same divided by N;
* ``quick s/img``, ``paper s/img``: ``s/img/step`` times each profile's step count,
  the projected cost of one image.

Timings are wall-clock on whatever else the machine is running; the default run is
meant to finish in about a minute on two busy CPU cores (it took 2 min 17 s with
``--images 1 4 --steps 5`` at load 6).
"""

from __future__ import annotations

import argparse
import dataclasses

import torch

from srcore.methods.dip import PROFILES, DIPConfig, optimize
from srcore.profiles import describe_device, resolve_device, resolve_profile


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--size", type=int, default=128, help="HR side in pixels")
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--images", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--steps", type=int, default=4, help="timed steps")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--no-amp", action="store_true", help="fp32 on CUDA too")
    args = parser.parse_args(argv)

    device = resolve_device(args.device)
    quick = resolve_profile(DIPConfig(), PROFILES, "quick")
    paper = resolve_profile(DIPConfig(), PROFILES, "paper")
    if dataclasses.replace(quick, steps=paper.steps) != paper:
        print("note: quick and paper differ beyond steps; timing quick's network")
    name = describe_device(device)
    print(
        f"torch {torch.__version__}; {device} ({name}); x{args.scale}; amp "
        f"{device.type == 'cuda' and not args.no_amp}"
    )
    header = (
        f"{'device':>6} {'N':>3} {'HR':>5} {'s/step':>8} {'s/img/step':>10} "
        f"{'quick s/img':>11} {'paper s/img':>11}"
    )
    print(header)
    print("-" * len(header))
    g = torch.Generator().manual_seed(0)
    lr_side = args.size // args.scale
    for n in args.images:
        lr_imgs = torch.rand(n, 3, lr_side, lr_side, generator=g)
        for steps in (args.warmup, args.steps):
            cfg = dataclasses.replace(quick, steps=steps, amp=not args.no_amp)
            res = optimize(lr_imgs, args.scale, cfg, device=device, progress=False)
        per_img = res.seconds_per_step / n
        print(
            f"{device.type:>6} {n:>3} {args.size:>5} {res.seconds_per_step:>8.3f} "
            f"{per_img:>10.3f} {per_img * quick.steps:>11.0f} "
            f"{per_img * paper.steps:>11.0f}"
        )


if __name__ == "__main__":
    main()
