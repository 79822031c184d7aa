"""Figures and display tables for the book. No computation happens here.

Every figure function returns a matplotlib ``Figure``. :func:`style_table` and
:func:`provenance_caption` come from :mod:`srcore.tableformat`, so that a notebook
imports one module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from srcore.degrade import kernel_to_image
from srcore.tableformat import HEADERS as HEADERS
from srcore.tableformat import provenance_caption as provenance_caption
from srcore.tableformat import style_table as style_table


def _to_hwc(x: torch.Tensor) -> np.ndarray:
    arr = x.detach().cpu().float().clamp(0, 1)[0].permute(1, 2, 0).numpy()
    return arr[..., 0] if arr.shape[2] == 1 else arr


def detail_box(hr: torch.Tensor, size: int) -> tuple[int, int, int, int]:
    """The ``size x size`` window of ``hr`` with the most detail: the largest sum of
    squared horizontal and vertical differences of its luma (channel mean), as
    ``(top, left, size, size)``; the first such window on ties.

    Example:
        >>> x = torch.zeros(1, 1, 16, 16)
        >>> x[..., 10:, 12:] = torch.rand(1, 1, 6, 4)
        >>> detail_box(x, 4)[:2] >= (9, 8)
        True
    """
    y = hr.float().mean(dim=1, keepdim=True)
    energy = torch.zeros_like(y)
    energy[..., :, 1:] += (y[..., :, 1:] - y[..., :, :-1]) ** 2
    energy[..., 1:, :] += (y[..., 1:, :] - y[..., :-1, :]) ** 2
    size = min(size, y.shape[-2], y.shape[-1])
    window = torch.nn.functional.avg_pool2d(energy, size, stride=1)[0, 0]
    top, left = divmod(int(torch.argmax(window)), window.shape[-1])
    return top, left, size, size


def plot_crops(
    images: Mapping[str, torch.Tensor],
    box: tuple[int, int, int, int] | None = None,
    *,
    full: str | None = None,
    title: str | None = None,
    reference: str = "HR",
    detail: int = 32,
    cols: int = 4,
) -> Figure:
    """Side-by-side crops ``box = (top, left, height, width)`` of same-size images,
    at most ``cols`` per row (so each stays readable at page width).

    ``box=None``: the ``detail``-pixel window of most detail in ``images[reference]``
    (:func:`detail_box`), so a crop shows texture rather than flat skin. Each panel
    other than the reference is titled with its PSNR against the reference on the
    shown window (Y channel; grey levels for a one-channel image). With ``full``
    naming one image, it is shown whole first with the box drawn on it. Values are
    shown without interpolation so pixels stay pixels.
    """
    from srcore.metrics import psnr

    if box is None:
        box = detail_box(images[reference], detail)
    top, left, h, w = box
    names = list(images)
    n = len(names) + (1 if full else 0)
    ncols = min(n, cols)
    nrows = int(np.ceil(n / ncols))
    fig, grid = plt.subplots(
        nrows, ncols, figsize=(2.6 * ncols, 2.8 * nrows), squeeze=False
    )
    axes = list(grid.flat)
    k = 0
    if full:
        img = _to_hwc(images[full])
        axes[0].imshow(img, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        axes[0].add_patch(Rectangle((left, top), w, h, fill=False, ec="red", lw=1.5))
        axes[0].set_title(full, fontsize=9)
        k = 1
    ref = images.get(reference)
    ref_crop = None if ref is None else ref[..., top : top + h, left : left + w]
    for ax, name in zip(axes[k:], names, strict=False):
        crop = images[name][..., top : top + h, left : left + w]
        ax.imshow(_to_hwc(crop), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        label = name
        if ref_crop is not None and name != reference:
            value = float(psnr(crop.clamp(0, 1), ref_crop.clamp(0, 1))[0])
            label = f"{name}\n{value:.2f} dB"
        ax.set_title(label, fontsize=9)
    for ax in axes:
        ax.set(xticks=[], yticks=[])
    for ax in axes[n:]:
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_kernel_gallery(
    kernels: Sequence[torch.Tensor | np.ndarray],
    titles: Sequence[str],
    *,
    cols: int = 6,
) -> Figure:
    """A grid of blur kernels, each scaled to its own peak."""
    rows = int(np.ceil(len(kernels) / cols))
    fig, axes = plt.subplots(
        rows, cols, figsize=(1.8 * cols, 1.9 * rows), squeeze=False
    )
    for ax in axes.flat:
        ax.axis("off")
    for ax, kernel, title in zip(axes.flat, kernels, titles, strict=False):
        ax.imshow(kernel_to_image(kernel), cmap="magma", interpolation="nearest")
        ax.set_title(title, fontsize=8)
    fig.tight_layout()
    return fig


def plot_training_curves(
    histories: Mapping[str, Mapping[str, Sequence[float]]],
) -> Figure:
    """Training loss (log scale) and validation PSNR against updates, one line each."""
    fig, (ax_loss, ax_val) = plt.subplots(1, 2, figsize=(10, 3.2))
    for name, h in histories.items():
        if h.get("step"):
            ax_loss.plot(h["step"], h["loss"], label=name)
        if h.get("val_step"):
            ax_val.plot(h["val_step"], h["val_psnr"], marker="o", ms=3, label=name)
    ax_loss.set(yscale="log", xlabel="update", ylabel="training loss")
    ax_val.set(xlabel="update", ylabel="Set5 PSNR (dB)")
    for ax in (ax_loss, ax_val):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def finish_psnr_axes(fig: Figure, ax: Axes, xlabel: str) -> Figure:
    """The common finish of a PSNR-against-iterations plot: labels, grid, legend."""
    ax.set(xlabel=xlabel, ylabel="PSNR (dB, Y)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
