"""The klachten command line: the whole lifecycle, JSON output, one-line errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import complaint

from runner.cli import main


@pytest.fixture
def cli(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("KLACHTEN_DATABASE_URL", database_url)
    monkeypatch.setenv("KLACHTEN_CLOCK", "virtual")
    monkeypatch.setenv("KLACHTEN_INSTANCE_PATH", str(tmp_path / "instance"))  # .eml files
    monkeypatch.delenv("KLACHTEN_SMTP_URL", raising=False)
    monkeypatch.setenv("KLACHTEN_PASSWORD", "een-lang-wachtwoord")
    runner = CliRunner()

    def run(*args: str, ok: bool = True):
        result = runner.invoke(main, list(args), catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output + result.stderr
        return result

    run("init")
    run("clock", "set", "2026-03-02T09:00:00+01:00")
    run("user", "add", "mia", "--role", "klachtenbemiddelaar")
    return run


def _write(tmp_path, name: str, data: dict) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_lifecycle_through_the_cli(cli, tmp_path):
    out = cli("submit", _write(tmp_path, "k.json", complaint())).output
    assert "dossier KL-2026-00001" in out and "toegangscode" in out
    [task] = json.loads(cli("tasks", "--json").output)
    assert task["taak"] == "ontvankelijkheid_beoordelen" and task["stap"] == "3"
    # The due date as the pages show it: the last day in words and the days left.
    assert "uiterlijk 17 maart 2026 (nog 15 dagen)" in cli("tasks").output
    cli("complete", task["id"], "--data", _write(tmp_path, "o.json", {"ontvankelijk": "ja"}),
        "--user", "mia")
    assert "21 dagen" not in cli("clock", "advance", "P22D").output
    out = cli("worker", "--once").output
    assert "1 dossier" in out and "2 bericht(en) verzonden" in out
    text = cli("dossier", "KL-2026-00001").output
    assert "ontvankelijkheid: uiterlijk 17 maart 2026 (op tijd, op 2 maart 2026)" in text
    assert ("ontvangstmelding: uiterlijk 10 maart 2026 (14 dagen te laat, op 24 maart 2026)"
            in text)  # the worker first ran 22 days later
    assert "antwoord: uiterlijk 16 april 2026 (nog 23 dagen)" in text
    assert len(list((tmp_path / "instance" / "mail").glob("*.eml"))) == 2
    info = json.loads(cli("dossier", "KL-2026-00001", "--json").output)
    assert [n["soort"] for n in info["berichten"]] == ["ontvangstmelding", "statusbericht"]
    assert info["open_taken"][0]["taak"] == "onderzoek"
    assert all({"soort", "taal", "code", "aangemaakt_op"} <= set(n) for n in info["berichten"])
    cli("message", "KL-2026-00001", "klacht_ingetrokken",
        "--data", _write(tmp_path, "m.json", {"reden": "opgelost"}))
    text = cli("dossier", "KL-2026-00001").output
    assert "afgesloten" in text and "ingetrokken" in text and "Verloop:" in text


def test_clock_show_and_set(cli):
    assert cli("clock", "show").output.strip() == "2026-03-02T08:00:00+00:00"
    assert cli("clock", "advance", "PT12H").output.strip() == "2026-03-02T20:00:00+00:00"


@pytest.mark.parametrize(("args", "message"), [
    (("dossier", "KL-2026-99999"), "dossier KL-2026-99999 bestaat niet"),
    (("complete", "nope", "--data", "{missing}", "--user", "x"), "kan het bestand niet lezen"),
    (("clock", "advance", "21 dagen"), "geen duur"),
    (("clock", "set", "2026-03-02T09:00:00"), "geen tijdzone"),
    (("message", "KL-2026-99999", "klacht_ingetrokken"), "bestaat niet"),
    (("retry", "KL-2026-99999"), "bestaat niet"),
])
def test_user_errors_are_one_line_without_traceback(cli, tmp_path, args, message):
    args = tuple(a.replace("{missing}", str(tmp_path / "nope.json")) for a in args)
    result = cli(*args, ok=False)
    assert result.exit_code != 0
    assert message in result.output + result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_invalid_complaint_is_one_line(cli, tmp_path):
    result = cli("submit", _write(tmp_path, "k.json", complaint(taal="de")), ok=False)
    assert result.exit_code == 1 and "taal" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_completing_twice_is_a_clear_error(cli, tmp_path):
    cli("submit", _write(tmp_path, "k.json", complaint()))
    [task] = json.loads(cli("tasks", "--json").output)
    data = _write(tmp_path, "o.json", {"ontvankelijk": "ja"})
    cli("complete", task["id"], "--data", data, "--user", "mia")
    result = cli("complete", task["id"], "--data", data, "--user", "mia", ok=False)
    assert result.exit_code == 1 and "al voltooid door mia op" in result.stderr


def _answered(cli, tmp_path) -> None:
    """A dossier answered by mia, and the complainant disagrees: the national task is open."""
    cli("submit", _write(tmp_path, "k.json", complaint()))
    for form in ({"ontvankelijk": "ja"}, {"bevindingen": "Het bedrag was fout."},
                 {"uitkomst": "gegrond", "antwoord": "Wij betalen het verschil terug."}):
        [task] = json.loads(cli("tasks", "--json").output)
        cli("complete", task["id"], "--data", _write(tmp_path, "f.json", form), "--user", "mia")
    cli("message", "KL-2026-00001", "klager_niet_akkoord")


@pytest.mark.parametrize(("setup", "user", "message"), [
    ((), "niemand-bestaat", "gebruiker niemand-bestaat bestaat niet"),
    (("add", "lea", "--role", "lezer"), "lea", "gebruiker lea (lezer) mag geen taken"),
    (("disable", "mia"), "mia", "gebruiker mia is uitgeschakeld"),
    ((), "mia", "de taak hoort bij de rol Nationale klachtenbemiddelaar"),
    (("role", "mia", "--role", "klachtenbemiddelaar", "--role",
      "nationale klachtenbemiddelaar"), "mia", "scheiding van functies"),
])
def test_complete_needs_an_enabled_account_of_the_lane_and_separation(cli, tmp_path, setup,
                                                                      user, message):
    _answered(cli, tmp_path)
    if setup:
        cli("user", *setup)
    before = json.loads(cli("dossier", "KL-2026-00001", "--json").output)
    [task] = json.loads(cli("tasks", "--json").output)
    form = _write(tmp_path, "n.json", {"uitkomst": "ongegrond", "antwoord": "Na herziening."})
    result = cli("complete", task["id"], "--data", form, "--user", user, ok=False)
    assert result.exit_code == 1 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    after = json.loads(cli("dossier", "KL-2026-00001", "--json").output)
    assert after["versie"] == before["versie"] and after["audit"] == before["audit"]
    cli("user", "add", "nora", "--role", "nationale klachtenbemiddelaar")
    cli("complete", task["id"], "--data", form, "--user", "nora")
    audit = json.loads(cli("dossier", "KL-2026-00001", "--json").output)["audit"]
    assert "nora" in {entry["wie"] for entry in audit} and user not in {
        entry["wie"] for entry in audit if entry["element"] == "nationaal_onderzoek"}


def test_lint_and_deploy_commands(cli, processes_copy):
    assert "geen problemen" in cli("lint").output
    assert "ongewijzigd" in cli("deploy").output
    (processes_copy / "notices" / "fr" / "statusbericht.txt").unlink()
    result = cli("lint", str(processes_copy), ok=False)
    assert result.exit_code == 1 and "statusbericht" in result.stderr


def test_not_initialised_database_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("KLACHTEN_DATABASE_URL", f"sqlite:///{tmp_path / 'leeg.db'}")
    result = CliRunner().invoke(main, ["tasks"])
    assert result.exit_code == 1 and "klachten init" in result.stderr


def test_user_commands(cli, monkeypatch, database_url):
    from runner.accounts.users import Accounts
    from runner.procedure import open_klachten

    monkeypatch.setenv("KLACHTEN_PASSWORD", "een-lang-wachtwoord")
    assert "toegevoegd" in cli("user", "add", "ann", "--role", "klachtenbemiddelaar").output
    bad = cli("user", "add", "bob", "--role", "koning", ok=False)
    assert bad.exit_code == 1 and "onbekende rol" in bad.output + bad.stderr
    token = cli("user", "token", "ann").output.strip()
    assert "nationale" in cli("user", "role", "ann", "--role", "klachtenbemiddelaar",
                              "--role", "nationale klachtenbemiddelaar").output
    klachten = open_klachten(database_url)
    try:
        assert Accounts(klachten).by_token(token).name == "ann"
        cli("user", "disable", "ann")
        assert Accounts(klachten).by_token(token) is None
    finally:
        klachten.close()
    assert cli("user", "token", "niemand", ok=False).exit_code == 1
