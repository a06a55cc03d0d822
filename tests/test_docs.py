"""The documentation stays true to the code: every module is on the package map, every
setting in the operations guide, and every link of the README and ``docs/`` leads somewhere."""

from __future__ import annotations

import re
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


@pytest.mark.parametrize("module", modules(), ids=str)
def test_every_module_is_on_the_package_map(module: Path):
    page = (DOCS / "architecture.md").read_text(encoding="utf-8")
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
        if not destination.exists():
            broken.append(target)
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
            broken.append(target)
    assert broken == []
