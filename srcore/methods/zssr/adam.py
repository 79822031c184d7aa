"""Adam as ZSSR trains with it: one network's (:class:`Adam`) or N stacked ones'
(:class:`RowAdam`, one step count and learning rate per image).

``torch.optim.Adam``'s formula (:func:`adam_update`), written out so that the
one-image and the N-image loops compute it with the same float operations
(``torch.optim.Adam`` updates ``m`` by ``lerp``, which rounds differently):

    m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2,
    p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).

The reference's ``tf.train.AdamOptimizer`` adds ``eps`` to ``sqrt(v)`` before the
bias correction; PyTorch (and this) to ``sqrt(v_hat)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

__all__ = ["adam_update", "Adam", "RowAdam"]


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
    """One Adam step: the new ``(p, m, v)`` (the inputs are left as they are).

    ``step_size = lr / (1 - b1^t)`` and ``bc2_sqrt = sqrt(1 - b2^t)`` are floats, or
    tensors that broadcast against ``p`` (one value per stacked row); the examples
    are :class:`Adam`'s and :class:`RowAdam`'s.
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
