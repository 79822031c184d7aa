"""The paper-budget jobs: what they run, how the book reads them unfinished, and the
command that computes them within a budget (no GPU needed to check any of it)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path

import pytest

from srcore.chapters import paper_runs
from srcore.runs.context import RunContext

ROOT = Path(__file__).resolve().parents[1]


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_jobs_are_paper_runs_of_what_the_papers_ran(tmp_path, data_dir):
    ctx = RunContext(results=tmp_path, data_root=data_dir, progress=False)
    x2 = paper_runs.read("zssr-Set5-x2-gradual", ctx)
    model = x2.config["model"]
    assert x2.config["profile"] == "paper" and model["max_iters"] == 3000
    assert len(model["scale_factors"]) == 6  # the reference's gradual x2 config
    assert paper_runs.read("zssr-Set5-x4", ctx).config["model"]["scale_factors"] == []
    dip = paper_runs.read("dip-Set5-x4-charbonnier", ctx)
    assert dip.config["model"]["steps"] == 2000 and dip.config["eval"]["crop"] is None
    stream = paper_runs.read("osr-star-transfer", ctx)
    assert stream.config["variant"] == "zssr_star" and stream.config["transfer"]


def test_unstarted_jobs_read_as_n_of_N(tmp_path, data_dir):
    ctx = RunContext(results=tmp_path, data_root=data_dir, progress=False)
    rec = paper_runs.read("zssr-Set14-x2-gradual", ctx)
    assert (rec.done, rec.total, rec.complete) == (0, 14, False)
    table = paper_runs.table(["zssr-Set5-x3", "dip-Set5-x4-mse"], ctx)
    assert table.done.tolist() == ["0 of 5", "0 of 5"]
    assert paper_runs.done_total(table) == (0, 10)
    assert table.published.tolist() == [pytest.approx(33.42), pytest.approx(29.90)]


def test_a_spent_budget_computes_nothing_and_reports_status(tmp_path, capsys):
    script = _script("paper_runs")
    script.main(["--budget-minutes", "0", "--jobs", "zssr-Set5-x3", "--status"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(paper_runs.JOBS)
    assert all(re.search(r"\d+ of (\d+|\?) done$", line) for line in lines)


def test_gpu_script_parses_and_names_files_that_exist():
    path = ROOT / "scripts" / "gpu_check.sh"
    subprocess.run(["bash", "-n", str(path)], check=True)
    named = re.findall(r"((?:benchmarks|scripts|tests)/[\w/]+\.py)", path.read_text())
    assert len(named) >= 5
    missing = [n for n in named if not (ROOT / n).exists()]
    assert missing == []
