"""An operator that raises becomes a visible incident; retry runs it again."""

from __future__ import annotations

import pytest
from conftest import Harness

from runner import operators
from runner.errors import Conflict


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
    [incident] = info["incidenten"]
    assert incident["element"] == "statusbericht"
    assert "SMTP-sjabloon kapot" in incident["fout"] and incident["opgelost_op"] is None
    assert "Incident: Statusbericht versturen" in info["stap"]
    assert harness.task("onderzoek")  # the mediator can go on working meanwhile

    monkeypatch.setitem(operators.OPERATORS, "produce_notice", original)
    assert harness.k.retry(harness.number, "beheerder") == 1
    info = harness.info
    assert info["incidenten"][0]["opgelost_op"] is not None
    assert "Incident" not in info["stap"]
    assert [n["soort"] for n in info["berichten"]].count("statusbericht") == 1
    with pytest.raises(Conflict, match="geen open incident"):
        harness.k.retry(harness.number, "beheerder")


def test_unknown_operator_is_an_incident_not_a_crash(harness: Harness, monkeypatch):
    monkeypatch.delitem(operators.OPERATORS, "close_dossier")
    harness.submit().admissible()
    harness.message("klacht_ingetrokken")
    [incident] = harness.info["incidenten"]
    assert "onbekende operator close_dossier" in incident["fout"]
