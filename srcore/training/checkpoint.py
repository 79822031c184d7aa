"""Checkpoints that resume exactly: an atomic file of tensors, numbers and strings
only (it loads with ``weights_only=True``), the RNG states beside the weights."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from srcore.files import atomic_write

#: The one checkpoint file of a training run's folder.
CHECKPOINT_NAME = "checkpoint.pt"


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's (CPU and CUDA) global generators."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def rng_state() -> dict[str, Any]:
    """The global RNG states as tensors and plain numbers (for ``weights_only``)."""
    py_version, py_state, py_gauss = random.getstate()
    _, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    cuda = torch.cuda.is_available() and torch.cuda.is_initialized()
    return {
        "torch": torch.get_rng_state(),
        "cuda": list(torch.cuda.get_rng_state_all()) if cuda else [],
        "python": torch.tensor(py_state, dtype=torch.int64),
        "python_version": int(py_version),
        "python_gauss": py_gauss,
        "numpy": torch.from_numpy(np_keys.astype(np.int64)),
        "numpy_pos": int(np_pos),
        "numpy_has_gauss": int(np_has_gauss),
        "numpy_gauss": float(np_gauss),
    }


def restore_rng_state(state: dict[str, Any]) -> None:
    """Set the global generators back to a :func:`rng_state` snapshot."""
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        n = min(len(state["cuda"]), torch.cuda.device_count())
        torch.cuda.set_rng_state_all(state["cuda"][:n])
    py = tuple(int(v) for v in state["python"].tolist())
    random.setstate((state["python_version"], py, state["python_gauss"]))
    np.random.set_state(
        (
            "MT19937",
            state["numpy"].numpy().astype(np.uint32),
            state["numpy_pos"],
            state["numpy_has_gauss"],
            state["numpy_gauss"],
        )
    )


def save_checkpoint(path: str | os.PathLike, **state: Any) -> Path:
    """``torch.save(state)`` atomically (:func:`srcore.files.atomic_write`)."""
    return atomic_write(path, lambda fh: torch.save(state, fh))


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Load a checkpoint onto the CPU with ``weights_only=True`` (no code executed)."""
    return torch.load(Path(path), map_location="cpu", weights_only=True)
