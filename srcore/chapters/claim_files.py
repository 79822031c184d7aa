"""The claims (and a few facts) each chapter judged, stored as JSON beside the
records (``<results>/claims/<chapter>-<profile>.json``) where the synthesis chapter
and the front page read them; nothing re-runs a chapter.

In results mode ``read`` a notebook only *checks* its file and fails with the
command that refreshes it (``make claims``, which sets ``SRCORE_CLAIMS=write``).

Example:
    >>> import tempfile
    >>> from srcore.chapters.verdicts import Claim
    >>> from srcore.runs.context import RunContext
    >>> ctx = RunContext(results=tempfile.mkdtemp(), mode="auto")
    >>> path = publish("r9", [Claim("A beats B", report=1.0, ours=0.9)], ctx)
    >>> path.name, load(["r9"], ctx)["r9"][0].ours
    ('r9-quick.json', 0.9)
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from srcore.chapters.verdicts import Claim
from srcore.runs.context import RunContext
from srcore.runs.results import atomic_write_json, results_mode, results_root

#: The folder under a results root that holds the chapters' claims.
FOLDER = "claims"


class StaleClaims(RuntimeError):
    """A chapter's stored claims differ from what its records now give."""


def claims_path(chapter: str, ctx: RunContext, kind: str = "") -> Path:
    """Where ``chapter``'s claims at ``ctx.profile`` are stored (``kind="facts"``:
    its facts)."""
    root = results_root(ctx.results, ctx.profile)
    suffix = f".{kind}.json" if kind else ".json"
    return root / FOLDER / f"{chapter}-{ctx.profile}{suffix}"


def _canonical(data: object) -> str:
    """One text per content (NaN equals NaN, key order ignored)."""
    return json.dumps(data, sort_keys=True)


def publish(chapter: str, claims: Sequence[Claim], ctx: RunContext) -> Path:
    """Store ``claims`` for the synthesis; in read mode, check the stored file instead
    (raise :class:`StaleClaims` when it differs) unless ``SRCORE_CLAIMS=write``."""
    data = [dataclasses.asdict(c) for c in claims]
    return _store(claims_path(chapter, ctx), data, ctx)


def _store(path: Path, data: object, ctx: RunContext) -> Path:
    """Write ``data`` to ``path``, or in read mode check that it is what ``path``
    holds (see :func:`publish`)."""
    checking = results_mode(ctx.mode) == "read"
    if os.environ.get("SRCORE_CLAIMS") == "write":
        checking = False
    if checking:
        stored = json.loads(path.read_text()) if path.exists() else None
        if _canonical(stored) != _canonical(json.loads(json.dumps(data))):
            raise StaleClaims(
                f"{path} is out of date with the records: run `make claims` and "
                "commit it"
            )
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, data)
    return path


def _read(chapter: str, ctx: RunContext, kind: str = "") -> Any:
    path = claims_path(chapter, ctx, kind)
    return json.loads(path.read_text()) if path.exists() else None


def load(chapters: Sequence[str], ctx: RunContext) -> dict[str, list[Claim] | None]:
    """Each chapter's stored claims at ``ctx.profile`` (None: none stored yet)."""
    rows = {chapter: _read(chapter, ctx) for chapter in chapters}
    return {c: None if r is None else [Claim(**x) for x in r] for c, r in rows.items()}


def publish_facts(chapter: str, facts: Mapping[str, Any], ctx: RunContext) -> Path:
    """Store a few plain JSON values of ``chapter`` for the front page, like
    :func:`publish`.

    Example:
        >>> import tempfile
        >>> ctx = RunContext(results=tempfile.mkdtemp(), mode="auto")
        >>> publish_facts("r9", {"paper_done": 3, "paper_total": 5}, ctx).name
        'r9-quick.facts.json'
        >>> load_facts(["r9", "r8"], ctx)
        {'r9': {'paper_done': 3, 'paper_total': 5}, 'r8': None}
    """
    return _store(claims_path(chapter, ctx, "facts"), dict(facts), ctx)


def load_facts(
    chapters: Sequence[str], ctx: RunContext
) -> dict[str, dict[str, Any] | None]:
    """Each chapter's stored facts at ``ctx.profile`` (None: none stored yet)."""
    return {chapter: _read(chapter, ctx, "facts") for chapter in chapters}


def load_all(ctx: RunContext) -> dict[str, list[Claim]]:
    """Every chapter's stored claims at ``ctx.profile``, by chapter name (sorted)."""
    folder = results_root(ctx.results, ctx.profile) / FOLDER
    suffix = f"-{ctx.profile}.json"
    names = sorted(p.name[: -len(suffix)] for p in folder.glob(f"*{suffix}"))
    return {name: claims for name, claims in load(names, ctx).items() if claims}
