"""Did a run train? One rule for every optimisation, from the run's own record.

Each method minimises an objective on which the bicubic interpolation also has a
value ``e0``, from the LR input or the training patches alone, never a test image's
HR: ZSSR/OSR's reconstruction of the LR image from its son, DIP's data term over its
last :data:`TAIL` of steps, a supervised run's last logged training loss. With ``e1``
the run's first error, :func:`verdict` applies :data:`RULE`; a GAN's losses do not
fall, so KernelGAN is judged on its final kernel (:func:`kernel_health`) and an
adversarial fine-tuning on its content loss (:func:`gan_health`). A run not
``"trained"`` is flagged in every table it enters (:func:`flag`).

Example:
    >>> verdict(0.9, 1.0, 1.0), verdict(0.99, 1.0, 1.0), verdict(1.2, 1.0, 1.0)
    ('trained', 'stalled', 'diverged')
    >>> verdict(2.0, 1.0, 50.0)  # fell from 50 but stays above the interpolation
    'under-fitted'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

#: How far below (above) the interpolation's error a run must end to be trained
#: (diverged).
MARGIN = 0.05
#: The share of DIP's steps whose mean data term is its final error.
TAIL = 0.05
VERDICTS = ("trained", "under-fitted", "stalled", "diverged")
#: KernelGAN's kernel: how far from 1 its taps may sum, the share of its mass its
#: outer ring may hold, how close to bicubic it may stay (relative L2).
KERNEL_SUM_TOLERANCE = 0.1
KERNEL_BOUNDARY_SHARE = 0.1
KERNEL_PRIOR_DISTANCE = 0.1
#: SRGAN's content term: the share of logged steps averaged at each end, and how far
#: the end may rise above the start.
GAN_WINDOW = 0.1
GAN_CONTENT_RISE = 0.1
#: The rule in words, for the protocol chapter (the numbers come from the constants).
RULE = (
    f"a run is trained when its final error on its own objective is at least "
    f"{MARGIN:.0%} below the bicubic interpolation's error on that objective; "
    f"diverged when it ends {MARGIN:.0%} or more above its own first error (or not "
    f"finite); stalled when it never got {MARGIN:.0%} below its first error; and "
    "under-fitted when it fell but still ended above the interpolation's error. "
    "A kernel estimator (a GAN, whose losses do not fall) is trained when its kernel "
    f"sums to 1 within {KERNEL_SUM_TOLERANCE:g}, keeps at most "
    f"{KERNEL_BOUNDARY_SHARE:.0%} of its mass on its outer ring and moved more than "
    f"{KERNEL_PRIOR_DISTANCE:g} (relative distance) from the bicubic kernel it "
    "started near. An adversarial fine-tuning is diverged when its content (pixel) "
    f"loss ends more than {GAN_CONTENT_RISE:.0%} above where it started (mean of the "
    f"first and of the last {GAN_WINDOW:.0%} of its logged steps)"
)


def verdict(error: float, interp_error: float, start_error: float) -> str:
    """The verdict of a run ending at ``e = error`` (``e0 = interp_error``, ``e1 =
    start_error``): trained if ``e <= (1 - MARGIN) e0``; diverged if not finite or
    ``e >= (1 + MARGIN) e1``; stalled if ``e > (1 - MARGIN) e1``; else under-fitted."""
    finite = all(math.isfinite(v) for v in (error, interp_error, start_error))
    if not finite or error >= (1 + MARGIN) * start_error:
        return "diverged"
    if error <= (1 - MARGIN) * interp_error:
        return "trained"
    if error > (1 - MARGIN) * start_error:
        return "stalled"
    return "under-fitted"


def health(error: float, interp_error: float, start_error: float) -> dict[str, Any]:
    """A record row's health entry: verdict, the three errors, ``error / interp``.

    Example:
        >>> health(0.9, 1.0, 1.0)["ratio"]
        0.9
    """
    ratio = error / interp_error if interp_error > 0 else math.inf
    return {
        "verdict": verdict(error, interp_error, start_error),
        "error": float(error),
        "interp_error": float(interp_error),
        "start_error": float(start_error),
        "ratio": float(ratio),
    }


def tail_mean(values: Sequence[float], share: float = TAIL) -> float:
    """Mean of the last ``share`` of ``values`` (at least one value).

    Example:
        >>> tail_mean([4.0, 3.0, 2.0, 1.0], 0.5)
        1.5
    """
    if not values:
        raise ValueError("tail_mean needs at least one value")
    n = max(1, round(len(values) * share))
    return float(sum(values[-n:]) / n)


def kernel_verdict(
    kernel_sum: float, boundary_share: float, prior_distance: float
) -> str:
    """KernelGAN's verdict from its final kernel (:data:`RULE`).

    Example:
        >>> kernel_verdict(1.01, 0.02, 0.4), kernel_verdict(1.0, 0.0, 0.05)
        ('trained', 'stalled')
    """
    if (
        not all(math.isfinite(v) for v in (kernel_sum, boundary_share, prior_distance))
        or abs(kernel_sum - 1.0) > KERNEL_SUM_TOLERANCE
        or boundary_share > KERNEL_BOUNDARY_SHARE
    ):
        return "diverged"
    if prior_distance <= KERNEL_PRIOR_DISTANCE:
        return "stalled"
    return "trained"


def kernel_health(
    kernel_sum: float, boundary_share: float, prior_distance: float
) -> dict[str, Any]:
    """A KernelGAN row's health entry: its verdict and the three numbers."""
    return {
        "verdict": kernel_verdict(kernel_sum, boundary_share, prior_distance),
        "rule": "kernel",
        "kernel_sum": float(kernel_sum),
        "boundary_share": float(boundary_share),
        "prior_distance": float(prior_distance),
    }


def gan_verdict(start: float, end: float) -> str:
    """An adversarial fine-tuning's verdict from its content loss (:data:`RULE`).

    Example:
        >>> gan_verdict(1.0, 1.05), gan_verdict(1.0, 1.29)
        ('trained', 'diverged')
    """
    if not (math.isfinite(start) and math.isfinite(end)):
        return "diverged"
    return "diverged" if end > (1 + GAN_CONTENT_RISE) * start else "trained"


def gan_health(content: Sequence[float]) -> dict[str, Any]:
    """An adversarial run's health entry: verdict, the mean content loss over the
    first and last :data:`GAN_WINDOW` of logged steps, their ratio.

    Example:
        >>> gan_health([1.0] * 10 + [1.3] * 10)["verdict"]
        'diverged'
    """
    if not content:
        raise ValueError("gan_health needs the logged content losses")
    n = max(1, round(len(content) * GAN_WINDOW))
    start = float(sum(content[:n]) / n)
    end = float(sum(content[-n:]) / n)
    return {
        "verdict": gan_verdict(start, end),
        "rule": "gan",
        "start_error": start,
        "error": end,
        "ratio": end / start if start > 0 else math.inf,
    }


def row_verdict(row: Mapping[str, Any]) -> str | None:
    """A record row's verdict by today's rule, from the errors it stores; None
    without a health entry (bicubic). A ZSSR row without a start error starts at its
    first reconstruction test.

    Example:
        >>> row_verdict({"health": {"error": 1.0, "interp_error": 1.0},
        ...              "rec_mse": [1.01, 1.0]})
        'stalled'
    """
    h = row.get("health")
    if not h:
        return None
    if h.get("rule") == "kernel":
        return kernel_verdict(h["kernel_sum"], h["boundary_share"], h["prior_distance"])
    if h.get("rule") == "gan":
        return gan_verdict(h["start_error"], h["error"])
    start = h.get("start_error")
    if start is None:
        trace = row.get("rec_mse") or [h["interp_error"]]
        start = trace[0]
    return verdict(h["error"], h["interp_error"], start)


def is_healthy(row: Mapping[str, Any]) -> bool:
    """Whether a record row trained (one without a health entry counts as healthy)."""
    v = row_verdict(row)
    return v is None or v == "trained"


def flag(row: Mapping[str, Any]) -> str:
    """``""`` for a trained row, else its verdict (e.g. ``"stalled"``) as a mark."""
    return "" if is_healthy(row) else str(row_verdict(row))


def count_unhealthy(rows: Iterable[Mapping[str, Any]]) -> int:
    """How many rows did not train."""
    return sum(not is_healthy(r) for r in rows)
