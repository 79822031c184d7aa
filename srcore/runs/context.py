"""Where and how a run computes: one small object instead of six keywords.

Every run function (:func:`srcore.runs.supervised.run`,
:func:`srcore.runs.zssr_runs.zssr_run`, ...) takes a :class:`RunContext` for the
settings that say *where* and *how* it computes (profile, data folder, results folder,
results mode, device, progress bars). What it computes (method, scale, seed, loss...)
are the run's own arguments, and only those enter the record's key with the profile.

Example:
    >>> ctx = RunContext(profile="smoke", progress=False)
    >>> ctx.replace(mode="read").mode
    'read'
    >>> ctx.profile
    'smoke'
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

from srcore.profiles import PROFILE_NAMES

__all__ = ["RunContext", "MODES", "DEFAULT_CONTEXT"]

MODES = ("auto", "read", "force")


@dataclass(frozen=True)
class RunContext:
    """The run settings that do not change what is computed.

    Attributes:
        profile: ``"smoke"`` | ``"quick"`` | ``"paper"`` (how much compute).
        data_root: dataset folder; ``None``: ``$SRCORE_DATA`` or ``../shared/datasets``.
        results: records folder; ``None``: ``book/results`` for quick/paper runs and a
            temporary folder for smoke runs (:func:`srcore.runs.results.results_root`).
        mode: ``"auto"`` (load, compute what is missing), ``"read"`` (never compute),
            ``"force"`` (recompute); ``None``: ``$SRCORE_RESULTS_MODE`` or auto.
        device: ``"auto"`` | ``"cpu"`` | ``"cuda"``.
        progress: show tqdm bars on long loops.
        partial: in ``"read"`` mode, return what a run has done so far (an
            unfinished record, "n of N done") instead of failing on a missing one.
        deadline: ``time.time()`` after which no new item starts
            (:class:`srcore.runs.results.BudgetExhausted`; the run resumes later).
        batch: items computed at once where a run can batch them (ZSSR on a GPU:
            :func:`srcore.methods.zssr.zssr_many`); 1 computes them one by one.
    """

    profile: str = "quick"
    data_root: str | os.PathLike | None = None
    results: str | os.PathLike | None = None
    mode: str | None = None
    device: str = "auto"
    progress: bool = True
    partial: bool = False
    deadline: float | None = None
    batch: int = 1

    def __post_init__(self) -> None:
        if self.profile not in PROFILE_NAMES:
            raise ValueError(
                f"unknown profile {self.profile!r}; choose one of {PROFILE_NAMES}"
            )
        if self.mode is not None and self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES} or None, got {self.mode!r}")
        if self.results is not None:
            object.__setattr__(self, "results", Path(self.results))
        if self.batch < 1:
            raise ValueError(f"batch must be >= 1, got {self.batch}")

    def replace(self, **changes: object) -> RunContext:
        """A copy with some settings changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)


#: The context of a call that passes none: quick profile, default folders.
DEFAULT_CONTEXT = RunContext()
