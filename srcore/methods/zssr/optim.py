"""How ZSSR optimises: the Adam update, for one network (:class:`Adam`) or N stacked
ones (:class:`RowAdam`), and ``ZSSR.py learning_rate_policy`` with one guard of ours
(:func:`lr_may_drop`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from srcore.methods.zssr.config import ZSSRConfig

__all__ = [
    "adam_update",
    "Adam",
    "RowAdam",
    "fit_slope",
    "lr_should_drop",
    "lr_check_due",
    "lr_may_drop",
    "lr_drops",
]


def adam_update(
    p: torch.Tensor,
    g: torch.Tensor,
    m: torch.Tensor,
    v: torch.Tensor,
    step_size: float | torch.Tensor,
    bc2_sqrt: float | torch.Tensor,
    betas: tuple[float, float],
    eps: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One Adam step, ``torch.optim.Adam``'s formula: the new ``(p, m, v)``.

    ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2``, ``p = p - step_size m /
    (sqrt(v) / bc2_sqrt + eps)`` with ``step_size = lr / (1 - b1^t)``, ``bc2_sqrt =
    sqrt(1 - b2^t)`` (floats, or one per stacked row). Written out so both loops round
    alike (``torch.optim.Adam`` uses ``lerp``); TensorFlow, the reference's, adds
    ``eps`` before the bias correction.
    """
    b1, b2 = betas
    m = (m * b1).add_(g, alpha=1 - b1)
    v = (v * b2).addcmul_(g, g, value=1 - b2)
    denom = (v.sqrt() / bc2_sqrt).add_(eps)
    return p - step_size * m / denom, m, v


class Adam:
    """Adam on one network's parameters, updated in place by :meth:`step`.

    Example:
        >>> w = torch.zeros(3, requires_grad=True)
        >>> opt = Adam([w], (0.9, 0.999), 1e-8)
        >>> opt.step([torch.ones(3)], lr=0.01)
        >>> [round(x, 6) for x in w.tolist()]
        [-0.01, -0.01, -0.01]
    """

    def __init__(
        self, params: Sequence[torch.Tensor], betas: tuple[float, float], eps: float
    ) -> None:
        self.params, self.betas, self.eps = list(params), betas, eps
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.t = 0

    @torch.no_grad()
    def step(self, grads: Sequence[torch.Tensor], lr: float) -> None:
        """Step ``t`` (from 1) with the gradients of :attr:`params`, in order."""
        b1, b2 = self.betas
        self.t += 1
        step_size = lr / (1 - b1**self.t)
        bc2_sqrt = math.sqrt(1 - b2**self.t)
        for k, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            new, self.m[k], self.v[k] = adam_update(
                p, g, self.m[k], self.v[k], step_size, bc2_sqrt, self.betas, self.eps
            )
            p.copy_(new)


class RowAdam:
    """Adam over stacked parameters ``(N, ...)``: each row (image) has its own step
    count and learning rate, and rows left out of a step (stopped images) are not
    touched. Per row the update is :class:`Adam`'s.

    Example:
        >>> params = {"w": torch.zeros(2, 3)}
        >>> opt = RowAdam(params, (0.9, 0.999), 1e-8)
        >>> opt.step([1], [torch.ones(1, 3)], [0.01])
        >>> [round(x, 6) for x in params["w"].sum(1).tolist()]
        [0.0, -0.03]
    """

    def __init__(
        self, params: dict[str, torch.Tensor], betas: tuple[float, float], eps: float
    ) -> None:
        self.params, self.betas, self.eps = params, betas, eps
        self.m = {k: torch.zeros_like(v) for k, v in params.items()}
        self.v = {k: torch.zeros_like(v) for k, v in params.items()}
        n = next(iter(params.values())).shape[0]
        self.t = torch.zeros(n, dtype=torch.float64)

    def step(
        self, rows: list[int], grads: Sequence[torch.Tensor], lrs: list[float]
    ) -> None:
        """One step of the ``rows`` given; ``grads`` and ``lrs`` are theirs."""
        b1, b2 = self.betas
        idx = torch.tensor(rows)
        self.t[idx] += 1
        t = self.t[idx]
        dev = next(iter(self.params.values())).device
        step_size = (
            (torch.tensor(lrs, dtype=torch.float64) / (1 - b1**t)).float().to(dev)
        )
        bc2_sqrt = torch.sqrt(1 - b2**t).float().to(dev)
        idx = idx.to(dev)
        for (k, p), g in zip(self.params.items(), grads, strict=True):
            shape = (-1,) + (1,) * (p.ndim - 1)
            p[idx], self.m[k][idx], self.v[k][idx] = adam_update(
                p[idx],
                g,
                self.m[k][idx],
                self.v[k][idx],
                step_size.view(shape),
                bc2_sqrt.view(shape),
                self.betas,
                self.eps,
            )


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
    (``margin <= 0``: always, the authors' rule). Why: a network collapsed onto the
    interpolation shows a flat error that the authors' rule reads as convergence.

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
