"""Everything a dossier runs by comes from its own definition version: the roles of its
lanes (rollen.json) and the texts of its status page (statuspagina.json)."""

from __future__ import annotations

from pathlib import Path

from conftest import Harness, Site, Staff

BPMN = "klachtenprocedure.bpmn"


def _replace(folder: Path, file: str, old: str, new: str) -> None:
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_lane_renamed_in_v2_keeps_the_tasks_of_v1_dossiers_visible(
        klachten, processes_copy, staff: Staff):
    old = Harness(klachten).submit()
    _replace(processes_copy, BPMN, 'name="Klachtenbemiddelaar"', 'name="Eerste lijn"')
    _replace(processes_copy, "rollen.json", '"Klachtenbemiddelaar"', '"Eerste lijn"')
    assert klachten.deploy(processes_copy).created
    new = Harness(klachten).submit()
    staff.login("mia")
    inbox = staff.get("/bemiddeling/taken").get_data(as_text=True)
    assert old.number in inbox and new.number in inbox
    task = old.task("ontvankelijkheid_beoordelen")
    form = staff.get(f"/bemiddeling/taken/{task.id}")
    assert form.status_code == 200
    staff.login("nora")  # the national mediator's lane did not change: still not hers
    assert old.number not in staff.get("/bemiddeling/taken").get_data(as_text=True)


def test_a_v1_dossier_shows_the_status_texts_of_v1(klachten, processes_copy, site: Site):
    number, code = site.file_complaint()
    _replace(processes_copy, "statuspagina.json",
             "Een klachtenbemiddelaar bekijkt of uw klacht behandeld kan worden.",
             "Wij kijken na of uw klacht ontvankelijk is (tekst van versie 2).")
    assert klachten.deploy(processes_copy).created
    new_number, new_code = site.file_complaint(omschrijving="Een tweede klacht, na de deploy.")
    old_page = site.sign_in(number, code, follow_redirects=True).get_data(as_text=True)
    assert "Een klachtenbemiddelaar bekijkt of uw klacht behandeld kan worden." in old_page
    assert "tekst van versie 2" not in old_page
    new_page = site.sign_in(new_number, new_code, follow_redirects=True).get_data(as_text=True)
    assert "Wij kijken na of uw klacht ontvankelijk is (tekst van versie 2)." in new_page


def _status_interval(folder: Path, days: int) -> None:
    _replace(folder, "termijnen.dmn", '<outputEntry id="r3_d"><text>21</text>',
             f'<outputEntry id="r3_d"><text>{days}</text>')


def test_a_changed_rule_value_changes_every_text_that_states_it(klachten, processes_copy,
                                                                site: Site, staff: Staff):
    """The status interval is stated once, in termijnen.dmn: the status page, the task form
    and the notices of each dossier follow the value of its own version."""
    old_number, old_code = site.file_complaint()
    _status_interval(processes_copy, 14)
    assert klachten.deploy(processes_copy).created
    number, code = site.file_complaint(omschrijving="Een tweede klacht, na de deploy.")
    texts = {}
    for dossier, access in ((old_number, old_code), (number, code)):
        case = Harness(klachten)
        case.number = dossier
        case.admissible()
        case.at_day(22)
        staff.login("mia")
        form = staff.get(f"/bemiddeling/taken/{case.task('onderzoek').id}")
        page = site.sign_in(dossier, access, follow_redirects=True)
        texts[dossier] = (form.get_data(as_text=True), page.get_data(as_text=True),
                          case.info.notices[-1].body)
    for text in texts[number]:
        assert "om de 14 dagen" in text and "om de 21 dagen" not in text
    for text in texts[old_number]:
        assert "om de 21 dagen" in text and "om de 14 dagen" not in text
    french = Harness(klachten).submit(taal="fr").admissible()
    assert "tous les 14 jours" in french.info.notices[0].body


def test_a_text_naming_an_unknown_rule_fails_the_lint(processes_copy):
    from runner.design.lint import errors, lint
    from runner.procedure import OPERATORS

    _replace(processes_copy, "forms/onderzoek.json", "{statusbericht.dagen}", "{status.dagen}")
    [problem] = errors(lint(processes_copy, OPERATORS))
    assert str(problem).startswith("forms/onderzoek.json: de tekst noemt {status.dagen}, "
                                   "maar geen dossier berekent een termijn 'status'")
