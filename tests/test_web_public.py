"""The complainant's pages through Flask's test client: the whole flow in Dutch and French,
the bad inputs, CSRF, the security headers, and what web/ may import."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from conftest import Harness, Site, complaint_fields
from local_servers import free_port, wait_until_serving
from sqlalchemy import select

from runner.bpmn.store import AuditEntry, transaction

ROOT = Path(__file__).resolve().parent.parent

TEXT = {
    "nl": {"form": "Een klacht indienen", "received": "Uw klacht is ontvangen",
           "ack": "U krijgt een ontvangstmelding, uiterlijk op 10 maart 2026",
           "step3": "Ontvankelijkheid", "ack_kind": "Ontvangstmelding",
           "answer_by": "16 april 2026", "disagree": "Ik ga niet akkoord",
           "reaction": "Niet akkoord laten weten kan tot en met",
           "national": "Nieuw onderzoek door de nationale klachtenbemiddelaar",
           "done": "De nationale klachtenbemiddelaar onderzoekt uw dossier opnieuw.",
           "phishing": "Let op voor phishing", "withdrawn": "Ingetrokken"},
    "fr": {"form": "Introduire une plainte", "received": "Votre plainte a été reçue",
           "ack": "Vous recevez un accusé de réception au plus tard le 10 mars 2026",
           "step3": "Recevabilité", "ack_kind": "Accusé de réception",
           "answer_by": "16 avril 2026", "disagree": "Je ne suis pas d'accord",
           "reaction": "Vous pouvez faire savoir votre désaccord jusqu'au",
           "national": "Nouvel examen par le médiateur national",
           "done": "Le médiateur national réexamine votre dossier.",
           "phishing": "Attention au phishing", "withdrawn": "Retirée"},
}


def _text(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_submit_confirm_status_and_disagree(site: Site, harness: Harness, language):
    text = TEXT[language]
    form = _text(site.get(f"/klacht?taal={language}"))
    assert f'<html lang="{language}">' in form and text["form"] in form
    assert text["phishing"] in form
    number, code = site.file_complaint(taal=language)
    confirmation = _text(site.get("/klacht/bevestiging"))
    assert text["received"] in confirmation and text["ack"] in confirmation
    assert text["answer_by"] in confirmation and text["phishing"] in confirmation
    assert number == "KL-2026-00001" and re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)

    assert site.sign_in(number, code).status_code == 302
    status = _text(site.get("/status"))
    harness.number = number
    ack = harness.info.notices[0]
    assert text["step3"] in status and text["ack_kind"] in status and ack.code in status
    assert ack.language == language  # the preferred language chose the notices' language
    assert text["disagree"] not in status  # no answer yet

    harness.admissible().at_day(10)
    harness.investigate().answer()
    assert site.sign_in(number, code).status_code == 302  # days later: the pass has expired
    status = _text(site.get("/status"))
    assert text["disagree"] in status and text["reaction"] in status
    page = site.post("/status/niet-akkoord", {"reden": "Het bedrag klopt nog altijd niet."})
    assert page.status_code == 302
    status = _text(site.get("/status"))
    assert text["done"] in status and text["national"] in status
    assert text["disagree"] not in status
    assert harness.task("nationaal_onderzoek").lane == "Nationale klachtenbemiddelaar"
    with transaction(harness.k.factory) as session:
        actors = session.scalars(select(AuditEntry.actor)
                                 .where(AuditEntry.element == "klager_niet_akkoord")).all()
    assert actors == ["klager"]


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_withdrawal(site: Site, harness: Harness, language):
    site.get(f"/klacht?taal={language}")
    number, code = site.file_complaint()
    site.sign_in(number, code)
    refused = site.post("/status/intrekken", {"reden": "Opgelost"})
    assert refused.status_code == 400 and 'href="#veld-bevestigd"' in _text(refused)
    done = site.post("/status/intrekken", {"reden": "Opgelost", "bevestigd": "ja"})
    assert done.status_code == 302
    harness.number = number
    assert harness.info.outcome == "ingetrokken"
    status = _text(site.get("/status"))
    assert TEXT[language]["withdrawn"] in status and "/status/intrekken" not in status


def test_niet_akkoord_needs_a_reason_and_the_open_window(site: Site, harness: Harness):
    number, code = site.file_complaint()
    site.sign_in(number, code)
    early = site.post("/status/niet-akkoord", {"reden": "Nu al niet akkoord."})
    assert early.status_code == 409  # the process does not wait for it yet
    harness.number = number
    harness.admissible().investigate().answer()
    empty = site.post("/status/niet-akkoord", {"reden": "   "})
    assert empty.status_code == 400 and 'href="#veld-reden"' in _text(empty)
    harness.at_day(40)  # the reaction window closed: the dossier was closed
    site.sign_in(number, code)  # weeks later: the status pass expired
    status = _text(site.get("/status"))
    assert "/status/niet-akkoord" not in status and "Afgesloten op" in status


def test_pages_need_a_signed_in_dossier(site: Site):
    for url in ("/status/niet-akkoord", "/status/intrekken"):
        response = site.get(url)
        assert response.status_code == 401 and 'name="toegangscode"' in _text(response)
        assert "niet aangemeld" in _text(response)


def test_sign_out_forgets_the_dossier(site: Site):
    number, code = site.file_complaint()
    site.sign_in(number, code)
    assert number in _text(site.get("/status"))
    site.post("/status/afmelden", {}, form_page="/status")
    page = _text(site.get("/status"))
    assert number not in page and 'name="toegangscode"' in page


def test_confirmation_shows_the_code_once_and_stays_for_a_language_switch(site: Site):
    number, code = site.file_complaint()
    again = _text(site.get("/klacht/bevestiging?taal=fr"))
    assert number in again and "Votre plainte a été reçue" in again and code not in again
    site.get("/klacht")  # back to the form and forward again: the same confirmation
    assert number in _text(site.get("/klacht/bevestiging"))


# ----- bad input
def _refused(site: Site, **overrides) -> str:
    response = site.submit(**overrides)
    assert response.status_code == 400
    return _text(response)


def test_anonymous_complaint_is_refused_with_a_clear_message(site: Site, klachten):
    page = _refused(site, **{"klager.voornaam": "", "klager.achternaam": " ",
                             "klager.email": "", "klager.adres": ""})
    assert "Wij behandelen geen anonieme klachten: vul uw naam in" in page
    assert 'href="#veld-klager"' in page and 'href="#veld-klager-voornaam"' in page
    assert 'aria-invalid="true"' in page
    assert klachten.tasks() == []


def test_name_with_postal_address_only_is_enough(site: Site, klachten):
    number, _ = site.file_complaint(**{"klager.email": "", "klager.adres": "Markt 1, 9000 Gent"})
    assert klachten.dossier(number).notices[0].channel == "brief"


def test_over_long_description_is_refused(site: Site):
    page = _refused(site, omschrijving="x" * 5001)
    assert "maximaal 5000 tekens" in page
    assert 'maxlength="5000"' in page  # stated on the form and checked in the browser


@pytest.mark.parametrize("email", ["an.peeters", "an@", "an@example", "an peeters@example.be",
                                   "<an@example.be>"])
def test_invalid_email_is_refused(site: Site, email):
    assert "Vul een geldig e-mailadres in" in _refused(site, **{"klager.email": email})


def test_member_number_is_eleven_digits(site: Site, klachten):
    assert "11 cijfers" in _refused(site, **{"klager.lidnummer": "12345"})
    assert "11 cijfers" in _refused(site, **{"klager.lidnummer": "1234567890A"})
    number, _ = site.file_complaint(**{"klager.lidnummer": "85.07.30-033.28"})
    assert klachten.case(number).data()["klager"]["lidnummer"] == "85073003328"


def test_privacy_acknowledgement_and_category_are_required(site: Site):
    page = _refused(site, privacy="", categorie="geen verband")
    assert 'href="#veld-privacy"' in page and 'href="#veld-categorie"' in page


def test_honeypot_is_refused(site: Site, klachten):
    _refused(site, website="http://spam.example")
    assert klachten.tasks() == []


def test_script_tags_are_escaped(site: Site):
    payload = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    page = _refused(site, omschrijving=payload, privacy="", **{"klager.voornaam": payload})
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page


def test_missing_csrf_token_is_refused(client, klachten):
    response = client.post("/klacht", data=complaint_fields())
    assert response.status_code == 400 and "Formulier verlopen" in _text(response)
    assert klachten.tasks() == []


def test_every_form_carries_a_csrf_token(site: Site):
    number, code = site.file_complaint()
    site.sign_in(number, code)
    for url in ("/klacht", "/status", "/status/bericht", "/status/intrekken"):
        page = _text(site.get(url))
        assert page.count("<form") == page.count('name="csrf_token"'), url


# ----- headers and page hygiene
def test_security_headers(client):
    response = client.get("/klacht")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers
    secure = client.get("/klacht", base_url="https://klachten.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "HttpOnly" in response.headers["Set-Cookie"]
    assert "SameSite=Lax" in response.headers["Set-Cookie"]


def test_no_inline_script_or_style_on_any_page(site: Site):
    number, code = site.file_complaint()
    pages = [site.get("/klacht/bevestiging")]
    site.sign_in(number, code)
    pages += [site.get(url) for url in ("/klacht", "/status", "/status/bericht",
                                        "/status/niet-akkoord", "/status/intrekken", "/nergens")]
    for page in pages:
        html = _text(page)
        assert "<script" not in html and "<style" not in html and " style=" not in html
        assert re.search(r"<html lang=\"(nl|fr)\">", html)


def test_error_pages_are_translated_and_json_on_request(client):
    problem = client.get("/nergens", headers={"Accept": "application/json"})
    assert problem.status_code == 404 and problem.json["title"] == "Niet gevonden"
    assert problem.mimetype == "application/problem+json"
    page = client.get("/nergens?taal=fr")
    assert page.status_code == 404 and "Introuvable" in _text(page)


def test_language_follows_the_browser_then_the_switch(client):
    assert '<html lang="fr">' in _text(client.get("/klacht",
                                                  headers={"Accept-Language": "fr-BE"}))
    assert '<html lang="nl">' in _text(client.get("/klacht?taal=nl"))
    assert '<html lang="nl">' in _text(client.get("/status",
                                                  headers={"Accept-Language": "fr-BE"}))


# ----- configuration and architecture
def test_secret_key_is_generated_once_in_the_instance_folder(database_url, klachten, tmp_path,
                                                             monkeypatch):
    from web import create_app
    from web.extension import close

    monkeypatch.delenv("KLACHTEN_SECRET_KEY", raising=False)
    apps = [create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "i")})
            for _ in range(2)]
    key_file = tmp_path / "i" / "secret_key"
    assert apps[0].secret_key == apps[1].secret_key == key_file.read_text().strip()
    assert len(apps[0].secret_key) >= 32 and key_file.stat().st_mode & 0o077 == 0
    for app in apps:
        close(app)


def test_environment_overrides_defaults(database_url, klachten, tmp_path, monkeypatch):
    from web import create_app
    from web.extension import close, runner

    monkeypatch.setenv("KLACHTEN_STATUS_ATTEMPTS", "3")
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "k-" + "0123456789abcdef" * 2,
                      "INSTANCE_PATH": str(tmp_path / "i")})
    with app.app_context():
        assert runner().desk.limit.attempts == 3
    close(app)


def test_serve_runs_the_app_with_waitress(monkeypatch, database_url, klachten, tmp_path):
    from click.testing import CliRunner

    from web import cli

    served = {}
    monkeypatch.setenv("KLACHTEN_DATABASE_URL", database_url)
    monkeypatch.setenv("KLACHTEN_INSTANCE_PATH", str(tmp_path / "i"))
    monkeypatch.setattr("waitress.serve", lambda app, **kw: served.update(app=app, **kw))
    result = CliRunner().invoke(cli.main, ["serve", "--port", "8099"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert served["port"] == 8099 and served["host"] == "127.0.0.1"
    assert "public" in served["app"].blueprints


def test_klachten_serve_answers_on_localhost(database_url, klachten, tmp_path):
    port = free_port()
    env = {**os.environ, "KLACHTEN_DATABASE_URL": database_url, "KLACHTEN_CLOCK": "virtual",
           "KLACHTEN_INSTANCE_PATH": str(tmp_path / "i")}
    env.pop("KLACHTEN_SECRET_KEY", None)  # the key file is made on first start
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen([sys.executable, "-m", "web", "serve", "--port", str(port)],
                                  cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, server, log)
        assert "Een klacht indienen" in httpx.get(f"{base}/klacht", timeout=30).text
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert (tmp_path / "i" / "secret_key").exists()


def _imports(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


def test_web_never_imports_the_engine_or_sql_and_runner_never_imports_web():
    assert not {"SpiffWorkflow", "sqlalchemy"} & _imports("web")
    assert not {"web", "flask", "flask_babel", "flask_wtf", "werkzeug"} & _imports("runner")
