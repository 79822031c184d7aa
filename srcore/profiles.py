"""Profiles and devices: how much compute a run may spend, and where.

Every experiment has three profiles:

- ``smoke``: seconds; what the tests run. Numbers are meaningless, the plumbing is not.
- ``quick``: what 2 CPU cores finish in minutes; the default for committed results until
  GPU runs exist.
- ``paper``: the paper's own protocol, meant for a GPU.

A method's config is a frozen dataclass holding the paper's defaults; its ``PROFILES``
dict holds *overrides only*, applied with :func:`dataclasses.replace`, so a misspelt key
is an error rather than a silently ignored setting.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

import torch

__all__ = [
    "PROFILE_NAMES",
    "SMOKE_LR_CROP",
    "resolve_profile",
    "resolve_device",
    "config_dict",
]

PROFILE_NAMES = ("smoke", "quick", "paper")

#: Smoke runs of the non-ideal and blind cases (KernelGAN, ZSSR on random-kernel
#: LR images, 2K ones in DIV2KRK) take the central square of this many LR pixels:
#: KernelGAN's smoke crop and border (32 + 2 x 10) and ZSSR's largest x4 kernel
#: (KernelGAN's, 33 px, at min_scale 0.5) still fit.
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
