"""An owner per dossier, a claim that is a lock, separation of duties from the model (issue
21, items 2 to 4), through the runner's desks and the CLI."""

from __future__ import annotations

import json

import pytest
from conftest import Harness, complaint
from test_cli import _write
from test_cli import cli as cli  # the fixture

from runner.bpmn.errors import Forbidden, TaskEnded, TaskHeld, ValidationFailed
from runner.definition.model import default_processes_dir, parse, read_folder
from runner.work.inbox import MINE, Inbox, InboxQuery
from runner.work.timeline import _other_subject


@pytest.fixture
def inbox(klachten, accounts) -> Inbox:
    return Inbox(klachten, accounts)


@pytest.fixture
def users(accounts) -> dict:
    return {a.name: a for a in accounts.list()}


def _audit(harness: Harness, action: str) -> list:
    return [a for a in harness.info.audit if a.action == action]


def test_the_first_claim_makes_the_owner_and_later_tasks_go_to_them(harness, inbox, users):
    harness.submit()
    inbox.claim(users["mia"], harness.task("ontvankelijkheid_beoordelen").id)
    assert inbox.page(users["mia"], InboxQuery()).rows[0].owner == "mia"
    harness.admissible(user="mia")
    later = harness.task("onderzoek")
    assert later.claimed_by == "mia"
    # tom still sees it, marked with the owner, but not in his own view
    [row] = inbox.page(users["tom"], InboxQuery()).rows
    assert (row.owner, row.claimed_by) == ("mia", "mia")
    assert inbox.page(users["tom"], InboxQuery(view=MINE, user="tom")).rows == []
    assert [r.task_id for r in inbox.page(users["mia"], InboxQuery(view=MINE, user="mia")).rows
            ] == [later.id]
    assert inbox.next_task(users["mia"], harness.number) == later.id


def test_completing_the_first_task_makes_the_owner(harness, inbox, users):
    harness.submit().admissible(user="tom")
    assert harness.task("onderzoek").claimed_by == "tom"
    # a new dossier nobody owns is in everyone's own view
    other = Harness(harness.k).submit()
    mine = inbox.page(users["mia"], InboxQuery(view=MINE, user="mia"))
    assert [r.dossier_number for r in mine.rows] == [other.number]


def test_a_claim_is_a_lock_until_taken_over_with_a_reason(harness, inbox, users):
    harness.submit()
    task = harness.task("ontvankelijkheid_beoordelen").id
    inbox.claim(users["mia"], task)
    with pytest.raises(TaskHeld, match="in behandeling bij mia sinds"):
        inbox.claim(users["tom"], task)
    with pytest.raises(TaskHeld) as held:
        inbox.complete(users["tom"], task, {"ontvankelijk": "ja"})
    assert held.value.holder == "mia"
    for empty in ("", "   "):
        with pytest.raises(ValidationFailed, match="geef een reden"):
            inbox.complete(users["tom"], task, {"ontvankelijk": "ja"}, take_over=empty)
    with pytest.raises(ValidationFailed, match="hoogstens 1000"):
        inbox.claim(users["tom"], task, take_over="x" * 10_000)
    assert harness.task("ontvankelijkheid_beoordelen").claimed_by == "mia"
    inbox.complete(users["tom"], task, {"ontvankelijk": "ja"}, take_over="Mia is ziek")
    [taken] = _audit(harness, "taak overgenomen")
    assert (taken.actor, taken.details) == ("tom", {"van": "mia", "reden": "Mia is ziek"})
    with pytest.raises(TaskEnded, match="al voltooid door tom op"):
        inbox.complete(users["mia"], task, {"ontvankelijk": "nee"})
    # mia owned the dossier (her claim came first): the next task is hers
    assert harness.task("onderzoek").claimed_by == "mia"


def test_a_take_over_by_claim_is_audited_and_the_loser_is_told(harness, inbox, users):
    harness.submit()
    task = harness.task("ontvankelijkheid_beoordelen").id
    inbox.claim(users["mia"], task)
    inbox.claim(users["tom"], task, take_over="<b>dringend</b>")
    assert harness.task("ontvankelijkheid_beoordelen").claimed_by == "tom"
    with pytest.raises(TaskHeld, match="in behandeling bij tom"):
        inbox.complete(users["mia"], task, {"ontvankelijk": "ja"})
    [taken] = _audit(harness, "taak overgenomen")
    assert taken.details["reden"] == "<b>dringend</b>"


def test_nobody_of_the_first_handling_gets_the_national_re_examination(
        harness, inbox, users, accounts):
    accounts.set_roles("tom", ["klachtenbemiddelaar", "nationale klachtenbemiddelaar"])
    accounts.add("nina", ["nationale klachtenbemiddelaar"], "een-lang-wachtwoord")
    tom = accounts.working("tom")
    harness.submit().admissible(user="tom").investigate(user="tom").answer(user="tom")
    harness.message("klager_niet_akkoord", {"reden": "Niet akkoord."})
    national = harness.task("nationaal_onderzoek")
    assert national.claimed_by is None  # the owner tom may not do it
    assert national.id not in [r.task_id for r in inbox.page(tom, InboxQuery()).rows]
    with pytest.raises(Forbidden, match="voltooide in dit dossier al de taak"):
        harness.k.complete_task(national.id, {"uitkomst": "gegrond",
                                              "antwoord": "Herbekeken en gegrond."}, "tom")
    assert national.id in [r.task_id for r in inbox.page(users["nora"], InboxQuery()).rows]


def test_lint_checks_the_tasks_a_separation_names(processes_copy):
    from runner.design.lint import lint
    from runner.operators import OPERATORS

    diagram = processes_copy / "klachtenprocedure.bpmn"
    diagram.write_text(diagram.read_text().replace(
        "onderzoek, gemotiveerd_antwoord,", "onderzoekk, gemotiveerd_antwoord,"))
    problems = [str(p) for p in lint(processes_copy, OPERATORS, run=False)]
    assert any("nationaal_onderzoek: andere_gebruiker_dan noemt 'onderzoekk'" in p
               for p in problems), problems


def test_cli_complete_refuses_a_task_held_by_another(cli, tmp_path):
    cli("user", "add", "tom", "--role", "klachtenbemiddelaar")
    cli("submit", _write(tmp_path, "k.json", complaint()))
    [task] = json.loads(cli("tasks", "--json").output)
    data = _write(tmp_path, "o.json", {"ontvankelijk": "ja"})
    assigned = cli("assign", "KL-2026-00001", "--to", "mia", "--user", "tom")
    assert assigned.output.strip() == "dossier KL-2026-00001 toegewezen aan mia"
    refused = cli("complete", task["id"], "--data", data, "--user", "tom", ok=False)
    assert refused.exit_code == 1
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "in behandeling bij mia sinds 2-3-2026 09:00" in refused.stderr
    no_reason = cli("complete", task["id"], "--data", data, "--user", "tom", "--take-over",
                    ok=False)
    assert no_reason.exit_code == 2 and "--reason" in no_reason.stderr
    done = cli("complete", task["id"], "--data", data, "--user", "tom", "--take-over",
               "--reason", "Mia is met verlof")
    assert "taak voltooid" in done.output
    again = cli("assign", "KL-2026-00001", "--to", "tom", "--user", "mia", ok=False)
    assert again.exit_code == 1 and "reden" in again.stderr
    cli("assign", "KL-2026-00001", "--to", "tom", "--user", "mia", "--reason", "verlof")
    [task] = json.loads(cli("tasks", "--json").output)
    assert task["geclaimd_door"] == "tom"


def test_the_timeline_names_whom_for_a_take_over_and_an_assignment_only():
    labels = parse(read_folder(default_processes_dir())).labels
    assert _other_subject("taak overgenomen", "ontvankelijkheid_beoordelen", {"van": "mia"},
                          labels, "nl") == "taak overgenomen Ontvankelijkheid beoordelen (mia)"
    assert _other_subject("dossier toegewezen", "", {"van": "", "aan": "tom"},
                          labels, "nl") == "dossier toegewezen (tom)"
    # a migration's van and naar are versions, no users
    assert _other_subject("gemigreerd", "", {"van": 2, "naar": 1}, labels, "nl") == "gemigreerd"
