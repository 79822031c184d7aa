"""The ways of installing and running the project agree with each other.

pyproject.toml says what `srcore` needs, as ranges: its dependencies are exactly the
packages it imports, torch among them as a range (a Colab runtime keeps its own), and
the book's tooling is in the `book` extra. constraints.txt pins every package exactly
(torch 2.14.1 and torchvision 0.29.1 among them), each pin inside pyproject's range.
`make install` and environment.yml install the same extras under those constraints,
and the README's quick start is exactly what CI runs.
"""

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
EXACT_PINS = {"torch": "==2.14.1", "torchvision": "==0.29.1"}
INSTALL = re.compile(r'pip install -c constraints\.txt -e "?\.\[([\w,]+)\]"?')


def normalise(name: str) -> str:
    """PEP 503 name normalisation: case, `-`, `_` and `.` do not matter."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(lines: list[str]) -> dict[str, Requirement]:
    reqs = [Requirement(line) for line in lines]
    by_name = {normalise(r.name): r for r in reqs}
    assert len(by_name) == len(reqs), f"a package is listed twice: {lines}"
    return by_name


@pytest.fixture(scope="module")
def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


@pytest.fixture(scope="module")
def runtime(project: dict) -> dict[str, Requirement]:
    return requirements(project["dependencies"])


@pytest.fixture(scope="module")
def extras(project: dict) -> dict[str, dict[str, Requirement]]:
    return {k: requirements(v) for k, v in project["optional-dependencies"].items()}


@pytest.fixture(scope="module")
def everything(
    runtime: dict[str, Requirement], extras: dict[str, dict[str, Requirement]]
) -> dict[str, Requirement]:
    lines = [str(r) for r in runtime.values()]
    lines += [str(r) for reqs in extras.values() for r in reqs.values()]
    return requirements(lines)


@pytest.fixture(scope="module")
def constraints() -> dict[str, Requirement]:
    lines = (ROOT / "constraints.txt").read_text().splitlines()
    return requirements([x for x in lines if x.strip() and not x.startswith("#")])


@pytest.fixture(scope="module")
def conda_env() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


@pytest.fixture(scope="module")
def conda_pip(conda_env: dict) -> list[str]:
    pip_sections = [d["pip"] for d in conda_env["dependencies"] if isinstance(d, dict)]
    assert len(pip_sections) == 1, "environment.yml needs exactly one `pip:` section"
    return pip_sections[0]


def srcore_imports() -> dict[str, bool]:
    """Top-level names of the modules `srcore` imports, other than its own and the
    standard library's: True where some module imports it at import time, False
    where it is imported only inside a function (lazily)."""
    found: dict[str, bool] = {}
    for path in sorted((ROOT / "srcore").rglob("*.py")):
        tree = ast.parse(path.read_text())
        lazy = {
            id(node)
            for func in ast.walk(tree)
            if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef)
            for node in ast.walk(func)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top == "srcore" or top in sys.stdlib_module_names:
                    continue
                found[top] = found.get(top, False) or id(node) not in lazy
    return found


def distribution(module: str) -> str:
    """The installed distribution that provides the top-level ``module``."""
    dists = packages_distributions().get(module)
    assert dists, f"srcore imports {module}, which no installed package provides"
    return normalise(dists[0])


def test_runtime_dependencies_are_what_srcore_imports(
    runtime: dict[str, Requirement], extras: dict[str, dict[str, Requirement]]
) -> None:
    """Imported at import time: a dependency. Imported lazily: a dependency or an
    extra's (papermill for `srcore sweep`, ray for its ray backend). Every dependency
    is imported somewhere."""
    imports = srcore_imports()
    eager = {distribution(m) for m, at_import in imports.items() if at_import}
    lazy = {distribution(m) for m, at_import in imports.items() if not at_import}
    in_extras = {name for reqs in extras.values() for name in reqs}
    assert sorted(eager - runtime.keys()) == []
    assert sorted(lazy - runtime.keys() - in_extras) == []
    assert sorted(runtime.keys() - eager - lazy) == [], "not imported by srcore"


def test_torch_is_a_range(runtime: dict[str, Requirement]) -> None:
    """An exact pin would make pip replace a Colab runtime's torch."""
    spec = runtime["torch"].specifier
    assert not any(s.operator in ("==", "===") for s in spec), spec
    assert spec.contains("2.9.0") and spec.contains("2.14.1"), spec


def test_book_tooling_is_an_extra(
    runtime: dict[str, Requirement], extras: dict[str, dict[str, Requirement]]
) -> None:
    tooling = {"jupyter-book", "papermill", "jupytext"}
    assert tooling <= extras["book"].keys()
    assert not tooling & runtime.keys()


@pytest.mark.parametrize(("name", "pin"), EXACT_PINS.items())
def test_torch_pinned_exactly_in_constraints(
    constraints: dict[str, Requirement], name: str, pin: str
) -> None:
    assert str(constraints[name].specifier) == pin


def test_constraints_are_exact_pins(constraints: dict[str, Requirement]) -> None:
    loose = [
        str(r)
        for r in constraints.values()
        if not re.fullmatch(r"==[^*,]+", str(r.specifier))
    ]
    assert loose == []


def test_every_requirement_is_pinned_inside_its_range(
    everything: dict[str, Requirement], constraints: dict[str, Requirement]
) -> None:
    """Each package pyproject.toml names has a pin, and the pin satisfies the range."""
    missing = sorted(everything.keys() - constraints.keys())
    assert missing == [], "pyproject.toml names packages constraints.txt does not pin"
    outside = {
        name: (str(req.specifier), str(constraints[name].specifier))
        for name, req in everything.items()
        if not req.specifier.contains(str(constraints[name].specifier)[2:])
    }
    assert outside == {}, "a pin outside pyproject.toml's range"


def make_install_extras() -> set[str]:
    recipe = (ROOT / "Makefile").read_text()
    found = INSTALL.findall(recipe)
    assert len(found) == 1, "Makefile: one `pip install -c constraints.txt -e .[...]`"
    return set(found[0].split(","))


def test_make_install_uses_the_constraints_and_every_extra(
    extras: dict[str, dict[str, Requirement]],
) -> None:
    assert make_install_extras() == set(extras)


def test_conda_env_uses_python_311_and_pip(conda_env: dict) -> None:
    conda_deps = [d for d in conda_env["dependencies"] if isinstance(d, str)]
    assert "python=3.11" in conda_deps
    assert "pip" in conda_deps


def test_conda_env_installs_as_make_install_does(conda_pip: list[str]) -> None:
    """The package with the same extras under the same constraints, nothing else."""
    assert conda_pip[0] == "-c constraints.txt"
    assert len(conda_pip) == 2
    found = re.fullmatch(r"-e \.\[([\w,]+)\]", conda_pip[1])
    assert found, conda_pip[1]
    assert set(found[1].split(",")) == make_install_extras()


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


def test_srcore_stays_within_its_line_budget():
    """Issue 23: the package holds what is reused, the chapters their analysis, in at
    most 15,000 lines (every line of every module, docstrings and blanks counted)."""
    lines = sum(
        len(p.read_text().splitlines()) for p in (ROOT / "srcore").rglob("*.py")
    )
    assert lines <= 15_000, f"srcore has {lines} lines"
