"""An operator that raises becomes a visible incident; retry runs it again."""

from __future__ import annotations

import pytest
from conftest import Harness
from sqlalchemy import select

from runner import operators
from runner.bpmn.errors import Conflict
from runner.bpmn.store import Instance, transaction
from runner.store import Dossier


def test_failing_operator_becomes_incident_and_retry_recovers(harness: Harness, monkeypatch):
    harness.submit()
    original = operators.OPERATORS["produce_notice"]

    def broken(ctx, task, soort):
        if soort == "statusbericht":
            raise RuntimeError("SMTP-sjabloon kapot")
        return original(ctx, task, soort=soort)

    monkeypatch.setitem(operators.OPERATORS, "produce_notice", broken)
    harness.admissible().at_day(22)
    info = harness.info
    [incident] = info.incidents
    assert incident.element == "statusbericht"
    assert "SMTP-sjabloon kapot" in incident.error and incident.resolved_at is None
    assert "Incident: Statusbericht versturen" in info.step
    assert harness.task("onderzoek")  # the mediator can go on working meanwhile

    monkeypatch.setitem(operators.OPERATORS, "produce_notice", original)
    assert harness.k.retry(harness.number, "beheerder") == 1
    info = harness.info
    assert info.incidents[0].resolved_at is not None
    assert "Incident" not in info.step
    assert [n.kind for n in info.notices].count("statusbericht") == 1
    with pytest.raises(Conflict, match="geen open incident"):
        harness.k.retry(harness.number, "beheerder")


def test_unknown_operator_is_an_incident_not_a_crash(harness: Harness, monkeypatch):
    monkeypatch.delitem(operators.OPERATORS, "close_dossier")
    harness.submit().admissible()
    harness.message("klacht_ingetrokken")
    [incident] = harness.info.incidents
    assert "onbekende operator close_dossier" in incident.error


def test_a_dossier_that_cannot_be_ticked_does_not_stall_the_sweep(klachten):
    broken = Harness(klachten).submit().admissible()
    healthy = Harness(klachten).submit().admissible()
    with transaction(klachten.factory) as session:
        instance = session.scalar(select(Instance).join(Dossier).where(
            Dossier.number == broken.number))
        good_state, instance.state = instance.state, '{"kapot": true}'
    healthy.at_day(22)
    assert healthy.notices().count("statusbericht") == 1
    info = broken.info
    assert info.next_timer_at is None  # out of the sweep until a retry
    [incident] = info.incidents
    assert incident.element == "timer" and incident.resolved_at is None

    with transaction(klachten.factory) as session:
        instance = session.scalar(select(Instance).join(Dossier).where(
            Dossier.number == broken.number))
        instance.state = good_state
    assert klachten.retry(broken.number, "beheerder") == 1
    info = broken.info
    assert broken.notices().count("statusbericht") == 1
    assert info.incidents[0].resolved_at is not None
    assert info.next_timer_at is not None
