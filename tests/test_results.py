"""The facade's typed results keep the JSON the command line and the API gave before them
(the API is a contract): the same keys, instants as ISO text, lists for tuples."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime

from runner.results import DossierInfo, TaskInfo, to_json
from runner.work.inbox import InboxRow
from web.openapi import document

DOSSIER_KEYS = ["dossiernummer", "stap", "afgesloten", "afgesloten_op", "uitkomst", "gewist_op",
                "juridische_blokkering", "ontvangen_op", "categorie", "kanaal", "taal",
                "procesversie", "versie", "volgende_timer", "termijnen", "open_taken",
                "wacht_op_berichten", "berichten", "audit", "incidenten", "dubbel_van",
                "eigenaar"]
TASK_KEYS = ["id", "dossiernummer", "taak", "titel", "rol", "stap", "formulier", "vervaldatum",
             "geclaimd_door"]
NOTICE_KEYS = ["soort", "taal", "kanaal", "code", "onderwerp", "tekst", "aangemaakt_op", "status",
               "status_tekst", "ontvanger", "pogingen", "fout", "volgende_poging",
               "verzonden_op", "afgeleverd_via"]
DEADLINE_KEYS = ["dagen", "eenheid", "doorschuiven", "vervaldag", "vervalt_op", "start", "anker",
                 "uitleg"]


def test_a_dossier_in_json_has_the_keys_and_text_it_had(harness):
    harness.submit().admissible()
    shown = to_json(harness.info)
    assert list(shown) == DOSSIER_KEYS
    assert list(shown["open_taken"][0]) == TASK_KEYS
    assert list(shown["berichten"][0]) == NOTICE_KEYS
    assert list(shown["termijnen"]["antwoord"]) == DEADLINE_KEYS
    assert list(shown["audit"][0]) == ["op", "wie", "wat", "element", "stap", "details"]
    assert shown["ontvangen_op"] == "2026-03-02T09:00:00+00:00"
    assert shown["termijnen"]["antwoord"]["vervaldag"] == "2026-04-16"
    assert shown["open_taken"][0]["vervaldatum"] == "2026-04-16T22:00:00+00:00"
    assert shown["wacht_op_berichten"] == ["bericht_onbestelbaar", "dienst_raadplegen",
                                           "dossier_dubbel", "klacht_ingetrokken",
                                           "klager_vragen"]
    assert shown["dubbel_van"] is None
    assert shown["eigenaar"] == "mia"  # the first to take a task (runner.work.ownership)


def test_to_json_writes_days_and_instants_as_iso_and_leaves_out_what_it_must():
    row = InboxRow("t1", "KL-2026-00001", "An Peeters", "terugbetaling", "3", "Beoordelen",
                   "Klachtenbemiddelaar", datetime(2026, 3, 10, 23, tzinfo=UTC), "op_tijd",
                   None, date(2026, 3, 2), "ontvankelijkheid_beoordelen", date(2026, 3, 10))
    assert to_json(row) == {
        "id": "t1", "dossiernummer": "KL-2026-00001", "klager": "An Peeters",
        "categorie": "terugbetaling", "stap": "3", "titel": "Beoordelen",
        "rol": "Klachtenbemiddelaar", "vervaldatum": "2026-03-10T23:00:00+00:00",
        "termijn": "op_tijd", "geclaimd_door": None, "laatste_dag": "2026-03-10",
        "geclaimd_sinds": None, "eigenaar": None}


def test_the_openapi_document_names_the_keys_the_results_give():
    schemas = document({"type": "object"})["components"]["schemas"]
    assert set(schemas["Taak"]["properties"]) == set(to_json(_blank(InboxRow)))
    dossier_keys = set(to_json(_blank(DossierInfo))) | {"klager", "omschrijving"}
    assert set(schemas["Dossier"]["properties"]) <= dossier_keys
    assert set(schemas["Dossier"]["required"]) <= dossier_keys
    assert list(to_json(_blank(TaskInfo))) == TASK_KEYS


def _blank(kind: type) -> object:
    """A result of ``kind`` with every field None: only its keys matter."""
    return kind(**{item.name: None for item in fields(kind)})
