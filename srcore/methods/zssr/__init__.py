"""Zero-Shot Super-Resolution: a small CNN trained at test time on the LR image alone.

ZSSR (Shocher, Cohen, Irani, CVPR 2018; github.com/assafshocher/ZSSR) learns the
image-specific map from LR to HR from the LR image itself: *HR fathers* are crops of
the LR image and of rescaled versions of it, *LR sons* are the fathers degraded by the
assumed kernel (MATLAB bicubic unless one is given), and an 8-layer, 64-channel
network learns son -> father as a residual over the son's bicubic interpolation. At
test time the network runs on the LR image itself under the 8 dihedral transforms
(median), with back-projection. Each module names the part of the authors' code
(``configs.py``, ``ZSSR.py``, ``utils.py``) it reimplements.

Deviations: fathers are drawn with probability proportional to their size (paper §4;
the code draws ``s`` uniformly, ``father_sampling="uniform"``); warps sample outside
the image by reflection (OpenCV fills zeros) and crops stay inside the rescaled
image; Adam's epsilon is PyTorch's; the slope's standard error uses the numpy < 1.16
scaling the reference ran with; after a base change the output size is ``ceil(size *
scale)`` of the *original* LR image (the code's can be a pixel larger); test-time
work is float32 (the bicubic resizes compute in float64 either way).

Variants (Goyal; Peretz & Rahamim): ``loss="dog"``, ``dropout``, ``batch_size`` 8 and
``tanh_residual`` (ZSSR*), ``upsample="pixelshuffle"``, ``perceptual_weight``, an
external ``backbone`` such as :class:`srcore.methods.vdsr.VDSR`.

Layout, lowest first: ``config``, ``image`` (scales, resizing, one image's checked
inputs and result), ``net``, ``fathers`` (the training examples and their batch),
``optim`` (Adam, the lr rule), ``test_time``; then
``single``: :func:`zssr`, the plain one-image loop (read it first), and ``batch``:
:func:`zssr_many`, N images at once (tested equal). :mod:`srcore.methods.osr` streams
images (Online SR).
"""

from srcore.methods.zssr.batch import zssr_many
from srcore.methods.zssr.config import PRESETS, PROFILES, ZSSRConfig, check_config
from srcore.methods.zssr.fathers import (
    father_to_son,
    sample_father,
    sample_father_scale,
)
from srcore.methods.zssr.image import Scale, ZSSRResult
from srcore.methods.zssr.net import ZSSRNet
from srcore.methods.zssr.optim import fit_slope, lr_check_due, lr_should_drop
from srcore.methods.zssr.single import zssr
from srcore.methods.zssr.test_time import back_projection, self_ensemble

__all__ = [
    "ZSSRConfig",
    "PROFILES",
    "PRESETS",
    "check_config",
    "Scale",
    "ZSSRNet",
    "ZSSRResult",
    "sample_father_scale",
    "sample_father",
    "father_to_son",
    "fit_slope",
    "lr_should_drop",
    "lr_check_due",
    "back_projection",
    "self_ensemble",
    "zssr",
    "zssr_many",
]
