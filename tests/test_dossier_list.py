"""The dossier list (issue 21, item 1): every dossier in every state, found by number, name,
e-mail address, member number and the complaint's words, filtered, sorted, paged and saved
as views per user, on the page, the API and the command line; access-logged; erased
personal data no longer found, a legal hold changing nothing."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest
from click.testing import CliRunner
from conftest import Harness, Staff, complaint, run_together
from sqlalchemy import select
from test_workbench import visible

from runner.accounts.users import Accounts
from runner.bpmn.store import transaction
from runner.cli import main
from runner.privacy.retention import Retention
from runner.store import AccessEntry, Dossier, SavedView
from runner.work.dossier_list import DossierList, DossierQuery
from runner.work.inbox import Inbox
from runner.work.saved_views import SavedViews

LIST = "/bemiddeling/dossiers"


def _person(first: str, last: str, email: str, member: str) -> dict:
    return {**complaint()["klager"], "voornaam": first, "achternaam": last, "email": email,
            "lidnummer": member}


@dataclass
class World:
    """One dossier in each state, each with its own person and words."""

    closed: Harness
    withdrawn: Harness
    waiting: Harness
    national: Harness
    open: Harness


@pytest.fixture
def world(klachten) -> World:
    closed = Harness(klachten).submit(
        klager=_person("Clara", "Dewolf", "clara.dewolf@example.be", "98765432109"),
        omschrijving="Mijn bril werd niet terugbetaald door het ziekenfonds.")
    closed.admissible().investigate().answer()
    closed.advance(40)  # the reaction window passed: closed, step 8 open
    withdrawn = Harness(klachten).submit(
        klager=_person("Wout", "Trekker", "wout@example.be", "11111111111"))
    withdrawn.message("klacht_ingetrokken", {"reden": "opgelost"})
    waiting = Harness(klachten).submit(
        klager=_person("Wanda", "Wachters", "wanda@example.be", "22222222222"),
        categorie="uitkering")
    waiting.admissible().investigate().answer()
    national = Harness(klachten).submit(
        klager=_person("Nand", "Nationaal", "nand@example.be", "33333333333"))
    national.admissible().investigate().answer()
    national.message("klager_niet_akkoord", {"reden": "Het bedrag is te laag."})
    opened = Harness(klachten).submit(
        klager=_person("Otto", "Openaar", "otto@example.be", "44444444444"), kanaal="telefoon",
        omschrijving="Het loket in Gent was drie weken gesloten zonder uitleg.")
    return World(closed, withdrawn, waiting, national, opened)


def _rows(page: str) -> dict[str, str]:
    """The visible text of each row of the list, by dossier number."""
    rows = re.findall(r"<tr class=\"termijn--[^\"]*\">(.*?)</tr>", page, re.S)
    found = {}
    for row in rows:
        text = visible(row)
        found[text.split()[0]] = text
    return found


def _list(staff: Staff, query: str = "", status: int = 200) -> dict[str, str]:
    response = staff.get(f"{LIST}?{query}")
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return _rows(response.get_data(as_text=True))


def test_the_mediator_finds_a_closed_dossier_by_member_number_and_opens_it(world, staff):
    staff.login("mia")
    rows = _list(staff, "zoek=98765432109")
    assert list(rows) == [world.closed.number]
    assert "Afgesloten" in rows[world.closed.number]
    assert "Clara Dewolf" in rows[world.closed.number]
    page = staff.get(f"/bemiddeling/dossiers/{world.closed.number}")
    assert page.status_code == 200 and world.closed.number in page.get_data(as_text=True)


@pytest.mark.parametrize(("term", "who"), [
    ("dewolf", "closed"), ("CLARA.DEWOLF@example", "closed"), ("bril werd niet", "closed"),
    ("Openaar", "open"), ("drie weken gesloten", "open"), ("44444444444", "open"),
    ("nand@", "national"), ("KL-2026-00003", "waiting"),
])
def test_the_search_looks_in_number_name_email_member_number_and_words(world, staff, term,
                                                                       who):
    staff.login("lea")  # the reader too
    assert list(_list(staff, f"zoek={term}")) == [getattr(world, who).number]


def test_every_state_has_its_filter_and_its_label(world, staff):
    staff.login("mia")
    for state, who, label in [
            ("open", "open", "Open"), ("wacht_op_klager", "waiting", "Wacht op reactie"),
            ("nationaal", "national", "Bij de nationale klachtenbemiddelaar"),
            ("afgesloten", "closed", "Afgesloten"), ("ingetrokken", "withdrawn", "Ingetrokken")]:
        rows = _list(staff, f"status={state}")
        assert list(rows) == [getattr(world, who).number], state
        assert label in rows[getattr(world, who).number]
    assert len(_list(staff)) == 5  # every dossier in every state


def test_filters_by_step_category_channel_owner_period_and_deadline(world, staff, klachten):
    staff.login("mia")
    assert list(_list(staff, "categorie=uitkering")) == [world.waiting.number]
    assert list(_list(staff, "kanaal=telefoon")) == [world.open.number]
    assert list(_list(staff, "stap=3")) == [world.open.number]
    assert set(_list(staff, "stap=6")) == {world.waiting.number, world.national.number}
    # owner: the user who claimed the dossier's open task
    task = world.open.task("ontvankelijkheid_beoordelen")
    accounts = Accounts(klachten)
    Inbox(klachten, accounts).claim(next(a for a in accounts.list() if a.name == "tom"),
                                    task.id)
    assert list(_list(staff, "eigenaar=tom")) == [world.open.number]
    assert "tom" in _list(staff, "eigenaar=tom")[world.open.number]
    # received period: the closed one came 40 days before the others
    assert list(_list(staff, "tot=2026-03-02")) == [world.closed.number]
    assert world.closed.number not in _list(staff, "van=2026-03-03")
    # deadlines: the open dossier's admissibility is due within days, late after them
    due_soon = _list(staff, "termijn=binnen&dagen=30")
    assert world.open.number in due_soon and world.closed.number not in due_soon
    assert world.open.number not in _list(staff, "termijn=te_laat")
    world.open.advance(60, sweep=False)
    assert world.open.number in _list(staff, "termijn=te_laat")


def test_sorted_and_paged(klachten, staff):
    numbers = [Harness(klachten).submit(klager=_person("P", f"Naam{i:02d}", f"p{i}@x.be", ""))
               .number for i in range(27)]
    staff.login("mia")
    first = staff.get(LIST).get_data(as_text=True)
    assert "27 dossiers" in visible(first) and "Pagina 1 van 2" in visible(first)
    assert next(iter(_rows(first))) == numbers[-1]  # newest first
    second = _list(staff, "pagina=2")
    assert list(second) == numbers[1::-1]
    ascending = _list(staff, "sorteer=dossier&richting=op")
    assert list(ascending)[:3] == numbers[:3]


def test_saved_views_are_per_user_and_shipped_views_come_with_everyone(world, staff, client):
    staff.login("mia")
    page = visible(staff.get(LIST).get_data(as_text=True))
    for shipped in ("mijn dossiers", "te laat", "wacht op klager"):
        assert shipped in page
    waiting = staff.get(f"{LIST}?status=wacht_op_klager").get_data(as_text=True)
    assert list(_rows(waiting)) == [world.waiting.number]
    response = staff.post(f"{LIST}/weergaven", {"naam": "Uitkeringen",
                                                "filter": "categorie=uitkering"},
                          form_page=LIST)
    assert response.status_code == 302
    assert "Uitkeringen" in visible(staff.get(LIST).get_data(as_text=True))
    # another user does not see it
    staff.post("/logout", {}, form_page=LIST)
    staff.login("tom")
    assert "Uitkeringen" not in visible(staff.get(LIST).get_data(as_text=True))


def test_a_saved_view_is_deleted_only_by_its_user(klachten, staff, accounts):
    views = SavedViews(klachten)
    mia = next(a for a in accounts.list() if a.name == "mia")
    view = views.save(mia, "Mijn brieven", DossierQuery(channel="brief"))
    staff.login("tom")
    response = staff.post(f"{LIST}/weergaven/{view.id}/verwijderen", {}, form_page=LIST)
    assert response.status_code == 404
    assert [v.name for v in views.list(mia) if not v.shipped] == ["Mijn brieven"]
    staff.post("/logout", {}, form_page=LIST)
    staff.login("mia")
    assert staff.post(f"{LIST}/weergaven/{view.id}/verwijderen", {},
                      form_page=LIST).status_code == 302
    assert [v.name for v in views.list(mia) if not v.shipped] == []


def test_saving_a_view_refuses_a_shipped_or_empty_name_and_keeps_what_was_typed(staff):
    staff.login("mia")
    response = staff.post(f"{LIST}/weergaven", {"naam": "te laat", "filter": "status=open"},
                          form_page=LIST)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "vaste weergave" in visible(page) and 'value="te laat"' in page
    assert 'name="status"' in page and '<option value="open" selected>' in page
    response = staff.post(f"{LIST}/weergaven", {"naam": "  ", "filter": ""}, form_page=LIST)
    assert response.status_code == 400 and "verplicht" in visible(response.get_data(as_text=True))


def test_the_saved_view_forms_need_the_csrf_token(staff, klachten, accounts):
    staff.login("mia")
    response = staff.client.post(f"{LIST}/weergaven", data={"naam": "x", "filter": ""})
    assert response.status_code == 400
    mia = next(a for a in accounts.list() if a.name == "mia")
    view = SavedViews(klachten).save(mia, "Blijft", DossierQuery())
    response = staff.client.post(f"{LIST}/weergaven/{view.id}/verwijderen")
    assert response.status_code == 400
    assert "Blijft" in [v.name for v in SavedViews(klachten).list(mia)]


def test_two_users_saving_views_at_once_both_keep_theirs(klachten, accounts):
    views = SavedViews(klachten)
    mia, tom = (next(a for a in accounts.list() if a.name == n) for n in ("mia", "tom"))
    calls = [lambda who=who, i=i: views.save(who, f"weergave {i}", DossierQuery(step="3"))
             for i in range(4) for who in (mia, tom)]
    calls += [lambda: views.save(mia, "zelfde", DossierQuery(state="open")),
              lambda: views.save(mia, "zelfde", DossierQuery(state="afgesloten"))]
    run_together(*calls)
    with transaction(klachten.factory) as session:
        saved = session.execute(select(SavedView.user, SavedView.name)).all()
    assert sorted(saved) == sorted([*((n, f"weergave {i}") for i in range(4)
                                      for n in ("mia", "tom")), ("mia", "zelfde")])


def test_roles_that_must_not(world, client, staff, accounts, site):
    # no session: the login page
    response = client.get(LIST)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    # a member signed in on the status page is no staff member
    site.sign_in(world.open.number, world.open.access_code)
    response = client.get(LIST)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    # the API: no token, a wrong token, a disabled user's token
    assert client.get("/api/v1/dossiers").status_code == 401
    assert client.get("/api/v1/dossiers",
                      headers={"Authorization": "Bearer nep"}).status_code == 401
    token = accounts.new_token("lea")
    accounts.set_disabled("lea", True)
    assert client.get("/api/v1/dossiers",
                      headers={"Authorization": f"Bearer {token}"}).status_code in (401, 403)


def test_the_reader_finds_and_opens_a_dossier_but_cannot_act_on_it(world, staff):
    staff.login("lea")
    home = staff.get("/bemiddeling/dossiers").get_data(as_text=True)
    assert 'href="/bemiddeling/dossiers"' in home  # the staff menu's link
    rows = _list(staff, "zoek=Openaar")
    assert list(rows) == [world.open.number]
    page = staff.get(f"/bemiddeling/dossiers/{world.open.number}").get_data(as_text=True)
    assert world.open.number in page and "Aan mij toewijzen" not in page
    task = world.open.task("ontvankelijkheid_beoordelen")
    assert staff.post(f"/bemiddeling/taken/{task.id}/claimen", {},
                      form_page=LIST).status_code == 403
    assert staff.get(f"/bemiddeling/taken/{task.id}").status_code == 403


@pytest.mark.parametrize("query", [
    "zoek=' OR 1=1 --", "zoek=%25", "zoek=_", "zoek=%25%25%25", "zoek=___", "zoek=\\",
    'zoek="', "zoek=NEAR(a b)", "zoek={number}: x", "zoek=a*",
])
def test_hostile_search_text_is_only_text(world, staff, query):
    staff.login("mia")
    assert _list(staff, query) == {}


@pytest.mark.parametrize(("query", "message"), [
    ("status=kapot", "Status: onbekende waarde"),
    ("stap=99", "Stap: onbekende waarde"),
    ("categorie=onzin", "Categorie: onbekende waarde"),
    ("eigenaar=niemand", "Behandelaar: onbekende waarde"),
    ("kanaal=duif", "Kanaal: onbekende waarde"),
    ("termijn=gisteren", "Termijn: onbekende waarde"),
    ("sorteer=geheim", "Sorteren op: onbekende waarde"),
    ("van=2026-02-30", "Ontvangen vanaf: vul een datum in"),
    ("van=2026-03-10&tot=2026-03-01", "ligt vóór de begindatum"),
    ("dagen=0&termijn=binnen", "Aantal dagen: geef een geheel getal"),
    ("pagina=abc", "Pagina: geef een geheel getal"),
    ("zoek=" + "x" * 5000, "Zoeken: deze tekst is te lang"),
    ("zoek=a%00b", "Ongeldige tekens"),  # refused before any view (web.errors)
    ("nep=1", "nep: deze filter bestaat niet"),
])
def test_unknown_or_wrong_filter_values_get_a_clear_dutch_message(world, staff, query,
                                                                  message):
    staff.login("mia")
    response = staff.get(f"{LIST}?{query}")
    assert response.status_code == 400
    assert message in visible(response.get_data(as_text=True))


@pytest.mark.parametrize("query", ["zoek=a%00b", "zoek=" + "é" * 100, "stap=%00"])
def test_hostile_input_on_the_api_is_a_problem_not_a_500(world, client, accounts, query):
    token = accounts.new_token("mia")
    response = client.get(f"/api/v1/dossiers?{query}",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    if response.status_code == 400:
        assert response.mimetype == "application/problem+json"


def test_the_api_lists_with_the_same_filters_and_logs_each_dossier(world, client, accounts,
                                                                   klachten):
    token = accounts.new_token("nora")
    response = client.get("/api/v1/dossiers?status=nationaal",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["totaal"] == 1 and body["meer"] is False
    row = body["dossiers"][0]
    assert row["dossiernummer"] == world.national.number and row["status"] == "nationaal"
    assert row["stap"] == "6" and row["klager"] == "Nand Nationaal"
    response = client.get("/api/v1/dossiers?status=geheim",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400 and "status" in response.get_json()["fouten"]
    response = client.get("/api/v1/dossiers?categorie=geheim",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400
    assert "onbekende categorie" in response.get_json()["fouten"]["categorie"]
    with transaction(klachten.factory) as session:
        logged = session.execute(select(AccessEntry.user, AccessEntry.what, Dossier.number)
                                 .join(Dossier)).all()
    assert ("nora", "dossierlijst (API)", world.national.number) in logged


def test_every_listed_dossier_is_access_logged(world, staff, klachten):
    staff.login("lea")
    _list(staff, "status=afgesloten")
    with transaction(klachten.factory) as session:
        logged = session.execute(select(AccessEntry.user, AccessEntry.what, Dossier.number)
                                 .join(Dossier)).all()
    assert logged == [("lea", "dossierlijst", world.closed.number)]


def test_an_erased_dossier_is_not_found_by_its_erased_data_a_held_one_is(world, staff,
                                                                         klachten, accounts):
    bert = next(a for a in accounts.list() if a.name == "bert")
    world.closed.recommend()
    Retention(klachten).erase_on_request(bert, world.closed.number, "verzoek van de klager")
    Retention(klachten).hold(bert, world.national.number, "rechtszaak")
    staff.login("mia")
    for term in ("dewolf", "clara.dewolf@example.be", "98765432109", "bril werd niet"):
        assert _list(staff, f"zoek={term}") == {}, term
    rows = _list(staff, f"zoek={world.closed.number}")  # the number is no personal data
    assert list(rows) == [world.closed.number] and "gewist" in rows[world.closed.number]
    assert list(_list(staff, "zoek=Nationaal")) == [world.national.number]
    assert list(_list(staff, "zoek=33333333333")) == [world.national.number]


def test_french_labels(world, staff):
    staff.login("mia")
    page = visible(staff.get(f"{LIST}?status=nationaal&taal=fr").get_data(as_text=True))
    assert "Auprès du médiateur national" in page
    assert "Enregistrer la vue" in page


@pytest.fixture
def cli(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("KLACHTEN_DATABASE_URL", database_url)
    monkeypatch.setenv("KLACHTEN_CLOCK", "virtual")

    def run(*args: str):
        return CliRunner().invoke(main, ["dossiers", *args])
    return run


def test_the_command_line_searches_filters_and_logs(world, cli, klachten):
    result = cli("--search", "98765432109")
    assert result.exit_code == 0, result.output
    assert world.closed.number in result.output and "afgesloten" in result.output
    result = cli("--search", "Nationaal", "--state", "nationaal", "--json")
    assert result.exit_code == 0
    body = json.loads(result.output)
    assert [row["dossiernummer"] for row in body["dossiers"]] == [world.national.number]
    result = cli("--state", "kapot")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: ongeldige invoer: status: onbekende status 'kapot'; kies uit open,"
        " wacht_op_klager, nationaal, afgesloten, ingetrokken"]
    result = cli("--owner", "niemand")
    assert result.exit_code == 1 and "onbekende gebruiker 'niemand'" in result.output
    result = cli("--search", "a\x00b")
    assert result.exit_code == 1 and "ongeldig teken" in result.output
    with transaction(klachten.factory) as session:
        whats = set(session.scalars(select(AccessEntry.what)))
    assert whats == {"dossierlijst (opdrachtregel)"}


def test_the_list_costs_one_page_whatever_the_size(klachten, accounts):
    """The count stops at its limit and the page at 25 (the figures are in bench/)."""
    listing = DossierList(klachten, accounts)
    lea = next(a for a in accounts.list() if a.name == "lea")
    for _ in range(3):
        Harness(klachten).submit()
    page = listing.page(lea, DossierQuery())
    assert (page.total, page.more, page.pages, len(page.rows)) == (3, False, 1, 3)

