"""ZSSR's settings: :class:`ZSSRConfig`, its ``PROFILES`` and ``PRESETS``, their checks.

The defaults are the authors' ``configs.py`` (github.com/assafshocher/ZSSR), with two
deviations. The init: the reference's N(0, 0.1 / (9 c_in)) starts the residual near
1e-6 of the image and on some images never leaves the interpolation; variance 1.0
trains from the start (``PRESETS["reference_init"]``: theirs). The lr rule's guard
``lr_hold_margin`` (``PRESETS["reference_lr_rule"]``: theirs). A run record's key is a
hash of the config: its fields, defaults and order are part of the stored results.
"""

from __future__ import annotations

from dataclasses import dataclass

LOSSES = ("l1", "mse", "dog")
UPSAMPLERS = ("bicubic", "pixelshuffle")
FATHER_SAMPLING = ("size", "uniform")


@dataclass(frozen=True)
class ZSSRConfig:
    """ZSSR settings; defaults are the authors' ``configs.py`` (x2, ideal case)."""

    # network (ZSSR.py build_network)
    depth: int = 8  # configs.py: depth = 8
    width: int = 64  # configs.py: width = 64
    # configs.py: std = sqrt(0.1 / (3 * 3 * c_in)); ours 1.0 (PRESETS below, "why")
    init_variance: float = 1.0
    bias: bool = False  # ZSSR.py: tf.nn.conv2d with filters only, no biases
    upsample: str = "bicubic"  # configs.py upscale_method 'cubic'; Peretz+Rahamim §8.1
    tanh_residual: bool = False  # Goyal §2.2 ZSSR*: tanh on the residual
    dropout: float = 0.0  # Goyal §2.2 ZSSR*: "small dropout in the first two"
    # loss and optimiser
    loss: str = "l1"  # ZSSR.py: mean |output - father|; Goyal §2.3: "dog"
    dog_levels: int = 6  # Goyal §3: 6 levels
    dog_sigma: float = 3.0  # Goyal §3: Gaussian sigma 3
    dog_weight: float = 10.0  # Goyal §2.3: W = 10
    perceptual_weight: float = 0.0  # Peretz & Rahamim §8.3: L1 + w * content loss
    perceptual_layer: str = "relu2_2"  # ours: Johnson et al.'s SR content layer
    crop: int = 128  # configs.py: crop_size = 128
    batch_size: int = 1  # ZSSR.py: one father per iteration; Goyal ZSSR*: 8
    lr: float = 1e-3  # configs.py: learning_rate = 0.001 (Adam)
    adam_betas: tuple[float, float] = (0.9, 0.999)  # tf.train.AdamOptimizer default
    adam_eps: float = 1e-8  # tf.train.AdamOptimizer default
    # learning-rate policy and stopping (ZSSR.py learning_rate_policy, train)
    max_iters: int = 3000  # configs.py: max_iters = 3000
    min_iters: int = 256  # configs.py: min_iters = 256 (between lr changes)
    min_lr: float = 9e-6  # configs.py: min_learning_rate (stop below it)
    lr_change_ratio: float = 1.5  # configs.py: learning_rate_change_ratio
    lr_check_every: int = 60  # configs.py: learning_rate_policy_check_every
    lr_slope_range: int = 256  # configs.py: learning_rate_slope_range
    test_every: int = 50  # configs.py: run_test_every (reconstruction error)
    lr_policy: bool = True  # ours: False keeps lr for max_iters (timing runs)
    # ours: no cut while the error is not this far below the interpolation's
    # (optim.lr_may_drop); 0.0: the authors' rule
    lr_hold_margin: float = 0.05
    # HR fathers (utils.py random_augment)
    father_sampling: str = "size"  # paper §4 "proportional to size"; code: "uniform"
    leave_as_is_probability: float = 0.05  # configs.py: augment_leave_as_is_...
    no_interpolate_probability: float = 0.45  # configs.py: augment_no_interpolate_...
    min_scale: float = 0.5  # configs.py: augment_min_scale
    scale_diff_sigma: float = 0.25  # configs.py: augment_scale_diff_sigma
    shear_sigma: float = 0.1  # configs.py: augment_shear_sigma
    allow_rotation: bool = True  # configs.py: augment_allow_rotation
    # LR sons
    noise_std: float = 0.0  # configs.py: noise_std, added to sons ([0, 1] scale)
    # gradual SR
    scale_factors: tuple = ()  # configs.py scale_factors; () = one jump to `scale`
    base_change_sfs: tuple = ()  # configs.py: base_change_sfs
    init_net_for_each_sf: bool = False  # configs.py: init_net_for_each_sf
    # test time (ZSSR.py final_test)
    output_flip: bool = True  # configs.py: output_flip (geometric self-ensemble)
    back_projection_iters: tuple[int, ...] = (10,)  # configs.py: [10], per stage
    # ours
    amp: bool = True  # bf16 autocast where native (srcore.precision); fp32 weights
    channels_last: bool = True  # NHWC with bf16 or CUDA, one-image path (not vmap)
    seed: int = 0  # zssr_many / online_sr: image i uses seed + i


#: Overrides per profile. ``smoke`` is plumbing only; ``quick`` keeps the paper's
#: network and rules, caps training at 500 iterations and scales the lr policy's
#: periods down.
PROFILES: dict[str, dict] = {
    "smoke": {
        "depth": 3,
        "width": 8,
        "crop": 16,
        "max_iters": 12,
        "min_iters": 4,
        "lr_check_every": 6,
        "lr_slope_range": 10,
        "test_every": 2,
        "back_projection_iters": (2,),
    },
    "quick": {
        "max_iters": 500,
        "min_iters": 128,
        "lr_check_every": 30,
        "lr_slope_range": 128,
        "test_every": 25,
    },
    "paper": {},
}

#: The reference's other ready-made configs and the reports' variants (overrides).
PRESETS: dict[str, dict] = {
    # configs.py X2_GRADUAL_IDEAL_CONF: six (vertical, horizontal) stages to x2.
    "gradual_x2": {
        "scale_factors": (
            (1.0, 1.5),
            (1.5, 1.0),
            (1.5, 1.5),
            (1.5, 2.0),
            (2.0, 1.5),
            (2.0, 2.0),
        ),
        "back_projection_iters": (6, 6, 8, 10, 10, 12),
    },
    # Ours, per configs.py's advice that base changes suit high scales: x2 then x4.
    "gradual_x4": {
        "scale_factors": (2.0, 4.0),
        "base_change_sfs": (2.0,),
        "back_projection_iters": (10, 10),
    },
    # configs.py X2_GIVEN_KERNEL_CONF: a kernel may be asymmetric, so no rotations.
    "given_kernel": {
        "output_flip": False,
        "allow_rotation": False,
        "back_projection_iters": (2,),
    },
    # configs.py X2_REAL_CONF: kernel + mild unknown noise, no back-projection.
    "real": {
        "output_flip": False,
        "back_projection_iters": (0,),
        "noise_std": 0.0125,
        "allow_rotation": False,
        "scale_diff_sigma": 0.0,
        "shear_sigma": 0.0,
        "min_scale": 0.75,
    },
    # Goyal ZSSR*: batch 8, dropout in layers 1-2 (p "small": ours 0.1), tanh
    # residual, DoG loss (Table 2's asterisk).
    "zssr_star": {
        "batch_size": 8,
        "dropout": 0.1,
        "tanh_residual": True,
        "loss": "dog",
    },
    # Peretz & Rahamim §8.1: pixel shuffle at the end of a net that runs at LR size.
    "pixelshuffle": {"upsample": "pixelshuffle"},
    # configs.py's own init, N(0, 0.1 / (9 c_in)): stalls on some images (above).
    "reference_init": {"init_variance": 0.1},
    # ZSSR.py's lr rule as it is: it also cuts on a collapsed network's plateau.
    "reference_lr_rule": {"lr_hold_margin": 0.0},
}


def check_config(c: ZSSRConfig) -> None:
    """Raise ``ValueError`` naming the first inconsistent setting of ``c``.

    Example:
        >>> check_config(ZSSRConfig())
        >>> check_config(ZSSRConfig(loss="l2"))
        Traceback (most recent call last):
        ...
        ValueError: ZSSRConfig: loss must be one of ('l1', 'mse', 'dog'), got 'l2'
    """
    checks = [
        (c.loss in LOSSES, f"loss must be one of {LOSSES}, got {c.loss!r}"),
        (c.upsample in UPSAMPLERS, f"upsample must be one of {UPSAMPLERS}"),
        (c.father_sampling in FATHER_SAMPLING, f"father_sampling: {FATHER_SAMPLING}"),
        (c.depth >= 2 and c.width >= 1, "depth must be >= 2 and width >= 1"),
        (c.crop >= 2 and c.batch_size >= 1, "crop must be >= 2, batch_size >= 1"),
        (0 <= c.dropout < 1, f"dropout must be in [0, 1), got {c.dropout}"),
        (0 < c.min_scale <= 1, f"min_scale must be in (0, 1], got {c.min_scale}"),
        (c.lr > 0 and c.max_iters >= 0, "lr must be > 0 and max_iters >= 0"),
        (c.test_every >= 1 and c.lr_check_every >= 1, "test/check periods >= 1"),
        (c.perceptual_weight >= 0, "perceptual_weight must be >= 0"),
        (0 <= c.lr_hold_margin < 1, "lr_hold_margin must be in [0, 1)"),
        (
            0 <= c.leave_as_is_probability
            and 0 <= c.no_interpolate_probability
            and c.leave_as_is_probability + c.no_interpolate_probability <= 1,
            "augmentation probabilities must be >= 0 and sum to <= 1",
        ),
        (
            not c.lr_policy or c.lr_slope_range // c.test_every >= 5,
            "the lr policy fits a line to lr_slope_range // test_every >= 5 errors "
            f"(reference: 256 // 50 = 5), got {c.lr_slope_range} // {c.test_every}",
        ),
    ]
    for ok, message in checks:
        if not ok:
            raise ValueError(f"ZSSRConfig: {message}")
