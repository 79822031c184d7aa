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
# # Report 004: LapSRN on random-kernel ("real-world") degradations
#
# **What the report did.** It trained LapSRN on DIV2KRK (Bell-Kligler et al. 2019):
# DIV2K images blurred by a different random anisotropic Gaussian kernel each
# (11×11, λ1, λ2 ~ U(0.6, 5), θ ~ U(−π, π), multiplicative noise) and subsampled.
# Its LapSRN used 10 pre-activated convolutions with a local skip per level and
# **sub-pixel** convolutions instead of transposed ones, on the Y channel, and tried a
# VGG19 perceptual loss besides Charbonnier. Its ×2 model failed badly; the report
# blamed "post-upsampling" (one level only).
#
# **What we do.** LapSRN with transposed convolutions and with sub-pixel convolutions,
# both with report 004's pre-activated, locally residual levels, at ×2, ×4 and ×8,
# trained on T91 + BSD200 patches that each get a fresh DIV2KRK-style kernel
# (`srcore.degrade.random_kernel`; ×4 kernels are KernelGAN's analytic ×2∘×2
# composition, ×8 kernels are drawn with 4² times the ×2 variances). Tests: DIV2KRK's
# own LR files (×2, ×4; this build holds 13 of them, `quick` scores the first 5
# full 2K images) and BSD100 with one seeded kernel per image (×2, ×4, ×8; `quick`:
# the first 20 images). Bicubic interpolation of the same LR is the
# baseline. Scores: Y channel, 8-bit, shave = scale (the first chapter's protocol).
#
# **Deviations, and why.** `quick` trains depth 5 (not 10), Adam at 1e-3, 1000
# updates of 16 patches (×8: 8 patches of 96×96), minutes on two CPU cores; we do not
# train on DIV2KRK's images because we test on them. DIV2KRK has no ×8 files, so ×8
# is scored on BSD100 only. The perceptual-loss variant
# needs the ImageNet VGG19 weights, which this build cannot download: it is listed as
# not run rather than run on random features.
#
# The verdicts on the report's claims close the chapter.

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
scales = [2, 4, 8]
faults = ["misaligned_pairs", "random_image_branch"]
seed = 0
data_root = None
results = None

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from srcore import plots
from srcore.chapters import claim_files, published, supervised_tables, tables
from srcore.chapters.published import anchor_label
from srcore.chapters.verdicts import VGG, Claim, summary_line, verdict_table
from srcore.degrade import random_kernel
from srcore.prose import Prose
from srcore.protocol import CROP_BOX
from srcore.runs import random_kernel_lapsrn
from srcore.runs.context import RunContext
from srcore.vgg import vgg_weights_available

ctx = RunContext(profile=profile, data_root=data_root, results=results)
prose = Prose(crop_box=CROP_BOX, crop_detail=32)
REPORT = published.REPORT_004

# %% [markdown]
# The report's Table 1 (mean PSNR on its DIV2KRK test split, pixels in [0, 1]):

# %% tags=["remove-input"]
columns = ["method", "×2 PSNR (dB)", "×4 PSNR (dB)"]
display(plots.style_table(pd.DataFrame(REPORT["table"], columns=columns)))
prose["report_perceptual_psnr"] = REPORT["perceptual_psnr"]
prose.say("The perceptual-loss models stayed {report_perceptual_psnr}.")

# %% [markdown]
# ## The degradation
#
# Training kernels for a few seeds at each scale (each scaled to its own peak):

# %% tags=["hide-input"]
kernels = {
    f"×{s}, seed {k}": random_kernel(scale=s, seed=k)
    for s in (2, 4, 8)
    for k in range(4)
}
fig = plots.plot_kernel_gallery(
    list(kernels.values()),
    [f"{name} ({k.shape[-1]}²)" for name, k in kernels.items()],
    cols=4,
)
plt.show()

# %% [markdown]
# ## Transposed vs sub-pixel convolution, ×2 / ×4 / ×8
#
# One LapSRN per scale and upsampler; the table gives each test set's mean Y-PSNR and
# SSIM beside bicubic interpolation of the same random-kernel LR images.

# %%
runs = random_kernel_lapsrn.runs(scales, ctx=ctx, seed=seed)
LABELS = {"deconv": "LapSRN, transposed conv", "subpixel": "LapSRN, sub-pixel"}
parts = []
for (_, upsampler), record in runs.items():
    part = supervised_tables.summary([record])
    part["method"] = LABELS[upsampler]
    parts.append(part)
ours = pd.concat(parts, ignore_index=True)
columns = ["scale", "dataset", "method", "n_images", "psnr", "psnr_bicubic"]
ours = ours[columns + ["gain_db", "ssim", "ssim_bicubic"]]
ours = ours.sort_values(["scale", "dataset", "method"], kind="stable")
display(plots.style_table(ours))
display(Markdown(plots.provenance_caption(list(runs.values()))))

# %% [markdown]
# The two upsamplers are one function class: each output phase of a 4×4, stride-2
# transposed convolution reads a 2×2 input neighbourhood, which a 3×3 sub-pixel filter
# covers, and both image branches start as the same bilinear ×2. Trained alike, they
# should land within hundredths of a dB of each other. Our rule: they agree when their
# mean PSNRs differ by at most `MARGIN_DB` on every scale and test set.

# %%
MARGIN_DB = 0.05
prose["margin_db"] = MARGIN_DB
for (s, dataset), rows in ours.groupby(["scale", "dataset"]):
    psnr = rows.set_index("method").psnr
    if set(LABELS.values()) <= set(psnr.index):
        difference = float(psnr[LABELS["subpixel"]] - psnr[LABELS["deconv"]])
        prose[f"x{s}_{dataset.lower()}_sub_minus_deconv"] = difference
differences = [v for k, v in prose.items() if k.endswith("_sub_minus_deconv")]
if differences:
    prose["max_upsampler_diff"] = max(abs(d) for d in differences)
    prose["upsamplers"] = (
        "within" if prose["max_upsampler_diff"] <= MARGIN_DB else "beyond"
    )
    prose.say(
        """
Their mean PSNRs differ by at most {max_upsampler_diff:.3f} dB over every scale and
test set, {upsamplers} the {margin_db:.2f} dB margin.
"""
    )

# %% [markdown]
# Training loss and validation PSNR (Set5 with one seeded random kernel per image):

# %% tags=["hide-input"]
fig = plots.plot_training_curves(
    {f"×{s} {up}": r.history for (s, up), r in runs.items()}
)
plt.show()

# %% [markdown]
# ## Beside the report
#
# The report's sub-pixel model beside ours on DIV2KRK, as gains over interpolation:

# %%
short = {label: upsampler for upsampler, label in LABELS.items()}
for r in ours.itertuples():
    key = f"x{r.scale}_{r.dataset.lower()}"
    prose[f"{key}_{short[r.method]}_gain"] = float(r.gain_db)
    prose[f"n_{r.dataset.lower()}"] = int(r.n_images)
report_rows = dict((row[0], row[1:]) for row in REPORT["table"])
interpolation = report_rows["Interpolation"]
report_model = report_rows["LapSRN, sub-pixel (report)"]
beside = []
for k, s in enumerate(REPORT["scales"]):
    prose[f"report_x{s}_gain"] = report_model[k] - interpolation[k]
    beside.append(
        {
            "scale": s,
            "source": "report 004 (its DIV2KRK test split)",
            "interpolation": interpolation[k],
            "LapSRN sub-pixel": report_model[k],
            "gain_db": report_model[k] - interpolation[k],
        }
    )
    mine = ours.query("scale == @s and dataset == 'DIV2KRK'")
    mine = mine[mine.method == LABELS["subpixel"]]
    if len(mine):
        r = mine.iloc[0]
        beside.append(
            {
                "scale": s,
                "source": f"ours (DIV2KRK, {r.n_images} images)",
                "interpolation": r.psnr_bicubic,
                "LapSRN sub-pixel": r.psnr,
                "gain_db": r.gain_db,
            }
        )
display(
    plots.style_table(pd.DataFrame(beside), {"interpolation": 2, "LapSRN sub-pixel": 2})
)

# %% [markdown]
# The report's DIV2KRK split and ours differ (its 15 test images vs ours, its scoring
# on [0, 1] pixels without a stated border), so compare gains, not levels. The losses:

# %%
perceptual = (
    "runs with the ImageNet VGG19 weights"
    if vgg_weights_available()
    else "not run: needs VGG weights"
)
losses = [
    {"loss": "Charbonnier (ε = 1e-3), every level", "status": "run (above)"},
    {"loss": "perceptual (VGG19 features), report 004 §3.4", "status": perceptual},
]
display(plots.style_table(pd.DataFrame(losses)))

# %% [markdown]
# ## Why did the report's ×2 model fail?
#
# Our ×2 sub-pixel model has a single level, like the report's. Two other
# explanations, each injected on purpose into the same ×2 sub-pixel run:
#
# * **misaligned pairs**: the HR target gets its own random rotation/flip, independent
#   of its LR input (the report rotates and flips its LR patches and then "extracts the
#   corresponding HR patch": an augmentation applied to one side only);
# * **random image branch**: the image-upsampling sub-pixel filter starts from random
#   weights instead of bilinear interpolation (what a Keras `Conv2D` gets by default).
#
# Both are implemented in `srcore.training.supervised.FAULTS`; each run below is the
# correct ×2 sub-pixel run with one fault and nothing else changed. The table gives
# each run's mean PSNR per test set and its Set5 validation PSNR at the first and the
# last check.

# %%
fault_records = random_kernel_lapsrn.fault_runs(faults, ctx=ctx, seed=seed)
correct = "none (correct pairs, bilinear init)"
analysis = []
if (2, "subpixel") in runs:
    for name, record in {correct: runs[(2, "subpixel")], **fault_records}.items():
        validation = record.history.get("val_psnr") or [None]
        for r in supervised_tables.summary([record]).itertuples():
            analysis.append(
                {
                    "fault": name,
                    "dataset": r.dataset,
                    "psnr": r.psnr,
                    "psnr_bicubic": r.psnr_bicubic,
                    "gain_db": r.gain_db,
                    "val_psnr_first": validation[0],
                    "val_psnr_last": validation[-1],
                }
            )
analysis = pd.DataFrame(analysis)
display(plots.style_table(analysis))

# %% tags=["hide-input"]
fig = plots.plot_training_curves(
    {"correct": runs[(2, "subpixel")].history}
    | {name: r.history for name, r in fault_records.items()}
)
plt.show()

# %% [markdown]
# What the runs say, on DIV2KRK ×2: a run "falls" when its last validation PSNR is
# below its first; the report's failure is *consistent with* a fault whose run ends
# below bicubic (never "caused by": our runs differ from the report's in data, budget
# and network).

# %%
div2krk = analysis[analysis.dataset == "DIV2KRK"].set_index("fault")
below = []
if len(div2krk):
    prose["fault_bicubic"] = float(div2krk.psnr_bicubic.iloc[0])
    prose["fault_none_psnr"] = float(div2krk.psnr[correct])
    prose["single_level"] = tables.versus(float(div2krk.gain_db[correct]), 0.0)
    prose["single_level_verdict"] = (
        "so a single level does not by itself explain the report's failure"
        if prose["single_level"] == "above"
        else "so a single level may explain it"
    )
    for name in fault_records:
        r = div2krk.loc[name]
        key = f"fault_{name}"
        prose[f"{key}_psnr"] = float(r.psnr)
        prose[f"{key}_gain"] = float(r.gain_db)
        prose[f"{key}_vs_bicubic"] = tables.versus(float(r.gain_db), 0.0)
        prose[f"{key}_val_first"] = float(r.val_psnr_first)
        prose[f"{key}_val_last"] = float(r.val_psnr_last)
        falls = r.val_psnr_last < r.val_psnr_first
        prose[f"{key}_trend"] = "falls" if falls else "does not fall"
        if r.gain_db < 0:
            below.append(random_kernel_lapsrn.FAULT_NAMES.get(name, name))
    prose["n_faults"] = len(fault_records)
    prose["n_faults_below"] = len(below)
    prose["cause"] = (
        "consistent with " + " and ".join(below)
        if below
        else "not reproduced by the faults tried here"
    )
    prose.say(
        """
The correct ×2 run ends {single_level} bicubic ({fault_none_psnr:.2f} against
{fault_bicubic:.2f} dB), {single_level_verdict}. Below bicubic after the full run:
{n_faults_below} of the {n_faults} faults tried, so the report's failure is {cause}.
"""
    )

# %% [markdown]
# ## Visual crops
#
# The first test image of each set: bicubic, both upsamplers, HR. Each run keeps its
# output on the central square of the image given by the protocol's crop box; the
# panels show the window of that square with the most HR detail (the largest
# gradient energy), each titled with its PSNR on that window.

# %% tags=["hide-input"]
for s in scales:
    at_scale = {up: r for (scale, up), r in runs.items() if scale == s}
    first_images = {}
    for row in next(iter(at_scale.values())).per_image:
        if row["image"] != "train":
            dataset, image = row["image"].split("/", 1)
            first_images.setdefault(dataset, image)
    for dataset, image in first_images.items():
        views = tables.crop_views(
            list(at_scale.values()),
            f"{dataset}/{image}",
            labels=[LABELS[up] for up in at_scale],
            data_root=data_root,
            results=results,
        )
        fig = plots.plot_crops(views, title=f"{dataset} / {image} ×{s}")
        plt.show()

# %% [markdown]
# ## What we measured
#
# The numbers below are computed from the runs above.

# %% tags=["remove-input"]
display(Markdown(tables.health_bullet([*runs.values(), *fault_records.values()])))
for s in scales:
    rows = ours[ours.scale == s]
    prose[f"x{s}_beats"] = int((rows.gain_db > 0).sum())
    prose[f"x{s}_pairs"] = len(rows)
    gains = ", ".join(
        f"{prose[f'x{s}_{d}_subpixel_gain']:+.2f} / "
        f"{prose[f'x{s}_{d}_deconv_gain']:+.2f} dB on {name}"
        for d, name in (("div2krk", "DIV2KRK"), ("bsd100", "BSD100"))
        if f"x{s}_{d}_subpixel_gain" in prose
    )
    prose.say(
        f"* **Against bicubic interpolation** at ×{s}: {{x{s}_beats}} of "
        f"{{x{s}_pairs}} (model, test set) pairs are above it (sub-pixel / "
        f"transposed: {gains})."
    )
if "max_upsampler_diff" in prose:
    prose.say(
        """
* **Sub-pixel minus transposed convolution**: the largest difference in size,
  {max_upsampler_diff:.3f} dB, is {upsamplers} the {margin_db:.2f} dB margin.
"""
    )
if "x4_div2krk_subpixel_gain" in prose and "x2_div2krk_subpixel_gain" in prose:
    prose.say(
        """
* **Beside the report**: its sub-pixel model's gain over interpolation on its
  DIV2KRK split was {report_x2_gain:+.2f} dB at ×2 and {report_x4_gain:+.2f} dB at
  ×4; ours gains {x2_div2krk_subpixel_gain:+.2f} and {x4_div2krk_subpixel_gain:+.2f}
  dB on {n_div2krk} DIV2KRK images.
"""
    )
if "cause" in prose:
    for name in fault_records:
        prose.say(
            f"* **Fault: {random_kernel_lapsrn.FAULT_NAMES.get(name, name)}.** The ×2 "
            f"run ends at {{fault_{name}_psnr:.2f}} dB ({{fault_{name}_gain:+.2f}} dB, "
            f"{{fault_{name}_vs_bicubic}} bicubic); its Set5 validation PSNR is "
            f"{{fault_{name}_val_first:.2f}} dB at the first check and "
            f"{{fault_{name}_val_last:.2f}} dB at the last: it {{fault_{name}_trend}}."
        )
    prose.say(
        """
* **The report's ×2 failure** is {cause}; that is not a proof of its cause: our
  drops are far from the report's ({report_x2_gain:+.2f} dB; other data, budget and
  network), and a fault not tried here could do the same.
"""
    )

# %% [markdown]
# ## Verdicts
#
# Each claim of report 004, in its own words (short), beside what our runs measure,
# judged by the rule stated in the protocol chapter; the column "how we measured"
# gives the profile, images and seeds behind ours.

# %%
report_claims = []
for k, s in enumerate(REPORT["scales"]):
    subpixel = [runs[(s, "subpixel")]] if (s, "subpixel") in runs else []
    words = "far below" if s == 2 else "above"
    report_claims.append(
        Claim(
            f"sub-pixel LapSRN on random kernels: {words} interpolation, ×{s}",
            report=report_model[k] - interpolation[k],
            ours=prose.get(f"x{s}_div2krk_subpixel_gain"),
            setting=f"quick · {prose.get('n_div2krk', '?')} DIV2KRK images · 1 seed",
            paper=anchor_label("KernelGAN + ZSSR", "DIV2KRK", s),
            images=prose.get("n_div2krk"),
            **tables.evidence_flags(subpixel),
        )
    )
report_claims += [
    Claim(
        "sub-pixel convolution avoids the checkerboard artefacts of the "
        "transposed one (§3; yet §5 sees artefacts at ×4)",
        why_not="no artefact measure yet: the PSNR of both upsamplers is in the "
        "table above, the crops show the outputs",
    ),
    Claim(
        "post-upsampling is cheaper than pre-upsampling (§1)",
        why_not="no pre-upsampling network timed on the same images here",
    ),
    Claim("a VGG19 perceptual loss gets stuck at 6–7 dB (§4)", why_not=VGG),
]
claim_files.publish("r004", report_claims, ctx)
display(plots.style_table(verdict_table(report_claims)))
prose["verdict_line"] = summary_line(report_claims)
prose.say("In short: {verdict_line}.")
