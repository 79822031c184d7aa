"""Zero-Shot Super-Resolution: a small CNN trained at test time on the LR image alone.

ZSSR (Shocher, Cohen, Irani, CVPR 2018) learns the image-specific map from LR to HR
from the LR image itself. *HR fathers* are crops of the LR image and of rescaled
versions of it; *LR sons* are the fathers degraded by the assumed kernel (MATLAB
bicubic unless a kernel is given); an 8-layer, 64-channel network learns son ->
father as a residual over the bicubic interpolation of the son. At test time the
network is applied to the LR image itself, over the 8 dihedral transforms (median),
and the result is back-projected onto the LR image.

Rules from the authors' code (github.com/assafshocher/ZSSR: ``configs.py``,
``ZSSR.py``, ``utils.py``), reimplemented here:

* Net: ``depth`` 3x3 convolutions without biases, ReLU between, weights ``N(0, 0.1 /
  (9 c_in))``; output = interpolated son + residual; L1 loss; Adam at 1e-3.
* Fathers (``random_augment``): with probability 0.05 a plain crop of the LR image;
  0.45 a crop under one of the 8 dihedral transforms; 0.5 an affine warp (bicubic)
  of the image rescaled by ``s`` (x-y scale difference ~ N(0, 0.25), shear ~ N(0,
  0.1) per axis, any rotation angle, random mirror). Crops are ``crop`` (128) square
  or the whole father when it is smaller. In gradual mode every stage's output joins
  the sources; ``s`` picks the smallest source at least that large.
* Sons: ``imresize(father, 1/s)`` (or the given kernel) plus ``noise_std`` noise,
  clipped; the son is interpolated back to the father's size with scale *and* size
  (``forward_backward_pass``), so fathers need not be multiples of the scale.
* Learning rate (``learning_rate_policy``): every 50 iterations the *reconstruction
  error* ``MSE(net(son(I)), I)`` of the LR image ``I`` is recorded; every 60 iterations,
  once more than 256 have passed since the last change, a line is fitted to the last
  ``256 // 50 = 5`` errors and lr is divided by 10 when ``-1.5 * slope < std``, ``std``
  the standard error of the slope (:func:`fit_slope`). Training stops when lr < 9e-6
  (after three drops, >= 900 iterations) or after 3000 iterations.
* Test (``final_test``): 8 dihedral transforms (2 rotations x 2 flips when the two
  axes' scales differ), ``back_projection_iters`` back-projections on each output,
  the median, the same number of back-projections on the median.
* Gradual SR: stages ``scale_factors``; ``base_change_sfs`` makes a stage's output the
  next stage's input.

Deviations (each noted where made): fathers are drawn with probability proportional to
their size (paper §4; the code draws ``s`` uniformly, ``father_sampling="uniform"``);
warps sample outside the image by reflection (OpenCV's default fills zeros) and
crops stay inside the rescaled image; Adam's epsilon is PyTorch's (added to
``sqrt(v_hat)``, TensorFlow adds it to ``sqrt(v)``); the slope's standard error uses
the numpy < 1.16 scaling the reference ran with; after a base change the output size
is ``ceil(size * scale)`` of the *original* LR image (the code's ``ceil(new input *
relative scale)`` can be a pixel larger); test-time work is float32 (the code's
numpy is float64; the bicubic resizes here compute in float64 either way).

Variants (reports 000 and 001): ``loss="dog"`` (DoG pyramid), ``dropout`` after
layers 1-2, ``batch_size`` 8 and ``tanh_residual`` (ZSSR*), ``upsample="pixelshuffle"``
(net at LR size ending in a pixel shuffle), ``perceptual_weight`` (L1 + VGG content
loss), an external ``backbone`` such as :class:`srcore.methods.vdsr.VDSR`.
:func:`zssr` runs one image; :func:`srcore.methods.zssr_batch.zssr_many` runs N at
once; :mod:`srcore.methods.osr` streams images (Online SR).

Layout, lowest first (each module imports only those above it):
``zssr_config`` (:class:`ZSSRConfig`, ``PROFILES``, ``PRESETS``), ``zssr_scale``
(scale pairs, bicubic resizing at a given size), ``zssr_net`` (:class:`ZSSRNet`),
``zssr_fathers`` (fathers and sons), ``zssr_policy`` (the lr rule),
``zssr_test_time`` (self-ensemble, back-projection), ``zssr_job`` (one image's
state, :class:`ZSSRResult`), ``zssr_stack`` (stacked networks, padded crop batches,
per-row Adam), ``zssr_train`` (the loop). This module re-exports their public names
and adds :func:`zssr`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

# The module is the method's public face: its names live in the modules below and are
# re-exported here, with the private ones other modules and tests have imported from
# it ("X as X" marks a re-export).
from srcore.methods.zssr_config import FATHER_SAMPLING as FATHER_SAMPLING
from srcore.methods.zssr_config import LOSSES as LOSSES
from srcore.methods.zssr_config import PRESETS, PROFILES, ZSSRConfig
from srcore.methods.zssr_config import UPSAMPLERS as UPSAMPLERS
from srcore.methods.zssr_config import _check_config as _check_config
from srcore.methods.zssr_fathers import (
    father_to_son,
    sample_father,
    sample_father_scale,
)
from srcore.methods.zssr_job import _LOSSES as _LOSSES
from srcore.methods.zssr_job import ZSSRResult
from srcore.methods.zssr_net import ZSSRNet
from srcore.methods.zssr_policy import fit_slope, lr_check_due, lr_should_drop
from srcore.methods.zssr_scale import Scale
from srcore.methods.zssr_stack import _Adam as _Adam
from srcore.methods.zssr_stack import _Batch as _Batch
from srcore.methods.zssr_stack import _direct_forward
from srcore.methods.zssr_test_time import back_projection, self_ensemble
from srcore.methods.zssr_train import _run

__all__ = [
    "ZSSRConfig",
    "ZSSRNet",
    "ZSSRResult",
    "PROFILES",
    "PRESETS",
    "sample_father_scale",
    "sample_father",
    "father_to_son",
    "fit_slope",
    "lr_should_drop",
    "lr_check_due",
    "back_projection",
    "self_ensemble",
    "zssr",
]


def zssr(
    lr_img: torch.Tensor,
    scale: Scale,
    config: ZSSRConfig = ZSSRConfig(),  # noqa: B008 (frozen, hence safe)
    *,
    kernel: torch.Tensor | np.ndarray | None = None,
    hr: torch.Tensor | None = None,
    init_state: dict[str, torch.Tensor] | None = None,
    backbone: Callable[[], nn.Module] | None = None,
    device: str | torch.device = "auto",
    progress: bool = True,
    trace_every: int = 50,
    postprocess: bool = True,
) -> ZSSRResult:
    """Super-resolve one image by ZSSR: train a network on it, then apply it.

    Trains :class:`ZSSRNet` (or ``backbone()``) on (son, father) pairs cut from
    ``lr_img`` (:func:`sample_father`, :func:`father_to_son`) with the reference's
    learning-rate policy and stopping rule (:func:`lr_should_drop`), stage by stage
    for gradual ``scale_factors``, and returns the network's output on ``lr_img``
    after the geometric self-ensemble and back-projection (:func:`self_ensemble`).
    ``hr`` only feeds the PSNR trace and ``ZSSRResult.psnr``: the loop never sees it.

    Args:
        lr_img: ``(1, C, h, w)`` in [0, 1], RGB (the reference trains on RGB) or grey.
        scale: the SR factor; any float, or a (vertical, horizontal) pair.
        config: a :class:`ZSSRConfig` (see ``PROFILES``, ``PRESETS``); the image's
            random stream is ``config.seed``.
        kernel: the degradation's blur kernel ``(k, k)`` (numpy or torch, odd sides)
            for the non-ideal case: sons and back-projection then use
            :func:`srcore.degrade.downscale_with_kernel` (integer scale, one stage);
            see ``PRESETS["given_kernel"]``. Noise: ``config.noise_std``.
        hr: optional ``(1, C, ceil(h s), ceil(w s))`` ground truth, for the trace.
        init_state: weights to start from (Online SR's transfer, a pretrained net).
        backbone: a factory of another network (e.g. ``lambda: VDSR(channels=3)``)
            mapping the interpolated son to the father; trained the same way.
        device: ``"auto"``, ``"cpu"``, ``"cuda"``...; on CUDA the network runs under
            bf16 autocast (``config.amp``; weights and Adam in fp32).
        progress: tqdm bar over iterations.
        trace_every: iterations between PSNR trace points (with ``hr``).
        postprocess: False skips the self-ensemble and back-projection.

    Returns:
        A :class:`ZSSRResult`. Raises ``FloatingPointError`` naming the iteration when
        the loss is not finite, ``ValueError`` for bad shapes or a too small image,
        ``srcore.vgg.WeightsUnavailable`` for ``perceptual_weight > 0`` without VGG
        weights.

    Example:
        >>> from srcore.profiles import resolve_profile
        >>> cfg = resolve_profile(ZSSRConfig(), PROFILES, "smoke")
        >>> res = zssr(torch.rand(1, 3, 16, 16), 2, cfg, device="cpu", progress=False)
        >>> tuple(res.sr.shape), res.iterations
        ((1, 3, 32, 32), 12)

    Reference: Shocher, Cohen, Irani, "'Zero-Shot' Super-Resolution using Deep
    Internal Learning", CVPR 2018, §3-4; github.com/assafshocher/ZSSR.
    """
    (res,) = _run(
        [lr_img],
        scale,
        config,
        batch_forward=_direct_forward,
        kernels=[kernel],
        hrs=[hr],
        init_state=init_state,
        backbone=backbone,
        device=device,
        progress=progress,
        trace_every=trace_every,
        output="ensemble" if postprocess else "plain",
    )
    return res
