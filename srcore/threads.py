"""How many CPU threads a computation uses, so that processes side by side share the
cores: PyTorch gives every process a thread per core, and processes side by side then
run many times slower than one alone. ``--threads N`` sets ``N`` (:func:`apply`), else a
user's ``OMP_NUM_THREADS`` decides; a sweep of ``jobs`` runs gives each run
``max(1, cores // jobs)`` threads through its environment (:func:`child_env`).

Example:
    >>> share(3, cores=16), child_env(2, {"PATH": "/bin"}, cores=8)["OMP_NUM_THREADS"]
    (5, '4')
"""

from __future__ import annotations

import os
from collections.abc import Mapping

#: The environment variables the thread pools of torch and its math libraries read.
VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def cores() -> int:
    """The CPU cores this process may run on (its affinity mask, else the count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def share(jobs: int, cores: int | None = None) -> int:
    """Threads per run when ``jobs`` runs share ``cores`` cores (at least 1)."""
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    return max(1, (cores if cores is not None else globals()["cores"]()) // jobs)


def child_env(
    jobs: int, env: Mapping[str, str] | None = None, cores: int | None = None
) -> dict[str, str]:
    """``env`` (default this process's) with :data:`VARIABLES` set to :func:`share`,
    unless the user set ``OMP_NUM_THREADS``."""
    out = dict(os.environ if env is None else env)
    if "OMP_NUM_THREADS" in out:
        return out
    n = str(share(jobs, cores))
    return out | dict.fromkeys(VARIABLES, n)


def apply(threads: int | None) -> int:
    """Use ``threads`` threads in this process (``None``: leave torch's choice,
    which follows ``OMP_NUM_THREADS`` when set); returns the number in use."""
    import torch

    if threads is not None:
        if threads < 1:
            raise ValueError(f"--threads must be at least 1, got {threads}")
        torch.set_num_threads(threads)
    return torch.get_num_threads()
