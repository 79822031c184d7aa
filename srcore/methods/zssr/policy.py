"""ZSSR's learning-rate rule: fit a line to the reconstruction errors, drop lr by 10.

``ZSSR.py learning_rate_policy`` of the authors' code (github.com/assafshocher/ZSSR),
with one guard of ours (:func:`lr_may_drop`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from srcore.methods.zssr.config import ZSSRConfig

__all__ = ["fit_slope", "lr_should_drop", "lr_check_due", "lr_may_drop", "lr_drops"]


def fit_slope(steps: Sequence[float], errors: Sequence[float]) -> tuple[float, float]:
    """Least-squares line ``e = a t + b`` through the errors: ``(a, std(a))``.

    ``std(a) = sqrt(C[0, 0])`` with ``C = (A^T A)^-1 RSS / (M - 4)``, ``A = [t, 1]``,
    ``RSS`` the residual sum of squares over the ``M`` points: ``np.polyfit(t, e, 1,
    cov=True)`` as numpy computed it before 1.16, the version the reference ran
    (numpy >= 1.16 divides by ``M - 2``).

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
    """Whether the reconstruction error has stopped falling: ``-ratio * a < std(a)``
    for the fitted slope ``a`` (:func:`fit_slope`; ZSSR.py ``learning_rate_policy``).

    Example:
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


def lr_may_drop(error: float, interp_error: float, margin: float) -> bool:
    """Ours: the rule may cut the rate only once the latest reconstruction error is
    ``margin`` below the interpolation's, ``error < (1 - margin) * interp_error``
    (``margin <= 0``: always, the authors' rule).

    Early in training Adam can collapse the network onto the interpolation, and the
    error then stays flat at the interpolation's for a few hundred iterations; the
    authors' rule reads that plateau as convergence and cuts the rate, after which
    the network leaves it ten times slower or never. The margin is the health rule's
    (:mod:`srcore.health`).

    Example:
        >>> lr_may_drop(0.99, 1.0, 0.05), lr_may_drop(0.90, 1.0, 0.05)
        (False, True)
    """
    return margin <= 0 or error < (1 - margin) * interp_error


def lr_drops(
    it: int,
    last_change: int,
    steps: Sequence[int],
    errors: Sequence[float],
    interp_error: float,
    config: ZSSRConfig,
) -> bool:
    """The whole rule after iteration ``it`` of a stage: whether lr is divided by 10.

    A check is due (:func:`lr_check_due`), the line through the last ``lr_slope_range
    // test_every`` reconstruction errors (tested at the stage's iterations
    ``steps``) is not clearly falling (:func:`lr_should_drop`), and the error beats
    the interpolation's (:func:`lr_may_drop`). Always False without ``lr_policy``.

    Example:
        >>> lr_drops(299, 0, range(0, 300, 50), [0.5] * 6, 1.0, ZSSRConfig())
        True
    """
    n = config.lr_slope_range // config.test_every
    return (
        config.lr_policy
        and lr_check_due(it, last_change, config)
        and len(errors) >= n
        and lr_should_drop(steps[-n:], errors[-n:], config.lr_change_ratio)
        and lr_may_drop(errors[-1], interp_error, config.lr_hold_margin)
    )
