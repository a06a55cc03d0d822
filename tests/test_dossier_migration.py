"""Migration of running dossiers to another process version: the dry run per dossier, the
move (derived rows, timers, audit), the revert, and repairing a broken version."""

from __future__ import annotations

import pytest
from conftest import Harness
from process_versions import (
    broken_status_notice,
    broken_status_timer,
    store_version,
    version_two,
    without_answer_task,
)
from sqlalchemy import select

from runner.bpmn.errors import Conflict, NotFound, ValidationFailed
from runner.bpmn.store import Instance, OpenTask, WaitingMessage, transaction
from runner.design.dossier_migration import DossierMigrations, Selection

LETTER = {"voornaam": "Bert", "achternaam": "Claes", "adres": "Straat 1, 1000 Brussel"}
NEW_TASK = "Tevredenheid navragen (tevredenheid)"
PRE_CHECK = "Ontvankelijkheid vooraf toetsen (ontvankelijkheid_voorstel)"


def _rows(klachten, number: str) -> dict:
    """The stored instance and its derived rows, as comparable values."""
    info = klachten.dossier(number)
    with transaction(klachten.factory) as session:
        instance = session.scalar(select(Instance).where(Instance.id == select(
            Instance.id).where(Instance.dossier_id == _dossier_id(session, number))
            .scalar_subquery()))
        return {
            "state": instance.state, "version": instance.definition_id,
            "next_timer": instance.next_timer_at, "step": instance.step,
            "tasks": sorted((t.id, t.spec_name, t.due_at, t.claimed_by) for t in session.scalars(
                select(OpenTask).where(OpenTask.instance_id == instance.id))),
            "messages": sorted(session.scalars(select(WaitingMessage.name).where(
                WaitingMessage.instance_id == instance.id))),
            "incidents": [i for i in info.incidents if not i.resolved_at],
        }


def _dossier_id(session, number: str) -> int:
    from runner.store import Dossier

    return session.scalar(select(Dossier.id).where(Dossier.number == number))


@pytest.fixture
def dossiers(klachten) -> dict[str, Harness]:
    """One dossier at every step of version 1 (the closure's recommendation first: its
    reaction window must pass, which moves the clock on for all)."""
    made = {"8 aanbeveling": Harness(klachten).submit().admissible().investigate().answer()}
    made["8 aanbeveling"].advance(40)
    made["2 posten"] = Harness(klachten).submit(kanaal="brief", klager=LETTER)
    made["3 ontvankelijkheid"] = Harness(klachten).submit()
    made["4 onderzoek"] = Harness(klachten).submit().admissible()
    made["5 antwoord"] = Harness(klachten).submit().admissible().investigate()
    made["6 nationaal"] = (Harness(klachten).submit().admissible().investigate().answer()
                           .message("klager_niet_akkoord", {"reden": "Ik ben het oneens."}))
    made["6 reactie"] = Harness(klachten).submit().admissible().investigate().answer()
    return made


def _by_number(report: dict) -> dict[str, dict]:
    return {row["dossiernummer"]: row for row in report["dossiers"]}


def test_dry_run_reports_per_dossier_and_changes_nothing(klachten, dossiers, tmp_path):
    new = klachten.deploy(version_two(tmp_path / "v2")).version
    before = {name: _rows(klachten, h.number) for name, h in dossiers.items()}
    report = DossierMigrations(klachten).plan(new, Selection(from_version=1))
    rows = _by_number(report)
    assert set(rows) == {h.number for h in dossiers.values()}
    assert "forms/tevredenheid.json" in report["gewijzigde_bestanden"]
    for name, harness in dossiers.items():
        row = rows[harness.number]
        assert row["kan_verplaatst"], (name, row["redenen"])
        # the new task comes after every position but the recommendation's own
        assert (NEW_TASK in row["taken_toegevoegd"]) == (name != "8 aanbeveling"), name
        # the pre-check is still ahead only of the dossier waiting for its letter
        assert (PRE_CHECK in row["taken_verwijderd_vooruit"]) == (name == "2 posten"), name
        assert (PRE_CHECK in row["taken_verwijderd_gedaan"]) == (name != "2 posten"), name
        assert row["regels_gewijzigd"] == ["Termijnregels bepalen (termijnen_bepalen)"]
        assert row["termijnen"] == [] and row["timers"] == []  # the old rule values stay
        assert _rows(klachten, harness.number) == before[name]


def test_dry_run_with_new_rules_shows_old_and_new_deadlines(klachten, dossiers, tmp_path):
    new = klachten.deploy(version_two(tmp_path / "v2")).version
    number = dossiers["4 onderzoek"].number
    row = _by_number(DossierMigrations(klachten).plan(
        new, Selection(numbers=(number,)), new_rules=True))[number]
    answer = next(t for t in row["termijnen"] if t["termijn"] == "antwoord")
    assert (answer["oud"], answer["nieuw"]) == ("2026-05-26", "2026-05-11")  # 45 -> 30 days
    timer = next(t for t in row["timers"] if t["element"] == "statusbericht_timer")
    # the status cycle keeps its start (investigation start, day 40) with 14 days, not 21
    assert (timer["oud"][:10], timer["nieuw"][:10]) == ("2026-05-02", "2026-04-25")


def test_dossiers_at_every_step_move_and_carry_on(klachten, dossiers, tmp_path):
    new = klachten.deploy(version_two(tmp_path / "v2")).version
    before = {name: _rows(klachten, h.number) for name, h in dossiers.items()}
    report = DossierMigrations(klachten).migrate(new, Selection(from_version=1), "bert")
    assert all(row.get("resultaat") == "gemigreerd" for row in report["dossiers"])
    for name, harness in dossiers.items():
        after = _rows(klachten, harness.number)
        assert after["version"] == new, name
        # the same open tasks (ids, deadlines, claims), timers and waiting messages
        for key in ("tasks", "next_timer", "messages", "step", "incidents"):
            assert after[key] == before[name][key], (name, key)
        audit = [a for a in harness.info.audit if a.action == "gemigreerd"]
        assert audit[0].actor == "bert"
        assert audit[0].details["van"] == 1 and audit[0].details["naar"] == new
    # they carry on under version 2: the pre-check is gone, the new task comes
    posted = dossiers["2 posten"]
    posted.complete("ontvangstmelding_posten", {"gepost_op": "2026-04-12"})
    assert [t.name for t in posted.open_tasks()] == ["ontvankelijkheid_beoordelen"]
    assert "ontvankelijkheid_voorstel" not in {a.element for a in posted.info.audit}
    waiting = dossiers["6 reactie"]
    waiting.advance(31)
    assert [t.name for t in waiting.open_tasks()] == ["tevredenheid"]
    waiting.complete("tevredenheid", {"tevreden": "ja"}).recommend()
    assert waiting.info.closed and waiting.info.step == "Afgesloten"
    researched = dossiers["4 onderzoek"]
    assert researched.notices().count("statusbericht") == 1  # day 61, 21 days after start
    researched.investigate().answer().advance(31)
    researched.complete("tevredenheid", {"tevreden": "nee"}).recommend()
    assert researched.info.closed


def test_new_rule_values_apply_to_migrated_dossiers_when_chosen(klachten, dossiers, tmp_path):
    new = klachten.deploy(version_two(tmp_path / "v2")).version
    kept, renewed = dossiers["4 onderzoek"], dossiers["5 antwoord"]
    migrations = DossierMigrations(klachten)
    migrations.migrate(new, Selection(numbers=(kept.number,)), "bert")
    migrations.migrate(new, Selection(numbers=(renewed.number,)), "bert", new_rules=True)
    assert kept.info.deadlines["antwoord"].due_date.isoformat() == "2026-05-26"
    assert kept.task("onderzoek").due_at.isoformat().startswith("2026-05-26")
    assert renewed.info.deadlines["antwoord"].due_date.isoformat() == "2026-05-11"
    assert renewed.task("gemotiveerd_antwoord").due_at.isoformat().startswith("2026-05-11")


def test_a_dossier_whose_current_task_was_removed_is_reported_and_left(klachten, dossiers,
                                                                          tmp_path):
    new = store_version(klachten, without_answer_task(tmp_path / "v3"))  # fails lint
    stuck, other = dossiers["5 antwoord"], dossiers["4 onderzoek"]
    before = _rows(klachten, stuck.number)
    report = DossierMigrations(klachten).migrate(
        new, Selection(numbers=(stuck.number, other.number)), "bert")
    rows = _by_number(report)
    assert not rows[stuck.number]["kan_verplaatst"]
    assert rows[stuck.number]["redenen"] == [
        "de huidige stap Gemotiveerd antwoord geven (gemotiveerd_antwoord) bestaat niet meer "
        "in de nieuwe versie"]
    assert "resultaat" not in rows[stuck.number]
    assert _rows(klachten, stuck.number) == before
    assert "gemigreerd" not in {a.action for a in stuck.info.audit}
    assert rows[other.number]["resultaat"] == "gemigreerd"
    assert "Gemotiveerd antwoord geven (gemotiveerd_antwoord)" in rows[other.number][
        "taken_verwijderd_vooruit"]


def test_revert_restores_the_stored_state_byte_for_byte(klachten, dossiers, tmp_path):
    new = klachten.deploy(version_two(tmp_path / "v2")).version
    harness = dossiers["4 onderzoek"]
    before = _rows(klachten, harness.number)
    migrations = DossierMigrations(klachten)
    migrations.migrate(new, Selection(numbers=(harness.number,)), "bert", new_rules=True)
    assert _rows(klachten, harness.number)["state"] != before["state"]
    [result] = migrations.revert([harness.number], "bert")
    assert result["naar"] == 1
    after = _rows(klachten, harness.number)
    assert after["state"] == before["state"]  # the very same text
    assert after == before
    assert [a.action for a in harness.info.audit][-2:] == ["gemigreerd",
                                                              "migratie teruggedraaid"]
    with pytest.raises(Conflict, match="geen migratie om terug te draaien"):
        migrations.revert([harness.number], "bert")


def test_no_revert_once_the_dossier_moved_on(klachten, dossiers, tmp_path):
    new = klachten.deploy(version_two(tmp_path / "v2")).version
    harness = dossiers["4 onderzoek"]
    migrations = DossierMigrations(klachten)
    migrations.migrate(new, Selection(numbers=(harness.number,)), "bert")
    harness.investigate()
    state = _rows(klachten, harness.number)
    with pytest.raises(Conflict, match="veranderde na de migratie"):
        migrations.revert([harness.number], "bert")
    assert _rows(klachten, harness.number) == state


def test_bad_selection_is_refused_clearly(klachten, dossiers, tmp_path):
    migrations = DossierMigrations(klachten)
    with pytest.raises(NotFound, match="procesversie 9 bestaat niet"):
        migrations.plan(9, Selection(from_version=1))
    with pytest.raises(NotFound, match="dossier KL-1999-00001 bestaat niet"):
        migrations.plan(1, Selection(numbers=("KL-1999-00001",)))
    with pytest.raises(ValidationFailed):
        migrations.plan(1, Selection())
    row = migrations.plan(1, Selection(numbers=(dossiers["4 onderzoek"].number,)))
    assert row["dossiers"][0]["redenen"] == ["staat al op versie 1"]


def test_a_dossier_on_a_broken_version_is_repaired_by_migrating_it(klachten, tmp_path):
    broken = store_version(klachten, broken_status_notice(tmp_path / "kapot"))
    harness = Harness(klachten).submit().admissible()
    harness.advance(22)  # the status notice fails to render: an incident
    assert _rows(klachten, harness.number)["incidents"]
    assert _rows(klachten, harness.number)["version"] == broken
    deployed = klachten.deploy()  # the shipped model: version 1 again
    fixed, created = deployed.version, deployed.created
    assert not created
    report = DossierMigrations(klachten).migrate(fixed, Selection(from_version=broken), "bert")
    assert [row["resultaat"] for row in report["dossiers"]] == ["gemigreerd"]
    assert klachten.retry(harness.number, "bert") >= 1
    assert harness.notices().count("statusbericht") == 1
    rows = _rows(klachten, harness.number)
    assert rows["incidents"] == [] and rows["version"] == fixed
    assert rows["next_timer"] is not None
    assert rows["next_timer"] > harness.info.notices[-1].created_at


# ----- the beheerder's page and the command line
def _page(response) -> str:
    import html

    return html.unescape(response.get_data(as_text=True))


def test_beheerder_dry_runs_migrates_and_reverts_on_the_page(staff, klachten, dossiers,
                                                              tmp_path):
    new = klachten.deploy(version_two(tmp_path / "v2")).version
    number = dossiers["4 onderzoek"].number
    staff.login("bert")
    assert "Lopende dossiers naar een andere versie migreren" in _page(
        staff.get("/beheer/processen"))
    form = {"naar": str(new), "van": "1", "dossiers": "", "nieuwe_regels": "ja"}
    dry = _page(staff.post("/beheer/migratie", {**form, "actie": "proef"}))
    assert f"Proef: naar versie {new} (er is niets veranderd)" in dry
    assert "Taken erbij na de huidige stap: Tevredenheid navragen (tevredenheid)" in dry
    assert "Termijn antwoord: 2026-05-26 wordt 2026-05-11" in dry
    assert _rows(klachten, number)["version"] == 1
    done = _page(staff.post("/beheer/migratie", {**form, "van": "", "dossiers": number,
                                                 "actie": "migreren"}))
    assert f"Gemigreerd naar versie {new}" in done and "gemigreerd" in done
    assert _rows(klachten, number)["version"] == new
    back = _page(staff.post("/beheer/migratie/terugdraaien", {"terug": number},
                            form_page="/beheer/migratie"))
    assert f"{number} staat weer op versie 1" in back
    again = staff.post("/beheer/migratie/terugdraaien", {"terug": number},
                       form_page="/beheer/migratie")
    assert again.status_code == 400
    assert "Terugdraaien kan niet: dossier" in _page(again)
    both = staff.post("/beheer/migratie", {**form, "dossiers": number, "actie": "proef"})
    assert both.status_code == 400 and "niet allebei" in _page(both)
    unknown = staff.post("/beheer/migratie", {**form, "van": "", "dossiers": "KL-1999-00001",
                                              "actie": "proef"})
    assert unknown.status_code == 400 and "KL-1999-00001 bestaat niet" in _page(unknown)
    no_token = staff.client.post("/beheer/migratie", data={**form, "actie": "migreren"})
    # signed in, a form without its token is refused as expired: nothing done
    assert no_token.status_code == 400 and "Formulier verlopen" in _page(no_token)
    assert _rows(klachten, number)["version"] == 1
    staff.post("/logout", {}, form_page="/beheer/migratie")
    staff.login("mia")
    assert staff.get("/beheer/migratie").status_code == 403


def test_command_line_dry_run_migrate_and_revert(klachten, dossiers, tmp_path, database_url,
                                                 monkeypatch):
    from click.testing import CliRunner

    from runner.cli import main

    new = klachten.deploy(version_two(tmp_path / "v2")).version
    monkeypatch.setenv("KLACHTEN_DATABASE_URL", database_url)
    monkeypatch.setenv("KLACHTEN_CLOCK", "virtual")
    number = dossiers["5 antwoord"].number
    cli = CliRunner()
    dry = cli.invoke(main, ["migrate", "--to", str(new), "--dossier", number, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"{number} (versie 1, 5. Gemotiveerd antwoord geven): kan verplaatst worden" in \
        dry.output
    moved = cli.invoke(main, ["migrate", "--to", str(new), "--dossier", number, "--json"])
    assert moved.exit_code == 0 and '"resultaat": "gemigreerd"' in moved.output
    back = cli.invoke(main, ["migrate", "--revert", "--dossier", number])
    assert back.output.strip() == f"{number}: terug op versie 1 (5. Gemotiveerd antwoord geven)"
    again = cli.invoke(main, ["migrate", "--revert", "--dossier", number])
    assert again.exit_code == 1
    assert again.output.strip() == (f"Error: dossier {number} heeft geen migratie om terug "
                                    "te draaien")
    no_target = cli.invoke(main, ["migrate", "--dossier", number])
    assert no_target.exit_code == 1 and "--to VERSIE" in no_target.output


def test_a_dossier_that_fails_to_move_is_reported_and_the_rest_carry_on(klachten, dossiers,
                                                                         tmp_path):
    """New rule values from a decision table that cannot be evaluated: each dossier says so
    and stays as it was; nothing stops half-way with a traceback."""
    folder = version_two(tmp_path / "v2")
    rules = folder / "termijnen.dmn"
    rules.write_text(rules.read_text(encoding="utf-8").replace(
        '<outputEntry id="r4_d"><text>30</text>', '<outputEntry id="r4_d"><text>dagen_x</text>'),
        encoding="utf-8")
    broken = store_version(klachten, folder)
    numbers = (dossiers["4 onderzoek"].number, dossiers["5 antwoord"].number)
    before = {number: _rows(klachten, number) for number in numbers}
    report = DossierMigrations(klachten).migrate(broken, Selection(numbers=numbers), "bert",
                                                 new_rules=True)
    for row in report["dossiers"]:
        assert not row["kan_verplaatst"] and "resultaat" not in row
        assert row["redenen"][0].startswith("verplaatsen mislukt: ")
        assert "dagen_x" in row["redenen"][0]
        assert _rows(klachten, row["dossiernummer"]) == before[row["dossiernummer"]]


def test_a_dossier_changed_during_its_migration_is_left_as_the_other_action_made_it(
        klachten, dossiers, tmp_path, monkeypatch):
    """The optimistic lock: another action changes the dossier's row between the migration's
    read and its write (emulated in the same transaction); that dossier is reported and
    keeps its state, the others move."""
    from sqlalchemy import update

    new = klachten.deploy(version_two(tmp_path / "v2"))[0]
    raced, other = dossiers["4 onderzoek"].number, dossiers["5 antwoord"].number
    before = _rows(klachten, raced)
    real_save = klachten.runner.save

    def save_after_another_action(loaded, model, state=None):
        if loaded.dossier.number == raced:
            loaded.session.execute(update(Instance).where(Instance.id == loaded.instance.id)
                                   .values(version=Instance.version + 1)
                                   .execution_options(synchronize_session=False))
        real_save(loaded, model, state)

    monkeypatch.setattr(klachten.runner, "save", save_after_another_action)
    rows = _by_number(DossierMigrations(klachten).migrate(
        new, Selection(numbers=(raced, other)), "bert"))
    assert rows[raced]["redenen"] == ["het dossier werd intussen gewijzigd; laad het opnieuw"]
    assert "resultaat" not in rows[raced] and _rows(klachten, raced) == before
    assert rows[other]["resultaat"] == "gemigreerd"


def test_a_dossier_stuck_on_a_failing_timer_is_repaired_by_migrating_and_retrying(klachten,
                                                                                  tmp_path):
    broken = store_version(klachten, broken_status_timer(tmp_path / "kapot"))
    harness = Harness(klachten).submit().admissible()  # the status timer cannot start
    rows = _rows(klachten, harness.number)
    assert rows["version"] == broken and rows["incidents"]
    assert rows["incidents"][0].element == "statusbericht_timer"
    report = DossierMigrations(klachten).migrate(1, Selection(numbers=(harness.number,)),
                                                 "bert")
    assert report["dossiers"][0]["resultaat"] == "gemigreerd"
    klachten.retry(harness.number, "bert")
    rows = _rows(klachten, harness.number)
    assert rows["incidents"] == [] and rows["version"] == 1
    assert [t.name for t in harness.open_tasks()] == ["onderzoek"]
    assert harness.counts_at([20, 22]) == [0, 1]  # the status notice after 21 days


def test_a_new_status_interval_holds_notice_after_notice(klachten, dossiers, tmp_path):
    """With new rule values the running status cycle (started on day 40) takes 14 days, and
    keeps them once it has fired: the timer inherits its parent's data at every update."""
    new = klachten.deploy(version_two(tmp_path / "v2"))[0]
    harness = dossiers["4 onderzoek"]
    DossierMigrations(klachten).migrate(new, Selection(numbers=(harness.number,)), "bert",
                                        new_rules=True)
    assert harness.counts_at([53, 55, 67, 69]) == [0, 1, 1, 2]
    assert harness.info.deadlines["statusbericht"].days == 14
