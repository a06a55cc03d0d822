"""KLACHTEN_PUBLIC_URL: the base of every link in notices and letters (issue 13, item 6)."""

from __future__ import annotations

import io

import pytest
from click.testing import CliRunner
from conftest import Harness
from pypdf import PdfReader

from runner import settings
from runner.bpmn.errors import ConfigurationError
from web import cli


def _letter_text(harness: Harness, code: str) -> str:
    pdf = harness.k.post.letter(harness.number, code).pdf
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_notices_and_letters_link_to_the_public_address(klachten, monkeypatch):
    monkeypatch.setenv("KLACHTEN_PUBLIC_URL", "https://klachten.fonds.be/")
    harness = Harness(klachten).submit(kanaal="brief", klager={
        "voornaam": "Jan", "achternaam": "Claes", "adres": "Markt 2, 2000 Antwerpen"})
    [notice] = harness.info.notices
    assert "https://klachten.fonds.be/status" in notice.body
    assert "example" not in notice.body
    assert "https://klachten.fonds.be/status" in _letter_text(harness, notice.code)


def test_without_the_setting_links_go_to_this_machine(klachten, monkeypatch):
    monkeypatch.delenv("KLACHTEN_PUBLIC_URL", raising=False)
    [notice] = Harness(klachten).submit().info.notices
    assert "http://127.0.0.1:8080/status" in notice.body


@pytest.fixture
def environment(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("KLACHTEN_DATABASE_URL", database_url)
    monkeypatch.setenv("KLACHTEN_INSTANCE_PATH", str(tmp_path / "i"))
    monkeypatch.setattr("waitress.serve", lambda app, **kw: None)
    return monkeypatch


WARNING = "KLACHTEN_PUBLIC_URL is niet gezet"


def test_init_and_serve_warn_while_unset(environment):
    environment.delenv("KLACHTEN_PUBLIC_URL", raising=False)
    init = CliRunner().invoke(cli.main, ["init"], catch_exceptions=False)
    assert init.exit_code == 0 and WARNING in init.stderr
    serve = CliRunner().invoke(cli.main, ["serve", "--no-worker"], catch_exceptions=False)
    assert serve.exit_code == 0 and WARNING in serve.stderr
    assert "publiek adres in berichten en brieven: http://127.0.0.1:8080" in serve.stdout
    demo = CliRunner().invoke(cli.main, ["serve", "--no-worker", "--demo"],
                              catch_exceptions=False)
    assert demo.exit_code == 0 and WARNING not in demo.stderr


@pytest.mark.parametrize("value", ["klachten.fonds.be", "ftp://fonds.be", "https://x.be/?a=1"])
def test_a_wrong_public_address_stops_init_and_serve_with_one_line(environment, value):
    environment.setenv("KLACHTEN_PUBLIC_URL", value)
    with pytest.raises(ConfigurationError, match="KLACHTEN_PUBLIC_URL"):
        settings.public_url()
    for command in (["init"], ["serve", "--no-worker"]):
        result = CliRunner().invoke(cli.main, command, catch_exceptions=False)
        assert result.exit_code == 1, command
        assert result.stderr.strip().splitlines() == [
            f"Error: KLACHTEN_PUBLIC_URL={value!r}: verwacht een adres zoals "
            "https://klachten.fonds.be"]


def test_serve_prints_the_public_address_and_does_not_warn(environment):
    environment.setenv("KLACHTEN_PUBLIC_URL", "https://klachten.fonds.be")
    init = CliRunner().invoke(cli.main, ["init"], catch_exceptions=False)
    assert init.exit_code == 0 and WARNING not in init.stderr
    serve = CliRunner().invoke(cli.main, ["serve", "--no-worker"], catch_exceptions=False)
    assert serve.exit_code == 0 and WARNING not in serve.stderr
    assert "publiek adres in berichten en brieven: https://klachten.fonds.be" in serve.stdout


def test_serve_on_another_port_links_there_while_unset(environment):
    """``klachten serve --port 8765`` without KLACHTEN_PUBLIC_URL: the status link of a
    notice made while it serves goes to port 8765, where the member can reach it."""
    environment.delenv("KLACHTEN_PUBLIC_URL", raising=False)
    seen = []
    environment.setattr("waitress.serve",
                        lambda app, **kw: seen.append(settings.public_link("/status")))
    serve = CliRunner().invoke(cli.main, ["serve", "--no-worker", "--port", "8765"],
                               catch_exceptions=False)
    assert serve.exit_code == 0
    assert seen == ["http://127.0.0.1:8765/status"]
    assert "publiek adres in berichten en brieven: http://127.0.0.1:8765" in serve.stdout
    assert "wijzen naar http://127.0.0.1:8765" in serve.stderr
    assert settings.public_url() == "http://127.0.0.1:8080"  # after serve: the default again
