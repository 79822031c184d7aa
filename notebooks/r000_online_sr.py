# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Report 000: online super-resolution with deep internal learning
#
# **What the report did.** Starting from ZSSR, it proposed **ZSSR\***: a
# difference-of-Gaussians (DoG) pyramid loss (6 levels, σ = 3, weight W = 10),
# dropout after the first two layers, mini-batches of 8 and a tanh on the residual;
# and **Online SR (OSR)**: a stream of images where each image's network starts from
# the previous image's weights, optionally after "pre-training" by OSR over T91 (ext).
# All at ×2 with bicubic LR. Its two tables come first below, after the set-up
# cells. It noted that OSR "converges in 100-200 iterations" on each new image.
#
# **What we do.** The same methods from `srcore.methods.zssr` (ZSSR, its variants) and
# `srcore.methods.osr` (the stream modes), scored with the first chapter's protocol
# (Y, 8-bit, shave 2). The convergence claim is measured directly: every image's PSNR
# is traced against iterations, from scratch and with weight transfer, on the same
# images with the same seeds.

# %% [markdown]
# **Deviations, and why.** `quick` runs on two CPU cores, where one ZSSR image costs
# minutes: Table 1 on the first `table1_images` T91 images, the stream on the first
# `stream_images` images of `stream_set`, with ZSSR's `quick` schedule (at most 500
# iterations; `paper`: the reference's up to 3000, and `stream_images=30`). Every run
# keeps ZSSR's adaptive learning-rate rule; the report's fixed OSR schedule (750 updates
# of 8 pairs, the rate divided by 10 after 250 and 500) is not implemented. ZSSR\* costs
# several times ZSSR per iteration (the report's GPU and our CPU are compared below), so
# `quick` runs it for Table 1 only; the stream (from scratch, with weight transfer, and
# from T91-pretrained weights) trains with plain ZSSR (L1, batch 1) in every mode, where
# the report used ZSSR\* (`stream_variant="zssr_star"` runs the report's version). The
# external weights are OSR over the first 8 T91 images, 100 iterations each (`paper`:
# the report's 30 images, a full budget each). The perceptual ("+") variants need the
# ImageNet VGG19 weights: not run in this build.
# **General-100 is not available to this build** (no complete copy could be obtained;
# the registry downloads it for a
# user who can reach its host): the stream here is the first BSD100 images by sorted
# name, natural photographs of the same kind, and `stream_set="General-100"` runs the
# report's own stream.

# %% tags=["remove-cell"]
# On Colab only: install srcore from the book's repository at the book's commit (the
# launch button opens this notebook there), keeping Colab's torch and torchvision.
# SRCORE_REPOSITORY="URL@COMMIT" names another source. Elsewhere this does nothing.
import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import urllib.parse
import urllib.request
from importlib.metadata import version

if "google.colab" in sys.modules and importlib.util.find_spec("srcore") is None:
    source = os.environ.get("SRCORE_REPOSITORY", "")
    if not source:  # the GitHub notebook this session opened, from Colab's server
        host = socket.gethostbyname(socket.gethostname())
        sessions = f"http://{host}:9000/api/sessions"
        with urllib.request.urlopen(sessions, timeout=10) as answer:
            paths = [urllib.parse.unquote(s["path"]) for s in json.load(answer)]
        github = re.compile(r"github\.com/([^/]+/[^/]+)/blob/([^/]+)/")
        found = [match for match in map(github.search, paths) if match]
        if not found:
            raise RuntimeError(
                "open this notebook from the book's launch button, or run "
                "%env SRCORE_REPOSITORY=https://github.com/OWNER/REPO@COMMIT first"
            )
        source = f"https://github.com/{found[0][1]}@{found[0][2]}"
    url, commit = source.rsplit("@", 1)
    checkout = os.path.abspath("srbook")
    subprocess.run(["git", "clone", "-q", url, checkout], check=True)
    subprocess.run(["git", "-C", checkout, "checkout", "-q", commit], check=True)
    # Colab's own builds, pinned: srcore asks for a torch range that they satisfy.
    keep = [
        f"{name}=={version(name)}"
        for name in ("torch", "torchvision")
        if importlib.util.find_spec(name)
    ]
    pip = [sys.executable, "-m", "pip", "install", "-q", "-e", checkout, *keep]
    subprocess.run(pip, check=True)
    sys.path.insert(0, checkout)  # the running kernel does not see the new install

# %% tags=["parameters"]
profile = "quick"
table1_images = 1
table1_variants = ["zssr_mse", "zssr_dog", "zssr_star"]
stream_images = 4
stream_set = "BSD100"  # General-100 where it can be downloaded (see below)
stream_variant = "zssr"  # "zssr_star": the report's ZSSR* training along the stream
external = "T91"  # pretraining set of the ext modes; None skips them
seed = 0
stream_seeds = [0, 1, 2]  # the stream from scratch and with transfer, per seed
data_root = None
results = None

# %%
from functools import partial

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from srcore import plots
from srcore.chapters import (
    claim_files,
    progress,
    published,
    tables,
    verdicts,
    zssr_tables,
)
from srcore.chapters.verdicts import VGG, Claim
from srcore.prose import Prose
from srcore.protocol import CROP_BOX
from srcore.runs import zssr_experiments, zssr_runs
from srcore.runs.context import RunContext
from srcore.vgg import vgg_weights_available

ctx = RunContext(profile=profile, data_root=data_root, results=results)
prose = Prose()
prose["crop_box"] = CROP_BOX
prose["crop_detail"] = 32

# %% [markdown]
# The report's Table 1 (on T91), and its Table 2, on the first 30 General-100 images
# (T91 as external data; "+": the perceptual variants), where ZSSR/online\* is the
# best row:

# %% tags=["remove-input"]
columns = ["method", "PSNR (dB)", "SSIM"]
for name in ("table1", "table2"):
    rows = [(m, p, q) for m, (p, q) in published.REPORT_000[name].items()]
    display(plots.style_table(pd.DataFrame(rows, columns=columns)))

# %% [markdown]
# Each of our runs is set beside the report's row of the same method. Our quick
# stream trains with plain ZSSR (L1, batch 1) where the report's stream rows used
# ZSSR\* (DoG, batch 8): the pairing is by what starts each image's network, not by
# the loss. The report's images differ from ours: compare the differences between
# rows, not the levels.

# %%
REPORT = published.REPORT_000
REPORT_ROW = {
    "ZSSR from scratch": "ZSSR",
    "OSR (weight transfer)": "ZSSR/online*",
    "ZSSR/ext": "ZSSR/ext*",
    "ZSSR/ext/ftune": "ZSSR/ext/ftune*",
    "ZSSR/ext/online": "ZSSR/ext/online*",
    "ZSSR* from scratch": "ZSSR*",
    "OSR* (weight transfer)": "ZSSR/online*",
    "ZSSR/ext*": "ZSSR/ext*",
    "ZSSR/ext/ftune*": "ZSSR/ext/ftune*",
    "ZSSR/ext/online*": "ZSSR/ext/online*",
}


def beside_report(records, table):
    """Our mean PSNR/SSIM and gain per record beside the report's row (REPORT_ROW)."""
    ours = zssr_tables.summary(records)
    report = REPORT[table]
    ours["report_method"] = [REPORT_ROW.get(m, m) for m in ours.method]
    ours["report_psnr"] = [report.get(m, (None, None))[0] for m in ours.report_method]
    ours["report_ssim"] = [report.get(m, (None, None))[1] for m in ours.report_method]
    columns = ["method", "dataset", "n_images", "psnr", "gain_db", "ssim"]
    columns += ["report_method", "report_psnr", "report_ssim", "iterations", "trained"]
    return ours[columns]


# %% [markdown]
# ## Table 1: MSE vs DoG loss, and ZSSR\*

# %%
table1 = [
    zssr_runs.zssr_run("T91", 2, ctx, variant=v, limit=table1_images, seed=seed)
    for v in table1_variants
]
display(plots.style_table(beside_report(table1, "table1")))
display(Markdown(plots.provenance_caption(table1)))

# %% [markdown]
# ## Online SR: weight transfer along a stream

# %%
stream = {
    transfer: zssr_runs.osr_run(
        stream_set,
        2,
        ctx,
        transfer=transfer,
        limit=stream_images,
        variant=stream_variant,
        seed=seed,
    )
    for transfer in (False, True)
}
ext = zssr_experiments.external_runs(
    stream_set, stream_images, external, ctx=ctx, seed=seed, variant=stream_variant
)
table2 = [*stream.values(), *ext]
display(plots.style_table(beside_report(table2, "table2")))
display(Markdown(plots.provenance_caption(table2)))

# %% [markdown]
# The same two streams once per seed: weight transfer against training from scratch,
# with the spread over the seeds whose two streams are finished. A difference within
# one standard deviation is no difference.

# %%
# partial=True: in the book build, a run still being computed shows how far it got
seed_pairs = zssr_experiments.stream_seed_runs(
    stream_set,
    stream_images,
    stream_seeds,
    ctx=ctx.replace(partial=True),
    variant=stream_variant,
)
spread_rows = []
for scratch, online in seed_pairs:
    if not (scratch.done or online.done):
        continue  # a seed not started has no row: it is named below
    done = scratch.complete and online.complete
    a = pd.DataFrame(scratch.per_image).psnr.mean() if done else float("nan")
    b = pd.DataFrame(online.per_image).psnr.mean() if done else float("nan")
    spread_rows.append(
        {
            "seed": str(scratch.config["model"]["seed"]),
            "done": ", ".join(map(zssr_tables.done_of, (scratch, online))),
            "scratch_psnr": float(a),
            "transfer_psnr": float(b),
            "transfer_minus_scratch_db": float(b - a),
            "trained": zssr_tables.trained_count(
                [*scratch.per_image, *online.per_image]
            ),
        }
    )
spread = pd.DataFrame(spread_rows)
columns = ["scratch_psnr", "transfer_psnr", "transfer_minus_scratch_db"]
spread = spread.astype({c: float for c in columns})
items = [r for pair in seed_pairs for record in pair for r in record.per_image]
mean_row = {c: float(spread[c].mean()) for c in columns}
sd_row = {
    c: float(spread[c].std(ddof=1)) if len(spread) > 1 else float("nan")
    for c in columns
}
spread = pd.concat(
    [
        spread,
        pd.DataFrame(
            [
                {
                    "seed": "mean",
                    **mean_row,
                    "trained": zssr_tables.trained_count(items),
                },
                {"seed": "sd over seeds", **sd_row, "trained": ""},
            ]
        ),
    ],
    ignore_index=True,
)
display(plots.style_table(spread))
waiting = [
    str(a.config["model"]["seed"]) for a, b in seed_pairs if not (a.done or b.done)
]
if waiting:
    display(Markdown(f"Not started yet: seed {', '.join(waiting)}."))

# %% [markdown]
# ## At the paper's budget
#
# The online-SR stream as report 000 ran it, ZSSR\* along 10 BSD100 images, from
# scratch and with weight transfer, with the ``paper`` profile: each image up to 3000
# iterations, batch 8, DoG loss. These runs take several minutes per image on this
# project's 2-core CPU; they are computed by `scripts/paper_runs.py` (under the names
# below), image by image, and committed as they land. A cell appears once its first
# image is done; until it is finished its row says how many of its images are done,
# and its means are over those alone.

# %%
PAPER_STREAMS = {"osr-star-scratch": False, "osr-star-transfer": True}  # -> transfer
ROWS = {False: "ZSSR*", True: "ZSSR/online*"}  # report 000's Table 2 rows
paper_records, published_cells = {}, {}
for name, transfer in PAPER_STREAMS.items():
    run = partial(
        zssr_runs.osr_run, "BSD100", 2, transfer=transfer, limit=10, variant="zssr_star"
    )
    paper_records[name] = progress.so_far(run, ctx, ("BSD100", 10), 2)
    row = ROWS[transfer]
    source = f"report 000, Table 2 ({row}, General-100)"
    published_cells[name] = (REPORT["table2"][row][0], source)
paper = progress.table(paper_records, published_cells)
begun, pending = progress.started(paper)
if len(begun):
    display(plots.style_table(begun))
display(Markdown(pending))
paper_done, paper_total = progress.done_total(paper)
prose["r000_paper_done"] = paper_done
prose["r000_paper_total"] = paper_total

# %% tags=["remove-input"]
prose.say(
    """
Done so far at the paper budget: {r000_paper_done} of
{r000_paper_total} images.
"""
)

# %% [markdown]
# Every stream run uses the same training (by default plain ZSSR, L1, batch 1) and
# the same seeds, so the rows differ only in how each image's network starts; the
# report's stream rows trained with ZSSR\* (its column "report's row" says which row
# each of ours is set beside). The report's rows not computed here, and why:

# %%
covered = {REPORT_ROW.get(m, m) for m in map(tables.label, [*table1, *table2])}
vgg = "not run: needs VGG weights" if not vgg_weights_available() else "not run"
missing = []
for table in ("table1", "table2"):
    for method in REPORT[table]:
        if method in covered:
            continue
        if method.endswith("+"):
            why = vgg + " (perceptual loss)"
        elif method == "ZSSR*" and table == "table1":
            why = "not run: add 'zssr_star' to table1_variants"
        else:
            why = (
                "not run: ZSSR* training along the stream "
                "(stream_variant='zssr_star'; 3-4x ZSSR's cost per iteration)"
            )
        missing.append((table.replace("table", "Table "), method, why))
missing = pd.DataFrame(missing, columns=["table", "report's method", "status"])
display(plots.style_table(missing))

# %% [markdown]
# PSNR of the plain network output against iterations for each image of the stream:
# from scratch (every image starts from a random network) and with weight transfer
# (image k starts from image k−1's final network).

# %% tags=["hide-input"]
fig, ax = plt.subplots(figsize=(9, 3.4))
offset = 0
pairs = zip(stream[False].per_image, stream[True].per_image, strict=True)
for k, (a, b) in enumerate(pairs):
    color = plt.cm.tab10.colors[k % 10]
    ax.plot([offset + i for i in a["trace_iters"]], a["trace_psnr"], "--", color=color)
    ax.plot([offset + i for i in b["trace_iters"]], b["trace_psnr"], color=color)
    name = a["image"].split("/")[1]
    ax.text(offset, max(a["trace_psnr"]) + 0.2, name, fontsize=7)
    offset += max(a["trace_iters"][-1], b["trace_iters"][-1]) + 50
ax.plot([], [], "k--", label="from scratch")
ax.plot([], [], "k-", label="weight transfer (OSR)")
fig = plots.finish_psnr_axes(fig, ax, "iterations along the stream")
plt.show()

# %% [markdown]
# Iterations each run needs to reach the PSNR that from-scratch ZSSR ends with (traced
# every 50 iterations; empty: not reached within the budget):

# %%
speed = zssr_tables.iterations_to_match(stream[False], stream[True])
display(plots.style_table(speed, {"psnr": 2}))

# %% [markdown]
# ## Visual crops

# %% tags=["remove-input"]
prose.say(
    """
Crops of the first Table 1 image, and of the last stream image (where weight
transfer has had the most images to learn from), beside bicubic and HR.
Each run keeps its output on the central {crop_box}-pixel square of
the image; the panels show the {crop_detail}-pixel window of that square
with the most HR detail (the largest gradient energy), each titled with its PSNR
on that window.
"""
)

# %% tags=["hide-input"]
for records, item in (
    (table1, table1[0].per_image[0]["image"]),
    (table2, table2[0].per_image[-1]["image"]),
):
    views = tables.crop_views(records, item, data_root=data_root, results=results)
    fig = plots.plot_crops(views, title=item)
    plt.show()

# %% [markdown]
# ## What we measured
#
# The numbers below are computed from the runs above.

# %%
t1 = zssr_tables.summary(table1).set_index("method")
prose["t1_n_images"] = int(t1.n_images.iloc[0])
names = {"mse": "ZSSR, MSE", "dog": "ZSSR, DoG", "star": "ZSSR*"}
for key, method in names.items():
    prose[f"report_t1_{key}"] = REPORT["table1"][method][0]
    if method in t1.index:
        prose[f"t1_psnr_{key}"] = float(t1.psnr[method])
if set(names.values()) <= set(t1.index):
    ordered = list(t1.psnr[list(names.values())])
    prose["t1_order"] = "the same" if ordered == sorted(ordered) else "not the same"
    prose["star_time_ratio"] = float(
        t1.s_per_image["ZSSR*"] / t1.s_per_image["ZSSR, MSE"]
    )
streams = zssr_tables.summary([stream[False], stream[True]])
prose["stream_n_images"] = int(streams.n_images.iloc[0])
prose["stream_psnr_scratch"] = float(streams.psnr.iloc[0])
prose["stream_psnr_transfer"] = float(streams.psnr.iloc[1])
prose["stream_psnr_bicubic"] = float(streams.psnr_bicubic.iloc[0])
prose["transfer_vs_scratch"] = tables.versus(
    prose["stream_psnr_transfer"] - prose["stream_psnr_scratch"], verdicts.MARGIN_DB
)
later = speed[speed.position > 0]
never = 10**9  # a run that never reaches the target within its budget
faster = later.iters_online.fillna(never) < later.iters_scratch.fillna(never)
prose["transfer_faster"] = int(faster.sum())
prose["later_images"] = len(later)
prose["start_psnr_online"] = float(later.psnr_start_online.mean())
prose["start_psnr_scratch"] = float(later.psnr_start_scratch.mean())
for record in ext:
    mode = next(
        m
        for m, (t, a) in zssr_experiments.EXTERNAL_MODES.items()
        if (t, a) == (record.config["transfer"], record.config["adapt"])
    )
    key = mode.split("/")[-1]  # ext, ftune, online
    psnr = float(zssr_tables.summary([record]).psnr.iloc[0])
    prose[f"ext_psnr_{key}"] = psnr
    prose[f"ext_gain_{key}"] = psnr - prose["stream_psnr_scratch"]
    prose[f"report_ext_gain_{key}"] = (
        REPORT["table2"][f"ZSSR/{mode}*"][0] - REPORT["table2"]["ZSSR"][0]
    )
stream_records = [*table2, *[r for pair in seed_pairs for r in pair]]
prose["report_star_slowdown"] = published.REPORT_000["star_slowdown"]

# %% tags=["remove-input"]
display(Markdown(tables.health_bullet([*table1, *stream_records])))

# %% tags=["remove-input"]
prose.say(
    r"""
* **Table 1** ({t1_n_images} T91 image(s) scored): ZSSR with MSE
  {t1_psnr_mse:.2f} dB, with DoG {t1_psnr_dog:.2f} dB, ZSSR\*
  {t1_psnr_star:.2f} dB; the report: {report_t1_mse:.2f},
  {report_t1_dog:.2f} and {report_t1_star:.2f} dB. The order
  of the three (MSE below DoG below ZSSR\*) is {t1_order} as the
  report's.
* ZSSR\* took {star_time_ratio:.1f}× the time per image of ZSSR with MSE
  for the same number of iterations. The report measured
  {report_star_slowdown} on a GPU; a batch of 8 costs up to 8 times one
  image on a CPU, which has no idle parallelism to absorb it.
* **Stream** of {stream_n_images} images: from scratch
  {stream_psnr_scratch:.2f} dB, with weight transfer
  {stream_psnr_transfer:.2f} dB (bicubic
  {stream_psnr_bicubic:.2f} dB): within the verdict rule's margin,
  weight transfer ends {transfer_vs_scratch} from-scratch ZSSR; the
  report's ZSSR/online\* ended above its ZSSR.
* After the first image, weight transfer reaches from-scratch ZSSR's final PSNR in
  fewer iterations on {transfer_faster} of {later_images}
  images; its network starts at {start_psnr_online:.2f} dB on average,
  against {start_psnr_scratch:.2f} dB for a fresh one.
* **From T91-pretrained weights**, against from-scratch ZSSR on the same stream:
  ZSSR/ext {ext_psnr_ext:.2f} dB ({ext_gain_ext:+.2f}),
  ZSSR/ext/ftune {ext_psnr_ftune:.2f} dB
  ({ext_gain_ftune:+.2f}), ZSSR/ext/online
  {ext_psnr_online:.2f} dB ({ext_gain_online:+.2f}). The
  report, against its ZSSR: ext\* {report_ext_gain_ext:+.2f}, ext/ftune\*
  {report_ext_gain_ftune:+.2f}, ext/online\*
  {report_ext_gain_online:+.2f} dB.
"""
)

# %% [markdown]
# ## Verdicts
#
# Each claim of report 000, in its own words (short), beside what our runs measure
# and, where one exists, the original paper's number, judged by the rule stated in
# the protocol chapter; the column "how we measured" gives the profile, images and
# seeds behind ours.

# %%
t1_report, t2_report = REPORT["table1"], REPORT["table2"]
one_image = f"quick · {prose['t1_n_images']} T91 image · 1 seed"
table1_evidence = {
    "images": prose["t1_n_images"],
    "internal": True,
    **tables.evidence_flags(table1),
}
stream_evidence = {
    "images": prose["stream_n_images"],
    "report_images": 30,
    "internal": True,
    **tables.evidence_flags(stream_records),
}
finished = [(a, b) for a, b in seed_pairs if a.complete and b.complete]
transfer_gain = prose["stream_psnr_transfer"] - prose["stream_psnr_scratch"]
transfer_sd = None
if finished:
    by_seed = spread.set_index("seed")
    transfer_gain = float(by_seed.loc["mean", "transfer_minus_scratch_db"])
    sd = by_seed.loc["sd over seeds", "transfer_minus_scratch_db"]
    transfer_sd = None if np.isnan(sd) else float(sd)
n_seeds = max(len(finished), 1)
on_stream = f"quick · {prose['stream_n_images']} BSD100 images (stream)"
report_claims = [
    Claim(
        "a DoG loss beats MSE (Table 1)",
        report=t1_report["ZSSR, DoG"][0] - t1_report["ZSSR, MSE"][0],
        ours=prose["t1_psnr_dog"] - prose["t1_psnr_mse"]
        if {"t1_psnr_dog", "t1_psnr_mse"} <= set(prose)
        else None,
        setting=one_image,
        **table1_evidence,
    ),
    Claim(
        "ZSSR* (DoG, dropout, batch 8, tanh) beats ZSSR with DoG (Table 1)",
        report=t1_report["ZSSR*"][0] - t1_report["ZSSR, DoG"][0],
        ours=prose["t1_psnr_star"] - prose["t1_psnr_dog"]
        if {"t1_psnr_star", "t1_psnr_dog"} <= set(prose)
        else None,
        setting=one_image,
        **table1_evidence,
    ),
    Claim(
        "ZSSR* costs 3–4× ZSSR's time per iteration",
        report=3.5,
        ours=prose.get("star_time_ratio"),
        unit="×",
        margin=0.5,
        value=True,
        exact=True,
        setting="T91 · this CPU (the report: a GPU)",
    ),
    Claim(
        "online weight transfer beats ZSSR from scratch (ZSSR/online* − ZSSR*)",
        report=t2_report["ZSSR/online*"][0] - t2_report["ZSSR*"][0],
        ours=transfer_gain,
        spread=transfer_sd,
        seeds=n_seeds,
        setting=f"{on_stream} · {n_seeds} seed" + ("" if n_seeds == 1 else "s"),
        **stream_evidence,
    ),
]
for mode, words in (
    ("ext", "T91 weights alone are below ZSSR* (ZSSR/ext*)"),
    ("ftune", "T91 weights fine-tuned per image beat ZSSR* (ZSSR/ext/ftune*)"),
    ("online", "T91 weights then transfer beat ZSSR* (ZSSR/ext/online*)"),
):
    row = "ZSSR/ext*" if mode == "ext" else f"ZSSR/ext/{mode}*"
    report_claims.append(
        Claim(
            words,
            report=t2_report[row][0] - t2_report["ZSSR*"][0],
            ours=prose.get(f"ext_gain_{mode}"),
            setting=f"{on_stream} · 1 seed · plain ZSSR training",
            **stream_evidence,
        )
    )
report_claims.append(
    Claim(
        "the perceptual (VGG) loss variants ZSSR+ (Table 2)",
        report=t2_report["ZSSR+"][0] - t2_report["ZSSR*"][0],
        why_not=VGG,
    )
)
claim_files.publish("r000", report_claims, ctx)
paper_cells = progress.cell_list(paper_records, published_cells)
claim_files.publish_facts("r000", {"paper_cells": paper_cells}, ctx)
display(plots.style_table(verdicts.verdict_table(report_claims)))
prose["verdict_line"] = verdicts.summary_line(report_claims)
prose.say("In short: {verdict_line}.")
