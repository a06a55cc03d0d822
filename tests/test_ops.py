"""Operations: liveness and readiness probes, Prometheus metrics, JSON log lines."""

from __future__ import annotations

import json
import logging
import re

import pytest
from alembic import command
from conftest import PG_URL, SECRET, Harness
from prometheus_client.parser import text_string_to_metric_families

from runner.migrations import alembic_config, head_revision
from runner.ops import logs
from runner.ops.metrics import snapshot

TOKEN = "scrape-token-0123456789"


@pytest.fixture
def make_app(tmp_path):
    """Apps on a given database URL, closed after the test."""
    from web import create_app
    from web.extension import close

    made = []

    def make(database_url: str, **config):
        made.append(create_app({"TESTING": True, "DATABASE_URL": database_url,
                                "CLOCK": "virtual", "SECRET_KEY": SECRET,
                                "INSTANCE_PATH": str(tmp_path / "instance"), **config}))
        return made[-1]

    yield make
    for app in made:
        close(app)


# ----- probes
def test_healthz_answers_without_database_or_session(make_app, tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'missing' / 'no.db'}")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_ready_at_head(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "reason": None,
                                   "revision": head_revision(), "head": head_revision()}
    assert "Set-Cookie" not in response.headers


def test_readyz_refuses_a_database_at_an_older_revision(database_url, make_app):
    command.downgrade(alembic_config(database_url), "0001")
    app = make_app(database_url)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "reason": "schema_not_at_head",
                                   "revision": "0001", "head": head_revision()}


UNREACHABLE = ["sqlite-missing-folder", *(["postgresql-closed-port"] if PG_URL else [])]


@pytest.mark.parametrize("where", UNREACHABLE)
def test_readyz_refuses_an_unreachable_database(where, make_app, tmp_path):
    url = (f"sqlite:///{tmp_path / 'missing' / 'no.db'}" if where.startswith("sqlite")
           else "postgresql+psycopg://postgres@127.0.0.1:1/klachten?connect_timeout=2")
    response = make_app(url).test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable" and body["reason"] == "database_unreachable"
    assert "127.0.0.1" not in response.get_data(as_text=True)  # no error text leaks


@pytest.mark.parametrize("where", UNREACHABLE)
def test_pages_answer_503_with_retry_after_while_the_database_is_away(where, make_app, tmp_path):
    url = (f"sqlite:///{tmp_path / 'missing' / 'no.db'}" if where.startswith("sqlite")
           else "postgresql+psycopg://postgres@127.0.0.1:1/klachten?connect_timeout=2")
    client = make_app(url).test_client()
    page = client.get("/klacht")
    text = page.get_data(as_text=True)
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    assert "Tijdelijk niet beschikbaar" in text and "Er werd niets opgeslagen" in text
    assert "127.0.0.1" not in text and "Traceback" not in text and "sqlite" not in text
    api = client.get("/api/v1/taken", headers={"Authorization": "Bearer x"})
    assert api.status_code == 503 and api.mimetype == "application/problem+json"
    assert api.get_json()["title"] == "Tijdelijk niet beschikbaar"


# ----- metrics
@pytest.fixture
def known(klachten) -> Harness:
    """Three dossiers: two waiting for admissibility, one in the investigation, then the
    clock moved 30 days without a sweep (the status timer of day 21 is 9 days late)."""
    Harness(klachten).submit()
    Harness(klachten).submit()
    Harness(klachten).submit().admissible()
    return Harness(klachten).advance(30, sweep=False)


def test_snapshot_of_known_data(known):
    figures = snapshot(known.k)
    assert figures.open_dossiers == {"3. Ontvankelijkheid beoordelen": 2,
                                     "4. Klacht analyseren en onderzoeken": 1}
    # admissibility is due on day 15 (17 March), the investigation's answer much later
    assert figures.overdue_tasks == {"Klachtenbemiddelaar": 2}
    assert figures.outbox == {"queued": 3, "failed": 0, "te printen": 0}
    assert figures.outbox_oldest_seconds == {"queued": 30 * 86400.0, "te printen": 0.0}
    assert figures.timers_due == 1
    assert figures.timer_lag_seconds == 9 * 86400.0
    assert figures.incidents_open == 0


def test_snapshot_after_the_worker_caught_up(known, tmp_path, monkeypatch):
    from runner.worker import Worker

    monkeypatch.setenv("KLACHTEN_INSTANCE_PATH", str(tmp_path / "instance"))
    Worker(known.k).run_once()
    figures = snapshot(known.k)
    assert figures.timers_due == 0 and figures.timer_lag_seconds == 0.0
    assert figures.outbox["queued"] == 0  # delivered as .eml files
    assert figures.open_dossiers["4. Klacht analyseren en onderzoeken"] == 1


def _scrape(client, token: str | None = TOKEN):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get("/metrics", headers=headers)


def test_metrics_endpoint_needs_its_token(known, make_app, database_url):
    closed = make_app(database_url).test_client()
    assert _scrape(closed).status_code == 404  # no token configured: no endpoint
    client = make_app(database_url, METRICS_TOKEN=TOKEN).test_client()
    assert _scrape(client, None).status_code == 401
    assert _scrape(client, "wrong").status_code == 401
    response = _scrape(client)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert "Set-Cookie" not in response.headers
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(response.get_data(as_text=True))
               for s in family.samples}
    assert samples[("klachten_open_dossiers",
                    (("step", "3. Ontvankelijkheid beoordelen"),))] == 2
    assert samples[("klachten_overdue_tasks", (("lane", "Klachtenbemiddelaar"),))] == 2
    assert samples[("klachten_outbox_notices", (("status", "queued"),))] == 3
    assert samples[("klachten_timer_lag_seconds", ())] == 9 * 86400
    assert samples[("klachten_incidents_open", ())] == 0


# ----- log lines
@pytest.fixture
def json_logs():
    """klachten's JSON handler on the root logger for one test, removed afterwards."""
    root = logging.getLogger()
    level = root.level
    logs.configure("json", "INFO")
    yield
    for handler in [h for h in root.handlers if h.get_name() == logs.HANDLER_NAME]:
        root.removeHandler(handler)
    root.setLevel(level)


def test_json_request_lines_carry_no_personal_data(site, capsys, json_logs):
    number, code = site.file_complaint()
    site.sign_in(number, code)
    site.get("/klacht?zoek=Peeters&nummer=" + number, headers={"X-Request-ID": "proxy-abc-123"})
    site.get("/healthz")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()
             if line.startswith("{")]
    requests = [line for line in lines if line["logger"] == "klachten.request"]
    assert [(r["method"], r["path"], r["status"]) for r in requests] == [
        ("GET", "/klacht", 200), ("POST", "/klacht", 302), ("GET", "/klacht/bevestiging", 200),
        ("GET", "/status", 200), ("POST", "/status", 302), ("GET", "/klacht", 200)]
    assert requests[-1]["request_id"] == "proxy-abc-123"
    assert all(isinstance(r["duration_ms"], float) and re.fullmatch(r"[\w.-]{8,64}",
                                                                      r["request_id"])
               for r in requests)
    assert all(line["time"].endswith("+00:00") for line in lines)
    text = json.dumps(lines)
    for secret in ("Peeters", "an.peeters@example.be", code, number, "zoek", "?"):
        assert secret not in text


def test_log_filter_removes_addresses_and_access_codes(capsys, json_logs):
    logging.getLogger("runner.notices.outbox").warning(
        "bericht 7: 550 <%s> refused; code %s", "an.peeters@example.be", "ABCD-EFGH-JKMN")
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["message"] == "bericht 7: 550 <[e-mail]> refused; code [code]"
    assert line["level"] == "WARNING" and line["logger"] == "runner.notices.outbox"


def test_log_settings_are_checked(json_logs):
    from runner.bpmn.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="KLACHTEN_LOG_FORMAT"):
        logs.configure("xml", "INFO")
    with pytest.raises(ConfigurationError, match="KLACHTEN_LOG_LEVEL"):
        logs.configure("json", "LOUD")
