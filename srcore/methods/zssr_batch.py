"""ZSSR on N images at once: N networks, stacked weights, one vmapped forward.

Each image keeps everything ZSSR gives it alone (:func:`srcore.methods.zssr.zssr`):
its own network (init from seed ``config.seed + i``), its own fathers and sons (from
the same seed), its own learning-rate policy and its own stopping iteration. What is
shared is the work per iteration: the N networks' weights are stacked
(``torch.func.stack_module_state`` style, ``{name: (N, ...)}``), and one
``torch.vmap`` of ``functional_call`` runs every image's crops through its own
network, which PyTorch lowers to grouped convolutions (groups = N).

Batching crops of different sizes: a father is ``crop x crop`` only when the image
is large enough; otherwise it is the whole rescaled image (the reference's rule), so
sizes differ between images and iterations. The crops are **zero-padded** to the
largest of the step, and :class:`~srcore.methods.zssr.ZSSRNet` multiplies its
feature maps by each crop's validity mask after every layer: each crop then sees the
zero border of its own size, exactly as alone, and the loss is taken on each crop's
own region. The padded pixels cost compute, not accuracy. (Grouping by size instead
would fragment the batch, since sizes vary continuously with the father's scale.)

Per-image learning rates: the loss is the *sum* of the images' losses, so row ``i``
of each gradient is image ``i``'s own; a hand-written Adam keeps one step count and
one learning rate per row, and an image that has stopped (lr below ``min_lr``) is
left out of the forward, the backward and the update. Hence N images at once equal N
calls of ``zssr`` with seeds ``seed + i``, up to float rounding (tested).

On CUDA the forward runs under bf16 autocast (``config.amp``; weights and Adam in
fp32). channels_last is not used here: vmap folds the images into the channel axis
of a grouped convolution. The gain is on a GPU (one kernel launch per layer for all
images); on a 2-core CPU the work per image is the same as one at a time.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from srcore.methods.zssr import Scale, ZSSRConfig, ZSSRResult
from srcore.methods.zssr_stack import _Batch
from srcore.methods.zssr_train import _run

__all__ = ["zssr_many"]


def _vmap_forward(net: nn.Module, params: dict, batch: _Batch) -> torch.Tensor:
    """Every active image's crops through its own weights: ``(n, B, C, H, W)``."""
    ps = net.upsample == "pixelshuffle"
    x = batch.son if ps else batch.interp
    base = batch.interp if ps else None
    valid = batch.valid_lr if ps else batch.valid_hr
    d1, d2 = batch.drop if batch.drop is not None else (None, None)

    def one(p, x, base, valid, d1, d2):  # one image: (B, C, H, W) crops
        drop = None if d1 is None else (d1, d2)
        kwargs = {"base": base, "valid": valid, "drop": drop}
        return torch.func.functional_call(net, p, (x,), kwargs)

    args = (x, base, valid, d1, d2)
    in_dims = (0, *(None if a is None else 0 for a in args))
    return torch.vmap(one, in_dims=in_dims)(params, *args)


def zssr_many(
    lr_imgs: Sequence[torch.Tensor],
    scale: Scale,
    config: ZSSRConfig = ZSSRConfig(),  # noqa: B008 (frozen, hence safe)
    *,
    kernels: Sequence[torch.Tensor | np.ndarray | None] | None = None,
    hrs: Sequence[torch.Tensor | None] | None = None,
    init_state: dict | Sequence[dict | None] | None = None,
    device: str | torch.device = "auto",
    progress: bool = True,
    trace_every: int = 50,
    postprocess: bool = True,
) -> list[ZSSRResult]:
    """ZSSR on N images at once, each with its own network, fathers and lr policy.

    Image ``i`` gets exactly what ``zssr(lr_imgs[i], scale, replace(config, seed=
    config.seed + i), kernel=kernels[i], hr=hrs[i], init_state=...)`` would give it
    (up to float rounding), computed in one batched loop (see the module docstring).
    The loop runs until every image has stopped; stopped images cost nothing more.

    Args:
        lr_imgs: N tensors ``(1, C, h_i, w_i)`` in [0, 1]; sizes may differ, ``C``
            may not.
        scale: the SR factor (or a (vertical, horizontal) pair), shared.
        config: shared :class:`~srcore.methods.zssr.ZSSRConfig`.
        kernels: one blur kernel (or None) per image, for the non-ideal case.
        hrs: one ground truth (or None) per image, for the PSNR traces only.
        init_state: weights for every image (one state dict) or per image (a list);
            e.g. a pretrained network fine-tuned on each image (Online SR "ext_ftune").
        device, progress, trace_every, postprocess: as for ``zssr``.

    Returns:
        N :class:`~srcore.methods.zssr.ZSSRResult`, in order. ``seconds`` and
        ``seconds_per_iter`` are those of the whole batch (divide by N for a
        per-image cost).

    Example:
        >>> from srcore.methods.zssr import PROFILES
        >>> from srcore.profiles import resolve_profile
        >>> cfg = resolve_profile(ZSSRConfig(), PROFILES, "smoke")
        >>> imgs = [torch.rand(1, 3, 16, 16), torch.rand(1, 3, 20, 18)]
        >>> res = zssr_many(imgs, 2, cfg, device="cpu", progress=False)
        >>> [tuple(r.sr.shape) for r in res]
        [(1, 3, 32, 32), (1, 3, 40, 36)]
    """
    lr_imgs = list(lr_imgs)
    if not lr_imgs:
        raise ValueError("zssr_many needs at least one image")
    return _run(
        lr_imgs,
        scale,
        config,
        batch_forward=_vmap_forward,
        kernels=kernels,
        hrs=hrs,
        init_state=init_state,
        device=device,
        progress=progress,
        trace_every=trace_every,
        output="ensemble" if postprocess else "plain",
        desc=f"ZSSR x{len(lr_imgs)}",
    )
