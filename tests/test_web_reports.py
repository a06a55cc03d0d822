"""The report pages through Flask's test client: roles, period errors, page, print, PDF, CSV."""

from __future__ import annotations

import csv
import io

import pytest
from conftest import Staff
from pypdf import PdfReader
from report_world import description, person

YEAR = {"van": "2026-01-01", "tot": "2026-12-31"}
URLS = ("/bemiddeling/rapporten", "/bemiddeling/rapporten/afdrukken",
        "/bemiddeling/rapporten/rapport.pdf", "/bemiddeling/rapporten/dossiers.csv")


def test_signed_out_every_report_url_goes_to_the_login(client, accounts):
    for url in URLS:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("user", ["mia", "nora", "bert", "lea"])
def test_every_role_reads_the_reports(staff: Staff, user):
    staff.login(user)
    response = staff.get("/bemiddeling/rapporten")
    page = response.get_data(as_text=True)
    # Default: the last twelve months up to today (the clock is on 2 March 2026).
    assert response.status_code == 200 and "Rapport klachten" in page
    assert "van 1 april 2025 tot en met 2 maart 2026" in page  # days in words, as everywhere
    assert '<a href="/bemiddeling/rapporten">Rapporten</a>' in page  # in the menu


def test_the_page_shows_the_figures_with_charts(staff: Staff, generated):
    staff.login("lea")
    page = staff.get("/bemiddeling/rapporten", query_string=YEAR).get_data(as_text=True)
    assert "Jaarverslag klachten 2026" in page
    assert "83,3 %" in page and "66,7 %" in page  # acknowledgements, admissibility
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="grafiek"') >= 6
    assert "<script" not in page and "style=" not in page
    for key in "ABCDEFG":
        assert person(key)["achternaam"] not in page and description(key) not in page
    march = staff.get("/bemiddeling/rapporten", query_string={"van": "2026-03-01",
                                                               "tot": "2026-03-31"})
    assert "<h1>Rapport klachten</h1>" in march.get_data(as_text=True)
    printable = staff.get("/bemiddeling/rapporten/afdrukken", query_string=YEAR)
    assert printable.status_code == 200 and "83,3 %" in printable.get_data(as_text=True)


def test_the_page_in_french(staff: Staff, generated):
    staff.login("lea")
    page = staff.get("/bemiddeling/rapporten", query_string={**YEAR, "taal": "fr"})
    text = page.get_data(as_text=True)
    assert "Rapport annuel des plaintes 2026" in text and "Délais" in text


@pytest.mark.parametrize(("args", "message"), [
    ({"van": "2026-06-01", "tot": "2026-05-31"}, "Tot en met: deze datum ligt vóór de begindatum."),
    ({"van": "31/12/2025", "tot": "2026-05-31"}, "Vanaf: vul een datum in als JJJJ-MM-DD."),
    ({"van": "2000-01-01", "tot": "2026-05-31"}, "Kies een periode van hoogstens vijf jaar."),
])
def test_a_bad_period_gives_a_dutch_error(staff: Staff, args, message):
    staff.login("lea")
    for url in URLS:
        response = staff.get(url, query_string=args)
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
        assert response.mimetype == "text/html"


def test_pdf_and_csv(staff: Staff, generated):
    staff.login("bert")
    pdf = staff.get("/bemiddeling/rapporten/rapport.pdf", query_string=YEAR)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = " ".join(" ".join(page.extract_text().split())
                    for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Jaarverslag klachten 2026" in text and "83,3 %" in text and "66,7 %" in text
    assert "Ontvangstmelding binnen de termijn" in text
    for key in "ABCDEFG":
        assert person(key)["achternaam"] not in text
    assert "klachten-2026-01-01-2026-12-31.pdf" in pdf.headers["Content-Disposition"]
    exported = staff.get("/bemiddeling/rapporten/dossiers.csv", query_string=YEAR)
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    text = exported.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 8 and rows[0][0] == "dossiernummer"
    for key in "ABCDEFG":
        someone = person(key)
        for value in (someone["voornaam"], someone["achternaam"], someone["email"],
                      someone["adres"], description(key)):
            assert value not in text


def test_the_report_names_codes_by_their_labels_in_the_pages_language(staff: Staff, generated):
    staff.login("lea")
    page = staff.get("/bemiddeling/rapporten", query_string={**YEAR, "taal": "fr"})
    html = page.get_data(as_text=True)
    assert "<bdi>Remboursement</bdi>" in html and "<bdi>Site web</bdi>" in html
    assert "<bdi>terugbetaling</bdi>" not in html and "<bdi>web</bdi>" not in html
    assert "du 1 janvier 2026 au 31 décembre 2026" in html  # the period in words
