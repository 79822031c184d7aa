"""The 8 symmetries of the square on ``(..., H, W)`` tensors, and their inverses.

Training data is augmented by them (random patches, :mod:`srcore.training.patches`;
ZSSR's fathers) and test-time self-ensembles average over them (ZSSR's
``final_test``; Timofte, Rothe, Van Gool, "Seven ways to improve example-based single
image super resolution", CVPR 2016, §2.6).
"""

from __future__ import annotations

import torch


def dihedral(x: torch.Tensor, k: int) -> torch.Tensor:
    """One of the 8 symmetries of the square on ``(..., H, W)``: rotate ``k % 4``
    quarter turns, then mirror left-right when ``k >= 4`` (``k = 0``: identity).

    Example:
        >>> x = torch.arange(4.0).reshape(1, 1, 2, 2)
        >>> len({tuple(dihedral(x, k).flatten().tolist()) for k in range(8)})
        8
    """
    if not 0 <= k < 8:
        raise ValueError(f"dihedral transform index must be in 0..7, got {k}")
    y = torch.rot90(x, k % 4, dims=(-2, -1)) if k % 4 else x
    return y.flip(-1) if k >= 4 else y


def undo_dihedral(y: torch.Tensor, k: int) -> torch.Tensor:
    """The inverse of :func:`dihedral`: ``undo_dihedral(dihedral(x, k), k) == x``.

    Example:
        >>> x = torch.rand(1, 1, 2, 3)
        >>> all(torch.equal(undo_dihedral(dihedral(x, k), k), x) for k in range(8))
        True
    """
    if k >= 4:
        y = y.flip(-1)
    return torch.rot90(y, -(k % 4), dims=(-2, -1)) if k % 4 else y
