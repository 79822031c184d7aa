"""SRGAN's adversarial training loop (Ledig et al., CVPR 2017, §2.2 and §3.2).

Alternating updates (k = 1): the discriminator on ``(HR, G(LR).detach())`` with the
binary cross-entropy of eq. (2), then the generator on
``l_SR = l_content + 10^-3 l_adv`` (eq. 3), ``l_adv = -log D(G(LR))`` (eq. 6). The
content loss is VGG54 or, where the VGG weights cannot be had, the paper's own
SRGAN-MSE variant. Batches, checkpoints and the NaN guard are the supervised loop's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from srcore import losses
from srcore.precision import autocast, precision_name
from srcore.training import loop
from srcore.training.loop import BatchSource, check_finite, heldout_losses
from srcore.vgg import vgg_weights_available


def content_loss_name(requested: str = "vgg54") -> str:
    """``requested`` if it can run here, else ``"mse"`` (SRGAN-MSE, the paper's
    Table 1): VGG54 needs ImageNet weights, and random features are no loss at all.
    """
    if requested.startswith("vgg") and not vgg_weights_available():
        return "mse"
    return requested


def _content_loss(name: str, device: torch.device) -> Callable:
    if name == "mse":
        return losses.mse
    layer = {"vgg54": "relu5_4", "vgg22": "relu2_2"}[name]
    return losses.PerceptualLoss(layer, device=device)


def train_srgan(
    generator: nn.Module,
    discriminator: nn.Module,
    sampler: BatchSource,
    *,
    steps: int,
    batch_size: int,
    lr: float,
    lr_final: float,
    lr_switch: int,
    beta1: float = 0.9,
    adv_weight: float = 1e-3,
    content: str = "mse",
    seed: int = 0,
    device: torch.device | str = "cpu",
    ckpt_dir: Path | None = None,
    val_fn: Callable[[nn.Module], float] | None = None,
    val_every: int = 0,
    ckpt_every: int = 0,
    log_every: int = 10,
    progress: bool = True,
    amp: bool = True,
) -> dict[str, Any]:
    """Train ``generator`` against ``discriminator``; returns the history as a dict.

    The keys of :class:`srcore.training.loop.TrainHistory` (``loss``: the generator's
    total) plus ``content``, ``adv``, ``d_loss`` and ``d_real`` /
    ``d_fake`` (the discriminator's mean probabilities). With ``amp`` on native bf16
    the networks run under autocast; losses, weights and Adam stay fp32.
    """
    device = torch.device(device)
    generator.to(device).train()
    discriminator.to(device).train()
    content_fn = _content_loss(content, device)
    opt_g = torch.optim.Adam(generator.parameters(), lr=lr, betas=(beta1, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr, betas=(beta1, 0.999))
    keys = ("step", "loss", "content", "adv", "d_loss", "d_real", "d_fake")
    precision = precision_name(amp, device)
    hist = loop.TrainHistory(device=str(device), precision=precision).to_dict()
    hist.update({k: [] for k in keys[2:]})
    run_config = {"steps": steps, "batch_size": batch_size, "lr": lr, "seed": seed}
    ckpt = None if ckpt_dir is None else Path(ckpt_dir) / loop.CHECKPOINT_NAME
    start = 0
    if ckpt is not None and ckpt.exists():
        state = loop.load_checkpoint(ckpt)
        if state.get("config") == run_config:
            generator.load_state_dict(state["generator"])
            discriminator.load_state_dict(state["discriminator"])
            opt_g.load_state_dict(state["opt_g"])
            opt_d.load_state_dict(state["opt_d"])
            loop.restore_rng_state(state["rng"])
            hist = state["history"]
            start = hist["resumed_from"] = int(state["step"])
    if start == 0:
        loop.seed_everything(seed)
    saved = ckpt if start else None
    base_total = float(hist["total_seconds"])
    pending: list[list[float]] = []
    t_train = 0.0
    t_begin = time.perf_counter()
    bar = tqdm(range(start, steps), desc="srgan", disable=not progress, leave=False)
    for t in bar:
        t0 = time.perf_counter()
        rate = lr if t < lr_switch else lr_final
        for opt in (opt_g, opt_d):
            for group in opt.param_groups:
                group["lr"] = rate
        lr_img, hr = (x.to(device) for x in sampler.batch(t, batch_size))
        with autocast(amp, device):
            sr = generator(lr_img).float()
            d_real = discriminator(hr).float()
            d_fake = discriminator(sr.detach()).float()
        d_loss = losses.adversarial_loss_discriminator(d_real, d_fake)
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        c_loss = content_fn(sr, hr)
        with autocast(amp, device):
            d_gen = discriminator(sr).float()
        a_loss = losses.adversarial_loss_generator(d_gen)
        g_loss = c_loss + adv_weight * a_loss
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        t_train += time.perf_counter() - t0
        probs = [torch.sigmoid(d).mean() for d in (d_real, d_fake)]
        pending.append([v.item() for v in (g_loss, c_loss, a_loss, d_loss, *probs)])
        done = t + 1
        last = done == steps
        if done % log_every == 0 or last:
            means = np.mean(pending, axis=0).tolist()
            for value in (means[0], means[3]):
                check_finite(value, done, saved)
            hist["step"].append(done)
            for k, v in zip(keys[1:], means, strict=True):
                hist[k].append(v)
            pending = []
            bar.set_postfix(g=f"{means[0]:.4f}", d=f"{means[3]:.3f}")
        if val_fn is not None and val_every and (done % val_every == 0 or last):
            generator.eval()
            with torch.no_grad():
                hist["val_step"].append(done)
                hist["val_psnr"].append(float(val_fn(generator)))
            generator.train()
        if ckpt is not None and ((ckpt_every and done % ckpt_every == 0) or last):
            hist["steps_done"] = done
            hist["seconds_per_step"] = t_train / max(done - start, 1)
            hist["total_seconds"] = base_total + time.perf_counter() - t_begin
            saved = loop.save_checkpoint(
                ckpt,
                generator=generator.state_dict(),
                discriminator=discriminator.state_dict(),
                opt_g=opt_g.state_dict(),
                opt_d=opt_d.state_dict(),
                rng=loop.rng_state(),
                history=hist,
                step=done,
                config=run_config,
            )
    hist["steps_done"] = steps
    if steps > start:
        hist["seconds_per_step"] = t_train / (steps - start)
    hist["total_seconds"] = base_total + time.perf_counter() - t_begin
    hist["heldout_loss"], hist["interp_loss"] = heldout_losses(
        generator, content_fn, sampler, steps, batch_size, device=device
    )
    generator.eval()
    discriminator.eval()
    return hist
