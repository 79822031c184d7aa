"""Numbers in prose come from the records: no markdown cell of a chapter, and no page
of the book, states a measured or published value by hand.

A value with a unit (``0.3 dB``, ``15 minutes``, ``4×``, ``30 %``) or with two or more
decimals (``0.8931``) in a markdown cell is typed, and goes stale when the records
change; such values belong in a template field filled in by code (measured,
:mod:`srcore.prose`) or a table of :mod:`srcore.chapters.published` (reported). Math,
code spans, roles, citations and fenced directives are not prose and are skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from srcore.prose import notebook_prose

ROOT = Path(__file__).resolve().parents[1]
UNITS = r"dB|ms|s|seconds?|min(?:utes?)?|hours?|h|%|×(?!\d)|GB|MB"
VALUE_WITH_UNIT = re.compile(rf"(?<![\w.])[-+−~]?\d+(?:[.,]\d+)?\s*(?:{UNITS})(?!\w)")
DECIMALS = re.compile(r"(?<![\w.])\d+\.\d{2,}(?!\w)")
SKIPPED = [
    re.compile(r"```.*?```", re.S),  # directives (glue, figures)
    re.compile(r"\$\$.*?\$\$", re.S),  # display math
    re.compile(r"\$[^$\n]*\$"),  # inline math
    re.compile(r"\{[\w:]+\}`[^`]*`"),  # roles: glue, cite, doc
    re.compile(r"`[^`]*`"),  # code spans
]


def markdown_cells(path: Path) -> list[str]:
    """The prose of a percent-format notebook (markdown cells and the templates its
    code cells say, :func:`srcore.prose.notebook_prose`), or a whole ``.md`` page."""
    if path.suffix == ".md":
        return [path.read_text()]
    return notebook_prose(path)


def typed_values(markdown: str) -> list[str]:
    """The typed values of a markdown text (see the module docstring).

    Example:
        >>> typed_values("gains {glue:text}`gain:.2f` dB; the report: 0.31 dB, ×4")
        ['0.31 dB']
    """
    for pattern in SKIPPED:
        markdown = pattern.sub(" G ", markdown)
    with_unit = VALUE_WITH_UNIT.findall(markdown)
    bare = [d for d in DECIMALS.findall(markdown) if not any(d in v for v in with_unit)]
    return with_unit + bare


PAGES = sorted((ROOT / "notebooks").glob("*.py")) + sorted((ROOT / "book").glob("*.md"))


def test_the_scan_catches_typed_numbers() -> None:
    assert typed_values("DIP costs about 0.1 s per step") == ["0.1 s"]
    assert typed_values("~15 minutes per image") == ["~15 minutes"]
    assert typed_values("| ZSSR | 28.2554 |") == ["28.2554"]
    assert typed_values("×2, ×3 and ×4 on 11×11 kernels, {glue:text}`x:.2f` dB") == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_typed_values_in_prose(page: Path) -> None:
    typed = [
        (value, line.strip())
        for cell in markdown_cells(page)
        for line in cell.splitlines()
        for value in typed_values(line)
    ]
    assert not typed, f"{page.name}: typed values in prose (glue them): {typed}"
