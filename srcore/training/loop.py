"""The one supervised training loop, with checkpoints that resume exactly.

Batches are a pure function of ``(seed, step)`` and a checkpoint holds the model,
optimizer, scheduler, scaler, RNG states and unlogged losses, so on the CPU a resumed
run ends bit-equal to an uninterrupted one. A NaN/inf loss raises
:class:`TrainingDiverged` (checked once per log, not per step). bf16 autocast and
channels-last run where :func:`srcore.precision.use_bf16` says they pay.
"""

from __future__ import annotations

import dataclasses
import math
import os
import random
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

from srcore.files import atomic_write
from srcore.precision import use_bf16
from srcore.profiles import resolve_device
from srcore.training.optim import (
    TrainConfig,
    clip_gradients,
    make_optimizer,
    make_scheduler,
)

#: The one checkpoint file of a training run's folder.
CHECKPOINT_NAME = "checkpoint.pt"


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's (CPU and CUDA) global generators."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def rng_state() -> dict[str, Any]:
    """The global RNG states as tensors and plain numbers (for ``weights_only``)."""
    py_version, py_state, py_gauss = random.getstate()
    _, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    cuda = torch.cuda.is_available() and torch.cuda.is_initialized()
    return {
        "torch": torch.get_rng_state(),
        "cuda": list(torch.cuda.get_rng_state_all()) if cuda else [],
        "python": torch.tensor(py_state, dtype=torch.int64),
        "python_version": int(py_version),
        "python_gauss": py_gauss,
        "numpy": torch.from_numpy(np_keys.astype(np.int64)),
        "numpy_pos": int(np_pos),
        "numpy_has_gauss": int(np_has_gauss),
        "numpy_gauss": float(np_gauss),
    }


def restore_rng_state(state: dict[str, Any]) -> None:
    """Set the global generators back to a :func:`rng_state` snapshot."""
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        n = min(len(state["cuda"]), torch.cuda.device_count())
        torch.cuda.set_rng_state_all(state["cuda"][:n])
    py = tuple(int(v) for v in state["python"].tolist())
    random.setstate((state["python_version"], py, state["python_gauss"]))
    np.random.set_state(
        (
            "MT19937",
            state["numpy"].numpy().astype(np.uint32),
            state["numpy_pos"],
            state["numpy_has_gauss"],
            state["numpy_gauss"],
        )
    )


def save_checkpoint(path: str | os.PathLike, **state: Any) -> Path:
    """``torch.save(state)`` atomically (:func:`srcore.files.atomic_write`)."""
    return atomic_write(path, lambda fh: torch.save(state, fh))


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Load a checkpoint onto the CPU with ``weights_only=True`` (no code executed)."""
    return torch.load(Path(path), map_location="cpu", weights_only=True)


#: Fresh training batches on which a trained model and the interpolation are compared.
INTERP_BATCHES = 8

# Settings that change what is logged or saved, not the weights: a run may resume
# with other values (or on another device, where only rounding differs).
_RESUME_IGNORES = ("val_every", "ckpt_every", "log_every", "device")

#: Seconds between redraws of the progress bar (`srcore train` to a log file: 30).
PROGRESS_INTERVAL = 0.1


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the last good checkpoint is left in place."""

    def __init__(self, step: int, loss: float, checkpoint: Path | None) -> None:
        self.step, self.loss, self.checkpoint = step, loss, checkpoint
        where = (
            f"the last good checkpoint is {checkpoint}"
            if checkpoint is not None
            else "no checkpoint was saved before it"
        )
        super().__init__(
            f"training diverged at step {step}: loss = {loss}; {where}. Lower the "
            "learning rate or clip gradients (grad_clip)."
        )


class TrainingPaused(RuntimeError):
    """The wall-clock deadline was reached; the same ``ckpt_dir`` resumes the run."""

    def __init__(self, step: int, checkpoint: Path) -> None:
        self.step, self.checkpoint = step, checkpoint
        super().__init__(
            f"training paused at step {step} (deadline); {checkpoint} resumes it"
        )


@dataclass
class TrainHistory:
    """What a run did: the loss curve, validation PSNR, timing and where it ran.

    ``loss[i]`` is the mean loss of the updates up to ``step[i]`` since the previous
    point. ``seconds_per_step`` leaves out validation and checkpoints;
    ``total_seconds`` covers all sessions.
    """

    step: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    val_step: list[int] = field(default_factory=list)
    val_psnr: list[float] = field(default_factory=list)
    seconds_per_step: float = 0.0
    total_seconds: float = 0.0
    device: str = "cpu"
    steps_done: int = 0
    resumed_from: int | None = None
    #: model and bicubic loss on INTERP_BATCHES fresh batches (:func:`heldout_losses`)
    heldout_loss: float | None = None
    interp_loss: float | None = None
    precision: str = "fp32"
    #: why the run ended before ``steps`` (:func:`stop_reason`), None if it did not
    stopped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (lists of numbers, str, None) for the results cache."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainHistory:
        """Inverse of :meth:`to_dict`; an unknown key is an error, not ignored."""
        kinds = {"step": int, "val_step": int, "loss": float, "val_psnr": float}
        lists = {k: [kind(v) for v in data.get(k, [])] for k, kind in kinds.items()}
        return cls(**{**data, **lists})


class BatchSource(Protocol):
    """Anything with ``batch(step, batch_size) -> (input, target)``, pure in step."""

    def batch(
        self, step: int, batch_size: int
    ) -> tuple[torch.Tensor, torch.Tensor]: ...


def check_finite(
    loss: torch.Tensor | float, step: int, ckpt_path: str | os.PathLike | None
) -> None:
    """Raise :class:`TrainingDiverged` naming ``ckpt_path`` if ``loss`` is NaN/inf."""
    value = float(loss)
    if not math.isfinite(value):
        raise TrainingDiverged(
            step, value, None if ckpt_path is None else Path(ckpt_path)
        )


def interpolated_like(inputs: torch.Tensor, out: Any) -> Any:
    """``inputs`` at the size of the model's output ``out`` (a tensor or a pyramid's
    list): itself where sizes agree (SRCNN, VDSR), else MATLAB bicubic.

    Example:
        >>> x = torch.rand(1, 1, 4, 4)
        >>> [tuple(o.shape[-2:]) for o in interpolated_like(x, [x.repeat(1, 1, 2, 2)])]
        [(8, 8)]
    """
    from srcore.resize import imresize

    def one(o: torch.Tensor) -> torch.Tensor:
        if o.shape[-2:] == inputs.shape[-2:]:
            return inputs.float()
        return imresize(inputs.float(), size=tuple(o.shape[-2:]))

    return [one(o) for o in out] if isinstance(out, list) else one(out)


@torch.no_grad()
def heldout_losses(
    model: nn.Module,
    loss_fn: Callable[[Any, torch.Tensor], torch.Tensor],
    sampler: BatchSource,
    first_step: int,
    batch_size: int,
    *,
    device: torch.device,
    dtype: torch.dtype | None = None,
) -> tuple[float, float]:
    """``(model loss, interpolation loss)``, means over the batches
    ``sampler.batch(first_step + k)``, k < :data:`INTERP_BATCHES` (unseen data).

    The model runs in training mode (a pyramid returns its levels, as its loss
    expects); its state (BatchNorm statistics) is restored afterwards.
    """
    saved = {k: v.detach().clone() for k, v in model.state_dict().items()}
    was_training = model.training
    model.train()
    ours, interp = [], []
    try:
        for k in range(INTERP_BATCHES):
            inputs, target = sampler.batch(first_step + k, batch_size)
            inputs, target = inputs.to(device), target.to(device)
            with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
                out = model(inputs)
            out = [o.float() for o in out] if isinstance(out, list) else out.float()
            ours.append(float(loss_fn(out, target)))
            interp.append(float(loss_fn(interpolated_like(inputs, out), target)))
    finally:
        model.load_state_dict(saved)
        model.train(was_training)
    return float(np.mean(ours)), float(np.mean(interp))


def count_parameters(model: nn.Module) -> int:
    """Number of parameters (shared ones once), trainable or not, as papers count."""
    return sum(p.numel() for p in model.parameters())


def psnr_validator(
    pairs: Sequence[tuple[torch.Tensor, torch.Tensor]],
    *,
    shave: int,
    tile: int | None = None,
) -> Callable[[nn.Module], float]:
    """A ``val_fn`` for :func:`train`: mean :func:`srcore.metrics.psnr` (dB) over
    ``pairs``, ``shave`` pixels shaved; the scale is read from the pair sizes."""
    from srcore.inference import predict
    from srcore.metrics import psnr

    def val_fn(model: nn.Module) -> float:
        scores = []
        for lr_img, hr in pairs:
            scale = hr.shape[-2] // lr_img.shape[-2]
            sr = predict(model, lr_img, scale=scale, tile=tile)
            scores.append(float(psnr(sr, hr, shave=shave).mean()))
        return float(np.mean(scores))

    return val_fn


def _amp_dtype(config: TrainConfig, device: torch.device) -> torch.dtype | None:
    if use_bf16(config.amp, device):
        return torch.bfloat16
    if config.amp and device.type == "cuda":
        return torch.float16  # a GPU without bf16: fp16 with a GradScaler
    return None


def stop_reason(val_psnr: list[float], hours: float, config: TrainConfig) -> str | None:
    """Why training stops now, or None: a *plateau* (the best of the last
    ``plateau_checks`` validation PSNRs is less than ``plateau_db`` above the best
    before them) or the *time cap* (``hours`` of all sessions reach ``max_hours``).

    Example:
        >>> cfg = TrainConfig(val_every=10, plateau_checks=2, plateau_db=0.05)
        >>> stop_reason([30.0, 30.5, 30.52, 30.53], 0.1, cfg)
        'plateau: the last 2 validations rose 0.030 dB (< 0.05) above 30.50 dB'
    """
    if config.max_hours is not None and hours >= config.max_hours:
        return f"time cap: {hours:.2f} h of training (cap {config.max_hours:g} h)"
    k = config.plateau_checks
    if k and len(val_psnr) > k:
        before, recent = max(val_psnr[:-k]), max(val_psnr[-k:])
        if recent - before < config.plateau_db:
            return (
                f"plateau: the last {k} validations rose {recent - before:.3f} dB "
                f"(< {config.plateau_db:g}) above {before:.2f} dB"
            )
    return None


def _resume_key(config: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k not in _RESUME_IGNORES}


def _find_checkpoint(path: Path | None, config: TrainConfig) -> dict[str, Any] | None:
    """The checkpoint at ``path`` if it was written under the same config, else None."""
    if path is None or not path.is_file():
        return None
    state = load_checkpoint(path)
    if _resume_key(state.get("config", {})) != _resume_key(config.to_dict()):
        warnings.warn(
            f"{path} was written under another training config; starting afresh "
            "(it will be overwritten at the first checkpoint)",
            stacklevel=3,
        )
        return None
    return state


def train(
    model: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    sampler: BatchSource,
    config: TrainConfig,
    *,
    val_fn: Callable[[nn.Module], float] | None = None,
    ckpt_dir: str | os.PathLike | None = None,
    progress: bool = True,
    param_groups: Callable[[nn.Module], list[dict[str, Any]]] | None = None,
    deadline: float | None = None,
) -> TrainHistory:
    """Minimise ``loss_fn(model(input), target)`` over ``config.steps`` updates.

    Update ``t`` uses ``sampler.batch(t, config.batch_size)``. ``val_fn`` (``model ->
    PSNR``) runs every ``val_every`` updates and at the end. A checkpoint in
    ``ckpt_dir`` written under the same config (cadence and device aside) is resumed:
    key the folder by the whole run. ``param_groups`` gives per-layer learning rates.
    Past ``deadline`` the run checkpoints and raises :class:`TrainingPaused`;
    :func:`stop_reason` may end it early (``history.stopped`` says why).

    Example:
        >>> from srcore.training.patches import PatchSampler
        >>> hr = [torch.rand(1, 3, 32, 32)]
        >>> sampler = PatchSampler(hr, 2, 16, upsample_input=True)
        >>> net = nn.Conv2d(3, 3, 3, padding=1)
        >>> cfg = TrainConfig(steps=4, batch_size=2, lr=1e-3, log_every=2)
        >>> train(net, nn.functional.mse_loss, sampler, cfg, progress=False).step
        [2, 4]
    """
    from tqdm.auto import tqdm

    t_begin = time.perf_counter()
    device = resolve_device(config.device)
    channels_last = config.channels_last and (
        device.type == "cuda" or use_bf16(config.amp, device)
    )
    fmt = torch.channels_last if channels_last else torch.preserve_format
    model.to(device=device, memory_format=fmt)
    params = model.parameters() if param_groups is None else param_groups(model)
    optimizer = make_optimizer(params, config)
    scheduler = make_scheduler(optimizer, config)
    amp_dtype = _amp_dtype(config, device)
    scaler = torch.amp.GradScaler("cuda", enabled=amp_dtype == torch.float16)
    ckpt_path = None if ckpt_dir is None else Path(ckpt_dir) / CHECKPOINT_NAME
    if deadline is not None and ckpt_path is None:
        raise ValueError("a deadline needs a ckpt_dir to resume from")

    history = TrainHistory(
        device=str(device), precision="bf16" if amp_dtype == torch.bfloat16 else "fp32"
    )
    pending: list[float] = []  # losses since the last history point
    saved: Path | None = None  # the last checkpoint this run may fall back to
    state = _find_checkpoint(ckpt_path, config)
    if state is None:
        seed_everything(config.seed)
    else:
        try:
            model.load_state_dict(state["model"])
        except RuntimeError as err:
            raise RuntimeError(
                f"{ckpt_path} holds weights of another model; delete it or use "
                "another ckpt_dir"
            ) from err
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(state["scheduler"])
        if scaler.is_enabled() and state["scaler"]:
            scaler.load_state_dict(state["scaler"])
        restore_rng_state(state["rng"])
        history = TrainHistory.from_dict(state["history"])
        history.resumed_from = int(state["step"])
        history.device = str(device)
        pending = [float(v) for v in state["pending"]]
        saved = ckpt_path
    start = history.steps_done
    prior_train_seconds = history.seconds_per_step * start
    prior_total_seconds = history.total_seconds
    train_seconds = 0.0

    def checkpoint(done: int) -> None:
        nonlocal saved
        history.steps_done = done
        history.seconds_per_step = (prior_train_seconds + train_seconds) / max(done, 1)
        history.total_seconds = prior_total_seconds + time.perf_counter() - t_begin
        if ckpt_path is None:
            return
        save_checkpoint(
            ckpt_path,
            step=done,
            model=model.state_dict(),
            optimizer=optimizer.state_dict(),
            scheduler=None if scheduler is None else scheduler.state_dict(),
            scaler=scaler.state_dict() if scaler.is_enabled() else None,
            history=history.to_dict(),
            pending=list(pending),
            config=config.to_dict(),
            rng=rng_state(),
        )
        saved = ckpt_path

    was_training = model.training
    model.train()
    window: list[torch.Tensor] = []  # unsynced per-step losses on the device
    bar = tqdm(
        total=config.steps,
        initial=start,
        disable=not progress,
        desc="train",
        leave=False,
        mininterval=PROGRESS_INTERVAL,
    )
    t0 = time.perf_counter()
    end = start if history.stopped else config.steps  # a stopped run stays stopped
    try:
        for step in range(start, end):
            inputs, target = sampler.batch(step, config.batch_size)
            inputs = inputs.to(device, non_blocking=True)
            target = target.to(device, non_blocking=True)
            if channels_last:
                inputs = inputs.contiguous(memory_format=torch.channels_last)
            with torch.autocast(
                device.type, dtype=amp_dtype, enabled=amp_dtype is not None
            ):
                out = model(inputs)
                # a pyramid network (LapSRN) returns one output per level while training
                out = [o.float() for o in out] if isinstance(out, list) else out.float()
                loss = loss_fn(out, target)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            if config.grad_clip is not None:
                scaler.unscale_(optimizer)
                clip_gradients(
                    model.parameters(), config, optimizer.param_groups[0]["lr"]
                )
            scaler.step(optimizer)
            scaler.update()
            if scheduler is not None:
                scheduler.step()
            window.append(loss.detach())
            bar.update(1)

            done = step + 1
            last = done == config.steps
            log_now = done % config.log_every == 0 or last
            val_now = val_fn is not None and config.val_every > 0
            val_now = val_now and (done % config.val_every == 0 or last)
            ckpt_now = ckpt_path is not None and (
                last or (config.ckpt_every > 0 and done % config.ckpt_every == 0)
            )
            if not (log_now or val_now or ckpt_now):
                continue
            values = torch.stack(window).float().cpu().tolist()  # the one sync
            window.clear()
            for i, v in enumerate(values):
                check_finite(v, done - len(values) + i + 1, saved)
            pending.extend(values)
            if log_now:
                history.step.append(done)
                history.loss.append(float(np.mean(pending)))
                pending.clear()
                bar.set_postfix(loss=f"{history.loss[-1]:.4g}", refresh=False)
            train_seconds += time.perf_counter() - t0
            if val_now:
                model.eval()
                with torch.no_grad():
                    history.val_psnr.append(float(val_fn(model)))
                history.val_step.append(done)
                model.train()
            hours = (prior_total_seconds + time.perf_counter() - t_begin) / 3600
            history.stopped = stop_reason(history.val_psnr, hours, config)
            pause = deadline is not None and time.time() > deadline and not last
            if ckpt_now or history.stopped or pause:
                checkpoint(done)
            if pause and not history.stopped:
                raise TrainingPaused(done, ckpt_path)
            t0 = time.perf_counter()
            if history.stopped:
                break
    finally:
        bar.close()
        model.train(was_training)
    if not history.stopped and (history.steps_done < config.steps or ckpt_path is None):
        checkpoint(max(config.steps, start))
    history.heldout_loss, history.interp_loss = heldout_losses(
        model,
        loss_fn,
        sampler,
        history.steps_done,
        config.batch_size,
        device=device,
        dtype=amp_dtype,
    )
    return history
