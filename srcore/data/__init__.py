"""Benchmark and training datasets: registry, checksums, download and reading.

Every number in the study is computed on files whose sha256 is pinned in
``srcore/manifests/datasets.csv``, so a result can always be traced back to exact
bytes. Reading functions therefore verify before they read and fail loudly, naming
every missing or corrupt file, instead of silently scoring a partial dataset.

Images are never stored in the repository. They live under a data root (see
:func:`data_root`) and can be restored with :func:`fetch`, which downloads the
GitHub archive of each source repository at the pinned commit and checks every
extracted file against the manifest.

One module per idea, everything public importable from here
(``from srcore import data; data.fetch("Set5")``):

* :mod:`~srcore.data.registry`: :data:`DATASETS`, :func:`dataset_info`,
  :func:`data_root`, :class:`DatasetError`;
* :mod:`~srcore.data.checksums`: the manifest (:class:`ManifestEntry`,
  :func:`manifest`, :func:`build_manifest`) and file hashing;
* :mod:`~srcore.data.verification`: :func:`verify`, :func:`require`,
  :func:`available`;
* :mod:`~srcore.data.read`: :func:`image_paths`, :func:`load_hr`,
  :func:`iter_images`, :func:`load_lr_reference`, the DIV2KRK images and kernels;
* :mod:`~srcore.data.download`: :func:`fetch`;
* :mod:`~srcore.data.demo`: scikit-image's photos as a fallback.

Example:
    >>> from srcore import data
    >>> data.dataset_info("set14").role, len(data.manifest("Set14", ["HR"]))
    ('test', 14)
"""

from srcore.data.checksums import (
    ManifestEntry,
    build_manifest,
    load_manifest,
    manifest,
)
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

__all__ = [
    "DATASETS",
    "DEMO_NAMES",
    "DatasetError",
    "DatasetInfo",
    "ManifestEntry",
    "VerifyReport",
    "available",
    "build_manifest",
    "data_root",
    "dataset_info",
    "demo_images",
    "div2krk_indices",
    "div2krk_kernel",
    "fetch",
    "image_paths",
    "iter_images",
    "load_demo_or_dataset",
    "load_div2krk",
    "load_hr",
    "load_lr_reference",
    "load_manifest",
    "manifest",
    "require",
    "verify",
]
