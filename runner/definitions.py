"""Process definitions: read ``processes/``, identify a version by content hash, parse, deploy.

A definition version is the whole folder (diagram, DMN tables, forms, notice templates,
settings). Its files are stored with it, so a dossier keeps the forms and templates of the
version it started on, and its spec is stored once, not inside every instance.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from SpiffWorkflow.specs.WorkflowSpec import WorkflowSpec
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.specs.defaults import UserTask

from .errors import ModelError
from .labels import Labels
from .notices import NoticeRenderer
from .safe_xml import parse_xml

PROCESS_ID = "klachtenprocedure"
DIAGRAM = "klachtenprocedure.bpmn"
SETTINGS = "instellingen.json"
LABELS = "labels.json"
FORMS_DIR = "forms"
NOTICES_DIR = "notices"
LANGUAGES = ("nl", "fr")
# The fund's local time when instellingen.json names none: deadlines end at its midnight.
DEFAULT_TIMEZONE = "Europe/Brussels"
_TEXT_SUFFIXES = {".bpmn", ".dmn", ".json", ".txt"}
_MAX_FILE_BYTES = 2_000_000


def default_processes_dir() -> Path:
    """The ``processes/`` folder shipped beside the ``runner`` package."""
    return Path(__file__).resolve().parent.parent / "processes"


def read_folder(folder: Path) -> dict[str, str]:
    """All model files of ``folder`` as ``{relative posix path: text}``."""
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
    if DIAGRAM not in files:
        raise ModelError(f"{folder}: {DIAGRAM} ontbreekt")
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
class Model:
    """A parsed definition version: files plus the SpiffWorkflow spec built from them."""

    files: dict[str, str]
    spec: WorkflowSpec
    subprocess_specs: dict[str, WorkflowSpec]
    dmn_decisions: list[str] = field(default_factory=list)
    _renderers: dict[str, NoticeRenderer] = field(default_factory=dict, repr=False)

    @cached_property
    def settings(self) -> dict:
        return self.json_file(SETTINGS)

    @cached_property
    def labels(self) -> Labels:
        """What people read instead of the model's codes (``labels.json``), nl and fr."""
        return Labels(self.json_file(LABELS) if LABELS in self.files else {})

    @cached_property
    def timezone(self) -> ZoneInfo:
        """The fund's local time (``tijdzone`` in instellingen.json)."""
        return ZoneInfo(self.settings.get("tijdzone", DEFAULT_TIMEZONE))

    def json_file(self, name: str) -> dict:
        if name not in self.files:
            raise ModelError(f"{name}: bestand ontbreekt in het procesmodel")
        try:
            return json.loads(self.files[name])
        except json.JSONDecodeError as err:
            raise ModelError(f"{name}: geen geldige JSON: {err}") from err

    def form(self, filename: str) -> dict:
        return self.json_file(f"{FORMS_DIR}/{filename}")

    def notice_templates(self, language: str) -> dict[str, str]:
        """Templates of one language as ``{file name: text}`` (for the Jinja loader)."""
        prefix = f"{NOTICES_DIR}/{language}/"
        return {name.removeprefix(prefix): text
                for name, text in self.files.items() if name.startswith(prefix)}

    def notices(self, language: str) -> NoticeRenderer:
        """The notice renderer of one language, built once."""
        if language not in self._renderers:
            self._renderers[language] = NoticeRenderer(self.notice_templates(language))
        return self._renderers[language]

    def all_task_specs(self):
        yield from self.spec.task_specs.values()
        for sub in self.subprocess_specs.values():
            yield from sub.task_specs.values()

    def user_task_specs(self) -> list[UserTask]:
        return [spec for spec in self.all_task_specs() if isinstance(spec, UserTask)]


def parse(files: dict[str, str]) -> Model:
    """Parse a model's files with hardened XML parsing. Raises ModelError with file and cause."""
    parser = SpiffBpmnParser()
    decisions: list[str] = []
    try:
        for name, text in sorted(files.items()):
            if name.endswith(".dmn"):
                parser.add_dmn_xml(parse_xml(text.encode(), name), filename=name)
                decisions.append(name)
            elif name.endswith(".bpmn"):
                parser.add_bpmn_xml(parse_xml(text.encode(), name), filename=name)
        spec = parser.get_spec(PROCESS_ID)
        subprocess_specs = parser.get_subprocess_specs(PROCESS_ID)
    except ModelError:
        raise
    except Exception as err:  # the parser's own validation errors carry file and element
        raise ModelError(f"procesmodel ongeldig: {err}") from err
    return Model(files=files, spec=spec, subprocess_specs=subprocess_specs, dmn_decisions=decisions)
