"""The dataset registry (``srcore/manifests/registry.yaml``): what each dataset is,
its splits, where the data lives, and the one error for a bad dataset."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml


class DatasetError(RuntimeError):
    """A dataset that is missing, incomplete or corrupt; lists every bad file, so a
    user fixes everything in one go."""

    def __init__(
        self,
        message: str,
        *,
        name: str = "",
        missing: Sequence[str] = (),
        corrupt: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.name = name
        self.missing = list(missing)
        self.corrupt = list(corrupt)


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset is, what it is used for and how it is obtained: ``source`` is
    ``"github-archive"`` (:func:`fetch` rebuilds it) or ``"manual"`` (placed by hand
    from ``url``; ``files_known`` False: no checksum list)."""

    name: str
    role: str
    description: str
    splits: tuple[str, ...]
    hr_split: str | None
    source: str = "github-archive"
    url: str | None = None
    files_known: bool = True


def _read_registry() -> dict[str, DatasetInfo]:
    """Every entry of the packaged ``srcore/manifests/registry.yaml``, in its order."""
    path = resources.files("srcore").joinpath("manifests/registry.yaml")
    return {
        name: DatasetInfo(name=name, **{**fields, "splits": tuple(fields["splits"])})
        for name, fields in yaml.safe_load(path.read_text("utf-8")).items()
    }


#: Dataset name -> :class:`DatasetInfo`, read from ``srcore/manifests/registry.yaml``.
DATASETS: dict[str, DatasetInfo] = _read_registry()


def dataset_info(name: str) -> DatasetInfo:
    """Registry entry for ``name`` (case-insensitive), or a ValueError listing all.

    Example:
        >>> dataset_info("set5").name, dataset_info("Set5").hr_split
        ('Set5', 'HR')
    """
    if name in DATASETS:
        return DATASETS[name]
    for key, info in DATASETS.items():
        if key.lower() == name.lower():
            return info
    raise ValueError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")


def resolve_split(info: DatasetInfo, split: str, scale: int | None) -> str:
    """The split's folder name: ``HR`` -> the dataset's HR split, ``LR_bicubic``,
    ``lr`` or ``gt_k`` + ``scale`` -> that scale's split; anything else as given.

    Example:
        >>> resolve_split(DATASETS["Set5"], "LR_bicubic", 2)
        'LR_bicubic_X2'
    """
    if split == "HR":
        if info.hr_split is None:
            raise ValueError(
                f"{info.name} has no HR split (DIV2KRK's HR images are DIV2K's)"
            )
        return info.hr_split
    if scale is not None and split in ("LR_bicubic", "lr", "gt_k"):
        sep = "_X" if split == "LR_bicubic" else "_x"
        return f"{split}{sep}{int(scale)}"
    return split


def data_root(root: str | os.PathLike | None = None) -> Path:
    """Folder that holds the datasets (``<root>/<dataset>/...``): the argument, else
    ``$SRCORE_DATA``, else ``../shared/datasets`` beside the checkout, else the user
    cache where :func:`fetch` puts downloads."""
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get("SRCORE_DATA")
    if env:
        return Path(env).expanduser()
    repo = Path(__file__).resolve().parents[2]  # srcore/data/registry.py
    shared = repo.parent / "shared" / "datasets"
    if (repo / "pyproject.toml").is_file() and shared.is_dir():
        return shared
    import pooch

    return Path(pooch.os_cache("srcore"))
