"""Online Super-Resolution (Goyal): ZSSR over a stream, carrying the weights.

Goyal ("Online Super-Resolution using Deep Internal Learning", §2.4,
§3, Table 2) processes a stream of LR images with ZSSR and compares how each image's
network starts:

=============  =====================================================  ===============
mode           image k's network starts from                          trains on image
=============  =====================================================  ===============
"scratch"      a random init (plain ZSSR)                             yes
"online"       image k-1's final weights (image 0: random)            yes
"ext"          the external pretrained weights                        no
"ext_ftune"    the external pretrained weights                        yes
"ext_online"   image k-1's final weights (image 0: external)          yes
=============  =====================================================  ===============

The external weights come from :func:`pretrain_external`: as the report says, not a
supervised training but OSR run over external images (T91), each image serving as its
own source of fathers with bicubic sons. Image ``k`` of a stream uses seed
``config.seed + k`` in every mode, so the modes differ only in the initial weights.
Each result's PSNR trace (when HR images are given) starts at iteration 0, the
transferred network before any training, which is what a plot of "iterations needed
to reach a PSNR" compares (:func:`iterations_to_reach`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from srcore.methods.zssr import (
    Scale,
    ZSSRConfig,
    ZSSRResult,
    zssr,
    zssr_many,
)

__all__ = ["MODES", "online_sr", "pretrain_external", "iterations_to_reach"]

MODES = ("scratch", "online", "ext", "ext_ftune", "ext_online")


def online_sr(
    stream: Sequence[torch.Tensor],
    scale: Scale,
    config: ZSSRConfig = ZSSRConfig(),  # noqa: B008 (frozen, hence safe)
    *,
    mode: str = "online",
    init_state: dict[str, torch.Tensor] | None = None,
    hrs: Sequence[torch.Tensor | None] | None = None,
    kernels: Sequence[torch.Tensor | np.ndarray | None] | None = None,
    batched: bool = False,
    device: str | torch.device = "auto",
    progress: bool = True,
    trace_every: int = 50,
) -> list[ZSSRResult]:
    """Super-resolve a stream of LR images with ZSSR, Online SR style.

    Args:
        stream: LR images ``(1, C, h_k, w_k)`` in [0, 1], in stream order.
        scale: the SR factor.
        config: the ZSSR settings of every image (its ``max_iters`` is the budget
            per image; ``mode="ext"`` trains 0 iterations).
        mode: one of :data:`MODES` (table in the module docstring).
        init_state: the external weights; required by the ``"ext*"`` modes,
            refused by the others.
        hrs: ground truths for the PSNR traces (never used for training).
        kernels: per-image blur kernels (non-ideal case), or None for bicubic.
        batched: run the independent modes (``"scratch"``, ``"ext"``,
            ``"ext_ftune"``) through ``zssr_many`` (same results, one loop).
        device, progress, trace_every: as for :func:`srcore.methods.zssr.zssr`.

    Returns:
        One :class:`~srcore.methods.zssr.ZSSRResult` per image; ``state`` of the
        last one is the stream's final network.

    Example:
        >>> from srcore.methods.zssr import PROFILES
        >>> from srcore.profiles import resolve_profile
        >>> cfg = resolve_profile(ZSSRConfig(), PROFILES, "smoke")
        >>> imgs = [torch.rand(1, 3, 16, 16) for _ in range(2)]
        >>> res = online_sr(imgs, 2, cfg, mode="online", device="cpu", progress=False)
        >>> [r.iterations for r in res]
        [12, 12]

    Reference: Goyal §2.4 (Algorithm: OSR), §3.3, Table 2.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    external = mode.startswith("ext")
    if external and init_state is None:
        raise ValueError(f"mode {mode!r} needs init_state (see pretrain_external)")
    if not external and init_state is not None:
        raise ValueError(
            f"mode {mode!r} starts from a random init; pass init_state with an "
            "'ext' mode ('ext', 'ext_ftune', 'ext_online')"
        )
    stream = list(stream)
    n = len(stream)
    hrs = list(hrs) if hrs is not None else [None] * n
    kernels = list(kernels) if kernels is not None else [None] * n
    if len(hrs) != n or len(kernels) != n:
        raise ValueError(f"{len(hrs)} HR images, {len(kernels)} kernels, {n} images")
    if mode == "ext":
        config = dataclasses.replace(config, max_iters=0)
    common = {"device": device, "trace_every": trace_every}
    if batched and mode in ("scratch", "ext", "ext_ftune"):
        return zssr_many(
            stream,
            scale,
            config,
            kernels=kernels,
            hrs=hrs,
            init_state=init_state,
            progress=progress,
            **common,
        )
    results: list[ZSSRResult] = []
    state = init_state
    for k in tqdm(range(n), disable=not progress, desc=f"OSR {mode}"):
        if mode == "scratch":
            start = None
        elif mode in ("ext", "ext_ftune"):
            start = init_state
        else:  # "online", "ext_online": the previous image's final weights
            start = state
        res = zssr(
            stream[k],
            scale,
            dataclasses.replace(config, seed=config.seed + k),
            kernel=kernels[k],
            hr=hrs[k],
            init_state=start,
            progress=False,
            **common,
        )
        results.append(res)
        state = res.state
    return results


def pretrain_external(
    hr_images: Sequence[torch.Tensor],
    scale: Scale,
    config: ZSSRConfig = ZSSRConfig(),  # noqa: B008 (frozen, hence safe)
    steps: int = 300,
    *,
    init_state: dict[str, torch.Tensor] | None = None,
    device: str | torch.device = "auto",
    progress: bool = True,
) -> dict[str, torch.Tensor]:
    """Goyal's external pretraining: Online SR over external images (T91).

    "The pretrained models are not trained in a supervised manner. Instead, we use
    the OSR on T91 images" (Goyal §3.3): each external image in turn is ZSSR's
    input, i.e. the source of HR fathers (itself and its rescaled versions) with
    bicubic LR sons, for ``steps`` iterations (``config``'s lr policy may stop it
    earlier), starting from the previous image's weights. No SR output is computed.

    Args:
        hr_images: external images ``(1, C, H, W)`` in [0, 1] (T91's HR images;
            ``srcore.data.iter_images("T91", scale)``).
        scale: the SR factor the network is trained for.
        config: the ZSSR settings (network, fathers, lr policy); ``max_iters`` is
            replaced by ``steps``.
        steps: training iterations per image.
        init_state: weights to continue from (None: random init, seed ``config.seed``).

    Returns:
        The final network's ``state_dict`` (CPU), ready for ``online_sr(...,
        mode="ext*", init_state=...)``.

    Example:
        >>> from srcore.methods.zssr import PROFILES
        >>> from srcore.profiles import resolve_profile
        >>> cfg = resolve_profile(ZSSRConfig(), PROFILES, "smoke")
        >>> imgs = [torch.rand(1, 3, 24, 24) for _ in range(2)]
        >>> state = pretrain_external(imgs, 2, cfg, 3, device="cpu", progress=False)
        >>> sorted(state)[:2]
        ['convs.0.weight', 'convs.1.weight']
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    config = dataclasses.replace(config, max_iters=steps)
    state = init_state
    for k, img in enumerate(
        tqdm(list(hr_images), disable=not progress, desc="pretrain")
    ):
        res = zssr(
            img,
            scale,
            dataclasses.replace(config, seed=config.seed + k),
            init_state=state,
            device=device,
            progress=False,
            output="none",
        )
        state = res.state
    if state is None:
        raise ValueError("pretrain_external needs at least one image")
    return state


def iterations_to_reach(result: ZSSRResult, target_psnr: float) -> int | None:
    """The first traced iteration count whose PSNR is ``>= target_psnr`` (or None).

    Resolution is the trace's ``trace_every``.

    Example:
        >>> r = ZSSRResult(None, 100, 1e-3, None, [0, 50, 100], [30.0, 31.5, 32.0],
        ...                [], [], [], [], 0.0, 0.0, {})
        >>> iterations_to_reach(r, 31.0), iterations_to_reach(r, 40.0)
        (50, None)
    """
    for it, value in zip(result.trace_iters, result.trace_psnr, strict=True):
        if value >= target_psnr:
            return it
    return None
