"""One rule that turns a report's claim and our measurement into a verdict.

A claim is an *effect*: a difference in dB between two methods on the same images
(a variant minus its base, a method minus bicubic), or a direction only ("A is
faster than B"). Our effect is measured on our records, with its spread over seeds
where there are several. With the tolerance

.. math::  t = \\max(m, 2\\,\\sigma_{\\text{seeds}})

(``m`` = :data:`MARGIN_DB` unless the claim states its own margin, :math:`\\sigma`
the standard deviation of our effect over seeds, 0 with one seed) the verdict is

* **reproduced**: our effect lies within ``t`` of the report's; for a direction-only
  claim, ours is beyond ``t`` in the claimed direction;
* **contradicted**: ours is beyond ``t`` in the opposite direction to the report's;
* **not reproduced**: anything else, with the reason: same sign but smaller or
  larger, no difference where the report saw one, or an effect where it saw none;
* a claim of a *value* (a time, a ratio, an error) is reproduced when ours lies
  within ``t`` of it, otherwise not reproduced (smaller or larger);
* **not tested**: no measurement (the row says why), or a measurement resting on a
  run that failed the health rule (:mod:`srcore.health`; a dead run decides
  nothing) or on a record made from uncommitted code (its commit does not say what
  made it).

A difference within ``t`` of zero is "no difference": it is never ranked.

Example:
    >>> verdict(Claim("variant helps", report=0.8, ours=0.7))
    'reproduced'
    >>> verdict(Claim("variant helps", report=0.8, ours=-0.5))
    'contradicted'
    >>> verdict(Claim("variant helps", report=0.8, ours=0.1))
    'not reproduced (no difference)'
    >>> verdict(Claim("faster", direction=1, ours=3.0, unit="×", margin=1.0))
    'reproduced'
    >>> verdict(Claim("costs 3.5×", report=3.5, ours=13.0, value=True, margin=0.5))
    'not reproduced (larger)'
    >>> verdict(Claim("needs VGG", why_not="needs VGG weights"))
    'not tested (needs VGG weights)'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

__all__ = [
    "MARGIN_DB",
    "VERDICTS",
    "RULE",
    "Claim",
    "tolerance",
    "verdict",
    "verdict_table",
    "verdict_counts",
    "summary_line",
]

#: The stated margin, in dB, for a claim measured with one seed: half the 0.02 dB
#: protocol agreement is far below it; 0.2 dB is about the spread of ZSSR over seeds
#: and of a 10-image mean's 8-bit and crop differences between two implementations.
MARGIN_DB = 0.2
#: The verdicts, in the order the tables count them.
VERDICTS = ("reproduced", "not reproduced", "contradicted", "not tested")
#: The rule in one sentence, for the protocol chapter.
RULE = (
    "a claim is *reproduced* when our effect lies within t of the report's "
    "(for a claim of direction only: beyond t in the claimed direction), "
    "*contradicted* when ours is beyond t in the opposite direction, *not "
    "reproduced* otherwise (same sign but another size, or no difference where the "
    "report saw one), and *not tested* when no record measures it, when a "
    "run behind it failed the health rule or when a record behind it was made from "
    "uncommitted code; t is the larger of the stated margin "
    "and twice our spread over seeds"
)


@dataclass(frozen=True)
class Claim:
    """One claim of a report and what we measured for it.

    claim: the report's words, short. report: the report's effect (``unit``), or
    None; direction: +1/-1 when the claim only states a direction. ours: our effect;
    spread: its standard deviation over ``seeds`` seeds (None with one seed).
    setting: how ours was made ("quick · Set5 · 3 seeds"). paper: the original
    paper's effect or value where one exists (text, with its tag). value: the claim
    is a quantity (a time, a ratio, an error), not a difference: only "within the
    margin" or "smaller/larger" apply. unhealthy: how
    many runs behind ``ours`` failed the health rule; dirty: how many of its records
    were made from uncommitted code. why_not: why it was not run.
    """

    claim: str
    report: float | None = None
    ours: float | None = None
    spread: float | None = None
    seeds: int = 1
    setting: str = ""
    paper: str = ""
    unit: str = "dB"
    margin: float = MARGIN_DB
    direction: int = 0
    value: bool = False
    unhealthy: int = 0
    dirty: int = 0
    why_not: str | None = None


def tolerance(c: Claim) -> float:
    """``max(margin, 2 * spread)``: below it a difference is no difference.

    Example:
        >>> tolerance(Claim("x", spread=0.3)), tolerance(Claim("x"))
        (0.6, 0.2)
    """
    return max(c.margin, 2.0 * (c.spread or 0.0))


def verdict(c: Claim) -> str:
    """The verdict of one claim by the rule of this module (see its docstring)."""
    if c.why_not:
        return f"not tested ({c.why_not})"
    if c.ours is None or not math.isfinite(c.ours):
        return "not tested (no record)"
    if c.dirty:
        records = "record" if c.dirty == 1 else "records"
        return (
            f"not tested ({c.dirty} {records} from uncommitted code, re-make pending)"
        )
    if c.unhealthy:
        runs = "run" if c.unhealthy == 1 else "runs"
        return f"not tested ({c.unhealthy} {runs} did not train)"
    t = tolerance(c)
    if c.value and c.report is not None:
        if abs(c.ours - c.report) <= t:
            return "reproduced"
        return "not reproduced (" + ("smaller" if c.ours < c.report else "larger") + ")"
    sign = c.direction or (0 if c.report is None else _sign(c.report, t))
    if c.report is not None and abs(c.ours - c.report) <= t:
        return "reproduced"
    ours = _sign(c.ours, t)
    if c.report is None and sign and ours == sign:
        return "reproduced"
    if sign and ours == -sign:
        return "contradicted"
    if not ours:
        return "not reproduced (no difference)"
    if not sign:
        return "not reproduced (an effect where the report saw none)"
    if c.report is None:
        return "not reproduced"
    size = "smaller" if abs(c.ours) < abs(c.report) else "larger"
    return f"not reproduced (same sign, {size})"


def _sign(x: float, t: float) -> int:
    """+1 / -1 beyond ``t``, 0 within it."""
    return 0 if abs(x) <= t else (1 if x > 0 else -1)


def _value(x: float | None, unit: str, spread: float | None = None) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if unit == "dB":
        text = f"{x:+.2f}"
        if spread is not None:
            text += f" ± {spread:.2f}"
        return text + " dB"
    return f"{x:.3g}{unit}" if unit == "×" else f"{x:.3g} {unit}"


def verdict_table(claims: Sequence[Claim], report_text: Sequence[str] | None = None):
    """The chapter's verdict table: claim, the report's number, ours (with its
    setting), the paper's where one exists, the verdict.

    ``report_text``: how to print each claim's report number where a bare effect is
    not enough (e.g. ``"3-4× slower"``); default the effect.

    Example:
        >>> t = verdict_table([Claim("DoG beats MSE", report=0.3, ours=0.25,
        ...                          setting="quick · T91 · 1 seed")])
        >>> list(t.columns)[:3], t.iloc[0]["verdict"]
        (['claim (report)', 'report', 'ours'], 'reproduced')
    """
    texts = list(report_text) if report_text else [None] * len(claims)
    rows = []
    for c, text in zip(claims, texts, strict=True):
        reported = text or (
            _value(c.report, c.unit)
            if c.report is not None
            else ({1: "more", -1: "less"}.get(c.direction, "–"))
        )
        rows.append(
            {
                "claim (report)": c.claim,
                "report": reported,
                "ours": _value(c.ours, c.unit, c.spread),
                "how we measured": c.setting or "–",
                "paper": c.paper or "–",
                "verdict": verdict(c),
            }
        )
    return pd.DataFrame(rows)


def verdict_counts(verdicts: Iterable[str]) -> dict[str, int]:
    """How many verdicts of each kind (a verdict with its reason in brackets counts
    as its kind).

    Example:
        >>> verdict_counts(["reproduced", "not tested (x)", "reproduced"])
        {'reproduced': 2, 'not reproduced': 0, 'contradicted': 0, 'not tested': 1}
    """
    out = dict.fromkeys(VERDICTS, 0)
    for v in verdicts:
        out[v.split(" (")[0]] += 1
    return out


def summary_line(claims: Sequence[Claim]) -> str:
    """The verdict counts of ``claims`` in words, for a chapter's prose.

    Example:
        >>> summary_line([Claim("a", report=1.0, ours=1.0), Claim("b", why_not="x")])
        '1 reproduced, 0 not reproduced, 0 contradicted, 1 not tested (of 2 claims)'
    """
    counts = verdict_counts(verdict(c) for c in claims)
    words = ", ".join(f"{n} {v}" for v, n in counts.items())
    return f"{words} (of {len(claims)} claims)"
