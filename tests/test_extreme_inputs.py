"""Extreme dates and numbers give a clear error or a 404, never a 500 (issue 14, item 12)."""

from __future__ import annotations

import pytest
from conftest import Staff

from runner.accounts.users import Accounts

REPORTS = ("/bemiddeling/rapporten", "/bemiddeling/rapporten/afdrukken",
           "/bemiddeling/rapporten/rapport.pdf", "/bemiddeling/rapporten/dossiers.csv")
EXTREMES = [({"van": "0001-01-01", "tot": "0001-01-01"}, "van"),
            ({"van": "9999-12-31", "tot": "9999-12-31"}, "van"),
            ({"van": "2026-01-01", "tot": "9999-12-31"}, "tot"),
            ({"van": "1899-12-31", "tot": "1900-01-31"}, "van")]
HUGE = "18376643893100833406976"


@pytest.mark.parametrize(("period", "field"), EXTREMES)
def test_reports_refuse_a_period_outside_the_sane_range(staff: Staff, period, field):
    staff.login("lea")
    label = {"van": "Vanaf", "tot": "Tot en met"}[field]
    for url in REPORTS:
        response = staff.get(url, query_string=period)
        assert response.status_code == 400, url
        assert (f"{label}: kies een datum tussen 1900-01-01 en 2999-12-31."
                in response.get_data(as_text=True))


@pytest.mark.parametrize(("period", "field"), EXTREMES)
def test_the_register_refuses_a_period_outside_the_sane_range(staff: Staff, klachten, period,
                                                               field):
    staff.login("lea")
    page = staff.get("/bemiddeling/aanbevelingen", query_string=period)
    assert page.status_code == 400
    token = Accounts(klachten).new_token("lea")
    api = staff.client.get("/api/v1/aanbevelingen", query_string=period,
                           headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 400 and api.mimetype == "application/problem+json"
    assert field in api.get_json()["codes"]  # the document's pattern, or the range


def test_a_period_at_the_edges_of_the_range_is_a_report(staff: Staff):
    staff.login("lea")
    for period in ({"van": "1900-01-01", "tot": "1900-12-31"},
                   {"van": "2999-01-01", "tot": "2999-12-31"}):
        for url in REPORTS:
            assert staff.get(url, query_string=period).status_code == 200, (url, period)


def test_a_huge_recommendation_id_is_not_found(staff: Staff, klachten):
    staff.login("lea")
    assert staff.get(f"/bemiddeling/aanbevelingen/{HUGE}").status_code == 404
    token = Accounts(klachten).new_token("lea")
    api = staff.client.get(f"/api/v1/aanbevelingen/{HUGE}",
                           headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 404 and api.mimetype == "application/problem+json"
