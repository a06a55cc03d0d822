"""The documentation stays true to the code: every module is on the package map, every
setting in the operations guide, and every link of the README and ``docs/`` leads somewhere."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from runner.settings import SETTINGS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md")), *sorted((DOCS / "adr").glob("*.md"))]
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6} (.+)$", re.MULTILINE)


def modules() -> list[Path]:
    """Every Python module of ``runner/`` and ``web/`` except the migrations' versions."""
    found = []
    for package in ("runner", "web"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "versions" in relative.parts or "migrations" in relative.parts:
                continue
            if path.name == "__init__.py" and relative.parts[0] == "runner":
                continue
            found.append(relative)
    return found


def map_section(module: Path) -> str:
    """The part of the package map that describes ``module``'s layer (a ``###`` section), so
    that a web module of the same name does not stand in for a runner module."""
    page = (DOCS / "architecture.md").read_text(encoding="utf-8")
    sections = {heading: body for heading, body in
                re.findall(r"^### (.+?)\n(.*?)(?=^#{2,3} |\Z)", page, re.MULTILINE | re.DOTALL)}
    layer = ("`runner/bpmn/`" if module.parts[:2] == ("runner", "bpmn")
             else "`web/`" if module.parts[0] == "web" else "`runner/`")
    return next(heading + body for heading, body in sections.items() if heading.endswith(layer))


@pytest.mark.parametrize("module", modules(), ids=str)
def test_every_module_is_on_the_package_map(module: Path):
    page = map_section(module)
    assert f"`{module.stem}`" in page, f"{module} ontbreekt in docs/architecture.md"
    if len(module.parts) > 2:  # a module of a sub-package: the package is named too
        names = {f"`{'/'.join(module.parts[:-1])}/`", f"`{'/'.join(module.parts[1:-1])}/`"}
        assert any(name in page for name in names), f"{module.parent} ontbreekt"


def test_every_setting_is_in_the_operations_guide():
    page = (DOCS / "operations.md").read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in page]
    assert not missing


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r"[`*_]|\[|\]\([^)]*\)", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)
    return {slug(heading) for heading in _HEADING.findall(text)}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_leads_somewhere(page: Path):
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)
    broken = []
    for target in _LINK.findall(text):
        if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        destination = (page.parent / path).resolve() if path else page
        missing_anchor = (destination.suffix == ".md" and destination.exists() and anchor
                          and anchor not in anchors(destination))
        if not destination.exists() or missing_anchor:
            broken.append(target)
    assert broken == []


_CONSOLE = re.compile(r"```console\n(.*?)```", re.DOTALL)


def console_blocks() -> list[tuple[str, str]]:
    """``(page:line, block)`` of every ``console`` block in ``docs/``."""
    found = []
    for page in sorted(DOCS.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        for match in _CONSOLE.finditer(text):
            line = text[: match.start()].count("\n") + 1
            found.append((f"{page.name}:{line}", match.group(1)))
    return found


def commands_and_outputs(block: str) -> list[tuple[str, list[str]]]:
    steps: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            steps[-1][1].append(line)
    return steps


def same_line(expected: str, actual: str) -> bool:
    """Whether ``actual`` is ``expected``, a ``...`` inside it standing for any characters (a
    dossier's access code, a notice code)."""
    pattern = ".*".join(re.escape(part) for part in expected.split("..."))
    return re.fullmatch(pattern, actual) is not None


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether ``actual`` is ``expected`` line for line, a line ``...`` standing for any lines."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(matches(expected[1:], actual[skip:]) for skip in range(len(actual) + 1))
    return (bool(actual) and same_line(expected[0], actual[0])
            and matches(expected[1:], actual[1:]))


@pytest.mark.parametrize("where, block", [pytest.param(where, block, id=where)
                                          for where, block in console_blocks()])
def test_every_console_block_shows_the_real_output(where, block, tmp_path):
    """Run the block's commands in one shell, in a folder with a copy of ``processes/`` and
    ``docs/examples/`` (as from the repository's folder), and compare each output."""
    shutil.copytree(ROOT / "processes", tmp_path / "processes")
    shutil.copytree(DOCS / "examples", tmp_path / "docs" / "examples")
    steps = commands_and_outputs(block)
    script = "".join(f"echo '<<<{i}>>>'\n{command} 2>&1\n" for i, (command, _) in enumerate(steps))
    env = {key: value for key, value in os.environ.items() if not key.startswith("KLACHTEN_")}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}",
               PYTHONPATH=str(ROOT), KLACHTEN_SECRET_KEY="docs-" + "0123456789abcdef" * 3)
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    outputs = re.split(r"^<<<\d+>>>\n", done.stdout, flags=re.MULTILINE)[1:]
    assert len(outputs) == len(steps), done.stdout + done.stderr
    for (command, expected), output in zip(steps, outputs, strict=True):
        actual = output.rstrip("\n").split("\n") if output.strip() else []
        assert matches(expected, actual), f"{where}: $ {command}\n" + "\n".join(actual)
