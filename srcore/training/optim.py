"""How to optimise: the training config and the optimizer, schedule and clipping
that :func:`srcore.training.loop.train` builds from it."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import torch


@dataclass(frozen=True)
class TrainConfig:
    """How to optimise; a method's config fills in its paper's values (the defaults
    are a neutral start: Adam at 1e-4, as SRResNet)."""

    steps: int = 1000  # parameter updates (iterations), not epochs
    batch_size: int = 16
    lr: float = 1e-4
    optimizer: str = "adam"  # "adam" | "sgd"
    momentum: float = 0.9  # sgd only
    weight_decay: float = 0.0
    betas: tuple[float, float] = (0.9, 0.999)  # adam only
    schedule: str = "none"  # "none" | "step" (x gamma every step_size) | "cosine"
    step_size: int | None = None  # updates between decays of the step schedule
    gamma: float = 0.1
    grad_clip: float | None = None  # None: no clipping
    # "norm": total L2 norm <= grad_clip; "value": each value in ±grad_clip;
    # "adjustable": each value in ±grad_clip / current lr (VDSR, Kim et al. 2016 §3.3)
    grad_clip_mode: str = "norm"
    amp: bool = True  # CUDA only: bf16 autocast, or fp16 + GradScaler
    channels_last: bool = True  # CUDA only
    val_every: int = 0  # updates between validations (0: never; also at the end)
    ckpt_every: int = 0  # updates between checkpoints (0: only at the end)
    log_every: int = 10  # updates averaged into one history point
    seed: int = 0
    device: str = "auto"
    # The stopping rule (0 / None: train all ``steps``): loop.stop_reason
    plateau_checks: int = 0
    plateau_db: float = 0.0
    max_hours: float | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.steps < 0 or self.batch_size < 1 or self.log_every < 1:
            problems.append("steps >= 0, batch_size >= 1 and log_every >= 1")
        if not self.lr > 0:
            problems.append(f"lr > 0 (got {self.lr})")
        if self.optimizer not in ("adam", "sgd"):
            problems.append(f"optimizer 'adam' or 'sgd' (got {self.optimizer!r})")
        if self.schedule not in ("none", "step", "cosine"):
            problems.append(
                f"schedule 'none', 'step' or 'cosine' (got {self.schedule!r})"
            )
        if self.schedule == "step" and not (self.step_size and self.step_size > 0):
            problems.append("a positive step_size for schedule='step'")
        if self.grad_clip_mode not in ("norm", "value", "adjustable"):
            problems.append(
                f"grad_clip_mode norm/value/adjustable ({self.grad_clip_mode!r})"
            )
        if self.grad_clip is not None and not self.grad_clip > 0:
            problems.append(f"grad_clip > 0 or None (got {self.grad_clip})")
        if self.val_every < 0 or self.ckpt_every < 0:
            problems.append("val_every >= 0 and ckpt_every >= 0")
        if self.plateau_checks < 0 or self.plateau_db < 0:
            problems.append("plateau_checks >= 0 and plateau_db >= 0")
        if self.plateau_checks and not self.val_every:
            problems.append("val_every > 0 for a plateau rule (it reads validations)")
        if self.max_hours is not None and not self.max_hours > 0:
            problems.append(f"max_hours > 0 or None (got {self.max_hours})")
        if problems:
            raise ValueError("TrainConfig needs " + "; ".join(problems))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types only (``betas`` as a list): what a checkpoint stores."""
        return json.loads(json.dumps(dataclasses.asdict(self)))


def make_optimizer(
    params: Iterable[torch.Tensor] | Iterable[dict[str, Any]], config: TrainConfig
) -> torch.optim.Optimizer:
    """Adam (``lr``, ``betas``, ``weight_decay``) or SGD (``lr``, ``momentum``, ...)."""
    if config.optimizer == "adam":
        return torch.optim.Adam(
            params,
            lr=config.lr,
            betas=tuple(config.betas),
            weight_decay=config.weight_decay,
        )
    return torch.optim.SGD(
        params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay
    )


def make_scheduler(
    optimizer: torch.optim.Optimizer, config: TrainConfig
) -> torch.optim.lr_scheduler.LRScheduler | None:
    """The learning-rate schedule, stepped once per update (not per epoch):
    ``"step"``: ``lr_t = lr gamma^floor(t / step_size)``; ``"cosine"``:
    ``lr_t = lr (1 + cos(pi t / steps)) / 2``; ``"none"``: None.
    """
    if config.schedule == "step":
        return torch.optim.lr_scheduler.StepLR(
            optimizer, step_size=config.step_size, gamma=config.gamma
        )
    if config.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(
            optimizer, T_max=max(config.steps, 1)
        )
    return None


def clip_gradients(
    params: Iterable[torch.Tensor], config: TrainConfig, lr: float
) -> None:
    """Clip gradients in place as ``config.grad_clip_mode`` says (nothing if None).

    ``"adjustable"`` (VDSR, Kim et al., CVPR 2016, §3.3) clips each value to
    ``[-θ/γ, θ/γ]``, ``θ = grad_clip``, ``γ`` the current learning rate.
    """
    if config.grad_clip is None:
        return
    params = [p for p in params if p.grad is not None]
    if config.grad_clip_mode == "norm":
        torch.nn.utils.clip_grad_norm_(params, config.grad_clip)
    elif config.grad_clip_mode == "value":
        torch.nn.utils.clip_grad_value_(params, config.grad_clip)
    else:
        torch.nn.utils.clip_grad_value_(params, config.grad_clip / lr)
