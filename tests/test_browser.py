"""A member in a real browser: Debian's Chromium driven by Playwright against the app served
on 127.0.0.1, the clock moved through the ``klachten`` command line, and an axe-core audit
of the form, confirmation and status pages.

Chromium comes from Debian (``apt-get install chromium``) and axe-core from npm
(``node_modules/axe-core``); ``.ci/run`` installs both. Without them these tests fail in CI
(``CI`` set) and are skipped elsewhere (``conftest.require_tool``). Screenshots go to
``test-artifacts/``; each test is marked ``browser`` (``-m "not browser"`` leaves them out).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SECRET, START, Harness, require_tool
from werkzeug.serving import make_server

from runner.procedure import open_klachten
from runner.service import Klachten

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SERIOUS = {"serious", "critical"}


@pytest.fixture
def served(sqlite_url, tmp_path) -> Iterator[tuple[str, str, Klachten]]:
    """The app on a SQLite file, served by a threaded WSGI server on a free local port;
    yields the base URL, the database URL (for the CLI) and a runner on the same file."""
    from web import create_app
    from web.extension import close

    klachten = open_klachten(sqlite_url, clock="virtual")
    klachten.clock.set(START)
    klachten.deploy()
    app = create_app({"DATABASE_URL": sqlite_url, "CLOCK": "virtual", "SECRET_KEY": SECRET,
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", sqlite_url, klachten
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        close(app)
        klachten.close()


@pytest.fixture
def browser():
    require_tool(CHROMIUM.exists(), "Debians chromium (/usr/bin/chromium)")
    require_tool(importlib.util.find_spec("playwright") is not None, "playwright (pip)")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


def _cli(database_url: str, *args: str) -> str:
    """Run the ``klachten`` command (``python -m web``) on the served database."""
    env = {**os.environ, "KLACHTEN_CLOCK": "virtual", "KLACHTEN_DATABASE_URL": database_url}
    result = subprocess.run([sys.executable, "-m", "web", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _fill_complaint(page, base: str) -> None:
    page.goto(f"{base}/klacht")
    page.get_by_label("Voornaam").fill("An")
    page.get_by_label("Achternaam").fill("Peeters")
    page.get_by_label("E-mailadres").fill("an.peeters@example.be")
    page.get_by_label("Lidnummer (niet verplicht)").fill("85.07.30-033.28")
    page.get_by_label("Waarover gaat uw klacht?").select_option("terugbetaling")
    page.get_by_label("Beschrijf uw klacht").fill("Ik kreeg te weinig terugbetaald voor "
                                                  "mijn kinesitherapie in februari.")
    page.get_by_label("Ik heb gelezen hoe het ziekenfonds mijn gegevens gebruikt.").check()


def _sign_in(page, base: str, number: str, code: str) -> None:
    page.goto(f"{base}/status")
    page.locator("#veld-nummer").fill(number)
    page.locator("#veld-toegangscode").fill(code)
    page.get_by_role("button", name="Bekijk mijn dossier").click()


def test_member_files_follows_and_disagrees_in_chromium(served, browser):
    base, database_url, klachten = served
    page = browser.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))

    page.goto(f"{base}/klacht")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Naar de inhoud"
    _fill_complaint(page, base)
    _shot(page, "01-klachtenformulier")
    page.get_by_role("button", name="Klacht versturen").click()
    page.wait_for_url(f"{base}/klacht/bevestiging")
    number = page.locator("#dossiernummer").inner_text()
    code = page.locator("#toegangscode").inner_text()
    assert number == "KL-2026-00001" and len(code) == 14
    assert page.get_by_role("heading", name="Let op voor phishing").is_visible()
    _shot(page, "02-bevestiging")

    page.get_by_role("link", name="Volg uw klacht op de statuspagina").click()
    _sign_in(page, base, number, code)
    page.wait_for_url(f"{base}/status")
    assert page.locator("#stap").inner_text() == "Ontvankelijkheid"
    _shot(page, "03-status-ontvankelijkheid")

    harness = Harness(klachten)
    harness.number = number
    harness.admissible()
    _cli(database_url, "clock", "advance", "P22D")
    assert "1 dossier" in _cli(database_url, "worker", "--once")  # the first status update
    harness.investigate().answer()
    _cli(database_url, "clock", "advance", "P3D")

    page.reload()  # weeks later the status pass has expired: sign in again
    assert page.locator("#veld-toegangscode").is_visible()
    _sign_in(page, base, number, code)
    assert page.get_by_role("cell", name="Bericht over de stand van zaken").is_visible()
    page.get_by_role("link", name="Ik ga niet akkoord").click()
    reason = page.get_by_label("Waarom gaat u niet akkoord?")
    reason.focus()
    page.keyboard.type("Het herberekende bedrag klopt nog altijd niet.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # keyboard only: the button after the field
    page.wait_for_url(f"{base}/status")
    assert "nationale klachtenbemiddelaar" in page.get_by_role("status").inner_text()
    assert "nationale klachtenbemiddelaar" in page.locator("#stap").inner_text().lower()
    _shot(page, "04-status-niet-akkoord")
    assert harness.task("nationaal_onderzoek")
    assert not [text for text in console if "Content Security Policy" in text], console


def _axe(page, name: str) -> None:
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("async () => await axe.run(document, "
                            "{resultTypes: ['violations']})")
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]])
               for v in results["violations"] if v["impact"] in SERIOUS]
    assert not serious, f"{name}: {serious}"


def test_accessibility_audit_with_axe_core(served, browser):
    require_tool(AXE.exists(), "axe-core (npm install axe-core)")
    base, _, _ = served
    context = browser.new_context(bypass_csp=True)  # to inject axe; the app allows no inline
    page = context.new_page()
    try:
        for language in ("nl", "fr"):
            page.goto(f"{base}/klacht?taal={language}")
            _axe(page, f"formulier {language}")
        page.goto(f"{base}/klacht?taal=nl")
        page.evaluate("document.querySelector('form.formulier[action=\"/klacht\"]')"
                      ".noValidate = true")
        page.get_by_role("button", name="Klacht versturen").click()
        assert page.locator("#foutoverzicht").is_visible()
        assert page.evaluate("document.activeElement.id") == "foutoverzicht"
        _axe(page, "formulier met fouten")
        _shot(page, "05-formulier-met-fouten")
        _fill_complaint(page, base)
        page.get_by_role("button", name="Klacht versturen").click()
        number = page.locator("#dossiernummer").inner_text()
        code = page.locator("#toegangscode").inner_text()
        _axe(page, "bevestiging")
        page.goto(f"{base}/status")
        _axe(page, "statuspagina aanmelden")
        _sign_in(page, base, number, "FOUT-FOUT-FOUT")
        _axe(page, "statuspagina foutmelding")
        _sign_in(page, base, number, code)
        _axe(page, "statuspagina")
        page.goto(f"{base}/status?taal=fr")
        _axe(page, "statuspagina fr")
    finally:
        context.close()


def _task_link(page, klachten: Klachten, number: str, name: str) -> None:
    """From the werkbak, open the task ``name`` of dossier ``number``."""
    title = next(t.title for t in klachten.tasks(number) if t.name == name)
    page.get_by_role("link", name="Werkbak", exact=True).click()  # the menu's
    page.get_by_role("link", name=title).first.click()


def _completed(page, base: str, number: str) -> None:
    """After completing a task the mediator is told it is done and lands on the dossier's
    next task that she holds, or else on the dossier."""
    page.get_by_text("De taak is voltooid.").wait_for()
    assert page.url.startswith(f"{base}/bemiddeling/taken/") \
        or page.url == f"{base}/bemiddeling/dossiers/{number}", page.url


def test_mediator_walks_a_dossier_from_intake_to_recommendation(served, browser):
    from runner.accounts.users import Accounts

    base, database_url, klachten = served
    Accounts(klachten).add("mia", ["klachtenbemiddelaar"], "een-lang-wachtwoord")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))

    page.goto(f"{base}/bemiddeling/taken")
    page.wait_for_url(f"{base}/login?volgende=/bemiddeling/taken")
    page.get_by_label("Gebruikersnaam").fill("mia")
    page.get_by_label("Wachtwoord").fill("een-lang-wachtwoord")
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(f"{base}/bemiddeling/taken")

    page.get_by_role("link", name="Klacht registreren").click()
    page.get_by_label("Kanaal").select_option("telefoon")
    page.get_by_label("Ontvangen op").fill("2026-02-27")
    page.get_by_label("Voornaam").fill("Bart")
    page.get_by_label("Achternaam").fill("Claes")
    page.get_by_label("E-mailadres").fill("bart.claes@example.be")
    page.get_by_label("Omschrijving").fill("Belde over een te lage terugbetaling van de tandarts.")
    page.get_by_role("button", name="Klacht registreren").click()
    page.wait_for_url(f"{base}/bemiddeling/dossiers/KL-2026-00001")
    number = "KL-2026-00001"
    page.get_by_role("link", name="Werkbak").click()
    _shot(page, "10-werkbak")

    _task_link(page, klachten, number, "ontvankelijkheid_beoordelen")
    page.locator("#veld-ontvankelijk-1").check()  # ja
    _shot(page, "11-taakformulier")
    page.get_by_role("button", name="Taak voltooien").click()
    _completed(page, base, number)
    assert page.get_by_label("Bevindingen").is_visible()  # on to the investigation, hers now
    _cli(database_url, "clock", "advance", "P22D")
    _cli(database_url, "worker", "--once")  # the first status update

    _task_link(page, klachten, number, "onderzoek")
    page.get_by_label("Bevindingen").fill("De factuur werd met het verkeerde tarief verwerkt.")
    page.get_by_role("button", name="Taak voltooien").click()
    _completed(page, base, number)
    _task_link(page, klachten, number, "gemotiveerd_antwoord")
    page.locator("#veld-uitkomst-1").check()  # gegrond
    page.get_by_label("Gemotiveerd antwoord").fill("Wij hebben het bedrag herberekend.")
    page.get_by_role("button", name="Taak voltooien").click()
    _completed(page, base, number)
    _cli(database_url, "clock", "advance", "P31D")
    _cli(database_url, "worker", "--once")  # the reaction window closes: closure

    _task_link(page, klachten, number, "aanbeveling")
    page.locator("#veld-aanbevelingen-0-tekst").fill("Tarieven van tandartsen nakijken.")
    page.locator("#veld-aanbevelingen-0-dienst").fill("Terugbetalingen")
    page.get_by_role("button", name="Rij toevoegen").click()
    page.locator("#veld-aanbevelingen-1-tekst").fill("Telefonische klachten sneller noteren.")
    page.locator("#veld-aanbevelingen-1-dienst").fill("Onthaal")
    page.get_by_role("button", name="Taak voltooien").click()
    _completed(page, base, number)

    page.goto(f"{base}/bemiddeling/dossiers/{number}")
    assert page.locator("svg.bpmn-diagram").is_visible()
    _shot(page, "12-dossier")
    info = klachten.dossier(number)
    assert info.closed and not info.open_tasks
    assert not [text for text in console if "Content Security Policy" in text], console


def _sign_in_as(page, base: str, name: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Gebruikersnaam").fill(name)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(f"{base}/bemiddeling/taken")


def test_accessibility_audit_of_the_mediator_and_admin_pages(served, browser):
    from runner.accounts.users import Accounts

    require_tool(AXE.exists(), "axe-core (npm install axe-core)")
    base, _, klachten = served
    accounts = Accounts(klachten)
    accounts.add("mia", ["klachtenbemiddelaar", "beheerder"], "een-lang-wachtwoord")
    harness = Harness(klachten)
    number = harness.submit().number
    context = browser.new_context(bypass_csp=True)  # to inject axe; the app allows no inline
    page = context.new_page()
    try:
        page.goto(f"{base}/login")
        _axe(page, "aanmelden")
        _sign_in_as(page, base, "mia", "een-lang-wachtwoord")
        _axe(page, "werkbak")
        _task_link(page, klachten, number, "ontvankelijkheid_beoordelen")
        _axe(page, "taakformulier")
        page.get_by_role("button", name="Taak voltooien").click()  # nothing chosen
        assert page.locator("#foutoverzicht").is_visible()
        _axe(page, "taakformulier met fouten")
        page.goto(f"{base}/bemiddeling/dossiers/{number}")
        _axe(page, "dossier")
        page.goto(f"{base}/bemiddeling/intake")
        _axe(page, "intake")
        page.goto(f"{base}/bemiddeling/brieven")
        _axe(page, "te posten brieven")
        for path in ("processen", "gebruikers", "toegang", "migratie"):
            page.goto(f"{base}/beheer/{path}")
            _axe(page, f"beheer {path}")
        page.get_by_role("button", name="Proef: toon wat verandert").click()  # nothing chosen
        assert page.locator("#foutoverzicht").is_visible()
        _axe(page, "migratie met fouten")
        page.locator("#veld-dossiers").fill(number)
        page.get_by_role("button", name="Proef: toon wat verandert").click()
        assert "staat al op versie 1" in page.locator("#rapport-titel ~ table").inner_text()
        _axe(page, "migratie proef")
        page.goto(f"{base}/bemiddeling/taken?taal=fr")
        _axe(page, "werkbak fr")
    finally:
        context.close()


def test_mediator_follows_up_a_recommendation_in_the_register(served, browser):
    from runner.accounts.users import Accounts

    base, _, klachten = served
    require_tool(AXE.exists(), "axe-core (npm install axe-core)")
    Accounts(klachten).add("mia", ["klachtenbemiddelaar"], "een-lang-wachtwoord")
    harness = Harness(klachten).submit().admissible().investigate().answer().at_day(45)
    harness.recommend([{"tekst": "Tarieven van tandartsen nakijken.", "dienst": "Terugbetalingen"},
                       {"tekst": "Telefonische klachten sneller noteren.", "dienst": "Onthaal"}])
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        _sign_in_as(page, base, "mia", "een-lang-wachtwoord")
        page.get_by_role("link", name="Verbeterregister").click()
        page.get_by_label("Dienst", exact=True).select_option("Onthaal")
        page.get_by_role("button", name="Filteren").click()
        assert page.locator("#aantal").inner_text() == "Aanbevelingen gevonden: 1"
        _axe(page, "verbeterregister")
        page.get_by_role("link", name="Telefonische klachten sneller noteren.").click()
        page.locator("#veld-status-afgewezen").check()
        page.get_by_label("Eigenaar", exact=True).fill("Dienst Onthaal")
        page.get_by_role("button", name="Opslaan").click()
        assert page.locator("#foutoverzicht").is_visible()
        assert "Schrijf waarom de aanbeveling wordt afgewezen." in \
            page.locator("#foutoverzicht").inner_text()
        _axe(page, "aanbeveling met fouten")
        page.get_by_label("Reden van afwijzing").fill("Het onthaal noteert al alles.")
        page.get_by_role("button", name="Opslaan").click()
        assert page.locator("#status").inner_text() == "afgewezen"
        page.get_by_label("Opvolgnotitie").fill("Besproken met het hoofd van het onthaal.")
        page.get_by_role("button", name="Notitie toevoegen").click()
        notes = page.locator("ol.tijdlijn").inner_text()
        assert "Besproken met het hoofd van het onthaal." in notes and "mia" in notes
        _axe(page, "aanbeveling")
        _shot(page, "13-aanbeveling")
    finally:
        context.close()
    [entry] = [a for a in klachten.dossier(harness.number).audit
               if a.action == "aanbeveling gewijzigd"]
    assert entry.details["wijzigingen"]["status"] == {"van": "open", "naar": "afgewezen"}


def test_reports_page_in_chromium_on_screen_and_printed(served, browser, tmp_path):
    """The report page of a generated year: figures, SVG charts, no CSP complaint, an axe
    audit, and the print view without the menu and the period form."""
    from report_world import Generated

    from runner.accounts.users import Accounts

    base, _, klachten = served
    Generated(klachten, tmp_path).build()
    Accounts(klachten).add("lea", ["lezer"], "een-lang-wachtwoord")
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(f"{base}/login?volgende=/bemiddeling/rapporten")
    page.get_by_label("Gebruikersnaam").fill("lea")
    page.get_by_label("Wachtwoord").fill("een-lang-wachtwoord")
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(f"{base}/bemiddeling/rapporten")
    page.get_by_label("Vanaf", exact=True).fill("2026-01-01")
    page.get_by_label("Tot en met", exact=True).fill("2026-12-31")
    page.get_by_role("button", name="Toon het rapport").click()
    page.wait_for_url("**/bemiddeling/rapporten?van=2026-01-01&tot=2026-12-31")
    assert page.get_by_role("heading", name="Jaarverslag klachten 2026").is_visible()
    assert page.locator("svg.grafiek").count() >= 6
    assert page.get_by_role("img", name="Ontvangen klachten per maand").is_visible()
    _shot(page, "rapporten")
    page.screenshot(path=str(ARTIFACTS / "rapporten-scherm.png"))
    page.emulate_media(media="print")
    assert not page.locator("form.filters").is_visible()
    assert not page.get_by_role("navigation", name="Hoofdmenu").is_visible()
    assert page.locator("svg.grafiek").first.is_visible()
    assert not [text for text in console if "Content Security Policy" in text], console
    context.close()
    if AXE.exists():
        audit = browser.new_context(bypass_csp=True)
        page = audit.new_page()
        page.goto(f"{base}/login?volgende=/bemiddeling/rapporten")
        page.get_by_label("Gebruikersnaam").fill("lea")
        page.get_by_label("Wachtwoord").fill("een-lang-wachtwoord")
        page.get_by_role("button", name="Aanmelden").click()
        page.goto(f"{base}/bemiddeling/rapporten?van=2026-01-01&tot=2026-12-31")
        _axe(page, "rapporten")
        audit.close()
