"""Report 001's chapter: ZSSR in the ideal and non-ideal cases, and its variants.

Names the chapter's runs (cached :mod:`srcore.runs.zssr_runs` records) and reshapes
them into its tables, figure and closing sentences; nothing here trains directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure

from srcore import health, plots
from srcore.chapters import tables, zssr_tables
from srcore.chapters.published import (
    KERNELGAN_DIV2KRK,
    REPORT_001,
    REPORT_001_IDEAL,
    REPORT_001_NONIDEAL,
)
from srcore.degrade import excess_blur
from srcore.methods.zssr import PRESETS
from srcore.runs import kernel_runs, zssr_runs
from srcore.runs.context import RunContext
from srcore.runs.results import RunRecord
from srcore.vgg import vgg_weights_available

__all__ = [
    "REPORT_VARIANTS",
    "INIT_IMAGES",
    "ideal_runs",
    "seed_runs",
    "init_runs",
    "init_table",
    "plot_init_traces",
    "nonideal_runs",
    "BLIND_KINDS",
    "blind_runs",
    "KERNEL_SETS",
    "kernel_runs_on",
    "blind_table",
    "blind_kernel_table",
    "kernel_table",
    "plot_kernels",
    "blind_findings",
    "kernel_findings",
    "blind_published",
    "ideal_table",
    "ideal_published",
    "nonideal_reference",
    "plot_traces",
    "variants_status",
    "variants_beside_report",
    "crop_views",
    "findings",
]


#: Report 001 §8's variant experiments on BSD100 with unknown kernels: (ZSSR,
#: variant) mean PSNR as the report printed them, by scale.
REPORT_VARIANTS: dict[str, dict[int, tuple[float, float]]] = REPORT_001["variants"]


#: The reference's gradual configs per final scale (``zssr.PRESETS``).
GRADUAL: dict[int, str] = {2: "gradual_x2", 4: "gradual_x4"}


def ideal_runs(
    sets: Sequence[str],
    scales: Sequence[int],
    gradual_scales: Sequence[int] = (),
    *,
    ctx: RunContext,
    seed: int = 0,
) -> list[RunRecord]:
    """ZSSR on MATLAB-bicubic LR for each (set, scale); at ``gradual_scales`` also
    with the reference's gradual scale increments (the ZSSR paper's choice for
    large factors), on the same images."""
    runs = []
    for ds in sets:
        for s in scales:
            runs.append(zssr_runs.zssr_run(ds, s, ctx, seed=seed))
            if s in gradual_scales:
                gradual = PRESETS[GRADUAL[s]]
                runs.append(zssr_runs.zssr_run(ds, s, ctx, seed=seed, **gradual))
    return runs


def seed_runs(
    dataset: str, scale: int, seeds: Sequence[int], *, ctx: RunContext
) -> list[RunRecord]:
    """The same ZSSR run once per seed (image k of a run with seed s uses s + k):
    the seed spread of the ideal case."""
    return [zssr_runs.zssr_run(dataset, scale, ctx, seed=s) for s in seeds]


#: The BSD100 images of the init comparison: the first two, 101087 among them,
#: on which the reference init stalled in the quick and paper runs.
INIT_IMAGES = 2


def init_runs(
    seeds: Sequence[int], *, ctx: RunContext, limit: int = INIT_IMAGES
) -> dict[str, list[RunRecord]]:
    """ZSSR x2 on the first ``limit`` BSD100 images as the authors' code runs it
    (``PRESETS["reference_init"]``, weights N(0, 0.1 / (9 c_in)), and
    ``PRESETS["reference_lr_rule"]``, which also cuts the rate on a collapsed
    network's plateau) and as srcore does, once per seed: the before/after of the
    stall fix."""
    ref = {**PRESETS["reference_init"], **PRESETS["reference_lr_rule"]}
    return {
        "authors (init 0.1, lr rule as is)": [
            zssr_runs.zssr_run("BSD100", 2, ctx, limit=limit, seed=s, **ref)
            for s in seeds
        ],
        "srcore (init 1.0, lr guard)": [
            zssr_runs.zssr_run("BSD100", 2, ctx, limit=limit, seed=s) for s in seeds
        ],
    }


def init_table(runs: dict[str, list[RunRecord]]) -> pd.DataFrame:
    """Per image and init: how many seeds are done and how many of them trained, the
    mean gain over bicubic and its spread over the seeds, and the mean ratio of the
    final reconstruction error to the interpolation's (:mod:`srcore.health`)."""
    rows = []
    for name, records in runs.items():
        by_image: dict[str, list[dict]] = {}
        for rec in records:
            for r in rec.per_image:
                by_image.setdefault(r["image"], []).append(r)
        for image, items in by_image.items():
            gains = [r["psnr"] - r["psnr_bicubic"] for r in items]
            rows.append(
                {
                    "init": name,
                    "image": image,
                    "seeds done": f"{len(items)} of {len(records)}",
                    "trained": sum(health.is_healthy(r) for r in items),
                    "gain_db": float(np.mean(gains)),
                    "gain_sd_db": float(np.std(gains, ddof=1))
                    if len(gains) > 1
                    else float("nan"),
                    "rec_ratio": float(np.mean([r["health"]["ratio"] for r in items])),
                }
            )
    columns = ["init", "image", "seeds done", "trained", "gain_db", "gain_sd_db"]
    return pd.DataFrame(rows, columns=[*columns, "rec_ratio"])


def plot_init_traces(runs: dict[str, list[RunRecord]], image: str) -> Figure:
    """The plain network's PSNR against iterations on ``image``, one line per seed,
    one panel per init."""
    fig, axes = plt.subplots(1, len(runs), figsize=(10, 3.4), sharey=True)
    for ax, (name, records) in zip(np.atleast_1d(axes), runs.items(), strict=True):
        for rec in records:
            for r in rec.per_image:
                if r["image"] == image:
                    seed = rec.config["model"]["seed"]
                    verdict = health.row_verdict(r)
                    ax.plot(
                        r["trace_iters"],
                        r["trace_psnr"],
                        label=f"seed {seed}: {verdict}",
                    )
                    ax.axhline(r["psnr_bicubic"], color="grey", ls="--", lw=0.8)
        ax.set_title(name)
        ax.set_xlabel("iteration")
        if ax.lines:
            ax.legend(fontsize=8)
        else:
            ax.text(0.5, 0.5, "not run yet", ha="center", transform=ax.transAxes)
    np.atleast_1d(axes)[0].set_ylabel(f"{image}: plain output PSNR (dB)")
    fig.tight_layout()
    return fig


def nonideal_runs(
    scale: int,
    limit: int,
    variants: Sequence[str] = (),
    vdsr_backbone: bool = False,
    *,
    ctx: RunContext,
    seed: int = 0,
) -> tuple[list[RunRecord], list[RunRecord]]:
    """The non-ideal case at one scale: ZSSR with the true kernel and assuming
    bicubic, then the variants on the same LR images (assuming bicubic, as the
    report did): named ``variants`` (pixel shuffle) and, with ``vdsr_backbone``, a
    VDSR pre-trained on BSD200 alone (0 internal iterations) and fine-tuned by ZSSR."""
    kw: dict[str, Any] = dict(degradation="random_kernel", limit=limit, seed=seed)
    base = [
        zssr_runs.zssr_run("BSD100", scale, ctx, true_kernel=t, **kw)
        for t in (True, False)
    ]
    extra = [
        zssr_runs.zssr_run("BSD100", scale, ctx, variant=v, **kw) for v in variants
    ]
    if vdsr_backbone:
        # A backbone replaces ZSSR's network, so ZSSR's init is unused: these runs
        # keep the reference's value, under which their records were made.
        unused = PRESETS["reference_init"]
        extra += [
            zssr_runs.zssr_run(
                "BSD100", scale, ctx, backbone="vdsr", **iters, **unused, **kw
            )
            for iters in ({"max_iters": 0}, {})
        ]
    return base, extra


#: The blind case's ZSSR runs, by what ZSSR is told about the kernel.
BLIND_KINDS: dict[str, dict[str, bool]] = {
    "true kernel": {"true_kernel": True},
    "estimated kernel": {"estimated_kernel": True},
    "assumes bicubic": {},
}


def blind_runs(
    scale: int,
    limit: int,
    *,
    ctx: RunContext,
    seed: int = 0,
    dataset: str = "BSD100",
) -> dict[str, RunRecord]:
    """ZSSR on the first ``limit`` random-kernel images of ``dataset`` (BSD100 with
    seeded kernels, or DIV2KRK's own), told the true kernel, KernelGAN's estimate, or
    nothing (assumes bicubic), plus the KernelGAN record (key ``"kernels"``). With
    ``ctx.partial`` a record may be unfinished: tables then compare the images every
    run has done."""
    kw: dict[str, Any] = dict(degradation="random_kernel", limit=limit, seed=seed)
    runs = {
        kind: zssr_runs.zssr_run(dataset, scale, ctx, **flags, **kw)
        for kind, flags in BLIND_KINDS.items()
    }
    runs["kernels"] = kernel_runs.kernelgan_run(
        dataset, scale, ctx, limit=limit, seed=seed
    )
    return runs


#: KernelGAN's kernel table: (set, scale). BSD100's x4 LR images are smaller than
#: KernelGAN's crop plus its shaved border, so it cannot run on them.
KERNEL_SETS: tuple[tuple[str, int], ...] = (
    ("BSD100", 2),
    ("DIV2KRK", 2),
    ("DIV2KRK", 4),
)


def kernel_runs_on(limit: int, *, ctx: RunContext) -> list[RunRecord]:
    """KernelGAN alone on the first ``limit`` images of each of :data:`KERNEL_SETS`."""
    return [
        kernel_runs.kernelgan_run(ds, scale, ctx, limit=limit)
        for ds, scale in KERNEL_SETS
    ]


def _common(runs: dict[str, RunRecord]) -> list[str]:
    """The images that every run of ``runs`` has done, in the set's order."""
    done = [[r["image"] for r in rec.per_image] for rec in runs.values()]
    return [i for i in done[0] if all(i in d for d in done[1:])]


def blind_table(runs: dict[str, RunRecord]) -> pd.DataFrame:
    """Per image (those all runs have done) and on average: PSNR of bicubic and of
    ZSSR told the true kernel, KernelGAN's estimate or nothing, and whether every
    ZSSR run of the row trained (:func:`blind_kernel_table` has the kernels)."""
    images = _common(runs)
    by = {k: {r["image"]: r for r in rec.per_image} for k, rec in runs.items()}
    rows = [
        {
            "image": item.split("/", 1)[1],
            "psnr_bicubic": by["true kernel"][item]["psnr_bicubic"],
            **{f"{kind} (dB)": by[kind][item]["psnr"] for kind in BLIND_KINDS},
            "ZSSR trained": zssr_tables.trained_count(
                [by[kind][item] for kind in BLIND_KINDS]
            ),
        }
        for item in images
    ]
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    mean = table.drop(columns=["image", "ZSSR trained"]).mean()
    every = [by[kind][i] for kind in BLIND_KINDS for i in images]
    mean_row = {"image": f"mean of {len(table)}", **mean.to_dict()}
    mean_row["ZSSR trained"] = zssr_tables.trained_count(every)
    return pd.concat([table, pd.DataFrame([mean_row])], ignore_index=True)


def blind_kernel_table(runs: dict[str, RunRecord]) -> pd.DataFrame:
    """Per image of :func:`blind_table`: what the estimate gained over assuming
    bicubic, the estimate's and the bicubic kernel's distance to the true kernel,
    the estimate's excess blur (:func:`srcore.degrade.excess_blur`: > 0 where it is
    wider than the truth in some direction) and KernelGAN's health."""
    by = {r["image"]: r for r in runs["kernels"].per_image}
    est = {r["image"]: r["psnr"] for r in runs["estimated kernel"].per_image}
    assumed = {r["image"]: r["psnr"] for r in runs["assumes bicubic"].per_image}
    rows = [
        {
            "image": item.split("/", 1)[1],
            "est_minus_assumed_db": est[item] - assumed[item],
            "kernel_error": by[item]["kernel_error"],
            "bicubic_error": by[item]["bicubic_error"],
            "excess_blur": excess_blur(by[item]["cov_estimate"], by[item]["cov_true"]),
            "kernelgan_health": health.row_verdict(by[item]) or "not recorded",
        }
        for item in _common(runs)
    ]
    return pd.DataFrame(rows)


def plot_blind_traces(runs: dict[str, RunRecord], image: str | None = None) -> Figure:
    """PSNR against the HR image over ZSSR's iterations on one image (default: the
    one where the estimate loses most to assuming bicubic), one line per kernel
    ZSSR was given, bicubic dashed. The HR image is only watched, never used."""
    kernels = blind_kernel_table(runs)
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    if kernels.empty:
        ax.text(0.5, 0.5, "no blind run yet", ha="center", va="center")
        ax.axis("off")
        return fig
    if image is None:
        image = str(kernels.loc[kernels.est_minus_assumed_db.idxmin(), "image"])
    dataset = runs["kernels"].config["dataset"]
    item = f"{dataset}/{image}"
    for kind, color in zip(BLIND_KINDS, plt.cm.tab10.colors, strict=False):
        row = next(r for r in runs[kind].per_image if r["image"] == item)
        ax.plot(row["trace_iters"], row["trace_psnr"], color=color, label=kind)
    ax.axhline(row["psnr_bicubic"], color="grey", ls="--", lw=0.8, label="bicubic")
    ax.set_title(f"{dataset} {image} ×{runs['kernels'].config['scale']}", fontsize=9)
    return plots.finish_psnr_axes(fig, ax, "ZSSR iterations")


def kernel_table(records: Sequence[RunRecord]) -> pd.DataFrame:
    """KernelGAN per set and scale: images, mean distance of its estimate and of
    the bicubic kernel to the true kernel, the share of images where the estimate is
    closer, trained runs and seconds per image."""
    rows = []
    for rec in records:
        per = pd.DataFrame(rec.per_image)
        if per.empty:
            continue
        rows.append(
            {
                "dataset": rec.config["dataset"],
                "scale": rec.config["scale"],
                "n_images": len(per),
                "kernel_error": per["kernel_error"].mean(),
                "bicubic_error": per["bicubic_error"].mean(),
                "closer": f"{int((per.kernel_error < per.bicubic_error).sum())} of "
                f"{len(per)}",
                "kernelgan_health": zssr_tables.trained_count(rec.per_image),
                "kernelgan_seconds": per["seconds"].mean(),
            }
        )
    return pd.DataFrame(rows)


def plot_kernels(
    records: Sequence[RunRecord], per_record: int = 2, data_root: Any = None
) -> Figure:
    """True (top) and KernelGAN's estimated (bottom) kernels of the first images of
    each record, on one colour scale per pair, each titled with its distance."""
    from srcore import protocol
    from srcore.degrade import kernel_to_image

    pairs = []
    for rec in records:
        for row in rec.per_image[:per_record]:
            ds, image = row["image"].split("/", 1)
            truth = protocol.test_kernel(ds, image, rec.config["scale"], data_root)
            pairs.append((rec, row, truth))
    if not pairs:
        fig, ax = plt.subplots(figsize=(4, 1))
        ax.text(0.5, 0.5, "no kernel estimated yet", ha="center", va="center")
        ax.axis("off")
        return fig
    fig, axes = plt.subplots(
        2, max(1, len(pairs)), figsize=(1.6 * len(pairs), 3.6), squeeze=False
    )
    for col, (rec, row, truth) in enumerate(pairs):
        est = kernel_runs.kernel_from_row(row)
        n = max(truth.shape[-1], est.shape[-1])
        for ax, k, title in (
            (
                axes[0, col],
                truth,
                f"{row['image'].split('/', 1)[1]} ×{rec.config['scale']}: true",
            ),
            (axes[1, col], est, f"estimate, d = {row['kernel_error']:.2f}"),
        ):
            pad = (n - k.shape[-1]) // 2
            img = kernel_to_image(torch.nn.functional.pad(k, (pad,) * 4))
            ax.imshow(img, cmap="magma")
            ax.set_title(title, fontsize=7)
            ax.axis("off")
    fig.tight_layout()
    return fig


#: The blind case's sets, (set, scale): BSD100 x2 is the report's setting (seeded
#: DIV2KRK-style kernels); DIV2KRK's own LR files and kernels are KernelGAN's.
BLIND_SETS: tuple[tuple[str, int], ...] = (
    ("BSD100", 2),
    ("DIV2KRK", 2),
    ("DIV2KRK", 4),
)


def zssr_precision(records: Sequence[RunRecord]) -> str:
    """How ZSSR records ran: ``"bf16"`` (autocast on a CPU or GPU with native
    bf16, :mod:`srcore.precision`), ``"fp32"``, or ``"fp32 and bf16"`` when they
    differ."""
    names = {
        "bf16"
        if r.config.get("model", {}).get("amp")
        and (
            r.provenance.get("cpu_native_bf16")
            or str(r.provenance.get("device", "cpu")).startswith("cuda")
        )
        else "fp32"
        for r in records
    }
    return " and ".join(sorted(names, reverse=True)) if names else "none"


def blind_key(dataset: str, scale: int) -> str:
    """Glue prefix of a blind set: ``blind_x2`` (BSD100), ``blind_div2krk_x4``."""
    return (
        f"blind_x{scale}"
        if dataset == "BSD100"
        else f"blind_{dataset.lower()}_x{scale}"
    )


def blind_sets(
    bsd100_images: int, div2krk_images: int, *, ctx: RunContext, seed: int = 0
) -> dict[str, dict[str, RunRecord]]:
    """:func:`blind_runs` on the first images of each of :data:`BLIND_SETS`, keyed by
    :func:`blind_key`; a set given 0 images is left out. Records may be unfinished
    (``partial``): the tables compare the images every run has done."""
    limits = {"BSD100": bsd100_images, "DIV2KRK": div2krk_images}
    part = ctx.replace(partial=True)
    return {
        blind_key(ds, s): blind_runs(s, limits[ds], ctx=part, seed=seed, dataset=ds)
        for ds, s in BLIND_SETS
        if limits[ds] > 0
    }


_BLIND_VALUES = (
    "true",
    "estimated",
    "assumed",
    "bicubic",
    "est_minus_assumed",
    "est_minus_true",
    "kernel_error",
    "bicubic_error",
    "seconds",
    "zssr_seconds",
    "worst_loss",
    "worst_excess",
    "rest_est_minus_assumed",
    "rest_max_excess",
)


def blind_findings(runs: dict[str, RunRecord] | None, key: str) -> dict[str, Any]:
    """Glue keys ``<key>_<what>`` of one blind set (``key`` from :func:`blind_key`):
    ``n``, ``true``, ``estimated``, ``assumed``, ``bicubic`` (mean PSNR over the
    common images), ``est_minus_assumed``, ``est_minus_true``, ``wins`` (images
    where the estimate beats assuming bicubic), ``kernel_error``,
    ``bicubic_error``, ``seconds`` (KernelGAN per image), ``zssr_seconds`` (one
    ZSSR run per image), ``worst`` (the image where the estimate loses most to
    assuming bicubic) with ``worst_loss`` and ``worst_excess`` (its excess blur),
    over the other images ``rest_est_minus_assumed`` and ``rest_max_excess``,
    ``precision`` (:func:`zssr_precision` of the ZSSR runs), and the ZSSR runs that
    did not train by the health rule: ``not_trained`` (a count) and
    ``not_trained_which`` ("im_33 (assumes bicubic, under-fitted)", or "none").
    No run yet: ``n`` 0 and NaNs."""
    table = blind_table(runs) if runs else pd.DataFrame()
    if table.empty:
        names = ("worst", "precision", "not_trained_which")
        return (
            {f"{key}_n": 0, f"{key}_wins": 0, f"{key}_not_trained": 0}
            | {f"{key}_{n}": "none" for n in names}
            | {f"{key}_{n}": float("nan") for n in _BLIND_VALUES}
        )
    per = table.iloc[:-1]
    kernels = blind_kernel_table(runs)
    est, true_k = per["estimated kernel (dB)"], per["true kernel (dB)"]
    assumed = per["assumes bicubic (dB)"]
    worst = int(kernels.est_minus_assumed_db.idxmin())
    rest = kernels.drop(index=worst)
    images = set(_common(runs))
    kgan = [r["seconds"] for r in runs["kernels"].per_image if r["image"] in images]
    zssr = [
        r["seconds"]
        for kind in BLIND_KINDS
        for r in runs[kind].per_image
        if r["image"] in images
    ]
    untrained = [
        f"{r['image'].split('/', 1)[1]} ({kind}, "
        f"{health.row_verdict(r) or 'health not recorded'})"
        for kind in BLIND_KINDS
        for r in runs[kind].per_image
        if r["image"] in images and health.row_verdict(r) != "trained"
    ]
    nan = float("nan")
    return {
        f"{key}_n": len(per),
        f"{key}_true": float(true_k.mean()),
        f"{key}_estimated": float(est.mean()),
        f"{key}_assumed": float(assumed.mean()),
        f"{key}_bicubic": float(per["psnr_bicubic"].mean()),
        f"{key}_est_minus_assumed": float((est - assumed).mean()),
        f"{key}_est_minus_true": float((est - true_k).mean()),
        f"{key}_wins": int((est > assumed).sum()),
        f"{key}_kernel_error": float(kernels["kernel_error"].mean()),
        f"{key}_bicubic_error": float(kernels["bicubic_error"].mean()),
        f"{key}_seconds": float(np.mean(kgan)),
        f"{key}_zssr_seconds": float(np.mean(zssr)),
        f"{key}_precision": zssr_precision([runs[kind] for kind in BLIND_KINDS]),
        f"{key}_not_trained": len(untrained),
        f"{key}_not_trained_which": "; ".join(untrained) or "none",
        f"{key}_worst": str(kernels.loc[worst, "image"]),
        f"{key}_worst_loss": float(kernels.loc[worst, "est_minus_assumed_db"]),
        f"{key}_worst_excess": float(kernels.loc[worst, "excess_blur"]),
        f"{key}_rest_est_minus_assumed": float(rest.est_minus_assumed_db.mean())
        if len(rest)
        else nan,
        f"{key}_rest_max_excess": float(rest.excess_blur.max()) if len(rest) else nan,
    }


def blind_seed_runs(
    images: int, seeds: Sequence[int], *, ctx: RunContext
) -> list[dict[str, RunRecord]]:
    """The BSD100 x2 blind case (:func:`blind_runs`) once per seed: KernelGAN's
    crops and init and ZSSR's sampling change, the images and kernels do not."""
    part = ctx.replace(partial=True)
    return [blind_runs(2, images, ctx=part, seed=s) for s in seeds]


def blind_seed_table(seed_runs: Sequence[dict[str, RunRecord]]) -> pd.DataFrame:
    """Per seed: the images every run of that seed has done, mean PSNR of ZSSR told
    KernelGAN's estimate or nothing, the estimate's gain over assuming bicubic and
    its cost against the true kernel, and its wins; then the
    mean ± sd over the seeds that have done as many images as the most complete
    one (a seed still running is shown, not averaged)."""
    rows = []
    for runs in seed_runs:
        f = blind_findings(runs, "b")
        rows.append(
            {
                "seed": str(runs["kernels"].config["model"]["seed"]),
                "n_images": f["b_n"],
                **{f"{k} (dB)": f[f"b_{v}"] for k, v in _SEED_COLUMNS.items()},
                "est_minus_assumed_db": f["b_est_minus_assumed"],
                "true_minus_est_db": -f["b_est_minus_true"],
                "wins": f"{f['b_wins']} of {f['b_n']}",
            }
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    full = _full_seeds(table)
    numbers = full.drop(columns=["seed", "n_images", "wins"])
    k = len(full)
    summary = {"seed": f"mean of {k} seed" + ("s" if k > 1 else ""), "n_images": None}
    spread = {"seed": "sd over seeds", "n_images": None}
    for col in numbers.columns:
        summary[col] = numbers[col].mean()
        spread[col] = numbers[col].std(ddof=1) if k > 1 else float("nan")
    return pd.concat([table, pd.DataFrame([summary, spread])], ignore_index=True)


def _full_seeds(table: pd.DataFrame) -> pd.DataFrame:
    """The per-seed rows that have done as many images as the most complete one."""
    per = table[table.seed.str.isdigit()]
    return per[per.n_images == per.n_images.max()]


_SEED_COLUMNS = {
    "estimated kernel": "estimated",
    "assumes bicubic": "assumed",
}


def blind_seed_findings(seed_runs: Sequence[dict[str, RunRecord]]) -> dict[str, Any]:
    """Glue keys of the blind case over seeds (BSD100 x2): ``blind_x2_seeds`` (the
    seeds averaged), mean and sd over them of ``est_minus_assumed`` and
    ``true_minus_est`` and their sum ``true_minus_assumed`` (``..._mean``,
    ``..._sd``; sd NaN with one seed); ``blind_x2_n_seeded`` (images per seed); over
    every (image, seed) pair done (``blind_x2_pairs``) the Pearson correlation of
    the estimate's excess blur with its gain over assuming bicubic
    (``blind_x2_excess_corr``)."""
    table = blind_seed_table(seed_runs)
    nan = float("nan")
    out: dict[str, Any] = {"blind_x2_seeds": 0, "blind_x2_pairs": 0}
    out["blind_x2_excess_corr"] = nan
    for name in ("est_minus_assumed", "true_minus_est", "true_minus_assumed"):
        out[f"blind_x2_{name}_mean"] = out[f"blind_x2_{name}_sd"] = nan
    if table.empty:
        return out
    full = _full_seeds(table)
    both = full.true_minus_est_db + full.est_minus_assumed_db
    out["blind_x2_true_minus_assumed_mean"] = float(both.mean())
    out["blind_x2_true_minus_assumed_sd"] = (
        float(both.std(ddof=1)) if len(full) > 1 else nan
    )
    out["blind_x2_n_seeded"] = int(full.n_images.max())
    pairs = pd.concat([blind_kernel_table(runs) for runs in seed_runs])
    out["blind_x2_pairs"] = len(pairs)
    out["blind_x2_excess_corr"] = (
        float(pairs.excess_blur.corr(pairs.est_minus_assumed_db))
        if len(pairs) > 2
        else nan
    )
    summary, spread = table.iloc[-2], table.iloc[-1]
    out["blind_x2_seeds"] = len(_full_seeds(table))
    for name in ("est_minus_assumed", "true_minus_est"):
        out[f"blind_x2_{name}_mean"] = float(summary[f"{name}_db"])
        out[f"blind_x2_{name}_sd"] = float(spread[f"{name}_db"])
    return out


def plot_blind_seeds(seed_runs: Sequence[dict[str, RunRecord]]) -> Figure:
    """Per image, what the true and the estimated kernel gain ZSSR over assuming
    bicubic: the mean over seeds with the sd as error bars (seaborn), one dot per
    seed behind it."""
    import seaborn as sns

    rows = []
    for runs in seed_runs:
        by = {
            k: {r["image"]: r["psnr"] for r in runs[k].per_image} for k in BLIND_KINDS
        }
        seed = runs["kernels"].config["model"]["seed"]
        for item in _common(runs):
            for kind in ("true kernel", "estimated kernel"):
                rows.append(
                    {
                        "image": item.split("/", 1)[1],
                        "kernel ZSSR was given": kind,
                        "seed": seed,
                        "gain": by[kind][item] - by["assumes bicubic"][item],
                    }
                )
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    if not rows:
        ax.text(0.5, 0.5, "no blind run yet", ha="center", va="center")
        ax.axis("off")
        return fig
    data = pd.DataFrame(rows)
    hue = "kernel ZSSR was given"
    sns.stripplot(
        data, x="image", y="gain", hue=hue, dodge=True, alpha=0.4, legend=False, ax=ax
    )
    sns.pointplot(
        data,
        x="image",
        y="gain",
        hue=hue,
        dodge=0.4,
        errorbar="sd",
        linestyle="none",
        markers="D",
        ax=ax,
    )
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_ylabel("PSNR over assuming bicubic (dB)")
    ax.set_title(f"BSD100 ×2: mean ± sd over {data.seed.nunique()} seed(s)", fontsize=9)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return fig


def all_blind_findings(sets: dict[str, dict[str, RunRecord]]) -> dict[str, Any]:
    """:func:`blind_findings` of every one of :data:`BLIND_SETS` (NaNs for a set
    :func:`blind_sets` left out)."""
    out: dict[str, Any] = {}
    for ds, s in BLIND_SETS:
        key = blind_key(ds, s)
        out |= blind_findings(sets.get(key), key)
    return out


def kernel_findings(records: Sequence[RunRecord]) -> dict[str, Any]:
    """Glue keys of KernelGAN alone: ``kernelgan_s_per_image`` (mean over every
    image of ``records``), ``kernel_<set>_x<s>_<what>`` (``n``, ``error``,
    ``bicubic_error``, ``closer``) and the KernelGAN paper's ZSSR on DIV2KRK
    (``paper_kernelgan_x2``/``x4``) with its gain over ZSSR with the bicubic kernel
    (``paper_kernelgan_gain_x2``/``x4``)."""
    from srcore.chapters.published import anchor

    rows = [r for rec in records for r in rec.per_image]
    out: dict[str, Any] = {
        "kernelgan_s_per_image": float(np.mean([r["seconds"] for r in rows]))
        if rows
        else float("nan")
    }
    for r in kernel_table(records).itertuples():
        key = f"kernel_{r.dataset.lower()}_x{r.scale}"
        out[f"{key}_n"] = int(r.n_images)
        out[f"{key}_error"] = float(r.kernel_error)
        out[f"{key}_bicubic_error"] = float(r.bicubic_error)
        out[f"{key}_closer"] = r.closer
    for scale in (2, 4):
        paper = anchor("KernelGAN + ZSSR", "DIV2KRK", scale).psnr
        out[f"paper_kernelgan_x{scale}"] = paper
        base = KERNELGAN_DIV2KRK["ZSSR with bicubic kernel"][scale][0]
        out[f"paper_kernelgan_gain_x{scale}"] = paper - base
    return out


def ideal_table(records: Sequence[RunRecord]) -> pd.DataFrame:
    """Our ZSSR and bicubic per (set, scale) beside the published ZSSR PSNR (over
    all of the set's images) and our difference from it, ``d_psnr``, and the plain
    network's own output against bicubic (:func:`zssr_tables.network_alone`, an
    analysis); the other published methods are in :func:`ideal_published`."""
    ours = zssr_tables.summary(records)
    rows = []
    for rec, r in zip(records, ours.itertuples(), strict=True):
        pub = REPORT_001_IDEAL.get((r.dataset, r.scale), {})
        rows.append(
            {
                "method": r.method,
                "dataset": r.dataset,
                "scale": r.scale,
                "n_images": r.n_images,
                "psnr_bicubic": r.psnr_bicubic,
                "psnr": r.psnr,
                "gain_db": r.gain_db,
                "ZSSR (published)": pub["ZSSR"][0] if pub else None,
                "d_psnr": r.psnr - pub["ZSSR"][0] if pub else None,
                "trained": r.trained,
                "network alone": zssr_tables.network_alone(rec.per_image),
            }
        )
    return pd.DataFrame(rows)


def ideal_published(records: Sequence[RunRecord]) -> pd.DataFrame:
    """The ZSSR paper's ideal table (PSNR, dB) at the (set, scale) pairs of
    ``records``: SRCNN, VDSR, EDSR+, SelfExSR and ZSSR, one column each."""
    pairs = dict.fromkeys((r.config["dataset"], r.config["scale"]) for r in records)
    rows = [
        {"dataset": ds, "scale": s}
        | {f"{m} (dB)": v[0] for m, v in REPORT_001_IDEAL.get((ds, s), {}).items()}
        for ds, s in pairs
    ]
    return pd.DataFrame(rows)


def blind_published() -> pd.DataFrame:
    """The published values the blind case is set beside: report 001's non-ideal
    table (BSD100 x2, random kernels; the ZSSR paper's estimator) and KernelGAN +
    ZSSR on DIV2KRK (x2, x4), each with its source."""
    from srcore.chapters.published import anchor

    rows = [
        {
            "published_source": "report 001 (ZSSR paper, Table 2)",
            "dataset": "BSD100",
            "scale": 2,
            "method": m,
            "psnr": p,
            "ssim": q,
        }
        for m, (p, q) in REPORT_001_NONIDEAL.items()
    ]
    source = KERNELGAN_DIV2KRK["source"].split(";")[0]
    for scale in (2, 4):
        for method in ("Bicubic interpolation", "ZSSR with bicubic kernel"):
            psnr, ssim, tag = KERNELGAN_DIV2KRK[method][scale]
            rows.append(
                {
                    "published_source": source
                    + (" (unverified)" if tag == "U" else ""),
                    "dataset": "DIV2KRK",
                    "scale": scale,
                    "method": method,
                    "psnr": psnr,
                    "ssim": ssim,
                }
            )
        a = anchor("KernelGAN + ZSSR", "DIV2KRK", scale)
        rows.append(
            {
                "published_source": a.source.split(";")[0],
                "dataset": a.dataset,
                "scale": a.scale,
                "method": a.method,
                "psnr": a.psnr,
                "ssim": a.ssim,
            }
        )
    return pd.DataFrame(rows)


def nonideal_reference() -> pd.DataFrame:
    """The ZSSR paper's non-ideal table as report 001 quotes it."""
    return pd.DataFrame(
        [
            {"method": m, "psnr": p, "ssim": s}
            for m, (p, s) in REPORT_001_NONIDEAL.items()
        ]
    )


def plot_traces(record: RunRecord) -> Figure:
    """PSNR of the plain network output against iterations, one line per image,
    with that image's bicubic PSNR dashed in the same colour."""
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    for row, color in zip(record.per_image, plt.cm.tab10.colors, strict=False):
        name = row["image"].split("/", 1)[1]
        ax.plot(row["trace_iters"], row["trace_psnr"], color=color, label=name)
        ax.axhline(row["psnr_bicubic"], color=color, ls="--", lw=0.8)
    return plots.finish_psnr_axes(fig, ax, "iterations")


def variants_status(shown: Sequence[RunRecord] = ()) -> pd.DataFrame:
    """Report 001's variants: run here (a record among ``shown``), or why not."""
    labels = " ".join(tables.label(r) for r in shown)
    hybrid = (
        "runs where the ImageNet VGG19 weights exist"
        if vgg_weights_available()
        else "not run: needs VGG weights"
    )

    def status(marker: str, param: str) -> str:
        return "run (above)" if marker in labels else f"not run in this build: {param}"

    return pd.DataFrame(
        [
            {
                "variant": "pixel shuffle inside the net",
                "status": status(
                    "pixel shuffle", "`nonideal_variants=['pixelshuffle']`"
                ),
            },
            {
                "variant": "VDSR backbone pre-trained on BSD200",
                "status": status("VDSR", "`vdsr_backbone=True`"),
            },
            {"variant": "L1 + content (perceptual) loss", "status": hybrid},
        ]
    )


def variants_beside_report(records: Sequence[RunRecord]) -> pd.DataFrame:
    """Each variant's mean PSNR next to plain ZSSR (assuming bicubic) on the same
    images and scale, and the report's same difference (:data:`REPORT_VARIANTS`)."""
    table = zssr_tables.summary(records)
    rows = []
    for r in table.itertuples():
        if r.method == "ZSSR, assumes bicubic" or "true kernel" in r.method:
            continue
        base = table[
            (table.method == "ZSSR, assumes bicubic") & (table.scale == r.scale)
        ]
        ref = REPORT_VARIANTS.get(r.method, {}).get(r.scale)
        rows.append(
            {
                "variant": r.method,
                "scale": r.scale,
                "n_images": r.n_images,
                "ZSSR (ours)": base.psnr.iloc[0] if len(base) else None,
                "variant (ours)": r.psnr,
                "difference (ours)": r.psnr - base.psnr.iloc[0] if len(base) else None,
                "difference (report)": ref[1] - ref[0] if ref else None,
            }
        )
    return pd.DataFrame(rows)


def crop_views(
    records: Sequence[RunRecord], data_root: Any = None, results: Any = None
) -> dict[str, dict[str, torch.Tensor]]:
    """For each record: centre crops of bicubic, ZSSR and HR on its first image."""
    out = {}
    for rec in records:
        item = rec.per_image[0]["image"]
        views = tables.crop_views([rec], item, data_root=data_root, results=results)
        out[f"{item} ×{rec.config['scale']} ({tables.label(rec)})"] = views
    return out


#: Glue-key names of report 001's variants (their :func:`tables.label`).
VARIANT_KEYS = {
    "ZSSR, pixel shuffle, assumes bicubic": "shuffle",
    "VDSR pre-trained on BSD200, no internal training, assumes bicubic": "vdsr_only",
    "ZSSR, pre-trained VDSR backbone, assumes bicubic": "vdsr_backbone",
}


def findings(
    ideal: Sequence[RunRecord],
    nonideal: Sequence[RunRecord],
    variants: Sequence[RunRecord] = (),
) -> dict[str, Any]:
    """The chapter's measured numbers, for the notebook's closing prose (glue keys).

    Per ideal run ``ideal_<set>_x<scale>[g]_<what>`` (``g``: gradual increments;
    what: ``n``, ``psnr``, ``bicubic``, ``gain``, ``iters``, and ``published``,
    the paper's ZSSR, where it has one); per non-ideal scale
    ``nonideal_x<scale>_<what>`` (``n``, ``true`` and ``assumed``: ZSSR with the true
    kernel and assuming bicubic, ``bicubic``, ``gain``: true minus assumed); the
    paper's ``paper_true_vs_estimated`` and ``paper_true_vs_edsr`` (x2); per variant
    ``variant_<name>_x<scale>_<what>`` (:data:`VARIANT_KEYS`; ``psnr``, ``diff``
    against plain ZSSR on the same images, ``report_diff`` where the report has one).
    """
    out: dict[str, Any] = {}
    for r in zssr_tables.summary(ideal).itertuples():
        key = f"ideal_{r.dataset.lower()}_x{r.scale}" + (
            "g" if "gradual" in r.method else ""
        )
        out[f"{key}_n"] = int(r.n_images)
        out[f"{key}_psnr"] = float(r.psnr)
        out[f"{key}_bicubic"] = float(r.psnr_bicubic)
        out[f"{key}_gain"] = float(r.gain_db)
        out[f"{key}_iters"] = float(r.iterations)
        pub = REPORT_001_IDEAL.get((r.dataset, r.scale), {}).get("ZSSR")
        if pub:
            out[f"{key}_published"] = pub[0]
    for scale, t in zssr_tables.summary(nonideal).groupby("scale"):
        t = t.set_index("method")
        if not {"ZSSR, true kernel", "ZSSR, assumes bicubic"} <= set(t.index):
            continue
        true_k, assumed = t.loc["ZSSR, true kernel"], t.loc["ZSSR, assumes bicubic"]
        key = f"nonideal_x{scale}"
        out[f"{key}_n"] = int(true_k.n_images)
        out[f"{key}_true"] = float(true_k.psnr)
        out[f"{key}_assumed"] = float(assumed.psnr)
        out[f"{key}_bicubic"] = float(true_k.psnr_bicubic)
        out[f"{key}_gain"] = float(true_k.psnr - assumed.psnr)
    paper = {m: p for m, (p, _) in REPORT_001_NONIDEAL.items()}
    out["paper_true_vs_estimated"] = (
        paper["ZSSR, true kernel"] - paper["ZSSR, estimated kernel"]
    )
    out["paper_true_vs_edsr"] = paper["ZSSR, true kernel"] - paper["EDSR+"]
    for _, r in variants_beside_report([*nonideal, *variants]).iterrows():
        key = f"variant_{VARIANT_KEYS.get(r['variant'], r['variant'])}_x{r['scale']}"
        out[f"{key}_psnr"] = float(r["variant (ours)"])
        out[f"{key}_diff"] = float(r["difference (ours)"])
        if not pd.isna(r["difference (report)"]):
            out[f"{key}_report_diff"] = float(r["difference (report)"])
    return out
