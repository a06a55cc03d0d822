"""Staff pages people can work from (issue 12, items 6 and 8): each role starts on its own
page, the werkbak sorts, "Gepost" completes the print-and-post task, the users page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import PASSWORD, Harness, Staff, complaint


def _text(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize(("user", "start"), [
    ("mia", "/bemiddeling/taken"), ("nora", "/bemiddeling/taken"),
    ("bert", "/beheer/gebruikers"), ("lea", "/bemiddeling/rapporten")])
def test_each_role_lands_on_its_own_start_page(staff: Staff, user, start):
    response = staff.login(user)
    assert response.status_code == 302 and response.headers["Location"] == start
    page = staff.get(start)
    assert page.status_code == 200
    # The member's reassurance ("your complaint ... free and confidential") is not theirs.
    assert "kosteloos en vertrouwelijk" not in _text(page)


def test_the_public_pages_say_handling_is_free_and_confidential(client):
    for url in ("/klacht", "/status"):
        assert "De behandeling van uw klacht is kosteloos en vertrouwelijk." in _text(
            client.get(url))


def test_gepost_in_the_print_queue_completes_the_posting_task(staff: Staff, klachten):
    harness = Harness(klachten)
    harness.k.submit(complaint(klager={"voornaam": "Jan", "achternaam": "Post",
                                       "adres": "Kerkstraat 1\n9000 Gent"}))
    harness.number = "KL-2026-00001"
    assert harness.task("ontvangstmelding_posten")
    staff.login("mia")
    queue = _text(staff.get("/bemiddeling/brieven"))
    code = re.search(r'/brieven/([A-Z0-9]+)/gepost', queue).group(1)
    response = staff.post(f"/bemiddeling/dossiers/{harness.number}/brieven/{code}/gepost", {},
                          form_page="/bemiddeling/brieven")
    assert response.status_code == 302
    assert [t.name for t in harness.open_tasks()] == ["ontvankelijkheid_beoordelen"]
    assert "Er wachten geen brieven." in _text(staff.get("/bemiddeling/brieven"))
    posted = [a for a in harness.info.audit if a.action in ("brief gepost", "taak voltooid")]
    assert {a.action for a in posted} == {"brief gepost", "taak voltooid"}


def test_the_werkbak_sorts_by_any_column_both_ways(staff: Staff, klachten):
    for first, last in (("Bram", "Aerts"), ("Zoë", "Wouters"), ("Mila", "Maes")):
        Harness(klachten).submit(klager={"voornaam": first, "achternaam": last,
                                         "email": "x@example.be"})
    staff.login("mia")

    def names(query: str) -> list[str]:
        page = _text(staff.get(f"/bemiddeling/taken?{query}"))
        return re.findall(r"<td><bdi>([^<]+)</bdi></td>", page)

    assert names("sorteer=klager") == ["Bram Aerts", "Mila Maes", "Zoë Wouters"]
    assert names("sorteer=klager&richting=af") == ["Zoë Wouters", "Mila Maes", "Bram Aerts"]
    page = _text(staff.get("/bemiddeling/taken?sorteer=klager"))
    assert 'aria-sort="ascending"' in page and "sorteer=dossier" in page
    assert len(names("sorteer=onzin")) == 3  # an unknown column sorts by due date


def test_the_users_page_offers_no_disable_for_ones_own_row(staff: Staff):
    staff.login("bert")
    page = _text(staff.get("/beheer/gebruikers"))
    own_row = page.split("<td><bdi>bert</bdi>", 1)[1].split("</tr>", 1)[0]
    assert "Uitschakelen" not in own_row and "uw eigen account" in own_row
    other_row = page.split("<td><bdi>mia</bdi>", 1)[1].split("</tr>", 1)[0]
    assert "Uitschakelen" in other_row


def test_a_short_password_says_it_is_too_short(staff: Staff):
    staff.login("bert")
    response = staff.post("/beheer/gebruikers", {"naam": "kim", "wachtwoord": "abcd",
                                                 "rol": "lezer"})
    page = _text(response)
    assert response.status_code == 400 and "Wachtwoord: minstens 12 tekens." in page
    assert "dit veld is verplicht" not in page


def test_an_expired_session_on_a_task_form_keeps_the_typed_text(staff: Staff, klachten):
    harness = Harness(klachten).submit()
    task = harness.task("ontvankelijkheid_beoordelen").id
    path = f"/bemiddeling/taken/{task}"
    staff.login("mia")
    form = _text(staff.get(path))
    version = re.search(r'name="versie" value="(\d+)"', form).group(1)
    token = Staff.TOKEN.search(form).group(1)
    staff.client.delete_cookie("session")  # 30 idle minutes later the cookie is gone
    typed = {"ontvankelijk": "nee", "reden": "andere",
             "motivatie": "Een lange motivatie die niet verloren mag gaan.", "versie": version}
    # the browser sends the form's token and names our site as its origin
    expired = staff.client.post(path, data={"csrf_token": token, **typed},
                                headers={"Origin": "http://localhost"})
    page = _text(expired)
    assert expired.status_code == 401 and "Uw sessie is verlopen" in page
    assert 'value="Een lange motivatie die niet verloren mag gaan."' in page
    assert 'action="/login?volgende=' in page and 'href="/status"' not in page.split("<main")[1]
    kept = dict(re.findall(r'<input type="hidden" name="(bewaard:[^"]+)" value="([^"]*)"', page))
    again = staff.post(f"/login?volgende={path}", {"naam": "mia", "wachtwoord": PASSWORD, **kept},
                       form_page="/login")
    assert again.status_code == 200 and "U bent opnieuw aangemeld" in _text(again)
    assert "Een lange motivatie die niet verloren mag gaan.</bdi>" in _text(again)  # readable
    restored = staff.post(path, {"actie": "herstellen", **typed}, form_page="/login")
    assert "Een lange motivatie die niet verloren mag gaan.</textarea>" in _text(restored)
    assert harness.task("ontvankelijkheid_beoordelen")  # nothing sent yet
    done = staff.post(path, typed, form_page=path)
    assert done.status_code == 302
    assert [t.name for t in harness.open_tasks()] != ["ontvankelijkheid_beoordelen"]


def test_a_closed_dossiers_recommendation_task_is_due_30_days_after_closure(klachten):
    """Issue 12: every closed dossier added a step-8 task without a due date; the model now
    gives it one (termijnen.dmn, rule ``aanbeveling``, counted from the closure)."""
    harness = Harness(klachten).submit().admissible().investigate().answer()
    harness.advance(31)  # no reaction: closed (a withdrawal gets no step-8 task any more)
    [task] = harness.open_tasks()
    assert harness.info.closed and task.name == "aanbeveling"
    due = task.due_at
    assert timedelta(days=30) <= due - klachten.clock.now() <= timedelta(days=34)
