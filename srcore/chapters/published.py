"""Every published and report number the book prints, as data, each with its source.

Values are PSNR (dB) / SSIM on the Y channel with ``shave = scale`` unless a table says
otherwise. Tags follow ``shared/LITERATURE.md``: ``V`` verified against the cited
file, ``P`` paper value cross-checked against a third-party copy, ``U`` not verified
against its paper (the book prints such a value only marked "unverified").
:data:`ANCHORS` holds every published value set beside a method (:func:`anchor`).
The reports' own numbers follow the literature (``REPORT_000`` ... ``REPORT_004``),
each table with the section of the report file it was copied from.

Example:
    >>> row = published_table("Bicubic").query("dataset == 'Set5' and scale == 2")
    >>> float(row.psnr.iloc[0]), REPORT_003["source"].split(",")[0]
    (33.66, 'shared/reports/003-lapsrn-vs-deep-image-prior-charbonnier.txt')
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

__all__ = [
    "Published",
    "KIM2016_TABLE2",
    "published_table",
    "compare_with_published",
    "agreement",
    "REPORT_000",
    "REPORT_001",
    "REPORT_001_IDEAL",
    "REPORT_001_NONIDEAL",
    "REPORT_002",
    "REPORT_003",
    "REPORT_004",
    "KERNELGAN_DIV2KRK",
    "ANCHORS",
    "ANCHOR_OF",
    "anchor",
    "anchor_text",
    "anchor_label",
]


@dataclass(frozen=True)
class Published:
    """One published (PSNR, SSIM) pair."""

    method: str
    dataset: str
    scale: int
    psnr: float
    ssim: float
    source: str
    tag: str


_KIM = "Kim et al. 2016 (VDSR), Table 2"
_KIM_ROWS = {
    # (dataset, scale): {method: (psnr, ssim)}
    ("Set5", 2): {
        "Bicubic": (33.66, 0.9299),
        "SRCNN": (36.66, 0.9542),
        "VDSR": (37.53, 0.9587),
    },
    ("Set5", 3): {
        "Bicubic": (30.39, 0.8682),
        "SRCNN": (32.75, 0.9090),
        "VDSR": (33.66, 0.9213),
    },
    ("Set5", 4): {
        "Bicubic": (28.42, 0.8104),
        "SRCNN": (30.48, 0.8628),
        "VDSR": (31.35, 0.8838),
    },
    ("Set14", 2): {
        "Bicubic": (30.24, 0.8688),
        "SRCNN": (32.42, 0.9063),
        "VDSR": (33.03, 0.9124),
    },
    ("Set14", 3): {
        "Bicubic": (27.55, 0.7742),
        "SRCNN": (29.28, 0.8209),
        "VDSR": (29.77, 0.8314),
    },
    ("Set14", 4): {
        "Bicubic": (26.00, 0.7027),
        "SRCNN": (27.49, 0.7503),
        "VDSR": (28.01, 0.7674),
    },
    ("BSD100", 2): {
        "Bicubic": (29.56, 0.8431),
        "SRCNN": (31.36, 0.8879),
        "VDSR": (31.90, 0.8960),
    },
    ("BSD100", 3): {
        "Bicubic": (27.21, 0.7385),
        "SRCNN": (28.41, 0.7863),
        "VDSR": (28.82, 0.7976),
    },
    ("BSD100", 4): {
        "Bicubic": (25.96, 0.6675),
        "SRCNN": (26.90, 0.7101),
        "VDSR": (27.29, 0.7251),
    },
    ("Urban100", 2): {
        "Bicubic": (26.88, 0.8403),
        "SRCNN": (29.50, 0.8946),
        "VDSR": (30.76, 0.9140),
    },
    ("Urban100", 3): {
        "Bicubic": (24.46, 0.7349),
        "SRCNN": (26.24, 0.7989),
        "VDSR": (27.14, 0.8279),
    },
    ("Urban100", 4): {
        "Bicubic": (23.14, 0.6577),
        "SRCNN": (24.52, 0.7221),
        "VDSR": (25.18, 0.7524),
    },
}

#: Kim et al. (2016) Table 2: the canonical Bicubic / SRCNN / VDSR block that ZSSR,
#: LapSRN and most later papers reuse. VDSR column verified (V); the other columns are
#: paper values cross-checked in part against third-party copies (P).
KIM2016_TABLE2: tuple[Published, ...] = tuple(
    Published(method, ds, s, p, q, _KIM, "V" if method == "VDSR" else "P")
    for (ds, s), row in _KIM_ROWS.items()
    for method, (p, q) in row.items()
)


def published_table(method: str | None = None) -> pd.DataFrame:
    """The published rows as a DataFrame (optionally one method), with source and
    tag.

    Example:
        >>> len(published_table("VDSR")), sorted(set(published_table().tag))
        (12, ['P', 'V'])
    """
    rows = [asdict(r) for r in KIM2016_TABLE2 if method is None or r.method == method]
    return pd.DataFrame(rows)


def compare_with_published(ours: pd.DataFrame, method: str = "Bicubic") -> pd.DataFrame:
    """Our mean PSNR/SSIM beside the published ones, with the differences.

    ``ours`` has columns dataset, scale, psnr, ssim (e.g. from
    :func:`srcore.runs.benchmark.benchmark_table`). Rows without a published value keep
    NaN.

    Example:
        >>> ours = pd.DataFrame([{"dataset": "Set5", "scale": 2, "psnr": 33.65,
        ...                       "ssim": 0.93}])
        >>> round(float(compare_with_published(ours).d_psnr.iloc[0]), 2)
        -0.01
    """
    pub = published_table(method)[["dataset", "scale", "psnr", "ssim", "tag"]]
    table = ours.merge(pub, on=["dataset", "scale"], how="left", suffixes=("", "_pub"))
    table["d_psnr"] = table["psnr"] - table["psnr_pub"]
    table["d_ssim"] = table["ssim"] - table["ssim_pub"]
    return table


def agreement(table: pd.DataFrame, psnr_tol: float, ssim_tol: float) -> dict[str, Any]:
    """How many compared rows of :func:`compare_with_published` lie within the bounds.

    Returns ``n_within``, ``n_rows``, ``all_within`` (bool), ``outside`` (the
    ``"Set14 ×4"`` names of the rows outside, comma-separated; ``"none"`` if all are
    within), ``max_abs_d_psnr``, ``min_d_psnr``/``max_d_psnr``/``mean_d_psnr`` (ours
    minus published), ``max_abs_d_ssim`` and the two tolerances.

    Example:
        >>> t = pd.DataFrame({"dataset": ["Set5", "Set14"], "scale": [2, 4],
        ...     "psnr_pub": [1.0, 1.0], "d_psnr": [-0.01, -0.1], "d_ssim": [0.0, 0.0]})
        >>> a = agreement(t, 0.02, 0.003)
        >>> a["n_within"], a["n_rows"], a["outside"]
        (1, 2, 'Set14 ×4')
    """
    rows = table.dropna(subset=["psnr_pub"])
    ok = (rows["d_psnr"].abs() <= psnr_tol) & (rows["d_ssim"].abs() <= ssim_tol)
    bad = rows[~ok]
    names = [f"{d} ×{s}" for d, s in zip(bad.dataset, bad.scale, strict=True)]
    return {
        "n_within": int(ok.sum()),
        "n_rows": len(rows),
        "all_within": bool(ok.all()),
        "outside": ", ".join(names) or "none",
        "max_abs_d_psnr": float(rows["d_psnr"].abs().max()),
        "min_d_psnr": float(rows["d_psnr"].min()),
        "max_d_psnr": float(rows["d_psnr"].max()),
        "mean_d_psnr": float(rows["d_psnr"].mean()),
        "max_abs_d_ssim": float(rows["d_ssim"].abs().max()),
        "psnr_tol": psnr_tol,
        "ssim_tol": ssim_tol,
    }


#: Report 000 ("Online super-resolution with deep internal learning"), x2, bicubic
#: LR, (PSNR, SSIM): Table 1 on T91, Table 2 on the first 30 General-100 images.
REPORT_000: dict[str, Any] = {
    "table1": {
        "ZSSR, MSE": (33.921, 0.943),
        "ZSSR, DoG": (34.222, 0.945),
        "ZSSR*": (34.327, 0.946),
    },
    "table2": {
        "ZSSR": (34.927, 0.953),
        "ZSSR*": (35.092, 0.955),
        "ZSSR+": (34.381, 0.949),
        "ZSSR/ext*": (34.129, 0.947),
        "ZSSR/online*": (35.776, 0.959),
        "ZSSR/ext/ftune*": (35.588, 0.958),
        "ZSSR/ext/online*": (35.772, 0.959),
        "ZSSR/ext+": (33.92, 0.945),
        "ZSSR/online+": (35.348, 0.956),
        "ZSSR/ext/ftune+": (35.139, 0.955),
        "ZSSR/ext/online+": (35.322, 0.955),
    },
    "star_slowdown": "3-4 times",  # ZSSR* against ZSSR per iteration, on its GPU
    "source": "shared/reports/000-online-sr-deep-internal-learning.txt, §4, Tables 1 "
    "and 2 (the ZSSR* slowdown: §3.4 and §4)",
}

#: Report 001's variant experiments (§8) on BSD100 with unknown kernels: (ZSSR,
#: variant) mean PSNR as the report printed them, by scale.
REPORT_001: dict[str, Any] = {
    "variants": {
        "ZSSR, pixel shuffle, assumes bicubic": {
            2: (28.2554, 28.2550),
            4: (24.23, 25.0655),
        },
        "ZSSR, pre-trained VDSR backbone, assumes bicubic": {2: (28.2492, 27.6091)},
    },
    # §8.3: ZSSR against L1 + content (VGG) loss, x2: (PSNR, SSIM) each.
    "perceptual": {"ZSSR": (28.26, 0.8903), "L1 + content loss": (27.51, 0.8938)},
    "source": "shared/reports/001-zssr-review-pixelshuffle-vdsr-perceptual.txt, "
    "§8.1, §8.2 and §8.3",
}

#: The ZSSR paper's ideal-case table as quoted by report 001 (Fig. 5; = Shocher et al.
#: 2018, Table 1): (dataset, scale) -> {method: (PSNR, SSIM)}; SRCNN/VDSR/SelfExSR are
#: Kim et al. 2016's block, EDSR+ from Lim et al. 2017.
REPORT_001_IDEAL = {
    ("Set5", 2): {
        "SRCNN": (36.66, 0.9542),
        "VDSR": (37.53, 0.9587),
        "EDSR+": (38.20, 0.9606),
        "SelfExSR": (36.49, 0.9537),
        "ZSSR": (37.37, 0.9570),
    },
    ("Set5", 3): {
        "SRCNN": (32.75, 0.9090),
        "VDSR": (33.66, 0.9213),
        "EDSR+": (34.76, 0.9290),
        "SelfExSR": (32.58, 0.9093),
        "ZSSR": (33.42, 0.9188),
    },
    ("Set5", 4): {
        "SRCNN": (30.48, 0.8628),
        "VDSR": (31.35, 0.8838),
        "EDSR+": (32.62, 0.8984),
        "SelfExSR": (30.31, 0.8619),
        "ZSSR": (31.13, 0.8796),
    },
    ("Set14", 2): {
        "SRCNN": (32.42, 0.9063),
        "VDSR": (33.03, 0.9124),
        "EDSR+": (34.02, 0.9204),
        "SelfExSR": (32.22, 0.9034),
        "ZSSR": (33.00, 0.9108),
    },
    ("Set14", 3): {
        "SRCNN": (29.28, 0.8209),
        "VDSR": (29.77, 0.8314),
        "EDSR+": (30.66, 0.8481),
        "SelfExSR": (29.16, 0.8196),
        "ZSSR": (29.80, 0.8304),
    },
    ("Set14", 4): {
        "SRCNN": (27.49, 0.7503),
        "VDSR": (28.01, 0.7674),
        "EDSR+": (28.94, 0.7901),
        "SelfExSR": (27.40, 0.7518),
        "ZSSR": (28.01, 0.7651),
    },
    ("BSD100", 2): {
        "SRCNN": (31.36, 0.8879),
        "VDSR": (31.90, 0.8960),
        "EDSR+": (32.37, 0.9018),
        "SelfExSR": (31.18, 0.8855),
        "ZSSR": (31.65, 0.8920),
    },
    ("BSD100", 3): {
        "SRCNN": (28.41, 0.7863),
        "VDSR": (28.82, 0.7976),
        "EDSR+": (29.32, 0.8104),
        "SelfExSR": (28.29, 0.7840),
        "ZSSR": (28.67, 0.7945),
    },
    ("BSD100", 4): {
        "SRCNN": (26.90, 0.7101),
        "VDSR": (27.29, 0.7251),
        "EDSR+": (27.79, 0.7437),
        "SelfExSR": (26.84, 0.7106),
        "ZSSR": (27.12, 0.7211),
    },
}
#: Report 001's non-ideal table (BSD100 x2, random kernels; the ZSSR paper's Table 2).
REPORT_001_NONIDEAL = {
    "VDSR": (27.7212, 0.7635),
    "EDSR+": (27.7826, 0.7660),
    "Blind-SR": (28.420, 0.7834),
    "ZSSR, estimated kernel": (28.8118, 0.8306),
    "ZSSR, true kernel": (29.6814, 0.8414),
}

#: Report 002 ("Explore Super-Resolution Deep Learning Methods", §3.4): mean PSNR
#: over 10 DIV2K test images (scale, channel and image list not stated), and its
#: efficiency figures. SRGAN has no numbers: its training did not finish.
REPORT_002 = {
    "srcnn_psnr": 32.4067,
    "bicubic_psnr": 31.0666,
    "n_images": 10,
    "srcnn_train": "about 1 min per epoch on a GPU",
    "srcnn_infer_s": 0.1,
    "bicubic_s_per_image": 137.0,  # "about 2 minutes 17 seconds"
    "source": "shared/reports/002-bicubic-srcnn-srgan-div2k.txt, section 3.4",
}

#: Report 003 ("Robust Loss with Deep Image Prior"), Table 1: mean PSNR/SSIM over 10
#: BSD100 test images at x4 (which 10, the channel and the border are not stated).
#: The LapSRN rows' SSIM below bicubic's suggests the methods were not all scored the
#: same way. Figure 3: DIP PSNR vs iteration (2000 iterations); Figure 4: LapSRN test
#: PSNR per epoch of 30 iterations (50 epochs).
REPORT_003 = {
    "table": [
        ("Bicubic", 25.09, 0.8055),
        ("LapSRN w1=1, w2=1", 26.10, 0.7649),
        ("DIP with MSE", 25.45, 0.8036),
        ("LapSRN w1=2, w2=1", 26.03, 0.7600),
        ("LapSRN w1=1, w2=2", 25.99, 0.7605),
        ("DIP with Charbonnier", 26.28, 0.8340),
    ],
    "n_images": 10,
    "dip_steps": 2000,
    "lapsrn_epochs": 50,
    "lapsrn_iterations_per_epoch": 30,
    "source": "shared/reports/003-lapsrn-vs-deep-image-prior-charbonnier.txt, §4, "
    "Table 1",
}

#: Deep Image Prior's super-resolution table (Ulyanov, Vedaldi, Lempitsky, CVPR 2018),
#: x4: (PSNR, bicubic PSNR) per set, as recalled in shared/LITERATURE.md §2.7 and
#: marked there as not verified against the paper. DIP's own protocol: Y via OpenCV,
#: a 4-pixel border, images cropped to multiples of 32.
DIP_PAPER = {
    "x4": {"Set5": (29.90, 28.43), "Set14": (27.00, 26.05)},
    "verified": False,
    "source": "shared/LITERATURE.md §2.7 (recalled, not verified)",
}

#: Report 004 ("Real world image super resolution with LapSRN"), Table 1: mean PSNR
#: (Y, pixels in [0, 1], no border stated) on its DIV2KRK test split (15 images,
#: 1500 patches at x2, 500 at x4), sub-pixel LapSRN with 10 pre-activated layers.
REPORT_004 = {
    "table": [
        ("Interpolation", 25.601, 20.816),
        ("LapSRN, sub-pixel (report)", 12.957, 21.777),
    ],
    "scales": (2, 4),
    "perceptual_psnr": "between 6 and 7 dB",  # §4: the VGG19-loss models got stuck
    "source": "shared/reports/004-lapsrn-real-world-random-kernels.txt, §5, Table 1",
}


#: KernelGAN's Table 1 on DIV2KRK (100 images, Y PSNR/SSIM): the rows set beside
#: KernelGAN + ZSSR (that one is an anchor, :data:`ANCHORS`). ``{scale: (PSNR, SSIM,
#: tag)}``; U: quoted in LITERATURE.md without a second source.
KERNELGAN_DIV2KRK = {
    "Bicubic interpolation": {2: (28.73, 0.8040, "U"), 4: (25.33, 0.6795, "U")},
    "ZSSR with bicubic kernel": {2: (29.10, 0.8215, "U"), 4: (25.61, 0.6911, "U")},
    "source": "Bell-Kligler et al. 2019 (KernelGAN), Table 1; LITERATURE.md §2.6",
}

#: Where each anchor comes from (``shared/LITERATURE.md`` section and its check).
_ANCHOR_SOURCES = {
    "Kim": _KIM,
    "LapSRN": "Lai et al. 2017 (LapSRN), CVPR table; LITERATURE.md §2.2/§2.3",
    "Ledig": "Ledig et al. 2017 (SRResNet/SRGAN), Table 2; LITERATURE.md §2.4",
    "ZSSR": "Shocher et al. 2018 (ZSSR), Table 1; LITERATURE.md §2.5",
    "DIP": "Ulyanov et al. 2018 (DIP), SR table, recalled; LITERATURE.md §2.7",
    "KernelGAN": "Bell-Kligler et al. 2019 (KernelGAN), Table 1 on DIV2KRK; "
    "LITERATURE.md §2.6",
}
_ANCHOR_ROWS: tuple[tuple[str, str, int, float, float | None, str, str], ...] = (
    # (method, dataset, scale, PSNR, SSIM, source, tag)
    ("LapSRN", "Set5", 2, 37.52, 0.9591, "LapSRN", "V"),
    ("LapSRN", "Set14", 2, 32.99, 0.9124, "LapSRN", "V"),
    ("LapSRN", "BSD100", 2, 31.80, 0.8952, "LapSRN", "V"),
    ("LapSRN", "Set5", 4, 31.54, 0.8852, "LapSRN", "V"),
    ("LapSRN", "Set14", 4, 28.19, 0.772, "LapSRN", "V"),
    ("LapSRN", "BSD100", 4, 27.32, 0.7275, "LapSRN", "V"),
    ("LapSRN", "Set5", 8, 26.14, 0.738, "LapSRN", "V"),
    ("LapSRN", "Set14", 8, 24.44, 0.623, "LapSRN", "V"),
    ("LapSRN", "BSD100", 8, 24.54, 0.586, "LapSRN", "V"),
    # SRGAN-paper SSIMs use another SSIM (LITERATURE.md §2.4): PSNR only.
    ("SRResNet", "Set5", 4, 32.05, None, "Ledig", "V"),
    ("SRResNet", "Set14", 4, 28.49, None, "Ledig", "V"),
    ("SRResNet", "BSD100", 4, 27.58, None, "Ledig", "V"),
    ("SRGAN", "Set5", 4, 29.40, None, "Ledig", "U"),
    ("SRGAN", "Set14", 4, 26.02, None, "Ledig", "U"),
    ("SRGAN", "BSD100", 4, 25.16, None, "Ledig", "U"),
    ("DIP", "Set5", 4, 29.90, None, "DIP", "U"),
    ("DIP", "Set14", 4, 27.00, None, "DIP", "U"),
    ("KernelGAN + ZSSR", "DIV2KRK", 2, 30.36, 0.8669, "KernelGAN", "V"),
    ("KernelGAN + ZSSR", "DIV2KRK", 4, 26.81, 0.7316, "KernelGAN", "V"),
)
_ZSSR_TAGS = {("Set14", 3): "U", ("BSD100", 2): "U", ("BSD100", 3): "U"}

#: Every published value the book sets beside a method (its *anchor*): Kim et al.'s
#: SRCNN/VDSR block, the ZSSR table, LapSRN, SRResNet/SRGAN, DIP and KernelGAN. Tag
#: ``U`` marks a value not verified against its paper (printed as such).
ANCHORS: tuple[Published, ...] = (
    tuple(r for r in KIM2016_TABLE2 if r.method in ("SRCNN", "VDSR"))
    + tuple(
        Published(
            "ZSSR",
            ds,
            s,
            row["ZSSR"][0],
            row["ZSSR"][1],
            _ANCHOR_SOURCES["ZSSR"],
            _ZSSR_TAGS.get((ds, s), "V"),
        )
        for (ds, s), row in REPORT_001_IDEAL.items()
    )
    + tuple(
        Published(
            m, ds, s, p, q if q is not None else float("nan"), _ANCHOR_SOURCES[src], tag
        )
        for m, ds, s, p, q, src, tag in _ANCHOR_ROWS
    )
)
#: How the book's method labels (:func:`srcore.chapters.tables.label`) map to an
#: anchor's method: a variant we ran under another name keeps its paper's anchor.
ANCHOR_OF = {
    "SRCNN": "SRCNN",
    "VDSR": "VDSR",
    "ZSSR": "ZSSR",
    "ZSSR, gradual ×1.5x1→×2→×2": "ZSSR",
    "LapSRN": "LapSRN",
    "LapSRN w1=1, w2=1": "LapSRN",
    "SRResNet": "SRResNet",
    "SRGAN-MSE": "SRGAN",
    "SRGAN-VGG54": "SRGAN",
    "DIP with MSE": "DIP",
    "ZSSR, estimated kernel": "KernelGAN + ZSSR",  # KernelGAN's kernel (chapter 01)
}


def anchor(method: str, dataset: str, scale: int) -> Published | None:
    """The published value of ``method`` (an anchor name or a book label mapped by
    :data:`ANCHOR_OF`; a label starting ``ZSSR, gradual`` maps to ZSSR) on
    ``dataset`` at ``scale``, or None.

    Example:
        >>> a = anchor("SRResNet", "Set5", 4)
        >>> a.psnr, a.tag
        (32.05, 'V')
        >>> anchor("SRGAN-MSE", "Set14", 4).tag, anchor("LapSRN", "Urban100", 4)
        ('U', None)
    """
    name = ANCHOR_OF.get(method, method)
    if method.startswith("ZSSR, gradual"):
        name = "ZSSR"
    for a in ANCHORS:
        if (a.method, a.dataset, a.scale) == (name, dataset, scale):
            return a
    return None


def anchor_label(method: str, dataset: str, scale: int) -> str:
    """An anchor as a verdict table's "paper" cell, or ``""`` where none exists.

    Example:
        >>> anchor_label("SRGAN-MSE", "Set5", 4)
        'SRGAN 29.40 dB (Set5 ×4, unverified)'
    """
    a = anchor(method, dataset, scale)
    if a is None:
        return ""
    flag = ", unverified" if a.tag == "U" else ""
    return f"{a.method} {a.psnr:.2f} dB ({a.dataset} ×{a.scale}{flag})"


def anchor_text(method: str, dataset: str, scale: int) -> str:
    """``"32.05"``, ``"29.40 (unverified)"`` or ``""``: an anchor in a table cell.

    Example:
        >>> anchor_text("SRGAN-MSE", "Set5", 4), anchor_text("SRCNN", "Set5", 8)
        ('29.40 (unverified)', '')
    """
    a = anchor(method, dataset, scale)
    if a is None:
        return ""
    return f"{a.psnr:.2f}" + (" (unverified)" if a.tag == "U" else "")


def report_table(name: str) -> pd.DataFrame:
    """A report's own results table, as the chapter's summary shows it (one place
    for the numbers: the ``REPORT_00x`` dicts above).

    ``name``: ``"000-table1"``, ``"000-table2"``, ``"001-variants"``, ``"002"``,
    ``"003"`` or ``"004"``.

    Example:
        >>> published_row = report_table("003").iloc[0]
        >>> published_row["method"], float(published_row["PSNR (dB)"])
        ('Bicubic', 25.09)
    """
    if name.startswith("000-"):
        rows = REPORT_000[name[4:]]
        return pd.DataFrame(
            [{"method": m, "PSNR (dB)": p, "SSIM": q} for m, (p, q) in rows.items()]
        )
    if name == "001-variants":
        out = []
        for variant, by_scale in REPORT_001["variants"].items():
            for scale, (base, var) in by_scale.items():
                out.append(
                    {
                        "variant": variant.split(", assumes")[0],
                        "scale": scale,
                        "ZSSR (dB)": base,
                        "variant (dB)": var,
                        "difference (dB)": var - base,
                    }
                )
        base, var = REPORT_001["perceptual"].values()
        out.append(
            {
                "variant": "L1 + content (VGG) loss",
                "scale": 2,
                "ZSSR (dB)": base[0],
                "variant (dB)": var[0],
                "difference (dB)": var[0] - base[0],
            }
        )
        return pd.DataFrame(out)
    if name == "002":
        r = REPORT_002
        return pd.DataFrame(
            [
                {
                    "quantity": "SRCNN, mean PSNR over 10 DIV2K images",
                    "report": f"{r['srcnn_psnr']:.2f} dB",
                },
                {
                    "quantity": "bicubic, same images",
                    "report": f"{r['bicubic_psnr']:.2f} dB",
                },
                {"quantity": "SRCNN training", "report": r["srcnn_train"]},
                {
                    "quantity": "SRCNN inference per image",
                    "report": f"about {r['srcnn_infer_s']:g} s",
                },
                {
                    "quantity": "bicubic per image",
                    "report": f"about {r['bicubic_s_per_image']:g} s",
                },
            ]
        )
    if name == "003":
        rows = REPORT_003["table"]
        return pd.DataFrame(
            [{"method": m, "PSNR (dB)": p, "SSIM": q} for m, p, q in rows]
        )
    if name == "004":
        return pd.DataFrame(
            [
                {"method": m, "×2 PSNR (dB)": a, "×4 PSNR (dB)": b}
                for m, a, b in REPORT_004["table"]
            ]
        )
    raise ValueError(f"unknown report table {name!r}")
