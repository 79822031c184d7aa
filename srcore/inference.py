"""Whole-image inference at any size, tiled when memory is short.

:func:`predict` runs an image whole, or cuts it into overlapping tiles, runs them in
small batches and keeps the centre of each. For a fully convolutional network whose
receptive field reaches at most ``overlap`` LR pixels, the kept centres see exactly
the context the whole image gives them, so tiled and whole outputs agree to rounding;
nothing is blended, so no seam is softened.
"""

from __future__ import annotations

import torch
from torch import nn

from srcore.profiles import resolve_device


def tile_spans(length: int, tile: int, overlap: int) -> list[tuple[int, int, int]]:
    """Tiles along one axis, ``(start, core_start, core_end)``, all of side
    ``min(tile, length)``: the cores partition ``[0, length)``, each tile adds
    ``overlap`` pixels of context a side, pushed inwards where the image ends.

    Example:
        >>> tile_spans(10, 6, 1)
        [(0, 0, 4), (3, 4, 8), (4, 8, 10)]
    """
    if length <= tile:
        return [(0, 0, length)]
    core = tile - 2 * overlap
    spans = []
    for c0 in range(0, length, core):
        c1 = min(c0 + core, length)
        spans.append((min(max(c0 - overlap, 0), length - tile), c0, c1))
    return spans


def _model_device(model: nn.Module, fallback: torch.device) -> torch.device:
    param = next(model.parameters(), None)
    if param is None:
        param = next(model.buffers(), None)
    return fallback if param is None else param.device


@torch.no_grad()
def predict(
    model: nn.Module,
    lr_img: torch.Tensor,
    *,
    scale: int,
    tile: int | None = None,
    overlap: int = 16,
    device: str | torch.device | None = None,
    batch_tiles: int = 4,
    progress: bool = False,
) -> torch.Tensor:
    """Run ``model`` on a whole image, or on overlapping tiles stitched together.

    ``model`` maps ``(B, C, h, w)`` to ``(B, C', scale h, scale w)`` (``scale=1`` for
    networks fed the upsampled image); ``tile`` is the LR tile side (None: whole),
    ``overlap`` at least the receptive-field radius for an exact result; ``device``
    defaults to the model's. The model runs in eval mode, its flags and device
    restored afterwards. Returns ``(B, C', scale h, scale w)`` on ``lr_img``'s
    device, not clipped.

    Example:
        >>> net = nn.Sequential(nn.Conv2d(3, 12, 3, padding=1), nn.PixelShuffle(2))
        >>> x = torch.rand(1, 3, 37, 29)
        >>> y = predict(net, x, scale=2, tile=20, overlap=4)
        >>> tuple(y.shape), bool((y - net(x)).abs().max() < 1e-5)
        ((1, 3, 74, 58), True)
    """
    if lr_img.ndim != 4:
        raise ValueError(f"lr_img must be (B, C, h, w), got {tuple(lr_img.shape)}")
    if tile is not None:
        if overlap < 0:
            raise ValueError(f"overlap must be >= 0, got {overlap}")
        if tile <= 2 * overlap:
            raise ValueError(
                f"tile ({tile}) must be larger than 2 x overlap ({2 * overlap}): "
                "each tile keeps a core of tile - 2 overlap pixels"
            )
    if batch_tiles < 1:
        raise ValueError(f"batch_tiles must be >= 1, got {batch_tiles}")
    home = _model_device(model, lr_img.device)
    target = home if device is None else resolve_device(device)
    modes = {m: m.training for m in model.modules()}
    model.eval()
    if target != home:
        model.to(target)
    try:
        x = lr_img.to(target)
        if tile is None:
            return model(x).to(lr_img.device)
        out = _tiled(model, x, scale, tile, overlap, batch_tiles, progress)
        return out.to(lr_img.device)
    finally:
        if target != home:
            model.to(home)
        for module, training in modes.items():
            module.training = training


def _tiled(
    model: nn.Module,
    x: torch.Tensor,
    scale: int,
    tile: int,
    overlap: int,
    batch_tiles: int,
    progress: bool = False,
) -> torch.Tensor:
    from tqdm.auto import tqdm

    b, _, h, w = x.shape
    rows, cols = tile_spans(h, tile, overlap), tile_spans(w, tile, overlap)
    th, tw = min(tile, h), min(tile, w)
    jobs = [(r, c) for r in rows for c in cols]
    out: torch.Tensor | None = None
    bar = tqdm(
        total=len(jobs),
        desc=f"tiles of {th}x{tw}",
        disable=not progress or len(jobs) < 2,
        leave=False,
    )
    for i in range(0, len(jobs), batch_tiles):
        chunk = jobs[i : i + batch_tiles]
        inputs = torch.cat(
            [x[..., r[0] : r[0] + th, c[0] : c[0] + tw] for r, c in chunk]
        )
        y = model(inputs)  # (len(chunk) * B, C', th * scale, tw * scale)
        if tuple(y.shape[-2:]) != (th * scale, tw * scale):
            raise ValueError(
                f"the model turned a {th}x{tw} tile into {tuple(y.shape[-2:])}, not "
                f"{scale}x larger; pass the model's scale (1 for upsampled input)"
            )
        if out is None:
            out = y.new_empty(b, y.shape[1], h * scale, w * scale)
        for k, ((ys, y0, y1), (xs, x0, x1)) in enumerate(chunk):
            part = y[k * b : (k + 1) * b]
            out[..., y0 * scale : y1 * scale, x0 * scale : x1 * scale] = part[
                ...,
                (y0 - ys) * scale : (y1 - ys) * scale,
                (x0 - xs) * scale : (x1 - xs) * scale,
            ]
        bar.update(len(chunk))
    bar.close()
    return out
