"""What ZSSR costs: seconds per image and per iteration, one at a time vs N at once.

Usage::

    python benchmarks/zssr.py [--device cpu cuda] [--images 1 8 32] [--iters 30]
        [--size 64] [--scale 2] [--profile quick] [--lr-policy]

Test images: the first N of Set5, Set14 and BSD100 (in that order, as RGB), each an
``--size`` px centre crop of the HR image (:func:`srcore.data.iter_images`), its LR
made by :func:`srcore.protocol.make_lr` (MATLAB bicubic, 8-bit). For each device
and
each N in ``--images`` it runs the ``--profile`` network for ``--iters`` training
iterations per image (the lr policy off, so every image runs exactly ``--iters``;
with ``--lr-policy`` the policy is on and ``--iters`` is ``max_iters``), then the
test-time self-ensemble and back-projection, along two paths:

* ``zssr``: :func:`srcore.methods.zssr.zssr` called N times, one image each;
* ``many``: one :func:`srcore.methods.zssr.zssr_many` call on all N (N > 1).

and prints one row per (device, N, path):

* ``s/img``: wall clock per image, training and test time included;
* ``s/iter/img``: one training iteration (fathers, sons, forward, backward, Adam,
  the reconstruction test every ``test_every``) divided by the images it served;
* ``PSNR``, ``bicubic``, ``gain``: mean Y PSNR (shave = scale) of ZSSR and of
  bicubic over the N images, and their difference. At the default budget (30
  iterations) ZSSR has barely left bicubic: most of the gain is back-projection.
  The PSNR columns check that both paths compute the same thing; for quality use the
  profiles' budgets (``--iters 500 --lr-policy`` is ``quick``).

The default run (64 px crops, so fathers of at most 32 px) costs about 1.6 CPU
minutes on one thread; on a 2-core machine shared with other jobs (load ~5) it took 9
minutes of wall clock, with 0.15-0.17 s per iteration and image on both paths. Timings
are wall clock on whatever else the machine runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import statistics

import torch

from srcore import data
from srcore.methods.bicubic import upscale
from srcore.methods.zssr import PROFILES, ZSSRConfig, zssr, zssr_many
from srcore.metrics import psnr
from srcore.profiles import describe_device, resolve_device, resolve_profile
from srcore.protocol import make_lr

DATASETS = ("Set5", "Set14", "BSD100")


def benchmark_images(
    n: int, size: int, scale: int
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``n`` (lr, hr) pairs: centre ``size`` px crops of Set5, Set14, BSD100 HR."""
    if size % scale:
        raise ValueError(f"--size {size} must be a multiple of --scale {scale}")
    streams = (data.iter_images(name, scale, keep_grey=False) for name in DATASETS)
    pairs = []
    for _, hr in itertools.islice(itertools.chain.from_iterable(streams), n):
        h, w = hr.shape[-2:]
        if min(h, w) < size:
            raise ValueError(f"an HR image of {h}x{w} is smaller than --size {size}")
        top, left = (h - size) // 2 // scale * scale, (w - size) // 2 // scale * scale
        crop = hr[..., top : top + size, left : left + size]
        pairs.append((make_lr(crop, scale), crop))
    if len(pairs) < n:
        raise ValueError(f"only {len(pairs)} test images available, asked for {n}")
    return pairs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    parser.add_argument("--device", nargs="+", default=default_devices)
    parser.add_argument("--images", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--iters", type=int, default=30, help="iterations per image")
    parser.add_argument("--size", type=int, default=64, help="HR crop side (px)")
    parser.add_argument("--scale", type=int, default=2)
    parser.add_argument("--profile", default="quick", help="network and schedule")
    parser.add_argument("--lr-policy", action="store_true", help="keep the lr policy")
    parser.add_argument("--no-amp", action="store_true", help="fp32 on CUDA too")
    args = parser.parse_args(argv)

    config = resolve_profile(
        ZSSRConfig(),
        PROFILES,
        args.profile,
        max_iters=args.iters,
        lr_policy=args.lr_policy,
        amp=not args.no_amp,
    )
    pairs = benchmark_images(max(args.images), args.size, args.scale)
    print(
        f"torch {torch.__version__}; x{args.scale}; {args.size} px HR crops; "
        f"profile {args.profile} (depth {config.depth}, width {config.width}); "
        f"{args.iters} iterations, lr policy {'on' if args.lr_policy else 'off'}"
    )
    header = (
        f"{'device':>6} {'N':>3} {'path':>5} {'s/img':>7} {'s/iter/img':>10} "
        f"{'PSNR':>6} {'bicubic':>7} {'gain':>5}"
    )
    for name in args.device:
        device = resolve_device(name)
        print(f"\n{device}: {describe_device(device)}\n{header}\n{'-' * len(header)}")
        warm = dataclasses.replace(config, max_iters=2)
        zssr(pairs[0][0], args.scale, warm, device=device, progress=False)
        for n in args.images:
            lrs, hrs = zip(*pairs[:n], strict=True)
            bicubic = statistics.mean(
                float(psnr(upscale(lr, args.scale), hr, shave=args.scale)[0])
                for lr, hr in pairs[:n]
            )
            # Image i uses seed + i on both paths, so they compute the same thing.
            runs = {
                "zssr": [
                    zssr(
                        lr,
                        args.scale,
                        dataclasses.replace(config, seed=config.seed + i),
                        device=device,
                        progress=False,
                    )
                    for i, lr in enumerate(lrs)
                ]
            }
            if n > 1:
                runs["many"] = zssr_many(
                    lrs, args.scale, config, device=device, progress=False
                )
            for path, results in runs.items():
                if path == "zssr":
                    per_img = statistics.mean(r.seconds for r in results)
                    per_iter = statistics.mean(r.seconds_per_iter for r in results)
                else:  # one call: its seconds cover all n images
                    per_img = results[0].seconds / n
                    per_iter = results[0].seconds_per_iter / n
                score = statistics.mean(
                    float(psnr(r.sr, hr, shave=args.scale)[0])
                    for r, hr in zip(results, hrs, strict=True)
                )
                print(
                    f"{device.type:>6} {n:>3} {path:>5} {per_img:>7.2f} "
                    f"{per_iter:>10.4f} {score:>6.2f} {bicubic:>7.2f} "
                    f"{score - bicubic:>5.2f}"
                )


if __name__ == "__main__":
    main()
