"""The privacy pages as a beheerder and a mediator use them: find a member's dossiers, export
them, hold and erase; read the register of processing; correct contact data."""

from __future__ import annotations

import io
import json

from conftest import Harness
from pypdf import PdfReader

MEMBER = {"voornaam": "Karel", "achternaam": "Wouters", "email": "karel.wouters@example.be",
          "adres": "Veldstraat 9, 9000 Gent", "telefoon": "09 222 33 44",
          "lidnummer": "65040512345"}


def closed(klachten) -> str:
    harness = Harness(klachten).submit(klager=MEMBER, omschrijving="Mijn terugbetaling bleef uit.")
    harness.admissible().investigate().answer().advance(45).recommend()
    return harness.number


def test_beheerder_finds_exports_holds_and_erases(staff, klachten):
    number = closed(klachten)
    staff.login("bert")
    page = staff.get("/beheer/privacy?lidnummer=65040512345").get_data(as_text=True)
    assert number in page and "karel.wouters@example.be" in page
    pdf = staff.get("/beheer/privacy/inzage.pdf?lidnummer=65040512345")
    assert pdf.mimetype == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert number in text and "Mijn terugbetaling bleef uit." in " ".join(text.split())
    document = json.loads(staff.get("/beheer/privacy/inzage.json?email=karel.wouters@example.be")
                          .get_data(as_text=True))
    assert document["dossiers"][0]["klager"] == MEMBER
    log = staff.get("/beheer/toegang").get_data(as_text=True)
    assert number in log and "bert" in log

    search = "/beheer/privacy?lidnummer=65040512345"
    response = staff.post(f"/beheer/privacy/{number}/blokkering",
                          {"actie": "instellen", "reden": "Klacht bij de rechtbank",
                           "lidnummer": "65040512345"}, form_page=search, follow_redirects=True)
    assert "staat onder juridische blokkering" in response.get_data(as_text=True)
    dossier_page = staff.get(f"/bemiddeling/dossiers/{number}").get_data(as_text=True)
    assert "Klacht bij de rechtbank" in dossier_page
    response = staff.post(f"/beheer/privacy/{number}/blokkering", {"actie": "opheffen"},
                          form_page=search, follow_redirects=True)
    assert "opgeheven" in response.get_data(as_text=True)
    response = staff.post(f"/beheer/privacy/{number}/wissen", {"reden": ""},
                          form_page=search, follow_redirects=True)
    assert "Geef de reden van de wissing op." in response.get_data(as_text=True)
    response = staff.post(f"/beheer/privacy/{number}/wissen",
                          {"reden": "Verzoek van het lid", "lidnummer": "65040512345"},
                          form_page=search, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert f"Dossier {number} is gewist." in page and "Geen dossiers gevonden" in page
    dossier_page = staff.get(f"/bemiddeling/dossiers/{number}").get_data(as_text=True)
    assert "zijn gewist op" in dossier_page and "Wouters" not in dossier_page


def test_the_register_of_processing_page(staff):
    staff.login("bert")
    page = staff.get("/beheer/verwerkingsregister").get_data(as_text=True)
    assert "De tekst van de klacht" in page and "dossiers.complainant_email" in page
    assert "5 jaar na de afsluiting" in page


def test_privacy_pages_are_for_the_beheerder_only(staff):
    staff.login("mia")
    assert staff.get("/beheer/privacy?naam=An").status_code == 403
    assert staff.get("/beheer/verwerkingsregister").status_code == 403
    assert staff.get("/beheer/privacy/inzage.pdf?naam=An").status_code == 403


def test_a_mediator_corrects_contact_data_on_the_dossier(staff, harness):
    harness.submit()
    staff.login("mia")
    url = f"/bemiddeling/dossiers/{harness.number}/contactgegevens"
    assert url in staff.get(f"/bemiddeling/dossiers/{harness.number}").get_data(as_text=True)
    form = staff.get(url).get_data(as_text=True)
    assert 'value="an.peeters@example.be"' in form
    fields = {"voornaam": "An", "achternaam": "Peeters", "email": "geen-adres",
              "adres": "Kerkstraat 1, 9000 Gent", "telefoon": "09 123 45 67",
              "lidnummer": "12345678901"}
    response = staff.post(url, fields)
    assert response.status_code == 400
    assert "E-mailadres" in response.get_data(as_text=True)
    response = staff.post(url, {**fields, "email": "an@nieuw.example.be"},
                          follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Contactgegevens gecorrigeerd: E-mailadres." in page
    assert "an@nieuw.example.be" in page and "an.peeters@example.be" not in page
    staff.login("lea")
    assert staff.get(url).status_code == 403
