"""A generated set of dossiers with known report figures, built through the process.

Every dossier goes through the diagram with the virtual clock (never inserted by hand),
including deadline misses made on purpose: an acknowledgement letter posted on day 9, and
a status update delayed by a worker outage. Day 0 is Monday 2 March 2026, 10:00 in Brussels.
``tests/test_reports.py`` states the figures this set must give.
"""

from __future__ import annotations

from conftest import Harness
from smtp_server import SENDER

from runner.notices.mail import EmlFolder, Sender
from runner.notices.outbox import Outbox


def person(key: str) -> dict:
    """A complainant whose name, e-mail and address are unique to the dossier."""
    return {"voornaam": f"Voornaam{key}", "achternaam": f"Achternaam{key}",
            "email": f"klager.{key.lower()}@example.be", "adres": f"Straat {key} 1, 9000 Gent",
            "telefoon": "09 123 45 67"}


def description(key: str) -> str:
    return f"Omschrijving van klacht {key}: te weinig terugbetaald."


class Generated:
    """Seven dossiers A-G with the events below, in the order of the clock."""

    def __init__(self, klachten, tmp_path):
        self.k = klachten
        self.outbox = Outbox(klachten, EmlFolder(tmp_path / "mail"), Sender(SENDER))
        self.d: dict[str, Harness] = {}

    def submit(self, key: str, category: str, channel: str = "web", **complainant) -> None:
        details = {**person(key), **complainant}
        self.d[key] = Harness(self.k).submit(
            klager={k: v for k, v in details.items() if v is not None}, kanaal=channel,
            categorie=category, omschrijving=description(key))

    def build(self) -> None:
        d = self.d
        self.submit("A", "terugbetaling")
        self.submit("B", "uitkering", "brief", email=None)      # acknowledgement by letter
        self.submit("C", "terugbetaling")
        self.submit("D", "administratie", "telefoon")
        self.submit("E", "andere")
        self.submit("F", "terugbetaling")
        self.submit("G", "andere", "brief", voornaam=None, achternaam=None, email=None,
                    adres=None, telefoon=None)                    # anonymous: nothing to send
        self.outbox.deliver_due()                                 # e-mail acknowledgements, day 0
        self.day(1)
        d["A"].admissible()
        d["E"].admissible()
        self.day(2)
        for key, reason in (("C", "geen_verband"), ("G", "anoniem")):
            d[key].complete("ontvankelijkheid_beoordelen", {
                "ontvankelijk": "nee", "reden": reason, "motivatie": "Geen klacht over ons."})
        self.day(3)
        d["F"].message("klacht_ingetrokken", {"reden": "opgelost"})
        self.day(5)
        d["D"].admissible()
        self.day(9)                                               # one day late
        d["B"].complete("ontvangstmelding_posten", {"gepost_op": "2026-03-11"})
        d["B"].admissible()
        self.day(10)
        d["A"].investigate().answer("gegrond")
        self.day(12)
        d["B"].investigate().answer("ongegrond")
        self.day(22.5)                                            # E: status update on time
        # Outage: no worker from day 22.5 to day 30.5. D's update was due on 28 March.
        self.day(30.5)
        self.day(31)
        d["D"].investigate().answer("deels gegrond")
        self.day(32)
        d["D"].message("klager_niet_akkoord", {"reden": "Ik ben het er niet mee eens."})
        self.day(40)
        d["D"].complete("nationaal_onderzoek", {
            "uitkomst": "ongegrond", "antwoord": "Na nieuw onderzoek blijft het antwoord."},
            user="nora")
        self.day(42.6)                                            # A and B: reaction window over
        self.day(43.5)                                            # E: 21 days after the first
        self.day(45)
        d["A"].recommend([{"tekst": "Controleer de berekening.", "dienst": "terugbetalingen"},
                          {"tekst": "Leg de berekening uit.", "dienst": "onthaal"}])
        self.day(50)

    def day(self, day: float) -> None:
        self.d["A"].at_day(day)
