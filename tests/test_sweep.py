"""`srcore sweep`: grid, index, skip and resume, failures, Ctrl-C, both backends.

The acceptance runs use the protocol notebook in the smoke profile; failure and
interruption use a two-cell notebook made here (a kernel starts in seconds)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import jupytext
import nbformat
import pytest

from srcore import cli
from srcore import sweep as sw

REPO = Path(__file__).resolve().parents[1]
PROTOCOL = REPO / "notebooks" / "00_protocol.ipynb"
SRCORE = [sys.executable, "-m", "srcore"]

SLEEPY = """\
# %% tags=["parameters"]
seconds = 0
fail = False
started = ""

# %%
import time
from pathlib import Path

if started:  # a test waits for this file, never for a guessed number of seconds
    Path(f"{started}-{seconds}").touch()
time.sleep(seconds)
if fail:
    raise RuntimeError("asked to fail")
"""


def _notebook(text: str, path: Path) -> Path:
    """Write the py:percent ``text`` as a Python notebook at ``path``."""
    nb = jupytext.reads(text, fmt="py:percent")
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


@pytest.fixture
def sleepy(tmp_path) -> Path:
    """A notebook that sleeps ``seconds`` and raises when ``fail``."""
    return _notebook(SLEEPY, tmp_path / "sleepy.ipynb")


@pytest.fixture(scope="module")
def smoke_tmp(tmp_path_factory) -> Path:
    """One TMPDIR for this module's smoke runs: their records (the smoke results
    folder lives there) are shared by the sweeps below and by nothing else."""
    return tmp_path_factory.mktemp("smoke-tmp")


@pytest.fixture
def sweeps():
    """``_sweep_process``; a sweep still running when the test ends (it failed) is
    killed, and its runs then stop themselves."""
    started: list[subprocess.Popen] = []

    def start(*args, **kwargs) -> subprocess.Popen:
        started.append(_sweep_process(*args, **kwargs))
        return started[-1]

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.communicate()


def _index(out: Path) -> list[dict]:
    return json.loads((out / "sweep.json").read_text())


def _statuses(out: Path) -> list[str | None]:
    """Each run's status; ``None`` for a run not finished yet."""
    return [r and r["status"] for r in _index(out)]


def _book_results() -> dict[str, int]:
    root = REPO / "book" / "results"
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*")}


# --- the grid ----------------------------------------------------------------------


def test_expand_is_the_product_with_the_first_parameter_slowest():
    runs = sw.expand({"profile": "smoke"}, {"seed": [0, 1], "scale": [2, 4]})
    assert [(r["seed"], r["scale"]) for r in runs] == [(0, 2), (0, 4), (1, 2), (1, 4)]
    assert all(r["profile"] == "smoke" for r in runs)


@pytest.mark.parametrize(
    "fixed, grid, message",
    [
        ({"seed": 1}, {"seed": [0, 1]}, "both fixed"),
        ({}, {"seed": [0, 0]}, "repeats a value"),
        ({}, {"seed": []}, "at least one value"),
    ],
)
def test_expand_refuses_grids_that_make_the_same_run_twice(fixed, grid, message):
    with pytest.raises(ValueError, match=message):
        sw.expand(fixed, grid)


def test_values_are_read_as_papermill_reads_yaml():
    assert sw.parse_value("[Set5, Set14]") == ["Set5", "Set14"]
    assert sw.parse_value("0.5") == 0.5 and sw.parse_value("null") is None
    assert sw.parse_value("true") is True and sw.parse_value("quick") == "quick"
    with pytest.raises(ValueError, match="YAML"):
        sw.parse_value("[unclosed")


def test_run_names_are_distinct_file_names_and_long_ones_are_cut():
    a = sw.run_name("nb", {"datasets": ["Set5", "Set14"], "data_root": "/x y/z"})
    assert a == "nb__datasets-Set5+Set14__data_root-x_y_z"
    long = {"root": "a" * 300}
    b, c = sw.run_name("nb", long), sw.run_name("nb", {"root": "a" * 299})
    assert len(b) <= 120 and len(c) <= 120 and b != c


def test_tasks_ask_for_a_gpu_only_where_the_cluster_has_one():
    assert sw.task_resources({"CPU": 2.0}) == {"num_cpus": 1, "num_gpus": 0}
    assert sw.task_resources({"CPU": 8.0, "GPU": 2.0})["num_gpus"] == 1


def _readme_sweeps() -> list[list[str]]:
    """The README's `srcore sweep` commands, continuation lines joined, as argv."""
    import shlex

    text = (REPO / "README.md").read_text().replace("\\\n", " ")
    return [
        shlex.split(line.strip())[2:]
        for line in text.splitlines()
        if line.strip().startswith("srcore sweep ")
    ]


def test_the_readme_sweeps_name_real_notebooks_and_parameters():
    commands = _readme_sweeps()
    assert len(commands) >= 4
    for argv in commands:
        args = cli.build_parser().parse_args(["sweep", *argv])
        names = [n for n, _ in args.parameters or []] + [g[0] for g in args.grid]
        sw.check_parameters(REPO / args.notebook, names)


# --- bad input: one line, exit 2, nothing run ----------------------------------------


def test_an_unknown_parameter_is_refused_before_anything_runs(sleepy, capsys):
    out = sleepy.parent / "out"
    code = cli.main(
        ["sweep", str(sleepy), "--grid", "sed", "0", "1", "--out", str(out)]
    )
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "no parameter(s) ['sed']" in err and "seconds, fail" in err
    assert not out.exists()


def test_a_missing_notebook_and_a_bad_backend_are_one_line_errors(tmp_path, capsys):
    assert cli.main(["sweep", str(tmp_path / "none.ipynb"), "--grid", "a", "1"]) == 2
    assert "not a notebook file" in capsys.readouterr().err
    assert cli.main(["sweep", str(PROTOCOL), "--backend", "dask"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_ray_backend_without_ray_says_how_to_install_it(sleepy, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    code = cli.main(
        [
            "sweep",
            str(sleepy),
            "--grid",
            "seconds",
            "0",
            "--backend",
            "ray",
            "--out",
            str(sleepy.parent / "out"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "pip install -e '.[ray]'" in err


# --- failures and Ctrl-C -------------------------------------------------------------


def test_one_failure_does_not_stop_the_others_and_is_logged(sleepy, capsys):
    out = sleepy.parent / "out"
    code = cli.main(
        [
            "sweep",
            str(sleepy),
            "--grid",
            "fail",
            "true",
            "false",
            "--jobs",
            "2",
            "--out",
            str(out),
        ]
    )
    assert code == 1
    failed, ok = _index(out)
    assert (failed["status"], ok["status"]) == ("failed", "ok")
    assert failed["error"] == "RuntimeError: asked to fail"
    assert "asked to fail" in Path(failed["log"]).read_text()
    assert (
        failed["output"].endswith(".failed.ipynb") and Path(failed["output"]).exists()
    )
    assert Path(ok["output"]).exists() and not (out / ".running").exists()
    assert "asked to fail" in capsys.readouterr().out  # the closing table says why
    # A second sweep re-runs the failed run only.
    assert (
        cli.main(
            ["sweep", str(sleepy), "--grid", "fail", "true", "false", "--out", str(out)]
        )
        == 1
    )
    assert _statuses(out) == ["failed", "skipped"]


def _sweep_process(
    notebook: Path, out: Path, *args: str, sigint_ignored: bool = False
) -> subprocess.Popen:
    """``srcore sweep`` in its own session (its Ray processes share it). With
    ``sigint_ignored`` it starts as a non-interactive shell starts a background job
    (``cmd &`` in a script, as CI may be run): with SIGINT ignored."""
    command = [*SRCORE, "sweep", str(notebook), *args, "--out", str(out)]
    if sigint_ignored:
        command = ["sh", "-c", 'trap "" INT; exec "$@"', "sh", *command]
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _wait_until(
    condition: Callable[[], bool], what: str, process: subprocess.Popen | None = None
) -> None:
    """Poll ``condition`` (a file, a line, a process gone) until it holds, failing
    at once if ``process`` exits first. The limit only bounds a stuck sweep: it is no
    guess at how fast the machine is."""
    end = time.monotonic() + 600
    while not condition():
        if process is not None and process.poll() is not None:
            code = process.returncode
            raise AssertionError(f"the sweep exited ({code}) before {what}")
        if time.monotonic() > end:
            raise AssertionError(f"not {what} within 600 s")
        time.sleep(0.1)


def _interrupt(process: subprocess.Popen, timeout: float = 300) -> tuple[str, str]:
    """SIGINT, then the sweep's output once it has exited. Its runs would take an
    hour, so a sweep that missed the signal fails here; ``timeout`` only bounds it."""
    process.send_signal(signal.SIGINT)
    try:
        return process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()  # its runs stop themselves once their parent is gone
        process.communicate()
        raise AssertionError(f"the sweep still ran {timeout} s after SIGINT") from None


def _ok_in_index(out: Path) -> bool:
    try:
        return "ok" in _statuses(out)
    except (OSError, ValueError):  # not written yet
        return False


def _no_process_mentions(text: str) -> bool:
    ps = subprocess.run(["ps", "-ww", "-eo", "args"], capture_output=True, text=True)
    return not any(text in line for line in ps.stdout.splitlines())


def _session_gone(session: int) -> bool:
    """Whether no process is left in the sweep's session: its Ray (gcs_server,
    raylet and their agents) included."""
    ps = subprocess.run(["ps", "-eo", "sid="], capture_output=True, text=True).stdout
    return str(session) not in ps.split()


LONG = ["3600", "3601"]  # seconds: runs that only a working Ctrl-C ends


@pytest.mark.parametrize(
    "moment, sigint",
    [("both long runs execute", "ignored"), ("the third run starts", "default")],
)
def test_ctrl_c_stops_every_run_says_what_finished_and_resumes(
    sleepy, sweeps, moment, sigint
):
    """SIGINT once the two long runs execute (each has written its file), or as the
    third run starts (its log is opened just before its process). "ignored": the
    sweep inherits an ignored SIGINT, as a background job of CI's shell; it used to
    lose the signal and run on."""
    out, marker = sleepy.parent / "out", sleepy.parent / "started"
    fixed = ["-p", "started", str(marker), "--jobs", "2"]
    process = sweeps(
        sleepy,
        out,
        *["--grid", "seconds", "0", *LONG],
        *fixed,
        sigint_ignored=sigint == "ignored",
    )
    if moment == "both long runs execute":
        files = [Path(f"{marker}-{s}") for s in LONG]
        _wait_until(lambda: all(f.exists() for f in files), moment, process)
    else:
        third = sw.run_name("sleepy", {"started": str(marker), "seconds": 3601})
        _wait_until((out / "logs" / f"{third}.log").exists, moment, process)
    stdout, stderr = _interrupt(process)
    assert process.returncode == 130, stderr
    assert "1 ok, 2 cancelled" in stderr and "the same command finishes" in stderr
    assert _statuses(out) == ["ok", "cancelled", "cancelled"]
    assert not (out / ".running").exists() and not (out / sw.STOP_FILE).exists()
    assert _no_process_mentions(str(out))
    # Resume: the finished run is skipped, the others run (shortened by -p).
    again = sweeps(sleepy, out, "--grid", "seconds", "0", "1", *fixed)
    again.communicate(timeout=600)
    assert again.returncode == 0
    assert _statuses(out) == ["skipped", "ok"]


# --- acceptance: the protocol notebook, smoke profile, both backends -------------


GRID = ["--grid", "seed", "0", "1", "-p", "profile", "smoke"]


def _smoke_env(monkeypatch, smoke_tmp: Path) -> None:
    monkeypatch.delenv("SRCORE_RESULTS", raising=False)
    monkeypatch.setenv("TMPDIR", str(smoke_tmp))


def _check_two_ok(out: Path) -> None:
    rows = _index(out)
    assert [r["status"] for r in rows] == ["ok", "ok"]
    assert [r["parameters"] for r in rows] == [
        {"profile": "smoke", "seed": 0},
        {"profile": "smoke", "seed": 1},
    ]
    for row in rows:
        executed = nbformat.read(row["output"], as_version=4)
        assert executed.metadata.papermill.parameters == row["parameters"]
        assert row["seconds"] > 0
    assert sorted(p.name for p in out.glob("*.ipynb")) == [
        "00_protocol__profile-smoke__seed-0.ipynb",
        "00_protocol__profile-smoke__seed-1.ipynb",
    ]


def test_local_sweep_of_the_protocol_notebook_then_skips_it(
    data_dir, tmp_path, monkeypatch, smoke_tmp
):
    _smoke_env(monkeypatch, smoke_tmp)
    before = _book_results()
    out = tmp_path / "sweep"
    assert (
        cli.main(["sweep", str(PROTOCOL), *GRID, "--jobs", "2", "--out", str(out)]) == 0
    )
    _check_two_ok(out)
    assert list(smoke_tmp.glob("srcore-smoke-results-*/*/*.json")), "no records"
    assert _book_results() == before
    assert cli.main(["sweep", str(PROTOCOL), *GRID, "--out", str(out)]) == 0
    assert _statuses(out) == ["skipped", "skipped"]


def test_a_killed_sweep_finishes_the_rest_when_run_again(
    data_dir, tmp_path, monkeypatch, smoke_tmp, sweeps
):
    """kill -9 after the first run: the second run stops itself (its parent is
    gone), and the same command then runs only the second."""
    _smoke_env(monkeypatch, smoke_tmp)
    out = tmp_path / "sweep"
    process = sweeps(PROTOCOL, out, *GRID, "--jobs", "1")
    _wait_until(lambda: _ok_in_index(out), "a run finished", process)
    process.kill()
    process.communicate()
    first, second = _index(out)  # what had finished: the second run too, where
    assert first["status"] == "ok"  # the kill came late (a slow test process)
    _wait_until(lambda: _no_process_mentions(str(out)), "the second run stopped")
    assert cli.main(["sweep", str(PROTOCOL), *GRID, "--out", str(out)]) == 0
    assert _statuses(out) == ["skipped", "skipped" if second else "ok"]


def test_ray_sweep_of_the_protocol_notebook_then_skips_it(
    data_dir, tmp_path, monkeypatch, smoke_tmp
):
    ray = _ray()
    _smoke_env(monkeypatch, smoke_tmp)
    before = _book_results()
    out = tmp_path / "sweep"
    ray.init(num_cpus=2, log_to_driver=False, include_dashboard=False)
    try:
        rows = sw.sweep(
            PROTOCOL,
            {"profile": "smoke"},
            {"seed": [0, 1]},
            out,
            backend="ray",
            progress=False,
        )
        assert ray.is_initialized(), "the sweep shut down a Ray it did not start"
    finally:
        ray.shutdown()
    assert rows == _index(out)
    _check_two_ok(out)
    assert _book_results() == before
    # Again, through the command line: nothing to run, so Ray is never needed.
    assert (
        cli.main(["sweep", str(PROTOCOL), *GRID, "--backend", "ray", "--out", str(out)])
        == 0
    )
    assert _statuses(out) == ["skipped", "skipped"]


def _read_stderr(process: subprocess.Popen) -> tuple[list[str], threading.Thread]:
    """The lines ``process`` writes to stderr, filled in as they come by the thread
    returned, which ends once every writer has closed it."""
    lines: list[str] = []

    def read() -> None:
        for line in process.stderr:
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return lines, reader


def _has_child(pid: int, name: str) -> bool:
    ps = subprocess.run(
        ["ps", "-ww", "-eo", "ppid=,args="], capture_output=True, text=True
    )
    return any(
        line.split(None, 1)[0] == str(pid) and name in line
        for line in ps.stdout.splitlines()
    )


@pytest.mark.slow
@pytest.mark.parametrize("moment", ["Ray starts", "Ray has just started"])
def test_ctrl_c_as_ray_starts_cancels_every_run_and_leaves_nothing(
    sleepy, sweeps, moment
):
    """Ctrl-C at a terminal (SIGINT to the sweep's process group, Ray's processes
    with it) once Ray's GCS is up, or once Ray says it has started: status 130 with
    every run cancelled, no traceback and no crash (it segfaulted, after saying
    "interrupted"), and no process of Ray's left (its agents outlived it)."""
    _ray()
    out = sleepy.parent / "out"
    process = sweeps(
        sleepy, out, "--grid", "seconds", *LONG, "--backend", "ray", "--jobs", "2"
    )
    stderr, reader = _read_stderr(process)
    if moment == "Ray starts":
        _wait_until(lambda: _has_child(process.pid, "gcs_server"), moment, process)
    else:
        said = "Started a local Ray instance"
        _wait_until(lambda: any(said in line for line in stderr), moment, process)
    os.killpg(process.pid, signal.SIGINT)
    process.wait(timeout=300)  # bounds a stuck sweep only, as the joins below
    reader.join(600)
    text = "".join(stderr)
    assert process.returncode == 130, text
    assert "2 runs: 2 cancelled" in text and "Traceback" not in text
    assert _statuses(out) == ["cancelled", "cancelled"]
    _wait_until(lambda: _session_gone(process.pid), "Ray's processes gone")
    assert _no_process_mentions(str(out))


def _ray():
    """Ray, which `make install` installs: missing, it is a failure in CI."""
    if os.environ.get("CI"):
        import ray
    else:
        ray = pytest.importorskip("ray")
    return ray


THREADS = """\
# %% tags=["parameters"]
path = ""
seed = 0

# %%
import os

import torch

with open(f"{path}-{seed}", "w") as fh:
    fh.write(f"{os.environ.get('OMP_NUM_THREADS')} {torch.get_num_threads()}")
"""


def test_each_run_of_a_local_sweep_gets_its_share_of_the_cores(tmp_path, monkeypatch):
    """Two runs at a time: each run's process (and its kernel) uses
    ``threads.share(2)`` threads, so the two do not oversubscribe the cores; a
    user's own OMP_NUM_THREADS is kept."""
    from srcore import threads

    notebook = _notebook(THREADS, tmp_path / "threads.ipynb")
    base = tmp_path / "seen"
    for var in threads.VARIABLES:
        monkeypatch.delenv(var, raising=False)
    args = ["sweep", str(notebook), "-p", "path", str(base), "--grid", "seed", "0", "1"]
    assert cli.main([*args, "--jobs", "2", "--out", str(tmp_path / "a")]) == 0
    want = threads.share(2)
    for seed in (0, 1):
        assert (tmp_path / f"seen-{seed}").read_text() == f"{want} {want}"
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    base2 = tmp_path / "kept"
    args[4] = str(base2)
    assert cli.main([*args, "--jobs", "2", "--out", str(tmp_path / "b")]) == 0
    assert (tmp_path / "kept-0").read_text() == "1 1"
