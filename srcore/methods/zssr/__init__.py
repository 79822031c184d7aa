"""Zero-Shot Super-Resolution: a small CNN trained at test time on the LR image alone.

HR *fathers* are crops of the LR image and of rescaled versions of it, LR *sons* are
the fathers degraded by the assumed kernel (MATLAB bicubic unless one is given), and
an 8-layer, 64-channel network learns son -> father as a residual over the son's
bicubic interpolation; at test time it runs on the LR image under the 8 dihedral
transforms (median), with back-projection. Deviations from the authors' code: fathers
drawn with probability proportional to their size (paper §4), warps reflect at the
border, PyTorch's Adam epsilon, numpy < 1.16's slope error, output size
``ceil(size * scale)`` of the original image after a base change. Variants (Goyal;
Peretz & Rahamim): ``loss="dog"``, ``dropout``, ``batch_size``, ``tanh_residual``,
``upsample="pixelshuffle"``, ``perceptual_weight``, an external ``backbone``.

:func:`zssr` (``single``) is the plain one-image loop, read it first;
:func:`zssr_many` (``batch``) runs N images at once, tested equal.

Reference: Shocher, Cohen, Irani, CVPR 2018; github.com/assafshocher/ZSSR.
"""

# ruff: noqa: F401 (the package re-exports its modules' public names)

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
