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
# # Synthesis: all methods under one protocol
#
# Each chapter answered its own report. This one puts every method the book ran side
# by side: the same low-resolution images (MATLAB bicubic, or the random kernels of
# the ZSSR and LapSRN chapters), the same score (Y channel, 8-bit, `shave = scale`,
# as fixed in the protocol chapter), and the published value of each method where a
# paper gives one. It trains nothing: it reads the stored results of every run the
# book made and reshapes them. What it cannot undo is the budget: most networks
# here were trained for minutes on two CPU cores (the `quick` profile), so a gap to a
# published value measures our budget as much as the method.

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
datasets = ["Set5", "Set14", "BSD100"]
scales = [2, 3, 4]
heatmaps = 3
data_root = None
results = None

# %%
import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display
from matplotlib.lines import Line2D

from srcore import plots
from srcore.chapters import all_methods, claim_files, supervised_tables
from srcore.chapters import verdicts as verdict_rules
from srcore.chapters.all_methods import INTERNAL
from srcore.chapters.published import anchor
from srcore.prose import Prose
from srcore.runs.benchmark import evaluate
from srcore.runs.context import RunContext
from srcore.runs.results import results_root

ctx = RunContext(profile=profile, data_root=data_root, results=results)
prose = Prose()

# %% [markdown]
# ## The runs
#
# The bicubic baselines of the protocol chapter are loaded first (a missing one is an
# error that names it); then the stored result of every run is read. Unfinished runs
# and runs made from uncommitted code (their commit does not say what made them) are
# left out, and so are the protocol's own checks, which score no method. `rows` holds
# one row per run and image, `table` one row per method, set, scale and image list
# (the mean over seeds, bicubic on the same images, the published value):
# `srcore.chapters.all_methods`. Where the runs were made:

# %%
baselines = [evaluate("bicubic", ds, s, ctx) for ds in datasets for s in scales]
root = results_root(ctx.results, ctx.profile)
records, skipped = all_methods.walk(root, all_methods.SKIP_DIRTY[profile])
rows = all_methods.image_rows(records)
table = all_methods.summary(rows)


def provenance_table(records):
    """Per profile, hardware and device: how many records, from how many commits,
    made over which dates."""
    made = pd.DataFrame(
        {
            "profile": [r.config.get("profile") for r in records],
            "hardware": [r.provenance.get("hardware", "?") for r in records],
            "device": [str(r.provenance.get("device", "?")) for r in records],
            "commit": [r.provenance.get("commit") for r in records],
            "date": [str(r.provenance.get("date", "?"))[:10] for r in records],
        }
    )
    if made.empty:
        return pd.DataFrame(columns=["profile", "hardware", "device", "records"])
    out = []
    keys = ["profile", "hardware", "device"]
    for key, g in made.groupby(keys, sort=False, dropna=False):
        first, last = g.date.min(), g.date.max()
        out.append(
            {
                **dict(zip(keys, key, strict=True)),
                "records": len(g),
                "commits": int(g.commit.nunique()),
                "made": first if first == last else f"{first} to {last}",
            }
        )
    return pd.DataFrame(out)


display(plots.style_table(provenance_table(records)))
scorings = {json.dumps(r.config.get("scoring"), sort_keys=True) for r in records}
prose.update(
    n_records=len(records),
    n_dirty=skipped["dirty"],
    n_unfinished=skipped["unfinished"],
    n_checks=skipped["checks"],
    scorings="one scoring protocol"
    if len(scorings) == 1
    else f"{len(scorings)} different scoring protocols",
    n_gpu=sum("cuda" in str(r.provenance.get("device")) for r in records),
)

# %% tags=["hide-output"]
display(Markdown(plots.provenance_caption(records)))

# %% tags=["remove-input"]
prose.say(
    """
The chapter reads {n_records} runs of methods; it leaves out
{n_dirty} made from uncommitted code, {n_unfinished}
unfinished and {n_checks} protocol checks. The runs use
{scorings}, and {n_gpu} of them were made on a GPU.
"""
)

# %% [markdown]
# ## Every method beside its published value
#
# One table per scale, bicubic LR: our mean PSNR (dB) per set beside the paper's
# value for the same method, set and scale. A column holds only methods scored on the
# same images (per set, the image list most methods were run on; bicubic is scored on
# those images too), so every number in it is comparable; runs on other images are in
# the full table below. Several runs of one method on those images (seeds) are
# averaged, with their standard deviation after "±". A published value stands beside
# a row only when the row covers the whole set. A method whose training failed the
# health rule says so in its name. Values marked "(unverified)" are not checked
# against their paper. Bicubic's published column is Kim et al. (2016), Table 2.


# %%
def row_names(frame):
    """Each row's method, with its profile when the frame holds several, and a flag
    where optimisations behind it did not train (the health rule)."""
    names = frame.method
    if frame.profile.nunique() > 1:
        names = names + " (" + frame.profile.astype(str) + ")"
    bad = frame.get("not_trained", pd.Series(0, index=frame.index)).fillna(0)
    total = frame.n_images * frame.runs if "runs" in frame else frame.n_images
    flags = [
        ""
        if not b
        else (
            " (did not train)"
            if fam not in INTERNAL
            else f" ({int(b)} of {int(n)} did not train)"
        )
        for b, fam, n in zip(bad, frame.family, total, strict=True)
    ]
    return names + flags


def psnr_text(row):
    """``"31.00"``, or ``"31.00 ± 0.004"`` over several runs (the spread with two
    decimals, three below 0.01)."""
    if row.runs <= 1 or not np.isfinite(row.psnr_sd):
        return f"{row.psnr:.2f}"
    digits = 2 if row.psnr_sd >= 0.01 else 3
    return f"{row.psnr:.2f} ± {row.psnr_sd:.{digits}f}"


def scale_table(table, scale, sets=all_methods.SETS):
    """The bicubic-LR rows of ``sets`` (full images) at ``scale``, one row per
    method: per set our PSNR ("± spread" over seeds) on the image list most methods
    share (bicubic on those images), and the published PSNR where any method has
    one; "–" where a method has no value."""
    t = table[
        (table.scale == scale) & (table.degradation == "bicubic") & table.set.isin(sets)
    ].copy()
    if t.empty:
        return pd.DataFrame({"method": []})
    lists = all_methods.shown_lists(t)
    key = list(zip(t.set, t.scale, t.degradation, strict=True))
    t = t[[lists.get(k) == il for k, il in zip(key, t.image_list, strict=True)]]
    t = t[t.method != "Bicubic"]
    t["row"] = row_names(t)
    t["ours"] = [psnr_text(r) for _, r in t.iterrows()]
    out = pd.DataFrame({"method": ["Bicubic", *dict.fromkeys(t.row)]})
    for ds in sorted(t.set.unique(), key=all_methods.set_order):
        at = t[t.set == ds].set_index("row")
        ours = at.ours.to_dict() | {"Bicubic": f"{at.psnr_bicubic.iloc[0]:.2f}"}
        out[f"{ds} · ours"] = out.method.map(ours).fillna("–")
        published = at.published.replace("", "–").to_dict()
        same = table[(table.set == ds) & (table.scale == scale)]
        whole = at.n_images.max() >= same.n_images.max()
        kim = all_methods.published_value("Bicubic", ds, scale, "bicubic")[1]
        published["Bicubic"] = (kim if whole else "") or "–"
        if any(v != "–" for v in published.values()):
            out[f"{ds} · published"] = out.method.map(published).fillna("–")
    return out


for scale in sorted(table[table.degradation == "bicubic"].scale.unique()):
    display(Markdown(f"**×{scale}**"))
    for sets in (all_methods.SETS[:2], all_methods.SETS[2:]):  # two tables fit a page
        part = scale_table(table, scale, sets)
        if len(part.columns) > 1:
            display(plots.style_table(part))


# %% [markdown]
# How many of our methods sit beside a published value (bicubic aside), and how far
# from it: ours minus published over the rows that have one.


# %%
def anchored(table):
    """Our methods with a mean (``n_methods``) and those with at least one published
    value beside them (``n_anchored``, their names in ``anchored``); the rows with
    one (``n_anchored_rows``), of them unverified (``n_unverified``), and the
    published methods behind them (``n_anchor_methods``)."""
    t = table[table.method != "Bicubic"]
    hit = t[t.published != ""]
    names = list(dict.fromkeys(hit.method))
    found = [
        anchor(m, ds, s)
        for m, ds, s in zip(hit.method, hit.set, hit.scale, strict=True)
    ]
    return {
        "n_methods": int(t.method.nunique()),
        "n_anchored": len(names),
        "anchored": "; ".join(names),
        "n_anchored_rows": len(hit),
        "n_unverified": int(hit.published.str.contains("unverified").sum()),
        "n_anchor_methods": len({a.method for a in found if a is not None}),
    }


prose.update(anchored(table))
prose.update(all_methods.published_gaps(table))

# %% tags=["remove-input"]
prose.say(
    """
{n_anchored} of our {n_methods} methods
({anchored}) sit beside a published value, on {n_anchored_rows}
rows, from {n_anchor_methods} published methods;
{n_unverified} of those rows are unverified. Our bicubic is within
{bicubic_max_gap:.2f} dB of Kim et al.'s on every set and scale shown, so
the protocol is not where the methods' gaps come from. On bicubic LR,
{n_below} of the {n_gap_rows} anchored rows of our methods are
below their published value; ours minus published is {mean_gap:+.2f} dB
on average (from
{min_gap:+.2f} to {max_gap:+.2f} dB):
that measures our training budget (`quick`: minutes on two CPU cores) and our
variants (SRGAN-MSE set beside the paper's SRGAN) more than the methods.
"""
)

# %% [markdown]
# ## Who wins, and at what cost

# %% tags=["remove-input"]
prose["near_db"] = verdict_rules.MARGIN_DB
prose.say(
    """
Per set and scale, on the images of the tables above and among the methods whose
training passed the health rule: the best method by mean PSNR with its test-time
seconds per image (for a supervised network inference only, for ZSSR and DIP the
whole per-image optimisation), the fastest method within the verdict margin
({near_db:.1f} dB) of it, and the quality-versus-compute frontier: the
methods that no faster method beats, fastest first. Seconds come from the
hardware in the provenance table, under whatever else ran beside them, so read
them as orders of magnitude.
"""
)


# %%
def wins_table(wins):
    """``all_methods.who_wins`` for a page: per set, the best method and the
    fastest within the margin (PSNR, seconds per image), and the frontier."""
    if wins.empty:
        return pd.DataFrame(columns=["set", "best", "fastest within the margin"])

    def cell(name, psnr, seconds):
        return f"{name} ({psnr:.2f} dB, {seconds:.3g} s)"

    return pd.DataFrame(
        {
            "set": wins.set,
            "best (PSNR, s per image)": [
                cell(r.best, r.best_psnr, r.best_s) for r in wins.itertuples()
            ],
            "fastest within the margin": [
                cell(r.near, r.near_psnr, r.near_s) for r in wins.itertuples()
            ],
            "frontier (fastest first)": wins.frontier,
        }
    )


wins = all_methods.who_wins(table)
display(plots.style_table(wins_table(wins)))
display(Markdown(all_methods.wins_story(wins, table)))


# %% [markdown]
# The full table, with SSIM, the gain over bicubic on the same images, the number
# of images and of seeds, and the sets the page tables leave out (T91, crops):


# %% tags=["hide-output"]
def detail_table(table, degradation="bicubic"):
    """Every row of bicubic LR (``degradation="bicubic"``) or of any other LR:
    method, set and scale, images × seeds, PSNR (± spread over seeds), SSIM, the
    gain over bicubic on the same images and, off bicubic LR, the published PSNR
    where one is comparable (DIV2KRK). Bicubic's own PSNR is left out to fit a page
    (the gain over it is shown)."""
    if degradation == "bicubic":
        t = table[table.degradation == "bicubic"]
    else:
        t = table[table.degradation != "bicubic"]
    out = pd.DataFrame(
        {
            "method": row_names(t),
            "set": t.set + " ×" + t.scale.astype(str),
            "images × seeds": [
                f"{n} × {k}" for n, k in zip(t.n_images, t.runs, strict=True)
            ],
            "PSNR (dB)": [psnr_text(r) for _, r in t.iterrows()],
            "SSIM": t.ssim.map("{:.4f}".format),
            "Δ vs bicubic (dB)": t.gain_db.map("{:+.2f}".format),
        }
    )
    if degradation != "bicubic" and (t.published != "").any():
        out["published (dB)"] = t.published.replace("", "–")
    return out.reset_index(drop=True)


display(plots.style_table(detail_table(table, "bicubic")))

# %% [markdown]
# ### Random kernels

# %% tags=["remove-input"]
prose["n_random_groups"] = int((table.degradation != "bicubic").sum())
prose.say(
    """
The {n_random_groups} rows made on random-kernel LR (the ZSSR review's
non-ideal case, report 004's DIV2KRK runs). A run that injects a fault on purpose
(report 004) says so in its name. The book's published values for such LR are
KernelGAN's on DIV2KRK (the same LR files as our DIV2KRK rows), set beside our
ZSSR with KernelGAN's kernel (over its 100 images; ours are the first few of the
13 shipped), and the ZSSR paper's non-ideal BSD100 table (its own kernels,
compared in the ZSSR review chapter).
"""
)

# %%
display(plots.style_table(detail_table(table, "random_kernel")))

# %% [markdown]
# ## Quality against compute
#
# The gain over bicubic against the test-time seconds per image. For the supervised
# networks (SRCNN, VDSR, SRResNet, SRGAN, LapSRN) that is inference only: training
# is excluded and listed in the table below. For ZSSR, the OSR streams and DIP it is
# the whole per-image optimisation, which is their test time. Filled markers were made
# on a CPU, hollow ones on a GPU; one point per method, set and scale (bicubic LR).


# %% tags=["hide-input"]
def plot_quality_vs_compute(table):
    """Gain over bicubic against seconds per image (log x), one point per bicubic-LR
    row, colour and marker by family, filled on a CPU and hollow on a GPU."""
    t = table[table.degradation == "bicubic"]
    families = dict.fromkeys(all_methods.FAMILIES.values())
    families = [f for f in families if f in set(t.family)]
    markers = "osD^vP*Xph"
    fig, ax = plt.subplots(figsize=(9, 4.6))
    handles = []
    for k, family in enumerate(families):
        color, marker = plt.cm.tab10.colors[k % 10], markers[k % len(markers)]
        at = t[t.family == family]
        for gpu in (False, True):
            points = at[at.device.str.contains("cuda") == gpu]
            ax.scatter(
                points.seconds,
                points.gain_db,
                s=46,
                marker=marker,
                facecolors="none" if gpu else color,
                edgecolors=color,
                linewidths=1.4,
            )
        handles.append(Line2D([], [], color=color, marker=marker, ls="", label=family))
    handles += [
        Line2D([], [], color="0.3", marker="o", ls="", label="CPU (filled)"),
        Line2D(
            [], [], color="0.3", marker="o", mfc="none", ls="", label="GPU (hollow)"
        ),
    ]
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("test-time seconds per image (log scale)")
    ax.set_ylabel("Δ PSNR over bicubic (dB)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    return fig


fig = plot_quality_vs_compute(table)
plt.show()

# %% [markdown]
# The medians of the test-time seconds per image over the bicubic-LR rows: of the
# supervised networks (bicubic aside) and of the per-image optimisations.

# %%
bicubic_lr = table[table.degradation == "bicubic"]
optimised = bicubic_lr.family.isin(INTERNAL)
supervised_s = float(
    bicubic_lr.seconds[~optimised & (bicubic_lr.method != "Bicubic")].median()
)
internal_s = float(bicubic_lr.seconds[optimised].median())
prose.update(
    supervised_s=supervised_s,
    internal_s=internal_s,
    time_ratio=internal_s / supervised_s if supervised_s > 0 else float("nan"),
)

# %% tags=["remove-input"]
prose.say(
    """
The median supervised network takes {supervised_s:.2f} s per image, the
median per-image optimisation {internal_s:.0f} s,
{time_ratio:.0f} times longer, on the hardware of the table above. The
training the supervised points leave out:
"""
)


# %%
def training_table(records):
    """The supervised records' training cost (left out of the figure's x-axis):
    method, scale, parameters, steps, training minutes, inference seconds per
    image, device."""
    trained = [
        r for r in records if any(row["image"] == "train" for row in r.per_image)
    ]
    if not trained:
        return pd.DataFrame(columns=["method", "scale", "training (min)"])
    e = supervised_tables.efficiency(trained)
    return pd.DataFrame(
        {
            "method": [all_methods.method_label(r) for r in trained],
            "scale": e.scale.map("×{}".format),
            "parameters": e.params.map("{:,}".format),
            "steps": e.steps,
            "training (min)": e.train_min.map("{:.1f}".format),
            "inference (s/image)": e.infer_s_per_image.map("{:.3f}".format),
            "device": [str(r.provenance.get("device", "?")) for r in trained],
        }
    )


display(plots.style_table(training_table(records)))

# %% [markdown]
# ## Image by image: who beats whom
#
# A group is a set of methods scored on exactly the same images (same set, scale and
# degradation), bicubic included. Per pair of methods in a group, `win_loss` counts
# the images on which one method's PSNR beats the other's by more than `TIE_DB`; a
# share of fewer than `MIN_IMAGES` images says little, so no smaller group is drawn.

# %%
TIE_DB = 0.05  # dB on one image: below it, two methods tie
MIN_IMAGES = 5


def per_image(rows):
    """PSNR per (set, scale, degradation, image) and method, averaged over runs,
    with a ``Bicubic`` column from the rows' own bicubic scores."""
    rows = rows[rows.method != "Bicubic"]
    at = ["set", "scale", "degradation", "image"]
    wide = rows.pivot_table(index=at, columns="method", values="psnr", aggfunc="mean")
    wide["Bicubic"] = rows.groupby(at).psnr_bicubic.mean()
    return wide


def comparable_groups(rows, min_methods=3):
    """The groups of at least ``min_methods`` methods scored on the same images:
    set, scale, degradation, n_images, n_methods, methods (a tuple, Bicubic
    first)."""
    columns = ["set", "scale", "degradation", "n_images", "n_methods", "methods"]
    out = []
    if rows.empty or rows.method.eq("Bicubic").all():
        return pd.DataFrame(out, columns=columns)
    wide = per_image(rows)
    for (ds, scale, degradation), block in wide.groupby(level=[0, 1, 2], sort=False):
        by_images = {}  # the images a method was scored on -> those methods
        for m in block.columns.drop("Bicubic"):
            images = frozenset(block.index[block[m].notna()].get_level_values("image"))
            if images:
                by_images.setdefault(images, []).append(m)
        for images, methods in by_images.items():
            if len(methods) + 1 >= min_methods:
                out.append(
                    {
                        "set": ds,
                        "scale": int(scale),
                        "degradation": degradation,
                        "n_images": len(images),
                        "n_methods": len(methods) + 1,
                        "methods": ("Bicubic", *methods),
                    }
                )
    return pd.DataFrame(out, columns=columns)


def pick_groups(groups, n=3, min_images=MIN_IMAGES):
    """Up to ``n`` groups of at least ``min_images`` images to draw: first the one
    with the most methods (then images); after it, the one adding the most methods
    not drawn yet, then the most methods, then the most images."""
    left = groups[groups.n_images >= min_images]
    chosen, drawn = [], set()
    while len(chosen) < n and len(left):
        new = [len(set(ms) - drawn) for ms in left.methods]
        best = (
            left.assign(_new=new)
            .sort_values(["_new", "n_methods", "n_images"], ascending=False)
            .index[0]
        )
        chosen.append(best)
        drawn |= set(groups.loc[best, "methods"])
        left = left.drop(index=best)
    return groups.loc[chosen].reset_index(drop=True)


def win_loss(rows, group, tie_db=TIE_DB):
    """On the images of ``group`` (a row of ``comparable_groups``): ``wins[a, b]``,
    the number of images where ``psnr_a - psnr_b > tie_db`` (the diagonal is 0),
    methods ordered by mean PSNR, best first."""
    wide = per_image(rows).loc[(group["set"], group["scale"], group["degradation"])]
    block = wide[list(group["methods"])].dropna()
    order = block.mean().sort_values(ascending=False).index
    values = block[order].to_numpy()  # (images, methods)
    wins = (values[:, :, None] - values[:, None, :] > tie_db).sum(axis=0)
    return pd.DataFrame(wins, index=order, columns=order)


drawn = pick_groups(comparable_groups(rows), heatmaps)
prose.update(
    tie_db=TIE_DB,
    min_images=MIN_IMAGES,
    wl_n=len(drawn),
    wl_groups=", ".join(f"{g.set} ×{g.scale}" for g in drawn.itertuples()) or "none",
)

# %% tags=["remove-input"]
prose.say(
    """
A mean hides whether a method wins everywhere or on a few images. For methods scored
on exactly the same images, each cell counts the images on which the row method's
PSNR beats the column method's by more than {tie_db:.2f} dB (the rest
are ties or losses); the colour is that count's share of the images. Of the groups
of at least three methods on at least {min_images} images, the chapter
draws {wl_n}: {wl_groups} (the most methods first, then the
group adding the most methods not drawn yet). Methods are ordered by mean PSNR.
"""
)


# %% tags=["hide-input"]
def plot_win_loss(wins, n_images, title):
    """Heatmap of the share of images the row method wins, the count annotated;
    the diagonal left blank."""
    size = 1.1 + 0.62 * len(wins)
    fig, ax = plt.subplots(figsize=(size + 2.2, size))
    sns.heatmap(
        wins / n_images,
        mask=np.eye(len(wins), dtype=bool),
        annot=wins,
        fmt="d",
        vmin=0.0,
        vmax=1.0,
        cmap="Blues",
        linewidths=0.5,
        cbar_kws={"label": "share of images the row method wins"},
        ax=ax,
    )
    ax.tick_params(axis="x", labelrotation=35)
    plt.setp(ax.get_xticklabels(), ha="right", rotation_mode="anchor")
    ax.tick_params(axis="y", labelrotation=0)
    ax.set_xlabel("column method")
    ax.set_ylabel("row method")
    ax.set_title(title)
    fig.tight_layout()
    return fig


for group in drawn.itertuples():
    wins = win_loss(rows, group._asdict())
    title = f"{group.set} ×{group.scale}, {group.n_images} images"
    fig = plot_win_loss(wins, group.n_images, title)
    plt.show()

# %% [markdown]
# Over the method pairs of these heatmaps: those where one method beats the other on
# every image (a sweep), and those where each wins on some image (a split).

# %%
pairs = sweeps = split = 0
for group in drawn.itertuples():
    wins = win_loss(rows, group._asdict()).to_numpy()
    upper = np.triu_indices(len(wins), k=1)
    a, b = wins[upper], wins.T[upper]  # a over b and b over a, per pair
    pairs += len(a)
    sweeps += int(((a == group.n_images) | (b == group.n_images)).sum())
    split += int(((a > 0) & (b > 0)).sum())
prose.update(wl_pairs=pairs, wl_sweeps=sweeps, wl_split=split)

# %% tags=["remove-input"]
prose.say(
    """
Of the {wl_pairs} method pairs in these heatmaps, one method beats the
other on every image in {wl_sweeps}, and each wins on some image in
{wl_split}; in the rest, one wins on some images and ties on the others,
or the two tie throughout.
"""
)

# %% [markdown]
# ## Which claims hold
#
# Every chapter's verdicts in one table, by the rule of the protocol chapter, and
# their count per chapter: the reports' claims first, then, apart, the protocol's
# checks and the claims of other papers a chapter tests. Each chapter stored its
# claims when it ran (`srcore.chapters.claim_files`); this chapter only joins them.

# %%
CHAPTERS = {
    "protocol": "The evaluation protocol",
    "r001": "001 ZSSR review",
    "r001b": "001 ZSSR review: the blind case",
    "r000": "000 Online SR",
    "r002": "002 SRCNN vs SRGAN",
    "r003": "003 LapSRN vs DIP",
    "r004": "004 LapSRN, random kernels",
}
ALL_REPORTS = "all report claims"  # the total row of the reports' claims


def claim_group(chapter, source):
    """Whose claims a verdict counts with: the chapter's (the report's), the
    protocol checks, or another paper's claims tested in that chapter."""
    if source == "protocol":
        return "protocol checks"
    if source == "report":
        return chapter
    return f"the {source}'s claims (in {chapter.split(' ', 1)[-1]})"


def verdict_summary(verdicts):
    """The verdicts counted per kind: one row per chapter's report claims, their
    total (``ALL_REPORTS``), then, apart, the protocol's checks and each other
    paper's claims. Columns: ``claims of``, the verdict kinds, ``claims``."""
    source = verdicts["source"] if "source" in verdicts else "report"
    v = verdicts.assign(source=source)
    groups = zip(v.chapter, v.source, strict=True)
    v = v.assign(group=[claim_group(c, s) for c, s in groups])
    counted = []
    reports = v[v.source == "report"]
    for group, g in reports.groupby("group", sort=False):
        counted.append({"claims of": group, **verdict_rules.verdict_counts(g.verdict)})
    counted.append(
        {"claims of": ALL_REPORTS, **verdict_rules.verdict_counts(reports.verdict)}
    )
    for group, g in v[v.source != "report"].groupby("group", sort=False):
        counted.append({"claims of": group, **verdict_rules.verdict_counts(g.verdict)})
    out = pd.DataFrame(counted, columns=["claims of", *verdict_rules.VERDICTS])
    out["claims"] = out[list(verdict_rules.VERDICTS)].sum(axis=1)
    return out


def verdict_summary_page(counts):
    """``verdict_summary`` narrowed to a page: the three judged kinds in one column
    and the three preliminary ones in another ("0 · 2 · 0")."""

    def joined(row, kinds):
        return " · ".join(str(int(row[k])) for k in kinds)

    return pd.DataFrame(
        {
            "claims of": counts["claims of"],
            "judged: reproduced · not · contradicted": [
                joined(r, verdict_rules.JUDGED) for _, r in counts.iterrows()
            ],
            "below the report's evidence: consistent · not · opposite": [
                joined(r, verdict_rules.PRELIMINARY) for _, r in counts.iterrows()
            ],
            "not tested": counts["not tested"],
            "claims": counts["claims"],
        }
    )


def verdict_totals(counts):
    """The reports' total row of ``verdict_summary`` for the prose: ``n_claims``,
    ``n_<kind>`` per verdict kind (``n_not_reproduced``...), ``n_judged`` (at the
    report's budget and sample), ``n_preliminary`` (below it) and
    ``n_other_claims`` (the protocol checks and other papers' claims, apart)."""
    at = counts.set_index("claims of")
    total = at.loc[ALL_REPORTS]
    out = {"n_claims": int(total["claims"])}
    out |= {f"n_{v.replace(' ', '_')}": int(total[v]) for v in verdict_rules.VERDICTS}
    out["n_judged"] = int(sum(total[v] for v in verdict_rules.JUDGED))
    out["n_preliminary"] = int(sum(total[v] for v in verdict_rules.PRELIMINARY))
    after = list(at.index).index(ALL_REPORTS) + 1
    out["n_other_claims"] = int(at.iloc[after:]["claims"].sum())
    return out


stored = claim_files.load(list(CHAPTERS), ctx)
verdicts = verdict_rules.joined_table(
    {CHAPTERS[chapter]: claims for chapter, claims in stored.items() if claims}
)
not_run = [CHAPTERS[chapter] for chapter, claims in stored.items() if claims is None]
if not_run:
    display(
        Markdown(
            f"Not yet run at the `{profile}` budget, so not counted: "
            + ", ".join(not_run)
            + "."
        )
    )
counts = verdict_summary(verdicts)
if verdicts.empty:
    display(Markdown(f"No claim is judged at the `{profile}` budget."))
else:
    shown = verdicts.drop(columns="paper").rename(columns={"source": "whose claim"})
    display(plots.style_table(shown))
    display(plots.style_table(verdict_summary_page(counts)))
prose.update(verdict_totals(counts))

# %% tags=["remove-input"]
prose.say(
    """
Of the reports' {n_claims} claims, {n_judged} are judged at
the report's own budget and sample: {n_reproduced} reproduced,
{n_not_reproduced} not reproduced, {n_contradicted}
contradicted. {n_preliminary} rest on less (the `quick` budget, fewer
images or seeds): {n_consistent} consistent with the report,
{n_not_consistent} not consistent and {n_opposite} opposite.
{n_not_tested} are not tested (nothing measures them yet, a run behind
them did not train, or they need the VGG weights this build cannot download). The
{n_other_claims} protocol checks and other papers' claims are counted
apart.
"""
)
