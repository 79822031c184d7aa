"""Published numbers as data, the comparison with ours, and the figure helpers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import torch

from srcore import plots
from srcore.chapters import published
from srcore.runs.results import RunRecord


def test_published_bicubic_block_is_complete_and_sourced():
    table = published.published_table("Bicubic")
    assert len(table) == 12  # 4 sets x 3 scales
    row = table[(table.dataset == "Set5") & (table.scale == 2)].iloc[0]
    assert (row.psnr, row.ssim) == (33.66, 0.9299)
    assert table["source"].str.contains("Kim").all()
    assert set(published.published_table()["tag"]) <= {"V", "P"}


def test_comparison_and_verdict():
    ours = pd.DataFrame(
        [
            {"dataset": "Set5", "scale": 2, "psnr": 33.65, "ssim": 0.9296},
            {"dataset": "Set14", "scale": 4, "psnr": 25.90, "ssim": 0.7027},
        ]
    )
    table = published.compare_with_published(ours)
    assert table["d_psnr"].round(3).tolist() == [-0.01, -0.1]
    found = published.agreement(table, 0.02, 0.003)
    assert (found["n_within"], found["n_rows"]) == (1, 2)
    assert found["outside"] == "Set14 ×4" and not found["all_within"]


def _record(key: str, commit: str, date: str, dirty: bool = False) -> RunRecord:
    return RunRecord(
        key=key,
        method="bicubic",
        config={"profile": "quick", "dataset": "Set5", "model": {"seed": 0}},
        per_image=[{"image": "baby"}, {"image": "bird"}],
        provenance={
            "hardware": "CPU X",
            "device": "cpu",
            "commit": commit,
            "dirty": dirty,
            "date": date,
            "torch": "2.9",
        },
    )


def test_provenance_caption_is_one_line_over_a_collapsed_list():
    caption = plots.provenance_caption([_record("k1", "abc1234def", "2026-11-01")])
    line = caption.split("<summary>")[1].split("</summary>")[0]
    assert line == (
        "Made with: profile quick · 2 images · seed 0 · CPU X (cpu) · commit abc1234"
    )
    assert caption.startswith('<details class="provenance">')
    assert caption.endswith("</details>") and "\n\n" not in caption
    # the full list: one line per record, with its key, date and torch
    assert caption.count("<li>") == 1
    for part in ("k1", "2026-11-01", "torch 2.9"):
        assert part in caption.split("</summary>")[1]


def test_provenance_caption_counts_commits_and_never_says_dirty():
    records = [
        _record("k1", "abc1234def", "2026-11-01"),
        _record("k2", "fed4321cba", "2026-11-02", dirty=True),
    ]
    caption = plots.provenance_caption(records)
    line = caption.split("</summary>")[0]
    assert "2 commits, latest fed4321" in line and "uncommitted" not in line
    assert caption.count("<li>") == 2
    assert caption.count("uncommitted code") == 1
    assert "dirty" not in caption.replace('class="provenance"', "")
    assert plots.provenance_caption([]) == "No records."


def test_figures_draw_the_requested_panels():
    imgs = {"a": torch.rand(1, 3, 32, 32), "b": torch.rand(1, 1, 32, 32)}
    fig = plots.plot_crops(imgs, (4, 4, 8, 8), full="a")
    assert len(fig.axes) == 3
    assert fig.axes[1].images[0].get_array().shape[:2] == (8, 8)
    gallery = plots.plot_kernel_gallery([torch.ones(3, 3)] * 5, list("abcde"), cols=4)
    assert sum(bool(ax.images) for ax in gallery.axes) == 5


def test_crops_show_the_detail_with_each_panels_psnr():
    """Without a box, the crop is the window of most HR detail; every panel but HR is
    titled with its PSNR there, and more panels than ``cols`` wrap into rows."""
    hr = torch.full((1, 3, 48, 48), 0.5)
    hr[..., 30:46, 2:18] = torch.rand(
        1, 3, 16, 16, generator=torch.Generator().manual_seed(0)
    )
    top, left, h, w = plots.detail_box(hr, 16)
    assert abs(top - 30) <= 1 and abs(left - 2) <= 1 and (h, w) == (16, 16)
    views = {"a": hr * 0.9, "b": hr, "c": hr, "d": hr, "HR": hr}
    fig = plots.plot_crops(views, title="t", cols=3)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles[0].startswith("a\n") and titles[0].endswith(" dB")
    assert titles[-1] == "HR"
    assert len(fig.axes) == 6  # 2 rows of 3, one left empty
    matplotlib.pyplot.close(fig)
