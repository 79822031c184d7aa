"""Papermill sweeps: one executed notebook per combination of parameter values.

Each run is one ``papermill`` process, on a ``local`` pool of ``jobs`` runs sharing
the cores or as ``ray`` tasks (paths on a shared filesystem). The output folder holds
``<name>.ipynb`` per finished run, ``logs/<name>.log`` and ``sweep.json``, one row per
run: ``parameters``, ``status`` (``ok``, ``failed``, ``skipped`` when finished before,
``cancelled``), ``seconds``, ``output``, ``log``. A notebook appears only once its run
has finished, so running a sweep again computes only the rest.

Example:
    >>> runs = expand({"profile": "smoke"}, {"seed": [0, 1]})
    >>> runs, run_name("00_protocol", runs[1])
    ([{'profile': 'smoke', 'seed': 0}, {'profile': 'smoke', 'seed': 1}], \
'00_protocol__profile-smoke__seed-1')
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import nbformat
import yaml

from srcore import threads
from srcore.files import atomic_write

BACKENDS = ("local", "ray")
RAY_MISSING = (
    "--backend ray needs Ray: pip install -e '.[ray]' (or `pip install ray`), "
    "or use --backend local"
)
_NAME_LIMIT = 120
STOP_FILE = ".stop"


class SweepCancelled(Exception):
    """Ctrl-C during a sweep; ``runs`` are the rows written to ``sweep.json``.

    ``hard_exit``: the Ray started here was killed, perhaps halfway through its
    start; the caller should leave with ``os._exit`` once it has said so, since Ray's
    own exit handlers would wait on, or crash in, its driver."""

    def __init__(self, runs: list[dict[str, Any]], hard_exit: bool = False):
        super().__init__("sweep cancelled")
        self.runs = runs
        self.hard_exit = hard_exit


class _RayStartInterrupted(BaseException):
    """Raised by the signal handler inside ``ray.init`` only (a BaseException, so
    that Ray's ``except Exception`` blocks let it through)."""


def parse_value(text: str) -> Any:
    """A command-line value read as YAML, as papermill's ``-y`` does."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        first = str(err).splitlines()[0]
        raise ValueError(f"cannot read {text!r} as a YAML value ({first})") from None


def expand(fixed: dict[str, Any], grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values (the first varies slowest), each after
    the fixed parameters."""
    clash = sorted(set(fixed) & set(grid))
    if clash:
        raise ValueError(f"parameter(s) {clash} both fixed (-p) and swept (--grid)")
    for name, values in grid.items():
        if not values:
            raise ValueError(f"--grid {name} needs at least one value")
        keys = [json.dumps(v, sort_keys=True) for v in values]
        if len(set(keys)) < len(keys):
            raise ValueError(f"--grid {name} repeats a value: {values}")
    names = list(grid)
    return [
        {**fixed, **dict(zip(names, values, strict=True))}
        for values in itertools.product(*(grid[n] for n in names))
    ]


def _token(value: Any) -> str:
    text = "+".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
    return re.sub(r"[^A-Za-z0-9.+]+", "_", text).strip("_") or "_"


def run_name(stem: str, parameters: dict[str, Any]) -> str:
    """A file-name-safe name of a run: the notebook's stem and each ``name-value``
    (a long one cut, ending with a hash of the parameters)."""
    name = "__".join([stem, *(f"{k}-{_token(v)}" for k, v in parameters.items())])
    if len(name) <= _NAME_LIMIT:
        return name
    digest = hashlib.sha256(json.dumps(parameters, sort_keys=True).encode()).hexdigest()
    return f"{name[: _NAME_LIMIT - 13]}__{digest[:10]}"


def check_parameters(notebook: Path, names: list[str]) -> None:
    """Fail in one line when a name is not in the notebook's parameters cell."""
    import papermill

    known = papermill.inspect_notebook(str(notebook))
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(
            f"{notebook.name} has no parameter(s) {unknown}; its parameters: "
            f"{', '.join(known)}"
        )


def finished(output: Path, parameters: dict[str, Any]) -> bool:
    """Whether ``output`` is a notebook papermill finished with these parameters."""
    try:
        meta = nbformat.read(output, as_version=4).metadata.get("papermill", {})
    except (OSError, ValueError):
        return False
    same = json.dumps(meta.get("parameters"), sort_keys=True) == json.dumps(
        parameters, sort_keys=True
    )
    return same and not meta.get("exception") and bool(meta.get("end_time"))


def _stop(process: subprocess.Popen, grace: float = 15.0) -> None:
    """SIGINT first (papermill then shuts its kernel down), SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def execute(
    notebook: str,
    out_dir: str,
    name: str,
    parameters: dict[str, Any],
    jobs: int | None = None,
) -> dict[str, Any]:
    """Run one notebook under papermill in its own process; returns its row.

    ``jobs`` runs share the cores (:func:`srcore.threads.child_env`; ``None``, as on
    Ray, leaves the environment as is). The notebook runs in its own folder, writes
    ``<out_dir>/.running/<name>.ipynb``, moved to ``<out_dir>/<name>.ipynb`` once it
    has finished without error. The run stops (``"cancelled"``) once the file
    ``<out_dir>/.stop`` appears: a file, since a Ray task may run on another node.
    """
    out = Path(out_dir)
    stop_file = out / STOP_FILE

    def cancelled() -> bool:
        return stop_file.exists()

    if cancelled():  # a queued Ray task that starts after Ctrl-C
        return _row(parameters, "cancelled")

    running = out / ".running" / f"{name}.ipynb"
    log = out / "logs" / f"{name}.log"
    running.parent.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "srcore.sweep",
        notebook,
        str(running),
        json.dumps(parameters),
    ]
    start = time.perf_counter()
    with open(log, "w") as log_file:
        # Its own process group: Ctrl-C reaches the sweep only, which stops each run.
        process = subprocess.Popen(
            command,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=None if jobs is None else threads.child_env(jobs),
        )
        try:
            while process.poll() is None:
                if cancelled():
                    _stop(process)
                    break
                time.sleep(0.2)
        except BaseException:  # KeyboardInterrupt in this process, or a Ray cancel
            _stop(process)
            running.unlink(missing_ok=True)
            raise
    seconds = round(time.perf_counter() - start, 1)
    output: Path | None = out / f"{name}.ipynb"
    if process.returncode == 0:
        os.replace(running, output)
        status = "ok"
    elif cancelled():
        running.unlink(missing_ok=True)
        status, output = "cancelled", None
    else:
        status, output = "failed", out / f"{name}.failed.ipynb"
        if running.exists():
            os.replace(running, output)
        else:
            output = None
    with contextlib.suppress(OSError):
        running.parent.rmdir()  # only once no other run is using it
    row = _row(parameters, status, seconds, output, log)
    if status == "failed":
        row["error"] = _last_line(log)
    return row


def _row(
    parameters: dict[str, Any],
    status: str,
    seconds: float | None = None,
    output: Path | None = None,
    log: Path | None = None,
) -> dict[str, Any]:
    """One run's row of ``sweep.json``."""
    return {
        "parameters": parameters,
        "status": status,
        "seconds": seconds,
        "output": None if output is None else str(output),
        "log": None if log is None else str(log),
    }


def _last_line(log: Path) -> str:
    """The last non-blank line of a failed run's log (papermill's exception)."""
    lines = [line.strip() for line in log.read_text(errors="replace").splitlines()]
    return next((line[:200] for line in reversed(lines) if line), "(empty log)")


def _write_index(out: Path, rows: list[dict[str, Any] | None]) -> None:
    text = json.dumps(rows, indent=1) + "\n"
    atomic_write(out / "sweep.json", lambda fh: fh.write(text.encode()))


class _Interrupts:
    """SIGINT and SIGTERM while a sweep runs: each is remembered and touches the stop
    file (``on_signal``); nothing is raised.

    A KeyboardInterrupt raised wherever the main thread is can deadlock
    ``concurrent.futures.wait``, half-start Ray or be swallowed, so the sweep asks
    ``bool(interrupts)`` between its waits instead. The handler is installed even
    where SIGINT was ignored (a background job of a non-interactive shell), since an
    ignored signal would stay ignored in every run too.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, on_signal: Callable[[], None]):
        self.on_signal = on_signal
        self.received: list[int] = []
        self.previous: dict[int, Any] = {}
        self.starting_ray = False  # while set, a signal aborts ray.init
        self.ray_killed = False  # Ray's processes killed: leave with os._exit

    def _handle(self, signum: int, frame: Any) -> None:
        self.received.append(signum)  # no lock taken: the main thread may hold it
        with contextlib.suppress(OSError):  # raised here, it would land anywhere
            self.on_signal()
        if self.starting_ray:  # ray.init waits for its daemons for many seconds
            self.starting_ray = False
            raise _RayStartInterrupted

    def install(self) -> None:
        """Handle the signals here (again after ``ray.init``, which sets its own); a
        no-op off the main thread, which signals never reach."""
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in self.SIGNALS:
            previous = signal.signal(signum, self._handle)
            self.previous.setdefault(signum, previous)

    def restore(self) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)

    def __bool__(self) -> bool:
        return bool(self.received)


def _local(
    jobs: int, tasks: list[tuple], interrupts: _Interrupts, stop: Callable[[], None]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yields ``(index, row)`` as the local pool finishes each run. Interrupted, or
    closed early, it calls ``stop``, cancels the runs not started and (interrupted)
    yields the rows the running ones return."""
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(execute, *t, jobs=jobs): i for i, t in tasks}
        pending = set(futures)
        try:
            while pending and not interrupts:
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in done:
                    yield futures[future], future.result()
        finally:
            if pending:
                stop()  # before the pool waits for its threads
                for future in pending:
                    future.cancel()
    for future in pending:  # interrupted: every thread has returned
        if not future.cancelled():
            yield futures[future], future.result()


def task_resources(cluster: dict[str, float]) -> dict[str, int]:
    """What one Ray task asks for: a CPU, and a GPU where the cluster has one.

    >>> task_resources({"CPU": 16.0, "GPU": 8.0}), task_resources({"CPU": 2.0})
    ({'num_cpus': 1, 'num_gpus': 1}, {'num_cpus': 1, 'num_gpus': 0})
    """
    return {"num_cpus": 1, "num_gpus": 1 if cluster.get("GPU", 0) >= 1 else 0}


def _ray(
    jobs: int | None,
    address: str | None,
    tasks: list[tuple],
    interrupts: _Interrupts,
    stop: Callable[[], None],
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yields ``(index, row)`` as Ray finishes each task. Interrupted, it calls
    ``stop``, waits for the tasks and yields their rows; a Ray started here is shut
    down on every way out."""
    import ray  # sweep() has checked that it is installed

    started_here = not ray.is_initialized()
    try:
        if started_here:
            interrupts.starting_ray = True
            try:
                # "local": not a cluster that `ray start` left on this machine
                ray.init(
                    address=address or "local",
                    num_cpus=None if address else jobs,
                    log_to_driver=False,
                )
            except _RayStartInterrupted:  # Ray's daemons die below; no task was sent
                return
            finally:  # also when ray.init fails: no later signal may raise
                interrupts.starting_ray = False
            interrupts.install()  # ray.init replaced the SIGTERM handler
        if interrupts:  # during ray.init: no task is submitted
            return
        options = task_resources(ray.cluster_resources())
        remote = ray.remote(max_retries=0, **options)(execute)
        refs = {remote.remote(*t): i for i, t in tasks}
        pending = list(refs)
        returned: list = []
        try:
            while pending and not interrupts:
                done, pending = ray.wait(pending, num_returns=1, timeout=0.5)
                for ref in done:
                    yield refs[ref], ray.get(ref)
        finally:
            if pending:
                stop()
                # The running tasks return once their run has stopped, the queued
                # ones at once (a cancel would interrupt a running one before it
                # tidies up); a task that does not, on a lost node, is cancelled.
                with contextlib.suppress(Exception):
                    returned, pending = ray.wait(
                        pending, num_returns=len(pending), timeout=120
                    )
                for ref in pending:
                    ray.cancel(ref)
        for ref in returned:  # interrupted: the rows of the stopped tasks
            yield refs[ref], ray.get(ref)
    finally:
        if started_here and interrupts:
            # Interrupted: the runs have stopped (or never started), so nothing of
            # Ray's is worth the seconds of a shutdown under load.
            _kill_descendants()
            interrupts.ray_killed = True
        elif started_here:
            ray.shutdown()


def _kill_descendants() -> None:
    """SIGKILL every process this one started (Ray's GCS, raylet, agents, workers)."""
    import psutil  # a dependency of Ray

    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            child.kill()


def sweep(
    notebook: str | os.PathLike,
    fixed: dict[str, Any],
    grid: dict[str, list[Any]],
    out: str | os.PathLike,
    backend: str = "local",
    jobs: int | None = None,
    address: str | None = None,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Run every combination of ``grid`` (with ``fixed``) and return the rows of
    ``sweep.json``, in grid order.

    ``jobs``: runs at a time (``None``: 1 locally, all of Ray's CPUs); ``address``: a
    running Ray cluster's (``ray start --head`` prints it).

    Raises:
        ValueError: an unknown backend or parameter, a clash of ``-p`` and ``--grid``.
        ImportError: ``backend="ray"`` without Ray installed.
        SweepCancelled: on SIGINT or SIGTERM, after stopping every run.
    """
    from tqdm.auto import tqdm

    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
    if jobs is not None and jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    if address and backend != "ray":
        raise ValueError("an address is for --backend ray")
    notebook = Path(notebook).resolve()
    if notebook.suffix != ".ipynb" or not notebook.is_file():
        raise ValueError(f"{notebook}: not a notebook file (.ipynb)")
    if backend == "ray":
        try:
            import ray  # noqa: F401
        except ImportError:
            raise ImportError(RAY_MISSING) from None
    check_parameters(notebook, [*fixed, *grid])
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    parameter_sets = expand(fixed, grid)
    rows: list[dict[str, Any] | None] = [None] * len(parameter_sets)
    tasks = []
    for i, parameters in enumerate(parameter_sets):
        name = run_name(notebook.stem, parameters)
        output = out / f"{name}.ipynb"
        if finished(output, parameters):
            rows[i] = _row(parameters, "skipped", 0.0, output)
        else:
            tasks.append((i, (str(notebook), str(out), name, parameters)))
    _write_index(out, rows)
    stop_file = out / STOP_FILE
    stop_file.unlink(missing_ok=True)

    def stop() -> None:
        stop_file.touch()

    interrupts = _Interrupts(stop)
    bar = tqdm(total=len(rows), desc="runs", unit="run", disable=not progress)
    bar.update(len(rows) - len(tasks))
    if not tasks:  # all finished before: no pool, no Ray
        finished_runs: Generator[tuple[int, dict[str, Any]]] = (r for r in ())
    elif backend == "local":
        finished_runs = _local(jobs or 1, tasks, interrupts, stop)
    else:
        finished_runs = _ray(jobs, address, tasks, interrupts, stop)
    try:
        interrupts.install()
        for i, row in finished_runs:
            rows[i] = row
            _write_index(out, rows)
            bar.update(1)
    except KeyboardInterrupt:  # not from a signal, which only sets the flag
        interrupts.received.append(signal.SIGINT)
    finally:
        finished_runs.close()  # on an error the pool stops its runs, Ray its tasks
        bar.close()
        interrupts.restore()
        stop_file.unlink(missing_ok=True)
    if interrupts:
        for i, task in tasks:
            if rows[i] is None:
                rows[i] = _row(task[3], "cancelled")
        _write_index(out, rows)
        raise SweepCancelled(rows, hard_exit=interrupts.ray_killed)
    return rows


def summary(rows: list[dict[str, Any]]) -> str:
    """A short table of runs: status, seconds, the swept parameters and the output."""
    if not rows:
        return "(no runs)"
    first = rows[0]["parameters"]
    varying = [k for k in first if any(r["parameters"][k] != first[k] for r in rows)]
    lines = []
    for r in rows:
        values = " ".join(f"{k}={r['parameters'][k]}" for k in varying) or "(one run)"
        seconds = "" if r["seconds"] is None else f"{r['seconds']:.0f} s"
        where = r["output"] or "-"
        if r["status"] == "failed":
            where = f"{where}  {r['error']}  (log: {r['log']})"
        lines.append((r["status"], seconds, values, where))
    widths = [max(len(line[c]) for line in lines) for c in range(3)]
    statuses = dict.fromkeys(r["status"] for r in rows)
    counts = {s: sum(r["status"] == s for r in rows) for s in statuses}
    head = ", ".join(f"{n} {s}" for s, n in counts.items())
    body = [
        "  ".join(line[c].ljust(widths[c]) for c in range(3)) + "  " + line[3]
        for line in lines
    ]
    return "\n".join([f"{len(rows)} runs: {head}", *body])


def _stop_when_orphaned(parent: int) -> None:
    """A run stops itself, as on Ctrl-C, once its sweep is gone (``kill -9``)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGINT)


def _run_one(notebook: str, output: str, parameters_json: str) -> None:
    """The process of one run: papermill, with SIGINT and SIGTERM raising
    KeyboardInterrupt so that it shuts its kernel down when the run is stopped."""
    import logging

    import papermill

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    # A Ray worker blocks SIGINT, and a child inherits the blocked set.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    threading.Thread(
        target=_stop_when_orphaned, args=(os.getppid(),), daemon=True
    ).start()
    papermill.execute_notebook(
        notebook,
        output,
        parameters=json.loads(parameters_json),
        cwd=str(Path(notebook).parent),
        log_output=True,
        progress_bar=False,
    )


if __name__ == "__main__":
    _run_one(*sys.argv[1:])
