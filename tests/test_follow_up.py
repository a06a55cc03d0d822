"""Reopening a closed dossier and closing a dossier as a duplicate (issue 21, item 9): the
model decides where a reopened dossier resumes; a duplicate is closed without a second set
of notices and points to the other dossier."""

from __future__ import annotations

import pytest

from runner.bpmn.errors import Conflict, Forbidden, ValidationFailed
from runner.work.follow_up import FollowUp


@pytest.fixture
def follow_up(klachten) -> FollowUp:
    return FollowUp(klachten)



def _account(accounts, name: str):
    """Any user's account, whatever its roles (``Accounts.working`` refuses readers)."""
    return next(account for account in accounts.list() if account.name == name)

def _closed(harness):
    """A dossier answered, the reaction window passed, closed and its recommendation done."""
    harness.submit().admissible().investigate().answer().advance(40).recommend()
    assert harness.info.closed and not harness.open_tasks()
    return harness


def test_a_closed_dossier_reopens_at_the_admissibility_decision(harness, accounts, follow_up):
    _closed(harness)
    before = harness.notices()
    follow_up.reopen(_account(accounts, "mia"), harness.number, "Nieuwe feiten van het lid")
    info = harness.info
    assert not info.closed and info.outcome is None
    assert [t.name for t in harness.open_tasks()] == ["ontvankelijkheid_beoordelen"]
    assert harness.notices() == before  # no second acknowledgement
    entry = next(a for a in info.audit if a.action == "dossier heropend")
    assert entry.actor == "mia" and entry.details["reden"] == "Nieuwe feiten van het lid"
    # the reopened dossier runs to the end again, with a new answer
    harness.admissible().investigate().answer("ongegrond").advance(40)
    assert harness.info.closed and harness.info.outcome == "ongegrond"
    assert harness.notices().count("antwoord") == 2


def test_reopening_counts_the_new_deadlines_from_the_reopening(harness, accounts, follow_up):
    _closed(harness)
    reopened_at = harness.k.clock.now()
    follow_up.reopen(_account(accounts, "mia"), harness.number, "Nieuwe feiten van het lid")
    due = harness.info.deadlines["antwoord"].due_date
    assert due > reopened_at.date()


def test_reopening_refuses_an_open_an_erased_dossier_and_a_short_reason(harness, accounts,
                                                                         follow_up, klachten):
    harness.submit()
    with pytest.raises(Conflict, match="niet afgesloten"):
        follow_up.reopen(_account(accounts, "mia"), harness.number, "Nieuwe feiten")
    with pytest.raises(ValidationFailed):
        follow_up.reopen(_account(accounts, "mia"), harness.number, " ")
    for who in ("lea", "bert"):
        with pytest.raises(Forbidden):
            follow_up.reopen(_account(accounts, who), harness.number, "Nieuwe feiten")


def test_a_duplicate_is_closed_without_notices_or_recommendation(harness, accounts, follow_up,
                                                                klachten):
    first = harness.submit().number
    second = harness.submit().admissible().number
    before = harness.notices()
    follow_up.mark_duplicate(_account(accounts, "mia"), second, first, "Zelfde klacht")
    info = klachten.dossier(second)
    assert info.closed and info.outcome == "dubbel"
    assert [n.kind for n in info.notices] == before  # no closing notice
    assert klachten.tasks(second) == []  # no step-8 task
    assert klachten.tasks(first)  # the other dossier goes on


def test_a_duplicate_must_point_to_an_existing_original(harness, accounts, follow_up):
    first = harness.submit().number
    second = harness.submit().number
    mia = _account(accounts, "mia")
    for original, message in [(second, "zichzelf"), ("KL-2099-99999", "bestaat niet"),
                              ("", "vul")]:
        with pytest.raises(ValidationFailed) as raised:
            follow_up.mark_duplicate(mia, second, original)
        assert message in str(raised.value)
    follow_up.mark_duplicate(mia, second, first)
    with pytest.raises(Conflict, match="al afgesloten"):
        follow_up.mark_duplicate(mia, second, first)
    third = harness.submit().number
    with pytest.raises(ValidationFailed) as raised:
        follow_up.mark_duplicate(mia, third, second)
    assert f"kies {first}" in str(raised.value)


def test_reopening_a_duplicate_clears_its_pointer(harness, accounts, follow_up, klachten):
    first = harness.submit().number
    second = harness.submit().number
    follow_up.mark_duplicate(_account(accounts, "mia"), second, first)
    follow_up.reopen(_account(accounts, "mia"), second, "Toch een andere klacht")
    info = klachten.dossier(second)
    assert not info.closed
    assert [t.name for t in klachten.tasks(second)] == ["ontvankelijkheid_beoordelen"]


def test_withdrawn_and_anonymous_inadmissible_dossiers_get_no_recommendation_task(harness):
    harness.submit().message("klacht_ingetrokken", {"reden": "opgelost"})
    assert harness.info.closed and harness.open_tasks() == []
    harness.submit().complete("ontvankelijkheid_beoordelen", {
        "ontvankelijk": "nee", "reden": "anoniem", "motivatie": "Wij kennen uw naam niet."})
    assert harness.info.closed and harness.open_tasks() == []
    harness.submit().complete("ontvankelijkheid_beoordelen", {
        "ontvankelijk": "nee", "reden": "geen_verband", "motivatie": "Geen verband met ons."})
    assert [t.name for t in harness.open_tasks()] == ["aanbeveling"]
