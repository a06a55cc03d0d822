"""Issue 25, item 1 in Chromium: a page on another origin posts ``reden=x`` to
``/beheer/privacy/KL-…/wissen``; the beheerder signs in and clicks what she is shown. Before,
the login page kept the attacker's fields and one click on "Terug naar het formulier" erased
the dossier. Now the post is refused before any login, and a form that really expired on our
own page is shown for review after the login, not sent."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import Harness
from test_browser import _shot, browser, served

from runner.accounts.users import Accounts

__all__ = ["browser", "served"]
PASSWORD = "een-lang-wachtwoord"


@pytest.fixture
def attacker_site() -> Iterator[tuple[str, dict]]:
    """Another origin (``localhost`` on its own port, where the app is ``127.0.0.1``) serving
    one page whose form posts to the address in ``page["target"]``."""
    page: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = (f'<!doctype html><title>Gratis</title><form method="post" '
                    f'action="{page["target"]}"><input type="hidden" name="reden" value="x">'
                    '<button>Bekijk uw voordeel</button></form>').encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_port}/", page
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_a_page_on_another_origin_cannot_erase_a_dossier(served, browser, attacker_site):
    base, _, klachten = served
    Accounts(klachten).add("bert", ["beheerder"], PASSWORD)
    victim = Harness(klachten).submit()
    evil, attacker_page = attacker_site
    attacker_page["target"] = f"{base}/beheer/privacy/{victim.number}/wissen"
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(evil)
        page.get_by_role("button", name="Bekijk uw voordeel").click()
        page.wait_for_load_state()
        assert page.url == attacker_page["target"]
        assert page.get_by_role("heading", name="Verzoek van een andere website geweigerd"
                                ).is_visible()
        assert page.locator('input[name="bewaard:reden"]').count() == 0  # nothing kept
        _shot(page, "andere-website-geweigerd")
        # the beheerder signs in and clicks whatever she is offered
        page.goto(f"{base}/login?volgende=/beheer/privacy/{victim.number}/wissen")
        page.get_by_label("Gebruikersnaam").fill("bert")
        page.get_by_label("Wachtwoord").fill(PASSWORD)
        page.get_by_role("button", name="Aanmelden").click()
        page.wait_for_load_state()
        assert page.get_by_role("button", name="Terug naar het formulier").count() == 0
        # signed in now: the same attack again, with her cookie in the browser
        page.goto(evil)
        page.get_by_role("button", name="Bekijk uw voordeel").click()
        page.wait_for_load_state()
        assert "Verzoek van een andere website geweigerd" in page.content()
        info = klachten.dossier(victim.number)
        assert info.erased_at is None  # nothing erased
    finally:
        context.close()


def test_a_form_that_expired_on_our_own_page_is_shown_for_review(served, browser):
    base, _, klachten = served
    Accounts(klachten).add("bert", ["beheerder"], PASSWORD)
    victim = Harness(klachten).submit()
    context = browser.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{base}/login")
        page.get_by_label("Gebruikersnaam").fill("bert")
        page.get_by_label("Wachtwoord").fill(PASSWORD)
        page.get_by_role("button", name="Aanmelden").click()
        page.goto(f"{base}/beheer/privacy?nummer=&naam=Peeters")
        row = page.get_by_role("row").filter(has_text=victim.number)
        row.get_by_label("Reden", exact=True).fill("Rechtszaak 2026/123")
        context.clear_cookies()  # the session lapsed while she typed
        row.get_by_role("button", name="Blokkeren").click()
        assert page.get_by_text("Uw sessie is verlopen.").is_visible()
        page.get_by_label("Gebruikersnaam").fill("bert")
        page.get_by_label("Wachtwoord").fill(PASSWORD)
        page.get_by_role("button", name="Aanmelden").click()
        assert page.get_by_role("heading", name="U bent opnieuw aangemeld").is_visible()
        assert page.locator("#bewaard-formulier").get_by_text("Rechtszaak 2026/123").is_visible()
        assert not klachten.dossier(victim.number).legal_hold  # nothing sent yet
        _shot(page, "opnieuw-aangemeld-nakijken")
        page.get_by_role("button", name="Nagekeken: versturen").click()
        assert page.get_by_text("staat onder juridische blokkering").is_visible()
        assert klachten.dossier(victim.number).legal_hold == "Rechtszaak 2026/123"
    finally:
        context.close()
