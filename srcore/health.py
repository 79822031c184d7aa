"""Did a run train? One rule for every optimisation, from the run's own record.

Every method here minimises an objective that the bicubic interpolation also has a
value on, computed from the LR input alone (or, for supervised training, from the
training patches), never from a test image's HR:

=============  =========================================  ===========================
run            the run's own error ``e``                  the interpolation's ``e0``
=============  =========================================  ===========================
ZSSR, OSR      reconstruction of the LR image from its    the same with the network
               son, after training (ZSSR's lr test)       removed (son interpolated)
DIP            data term ``loss(d(f(z)), x0)``, mean of   ``loss(d(bicubic(x0)), x0)``
               the last 5 % of steps
supervised     training loss, last logged window          the same loss of the
                                                          interpolated input on the
                                                          first training batches
=============  =========================================  ===========================

The verdict compares ``r = e / e0``:

- ``"trained"`` when ``r <= 1 - MARGIN``: the run ends at least ``MARGIN`` below
  what the interpolation scores on the run's own objective;
- ``"diverged"`` when ``r >= 1 + MARGIN`` or ``e`` is not finite;
- ``"stalled"`` otherwise: it never left the interpolation.

A run that is not ``"trained"`` is flagged in every table and average it enters
(:func:`flag`). The rule cannot see the HR image: a run may train by it and still
score below bicubic (it then learnt its own objective but not the test image), and
the chapters say so where it happens.

Example:
    >>> verdict(0.9, 1.0), verdict(0.99, 1.0), verdict(1.2, 1.0)
    ('trained', 'stalled', 'diverged')
    >>> health(0.9, 1.0)
    {'verdict': 'trained', 'error': 0.9, 'interp_error': 1.0, 'ratio': 0.9}
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "MARGIN",
    "TAIL",
    "VERDICTS",
    "verdict",
    "health",
    "tail_mean",
    "is_healthy",
    "flag",
    "count_unhealthy",
    "RULE",
]

#: How far below (above) the interpolation's error a run must end to count as
#: trained (diverged): 5 %.
MARGIN = 0.05
#: The share of DIP's steps whose mean data term is its final error.
TAIL = 0.05
VERDICTS = ("trained", "stalled", "diverged")
#: The rule in words, for the protocol chapter (the numbers come from the constants).
RULE = (
    f"a run is trained when its own final error is at least {MARGIN:.0%} below the "
    f"bicubic interpolation's error on the same objective, diverged when it is "
    f"{MARGIN:.0%} above it (or not finite), and stalled otherwise"
)


def verdict(error: float, interp_error: float) -> str:
    """``"trained"``, ``"stalled"`` or ``"diverged"`` for a run ending at ``error``
    against the interpolation's ``interp_error`` (module docstring)."""
    if not math.isfinite(error) or not math.isfinite(interp_error):
        return "diverged"
    if interp_error <= 0:
        return "trained" if error <= 0 else "diverged"
    r = error / interp_error
    if r <= 1 - MARGIN:
        return "trained"
    return "diverged" if r >= 1 + MARGIN else "stalled"


def health(error: float, interp_error: float) -> dict[str, Any]:
    """The health entry of a record row: verdict, both errors and their ratio."""
    ratio = error / interp_error if interp_error > 0 else math.inf
    return {
        "verdict": verdict(error, interp_error),
        "error": float(error),
        "interp_error": float(interp_error),
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


def is_healthy(row: Mapping[str, Any]) -> bool:
    """Whether a record row trained (rows without a health entry, e.g. bicubic or
    the records made before the rule, count as healthy)."""
    h = row.get("health")
    return h is None or h.get("verdict") == "trained"


def flag(row: Mapping[str, Any]) -> str:
    """``""`` for a trained row, else its verdict (e.g. ``"stalled"``) as a mark."""
    return "" if is_healthy(row) else str(row["health"]["verdict"])


def count_unhealthy(rows: Iterable[Mapping[str, Any]]) -> int:
    """How many rows did not train."""
    return sum(not is_healthy(r) for r in rows)
