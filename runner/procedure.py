"""The complaint procedure as the runner's application: the plug-ins it hands the runner
(its operators, the report facts' hooks, its lint checks and model run) and the facade
opened with them.

Everything the runner calls of the procedure is named here, so nothing depends on which
module happened to be imported (ADR 0013).
"""

from __future__ import annotations

from collections import ChainMap

from runner.design.lint import ComplaintLinter
from runner.design.model_run import ComplaintExplorer
from runner.investigation.operators import OPERATORS as INVESTIGATION_OPERATORS
from runner.operators import OPERATORS as COMPLAINT_OPERATORS
from runner.reports import facts
from runner.service import Klachten, ProcedurePlugins
from runner.work import dossier_state, drafts, ownership

# Every service task the diagram may name: the complaint's own and the investigation's. A
# view over both registries, not a copy: an operator replaced or removed in either (a test
# injecting a failure, a fix) is what the runner calls.
OPERATORS = ChainMap(COMPLAINT_OPERATORS, INVESTIGATION_OPERATORS)


def plugins() -> ProcedurePlugins:
    """The complaint procedure's operators, save hooks (the report facts; a dossier's new
    tasks to its owner; the end of a task's drafts; the dossier list's state), lint checks
    and model run, and what records a notice that left (the report facts again)."""
    return ProcedurePlugins(operators=OPERATORS,
                            save_hooks=(facts.after_save, ownership.after_save,
                                        drafts.after_save, dossier_state.after_save),
                            linter=ComplaintLinter, explorer=ComplaintExplorer,
                            notice_left=(facts.notice_left,))


def open_klachten(database_url: str, clock: str = "real", secret: str | None = None
                  ) -> Klachten:
    """The complaint procedure on one database and one clock (``real`` or ``virtual``)."""
    return Klachten(database_url, clock, secret, plugins=plugins())
