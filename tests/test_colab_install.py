"""Playing Colab: a notebook's first cell installs srcore beside another torch, which
it keeps, and the notebook then runs with plain ``jupyter nbconvert --execute``.

The stage, all in a temporary folder:

* a fresh venv (``python -m venv``) that sees this project's ``.venv`` packages through
  a ``.pth`` line, so nothing is downloaded, but not srcore (an editable install's
  own ``.pth`` is not read there);
* "another torch already installed": ``torch`` 2.9.0+cu126 and ``torchvision``
  0.24.0+cu126 metadata in the fresh venv, ahead of the real ones, so pip and
  ``importlib.metadata`` see those versions while the real modules import. They have
  no RECORD, so pip cannot uninstall them: if pip wanted another torch the install
  fails, and one installed beside them changes the version the kernel reports;
* ``google.colab`` faked (imported at start-up, as on Colab);
* the repository as a local git URL: a clone of this one, named with its HEAD by
  ``SRCORE_REPOSITORY=file://…@COMMIT`` (so the test runs what is committed);
* pip offline (no index, no configuration, no build isolation).

Then report 004's notebook runs with the smoke profile (its parameters set in a cell
after the parameters cell, as papermill would) and a last cell that reports what the
kernel saw.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "r004_lapsrn_real_world.ipynb"
FAKE = {"torch": "2.9.0+cu126", "torchvision": "0.24.0+cu126"}
REPORT = "COLAB-TEST "  # the last cell prints this, then JSON


def clone_head(dest: Path) -> str:
    """A bare clone of this repository at ``dest``; returns its HEAD commit (what
    the book would be built from: uncommitted changes are not in it)."""
    subprocess.run(["git", "clone", "-q", "--bare", ROOT, dest], check=True)
    return subprocess.run(
        ["git", "rev-parse", "HEAD"],
        cwd=dest,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def colab_venv(path: Path) -> Path:
    """A fresh venv that looks like a Colab runtime; returns its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", path], check=True)
    python = path / "bin" / "python"
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # This project's packages (pip, setuptools, torch, jupyter...) after the venv's own.
    (site / "project_venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    for name, version in FAKE.items():
        info = site / f"{name}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        )
        (info / "INSTALLER").write_text("colab\n")
    colab = site / "google" / "colab"  # google stays a namespace (protobuf's)
    colab.mkdir(parents=True)
    (colab / "__init__.py").write_text('"""Not Colab: the test\'s stand-in."""\n')
    (site / "zz_google_colab.pth").write_text("import google.colab\n")
    # The console scripts an install of jupyter would have put in the venv.
    for script, entry in (
        ("jupyter", "jupyter_core.command"),
        ("jupyter-nbconvert", "nbconvert.nbconvertapp"),
    ):
        path = python.parent / script
        path.write_text(
            f"#!{python}\nimport sys\nfrom {entry} import main\nsys.exit(main())\n"
        )
        path.chmod(0o755)
    return python


def smoke_notebook(source: Path, dest: Path, results: Path, data: Path) -> None:
    """``source`` with the smoke parameters set after its parameters cell and a last
    cell that prints what the kernel saw."""
    nb = nbformat.read(source, as_version=4)
    (at,) = [
        i
        for i, cell in enumerate(nb.cells)
        if "parameters" in cell.metadata.get("tags", [])
    ]
    parameters = (
        f'profile = "smoke"\nresults = {str(results)!r}\ndata_root = {str(data)!r}'
    )
    nb.cells.insert(at + 1, nbformat.v4.new_code_cell(parameters))
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "import json as _json, sys as _sys\n"
            "from importlib.metadata import version as _version\n"
            "import srcore as _srcore, torch as _torch\n"
            f"print({REPORT!r} + _json.dumps({{\n"
            "    'torch': _version('torch'),\n"
            "    'torchvision': _version('torchvision'),\n"
            "    'torch_file': _torch.__file__,\n"
            "    'srcore_file': _srcore.__file__,\n"
            "    'prefix': _sys.prefix,\n"
            "    'colab': 'google.colab' in _sys.modules,\n"
            "}))"
        )
    )
    nbformat.write(nb, dest)


def outputs(nb: nbformat.NotebookNode, mime: str) -> list[str]:
    return [
        "".join(out.get("data", {}).get(mime, ""))
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if mime in out.get("data", {})
    ]


@pytest.mark.slow
def test_colab_first_cell_keeps_torch_and_the_notebook_runs(
    tmp_path: Path, data_dir: Path
) -> None:
    repo = tmp_path / "repository.git"
    commit = clone_head(repo)
    python = colab_venv(tmp_path / "venv")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PIP_", "SRCORE_", "VIRTUAL_ENV", "JUPYTER", "PYTHON"))
    }
    env.update(
        PATH=f"{python.parent}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(tmp_path / "home"),
        TMPDIR=str(tmp_path),
        JUPYTER_PATH=str(tmp_path / "jupyter"),  # no kernelspec but the venv's own
        JUPYTER_DATA_DIR=str(tmp_path / "jupyter"),
        JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
        PIP_CONFIG_FILE=os.devnull,
        PIP_NO_INDEX="1",
        PIP_NO_BUILD_ISOLATION="0",  # pip reads "0" as --no-build-isolation
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        OMP_NUM_THREADS="1",
        SRCORE_DATA=str(data_dir),
        SRCORE_REPOSITORY=f"file://{repo}@{commit}",
    )
    before = subprocess.run(
        [
            python,
            "-c",
            "import importlib.util as u, importlib.metadata as m, sys, json; "
            "print(json.dumps([u.find_spec('srcore') is None, 'google.colab' in "
            "sys.modules, m.version('torch'), m.version('torchvision')]))",
        ],
        env=env,
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
    )
    assert json.loads(before.stdout) == [True, True, *FAKE.values()], "not staged"

    run = tmp_path / "run"  # the kernel's working folder: the cell clones into it
    run.mkdir()
    committed = tmp_path / NOTEBOOK.name
    committed.write_bytes(
        subprocess.run(
            ["git", "show", f"{commit}:notebooks/{NOTEBOOK.name}"],
            cwd=repo,
            check=True,
            capture_output=True,
        ).stdout
    )
    notebook = run / NOTEBOOK.name
    smoke_notebook(committed, notebook, tmp_path / "results", data_dir)
    executed = subprocess.run(
        [
            "jupyter",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--ExecutePreprocessor.timeout=1200",
            "--output",
            "executed.ipynb",
            notebook,
        ],
        env=env,
        cwd=run,
        capture_output=True,
        text=True,
    )
    assert executed.returncode == 0, executed.stderr[-4000:]
    nb = nbformat.read(run / "executed.ipynb", as_version=4)

    seen = [
        json.loads(line.removeprefix(REPORT))
        for text in outputs(nb, "text/plain")
        + [
            "".join(out.get("text", ""))
            for cell in nb.cells
            if cell.cell_type == "code"
            for out in cell.outputs
            if out.get("output_type") == "stream"
        ]
        for line in text.splitlines()
        if line.startswith(REPORT)
    ]
    assert len(seen) == 1, "the reporting cell printed nothing"
    (seen,) = seen
    assert seen["colab"] is True
    assert Path(seen["prefix"]) == tmp_path / "venv"
    # torch kept: the same metadata and no other torch in the venv
    assert (seen["torch"], seen["torchvision"]) == tuple(FAKE.values())
    site = Path(seen["torch_file"]).parents[1]
    assert site == Path(sysconfig.get_paths()["purelib"]), "torch was reinstalled"
    venv_torch = sorted(p.name for p in (tmp_path / "venv").rglob("torch-*.dist-info"))
    assert venv_torch == [f"torch-{FAKE['torch']}.dist-info"]
    # srcore: the commit named, cloned into the kernel's folder
    assert Path(seen["srcore_file"]).is_relative_to(run / "srbook")
    cloned = subprocess.run(
        ["git", "rev-parse", "HEAD"],
        cwd=run / "srbook",
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert cloned == commit

    # what a reader sees: the verdict table and the closing numbers, as outputs
    tables = [t for t in outputs(nb, "text/html") if "<table" in t]
    assert any(re.search(r">\s*verdict\s*<", t) for t in tables), "no verdict table"
    prose = "\n".join(outputs(nb, "text/markdown"))
    assert len(re.findall(r"[+−-]?\d+\.\d+ dB", prose)) >= 3, "no closing numbers"
    glued = [
        c.source for c in nb.cells if c.cell_type == "markdown" and "{glue" in c.source
    ]
    assert glued == [], "numbers in markdown need the book to show them"
