"""Internal notes and the contact log of a dossier: what the mediators write down beside the
procedure (a phone call, a letter, a visit, a thought), append-only.

A note is never changed or deleted by a user: a correction is a new note naming the one it
corrects. Notes are for staff only: every role that reads dossiers reads them (each read is
written to the access log), those who work tasks add them. They are personal data of the
member: the access request exports them, erasure deletes them with the rest
(``runner.privacy.retention``). A legal hold keeps them and still lets the team add notes;
an erased dossier takes none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.accounts.users import READ_DOSSIERS, WORK_TASKS, Account
from runner.bpmn.clock import as_utc
from runner.bpmn.errors import Conflict, Forbidden, ValidationFailed
from runner.bpmn.store import transaction
from runner.deadlines.days import DayNotAccepted, parse_day
from runner.privacy.access_log import record_access
from runner.results import in_json
from runner.service import Klachten
from runner.store import DossierNote
from runner.work.timeline import CONTACT, NOTE, Event

PHONE, EMAIL, LETTER, VISIT = "phone", "email", "letter", "visit"
CONTACTS = (PHONE, EMAIL, LETTER, VISIT)
INCOMING, OUTGOING = "in", "out"
DIRECTIONS = (INCOMING, OUTGOING)
MAX_TEXT = 10_000
ACCESS_LOGGED_AS = "notities"


@dataclass(frozen=True)
class NoteInfo:
    """A note or a contact as shown (in the API's JSON: ``Notitie``)."""

    id: int = field(metadata=in_json("id"))
    author: str = field(metadata=in_json("auteur"))
    at: datetime = field(metadata=in_json("op"))
    text: str = field(metadata=in_json("tekst"))
    contact: str = field(default="", metadata=in_json("contact"))  # "" for a note
    direction: str = field(default="", metadata=in_json("richting"))
    contact_on: date | None = field(default=None, metadata=in_json("datum"))
    corrects: int | None = field(default=None, metadata=in_json("verbetert"))


@dataclass(frozen=True)
class NewNote:
    """A note as typed (the web form's, the API's and the command line's fields)."""

    text: str
    contact: str = ""
    direction: str = ""
    contact_on: str = ""  # YYYY-MM-DD; today when empty
    corrects: int | None = None

    @classmethod
    def from_fields(cls, fields: Mapping[str, object]) -> NewNote:
        """From posted fields or a JSON body: ``tekst``, ``contact``, ``richting``,
        ``datum``, ``verbetert``."""
        corrects = fields.get("verbetert")
        if isinstance(corrects, str):
            corrects = int(corrects) if corrects.strip().isdigit() else (
                None if not corrects.strip() else -1)
        return cls(str(fields.get("tekst") or ""), str(fields.get("contact") or ""),
                   str(fields.get("richting") or ""), str(fields.get("datum") or ""),
                   corrects if isinstance(corrects, int) else None)


class CaseNotes:
    def __init__(self, klachten: Klachten):
        self.klachten = klachten

    def add(self, account: Account, number: str, new: NewNote) -> NoteInfo:
        """Append a note or a contact to the dossier as ``account``."""
        if not account.may(WORK_TASKS):
            raise Forbidden(f"{account.name} mag geen notities toevoegen")
        text = _checked_text(new.text)
        with transaction(self.klachten.factory) as session:
            now = self.klachten.clock.now(session)
            dossier = self.klachten.find_dossier(session, number)
            if dossier.erased_at is not None:
                raise Conflict(f"dossier {number} is gewist: er kunnen geen notities meer bij")
            zone = self.klachten.dossier_model(session, dossier.id).timezone
            received = as_utc(dossier.received_at).astimezone(zone).date()
            contact_on = _checked_contact(new, received, now.astimezone(zone).date())
            _check_corrects(session, dossier.id, new.corrects)
            note = DossierNote(dossier_id=dossier.id, author=account.name[:100], at=now,
                               contact=new.contact, direction=new.direction if new.contact
                               else "", contact_on=contact_on, text=text,
                               corrects_id=new.corrects)
            session.add(note)
            session.flush()
            return _info(note)

    def notes(self, account: Account, number: str, what: str = ACCESS_LOGGED_AS
              ) -> list[NoteInfo]:
        """The dossier's notes, oldest first; the read is written to the access log as
        ``what`` (the dossier page logs itself: pass ``""``)."""
        if not account.may(READ_DOSSIERS):
            raise Forbidden(f"{account.name} mag geen dossiers inzien")
        with transaction(self.klachten.factory) as session:
            dossier = self.klachten.find_dossier(session, number)
            if what:
                record_access(session, self.klachten, account.name, dossier.id, what)
            return notes_of(session, dossier.id)


def notes_of(session: Session, dossier_id: int) -> list[NoteInfo]:
    """A dossier's notes, oldest first (for the access request's export too)."""
    return [_info(note) for note in session.scalars(
        select(DossierNote).where(DossierNote.dossier_id == dossier_id)
        .order_by(DossierNote.id))]


def note_events(notes: list[NoteInfo]) -> list[Event]:
    """The notes as events of the dossier's timeline: ``subject`` the kind of contact,
    ``state`` its direction, ``number`` the note's id, ``detail`` the whole text."""
    return [Event(note.at, CONTACT if note.contact else NOTE, note.author, note.contact,
                  note.text, note.id, note.direction, on=note.contact_on,
                  refers_to=note.corrects) for note in notes]


def _info(note: DossierNote) -> NoteInfo:
    return NoteInfo(note.id, note.author, note.at, note.text, note.contact, note.direction,
                    note.contact_on, note.corrects_id)


def _checked_text(text: str) -> str:
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise ValidationFailed({"tekst": "schrijf de notitie"}, {"tekst": "required"})
    if "\x00" in text:
        raise ValidationFailed({"tekst": "de tekst bevat een ongeldig teken (NUL)"},
                               {"tekst": "nul"})
    if len(text) > MAX_TEXT:
        raise ValidationFailed({"tekst": f"hoogstens {MAX_TEXT} tekens (nu {len(text)})"},
                               {"tekst": "maxLength"})
    return text


def _checked_contact(new: NewNote, received: date, today: date) -> date | None:
    """The contact's day (today when not given) for a contact; a note has none."""
    if not new.contact:
        if new.direction or new.contact_on:
            raise ValidationFailed({"contact": "kies de soort contact (telefoon, e-mail, brief "
                                               "of bezoek) of laat richting en datum leeg"},
                                   {"contact": "required"})
        return None
    if new.contact not in CONTACTS:
        raise ValidationFailed({"contact": f"kies een van: {', '.join(CONTACTS)}"},
                               {"contact": "enum"})
    if new.direction not in DIRECTIONS:
        raise ValidationFailed({"richting": "kies in (van de klager) of out (naar de klager)"},
                               {"richting": "required" if not new.direction else "enum"})
    if not new.contact_on.strip():
        return today
    try:
        day = parse_day(new.contact_on)
    except DayNotAccepted as err:
        raise ValidationFailed({"datum": str(err)}, {"datum": err.code}) from None
    if day > today or day < received:
        raise ValidationFailed({"datum": f"kies een dag tussen de ontvangst ({received}) en "
                                         f"vandaag ({today})"}, {"datum": "range"})
    return day


def _check_corrects(session: Session, dossier_id: int, corrects: int | None) -> None:
    if corrects is None:
        return
    found = session.scalar(select(DossierNote.id).where(DossierNote.id == corrects,
                                                         DossierNote.dossier_id == dossier_id))
    if found is None:
        raise ValidationFailed({"verbetert": "die notitie bestaat niet in dit dossier"},
                               {"verbetert": "enum"})
