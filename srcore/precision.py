"""Which precision a network runs in: bf16 autocast where the hardware has it.

Every training loop asks :func:`use_bf16` whether to run its network under bf16
autocast: on a CUDA GPU that supports it, on a CPU only with *native* bf16 arithmetic
(elsewhere it is emulated, many times slower). Weights, optimiser state and losses
stay fp32. ``SRCORE_CPU_BF16=1`` (or ``0``) overrides the CPU check.

Example:
    >>> use_bf16(False, "cpu"), precision_name(False, "cpu")
    (False, 'fp32')
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import torch

#: /proc/cpuinfo flags that mean native bf16 arithmetic on the CPU.
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16", "bf16")


@functools.cache
def _cpuinfo_flags() -> frozenset[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bf16 natively (``SRCORE_CPU_BF16`` overrides)."""
    forced = os.environ.get("SRCORE_CPU_BF16")
    if forced in ("0", "1"):
        return forced == "1"
    return any(flag in _cpuinfo_flags() for flag in NATIVE_BF16_FLAGS)


def use_bf16(amp: bool, device: str | torch.device) -> bool:
    """Whether a loop with the ``amp`` setting runs bf16 autocast on ``device``."""
    if not amp:
        return False
    dev = torch.device(device)
    if dev.type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    return dev.type == "cpu" and cpu_has_native_bf16()


def autocast(amp: bool, device: str | torch.device) -> torch.autocast:
    """``torch.autocast`` to bf16 when :func:`use_bf16`, else a disabled one."""
    dev = torch.device(device)
    return torch.autocast(dev.type, torch.bfloat16, enabled=use_bf16(amp, dev))


def precision_name(amp: bool, device: str | torch.device) -> str:
    """``"bf16"`` or ``"fp32"``: what a record states about how it was computed."""
    return "bf16" if use_bf16(amp, device) else "fp32"
