"""The status page cannot be enumerated: one uniform failure (status, body, message, time),
rate limits per client address and per dossier number that trigger and lift, and the
"is this message really from us?" check."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest
from conftest import Harness, Site
from sqlalchemy import func, select

from runner.bpmn.store import transaction
from runner.errors import AccessDenied, RateLimited
from runner.members.status_page import (
    PASS_LIFETIME,
    Attempt,
    StatusDesk,
    StatusPass,
)
from runner.ratelimit import RateLimit, client_key
from runner.store import RateLimitEvent

UNIFORM = "Het dossiernummer of de code klopt niet."
TOKEN = re.compile(r'name="csrf_token" value="[^"]*"')


def _page(response) -> str:
    """The body without the per-request CSRF tokens."""
    return TOKEN.sub('name="csrf_token" value=""', response.get_data(as_text=True))


def _wrong_code(code: str) -> str:
    return ("B" if code[0] != "B" else "C") + code[1:]


def test_unknown_dossier_and_wrong_code_look_the_same(site: Site):
    number, code = site.file_complaint()
    unknown = site.sign_in("KL-2026-00999", code)
    wrong = site.sign_in(number, _wrong_code(code))
    assert unknown.status_code == wrong.status_code == 400
    assert _page(unknown) == _page(wrong)
    assert UNIFORM in _page(wrong) and number not in _page(wrong)


def test_notice_check_answers_yes_or_one_uniform_no(site: Site, klachten):
    number, _ = site.file_complaint()
    notice = klachten.dossier(number).notices[0]
    yes = site.post("/status/bericht", {"bericht.nummer": number.lower(),
                                        "bericht.code": notice.code.lower()})
    assert "Ja, dit bericht komt van ons." in yes.get_data(as_text=True)
    assert "Ontvangstmelding van 2 maart 2026" in yes.get_data(as_text=True)
    unknown = site.post("/status/bericht", {"bericht.nummer": "KL-2026-00999",
                                            "bericht.code": notice.code})
    wrong = site.post("/status/bericht", {"bericht.nummer": number, "bericht.code": "ZZZZZZZZ"})
    assert unknown.status_code == wrong.status_code == 200
    typed = [("KL-2026-00999", number), (notice.code, "ZZZZZZZZ")]  # kept, to check them
    assert _page(unknown).replace(*typed[0]).replace(*typed[1]) == _page(wrong)
    assert "Nee, wij vinden geen bericht" in _page(wrong)


def test_rate_limit_per_client_address_triggers_and_lifts(site: Site, klachten):
    number, code = site.file_complaint()
    for attempt in range(10):
        assert site.sign_in(f"KL-2026-{attempt + 100:05d}", code).status_code == 400
    blocked = site.sign_in(number, code)  # even the right code waits now
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) == 15 * 60 + 1
    assert "opnieuw proberen na 16 minuten" in blocked.get_data(as_text=True)
    other_client = site.sign_in(number, code, environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert other_client.status_code == 302
    klachten.clock.set(klachten.clock.now() + timedelta(minutes=15, seconds=1))
    assert site.sign_in(number, code).status_code == 302


def test_a_dossier_number_under_attack_refuses_only_addresses_that_failed(site: Site, klachten):
    number, code = site.file_complaint()
    for attempt in range(10):
        address = {"REMOTE_ADDR": f"203.0.113.{attempt + 1}"}
        assert site.sign_in(number, "AAAA-AAAA-AAAA", environ_base=address).status_code == 400
    failed = {"REMOTE_ADDR": "203.0.113.1"}
    assert site.sign_in(number, code, environ_base=failed).status_code == 429
    notice = site.post("/status/bericht", {"bericht.nummer": number, "bericht.code": "X"},
                       environ_base=failed)
    assert notice.status_code == 429  # the notice check shares the limits
    fresh = {"REMOTE_ADDR": "198.51.100.1"}  # the member: no lock-out (ADR 8)
    assert site.sign_in(number, code, environ_base=fresh).status_code == 302
    klachten.clock.set(klachten.clock.now() + timedelta(minutes=16))
    assert site.sign_in(number, code, environ_base=failed).status_code == 302


def test_rate_limit_message_in_french(site: Site):
    site.get("/status?taal=fr")
    for attempt in range(11):
        response = site.sign_in(f"KL-2026-{attempt + 100:05d}", "X")
    assert response.status_code == 429
    assert "Trop de tentatives" in response.get_data(as_text=True)


# ----- the runner side
def test_desk_checks_the_same_way_for_unknown_and_wrong(klachten, harness):
    harness.submit()
    desk = StatusDesk(klachten, RateLimit(attempts=3, window=timedelta(minutes=1)))
    assert desk.sign_in(Attempt(f" {harness.number.lower()} ", harness.access_code.lower(),
                                "127.0.0.1")).number == harness.number
    for number in (harness.number, "KL-2026-00404", "x" * 10_000):
        with pytest.raises(AccessDenied) as denied:
            desk.sign_in(Attempt(number, "WRONG", f"192.0.2.{len(number)}"))
        assert denied.value.codes == {"formulier": "toegang"}
    with transaction(klachten.factory) as session:
        keys = session.scalars(select(RateLimitEvent.key)).all()
    assert all(len(key) < 60 for key in keys)  # hashed: no raw input in the table
    for _ in range(2):
        with pytest.raises(AccessDenied):
            desk.sign_in(Attempt(harness.number, "WRONG", "198.51.100.9"))
    with pytest.raises(RateLimited) as limited:
        desk.sign_in(Attempt(harness.number, harness.access_code, "198.51.100.9"))
    assert 0 < limited.value.retry_after <= 61
    assert desk.sign_in(Attempt(harness.number, harness.access_code, "198.51.100.10")
                        ).number == harness.number


def test_old_events_are_pruned(klachten):
    desk = StatusDesk(klachten, RateLimit(attempts=5, window=timedelta(minutes=15)))
    for index in range(3):
        with pytest.raises(AccessDenied):
            desk.sign_in(Attempt(f"KL-2026-0000{index}", "X", "192.0.2.1"))
    klachten.clock.set(klachten.clock.now() + timedelta(minutes=20))
    with pytest.raises(AccessDenied):
        desk.sign_in(Attempt("KL-2026-00009", "X", "192.0.2.1"))
    with transaction(klachten.factory) as session:
        assert session.scalar(select(func.count()).select_from(RateLimitEvent)) == 2


def test_ipv6_clients_are_counted_per_64_block():
    assert client_key("2001:db8:1:2::1") == client_key("2001:db8:1:2:ffff::9")
    assert client_key("2001:db8:1:2::1") != client_key("2001:db8:1:3::1")
    assert client_key("192.0.2.1") != client_key("192.0.2.2")


def test_status_shows_no_internal_data(klachten, harness):
    harness.submit().admissible()
    status = StatusDesk(klachten).look_up(Attempt(harness.number, harness.access_code, "::1"),
                                          "fr")
    assert (status.step.key, status.step.title) == ("4", "Examen")
    assert [n.label for n in status.notices] == ["Accusé de réception"]
    assert status.can_withdraw and not status.can_disagree
    text = repr(status)
    assert "Peeters" not in text and "mia" not in text and "kinesitherapie" not in text


def test_a_status_pass_opens_one_dossier_until_it_expires(klachten, harness):
    harness.submit()
    other = Harness(klachten).submit()
    desk = StatusDesk(klachten)
    granted = desk.sign_in(Attempt(harness.number, harness.access_code, "::1"))
    assert harness.access_code not in repr(granted)
    assert desk.look_up(granted, "nl").number == harness.number
    forged = [replace(granted, number=other.number), replace(granted, token="0" * 64),
              replace(granted, expires="2099-01-01T00:00:00+00:00"),
              replace(granted, expires="geen tijdstip"),
              replace(granted, expires="2099-01-01T00:00:00"), StatusPass.from_dict({})]
    for credential in forged:
        with pytest.raises(AccessDenied):
            desk.look_up(credential, "nl")
    klachten.clock.set(klachten.clock.now() + PASS_LIFETIME)
    with pytest.raises(AccessDenied):
        desk.look_up(granted, "nl")


def test_the_session_keeps_a_pass_not_the_access_code(site: Site, klachten):
    number, code = site.file_complaint()
    assert site.sign_in(number, code).status_code == 302
    with site.client.session_transaction() as session:
        stored = dict(session)
    assert code not in repr(stored) and code.replace("-", "") not in repr(stored)
    assert stored["dossier"]["nummer"] == number
    assert number in site.get("/status").get_data(as_text=True)
    klachten.clock.set(klachten.clock.now() + PASS_LIFETIME)
    page = site.get("/status")  # the pass expired: sign in again, whatever the cookie says
    assert page.status_code == 401 and 'name="toegangscode"' in page.get_data(as_text=True)
    assert "niet aangemeld" in page.get_data(as_text=True)
    assert "klopt niet" not in page.get_data(as_text=True)
