"""A dossier as the mediators' pages show it (the dossier page, and the case beside a
task), and the access log.

The dossier's notes and contacts (``runner.work.case_notes``) are events of its timeline.
Every view or download of personal data (the dossier page, the API, a letter as PDF, the
CSV export) writes who looked, at what, and when, to ``access_log``; the beheerder reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from runner.accounts.users import ADMINISTER, READ_DOSSIERS, WORK_TASKS, Account
from runner.bpmn.diagram import DossierDiagram
from runner.bpmn.errors import Forbidden, ValidationFailed
from runner.bpmn.store import transaction
from runner.notices.letters import Letter
from runner.privacy.access_log import record_access
from runner.reports.improvement_register import Entry, recommendations_of
from runner.results import DossierInfo
from runner.service import Klachten, _iso
from runner.store import AccessEntry, Dossier
from runner.work.case_notes import note_events, notes_of
from runner.work.case_summary import CaseSummary, build_summary
from runner.work.timeline import Event, timeline

ACCESS_LOG_PAGE = 200
MESSAGES = ("klager_niet_akkoord", "klacht_ingetrokken")
PAGE = "dossierpagina"
TASK_PAGE = "taakpagina"


@dataclass(frozen=True)
class DossierView:
    info: DossierInfo
    complainant: dict[str, str]
    description: str
    diagram: DossierDiagram
    recommendations: list[Entry]
    summary: CaseSummary
    timeline: list[Event]


class DossierDesk:
    def __init__(self, klachten: Klachten):
        self.klachten = klachten

    def view(self, account: Account, number: str, what: str = PAGE,
             language: str = "nl") -> DossierView:
        """The dossier for its page (``what``: ``API`` for the JSON API), logged; labels in
        ``language``."""
        if not account.may(READ_DOSSIERS):
            raise Forbidden(f"{account.name} mag geen dossiers inzien")
        info = self.klachten.dossier(number)
        data, model, diagram = self.klachten.diagram(number, language)
        summary = build_summary(info, data, model, language)
        recommendations = self._log_access(account, number, what)
        with transaction(self.klachten.factory) as session:
            notes = notes_of(session, self.klachten.find_dossier(session, number).id)
        events = sorted([*timeline(info, data, model, language), *note_events(notes)],
                        key=lambda event: event.at)
        return DossierView(info, summary.complainant, summary.description, diagram,
                           recommendations, summary, events)

    def summary(self, account: Account, number: str, language: str = "nl") -> CaseSummary:
        """The case beside a task: the dossier as far as a decision needs it."""
        if not account.may(READ_DOSSIERS):
            raise Forbidden(f"{account.name} mag geen dossiers inzien")
        info = self.klachten.dossier(number)
        data, model, _ = self.klachten.diagram(number)
        self._log_access(account, number, TASK_PAGE)
        return build_summary(info, data, model, language)

    def diagram_xml(self, account: Account, number: str, language: str = "nl") -> str:
        """The BPMN of the version the dossier runs on, its names in ``language`` (no
        personal data: not logged)."""
        if not account.may(READ_DOSSIERS):
            raise Forbidden(f"{account.name} mag geen dossiers inzien")
        return self.klachten.diagram(number, language)[2].bpmn_xml

    def _log_access(self, account: Account, number: str, what: str) -> list[Entry]:
        """Write the access; returns the dossier's recommendations (read in that transaction)."""
        with transaction(self.klachten.factory) as session:
            dossier_id = self.klachten.find_dossier(session, number).id
            record_access(session, self.klachten, account.name, dossier_id, what)
            return recommendations_of(session, dossier_id)

    def letter(self, account: Account, number: str, code: str) -> Letter:
        """A notice of the dossier as a PDF letter (name, address, full text), logged."""
        if not account.may(WORK_TASKS):
            raise Forbidden(f"{account.name} mag geen brieven afdrukken")
        made = self.klachten.post.letter(number, code)
        with transaction(self.klachten.factory) as session:
            dossier_id = self.klachten.find_dossier(session, number).id
            record_access(session, self.klachten, account.name, dossier_id,
                          f"brief {code} (pdf)")
        return made

    def send_message(self, account: Account, number: str, name: str,
                     payload: dict[str, Any]) -> None:
        """A message the complainant gave by other means (phone, letter), as a mediator."""
        if not account.may(WORK_TASKS):
            raise Forbidden(f"{account.name} mag geen berichten aan dossiers geven")
        if name not in MESSAGES:
            raise ValidationFailed({"naam": f"kies een van: {', '.join(MESSAGES)}"},
                                   {"naam": "enum"})
        self.klachten.send_message(number, name, payload, actor=account.name)

    def access_log(self, account: Account) -> list[dict[str, Any]]:
        if not account.may(ADMINISTER):
            raise Forbidden(f"{account.name} mag het toegangslogboek niet lezen")
        with transaction(self.klachten.factory) as session:
            rows = session.execute(
                select(AccessEntry, Dossier.number).outerjoin(Dossier)
                .order_by(AccessEntry.id.desc()).limit(ACCESS_LOG_PAGE)).all()
            return [{"op": _iso(entry.at), "wie": entry.user, "dossier": number or "",
                     "wat": entry.what} for entry, number in rows]
