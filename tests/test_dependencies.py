"""Dependencies chosen and pinned: every distribution the code imports is declared in
pyproject.toml (runtime for runner/ and web/, the test extra for tests/ and bench/), and
requirements/constraints.txt pins each declared one inside its bounds."""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
RUNTIME = [Requirement(text) for text in PROJECT["dependencies"]]
TEST = [Requirement(text) for text in PROJECT["optional-dependencies"]["test"]]
OWN = {"runner", "web"}


def _imported(folder: Path) -> set[str]:
    """The top-level names of the modules imported in ``folder`` that are not its own files."""
    local = {path.stem for path in folder.glob("*.py")}
    names = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - OWN - local


def _declared(requirements: list[Requirement]) -> set[str]:
    return {canonicalize_name(requirement.name) for requirement in requirements}


@pytest.mark.parametrize(("folder", "requirements"), [
    ("runner", RUNTIME), ("web", RUNTIME), ("tests", RUNTIME + TEST), ("bench", RUNTIME + TEST),
])
def test_every_import_is_declared(folder, requirements):
    providers = packages_distributions()
    declared = _declared(requirements)
    missing = {module: providers.get(module) for module in _imported(ROOT / folder)
               if not {canonicalize_name(d) for d in providers.get(module, [])} & declared}
    assert not missing, f"declareer in pyproject.toml ({folder}/ importeert ze): {missing}"


def _pinned() -> dict[str, str]:
    lines = (ROOT / "requirements" / "constraints.txt").read_text(encoding="utf-8").splitlines()
    pins = [line.split("==") for line in lines if line and not line.startswith("#")]
    return {canonicalize_name(name): version for name, version in pins}


def test_the_constraints_pin_every_declared_dependency_inside_its_bounds():
    pinned = _pinned()
    wrong = [str(requirement) for requirement in RUNTIME + TEST
             if not requirement.specifier.contains(
                 pinned.get(canonicalize_name(requirement.name), "0+missing"),
                 prereleases=True)]
    assert not wrong, "python requirements/freeze.py > requirements/constraints.txt: " \
        f"{wrong}"


def test_ci_installs_from_the_constraints():
    assert "-c requirements/constraints.txt" in (ROOT / ".ci" / "run").read_text()
