"""What a member sees and keeps (issue 12, members; issue 14 item 10): one dossier per posted
form, the access code shown once and never in the session cookie, the answer on the status
page with dates that follow the dossier, kept input, and a plain "you are not signed in"."""

from __future__ import annotations

import re

from conftest import Harness, Site
from sqlalchemy import func, select

from runner.bpmn.store import transaction
from runner.members.confirmations import CODE_SHOWN_WITHIN, SAME_SUBMISSION_WITHIN
from runner.members.status_page import PASS_LIFETIME
from runner.store import Dossier, FormSubmission, Notice

FORM_TOKEN = re.compile(r'name="formulier" value="([^"]+)"')


def _text(response) -> str:
    return response.get_data(as_text=True)


def _form_token(site: Site) -> str:
    return FORM_TOKEN.search(_text(site.get("/klacht"))).group(1)


def _count(klachten, model) -> int:
    with transaction(klachten.factory) as session:
        return session.scalar(select(func.count()).select_from(model))


def _code(page: str) -> str | None:
    found = re.search(r'id="toegangscode">([^<]+)<', page)
    return found.group(1) if found else None


def test_the_same_form_posted_twice_makes_one_dossier_and_one_acknowledgement(site: Site,
                                                                                  klachten):
    token = _form_token(site)
    first = site.submit(formulier=token)
    second = site.submit(formulier=token)  # a double click, or back and send again
    assert first.status_code == second.status_code == 302
    assert _count(klachten, Dossier) == 1
    with transaction(klachten.factory) as session:
        kinds = session.scalars(select(Notice.kind)).all()
    assert kinds.count("ontvangstmelding") == 1
    page = _text(site.get("/klacht/bevestiging"))
    assert "KL-2026-00001" in page and _code(page)
    site.submit(formulier=_form_token(site), omschrijving="Een andere klacht over mijn "
                "uitkering.")  # a new form with another complaint is a new complaint
    assert _count(klachten, Dossier) == 2


def test_back_and_send_again_with_a_fresh_form_makes_no_second_dossier(site: Site, klachten):
    """"Back" loads the form again (pages are never cached), with a new token: the same
    e-mail address, name and text within the window is still the same complaint."""
    site.submit(formulier=_form_token(site))
    page = _text(site.get("/klacht/bevestiging"))
    assert "KL-2026-00001" in page and _code(page)
    again = site.submit(formulier=_form_token(site), omschrijving="  Ik kreeg te weinig "
                        "terugbetaald voor mijn KINESITHERAPIE.  ")
    assert again.status_code == 302
    assert _count(klachten, Dossier) == 1
    with transaction(klachten.factory) as session:
        assert session.scalars(select(Notice.kind)).all().count("ontvangstmelding") == 1
    page = _text(site.get("/klacht/bevestiging"))
    assert "KL-2026-00001" in page and "al één keer getoond" in page
    klachten.clock.set(klachten.clock.now() + SAME_SUBMISSION_WITHIN)
    site.submit(formulier=_form_token(site))  # the same text much later: a new complaint
    assert _count(klachten, Dossier) == 2
    with transaction(klachten.factory) as session:  # the hash is kept no longer than needed
        assert session.scalars(select(FormSubmission.content_key)
                               .where(FormSubmission.content_key.is_not(None))).all() == [
            session.scalar(select(FormSubmission.content_key)
                           .order_by(FormSubmission.created_at.desc()).limit(1))]


def test_twin_posts_at_the_same_moment_make_one_dossier(app, klachten):
    from conftest import complaint_fields, run_together

    token = "t" * 43
    answers = []

    def post() -> None:
        client = app.test_client()
        page = _text(client.get("/klacht"))
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        answers.append(client.post("/klacht", data={**complaint_fields(), "csrf_token": csrf,
                                                    "formulier": token}).status_code)

    run_together(post, post, post)
    assert answers == [302, 302, 302]
    assert _count(klachten, Dossier) == 1 and _count(klachten, FormSubmission) == 1


def test_the_session_cookie_never_holds_the_access_code(site: Site, klachten):
    """Issue 14 item 10: the signed (readable) cookie kept {'bevestiging': {'code': ...}}."""
    site.submit(formulier=_form_token(site))
    with site.client.session_transaction() as session:
        stored = repr(dict(session))
    with transaction(klachten.factory) as db:
        sealed = db.scalar(select(FormSubmission.sealed_code))
    page = _text(site.get("/klacht/bevestiging"))
    code = _code(page)
    assert code and code not in stored and code.replace("-", "") not in stored
    assert code not in sealed  # at rest only sealed, with a key the database does not hold
    assert site.get("/klacht/bevestiging").headers["Cache-Control"] == "no-store"


def test_the_access_code_is_shown_once_and_a_replayed_cookie_shows_it_no_more(site: Site,
                                                                              klachten):
    site.submit(formulier=_form_token(site))
    cookie = site.client.get_cookie("session").value
    first = _text(site.get("/klacht/bevestiging"))
    assert _code(first)
    site.client.set_cookie("session", cookie)  # the cookie as it was before the first view
    again = _text(site.get("/klacht/bevestiging"))
    assert _code(again) is None and "KL-2026-00001" in again
    assert "al één keer getoond" in again
    with transaction(klachten.factory) as session:
        assert session.scalar(select(FormSubmission.sealed_code)) is None


def test_a_code_nobody_came_to_see_is_forgotten(site: Site, klachten):
    site.submit(formulier=_form_token(site))
    cookie = site.client.get_cookie("session").value
    klachten.clock.set(klachten.clock.now() + CODE_SHOWN_WITHIN)
    site.client.set_cookie("session", cookie)
    site.submit(formulier=_form_token(site), omschrijving="Een tweede, andere klacht.")
    # any later submission prunes old codes
    with transaction(klachten.factory) as session:
        sealed = session.scalars(select(FormSubmission.sealed_code)
                                 .order_by(FormSubmission.created_at)).all()
    assert sealed[0] is None and sealed[1] is not None


def test_status_page_shows_the_answer_and_drops_dates_that_passed(site: Site, klachten):
    number, code = site.file_complaint()
    site.sign_in(number, code)
    before = _text(site.get("/status"))
    assert "Gemotiveerd antwoord beoogd uiterlijk op" in before
    harness = Harness(klachten)
    harness.number = number
    harness.admissible().investigate().answer("deels gegrond")
    page = _text(site.get("/status"))
    assert "Ons gemotiveerd antwoord" in page and "Uw klacht is deels gegrond." in page
    assert "Wij hebben het bedrag herberekend en bijgestort." in page
    assert "Gemotiveerd antwoord beoogd uiterlijk op" not in page
    assert "Ontvangstmelding uiterlijk op" not in page
    assert "Niet akkoord laten weten kan tot en met" in page
    french = _text(site.get("/status?taal=fr"))
    assert "Notre réponse motivée" in french and "partiellement fondée" in french
    harness.at_day(60)  # the reaction window closed: the dossier is closed
    site.sign_in(number, code)  # weeks later: a new pass
    closed = _text(site.get("/status?taal=nl"))
    assert "Afgesloten op" in closed and "beoogd uiterlijk" not in closed
    assert "Wij hebben het bedrag herberekend en bijgestort." in closed


def test_an_inadmissible_complaint_shows_the_motivation(site: Site, klachten):
    number, code = site.file_complaint()
    site.sign_in(number, code)
    harness = Harness(klachten)
    harness.number = number
    harness.complete("ontvankelijkheid_beoordelen", {
        "ontvankelijk": "nee", "reden": "geen_verband",
        "motivatie": "Uw klacht gaat over uw werkgever, niet over het ziekenfonds."})
    page = _text(site.get("/status"))
    assert "Waarom wij uw klacht niet kunnen behandelen" in page
    assert "Uw klacht gaat over uw werkgever, niet over het ziekenfonds." in page
    assert "beoogd uiterlijk" not in page


def test_a_wrong_notice_code_keeps_what_was_typed(site: Site):
    number, _ = site.file_complaint()
    page = _text(site.post("/status/bericht", {"bericht.nummer": number,
                                               "bericht.code": "ABCD-1234"}))
    assert "Controleer wat u intypte" in page
    assert f'value="{number}"' in page and 'value="ABCD-1234"' in page


def test_an_expired_or_ended_session_says_so_instead_of_a_wrong_code(site: Site, klachten):
    number, code = site.file_complaint()
    site.sign_in(number, code)
    klachten.clock.set(klachten.clock.now() + PASS_LIFETIME)
    for response in (site.get("/status"), site.get("/status/niet-akkoord")):
        page = _text(response)
        assert response.status_code == 401 and "niet aangemeld" in page
        assert "klopt niet" not in page and "foutoverzicht" not in page


def test_status_controls_are_real_buttons_not_white_links(site: Site, klachten):
    number, code = site.file_complaint()
    harness = Harness(klachten)
    harness.number = number
    harness.admissible().investigate().answer()
    site.sign_in(number, code)
    page = _text(site.get("/status"))
    assert re.search(r'<a class="knop" href="/status/niet-akkoord">', page)
    assert re.search(r'<a class="knop knop--tweede" href="/status/intrekken">', page) is None \
        or "knop--link" not in page
    assert "knop--link" not in page.split('<main', 1)[1]
