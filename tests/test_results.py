"""The results cache: keys, atomic records, read-only mode, resume after
interruption."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest
from script_modules import paper_jobs as paper_runs  # the queue's job list

from srcore.runs import results
from srcore.runs.results import MissingResultError, load_or_run, run_key


def _counting(rows: dict[str, float]):
    calls: list[str] = []

    def compute(name: str) -> dict[str, float]:
        calls.append(name)
        return {"psnr": rows[name]}

    return compute, calls


def test_key_depends_on_every_config_value_but_not_order():
    a = run_key("bicubic", {"scale": 2, "dataset": "Set5"})
    assert a == run_key("bicubic", {"dataset": "Set5", "scale": 2})
    assert a != run_key("bicubic", {"dataset": "Set5", "scale": 3})
    assert a != run_key("srcnn", {"dataset": "Set5", "scale": 2})
    assert a.startswith("bicubic-") and len(a.split("-")[1]) == 12


def test_second_call_loads_instead_of_recomputing(tmp_path):
    compute, calls = _counting({"a": 30.0, "b": 32.0})
    first = load_or_run("m", {"x": 1}, ["a", "b"], compute, root=tmp_path)
    second = load_or_run("m", {"x": 1}, ["a", "b"], compute, root=tmp_path)
    assert calls == ["a", "b"]
    assert second.mean("psnr") == pytest.approx(31.0) == first.mean("psnr")
    stored = json.loads((tmp_path / "m" / f"{first.key}.json").read_text())
    for field in ("commit", "dirty", "date", "hardware", "device", "torch", "python"):
        assert field in stored["provenance"]
    assert stored["config"] == {"x": 1}


def test_force_recomputes_and_a_changed_config_is_a_new_record(tmp_path):
    compute, calls = _counting({"a": 1.0})
    load_or_run("m", {"x": 1}, ["a"], compute, root=tmp_path)
    load_or_run("m", {"x": 1}, ["a"], compute, root=tmp_path, mode="force")
    load_or_run("m", {"x": 2}, ["a"], compute, root=tmp_path)
    assert calls == ["a", "a", "a"]
    assert len(list((tmp_path / "m").glob("*.json"))) == 2


def test_read_mode_never_computes_and_names_the_missing_record(tmp_path):
    compute, calls = _counting({"a": 1.0})
    with pytest.raises(MissingResultError, match="method 'm'"):
        load_or_run("m", {"x": 1}, ["a"], compute, root=tmp_path, mode="read")
    assert calls == []


def test_read_mode_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SRCORE_RESULTS_MODE", "read")
    with pytest.raises(MissingResultError):
        load_or_run("m", {}, ["a"], lambda n: {}, root=tmp_path)
    monkeypatch.setenv("SRCORE_RESULTS_MODE", "bogus")
    with pytest.raises(ValueError, match="auto, read or force"):
        results.results_mode()


def test_interrupted_run_resumes_where_it_stopped(tmp_path):
    done: list[str] = []

    def flaky(name: str) -> dict[str, float]:
        if name == "c" and "c" not in done:
            done.append("c")
            raise KeyboardInterrupt  # the user pressed Ctrl-C on the third image
        done.append(name)
        return {"psnr": float(ord(name))}

    with pytest.raises(KeyboardInterrupt):
        load_or_run("m", {"x": 1}, ["a", "b", "c", "d"], flaky, root=tmp_path)
    partial = list((tmp_path / "m").glob("*.partial.json"))
    assert len(partial) == 1
    assert [r["image"] for r in json.loads(partial[0].read_text())["per_image"]] == [
        "a",
        "b",
    ]
    record = load_or_run("m", {"x": 1}, ["a", "b", "c", "d"], flaky, root=tmp_path)
    assert done == ["a", "b", "c", "c", "d"]  # a and b were not recomputed
    assert [r["image"] for r in record.per_image] == ["a", "b", "c", "d"]
    assert record.timings["resumed_items"] == 2
    assert not list((tmp_path / "m").glob("*.partial.json"))


def test_a_deadline_stops_between_items_and_the_next_call_resumes(
    tmp_path, monkeypatch
):
    compute, calls = _counting({"a": 1.0, "b": 2.0, "c": 3.0})
    # The clock the deadline is read on moves only during "a": however slow the
    # machine, the budget runs out during "a" (and never before it).
    now = [1000.0]
    clock = type(
        "Clock", (), {"time": lambda: now[0], "perf_counter": time.perf_counter}
    )
    monkeypatch.setattr(results, "time", clock)

    def slow(name: str) -> dict[str, float]:
        now[0] += 1.0 if name == "a" else 0.0
        return compute(name)

    config, items = {"x": 1}, ["a", "b", "c"]
    with pytest.raises(results.BudgetExhausted, match="1 of 3 items done"):
        load_or_run("m", config, items, slow, root=tmp_path, deadline=1000.5)
    assert calls == ["a"]
    # read mode with partial=True: the unfinished record, 1 of 3 done
    seen = load_or_run(
        "m", config, items, slow, root=tmp_path, mode="read", partial=True
    )
    assert (seen.done, seen.total, seen.complete) == (1, 3, False)
    assert seen.per_image[0]["provenance"]["commit"] == seen.provenance["commit"]
    record = load_or_run("m", config, items, slow, root=tmp_path)
    assert calls == ["a", "b", "c"] and record.complete and record.total == 3


def test_a_run_not_started_reads_as_zero_done(tmp_path):
    seen = load_or_run(
        "m", {"x": 2}, ["a"], lambda n: {}, root=tmp_path, mode="read", partial=True
    )
    assert (seen.done, seen.total, seen.complete) == (0, None, False)


def test_a_damaged_partial_file_only_costs_recomputation(tmp_path):
    key = run_key("m", {"x": 1})
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / f"{key}.partial.json").write_text('{"key": "')
    compute, calls = _counting({"a": 1.0})
    load_or_run("m", {"x": 1}, ["a"], compute, root=tmp_path)
    assert calls == ["a"]


def test_items_callable_is_not_called_when_the_record_exists(tmp_path):
    load_or_run("m", {}, ["a"], lambda n: {"v": 1}, root=tmp_path)

    def no_dataset() -> list[str]:
        raise AssertionError("reading a cached record must not need the dataset")

    record = load_or_run("m", {}, no_dataset, lambda n: {"v": 1}, root=tmp_path)
    assert record.per_image[0]["v"] == 1


def test_atomic_write_leaves_old_file_on_failure(tmp_path):
    path = tmp_path / "r.json"
    results.atomic_write_json(path, {"ok": 1})
    with pytest.raises(TypeError):
        results.atomic_write_json(path, {"bad": object()})
    assert json.loads(path.read_text()) == {"ok": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_finalize_stores_history_and_extra(tmp_path):
    record = load_or_run(
        "m",
        {},
        ["a"],
        lambda n: {"v": 1},
        root=tmp_path,
        finalize=lambda rows: {"history": {"loss": [3.0, 2.0]}, "params": 10},
    )
    again = results.load_records("m", tmp_path)[0]
    assert again.history == {"loss": [3.0, 2.0]} == record.history
    assert again.extra == {"params": 10}


def test_smoke_records_never_land_in_the_committed_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SRCORE_RESULTS", raising=False)
    monkeypatch.setattr(results.tempfile, "gettempdir", lambda: str(tmp_path))
    rec = load_or_run("m", {"profile": "smoke"}, ["a"], lambda n: {"psnr": 1.0})
    assert (results.smoke_results_root() / "m" / f"{rec.key}.json").is_file()
    assert not (results.COMMITTED_RESULTS / "m").exists()
    assert results.results_root(profile="quick") == results.COMMITTED_RESULTS


def test_records_are_readable_like_any_user_file(tmp_path):
    import os
    import stat

    rec = load_or_run("m", {"x": 1}, ["a"], lambda n: {"psnr": 1.0}, root=tmp_path)
    mode = stat.S_IMODE((tmp_path / "m" / f"{rec.key}.json").stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask


COMMITTED = sorted(
    p
    for p in results.COMMITTED_RESULTS.glob("*/*.json")
    if not p.name.endswith(".partial.json") and p.parent.name != "claims"
)


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.stem)
def test_committed_record_is_keyed_by_its_own_config(path):
    """Each committed record's file name is the hash of the config stored in it, the
    config states its profile (never smoke) and holds no free-text protocol."""
    record = json.loads(path.read_text())
    assert record["key"] == path.stem == run_key(record["method"], record["config"])
    assert record["config"].get("profile") in ("quick", "paper")
    assert not isinstance(record["config"].get("protocol"), str)


def test_committed_unfinished_records_are_keyed_and_counted():
    """A committed unfinished record (a paper run resumed session by session) names
    its key, config and total, and each of its items says where it was made."""
    for path in sorted(results.COMMITTED_RESULTS.glob("*/*.partial.json")):
        data = json.loads(path.read_text())
        assert data["key"] == path.name.removesuffix(".partial.json")
        assert data["key"] == run_key(data["method"], data["config"])
        assert 0 < len(data["per_image"]) < data["total"]
        for row in data["per_image"]:
            assert row["provenance"]["dirty"] is False, (path.name, row["image"])


def test_no_dirty_record_is_committed():
    """A record, and every item of it, was made at a clean commit: its numbers are
    what that commit's code computes."""
    dirty = set()
    for path in COMMITTED:
        record = json.loads(path.read_text())
        flags = [record["provenance"].get("dirty")]
        flags += [
            r["provenance"].get("dirty")
            for r in record["per_image"]
            if "provenance" in r
        ]
        if any(flag is not False for flag in flags):
            dirty.add(path.stem)
    # Records committed dirty before this rule existed are queued for re-making
    # (paper_runs.REMAKE); that list only shrinks, and no new dirty record joins it.
    legacy = {k for k, r in paper_runs.REMAKE.items() if r.reason == paper_runs.DIRTY}
    assert dirty == legacy


def test_a_changed_record_is_data_but_changed_code_is_dirty(tmp_path):
    """The queue re-makes committed records inside its clean worktree: a changed
    file under book/results leaves the commit clean, a changed source file not."""

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    (tmp_path / "book" / "results" / "zssr").mkdir(parents=True)
    record = tmp_path / "book" / "results" / "zssr" / "zssr-1.json"
    code = tmp_path / "method.py"
    record.write_text("{}")
    code.write_text("x = 1\n")
    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    assert results._git_state(tmp_path)["dirty"] is False
    record.unlink()  # a re-make removes the old record first
    assert results._git_state(tmp_path)["dirty"] is False
    code.write_text("x = 2\n")
    state = results._git_state(tmp_path)
    assert state["dirty"] is True and len(state["commit"]) == 10


def test_the_hardware_names_the_cpu_model_beyond_its_marketing_name():
    hardware = results.provenance("cpu")["hardware"]
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists() and "cpu family" in cpuinfo.read_text():
        assert re.search(r"\(family \d+, model \d+\), \d+ cores$", hardware)


def test_machines_names_every_machine_and_precision_a_record_mixes(tmp_path):
    """A record resumed on another CPU says so: its items carry their machine."""
    calls = iter([RuntimeError("session ends"), None, None])

    def compute(item):
        err = next(calls)
        if err:
            raise err
        return {"psnr": 30.0}

    config = {"model": {"amp": True}, "n": 2}
    with pytest.raises(RuntimeError):
        load_or_run("m", config, ["a", "b"], compute, root=tmp_path, progress=False)
    rec = load_or_run("m", config, ["a", "b"], compute, root=tmp_path, progress=False)
    here = results.machines([rec])
    assert here.count(",") >= 1 and " / " not in here  # one machine, one precision
    rec.per_image[0]["provenance"].update(hardware="Other CPU", cpu_native_bf16=False)
    both = results.machines([rec]).split(" / ")
    assert len(both) == 2 and "Other CPU, fp32" in both
