"""Reopen and duplicate in Chromium, with notices delivered to a real SMTP server: the
member of a duplicate gets no second notice; screenshots at 1280 and 390 px."""

from __future__ import annotations

from conftest import Harness
from test_browser import _cli, _shot, _sign_in_as, browser, served  # noqa: F401 (fixtures)

from runner.accounts.users import Accounts

PASSWORD = "een-lang-wachtwoord"


def test_mediator_reopens_and_marks_a_duplicate_in_chromium(served, browser,  # noqa: F811
                                                            smtp_server, monkeypatch):
    base, database_url, klachten = served
    monkeypatch.setenv("KLACHTEN_SMTP_URL", smtp_server.url)  # the worker --once below
    Accounts(klachten).add("mia", ["klachtenbemiddelaar"], PASSWORD)
    harness = Harness(klachten)
    closed = harness.submit().admissible().investigate().answer().advance(40).recommend().number
    first = harness.submit().number
    second = harness.submit(klager={"voornaam": "Els", "achternaam": "Maes",
                                    "email": "els.maes@example.be"}).number
    _cli(database_url, "worker", "--once")
    to_els = [m for m in smtp_server.messages if "els.maes@example.be" in str(m["To"])]
    assert len(to_els) == 1  # the acknowledgement

    for width in (390, 1280):  # at 390 px only the pages and the refusal, then for real
        page = browser.new_page(viewport={"width": width, "height": 900})
        _sign_in_as(page, base, "mia", PASSWORD)
        page.goto(f"{base}/bemiddeling/dossiers/{second}")
        page.get_by_role("link", name="Als dubbel markeren").click()
        page.get_by_label("Nummer van het dossier dat de klacht behandelt").fill("KL-2099-1")
        page.get_by_label("Reden (niet verplicht)").fill("Twee keer hetzelfde verstuurd")
        page.get_by_role("button", name="Afsluiten als dubbel").click()
        assert page.get_by_text("Dossier KL-2099-1 bestaat niet.").first.is_visible()
        assert page.get_by_label("Reden (niet verplicht)").input_value() == \
            "Twee keer hetzelfde verstuurd"
        _shot(page, f"follow-up-dubbel-fout-{width}")
        page.goto(f"{base}/bemiddeling/dossiers/{closed}")
        page.get_by_role("link", name="Dossier heropenen").click()
        _shot(page, f"follow-up-heropenen-{width}")
        if width == 390:
            page.close()
            continue
        page.get_by_label("Reden van de heropening").fill("Het lid bracht nieuwe stukken.")
        page.get_by_role("button", name="Dossier heropenen").click()
        page.wait_for_url(f"{base}/bemiddeling/dossiers/{closed}")
        assert page.get_by_text(f"Dossier {closed} is heropend.").is_visible()
        _shot(page, f"follow-up-heropend-{width}")
        page.goto(f"{base}/bemiddeling/dossiers/{second}/dubbel")
        page.get_by_label("Nummer van het dossier dat de klacht behandelt").fill(first)
        page.get_by_role("button", name="Afsluiten als dubbel").click()
        page.wait_for_url(f"{base}/bemiddeling/dossiers/{second}")
        assert page.get_by_text(f"de klacht wordt behandeld in dossier {first}").is_visible()
        _shot(page, f"follow-up-dubbel-{width}")
        page.close()

    _cli(database_url, "worker", "--once")
    assert [m for m in smtp_server.messages if "els.maes@example.be" in str(m["To"])] == to_els
    assert not klachten.dossier(closed).closed
    assert klachten.dossier(second).outcome == "dubbel"


def test_back_and_send_again_makes_one_dossier_in_chromium(served, browser):  # noqa: F811
    from test_browser import _fill_complaint

    base, _, klachten = served
    page = browser.new_page(viewport={"width": 390, "height": 900})
    _fill_complaint(page, base)
    page.get_by_role("button", name="Klacht versturen").click()
    page.wait_for_url(f"{base}/klacht/bevestiging")
    number = page.locator("#dossiernummer").inner_text()
    page.go_back()
    if not page.get_by_label("Beschrijf uw klacht").input_value():  # the browser forgot it
        _fill_complaint(page, base)
    page.get_by_role("button", name="Klacht versturen").click()
    page.wait_for_url(f"{base}/klacht/bevestiging")
    assert page.locator("#dossiernummer").inner_text() == number
    assert page.locator("#code-getoond").is_visible()
    _shot(page, "follow-up-opnieuw-verstuurd-390")
    assert len(klachten.tasks()) == 1
    assert [n.kind for n in klachten.dossier(number).notices] == ["ontvangstmelding"]
