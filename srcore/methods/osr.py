"""Online Super-Resolution (Goyal, §2.4, §3, Table 2): ZSSR over a stream of LR
images, comparing how image k's network starts (:data:`MODES`):

=============  =====================================================  ===============
mode           image k's network starts from                          trains on image
=============  =====================================================  ===============
"scratch"      a random init (plain ZSSR)                             yes
"online"       image k-1's final weights (image 0: random)            yes
"ext"          the external pretrained weights                        no
"ext_ftune"    the external pretrained weights                        yes
"ext_online"   image k-1's final weights (image 0: external)          yes
=============  =====================================================  ===============

Image ``k`` uses seed ``config.seed + k`` in every mode, so the modes differ only in
the initial weights; each PSNR trace starts at iteration 0, before training.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from srcore.methods.zssr import Scale, ZSSRConfig, ZSSRResult, zssr, zssr_many

__all__ = ["MODES", "online_sr", "pretrain_external"]

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

    ``stream``: LR images ``(1, C, h_k, w_k)``; ``init_state`` (the external weights)
    is required by the ``"ext*"`` modes only; ``hrs`` only feed the PSNR traces;
    ``batched`` runs the independent modes through ``zssr_many`` (same results).
    Returns one :class:`~srcore.methods.zssr.ZSSRResult` per image.

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
    for k in tqdm(range(n), disable=not progress, desc=f"OSR {mode}"):
        # "scratch" has no init_state; the online modes chain the final weights
        online = mode in ("online", "ext_online") and k > 0
        res = zssr(
            stream[k],
            scale,
            dataclasses.replace(config, seed=config.seed + k),
            kernel=kernels[k],
            hr=hrs[k],
            init_state=results[-1].state if online else init_state,
            progress=False,
            **common,
        )
        results.append(res)
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

    Each image in turn trains ZSSR for ``steps`` iterations from the previous one's
    weights (Goyal §3.3); returns the final ``state_dict`` for ``mode="ext*"``.

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
