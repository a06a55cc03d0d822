"""The mediators' workbench (issue 12): the case beside the task, the timeline in people's
words, labels instead of the model's codes in nl and fr, and one last day per deadline on
every page, the notice and the API."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from conftest import Harness, Site, Staff
from smtp_server import SENDER

from runner.definition.model import default_processes_dir
from runner.design.label_coverage import missing_labels
from runner.design.lint import lint
from runner.notices.mail import EmlFolder, Sender
from runner.notices.outbox import Outbox
from runner.procedure import OPERATORS

MOTIVATION = "De klager is bekend en de klacht gaat over onze dienst."
FINDINGS = "Het bedrag van de kinesitherapie werd verkeerd berekend."
ANSWER = "Wij hebben het bedrag herberekend en het verschil bijgestort."
DISAGREEMENT = "Het bijgestorte bedrag is nog altijd te laag."


class _VisibleText(HTMLParser):
    """The text a reader sees: without scripts, styles and the server-drawn diagram (the
    designer's drawing, replaced by bpmn-js)."""

    SKIPPED = frozenset({"script", "style", "svg"})
    INLINE = frozenset({"a", "strong", "em", "span", "b", "i", "code", "abbr", "bdi"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.depth = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in self.SKIPPED:
            self.depth += 1
        elif tag not in self.INLINE:
            self.parts.append(" ")

    def handle_endtag(self, tag) -> None:
        if tag in self.SKIPPED:
            self.depth -= 1
        elif tag not in self.INLINE:
            self.parts.append(" ")

    def handle_data(self, data) -> None:
        if not self.depth:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return " ".join("".join(parser.parts).split())


def _page(client, url: str, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _through_national(harness: Harness, **overrides) -> Harness:
    """A dossier handled by mia up to the complainant's disagreement."""
    harness.submit(**overrides)
    harness.complete("ontvankelijkheid_beoordelen",
                     {"ontvankelijk": "ja", "motivatie": MOTIVATION})
    harness.advance(22)  # one status notice
    harness.advance(21)  # and a second
    harness.complete("onderzoek", {"bevindingen": FINDINGS})
    harness.complete("gemotiveerd_antwoord", {"uitkomst": "deels gegrond", "antwoord": ANSWER})
    return harness.message("klager_niet_akkoord", {"reden": DISAGREEMENT})


@pytest.fixture
def mia(app, accounts) -> Staff:
    staff = Staff(app.test_client())
    staff.login("mia")
    return staff


# ----- 1. the case beside the task
def test_national_mediator_sees_the_whole_first_handling_beside_the_form(
        app, accounts, harness: Harness):
    _through_national(harness, taal="fr")  # the clock moved: sign in afterwards
    nora = Staff(app.test_client())
    nora.login("nora")
    task = harness.task("nationaal_onderzoek").id
    page = visible(_page(nora.client, f"/bemiddeling/taken/{task}"))
    for seen in ("Ik kreeg te weinig terugbetaald", "An", "Peeters", "Taal van de klager: Frans",
                 "Kanaal: Website", "Categorie: Terugbetaling",
                 "Voorstel van de voorafgaande toets: Ontvankelijk",
                 "Is de klacht ontvankelijk? Ontvankelijk", MOTIVATION, FINDINGS,
                 "Uitkomst Deels gegrond", ANSWER, "De klager gaat niet akkoord", DISAGREEMENT,
                 "Gemotiveerd antwoord (E-mail", "Statusbericht", "Uw beslissing",
                 "Taak voltooien"):
        assert seen in page, seen
    assert page.index("Het dossier") < page.index("Uw beslissing")  # case first, then form


def test_admissibility_task_shows_the_pre_check_suggestion_and_its_reason(
        harness: Harness, mia: Staff):
    harness.submit(klager={"voornaam": "", "achternaam": ""})
    task = harness.task("ontvankelijkheid_beoordelen").id
    page = visible(_page(mia.client, f"/bemiddeling/taken/{task}"))
    assert "Voorstel van de voorafgaande toets: Niet ontvankelijk" in page
    assert "Reden: Anonieme klacht" in page
    french = visible(_page(mia.client, f"/bemiddeling/taken/{task}?taal=fr"))
    assert "Évaluer la recevabilité" in french and "La plainte est-elle recevable ?" in french
    assert "Is de klacht ontvankelijk?" not in french  # the form's own Dutch title
    assert "Proposition du contrôle préalable : Non recevable" in french
    assert "Raison : Plainte anonyme" in french
    assert "Sans rapport avec la mutualité ou ses services" in french  # a reason's option


# ----- 2. the timeline
def test_timeline_in_peoples_words_with_engine_steps_on_request(
        app, accounts, harness: Harness, klachten, tmp_path):
    _through_national(harness)  # 43 days on the clock: sign in afterwards
    mia = Staff(app.test_client())
    mia.login("mia")
    Outbox(klachten, EmlFolder(tmp_path / "mail"), Sender(SENDER)).deliver_due()
    url = f"/bemiddeling/dossiers/{harness.number}"
    page = visible(_page(mia.client, url))
    timeline = page[page.index("Tijdlijn"):page.index("Berichten", page.index("Tijdlijn"))]
    assert "Klacht ontvangen via Website" in timeline
    assert "Ontvangstmelding verzonden per e-mail" in timeline
    dash = "\u2013"
    assert (f"mia: Ontvankelijkheid beoordelen {dash} Ontvankelijk {dash} {MOTIVATION[:40]}"
            in timeline)
    assert "Statusbericht 2 verzonden per e-mail" in timeline
    assert f"De klager gaat niet akkoord met het antwoord: “{DISAGREEMENT}”" in timeline
    for engine in ("termijnen_bepalen", "per_brief", "is_ontvankelijk", "Termijnen berekenen"):
        assert engine not in timeline
    assert "Toon ook de stappen van het systeem" in page
    everything = visible(_page(mia.client, url, query_string={"systeemstappen": "ja"}))
    assert "Systeem: Termijnen berekenen" in everything
    assert "termijnen_bepalen" not in everything  # named by the diagram's words, not ids


def test_dossier_page_keeps_the_address_lines(harness: Harness, mia: Staff):
    harness.submit(klager={"voornaam": "An", "achternaam": "Peeters",
                           "adres": "Kerkstraat 1\n9000 Gent"})
    html = _page(mia.client, f"/bemiddeling/dossiers/{harness.number}")
    assert re.search(r'<dd class="adres"><bdi>Kerkstraat 1\n9000 Gent</bdi></dd>', html)


# ----- 4. labels, never codes
def _codes(klachten) -> tuple[set[str], set[str]]:
    """The model's codes: identifiers (never readable text in any language) and the
    categories (Dutch words: never on a French page)."""
    model = klachten.latest_model()
    identifiers = {spec.name for spec in model.all_task_specs() if "_" in spec.name}
    identifiers |= {"geen_verband", "reeds_behandeld", "termijnen_bepalen", "deels_gegrond"}
    categories = set(model.settings["categorieen"])
    return identifiers, categories


def test_no_model_code_is_visible_on_any_staff_or_member_page_in_either_language(
        app, accounts, harness: Harness, klachten):
    _through_national(harness, kanaal="web")
    first = Harness(klachten).submit(categorie="geen verband", omschrijving="Over iets anders.")
    number, code = harness.number, harness.access_code
    identifiers, categories = _codes(klachten)
    mediator, national, member = (Staff(app.test_client()) for _ in range(3))
    mediator.login("mia")
    national.login("nora")
    assert member.sign_in(number, code).status_code in (200, 302)
    pages = [(mediator, "/bemiddeling/taken"), (mediator, f"/bemiddeling/dossiers/{number}"),
             (mediator, f"/bemiddeling/dossiers/{first.number}"),
             (mediator, f"/bemiddeling/taken/{first.task('ontvankelijkheid_beoordelen').id}"),
             (national, f"/bemiddeling/taken/{harness.task('nationaal_onderzoek').id}"),
             (member, "/status")]
    for language in ("nl", "fr"):
        for who, url in pages:
            text = visible(_page(who.client, url, query_string={"taal": language}))
            for identifier in identifiers:
                assert not re.search(rf"\b{re.escape(identifier)}\b", text), (url, identifier)
            assert not re.search(r"\b\d(, \d)+\b", text), url  # the step filter's "2, 3, 4"
            if language == "fr":
                for category in categories:
                    assert not re.search(rf"(?i)\b{re.escape(category)}\b", text), (url,
                                                                                   category)


def test_step_filter_and_columns_read_labels(harness: Harness, mia: Staff):
    harness.submit()
    page = _page(mia.client, "/bemiddeling/taken")
    assert '<option value="3">3 · Ontvankelijkheid</option>' in page
    assert "Terugbetaling" in visible(page)
    french = _page(mia.client, "/bemiddeling/taken?taal=fr")
    assert '<option value="3">3 · Recevabilité</option>' in french
    assert "Évaluer la recevabilité" in french and "Remboursement" in french


def test_a_designer_adds_a_category_with_labels_and_lint_checks_both(processes_copy):
    settings = processes_copy / "instellingen.json"
    data = json.loads(settings.read_text())
    data["categorieen"].append("medische kosten")
    settings.write_text(json.dumps(data))
    problems = [p.message for p in lint(processes_copy, OPERATORS)]
    assert "categorie 'medische kosten' heeft geen label in het nl" in problems
    assert "categorie 'medische kosten' heeft geen label in het fr" in problems
    labels_file = processes_copy / "labels.json"
    labels = json.loads(labels_file.read_text())
    labels["categorie"]["medische kosten"] = {"nl": "Medische kosten", "fr": "Frais médicaux"}
    labels_file.write_text(json.dumps(labels))
    assert lint(processes_copy, OPERATORS) == []


def test_every_code_of_the_shipped_model_has_both_labels(klachten):
    assert missing_labels(klachten.latest_model()) == []


# ----- 5. one deadline, one date
def test_werkbak_task_dossier_status_notice_and_api_show_the_same_last_day(
        app, accounts, klachten, harness: Harness):
    """The answer deadline of a complaint received on 2 March 2026 ends on 16 April 2026;
    its due instant is 17 April 00:00 in Brussels, which the werkbak used to show."""
    harness.submit()
    harness.complete("ontvankelijkheid_beoordelen", {"ontvankelijk": "ja"})
    klachten.clock.set(datetime(2026, 4, 13, 9, 0, tzinfo=UTC))
    number, code = harness.number, harness.access_code
    last_nl, last_fr = "16 april 2026", "16 avril 2026"
    mediator = Staff(app.test_client())
    mediator.login("mia")
    task = harness.task("onderzoek").id

    werkbak = visible(_page(mediator.client, "/bemiddeling/taken"))
    assert last_nl in werkbak and "17 april 2026" not in werkbak
    task_page = visible(_page(mediator.client, f"/bemiddeling/taken/{task}"))
    assert f"Termijn: uiterlijk {last_nl} (nog 3 dagen)" in task_page
    dossier = visible(_page(mediator.client, f"/bemiddeling/dossiers/{number}"))
    assert f"Gemotiveerd antwoord uiterlijk {last_nl} (nog 3 dagen)" in dossier
    assert "17 april 2026" not in dossier and "17-04-2026" not in dossier
    french = visible(_page(mediator.client, f"/bemiddeling/taken/{task}?taal=fr"))
    assert f"au plus tard le {last_fr} (encore 3 jours)" in french
    assert "un message d'état tous les 21 jours" in french  # x-fr, with the rule's value

    member = Site(app.test_client())
    member.sign_in(number, code)
    assert last_nl in visible(_page(member.client, "/status"))
    notice = next(n for n in klachten.dossier(number).notices
                  if n.kind == "ontvangstmelding")
    assert f"uiterlijk op {last_nl}" in notice.body

    token = accounts.new_token("mia")
    api = app.test_client().get("/api/v1/taken", headers={"Authorization": f"Bearer {token}"})
    row = next(t for t in api.get_json()["taken"] if t["id"] == task)
    assert row["laatste_dag"] == "2026-04-16"
    assert klachten.dossier(number).deadlines["antwoord"].due_date.isoformat() == "2026-04-16"

    klachten.clock.set(datetime(2026, 4, 18, 9, 0, tzinfo=UTC))
    mediator.login("mia")  # the session ended with the clock's five days
    late = visible(_page(mediator.client, f"/bemiddeling/taken/{task}?taal=nl"))
    assert f"uiterlijk {last_nl} (2 dagen te laat)" in late



def test_a_met_deadline_shows_the_day_it_was_met_and_a_late_one_its_delay(
        app, accounts, klachten, harness: Harness, tmp_path):
    """Received on 2 March 2026: the acknowledgement leaves that day and the admissibility
    is decided that day; another dossier's admissibility is decided two days late."""
    harness.submit()
    Outbox(klachten, EmlFolder(tmp_path / "mail"), Sender(SENDER)).deliver_due()
    harness.admissible()
    late = Harness(klachten).submit()
    late.advance(17).admissible()  # 19 March; its last day was 17 March
    harness.advance(3)  # 22 March: both last days long past
    mia = Staff(app.test_client())
    mia.login("mia")
    page = visible(_page(mia.client, f"/bemiddeling/dossiers/{harness.number}"))
    assert "Ontvangstmelding uiterlijk 10 maart 2026 (op tijd, op 2 maart 2026)" in page
    assert ("Beslissing over de ontvankelijkheid uiterlijk 17 maart 2026 "
            "(op tijd, op 2 maart 2026)") in page
    assert "Gemotiveerd antwoord uiterlijk 16 april 2026 (nog 25 dagen)" in page
    french = visible(_page(mia.client, f"/bemiddeling/dossiers/{harness.number}?taal=fr"))
    assert "Accusé de réception au plus tard le 10 mars 2026 (respecté, le 2 mars 2026)" in french
    other = visible(_page(mia.client, f"/bemiddeling/dossiers/{late.number}?taal=nl"))
    assert ("Beslissing over de ontvankelijkheid uiterlijk 17 maart 2026 "
            "(2 dagen te laat, op 19 maart 2026)") in other
    assert "Ontvangstmelding uiterlijk 10 maart 2026 (12 dagen te laat)" in other  # not sent


# ----- 3. French all the way on the staff pages
def _without_notices(html: str) -> str:
    """The page without the notices' own texts (written in the complainant's language)."""
    return re.sub(r'<section aria-labelledby="berichten-titel">.*?</section>', "", html,
                  flags=re.S)


def test_french_staff_pages_name_tasks_steps_and_deadlines_in_french(
        app, accounts, harness: Harness, klachten):
    _through_national(harness)
    mia, nora = Staff(app.test_client()), Staff(app.test_client())
    mia.login("mia")
    nora.login("nora")
    url = f"/bemiddeling/dossiers/{harness.number}"
    html = _without_notices(_page(mia.client, url, query_string={
        "taal": "fr", "systeemstappen": "ja"}))
    dossier = visible(html)
    for french in ("Système : Calculer les délais", "Système : Par lettre ?",
                   "mia: Évaluer la recevabilité", "La plainte est-elle recevable ? Recevable",
                   "Accusé de réception: 8 jours calendrier à partir du lendemain de la "
                   "réception du 2 mars 2026 : échéance mardi 10 mars 2026",
                   "à partir du lendemain de la réponse du 14 avril 2026 : le dernier jour, "
                   "14 mai 2026, est un jour férié (Ascension), reporté au vendredi 15 mai 2026"):
        assert french in dossier, french
    assert ">Calculer les<" in html and ">Termijnen<" not in html  # the server-drawn diagram
    xml = _page(mia.client, f"{url}/diagram.bpmn", query_string={"taal": "fr"})
    assert 'name="Calculer les délais"' in xml and 'name="Termijnen berekenen"' not in xml
    assert 'name="klager_niet_akkoord"' in xml  # a message's name is how it is matched
    task = harness.task("nationaal_onderzoek").id
    pages = [dossier, visible(_page(nora.client, f"/bemiddeling/taken/{task}?taal=fr")),
             visible(_page(nora.client, "/bemiddeling/taken?taal=fr"))]
    labels = json.loads((default_processes_dir() / "labels.json").read_text())
    dutch = {entry["nl"] for kind in ("taak", "element", "termijn", "stap")
             for entry in labels[kind].values() if entry["nl"] != entry["fr"]}
    dutch |= {"kalenderdagen", "vervaldag", "verschoven", "Motivatie", "Bevindingen"}
    for text in pages:
        for words in dutch:
            if len(words) > 3:
                assert not re.search(rf"\b{re.escape(words)}\b", text), words


def test_lint_reports_an_element_or_anchor_without_a_french_label(processes_copy):
    labels_file = processes_copy / "labels.json"
    labels = json.loads(labels_file.read_text())
    del labels["element"]["per_brief"]["fr"]
    del labels["anker"]["het antwoord"]["fr"]
    labels_file.write_text(json.dumps(labels))
    problems = [p.message for p in lint(processes_copy, OPERATORS)]
    assert "element 'per_brief' heeft geen label in het fr" in problems
    assert "anker 'het antwoord' heeft geen label in het fr" in problems
