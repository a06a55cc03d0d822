"""Move running dossiers to another process version: the dry run per dossier, the move (one
transaction per dossier, audited, revertible) and its revert.

The engine part is :mod:`runner.bpmn.migration`; this module adds what a complaint dossier runs
by (its deadlines, forms and notice texts), the database rows and the audit trail.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.specs.defaults import UserTask
from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.bpmn import clock as clocks
from runner.bpmn.case import Case, spec_properties
from runner.bpmn.definitions import FORMS_DIR
from runner.bpmn.engine import SERIALIZER, load_state
from runner.bpmn.errors import Conflict, NotFound, ValidationFailed
from runner.bpmn.instances import LoadedCase
from runner.bpmn.migration import POSITION, InstanceDiff, compare, migrate, timer_dues
from runner.bpmn.store import (
    Definition,
    Instance,
    InstanceMigration,
    OpenTask,
    lost_database,
    transaction,
)
from runner.definition.model import LANGUAGES, NOTICES_DIR, Model
from runner.operators import recompute_deadline
from runner.store import Dossier, DossierFacts

if TYPE_CHECKING:
    from runner.service import Klachten

MIGRATED = "gemigreerd"
REVERTED = "migratie teruggedraaid"
NOTICE_OPERATOR = "produce_notice"


@dataclass(frozen=True)
class Selection:
    """Which dossiers: by number, or every running dossier of a version."""

    numbers: tuple[str, ...] = ()
    from_version: int | None = None


class DossierMigrations:
    """Dry run, migrate and revert, over the runner's database and clock."""

    def __init__(self, klachten: Klachten):
        self.klachten = klachten

    # ----- dry run and migration
    def plan(self, to: int, selection: Selection, new_rules: bool = False) -> dict[str, Any]:
        """What migrating the selected dossiers to version ``to`` would do; changes nothing."""
        return self._each(to, selection, new_rules, actor=None)

    def migrate(self, to: int, selection: Selection, actor: str,
                new_rules: bool = False) -> dict[str, Any]:
        """Move each selected dossier that can move, each in its own transaction."""
        return self._each(to, selection, new_rules, actor=actor)

    def _each(self, to: int, selection: Selection, new_rules: bool,
              actor: str | None) -> dict[str, Any]:
        selected = self._select(to, selection)
        files = self._changed_files(to, selected)
        reports = []
        for instance_id in selected:
            try:
                reports.append(self._one(instance_id, to, new_rules, actor))
            except Exception as err:  # one dossier that cannot move must not stop the rest
                if lost_database(err):
                    raise
                reason = str(err) if isinstance(err, Conflict) else f"verplaatsen mislukt: {err}"
                reports.append({"dossiernummer": self._number(instance_id),
                                "kan_verplaatst": False, "redenen": [reason[:500]]})
        return {"naar": to, "nieuwe_regels": new_rules, "proef": actor is None,
                "gewijzigde_bestanden": files, "dossiers": reports}

    def _select(self, to: int, selection: Selection) -> list[int]:
        if bool(selection.numbers) == (selection.from_version is not None):
            raise ValidationFailed({"dossiers": "geef dossiernummers of een versie (--from), "
                                                "niet allebei en niet geen van beide"})
        with transaction(self.klachten.factory) as session:
            self._definition(session, to)
            if selection.from_version is not None:
                self._definition(session, selection.from_version)
                return list(session.scalars(
                    select(Instance.id).where(Instance.definition_id == selection.from_version,
                                              Instance.completed.is_(False))
                    .order_by(Instance.id)))
            ids = []
            for number in selection.numbers:
                dossier = session.scalar(select(Dossier).where(Dossier.number == number))
                if dossier is None:
                    raise NotFound(f"dossier {number} bestaat niet")
                ids.append(session.scalars(select(Instance.id)
                                           .where(Instance.dossier_id == dossier.id)).one())
            return ids

    @staticmethod
    def _definition(session: Session, version: int) -> Definition:
        row = session.get(Definition, version)
        if row is None:
            raise NotFound(f"procesversie {version} bestaat niet")
        return row

    def _number(self, instance_id: int) -> str | None:
        with transaction(self.klachten.factory) as session:
            return session.scalar(select(Dossier.number).join(
                Instance, Instance.dossier_id == Dossier.id).where(Instance.id == instance_id))

    def _changed_files(self, to: int, instance_ids: list[int]) -> list[str]:
        """Files of version ``to`` that differ from a version the selected dossiers are on."""
        with transaction(self.klachten.factory) as session:
            new = self._definition(session, to).files
            sources = set(session.scalars(select(Instance.definition_id).where(
                Instance.id.in_(instance_ids), Instance.definition_id != to)))
            changed = set()
            for source in sources:
                old = self._definition(session, source).files
                changed |= {name for name in {*old, *new} if old.get(name) != new.get(name)}
        return sorted(changed)

    def _one(self, instance_id: int, to: int, new_rules: bool,
             actor: str | None) -> dict[str, Any]:
        with transaction(self.klachten.factory) as session:
            now = self.klachten.clock.now(session)
            instance = session.get_one(Instance, instance_id)
            dossier = session.get_one(Dossier, instance.dossier_id)
            report: dict[str, Any] = {"dossiernummer": dossier.number, "stap": instance.step,
                                      "van": instance.definition_id}
            reason = self._not_applicable(instance, to)
            if reason:
                return {**report, "kan_verplaatst": False, "redenen": [reason]}
            old_model, old_specs = self.klachten.runner.model(session, instance.definition_id)
            new_model, new_specs = self.klachten.runner.model(session, to)
            workflow = load_state(instance.state, old_specs)
            diff, diffs = compare(workflow, new_specs, SERIALIZER.registry)
            report.update(_describe(diff, old_model, new_model))
            if not diff.movable:
                return report
            before = _Snapshot.of(workflow, old_model)
            with clocks.frozen_at(now):
                changed = migrate(workflow, new_specs, diffs, new_rules, partial(
                    _refresh_deadlines, zone=new_model.timezone))
            report.update(before.compare(_Snapshot.of(workflow, new_model)),
                          gewijzigde_gegevens=changed)
            if actor is not None:
                loaded = LoadedCase(session, instance, dossier, Case(workflow, new_model), now)
                self._store(session, loaded, actor, new_model, to, report, new_rules)
                report["resultaat"] = MIGRATED
            return report

    @staticmethod
    def _not_applicable(instance: Instance, to: int) -> str | None:
        if instance.definition_id == to:
            return f"staat al op versie {to}"
        if instance.completed:
            return "afgesloten: er loopt niets meer om te verplaatsen"
        return None

    def _store(self, session: Session, loaded: LoadedCase, actor: str, model: Model, to: int,
               report: dict, new_rules: bool) -> None:
        """Save the moved state and its derived rows (optimistic lock), the previous state
        for a revert, and the audit entry (from, to, who, what changed)."""
        instance = loaded.instance
        previous = InstanceMigration(
            dossier_id=instance.dossier_id, instance_id=instance.id,
            from_definition_id=instance.definition_id, to_definition_id=to,
            previous_state=instance.state, previous_serializer_version=instance.serializer_version,
            new_rules=new_rules, actor=actor, at=loaded.now, changes=_changes(report))
        loaded.record(actor, MIGRATED, "", van=instance.definition_id, naar=to,
                      nieuwe_regels=new_rules, **_changes(report))
        instance.definition_id = to
        self.klachten.runner.save(loaded, model)
        _refresh_open_tasks(loaded)
        previous.version_after = instance.version
        session.add(previous)
        _facts_version(session, instance.dossier_id, to)

    # ----- revert
    def revert(self, numbers: list[str], actor: str) -> list[dict[str, Any]]:
        """Put each dossier back in the exact state it had before its last migration."""
        if not numbers:
            raise ValidationFailed({"dossiers": "geef de dossiers om terug te zetten"})
        return [self._revert_one(number, actor) for number in numbers]

    def _revert_one(self, number: str, actor: str) -> dict[str, Any]:
        with transaction(self.klachten.factory) as session:
            now = self.klachten.clock.now(session)
            dossier = session.scalar(select(Dossier).where(Dossier.number == number))
            if dossier is None:
                raise NotFound(f"dossier {number} bestaat niet")
            instance = session.scalars(
                select(Instance).where(Instance.dossier_id == dossier.id)).one()
            moved = session.scalar(
                select(InstanceMigration).where(InstanceMigration.dossier_id == dossier.id,
                                                InstanceMigration.reverted_at.is_(None))
                .order_by(InstanceMigration.id.desc()).limit(1))
            if moved is None:
                raise Conflict(f"dossier {number} heeft geen migratie om terug te draaien")
            if (instance.definition_id, instance.version) != (moved.to_definition_id,
                                                              moved.version_after):
                raise Conflict(f"dossier {number} veranderde na de migratie (stap "
                               f"{instance.step}); terugdraaien zou dat ongedaan maken")
            model, specs = self.klachten.runner.model(session, moved.from_definition_id)
            loaded = LoadedCase(session, instance, dossier,
                                Case(load_state(moved.previous_state, specs), model), now)
            loaded.record(actor, REVERTED, "", van=moved.to_definition_id,
                          naar=moved.from_definition_id)
            instance.definition_id = moved.from_definition_id
            self.klachten.runner.save(loaded, model, state=moved.previous_state)
            _refresh_open_tasks(loaded)
            instance.serializer_version = moved.previous_serializer_version
            moved.reverted_at, moved.reverted_by = now, actor
            _facts_version(session, dossier.id, moved.from_definition_id)
            return {"dossiernummer": number, "van": moved.to_definition_id,
                    "naar": moved.from_definition_id, "stap": instance.step,
                    "resultaat": REVERTED}


def _refresh_open_tasks(loaded: LoadedCase) -> None:
    """The inbox rows of tasks that stay open, as the new version describes them (title,
    lane, form, deadline); ``save_case`` keeps such rows as they were, claims included."""
    for info in loaded.case.open_tasks():
        row = loaded.session.get_one(OpenTask, info.id)
        row.spec_name, row.title, row.lane = info.spec_name, info.title[:200], info.lane
        row.step, row.form, row.due_at = info.step, info.form, info.due_at


def _facts_version(session: Session, dossier_id: int, version: int) -> None:
    facts = session.get(DossierFacts, dossier_id)
    if facts is not None:
        facts.definition_id = version


def _changes(report: dict) -> dict[str, Any]:
    """The audit's summary of what a migration changed."""
    keys = ("taken_toegevoegd", "taken_verwijderd_vooruit", "taken_verwijderd_gedaan",
            "regels_gewijzigd", "bestanden", "termijnen", "timers", "gewijzigde_gegevens")
    return {key: report[key] for key in keys if report.get(key)}


def _names(model: Model) -> dict[str, str]:
    return {spec.bpmn_id: spec.bpmn_name or spec.bpmn_id for spec in model.all_task_specs()
            if getattr(spec, "bpmn_id", None)}


def _describe(diff: InstanceDiff, old: Model, new: Model) -> dict[str, Any]:
    """The diff in a designer's words: element names with their ids, the files ahead."""
    old_names, new_names = _names(old), _names(new)

    def label(names: dict[str, str], elements: list[str]) -> list[str]:
        return [f"{names.get(e, e)} ({e})" for e in elements]

    decisions = [e for e in diff.changed_done if e in _decision_elements(new)]
    return {
        "kan_verplaatst": diff.movable, "redenen": diff.blockers,
        "positie": label(old_names, diff.position),
        "taken_toegevoegd": label(new_names, diff.added_ahead),
        "taken_verwijderd_vooruit": label(old_names, diff.removed_ahead),
        "taken_verwijderd_gedaan": label(old_names, diff.removed_done),
        "regels_gewijzigd": label(new_names, decisions),
        "bestanden": _files_ahead(diff.ahead, old, new),
    }


def _decision_elements(model: Model) -> set[str]:
    from SpiffWorkflow.dmn.specs.business_rule_task_mixin import BusinessRuleTaskMixin

    return {spec.bpmn_id for spec in model.all_task_specs()
            if isinstance(spec, BusinessRuleTaskMixin)}


def _files_ahead(ahead: set[str], old: Model, new: Model) -> list[str]:
    """Changed files the dossier will still use: forms and notice texts of the tasks ahead,
    and every other changed file that is not the diagram or a decision table (settings,
    roles, status page texts, shared notice parts)."""
    used = set()
    for spec in new.all_task_specs():
        if getattr(spec, "bpmn_id", None) in ahead:
            used |= set(_files_of(spec))
    changed = {name for name in {*old.files, *new.files}
               if old.files.get(name) != new.files.get(name)}
    return sorted(name for name in changed if name in used or _shared_file(name))


def _shared_file(name: str) -> bool:
    """A file every running dossier uses: not the diagram or a decision table (their
    changes are the task and rule changes), not a form or notice of particular tasks."""
    return not _task_file(name) and not name.endswith((".bpmn", ".dmn"))


def _task_file(name: str) -> bool:
    """A form or a notice kind: used by particular tasks only."""
    if name.startswith(f"{FORMS_DIR}/"):
        return True
    return name.startswith(f"{NOTICES_DIR}/") and not name.rsplit("/", 1)[1].startswith(
        ("_", "labels"))


def _files_of(spec) -> Iterator[str]:
    if isinstance(spec, UserTask):
        form = spec_properties(spec).get("formJsonSchemaFilename")
        if form:
            yield f"{FORMS_DIR}/{form}"
    if getattr(spec, "operation_name", None) == NOTICE_OPERATOR:
        try:
            kind = ast.literal_eval(spec.operation_params["soort"]["value"])
        except (KeyError, ValueError, SyntaxError):
            return
        for language in LANGUAGES:
            yield f"{NOTICES_DIR}/{language}/{kind}.txt"


def _refresh_deadlines(data: dict, zone) -> None:
    """Recompute every deadline in ``data`` with the rule rows (``termijnregels``) the new
    decision gave, from the deadline's own start."""
    rules = data.get("termijnregels")
    if not isinstance(rules, list):
        return
    for key, value in list(data.items()):
        if _is_deadline(value):
            data[key] = recompute_deadline(value, rules, zone)
        elif isinstance(value, dict) and value and all(map(_is_deadline, value.values())):
            data[key] = {name: recompute_deadline(item, rules, zone)
                         for name, item in value.items()}


def _is_deadline(value: Any) -> bool:
    return isinstance(value, dict) and {"termijn", "vervaldag"} <= value.keys()


@dataclass(frozen=True)
class _Snapshot:
    """What a person sees of a dossier that a migration can change."""

    deadlines: dict[str, str]
    timers: dict[str, str]
    tasks: list[str]

    @classmethod
    def of(cls, workflow: BpmnWorkflow, model: Model) -> _Snapshot:
        case = Case(workflow, model)
        data: dict = {}
        for task in workflow.get_tasks(state=POSITION):
            data.update(task.data)
        return cls({name: value["vervaldag"] for name, value in case.deadlines(data).items()},
                   timer_dues(workflow),
                   sorted(task.task_spec.name for task in case.ready_user_tasks()))

    def compare(self, after: _Snapshot) -> dict[str, Any]:
        return {
            "termijnen": [{"termijn": name, "oud": self.deadlines.get(name),
                           "nieuw": after.deadlines.get(name)}
                          for name in sorted({*self.deadlines, *after.deadlines})
                          if self.deadlines.get(name) != after.deadlines.get(name)],
            "timers": [{"element": name, "oud": self.timers.get(name),
                        "nieuw": after.timers.get(name)}
                       for name in sorted({*self.timers, *after.timers})
                       if self.timers.get(name) != after.timers.get(name)],
            "open_taken": after.tasks,
        }

