"""One configuration for web, worker and CLI: ``klachten.cfg`` in the instance folder, then
``KLACHTEN_*`` variables; a mistake is one line naming where it is; ``klachten config``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import complaint

from runner import settings
from runner.bpmn.errors import ConfigurationError
from web import cli

ROOT = Path(__file__).resolve().parent.parent


def _klachten(instance: Path, *args: str) -> subprocess.CompletedProcess:
    """``klachten ARGS`` in a process of its own, told nothing but the instance folder."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("KLACHTEN_")}
    env["KLACHTEN_INSTANCE_PATH"] = str(instance)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "web", *args], cwd=instance.parent, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_smtp_server_in_klachten_cfg_reaches_the_worker(database_url, smtp_server,
                                                            tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "klachten.cfg").write_text(
        "# the mail server and the database of this installation\n"
        f"DATABASE_URL = {database_url}\n"
        f"SMTP_URL = '{smtp_server.url}'\n"
        "MAIL_FROM = Klachtendienst <klachten@fonds.example>  # the sender\n"
        "PUBLIC_URL = https://klachten.fonds.example\n")
    klacht = tmp_path / "klacht.json"
    klacht.write_text(json.dumps(complaint()), encoding="utf-8")
    for args in (["init"], ["submit", str(klacht)], ["worker", "--once"]):
        done = _klachten(instance, *args)
        assert done.returncode == 0, done.stdout + done.stderr
    assert "1 bericht(en) verzonden" in done.stdout
    [message] = smtp_server.messages
    assert message["To"] == "An Peeters <an.peeters@example.be>"
    assert message["From"] == "Klachtendienst <klachten@fonds.example>"
    assert "https://klachten.fonds.example/status" in message.get_body(("plain",)).get_content()
    assert not (instance / "mail").exists()  # nothing fell back to .eml files


@pytest.fixture
def instance(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "instance"
    folder.mkdir()
    monkeypatch.setenv("KLACHTEN_INSTANCE_PATH", str(folder))
    monkeypatch.delenv("KLACHTEN_SMTP_URL", raising=False)
    monkeypatch.delenv("KLACHTEN_SMTP_TIMEOUT", raising=False)
    return folder


def _invoke(*args: str):
    return CliRunner().invoke(cli.main, list(args), catch_exceptions=False)


@pytest.mark.parametrize(("lines", "error"), [
    ("SMTP_ULR = smtp://mail:25\n", ":1: onbekende instelling SMTP_ULR; bedoelt u SMTP_URL?"),
    ("\n# mail\nklachten_smtp_timout = 5\n",
     ":3: onbekende instelling klachten_smtp_timout; bedoelt u SMTP_TIMEOUT?"),
    ("SMTP_TIMEOUT = soon\n", ":1: SMTP_TIMEOUT='soon': verwacht een positief getal"),
    ("CLOCK = 'virtueel'\n", ":1: CLOCK='virtueel': verwacht real of virtual"),
    ("import os\n", ":1: verwacht NAAM = waarde, niet 'import os'"),
    ("SECRET_KEY = os.environ['X']  # Flask\n", ":1: os.environ['X'] is geen waarde; zet "
     "tekst met aanhalingstekens of haakjes tussen aanhalingstekens"),
    ("MAIL_FROM = 'a' + 'b'\n", ":1: verwacht één tekst tussen aanhalingstekens, niet 'a' + 'b'"),
    ("PROXY_COUNT = 1\nPROXY_COUNT = 2\n", ":2: PROXY_COUNT staat al op "),
])
def test_a_mistake_in_klachten_cfg_is_one_line_naming_file_and_line(instance, lines, error):
    (instance / "klachten.cfg").write_text(lines)
    expected = f"Error: {instance / 'klachten.cfg'}{error}"
    for command in (["worker", "--once"], ["config"], ["serve", "--no-worker"]):
        result = _invoke(*command)
        assert result.exit_code == 1, command
        assert result.stderr.strip().splitlines()[0].startswith(expected)
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_the_web_app_refuses_to_start_with_a_mistyped_name(instance, database_url):
    from web import create_app

    (instance / "klachten.cfg").write_text("STATUS_ATTEMPS = 3\n")
    with pytest.raises(ConfigurationError, match="bedoelt u STATUS_ATTEMPTS"):
        create_app({"DATABASE_URL": database_url})


def test_the_web_app_reads_klachten_cfg(instance, database_url):
    from web import create_app
    from web.extension import close, runner

    (instance / "klachten.cfg").write_text("STATUS_ATTEMPTS = 3\nSESSION_COOKIE_SECURE = true\n")
    app = create_app({"DATABASE_URL": database_url, "TESTING": True})
    assert runner(app).desk.limit.attempts == 3 and app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["TESTING"] is True  # Flask's own keys pass through
    close(app)


def test_the_environment_wins_over_the_file(instance, monkeypatch):
    (instance / "klachten.cfg").write_text('SMTP_TIMEOUT = 5\nMAIL_FROM = "a <a@b.be>"\n')
    monkeypatch.setenv("KLACHTEN_SMTP_TIMEOUT", "7")
    config = settings.current()
    assert config.smtp_timeout == 7 and config.mail_from == "a <a@b.be>"
    assert config.origin("smtp_timeout") == ("environment", "KLACHTEN_SMTP_TIMEOUT")
    assert config.origin("mail_from") == ("file", f"{instance / 'klachten.cfg'}:2")
    assert config.origin("clock").kind == "default"


def test_a_wrong_environment_value_names_the_variable(instance, monkeypatch):
    monkeypatch.setenv("KLACHTEN_OUTBOX_MAX_ATTEMPTS", "2.5")
    result = _invoke("worker", "--once")
    assert result.exit_code == 1
    assert result.stderr.strip() == ("Error: KLACHTEN_OUTBOX_MAX_ATTEMPTS='2.5': verwacht een "
                                     "positief geheel getal")


def test_an_unknown_environment_variable_is_a_warning_with_the_nearest_name(
        instance, monkeypatch, caplog):
    monkeypatch.setenv("KLACHTEN_WORKER_INTERVALL", "3")
    assert settings.current().worker_interval == 5
    assert ("onbekende omgevingsvariabele KLACHTEN_WORKER_INTERVALL; bedoelt u "
            "KLACHTEN_WORKER_INTERVAL?") in caplog.messages


def test_klachten_config_shows_sources_and_masks_secrets(instance, monkeypatch):
    (instance / "klachten.cfg").write_text(
        "# mail\nSMTP_URL = smtps://klachten:zeer-geheim@mail.fonds.be:465\n"
        "METRICS_TOKEN = 'scrape-token-123'\n")
    monkeypatch.setenv("KLACHTEN_SECRET_KEY", "sleutel-" + "9876543210fedcba" * 3)
    monkeypatch.setenv("KLACHTEN_CLOCK", "virtual")
    result = _invoke("config")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"instellingenbestand: {instance / 'klachten.cfg'} (gelezen)"
    shown = {line.split()[0]: line.split(maxsplit=1)[1].split() for line in lines[1:]}
    assert shown["KLACHTEN_SMTP_URL"] == ["klachten.cfg:2",
                                          "smtps://klachten:***@mail.fonds.be:465"]
    assert shown["KLACHTEN_METRICS_TOKEN"] == ["klachten.cfg:3", "********"]
    assert shown["KLACHTEN_SECRET_KEY"] == ["omgeving", "********"]
    assert shown["KLACHTEN_CLOCK"] == ["omgeving", "virtual"]
    assert shown["KLACHTEN_SMTP_TIMEOUT"] == ["standaard", "30"]
    assert shown["KLACHTEN_PUBLIC_URL"] == ["standaard", "(leeg)"]
    assert set(shown) == {setting.name for setting in settings.SETTINGS}
    for secret in ("zeer-geheim", "scrape-token-123", "9876543210fedcba" * 3):
        assert secret not in result.output
    rows = {row["name"]: row for row in json.loads(_invoke("config", "--json").stdout)}
    assert rows["KLACHTEN_SMTP_URL"] == {
        "name": "KLACHTEN_SMTP_URL", "value": "smtps://klachten:***@mail.fonds.be:465",
        "source": "file", "where": f"{instance / 'klachten.cfg'}:2"}
    assert rows["KLACHTEN_SECRET_KEY"]["value"] == "********"


def test_an_older_flask_style_file_still_reads(instance, monkeypatch):
    monkeypatch.delenv("KLACHTEN_SECRET_KEY")  # conftest's key would override the file's
    (instance / "klachten.cfg").write_text(
        '# Flask config\nSECRET_KEY = "' + "s" * 40 + '"\nKLACHTEN_PROXY_COUNT = 1\n'
        "SESSION_COOKIE_SECURE = True\nSTAFF_SESSION_HOURS = 0.5\n")
    config = settings.current()
    assert config.secret_key.get_secret_value() == "s" * 40
    assert (config.proxy_count, config.session_cookie_secure, config.staff_session_hours) \
        == (1, True, 0.5)


def test_the_instance_folder_cannot_be_set_in_its_own_file(instance):
    (instance / "klachten.cfg").write_text("INSTANCE_PATH = elders\n")
    with pytest.raises(ConfigurationError, match="zet KLACHTEN_INSTANCE_PATH"):
        settings.current()
