"""A logged value cannot forge a log line: control characters are escaped in every value,
in both formats (issue 14, item 11)."""

from __future__ import annotations

import json
import logging

import pytest

from runner.ops import logs

FORGED = "2026-11-30 12:00:00,000 INFO klachten.request: GET / 200 INJECTED"


@pytest.fixture(params=logs.FORMATS)
def log_format(request):
    root = logging.getLogger()
    level = root.level
    logs.configure(request.param, "INFO")
    yield request.param
    for handler in [h for h in root.handlers if h.get_name() == logs.HANDLER_NAME]:
        root.removeHandler(handler)
    root.setLevel(level)


def _lines(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def test_a_404_path_cannot_forge_a_request_line(client, capsys, log_format):
    response = client.get("/nope%0a" + FORGED.replace(" ", "%20") + "%0d%1b[31m")
    assert response.status_code == 404
    lines = [line for line in _lines(capsys) if "klachten.request" in line]
    assert len(lines) == 1, lines
    line = lines[0]
    assert "INJECTED" in line and "\x1b" not in line and "\r" not in line
    if log_format == "json":
        entry = json.loads(line)
        assert "\n" not in entry["path"] and "\n" not in entry["message"]
        assert entry["path"].startswith("/nope\\n2026-11-30")


def test_control_characters_in_messages_arguments_and_extras_are_escaped(capsys, log_format):
    logging.getLogger("runner.notices.outbox").warning(
        "bericht %s geweigerd\n%s", "7\r\n" + FORGED, "\u2028tweede\x00regel",
        extra={"detail": "a\nb"})
    lines = _lines(capsys)
    assert len(lines) == 1, lines
    assert "\u2028" not in lines[0] and "\x00" not in lines[0]
    message = json.loads(lines[0])["message"] if log_format == "json" else lines[0]
    assert "bericht 7\\r\\n2026-11-30" in message and "geweigerd\\n" in message
    assert "\\u2028tweede\\x00regel" in message
    if log_format == "json":
        assert json.loads(lines[0])["detail"] == "a\\nb"


def test_an_exception_cannot_forge_a_line(capsys, log_format):
    try:
        raise ValueError("fout\n" + FORGED)
    except ValueError:
        logging.getLogger("runner.worker").exception("taak mislukt")
    lines = _lines(capsys)
    assert not any(line.startswith("2026-11-30 12:00:00,000") for line in lines), lines
    if log_format == "json":
        assert len(lines) == 1
