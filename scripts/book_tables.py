"""Snapshot and compare every table the book shows, from the committed records.

``python scripts/book_tables.py snapshot OUT.json`` executes each chapter notebook in
read mode (``SRCORE_RESULTS_MODE=read``: nothing is trained) and stores every HTML
table of its outputs as rows of cells. ``python scripts/book_tables.py compare A B``
says, per notebook, whether every table of the first snapshot is in the second with
the same values (in any order: a chapter may move a table, or show one it used to
glue); it exits 1 on a difference. Used to show that a refactoring step kept the
book's numbers (issue 10): take a snapshot before, one after, compare.

Notebooks are matched by name, so pass ``--rename OLD=NEW`` pairs when a chapter's
file name changed, and ``--merge OLD=NEW1,NEW2`` when a chapter was split into pages:
its tables may then be in any of them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import papermill

REPO = Path(__file__).resolve().parents[1]


class _TableParser(HTMLParser):
    """Cells of every ``<table>`` in an HTML string: tables -> rows -> cell text."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.tables:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _tables(nb: nbformat.NotebookNode) -> list[list[list[str]]]:
    out = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            # A table glued for the prose (myst-nb's glue) sits under a papermill
            # record type; one displayed directly under text/html.
            html = data.get("text/html") or data.get(
                "application/papermill.record/text/html"
            )
            if not html or "<table" not in html:
                continue
            parser = _TableParser()
            parser.feed(html)
            out.extend(parser.tables)
    return out


def snapshot(target: Path) -> None:
    os.environ["SRCORE_RESULTS_MODE"] = "read"
    tables = {}
    for ipynb in sorted((REPO / "notebooks").glob("*.ipynb")):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / ipynb.name
            papermill.execute_notebook(
                str(ipynb),
                str(out),
                kernel_name="python3",
                cwd=str(ipynb.parent),
                progress_bar=False,
            )
            tables[ipynb.stem] = _tables(nbformat.read(out, as_version=4))
        print(f"{ipynb.stem}: {len(tables[ipynb.stem])} tables", file=sys.stderr)
    target.write_text(json.dumps(tables, indent=0))


def _numbers(table: list[list[str]]) -> list[str]:
    # Values only: labels of rows may be reworded, numbers may not change.
    return [
        t for row in table for cell in row for t in re.findall(r"-?\d+\.?\d*", cell)
    ]


def compare(
    a: Path, b: Path, rename: dict[str, str], merge: dict[str, list[str]] | None = None
) -> int:
    before, after = json.loads(a.read_text()), json.loads(b.read_text())
    merge = merge or {}
    status = 0
    for name, tables in before.items():
        parts = merge.get(name, [rename.get(name, name)])
        new = ",".join(parts)
        if any(part not in after for part in parts):
            print(f"{name}: missing in {b}")
            status = 1
            continue
        # Each table of before must be in after with the same numbers; the order may
        # change (a chapter may move its verdicts) and after may show more tables.
        left = [_numbers(t) for part in parts for t in after[part]]
        missing = 0
        for table in tables:
            numbers = _numbers(table)
            if numbers in left:
                left.remove(numbers)
            else:
                missing += 1
        same = missing == 0
        word = "same" if same else f"DIFFER ({missing} tables not found)"
        print(f"{name} -> {new}: {len(tables)} tables, {word}")
        status |= not same
    return status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    snap = sub.add_parser("snapshot")
    snap.add_argument("out", type=Path)
    comp = sub.add_parser("compare")
    comp.add_argument("a", type=Path)
    comp.add_argument("b", type=Path)
    comp.add_argument("--rename", nargs="*", default=[])
    comp.add_argument("--merge", nargs="*", default=[])
    args = parser.parse_args()
    if args.cmd == "snapshot":
        snapshot(args.out)
        return 0
    rename = dict(r.split("=", 1) for r in args.rename)
    merge = {old: new.split(",") for old, new in (m.split("=", 1) for m in args.merge)}
    return compare(args.a, args.b, rename, merge)


if __name__ == "__main__":
    sys.exit(main())
