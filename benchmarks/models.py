"""Size and speed of the study's networks: parameters, MACs per pixel, step times.

Usage::

    python benchmarks/models.py [--device auto] [--size 256] [--repeats 3]

For SRCNN, VDSR (input = bicubic-upscaled luma at the output size), SRResNet x4
(input = LR RGB, output ``size x size``) and SRGAN's discriminator (input = an RGB
image ``size x size``) it prints:

* ``params``: trainable parameters.
* ``MACs/px``: multiply-accumulates of one forward pass per *output* pixel (per input
  pixel for the discriminator, whose output is one logit), counted analytically by
  :func:`count_macs` from the shapes each ``Conv2d``/``ConvTranspose2d``/``Linear``
  actually sees (biases, activations, BN and pixel shuffles are not counted).
* ``train ms``: median time of one training step (forward, MSE/BCE loss, backward,
  Adam step) on a batch of one ``size x size`` output.
* ``infer ms``: median time of one forward pass under ``torch.inference_mode`` on a
  ``size x size`` *input* (the LR side for SRResNet, so its output is 4x larger).

Timings use ``time.perf_counter`` after warm-up runs, with ``torch.cuda.synchronize``
around each one on a GPU; they are wall-clock on whatever else the machine runs.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from srcore.methods.srcnn import SRCNN
from srcore.methods.srresnet import Discriminator, SRResNet
from srcore.methods.vdsr import VDSR
from srcore.profiles import describe_device, resolve_device


def count_macs(model: nn.Module, input_shape: tuple[int, ...]) -> int:
    """Multiply-accumulates of one forward pass of ``model`` on ``zeros(input_shape)``.

    Per layer: ``Conv2d`` -> ``numel(output) * C_in/groups * k_h * k_w``;
    ``ConvTranspose2d`` -> ``numel(input) * C_out/groups * k_h * k_w``; ``Linear`` ->
    ``numel(output) * in_features``. Everything else counts zero. The forward pass
    runs on the model's device under ``torch.no_grad`` in the model's current mode.

    Example:
        >>> count_macs(nn.Conv2d(1, 2, 3, padding=1), (1, 1, 4, 4))  # 2*16 outputs x 9
        288
    """
    total = 0

    def hook(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor):
        nonlocal total
        if isinstance(module, nn.Conv2d):
            k = module.in_channels // module.groups * math.prod(module.kernel_size)
            total += output.numel() * k
        elif isinstance(module, nn.ConvTranspose2d):
            k = module.out_channels // module.groups * math.prod(module.kernel_size)
            total += inputs[0].numel() * k
        elif isinstance(module, nn.Linear):
            total += output.numel() * module.in_features

    kinds = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)
    handles = [
        m.register_forward_hook(hook) for m in model.modules() if isinstance(m, kinds)
    ]
    try:
        param = next(model.parameters(), None)
        device = param.device if param is not None else torch.device("cpu")
        with torch.no_grad():
            model(torch.zeros(input_shape, device=device))
    finally:
        for h in handles:
            h.remove()
    return int(total)


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[], nn.Module]
    train_input: tuple[int, ...]  # batch of one, output = size x size
    infer_input: tuple[int, ...]  # size x size input
    per_pixel_of: str  # "output" or "input"
    loss: Callable[[torch.Tensor], torch.Tensor]


def _mse_to_zero(out: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(out, torch.zeros_like(out))


def _bce_real(out: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(out, torch.ones_like(out))


def cases(size: int) -> list[Case]:
    """The four networks at the paper's configurations."""
    lr_side = size // 4
    y_img = (1, 1, size, size)
    rgb = (1, 3, size, size)
    return [
        Case("SRCNN 9-1-5", SRCNN, y_img, y_img, "output", _mse_to_zero),
        Case("VDSR d20", VDSR, y_img, y_img, "output", _mse_to_zero),
        Case(
            "SRResNet x4",
            SRResNet,
            (1, 3, lr_side, lr_side),
            rgb,
            "output",
            _mse_to_zero,
        ),
        Case("SRGAN D", Discriminator, rgb, rgb, "input", _bce_real),
    ]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _median_ms(
    fn: Callable[[], None], device: torch.device, warmup: int, n: int
) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(n):
        _sync(device)
        t0 = time.perf_counter()
        fn()
        _sync(device)
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def measure(case: Case, device: torch.device, warmup: int, repeats: int) -> dict:
    torch.manual_seed(0)
    model = case.build().to(device)
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    model.eval()
    macs = count_macs(model, case.infer_input)
    with torch.no_grad():
        out = model(torch.zeros(case.infer_input, device=device))
    pix_shape = out.shape if case.per_pixel_of == "output" else case.infer_input
    macs_px = macs / (pix_shape[0] * pix_shape[-2] * pix_shape[-1])

    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    x_train = torch.rand(case.train_input, device=device)

    def train_step() -> None:
        opt.zero_grad(set_to_none=True)
        case.loss(model(x_train)).backward()
        opt.step()

    train_ms = _median_ms(train_step, device, warmup, repeats)

    model.eval()
    x_inf = torch.rand(case.infer_input, device=device)

    def infer() -> None:
        with torch.inference_mode():
            model(x_inf)

    infer_ms = _median_ms(infer, device, warmup, repeats)
    return {
        "model": case.name,
        "params": params,
        "macs_px": macs_px,
        "train_ms": train_ms,
        "infer_ms": infer_ms,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda[:i]")
    parser.add_argument("--size", type=int, default=256, help="image side in pixels")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs (median)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first")
    args = parser.parse_args(argv)
    if args.size % 4:
        parser.error("--size must be a multiple of 4 (SRResNet x4)")
    device = resolve_device(args.device)
    where = describe_device(device)
    print(
        f"torch {torch.__version__} on {device} ({where}); size {args.size}, "
        f"median of {args.repeats} after {args.warmup} warm-up"
    )
    cols = ("params", "MACs/px", "train ms", "infer ms")
    header = f"{'model':<13} " + " ".join(f"{c:>10}" for c in cols)
    print(header)
    print("-" * len(header))
    for case in cases(args.size):
        r = measure(case, device, args.warmup, args.repeats)
        print(
            f"{r['model']:<13} {r['params']:>10,} {r['macs_px']:>10,.0f} "
            f"{r['train_ms']:>10.1f} {r['infer_ms']:>10.1f}",
            flush=True,
        )
    side = f"{args.size}x{args.size}"
    print(
        "MACs/px: per output pixel (per input pixel for SRGAN D); "
        f"train: batch 1, {side} output; infer: {side} input."
    )


if __name__ == "__main__":
    main()
