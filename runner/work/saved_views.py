"""Saved views of the dossier list, per user: three shipped for everyone ("mijn dossiers",
"te laat", "wacht op klager") and those a user saved under a name (``saved_views``).

A view is the list's query string without the page. Saving under a name the user used
before replaces that view; two sessions saving at once never fail on it (the unique
constraint's loser updates the winner's row).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from runner.accounts.users import READ_DOSSIERS, Account
from runner.bpmn.errors import Forbidden, NotFound, ValidationFailed
from runner.bpmn.store import transaction
from runner.service import Klachten
from runner.store import SavedView
from runner.work.dossier_list import LATE, DossierQuery
from runner.work.dossier_state import WAITING

MAX_NAME = 60
MAX_VIEWS = 50  # per user


@dataclass(frozen=True)
class View:
    """A saved view: ``id`` None for the shipped ones, which cannot be deleted."""

    id: int | None
    name: str
    query: str  # the list's query string

    @property
    def shipped(self) -> bool:
        return self.id is None


def shipped(account: Account) -> list[View]:
    """The views every user has."""
    return [View(None, name, urlencode(query.as_fields())) for name, query in (
        ("mijn dossiers", DossierQuery(owner=account.name)),
        ("te laat", DossierQuery(deadline=LATE, sort="vervaldag", descending=False)),
        ("wacht op klager", DossierQuery(state=WAITING)))]


class SavedViews:
    def __init__(self, klachten: Klachten):
        self.klachten = klachten

    def list(self, account: Account) -> list[View]:
        _check(account)
        with transaction(self.klachten.factory) as session:
            saved = session.scalars(select(SavedView).where(SavedView.user == account.name)
                                    .order_by(SavedView.name))
            return [*shipped(account), *(View(v.id, v.name, v.query) for v in saved)]

    def save(self, account: Account, name: str, query: DossierQuery) -> View:
        """Save ``query`` as ``name`` for ``account`` (replacing their view of that name)."""
        _check(account)
        name = " ".join(str(name).split())
        if not name or len(name) > MAX_NAME or "\x00" in name:
            raise ValidationFailed({"naam": f"geef een naam van 1 tot {MAX_NAME} tekens"},
                                   {"naam": "maxLength" if name else "required"})
        if name.casefold() in {view.name.casefold() for view in shipped(account)}:
            raise ValidationFailed({"naam": f"'{name}' is een vaste weergave; kies een"
                                            " andere naam"}, {"naam": "not"})
        text = urlencode(query.as_fields())
        try:
            return self._upsert(account, name, text)
        except IntegrityError:  # the same user saved the same name at the same moment
            return self._upsert(account, name, text)

    def _upsert(self, account: Account, name: str, text: str) -> View:
        with transaction(self.klachten.factory) as session:
            view = session.scalar(select(SavedView).where(SavedView.user == account.name,
                                                          SavedView.name == name))
            if view is None:
                count = session.scalar(select(func.count()).select_from(SavedView).where(
                    SavedView.user == account.name)) or 0
                if count >= MAX_VIEWS:
                    raise ValidationFailed({"naam": f"u hebt al {MAX_VIEWS} weergaven;"
                                                    " verwijder er eerst een"},
                                           {"naam": "maxItems"})
                view = SavedView(user=account.name, name=name,
                                 created_at=self.klachten.clock.now(session))
                session.add(view)
            view.query = text
            session.flush()
            return View(view.id, view.name, view.query)

    def delete(self, account: Account, view_id: int) -> None:
        """Delete one of ``account``'s own views (another user's is not found)."""
        _check(account)
        with transaction(self.klachten.factory) as session:
            view = session.scalar(select(SavedView).where(
                SavedView.id == view_id, SavedView.user == account.name))
            if view is not None:
                session.delete(view)
        if view is None:
            raise NotFound(f"weergave {view_id} bestaat niet")


def _check(account: Account) -> None:
    if not account.may(READ_DOSSIERS):
        raise Forbidden(f"{account.name} mag geen dossiers inzien")
