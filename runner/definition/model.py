"""The complaint procedure's definition: the layout of ``processes/`` (its diagram, settings,
labels, forms and notice templates per language) on top of :mod:`runner.bpmn.definitions`.

A definition version is the whole folder; :class:`Model` adds what the procedure reads from
its own files: the settings (``instellingen.json``), the labels people read instead of codes,
the fund's time zone and the notice templates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from runner.bpmn.definitions import ProcessModel, parse_model, read_model_folder
from runner.definition.labels import Labels
from runner.definition.notice_templates import NoticeRenderer

PROCESS_ID = "klachtenprocedure"
DIAGRAM = "klachtenprocedure.bpmn"
SETTINGS = "instellingen.json"
LABELS = "labels.json"
NOTICES_DIR = "notices"
LANGUAGES = ("nl", "fr")
# The fund's local time when instellingen.json names none: deadlines end at its midnight.
DEFAULT_TIMEZONE = "Europe/Brussels"


def default_processes_dir() -> Path:
    """The ``processes/`` folder shipped beside the ``runner`` package."""
    return Path(__file__).resolve().parents[2] / "processes"


def read_folder(folder: Path) -> dict[str, str]:
    """All model files of ``folder`` as ``{relative posix path: text}``."""
    return read_model_folder(folder, DIAGRAM)


@dataclass
class Model(ProcessModel):
    """A parsed version of the complaint procedure."""

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


def parse(files: dict[str, str]) -> Model:
    """Parse the procedure's files (hardened XML). Raises ModelError with file and cause."""
    return parse_model(files, PROCESS_ID, Model)


def as_model(model: ProcessModel) -> Model:
    """The procedure's model of a version, which the runner holds as a ``ProcessModel``."""
    if not isinstance(model, Model):
        raise TypeError(f"geen model van de klachtenprocedure: {model!r}")
    return model
