"""The improvement register (verbeterregister): list, filters and search in the runner,
follow-up with validation, conflicts and the audit trail, and the pages with their roles."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import START, Harness, Staff
from sqlalchemy import select

from runner.accounts.users import Account, Accounts
from runner.bpmn.errors import Conflict, Forbidden, NotFound, ValidationFailed
from runner.bpmn.store import transaction
from runner.reports.improvement_register import PAGE_SIZE, Change, Register, RegisterQuery
from runner.store import Dossier, Recommendation

KINE = {"tekst": "Leg de terugbetaling van kinesitherapie beter uit.", "dienst": "Kine"}
DESK = {"tekst": "Langer open aan het loket op woensdag.", "dienst": "Onthaal"}
SCRIPT = {"tekst": "<script>alert(1)</script> 100% beter", "dienst": "Onthaal"}


def _recommend(harness: Harness, items: list[dict], day: int = 45) -> str:
    harness.submit().admissible().investigate().answer().at_day(day)
    harness.recommend(items)
    return harness.number


@pytest.fixture
def users(accounts: Accounts) -> dict[str, Account]:
    return {a.name: a for a in accounts.list()}


@pytest.fixture
def register(klachten) -> Register:
    return Register(klachten)


@pytest.fixture
def two_dossiers(harness: Harness) -> tuple[str, str]:
    """KL-..1 with the Kine and desk recommendations, KL-..2 (two days later) with the
    script."""
    first = _recommend(harness, [KINE, DESK])
    harness.k.clock.set(START + timedelta(days=2))
    second = _recommend(harness, [SCRIPT], day=47)
    return first, second


def _ids(page) -> list[int]:
    return [row.id for row in page.rows]


def _audit(klachten, number: str) -> list[dict]:
    return [a for a in klachten.dossier(number).audit if a.element == "verbeterregister"]


# ----- the runner: reading
def test_list_filters_search_and_sort(register, users, two_dossiers):
    first, second = two_dossiers
    lea = users["lea"]
    everything = register.page(lea, RegisterQuery())
    assert everything.total == 3 and everything.pages == 1
    assert [r.dossier_number for r in everything.rows] == [second, first, first]  # newest first
    assert [r.status for r in everything.rows] == ["open"] * 3
    assert everything.services == ["Kine", "Onthaal"] and everything.owners == []
    assert register.page(lea, RegisterQuery(sort="oudste")).rows[0].text == KINE["tekst"]
    assert [r.service for r in register.page(lea, RegisterQuery(sort="dienst")).rows] == [
        "Kine", "Onthaal", "Onthaal"]
    assert register.page(lea, RegisterQuery(service="Onthaal")).total == 2
    assert register.page(lea, RegisterQuery(search="KINESITHERAPIE")).rows[0].service == "Kine"
    assert register.page(lea, RegisterQuery(search="onthaal")).total == 2
    assert {r.dossier_number for r in register.page(lea, RegisterQuery(search=second)).rows} \
        == {second}
    # LIKE wildcards typed by the user are searched for literally
    assert register.page(lea, RegisterQuery(search="100%")).total == 1
    assert register.page(lea, RegisterQuery(search="_")).total == 0
    assert register.page(lea, RegisterQuery(status="afgewezen")).total == 0


def test_period_filter_counts_local_days(register, users, two_dossiers):
    lea = users["lea"]
    recorded = register.page(lea, RegisterQuery(sort="oudste")).rows[0].created_at
    day = recorded.date().isoformat()  # 09:00 UTC: the same day in Brussels
    assert register.page(lea, RegisterQuery(date_from=day, date_to=day)).total == 2
    assert register.page(lea, RegisterQuery(date_from=day)).total == 3
    assert register.page(lea, RegisterQuery(date_to=day)).total == 2
    later = (recorded + timedelta(days=3)).date().isoformat()
    assert register.page(lea, RegisterQuery(date_from=later)).total == 0


@pytest.mark.parametrize(("query", "field", "code"), [
    (RegisterQuery(status="gesloten"), "status", "enum"),
    (RegisterQuery(date_from="31-12-2026"), "van", "format"),
    (RegisterQuery(date_from="2026-05-02", date_to="2026-05-01"), "tot", "minimum"),
    (RegisterQuery(sort="willekeurig"), "sorteer", "enum"),
])
def test_bad_filters_are_clear_errors(register, users, query, field, code):
    with pytest.raises(ValidationFailed) as failed:
        register.page(users["lea"], query)
    assert failed.value.codes == {field: code}


def _many(harness: Harness, klachten) -> None:
    """One recommendation through the diagram and PAGE_SIZE more, later, straight in the table."""
    number = _recommend(harness, [KINE])
    with transaction(klachten.factory) as session:
        dossier_id = session.scalar(select(Dossier.id).where(Dossier.number == number))
        now = klachten.clock.now(session)
        session.add_all(Recommendation(dossier_id=dossier_id, text=f"aanbeveling {n}",
                                       service="Kine", created_at=now + timedelta(minutes=n))
                        for n in range(PAGE_SIZE))


def test_pages_of_the_register(register, users, harness, klachten):
    _many(harness, klachten)
    first = register.page(users["lea"], RegisterQuery())
    second = register.page(users["lea"], RegisterQuery(page=2))
    assert (first.total, first.pages, len(first.rows), len(second.rows)) == (
        PAGE_SIZE + 1, 2, PAGE_SIZE, 1)
    assert second.rows[0].text == KINE["tekst"]  # the oldest, last
    assert register.page(users["lea"], RegisterQuery(page=99)).page == 2


# ----- the runner: following up
def test_update_is_audited_with_old_and_new_values(register, users, two_dossiers, klachten):
    first, second = two_dossiers
    mia = users["mia"]
    entry = register.page(mia, RegisterQuery(search=first, sort="oudste")).rows[0]
    assert entry.version == 1
    assert register.update(mia, entry.id, Change("in_behandeling", "  Dienst Kine  "), 1)
    updated = register.entry(mia, entry.id)
    assert (updated.status, updated.owner, updated.version) == ("in_behandeling", "Dienst Kine", 2)
    [audit] = _audit(klachten, first)
    assert audit.actor == "mia" and audit.action == "aanbeveling gewijzigd"
    assert audit.details == {"aanbeveling": entry.id, "wijzigingen": {
        "status": {"van": "open", "naar": "in_behandeling"},
        "eigenaar": {"van": "", "naar": "Dienst Kine"}}}
    assert _audit(klachten, second) == []  # the trail of the recommendation's own dossier
    # the same values again: nothing changes, nothing is written
    assert not register.update(mia, entry.id, Change("in_behandeling", "Dienst Kine"), 2)
    assert register.entry(mia, entry.id).version == 2 and len(_audit(klachten, first)) == 1
    assert register.page(mia, RegisterQuery(owner="Dienst Kine")).total == 1
    assert register.page(mia, RegisterQuery(owner="-")).total == 2


def test_rejection_needs_a_reason_and_a_refusal_changes_nothing(register, users, two_dossiers,
                                                                klachten):
    first, _ = two_dossiers
    nora = users["nora"]  # the national mediator follows the register up too
    entry = register.page(nora, RegisterQuery(search=first)).rows[0]
    with pytest.raises(ValidationFailed) as failed:
        register.update(nora, entry.id, Change("afgewezen", "Kine", "   "), 1)
    assert failed.value.codes == {"reden_afwijzing": "required"}
    with pytest.raises(ValidationFailed) as unknown:
        register.update(nora, entry.id, Change("klaar", "x" * 201), 1)
    assert unknown.value.codes == {"status": "enum", "eigenaar": "maxLength"}
    assert "onbekende status 'klaar'" in unknown.value.reasons["status"]
    assert register.entry(nora, entry.id) == entry and _audit(klachten, first) == []
    register.update(nora, entry.id, Change("afgewezen", "Kine", "Te duur voor dit jaar."), 1)
    assert register.entry(nora, entry.id).rejection_reason == "Te duur voor dit jaar."
    register.update(nora, entry.id, Change("open", "Kine", "blijft niet"), 2)
    reopened = register.entry(nora, entry.id)
    assert (reopened.status, reopened.rejection_reason) == ("open", "")
    assert _audit(klachten, first)[-1].details["wijzigingen"]["reden_afwijzing"] == {
        "van": "Te duur voor dit jaar.", "naar": ""}


def test_a_conflicting_edit_is_refused(register, users, two_dossiers):
    mia, tom = users["mia"], users["tom"]
    entry = register.page(mia, RegisterQuery()).rows[0]
    register.update(mia, entry.id, Change("uitgevoerd", "Onthaal"), entry.version)
    with pytest.raises(Conflict):  # tom started from the same version
        register.update(tom, entry.id, Change("afgewezen", "Tom", "Niet nodig."), entry.version)
    with pytest.raises(ValidationFailed):
        register.update(tom, entry.id, Change("open"), None)
    kept = register.entry(mia, entry.id)
    assert (kept.status, kept.owner, kept.version) == ("uitgevoerd", "Onthaal", 2)


def test_notes_are_appended_in_order_and_audited(register, users, two_dossiers, klachten):
    first, _ = two_dossiers
    mia, tom = users["mia"], users["tom"]
    entry = register.page(mia, RegisterQuery(search=first)).rows[0]
    register.add_note(mia, entry.id, "Gevraagd aan de dienst Kine.")
    klachten.clock.set(klachten.clock.now() + timedelta(days=3))
    register.add_note(tom, entry.id, "  Brochure wordt aangepast.  ")
    for bad, code in [("   ", "required"), ("x" * 4001, "maxLength")]:
        with pytest.raises(ValidationFailed) as failed:
            register.add_note(mia, entry.id, bad)
        assert failed.value.codes == {"notitie": code}
    notes = register.entry(users["lea"], entry.id).notes
    assert [(n.author, n.text) for n in notes] == [
        ("mia", "Gevraagd aan de dienst Kine."), ("tom", "Brochure wordt aangepast.")]
    assert notes[0].at < notes[1].at
    assert [a.details["notitie"] for a in _audit(klachten, first)] == [
        "Gevraagd aan de dienst Kine.", "Brochure wordt aangepast."]
    assert register.entry(mia, entry.id).version == entry.version  # a note edits nothing


@pytest.mark.parametrize("name", ["lea", "bert"])
def test_readers_may_read_but_not_update(register, users, two_dossiers, name):
    reader = users[name]
    entry = register.page(reader, RegisterQuery()).rows[0]
    with pytest.raises(Forbidden):
        register.update(reader, entry.id, Change("uitgevoerd"), entry.version)
    with pytest.raises(Forbidden):
        register.add_note(reader, entry.id, "Mag niet.")
    with pytest.raises(NotFound):
        register.entry(reader, 999_999)


# ----- the pages
def _text(response) -> str:
    return response.get_data(as_text=True)


def _detail_url(register, users) -> tuple[str, int]:
    entry = register.page(users["lea"], RegisterQuery(sort="oudste")).rows[0]
    return f"/bemiddeling/aanbevelingen/{entry.id}", entry.id


def test_signed_out_is_sent_to_the_login(client, accounts, two_dossiers):
    for url in ("/bemiddeling/aanbevelingen", "/bemiddeling/aanbevelingen/1"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("name", ["lea", "bert"])
def test_readers_see_the_register_without_forms_and_get_403_on_update(
        staff: Staff, register, users, two_dossiers, name):
    first, _ = two_dossiers
    url, entry_id = _detail_url(register, users)
    staff.login(name)
    listing = _text(staff.get("/bemiddeling/aanbevelingen"))
    assert "Verbeterregister" in listing and first in listing and KINE["tekst"] in listing
    assert f'href="{url}"' in listing
    detail = _text(staff.get(url))
    assert KINE["tekst"] in detail and "Opslaan" not in detail and "Notitie toevoegen" not in detail
    refused = staff.post(url, {"status": "uitgevoerd", "versie": "1"}, form_page=url)
    assert refused.status_code == 403
    assert staff.post(f"{url}/notities", {"notitie": "x"}, form_page=url).status_code == 403
    assert register.entry(users["lea"], entry_id).status == "open"


def test_mediator_updates_through_the_form(staff: Staff, register, users, two_dossiers,
                                           klachten):
    first, _ = two_dossiers
    url, entry_id = _detail_url(register, users)
    staff.login("mia")
    page = _text(staff.get(url))
    assert page.count("<form") == page.count('name="csrf_token"')
    assert 'name="versie" value="1"' in page
    refused = staff.post(url, {"status": "afgewezen", "eigenaar": "Dienst <b>Kine</b>",
                               "reden_afwijzing": "", "versie": "1"})
    body = _text(refused)
    assert refused.status_code == 400
    assert "Schrijf waarom de aanbeveling wordt afgewezen." in body
    assert 'value="Dienst &lt;b&gt;Kine&lt;/b&gt;"' in body
    assert register.entry(users["mia"], entry_id).status == "open"
    done = staff.post(url, {"status": "afgewezen", "eigenaar": "Dienst Kine",
                            "reden_afwijzing": "Past niet in het budget.", "versie": "1"})
    assert done.status_code == 302 and done.headers["Location"] == url
    page = _text(staff.get(url))
    assert "De aanbeveling is bijgewerkt." in page and "Past niet in het budget." in page
    noted = staff.post(f"{url}/notities", {"notitie": "Volgend jaar opnieuw bekijken."},
                       form_page=url)
    assert noted.status_code == 302
    assert "Volgend jaar opnieuw bekijken." in _text(staff.get(url))
    empty = staff.post(f"{url}/notities", {"notitie": " "}, form_page=url)
    assert empty.status_code == 400 and "Schrijf een opvolgnotitie." in _text(empty)
    dossier = _text(staff.get(f"/bemiddeling/dossiers/{first}"))
    assert f'href="{url}"' in dossier and "afgewezen" in dossier
    assert "status: open → afgewezen" in dossier


def test_a_stale_form_is_refused_with_the_fresh_state(staff: Staff, register, users,
                                                      two_dossiers):
    url, entry_id = _detail_url(register, users)
    staff.login("mia")
    register.update(users["tom"], entry_id, Change("uitgevoerd", "Tom"), 1)
    stale = staff.post(url, {"status": "open", "eigenaar": "Mia", "versie": "1"})
    assert stale.status_code == 302
    page = _text(staff.get(url))
    assert "Iemand anders wijzigde deze aanbeveling intussen." in page
    assert 'name="versie" value="2"' in page
    assert register.entry(users["mia"], entry_id).owner == "Tom"


def test_post_without_csrf_token_changes_nothing(staff: Staff, register, users,
                                                 two_dossiers):
    url, entry_id = _detail_url(register, users)
    staff.login("mia")
    response = staff.client.post(url, data={"status": "uitgevoerd", "versie": "1"})
    assert response.status_code == 400 and "Formulier verlopen" in _text(response)
    assert register.entry(users["mia"], entry_id).status == "open"


def test_recommendation_text_is_escaped_everywhere(staff: Staff, register, users,
                                                   two_dossiers):
    _, second = two_dossiers
    [entry] = register.page(users["lea"], RegisterQuery(search=second)).rows
    staff.login("lea")
    for url in ("/bemiddeling/aanbevelingen", f"/bemiddeling/aanbevelingen/{entry.id}",
                f"/bemiddeling/dossiers/{second}",
                "/bemiddeling/aanbevelingen?zoek=<script>"):
        page = _text(staff.get(url))
        assert "<script>alert" not in page and "&lt;script&gt;" in page, url


def test_page_links_keep_the_filters(staff: Staff, harness, klachten):
    _many(harness, klachten)
    staff.login("lea")
    first = _text(staff.get("/bemiddeling/aanbevelingen?dienst=Kine&sorteer=oudste"))
    assert "Pagina 1 van 2" in first and KINE["tekst"] in first
    link = re.search(r'<a href="([^"]+)">Volgende</a>', first).group(1)
    assert "dienst=Kine" in link and "sorteer=oudste" in link and "pagina=2" in link
    second = _text(staff.get(link.replace("&amp;", "&")))
    assert "Pagina 2 van 2" in second and KINE["tekst"] not in second
    assert "Pagina 1 van 2" in _text(staff.get("/bemiddeling/aanbevelingen?pagina=abc"))


def test_bad_filter_is_a_dutch_message_and_the_page_is_in_french_too(
        staff: Staff, two_dossiers):
    staff.login("lea")
    bad_date = staff.get("/bemiddeling/aanbevelingen?van=gisteren")
    assert bad_date.status_code == 400
    assert "Vanaf: vul een datum in als JJJJ-MM-DD." in _text(bad_date)
    bad_status = staff.get("/bemiddeling/aanbevelingen?status=klaar")
    assert bad_status.status_code == 400 and \
        "Kies een status: open, in behandeling, uitgevoerd of afgewezen." in _text(bad_status)
    french = _text(staff.get("/bemiddeling/aanbevelingen?taal=fr"))
    assert "Registre des améliorations" in french and "ouverte" in french
    filtered = _text(staff.get("/bemiddeling/aanbevelingen?dienst=Kine&taal=nl"))
    assert "Aanbevelingen gevonden: 1" in filtered and DESK["tekst"] not in filtered


def test_only_mediators_get_the_edit_permission():
    from runner.accounts.users import PERMISSIONS, READ_REGISTER, ROLES, SERVICE, UPDATE_REGISTER

    # Every staff role reads the register; a service's contact sees only its consultations.
    assert {role for role in ROLES if READ_REGISTER in PERMISSIONS[role]} == set(ROLES) - {SERVICE}
    assert {role for role in ROLES if UPDATE_REGISTER in PERMISSIONS[role]} == {
        "klachtenbemiddelaar", "nationale klachtenbemiddelaar"}


def test_every_status_and_sort_has_a_label():
    from runner.reports.improvement_register import SORTS, STATUSES
    from web.register import SORT_LABELS, STATUS_LABELS

    assert list(STATUS_LABELS) == list(STATUSES) and set(SORT_LABELS) == set(SORTS)
