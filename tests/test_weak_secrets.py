"""Weak secrets are refused: a short secret key from any source, common or repetitive
passwords; and an admin cannot change their own roles (issue 14, item 13)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import PASSWORD, SECRET, Staff
from local_servers import free_port

from runner import settings
from runner.accounts.users import Accounts, password_hasher
from runner.bpmn.errors import ConfigurationError, Forbidden, ValidationFailed
from runner.cli import main

SHORT_KEYS = ["x", "0123456789abcdef0123456789abcde", "é" * 15]  # 1, 31 and 30 bytes
WEAK = ["aaaaaaaaaaaa", "abcabcabcabc", "password1234", "wachtwoord123", "123456789012",
        "azertyuiop12", "zoe-zoe-zoe-zoe"]


def _app(tmp_path, **config):
    from web import create_app

    return create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}",
                       "INSTANCE_PATH": str(tmp_path / "instance"), **config})


@pytest.mark.parametrize("key", SHORT_KEYS)
def test_a_short_secret_key_is_refused_from_the_config(tmp_path, key):
    with pytest.raises(ConfigurationError, match="KLACHTEN_SECRET_KEY") as refused:
        _app(tmp_path, SECRET_KEY=key)
    assert "minstens 32 bytes" in str(refused.value) and "\n" not in str(refused.value)
    assert len(key) < 2 or key not in str(refused.value)  # never the secret itself


def test_a_short_secret_key_is_refused_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("KLACHTEN_SECRET_KEY", "x")
    with pytest.raises(ConfigurationError, match="minstens 32 bytes"):
        _app(tmp_path)


def test_a_short_secret_key_is_refused_from_the_instance_file(tmp_path, monkeypatch):
    monkeypatch.delenv("KLACHTEN_SECRET_KEY")  # conftest's key would override the file's
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "klachten.cfg").write_text("SECRET_KEY = 'kort'\n")
    with pytest.raises(ConfigurationError, match="minstens 32 bytes"):
        _app(tmp_path)


def test_a_long_key_and_the_generated_key_are_accepted(tmp_path):
    assert _app(tmp_path, SECRET_KEY=SECRET).secret_key == SECRET
    assert len(_app(tmp_path).secret_key) >= 32


def test_serve_with_a_short_key_stops_with_one_line(tmp_path):
    env = {**os.environ, "KLACHTEN_SECRET_KEY": "x",
           "KLACHTEN_INSTANCE_PATH": str(tmp_path / "instance")}
    port = str(free_port())
    done = subprocess.run([sys.executable, "-m", "web", "serve", "--no-worker", "--port", port],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "KLACHTEN_SECRET_KEY" in lines[0], done.stderr


@pytest.mark.parametrize("password", WEAK)
def test_common_and_repetitive_passwords_are_refused(klachten, password):
    with pytest.raises(ValidationFailed) as refused:
        Accounts(klachten).add("zoe", ["lezer"], password)
    assert refused.value.codes == {"wachtwoord": "strength"}
    assert "te makkelijk te raden" in str(refused.value)
    assert "zoe" not in [a.name for a in Accounts(klachten).list()]


def test_a_strong_password_is_accepted(klachten):
    assert Accounts(klachten).add("zoe", ["lezer"], "paars-fietspad-onder-de-brug").name == "zoe"


def test_the_admin_page_explains_a_weak_password_in_dutch(staff: Staff):
    staff.login("bert")
    refused = staff.post("/beheer/gebruikers", {"naam": "zoe", "wachtwoord": "aaaaaaaaaaaa",
                                                "rol": "lezer"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Wachtwoord: te makkelijk te raden" in page
    short = staff.post("/beheer/gebruikers", {"naam": "zoe", "wachtwoord": "kort",
                                              "rol": "lezer"})
    assert "Wachtwoord: minstens 12 tekens." in short.get_data(as_text=True)


def test_the_cli_refuses_a_weak_password_with_one_line(database_url, monkeypatch):
    monkeypatch.setenv("KLACHTEN_DATABASE_URL", database_url)
    monkeypatch.setenv("KLACHTEN_PASSWORD", "aaaaaaaaaaaa")
    result = CliRunner().invoke(main, ["user", "add", "zoe", "--role", "lezer"])
    assert result.exit_code != 0
    assert "te makkelijk te raden" in result.output + result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_an_admin_cannot_change_their_own_roles(staff: Staff, accounts: Accounts):
    staff.login("bert")
    own = staff.post("/beheer/gebruikers/bert", {"actie": "rollen", "rol": "lezer"},
                     form_page="/beheer/gebruikers")
    assert own.status_code == 403
    assert "eigen rollen" in own.get_data(as_text=True)
    assert next(a for a in accounts.list() if a.name == "bert").roles == ("beheerder",)
    page = staff.get("/beheer/gebruikers").get_data(as_text=True)
    # Neither roles nor disabling offered for oneself (issue 12: "Uitschakelen" failed there)
    assert 'action="/beheer/gebruikers/bert"' not in page
    assert page.count('name="actie" value="rollen"') == len(accounts.list()) - 1


def test_the_runner_refuses_an_admins_own_role_change(klachten, accounts: Accounts):
    from runner.admin import Admin

    bert = next(a for a in accounts.list() if a.name == "bert")
    with pytest.raises(Forbidden, match="eigen rollen"):
        Admin(klachten, accounts).set_roles(bert, "bert", ["lezer", "beheerder"])
    assert PASSWORD  # the other accounts keep the shared test password


def test_deployments_hash_passwords_at_argon2s_default_cost(monkeypatch):
    """The suite's cheap hashing (``KLACHTEN_PASSWORD_HASH_COST=test``, set by conftest) is
    never the default: unset, a password costs 3 passes over 64 MiB (RFC 9106 low memory)."""
    monkeypatch.delenv("KLACHTEN_PASSWORD_HASH_COST")
    hasher = password_hasher(settings.load().password_hash_cost)
    assert (hasher.time_cost, hasher.memory_cost, hasher.parallelism, hasher.hash_len,
            hasher.salt_len) == (3, 65536, 4, 32, 16)
    assert hasher.hash(PASSWORD).startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_an_unknown_hash_cost_is_one_clear_line(monkeypatch):
    monkeypatch.setenv("KLACHTEN_PASSWORD_HASH_COST", "laag")
    with pytest.raises(ConfigurationError) as refused:
        settings.load()
    assert str(refused.value) == "KLACHTEN_PASSWORD_HASH_COST='laag': verwacht standard of test"
