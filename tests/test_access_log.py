"""Every view or download of a dossier's personal data is in the access log: the dossier
page, a letter as PDF, the API, the CSV export (issue 14, item 14)."""

from __future__ import annotations

from conftest import Harness, Staff

from runner.accounts.users import Accounts
from runner.work.dossier_view import DossierDesk

YEAR = {"van": "2026-01-01", "tot": "2026-12-31"}


def _log(klachten, accounts: Accounts) -> list[tuple[str, str, str]]:
    bert = next(a for a in accounts.list() if a.name == "bert")
    return [(e["wie"], e["dossier"], e["wat"]) for e in DossierDesk(klachten).access_log(bert)]


def test_a_letter_download_is_logged(staff: Staff, harness: Harness, klachten, accounts):
    harness.submit()
    code = harness.info.notices[0].code
    staff.login("mia")
    pdf = staff.get(f"/bemiddeling/dossiers/{harness.number}/brieven/{code}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert _log(klachten, accounts) == [("mia", harness.number, f"brief {code} (pdf)")]


def test_the_dossier_page_and_the_api_are_logged_with_what_was_seen(staff: Staff,
                                                                    harness: Harness,
                                                                    klachten, accounts):
    harness.submit()
    staff.login("lea")
    assert staff.get(f"/bemiddeling/dossiers/{harness.number}").status_code == 200
    token = accounts.new_token("mia")
    api = staff.client.get(f"/api/v1/dossiers/{harness.number}",
                           headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    assert _log(klachten, accounts) == [("mia", harness.number, "API"),
                                        ("lea", harness.number, "dossierpagina")]


def test_the_csv_export_is_logged_with_its_period(staff: Staff, harness: Harness, klachten,
                                                  accounts):
    harness.submit()
    staff.login("lea")
    export = staff.get("/bemiddeling/rapporten/dossiers.csv", query_string=YEAR)
    assert export.status_code == 200 and harness.number in export.get_data(as_text=True)
    assert _log(klachten, accounts) == [("lea", "", "CSV-export 2026-01-01 tot 2026-12-31")]


def test_the_beheerder_reads_what_was_seen(staff: Staff, harness: Harness):
    harness.submit()
    code = harness.info.notices[0].code
    staff.login("mia")
    staff.get(f"/bemiddeling/dossiers/{harness.number}/brieven/{code}.pdf")
    staff.get("/bemiddeling/rapporten/dossiers.csv", query_string=YEAR)
    staff.post("/logout", {}, form_page="/bemiddeling/taken")
    staff.login("bert")
    page = staff.get("/beheer/toegang").get_data(as_text=True)
    assert f"brief {code} (pdf)" in page and "CSV-export 2026-01-01 tot 2026-12-31" in page
    assert "<th scope=\"col\">Wat</th>" in page


def test_reading_a_dossier_or_a_letter_on_the_command_line_is_logged(
        harness: Harness, klachten, accounts, database_url, tmp_path, monkeypatch):
    """The command line shows the same personal data as the dossier page: the access log
    names the system account that ran it."""
    import getpass

    from click.testing import CliRunner

    from runner.cli import main

    harness.submit()
    code = harness.info.notices[0].code
    monkeypatch.setenv("KLACHTEN_DATABASE_URL", database_url)
    monkeypatch.setenv("KLACHTEN_CLOCK", "virtual")
    monkeypatch.setenv("KLACHTEN_INSTANCE_PATH", str(tmp_path / "instance"))
    for args in (["dossier", harness.number],
                 ["letter", harness.number, code.lower(), "-o", str(tmp_path / "b.pdf")]):
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    who = f"{getpass.getuser()} (opdrachtregel)"
    assert _log(klachten, accounts) == [(who, harness.number, f"brief {code} (opdrachtregel)"),
                                        (who, harness.number, "dossier (opdrachtregel)")]
