"""Accounts as an organisation runs them (issue 25, item 7): a staff member changes their own
password, signs out everywhere, asks for a reset link by e-mail or gets one from a beheerder,
re-enabling an account forces a new password, and API tokens are several, labelled, listed,
revoked and expire. Driven through the pages, the API and the CLI, with a real SMTP server."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from click.testing import CliRunner
from conftest import PASSWORD, Staff, run_together

from runner.accounts import sessions
from runner.accounts.users import Accounts
from runner.cli import main

NEW = "een-heel-ander-wachtwoord"
LINK = re.compile(r"https?://\S+/wachtwoord/herstellen/([\w-]+)")


def _text(response) -> str:
    return response.get_data(as_text=True)


def _signed_in(client) -> bool:
    return client.get("/bemiddeling/taken").status_code == 200


def _later(monkeypatch, delta: timedelta) -> None:
    """Sessions, tokens and reset links live in wall-clock time: move that clock."""
    moved = sessions.now() + delta
    monkeypatch.setattr(sessions, "now", lambda: moved)


# ----- password change
def test_a_mediator_changes_her_password_and_her_other_sessions_end(app, staff: Staff):
    staff.login("mia")
    other = Staff(app.test_client())
    other.login("mia")
    assert _signed_in(other.client)
    page = "/mijn-account"
    wrong = staff.post("/mijn-account/wachtwoord", {"huidig": "fout", "wachtwoord": NEW,
                                                    "herhaling": NEW}, form_page=page)
    assert wrong.status_code == 400 and "dit is niet uw huidige wachtwoord" in _text(wrong)
    differ = staff.post("/mijn-account/wachtwoord", {"huidig": PASSWORD, "wachtwoord": NEW,
                                                     "herhaling": NEW + "x"}, form_page=page)
    assert differ.status_code == 400 and "De twee nieuwe wachtwoorden verschillen" in _text(differ)
    weak = staff.post("/mijn-account/wachtwoord", {"huidig": PASSWORD, "wachtwoord": "aaaaaaaaaaaa",
                                                   "herhaling": "aaaaaaaaaaaa"}, form_page=page)
    assert weak.status_code == 400 and "te makkelijk te raden" in _text(weak)
    assert staff.login("mia", PASSWORD).status_code == 302  # nothing changed so far
    done = staff.post("/mijn-account/wachtwoord", {"huidig": PASSWORD, "wachtwoord": NEW,
                                                   "herhaling": NEW}, form_page=page,
                      follow_redirects=True)
    assert "Uw wachtwoord is gewijzigd" in _text(done)
    assert _signed_in(staff.client)  # this session stays
    assert not _signed_in(other.client)  # the other one ended
    fresh = Staff(app.test_client())
    assert fresh.login("mia", PASSWORD).status_code == 400
    assert fresh.login("mia", NEW).status_code == 302


def test_sign_out_everywhere_ends_every_session_of_the_user_only(app, staff: Staff):
    staff.login("mia")
    laptop, colleague = Staff(app.test_client()), Staff(app.test_client())
    laptop.login("mia")
    colleague.login("tom")
    out = staff.post("/mijn-account/overal-afmelden", {}, form_page="/mijn-account",
                     follow_redirects=True)
    assert "U bent overal afgemeld" in _text(out)
    assert not _signed_in(staff.client) and not _signed_in(laptop.client)
    assert _signed_in(colleague.client)


# ----- reset by e-mail
def test_forgotten_password_by_e_mail_works_once(app, staff: Staff, accounts: Accounts,
                                                 smtp_server, monkeypatch):
    monkeypatch.setenv("KLACHTEN_SMTP_URL", smtp_server.url)
    accounts.set_email("mia", "mia@ziekenfonds.example")
    for asked in ("mia", "MIA@ziekenfonds.example", "niemand", "nobody@example.be"):
        answer = staff.post("/wachtwoord/vergeten", {"naam": asked})
        assert answer.status_code == 200
        assert "Als er een account bij deze gebruikersnaam" in _text(answer)  # same for all
    mails = smtp_server.messages
    assert [m["To"] for m in mails] == ["mia@ziekenfonds.example"] * 2
    body = mails[-1].get_content()
    assert "eenmalig" in body and "une seule fois" in body
    first, last = (LINK.search(m.get_content()).group(1) for m in mails)
    # A newer link replaces the older one.
    assert "werkt niet meer" in _text(staff.get(f"/wachtwoord/herstellen/{first}"))
    form = f"/wachtwoord/herstellen/{last}"
    assert 'name="wachtwoord"' in _text(staff.get(form))
    weak = staff.post(form, {"wachtwoord": "kort", "herhaling": "kort"})
    assert weak.status_code == 400 and "minstens 12 tekens" in _text(weak)
    done = staff.post(form, {"wachtwoord": NEW, "herhaling": NEW}, follow_redirects=True)
    assert "Uw nieuwe wachtwoord is ingesteld, mia" in _text(done)
    again = staff.post(form, {"wachtwoord": NEW + "2", "herhaling": NEW + "2"},
                       form_page="/wachtwoord/vergeten")
    assert again.status_code == 400 and "al gebruikt of verlopen" in _text(again)
    assert staff.login("mia", PASSWORD).status_code == 400
    assert staff.login("mia", NEW).status_code == 302


def test_a_reset_link_expires_after_an_hour(staff: Staff, accounts: Accounts, smtp_server,
                                            monkeypatch):
    monkeypatch.setenv("KLACHTEN_SMTP_URL", smtp_server.url)
    accounts.set_email("mia", "mia@ziekenfonds.example")
    staff.post("/wachtwoord/vergeten", {"naam": "mia"})
    token = LINK.search(smtp_server.messages[-1].get_content()).group(1)
    _later(monkeypatch, timedelta(minutes=61))
    assert "werkt niet meer" in _text(staff.get(f"/wachtwoord/herstellen/{token}"))
    assert staff.login("mia").status_code == 302  # the old password still works


def test_requests_for_reset_links_are_rate_limited(staff: Staff, accounts: Accounts,
                                                   smtp_server, monkeypatch):
    monkeypatch.setenv("KLACHTEN_SMTP_URL", smtp_server.url)
    accounts.set_email("mia", "mia@ziekenfonds.example")
    answers = [staff.post("/wachtwoord/vergeten", {"naam": "mia"}).status_code
               for _ in range(7)]
    assert answers[:5] == [200] * 5 and answers[-1] == 429
    assert len(smtp_server.messages) == 5


def test_two_uses_of_one_link_at_once_set_one_password(accounts: Accounts):
    token = accounts.reset_link("mia", "bert").rpartition("/")[2]
    outcomes: list[str] = []

    def use(password: str):
        def call():
            try:
                accounts.reset_password(token, password)
                outcomes.append(password)
            except Exception as error:  # the refusal is what is counted
                outcomes.append(type(error).__name__)
        return call

    run_together(use(NEW), use(NEW + "-twee"))
    [winner] = [o for o in outcomes if o.startswith(NEW)]
    assert sorted(outcomes) == sorted([winner, "ValidationFailed"])
    assert accounts.sign_in("mia", winner, "127.0.0.1").name == "mia"


# ----- beheerder: disable, enable, reset link, e-mail
def test_re_enabling_an_account_forces_a_new_password(app, staff: Staff):
    victim = Staff(app.test_client())
    victim.login("tom")
    staff.login("bert")
    staff.post("/beheer/gebruikers/tom", {"actie": "uitschakelen"}, form_page="/beheer/gebruikers")
    assert not _signed_in(victim.client)
    enabled = staff.post("/beheer/gebruikers/tom", {"actie": "inschakelen"},
                         form_page="/beheer/gebruikers")
    page = _text(enabled)
    assert "Link voor tom om een nieuw wachtwoord in te stellen" in page
    token = LINK.search(page).group(1)
    assert victim.login("tom", PASSWORD).status_code == 400  # the old password is gone
    victim.post(f"/wachtwoord/herstellen/{token}", {"wachtwoord": NEW, "herhaling": NEW})
    assert victim.login("tom", NEW).status_code == 302


def test_the_beheerder_sets_an_e_mail_address_and_a_bad_one_is_refused(staff: Staff,
                                                                       accounts: Accounts):
    staff.login("bert")
    bad = staff.post("/beheer/gebruikers/mia", {"actie": "email", "email": "mia@x\nBcc: y"},
                     form_page="/beheer/gebruikers")
    assert bad.status_code == 400 and "Vul een geldig e-mailadres in" in _text(bad)
    staff.post("/beheer/gebruikers/mia", {"actie": "email", "email": "mia@ziekenfonds.example"},
               form_page="/beheer/gebruikers")
    assert accounts.by_name("mia").email == "mia@ziekenfonds.example"


@pytest.mark.parametrize("user", ["mia", "lea", "nora"])
def test_only_a_beheerder_makes_reset_links_or_changes_addresses(staff: Staff, accounts,
                                                                 user):
    staff.login(user)
    for action in ({"actie": "herstellink"}, {"actie": "email", "email": "x@evil.example"},
                   {"actie": "inschakelen"}):
        answer = staff.post("/beheer/gebruikers/tom", action, form_page="/mijn-account")
        assert answer.status_code == 403
    assert accounts.by_name("tom").email == ""


# ----- API tokens
def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_tokens_are_made_listed_revoked_and_expire(client, staff: Staff, monkeypatch):
    staff.login("mia")
    made = staff.post("/mijn-account/tokens", {"label": "rapport-script", "dagen": "30"})
    assert made.status_code == 200
    token = re.search(r'<code class="token">([^<]+)</code>', _text(made)).group(1)
    second = _made_token(staff, "<b>export</b>", "365")
    listed = client.get("/api/v1/tokens", headers=_bearer(token)).get_json()["tokens"]
    assert [t["label"] for t in listed] == ["<b>export</b>", "rapport-script"]
    assert all(t["toestand"] == "actief" for t in listed)
    page = _text(staff.get("/mijn-account"))
    assert "&lt;b&gt;export&lt;/b&gt;" in page and token not in page  # shown once, escaped
    # Another user cannot revoke mia's token, nor learn it exists.
    other = Staff(client.application.test_client())
    other.login("tom")
    [export] = [t for t in listed if t["label"] == "<b>export</b>"]
    assert other.post(f"/mijn-account/tokens/{export['id']}/intrekken", {},
                      form_page="/mijn-account", follow_redirects=True).status_code == 200
    assert client.get("/api/v1/tokens", headers=_bearer(second)).status_code == 200
    revoked = client.delete(f"/api/v1/tokens/{export['id']}", headers=_bearer(token))
    assert revoked.status_code == 204
    assert client.get("/api/v1/tokens", headers=_bearer(second)).status_code == 401
    _later(monkeypatch, timedelta(days=30, minutes=1))
    assert client.get("/api/v1/tokens", headers=_bearer(token)).status_code == 401


def _made_token(staff: Staff, label: str, days: str) -> str:
    made = staff.post("/mijn-account/tokens", {"label": label, "dagen": days})
    return re.search(r'<code class="token">([^<]+)</code>', _text(made)).group(1)


@pytest.mark.parametrize(("label", "days", "message"), [
    ("", "30", "Naam van het token: 1 tot 100 gewone tekens"),
    ("x" * 101, "30", "Naam van het token: 1 tot 100 gewone tekens"),
    ("regel\neen", "30", "Naam van het token: 1 tot 100 gewone tekens"),
    ("script", "0", "Geldig: een geheel aantal dagen van 1 tot 365"),
    ("script", "366", "Geldig: een geheel aantal dagen van 1 tot 365"),
    ("script", "abc", "Geldig: een geheel aantal dagen van 1 tot 365"),
])
def test_a_bad_token_request_is_refused_clearly(staff: Staff, accounts, label, days, message):
    staff.login("mia")
    answer = staff.post("/mijn-account/tokens", {"label": label, "dagen": days})
    assert answer.status_code == 400 and message in _text(answer)
    assert accounts.tokens("mia") == []


def test_the_api_changes_a_password_only_with_the_current_one(client, accounts: Accounts):
    token = accounts.new_token("mia", "script", 1)
    wrong = client.post("/api/v1/wachtwoord", json={"huidig": "geraden", "nieuw": NEW},
                        headers=_bearer(token))
    assert wrong.status_code == 400 and wrong.get_json()["fouten"]["huidig"]
    assert client.post("/api/v1/wachtwoord", json={"huidig": PASSWORD, "nieuw": NEW},
                       headers=_bearer(token)).status_code == 204
    assert accounts.sign_in("mia", NEW, "127.0.0.1").name == "mia"


def test_disabling_revokes_every_token(client, accounts: Accounts):
    token = accounts.new_token("mia", "script", 10)
    accounts.set_disabled("mia", True)
    accounts.set_disabled("mia", False)
    assert client.get("/api/v1/tokens", headers=_bearer(token)).status_code == 401
    assert [t.revoked for t in accounts.tokens("mia")] == [True]


# ----- attacks on the new routes
STATE_CHANGING = ["/mijn-account/wachtwoord", "/mijn-account/overal-afmelden",
                  "/mijn-account/tokens", "/mijn-account/tokens/1/intrekken"]


@pytest.mark.parametrize("url", STATE_CHANGING)
def test_a_cross_site_post_changes_nothing(staff: Staff, accounts: Accounts, url):
    staff.login("mia")
    token = accounts.new_token("mia", "script", 10)
    answer = staff.client.post(url, data={"huidig": PASSWORD, "wachtwoord": NEW,
                                          "herhaling": NEW, "label": "x", "dagen": "5"},
                               headers={"Origin": "https://evil.example"})
    assert answer.status_code in (400, 403)
    assert _signed_in(staff.client)
    assert [t.label for t in accounts.tokens("mia") if t.active] == ["script"]
    assert accounts.by_token(token) is not None
    assert accounts.sign_in("mia", PASSWORD, "127.0.0.1").name == "mia"


@pytest.mark.parametrize("url", [*STATE_CHANGING, "/mijn-account"])
def test_the_account_pages_need_a_signed_in_staff_member(client, site, url):
    answer = client.post(url) if url != "/mijn-account" else client.get(url)
    assert answer.status_code in (302, 400)
    if answer.status_code == 302:
        assert "/login" in answer.headers["Location"]


def test_a_member_session_opens_no_account_page(site, client):
    number, code = site.file_complaint()
    site.sign_in(number, code)
    answer = client.get("/mijn-account")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


@pytest.mark.parametrize("token", ["x" * 5000, "../../etc/passwd", "%00", "' OR 1=1 --"])
def test_a_hostile_reset_link_is_just_not_valid(staff: Staff, token):
    answer = staff.get(f"/wachtwoord/herstellen/{token}")
    assert answer.status_code in (200, 404)
    assert "Nieuw wachtwoord instellen" not in _text(answer) or "werkt niet meer" in _text(answer)


# ----- the CLI
@pytest.fixture
def cli(database_url, monkeypatch, accounts):
    monkeypatch.setenv("KLACHTEN_DATABASE_URL", database_url)
    monkeypatch.setenv("KLACHTEN_CLOCK", "virtual")
    runner = CliRunner()

    def run(*args: str, ok: bool = True):
        result = runner.invoke(main, list(args), catch_exceptions=False)
        assert (result.exit_code == 0) == ok, result.output
        return result.output
    return run


def test_the_cli_manages_tokens_passwords_links_and_sessions(cli, accounts: Accounts,
                                                             monkeypatch):
    token = cli("user", "token", "mia", "--label", "export", "--days", "7").strip()
    assert accounts.by_token(token).name == "mia"
    listed = cli("user", "tokens", "mia")
    assert "export" in listed and "actief" in listed and token not in listed
    token_id = accounts.tokens("mia")[0].id
    assert "ingetrokken" in cli("user", "revoke-token", "mia", str(token_id))
    assert accounts.by_token(token) is None
    assert "bestaat niet" in cli("user", "revoke-token", "tom", str(token_id), ok=False)
    assert "van 1 tot 365" in cli("user", "token", "mia", "--days", "400", ok=False)
    monkeypatch.setenv("KLACHTEN_PASSWORD", NEW)
    assert "alle sessies van mia zijn afgemeld" in cli("user", "password", "mia")
    assert accounts.sign_in("mia", NEW, "127.0.0.1").name == "mia"
    link = cli("user", "reset-link", "tom").strip()
    assert LINK.fullmatch(link)
    assert "e-mailadres tom@ziekenfonds.example" in cli("user", "email", "tom",
                                                         "tom@ziekenfonds.example")
    assert "geen geldig e-mailadres" in cli("user", "email", "tom", "geen adres", ok=False)
    assert "alle sessies van tom zijn afgemeld" in cli("user", "sign-out", "tom")
