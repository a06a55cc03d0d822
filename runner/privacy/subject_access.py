"""A member's access request (GDPR art. 15): find every dossier of a person and export all
that klachten holds about them, as a readable PDF and as machine-readable JSON.

Only a beheerder may search and export; each exported dossier is written to the access log,
like every other view of a dossier's personal data. Erased dossiers hold nothing of the
person any more and are not found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from fpdf import FPDF
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from runner.accounts.users import ADMINISTER, Account
from runner.bpmn.errors import Forbidden, ValidationFailed
from runner.bpmn.store import transaction
from runner.notices.access_codes import redact_access_code
from runner.notices.pdf import FONT, paged_pdf
from runner.results import to_json
from runner.search import contains
from runner.service import Klachten, _iso
from runner.store import AccessEntry, Dossier, DossierNote, TaskDraft

MARGIN, WIDTH = 15.0, 180.0  # mm on A4
MAX_RESULTS = 200
ACCESS_LOGGED_AS = "inzageverzoek"
NOTICE_KEYS = ("soort", "code", "kanaal", "taal", "aangemaakt_op", "verzonden_op",
               "status_tekst", "ontvanger", "onderwerp", "tekst")
COMPLAINANT_LABELS = {"voornaam": "Voornaam", "achternaam": "Achternaam", "email": "E-mailadres",
                      "adres": "Postadres", "telefoon": "Telefoon", "lidnummer": "Lidnummer"}


@dataclass(frozen=True)
class Person:
    """What a beheerder searches by: any of name (part of it), e-mail address, member number."""

    name: str = ""
    email: str = ""
    member_number: str = ""

    def check(self) -> Person:
        person = Person(self.name.strip(), self.email.strip().lower(), self.member_number.strip())
        if not (len(person.name) >= 2 or person.email or person.member_number):
            raise ValidationFailed({"naam": "geef een naam (minstens 2 tekens), een e-mailadres "
                                            "of een lidnummer op"}, {"naam": "required"})
        return person

    def describe(self) -> str:
        parts = [("naam", self.name), ("e-mail", self.email), ("lidnummer", self.member_number)]
        return ", ".join(f"{label} {value}" for label, value in parts if value)


@dataclass(frozen=True)
class Export:
    document: dict[str, Any]
    pdf: bytes
    filename: str


class SubjectAccess:
    def __init__(self, klachten: Klachten):
        self.klachten = klachten

    def find(self, account: Account, person: Person) -> list[dict[str, Any]]:
        """The person's dossiers (any criterion matches), newest first."""
        _check(account)
        person = person.check()
        with transaction(self.klachten.factory) as session:
            return [_summary(dossier) for dossier in _dossiers(session, person)]

    def export(self, account: Account, person: Person) -> Export:
        """Everything held about the person, logged in the access log per dossier."""
        _check(account)
        person = person.check()
        with transaction(self.klachten.factory) as session:
            now = self.klachten.clock.now(session)
            numbers = [dossier.number for dossier in _dossiers(session, person)]
            session.add_all(AccessEntry(dossier_id=dossier_id, user=account.name, at=now,
                                        what=ACCESS_LOGGED_AS)
                            for dossier_id in session.scalars(select(Dossier.id).where(
                                Dossier.number.in_(numbers))))
        document = {"verzoek": {"gezocht_op": person.describe(), "door": account.name,
                                "gemaakt_op": _iso(now)},
                    "dossiers": [self._dossier_document(number) for number in numbers if number]}
        timezone = self.klachten.latest_model().timezone
        return Export(document, render_pdf(document, now, timezone),
                      f"inzage-{now.astimezone().strftime('%Y%m%d')}.pdf")

    def _dossier_document(self, number: str) -> dict[str, Any]:
        """One dossier as exported. A notice not sent yet still holds the access code: it is
        left out (ADR 0003), as from every stored copy once sent."""
        info = self.klachten.dossier(number)
        data = self.klachten.case(number).data()
        with transaction(self.klachten.factory) as session:
            dossier = self.klachten.find_dossier(session, number)
            model = self.klachten.dossier_model(session, dossier.id)
            code_hash = dossier.access_code_hash
            case_work = _case_work(session, dossier.id)
        declared = model.settings.get("privacy", {}).get("persoonsgegevens", [])
        return {
            "dossiernummer": number,
            "ontvangen_op": _iso(info.received_at), "afgesloten_op": _iso(info.closed_at),
            "stap": info.step, "categorie": info.category, "kanaal": info.channel,
            "taal": info.language, "uitkomst": info.outcome,
            "klager": data.get("klager") or {},
            "omschrijving": data.get("omschrijving") or "",
            "gegevens": [{"gegeven": item["gegeven"], "wat": item["wat"],
                          "waarde": _value(data, item["gegeven"])}
                         for item in declared if item["gegeven"] not in ("klager", "omschrijving")
                         and _value(data, item["gegeven"]) not in (None, "")],
            "procesgegevens": data,
            "berichten": [{**{key: notice[key] for key in NOTICE_KEYS},
                           "tekst": redact_access_code(notice["tekst"], code_hash)}
                          for notice in to_json(info.notices)],
            "verloop": to_json(info.audit),
            **case_work,
        }


def _case_work(session: Session, dossier_id: int) -> dict[str, list[dict[str, Any]]]:
    """The mediators' notes and contacts about the member, and drafts not sent yet: personal
    data of the member too (docs/security-privacy.md)."""
    notes = session.scalars(select(DossierNote).where(DossierNote.dossier_id == dossier_id)
                            .order_by(DossierNote.id))
    drafts = session.scalars(select(TaskDraft).where(TaskDraft.dossier_id == dossier_id)
                             .order_by(TaskDraft.id))
    return {"notities": [{"nummer": note.id, "op": _iso(note.at), "door": note.author,
                          "contact": note.contact, "richting": note.direction,
                          "datum": note.contact_on.isoformat() if note.contact_on else None,
                          "verbetert": note.corrects_id, "tekst": note.text}
                         for note in notes],
            "concepten": [{"veld": draft.field, "door": draft.user,
                           "bewaard_op": _iso(draft.updated_at), "tekst": draft.text}
                          for draft in drafts]}


def _check(account: Account) -> None:
    if not account.may(ADMINISTER):
        raise Forbidden(f"{account.name} mag geen inzageverzoeken beantwoorden")


def _dossiers(session: Session, person: Person) -> list[Dossier]:
    criteria = []
    if len(person.name) >= 2:
        criteria.append(contains(Dossier.complainant_name, person.name))
    if person.email:
        criteria.append(Dossier.complainant_email == person.email)
    if person.member_number:
        criteria.append(Dossier.member_number == person.member_number)
    return list(session.scalars(
        select(Dossier).where(or_(*criteria), Dossier.erased_at.is_(None),
                              Dossier.number.is_not(None))
        .order_by(Dossier.received_at.desc(), Dossier.id.desc()).limit(MAX_RESULTS)))


def _summary(dossier: Dossier) -> dict[str, Any]:
    return {"dossiernummer": dossier.number, "naam": dossier.complainant_name,
            "email": dossier.complainant_email, "lidnummer": dossier.member_number,
            "ontvangen_op": _iso(dossier.received_at), "afgesloten_op": _iso(dossier.closed_at),
            "categorie": dossier.category, "juridische_blokkering": dossier.legal_hold}


def _value(data: dict, path: str) -> Any:
    value: Any = data
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


# ----- the PDF
def render_pdf(document: dict[str, Any], made_at: datetime, timezone: ZoneInfo) -> bytes:
    """The export as a readable letter-size document, times in the fund's timezone."""
    when = partial(_local, timezone=timezone)
    with paged_pdf("Pagina {pagina} van {totaal}", "nl", foot=12.0) as pdf:
        pdf.set_title("Inzage in uw persoonsgegevens")
        pdf.set_creation_date(made_at)
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.set_auto_page_break(True, margin=18)
        pdf.add_page()
        _heading(pdf, "Inzage in uw persoonsgegevens", 16)
        request = document["verzoek"]
        _line(pdf, f"Gezocht op {request['gezocht_op']}; gemaakt op "
                   f"{when(request['gemaakt_op'])} door {request['door']}. Aantal dossiers: "
                   f"{len(document['dossiers'])}.")
        for dossier in document["dossiers"]:
            _dossier_pages(pdf, dossier, when)
        return bytes(pdf.output())


def _local(value: str | None, timezone: ZoneInfo) -> str:
    if not value:
        return "-"
    return datetime.fromisoformat(value).astimezone(timezone).strftime("%d-%m-%Y %H:%M")


def _dossier_pages(pdf: FPDF, dossier: dict[str, Any], when: Callable[[str | None], str]
                   ) -> None:
    pdf.ln(4)
    _heading(pdf, f"Dossier {dossier['dossiernummer']}", 14)
    _line(pdf, f"Ontvangen op: {when(dossier['ontvangen_op'])}")
    _line(pdf, f"Afgesloten op: {when(dossier['afgesloten_op'])}")
    for label, key in (("Stap", "stap"), ("Categorie", "categorie"), ("Kanaal", "kanaal"),
                       ("Uitkomst", "uitkomst")):
        _line(pdf, f"{label}: {dossier[key] or '-'}")
    _heading(pdf, "Uw gegevens", 12)
    for key, label in COMPLAINANT_LABELS.items():
        if dossier["klager"].get(key):
            _line(pdf, f"{label}: {dossier['klager'][key]}")
    _heading(pdf, "Uw klacht", 12)
    _line(pdf, dossier["omschrijving"] or "-")
    if dossier["gegevens"]:
        _heading(pdf, "Beslissingen en antwoorden", 12)
        for item in dossier["gegevens"]:
            _line(pdf, f"{item['wat']}:", bold=True)
            _line(pdf, str(item["waarde"]))
    _heading(pdf, "Berichten", 12)
    for notice in dossier["berichten"]:
        _line(pdf, f"{when(notice['aangemaakt_op'])}  {notice['soort']} (code {notice['code']}, "
                   f"{notice['kanaal']}, {notice['status_tekst']})", bold=True)
        if notice["ontvanger"]:
            _line(pdf, f"Aan: {notice['ontvanger']}")
        _line(pdf, notice["onderwerp"])
        _line(pdf, notice["tekst"])
        pdf.ln(2)
    if dossier["notities"]:
        _heading(pdf, "Notities en contacten van de klachtendienst", 12)
        for note in dossier["notities"]:
            kind = f"contact ({note['contact']}, {note['richting']}, {note['datum']})" \
                if note["contact"] else "notitie"
            _line(pdf, f"{when(note['op'])}  {note['door']}: {kind} nr. {note['nummer']}"
                       + (f", verbetert nr. {note['verbetert']}" if note["verbetert"] else ""),
                  bold=True)
            _line(pdf, note["tekst"])
    if dossier["concepten"]:
        _heading(pdf, "Concepten (nog niet verstuurd)", 12)
        for draft in dossier["concepten"]:
            _line(pdf, f"{when(draft['bewaard_op'])}  {draft['door']}: {draft['veld']}",
                  bold=True)
            _line(pdf, draft["tekst"])
    _heading(pdf, "Verloop van het dossier", 12)
    for entry in dossier["verloop"]:
        _line(pdf, f"{when(entry['op'])}  {entry['wie']}: {entry['wat']} "
                   f"{entry['element']}".strip())


def _heading(pdf: FPDF, text: str, size: int) -> None:
    pdf.ln(2)
    pdf.set_font(FONT, "B", size)
    pdf.multi_cell(WIDTH, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")


def _line(pdf: FPDF, text: str, bold: bool = False) -> None:
    pdf.set_font(FONT, "B" if bold else "", 9)
    pdf.multi_cell(WIDTH, 4.5, text, new_x="LMARGIN", new_y="NEXT")
