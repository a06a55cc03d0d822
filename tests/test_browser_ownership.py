"""Two mediators on one task in Chromium (issue 21, item 3): Mia claims and types a long
motivation, Tom takes the task over with a reason and completes it; Mia's submit keeps her
text on screen with a message naming Tom. Screenshots under ``test-artifacts/``."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import PASSWORD, Harness
from test_browser import ARTIFACTS, browser, served  # noqa: F401 - fixtures

from runner.accounts.users import Accounts

SHOTS = Path(os.environ.get("KLACHTEN_SHOTS", str(ARTIFACTS)))
MOTIVATION = ("De klager was op het moment van de feiten geen lid van het ziekenfonds; "
              "de aansluiting begon pas drie maanden later. " * 8).strip()


def _sign_in(page, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.locator("#veld-naam").fill(name)
    page.locator("#veld-wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"eigenaar-{name}.png"), full_page=True)


def test_the_loser_keeps_her_text_and_is_told_who(served, browser):  # noqa: F811 - fixtures
    base, _, klachten = served
    accounts = Accounts(klachten)
    for name in ("mia", "tom"):
        accounts.add(name, ["klachtenbemiddelaar"], PASSWORD)
    harness = Harness(klachten).submit()
    task_url = f"{base}/bemiddeling/taken/{harness.task('ontvankelijkheid_beoordelen').id}"
    mia = browser.new_context().new_page()
    _sign_in(mia, base, "mia")
    mia.goto(f"{base}/bemiddeling/taken")
    _shot(mia, "01-werkbak-mijn-dossiers")
    mia.get_by_role("button", name=f"Aan mij toewijzen {harness.number}").click()
    mia.goto(task_url)
    assert "U behandelt deze taak sinds" in mia.locator(".houder").inner_text()
    mia.locator("input[name=ontvankelijk][value=nee]").check()
    mia.locator("input[name=reden][value=andere]").check()
    mia.locator("textarea[name=motivatie]").fill(MOTIVATION)

    tom = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    _sign_in(tom, base, "tom")
    tom.goto(f"{base}/bemiddeling/taken?weergave=alle")
    assert "mia" in tom.locator("table").inner_text()
    _shot(tom, "02-werkbak-alle-390")
    tom.goto(task_url)
    assert "In behandeling bij mia sinds" in tom.locator(".houder").inner_text()
    tom.get_by_text("Taak overnemen").click()
    _shot(tom, "03-overnemen-390")
    tom.get_by_label("Waarom neemt u de taak over?").fill("Mia is vandaag afwezig")
    tom.get_by_role("button", name="Overnemen").click()
    assert "U hebt de taak overgenomen van mia." in tom.content()
    tom.locator("input[name=ontvankelijk][value=ja]").check()
    tom.get_by_role("button", name="Taak voltooien").click()
    assert "De taak is voltooid." in tom.content()
    _shot(tom, "04-na-voltooien-390")

    mia.get_by_role("button", name="Taak voltooien").click()
    message = mia.locator("#verloren").inner_text()
    assert "voltooid door tom" in message
    assert mia.locator("textarea[name=motivatie]").input_value() == MOTIVATION
    _shot(mia, "05-mia-verliest-houdt-tekst")
    mia.goto(f"{base}/bemiddeling/dossiers/{harness.number}")
    timeline = mia.content()
    assert "Mia is vandaag afwezig" in timeline
    _shot(mia, "06-dossier-eigenaar")
