"""Process tests: every path of processes/klachtenprocedure.bpmn, with a virtual clock."""

from __future__ import annotations

from datetime import datetime

import pytest
from conftest import START, Harness, complaint
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select

from runner.bpmn.errors import Conflict, Forbidden, NotFound, ValidationFailed
from runner.bpmn.store import transaction
from runner.definition.model import read_folder
from runner.notices.access_codes import ACCESS_CODE_PLACEHOLDER, verify_access_code
from runner.store import Dossier, Recommendation

ANONYMOUS: dict = {}


def test_registration_assigns_number_code_deadlines_and_acknowledgement(harness: Harness):
    harness.submit()
    info = harness.info
    assert harness.number == "KL-2026-00001"
    assert harness.access_code and len(harness.access_code.replace("-", "")) == 12
    assert info.deadlines["ontvangstmelding"].due_date.isoformat() == "2026-03-10"
    assert info.step == "3. Ontvankelijkheid beoordelen"
    [ack] = info.notices
    assert (ack.kind, ack.channel, ack.language) == ("ontvangstmelding", "email", "nl")
    # The stored copy holds a placeholder; the code is sealed beside it (ADR 8).
    assert ACCESS_CODE_PLACEHOLDER in ack.body and harness.number in ack.body
    assert harness.access_code not in ack.body
    assert ack.code in ack.body and "wachtwoord" in ack.body
    with transaction(harness.k.factory) as session:
        stored = session.scalar(select(Dossier.access_code_hash))
    assert harness.access_code not in stored
    assert verify_access_code(harness.access_code, stored)
    assert not verify_access_code("AAAA-AAAA-AAAA", stored)


def test_dossier_numbers_are_sequential_per_year(klachten):
    numbers = [klachten.submit(complaint()).dossier_number for _ in range(3)]
    klachten.clock.set(datetime.fromisoformat("2027-01-04T09:00:00+01:00"))
    numbers.append(klachten.submit(complaint()).dossier_number)
    assert numbers == ["KL-2026-00001", "KL-2026-00002", "KL-2026-00003", "KL-2027-00001"]


@pytest.mark.parametrize(("overrides", "suggested_reason"), [
    ({"klager": ANONYMOUS, "kanaal": "brief"}, "anoniem"),
    ({"categorie": "geen verband"}, "geen_verband"),
])
def test_not_admissible_gets_motivated_answer_and_closure(harness, overrides, suggested_reason):
    harness.submit(**overrides)
    task = harness.task("ontvankelijkheid_beoordelen")
    assert task.step == "3"
    harness.complete("ontvankelijkheid_beoordelen", {
        "ontvankelijk": "nee", "reden": suggested_reason,
        "motivatie": "De klachtenbemiddelaar behandelt geen anonieme of externe klachten.",
    })
    info = harness.info
    assert info.closed and info.outcome == "niet ontvankelijk"
    kinds = harness.notices()
    assert kinds[-2:] == ["onontvankelijkheid", "afsluiting"]
    assert "De klachtenbemiddelaar behandelt geen" in info.notices[-2].body
    if suggested_reason != "anoniem":  # the model asks no recommendation for anonymous ones
        harness.recommend()
    assert harness.info.step == "Afgesloten" and not harness.open_tasks()


def test_precheck_suggestion_is_recorded_in_the_process_data(harness):
    harness.submit(klager=ANONYMOUS, kanaal="brief")
    workflow = harness.k.case(harness.number).workflow
    [task] = workflow.get_tasks(spec_name="ontvankelijkheid_beoordelen", state=TaskState.READY)
    assert task.data["voorstel"] == {"ontvankelijk": "nee", "reden": "anoniem"}


def test_motivation_required_when_not_admissible(harness):
    harness.submit()
    with pytest.raises(ValidationFailed) as err:
        harness.complete("ontvankelijkheid_beoordelen", {"ontvankelijk": "nee"})
    assert set(err.value.reasons) == {"reden", "motivatie"}
    assert harness.info.step == "3. Ontvankelijkheid beoordelen"


def test_answer_window_expires_then_closure_and_recommendation(harness):
    harness.submit().admissible().investigate().answer("deels gegrond")
    info = harness.info
    assert info.step == "6. Reactie van de klager?"
    assert set(info.waiting_for) == {"klager_niet_akkoord", "klacht_ingetrokken",
                                               "bericht_onbestelbaar", "dossier_dubbel",
                                               "dienst_raadplegen", "klager_vragen"}
    answer = info.notices[-1]
    assert answer.kind == "antwoord"
    assert "Nationale klachtenbemiddelaar" in answer.body
    assert "nationale.klachten@ziekenfonds.example" in answer.body
    harness.at_day(29)
    assert not harness.info.closed
    harness.at_day(32)
    info = harness.info
    assert info.closed and info.outcome == "deels gegrond"
    harness.recommend([{"tekst": "Controleer de berekening", "dienst": "terugbetalingen"}])
    assert harness.info.step == "Afgesloten"
    with transaction(harness.k.factory) as session:
        assert session.scalar(select(Recommendation.service)) == "terugbetalingen"


def test_not_agreeing_goes_to_the_national_mediator(harness):
    harness.submit().admissible().investigate().answer("ongegrond", user="mia")
    harness.message("klager_niet_akkoord", {"reden": "Ik ben het er niet mee eens."})
    task = harness.task("nationaal_onderzoek")
    assert task.lane == "Nationale klachtenbemiddelaar"
    with pytest.raises(Forbidden):
        harness.complete("nationaal_onderzoek", {"uitkomst": "gegrond", "antwoord": "Herzien."
                                                 " Toch gegrond."}, user="mia")
    revised = {"uitkomst": "gegrond", "antwoord": "Na herziening toch gegrond."}
    harness.complete("nationaal_onderzoek", revised, user="nora")
    info = harness.info
    assert info.outcome == "gegrond"
    assert harness.notices()[-2:] == ["antwoord_nationaal", "afsluiting"]
    harness.recommend()


def test_national_re_examination_sends_status_updates(harness):
    harness.submit().admissible().investigate().answer()
    harness.message("klager_niet_akkoord", {"reden": "Niet akkoord."})
    before = harness.notices().count("statusbericht")
    harness.advance(22)
    assert harness.notices().count("statusbericht") == before + 1


def test_withdrawal_during_investigation(harness):
    harness.submit().admissible()
    harness.message("klacht_ingetrokken", {"reden": "Opgelost"})
    info = harness.info
    assert info.closed and info.outcome == "ingetrokken"
    assert harness.notices()[-1] == "afsluiting"
    assert harness.open_tasks() == []  # the model asks no recommendation for a withdrawal
    assert info.next_timer_at is None
    with pytest.raises(Conflict):
        harness.message("klacht_ingetrokken")


def test_status_updates_every_three_weeks_and_none_after_answer(harness):
    harness.submit().admissible()
    assert harness.counts_at([20, 21.5, 42.5]) == [0, 1, 2]
    harness.investigate().answer()
    assert harness.counts_at([64]) == [2]


def test_worker_outage_yields_one_status_update_not_three(harness):
    harness.submit().admissible()
    assert harness.counts_at([70]) == [1]  # days 21, 42 and 63 were missed: one update
    assert harness.counts_at([80, 92]) == [1, 2]  # and the rhythm goes on from there


def test_acknowledgement_by_letter_when_no_email(harness):
    harness.submit(klager={"voornaam": "Jan", "achternaam": "Claes", "adres": "Markt 2, 2000 "
                           "Antwerpen"}, kanaal="brief")
    [ack] = harness.info.notices
    assert ack.channel == "brief"
    task = harness.task("ontvangstmelding_posten")
    assert task.due_at.isoformat() == "2026-03-10T23:00:00+00:00"  # day 8, end of day in Brussels
    harness.complete("ontvangstmelding_posten", {"gepost_op": "2026-03-04"})
    assert harness.task("ontvankelijkheid_beoordelen")


def test_french_complainant_gets_french_notices(harness):
    harness.submit(taal="fr")
    [ack] = harness.info.notices
    assert ack.language == "fr" and "Accusé de réception" in ack.subject


def test_completing_a_completed_task_is_rejected_and_changes_nothing(harness):
    harness.submit()
    task_id = harness.task("ontvankelijkheid_beoordelen").id
    harness.k.complete_task(task_id, {"ontvankelijk": "ja"}, "mia")
    before = harness.info
    with pytest.raises(NotFound):
        harness.k.complete_task(task_id, {"ontvankelijk": "ja"}, "mia")
    assert harness.info == before


def test_task_cancelled_by_withdrawal_cannot_be_completed(harness):
    harness.submit().admissible()
    task_id = harness.task("onderzoek").id
    harness.message("klacht_ingetrokken")
    before = harness.info
    with pytest.raises((NotFound, Conflict)):
        harness.k.complete_task(task_id, {"bevindingen": "te laat"}, "mia")
    assert harness.info == before


def test_case_rejects_a_cancelled_task_even_when_asked_directly(harness):
    """The guard lives in the case, not only in the open-task table."""
    harness.submit().admissible()
    task_id = harness.task("onderzoek").id
    harness.message("klacht_ingetrokken")
    # the withdrawal ends the workflow (no recommendation for a withdrawal): the closed
    # record refuses the task as the running case refuses a cancelled one
    with pytest.raises((Conflict, NotFound), match=r"niet meer open|bestaat niet"):
        harness.k.case(harness.number).user_task(task_id)


def test_stale_version_is_a_conflict(harness):
    harness.submit()
    task_id = harness.task("ontvankelijkheid_beoordelen").id
    version = harness.info.version
    with pytest.raises(Conflict):
        harness.k.complete_task(task_id, {"ontvankelijk": "ja"}, "mia",
                                expected_version=version - 1)
    harness.k.complete_task(task_id, {"ontvankelijk": "ja"}, "mia", expected_version=version)


@pytest.mark.parametrize(("overrides", "field"), [
    ({"taal": "de"}, "taal"),
    ({"omschrijving": "x" * 10001}, "omschrijving"),
    ({"ontvangen_op": "2026-03-09T09:00:00+01:00"}, "ontvangen_op"),
    ({"ontvangen_op": "2026-03-01T09:00:00"}, "ontvangen_op"),
    ({"ontvangen_op": "gisteren"}, "ontvangen_op"),
    ({"klager": {"achternaam": "Peeters", "lidnummer": "12ab"}}, "klager.lidnummer"),
])
def test_invalid_complaint_is_refused_and_nothing_is_saved(klachten, overrides, field):
    with pytest.raises(ValidationFailed) as err:
        klachten.submit(complaint(**overrides))
    assert field in err.value.reasons
    with transaction(klachten.factory) as session:
        assert session.scalar(select(func.count()).select_from(Dossier)) == 0


def test_audit_trail_records_who_did_what(harness):
    harness.submit().admissible(user="mia")
    audit = harness.info.audit
    assert audit[0].action == "klacht ontvangen"
    done = [a for a in audit if a.action == "taak voltooid"]
    assert done[0].actor == "mia" and done[0].element == "ontvankelijkheid_beoordelen"
    assert any(a.element == "registratie" for a in audit)


def test_start_is_recorded_at_the_virtual_clock(harness):
    harness.submit()
    assert harness.info.received_at == START


def test_letter_received_last_week_counts_deadlines_from_receipt(harness):
    harness.submit(kanaal="brief", ontvangen_op="2026-02-23T10:00:00+01:00")
    info = harness.info
    assert info.received_at.isoformat() == "2026-02-23T09:00:00+00:00"
    assert info.deadlines["ontvangstmelding"].due_date.isoformat() == "2026-03-03"


def test_task_of_another_dossier_is_not_found(klachten):
    first = Harness(klachten).submit()
    second = Harness(klachten).submit()
    task_id = first.task("ontvankelijkheid_beoordelen").id
    with pytest.raises(NotFound):
        klachten.complete_task(task_id, {"ontvankelijk": "ja"}, "mia",
                               dossier_number=second.number)
    assert first.task("ontvankelijkheid_beoordelen")


def test_task_cancelled_by_a_timer_cannot_be_completed(klachten, processes_copy):
    """A model variant where an interrupting 21-day timer ends the investigation: the
    cancelled task is rejected by the open-task guard and by the case guard (SpiffWorkflow's
    Task.run() would silently complete it)."""
    bpmn = processes_copy / "klachtenprocedure.bpmn"
    text = bpmn.read_text(encoding="utf-8")
    marker = 'attachedToRef="onderzoek" cancelActivity="false"'
    cycle = ('<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">'
             "'R/' + termijnen['statusbericht']['interval']</bpmn:timeCycle>")
    assert marker in text and cycle in text
    text = text.replace(marker, 'attachedToRef="onderzoek" cancelActivity="true"')
    text = text.replace(cycle, '<bpmn:timeDuration>"P21D"</bpmn:timeDuration>', 1)
    bpmn.write_text(text, encoding="utf-8")
    # the lint refuses this variant (closing without an answer fails): stored unlinted
    klachten.deploy_unchecked(read_folder(processes_copy))
    case = Harness(klachten).submit().admissible()
    task_id = case.task("onderzoek").id
    case.at_day(22)
    assert "onderzoek" not in [t.name for t in case.open_tasks()]
    before = case.info
    with pytest.raises(NotFound):
        klachten.complete_task(task_id, {"bevindingen": "te laat"}, "mia")
    with pytest.raises(Conflict, match="CANCELLED"):
        klachten.case(case.number).user_task(task_id)
    assert case.info == before
