"""fp32 against bf16 autocast, speed and quality measured together, as ratios.

Usage::

    python benchmarks/precision.py [--profile paper] [--zssr-images bird butterfly]
        [--zssr-scales 2 4] [--seeds 0 1 2] [--dip-images butterfly] [--dip-crop 128]
        [--dip-steps 2000] [--threads N] [--force-bf16] [--json out.json]

For each ``--zssr-images`` Set5 image at each of ``--zssr-scales`` it runs ZSSR
(the ``paper`` profile by default: up to 3000 iterations, its own stopping rule)
twice in one process, once with ``amp=False`` (fp32) and once with ``amp=True``
(bf16 autocast where :mod:`srcore.precision` allows it), and likewise DIP x4 (the
paper network) on the centre ``--dip-crop`` of each ``--dip-images`` image for
``--dip-steps`` steps (2000: the paper's budget). It prints, per item and in mean,
seconds per training iteration in both precisions and their ratio, the iterations
each ran (ZSSR stops by its lr rule, so a precision may change the schedule), the
whole run's seconds and their ratio, and the PSNR difference (bf16 - fp32, Y,
shave = scale). Issue 21's goal: bf16 within 0.05 dB of fp32 on bird x2.

On a CPU without native bf16 (no ``avx512_bf16``/``amx_bf16`` flag) autocast would
emulate bf16 in software and srcore runs fp32; the script then times 3 ZSSR steps
both ways to show why, and stops, unless ``--force-bf16`` asks for the emulated
comparison (``SRCORE_CPU_BF16=1``; slow).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time

import numpy as np
import torch

from srcore import protocol
from srcore.methods.dip import PROFILES as DIP_PROFILES
from srcore.methods.dip import DIPConfig, optimize
from srcore.methods.zssr import ZSSRNet, zssr
from srcore.precision import cpu_has_native_bf16, use_bf16
from srcore.profiles import describe_device, resolve_device, resolve_profile
from srcore.runs.zssr_runs import zssr_config


def step_seconds(amp: bool, device: torch.device, steps: int = 3) -> float:
    """Seconds of one ZSSR training step (8x64 net, 128x128 crop) with ``amp``."""
    net = ZSSRNet(3).to(device)
    x = torch.rand(1, 3, 128, 128, device=device)
    times = []
    for _ in range(steps + 1):
        t0 = time.perf_counter()
        with torch.autocast(device.type, torch.bfloat16, enabled=amp):
            out = net(x).float()
        grads = torch.autograd.grad((out - x).abs().mean(), list(net.parameters()))
        del grads
        times.append(time.perf_counter() - t0)
    return float(np.median(times[1:]))


def compare(name: str, run) -> dict:
    """``run(amp) -> (psnr, seconds_per_iteration, iterations, seconds)`` in both
    precisions, fp32 first."""
    p32, s32, i32, t32 = run(False)
    p16, s16, i16, t16 = run(True)
    row = {
        "item": name,
        "fp32_s_per_it": s32,
        "bf16_s_per_it": s16,
        "speedup": s32 / s16,
        "fp32_iters": i32,
        "bf16_iters": i16,
        "fp32_seconds": t32,
        "bf16_seconds": t16,
        "speedup_end_to_end": t32 / t16,
        "fp32_psnr": p32,
        "bf16_psnr": p16,
        "delta_db": p16 - p32,
    }
    print(
        f"{name:22s} {s32:8.3f} {s16:8.3f} {row['speedup']:6.2f}x {i32:6d} {i16:6d} "
        f"{t32:7.0f} {t16:7.0f} {row['speedup_end_to_end']:6.2f}x "
        f"{p32:7.3f} {p16:7.3f} {row['delta_db']:+6.3f}",
        flush=True,
    )
    return row


HEADER = (
    f"{'':22s} {'fp32':>8s} {'bf16':>8s} {'':7s} {'fp32':>6s} {'bf16':>6s} "
    f"{'fp32':>7s} {'bf16':>7s} {'':7s} {'fp32':>7s} {'bf16':>7s}\n"
    f"{'item':22s} {'s/it':>8s} {'s/it':>8s} {'speed':>7s} {'iters':>6s} {'iters':>6s} "
    f"{'s':>7s} {'s':>7s} {'e2e':>7s} {'dB':>7s} {'dB':>7s} {'delta':>6s}"
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--profile", default="paper", help="ZSSR's budget")
    parser.add_argument("--zssr-images", nargs="+", default=["bird", "butterfly"])
    parser.add_argument("--zssr-scales", type=int, nargs="+", default=[2, 4])
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[0],
        help="ZSSR once per seed in both precisions: a difference within the spread "
        "over seeds is no difference",
    )
    parser.add_argument(
        "--dip-images", nargs="*", default=["butterfly"], help="none: no DIP"
    )
    parser.add_argument("--dip-crop", type=int, default=128)
    parser.add_argument("--dip-steps", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--force-bf16", action="store_true")
    parser.add_argument("--json", help="write the rows to this file")
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.force_bf16:
        os.environ["SRCORE_CPU_BF16"] = "1"
    print(
        f"device: {describe_device(device)}; native bf16 on the CPU: "
        f"{cpu_has_native_bf16()}; srcore uses bf16: {use_bf16(True, device)}"
    )
    if not use_bf16(True, device):
        fp32, bf16 = step_seconds(False, device), step_seconds(True, device)
        print(
            f"no native bf16 here: one ZSSR step takes {fp32:.3f} s in fp32 and "
            f"{bf16:.3f} s under (emulated) bf16 autocast ({fp32 / bf16:.2f}x), so "
            "srcore runs fp32; --force-bf16 compares the emulated path anyway"
        )
        return
    rows = []
    print(HEADER)
    for scale in args.zssr_scales:
        print(f"ZSSR x{scale}, {args.profile} profile (its own stopping rule)")
        for image in args.zssr_images:
            lr_img, hr = protocol.test_pair("Set5", image, scale, "bicubic", None)
            for seed in args.seeds:

                def run_zssr(amp: bool, lr_img=lr_img, hr=hr, scale=scale, seed=seed):
                    cfg = zssr_config("zssr", args.profile, amp=amp, seed=seed)
                    res = zssr(lr_img, scale, cfg, hr=hr, device=device, progress=False)
                    return res.psnr, res.seconds_per_iter, res.iterations, res.seconds

                name = f"Set5/{image} x{scale}" + (f" s{seed}" if seed else "")
                row = compare(name, run_zssr)
                rows.append({"method": f"zssr x{scale}", "seed": seed, **row})
    dip_cfg = resolve_profile(DIPConfig(), DIP_PROFILES, "paper")
    dip_cfg = dataclasses.replace(dip_cfg, steps=args.dip_steps)
    if args.dip_images:
        print(f"DIP x4, {args.dip_crop}px crops, {args.dip_steps} steps")
    for image in args.dip_images:
        lr_img, hr = protocol.crop_pair(
            "Set5", image, 4, args.dip_crop, None, multiple=32
        )

        def run_dip(amp: bool, lr_img=lr_img, hr=hr):
            res = optimize(
                lr_img,
                4,
                dataclasses.replace(dip_cfg, amp=amp),
                hr=hr,
                device=device,
                progress=False,
                trace_every=args.dip_steps,
            )
            return (
                res.trace_psnr[0][-1],
                res.seconds_per_step,
                args.dip_steps,
                res.seconds,
            )

        rows.append({"method": "dip x4", **compare(f"Set5/{image} x4", run_dip)})
    for method in dict.fromkeys(r["method"] for r in rows):
        sel = [r for r in rows if r["method"] == method]
        if sel:
            ratio = np.mean([r["fp32_s_per_it"] for r in sel]) / np.mean(
                [r["bf16_s_per_it"] for r in sel]
            )
            deltas = [r["delta_db"] for r in sel]
            spread = (
                f" (sd {np.std(deltas, ddof=1):.3f} dB over {len(deltas)} runs)"
                if len(deltas) > 1
                else ""
            )
            print(
                f"{method}: mean speed-up {ratio:.2f}x, mean delta "
                f"{np.mean(deltas):+.3f} dB{spread}"
            )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {"device": describe_device(device), "args": vars(args), "rows": rows},
                f,
                indent=1,
            )


if __name__ == "__main__":
    main()
