"""How the book shows a table: human headers, formats by unit, folded constants."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

import pandas as pd

from srcore.tableformat import HEADERS, RAW_NAMES, style_table


def cells(styler) -> tuple[list[str], list[list[str]], str | None]:
    """Visible headers, visible cells by row, and the caption of a Styler."""
    html = styler.to_html()
    heads = re.findall(r'class="col_heading[^"]*" >(.*?)</th>', html)
    rows = [
        re.findall(r'<td id="[^"]*" class="data[^"]*" >(.*?)</td>', row)
        for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)[1:]
    ]
    return heads, rows, styler.caption


def test_headers_are_human_and_formats_follow_the_unit():
    table = pd.DataFrame(
        {
            "method": ["ZSSR", "Bicubic"],
            "dataset": ["Set5", "Set14"],
            "psnr": [36.807391, 30.0],
            "gain_db": [3.159, -0.01],
            "ssim": [0.954412, 0.9],
            "iterations": [500.0, 437.0],
            "s_per_image": [347.213, 0.0123],
            "rec_ratio": [0.8312, 1.5],
            "params": [57281, 8129],
            "variant (ours)": [26.2007, 25.0],
        }
    )
    heads, rows, caption = cells(style_table(table))
    assert heads == [
        "method",
        "set",
        "PSNR (dB)",
        "Δ vs bicubic (dB)",
        "SSIM",
        "iterations",
        "s per image",
        "error / interpolation's",
        "parameters",
        "variant (ours)",
    ]
    assert rows[0] == [
        "ZSSR",
        "Set5",
        "36.81",
        "+3.16",
        "0.9544",
        "500",
        "347",
        "0.831",
        "57281",
        "26.20",
    ]
    assert rows[1][3] == "-0.01" and rows[1][6] == "0.0123" and rows[1][7] == "1.50"
    assert caption is None


def test_digits_override_but_a_db_value_keeps_at_most_3_decimals():
    table = pd.DataFrame({"d_psnr": [-0.01141, 0.02], "s_per_step": [0.05712, 1.0]})
    _, rows, _ = cells(style_table(table, {"d_psnr": 5, "s_per": 3}))
    assert rows == [["-0.011", "0.057"], ["+0.020", "1.000"]]


def test_a_constant_context_column_moves_to_the_caption():
    table = pd.DataFrame(
        {"dataset": ["Set5"] * 2, "scale": [2, 3], "n_images": [5, 5], "psnr": [1, 2]}
    )
    heads, rows, caption = cells(style_table(table, caption="ours"))
    assert heads == ["scale", "PSNR (dB)"] and rows == [["2", "1.00"], ["3", "2.00"]]
    assert caption == "ours · set: Set5 · images: 5"
    # one row: nothing to fold; missing values as a dash
    one = pd.DataFrame({"dataset": ["Set5"], "psnr": [None]})
    heads, rows, caption = cells(style_table(one))
    assert heads == ["set", "PSNR (dB)"] and rows == [["Set5", "–"]] and not caption


def test_a_chained_format_still_names_raw_columns():
    table = pd.DataFrame({"max_abs_down": [1.4e-13]})
    _, rows, _ = cells(style_table(table).format({"max_abs_down": "{:.1e}"}))
    assert rows == [["1.4e-13"]]


def test_every_header_is_in_words():
    assert not [h for h in HEADERS.values() if "_" in h or h in RAW_NAMES]
    assert {"psnr", "dataset", "ssim"} <= RAW_NAMES


def test_headers_are_package_data_and_all_text():
    """``srcore/manifests/table_headers.yaml`` ships; YAML read every name and header
    as text (an unquoted ``no`` or ``1e3`` would have become a bool or a number)."""
    repo = Path(__file__).resolve().parents[1]
    pyproject = tomllib.loads((repo / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["srcore"]
    assert any(fnmatch.fnmatch("manifests/table_headers.yaml", p) for p in patterns)
    assert all(type(k) is str and type(v) is str for k, v in HEADERS.items())
    assert list(HEADERS)[:3] == ["dataset", "n_images", "n"]
    assert HEADERS["gain_db"] == "Δ vs bicubic (dB)"
