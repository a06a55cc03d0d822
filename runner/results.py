"""The typed results the facade (:class:`runner.service.Klachten`) gives, and their JSON.

Each result is a frozen dataclass with English attribute names that the web pages read;
each field declares the key it has in the JSON of the command line (``--json``) and of the
API (:func:`in_json`), and :func:`to_json` turns any result into that JSON, at the edge.
Instants are aware UTC datetimes, days are dates; in JSON both are ISO text.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime
from typing import Any

from runner.bpmn.clock import as_utc

_JSON_KEY = "json"
NOT_IN_JSON: dict[str, str | None] = {_JSON_KEY: None}  # a field's metadata: JSON leaves it out


def in_json(key: str) -> dict[str, str | None]:
    """A dataclass field's metadata: its name in JSON is ``key``."""
    return {_JSON_KEY: key}


def to_json(value: Any) -> Any:
    """A result as plain JSON values: dataclasses as objects under their fields' JSON keys,
    datetimes and dates as ISO text, tuples as lists; anything else as it is."""
    if is_dataclass(value) and not isinstance(value, type):
        return {key: to_json(getattr(value, item.name)) for item in fields(value)
                if (key := item.metadata.get(_JSON_KEY, item.name)) is not None}
    if isinstance(value, date):  # a datetime too
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    return value


def utc(value: datetime | None) -> datetime | None:
    """A stored instant in UTC (``None`` stays ``None``)."""
    return as_utc(value) if value else None


def instant(text: str | None) -> datetime | None:
    """An ISO instant read back (``None`` stays ``None``)."""
    return datetime.fromisoformat(text) if text else None


def day(text: str | None) -> date | None:
    """An ISO day read back (``None`` stays ``None``)."""
    return date.fromisoformat(text) if text else None


@dataclass(frozen=True)
class TaskInfo:
    """An open user task of a dossier, as the werkbak's database row holds it."""

    id: str = field(metadata=in_json("id"))
    dossier_number: str | None = field(metadata=in_json("dossiernummer"))
    name: str = field(metadata=in_json("taak"))  # the user task's id in the diagram
    title: str = field(metadata=in_json("titel"))  # its name in the diagram
    lane: str = field(metadata=in_json("rol"))  # the role (lane) that works it
    step: str = field(metadata=in_json("stap"))  # the procedure's step it belongs to
    form: str | None = field(metadata=in_json("formulier"))  # its JSON Schema in processes/forms/
    due_at: datetime | None = field(metadata=in_json("vervaldatum"))
    claimed_by: str | None = field(metadata=in_json("geclaimd_door"))


@dataclass(frozen=True)
class TaskSchema:
    """An open task with its instance's row version and its form's JSON Schema."""

    task: TaskInfo
    version: int  # the instance's row version, to complete the task with
    schema: dict[str, Any]


@dataclass(frozen=True)
class DeadlineInfo:
    """A deadline the model computed (``termijnen`` in the process data; a state stored by
    an older version may lack the fields added since: ``None``)."""

    days: int | None = field(metadata=in_json("dagen"))
    unit: str | None = field(metadata=in_json("eenheid"))  # kalenderdagen, werkdagen
    # Whether a last day on a closed day moves on to the next working day.
    roll_forward: bool | None = field(metadata=in_json("doorschuiven"))
    due_date: date | None = field(metadata=in_json("vervaldag"))  # the last day
    due_at: datetime | None = field(metadata=in_json("vervalt_op"))  # the first instant after it
    start: date | None = field(metadata=in_json("start"))  # the day counting starts from
    anchor: str | None = field(metadata=in_json("anker"))  # what it counts from (its label's code)
    explanation: str | None = field(metadata=in_json("uitleg"))  # how it was counted, in Dutch


@dataclass(frozen=True)
class NoticeInfo:
    """A notice to the complainant in the outbox, with its delivery state."""

    # Its template: ontvangstmelding, statusbericht, ...
    kind: str = field(metadata=in_json("soort"))
    language: str = field(metadata=in_json("taal"))
    channel: str = field(metadata=in_json("kanaal"))  # email, brief, geen
    code: str = field(metadata=in_json("code"))  # the code the member can check on the status page
    subject: str = field(metadata=in_json("onderwerp"))
    body: str = field(metadata=in_json("tekst"))
    created_at: datetime = field(metadata=in_json("aangemaakt_op"))
    status: str = field(metadata=in_json("status"))  # runner.notices.texts.NoticeStatus
    status_text: str = field(metadata=in_json("status_tekst"))  # the status in Dutch words
    recipient: str | None = field(metadata=in_json("ontvanger"))
    attempts: int = field(metadata=in_json("pogingen"))
    error: str | None = field(metadata=in_json("fout"))  # the last delivery error
    next_attempt_at: datetime | None = field(metadata=in_json("volgende_poging"))
    sent_at: datetime | None = field(metadata=in_json("verzonden_op"))
    delivery: str | None = field(metadata=in_json("afgeleverd_via"))  # smtp, a file, ...


@dataclass(frozen=True)
class AuditInfo:
    """One line of a dossier's audit trail."""

    at: datetime = field(metadata=in_json("op"))
    actor: str = field(metadata=in_json("wie"))
    action: str = field(metadata=in_json("wat"))  # taak voltooid, bericht ontvangen, ...
    # The diagram element (or notice kind) concerned.
    element: str = field(metadata=in_json("element"))
    step: str = field(metadata=in_json("stap"))
    details: dict[str, Any] = field(metadata=in_json("details"))


@dataclass(frozen=True)
class IncidentInfo:
    """A failure of the model in a dossier, open until a retry resolves it."""

    element: str = field(metadata=in_json("element"))
    step: str = field(metadata=in_json("stap"))
    error: str = field(metadata=in_json("fout"))
    at: datetime = field(metadata=in_json("op"))
    resolved_at: datetime | None = field(metadata=in_json("opgelost_op"))


@dataclass(frozen=True)
class DossierInfo:
    """Everything about a dossier: step, deadlines, open tasks, notices, audit, incidents."""

    number: str = field(metadata=in_json("dossiernummer"))
    step: str = field(metadata=in_json("stap"))  # the step of its open work ("" when closed)
    closed: bool = field(metadata=in_json("afgesloten"))
    closed_at: datetime | None = field(metadata=in_json("afgesloten_op"))
    outcome: str | None = field(metadata=in_json("uitkomst"))
    # When retention erased its personal data.
    erased_at: datetime | None = field(metadata=in_json("gewist_op"))
    # Under a legal hold: its reason ("-" when none was given); None otherwise.
    legal_hold: str | None = field(metadata=in_json("juridische_blokkering"))
    received_at: datetime = field(metadata=in_json("ontvangen_op"))
    category: str = field(metadata=in_json("categorie"))
    channel: str = field(metadata=in_json("kanaal"))
    language: str = field(metadata=in_json("taal"))
    # The deployed version it runs on.
    process_version: int = field(metadata=in_json("procesversie"))
    version: int = field(metadata=in_json("versie"))  # the instance's row version
    next_timer_at: datetime | None = field(metadata=in_json("volgende_timer"))
    deadlines: dict[str, DeadlineInfo] = field(metadata=in_json("termijnen"))
    open_tasks: tuple[TaskInfo, ...] = field(metadata=in_json("open_taken"))
    # The messages it waits for (the CLI and the API may send them).
    waiting_for: tuple[str, ...] = field(metadata=in_json("wacht_op_berichten"))
    notices: tuple[NoticeInfo, ...] = field(metadata=in_json("berichten"))
    audit: tuple[AuditInfo, ...] = field(metadata=in_json("audit"))
    incidents: tuple[IncidentInfo, ...] = field(metadata=in_json("incidenten"))
    # Closed as a duplicate: the number of the dossier that handles the complaint.
    duplicate_of: str | None = field(default=None, metadata=in_json("dubbel_van"))
    # The mediator who owns the dossier (runner.work.ownership).
    owner: str | None = field(default=None, metadata=in_json("eigenaar"))

    def open_incidents(self) -> list[IncidentInfo]:
        """The incidents no retry resolved yet."""
        return [incident for incident in self.incidents if incident.resolved_at is None]
