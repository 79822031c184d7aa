"""One image's ZSSR: its state during training (:class:`ZSSRJob`) and its result.

A job holds everything about one image except its network: the random generator
(seed ``config.seed`` alone, ``config.seed + i`` among N), the father sources (the
LR image, then each gradual stage's output), the reconstruction tests and the
learning-rate policy (``ZSSR.py quick_test``, ``learning_rate_policy``,
github.com/assafshocher/ZSSR), the stage's test-time output (``final_test``) and
the histories that become a :class:`ZSSRResult`. The loops own the networks: the
plain one-image loop (:mod:`~srcore.methods.zssr.single`) and the N-image one
(:mod:`~srcore.methods.zssr.batch`) share the jobs, hence the same data, tests and
policy.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from srcore.losses import dog_pyramid_loss, l1, mse
from srcore.methods.zssr.config import ZSSRConfig, check_config
from srcore.methods.zssr.crops import Pair
from srcore.methods.zssr.fathers import father_to_son, sample_father
from srcore.methods.zssr.policy import lr_check_due, lr_may_drop, lr_should_drop
from srcore.methods.zssr.scale import Scale, out_size, resize_to, scale_pair
from srcore.methods.zssr.test_time import self_ensemble
from srcore.metrics import psnr

__all__ = ["ZSSRResult", "ZSSRJob", "PIXEL_LOSSES", "pixel_loss", "Forward"]

#: A trained network at test time: ``(x, interp) -> output``, ``x`` the network's
#: input image and ``interp`` its bicubic interpolation to the output size.
Forward = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass
class ZSSRResult:
    """One image's ZSSR run. Iteration numbers count iterations *done* over all
    stages; the PSNR trace scores the plain network output (no self-ensemble, no
    back-projection) of the last stage, from iteration 0 on."""

    sr: torch.Tensor  # (1, C, ceil(H s), ceil(W s)) in [0, 1], CPU, post-processed
    iterations: int  # training iterations done (all stages)
    final_lr: float  # learning rate when training stopped
    psnr: float | None  # Y PSNR of `sr` (shave = scale) when `hr` was given
    trace_iters: list[int]  # iterations done at each trace point (with `hr`)
    trace_psnr: list[float]  # PSNR of the plain network output there
    rec_iters: list[int]  # iterations done at each reconstruction test
    rec_mse: list[float]  # MSE(net(son(I)), I) of the LR image I (the lr policy's)
    lr_changes: list[int]  # iterations done when lr was divided by 10
    loss: list[float]  # training loss per iteration
    seconds: float  # wall clock of the whole call (shared by zssr_many's images)
    seconds_per_iter: float  # one training iteration (all images of a zssr_many call)
    state: dict[str, torch.Tensor]  # final network weights, CPU
    rec_interp: float = math.nan  # reconstruction error with the network removed
    rec_final: float = math.nan  # reconstruction error after training (last stage)


#: ``config.loss`` -> the loss function (:mod:`srcore.losses`).
PIXEL_LOSSES: dict[str, Callable[..., torch.Tensor]] = {
    "l1": l1,
    "mse": mse,
    "dog": dog_pyramid_loss,
}


def pixel_loss(c: ZSSRConfig) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """``(output, father) -> loss`` of ``c.loss`` (the DoG loss with its settings).

    Example:
        >>> x = torch.zeros(1, 1, 4, 4)
        >>> float(pixel_loss(ZSSRConfig())(x, x + 0.5))
        0.5
    """
    fn = PIXEL_LOSSES[c.loss]
    if c.loss == "dog":
        return lambda x, y: fn(x, y, c.dog_levels, c.dog_sigma, c.dog_weight)
    return fn


def _check_kernel(kernel, stages: list[tuple[float, float]]) -> torch.Tensor | None:
    if kernel is None:
        return None
    k = torch.as_tensor(np.asarray(kernel) if not torch.is_tensor(kernel) else kernel)
    if k.ndim != 2 or k.shape[0] % 2 == 0 or k.shape[1] % 2 == 0:
        raise ValueError(f"kernel must be (k, k) with odd sides, got {tuple(k.shape)}")
    s = stages[-1]
    if len(stages) != 1 or s[0] != s[1] or s[0] != int(s[0]):
        raise ValueError(
            "a given kernel needs one integer scale stage (no gradual scale_factors), "
            f"got stages {stages}"
        )
    return k.to(torch.float64)


class ZSSRJob:
    """One image's ZSSR state: RNG, father sources, lr policy, histories, results.

    The training loops own the network(s); everything else about an image lives
    here. Per stage a loop calls :meth:`start_stage`, then per iteration
    :meth:`sample_pairs` (and :meth:`drop_masks`), trains on them, and calls
    :meth:`after_step` until :attr:`stopped`; then :meth:`finish_stage`, and at the
    end :meth:`result`. ``fwd`` arguments are the network at test time
    (:data:`Forward`).

    Example:
        >>> cfg = ZSSRConfig(max_iters=2)
        >>> job = ZSSRJob(torch.rand(1, 3, 16, 16), 2, cfg, kernel=None, hr=None,
        ...               seed=0, device=torch.device("cpu"), trace_every=50)
        >>> job.start_stage(0)
        >>> pairs = job.sample_pairs()
        >>> len(pairs), tuple(pairs[0].son.shape[:2]), job.out_size
        (1, (1, 3), (32, 32))
    """

    def __init__(
        self,
        lr_img: torch.Tensor,
        scale: Scale,
        config: ZSSRConfig,
        *,
        kernel,
        hr: torch.Tensor | None,
        seed: int,
        device: torch.device,
        trace_every: int,
    ) -> None:
        check_config(config)
        if trace_every < 1:
            raise ValueError(f"trace_every must be >= 1, got {trace_every}")
        if not isinstance(lr_img, torch.Tensor) or lr_img.ndim != 4:
            shape = tuple(lr_img.shape) if isinstance(lr_img, torch.Tensor) else None
            raise ValueError(f"lr_img must be a (1, C, h, w) tensor, got shape {shape}")
        if lr_img.shape[0] != 1 or not torch.is_floating_point(lr_img):
            raise ValueError(
                "lr_img must be one float image (1, C, h, w), got "
                f"{tuple(lr_img.shape)} {lr_img.dtype}; for several use zssr_many"
            )
        self.c, self.device, self.trace_every = config, device, trace_every
        self.input = lr_img.detach().to("cpu", torch.float32).clamp(0, 1)
        self.stages = [scale_pair(s) for s in (config.scale_factors or (scale,))]
        if self.stages[-1] != scale_pair(scale):
            raise ValueError(
                f"the last of scale_factors {config.scale_factors} must be the scale "
                f"{scale}"
            )
        bp = tuple(config.back_projection_iters)
        if len(bp) not in (1, len(self.stages)):
            raise ValueError(
                f"back_projection_iters needs 1 or {len(self.stages)} entries, got {bp}"
            )
        self.bp_iters = bp * len(self.stages) if len(bp) == 1 else bp
        self.kernel = _check_kernel(kernel, self.stages)
        h, w = self.input.shape[-2:]
        self._check_size(h, w)
        self.out_size = out_size((h, w), scale)
        self.shave = max(1, round(max(scale_pair(scale))))
        if hr is not None and tuple(hr.shape) != (1, lr_img.shape[1], *self.out_size):
            raise ValueError(
                f"hr must be {(1, lr_img.shape[1], *self.out_size)}, got "
                f"{tuple(hr.shape)}"
            )
        self.hr = None if hr is None else hr.detach().to("cpu", torch.float32)
        self.gen = torch.Generator().manual_seed(seed)
        self.dgen = (
            torch.Generator(device).manual_seed(seed) if config.dropout > 0 else None
        )
        # Fathers, sons and tests are made on the device (a GPU would otherwise wait
        # on the CPU); the random draws stay on the image's CPU generator.
        self.sources, self.source_scales = [self.input.to(device)], [1.0]
        self.base_img, self.base_sf, self.base_ind = self.sources[0], (1.0, 1.0), 0
        self.iters, self.lr, self.stopped = 0, config.lr, False
        self.loss: list[float] = []
        self.rec_iters: list[int] = []
        self.rec_mse: list[float] = []
        self.lr_changes: list[int] = []
        self.trace_iters: list[int] = []
        self.trace_psnr: list[float] = []
        self.trace_seconds = 0.0
        self.rec_interp, self.rec_final = math.nan, math.nan
        self.stage_interp = math.nan  # the lr guard's baseline, per stage
        self.sr: torch.Tensor | None = None
        self.psnr: float | None = None
        if config.upsample == "pixelshuffle" and len(self.stages) > 1:
            raise ValueError("upsample='pixelshuffle' supports one scale stage only")

    def _check_size(self, h: int, w: int) -> None:
        biggest = max(max(s) for s in self.stages)
        need = max(
            2 * math.ceil(biggest), 0 if self.kernel is None else self.kernel.shape[0]
        )
        have = int(min(h, w) * self.c.min_scale)
        if have < need:
            raise ValueError(
                f"image {h}x{w} is too small for ZSSR at x{biggest:g}: its smallest "
                f"fathers (min_scale {self.c.min_scale}) would be {have} px, and need "
                f">= {need} px; use an LR image of at least "
                f"{math.ceil(need / self.c.min_scale)} px per side"
            )

    # -- stages
    def start_stage(self, k: int) -> None:
        sf = self.stages[k]
        self.stage, self.final_stage = k, k == len(self.stages) - 1
        self.sf = (sf[0] / self.base_sf[0], sf[1] / self.base_sf[1])
        self.stage_size = out_size(self.input.shape[-2:], sf)
        scales = [1.0] + [min(s) for s in self.stages]
        self.max_scale = scales[len(self.sources) - 1]
        self.lr, self.last_change, self.stopped = self.c.lr, 0, False
        self._rec_t: list[int] = []
        self._rec_e: list[float] = []
        if self.final_stage:  # the health rule's baseline (srcore.health)
            self.rec_interp = self.rec_error(lambda x, interp: interp)
            self.stage_interp = self.rec_interp
        elif self.c.lr_hold_margin > 0:  # the lr rule's guard (policy.lr_may_drop)
            self.stage_interp = self.rec_error(lambda x, interp: interp)

    @property
    def tracing(self) -> bool:
        return self.hr is not None and self.final_stage

    def finish_stage(self, fwd: Forward, output: str) -> None:
        """Trace, then the stage's SR: ``output`` "ensemble" (self-ensemble and
        back-projection), "plain" (the network alone) or "none" (last stage only:
        no SR, for pretraining)."""
        if self.tracing and (
            not self.trace_iters or self.trace_iters[-1] != self.iters
        ):
            self.trace(fwd)
        if self.final_stage:
            self.rec_final = self.rec_error(fwd)
        if output == "none" and self.final_stage:
            return
        if output == "ensemble":
            sr = self_ensemble(
                lambda x, size: self.net_sr(fwd, x, size),
                self.base_img,
                self.sf,
                size=self.stage_size,
                flips=self.c.output_flip,
                bp_iters=self.bp_iters[self.stage],
                kernel=self.kernel,
            )
        else:
            sr = self.net_sr(fwd, self.base_img, self.stage_size)
        self.sr = sr.float().cpu()
        sf = self.stages[self.stage]
        self.sources.append(sr.float())
        self.source_scales.append(min(sf))
        changes = [scale_pair(s) for s in self.c.base_change_sfs]
        if self.base_ind < len(changes) and all(
            abs(a - b) < 1e-3 for a, b in zip(sf, changes[self.base_ind], strict=True)
        ):
            self.base_img, self.base_sf = self.sources[-1], sf
            self.base_ind += 1
        if self.final_stage and self.hr is not None:
            self.psnr = float(psnr(self.sr, self.hr, shave=self.shave)[0])

    # -- training data
    def son(self, father: torch.Tensor) -> torch.Tensor:
        return father_to_son(
            father,
            self.sf,
            kernel=self.kernel,
            noise_std=self.c.noise_std,
            seed=self.gen,
        )

    def sample_pairs(self) -> list[Pair]:
        pairs = []
        for _ in range(self.c.batch_size):
            father = sample_father(
                self.sources,
                self.source_scales,
                self.c,
                self.gen,
                max_scale=self.max_scale,
            )
            son = self.son(father)
            pairs.append(Pair(father, son, resize_to(son, self.sf, father.shape[-2:])))
        return pairs

    def drop_masks(
        self, pairs: list[Pair], at_lr: bool
    ) -> list[list[torch.Tensor]] | None:
        """Dropout masks of layers 1-2 for each crop at its own size, from the
        image's device generator (so a crop gets the same mask alone or batched)."""
        if self.dgen is None:
            return None
        p, masks = self.c.dropout, []
        for pair in pairs:
            hw = (pair.son if at_lr else pair.father).shape[-2:]
            shape = (1, self.c.width, *hw)
            masks.append(
                [
                    (torch.rand(shape, generator=self.dgen, device=self.device) >= p)
                    / (1 - p)
                    for _ in range(2)
                ]
            )
        return masks

    def crop_loss(
        self, out: torch.Tensor, father: torch.Tensor, sizes: Sequence[tuple[int, int]]
    ) -> torch.Tensor:
        """Mean over the crops of the pixel loss on each crop's own region."""
        fn = pixel_loss(self.c)
        terms = [
            fn(out[b : b + 1, :, :h, :w], father[b : b + 1, :, :h, :w])
            for b, (h, w) in enumerate(sizes)
        ]
        return torch.stack(terms).mean()

    def contentscale_pair(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Peretz & Rahamim's content-loss input: the whole LR image downscaled and
        interpolated back (son, interp) and the LR image itself, on the device."""
        son = self.son(self.base_img)
        return son, resize_to(son, self.sf, self.base_img.shape[-2:]), self.base_img

    # -- tests
    def net_sr(
        self, fwd: Forward, x: torch.Tensor, size: Sequence[int]
    ) -> torch.Tensor:
        """The network's SR of ``x`` (device) at ``size``, clipped to [0, 1]."""
        return fwd(x, resize_to(x, self.sf, size)).float().clamp(0, 1)

    def rec_error(self, fwd: Forward) -> float:
        """MSE of the LR image reconstructed from its son by ``fwd``."""
        son = self.son(self.base_img)
        out = self.net_sr(fwd, son, self.base_img.shape[-2:])
        return float((out - self.base_img).square().mean())

    def rec_test(self, it: int, fwd: Forward) -> None:
        """ZSSR.py ``quick_test`` item 2: reconstruct the LR image from its son."""
        err = self.rec_error(fwd)
        self._rec_t.append(it)
        self._rec_e.append(err)
        self.rec_iters.append(self.iters)
        self.rec_mse.append(err)

    def trace(self, fwd: Forward) -> None:
        t0 = time.perf_counter()
        sr = self.net_sr(fwd, self.base_img, self.stage_size)
        self.trace_iters.append(self.iters)
        self.trace_psnr.append(float(psnr(sr.cpu(), self.hr, shave=self.shave)[0]))
        self.trace_seconds += time.perf_counter() - t0

    def after_step(self, it: int, loss: float, fwd: Forward) -> None:
        """Book-keeping after training iteration ``it`` (0-based, this stage), in the
        reference's order: test every ``test_every``, lr policy, stop below min_lr."""
        c = self.c
        self.iters += 1
        self.loss.append(loss)
        if it % c.test_every == 0:
            self.rec_test(it, fwd)
        if self.tracing and self.iters % self.trace_every == 0:
            self.trace(fwd)
        n = c.lr_slope_range // c.test_every
        if (
            c.lr_policy
            and lr_check_due(it, self.last_change, c)
            and len(self._rec_e) >= n
        ):
            if lr_should_drop(
                self._rec_t[-n:], self._rec_e[-n:], c.lr_change_ratio
            ) and lr_may_drop(self._rec_e[-1], self.stage_interp, c.lr_hold_margin):
                self.lr /= 10
                self.last_change = it
                self.lr_changes.append(self.iters)
        if self.lr < c.min_lr:
            self.stopped = True

    def result(
        self, state: dict[str, torch.Tensor], seconds: float, per_iter: float
    ) -> ZSSRResult:
        return ZSSRResult(
            sr=self.sr,
            iterations=self.iters,
            final_lr=self.lr,
            psnr=self.psnr,
            trace_iters=self.trace_iters,
            trace_psnr=self.trace_psnr,
            rec_iters=self.rec_iters,
            rec_mse=self.rec_mse,
            lr_changes=self.lr_changes,
            loss=self.loss,
            rec_interp=self.rec_interp,
            rec_final=self.rec_final,
            seconds=seconds,
            seconds_per_iter=per_iter,
            state=state,
        )
