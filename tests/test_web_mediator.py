"""The mediators' side through Flask's test client: accounts, login, roles, the inbox."""

from __future__ import annotations

import re

import pytest
from conftest import PASSWORD, Harness, Staff

from runner.accounts.users import Accounts
from runner.bpmn.errors import Forbidden, ValidationFailed
from runner.errors import RateLimited
from runner.work.inbox import OVERDUE, Inbox, InboxQuery


def _text(response) -> str:
    return response.get_data(as_text=True)


# ----- accounts in the runner
def test_password_is_argon2_and_sign_in_is_uniform(accounts, klachten):
    from sqlalchemy import select

    from runner.bpmn.store import transaction
    from runner.store import User

    with transaction(klachten.factory) as session:
        stored = session.scalar(select(User.password_hash).where(User.name == "mia"))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.sign_in("mia", PASSWORD, "10.0.0.1").roles == ("klachtenbemiddelaar",)
    for name, password in [("mia", "fout-wachtwoord!"), ("niemand", PASSWORD)]:
        with pytest.raises(ValidationFailed) as failed:
            accounts.sign_in(name, password, "10.0.0.1")
        assert failed.value.codes == {"formulier": "aanmelden"}


def test_bad_roles_short_passwords_and_duplicates_are_refused(accounts):
    with pytest.raises(ValidationFailed):
        accounts.add("x", ["koning"], PASSWORD)
    with pytest.raises(ValidationFailed):
        accounts.add("x", ["lezer"], "kort")
    with pytest.raises(ValidationFailed):
        accounts.add("mia", ["lezer"], PASSWORD)


def test_login_is_rate_limited_per_name_for_addresses_that_failed(accounts):
    for attempt in range(5):
        with pytest.raises(ValidationFailed):
            accounts.sign_in("mia", "fout-wachtwoord!", f"10.0.0.{attempt}")
    with pytest.raises(RateLimited):
        accounts.sign_in("mia", PASSWORD, "10.0.0.1")
    assert accounts.sign_in("mia", PASSWORD, "10.0.0.99").name == "mia"  # no lock-out


def test_disabled_user_cannot_sign_in_nor_use_a_token(accounts):
    token = accounts.new_token("lea")
    assert accounts.by_token(token).name == "lea"
    accounts.set_disabled("lea", True)
    assert accounts.by_token(token) is None
    with pytest.raises(ValidationFailed):
        accounts.sign_in("lea", PASSWORD, "10.0.0.1")


def test_lanes_come_from_processes(accounts):
    roles = {a.name: a for a in accounts.list()}
    assert accounts.lanes(roles["mia"]) == ["Klachtenbemiddelaar"]
    assert accounts.lanes(roles["nora"]) == ["Nationale klachtenbemiddelaar"]
    assert accounts.lanes(roles["bert"]) == [] and accounts.lanes(roles["lea"]) == []


# ----- the inbox in the runner
def _national(harness: Harness) -> Harness:
    harness.submit().admissible(user="mia").investigate(user="mia").answer(user="mia")
    return harness.message("klager_niet_akkoord", {"reden": "Niet akkoord."})


def test_inbox_shows_own_lanes_sorted_with_deadline_state(accounts, harness, klachten):
    inbox = Inbox(klachten, accounts)
    users = {a.name: a for a in accounts.list()}
    first = harness.submit().number
    harness.submit(klager={"voornaam": "Bart", "achternaam": "Claes",
                           "email": "bart@example.be"}, categorie="uitkering")
    page = inbox.page(users["mia"], InboxQuery())
    assert [r.dossier_number for r in page.rows] == [first, harness.number]
    assert {r.deadline_state for r in page.rows} == {"op_tijd"}
    assert inbox.page(users["nora"], InboxQuery()).total == 0
    assert inbox.page(users["mia"], InboxQuery(search="claes")).total == 1
    assert inbox.page(users["mia"], InboxQuery(category="uitkering")).total == 1
    harness.at_day(30)
    overdue = inbox.page(users["mia"], InboxQuery(overdue=True))
    assert overdue.total == 2 and overdue.rows[0].deadline_state == OVERDUE
    inbox.claim(users["tom"], overdue.rows[0].task_id)
    assert inbox.page(users["mia"], InboxQuery()).rows[0].claimed_by == "tom"


def test_national_task_is_hidden_from_and_refused_to_the_first_line_answerer(
        accounts, harness, klachten):
    from runner.bpmn.store import transaction
    from runner.store import User

    with transaction(klachten.factory) as session:  # mia also holds the national role
        from sqlalchemy import select

        session.scalar(select(User).where(User.name == "mia")).roles = [
            "klachtenbemiddelaar", "nationale klachtenbemiddelaar"]
    inbox = Inbox(klachten, accounts)
    _national(harness)
    users = {a.name: a for a in accounts.list()}
    assert [r.title for r in inbox.page(users["nora"], InboxQuery()).rows]
    assert inbox.page(users["mia"], InboxQuery()).total == 0
    task = harness.task("nationaal_onderzoek").id
    with pytest.raises(Forbidden):
        inbox.complete(users["mia"], task, {})
    with pytest.raises(Forbidden):  # a first-line mediator has no national lane either
        inbox.complete(users["tom"], task, {})


# ----- the pages
def test_pages_redirect_to_login_when_signed_out(client, accounts):
    for url in ("/bemiddeling/taken", "/beheer/gebruikers"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_then_inbox_and_logout(staff: Staff, harness: Harness):
    harness.submit()
    response = staff.login("mia", query_string={"volgende": "/bemiddeling/taken"})
    assert response.status_code == 302 and response.headers["Location"] == "/bemiddeling/taken"
    page = _text(staff.get("/bemiddeling/taken"))
    assert harness.number in page and "Ontvankelijkheid" in page and "Werkbak" in page
    staff.post("/logout", {}, form_page="/bemiddeling/taken")
    assert staff.get("/bemiddeling/taken").status_code == 302


def test_wrong_password_keeps_name_and_says_so(staff: Staff):
    response = staff.login("mia", "verkeerd-wachtwoord")
    page = _text(response)
    assert response.status_code == 400
    assert "De gebruikersnaam of het wachtwoord klopt niet." in page and 'value="mia"' in page


def test_login_open_redirect_is_refused(staff: Staff):
    response = staff.login("mia", query_string={"volgende": "//evil.example/x"})
    assert response.headers["Location"] == "/bemiddeling/taken"


@pytest.mark.parametrize(("user", "url", "status"), [
    ("mia", "/beheer/gebruikers", 403),
    ("lea", "/bemiddeling/taken", 403),
    ("bert", "/bemiddeling/taken", 403),
    ("bert", "/beheer/gebruikers", 200),
    ("nora", "/bemiddeling/taken", 200),
])
def test_role_boundaries(staff: Staff, user, url, status):
    staff.login(user)
    assert staff.get(url).status_code == status


def test_post_without_csrf_is_rejected(client, accounts):
    assert client.post("/login", data={"naam": "mia", "wachtwoord": PASSWORD}).status_code == 400


def test_claim_from_the_inbox(staff: Staff, harness: Harness):
    harness.submit()
    staff.login("mia")
    task = harness.task("ontvankelijkheid_beoordelen").id
    response = staff.post(f"/bemiddeling/taken/{task}/claimen", {"terug": "/bemiddeling/taken"},
                          form_page="/bemiddeling/taken")
    assert response.status_code == 302
    assert harness.task("ontvankelijkheid_beoordelen").claimed_by == "mia"
    unknown = staff.post("/bemiddeling/taken/onbekend/claimen", {},
                         form_page="/bemiddeling/taken")
    assert unknown.status_code == 404


def test_session_cookie_is_http_only_and_same_site(staff: Staff):
    response = staff.login("mia")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_inbox_pages_keep_the_filters(staff: Staff, harness: Harness):
    for _ in range(26):
        harness.submit()
    staff.login("mia")
    first = _text(staff.get("/bemiddeling/taken?categorie=terugbetaling"))
    assert "Pagina 1 van 2" in first and "26 open taken" in first
    link = re.search(r'<a href="([^"]+)">Volgende</a>', first).group(1)
    assert "categorie=terugbetaling" in link and "pagina=2" in link
    assert "Pagina 2 van 2" in _text(staff.get(link.replace("&amp;", "&")))


def test_names_are_escaped_in_the_inbox(staff: Staff, harness: Harness):
    harness.submit(klager={"voornaam": "<script>alert(1)</script>", "achternaam": "X",
                           "email": "x@example.be"})
    staff.login("mia")
    page = _text(staff.get("/bemiddeling/taken"))
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


# ----- task forms
def _task_url(harness: Harness, name: str) -> str:
    return f"/bemiddeling/taken/{harness.task(name).id}"


def _version(page: str) -> str:
    import re

    return re.search(r'name="versie" value="(\d+)"', page).group(1)


def test_task_form_is_rendered_from_the_schema(staff: Staff, harness: Harness):
    harness.submit()
    staff.login("mia")
    page = _text(staff.get(_task_url(harness, "ontvankelijkheid_beoordelen")))
    assert "Ontvankelijkheid beoordelen" in page and harness.number in page
    assert 'type="radio"' in page and 'name="ontvankelijk" value="nee"' in page
    assert "<textarea" in page and 'maxlength="5000"' in page


def test_print_and_post_task_links_its_letter(staff: Staff, harness: Harness):
    harness.submit(klager={"voornaam": "Jan", "achternaam": "Claes", "adres": "Markt 2, Gent"},
                   kanaal="brief")
    staff.login("mia")
    page = _text(staff.get(_task_url(harness, "ontvangstmelding_posten")))
    [code] = [n.code for n in harness.info.notices]
    link = f"/bemiddeling/dossiers/{harness.number}/brieven/{code}.pdf"
    assert f'href="{link}"' in page
    letter = staff.get(link)
    assert letter.status_code == 200 and letter.mimetype == "application/pdf"


def test_task_form_errors_in_dutch_with_input_kept_then_success(staff: Staff, harness: Harness):
    harness.submit()
    staff.login("mia")
    url = _task_url(harness, "ontvankelijkheid_beoordelen")
    response = staff.post(url, {"ontvankelijk": "nee", "motivatie": "<script>x</script>"})
    page = _text(response)
    assert response.status_code == 400
    assert "Reden: dit veld is verplicht." in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert "<script>x" not in page
    assert harness.task("ontvankelijkheid_beoordelen")  # nothing saved
    too_long = staff.post(url, {"ontvankelijk": "nee", "reden": "andere",
                                "motivatie": "x" * 5001})
    assert "maximaal 5000 tekens" in _text(too_long) and too_long.status_code == 400
    done = staff.post(url, {"ontvankelijk": "ja"})
    # on to the dossier's next task, now hers as the dossier's owner
    assert done.status_code == 302
    assert done.headers["Location"] == f"/bemiddeling/taken/{harness.task('onderzoek').id}"
    assert harness.info.step != "3"


def test_stale_version_is_a_conflict_with_the_fresh_state(staff: Staff, harness: Harness):
    harness.submit()
    staff.login("mia")
    url = _task_url(harness, "ontvankelijkheid_beoordelen")
    page = _text(staff.get(url))
    stale = int(_version(page)) - 1
    response = staff.post(url, {"ontvankelijk": "ja", "versie": str(stale)})
    assert response.status_code == 302 and response.headers["Location"] == url
    assert "actuele toestand" in _text(staff.get(url))
    harness.admissible()
    gone = staff.post(url, {"ontvankelijk": "ja"}, form_page="/bemiddeling/taken")
    # completed meanwhile: no longer an open task, and the page says by whom
    assert gone.status_code == 409 and "voltooid door mia" in _text(gone)


def test_recommendation_rows_without_javascript(staff: Staff, harness: Harness):
    harness.submit().admissible().investigate().answer().at_day(45)
    staff.login("mia")
    url = _task_url(harness, "aanbeveling")
    page = _text(staff.get(url))
    assert 'name="aanbevelingen.0.tekst"' in page and "aanbevelingen.1.tekst" not in page
    more = staff.post(url, {"aanbevelingen.0.tekst": "Beter uitleggen.",
                            "aanbevelingen.0.dienst": "Kine", "actie": "rij_toevoegen"})
    page = _text(more)
    assert 'name="aanbevelingen.1.tekst"' in page and "Beter uitleggen." in page
    bad = staff.post(url, {"aanbevelingen.0.tekst": "Beter uitleggen.",
                           "aanbevelingen.1.dienst": "Onthaal"})
    assert bad.status_code == 400 and "Aanbeveling: dit veld is verplicht." in _text(bad)
    done = staff.post(url, {"aanbevelingen.0.tekst": "Beter uitleggen.",
                            "aanbevelingen.0.dienst": "Kine",
                            "aanbevelingen.1.tekst": "", "aanbevelingen.1.dienst": ""})
    assert done.status_code == 302


def test_first_line_answerer_gets_403_on_the_national_task(staff: Staff, harness: Harness,
                                                           accounts: Accounts):
    accounts.set_roles("mia", ["klachtenbemiddelaar", "nationale klachtenbemiddelaar"])
    _national(harness)
    staff.login("mia")
    url = _task_url(harness, "nationaal_onderzoek")
    assert staff.get(url).status_code == 403
    assert harness.task("nationaal_onderzoek").id not in _text(staff.get("/bemiddeling/taken"))


def test_unknown_task_is_404(staff: Staff):
    staff.login("mia")
    assert staff.get("/bemiddeling/taken/bestaat-niet").status_code == 404


# ----- the dossier page
def test_dossier_page_with_diagram_notices_and_access_log(staff: Staff, harness: Harness,
                                                          klachten):
    from runner.bpmn.store import transaction
    from runner.store import AccessEntry

    harness.submit(omschrijving="<script>alert(1)</script> te weinig terugbetaald")
    harness.admissible()
    staff.login("lea")
    page = _text(staff.get(f"/bemiddeling/dossiers/{harness.number}"))
    assert "Peeters" in page and "&lt;script&gt;alert(1)" in page and "<script>alert" not in page
    # Labels and local time (received 09:00 UTC = 10:00 in Brussels), not keys and ISO text.
    assert "<dt>Voornaam</dt>" in page and "<dt>voornaam</dt>" not in page
    assert "2 maart 2026, 10:00" in page and "2026-03-02T09:00" not in page
    assert "<svg" in page and "bpmn-gedaan" in page and "bpmn-huidig" in page
    assert 'data-element="onderzoek"' in page
    ack = harness.info.notices[0]
    assert ack.code in page and "Ontvangstmelding" in page
    assert "Opnieuw proberen" not in page
    with transaction(klachten.factory) as session:
        assert [e.user for e in session.query(AccessEntry)] == ["lea"]
    assert staff.get("/beheer/toegang").status_code == 403
    staff.post("/logout", {}, form_page="/bemiddeling/dossiers/" + harness.number)
    staff.login("bert")
    log = _text(staff.get("/beheer/toegang"))
    assert "lea" in log and harness.number in log


def test_unknown_dossier_is_404_and_letter_download(staff: Staff, harness: Harness):
    harness.submit()
    staff.login("mia")
    assert staff.get("/bemiddeling/dossiers/KL-2026-99999").status_code == 404
    code = harness.info.notices[0].code
    pdf = staff.get(f"/bemiddeling/dossiers/{harness.number}/brieven/{code}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_print_queue_lists_letters_and_marks_them_posted(staff: Staff, klachten):
    paper = Harness(klachten).submit(kanaal="brief", klager={
        "voornaam": "Jan", "achternaam": "Wouters", "adres": "Markt 2, 3000 Leuven"})
    by_email = Harness(klachten).submit()  # not in the queue
    [letter] = paper.info.notices
    staff.login("lea")  # a reader does not post letters
    assert staff.get("/bemiddeling/brieven").status_code == 403
    staff.post("/logout", {}, form_page="/bemiddeling/dossiers/" + paper.number)
    staff.login("mia")
    page = _text(staff.get("/bemiddeling/brieven"))
    assert page.count("<tr>") == 2 and paper.number in page and letter.code in page
    assert f"/bemiddeling/dossiers/{paper.number}/brieven/{letter.code}.pdf" in page
    url = f"/bemiddeling/dossiers/{paper.number}/brieven/{letter.code}/gepost"
    response = staff.post(url, {}, form_page="/bemiddeling/brieven")
    assert response.status_code == 302
    assert paper.info.notices[0].status == "gepost"
    assert "brief gepost" in [entry.action for entry in paper.info.audit]
    assert "Er wachten geen brieven." in _text(staff.get("/bemiddeling/brieven"))
    # An e-mail cannot be marked posted: refused, and nothing changes.
    mail = by_email.info.notices[0]
    refused = staff.post(f"/bemiddeling/dossiers/{by_email.number}/brieven/{mail.code}/gepost",
                         {}, form_page="/bemiddeling/brieven")
    assert refused.status_code == 409 and "geen brief te posten" in _text(refused)
    assert by_email.info.notices[0].status == mail.status


def test_retry_is_for_the_beheerder_only(staff: Staff, harness: Harness):
    harness.submit()
    staff.login("mia")
    url = f"/bemiddeling/dossiers/{harness.number}/opnieuw"
    assert staff.post(url, {}, form_page=f"/bemiddeling/dossiers/{harness.number}"
                      ).status_code == 403


# ----- intake
def test_intake_of_a_letter_received_last_week_anonymous_allowed(staff: Staff, klachten):
    staff.login("mia")
    page = _text(staff.get("/bemiddeling/intake"))
    assert "Klacht registreren" in page and 'name="ontvangen_op"' in page
    response = staff.post("/bemiddeling/intake", {
        "kanaal": "brief", "ontvangen_op": "2026-02-24", "taal": "nl",
        "categorie": "terugbetaling", "omschrijving": "Anonieme brief over de terugbetaling."})
    assert response.status_code == 302 and "/bemiddeling/dossiers/KL-2026-" in \
        response.headers["Location"]
    number = response.headers["Location"].rsplit("/", 1)[1]
    info = klachten.dossier(number)
    assert info.channel == "brief" and info.received_at.isoformat().startswith("2026-02-23T23:00")
    assert any(a.actor == "mia" for a in info.audit)


def test_intake_refuses_bad_input_and_saves_nothing(staff: Staff, klachten):
    staff.login("mia")
    response = staff.post("/bemiddeling/intake", {
        "kanaal": "brief", "ontvangen_op": "2027-01-01", "taal": "nl",
        "categorie": "terugbetaling", "omschrijving": "x" * 10001})
    assert response.status_code == 400 and "te lang" in _text(response)
    future = staff.post("/bemiddeling/intake", {
        "kanaal": "brief", "ontvangen_op": "2027-01-01", "taal": "nl",
        "categorie": "terugbetaling", "omschrijving": "Een brief."})
    assert future.status_code == 400 and "Een brief." in _text(future)
    assert "Ontvangen op: deze waarde is niet geldig." in _text(future)
    assert klachten.tasks() == []
    staff.post("/logout", {}, form_page="/bemiddeling/taken")
    staff.login("nora")
    assert staff.get("/bemiddeling/intake").status_code == 403


# ----- serve --demo and the worker in the same process
def test_serve_demo_creates_accounts_and_dossiers_and_runs_the_worker(
        monkeypatch, database_url, klachten, tmp_path):
    from click.testing import CliRunner

    from runner import worker as background
    from web import cli

    started = []
    monkeypatch.setenv("KLACHTEN_DATABASE_URL", database_url)
    monkeypatch.setenv("KLACHTEN_CLOCK", "virtual")
    monkeypatch.setenv("KLACHTEN_INSTANCE_PATH", str(tmp_path / "i"))
    monkeypatch.setattr("waitress.serve", lambda app, **kw: started.append(
        background.threading.enumerate()))
    result = CliRunner().invoke(cli.main, ["serve", "--demo", "--worker"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "mia" in result.output and "beheerder" in result.output
    assert "KL-2026-00005" in result.output
    assert any(t.name == "klachten-worker" for t in started[0])
    assert not any(t.name == "klachten-worker" for t in background.threading.enumerate())
    dossiers = [klachten.dossier(f"KL-2026-0000{i}") for i in range(1, 6)]
    assert len({info.step for info in dossiers}) >= 4
    # Every demo address is one any mail server takes (Chloé's too).
    recipients = [n.recipient for info in dossiers for n in info.notices]
    assert "chloe.dubois@example.be" in recipients and all(r.isascii() for r in recipients)
    password = next(line.split()[-1] for line in result.output.splitlines()
                    if line.strip().startswith("mia"))
    assert Accounts(klachten).sign_in("mia", password, "127.0.0.1").name == "mia"


def test_background_worker_sends_the_outbox_and_stops(klachten, harness, tmp_path,
                                                      monkeypatch):
    from runner.worker import BackgroundWorker, Worker

    monkeypatch.setenv("KLACHTEN_INSTANCE_PATH", str(tmp_path / "i"))
    monkeypatch.delenv("KLACHTEN_SMTP_URL", raising=False)
    harness.submit()
    worker = BackgroundWorker(Worker(klachten), interval=0.05).start()
    try:
        import time

        deadline = time.monotonic() + 20
        while harness.info.notices[0].status != "sent" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
    assert harness.info.notices[0].status == "sent"


# ----- the beheerder
def test_beheerder_lints_deploys_and_sees_versions_with_running_dossiers(staff: Staff,
                                                                        harness: Harness):
    harness.submit()
    staff.login("bert")
    page = _text(staff.get("/beheer/processen"))
    assert "Gedeployde versies" in page and "<td>1</td>" in page
    linted = staff.post("/beheer/processen/lint", {}, form_page="/beheer/processen")
    assert "Geen problemen gevonden." in _text(linted)
    deployed = staff.post("/beheer/processen/deploy", {}, form_page="/beheer/processen")
    assert deployed.status_code == 302
    assert "niets veranderd" in _text(staff.get("/beheer/processen"))
    staff.post("/logout", {}, form_page="/beheer/processen")
    staff.login("mia")
    assert staff.get("/beheer/processen").status_code == 403


def test_beheerder_manages_users(staff: Staff, accounts: Accounts):
    staff.login("bert")
    bad = staff.post("/beheer/gebruikers", {"naam": "zoe", "wachtwoord": "kort",
                                            "rol": "lezer"})
    assert bad.status_code == 400 and 'value="zoe"' in _text(bad)
    added = staff.post("/beheer/gebruikers", {"naam": "zoe", "wachtwoord": PASSWORD,
                                              "rol": ["lezer", "klachtenbemiddelaar"]})
    assert added.status_code == 302
    assert accounts.sign_in("zoe", PASSWORD, "10.1.1.1").roles == ("lezer",
                                                                   "klachtenbemiddelaar")
    staff.post("/beheer/gebruikers/zoe", {"actie": "rollen", "rol": "lezer"},
               form_page="/beheer/gebruikers")
    staff.post("/beheer/gebruikers/zoe", {"actie": "uitschakelen"},
               form_page="/beheer/gebruikers")
    zoe = next(a for a in accounts.list() if a.name == "zoe")
    assert zoe.roles == ("lezer",) and zoe.disabled
    own = staff.post("/beheer/gebruikers/bert", {"actie": "uitschakelen"},
                     form_page="/beheer/gebruikers")
    assert own.status_code == 403
