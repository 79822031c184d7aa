"""srcore: reproducible single-image super-resolution, the package behind the book.

The public face, in one namespace: image I/O, MATLAB's ``imresize``, the protocol's
metrics, every method's config and network or run function, the dataset download,
the run context, and :func:`upscale` for a user's own image. Names are loaded on first
use (PEP 562), so ``import srcore`` stays fast and imports no torch; ``srcore.X`` is
the same object as in the module that defines it.

Example:
    >>> import srcore
    >>> srcore.imresize is __import__("srcore.resize").resize.imresize
    True
    >>> "ZSSRConfig" in srcore.__all__
    True
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> (defining module, its name there)
_EXPORTS: dict[str, tuple[str, str]] = {
    # image I/O, resizing, metrics
    "load_image": ("srcore.imageops", "load_image"),
    "save_png": ("srcore.imageops", "save_png"),
    "imresize": ("srcore.resize", "imresize"),
    "psnr": ("srcore.metrics", "psnr"),
    "ssim": ("srcore.metrics", "ssim"),
    # methods: configs, networks, run functions
    "upscale": ("srcore.upscaling", "upscale"),
    "ZSSRConfig": ("srcore.methods.zssr", "ZSSRConfig"),
    "zssr": ("srcore.methods.zssr", "zssr"),
    "DIPConfig": ("srcore.methods.dip", "DIPConfig"),
    "SkipNet": ("srcore.methods.dip", "SkipNet"),
    "dip_optimize": ("srcore.methods.dip", "optimize"),
    "SRCNNConfig": ("srcore.methods.srcnn", "SRCNNConfig"),
    "SRCNN": ("srcore.methods.srcnn", "SRCNN"),
    "VDSRConfig": ("srcore.methods.vdsr", "VDSRConfig"),
    "VDSR": ("srcore.methods.vdsr", "VDSR"),
    "LapSRNConfig": ("srcore.methods.lapsrn", "LapSRNConfig"),
    "LapSRN": ("srcore.methods.lapsrn", "LapSRN"),
    "SRResNetConfig": ("srcore.methods.srresnet", "SRResNetConfig"),
    "SRResNet": ("srcore.methods.srresnet", "SRResNet"),
    "SRGANConfig": ("srcore.methods.srresnet", "SRGANConfig"),
    # trained weights for `upscale`, data, runs
    "load_network": ("srcore.trained", "load_network"),
    "fetch": ("srcore.data", "fetch"),
    "RunContext": ("srcore.runs.context", "RunContext"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (PEP 562)."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'srcore' has no attribute {name!r}")
    module, attr = _EXPORTS[name]
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
