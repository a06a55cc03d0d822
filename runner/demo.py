"""Demo data for ``klachten serve --demo``: one account per role and a handful of dossiers
in different steps. Run again, it adds nothing twice (accounts) and a few more dossiers."""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass

from runner.accounts.users import ADMIN, MEDIATOR, NATIONAL, READER, Accounts
from runner.bpmn.errors import ValidationFailed
from runner.service import Klachten

DEMO_USERS = (("mia", MEDIATOR), ("tom", MEDIATOR), ("nora", NATIONAL), ("bert", ADMIN),
              ("lea", READER))
PEOPLE = (("An", "Peeters", "terugbetaling"), ("Bart", "Claes", "uitkering"),
          ("Chloé", "Dubois", "administratie"), ("Dirk", "Maes", "onthaal en bereikbaarheid"),
          ("Eva", "Jacobs", "aanvullend voordeel"))


@dataclass(frozen=True)
class DemoLogin:
    name: str
    role: str
    password: str | None  # None: the account existed already


def create_demo(klachten: Klachten) -> tuple[list[DemoLogin], list[str]]:
    accounts = Accounts(klachten)
    logins = [_demo_login(accounts, name, role) for name, role in DEMO_USERS]
    numbers = [_dossier(klachten, index, first, last, category)
               for index, (first, last, category) in enumerate(PEOPLE)]
    return logins, numbers


def _demo_login(accounts: Accounts, name: str, role: str) -> DemoLogin:
    """A demo account with a new password, or without one when the account existed."""
    password = f"demo-{secrets.token_urlsafe(9)}"
    try:
        accounts.add(name, [role], password)
    except ValidationFailed:
        return DemoLogin(name, role, None)
    return DemoLogin(name, role, password)


def _dossier(klachten: Klachten, steps: int, first: str, last: str, category: str) -> str:
    """Dossier number ``steps`` goes that many steps further than a fresh complaint."""
    number = klachten.submit({
        "klager": {"voornaam": first, "achternaam": last,
                   "email": _ascii(f"{first}.{last}@example.be".lower())},
        "taal": "fr" if first == "Chloé" else "nl", "kanaal": "web", "categorie": category,
        "omschrijving": f"Voorbeeldklacht van {first} {last} over {category}."},
        actor="demo").dossier_number
    plan = [("ontvankelijkheid_beoordelen", {"ontvankelijk": "ja"}, None),
            ("onderzoek", {"bevindingen": "Het dossier werd nagekeken."}, None),
            ("gemotiveerd_antwoord", {"uitkomst": "deels gegrond",
                                      "antwoord": "Wij hebben het bedrag herberekend."},
             "klager_niet_akkoord"),
            ("nationaal_onderzoek", {"uitkomst": "ongegrond",
                                     "antwoord": "Na nieuw onderzoek blijft het antwoord."},
             None)]
    for name, data, message in plan[:steps]:
        task = next(t for t in klachten.tasks(number) if t.name == name)
        user = "nora" if name == "nationaal_onderzoek" else "mia"
        klachten.complete_task(task.id, data, user)
        if message:
            klachten.send_message(number, message, {"reden": "Ik ben het er niet mee eens."})
    return number


def _ascii(address: str) -> str:
    """chloé.dubois@example.be -> chloe.dubois@example.be: a demo address every mail server
    takes (a non-ASCII one needs SMTPUTF8, which the demo cannot count on)."""
    return unicodedata.normalize("NFKD", address).encode("ascii", "ignore").decode()
