"""ZSSR at test time (``ZSSR.py final_test``, ``utils.py back_projection``): the
geometric self-ensemble with back-projection (Irani & Peleg 1991), the network's SR
of an image (:func:`net_sr`); and :class:`ImageState`, one image's bookkeeping
around the training steps, which both loops share: the reconstruction test that
drives the learning-rate rule, each stage's output.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch

from srcore.degrade import downscale_with_kernel
from srcore.geometry import dihedral, undo_dihedral
from srcore.methods.zssr.config import ZSSRConfig
from srcore.methods.zssr.fathers import Pair, father_to_son, sample_pairs
from srcore.methods.zssr.image import (
    Plan,
    Scale,
    ZSSRResult,
    out_size,
    resize_to,
    scale_pair,
)
from srcore.methods.zssr.optim import lr_drops
from srcore.metrics import psnr
from srcore.precision import autocast

__all__ = [
    "Forward",
    "back_projection",
    "self_ensemble",
    "net_sr",
    "ImageState",
]

#: A trained network at test time: ``(x, interp) -> output``, ``x`` the network's
#: input image and ``interp`` its bicubic interpolation to the output size.
Forward = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def back_projection(
    sr: torch.Tensor,
    lr_img: torch.Tensor,
    scale: Scale,
    *,
    kernel: torch.Tensor | None = None,
) -> torch.Tensor:
    """One back-projection step: ``sr + U(lr - D(sr))``, clipped to [0, 1].

    ``D``: bicubic or the kernel's blur-and-subsample; ``U``: bicubic upscaling.

    Example:
        >>> lr = torch.rand(1, 1, 8, 8)
        >>> tuple(back_projection(torch.rand(1, 1, 16, 16), lr, 2).shape)
        (1, 1, 16, 16)
    """
    s = scale_pair(scale)
    if kernel is None:
        down = resize_to(sr, (1 / s[0], 1 / s[1]), lr_img.shape[-2:])
    else:
        down = downscale_with_kernel(sr, kernel, int(s[0]))
    return (sr + resize_to(lr_img - down, s, sr.shape[-2:])).clamp(0, 1)


def _median(outputs: list[torch.Tensor]) -> torch.Tensor:
    """Element-wise ``np.median`` (``torch.median`` returns the lower middle value)."""
    stacked = torch.stack(outputs).sort(dim=0).values
    n = len(outputs)
    return (stacked[(n - 1) // 2] + stacked[n // 2]) / 2


def self_ensemble(
    upscale: Callable[[torch.Tensor, tuple[int, int]], torch.Tensor],
    lr_img: torch.Tensor,
    scale: Scale,
    *,
    size: tuple[int, int] | None = None,
    flips: bool = True,
    bp_iters: int = 0,
    kernel: torch.Tensor | None = None,
) -> torch.Tensor:
    """Geometric self-ensemble with back-projection (ZSSR.py ``final_test``).

    ``BP^n(median_k BP^n(T_k^-1 upscale(T_k lr)))`` over the 8 dihedral ``T_k`` (the 4
    rotations when the axes' scales differ; none without ``flips``), ``n = bp_iters``;
    ``upscale(x, size)`` maps ``(1, C, h', w')`` to ``(1, C, *size)``.

    Example:
        >>> from srcore.resize import imresize
        >>> lr = torch.rand(1, 1, 8, 8)
        >>> bic = lambda x, size: imresize(x, size=size)
        >>> out = self_ensemble(bic, lr, 2)
        >>> bool(torch.allclose(out, imresize(lr, 2), atol=1e-6))
        True
    """
    s = scale_pair(scale)
    size = tuple(size) if size is not None else out_size(lr_img.shape[-2:], s)
    ks = range(0, 8, 1 if s[0] == s[1] else 2) if flips else range(1)
    outputs = []
    for k in ks:
        out = upscale(dihedral(lr_img, k), size if k % 2 == 0 else size[::-1])
        out = undo_dihedral(out, k)
        for _ in range(bp_iters):
            out = back_projection(out, lr_img, s, kernel=kernel)
        outputs.append(out)
    sr = _median(outputs)
    for _ in range(bp_iters):
        sr = back_projection(sr, lr_img, s, kernel=kernel)
    return sr


def net_sr(
    fwd: Forward, x: torch.Tensor, scale: Scale, size: Sequence[int]
) -> torch.Tensor:
    """The network's SR of ``x`` ``(1, C, h, w)`` at ``size``, clipped to [0, 1].

    Example:
        >>> bic = lambda x, interp: interp
        >>> tuple(net_sr(bic, torch.rand(1, 3, 8, 8), 2, (16, 16)).shape)
        (1, 3, 16, 16)
    """
    return fwd(x, resize_to(x, scale, size)).float().clamp(0, 1)


@dataclass
class ImageState:
    """One image's run between training steps, as both loops keep it: its random
    streams, father sources and base image, the current stage's scale, lr rule and
    tests, and its result. A loop calls :meth:`begin_stage`, :meth:`step_done` after
    each step and :meth:`end_stage`."""

    p: Plan
    gen: torch.Generator  # every draw of the image: init, fathers, noise
    # Dropout masks on the device (ZSSRNet takes them explicitly): no forward draws
    # from torch's global generator, and a crop gets the same mask in both loops.
    dgen: torch.Generator | None
    base_img: torch.Tensor  # what the network upscales (changed at base_change_sfs)
    sources: list[torch.Tensor]  # father sources: the LR image, stage outputs
    source_scales: list[float] = field(default_factory=lambda: [1.0])
    res: ZSSRResult = field(default_factory=ZSSRResult.empty)
    base_sf: tuple[float, float] = (1.0, 1.0)
    bases: int = 0  # base changes done
    # the current stage's
    k: int = 0
    sf: tuple[float, float] = (1.0, 1.0)  # from the base image
    size: tuple[int, int] = (0, 0)
    max_scale: float = 1.0
    lr: float = math.nan
    last_change: int = 0
    rec_t: list[int] = field(default_factory=list)
    rec_e: list[float] = field(default_factory=list)
    interp_error: float = math.nan  # the lr rule's guard, the health rule's baseline
    stopped: bool = False
    tracing: bool = False  # PSNR trace points (last stage, with hr)

    @classmethod
    def start(cls, p: Plan, c: ZSSRConfig, seed: int, dev: torch.device) -> ImageState:
        dgen = torch.Generator(dev).manual_seed(seed) if c.dropout > 0 else None
        lr_img = p.lr_img.to(dev)
        return cls(p, torch.Generator().manual_seed(seed), dgen, lr_img, [lr_img])

    @property
    def final(self) -> bool:
        return self.k == len(self.p.stages) - 1

    def trace(self, fwd: Forward) -> None:
        """PSNR of the plain network output of the stage, at the iterations done."""
        sr, res = net_sr(fwd, self.base_img, self.sf, self.size), self.res
        res.trace_iters.append(res.iterations)
        res.trace_psnr.append(float(psnr(sr.cpu(), self.p.hr, shave=self.p.shave)[0]))

    def son(self, c: ZSSRConfig) -> tuple[torch.Tensor, torch.Tensor]:
        """The base image's son (noise from the image's generator) and the son's
        interpolation back to the base image's size."""
        son = father_to_son(
            self.base_img,
            self.sf,
            kernel=self.p.kernel,
            noise_std=c.noise_std,
            seed=self.gen,
        )
        return son, resize_to(son, self.sf, self.base_img.shape[-2:])

    def test(self, fwd: Forward, c: ZSSRConfig) -> float:
        """``MSE(net(son(I)), I)``: how well the network rebuilds the base image
        ``I`` from its son (``ZSSR.py quick_test``)."""
        out = fwd(*self.son(c)).float().clamp(0, 1)
        return float((out - self.base_img).square().mean())

    def pairs(self, c: ZSSRConfig) -> list[Pair]:
        """One iteration's fathers and sons (:func:`sample_pairs`)."""
        return sample_pairs(
            self.sources,
            self.source_scales,
            self.sf,
            c,
            self.gen,
            max_scale=self.max_scale,
            kernel=self.p.kernel,
        )

    def perceptual_term(
        self,
        run: Forward,
        c: ZSSRConfig,
        perceptual: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
        device: torch.device,
    ) -> torch.Tensor:
        """``w * perceptual(run(son(I)), I)``: the content loss of the base image
        ``I`` rebuilt from its son (Peretz & Rahamim), ``w = c.perceptual_weight``;
        ``run`` is the training forward (under ``c.amp`` autocast, with gradients)."""
        son, interp = self.son(c)
        with autocast(c.amp, device):
            rec = run(son, interp)
        return c.perceptual_weight * perceptual(rec.float(), self.base_img)

    def begin_stage(self, k: int, c: ZSSRConfig, fwd: Forward) -> None:
        """Stage ``k``: its scale, a fresh lr rule, the interpolation's error."""
        stage, stages = self.p.stages[k], self.p.stages
        self.k = k
        self.sf = (stage[0] / self.base_sf[0], stage[1] / self.base_sf[1])
        self.size = out_size(self.p.lr_img.shape[-2:], stage)
        self.max_scale = ([1.0] + [min(s) for s in stages])[len(self.sources) - 1]
        self.lr, self.last_change, self.rec_t, self.rec_e = c.lr, 0, [], []
        self.stopped, self.interp_error = False, math.nan
        if self.final or c.lr_hold_margin > 0:  # the network removed: its input
            self.interp_error = self.test(lambda x, interp: interp, c)
        if self.final:
            self.res.rec_interp = self.interp_error
        self.tracing = self.final and self.p.hr is not None
        if self.tracing:
            self.trace(fwd)

    def step_done(self, it: int, loss: float, c: ZSSRConfig, fwd: Forward) -> None:
        """After the stage's iteration ``it``: the reconstruction test, the lr rule
        (``ZSSR.py quick_test``, ``learning_rate_policy``), the stop below
        ``min_lr``."""
        res = self.res
        res.iterations += 1
        res.loss.append(loss)
        if it % c.test_every == 0:
            error = self.test(fwd, c)
            self.rec_t.append(it)
            self.rec_e.append(error)
            res.rec_iters.append(res.iterations)
            res.rec_mse.append(error)
        if lr_drops(it, self.last_change, self.rec_t, self.rec_e, self.interp_error, c):
            self.lr, self.last_change = self.lr / 10, it
            res.lr_changes.append(res.iterations)
        self.stopped = self.lr < c.min_lr

    def end_stage(self, c: ZSSRConfig, fwd: Forward, output: str) -> None:
        """The stage's output (``ZSSR.py final_test``): the self-ensemble with
        back-projection (``output="ensemble"``) or the network alone (``"plain"``);
        the next father source, and the base image at a ``base_change_sfs`` scale."""
        res, stage = self.res, self.p.stages[self.k]
        if self.tracing and (
            not res.trace_iters or res.trace_iters[-1] != res.iterations
        ):
            self.trace(fwd)
        if self.final:
            res.rec_final = self.test(fwd, c)
            if output == "none":
                return
        if output != "ensemble":
            sr = net_sr(fwd, self.base_img, self.sf, self.size)
        else:
            sr = self_ensemble(
                lambda x, hw: net_sr(fwd, x, self.sf, hw),
                self.base_img,
                self.sf,
                size=self.size,
                flips=c.output_flip,
                bp_iters=self.p.bp_iters[self.k],
                kernel=self.p.kernel,
            )
        res.sr = sr.float().cpu()
        self.sources.append(sr.float())
        self.source_scales.append(min(stage))
        changes = [scale_pair(s) for s in c.base_change_sfs]
        if self.bases < len(changes) and all(
            abs(a - b) < 1e-3 for a, b in zip(stage, changes[self.bases], strict=True)
        ):
            self.base_img, self.base_sf = self.sources[-1], stage
            self.bases += 1

    def finish(
        self, output: str, seconds: float, per_iter: float, state: dict
    ) -> ZSSRResult:
        """The result: its PSNR (with ``hr``), last lr, timings and weights."""
        res = self.res
        if self.p.hr is not None and output != "none":
            res.psnr = float(psnr(res.sr, self.p.hr, shave=self.p.shave)[0])
        res.final_lr, res.seconds, res.seconds_per_iter = self.lr, seconds, per_iter
        res.state = state
        return res
