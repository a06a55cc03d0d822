"""The CLI scripts well: --json on submit, complete, message and worker --once, each
returning what a script needs next (the dossier's step and open tasks)."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import complaint
from test_cli import _write, cli  # noqa: F401 - the fixture


def test_a_script_drives_a_dossier_with_json(cli, tmp_path):  # noqa: F811
    submitted = json.loads(cli("submit", _write(tmp_path, "k.json", complaint()),
                               "--json").output)
    assert submitted["dossiernummer"] == "KL-2026-00001" and submitted["toegangscode"]
    [task] = submitted["open_taken"]
    assert task["taak"] == "ontvankelijkheid_beoordelen"
    done = json.loads(cli("complete", task["id"], "--data",
                          _write(tmp_path, "o.json", {"ontvankelijk": "ja"}),
                          "--user", "mia", "--json").output)
    assert done["taak"] == task["id"] and done["stap"].startswith("4.")
    assert [t["taak"] for t in done["open_taken"]] == ["onderzoek"]
    assert done["incidenten"] == []
    cli("clock", "advance", "P22D")
    swept = json.loads(cli("worker", "--once", "--json").output)
    assert swept == {"timers": 1, "verzonden": 2, "later_opnieuw": 0, "niet_afgeleverd": 0,
                     "fouten": []}
    withdrawn = json.loads(cli("message", "KL-2026-00001", "klacht_ingetrokken", "--json",
                               "--data", _write(tmp_path, "m.json", {"reden": "ok"})).output)
    assert withdrawn["bericht"] == "klacht_ingetrokken"
    assert withdrawn["open_taken"] == []  # a withdrawal asks no recommendation (the model)


def test_a_worker_with_nothing_to_do_says_why_it_may_be_zero(cli):  # noqa: F811
    out = cli("worker", "--once").output
    assert "0 dossier(s)" in out and "draait klachten serve met zijn eigen worker" in out


def test_errors_are_one_line_with_the_same_prefix(cli, tmp_path):  # noqa: F811
    result = cli("complete", "geen-taak", "--data", _write(tmp_path, "o.json", {}),
                 "--user", "mia", "--json", ok=False)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ")


def test_help_needs_neither_the_engine_nor_the_database():
    """``klachten --help`` starts fast: SpiffWorkflow, SQLAlchemy, Flask and fpdf are not
    imported for it (the figure is in BENCHMARKS.md)."""
    code = ("import sys; from web.cli import main\n"
            "try: main(['--help'])\nexcept SystemExit: pass\n"
            "heavy = {'SpiffWorkflow', 'sqlalchemy', 'flask', 'fpdf', 'jinja2', 'lxml'}\n"
            "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
