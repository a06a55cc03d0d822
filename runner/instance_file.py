"""Reads ``klachten.cfg`` in the instance folder: ``NAME = value`` lines, never run as code."""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from runner.bpmn.errors import ConfigurationError

INSTANCE_FILE = "klachten.cfg"
PREFIX = "KLACHTEN_"
_LINE = re.compile(r"^\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<value>.*?)\s*$")
_COMMENT = re.compile(r"(^|\s+)#.*$")
_CODE = re.compile(r"[\"'()\[\]{}]")  # what a bare value may not hold: it would be Python


@dataclass(frozen=True)
class Entry:
    """One line of the file: the setting's field, its value as text, and ``path:line``."""

    field: str
    value: str
    where: str


def read_instance_file(path: Path, names: Mapping[str, str]) -> list[Entry]:
    """The entries of ``path`` (none when it does not exist); ``names`` maps each known name
    (upper case, without the prefix) to its field. A line that is not ``NAME = value``, an
    unknown name or a name given twice is an error naming the file and the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as err:
        raise ConfigurationError(f"{path}: kan het bestand niet lezen ({err.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigurationError(f"{path}: geen UTF-8-tekst") from None
    entries: dict[str, Entry] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.strip().startswith("#"):
            entry = _entry(line, f"{path}:{number}", names)
            if entry.field in entries:
                raise ConfigurationError(f"{entry.where}: {entry.field.upper()} staat al op "
                                         f"{entries[entry.field].where}")
            entries[entry.field] = entry
    return list(entries.values())


def _entry(line: str, where: str, names: Mapping[str, str]) -> Entry:
    match = _LINE.match(line)
    if match is None:
        raise ConfigurationError(f"{where}: verwacht NAAM = waarde, niet {line.strip()!r}")
    field = names.get(match["name"].upper().removeprefix(PREFIX))
    if field is None:
        raise ConfigurationError(f"{where}: {unknown_name(match['name'], names)}")
    return Entry(field, _value(match["value"], where), where)


def _value(text: str, where: str) -> str:
    """A string between quotes (Python's rules, as Flask's ``klachten.cfg`` files have it),
    or the bare text up to a ``#`` comment: ``5``, ``true``, ``smtp://mail:25``; never a
    Python expression taken for text."""
    if not text.startswith(("'", '"')):
        bare = _COMMENT.sub("", text)
        if _CODE.search(bare):
            raise ConfigurationError(f"{where}: {bare} is geen waarde; zet tekst met "
                                     "aanhalingstekens of haakjes tussen aanhalingstekens")
        return bare
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        node = None
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        raise ConfigurationError(f"{where}: verwacht één tekst tussen aanhalingstekens, niet "
                                 f"{text}")
    return node.value


def unknown_name(name: str, known: Iterable[str], kind: str = "instelling") -> str:
    """``onbekende instelling X`` with the nearest known name, when one is near."""
    wanted = name.upper().removeprefix(PREFIX) if kind == "instelling" else name.upper()
    nearest = difflib.get_close_matches(wanted, list(known), n=1, cutoff=0.6)
    hint = f"; bedoelt u {nearest[0]}?" if nearest else " (klachten config toont ze alle)"
    return f"onbekende {kind} {name}{hint}"
