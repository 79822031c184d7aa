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

Variants (Goyal and Peretz & Rahamim): ``loss="dog"`` (DoG pyramid), ``dropout`` after
layers 1-2, ``batch_size`` 8 and ``tanh_residual`` (ZSSR*), ``upsample="pixelshuffle"``
(net at LR size ending in a pixel shuffle), ``perceptual_weight`` (L1 + VGG content
loss), an external ``backbone`` such as :class:`srcore.methods.vdsr.VDSR`.
:func:`zssr` runs one image; :func:`zssr_many` runs N at once (the same results,
one batched loop); :mod:`srcore.methods.osr` streams images (Online SR).

Layout, lowest first (each module imports only those above it):

* ``config``: :class:`ZSSRConfig`, ``PROFILES``, ``PRESETS``, their checks;
* ``scale``: scale pairs, output sizes, bicubic resizing at a given size;
* ``net``: :class:`ZSSRNet` and one image's network (:func:`build_net`);
* ``image``: one image's checked inputs and stages (``plan``), :class:`ZSSRResult`;
* ``crops``: a step's crops as one batch, their dropout masks and loss;
* ``fathers``: HR fathers and LR sons, a step's training pairs;
* ``policy``: the learning-rate rule; ``adam``: the Adam update (one net, N nets);
* ``test_time``: the reconstruction test, self-ensemble, back-projection;
* ``single``: :func:`zssr`, the plain one-image loop -- read this one first;
* ``batch``: :func:`zssr_many`, the N-image optimisation of it.

This package re-exports their public names.
"""

from srcore.methods.zssr.batch import zssr_many
from srcore.methods.zssr.config import (
    FATHER_SAMPLING,
    LOSSES,
    PRESETS,
    PROFILES,
    UPSAMPLERS,
    ZSSRConfig,
    check_config,
)
from srcore.methods.zssr.fathers import (
    father_to_son,
    sample_father,
    sample_father_scale,
)
from srcore.methods.zssr.image import ZSSRResult
from srcore.methods.zssr.net import ZSSRNet, build_net
from srcore.methods.zssr.policy import (
    fit_slope,
    lr_check_due,
    lr_may_drop,
    lr_should_drop,
)
from srcore.methods.zssr.scale import Scale
from srcore.methods.zssr.single import zssr
from srcore.methods.zssr.test_time import back_projection, self_ensemble

__all__ = [
    "ZSSRConfig",
    "PROFILES",
    "PRESETS",
    "LOSSES",
    "UPSAMPLERS",
    "FATHER_SAMPLING",
    "check_config",
    "Scale",
    "ZSSRNet",
    "build_net",
    "ZSSRResult",
    "sample_father_scale",
    "sample_father",
    "father_to_son",
    "fit_slope",
    "lr_should_drop",
    "lr_check_due",
    "lr_may_drop",
    "back_projection",
    "self_ensemble",
    "zssr",
    "zssr_many",
]
