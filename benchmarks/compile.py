"""``torch.compile`` against eager, for the ZSSR and DIP training steps, as ratios.

Usage::

    python benchmarks/compile.py [--device auto] [--steps 20] [--threads N]
        [--zssr-sizes 128 96 64] [--dip-size 128] [--json out.json]

One training step is the network's forward under the precision srcore uses on
this device (bf16 autocast and channels-last where :mod:`srcore.precision` allows
it), the loss (L1 for ZSSR, MSE on the downsampled output for DIP), the backward
pass and an Adam update. Each step is timed eagerly and with the network compiled
(``torch.compile``, default mode), in one process; the first compiled step, which
includes compilation, is reported apart. ZSSR's crops change size from one
iteration to the next (the fathers are drawn at random sizes), so its compiled step
is timed cycling through ``--zssr-sizes`` with ``dynamic=True``. Issue 21 keeps
compile only where it pays at least 1.3x end to end: a step that is not 1.3x
faster cannot make a whole run so.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
import torch.nn.functional as F

from srcore.methods.dip import DIPConfig, SkipNet, downsample
from srcore.methods.zssr import ZSSRNet
from srcore.precision import use_bf16
from srcore.profiles import describe_device, resolve_device


def time_steps(step, inputs, steps: int) -> tuple[float, float]:
    """(first step's seconds, median of the next ``steps``), cycling ``inputs``."""
    t0 = time.perf_counter()
    step(inputs[0])
    first = time.perf_counter() - t0
    times = []
    for i in range(steps):
        t0 = time.perf_counter()
        step(inputs[(i + 1) % len(inputs)])
        times.append(time.perf_counter() - t0)
    return first, float(np.median(times))


def make_step(net, loss_fn, device, compiled: bool, dynamic: bool):
    bf16 = use_bf16(True, device)
    if bf16 or device.type == "cuda":
        net = net.to(memory_format=torch.channels_last)
    fwd = torch.compile(net, dynamic=dynamic) if compiled else net
    opt = torch.optim.Adam(net.parameters(), 1e-3)

    def step(x):
        if bf16 or device.type == "cuda":
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(device.type, torch.bfloat16, enabled=bf16):
            out = fwd(x)
        loss = loss_fn(out.float(), x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize()

    return step


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default="auto")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--zssr-sizes", type=int, nargs="+", default=[128, 96, 64])
    p.add_argument("--dip-size", type=int, default=128)
    p.add_argument("--json")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    print(f"device: {describe_device(device)}; bf16: {use_bf16(True, device)}")
    g = torch.Generator().manual_seed(0)
    zssr_in = [torch.rand(1, 3, s, s, generator=g).to(device) for s in args.zssr_sizes]
    cfg = DIPConfig()
    dip_in = [
        torch.rand(1, cfg.input_depth, args.dip_size, args.dip_size, generator=g).to(
            device
        )
    ]
    target = torch.rand(1, 3, args.dip_size // 4, args.dip_size // 4, generator=g)

    def l1(out, x):
        return (out - x).abs().mean()

    def dip_loss(out, _x):
        return F.mse_loss(downsample(out, 4), target.to(out.device))

    cases = {
        "ZSSR 8x64 (crops " + "/".join(map(str, args.zssr_sizes)) + ")": (
            lambda: ZSSRNet(3).to(device),
            l1,
            zssr_in,
            True,
        ),
        f"DIP skip net ({args.dip_size}px)": (
            lambda: SkipNet(cfg.input_depth, 3).to(device),
            dip_loss,
            dip_in,
            False,
        ),
    }
    rows = []
    print(
        f"{'step':34s} {'eager s':>8s} {'compiled s':>10s} {'ratio':>6s} "
        f"{'1st compiled s':>14s}"
    )
    for name, (build, loss, inputs, dynamic) in cases.items():
        torch.manual_seed(0)
        _, eager = time_steps(
            make_step(build(), loss, device, False, dynamic), inputs, args.steps
        )
        torch.manual_seed(0)
        first, comp = time_steps(
            make_step(build(), loss, device, True, dynamic), inputs, args.steps
        )
        row = {
            "step": name,
            "eager_s": eager,
            "compiled_s": comp,
            "ratio": eager / comp,
            "first_compiled_s": first,
        }
        rows.append(row)
        print(
            f"{name:34s} {eager:8.4f} {comp:10.4f} {eager / comp:5.2f}x {first:14.1f}",
            flush=True,
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": describe_device(device), "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
