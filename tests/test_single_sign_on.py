"""Single sign-on for staff (issue 25, item 7), end to end in Chromium against a real OpenID
Connect provider that the test starts (node's oidc-provider, ``tests/oidc/provider.mjs``):
mia, in the provider's group ``klachten-team``, lands in her werkbak as a mediator; eva, in no
group of ours, is refused with a page that says why; a local account keeps its password."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SECRET, START, require_tool
from local_servers import free_port
from test_browser import browser  # noqa: F401 - fixture

from runner.accounts.users import Accounts
from runner.procedure import open_klachten

ROOT = Path(__file__).resolve().parent.parent
PROVIDER = ROOT / "node_modules" / "oidc-provider"
SCRIPT = Path(__file__).with_name("oidc") / "provider.mjs"


@pytest.fixture
def provider_and_app(sqlite_url, tmp_path) -> Iterator[tuple[str, Accounts]]:
    """The provider and the app, each on a free local port, the app configured for it."""
    require_tool(shutil.which("node") is not None and PROVIDER.is_dir(),
                 "node en node_modules/oidc-provider")
    from werkzeug.serving import make_server

    from web import create_app
    from web.extension import close

    app_port, provider_port = free_port(), free_port()
    base = f"http://127.0.0.1:{app_port}"
    issuer = f"http://127.0.0.1:{provider_port}"
    node = subprocess.Popen(["node", str(SCRIPT), str(provider_port), f"{base}/login/sso/terug"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    klachten = open_klachten(sqlite_url, clock="virtual")
    klachten.clock.set(START)
    klachten.deploy()
    app = create_app({
        "DATABASE_URL": sqlite_url, "CLOCK": "virtual", "SECRET_KEY": SECRET,
        "INSTANCE_PATH": str(tmp_path / "instance"), "SSO_ISSUER": issuer,
        "SSO_CLIENT_ID": "klachten", "SSO_CLIENT_SECRET": "een-geheim-van-de-test",
        "SSO_SCOPES": "openid profile email groups", "SSO_ROLE_CLAIM": "groups",
        "SSO_ROLE_MAP": "klachten-team=klachtenbemiddelaar, it-beheer=beheerder",
        "SSO_LABEL": "het testaccount"})
    server = make_server("127.0.0.1", app_port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        _wait_for(issuer + "/.well-known/openid-configuration", node)
        yield base, Accounts(klachten)
    finally:
        server.shutdown()
        server.server_close()
        node.terminate()
        node.communicate(timeout=10)  # also closes its output pipe
        close(app)
        klachten.close()


def _wait_for(url: str, node: subprocess.Popen) -> None:
    for _ in range(100):
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if node.poll() is not None:
                pytest.fail(f"de OpenID-provider stopte: {node.stdout.read()}")
            time.sleep(0.1)
    pytest.fail("de OpenID-provider antwoordde niet")


def _sign_in_at_the_provider(page, base: str, user: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_role("link", name="Aanmelden via het testaccount").click()
    page.locator("input[name=login]").fill(user)
    page.locator("input[name=password]").fill("om-het-even")  # the dev pages take any
    page.locator("button[type=submit]").click()
    page.locator("button[type=submit]", has_text="Continue").click()  # consent


def test_single_sign_on_maps_the_groups_to_roles(provider_and_app, browser, tmp_path):  # noqa: F811 - fixture
    base, accounts = provider_and_app
    context = browser.new_context()
    page = context.new_page()
    try:
        _sign_in_at_the_provider(page, base, "mia")
        page.wait_for_url(f"{base}/bemiddeling/taken")
        assert page.locator("h1").inner_text().startswith("Werkbak")
        page.screenshot(path=tmp_path / "sso-werkbak.png")
        mia = accounts.by_name("mia")
        assert mia.roles == ("klachtenbemiddelaar",) and mia.single_sign_on
        assert mia.email == "mia@ziekenfonds.example"
        # No password was set: the local login cannot be used for this account, and no
        # reset link makes one (it would outlive the account's removal at the provider).
        with pytest.raises(Exception, match="onjuist"):
            accounts.sign_in("mia", "", "127.0.0.1")
        with pytest.raises(Exception, match="identiteitsdienst"):
            accounts.reset_link("mia", "bert")
    finally:
        context.close()


def test_a_user_without_a_mapped_group_is_refused(provider_and_app, browser, tmp_path):  # noqa: F811 - fixture
    base, accounts = provider_and_app
    context = browser.new_context()
    page = context.new_page()
    try:
        _sign_in_at_the_provider(page, base, "eva")
        page.wait_for_url(f"{base}/login/sso/terug*")
        refusal = page.locator("#sso-geweigerd").inner_text()
        assert "geen rol in de klachtendienst" in refusal
        page.screenshot(path=tmp_path / "sso-geweigerd.png", full_page=True)
        assert [a.name for a in accounts.list()] == []  # no account was made
        assert page.goto(f"{base}/bemiddeling/taken").url.startswith(f"{base}/login")
    finally:
        context.close()


def test_a_local_account_of_the_same_name_is_not_taken_over(provider_and_app, browser):  # noqa: F811 - fixture
    base, accounts = provider_and_app
    accounts.add("mia", ["beheerder"], "een-lang-wachtwoord")
    context = browser.new_context()
    page = context.new_page()
    try:
        _sign_in_at_the_provider(page, base, "mia")
        page.wait_for_url(f"{base}/login/sso/terug*")
        assert "er bestaat al een lokaal account mia" in page.locator("#sso-geweigerd").inner_text()
        assert accounts.by_name("mia").roles == ("beheerder",)
        assert not accounts.by_name("mia").single_sign_on
    finally:
        context.close()
