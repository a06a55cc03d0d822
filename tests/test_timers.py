"""Deadlines that stay, status updates after an outage, timers that fire at their moment
(issue 13, items 1, 2 and 9): through the runner with the virtual clock, and the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from click.testing import CliRunner
from conftest import START, Harness, complaint
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from runner.cli import main
from runner.members.status_page import Attempt, StatusDesk

PERIOD = timedelta(days=21)
FIRST_HANDLING = {"antwoord", "ontvangstmelding", "ontvankelijkheid", "statusbericht"}
NATIONAL = FIRST_HANDLING | {"reactietermijn", "nationaal_antwoord"}


def deadlines(harness: Harness) -> set[str]:
    return set(harness.info.deadlines)


def status_page(harness: Harness):
    return StatusDesk(harness.k).look_up(Attempt(harness.number, harness.access_code, "::1"),
                                         "nl")


# ----- item 1: every deadline stays visible in every state
def test_deadlines_stay_through_every_step_of_the_first_handling(harness: Harness):
    harness.submit()
    assert deadlines(harness) == FIRST_HANDLING
    harness.admissible()
    assert deadlines(harness) == FIRST_HANDLING
    for day in (21, 42, 43):  # each status update, and between them
        harness.at_day(day)
        assert deadlines(harness) == FIRST_HANDLING, f"day {day}"
        assert status_page(harness).answer_due.isoformat() == "2026-04-16"
    assert harness.notices().count("statusbericht") == 2
    harness.investigate().answer()
    assert deadlines(harness) == FIRST_HANDLING | {"reactietermijn"}
    assert status_page(harness).reaction_until is not None
    harness.at_day(80)  # the reaction window ended: closure, recommendations due
    assert deadlines(harness) == FIRST_HANDLING | {"reactietermijn", "aanbeveling"}
    harness.recommend()
    assert harness.info.step == "Afgesloten"
    assert deadlines(harness) == FIRST_HANDLING | {"reactietermijn", "aanbeveling"}


def test_deadlines_stay_through_the_national_re_examination(harness: Harness):
    harness.submit().admissible().investigate().answer()
    harness.message("klager_niet_akkoord", {"reden": "Niet akkoord."})
    assert deadlines(harness) == NATIONAL
    for day in (21, 22, 43):  # the national cycle started at day 0 too
        harness.at_day(day)
        assert deadlines(harness) == NATIONAL
        assert status_page(harness).national_answer_due is not None
    assert harness.notices().count("statusbericht") >= 2
    harness.complete("nationaal_onderzoek",
                     {"uitkomst": "gegrond", "antwoord": "Na herziening gegrond."}, user="nora")
    assert deadlines(harness) == NATIONAL | {"aanbeveling"}  # closed: recommendations due


# ----- item 9: a timer fires at its moment, once
def test_status_update_goes_out_at_the_due_instant_and_only_once(harness: Harness):
    harness.submit().admissible()
    assert harness.info.next_timer_at == START + PERIOD
    harness.at_day(21)  # exactly the due instant, not a minute later
    assert harness.notices().count("statusbericht") == 1
    assert harness.info.next_timer_at == START + 2 * PERIOD
    harness.at_day(21)  # a second sweep at the same instant fires nothing
    assert harness.notices().count("statusbericht") == 1


def test_reaction_window_closes_at_the_instant_it_expires(harness: Harness):
    harness.submit().admissible().investigate().answer()
    expires = harness.info.next_timer_at
    harness.k.clock.set(expires - timedelta(microseconds=1))
    harness.k.sweep_timers()
    assert not harness.info.closed
    harness.k.clock.set(expires)
    harness.k.sweep_timers()
    assert harness.info.closed
    assert harness.notices().count("afsluiting") == 1


# ----- item 2: one status update after an outage, the next a full period later
def _status_times(harness: Harness) -> list[datetime]:
    return [n.created_at for n in harness.info.notices
            if n.kind == "statusbericht"]


def _run_worker_with_outage(harness: Harness, down_from: datetime, down_until: datetime,
                            horizon: datetime) -> None:
    """A worker that sweeps at each timer's due instant, except while it is down: what falls
    due then waits for the first sweep after the outage, at its end."""
    while True:
        due = harness.info.next_timer_at
        if down_from <= due < down_until:
            due = down_until
        if due > horizon:
            return
        harness.k.clock.set(due)
        harness.k.sweep_timers()


def _check_rhythm(times: list[datetime], cycle_start: datetime, down_from: datetime,
                  down_until: datetime, horizon: datetime) -> None:
    """Before the outage every occurrence on time; nothing while it lasts; if anything fell
    due in it (or at its end), exactly one update at its end; from there one every period."""
    assert all(b - a >= PERIOD for a, b in pairwise(times)), times
    schedule = [cycle_start + k * PERIOD for k in range(1, 20)]
    before = [t for t in schedule if t < down_from]
    assert [t for t in times if t < down_from] == before
    assert not [t for t in times if down_from <= t < down_until]
    missed = any(down_from <= t <= down_until for t in schedule)
    restart = down_until if missed else next(t for t in schedule if t > down_until)
    after = [restart + k * PERIOD for k in range(20) if restart + k * PERIOD <= horizon]
    assert [t for t in times if t >= down_until] == after, (times, down_from, down_until)


def _cycle_start(harness: Harness, national: bool) -> datetime:
    harness.submit().admissible()
    if national:
        harness.investigate().answer()
        harness.message("klager_niet_akkoord", {"reden": "Niet akkoord."})
    return harness.k.clock.now()


OUTAGE = {
    # the outage ends on the k-th due occurrence, plus an offset in seconds (negative: just
    # before it, 0: on it, positive: after it); it lasted ``length`` seconds
    "occurrence": st.integers(min_value=1, max_value=5),
    "offset": st.one_of(st.sampled_from([-1, 0, 1]),
                        st.integers(min_value=-21 * 86400, max_value=21 * 86400)),
    "length": st.integers(min_value=1, max_value=90 * 86400),
}


@pytest.mark.parametrize("national", [False, True], ids=["first_handling", "national"])
def test_after_any_outage_one_status_update_then_a_full_period(klachten, national):
    @settings(max_examples=30, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(**OUTAGE)
    @example(occurrence=4, offset=-3600, length=83 * 86400)  # the case
    @example(occurrence=1, offset=0, length=1)  # ends exactly on the due instant
    @example(occurrence=1, offset=-1, length=86400)  # ends just before it
    @example(occurrence=3, offset=1, length=60 * 86400)  # just after, two missed
    def outage(occurrence: int, offset: int, length: int) -> None:
        klachten.clock.set(START)
        harness = Harness(klachten)
        start = _cycle_start(harness, national)
        down_until = start + occurrence * PERIOD + timedelta(seconds=offset)
        down_from = max(start, down_until - timedelta(seconds=length))
        horizon = down_until + 3 * PERIOD
        _run_worker_with_outage(harness, down_from, down_until, horizon)
        times = _status_times(harness)
        _check_rhythm(times, start, down_from, down_until, horizon)
        harness.complete("nationaal_onderzoek" if national else "onderzoek",
                         {"uitkomst": "gegrond", "antwoord": "Na herziening klaar."} if national
                         else {"bevindingen": "Onderzoek klaar."}, user="nora")

    outage()


# ----- items 1, 2 and 9 through the command line
@pytest.fixture
def cli(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("KLACHTEN_DATABASE_URL", database_url)
    monkeypatch.setenv("KLACHTEN_CLOCK", "virtual")
    monkeypatch.setenv("KLACHTEN_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("KLACHTEN_SMTP_URL", raising=False)
    monkeypatch.setenv("KLACHTEN_PASSWORD", "een-lang-wachtwoord")
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output + result.stderr
        return result.output

    run("init")
    run("user", "add", "mia", "--role", "klachtenbemiddelaar")
    return run


@pytest.fixture
def admissible_dossier(cli, tmp_path, monkeypatch):
    """Submit and find admissible through the CLI, on 16 February 2026 at 09:00 UTC."""
    cli("clock", "set", "2026-02-16T09:00:00Z")
    (tmp_path / "k.json").write_text(json.dumps(complaint()), encoding="utf-8")
    cli("submit", str(tmp_path / "k.json"))
    [task] = json.loads(cli("tasks", "--json"))
    (tmp_path / "o.json").write_text('{"ontvankelijk": "ja"}', encoding="utf-8")
    cli("complete", task["id"], "--data", str(tmp_path / "o.json"), "--user", "mia")
    cli("worker", "--once")
    return "KL-2026-00001"


def _dossier(cli, number: str) -> dict:
    return json.loads(cli("dossier", number, "--json"))


def test_cli_deadlines_stay_after_the_first_status_update(cli, admissible_dossier):
    cli("clock", "advance", "P21D")  # exactly the due instant (item 9)
    cli("worker", "--once")
    info = _dossier(cli, admissible_dossier)
    assert [n["soort"] for n in info["berichten"]].count("statusbericht") == 1
    assert set(info["termijnen"]) == FIRST_HANDLING
    assert info["termijnen"]["antwoord"]["vervaldag"] == "2026-04-02"


def test_cli_no_second_status_update_hours_after_the_catch_up(cli, admissible_dossier):
    cli("clock", "advance", "P83DT23H")
    cli("worker", "--once")
    info = _dossier(cli, admissible_dossier)
    assert [n["aangemaakt_op"] for n in info["berichten"] if n["soort"] == "statusbericht"] \
        == ["2026-05-11T08:00:00+00:00"]
    assert info["volgende_timer"] == "2026-06-01T08:00:00+00:00"
    assert set(info["termijnen"]) == FIRST_HANDLING
    cli("clock", "advance", "PT2H")
    cli("worker", "--once")
    info = _dossier(cli, admissible_dossier)
    assert [n["soort"] for n in info["berichten"]].count("statusbericht") == 1
    cli("clock", "set", "2026-06-01T08:00:00Z")
    cli("worker", "--once")
    info = _dossier(cli, admissible_dossier)
    assert [n["soort"] for n in info["berichten"]].count("statusbericht") == 2
    assert datetime.fromisoformat(info["volgende_timer"]) == datetime(2026, 6, 22, 8,
                                                                      tzinfo=UTC)
