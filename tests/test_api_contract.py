"""The OpenAPI document is true (issue 14, item 16): requests generated from the document
itself (schemathesis, on Hypothesis, a fixed seed) get answers that the document describes,
schema-violating requests are refused with a problem document, and a 405 says what is
allowed."""

from __future__ import annotations

import itertools

import pytest
import schemathesis
from conftest import PASSWORD, Harness
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from runner.accounts.users import Accounts


@pytest.fixture
def token(klachten) -> str:
    accounts = Accounts(klachten)
    accounts.add("mia", ["klachtenbemiddelaar"], PASSWORD)
    return accounts.new_token("mia")


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_every_answer_is_what_the_document_says(app, harness: Harness, token):
    """Per operation, requests generated from the document, valid ones and (from its
    negated schemas) invalid ones, each answer checked against it: no 500, a documented
    status, content type, headers and body, and an invalid request refused (4xx)."""
    harness.submit()  # one dossier, so that some calls find something
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    documented = app.test_client().get("/api/v1/openapi.json").get_json()["paths"]
    assert len(operations) == sum(len(calls) for calls in documented.values()) >= 10
    for operation, mode in itertools.product(operations, GenerationMode):
        @settings(max_examples=15, derandomize=True, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        @given(case=operation.as_strategy(generation_mode=mode))
        def answer_is_documented(case):
            # Not "valid data is accepted": rules across fields (a period's end before its
            # start) and the process (a task that does not exist) refuse valid-looking data.
            # A fresh token per call: DELETE /tokens/{id} may revoke the one it came with.
            case.call_and_validate(headers=_auth(token),
                                   excluded_checks=[schemathesis.checks.positive_data_acceptance])

        answer_is_documented()


@pytest.mark.parametrize(("url", "field"), [
    ("/api/v1/aanbevelingen?pagina=null", "pagina"),
    ("/api/v1/aanbevelingen?van=", "van"),
    ("/api/v1/aanbevelingen?tot=2026-13-01", "tot"),
    ("/api/v1/aanbevelingen?sorteer=willekeurig", "sorteer"),
    ("/api/v1/aanbevelingen?pagina=0", "pagina"),
    ("/api/v1/taken?pagina=null", "pagina"),
    ("/api/v1/taken?pagina=1&pagina=2", "pagina"),
    ("/api/v1/taken?te_laat=misschien", "te_laat"),
    ("/api/v1/taken?zoek=" + "x" * 101, "zoek"),
    ("/api/v1/taken?pagnia=2", "pagnia"),
    ("/api/v1/dossiers?status=zoek", "status"),
    ("/api/v1/dossiers?dagen=0", "dagen"),
    ("/api/v1/dossiers?van=2026-02-30", "van"),
])
def test_a_schema_violating_query_is_refused(client, token, url, field):
    response = client.get(url, headers=_auth(token))
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert field in response.get_json()["fouten"]


@pytest.mark.parametrize("body", [
    {"naam": "iets_anders"}, {"naam": "klacht_ingetrokken", "gegevens": []},
    {"naam": "klacht_ingetrokken", "extra": 1}, {},
])
def test_a_schema_violating_body_is_refused(client, token, harness: Harness, body):
    harness.submit()
    response = client.post(f"/api/v1/dossiers/{harness.number}/berichten", json=body,
                           headers=_auth(token))
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert harness.info.closed is False


def test_a_405_says_what_is_allowed(client, token):
    response = client.delete("/api/v1/taken", headers=_auth(token))
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert response.mimetype == "application/problem+json"


def test_the_document_lists_every_status_the_api_sends(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for operations in paths.values():
        for operation in operations.values():
            statuses = set(operation["responses"])
            assert {"401", "403", "503"} <= statuses
            if "requestBody" in operation:
                assert {"400", "413"} <= statuses
    complaint = paths["/klachten"]["post"]["requestBody"]["content"]["application/json"]
    assert "klager" in complaint["schema"]["properties"]  # the model's own form
