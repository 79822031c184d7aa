"""Profiles and devices: how much compute a run may spend, and where.

Three profiles: ``smoke`` (seconds, for the tests), ``quick`` (minutes on 2 CPU
cores) and ``paper`` (the paper's protocol, for a GPU). A method's ``PROFILES`` hold
overrides of its paper-default config only, applied with :func:`dataclasses.replace`,
so a misspelt key is an error.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

import torch

PROFILE_NAMES = ("smoke", "quick", "paper")

#: LR side of the central square smoke runs of the random-kernel cases take: large
#: enough for KernelGAN's smoke crop and ZSSR's largest x4 kernel.
SMOKE_LR_CROP = 72

C = TypeVar("C")


def resolve_profile(
    config: C, profiles: Mapping[str, Mapping[str, Any]], profile: str, **overrides: Any
) -> C:
    """The paper-default ``config`` with the profile's overrides, then ``overrides``.

    Example:
        >>> @dataclasses.dataclass(frozen=True)
        ... class Cfg:
        ...     steps: int = 3000
        >>> resolve_profile(Cfg(), {"smoke": {"steps": 5}}, "smoke").steps
        5
    """
    if profile not in PROFILE_NAMES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {PROFILE_NAMES}")
    if not dataclasses.is_dataclass(config):
        raise TypeError("config must be a dataclass instance")
    return dataclasses.replace(config, **{**profiles.get(profile, {}), **overrides})


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` -> CUDA when present, else CPU; anything else is passed to torch."""
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {device!r} requested but CUDA is not available")
    return dev


def config_dict(config: Any) -> dict[str, Any]:
    """A dataclass config as a plain dict (what the results cache hashes)."""
    return dataclasses.asdict(config)


def describe_device(device: torch.device) -> str:
    """'NVIDIA H100 ...' on CUDA, else 'x86_64, 2 threads': what benchmarks print."""
    import platform

    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    cpu = platform.processor() or platform.machine()
    return f"{cpu}, {torch.get_num_threads()} threads"
