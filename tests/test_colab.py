"""Colab: each notebook's first cell installs srcore on Colab only, from the book's
repository at the book's commit, keeping Colab's torch; the repository URL has one
source (``make book REPOSITORY=``, else the git remote), read by
``scripts/book_config.py``, and no committed file names a repository.

tests/test_colab_install.py runs the cell for real in a Colab-like venv.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))
PLACEHOLDER = "sr-repro/srbook"  # the organisation the book once named, never real


def first_code_cell(path: Path) -> str:
    """The first code cell of a percent-format notebook, without its marker line."""
    cells = re.split(r"^# %%.*\n", path.read_text(), flags=re.M)
    markers = re.findall(r"^# %%.*$", path.read_text(), flags=re.M)
    for marker, cell in zip(markers, cells[1:], strict=True):
        if "[markdown]" not in marker:
            return cell
    raise AssertionError(f"{path.name} has no code cell")


def load_book_config() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(
        "book_config", ROOT / "scripts" / "book_config.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_notebook_has_the_same_first_cell() -> None:
    """One install cell, not seven that drift apart."""
    cells = {path.name: first_code_cell(path).strip() for path in NOTEBOOKS}
    assert len(set(cells.values())) == 1, sorted(cells)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_cell_installs_on_colab_only(path: Path, tmp_path: Path) -> None:
    """The cell is live code (not commented out), names no repository, and outside
    Colab changes nothing: no clone, same working directory, same sys.path."""
    cell = first_code_cell(path)
    assert '"google.colab" in sys.modules' in cell
    assert "SRCORE_REPOSITORY" in cell
    assert not re.findall(r"github\.com/(?!OWNER/REPO)[\w.-]+/[\w.-]+", cell)
    assert not re.search(r"^# *[!%]", cell, flags=re.M), "commented-out set-up"
    cwd, path_before = os.getcwd(), list(sys.path)
    os.chdir(tmp_path)
    try:
        exec(compile(cell, str(path), "exec"), {})
        assert os.getcwd() == str(tmp_path)
        assert not any(tmp_path.iterdir())
        assert sys.path == path_before
    finally:
        os.chdir(cwd)
        sys.path[:] = path_before


@pytest.fixture
def on_colab(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[list[str]]:
    """A pretend Colab without srcore: ``google.colab`` imported, ``srcore`` not
    findable, and every command the cell runs recorded instead of run."""
    google = types.ModuleType("google")
    colab = types.ModuleType("google.colab")
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "srcore" else find_spec(name, *a),
    )
    commands: list[list[str]] = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: commands.append(cmd))
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.chdir(tmp_path)
    return commands


def run_first_cell(tmp_path: Path) -> str:
    exec(compile(first_code_cell(NOTEBOOKS[0]), "cell", "exec"), {})
    return str(tmp_path / "srbook")


def test_on_colab_the_cell_installs_the_named_commit_keeping_torch(
    on_colab: list[list[str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from importlib.metadata import version

    monkeypatch.setenv("SRCORE_REPOSITORY", "file:///srv/git/srbook.git@0123abc")
    checkout = run_first_cell(tmp_path)
    clone, checkout_commit, pip = on_colab
    assert clone[-2:] == ["file:///srv/git/srbook.git", checkout]
    assert checkout_commit[-1] == "0123abc"
    assert pip[:2] == [sys.executable, "-m"]
    assert pip[pip.index("-e") + 1] == checkout
    assert f"torch=={version('torch')}" in pip
    assert f"torchvision=={version('torchvision')}" in pip
    assert sys.path[0] == checkout


def test_on_colab_the_cell_finds_the_notebook_it_was_opened_from(
    on_colab: list[list[str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without SRCORE_REPOSITORY: the GitHub repository and commit in the path of
    Colab's Jupyter session (what the launch button opened)."""
    import socket
    import urllib.request

    monkeypatch.delenv("SRCORE_REPOSITORY", raising=False)
    path = "fileId=" + quote(
        "https://github.com/owner/book/blob/9f8e7d6/notebooks/x.ipynb", safe=""
    )
    sessions = json.dumps([{"path": path, "name": "x.ipynb"}]).encode()
    asked: list[str] = []

    def urlopen(url: str, timeout: float) -> io.BytesIO:
        asked.append(url)
        return io.BytesIO(sessions)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    monkeypatch.setattr(socket, "gethostbyname", lambda host: "172.28.0.12")
    run_first_cell(tmp_path)
    assert asked == ["http://172.28.0.12:9000/api/sessions"]
    assert on_colab[0][-2] == "https://github.com/owner/book"
    assert on_colab[1][-1] == "9f8e7d6"


def test_no_committed_file_names_a_repository() -> None:
    """The URL's one source is the build's: the placeholder is gone everywhere, and
    the README links to no particular GitHub repository or Colab notebook."""
    found = subprocess.run(
        ["git", "grep", "-l", PLACEHOLDER, "--", ".", ":!tests/test_colab.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert found.stdout == ""
    readme = (ROOT / "README.md").read_text()
    github = re.findall(r"https://github\.com/[\w.-]+/[\w.-]+", readme)
    assert github == ["https://github.com/OWNER/REPO"] * len(github), github
    assert "colab.research.google.com/github/" not in readme


def test_config_names_no_repository_and_front_page_says_so() -> None:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert not config["repository"]["url"]
    assert not config["launch_buttons"]["colab_url"]
    assert "no launch buttons" in config["parse"]["myst_substitutions"]["colab"]
    assert "{{ colab }}" in (ROOT / "book" / "intro.md").read_text()


def build_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str, remote: str = ""
) -> dict:
    """What scripts/book_config.py writes, with ``remote`` as the git remote."""
    module = load_book_config()
    real_git = module.git

    def git(*cmd: str) -> str | None:
        if cmd[:2] == ("remote", "get-url"):
            return remote or None
        return real_git(*cmd)

    monkeypatch.setattr(module, "git", git)
    out = tmp_path / "_config.yml"
    assert module.main(["--out", str(out), *args]) == 0
    return yaml.safe_load(out.read_text())


def test_book_without_a_repository_has_no_launch_buttons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = build_config(tmp_path, monkeypatch)
    assert config["launch_buttons"]["colab_url"] == ""
    assert config["html"]["use_repository_button"] is False
    notice = config["parse"]["myst_substitutions"]["colab"]
    assert "no launch buttons" in notice and "no remote" in notice
    # the rest of _config.yml comes along unchanged
    base = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["sphinx"] == base["sphinx"]
    assert config["execute"] == base["execute"]


@pytest.mark.parametrize(
    ("args", "remote"),
    [
        ((), "git@github.com:someone/srbook.git"),
        ((), "https://github.com/someone/srbook.git"),
        (("--repository", "https://github.com/someone/srbook/"), "git@elsewhere:x/y"),
    ],
    ids=["ssh remote", "https remote", "variable over remote"],
)
def test_book_with_a_repository_launches_at_this_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple, remote: str
) -> None:
    config = build_config(tmp_path, monkeypatch, *args, remote=remote)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    assert config["repository"]["url"] == "https://github.com/someone/srbook"
    assert config["repository"]["branch"] == head
    assert config["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert head[:12] in config["parse"]["myst_substitutions"]["colab"]


def test_book_from_elsewhere_than_github_has_no_launch_buttons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = build_config(tmp_path, monkeypatch, remote="https://gitlab.com/a/b.git")
    assert config["launch_buttons"]["colab_url"] == ""
    assert "not on GitHub" in config["parse"]["myst_substitutions"]["colab"]


@pytest.mark.slow
def test_built_pages_launch_only_with_a_repository(tmp_path: Path) -> None:
    """A two-page book built (jupyter-book, as `make book` does) from each generated
    configuration: the launch button and the front page's line follow the URL."""
    book = tmp_path / "book"
    book.mkdir()
    (book / "_config.yml").write_text(
        yaml.safe_dump(
            {
                "title": "tiny",
                "execute": {"execute_notebooks": "off"},
                **{
                    k: v
                    for k, v in yaml.safe_load(
                        (ROOT / "_config.yml").read_text()
                    ).items()
                    if k in ("repository", "launch_buttons", "html", "parse")
                },
            }
        )
    )
    (book / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n- file: nb\n"
    )
    (book / "intro.md").write_text("# Intro\n\n- On Colab: {{ colab }}\n")
    notebook = {
        "cells": [{"cell_type": "markdown", "metadata": {}, "source": "# NB"}],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (book / "nb.ipynb").write_text(json.dumps(notebook))
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    pages = {}
    for name, url in (("none", ""), ("github", "https://github.com/someone/srbook")):
        config = tmp_path / f"{name}.yml"
        subprocess.run(
            [
                sys.executable,
                ROOT / "scripts" / "book_config.py",
                "--out",
                config,
                "--config",
                book / "_config.yml",
                "--repository",
                url,
            ],
            check=True,
        )
        out = tmp_path / f"out-{name}"
        subprocess.run(
            [
                jupyter_book,
                "build",
                book,
                "--config",
                config,
                "--path-output",
                out,
                "-W",
                "-q",
            ],
            check=True,
        )
        html = out / "_build" / "html"
        pages[name] = {p: (html / f"{p}.html").read_text() for p in ("intro", "nb")}
    assert "colab.research.google.com" not in pages["none"]["nb"]
    assert "no launch buttons" in pages["none"]["intro"]
    assert "github.com" not in pages["none"]["intro"] + pages["none"]["nb"]
    assert (
        "colab.research.google.com/github/someone/srbook/blob/" in pages["github"]["nb"]
    )
    assert "someone/srbook" in pages["github"]["intro"]
    for page in (*pages["none"].values(), *pages["github"].values()):
        assert PLACEHOLDER not in page
