"""Trained networks for ``srcore upscale``: where ``srcore train`` saves, how they load.

One state dict per (method, scale, profile), :func:`weights_path`, beside a JSON of
its sha256 and full config, so that :func:`load_network` rebuilds the same network
even if a profile's defaults change. Training is :func:`srcore.runs.supervised.fit`,
as the book's runs train.

Example:
    >>> weights_path("srcnn", 2, "quick").name
    'srcnn-x2-quick.pt'
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from srcore.files import atomic_write, file_sha256
from srcore.inference import predict
from srcore.profiles import PROFILE_NAMES, config_dict
from srcore.upscaling import SUPERVISED, InputError, check_device, check_scale


@dataclass(frozen=True)
class Network:
    """A trained supervised network ready to run (see :func:`load_network`)."""

    method: str
    scale: int
    model: nn.Module
    spec: Any  # srcore.training.models.ModelSpec
    path: Path


def weights_path(method: str, scale: int, profile: str) -> Path:
    """Where ``srcore train`` saves a network: ``<cache>/cli/<m>-x<s>-<p>.pt``."""
    from srcore.runs.supervised import cache_dir

    return cache_dir() / "cli" / f"{method}-x{scale}-{profile}.pt"


def train_command(method: str, scale: int, profile: str) -> str:
    """The command that makes the weights :func:`load_network` looks for.

    Example:
        >>> train_command("srcnn", 2, "quick")
        'srcore train srcnn --scale 2 --profile quick'
    """
    return f"srcore train {method} --scale {scale} --profile {profile}"


def _check_trainable(method: str, scale: float, profile: str) -> int:
    if method not in SUPERVISED:
        raise InputError(f"only {', '.join(SUPERVISED)} are trained; got {method!r}")
    if profile not in PROFILE_NAMES:
        raise InputError(f"unknown profile {profile!r}; choose one of {PROFILE_NAMES}")
    return int(check_scale(method, scale))


def train(
    method: str,
    scale: int,
    profile: str = "quick",
    *,
    device: str = "auto",
    data_root: str | os.PathLike | None = None,
    progress: bool = True,
) -> Path:
    """Train a supervised network with a profile; returns where its weights are.

    An interrupted training resumes from its checkpoint folder, removed when done.
    """
    from srcore.runs.supervised import fit, model_config
    from srcore.training.models import stopping_rule

    scale = _check_trainable(method, scale, profile)
    init = None
    if method == "srgan":
        # SRGAN's generator starts from SRResNet (Ledig et al. 2017, §3.2): this
        # command's own SRResNet of the same profile, trained first if missing.
        base = weights_path("srresnet", scale, profile)
        if not base.exists():
            train("srresnet", scale, profile, device=device, data_root=data_root)
        init = torch.load(base, weights_only=True)
    dev = check_device(device)
    cfg = model_config(method, profile, scale)
    path = weights_path(method, scale, profile)
    ckpt = path.with_suffix(".ckpt")
    net, history = fit(
        method,
        cfg,
        scale,
        data_root=data_root,
        ckpt_dir=ckpt,
        device=str(dev),
        progress=progress,
        smoke=profile == "smoke",
        init=init,
        stopping=stopping_rule(method, profile),
    )
    state = {k: v.detach().cpu() for k, v in net.state_dict().items()}
    atomic_write(path, lambda fh: torch.save(state, fh))
    meta = {
        "sha256": file_sha256(path),
        "method": method,
        "scale": scale,
        "profile": profile,
        "config": config_dict(cfg),
        "steps": history.steps_done,
        "stopped": history.stopped,
        "seconds": history.total_seconds,
        "device": str(dev),
    }
    text = json.dumps(meta, indent=1) + "\n"
    atomic_write(path.with_suffix(".json"), lambda fh: fh.write(text.encode()))
    shutil.rmtree(ckpt, ignore_errors=True)
    return path


def _saved_config(path: Path, method: str, scale: int, default: Any) -> Any:
    """The config in the JSON beside ``path`` (if any), checked against the call and
    the weights' sha256 it holds."""
    meta_path = path.with_suffix(".json")
    if not meta_path.is_file():
        return default
    try:
        meta = json.loads(meta_path.read_text())
        expected = meta.get("sha256")
        saved = (meta["method"], meta["scale"])
        fields = {
            k: tuple(v) if isinstance(v, list) else v for k, v in meta["config"].items()
        }
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise InputError(f"{meta_path}: unreadable ({err}); retrain") from None
    if saved != (method, scale):
        got = f"{saved[0]} x{saved[1]}"
        raise InputError(f"{path}: weights of {got}, not of {method} x{scale}")
    if expected is not None and file_sha256(path) != expected:
        raise InputError(
            f"{path}: its sha256 is not the one {meta_path.name} recorded when it was "
            f"trained (changed or damaged); retrain with "
            f"`{train_command(method, scale, meta.get('profile', 'quick'))}`"
        )
    try:
        return type(default)(**fields)
    except (TypeError, ValueError) as err:
        raise InputError(f"{meta_path}: another srcore's config ({err})") from None


class _Tiled(nn.Module):
    """A network run on overlapping tiles of side ``tile`` (:func:`predict`)."""

    def __init__(self, net: nn.Module, scale: int, tile: int) -> None:
        super().__init__()
        self.net, self.scale, self.tile = net, scale, tile

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return predict(self.net, x, scale=self.scale, tile=self.tile)


def load_network(
    method: str,
    scale: int,
    profile: str = "quick",
    weights: str | os.PathLike | None = None,
    *,
    device: str = "auto",
    tile: int | None = None,
) -> Network:
    """The trained network: ``weights`` if given, else :func:`weights_path`.

    ``tile`` (network-input pixels, >= 64) runs it on overlapping tiles; ``None``
    tiles only big images (:func:`srcore.runs.supervised.super_resolve`).
    """
    from srcore.runs.supervised import SPECS, model_config

    scale = _check_trainable(method, scale, profile)
    if tile is not None and tile < 64:
        raise InputError(
            f"tile must be >= 64 pixels (16 of context a side), got {tile}"
        )
    path = Path(weights) if weights else weights_path(method, scale, profile)
    if not path.is_file():
        if weights:
            raise InputError(f"{path}: weights file not found")
        raise InputError(
            f"no trained {method} x{scale} ({profile}) weights in {path.parent}; "
            f"run `{train_command(method, scale, profile)}` or pass --weights FILE"
        )
    cfg = _saved_config(path, method, scale, model_config(method, profile, scale))
    spec = SPECS[method]
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        net = spec.build(cfg, scale)
        net.load_state_dict(state)
    except Exception as err:  # torch raises many types on a wrong or bad file
        first = str(err).strip().splitlines()[0][:120] if str(err) else ""
        raise InputError(
            f"{path}: cannot load {method} x{scale} ({profile}) weights from it "
            f"({type(err).__name__}: {first})"
        ) from None
    net = net.to(check_device(device)).eval()
    if tile is not None:
        net = _Tiled(net, 1 if spec.upsampled_input else scale, tile)
    return Network(method, scale, net, spec, path)
