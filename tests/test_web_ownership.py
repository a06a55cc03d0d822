"""Taking over and assigning on the web and in the API, with what must not pass: a
cross-site request, a role that may not, hostile reasons, a legal hold (assigning stays
allowed), a closed dossier, concurrent take-overs; and the property that no task is ever
completed twice and no lost completion goes untold (issue 21, items 2 and 3)."""

from __future__ import annotations

import threading

import pytest
from conftest import Harness, Staff, run_together
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.bpmn.errors import NotFound, RunnerError, TaskEnded, TaskHeld
from runner.work.inbox import Inbox


def _text(response) -> str:
    return response.get_data(as_text=True)


def _take_over_url(harness: Harness) -> str:
    return f"/bemiddeling/taken/{harness.task('ontvankelijkheid_beoordelen').id}"


@pytest.fixture
def held(harness: Harness, accounts) -> Harness:
    """A new dossier whose first task mia holds."""
    harness.submit()
    Inbox(harness.k, accounts).claim(accounts.working("mia"),
                                     harness.task("ontvankelijkheid_beoordelen").id)
    return harness


def test_take_over_needs_csrf_a_mediator_and_a_reason(held: Harness, staff: Staff, client):
    url = _take_over_url(held)
    staff.login("tom")
    assert client.post(f"{url}/overnemen", data={"overname_reden": "x"}).status_code == 400
    for reason, message in (("", "Reden: dit veld is verplicht"),
                            ("x" * 10_000, "Reden: deze tekst is te lang (maximaal 1000")):
        refused = staff.post(f"{url}/overnemen", {"overname_reden": reason}, form_page=url)
        assert refused.status_code == 400 and message in _text(refused)
    assert held.task("ontvankelijkheid_beoordelen").claimed_by == "mia"
    hostile = "<script>alert(1)</script>"
    done = staff.post(f"{url}/overnemen", {"overname_reden": hostile}, form_page=url)
    assert done.status_code == 302 and held.task("ontvankelijkheid_beoordelen").claimed_by == "tom"
    page = _text(staff.get(f"/bemiddeling/dossiers/{held.number}"))
    assert hostile not in page and "&lt;script&gt;" in page
    staff.post("/logout", {}, form_page="/bemiddeling/taken")
    staff.login("lea")  # a reader may read the dossier, not take its task
    assert staff.post(f"{url}/overnemen", {"overname_reden": "ik"},
                      form_page=f"/bemiddeling/dossiers/{held.number}").status_code == 403


def test_assign_is_for_first_line_mediators_with_a_reason(held: Harness, staff: Staff, client):
    url = f"/bemiddeling/dossiers/{held.number}"
    staff.login("nora")  # the national mediator reads dossiers but assigns nobody's work
    assert staff.post(f"{url}/toewijzen", {"aan": "tom", "reden": "x"},
                      form_page=url).status_code == 403
    staff.post("/logout", {}, form_page="/bemiddeling/taken")
    staff.login("tom")
    assert client.post(f"{url}/toewijzen", data={"aan": "tom", "reden": "x"}).status_code == 400
    no_reason = staff.post(f"{url}/toewijzen", {"aan": "tom", "reden": ""},
                           form_page=url)
    assert no_reason.status_code == 400 and "Reden: dit veld is verplicht" in _text(no_reason)
    unknown = staff.post(f"{url}/toewijzen", {"aan": "<b>x</b>", "reden": "r"}, form_page=url)
    assert unknown.status_code == 400 and "Bemiddelaar: deze waarde is niet geldig" in _text(
        unknown) and "<b>x</b>" not in _text(unknown)
    assert staff.post(f"{url}/toewijzen", {"aan": "nora", "reden": "r"},
                      form_page=url).status_code == 400  # not a first-line mediator
    done = staff.post(f"{url}/toewijzen", {"aan": "tom", "reden": "Mia met verlof"},
                      form_page=url)
    assert done.status_code == 302
    assert held.task("ontvankelijkheid_beoordelen").claimed_by == "tom"
    page = _text(staff.get(url))
    assert "Mia met verlof" in page and 'id="eigenaar">tom<' in page.replace("<bdi>", "").replace(
        "</bdi>", "")


def test_assign_under_legal_hold_but_not_once_closed(held: Harness, klachten, accounts):
    from runner.privacy.retention import Retention
    from runner.work.ownership import Ownership

    bert = {a.name: a for a in accounts.list()}["bert"]
    Retention(klachten).hold(bert, held.number, "Rechtszaak lopende")
    ownership = Ownership(klachten)
    assert ownership.assign(accounts.working("mia"), held.number, "tom", "hold") == "mia"
    other = Harness(klachten).submit(klager={"voornaam": "Bo", "achternaam": "Claes",
                                             "email": "bo@example.be"})
    other.message("klacht_ingetrokken", {"reden": "Opgelost."})
    with pytest.raises(RunnerError, match="afgesloten"):
        ownership.assign(accounts.working("mia"), other.number, "tom", None)


def test_api_says_who_holds_a_task(held: Harness, client, accounts):
    token = {"Authorization": f"Bearer {accounts.new_token('tom')}"}
    task = held.task("ontvankelijkheid_beoordelen").id
    refused = client.post(f"/api/v1/taken/{task}", json={"gegevens": {"ontvankelijk": "ja"}},
                          headers=token)
    assert refused.status_code == 409 and refused.json["houder"] == "mia"
    taken = client.post(f"/api/v1/taken/{task}/claim", json={"overnemen": "Mia ziek"},
                        headers=token)
    assert taken.status_code == 200 and taken.json["geclaimd_door"] == "tom"
    lea = {"Authorization": f"Bearer {accounts.new_token('lea')}"}
    assert client.post(f"/api/v1/dossiers/{held.number}/eigenaar", json={"aan": "tom"},
                       headers=lea).status_code == 403


def test_concurrent_take_overs_leave_one_holder_and_an_audit_each(held: Harness, accounts):
    inbox = Inbox(held.k, accounts)
    task = held.task("ontvankelijkheid_beoordelen").id
    tom, mia = accounts.working("tom"), accounts.working("mia")
    outcomes: list[str] = []
    lock = threading.Lock()

    def take(account, reason):
        def run():
            try:
                inbox.complete(account, task, {"ontvankelijk": "ja"}, take_over=reason)
                result = f"voltooid:{account.name}"
            except (TaskEnded, TaskHeld, NotFound) as error:
                result = f"verloren:{error}"
            with lock:
                outcomes.append(result)
        return run

    run_together(take(tom, "eerst"), take(mia, "ik"), take(tom, "nog eens"))
    won = [o for o in outcomes if o.startswith("voltooid")]
    assert len(won) == 1, outcomes
    winner = won[0].split(":")[1]
    assert all(f"voltooid door {winner}" in o for o in outcomes if o.startswith("verloren"))
    completed = [a for a in held.info.audit if a.action == "taak voltooid"]
    assert len(completed) == 1 and completed[0].actor == winner


ACTIONS = st.lists(st.tuples(st.sampled_from(["mia", "tom", "ann"]),
                             st.sampled_from(["claim", "take", "complete", "complete_take"])),
                   min_size=1, max_size=8)


@settings(max_examples=15, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture])
@given(steps=ACTIONS)
def test_no_task_completed_twice_and_no_loss_untold(klachten, accounts, steps):
    """For any sequence of claims, take-overs and completions by several users: at most one
    completion per task, and every refused completion names who holds or completed it."""
    if "ann" not in {a.name for a in accounts.list()}:
        accounts.add("ann", ["klachtenbemiddelaar"], "een-lang-wachtwoord")
    inbox = Inbox(klachten, accounts)
    harness = Harness(klachten).submit()
    task = harness.task("ontvankelijkheid_beoordelen").id
    holder, completed_by = None, None
    for name, action in steps:
        account = accounts.working(name)
        try:
            if action in ("claim", "take"):
                inbox.claim(account, task, take_over="reden" if action == "take" else None)
                holder = name
            else:
                inbox.complete(account, task, {"ontvankelijk": "ja"},
                               take_over="reden" if action == "complete_take" else None)
                assert completed_by is None
                completed_by = name
        except TaskHeld as error:
            assert holder not in (None, name) and error.holder == holder
        except TaskEnded as error:
            assert completed_by is not None and error.by == completed_by
    done = [a for a in harness.info.audit if a.action == "taak voltooid"
            and a.element == "ontvankelijkheid_beoordelen"]
    assert len(done) == (1 if completed_by else 0)
