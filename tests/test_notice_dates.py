"""Notices and deadline explanations state the dossier's real dates (issue 13, item 3)."""

from __future__ import annotations

from conftest import Harness

EASTER_WINDOW = ("30 kalenderdagen vanaf de dag na het antwoord van 5 maart 2026: de laatste "
                 "dag, 4 april 2026, is een zaterdag, verschoven naar dinsdag 7 april 2026 "
                 "(overgeslagen feestdag: Paasmaandag, maandag 6 april 2026)")


def _last(harness: Harness, kind: str) -> str:
    return [n for n in harness.info.notices if n.kind == kind][-1].body


def test_the_answer_states_the_last_day_of_the_reaction_window(harness: Harness):
    harness.submit().admissible().at_day(3).investigate().answer()
    window = harness.info.deadlines["reactietermijn"]
    assert window.due_date.isoformat() == "2026-04-07"
    assert window.explanation == EASTER_WINDOW
    text = _last(harness, "antwoord")
    assert "uiterlijk op 7 april 2026" in text
    assert "binnen de" not in text and "30 dagen" not in text


def test_the_answer_in_french_states_the_date_in_french(harness: Harness):
    harness.submit(taal="fr").admissible().at_day(3).investigate().answer()
    assert "au plus tard le 7 avril 2026" in _last(harness, "antwoord")


def test_explanations_name_their_anchor(harness: Harness):
    harness.submit().admissible().at_day(3).investigate().answer()
    harness.message("klager_niet_akkoord", {"reden": "Niet akkoord."})
    explained = {name: value.explanation for name, value in harness.info.deadlines.items()}
    assert explained["antwoord"].startswith(
        "45 kalenderdagen vanaf de dag na de ontvangst van 2 maart 2026")
    assert explained["reactietermijn"].startswith("30 kalenderdagen vanaf de dag na het "
                                                  "antwoord van 5 maart 2026")
    assert explained["nationaal_antwoord"].startswith(
        "45 kalenderdagen vanaf de dag na de melding van niet akkoord van 5 maart 2026")


def test_the_status_update_states_the_expected_answer_date(harness: Harness):
    harness.submit().admissible().at_day(21)
    text = _last(harness, "statusbericht")
    assert "Wij streven ernaar u uiterlijk op 16 april 2026 een gemotiveerd antwoord" in text
    harness.at_day(63)  # the target date has passed: no promise in the past
    late = _last(harness, "statusbericht")
    assert "niet, zoals gepland, uiterlijk op 16 april 2026" in late
    assert "zo snel mogelijk" in late


def test_the_national_status_update_states_the_national_date(harness: Harness):
    harness.submit(taal="fr").admissible().investigate().answer()
    harness.message("klager_niet_akkoord", {"reden": "Pas d'accord."})
    harness.at_day(21)
    text = _last(harness, "statusbericht")
    assert "Le médiateur national réexamine votre dossier." in text
    assert "au plus tard le 16 avril 2026" in text
