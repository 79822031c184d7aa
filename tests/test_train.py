"""The training loop: it learns, resumes bit-exactly, stops on NaN, clips, schedules."""

from __future__ import annotations

import json
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from srcore import imresize
from srcore.imageops import quantize
from srcore.training.loop import (
    CHECKPOINT_NAME,
    TrainHistory,
    TrainingDiverged,
    TrainingPaused,
    check_finite,
    count_parameters,
    load_checkpoint,
    psnr_validator,
    save_checkpoint,
    train,
)
from srcore.training.optim import (
    TrainConfig,
    clip_gradients,
    make_optimizer,
    make_scheduler,
)
from srcore.training.patches import PatchSampler, validation_pairs


def _smooth_images(n: int = 3, seed: int = 0) -> list[torch.Tensor]:
    """Smooth images (random 8x10 grids enlarged by bicubic): SR is learnable."""
    g = torch.Generator().manual_seed(seed)
    return [
        quantize(imresize(torch.rand(1, 3, 8, 10, generator=g), 5)) for _ in range(n)
    ]


class TinyNet(nn.Module):
    """3 conv layers on the bicubic-upsampled input (SRCNN-shaped), with dropout so
    that resuming must also restore torch's RNG."""

    def __init__(self, channels: int = 1, dropout: float = 0.0) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, 8, 3, padding=1),
            nn.ReLU(),
            nn.Dropout2d(dropout),
            nn.Conv2d(8, 8, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(8, channels, 3, padding=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


def _sampler(seed: int = 0) -> PatchSampler:
    return PatchSampler(
        _smooth_images(), 2, 12, channels="y", upsample_input=True, seed=seed
    )


def _net(seed: int, dropout: float = 0.0) -> TinyNet:
    torch.manual_seed(seed)
    return TinyNet(dropout=dropout)


def test_a_few_steps_lower_the_loss():
    cfg = TrainConfig(steps=20, batch_size=4, lr=5e-3, log_every=5, seed=0)
    history = train(_net(0), F.mse_loss, _sampler(), cfg, progress=False)
    assert history.step == [5, 10, 15, 20]
    assert history.loss[-1] < 0.3 * history.loss[0]  # 0.168 -> 0.032 when written
    assert history.steps_done == 20 and history.resumed_from is None
    assert history.device == "cpu" and history.seconds_per_step > 0
    assert history.total_seconds >= history.seconds_per_step * 20


class Crash(Exception):
    pass


def _crash_at(call: int):
    """A loss that raises at its ``call``-th use: a power cut in the middle of a run."""
    calls = 0

    def loss_fn(output, target):
        nonlocal calls
        calls += output.requires_grad  # training steps, not the health baseline
        if calls == call:
            raise Crash(f"simulated crash at call {call}")
        return F.mse_loss(output, target)

    return loss_fn


def test_resume_gives_the_same_weights_as_an_uninterrupted_run(tmp_path):
    cfg = TrainConfig(
        steps=10,
        batch_size=4,
        lr=0.05,
        optimizer="sgd",
        momentum=0.9,
        schedule="cosine",
        grad_clip=0.5,
        ckpt_every=4,
        log_every=3,  # not a divisor of ckpt_every: the checkpoint keeps a partial mean
        val_every=4,
        seed=3,
    )
    val_fn = psnr_validator(
        validation_pairs(_smooth_images(1, seed=9), 2, "y", True), shave=2
    )
    straight = _net(0, dropout=0.2)
    ref = train(straight, F.mse_loss, _sampler(), cfg, val_fn=val_fn, progress=False)

    run_dir = tmp_path / "run"
    crashed = _net(0, dropout=0.2)
    with pytest.raises(Crash):
        train(crashed, _crash_at(6), _sampler(), cfg, val_fn=val_fn, ckpt_dir=run_dir)
    assert load_checkpoint(run_dir / CHECKPOINT_NAME)["step"] == 4

    resumed = _net(123, dropout=0.2)  # new objects, other initial weights
    history = train(
        resumed, F.mse_loss, _sampler(), cfg, val_fn=val_fn, ckpt_dir=run_dir
    )
    assert history.resumed_from == 4 and history.steps_done == 10
    for a, b in zip(
        straight.state_dict().values(), resumed.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b)
    assert history.step == ref.step == [3, 6, 9, 10]
    assert history.loss == ref.loss
    assert history.val_step == ref.val_step == [4, 8, 10]
    assert history.val_psnr == ref.val_psnr

    # A finished checkpoint is returned as is; the loss is never called.
    again = train(_net(5), _crash_at(1), _sampler(), cfg, ckpt_dir=run_dir)
    assert again.loss == ref.loss and again.steps_done == 10


def _counting_validator(values):
    """A validator that returns ``values`` one after the other (then the last)."""
    calls = []

    def val_fn(model):
        calls.append(1)
        return values[min(len(calls), len(values)) - 1]

    return val_fn


def test_plateau_rule_stops_a_flat_curve_and_a_resumed_run_stays_stopped(tmp_path):
    """Validations at steps 2, 4, 6: the best of the last two (30.02) is not 0.05 dB
    above the best before them (30.0), so the run stops at step 6 of 20; run again
    from its checkpoint, it returns at once with the same history and weights."""
    cfg = TrainConfig(
        steps=20,
        batch_size=2,
        lr=1e-3,
        log_every=2,
        val_every=2,
        ckpt_every=4,
        plateau_checks=2,
        plateau_db=0.05,
    )
    flat = _counting_validator([30.0, 30.01, 30.02, 35.0])
    net = _net(0)
    history = train(net, F.mse_loss, _sampler(), cfg, val_fn=flat, ckpt_dir=tmp_path)
    assert history.steps_done == 6 and history.val_step == [2, 4, 6]
    assert history.stopped.startswith("plateau: the last 2 validations rose 0.020")
    weights = {k: v.clone() for k, v in net.state_dict().items()}
    again_net = _net(7)
    again = train(
        again_net, _crash_at(1), _sampler(), cfg, val_fn=flat, ckpt_dir=tmp_path
    )
    assert again.steps_done == 6 and again.stopped == history.stopped
    assert again.val_psnr == history.val_psnr
    for k, v in again_net.state_dict().items():
        assert torch.equal(v, weights[k])


def test_plateau_rule_lets_a_rising_curve_train_to_the_end():
    cfg = TrainConfig(
        steps=12,
        batch_size=2,
        lr=1e-3,
        log_every=2,
        val_every=2,
        plateau_checks=2,
        plateau_db=0.05,
    )
    rising = _counting_validator([30.0 + 0.1 * k for k in range(10)])
    history = train(_net(0), F.mse_loss, _sampler(), cfg, val_fn=rising, progress=False)
    assert history.steps_done == 12 and history.stopped is None


def test_time_cap_stops_at_the_first_check_past_it():
    cfg = TrainConfig(steps=12, batch_size=2, lr=1e-3, log_every=3, max_hours=1e-12)
    history = train(_net(0), F.mse_loss, _sampler(), cfg, progress=False)
    assert history.steps_done == 3 and history.stopped.startswith("time cap")


def test_a_deadline_pauses_training_and_the_resumed_run_ends_the_same(tmp_path):
    """Past its deadline a run checkpoints at its next log point and pauses; resumed
    without a deadline it ends with the weights of a run that never paused."""
    cfg = TrainConfig(steps=12, batch_size=2, lr=1e-3, log_every=3, seed=1)
    straight = _net(0)
    train(straight, F.mse_loss, _sampler(), cfg, progress=False)
    paused = _net(0)
    with pytest.raises(TrainingPaused) as info:
        train(paused, F.mse_loss, _sampler(), cfg, ckpt_dir=tmp_path, deadline=0.0)
    assert info.value.step == 3
    resumed = _net(9)
    history = train(resumed, F.mse_loss, _sampler(), cfg, ckpt_dir=tmp_path)
    assert history.resumed_from == 3 and history.steps_done == 12
    for a, b in zip(
        straight.state_dict().values(), resumed.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b)
    with pytest.raises(ValueError, match="needs a ckpt_dir"):
        train(_net(0), F.mse_loss, _sampler(), cfg, deadline=0.0)


def test_stopping_rule_settings_are_checked():
    with pytest.raises(ValueError, match="val_every > 0 for a plateau rule"):
        TrainConfig(plateau_checks=2)
    with pytest.raises(ValueError, match="max_hours > 0"):
        TrainConfig(max_hours=0)


def test_checkpoint_of_another_config_is_not_resumed(tmp_path):
    cfg = TrainConfig(steps=4, batch_size=2, lr=1e-3, ckpt_every=2, log_every=2)
    train(_net(0), F.mse_loss, _sampler(), cfg, ckpt_dir=tmp_path, progress=False)
    other = TrainConfig(steps=4, batch_size=2, lr=2e-3, ckpt_every=2, log_every=2)
    with pytest.warns(UserWarning, match="another training config"):
        history = train(
            _net(0), F.mse_loss, _sampler(), other, ckpt_dir=tmp_path, progress=False
        )
    assert history.resumed_from is None
    assert load_checkpoint(tmp_path / CHECKPOINT_NAME)["config"]["lr"] == 2e-3


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    calls = 0

    def loss_fn(output, target):
        nonlocal calls
        calls += output.requires_grad  # training steps, not the health baseline
        loss = F.mse_loss(output, target)
        return loss * math.nan if calls == 6 and output.requires_grad else loss

    cfg = TrainConfig(steps=12, batch_size=2, lr=1e-3, ckpt_every=4, log_every=5)
    with pytest.raises(TrainingDiverged) as info:
        train(_net(0), loss_fn, _sampler(), cfg, ckpt_dir=tmp_path, progress=False)
    path = tmp_path / CHECKPOINT_NAME
    message = str(info.value)
    assert "step 6" in message and "nan" in message and str(path) in message
    assert info.value.step == 6 and info.value.checkpoint == path
    state = torch.load(path, map_location="cpu", weights_only=True)
    assert state["step"] == 4  # the NaN was caught before the step-8 checkpoint
    net = TinyNet()
    net.load_state_dict(state["model"])
    assert all(torch.isfinite(p).all() for p in net.parameters())

    with pytest.raises(TrainingDiverged, match="no checkpoint was saved"):
        check_finite(torch.tensor(math.inf), 3, None)
    check_finite(torch.tensor(1.0), 3, None)


def test_adjustable_clipping_bounds_each_update_by_theta():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 1, 6, 6, generator=g)

    class Fixed:
        def batch(self, step, batch_size):
            return x, torch.zeros_like(x)

    def huge(output, target):
        return 1e6 * F.mse_loss(output, target)

    def max_update(mode: str) -> float:
        net = _net(0)
        before = [p.detach().clone() for p in net.parameters()]
        cfg = TrainConfig(
            steps=1, batch_size=2, lr=0.1, optimizer="sgd", momentum=0.0,
            grad_clip=0.01, grad_clip_mode=mode, log_every=1,
        )  # fmt: skip
        train(net, huge, Fixed(), cfg, progress=False)
        return max(
            float((p.detach() - b).abs().max())
            for p, b in zip(net.parameters(), before, strict=True)
        )

    # VDSR: gradients clipped to ±θ/lr, so a weight moves by at most θ = 0.01 ...
    assert max_update("adjustable") == pytest.approx(0.01, rel=1e-4)
    # ... while plain value clipping at θ moves it by at most lr θ.
    assert max_update("value") == pytest.approx(0.001, rel=1e-4)

    p = nn.Parameter(torch.zeros(3))
    p.grad = torch.tensor([-5.0, 0.5, 5.0])
    clip_gradients([p], TrainConfig(grad_clip=0.1, grad_clip_mode="adjustable"), 0.1)
    assert p.grad.tolist() == [-1.0, 0.5, 1.0]
    p.grad = torch.tensor([3.0, 4.0, 0.0])
    clip_gradients([p], TrainConfig(grad_clip=1.0, grad_clip_mode="norm"), 0.1)
    assert float(p.grad.norm()) == pytest.approx(1.0, rel=1e-5)


def _lrs(cfg: TrainConfig, n: int) -> list[float]:
    opt = make_optimizer([nn.Parameter(torch.zeros(1))], cfg)
    sched = make_scheduler(opt, cfg)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        if sched is not None:
            sched.step()
    out.append(opt.param_groups[0]["lr"])
    return out


def test_schedules():
    step = _lrs(TrainConfig(lr=1.0, schedule="step", step_size=3, gamma=0.1), 7)
    assert step == pytest.approx([1, 1, 1, 0.1, 0.1, 0.1, 0.01, 0.01])
    cosine = _lrs(TrainConfig(lr=1.0, schedule="cosine", steps=4), 4)
    assert cosine == pytest.approx(
        [(1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)]
    )
    assert _lrs(TrainConfig(lr=0.5), 3) == [0.5] * 4
    assert isinstance(make_optimizer([nn.Parameter(torch.zeros(1))], TrainConfig()),
                      torch.optim.Adam)  # fmt: skip


def test_config_is_validated():
    with pytest.raises(ValueError, match="optimizer"):
        TrainConfig(optimizer="adamw")
    with pytest.raises(ValueError, match="step_size"):
        TrainConfig(schedule="step")
    with pytest.raises(ValueError, match="grad_clip_mode"):
        TrainConfig(grad_clip_mode="global")


def test_history_round_trip_through_json():
    history = TrainHistory(
        step=[10, 20], loss=[0.5, 0.25], val_step=[20], val_psnr=[31.5],
        seconds_per_step=0.01, total_seconds=0.3, device="cpu", steps_done=20,
        resumed_from=10,
    )  # fmt: skip
    back = TrainHistory.from_dict(json.loads(json.dumps(history.to_dict())))
    assert back == history
    with pytest.raises(TypeError):
        TrainHistory.from_dict({**history.to_dict(), "lossy": []})


def test_checkpoint_helpers_round_trip(tmp_path):
    path = save_checkpoint(tmp_path / "a" / "c.pt", step=3, w=torch.ones(2), k=[1.5])
    state = load_checkpoint(path)
    assert (
        state["step"] == 3
        and state["k"] == [1.5]
        and torch.equal(state["w"], torch.ones(2))
    )
    assert [p.name for p in path.parent.iterdir()] == ["c.pt"]  # no temporary left


def test_count_parameters():
    assert count_parameters(nn.Conv2d(3, 8, 3)) == 3 * 8 * 9 + 8
    assert count_parameters(TinyNet()) == (9 * 8 + 8) + (72 * 8 + 8) + (72 + 1)
