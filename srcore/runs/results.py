"""The results cache: every number in the book is a record made by ``load_or_run``.

A run is keyed by its method and the hash of its full config; one JSON per key holds
per-image metrics, timings, history and provenance. In ``"read"`` mode (the book
build) a missing record is an error naming it; a run resumes from its partial file.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from srcore.files import atomic_write
from srcore.precision import cpu_has_native_bf16
from srcore.runs.context import RunContext

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_VERSION = 1


class MissingResultError(FileNotFoundError):
    """A record the book needs is missing and computing is disabled."""


class BudgetExhausted(RuntimeError):
    """The context's deadline was reached; the items done are saved, a call resumes."""


@dataclass
class RunRecord:
    """One cached run: config, per-image rows and how they were made."""

    key: str
    method: str
    config: dict[str, Any]
    per_image: list[dict[str, Any]]
    timings: dict[str, float] = field(default_factory=dict)
    history: dict[str, list[float]] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def done(self) -> int:
        """Items computed so far."""
        return len(self.per_image)

    @property
    def total(self) -> int | None:
        """Items the run has in all (None when not known: a run not started)."""
        return self.extra.get("total", self.done)

    @property
    def complete(self) -> bool:
        """Whether every item is done (a finished record always is)."""
        return self.total is not None and self.done == self.total

    def mean(self, metric: str) -> float:
        """Mean of one per-image metric (e.g. ``"psnr"``) over the images."""
        values = [row[metric] for row in self.per_image if row.get(metric) is not None]
        if not values:
            raise KeyError(f"no values of {metric!r} in run {self.key}")
        return float(np.mean(values))

    def to_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA_VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunRecord:
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


def _canonical(config: Mapping[str, Any]) -> str:
    return json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)


def config_hash(config: Mapping[str, Any]) -> str:
    """First 12 hex digits of the sha256 of the canonical JSON of ``config``."""
    return hashlib.sha256(_canonical(config).encode()).hexdigest()[:12]


def run_key(method: str, config: Mapping[str, Any]) -> str:
    """``<method>-<hash>``: the file stem of a run's record."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in method)
    return f"{safe}-{config_hash(config)}"


COMMITTED_RESULTS = REPO_ROOT / "book" / "results"
#: The committed records' folder as a git pathspec (relative to the repository).
RESULTS_PATHSPEC = "book/results"


def smoke_results_root() -> Path:
    """A per-user temporary folder: smoke records never land in ``book/results``."""
    return Path(tempfile.gettempdir()) / f"srcore-smoke-results-{os.getuid()}"


def results_root(
    root: str | os.PathLike | None = None, profile: str | None = None
) -> Path:
    """The records folder: ``root``, else ``$SRCORE_RESULTS``, else
    :func:`smoke_results_root` for ``profile="smoke"``, else ``book/results``."""
    if root is not None:
        return Path(root)
    env = os.environ.get("SRCORE_RESULTS")
    if env:
        return Path(env)
    return smoke_results_root() if profile == "smoke" else COMMITTED_RESULTS


def crop_file(method: str, key: str, item: str, root: Any = None) -> Path:
    """Where a record saves its output crop for ``item``
    (``"BSD100/3096"`` -> ``<method>/<key>-crops/BSD100_3096.png``)."""
    name = item.replace("/", "_") + ".png"
    return results_root(root) / method / f"{key}-crops" / name


def record_crop(record: RunRecord, item: str, root: Any = None) -> Path:
    """:func:`crop_file` of ``item`` for a record, in its profile's folder."""
    base = results_root(root, record.config.get("profile"))
    return crop_file(record.method, record.key, item, base)


def results_mode(mode: str | None = None) -> str:
    """``"auto"`` (load, else compute), ``"read"`` (never compute) or ``"force"``.

    Defaults to ``$SRCORE_RESULTS_MODE`` or ``"auto"``; ``make book`` sets ``read``.
    """
    mode = mode or os.environ.get("SRCORE_RESULTS_MODE", "auto")
    if mode not in ("auto", "read", "force"):
        raise ValueError(f"results mode must be auto, read or force; got {mode!r}")
    return mode


def atomic_write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (temp file + rename)."""
    text = json.dumps(data, indent=1, sort_keys=False, default=_json_default) + "\n"
    atomic_write(path, lambda fh: fh.write(text.encode()))


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, torch.Tensor):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _git(*args: str, cwd: Path = REPO_ROOT) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _cpu_name() -> str:
    """The CPU's model name with its family and model numbers (a virtual "AMD EPYC"
    may be Zen 3 without native bf16 or Zen 4 with it)."""
    fields: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "cpu family", "model"):
                fields.setdefault(key.strip(), value.strip())
            if not line.strip() and fields:
                break  # the first processor's block is enough
    except OSError:
        pass
    name = fields.get("model name")
    if not name:
        return platform.processor() or platform.machine()
    if "cpu family" in fields and "model" in fields:
        name += f" (family {fields['cpu family']}, model {fields['model']})"
    return name


def provenance(device: str | torch.device = "cpu") -> dict[str, Any]:
    """Where and with what a number was made: commit, date, hardware, versions."""
    device = torch.device(device)
    info: dict[str, Any] = {
        **_git_state(),
        "device": str(device),
        "hardware": f"{_cpu_name()}, {os.cpu_count()} cores",
        "torch_threads": torch.get_num_threads(),
        "cpu_native_bf16": cpu_has_native_bf16(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "platform": platform.platform(terse=True),
    }
    if device.type == "cuda" and torch.cuda.is_available():
        info["hardware"] = torch.cuda.get_device_name(device)
    return info


def _git_state(repo: Path = REPO_ROOT) -> dict[str, Any]:
    """The commit, dirty flag and date now (at a run's and at each item's start).

    Dirty: a tracked file outside ``book/results`` differs from the commit (records
    are data, not code)."""
    status = _git(
        "status",
        "--porcelain",
        "--untracked-files=no",
        "--",
        ".",
        f":(exclude){RESULTS_PATHSPEC}",
        cwd=repo,
    )
    return {
        "commit": _git("rev-parse", "--short=10", "HEAD", cwd=repo),
        "dirty": bool(status) if status is not None else None,
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }


def item_machine(record: RunRecord, row: Mapping[str, Any]) -> tuple[str, str]:
    """``(hardware, precision)`` of one item: its own provenance where it has one,
    else the record's; ``"bf16"`` when ``model.amp`` was on and the item ran on CUDA
    or a CPU with native bf16, else ``"fp32"``.

    Example:
        >>> rec = RunRecord("k", "m", {"model": {"amp": True}}, [],
        ...                 provenance={"hardware": "CPU A", "cpu_native_bf16": True})
        >>> item_machine(rec, {"provenance": {"date": "2026-12-07"}})
        ('CPU A', 'bf16')
    """
    own = row.get("provenance", {})
    where = own if "hardware" in own else record.provenance
    amp = bool(record.config.get("model", {}).get("amp", False))
    native = bool(where.get("cpu_native_bf16")) or str(
        where.get("device", "cpu")
    ).startswith("cuda")
    return str(where.get("hardware", "?")), "bf16" if amp and native else "fp32"


def machines(records: Iterable[RunRecord]) -> str:
    """The distinct ``"hardware, precision"`` of the items of ``records``, joined
    by ``" / "``."""
    pairs = {item_machine(r, row) for r in records for row in r.per_image}
    return " / ".join(f"{h}, {p}" for h, p in sorted(pairs))


def record_path(
    method: str,
    key: str,
    root: str | os.PathLike | None = None,
    profile: str | None = None,
) -> Path:
    """Where the complete record ``key`` of ``method`` lives (:func:`results_root`)."""
    return results_root(root, profile) / method / f"{key}.json"


def load_or_run(
    method: str,
    config: Mapping[str, Any],
    items: Iterable[str] | Callable[[], Iterable[str]],
    compute: Callable[[str], Mapping[str, Any]],
    *,
    root: str | os.PathLike | None = None,
    mode: str | None = None,
    device: str | torch.device = "cpu",
    finalize: Callable[[list[dict[str, Any]]], Mapping[str, Any]] | None = None,
    progress: bool = True,
    partial: bool = False,
    deadline: float | None = None,
    compute_many: Callable[[list[str]], list[Mapping[str, Any]]] | None = None,
    batch: int = 1,
) -> RunRecord:
    """Load the record of ``(method, config)`` or compute it item by item, resumably.

    ``items`` (or a callable giving them, called only when something is computed)
    name the rows in order; ``compute(name) -> row`` makes a missing one, and
    ``compute_many(names) -> rows`` makes ``batch`` at a time. ``finalize(rows)``
    may add ``{"history": ..., **extra}`` after the last item. ``mode``: see
    :func:`results_mode`; in ``read`` mode ``partial`` returns an unfinished record
    instead of raising :class:`MissingResultError`. Past ``deadline`` no new item
    starts (:class:`BudgetExhausted`). ``device`` goes into the provenance.
    """
    mode = results_mode(mode)
    config = json.loads(_canonical(config))
    base = results_root(root, config.get("profile"))
    key = run_key(method, config)
    path = record_path(method, key, base)
    if mode != "force" and path.exists():
        return RunRecord.from_json(json.loads(path.read_text()))
    partial_path = path.with_suffix(".partial.json")
    done = _read_partial(partial_path, key) if mode != "force" else {}
    if mode == "read" and partial:
        return RunRecord(
            key,
            method,
            config,
            per_image=list(done.get("per_image", [])),
            provenance=dict(done.get("provenance", {})),
            extra={"total": done.get("total")},
        )
    if mode == "read":
        raise MissingResultError(
            "no cached result "
            f"{path.relative_to(base) if path.is_relative_to(base) else path}"
            f" for method {method!r} with config {_canonical(config)}; "
            "run the notebook with SRCORE_RESULTS_MODE=auto (or `make results`) "
            "to compute it"
        )
    rows = {r["image"]: r for r in done.get("per_image", [])}
    names = list(items() if callable(items) else items)
    started = time.perf_counter()
    # Taken before any computation: a commit made while the run goes on is not its.
    prov = provenance(device)
    todo = [n for n in names if n not in rows]
    size = batch if compute_many is not None and batch > 1 else 1
    chunks = [todo[i : i + size] for i in range(0, len(todo), size)]
    iterator: Iterable[list[str]] = chunks
    if progress and todo:
        from tqdm.auto import tqdm

        iterator = tqdm(chunks, desc=f"{method}", leave=False)
    for chunk in iterator:
        if deadline is not None and time.time() > deadline:
            raise BudgetExhausted(
                f"{method} {key}: {len(rows)} of {len(names)} items done when the "
                "budget ran out; the next call resumes"
            )
        t0 = time.perf_counter()
        # Where, too: a record resumed across sessions may mix machines
        item_prov = {
            **_git_state(),
            **{k: prov[k] for k in ("hardware", "device", "cpu_native_bf16")},
        }
        computed = [compute(chunk[0])] if size == 1 else list(compute_many(chunk))
        for name, result in zip(chunk, computed, strict=True):
            row = {"image": name, **dict(result), "provenance": item_prov}
            row.setdefault("seconds", (time.perf_counter() - t0) / len(chunk))
            rows[name] = row
        atomic_write_json(
            partial_path,
            {
                "key": key,
                "method": method,
                "config": config,
                "total": len(names),
                "provenance": prov,
                "per_image": list(rows.values()),
            },
        )
    ordered = [rows[n] for n in names]
    record = RunRecord(
        key=key,
        method=method,
        config=config,
        per_image=ordered,
        timings={
            "wall_seconds_this_session": time.perf_counter() - started,
            "seconds_per_item": float(np.mean([r["seconds"] for r in ordered]))
            if ordered
            else 0.0,
            "resumed_items": len(names) - len(todo),
        },
        provenance=prov,
    )
    if finalize is not None:
        extra = dict(finalize(ordered))
        record.history = dict(extra.pop("history", {}))
        record.extra = extra
    atomic_write_json(path, record.to_json())
    partial_path.unlink(missing_ok=True)
    return record


def _read_partial(path: Path, key: str) -> dict[str, Any]:
    """The ``.partial.json`` of run ``key``, or {} (none, damaged or another key)."""
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}  # a damaged partial file only costs recomputation
    return data if data.get("key") == key else {}


def load_records(
    method: str | None = None, root: str | os.PathLike | None = None
) -> list[RunRecord]:
    """All complete records under the results folder (optionally of one method)."""
    base = results_root(root)
    pattern = f"{method}/*.json" if method else "*/*.json"
    return [
        RunRecord.from_json(json.loads(p.read_text()))
        for p in sorted(base.glob(pattern))
        if not p.name.endswith(".partial.json")
    ]


def record_for(
    method: str,
    config: Mapping[str, Any],
    items: Iterable[str] | Callable[[], Iterable[str]],
    compute: Callable[[str], Mapping[str, Any]],
    ctx: RunContext,
    *,
    device: str | torch.device = "cpu",
    finalize: Callable[[list[dict[str, Any]]], Mapping[str, Any]] | None = None,
    compute_many: Callable[[list[str]], list[Mapping[str, Any]]] | None = None,
) -> RunRecord:
    """:func:`load_or_run` with the folder, mode, progress, deadline and batch of
    a run's context."""
    return load_or_run(
        method,
        config,
        items,
        compute,
        root=results_root(ctx.results, ctx.profile),
        mode=ctx.mode,
        device=device,
        finalize=finalize,
        progress=ctx.progress,
        partial=ctx.partial,
        deadline=ctx.deadline,
        compute_many=compute_many,
        batch=ctx.batch,
    )
