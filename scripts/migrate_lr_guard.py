"""One-off migration of the committed ZSSR and Online-SR records to the config field
``lr_hold_margin`` (issue 21: the lr rule does not cut the rate while the network
is no better than the interpolation, :func:`srcore.methods.zssr.optim.lr_may_drop`).

The guard only ever blocks a cut of the learning rate, and draws nothing at random,
so a run in which the authors' rule never cut the rate while the reconstruction
error was above ``(1 - margin)`` times the interpolation's computes exactly the same
thing with the guard. Each record row stores its reconstruction-error trace, its
lr changes and the interpolation's error (``health.interp_error``), so this script
replays the guard on every row:

* no row would have been held (or the run trained for 0 iterations): the record
  gets ``lr_hold_margin = 0.05`` (today's default; it is what the guarded code
  computes);
* some row would have been, or the record cannot tell (a gradual run, whose earlier
  stages' baselines are not stored, or a row without a trace): it gets
  ``lr_hold_margin = 0.0``, which is what it ran; the chapters then ask for a record
  that does not exist yet, and the queue (``scripts/paper_runs.py``) makes it.

The file, its crops folder and its key are renamed; per-image values are not
touched. Running it twice changes nothing the second time.

    python scripts/migrate_lr_guard.py [--results book/results] [--dry-run]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from srcore.methods.zssr import ZSSRConfig
from srcore.runs.results import atomic_write_json, results_root, run_key

MARGIN = ZSSRConfig().lr_hold_margin


def held(row: dict[str, Any], margin: float) -> bool | None:
    """Whether the guard would have held one of this row's lr cuts (``None``: the
    row does not store what it takes to tell)."""
    interp = (row.get("health") or {}).get("interp_error")
    if interp is None or "rec_iters" not in row:
        return None
    for change in row.get("lr_changes", []):
        trace = zip(row["rec_iters"], row["rec_mse"], strict=True)
        before = [e for i, e in trace if i <= change]
        if before and before[-1] >= (1 - margin) * interp:
            return True
    return False


def margin_of(data: dict[str, Any]) -> float:
    """The ``lr_hold_margin`` a record's computation is equal to."""
    model = data["config"]["model"]
    if model.get("max_iters") == 0:
        return MARGIN  # no training step: the lr rule never ran
    if model.get("scale_factors"):
        return 0.0
    verdicts = [held(row, MARGIN) for row in data["per_image"]]
    return MARGIN if verdicts and all(v is False for v in verdicts) else 0.0


def migrate(path: Path, dry_run: bool) -> tuple[str, str, float] | None:
    data = json.loads(path.read_text())
    model = data["config"]["model"]
    if "lr_hold_margin" in model:
        return None
    margin = margin_of(data)
    model["lr_hold_margin"] = margin
    old, new = data["key"], run_key(data["method"], data["config"])
    data["key"] = new
    if not dry_run:
        suffix = ".partial.json" if path.name.endswith(".partial.json") else ".json"
        atomic_write_json(path.with_name(new + suffix), data)
        path.unlink()
        crops = path.with_name(old + "-crops")
        if crops.exists():
            crops.rename(path.with_name(new + "-crops"))
    return old, new, margin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", default=None)
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    root = results_root(args.results)
    for method in ("zssr", "osr"):
        for path in sorted((root / method).glob("*.json")):
            done = migrate(path, args.dry_run)
            if done:
                old, new, margin = done
                kept = "same computation" if margin else "ran the authors' rule"
                print(f"{old} -> {new}  lr_hold_margin={margin}  ({kept})")


if __name__ == "__main__":
    main()
