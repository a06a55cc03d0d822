"""The load test (bench/load.py) in a short run, so that it cannot rot: gunicorn with two
worker processes and one ``klachten worker`` on a fresh database (SQLite, and PostgreSQL
when ``KLACHTEN_TEST_DATABASE_URL`` is set), a few complainants and mediators for a few
seconds. It asserts zero errors and the consistency check, not speed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from conftest import BACKENDS, PG_URL

LOAD_SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "load.py"


@pytest.fixture(scope="module")
def load():
    spec = importlib.util.spec_from_file_location("bench_load", LOAD_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


@pytest.mark.parametrize("backend", BACKENDS)
def test_short_load_on_gunicorn_with_two_workers(load, backend):
    args = load.arguments(["--database", backend, "--pg-url", PG_URL or load.PG_URL,
                           "--seconds", "6", "--complainants", "3", "--mediators", "2",
                           "--web-workers", "2", "--workers", "1", "--no-write"])
    result = load.run(args)
    assert result.web_processes == 2  # gunicorn booted two workers and served through them
    assert result.stats.errors == []
    assert result.server_errors == 0
    assert result.problems == []
    assert len(result.stats.accepted) > 0
    assert result.stats.completed > 0
    assert result.ok
    section = load.markdown(result)
    assert section.startswith(load.BEGIN) and section.rstrip().endswith(load.END)
    assert "| **errors** (client side, unexpected status or timeout) | **0** |" in section


def test_the_report_replaces_only_its_own_section(load, tmp_path, monkeypatch):
    report = tmp_path / "BENCHMARKS.md"
    report.write_text("# Benchmarks\n\nlifecycle\n\n<!-- history -->\nhistory\n",
                      encoding="utf-8")
    monkeypatch.setattr(load, "REPORT", report)
    load.write_section(f"{load.BEGIN}\nfirst\n{load.END}\n")
    load.write_section(f"{load.BEGIN}\nsecond\n{load.END}\n")
    assert report.read_text(encoding="utf-8") == (
        "# Benchmarks\n\nlifecycle\n\n<!-- history -->\nhistory\n\n"
        f"{load.BEGIN}\nsecond\n{load.END}\n")
