"""Profiles apply overrides only, and reject misspelt keys; device resolution."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from srcore.profiles import config_dict, resolve_device, resolve_profile


@dataclasses.dataclass(frozen=True)
class _Cfg:
    steps: int = 3000  # paper default
    lr: float = 1e-3


PROFILES = {"smoke": {"steps": 5}, "quick": {"steps": 300}, "paper": {}}


def test_profile_overrides_and_paper_keeps_defaults():
    assert resolve_profile(_Cfg(), PROFILES, "smoke") == _Cfg(steps=5)
    assert resolve_profile(_Cfg(), PROFILES, "paper") == _Cfg()
    assert resolve_profile(_Cfg(), PROFILES, "quick", lr=0.1) == _Cfg(300, 0.1)
    assert config_dict(_Cfg()) == {"steps": 3000, "lr": 1e-3}


def test_misspelt_key_and_unknown_profile_are_errors():
    with pytest.raises(TypeError):
        resolve_profile(_Cfg(), {"smoke": {"stpes": 5}}, "smoke")
    with pytest.raises(ValueError, match="unknown profile"):
        resolve_profile(_Cfg(), PROFILES, "fast")


def test_device_auto_and_explicit():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device("cpu") == torch.device("cpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            resolve_device("cuda")
