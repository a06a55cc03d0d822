"""The layers of the code, as the package map in docs/architecture.md draws them.

``runner.bpmn`` is the generic BPMN runner: it imports nothing from the rest of ``runner``
(the complaint procedure) and names none of the procedure's concepts, so that it would run
another procedure unchanged. ``runner`` never imports ``web``. Read from the source (the
imports as written, including those inside functions), not from what happens to be loaded.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "runner" / "bpmn"
# Words of the complaint procedure (Dutch, French and the code's English), as parts of words:
# "klacht" also finds klachtenbemiddelaar and KLACHTEN_CLOCK.
PROCEDURE_WORDS = ("klacht", "complain", "plainte", "ontvankelijk", "admissib", "recevab",
                   "bemiddel", "mediator", "médiat", "aanbeveling", "recommend",
                   "ziekenfonds", "mutualit", "ontvangstmelding", "statusbericht", "member",
                   "onderzoek")


def imports_of(path: Path, package: str | None = None) -> list[tuple[int, str]]:
    """``(line, absolute module)`` of every import in ``path`` (a module of ``package``, by
    default the one its place in the tree says), relative ones resolved."""
    package = package or ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module) if part)
            found.append((node.lineno, module))
            if node.module is None:  # from . import clock: the names are modules
                found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def python_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def test_the_core_imports_nothing_from_the_procedure():
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {module}"
             for path in python_files(CORE)
             for line, module in imports_of(path)
             if (module.startswith("runner.") and not module.startswith("runner.bpmn"))
             or module in ("runner", "web") or module.startswith("web.")]
    assert wrong == []


def test_the_core_names_none_of_the_procedures_words():
    pattern = re.compile("|".join(PROCEDURE_WORDS), re.IGNORECASE)
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in python_files(CORE)
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if pattern.search(line)]
    assert found == []


def test_the_runner_never_imports_the_web_layer():
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {module}"
             for path in python_files(ROOT / "runner")
             for line, module in imports_of(path)
             if module == "web" or module.startswith("web.")]
    assert wrong == []


@pytest.mark.parametrize("source, expected", [
    ("from .engine import SCRIPT_ENGINE", "runner.bpmn.engine"),
    ("from .. import facts", "runner.facts"),
    ("from ..service import Klachten", "runner.service"),
    ("import web.views", "web.views"),
])
def test_the_import_reader_resolves_what_the_checks_rely_on(tmp_path, source, expected):
    """The checks above would pass vacuously if relative imports were misread."""
    module = tmp_path / "probe.py"
    module.write_text(source + "\n", encoding="utf-8")
    assert expected in [name for _, name in imports_of(module, "runner.bpmn")]
