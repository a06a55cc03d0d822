"""What the import contracts cannot say: the generic runner names nothing of the procedure.

The layers (web → procedure → core ``runner.bpmn``), the runner never importing the web and
the absence of import cycles are import-linter contracts (``[tool.importlinter]`` in
``pyproject.toml``, run by ``lint-imports`` in ``.ci/run``). Here: ``runner.bpmn`` names
none of the complaint procedure's concepts, so that it would run another procedure
unchanged.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "runner" / "bpmn"
# Words of the complaint procedure (Dutch, French and the code's English), as parts of words:
# "klacht" also finds klachtenbemiddelaar and KLACHTEN_CLOCK.
PROCEDURE_WORDS = ("klacht", "complain", "plainte", "ontvankelijk", "admissib", "recevab",
                   "bemiddel", "mediator", "médiat", "aanbeveling", "recommend",
                   "ziekenfonds", "mutualit", "ontvangstmelding", "statusbericht", "member",
                   "onderzoek")


def test_the_core_names_none_of_the_procedures_words():
    pattern = re.compile("|".join(PROCEDURE_WORDS), re.IGNORECASE)
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in sorted(CORE.rglob("*.py"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if pattern.search(line)]
    assert found == []
