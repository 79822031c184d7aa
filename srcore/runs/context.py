"""Where and how a run computes: one small object instead of six keywords.

What a run computes (method, scale, seed...) are its own arguments and enter the
record's key; a :class:`RunContext` holds the rest.

Example:
    >>> RunContext(profile="smoke", progress=False).replace(mode="read").mode
    'read'
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

from srcore.profiles import PROFILE_NAMES

MODES = ("auto", "read", "force")


@dataclass(frozen=True)
class RunContext:
    """The run settings that do not change what is computed.

    ``data_root``/``results`` ``None``: the default folders
    (:func:`srcore.runs.results.results_root`); ``mode`` as
    :func:`srcore.runs.results.results_mode`; ``partial``: in ``"read"`` mode, an
    unfinished record instead of an error; past ``deadline`` no new item starts;
    ``batch``: items computed at once where a run can (ZSSR on a GPU).
    """

    profile: str = "quick"  # "smoke" | "quick" | "paper"
    data_root: str | os.PathLike | None = None
    results: str | os.PathLike | None = None
    mode: str | None = None  # "auto" | "read" | "force"; None: $SRCORE_RESULTS_MODE
    device: str = "auto"  # "auto" | "cpu" | "cuda"
    progress: bool = True
    partial: bool = False
    deadline: float | None = None  # time.time()
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
