"""The task form warns when text for the member reads like the other language (issue 13,
item 4): the runner's check, and the form that asks to correct or confirm."""

from __future__ import annotations

from conftest import Harness, Staff

from runner.work.inbox import Inbox
from runner.work.language_check import LanguageWarning, detect

DUTCH = "Uw klacht gaat over uw werkgever en niet over het ziekenfonds."
FRENCH = "Votre plainte concerne votre employeur et non la mutualité."


def test_detect_nl_and_fr_and_nothing_for_short_text():
    assert detect(DUTCH) == "nl" and detect(FRENCH) == "fr"
    assert detect("Chloé Lefèvre-Dubois") is None and detect("ok") is None


def test_the_runner_flags_only_member_text_in_the_other_language(klachten, accounts):
    harness = Harness(klachten).submit(taal="fr")
    task_id = harness.task("ontvankelijkheid_beoordelen").id
    mia = accounts.working("mia")
    fields = {"ontvankelijk": "nee", "reden": "geen_verband", "motivatie": DUTCH}
    assert Inbox(klachten, accounts).language_warnings(mia, task_id, fields) == [
        LanguageWarning("motivatie", "nl", "fr")]
    fields["motivatie"] = FRENCH
    assert Inbox(klachten, accounts).language_warnings(mia, task_id, fields) == []
    harness.admissible()
    onderzoek = harness.task("onderzoek").id  # findings stay inside: no warning
    assert Inbox(klachten, accounts).language_warnings(
        mia, onderzoek, {"bevindingen": DUTCH}) == []


def test_the_form_warns_then_sends_after_correction_or_confirmation(staff: Staff, klachten):
    for confirm in (False, True):
        harness = Harness(klachten).submit(taal="fr")
        staff.login("mia")
        url = f"/bemiddeling/taken/{harness.task('ontvankelijkheid_beoordelen').id}"
        fields = {"ontvankelijk": "nee", "reden": "geen_verband", "motivatie": DUTCH}
        warned = staff.post(url, fields)
        page = warned.get_data(as_text=True)
        assert warned.status_code == 200 and "Controleer de taal" in page
        assert "deze tekst lijkt Nederlands, maar de klager leest Frans." in page
        assert DUTCH in page  # what was typed is kept
        assert harness.task("ontvankelijkheid_beoordelen")  # nothing sent yet
        if confirm:
            done = staff.post(url, {**fields, "taal_bevestigd": "ja"})
        else:
            done = staff.post(url, {**fields, "motivatie": FRENCH})
        assert done.status_code == 302
        sent = [n for n in harness.info.notices if n.kind == "onontvankelijkheid"]
        assert (DUTCH if confirm else FRENCH) in sent[0].body
