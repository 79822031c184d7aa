"""The ways of installing and running the project agree with each other.

pyproject.toml is the source of truth; environment.yml must list the same packages with
the same specifiers, torch and torchvision are pinned exactly in both, and the README's
quick start is exactly what CI runs.
"""

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
EXACT_PINS = {"torch": "==2.14.1", "torchvision": "==0.29.1"}


def normalise(name: str) -> str:
    """PEP 503 name normalisation: case, `-`, `_` and `.` do not matter."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(lines: list[str]) -> dict[str, Requirement]:
    reqs = [Requirement(line) for line in lines]
    by_name = {normalise(r.name): r for r in reqs}
    assert len(by_name) == len(reqs), f"a package is listed twice: {lines}"
    return by_name


@pytest.fixture(scope="module")
def pyproject() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    return requirements(project["dependencies"] + extras["test"] + extras["ray"])


@pytest.fixture(scope="module")
def conda_env() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


@pytest.fixture(scope="module")
def conda_pip(conda_env: dict) -> dict[str, Requirement]:
    pip_sections = [d["pip"] for d in conda_env["dependencies"] if isinstance(d, dict)]
    assert len(pip_sections) == 1, "environment.yml needs exactly one `pip:` section"
    # `-e .` installs srcore itself; it is not a dependency to compare.
    return requirements([x for x in pip_sections[0] if not x.startswith("-")])


def test_conda_env_uses_python_311_and_pip(conda_env: dict) -> None:
    conda_deps = [d for d in conda_env["dependencies"] if isinstance(d, str)]
    assert "python=3.11" in conda_deps
    assert "pip" in conda_deps


def test_conda_env_installs_the_package(conda_env: dict) -> None:
    (pip,) = [d["pip"] for d in conda_env["dependencies"] if isinstance(d, dict)]
    assert "-e ." in pip


def test_same_package_names(
    pyproject: dict[str, Requirement], conda_pip: dict[str, Requirement]
) -> None:
    only_pyproject = sorted(pyproject.keys() - conda_pip.keys())
    only_conda = sorted(conda_pip.keys() - pyproject.keys())
    assert (only_pyproject, only_conda) == ([], [])


def test_same_specifiers(
    pyproject: dict[str, Requirement], conda_pip: dict[str, Requirement]
) -> None:
    differ = {
        name: (str(req.specifier), str(conda_pip[name].specifier))
        for name, req in pyproject.items()
        if name in conda_pip and req.specifier != conda_pip[name].specifier
    }
    assert differ == {}, "pyproject.toml vs environment.yml"


@pytest.mark.parametrize("source", ["pyproject", "conda_pip"])
@pytest.mark.parametrize(("name", "pin"), EXACT_PINS.items())
def test_torch_pinned_exactly(
    source: str, name: str, pin: str, request: pytest.FixtureRequest
) -> None:
    reqs = request.getfixturevalue(source)
    assert str(reqs[name].specifier) == pin


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = re.search(r"^## Quick start\n(.*?)(?=^## |\Z)", readme, re.M | re.S)
    assert section, "README.md has no '## Quick start' section"
    block = re.search(r"^```[a-z]*\n(.*?)^```", section.group(1), re.M | re.S)
    assert block, "the quick start has no code block"
    lines = [line.strip() for line in block.group(1).splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def test_readme_quick_start_is_two_make_commands() -> None:
    assert quick_start_commands() == ["make book", "make test"]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    commands = [line.split("#")[0] for line in ci.splitlines()]
    assert any(re.search(r"(^|\s)make test\b", c) for c in commands)
    assert "set -euo pipefail" in ci
