"""The compact record of a closed dossier: its process data and completed path, kept instead
of the engine state once the workflow has ended.

A finished workflow is never stepped again, so its serialized task tree (about 27 KB) is
dead weight. When an action ends the workflow, ``runner.bpmn.instances.save_case`` stores this
record instead (``instances.archive``: zlib-compressed JSON, about 1 KB) and empties
``instances.state``. :class:`ClosedCase` answers what the dossier page, the status page,
the diagram highlight, the reports' facts and the access request ask of a case; an engine
action on it (a message, a task) is refused as on any ended workflow.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.task import Task

from .case import CLOSED_STEP, Case, CaseData, OpenTaskInfo
from .definitions import ProcessModel
from .errors import Conflict, NotFound, StateUnreadable

RECORD_FORMAT = 1


@dataclass
class ClosedRecord:
    """What is kept of a closed dossier's workflow."""

    data: dict[str, Any]
    done: list[str]

    @classmethod
    def of(cls, case: Case) -> ClosedRecord:
        return cls(data=case.data(), done=sorted(case.element_states()[0]))

    def pack(self) -> bytes:
        document = {"formaat": RECORD_FORMAT, "data": self.data, "voltooid": self.done}
        return zlib.compress(json.dumps(document, separators=(",", ":"), ensure_ascii=False,
                                        default=str).encode(), 9)

    @classmethod
    def unpack(cls, blob: bytes) -> ClosedRecord:
        try:
            document = json.loads(zlib.decompress(blob))
            if document.get("formaat") != RECORD_FORMAT:
                raise ValueError(f"onbekend formaat {document.get('formaat')!r}")
            return cls(data=document["data"], done=list(document["voltooid"]))
        except (zlib.error, ValueError, KeyError, TypeError, AttributeError) as err:
            raise StateUnreadable(f"archief van het afgesloten dossier onleesbaar: {err!r}"
                                  ) from err


class ClosedCase(CaseData):
    """A closed dossier read from its :class:`ClosedRecord`: nothing open, nothing waiting."""

    def __init__(self, record: ClosedRecord, model: ProcessModel):
        self.record = record
        self.model = model

    def data(self) -> dict[str, Any]:
        return self.record.data

    def element_states(self) -> tuple[set[str], set[str]]:
        return set(self.record.done), set()

    def step(self) -> str:
        return CLOSED_STEP

    def waiting_messages(self) -> set[str]:
        return set()

    def ready_user_tasks(self) -> list[Task]:
        return []

    def waiting_tasks(self) -> list[Task]:
        return []

    def incident_tasks(self) -> list[Task]:
        return []

    def mark_failed(self, error: BaseException) -> list[Task]:
        """An ended workflow runs nothing, so no task of it failed: the error stays raised."""
        return []

    def open_tasks(self) -> list[OpenTaskInfo]:
        return []

    def open_steps(self) -> list[tuple[str, str]]:
        return []

    def cycle_timer_waiting(self) -> bool:
        return False

    def next_timer_at(self) -> datetime | None:
        return None

    def user_task(self, task_id: str) -> Task:
        raise NotFound(f"taak {task_id} bestaat niet in dit dossier")

    def letter_code(self, task: Task) -> str | None:
        return None

    def validate(self, task: Task, data: dict[str, Any]) -> None:
        raise NotFound(f"taak {task.id} bestaat niet in dit dossier")

    def complete(self, task: Task, data: dict[str, Any],
                 did_complete: Callable[[Task], None] | None = None) -> None:
        raise NotFound(f"taak {task.id} bestaat niet in dit dossier")

    def run(self, did_complete: Callable[[Task], None] | None = None) -> None:
        """An ended workflow has nothing to run."""

    def send_message(self, name: str, payload: dict[str, Any],
                     did_complete: Callable[[Task], None] | None = None) -> None:
        raise Conflict(f"het dossier wacht niet op het bericht {name}")

    def tick(self, now: datetime, did_complete: Callable[[Task], None] | None = None) -> None:
        """An ended workflow has no timers."""

    def retry(self, now: datetime,
              did_complete: Callable[[Task], None] | None = None) -> None:
        """Nothing to run again: the workflow ended (a retry only resolves incidents)."""


def is_closed(case: Case | ClosedCase) -> bool:
    """Whether the case's workflow has ended (then it is stored as a record)."""
    return isinstance(case, ClosedCase) or case.workflow.is_completed()
