"""The published values are data: ``srcore/chapters/published.yaml``, shipped with the
package and read by :mod:`srcore.chapters.published`.

Each report number in it is found in the report file it cites (``../shared/reports``
next to the repository; present in CI), a value the data holds twice (a paper's value
and a report's quote of it) is the same in both places, and the file is package data.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from importlib import resources
from pathlib import Path

import pytest
import yaml

from srcore.chapters import published

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DATA = "published.yaml"


@pytest.fixture(scope="module")
def data() -> dict:
    text = resources.files("srcore.chapters").joinpath(DATA).read_text("utf-8")
    return yaml.safe_load(text)


def report_scores(data: dict) -> dict[str, list[float]]:
    """Every PSNR/SSIM a report printed, by the report file its table cites."""
    r000, r001, ideal = data["REPORT_000"], data["REPORT_001"], data["REPORT_001_IDEAL"]
    nonideal, r002 = data["REPORT_001_NONIDEAL"], data["REPORT_002"]
    scores = {
        r000["source"]: [
            x for t in ("table1", "table2") for v in r000[t].values() for x in v
        ],
        r001["source"]: [x for v in r001["perceptual"].values() for x in v]
        + [x for s in r001["variants"].values() for v in s.values() for x in v],
        ideal["source"]: [x for row in ideal["rows"] for v in row[2:] for x in v],
        nonideal["source"]: [x for v in nonideal["values"].values() for x in v],
        r002["source"]: [r002["srcnn_psnr"], r002["bicubic_psnr"]],
    }
    for r in (data["REPORT_003"], data["REPORT_004"]):
        scores[r["source"]] = [x for row in r["table"] for x in row[1:]]
    return scores


def test_every_report_number_is_in_the_report_it_cites(data: dict) -> None:
    if not (SHARED / "reports").is_dir():
        pytest.skip(f"report files not found: {SHARED / 'reports'}")
    for source, values in report_scores(data).items():
        text = (ROOT.parent / source.split(",")[0]).read_text("utf-8")
        printed = [float(x) for x in re.findall(r"\d+\.\d+", text)]
        for value in values:
            # as printed, or rounded to the digits the book keeps (28.2625 -> 28.26)
            digits = len(repr(value).split(".")[1])
            found = any(round(x, digits) == value for x in printed)
            assert found, f"{value} is not in {source}"


def test_a_value_held_twice_is_the_same_in_both_places() -> None:
    kim = {(r.method, r.dataset, r.scale): (r.psnr, r.ssim) for r in published.ANCHORS}
    for (dataset, scale), row in published.REPORT_001_IDEAL.items():
        for method in ("SRCNN", "VDSR", "ZSSR"):  # Kim et al.'s block, ZSSR's Table 1
            assert row[method] == kim[method, dataset, scale], (method, dataset)
    for dataset, (dip, _) in published.DIP_PAPER["x4"].items():
        assert published.anchor("DIP", dataset, 4).psnr == dip


def test_every_literature_value_has_a_source_and_a_tag() -> None:
    for r in published.KIM2016_TABLE2 + published.ANCHORS:
        assert r.source and r.tag in ("V", "P", "U"), r


def test_the_data_file_is_package_data() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["srcore"]
    assert any(fnmatch.fnmatch(f"chapters/{DATA}", p) for p in patterns)
    assert (ROOT / "srcore" / "chapters" / DATA).is_file()
