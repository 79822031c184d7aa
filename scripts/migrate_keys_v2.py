"""One-off migration of the committed records to the key schema of issue 10.

Old keys hashed a free-text ``"protocol"`` string and left settings out of the config
when they had their default ("keys stay as before" special cases). The new configs
state every setting, name the scoring protocol by fields (``srcore.protocol.SCORING``)
and give every record its profile. This script rewrites each record under
``book/results`` (and the weights cached under ``srcore.runs.supervised.cache_dir()``)
to its new key; per-image values are not touched. References between records (a
ZSSR run's VDSR backbone, LapSRN scored on DIP's crops, the SelfExSR check of the
bicubic records) are rewritten to the referenced record's new key before hashing.

    python scripts/migrate_keys_v2.py [--results book/results] [--dry-run]

Running it twice changes nothing the second time (a migrated config maps to itself).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from srcore.protocol import SCORING
from srcore.runs.results import RunRecord, atomic_write_json, results_root, run_key
from srcore.runs.supervised import cache_dir

SUPERVISED = {"srcnn", "vdsr", "srresnet", "srgan", "lapsrn"}


def migrate_config(
    method: str, config: dict[str, Any], new_keys: dict[str, str], profile_of: dict
) -> dict[str, Any]:
    """The config a record of ``method`` has under the new schema."""
    c = dict(config)
    c.pop("protocol", None)
    if method in SUPERVISED:
        c.setdefault("degradation", "bicubic")
        c.setdefault("fault", None)
    elif method in ("bicubic", "dip"):
        c.setdefault("degradation", "bicubic")
    elif method == "zssr":
        c.setdefault("backbone", None)
        if c["backbone"] is not None:
            record = c["backbone"]["record"]
            c["backbone"] = {**c["backbone"], "record": new_keys.get(record, record)}
    elif method == "osr":
        c.setdefault("variant", "zssr")
        c.setdefault("external", None)
        c.setdefault("adapt", True)
    elif method == "lapsrn-crops":
        c.setdefault("profile", profile_of[c["lapsrn"]])
        c["lapsrn"] = new_keys.get(c["lapsrn"], c["lapsrn"])
    elif method == "bicubic-vs-selfexsr":
        c.setdefault("profile", profile_of[c["records"][0]])
        c["records"] = sorted(new_keys.get(k, k) for k in c["records"])
    elif method == "imresize-vs-matlab":
        c.setdefault("profile", "quick")
    if "check" not in c:
        c.setdefault("scoring", dict(SCORING))
    return c


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", type=Path, default=None)
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    root = results_root(args.results)
    paths = sorted(
        p for p in root.glob("*/*.json") if not p.name.endswith(".partial.json")
    )
    records = {p: json.loads(p.read_text()) for p in paths}
    new_keys: dict[str, str] = {}
    # Records that refer to others are hashed after them: iterate to a fixed point.
    # Configs are always migrated from the stored (old) ones, whose references
    # name old keys: look their profile up by the old key.
    profile_of = {d["key"]: d["config"].get("profile") for d in records.values()}
    for _ in range(4):
        changed = False
        for data in records.values():
            cfg = migrate_config(data["method"], data["config"], new_keys, profile_of)
            key = run_key(data["method"], cfg)
            changed |= new_keys.get(data["key"]) != key
            new_keys[data["key"]] = key
        if not changed:
            break
    moved = 0
    for path, data in records.items():
        old, new = data["key"], new_keys[data["key"]]
        if old == new:
            continue
        moved += 1
        print(f"{data['method']}: {old} -> {new}")
        if args.dry_run:
            continue
        cfg = migrate_config(data["method"], data["config"], new_keys, profile_of)
        record = RunRecord.from_json({**data, "key": new, "config": cfg})
        atomic_write_json(path.with_name(f"{new}.json"), record.to_json())
        path.unlink()
        crops = path.with_name(f"{old}-crops")
        if crops.is_dir():
            crops.rename(path.with_name(f"{new}-crops"))
        for cached in (cache_dir() / "weights").glob(f"*/{old}*"):
            target = cached.with_name(cached.name.replace(old, new, 1))
            if not target.exists():
                shutil.move(str(cached), target)
    print(f"{moved} of {len(records)} records re-keyed under {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
