"""Notebooks: paired .py/.ipynb in sync, readable, runnable under papermill (smoke)."""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import papermill
import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.py"))


#: Fewer seeds in the smoke runs of the two ZSSR chapters (CI's budget): two seeds
#: still make a spread, one still makes the init comparison's before/after.
SMOKE_PARAMETERS = {
    "r001_zssr_review": {"spread_seeds": [0, 1], "init_seeds": [0]},
    "r001b_blind_kernels": {
        "blind_images": 1,
        "blind_div2krk": 0,
        "blind_seeds": [0],
        "kernel_images": 1,
    },
    "r000_online_sr": {"stream_seeds": [0, 1]},
}


def _cells(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks/*.py found"


@pytest.mark.parametrize("py", NOTEBOOKS, ids=lambda p: p.stem)
def test_pair_in_sync_and_committed_without_outputs(py):
    ipynb = py.with_suffix(".ipynb")
    assert ipynb.exists(), f"{ipynb.name} missing: run `jupytext --sync {py.name}`"
    from_py = jupytext.read(py)
    from_ipynb = nbformat.read(ipynb, as_version=4)
    assert _cells(from_py) == _cells(from_ipynb), f"{py.name} and {ipynb.name} differ"
    assert from_ipynb.metadata["kernelspec"]["name"] == "python3"
    for cell in from_ipynb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs, f"{ipynb.name} is committed with outputs"


#: A chapter stays readable in one sitting (issue 23): split one that outgrows this.
MAX_LINES = 900


@pytest.mark.parametrize("py", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_readable(py):
    """One parameters cell, the Colab set-up first, no glue role left in the
    markdown (Colab would show it raw) and at most :data:`MAX_LINES` lines."""
    nb = jupytext.read(py)
    code = [c for c in nb.cells if c.cell_type == "code"]
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and "profile" in params[0].source
    assert "colab" in code[0].source.lower(), "first code cell must be the Colab set-up"
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            assert "{glue" not in cell.source, cell.source[:200]
    assert len(py.read_text().splitlines()) <= MAX_LINES


@pytest.mark.parametrize("py", NOTEBOOKS, ids=lambda p: p.stem)
def test_runs_under_papermill_smoke(py, data_dir, tmp_path):
    out = tmp_path / f"{py.stem}.out.ipynb"
    papermill.execute_notebook(
        str(py.with_suffix(".ipynb")),
        str(out),
        parameters={
            "profile": "smoke",
            "results": str(tmp_path / "results"),
            **SMOKE_PARAMETERS.get(py.stem, {}),
        },
        kernel_name="python3",
        cwd=str(py.parent),
        progress_bar=False,
    )
    executed = nbformat.read(out, as_version=4)
    images = [
        o
        for c in executed.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "image/png" in o.get("data", {})
    ]
    assert images, "the notebook produced no figure"
    assert list((tmp_path / "results").rglob("*.json")), "no result records written"


def _committed_files() -> dict[str, int]:
    root = REPO / "book" / "results"
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*")}


def test_smoke_run_without_a_results_folder_leaves_book_results_alone(
    data_dir, tmp_path, monkeypatch
):
    """`papermill ... -p profile smoke` with no results folder: the smoke records go
    to the temporary smoke folder, and book/results is not touched."""
    monkeypatch.delenv("SRCORE_RESULTS", raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the smoke folder of this test
    before = _committed_files()
    papermill.execute_notebook(
        str(REPO / "notebooks" / "00_protocol.ipynb"),
        str(tmp_path / "out.ipynb"),
        parameters={"profile": "smoke"},
        kernel_name="python3",
        cwd=str(REPO / "notebooks"),
        progress_bar=False,
    )
    assert _committed_files() == before
    assert list(tmp_path.glob("srcore-smoke-results-*/*/*.json"))
