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
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from srcore import plots
from srcore.chapters import claim_files, synthesis
from srcore.chapters import verdicts as verdict_rules
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
# left out, and so are the protocol's own checks, which score no method.

# %%
baselines = [evaluate("bicubic", ds, s, ctx) for ds in datasets for s in scales]
root = results_root(ctx.results, ctx.profile)
records, skipped = synthesis.walk(root, synthesis.SKIP_DIRTY[profile])
rows = synthesis.image_rows(records)
table = synthesis.summary(rows)
drawn = synthesis.pick_groups(synthesis.comparable_groups(rows), heatmaps)
for key, value in synthesis.findings(records, skipped, table, rows, drawn).items():
    prose[key] = value
prose["tie_db"] = synthesis.TIE_DB
prose["min_images"] = synthesis.MIN_IMAGES
display(plots.style_table(synthesis.provenance_table(records)))

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
for scale in sorted(table[table.degradation == "bicubic"].scale.unique()):
    display(Markdown(f"**×{scale}**"))
    for sets in (synthesis.SETS[:2], synthesis.SETS[2:]):  # two tables fit a page
        part = synthesis.scale_table(table, scale, sets)
        if len(part.columns) > 1:
            display(plots.style_table(part))

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
prose["near_db"] = synthesis.MARGIN_DB
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
wins = synthesis.who_wins(table)
display(plots.style_table(synthesis.wins_table(wins)))
display(Markdown(synthesis.wins_story(wins, table)))
#
# The full table, with SSIM, the gain over bicubic on the same images, the number
# of images and of seeds, and the sets the page tables leave out (T91, crops):

# %% tags=["hide-output"]
display(plots.style_table(synthesis.detail_table(table, "bicubic")))

# %% [markdown]
# ### Random kernels

# %% tags=["remove-input"]
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
display(plots.style_table(synthesis.detail_table(table, "random_kernel")))

# %% [markdown]
# ## Quality against compute
#
# The gain over bicubic against the test-time seconds per image. For the supervised
# networks (SRCNN, VDSR, SRResNet, SRGAN, LapSRN) that is inference only: training
# is excluded and listed in the table below. For ZSSR, the OSR streams and DIP it is
# the whole per-image optimisation, which is their test time. Filled markers were made
# on a CPU, hollow ones on a GPU; one point per method, set and scale (bicubic LR).

# %% tags=["hide-input"]
fig = synthesis.plot_quality_vs_compute(table)
plt.show()

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
display(plots.style_table(synthesis.training_table(records)))

# %% [markdown]
# ## Image by image: who beats whom

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
for group in drawn.itertuples():
    wins = synthesis.win_loss(rows, group._asdict())
    title = f"{group.set} ×{group.scale}, {group.n_images} images"
    fig = synthesis.plot_win_loss(wins, group.n_images, title)
    plt.show()

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
counts = synthesis.verdict_summary(verdicts)
if verdicts.empty:
    display(Markdown(f"No claim is judged at the `{profile}` budget."))
else:
    shown = verdicts.drop(columns="paper").rename(columns={"source": "whose claim"})
    display(plots.style_table(shown))
    display(plots.style_table(synthesis.verdict_summary_page(counts)))
for key, value in synthesis.verdict_totals(counts).items():
    prose[key] = value

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
