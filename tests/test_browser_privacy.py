"""The privacy pages in Chromium: a beheerder answers an access request, sets a legal hold
and erases a dossier on request; the register of processing; a mediator corrects contact
data. Each page is audited with axe-core; screenshots go to ``test-artifacts/``."""

from __future__ import annotations

from conftest import Harness, require_tool
from test_browser import AXE, _axe, _shot, _sign_in_as, browser, served

from runner.accounts.users import Accounts

__all__ = ["browser", "served"]  # the fixtures, shared with test_browser
MEMBER = {"voornaam": "Lotte", "achternaam": "Maes", "email": "lotte.maes@example.be",
          "adres": "Groenplaats 3, 2000 Antwerpen", "telefoon": "03 444 55 66",
          "lidnummer": "90030512345"}


def test_beheerder_and_mediator_use_the_privacy_pages(served, browser):
    require_tool(AXE.exists(), "axe-core (npm install axe-core)")
    base, _, klachten = served
    Accounts(klachten).add("bert", ["beheerder", "klachtenbemiddelaar"], "een-lang-wachtwoord")
    closed = Harness(klachten).submit(klager=MEMBER, omschrijving="Mijn bril werd niet vergoed.")
    closed.admissible().investigate().answer().advance(45).recommend()
    running = Harness(klachten).submit(klager=MEMBER, omschrijving="Ook mijn lenzen niet.")
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    try:
        _sign_in_as(page, base, "bert", "een-lang-wachtwoord")
        page.get_by_role("link", name="Privacy").click()
        page.get_by_label("Lidnummer").fill(MEMBER["lidnummer"])
        page.get_by_role("button", name="Zoeken").click()
        assert page.get_by_role("link", name=closed.number).is_visible()
        assert page.get_by_role("link", name=running.number).is_visible()
        _axe(page, "privacy zoeken")
        _shot(page, "privacy-zoeken")
        with page.expect_download() as download:
            page.get_by_role("link", name="Inzage exporteren (PDF)").click()
        assert download.value.suggested_filename.startswith("inzage-")

        row = page.get_by_role("row").filter(has_text=closed.number)
        row.get_by_label("Reden", exact=True).fill("Klacht bij de rechtbank")
        row.get_by_role("button", name="Blokkeren").click()
        assert page.get_by_text("staat onder juridische blokkering").is_visible()
        row = page.get_by_role("row").filter(has_text=closed.number)
        row.get_by_role("button", name="Blokkering opheffen").click()
        row = page.get_by_role("row").filter(has_text=closed.number)
        row.get_by_label("Reden (zonder persoonsgegevens)").fill("Verzoek van het lid")
        row.get_by_role("button", name="Wissen").click()
        assert page.get_by_text(f"Dossier {closed.number} is gewist.").is_visible()
        assert page.get_by_role("link", name=closed.number).count() == 0
        _shot(page, "privacy-gewist")

        page.get_by_role("link", name="Verwerkingsregister", exact=False).click()
        assert page.get_by_text("De tekst van de klacht").first.is_visible()
        _axe(page, "verwerkingsregister")
        _shot(page, "verwerkingsregister")

        page.goto(f"{base}/bemiddeling/dossiers/{running.number}")
        page.get_by_role("link", name="Contactgegevens corrigeren").click()
        page.get_by_label("Telefoonnummer").fill("bel mij")
        page.get_by_role("button", name="Correctie opslaan").click()
        assert page.locator("#foutoverzicht").is_visible()
        page.get_by_label("Telefoonnummer").fill(MEMBER["telefoon"])
        _axe(page, "contactgegevens met fouten")
        _shot(page, "contactgegevens-fout")
        page.get_by_label("E-mailadres").fill("lotte@nieuw.example.be")
        page.get_by_role("button", name="Correctie opslaan").click()
        assert page.get_by_text("Contactgegevens gecorrigeerd: E-mailadres.").is_visible()
        _shot(page, "dossier-na-correctie")
    finally:
        context.close()
