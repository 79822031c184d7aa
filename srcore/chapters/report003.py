"""Report 003's chapter: LapSRN's level weights and DIP with MSE vs Charbonnier, x4.

The report compared bicubic, LapSRN with pyramid-loss weights ``(w1, w2)`` in
``{(1, 1), (2, 1), (1, 2)}`` and Deep Image Prior (DIP) with the MSE and the
Charbonnier data term on 10 BSD100 test images at x4. Here:

* LapSRN: :func:`srcore.runs.supervised.run` trains one network per weighting and scores
  it on the full benchmark sets; :func:`lapsrn_on_crops` also scores it on DIP's crops.
* DIP: :func:`dip_run` optimises one network per (image, seed) for each loss, on the
  same images and seeds for both losses, and keeps each run's PSNR-vs-step trace.
  ``quick`` uses fixed centre crops (:data:`DIP_EVAL`): a DIP step's cost grows with
  the output size, and each record keeps its measured seconds per step.

Nothing in the notebook optimises: it calls these functions, which go through
:func:`srcore.runs.results.load_or_run` (cached, resumable records), and glues the
numbers of :func:`findings` into its prose.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from srcore import data, protocol
from srcore.chapters import supervised_tables, tables
from srcore.chapters.published import REPORT_003
from srcore.health import health, tail_mean
from srcore.imageops import save_png
from srcore.methods import dip
from srcore.profiles import config_dict, resolve_device, resolve_profile
from srcore.runs import supervised
from srcore.runs.context import RunContext
from srcore.runs.results import (
    RunRecord,
    crop_file,
    machines,
    provenance,
    record_for,
    results_root,
    run_key,
)
from srcore.training.models import SPECS
from srcore.training.supervised import super_resolve

__all__ = [
    "DIP_EVAL",
    "DIP_SET5",
    "WEIGHTINGS",
    "crop_pair",
    "dip_run",
    "lapsrn_runs",
    "lapsrn_on_crops",
    "crops_table",
    "full_table",
    "report_table",
    "dip_curves",
    "final_gains",
    "crop_views",
    "dip_seed_table",
    "weighting_views",
    "findings",
]

SCALE = 4  # the report works at x4 only
#: Report 003's LapSRN loss weights (w1 on the x2 level, w2 on the x4 level).
WEIGHTINGS: tuple[tuple[float, float], ...] = ((1.0, 1.0), (2.0, 1.0), (1.0, 2.0))
#: DIP's test images per profile: the first ``images`` of ``dataset``, each cut to a
#: centred ``crop`` square, optimised once per seed. Part of each DIP and
#: LapSRN-on-crops record's key: a changed value is a new run.
DIP_EVAL: dict[str, dict[str, Any]] = {
    "smoke": {
        "dataset": "BSD100",  # the report's test set
        "images": 1,  # one image: checks the pipeline only
        "crop": 64,  # HR side of the centred crop (LR 16x16)
        "seeds": [0],  # one optimisation per image
    },
    "quick": {
        "dataset": "BSD100",  # the report's test set
        "images": 10,  # the report's count (it does not say which 10)
        "crop": 64,  # 64x64 crops: whole images take far longer on two CPU cores
        "seeds": [0],  # one optimisation per image
    },
    "paper": {
        "dataset": "BSD100",  # the report's test set
        "images": 100,  # the whole set
        "crop": None,  # the whole image, cropped to a multiple of 32 (the DIP code)
        "seeds": [0, 1],  # two optimisations per image, for the seed spread
    },
}
#: DIP at the published setting: the whole Set5 images at x4 (each cut to its
#: largest centred multiple of 32, as the DIP code does), one optimisation each.
DIP_SET5: dict[str, Any] = {
    "dataset": "Set5",
    "images": None,
    "crop": None,
    "seeds": [0],
}
TRACE_EVERY = 25  # steps between two points of a DIP record's PSNR trace
#: Rule of the chapter's prose: weightings whose mean PSNRs span at most this many dB
#: are "within" the margin (a hundredth-of-a-dB level is below the 8-bit noise of a
#: 10-image mean), otherwise "beyond".
MARGIN_DB = 0.05
#: Rule for a paired difference between two methods on the same images: it counts
#: ("above"/"below") beyond this many standard errors of the per-image differences.
N_SE = 2.0


def crop_pair(
    dataset: str, image: str, crop: int | None, data_root: Any = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(lr, hr)`` of one DIP test image: HR centre-cropped, LR its MATLAB bicubic.

    ``crop=None`` keeps the largest centred multiple of 32 (DIP's network halves the
    size five times). The LR is made from the crop, so every method sees the same
    ``(lr, hr)``.
    """
    return protocol.crop_pair(dataset, image, SCALE, crop, data_root, multiple=32)


def _test_images(spec: dict[str, Any], data_root: Any) -> Callable[[], list[str]]:
    """The test images of an eval ``spec`` (:data:`DIP_EVAL`), listed (and verified)
    at the first call only: a run's ``items`` and ``compute`` share one listing."""
    sets = [(spec["dataset"], spec["images"])]
    return cache(lambda: protocol.test_items(sets, SCALE, data_root))


N_SAVED = 3  # outputs saved as PNG per record (first images), for the figures


def dip_run(
    loss: str,
    ctx: RunContext,
    *,
    seed: int = 0,
    eval_spec: dict[str, Any] | None = None,
    **overrides: Any,
) -> RunRecord:
    """DIP with ``loss`` ("mse" or "charbonnier") on :data:`DIP_EVAL` ``[profile]``
    (or on ``eval_spec``, e.g. :data:`DIP_SET5`).

    One item per ``image@seed``; each row holds the final PSNR/SSIM (Y, shave 4),
    bicubic on the same crop, the PSNR trace every :data:`TRACE_EVERY` steps (from
    the HR, for the figure only: the run always stops at ``config.steps``) and the
    timings. Both losses use the same images, seeds (network init, input noise and
    perturbations all follow the seed) and step count; ``seed`` is added to each
    image's seed of :data:`DIP_EVAL`.
    """
    profile, data_root = ctx.profile, ctx.data_root
    results = results_root(ctx.results, profile)
    cfg = resolve_profile(
        dip.DIPConfig(), dip.PROFILES, profile, loss=loss, seed=seed, **overrides
    )
    spec = eval_spec or DIP_EVAL[profile]
    config = {
        "method": "dip",
        "model": config_dict(cfg),
        "scale": SCALE,
        "profile": profile,
        "eval": spec,
        "degradation": "bicubic",
        "scoring": protocol.SCORING,
    }
    dev = resolve_device(ctx.device)
    names = _test_images(spec, data_root)

    def items() -> list[str]:
        return [f"{i}@{s}" for i in names() for s in spec["seeds"]]

    def compute(item: str) -> dict[str, Any]:
        name, seed = item.rsplit("@", 1)
        ds, image = name.split("/", 1)
        lr_img, hr = crop_pair(ds, image, spec["crop"], data_root)
        # A paper item can outlast a session: it resumes from its checkpoint, on
        # the same machine and precision only, and records the commits it ran at.
        where = provenance(dev)
        res = dip.optimize(
            lr_img,
            SCALE,
            replace(cfg, seed=cfg.seed + int(seed)),
            hr=hr,
            trace_every=TRACE_EVERY,
            device=dev,
            progress=ctx.progress,
            checkpoint=checkpoint_file(run_key("dip", config), item),
            checkpoint_match={k: where[k] for k in ("hardware", "device", "dirty")},
            checkpoint_note={k: where[k] for k in ("commit", "date")},
        )
        if int(seed) == spec["seeds"][0] and name in names()[:N_SAVED]:
            save_png(res.sr, crop_file("dip", run_key("dip", config), name, results))
        return {
            **protocol.score_row(res.sr, hr, lr_img, SCALE),
            "dataset": ds,
            "seed": int(seed),
            "trace_steps": res.trace_steps,
            "trace_psnr": res.trace_psnr[0],
            "final_loss": res.loss[-1],
            "loss_trace": res.image_loss[0][TRACE_EVERY - 1 :: TRACE_EVERY],
            "health": health(
                tail_mean(res.image_loss[0]), res.interp_loss[0], res.image_loss[0][0]
            ),
            "seconds": res.seconds,
            "seconds_per_step": res.seconds_per_step,
            **({"segments": res.segments} if res.segments else {}),
        }

    return record_for("dip", config, items, compute, ctx, device=dev)


def checkpoint_file(key: str, item: str) -> Path:
    """Where DIP item ``item`` of record ``key`` keeps its checkpoint while it runs:
    the cache folder (:func:`srcore.runs.supervised.cache_dir`), never the results.

    Example:
        >>> checkpoint_file("dip-0123", "Set5/baby@0").name
        'dip-0123-Set5_baby@0.pt'
    """
    return supervised.cache_dir() / "checkpoints" / f"{key}-{item.replace('/', '_')}.pt"


def lapsrn_runs(ctx: RunContext, *, seed: int = 0) -> list[RunRecord]:
    """LapSRN x4, one run per weighting in :data:`WEIGHTINGS`, on the benchmark sets."""
    return [
        supervised.run("lapsrn", SCALE, ctx, seed=seed, level_weights=w)
        for w in WEIGHTINGS
    ]


def lapsrn_on_crops(run: RunRecord, ctx: RunContext) -> RunRecord:
    """A trained LapSRN (from :func:`lapsrn_runs`) scored on DIP's crops.

    Needs the run's weights in the cache; the record it writes is what the book reads.
    """
    profile, data_root = ctx.profile, ctx.data_root
    results = results_root(ctx.results, profile)
    spec = DIP_EVAL[profile]
    config = {
        "method": "lapsrn-crops",
        "lapsrn": run.key,
        "eval": spec,
        "profile": profile,
        "scoring": protocol.SCORING,
    }
    dev = resolve_device(ctx.device)
    state: dict[str, Any] = {}
    names = _test_images(spec, data_root)

    def compute(item: str) -> dict[str, Any]:
        if "net" not in state:
            state["net"] = supervised.load_weights(run, "lapsrn").to(dev)
        ds, image = item.split("/", 1)
        lr_img, hr = crop_pair(ds, image, spec["crop"], data_root)
        with torch.no_grad():
            sr = super_resolve(state["net"], SPECS["lapsrn"], lr_img, SCALE).cpu()
        if item in names()[:N_SAVED]:
            save_png(
                sr,
                crop_file(
                    "lapsrn-crops", run_key("lapsrn-crops", config), item, results
                ),
            )
        return {**protocol.score_row(sr, hr, lr_img, SCALE), "dataset": ds}

    return record_for("lapsrn-crops", config, names, compute, ctx, device=dev)


def crops_table(
    dip_records: Sequence[RunRecord],
    lapsrn_crop_records: Sequence[RunRecord],
    lapsrn_records: Sequence[RunRecord],
) -> pd.DataFrame:
    """Our table on DIP's images: bicubic, LapSRN per weighting, DIP per loss.

    ``lapsrn_crop_records[i]`` belongs to ``lapsrn_records[i]``. ``gain_db`` is the
    mean per-image gain over bicubic on the same crops.
    """
    base = dip_records[0].per_image
    bic = pd.DataFrame(base)
    rows = [
        {
            "method": "Bicubic",
            "n": bic.image.str.split("@").str[0].nunique(),
            "psnr": bic.psnr_bicubic.mean(),
            "ssim": bic.ssim_bicubic.mean(),
            "gain_db": 0.0,
        }
    ]
    named = [
        *zip(map(tables.label, lapsrn_records), lapsrn_crop_records, strict=True),
        *((tables.label(rec), rec) for rec in dip_records),
    ]
    for method, rec in named:
        m = tables.mean_scores(rec.per_image)
        rows.append(
            {
                "method": method,
                "n": m["n_images"],
                "psnr": m["psnr"],
                "ssim": m["ssim"],
                "gain_db": m["gain_db"],
            }
        )
    return pd.DataFrame(rows)


def full_table(lapsrn_records: Sequence[RunRecord]) -> pd.DataFrame:
    """LapSRN per weighting on whole benchmark images (Set5, BSD100, ...) x4, the
    unweighted one beside the LapSRN paper's value (``published``)."""
    parts = []
    for rec in lapsrn_records:
        part = supervised_tables.summary([rec])
        part["method"] = tables.label(rec)
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    cols = ["method", "dataset", "n_images", "psnr", "published", "psnr_bicubic"]
    return table[[*cols, "gain_db"]]


def weighting_views(
    lapsrn_records: Sequence[RunRecord],
    *,
    sets: int = 2,
    data_root: Any = None,
    results: Any = None,
) -> dict[str, dict[str, torch.Tensor]]:
    """The weightings side by side: per evaluated set (up to ``sets``, Set5 last: its
    first image, ``baby``, is mostly flat skin), bicubic, each weighting's saved crop
    of the set's first image, and HR (:func:`tables.crop_views`)."""
    evals = [ds for ds, _ in lapsrn_records[0].config["eval_sets"]]
    out = {}
    for ds in sorted(evals, key=lambda d: d == "Set5")[:sets]:
        item = f"{ds}/{data.image_paths(ds, 'HR', root=data_root)[0].stem}"
        out[item] = tables.crop_views(
            lapsrn_records, item, data_root=data_root, results=results
        )
    return out


def report_table() -> pd.DataFrame:
    """Report 003's Table 1 (10 BSD100 images, x4), with gains over its bicubic."""
    frame = pd.DataFrame(REPORT_003["table"], columns=["method", "psnr", "ssim"])
    frame["gain_db"] = frame.psnr - frame.psnr.iloc[0]
    return frame


def dip_curves(records: Sequence[RunRecord]) -> pd.DataFrame:
    """Long table of DIP traces over seeds: per loss and traced step, each seed's
    PSNR averaged over the images, then the mean, standard deviation (NaN with one
    seed), min and max of those per-seed means; the mean bicubic PSNR of the same
    crops, and how many ``images`` and ``seeds`` are behind each point."""
    rows = []
    for rec in records:
        loss = rec.config["model"]["loss"]
        steps = rec.per_image[0]["trace_steps"]
        seeds = sorted({r.get("seed", 0) for r in rec.per_image})
        per_seed = np.array(
            [
                np.mean(
                    [r["trace_psnr"] for r in rec.per_image if r.get("seed", 0) == s],
                    axis=0,
                )
                for s in seeds
            ]
        )  # (seeds, T)
        bic = float(np.mean([r["psnr_bicubic"] for r in rec.per_image]))
        n_images = len(rec.per_image) // len(seeds)
        for k, step in enumerate(steps):
            col = per_seed[:, k]
            rows.append(
                {
                    "loss": loss,
                    "step": step,
                    "mean": col.mean(),
                    "std": col.std(ddof=1) if len(col) > 1 else float("nan"),
                    "min": col.min(),
                    "max": col.max(),
                    "bicubic": bic,
                    "runs": len(rec.per_image),
                    "images": n_images,
                    "seeds": len(seeds),
                }
            )
    return pd.DataFrame(rows)


def final_gains(records: Sequence[RunRecord]) -> pd.DataFrame:
    """Per loss: mean final PSNR, bicubic, the gain, how many runs beat bicubic, and
    the first traced step at which the mean curve passes bicubic."""
    curves = dip_curves(records)
    rows = []
    for rec in records:
        loss = rec.config["model"]["loss"]
        frame = pd.DataFrame(rec.per_image)
        c = curves[curves.loss == loss]
        above = c[c["mean"] > c["bicubic"]]
        rows.append(
            {
                "loss": loss,
                "runs": len(frame),
                "psnr": frame.psnr.mean(),
                "psnr_bicubic": frame.psnr_bicubic.mean(),
                "gain_db": (frame.psnr - frame.psnr_bicubic).mean(),
                "runs_above_bicubic": int((frame.psnr > frame.psnr_bicubic).sum()),
                "first_step_above_bicubic": int(above.step.min())
                if len(above)
                else None,
                "s_per_step": frame.seconds_per_step.mean(),
                "trained": tables.trained(rec),
            }
        )
    return pd.DataFrame(rows)


def dip_seed_table(runs: dict[int, Sequence[RunRecord]]) -> pd.DataFrame:
    """DIP over seeds: one row per (loss, seed) with how many crops are done, the
    mean PSNR, its gain over bicubic and the precision and machine of its items,
    then per loss the mean and sd of the gain over the seeds whose run is complete
    (a seed still being computed is shown, not averaged).

    ``runs`` maps a seed to its records (one per loss, :func:`dip_run`)."""
    rows = []
    for seed, records in runs.items():
        for rec in records:
            f = pd.DataFrame(rec.per_image)
            gain = float((f.psnr - f.psnr_bicubic).mean()) if rec.done else np.nan
            rows.append(
                {
                    "loss": rec.config["model"]["loss"],
                    "seed": str(seed),
                    "done": f"{rec.done} of {rec.total}",
                    "psnr": float(f.psnr.mean()) if rec.done else np.nan,
                    "gain_db": gain,
                    "trained": tables.trained(rec) if rec.done else "",
                    "machine": machines([rec]),
                    "_complete": rec.complete,
                }
            )
    table = pd.DataFrame(rows)
    spread = []
    for loss, part in table.groupby("loss", sort=False):
        full = part[part._complete]
        spread.append(
            {
                "loss": loss,
                "seed": f"mean ± sd over {len(full)} complete seeds",
                "done": "",
                "psnr": full.psnr.mean(),
                "gain_db": full.gain_db.mean(),
                "gain_sd": full.gain_db.std(ddof=1) if len(full) > 1 else np.nan,
                "trained": "",
                "machine": "",
                "_complete": True,
            }
        )
    out = pd.concat([table, pd.DataFrame(spread)], ignore_index=True)
    return out.drop(columns="_complete")


def dip_seed_findings(runs: dict[int, Sequence[RunRecord]]) -> dict[str, Any]:
    """Glue keys of DIP over seeds (``runs`` as in :func:`dip_seed_table`), over
    the seeds complete for both losses: ``dip_n_seeds``, and the mean and sd over
    those seeds of each seed's Charbonnier minus MSE PSNR
    (``dip_seeds_charb_minus_mse``, ``_sd``) and of MSE's gain over bicubic
    (``dip_seeds_mse_gain``, ``_sd``); sd NaN with one seed.

    Example:
        >>> dip_seed_findings({})["dip_n_seeds"]
        0
    """
    diffs, gains = [], []
    for records in runs.values():
        by = {r.config["model"]["loss"]: r for r in records}
        if not all(r.complete for r in by.values()) or set(by) != {
            "mse",
            "charbonnier",
        }:
            continue
        m, c = (pd.DataFrame(by[k].per_image) for k in ("mse", "charbonnier"))
        diffs.append(float(c.psnr.mean() - m.psnr.mean()))
        gains.append(float((m.psnr - m.psnr_bicubic).mean()))
    n = len(diffs)

    def sd(x: list[float]) -> float:
        return float(np.std(x, ddof=1)) if n > 1 else float("nan")

    return {
        "dip_n_seeds": n,
        "dip_seeds_charb_minus_mse": float(np.mean(diffs)) if n else float("nan"),
        "dip_seeds_charb_minus_mse_sd": sd(diffs),
        "dip_seeds_mse_gain": float(np.mean(gains)) if n else float("nan"),
        "dip_seeds_mse_gain_sd": sd(gains),
    }


def crop_views(
    dip_records: Sequence[RunRecord],
    lapsrn_crops: RunRecord,
    *,
    data_root: Any = None,
    results: Any = None,
) -> dict[str, dict[str, torch.Tensor]]:
    """Per saved test crop (the first :data:`N_SAVED` images): bicubic, LapSRN, DIP
    per loss and HR (:func:`srcore.chapters.tables.crop_views` on DIP's crop pair)."""
    crop = dip_records[0].config["eval"]["crop"]
    names = [r["image"].split("@")[0] for r in dip_records[0].per_image]
    records = [lapsrn_crops, *dip_records]
    out = {}
    for item in list(dict.fromkeys(names))[:N_SAVED]:
        pair = crop_pair(*item.split("/", 1), crop, data_root)
        out[item] = tables.crop_views(
            records, item, pair, data_root=data_root, results=results
        )
    return out


def _per_image_psnr(record: RunRecord) -> pd.Series:
    """PSNR per test image (the mean over seeds where a record has several)."""
    frame = pd.DataFrame(record.per_image)
    return frame.psnr.groupby(frame.image.str.split("@").str[0]).mean()


def _paired(a: RunRecord, b: RunRecord) -> tuple[float, float, str]:
    """Mean per-image PSNR of ``a`` minus ``b`` on their shared images, its standard
    error, and its word by the :data:`N_SE` rule (:func:`tables.versus`)."""
    d = (_per_image_psnr(a) - _per_image_psnr(b)).dropna()
    se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else float("inf")
    return float(d.mean()), se, tables.versus(float(d.mean()), N_SE * se)


def _wobble(record: RunRecord) -> float:
    """Mean absolute PSNR change between successive trace points over the second half
    of each run, averaged over runs: how much a DIP curve still jitters."""
    traces = np.array([r["trace_psnr"] for r in record.per_image])  # (runs, T)
    tail = traces[:, traces.shape[1] // 2 :]
    return float(np.abs(np.diff(tail, axis=1)).mean())


def findings(
    dip_records: Sequence[RunRecord],
    lapsrn_crop_records: Sequence[RunRecord],
    lapsrn_records: Sequence[RunRecord],
) -> dict[str, Any]:
    """The chapter's measured numbers and checked labels (the notebook's glue keys).

    LapSRN on whole images, per test set ``<set>`` (lower case):
    ``lapsrn_<set>_lo``/``_hi`` (lowest/highest mean PSNR of the three weightings),
    ``_spread`` (hi - lo), ``_bicubic``, ``_min_gain`` (the smallest gain over
    bicubic); ``lapsrn_max_spread`` over the sets and ``lapsrn_weighting``:
    ``"within"`` if it is at most ``margin_db`` (:data:`MARGIN_DB`), else
    ``"beyond"``, with ``weighting_agrees`` (``"as the report found"`` /
    ``"unlike the report's conclusion"``); the report's own ``report_lapsrn_spread``;
    on DIP's crops ``crops_lapsrn_spread`` and ``crops_weighting``.

    DIP per loss ``<loss>`` (``mse``, ``charbonnier``): ``dip_<loss>_psnr``,
    ``_bicubic``, ``_gain``, ``_above`` of ``_runs`` (runs above bicubic),
    ``_first_step`` (first traced step where the mean curve passes bicubic),
    ``_wobble`` (:func:`_wobble`) and ``_s_per_step``; ``dip_s_per_step`` (both
    losses), ``dip_steps``, ``trace_every``, ``dip_seeds`` and ``dip_images``
    (distinct seeds and images behind DIP's means). Charbonnier against MSE on the same
    images and seeds: ``charb_minus_mse`` and ``_se``, ``charb_vs_mse`` (by the
    :data:`N_SE` rule, ``n_se``), the report's ``report_charb_minus_mse``,
    ``first_step_order`` (``"earlier than"``, ``"at the same step as"``,
    ``"later than"``) and ``wobble_order`` (``"smaller than"``/``"not smaller
    than"``). On DIP's crops: ``best_method``, ``best_psnr``, the report's
    ``report_best``, and DIP with Charbonnier against the best LapSRN:
    ``charb_minus_lapsrn``, ``_se``, ``charb_vs_lapsrn``.
    """
    out: dict[str, Any] = {"margin_db": MARGIN_DB, "n_se": N_SE}
    full = full_table(lapsrn_records)
    for ds, rows in full.groupby("dataset", sort=False):
        key = f"lapsrn_{str(ds).lower()}"
        out[f"{key}_lo"] = float(rows.psnr.min())
        out[f"{key}_hi"] = float(rows.psnr.max())
        out[f"{key}_spread"] = out[f"{key}_hi"] - out[f"{key}_lo"]
        out[f"{key}_bicubic"] = float(rows.psnr_bicubic.iloc[0])
        out[f"{key}_min_gain"] = float(rows.gain_db.min())
    spread = float(full.groupby("dataset").psnr.agg(lambda p: p.max() - p.min()).max())
    out["lapsrn_max_spread"] = spread
    out["lapsrn_weighting"] = "within" if spread <= MARGIN_DB else "beyond"
    out["weighting_agrees"] = (
        "as the report found"
        if spread <= MARGIN_DB
        else "unlike the report's conclusion"
    )
    report = report_table().set_index("method").psnr
    lapsrn_rows = report[report.index.str.startswith("LapSRN")]
    out["report_lapsrn_spread"] = float(lapsrn_rows.max() - lapsrn_rows.min())

    ours = crops_table(dip_records, lapsrn_crop_records, lapsrn_records)
    lap = ours[ours.method.str.startswith("LapSRN")]
    out["crops_lapsrn_spread"] = float(lap.psnr.max() - lap.psnr.min())
    out["crops_weighting"] = (
        "within" if out["crops_lapsrn_spread"] <= MARGIN_DB else "beyond"
    )
    best = ours.loc[ours.psnr.idxmax()]
    out["best_method"] = str(best.method)
    out["best_psnr"] = float(best.psnr)
    out["report_best"] = str(report.idxmax())

    gains = final_gains(dip_records).set_index("loss")
    for loss, r in gains.iterrows():
        key = f"dip_{loss}"
        out[f"{key}_psnr"] = float(r.psnr)
        out[f"{key}_bicubic"] = float(r.psnr_bicubic)
        out[f"{key}_gain"] = float(r.gain_db)
        out[f"{key}_above"] = int(r.runs_above_bicubic)
        out[f"{key}_runs"] = int(r.runs)
        step = r.first_step_above_bicubic
        out[f"{key}_first_step"] = None if pd.isna(step) else int(step)
        out[f"{key}_s_per_step"] = float(r.s_per_step)
    out["dip_s_per_step"] = float(
        np.mean(
            [row["seconds_per_step"] for rec in dip_records for row in rec.per_image]
        )
    )
    out["dip_steps"] = int(dip_records[0].config["model"]["steps"])
    rows = [row for rec in dip_records for row in rec.per_image]
    out["dip_seeds"] = len({row.get("seed", 0) for row in rows})
    out["dip_images"] = len({str(row["image"]).split("@")[0] for row in rows})
    out["trace_every"] = TRACE_EVERY
    by_loss = {rec.config["model"]["loss"]: rec for rec in dip_records}
    for rec in by_loss.values():
        out[f"dip_{rec.config['model']['loss']}_wobble"] = _wobble(rec)
    if {"mse", "charbonnier"} <= set(by_loss):
        charb, mse = by_loss["charbonnier"], by_loss["mse"]
        diff, se, word = _paired(charb, mse)
        out |= {"charb_minus_mse": diff, "charb_minus_mse_se": se}
        out["charb_vs_mse"] = word
        out["report_charb_minus_mse"] = float(
            report["DIP with Charbonnier"] - report["DIP with MSE"]
        )
        steps = [out["dip_charbonnier_first_step"], out["dip_mse_first_step"]]
        never = 10**9  # a mean curve that never passes bicubic
        c_step, m_step = (never if s is None else s for s in steps)
        out["first_step_order"] = (
            "earlier than"
            if c_step < m_step
            else "at the same step as"
            if c_step == m_step
            else "later than"
        )
        smaller = out["dip_charbonnier_wobble"] < out["dip_mse_wobble"]
        out["wobble_order"] = "smaller than" if smaller else "not smaller than"
        best_lap = max(lapsrn_crop_records, key=lambda r: _per_image_psnr(r).mean())
        diff, se, word = _paired(charb, best_lap)
        out |= {"charb_minus_lapsrn": diff, "charb_minus_lapsrn_se": se}
        out["charb_vs_lapsrn"] = word
    return out
