"""Benchmark: one page of the dossier list (``runner.work.dossier_list.DossierList.page``)
with 10 000 and 100 000 dossiers.

Run from the repository root::

    PYTHONPATH=. python bench/dossiers.py [--postgres URL] [--no-sqlite]

The dossiers are bulk-inserted with SQLAlchemy Core, as ``bench/inbox.py`` does (whose
helpers this reuses: names, the timer, the PostgreSQL database, the load average), each with
an e-mail address, a member number, a complaint of a few sentences and a state: 40 % open,
10 % waiting for the member, 2 % at the national mediator, 45 % closed, 3 % withdrawn; the
open ones have an open task with a due date; one dossier in five is owned by "mia". Dossier 7 of
every thousand among the first 10 000 is a rare person (name, e-mail address) and has a rare
word in its complaint, so that a search finds the same ten dossiers at both sizes; the member
number of dossier 7 is searched too (one hit). The list is asked, as a reader, the queries
of :data:`QUERIES` (each page writes its 25 dossiers to the access log, as in production).

Prints, per backend, a Markdown table of medians and fastest calls (20 calls after 3
warm-up calls) with the ratio 100k / 10k and the load average, for ``BENCHMARKS.md``.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta

from inbox import CATEGORIES, RARE_NAME, SIZES, name, run, timed_ms
from sqlalchemy import insert, text

from runner.accounts.users import Accounts
from runner.bpmn.store import Instance, OpenTask
from runner.migrations import upgrade
from runner.procedure import open_klachten
from runner.service import Klachten
from runner.store import Dossier
from runner.work.dossier_list import DossierList, DossierQuery

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
RARE_WORD = "brillenglazen"
QUERIES = {
    "first page (newest first)": DossierQuery(),
    "page 40 (the last counted)": DossierQuery(page=40),
    "state closed (45 %)": DossierQuery(state="afgesloten"),
    "state national (2 %)": DossierQuery(state="nationaal"),
    "late": DossierQuery(deadline="te_laat"),
    "due within 7 days": DossierQuery(deadline="binnen", within_days=7),
    "category and channel": DossierQuery(category="uitkering", channel="brief"),
    "received in one month": DossierQuery(received_from=date(2026, 6, 1),
                                          received_to=date(2026, 6, 30)),
    "owner (mijn dossiers)": DossierQuery(owner="mia"),
    "search a member number (1 hit)": DossierQuery(search="00000000007"),
    "search a rare e-mail part (10 hits)": DossierQuery(search="zeldzaam.example"),
    "search a rare complaint word (10 hits)": DossierQuery(search=RARE_WORD),
    "search a common surname (~2 %)": DossierQuery(search="peeters"),
    "search 2 characters": DossierQuery(search="ma"),
}
STATES = (("open", 40), ("wacht_op_klager", 10), ("nationaal", 2), ("afgesloten", 45),
          ("ingetrokken", 3))
CHANNELS = ("web", "email", "brief", "telefoon", "loket")
SENTENCES = ("Mijn terugbetaling voor de kinesitherapie kwam te laat.",
             "Het loket was gesloten op het uur dat op de website stond.",
             "Ik kreeg twee verschillende antwoorden over mijn uitkering.",
             "De brief over mijn aanvullende verzekering was onduidelijk.",
             "Niemand belde mij terug, hoewel dat beloofd was.",
             "Het bedrag op mijn rekening klopt niet met de afrekening.")


def fill(k: Klachten, first: int, count: int) -> None:
    """``count`` dossiers in every state; the open ones with one open task."""
    rng = random.Random(first)
    states = [state for state, weight in STATES for _ in range(weight)]
    dossiers, tasks = [], []
    for i in range(first, first + count):
        person = name(i, rng)
        rare = person == RARE_NAME
        state = rng.choice(states)
        due = NOW + timedelta(days=rng.uniform(-20, 60))
        received = NOW - timedelta(days=rng.uniform(0, 700))
        words = " ".join(rng.sample(SENTENCES, 3)) + (f" De {RARE_WORD} braken." if rare else "")
        dossiers.append({
            "id": i, "number": f"KL-2026-{i:06d}", "year": 2026, "sequence": i,
            "complainant_name": person,
            "complainant_email": (f"wannes.{i}@zeldzaam.example" if rare
                                  else f"{person.split()[-1].lower()}{i}@example.be"),
            "member_number": f"{i:011d}", "complaint_text": words,
            "category": rng.choice(CATEGORIES), "channel": rng.choice(CHANNELS),
            "language": "nl", "received_at": received, "state": state,
            "owner": "mia" if i % 5 == 0 else None,
            "step": {"open": "4", "wacht_op_klager": "6", "nationaal": "6"}.get(state, ""),
            "due_at": due if state in ("open", "nationaal") else None,
            "closed_at": received + timedelta(days=40) if state in (
                "afgesloten", "ingetrokken") else None})
        if state in ("open", "nationaal"):
            tasks.append({"id": str(uuid.UUID(int=i)), "instance_id": 1, "dossier_id": i,
                          "spec_name": "onderzoek", "title": "Onderzoek",
                          "lane": "Klachtenbemiddelaar", "step": "4", "form": "onderzoek.json",
                          "created_at": received, "due_at": due})
    with k.engine.begin() as conn:
        for start in range(0, count, 5000):
            conn.execute(insert(Dossier.__table__), dossiers[start:start + 5000])
        if first == 1:  # the list never reads instances: one row satisfies the foreign key
            conn.execute(insert(Instance.__table__), [{
                "id": 1, "dossier_id": 1, "definition_id": 1, "state": "{}",
                "serializer_version": "1.5", "version": 1, "step": "", "completed": False,
                "has_incident": False, "updated_at": NOW}])
        for start in range(0, len(tasks), 5000):
            conn.execute(insert(OpenTask.__table__), tasks[start:start + 5000])
    if k.engine.dialect.name == "postgresql":
        with k.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


def measure(url: str) -> dict[int, dict[str, tuple[float, float]]]:
    upgrade(url)
    k = open_klachten(url, clock="virtual")
    try:
        k.clock.set(NOW)
        k.deploy()
        accounts = Accounts(k)
        accounts.add("mia", ["klachtenbemiddelaar"], "een lang wachtwoord 123")
        lea = accounts.add("lea", ["lezer"], "een lang wachtwoord 123")
        listing = DossierList(k, accounts)
        results: dict[int, dict[str, tuple[float, float]]] = {}
        filled = 0
        for size in SIZES:
            fill(k, filled + 1, size - filled)
            filled = size
            results[size] = {label: timed_ms(lambda q=query: listing.page(lea, q))
                             for label, query in QUERIES.items()}
            hits = {label: listing.page(lea, QUERIES[label]).total for label in (
                "search a rare complaint word (10 hits)", "search a common surname (~2 %)")}
            print(f"  {size:,}: {hits}", flush=True)
        return results
    finally:
        k.close()


if __name__ == "__main__":
    run(measure, "dossiers", QUERIES, "dossiers")
