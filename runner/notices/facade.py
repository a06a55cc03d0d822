"""What the outbox and the post room use of the procedure's facade
(:class:`runner.service.Klachten`), as a protocol: the notices sit below it and never import it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from runner.bpmn.case import Case
from runner.bpmn.clock import Clock
from runner.bpmn.closed_record import ClosedCase
from runner.bpmn.runner import ProcessRunner
from runner.bpmn.store import Instance
from runner.definition.model import Model
from runner.notices.sealing import CodeSeal
from runner.store import Dossier

# What runs when a notice leaves the fund (an e-mail sent, a letter posted), in its
# transaction: (session, dossier id, notice kind, instant).
NoticeLeft = Callable[[Session, int, str, datetime], None]


class Posting(Protocol):
    def outgoing_body(self, body: str, sealed_code: str | None) -> str:
        """A notice's text as it leaves: the access code filled in."""


class NoticeFacade(Protocol):
    """The facade's database, clock, dossiers and actions, as the notices use them."""

    factory: sessionmaker[Session]
    runner: ProcessRunner[Model]
    clock: Clock

    @property
    def code_seal(self) -> CodeSeal: ...

    @property
    def post(self) -> Posting: ...

    def find_dossier(self, session: Session, number: str) -> Dossier: ...

    def dossier_model(self, session: Session, dossier_id: int) -> Model: ...

    def dossier_settings(self, session: Session, dossier_id: int) -> dict[str, Any]: ...

    def read_case(self, session: Session, dossier: Dossier
                  ) -> tuple[Instance, Case | ClosedCase]: ...

    def complete_task(self, task_id: str, data: dict[str, Any], user: str,
                      expected_version: int | None = None,
                      dossier_number: str | None = None) -> str: ...

    def notice_undeliverable(self, notice_id: int, reason: str) -> bool: ...

    def notice_left(self, session: Session, dossier_id: int, kind: str, at: datetime
                    ) -> None: ...
