"""The plug-in contract: the runner runs what the application hands it, and nothing else.

Operators, save hooks, lint checks and the model run reach the runner through the
application's plug-ins (``runner.bpmn.plugins.Plugins``), never through a module that
happened to be imported: a runner whose plug-ins leave the report facts out writes none,
even with ``runner.reports.facts`` imported right here.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import START, Harness
from sqlalchemy import func, select

from runner.bpmn.store import transaction
from runner.definition.model import default_processes_dir, read_folder
from runner.design.lint import ComplaintLinter
from runner.design.model_run import ComplaintExplorer
from runner.procedure import OPERATORS, plugins
from runner.reports import facts
from runner.service import Klachten
from runner.store import DossierFacts
from runner.work import dossier_state, drafts, ownership


def test_the_procedure_hands_over_all_its_plugins():
    handed = plugins()
    assert handed.operators == OPERATORS
    assert sorted(handed.operators) == ["close_dossier", "close_question", "compute_deadline",
                                        "compute_deadlines", "open_consultation",
                                        "open_question", "produce_notice",
                                        "record_consultation_answer", "record_question_reply",
                                        "record_recommendations", "register_dossier",
                                        "remind_service"]
    assert handed.save_hooks == (facts.after_save, ownership.after_save, drafts.after_save,
                                 dossier_state.after_save)
    assert handed.notice_left == (facts.notice_left,)
    assert (handed.linter, handed.explorer) == (ComplaintLinter, ComplaintExplorer)


def _facts_rows(klachten: Klachten) -> int:
    with transaction(klachten.factory) as session:
        return session.scalar(select(func.count()).select_from(DossierFacts))


@pytest.mark.parametrize("hooks, rows", [((), 0), ((facts.after_save,), 1)])
def test_a_runner_writes_the_facts_only_when_its_application_hands_the_hook(
        database_url, hooks, rows):
    klachten = Klachten(database_url, clock="virtual",
                        plugins=replace(plugins(), save_hooks=hooks))
    try:
        klachten.clock.set(START)
        klachten.deploy()
        harness = Harness(klachten).submit()
        assert klachten.dossier(harness.number).step  # the complaint was taken in
        assert _facts_rows(klachten) == rows
    finally:
        klachten.close()


def test_the_service_tasks_call_the_operators_of_the_runners_application(database_url):
    """An operator the application leaves out is unknown to its runner: the service task
    fails as an incident, whatever the operators module registers."""
    without = {name: op for name, op in OPERATORS.items() if name != "produce_notice"}
    klachten = Klachten(database_url, clock="virtual",
                        plugins=replace(plugins(), operators=without))
    try:
        klachten.clock.set(START)
        klachten.deploy_unchecked(read_folder(default_processes_dir()))
        number = Harness(klachten).submit().number
        errors = [incident.error for incident in klachten.dossier(number).incidents]
        assert any("onbekende operator produce_notice" in error for error in errors), errors
    finally:
        klachten.close()
