"""One rule that turns a report's claim and our measurement into a verdict.

A claim is an *effect* (a difference in dB between two methods on the same images),
a direction only, or a *value*. With ``m`` the stated margin (:data:`MARGIN_DB`)
and :math:`\\sigma_o`, :math:`\\sigma_r` the spreads over seeds of ours and of the
report's, the two effects agree when

.. math::  |e_o - e_r| \\le t = \\max(m,\\ 2\\sqrt{\\sigma_o^2 + \\sigma_r^2}),

and an effect is "no difference" within its own side's noise of zero
(:math:`\\max(m, 2\\sigma)`). The outcome, the evidence a verdict needs and when a
claim is not tested are :data:`RULE`, the text the protocol chapter prints.

Example:
    >>> verdict(Claim("variant helps", report=0.8, ours=0.1, images=2))
    'not consistent at the quick budget (no difference; 2 images)'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

#: The stated margin, in dB: the floor of every tolerance, for the noise neither side
#: measures (one run per number, rounded, another implementation and hardware).
MARGIN_DB = 0.2
#: Seeds an internal-learning claim needs before it is judged reproduced or not.
MIN_SEEDS = 3
#: A claim over this many images or fewer is never judged reproduced or not.
FEW_IMAGES = 2
#: The verdicts judged at the report's budget and sample, in table order.
JUDGED = ("reproduced", "not reproduced", "contradicted")
#: The same outcomes below the report's budget or sample.
PRELIMINARY = ("consistent", "not consistent", "opposite")
#: Every verdict kind, in the order the tables count them.
VERDICTS = (*JUDGED, *PRELIMINARY, "not tested")
#: Why a claim on a perceptual (VGG) loss is not tested: the ImageNet VGG19 weights
#: cannot be downloaded in this build (:func:`srcore.vgg.vgg_weights_available`).
VGG = "needs VGG weights"
#: The columns of :func:`verdict_table`.
VERDICT_COLUMNS = ("claim (report)", "report", "ours", "how we measured", "paper")
VERDICT_COLUMNS += ("verdict",)
#: The rule in a few sentences, for the protocol chapter.
RULE = (
    "our effect and the report's agree when they lie within t of each other, "
    "t being the larger of the stated margin and twice the combined spread of the two "
    "sides (ours over seeds, the report's where it states one); an effect within its "
    "own side's noise of zero is no difference. A claim is *reproduced* when the two "
    "agree (for a claim of direction only: ours is beyond its noise in that "
    "direction), *contradicted* when ours is beyond its noise in the opposite "
    "direction, *not reproduced* otherwise (same sign but another size, no difference "
    "where the report saw one, or an effect where the report's value is within its "
    "own noise of zero). These three words need the report's own budget and sample: "
    "the paper budget, at least the report's images and more than "
    f"{FEW_IMAGES}, and for an internal-learning method at least {MIN_SEEDS} seeds. "
    "Below that the same outcomes read *consistent*, *not consistent* and "
    "*opposite*, with the budget and what is missing, and are counted apart. A claim "
    "is *not tested* when nothing measures it, when a run behind it did not train by "
    "the health rule, or when it rests on a run made from uncommitted code"
)


@dataclass(frozen=True)
class Claim:
    """One claim of a report and what we measured for it.

    ``report``/``ours``: the two effects in ``unit`` (``spread``: ours over
    ``seeds`` seeds; ``direction`` +1/-1 for a claim of direction only).
    ``budget``, ``images`` (per seed), ``report_images``, ``internal`` (needs
    :data:`MIN_SEEDS` seeds) decide whether the outcome is judged in full; ``exact``
    is a deterministic check, judged outright. ``unhealthy``/``dirty`` count runs
    behind ``ours`` that did not train or came from uncommitted code (not tested),
    ``unchecked`` those made before the health rule (at most consistent).
    ``setting``, ``paper`` and ``source`` are the table's text.
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
    unchecked: int = 0
    why_not: str | None = None
    budget: str = "quick"
    images: int | None = None
    report_images: int | None = None
    report_spread: float | None = None
    internal: bool = False
    exact: bool = False
    source: str = "report"


def _noise(margin: float, *spreads: float | None) -> float:
    return max(margin, 2.0 * math.sqrt(sum((s or 0.0) ** 2 for s in spreads)))


def tolerance(c: Claim) -> float:
    """``max(margin, 2 sqrt(spread² + report_spread²))``: the largest difference
    between the two effects that still agrees."""
    return _noise(c.margin, c.spread, c.report_spread)


def shortfalls(c: Claim) -> list[str]:
    """What keeps ``c`` from a verdict at the report's budget and sample (empty: it
    is judged in full).

    Example:
        >>> shortfalls(Claim("x", images=2, internal=True))
        ['1 seed', '2 images']
    """
    if c.exact:
        return []
    out = []
    if c.internal and c.seeds < MIN_SEEDS:
        out.append(f"{c.seeds} seed" + ("" if c.seeds == 1 else "s"))
    if c.images is None and not c.value:
        out.append("images not stated")
    elif c.images is not None and c.images <= FEW_IMAGES:
        out.append(f"{c.images} image" + ("" if c.images == 1 else "s"))
    elif c.images is not None and c.report_images and c.images < c.report_images:
        out.append(f"{c.images} of the report's {c.report_images} images")
    if c.unchecked:
        runs = "run" if c.unchecked == 1 else "runs"
        out.append(f"{c.unchecked} {runs} made before the health rule")
    return out


def _outcome(c: Claim) -> tuple[str, str]:
    """(agrees / differs / opposite, the reason) by the rule of the module."""
    t = tolerance(c)
    if c.value and c.report is not None:
        if abs(c.ours - c.report) <= t:
            return "agrees", ""
        return "differs", "smaller" if c.ours < c.report else "larger"
    if c.report is not None and abs(c.ours - c.report) <= t:
        return "agrees", ""
    sign = c.direction or (
        0 if c.report is None else _sign(c.report, _noise(c.margin, c.report_spread))
    )
    ours = _sign(c.ours, _noise(c.margin, c.spread))
    if sign and ours == sign:
        if c.report is None:
            return "agrees", ""
        size = "smaller" if abs(c.ours) < abs(c.report) else "larger"
        return "differs", f"same sign, {size}"
    if sign and ours == -sign:
        return "opposite", ""
    if not ours:
        return "differs", "no difference"
    return "differs", "an effect where the report's is within its noise of zero"


_WORDS = {
    judged: dict(zip(("agrees", "differs", "opposite"), words, strict=True))
    for judged, words in ((True, JUDGED), (False, PRELIMINARY))
}


def verdict(c: Claim) -> str:
    """The verdict of one claim by the rule of this module (see its docstring)."""
    if c.why_not:
        return f"not tested ({c.why_not})"
    if c.ours is None or not math.isfinite(c.ours):
        return "not tested (nothing measured yet)"
    if c.dirty:
        runs = "run" if c.dirty == 1 else "runs"
        return f"not tested ({c.dirty} {runs} from uncommitted code)"
    if c.unhealthy:
        runs = "run" if c.unhealthy == 1 else "runs"
        return f"not tested (under-trained: {c.unhealthy} {runs} did not train)"
    outcome, reason = _outcome(c)
    gaps = shortfalls(c)
    full = c.exact or (c.budget == "paper" and not gaps)
    word = _WORDS[full][outcome]
    if not c.exact:
        word += f" at the {c.budget} budget"
    why = "; ".join(x for x in (reason, ", ".join(gaps)) if x)
    return f"{word} ({why})" if why else word


def verdict_kind(v: str) -> str:
    """The kind of a verdict (one of :data:`VERDICTS`).

    Example:
        >>> verdict_kind("not consistent at the quick budget (1 seed)")
        'not consistent'
    """
    for kind in sorted(VERDICTS, key=len, reverse=True):
        if v.startswith(kind):
            return kind
    raise ValueError(f"not a verdict: {v!r}")


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
    """The chapter's verdict table (:data:`VERDICT_COLUMNS`); ``report_text`` prints
    a claim's report number where a bare effect is not enough (``"3-4× slower"``).
    """
    texts = list(report_text) if report_text else [None] * len(claims)
    rows = []
    for c, text in zip(claims, texts, strict=True):
        reported = text or (
            _value(c.report, c.unit, c.report_spread)
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
    return pd.DataFrame(rows, columns=VERDICT_COLUMNS)


def joined_table(claims_by_chapter: Mapping[str, Sequence[Claim]]) -> pd.DataFrame:
    """Several chapters' verdict tables in one, with ``chapter`` first and
    ``source`` last.

    Example:
        >>> t = joined_table({"a": [Claim("x", why_not="no run")], "b": []})
        >>> t[["chapter", "verdict", "source"]].values.tolist()
        [['a', 'not tested (no run)', 'report']]
    """
    frames = []
    for chapter, claims in claims_by_chapter.items():
        if not claims:
            continue
        table = verdict_table(claims)
        table.insert(0, "chapter", chapter)
        table["source"] = [c.source for c in claims]
        frames.append(table)
    if not frames:
        return pd.DataFrame(columns=["chapter", *VERDICT_COLUMNS, "source"])
    return pd.concat(frames, ignore_index=True)


def verdict_counts(verdicts: Iterable[str]) -> dict[str, int]:
    """How many verdicts of each kind (:func:`verdict_kind`), in :data:`VERDICTS`
    order."""
    out = dict.fromkeys(VERDICTS, 0)
    for v in verdicts:
        out[verdict_kind(v)] += 1
    return out


def summary_line(claims: Sequence[Claim]) -> str:
    """The verdict counts of ``claims`` in words, for a chapter's prose.

    Example:
        >>> line = summary_line([Claim("a", report=1.0, ours=1.0, images=5),
        ...                      Claim("b", why_not="x")])
        >>> line.split("; ")[1]
        'below it: 1 consistent, 0 not consistent, 0 opposite'
    """
    counts = verdict_counts(verdict(c) for c in claims)
    judged = ", ".join(f"{counts[v]} {v}" for v in JUDGED)
    below = ", ".join(f"{counts[v]} {v}" for v in PRELIMINARY)
    return (
        f"at the report's budget and sample: {judged}; below it: {below}; "
        f"{counts['not tested']} not tested (of {len(claims)} claims)"
    )
