"""Write requirements/constraints.txt: the exact versions, taken from the environment it
runs in, of everything the project's dependencies and its ``test`` extra pull in.

Run it in a venv where ``pip install -e '.[test]'`` has just succeeded and the suite passes:
``python requirements/freeze.py > requirements/constraints.txt``.
"""

from __future__ import annotations

import sys
import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
HEADER = """\
# Exact versions for CI: .ci/run installs with `pip install -c requirements/constraints.txt
# -e '.[test]'`. The README's commands keep resolving freely within pyproject.toml's bounds.
# Generated for Python {python} from a venv where the suite passed; refresh after changing
# the dependencies in pyproject.toml (or to take newer versions):
#   python -m venv /tmp/fresh && /tmp/fresh/bin/pip install -e '.[test]'
#   (run the suite with it), then
#   /tmp/fresh/bin/python requirements/freeze.py > requirements/constraints.txt
# tests/test_dependencies.py fails when a declared dependency is missing here or pinned
# outside its bounds.
"""


def top_level() -> list[Requirement]:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    return [Requirement(text) for text in
            [*project["dependencies"], *project["optional-dependencies"]["test"]]]


def closure(requirements: list[Requirement]) -> dict[str, str]:
    """Every distribution the requirements pull in (with their extras), by name: version."""
    found: dict[str, str] = {}
    pending = [(requirement, "") for requirement in requirements]
    while pending:
        requirement, extra = pending.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        try:
            installed = distribution(name)
        except PackageNotFoundError:
            sys.exit(f"{name} is not installed: pip install -e '.[test]' first")
        for wanted in ("", *requirement.extras):
            if (name, wanted) in found:
                continue
            found[(name, wanted)] = installed.version
            pending += [(Requirement(text), wanted) for text in installed.requires or []]
    return {name: version for (name, _), version in found.items()}


def main() -> None:
    python = ".".join(map(str, sys.version_info[:2]))
    print(HEADER.format(python=python), end="")
    for name, version in sorted(closure(top_level()).items()):
        print(f"{name}=={version}")


if __name__ == "__main__":
    main()
