"""Colab: one repository URL (``_config.yml``) behind every launch button, README link
and first notebook cell; that cell installs the package on Colab only."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))


def repository() -> tuple[str, str]:
    """``(url, branch)`` of ``_config.yml``'s ``repository`` block."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    return config["url"].rstrip("/"), config.get("branch", "main")


def first_code_cell(path: Path) -> str:
    """The first code cell of a percent-format notebook, without its marker line."""
    cells = re.split(r"^# %%.*\n", path.read_text(), flags=re.M)
    markers = re.findall(r"^# %%.*$", path.read_text(), flags=re.M)
    for marker, cell in zip(markers, cells[1:], strict=True):
        if "[markdown]" not in marker:
            return cell
    raise AssertionError(f"{path.name} has no code cell")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_cell_installs_on_colab_only(path: Path, tmp_path: Path) -> None:
    """The cell is live code (not commented out), names the configured repository,
    and outside Colab changes nothing: no clone, same working directory."""
    cell = first_code_cell(path)
    url, _ = repository()
    assert '"google.colab" in sys.modules' in cell
    assert f'REPOSITORY = "{url}"' in cell
    assert not re.search(r"^# *[!%]", cell, flags=re.M), "commented-out set-up"
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        exec(compile(cell, str(path), "exec"), {})
        assert os.getcwd() == str(tmp_path)
        assert not any(tmp_path.iterdir())
    finally:
        os.chdir(cwd)


def test_readme_links_use_the_configured_repository() -> None:
    """Every GitHub or Colab link of the README points at ``repository.url``."""
    url, branch = repository()
    owner_repo = url.removeprefix("https://github.com/")
    text = (ROOT / "README.md").read_text()
    github = re.findall(r"https://github\.com/[\w.-]+/[\w.-]+", text)
    colab = re.findall(r"https://colab\.research\.google\.com/github/[^\s`)]+", text)
    assert colab, "the README has no Colab link"
    for link in github:
        assert link == url, link
    for link in colab:
        prefix = f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/"
        assert link.startswith(prefix), link
        assert (ROOT / link.removeprefix(prefix)).exists(), link
