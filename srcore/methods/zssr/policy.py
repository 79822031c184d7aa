"""ZSSR's learning-rate rule: fit a line to the reconstruction errors, drop lr by 10.

``ZSSR.py learning_rate_policy`` of the authors' code (github.com/assafshocher/ZSSR):
every ``lr_check_every`` iterations, once more than ``min_iters`` have passed since
the last change, a line is fitted to the last ``lr_slope_range // test_every``
reconstruction errors and lr is divided by 10 unless the error clearly falls. The
slope's standard error uses the numpy < 1.16 scaling the reference ran with.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from srcore.methods.zssr.config import ZSSRConfig

__all__ = ["fit_slope", "lr_should_drop", "lr_check_due"]


def fit_slope(steps: Sequence[float], errors: Sequence[float]) -> tuple[float, float]:
    """Least-squares line ``e = a t + b`` through the errors: ``(a, std(a))``.

    ``std(a) = sqrt(C[0, 0])`` with ``C = (A^T A)^-1 RSS / (M - 4)``, ``A = [t, 1]``,
    ``RSS`` the residual sum of squares over the ``M`` points: ``np.polyfit(t, e, 1,
    cov=True)`` as numpy computed it before 1.16 (``resids / (len(x) - order - 2)``,
    ``order = 2``), the version the reference ran; numpy >= 1.16 divides by ``M - 2``,
    which with the reference's 5 points gives a ``sqrt(3)`` smaller ``std``.

    Example:
        >>> slope, std = fit_slope([0, 50, 100, 150, 200], [5.0, 4.0, 3.0, 2.0, 1.0])
        >>> round(slope, 6), round(std, 6)
        (-0.02, 0.0)
    """
    t = np.asarray(steps, dtype=np.float64)
    e = np.asarray(errors, dtype=np.float64)
    if t.shape != e.shape or t.ndim != 1 or t.size < 5:
        raise ValueError(f"need >= 5 (step, error) pairs, got {t.size} and {e.size}")
    a = np.stack([t, np.ones_like(t)], axis=1)
    coef, *_ = np.linalg.lstsq(a, e, rcond=None)
    rss = float(np.sum((e - a @ coef) ** 2))
    cov = np.linalg.inv(a.T @ a) * rss / (t.size - 4)
    return float(coef[0]), float(math.sqrt(max(cov[0, 0], 0.0)))


def lr_should_drop(
    steps: Sequence[float], errors: Sequence[float], ratio: float = 1.5
) -> bool:
    """Whether the reconstruction error has stopped falling: ``-ratio * a < std(a)``.

    ZSSR.py ``learning_rate_policy``: divide lr by 10 unless the error falls by
    more than ``std / ratio`` per iteration, i.e. unless the fitted slope ``a`` is
    clearly negative; a flat or rising error always drops lr.

    Example:
        >>> lr_should_drop(range(0, 250, 50), [1.0, 0.8, 0.6, 0.4, 0.2])
        False
        >>> lr_should_drop(range(0, 250, 50), [0.5, 0.52, 0.49, 0.51, 0.5])
        True
    """
    slope, std = fit_slope(steps, errors)
    return -ratio * slope < std


def lr_check_due(it: int, last_change: int, config: ZSSRConfig) -> bool:
    """Whether iteration ``it`` (0-based) checks the lr: ``(it + 1) % 60 == 0`` and more
    than ``min_iters`` since the last change (ZSSR.py; the first check is at 299).

    Example:
        >>> lr_check_due(299, 0, ZSSRConfig()), lr_check_due(239, 0, ZSSRConfig())
        (True, False)
    """
    return (it + 1) % config.lr_check_every == 0 and it - last_change > config.min_iters
