"""Process definitions: read a model folder, identify a version by content hash, parse.

A definition version is the whole folder (diagram, DMN tables, forms and whatever else the
application keeps beside them). Its files are stored with it, so an instance keeps the forms
of the version it started on, and its spec is stored once, not inside every instance.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from SpiffWorkflow.specs.WorkflowSpec import WorkflowSpec
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.specs.defaults import UserTask

from .errors import ModelError
from .safe_xml import parse_xml

FORMS_DIR = "forms"
_TEXT_SUFFIXES = {".bpmn", ".dmn", ".json", ".txt"}
_MAX_FILE_BYTES = 2_000_000


def read_model_folder(folder: Path, diagram: str) -> dict[str, str]:
    """All model files of ``folder`` as ``{relative posix path: text}``; ``diagram`` must be
    among them."""
    if not folder.is_dir():
        raise ModelError(f"{folder}: geen map met een procesmodel")
    files: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix not in _TEXT_SUFFIXES:
            continue
        if path.stat().st_size > _MAX_FILE_BYTES:
            raise ModelError(f"{path}: bestand te groot")
        try:
            files[path.relative_to(folder).as_posix()] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as err:
            raise ModelError(f"{path}: geen UTF-8 tekst ({err.reason})") from err
    if diagram not in files:
        raise ModelError(f"{folder}: {diagram} ontbreekt")
    return files


def content_hash(files: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(files[name].encode())
        digest.update(b"\0")
    return digest.hexdigest()


@dataclass
class ProcessModel:
    """A parsed definition version: files plus the SpiffWorkflow spec built from them. An
    application subclasses it for what it reads from its own files."""

    files: dict[str, str]
    spec: WorkflowSpec
    subprocess_specs: dict[str, WorkflowSpec]
    dmn_decisions: list[str] = field(default_factory=list)

    def json_file(self, name: str) -> dict[str, Any]:
        if name not in self.files:
            raise ModelError(f"{name}: bestand ontbreekt in het procesmodel")
        try:
            data: dict[str, Any] = json.loads(self.files[name])
            return data
        except json.JSONDecodeError as err:
            raise ModelError(f"{name}: geen geldige JSON: {err}") from err

    def form(self, filename: str) -> dict[str, Any]:
        return self.json_file(f"{FORMS_DIR}/{filename}")

    def all_task_specs(self) -> Iterator[Any]:
        yield from self.spec.task_specs.values()
        for sub in self.subprocess_specs.values():
            yield from sub.task_specs.values()

    def user_task_specs(self) -> list[UserTask]:
        return [spec for spec in self.all_task_specs() if isinstance(spec, UserTask)]


M = TypeVar("M", bound=ProcessModel)


def parse_model(files: dict[str, str], process_id: str, model_type: type[M]) -> M:
    """Parse a model's files with hardened XML parsing into ``model_type``, the executable
    process ``process_id`` at its top. Raises ModelError with file and cause."""
    parser = SpiffBpmnParser()
    decisions: list[str] = []
    try:
        for name, text in sorted(files.items()):
            if name.endswith(".dmn"):
                parser.add_dmn_xml(parse_xml(text.encode(), name), filename=name)
                decisions.append(name)
            elif name.endswith(".bpmn"):
                parser.add_bpmn_xml(parse_xml(text.encode(), name), filename=name)
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ModelError:
        raise
    except Exception as err:  # the parser's own validation errors carry file and element
        raise ModelError(f"procesmodel ongeldig: {err}") from err
    return model_type(files=files, spec=spec, subprocess_specs=subprocess_specs,
                      dmn_decisions=decisions)
