"""The werkbak's search (issue 16, item 3): a mediator finds a dossier by part of the
complainant's name or of its number; ``%``, ``_`` and ``\\`` are plain characters; a
rectified or erased name leaves the search index; a werkbak with more tasks than it counts
says so. On SQLite and, with ``KLACHTEN_TEST_DATABASE_URL``, on PostgreSQL."""

from __future__ import annotations

import re

import pytest
from conftest import Harness, Staff
from sqlalchemy import text

from runner.accounts.users import Account
from runner.bpmn.store import transaction
from runner.privacy.rectification import Rectification
from runner.privacy.retention import Retention
from runner.search import matching_dossiers
from runner.work.inbox import COUNT_LIMIT

ADMIN = Account(3, "bert", ("beheerder",), False)
MEDIATOR = Account(2, "mia", ("klachtenbemiddelaar",), False)
NUMBER = re.compile(r"KL-\d{4}-\d+")


@pytest.fixture
def mia(app, accounts) -> Staff:
    staff = Staff(app.test_client())
    staff.login("mia")
    return staff


def _person(first: str, last: str) -> dict:
    return {"voornaam": first, "achternaam": last, "email": "lid@example.be",
            "adres": "Kerkstraat 1, 9000 Gent", "telefoon": "09 123 45 67"}


def _file(klachten, first: str, last: str) -> str:
    return Harness(klachten).submit(klager=_person(first, last)).number


def _search(mia: Staff, term: str) -> tuple[set[str], str]:
    """The dossier numbers the werkbak lists for ``term``, and the line with the count."""
    response = mia.get("/bemiddeling/taken", query_string={"zoek": term})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    count = re.search(r'<p id="aantal">([^<]*)</p>', page).group(1)
    return set(NUMBER.findall(page)), count


def _indexed(klachten, term: str) -> list[int]:
    """The dossiers the search index gives for ``term`` (three characters or more)."""
    with transaction(klachten.factory) as session:
        return list(session.scalars(matching_dossiers(term, session.get_bind().dialect.name)))


def test_a_mediator_finds_a_dossier_by_part_of_the_name_or_of_the_number(klachten, mia):
    griet = _file(klachten, "Griet", "Vandevelde")
    an = _file(klachten, "An", "Peeters")
    jan = _file(klachten, "Jan", "Janssens")

    assert _search(mia, "andevel") == ({griet}, "1 open taken")
    assert _search(mia, "  PEETERS ") == ({an}, "1 open taken")  # any case, trimmed
    assert _search(mia, "griet vande")[0] == {griet}  # across first and last name
    assert _search(mia, jan)[0] == {jan}
    assert _search(mia, jan.lower()[-6:])[0] == {jan}  # the end of the number
    assert _search(mia, "an")[0] == {griet, an, jan}  # two letters: without the index
    assert _search(mia, "Vandenbroucke") == (set(), "0 open taken")
    assert _search(mia, "")[0] == {griet, an, jan}


def test_percent_underscore_and_backslash_match_only_themselves(klachten, mia):
    plain = _file(klachten, "Ann", "Peeters")
    percent = _file(klachten, "Ann", "50% Peeters")
    underscore = _file(klachten, "Ann", "_Peeters")
    backslash = _file(klachten, "Ann", "Pee\\ters")

    assert _search(mia, "%")[0] == {percent}  # one character: a LIKE, escaped
    assert _search(mia, "_")[0] == {underscore}
    assert _search(mia, "\\")[0] == {backslash}
    assert _search(mia, "0% p")[0] == {percent}  # through the index
    assert _search(mia, "_pe")[0] == {underscore}
    assert _search(mia, "e\\t")[0] == {backslash}
    assert _search(mia, "ann peeters")[0] == {plain}
    assert _search(mia, '"peeters"')[0] == set()  # a quote is a character, not FTS syntax


def test_a_rectified_name_is_found_and_the_old_one_no_longer(klachten, mia):
    number = _file(klachten, "Griet", "Vandevelde")
    Rectification(klachten).correct(MEDIATOR, number, {"achternaam": "Verstraete"})

    assert _search(mia, "verstraete")[0] == {number}
    assert _search(mia, "vandevelde")[0] == set()
    assert _indexed(klachten, "vandevelde") == []


def test_an_erased_dossier_leaves_the_search_index(klachten):
    harness = Harness(klachten).submit(klager=_person("Griet", "Vandevelde"))
    harness.admissible().investigate().answer().advance(45).recommend()
    kept = _file(klachten, "Jan", "Vandevelde")
    assert len(_indexed(klachten, "vandevelde")) == 2

    Retention(klachten).erase_on_request(ADMIN, harness.number, "Verzoek van het lid")

    with transaction(klachten.factory) as session:
        dossiers = dict(session.execute(text("SELECT number, id FROM dossiers")).all())
        if session.get_bind().dialect.name == "sqlite":
            # The index agrees with the rows, and of the erased dossier it holds only the
            # number's trigrams.
            session.execute(text("INSERT INTO dossier_search(dossier_search, rank)"
                                 " VALUES ('integrity-check', 1)"))
            session.execute(text("CREATE VIRTUAL TABLE temp.search_terms"
                                 " USING fts5vocab(main, dossier_search, instance)"))
            terms = session.scalars(text("SELECT DISTINCT term FROM temp.search_terms"
                                         " WHERE doc = :id"), {"id": dossiers[harness.number]})
            assert set(terms) == _trigrams(harness.number.lower())
    assert _indexed(klachten, "vandevelde") == [dossiers[kept]]
    assert _indexed(klachten, "griet") == []


def _trigrams(value: str) -> set[str]:
    return {value[i:i + 3] for i in range(len(value) - 2)}


def test_a_werkbak_with_more_tasks_than_it_counts_says_so(klachten, mia, monkeypatch):
    monkeypatch.setattr("runner.work.inbox.COUNT_LIMIT", 2)
    for first in ("An", "Jan", "Els"):
        _file(klachten, first, "Peeters")

    numbers, count = _search(mia, "peeters")
    assert len(numbers) == 3  # every task is listed,
    assert count == "Meer dan 2 open taken: verfijn met een filter of een zoekterm"
    assert _search(mia, "els")[1] == "1 open taken"
    assert COUNT_LIMIT == 1000
