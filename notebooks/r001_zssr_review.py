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
# # Report 001: Zero-Shot SR, ideal and non-ideal, and three variants
#
# ZSSR (Shocher et al. 2018) trains a small network on the test image alone. The
# report reviewed it in the ideal and the non-ideal case and tried three changes;
# what it did, what we do and how we deviate follow the set-up cells.


# %%
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
ideal_sets = ["Set5"]
ideal_scales = [2, 3, 4]
ideal_gradual = [4]  # scales also run with gradual increments (x2 -> x4)
nonideal_images = 2
nonideal_scales = [2, 4]
nonideal_variants = ["pixelshuffle"]  # report 001's variant, same images
vdsr_backbone = True  # report 001's VDSR backbone (x2 only in the report)
seed = 0
spread_seeds = [0, 1, 2]  # Set5 x2 once per seed: the spread over seeds
init_seeds = [0, 1, 2]  # the init comparison (reference init vs srcore's)
blind_images = 5  # random-kernel BSD100 images of the blind case (x2)
blind_seeds = [0, 1, 2]  # the BSD100 blind case once per seed: its spread
blind_div2krk = 5  # DIV2KRK images of the blind case (x2 and x4; 2K, slow)
kernel_images = 5  # images per set in KernelGAN's kernel table (BSD100, DIV2KRK)
data_root = None
results = None

# %%
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from srcore import plots
from srcore.chapters import (
    claim_files,
    claims,
    paper_runs,
    published,
    report001,
    tables,
    verdicts,
    zssr_tables,
)
from srcore.methods.zssr import ZSSRConfig
from srcore.prose import Prose
from srcore.protocol import CROP_BOX
from srcore.runs.context import RunContext

ctx = RunContext(profile=profile, data_root=data_root, results=results)
prose = Prose()
prose["crop_box"] = CROP_BOX
prose["lr_hold_margin"] = ZSSRConfig().lr_hold_margin
prose["lr_hold_percent"] = round(100 * ZSSRConfig().lr_hold_margin)
prose["crop_detail"] = 32

# %% tags=["remove-input"]
x2 = published.REPORT_001_IDEAL[("Set5", 2)]
prose["paper_zssr_set5_x2"] = x2["ZSSR"][0]
prose["paper_zssr_minus_vdsr"] = x2["ZSSR"][0] - x2["VDSR"][0]
nonideal_paper = published.REPORT_001_NONIDEAL
prose["paper_nonideal_true"] = nonideal_paper["ZSSR, true kernel"][0]
prose["paper_nonideal_estimated"] = nonideal_paper["ZSSR, estimated kernel"][0]
prose["paper_nonideal_edsr"] = nonideal_paper["EDSR+"][0]
prose.say(
    """
**What the report did.** It reviewed ZSSR (Shocher et al. 2018): a small CNN (8
layers, 64 filters) trained at test time on the LR image alone, with "HR fathers" cut
from the image and its downscaled versions and "LR sons" made from them by the
assumed kernel. It quoted the paper's **ideal-case** table (MATLAB bicubic LR;
ZSSR Set5 ×2 {paper_zssr_set5_x2:.2f} dB,
{paper_zssr_minus_vdsr:+.2f} dB from VDSR) and its **non-ideal** one
(BSD100 blurred by random kernels: ZSSR with the true kernel
{paper_nonideal_true:.2f} dB, with an estimated kernel
{paper_nonideal_estimated:.2f} dB, EDSR+
{paper_nonideal_edsr:.2f} dB). It then tried three changes on BSD100
with unknown kernels (mean PSNR as the report printed it):
"""
)
display(plots.style_table(published.report_table("001-variants")))

# %% [markdown]
# **What we do.** `srcore.methods.zssr` follows the paper and the authors' code
# (fathers drawn in proportion to their size, the reference's augmentation, its
# learning-rate rule and stopping, the 8-fold geometric self-ensemble and
# back-projection). We score the ideal case beside the published table, and the
# non-ideal case on BSD100 blurred by one seeded DIV2KRK-style kernel per image:
# ZSSR told the true kernel, ZSSR assuming bicubic, and bicubic interpolation. All
# scores use the protocol of the first chapter (Y, 8-bit, shave = scale).


# %% [markdown]
# **Deviations, and why.** `quick` keeps the network and every rule but compresses the
# schedule (`srcore.methods.zssr.PROFILES["quick"]`: at most 500 iterations instead of
# 3000, the learning-rate rule checked on a shorter window; the time a `quick` image
# takes is measured below, a `paper` run is several times longer). It scores Set5 at ×2,
# ×3 and ×4 (×4 also with the reference's gradual ×2 → ×4 increments, which the paper
# used for large factors) and two BSD100 images per non-ideal experiment;
# `profile="paper"` with `ideal_sets=["Set5", "Set14", "BSD100"]` and `ideal_scales=[2,
# 3, 4]` runs the whole published table (a GPU job). The variants run on the same
# random-kernel images, assuming bicubic as the report's did. The VDSR backbone is a
# VDSR (20 layers, RGB so that it can replace ZSSR's RGB network) trained by
# `srcore.runs.supervised` on BSD200 at the same scale with the `quick` VDSR recipe
# (1000 Adam steps), then fine-tuned by ZSSR's own training; we also score it before any
# internal training. The hybrid loss needs the ImageNet VGG19 weights, which this build
# cannot download: not run.


# %% [markdown]
# ## The ideal case: MATLAB-bicubic LR

# %%
ideal = report001.ideal_runs(
    ideal_sets, ideal_scales, ideal_gradual, ctx=ctx, seed=seed
)
display(plots.style_table(report001.ideal_table(ideal)))
display(Markdown(plots.provenance_caption(ideal)))
seconds = [r["seconds"] for r in ideal[0].per_image]
prose["quick_s_per_image"] = sum(seconds) / len(seconds)
prose["ideal_profile"] = profile
prose.say(
    "One `{ideal_profile}` image of the first cell took {quick_s_per_image:.0f} s on"
    " average on the CPU that made these runs."
)
display(
    plots.style_table(
        report001.ideal_published(ideal), caption="The ZSSR paper's Table 1 (PSNR)"
    )
)

# %% [markdown]
# The column *network alone* is an analysis, not the health rule: the plain network's
# output (before self-ensemble and back-projection) scored against the HR image,
# which neither the training nor the health rule sees: its mean gain over bicubic at
# the end, and on how many images it rose above bicubic at all ("4 of 5 above").
# Where it never does, the network learnt nothing the image needed, and the final
# gain comes from the self-ensemble and back-projection around it.
#
# PSNR of the plain network output against training iterations, per image; the
# dashed line of each colour is that image's bicubic PSNR.

# %% tags=["hide-input"]
fig = report001.plot_traces(ideal[0])
plt.show()

# %% [markdown]
# ### The spread over seeds
#
# The same Set5 ×2 run once per seed (every random draw of a run follows its seed:
# the network's init, the fathers, the augmentations). Repeated with its seed on the
# same machine and thread count, a run gives the same bits (a test checks it), so
# the spread below is the seeds' alone; on another CPU the kernels round
# differently and a run lands within the spread, not on the same bits. A difference
# between two methods smaller than this spread is no difference.

# %%
# partial=True: in the book build, a run still being computed shows how far it got
spread = report001.seed_runs("Set5", 2, spread_seeds, ctx=ctx.replace(partial=True))
display(plots.style_table(zssr_tables.seed_spread(spread)))

# %% [markdown]
# ### Why ZSSR stalled, and the fix
#
# The authors' code draws every weight from N(0, v / (9 c_in)) with a small
# variance v (`configs.py`'s `init_variance`); each of the eight bias-free layers
# then shrinks the signal by about the square root of v / 2, so the residual starts
# at about a millionth of the image and its gradients near Adam's epsilon. On some
# images the network never leaves the interpolation: its own reconstruction error
# stays where the interpolation's is, the learning-rate rule reads that as a
# plateau and cuts the rate until training stops. srcore changes two things.

# %% tags=["remove-input"]
prose.say(
    """
- **The init**: N(0, 1 / (9 c_in)), a residual of several percent at the start
  (the first trace point sits below bicubic).
- **A guard on the rule** (`lr_hold_margin` = {lr_hold_margin}): with
  the larger init, Adam's first steps can still drive the residual to zero (on
  101087 within 25 iterations), and the error then sits on the interpolation's
  for 50 to 250 iterations before the network leaves it. The authors' rule cuts
  the rate on that plateau; srcore's does not cut it until the reconstruction
  error is {lr_hold_percent} percent below the interpolation's, the
  health rule's margin. On runs where the authors'
  rule never fired on such a plateau the two compute the same thing
  (`scripts/migrate_lr_guard.py` replayed every committed run's trace: 27 of 37
  runs unchanged).
"""
)

# %% [markdown]
# The health rule of the protocol chapter judges every run. The first BSD100 images
# at ×2, each seed once, as the authors' code runs (its `init_variance` and lr rule
# as they are) and as srcore does:

# %%
init = report001.init_runs(init_seeds, ctx=ctx.replace(partial=True))
display(plots.style_table(report001.init_table(init)))

# %% tags=["hide-input"]
fig = report001.plot_init_traces(init, "BSD100/101087")
plt.show()

# %% [markdown]
# ## At the paper's budget
#
# The ideal table of the ZSSR paper, at its own budget: the ``paper`` profile: up to
# 3000 iterations per image with the authors' learning-rate rule, on Set5, Set14 and
# BSD100 at ×2, ×3 and ×4; Set5 and Set14 at ×2 with the six gradual increments the
# paper's numbers used (ZSSR README), Set5 ×4 both in one jump and gradually (×2 then
# ×4: the paper does not say which way its ×4 ran), every other cell in one jump.
# These runs take minutes per image on this project's 2-core CPU; they are computed by
# `scripts/paper_runs.py`, image by image, and committed as they land. A cell appears
# once its first image is done; until it is finished its row says how many of its
# images are done, and its means are over those alone.

# %%
ideal_cells = [n for n, job in paper_runs.JOBS.items() if job.group == "b"]
paper = paper_runs.table(ideal_cells, ctx)
begun, pending = paper_runs.started(paper)
if len(begun):
    display(plots.style_table(begun))
display(Markdown(pending))
paper_done, paper_total = paper_runs.done_total(paper)
prose["r001_paper_done"] = paper_done
prose["r001_paper_total"] = paper_total

# %% tags=["remove-input"]
prose.say(
    """
Done so far at the paper budget: {r001_paper_done} of
{r001_paper_total} images.
"""
)

# %% [markdown]
# ## The non-ideal case: random kernels
#
# Each BSD100 image is blurred by its own DIV2KRK-style anisotropic kernel and
# subsampled. ZSSR is run twice on the same LR: once told the true kernel (its sons
# and back-projection use it; the reference's given-kernel settings), once assuming
# bicubic.

# %%
nonideal, variants = [], []
for scale in nonideal_scales:
    base, extra = report001.nonideal_runs(
        scale,
        nonideal_images,
        nonideal_variants,
        vdsr_backbone=vdsr_backbone and scale == 2,
        ctx=ctx,
        seed=seed,
    )
    nonideal += base
    variants += extra
display(plots.style_table(zssr_tables.summary([*nonideal, *variants])))

# %% [markdown]
# Each variant against plain ZSSR (assuming bicubic) on the same images, beside the
# difference the report measured:

# %%
display(plots.style_table(report001.variants_beside_report([*nonideal, *variants])))
display(plots.style_table(report001.variants_status(variants)))
findings = report001.findings(ideal, nonideal, variants)
prose.update(findings)

# %% [markdown]
# ## The blind case: ZSSR with KernelGAN's kernel
#
# A user does not know the kernel. The report's estimated-kernel column used the
# estimator of Michaeli and Irani (2013); we use KernelGAN (Bell-Kligler, Shocher and
# Irani 2019), the internal estimator that ZSSR is now paired with. It needs nothing
# but the LR image: a deep linear generator downscales crops of the image by 2, a
# patch discriminator learns to tell its output from crops of the image itself, and
# the generator learns to fool it, under the paper's constraints (its kernel sums to
# one, has no mass at its boundary, is centred and sparse, and starts near
# bicubic). The generator's kernel is the estimate; the ×4 kernel is the ×2 one
# composed with itself. ZSSR then uses it as it would the true kernel. Our
# generator applies its composed kernel once, so the kernel is exactly the
# operator it applies (the authors' strides its first layer, which their kernel
# ignores); the budget is the paper's 3000 steps in `quick` as in `paper`.


# %%
blind = report001.blind_sets(blind_images, blind_div2krk, ctx=ctx, seed=seed)
bsd = blind["blind_x2"]
prose.update(report001.all_blind_findings(blind))

# %% tags=["remove-input"]
prose.say(
    """
On the first {blind_x2_n} random-kernel BSD100 images (×2), ZSSR told
the true kernel, KernelGAN's estimate, or nothing (it assumes bicubic), image by
image; then, per image, what the estimate gained over assuming bicubic, the
estimate's distance to the true kernel
($\\lVert k - k_\text{{true}} \rVert / \\lVert k_\text{{true}} \rVert$, 0 when exact)
beside the bicubic kernel's, its *excess blur* (the largest eigenvalue of
$C_\text{{est}} - C_\text{{true}}$, the kernels' covariances in pixels²: positive when
the estimate is wider than the truth in some direction) and KernelGAN's health by
the rule of the protocol chapter (on its own objective, how well its output fools
the discriminator, against bicubic's):
"""
)

# %%
display(plots.table_or_note(report001.blind_table(bsd)))
display(plots.table_or_note(report001.blind_kernel_table(bsd)))
display(Markdown(plots.provenance_caption(list(bsd.values()))))

# %% [markdown]
# The published values beside them: the report's non-ideal table and KernelGAN's
# Table 1 on DIV2KRK (over its 100 images; ours are the first few of the 13 shipped).

# %%
display(plots.style_table(report001.blind_published()))

# %% tags=["remove-input"]
prose.say(
    """
Averaged over those images, the estimate gains
{blind_x2_est_minus_assumed:+.2f} dB over assuming bicubic (it wins on
{blind_x2_wins} of {blind_x2_n}) and is
{blind_x2_est_minus_true:+.2f} dB from the true kernel; the report's
estimated kernel was {paper_true_vs_estimated:+.2f} dB below its true
one. The mean hides one image: on {blind_x2_worst} the estimate costs
{blind_x2_worst_loss:+.2f} dB against assuming bicubic, while on the
other images it gains {blind_x2_rest_est_minus_assumed:+.2f} dB on
average. The kernel distance does not tell that image apart; the excess blur does:
{blind_x2_worst_excess:.2f} px² there, at most
{blind_x2_rest_max_excess:.2f} px² on the others. Where the estimate is
narrower than the truth, ZSSR only under-corrects, as it does when it assumes
bicubic, and still gains; where it claims blur along a direction that the image
does not have, ZSSR learns faithfully to undo that blur from the image's own
sons (its reconstruction error falls and the run trains by the health rule) and
sharpens the image beyond the truth along that direction. The PSNR of its
output against the HR image over the iterations shows it on that image: the run
with the estimated kernel first gains, then falls below bicubic as it learns to
invert the wrong kernel.
"""
)

# %% tags=["hide-input"]
fig = report001.plot_blind_traces(bsd)
plt.show()


# %%
blind_seeds_runs = report001.blind_seed_runs(blind_images, blind_seeds, ctx=ctx)
prose.update(report001.blind_seed_findings(blind_seeds_runs))

# %% tags=["remove-input"]
prose.say(
    """
The same five images once per seed (KernelGAN's crops and initialisation and
ZSSR's sampling change; the images and kernels do not), then each image's gain
over assuming bicubic as the mean ± sd over the seeds: over
{blind_x2_seeds} seeds, the estimate gains
{blind_x2_est_minus_assumed_mean:+.2f} ±
{blind_x2_est_minus_assumed_sd:.2f} dB over assuming bicubic and costs
{blind_x2_true_minus_est_mean:.2f} ±
{blind_x2_true_minus_est_sd:.2f} dB against the true kernel. Over all
{blind_x2_pairs} (image, seed) pairs, the estimate's excess blur and
its gain over assuming bicubic correlate with r =
{blind_x2_excess_corr:.2f} (Pearson): the wider the estimate than the
truth, the less it helps.
"""
)

# %%
display(plots.table_or_note(report001.blind_seed_table(blind_seeds_runs)))
display(
    Markdown(
        plots.provenance_caption(
            [r for runs in blind_seeds_runs for r in runs.values()]
        )
    )
)

# %% tags=["hide-input"]
fig = report001.plot_blind_seeds(blind_seeds_runs)
plt.show()

# %% tags=["remove-input"]
prose.say(
    """
BSD100's LR images are small, a few hundred pixels a side at ×2, so KernelGAN
sees far fewer patches than on the 2K DIV2KRK images it was designed for; the
same on DIV2KRK's own images (its LR files and kernels), at ×2 and ×4. A 2K image
costs ZSSR {blind_div2krk_x2_zssr_seconds:.0f} s (×2) and
{blind_div2krk_x4_zssr_seconds:.0f} s (×4) per run on one core of this
CPU (precision: {blind_div2krk_x2_precision}; the BSD100 runs above:
{blind_x2_precision}), so we run the first
{blind_div2krk_x2_n} images (×2) and {blind_div2krk_x4_n}
(×4) of the 13 shipped. ×2:
"""
)

# %%
for scale in (2, 4):
    key = report001.blind_key("DIV2KRK", scale)
    if key not in blind:
        display(Markdown(f"*DIV2KRK ×{scale}: not run in this build.*"))
        continue
    if scale == 4:
        display(Markdown("×4:"))
    display(plots.table_or_note(report001.blind_table(blind[key])))
    display(plots.table_or_note(report001.blind_kernel_table(blind[key])))
    display(Markdown(plots.provenance_caption(list(blind[key].values()))))

# %%
kernel_records = report001.kernel_runs_on(kernel_images, ctx=ctx.replace(partial=True))
prose.update(report001.kernel_findings(kernel_records))

# %% tags=["remove-input"]
prose.say(
    """
On DIV2KRK the estimate gains {blind_div2krk_x2_est_minus_assumed:+.2f}
dB (×2, wins on {blind_div2krk_x2_wins} of
{blind_div2krk_x2_n}) and
{blind_div2krk_x4_est_minus_assumed:+.2f} dB (×4, wins on
{blind_div2krk_x4_wins} of {blind_div2krk_x4_n}) over
assuming bicubic; KernelGAN's paper, over its 100 images, reports
{paper_kernelgan_gain_x2:+.2f} and
{paper_kernelgan_gain_x4:+.2f} dB for the same comparison (its
ZSSR-with-bicubic-kernel values unverified). Against the true kernel the estimate
is {blind_div2krk_x2_est_minus_true:+.2f} dB (×2) and
{blind_div2krk_x4_est_minus_true:+.2f} dB (×4). The verdict table at
the top of the chapter judges both gains by the book's rule, and a gain resting
on a run that did not train is not judged: ZSSR runs that did not train by the
health rule, ×2: {blind_div2krk_x2_not_trained_which}; ×4:
{blind_div2krk_x4_not_trained_which}. An under-fitted run ended less
far below bicubic interpolation on its own reconstruction test than the rule
asks (the protocol chapter states the margin):
at `quick`'s 500 iterations ZSSR assuming bicubic had not yet learnt a ×4
inverse that beats the interpolation on that image's sons.

KernelGAN alone, against the true kernels of random-kernel BSD100 (×2: its ×4 LR
images are too small for KernelGAN's crops) and of DIV2KRK's own images (its blur
kernels, ×2 and ×4). One estimate costs
{kernelgan_s_per_image:.0f} s on one core of this CPU.
"""
)

# %% tags=["hide-input"]
display(plots.table_or_note(report001.kernel_table(kernel_records)))
fig = report001.plot_kernels(kernel_records, data_root=data_root)
plt.show()

# %% [markdown]
# ## Visual crops

# %% tags=["remove-input"]
prose.say(
    """
Crops of the first image of each run, beside bicubic and HR.
Each run keeps its output on the central {crop_box}-pixel square of
the image; the panels show the {crop_detail}-pixel window of that square
with the most HR detail (the largest gradient energy), each titled with its PSNR
on that window.
"""
)

# %% tags=["hide-input"]
for title, views in report001.crop_views(
    [*ideal, *nonideal], data_root, results
).items():
    fig = plots.plot_crops(views, title=title)
    plt.show()

# %% [markdown]
# ## What we measured
#
# The numbers below are computed from the runs above.

# %%
findings |= report001.all_blind_findings(blind)
findings |= report001.blind_seed_findings(blind_seeds_runs)
findings |= report001.kernel_findings(kernel_records)
blind_records = {  # by key: seed 0 is in both
    r.key: r for runs in [*blind.values(), *blind_seeds_runs] for r in runs.values()
}.values()
ours = init["srcore (init 1.0, lr guard)"]
health_counts = tables.not_trained(
    [*ideal, *spread, *ours, *nonideal, *variants, *blind_records]
)
for key, value in health_counts.items():
    prose[f"health_{key}"] = value

report_claims = claims.report001_claims(
    findings,
    spread,
    claims.report001_health(
        [*ideal, *spread], nonideal, variants, blind, blind_seeds_runs
    ),
    paper=paper_runs.set5_cells(ctx),  # a complete paper cell decides its row
    paper_x4_gradual=paper_runs.read(paper_runs.SET5_X4_GRADUAL, ctx),
)

# %% tags=["remove-input"]
prose.say(
    """
* **Training health** (the protocol chapter's rule): of the
  {health_runs} optimisations in this chapter's tables,
  {health_not_trained} did not train and {health_unchecked}
  were made before the rule (their tables say "not recorded"); each is flagged in the
  `trained` column of its table.
"""
)

# %% tags=["remove-input"]
prose.say(
    """
* **Ideal case**, Set5 ({ideal_set5_x2_n} images), ZSSR against bicubic:
  ×2 {ideal_set5_x2_psnr:.2f} vs {ideal_set5_x2_bicubic:.2f}
  dB ({ideal_set5_x2_gain:+.2f} dB), ×3
  {ideal_set5_x3_psnr:.2f} vs {ideal_set5_x3_bicubic:.2f} dB
  ({ideal_set5_x3_gain:+.2f} dB), ×4 {ideal_set5_x4_psnr:.2f}
  vs {ideal_set5_x4_bicubic:.2f} dB ({ideal_set5_x4_gain:+.2f}
  dB), in {ideal_set5_x2_iters:.0f}, {ideal_set5_x3_iters:.0f}
  and {ideal_set5_x4_iters:.0f} iterations on average. The published
  ZSSR, after up to 3000 iterations: {ideal_set5_x2_published:.2f},
  {ideal_set5_x3_published:.2f} and
  {ideal_set5_x4_published:.2f} dB.
* With the gradual ×2 → ×4 increments, ZSSR ×4 reaches
  {ideal_set5_x4g_psnr:.2f} dB ({ideal_set5_x4g_gain:+.2f} dB
  over bicubic) in {ideal_set5_x4g_iters:.0f} iterations on average.
* **Non-ideal case** ({nonideal_x2_n} BSD100 images), ZSSR with the true
  kernel against ZSSR assuming bicubic and bicubic interpolation: ×2
  {nonideal_x2_true:.2f}, {nonideal_x2_assumed:.2f} and
  {nonideal_x2_bicubic:.2f} dB (knowing the kernel:
  {nonideal_x2_gain:+.2f} dB); ×4 {nonideal_x4_true:.2f},
  {nonideal_x4_assumed:.2f} and {nonideal_x4_bicubic:.2f} dB
  ({nonideal_x4_gain:+.2f} dB). The paper, ×2: the true kernel gains
  {paper_true_vs_estimated:+.2f} dB over an estimated one and
  {paper_true_vs_edsr:+.1f} dB over EDSR+.
* **Blind case**, ZSSR with KernelGAN's kernel against ZSSR assuming bicubic:
  BSD100 ×2 ({blind_x2_n} images) {blind_x2_estimated:.2f}
  vs {blind_x2_assumed:.2f} dB, winning on {blind_x2_wins};
  its one large loss ({blind_x2_worst}) is the estimate with by far
  the largest excess blur. Over {blind_x2_seeds} seeds the estimate
  gains {blind_x2_est_minus_assumed_mean:+.2f} ±
  {blind_x2_est_minus_assumed_sd:.2f} dB. DIV2KRK ×2
  ({blind_div2krk_x2_n} images)
  {blind_div2krk_x2_estimated:.2f} vs
  {blind_div2krk_x2_assumed:.2f} dB and ×4
  ({blind_div2krk_x4_n}) {blind_div2krk_x4_estimated:.2f} vs
  {blind_div2krk_x4_assumed:.2f} dB, with the true kernel
  {blind_div2krk_x2_true:.2f} and {blind_div2krk_x4_true:.2f}
  dB and bicubic interpolation {blind_div2krk_x2_bicubic:.2f} and
  {blind_div2krk_x4_bicubic:.2f} dB. KernelGAN's paper (100 images):
  {paper_kernelgan_x2:.2f} and {paper_kernelgan_x4:.2f} dB.
* **Variants** against plain ZSSR (assuming bicubic) on the same images: pixel
  shuffle ×2 {variant_shuffle_x2_psnr:.2f} dB
  ({variant_shuffle_x2_diff:+.2f} dB; the report:
  {variant_shuffle_x2_report_diff:+.2f} dB), ×4
  {variant_shuffle_x4_psnr:.2f} dB
  ({variant_shuffle_x4_diff:+.2f} dB; the report:
  {variant_shuffle_x4_report_diff:+.2f} dB). The VDSR backbone, ×2:
  {variant_vdsr_only_x2_psnr:.2f} dB before any internal training
  ({variant_vdsr_only_x2_diff:+.2f} dB; not in the report) and
  {variant_vdsr_backbone_x2_psnr:.2f} dB fine-tuned by ZSSR
  ({variant_vdsr_backbone_x2_diff:+.2f} dB; the report:
  {variant_vdsr_backbone_x2_report_diff:+.2f} dB).
"""
)

# %% [markdown]
# ## Verdicts
#
# Each claim of report 001 (and of the ZSSR and KernelGAN papers it tests), beside
# what our runs measure, judged by the rule stated in the protocol chapter; the
# column "how we measured" gives the profile, images and seeds behind ours.

# %%
claim_files.publish("r001", report_claims, ctx)
display(plots.style_table(verdicts.verdict_table(report_claims)))
prose["verdict_line"] = verdicts.summary_line(report_claims)
prose.say("In short: {verdict_line}.")
