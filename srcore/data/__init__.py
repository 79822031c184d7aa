"""Benchmark and training datasets: registry, checksums, download and reading.

Every number in the study is computed on files whose sha256 is pinned in
``srcore/manifests/datasets.csv``; reading functions verify first and name every
missing or corrupt file. Images live under :func:`data_root`, never in the
repository; :func:`fetch` restores them from the source repositories.

Example:
    >>> from srcore import data
    >>> data.dataset_info("set14").role, len(data.manifest("Set14", ["HR"]))
    ('test', 14)
"""

# ruff: noqa: F401 (the package re-exports its modules' public names)

from srcore.data.checksums import ManifestEntry, build_manifest, load_manifest, manifest
from srcore.data.demo import DEMO_NAMES, demo_images, load_demo_or_dataset
from srcore.data.download import fetch
from srcore.data.read import (
    div2krk_indices,
    div2krk_kernel,
    image_paths,
    iter_images,
    load_div2krk,
    load_hr,
    load_lr_reference,
)
from srcore.data.registry import (
    DATASETS,
    DatasetError,
    DatasetInfo,
    data_root,
    dataset_info,
)
from srcore.data.verification import VerifyReport, available, require, verify
