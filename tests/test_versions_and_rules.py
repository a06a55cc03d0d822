"""Definition versions and rules as data: a change in processes/ data changes behaviour."""

from __future__ import annotations

import re

import pytest
from conftest import Harness
from sqlalchemy import select

from runner.bpmn.case import Case
from runner.bpmn.closed_record import ClosedCase, ClosedRecord
from runner.bpmn.engine import dump_state, load_state, restore_specs
from runner.bpmn.errors import ModelError
from runner.bpmn.store import Definition, transaction


def _set_status_interval(folder, days: int) -> None:
    dmn = folder / "termijnen.dmn"
    text = dmn.read_text(encoding="utf-8")
    text, count = re.subn(r'(<outputEntry id="r3_d"><text>)21(</text>)', rf"\g<1>{days}\g<2>", text)
    assert count == 1
    dmn.write_text(text, encoding="utf-8")


def test_deploy_stores_a_new_version_only_when_content_changed(klachten, processes_copy):
    first = klachten.deploy()
    assert not first.created  # the fixture deployed processes/ already
    same = klachten.deploy(processes_copy)
    assert (same.version, same.created) == (first.version, False)
    _set_status_interval(processes_copy, 14)
    second = klachten.deploy(processes_copy)
    assert second.created and second.version == first.version + 1


def test_status_interval_changed_in_data_only(klachten, processes_copy):
    _set_status_interval(processes_copy, 14)
    klachten.deploy(processes_copy)
    case = Harness(klachten).submit().admissible()
    assert case.counts_at([13, 14.5, 28.5]) == [0, 1, 2]
    assert "om de 14 dagen" in case.info.notices[-1].body


def test_dossiers_started_on_v1_finish_on_v1(klachten, processes_copy):
    old = Harness(klachten).submit().admissible()
    _set_status_interval(processes_copy, 14)
    v2 = klachten.deploy(processes_copy).version
    new = Harness(klachten).submit().admissible()
    assert old.info.process_version == v2 - 1 and new.info.process_version == v2
    old.at_day(15)
    new.at_day(15)
    assert old.notices().count("statusbericht") == 0  # v1: every 21 days
    assert new.notices().count("statusbericht") == 1  # v2: every 14 days
    old.at_day(22)
    assert old.notices().count("statusbericht") == 1
    old.investigate().answer().at_day(60)
    old.recommend()
    assert old.info.step == "Afgesloten" and old.info.process_version == v2 - 1


def test_deploy_refuses_a_broken_model(klachten, processes_copy):
    (processes_copy / "klachtenprocedure.bpmn").write_text("<bpmn:definitions", encoding="utf-8")
    with pytest.raises(ModelError, match=r"klachtenprocedure\.bpmn"):
        klachten.deploy(processes_copy)


def _roundtrip(harness: Harness) -> None:
    """Save and load the stored state; the loaded case must show the same open work."""
    case = harness.k.case(harness.number)
    with transaction(harness.k.factory) as session:
        specs = restore_specs(session.scalar(select(Definition.spec)))
    if isinstance(case, ClosedCase):  # a closed dossier is stored as its compact record
        again = ClosedCase(ClosedRecord.unpack(case.record.pack()), case.model)
        assert again.element_states() == case.element_states() and again.data() == case.data()
    else:
        again = Case(load_state(dump_state(case.workflow), specs), case.model)
    assert [t.spec_name for t in again.open_tasks()] == [t.spec_name for t in case.open_tasks()]
    assert again.step() == case.step() == harness.info.step
    assert again.next_timer_at() == case.next_timer_at()
    assert again.waiting_messages() == case.waiting_messages()


def test_state_survives_save_and_load_at_every_wait_state(harness):
    harness.submit(klager={"voornaam": "Jan", "achternaam": "Claes", "adres": "Markt 2, Gent"})
    _roundtrip(harness)  # print-and-post task
    harness.complete("ontvangstmelding_posten", {"gepost_op": "2026-03-03"})
    _roundtrip(harness)  # admissibility
    harness.admissible()
    _roundtrip(harness)  # investigation with a cycle timer
    harness.at_day(22)
    _roundtrip(harness)  # after one status update
    harness.investigate().answer()
    _roundtrip(harness)  # event-based gateway: message or timer
    harness.message("klager_niet_akkoord", {"reden": "Niet akkoord"})
    _roundtrip(harness)  # national re-examination
    harness.complete("nationaal_onderzoek", {"uitkomst": "ongegrond",
                                             "antwoord": "Na herziening blijft het ongegrond."},
                     user="nora")
    _roundtrip(harness)  # recommendation
    harness.recommend()
    _roundtrip(harness)  # completed
