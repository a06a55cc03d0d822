"""The complaint procedure's facade: what the CLI and the web app call.

Each public method is one action in one transaction (through :class:`ProcessRunner`: load,
guard, run engine steps, save state and derived rows, audit, outbox, commit) or one
read-only query. The generic machinery (versions, actions, incidents, timers) is
:mod:`runner.bpmn.runner`'s; letters on paper are the post room's (:attr:`Klachten.post`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from runner import settings
from runner.bpmn import claims
from runner.bpmn import clock as clocks
from runner.bpmn.case import Case, properties
from runner.bpmn.closed_record import ClosedCase
from runner.bpmn.diagram import DossierDiagram, render_svg
from runner.bpmn.engine import SERIALIZER_VERSION, new_workflow
from runner.bpmn.errors import (
    Conflict,
    Forbidden,
    ModelRejected,
    NotFound,
    StateUnreadable,
    ValidationFailed,
)
from runner.bpmn.forms import validate_form, with_defaults
from runner.bpmn.instances import SYSTEM_ACTOR, LoadedCase, case_of, resolve_incidents
from runner.bpmn.lint import errors
from runner.bpmn.plugins import Plugins
from runner.bpmn.runner import Find, ProcessRunner
from runner.bpmn.store import AuditEntry, Incident, Instance, OpenTask, transaction
from runner.definition.labels import named_in
from runner.definition.model import DIAGRAM, Model, default_processes_dir, parse, read_folder
from runner.definition.rule_texts import RULE_VALUE, fill_rule_values
from runner.notices.addresses import complainant_name
from runner.notices.post_room import PostRoom, post_letter
from runner.notices.sealing import CodeSeal
from runner.notices.texts import NoticeStatus, notice_info
from runner.operators import OperatorContext, number_dossier
from runner.results import (
    AuditInfo,
    DeadlineInfo,
    DossierInfo,
    IncidentInfo,
    TaskInfo,
    TaskSchema,
    day,
    instant,
    utc,
)
from runner.store import Dossier, Notice, as_dossier

COMPLAINT_FORM = "klacht.json"
TASK_COMPLETED = "taak voltooid"
TASK_TAKEN_OVER = "taak overgenomen"
# The message that starts "reach the complainant another way" (an event subprocess).
UNDELIVERABLE_MESSAGE = "bericht_onbestelbaar"
# An open task's instance with its dossier, in one query built once.
_INSTANCE_OF_TASK = (select(Instance, Dossier)
                     .join(OpenTask, OpenTask.instance_id == Instance.id)
                     .join(Dossier, Dossier.id == Instance.dossier_id)
                     .where(OpenTask.id == bindparam("task_id")))


class Deployment(NamedTuple):
    """A deploy's outcome: the version, whether it is new, and the lint's warnings."""

    version: int
    created: bool
    warnings: list[str]


# Called when a notice leaves the fund (an e-mail sent, a letter posted), in its transaction:
# (session, dossier id, notice kind, instant).
NoticeLeft = Callable[[Session, int, str, datetime], None]


@dataclass(frozen=True)
class ProcedurePlugins(Plugins):
    """The runner's plug-ins (operators, save hooks, lint checks, model run) and the
    procedure's own: what runs when a notice leaves the fund. :mod:`runner.procedure` hands
    over the complaint procedure's."""

    notice_left: tuple[NoticeLeft, ...] = ()


@dataclass(frozen=True)
class Submitted:
    dossier_number: str
    access_code: str | None


class _Procedure:
    """The complaint procedure as the runner's application: its model, its dossiers, and
    what its operators may touch (the access code is sealed for the outbox), and its
    plug-ins."""

    def __init__(self, seal: Callable[[], CodeSeal], plugins: ProcedurePlugins):
        self._seal = seal
        self.plugins = plugins

    @staticmethod
    def parse(files: dict[str, str]) -> Model:
        return parse(files)

    @staticmethod
    def case_file(session: Session, case_file_id: int) -> Dossier:
        return session.get_one(Dossier, case_file_id)

    def operator_context(self, loaded: LoadedCase, model: Model) -> OperatorContext:
        return OperatorContext(session=loaded.session, dossier=as_dossier(loaded.dossier),
                               model=model,
                               now=loaded.now, seal=lambda code: self._seal().seal(code))


class Klachten:
    """The complaint procedure on one database and one clock, with the plug-ins it runs
    (:func:`runner.procedure.open_klachten` opens it with the complaint procedure's)."""

    def __init__(self, database_url: str, clock: str = "real", secret: str | None = None,
                 *, plugins: ProcedurePlugins):
        self.plugins = plugins
        self.runner = ProcessRunner(_Procedure(lambda: self.code_seal, plugins), database_url,
                                    clock, idle_timeout=settings.current().db_idle_timeout)
        self.engine, self.factory, self.clock = (self.runner.engine, self.runner.factory,
                                                 self.runner.clock)
        self.post = PostRoom(self)
        self._secret = secret  # None: settings.secret_key(), read when first needed
        self._code_seal: CodeSeal | None = None

    @property
    def code_seal(self) -> CodeSeal:
        """Seals the access codes in the outbox (runner.notices.sealing)."""
        if self._code_seal is None:
            self._code_seal = CodeSeal(self._secret or settings.secret_key())
        return self._code_seal

    def close(self) -> None:
        """Close the database connections (a command or a test is done with the runner)."""
        self.runner.close()

    # ----- definitions
    def deploy(self, folder: Path | None = None) -> Deployment:
        """Store ``folder`` as a new version unless its content hash is known already.

        The model is linted first by the plug-ins' checks and model run
        (:meth:`ProcessRunner.check`): any error refuses the deploy with
        :class:`ModelRejected` and nothing is stored; warnings come back with the result.
        """
        files = read_folder(folder or default_processes_dir())
        known = self.runner.known_version(files)
        if known is not None:
            return Deployment(known, False, [])
        problems = self.runner.check(files)
        if errors(problems):
            raise ModelRejected(problems)
        version, created = self.deploy_unchecked(files)
        return Deployment(version, created, [str(problem) for problem in problems])

    def deploy_unchecked(self, files: dict[str, str]) -> tuple[int, bool]:
        """Store a model's files as a version without linting them: for the lint's own
        model run, and for tests of what happens when a broken model runs anyway."""
        return self.runner.store_version(files)

    def latest_model(self) -> Model:
        """The newest deployed version of ``processes/`` (forms, settings, page texts)."""
        with transaction(self.factory) as session:
            return self.runner.model(session, self.runner.latest_version(session))[0]

    def model_of(self, number: str) -> Model:
        """The version a dossier runs on: its forms, texts, roles and settings."""
        with transaction(self.factory) as session:
            return self.dossier_model(session, self.find_dossier(session, number).id)

    def models(self) -> dict[int, Model]:
        """Every deployed version's model, by version (each parsed once per process)."""
        return self.runner.models()

    # ----- actions
    def submit(self, complaint: dict[str, Any], actor: str = "klager",
               on_created: Callable[[Session, Dossier, str | None], None] | None = None,
               ) -> Submitted:
        """Stap 1: start a dossier from a complaint; returns its number and access code.

        ``on_created(session, dossier, access_code)`` runs in the same transaction, after
        the process started (the public form records its submission there)."""
        with transaction(self.factory) as session:
            return self.start_dossier(session, complaint, actor, on_created)

    def start_dossier(self, session: Session, complaint: dict[str, Any], actor: str,
                      on_created: Callable[[Session, Dossier, str | None], None] | None = None,
                      definition_id: int | None = None) -> Submitted:
        """:meth:`submit` in the caller's transaction (the public form checks its token and
        quota in the same one); ``definition_id``: the latest version, when the caller
        read it already in this transaction."""
        now = self.clock.now(session)
        if definition_id is None:
            definition_id = self.runner.latest_version(session)
        model, specs = self.runner.model(session, definition_id)
        form = model.form(COMPLAINT_FORM)
        data = with_defaults(form, {"ontvangen_op": now.isoformat(), **complaint})
        validate_form(form, data)
        _check_category(data["categorie"], model.settings.get("categorieen"))
        received_at = _received_at(data["ontvangen_op"], now)
        dossier = Dossier(
            complainant_name=complainant_name(data["klager"])[:220],
            complainant_email=str(data["klager"].get("email") or "").lower()[:254],
            member_number=str(data["klager"].get("lidnummer") or "")[:20],
            complaint_text=str(data.get("omschrijving") or "")[:10000],
            category=data["categorie"], channel=data["kanaal"], language=data["taal"],
            received_at=received_at,
        )
        session.add(dossier)
        session.flush()
        start_data = {**model.settings.get("startgegevens", {}), **data}
        workflow = new_workflow(specs, start_data)
        instance = Instance(
            dossier_id=dossier.id, definition_id=definition_id, state="",
            serializer_version=SERIALIZER_VERSION, updated_at=now,
        )
        loaded = LoadedCase(session, instance, dossier, Case(workflow, model), now)
        loaded.record(actor, "klacht ontvangen", "ontvangst", kanaal=data["kanaal"])
        ctx = self.runner.run(loaded, model, lambda lc: lc.case.run(lc.engine_completed))
        if dossier.number is None:  # the model failed before it numbered the dossier
            number_dossier(ctx, received_at)
        session.add(instance)
        self.runner.save(loaded, model)
        if on_created is not None:
            on_created(session, dossier, ctx.transient.get("toegangscode"))
        return Submitted(dossier.number or "", ctx.transient.get("toegangscode"))

    def complete_task(self, task_id: str, data: dict[str, Any], user: str,
                      expected_version: int | None = None,
                      dossier_number: str | None = None, take_over: str | None = None) -> str:
        """Complete a READY user task with form data; returns the dossier number.

        ``dossier_number`` and ``expected_version``, when given, guard against completing a
        task of another dossier or one that changed since the caller looked at it. A task
        another user holds is completed only when taken over, with ``take_over`` as the
        reason (:mod:`runner.bpmn.claims`); the first to complete a task of a dossier
        without an owner becomes its owner.
        """
        find = self._instance_of_task(task_id)
        with self.runner.action(find, expected_version) as (loaded, model):
            dossier = as_dossier(loaded.dossier)
            if dossier_number is not None and dossier.number != dossier_number:
                raise NotFound(f"taak {task_id} hoort niet bij dossier {dossier_number}")
            task = loaded.case.user_task(task_id)
            loaded.case.validate(task, data)
            self._check_separation(loaded, task, user)
            self._hold_to_complete(loaded, model, task_id, user, take_over)
            letter = loaded.case.letter_code(task)
            loaded.record(user, TASK_COMPLETED, task.task_spec.name,
                          naam=task.task_spec.bpmn_name)
            self.runner.run(loaded, model, lambda lc: lc.case.complete(task, data,
                                                                  lc.engine_completed))
            if letter:
                post_letter(loaded.session, dossier, letter, user, loaded.now, self.notice_left)
            return dossier.number or ""

    def send_message(self, number: str, name: str, payload: dict[str, Any],
                     actor: str = "klager") -> None:
        with self.runner.action(self.instance_of_dossier(number)) as (loaded, model):
            self._message(loaded, model, name, payload, actor)

    def message_from(self, number: str, name: str,
                     payload_of: Callable[[LoadedCase, Model], dict[str, Any]],
                     actor: str) -> dict[str, Any]:
        """Send ``name`` with a payload made inside the action, from the loaded case (a
        caller checks there what the model allows now); returns the payload."""
        with self.runner.action(self.instance_of_dossier(number)) as (loaded, model):
            payload = payload_of(loaded, model)
            self._message(loaded, model, name, payload, actor)
            return payload

    def _message(self, loaded: LoadedCase, model: Model, name: str, payload: dict[str, Any],
                 actor: str) -> None:
        loaded.record(actor, "bericht ontvangen", name, **_short(payload))
        self.runner.run(loaded, model, lambda lc: lc.case.send_message(
            name, payload, lc.engine_completed))

    # ----- notices
    def notice_left(self, session: Session, dossier_id: int, kind: str, at: datetime) -> None:
        """A notice left the fund (e-mailed or posted): the plug-ins' hooks record it."""
        for hook in self.plugins.notice_left:
            hook(session, dossier_id, kind, at)

    def notice_undeliverable(self, notice_id: int, reason: str) -> bool:
        """Fail an e-mail for good and, in the same action, start the mediator's task to
        reach the complainant another way (message ``bericht_onbestelbaar``). When the
        process no longer waits for that message (it has ended), or its state cannot be
        read, the dossier gets an incident instead. Returns whether a task was started."""
        try:
            with self.runner.action(self._instance_of_notice(notice_id)) as (loaded, model):
                notice = _fail_notice(loaded.session, notice_id, reason)
                loaded.record(SYSTEM_ACTOR, "bericht niet afgeleverd", notice.kind,
                              code=notice.code, reden=reason[:500])
                if UNDELIVERABLE_MESSAGE in loaded.case.waiting_messages():
                    payload = {"soort": notice.kind, "code": notice.code,
                               "kanaal": notice.channel, "reden": reason[:500],
                               "pogingen": notice.attempts}
                    self._message(loaded, model, UNDELIVERABLE_MESSAGE, payload, SYSTEM_ACTOR)
                    return True
                loaded.session.add(_undeliverable_incident(notice, loaded.now, reason,
                                                           loaded.instance.step))
                return False
        except StateUnreadable as err:  # still fail the notice, visibly
            with transaction(self.factory) as session:
                notice = _fail_notice(session, notice_id, reason)
                session.add(_undeliverable_incident(notice, self.clock.now(session),
                                                    f"{reason}; {err}"))
            return False

    def sweep_timers(self, limit: int = 500) -> int:
        """Fire due timers (:meth:`ProcessRunner.sweep_timers`); returns how many instances."""
        return self.runner.sweep_timers(limit)

    def retry(self, number: str, actor: str) -> int:
        """Run the failed element(s) of a dossier again; returns how many were retried."""
        with self.runner.action(self.instance_of_dossier(number)) as (loaded, model):
            failed = loaded.case.incident_tasks()
            open_incidents = resolve_incidents(loaded)
            if not failed and not open_incidents:
                raise Conflict(f"dossier {number} heeft geen open incident")
            loaded.record(actor, "opnieuw proberen",
                          failed[0].task_spec.name if failed else "timer")
            now = loaded.now
            self.runner.run(loaded, model, lambda lc: lc.case.retry(now, lc.engine_completed))
            return max(len(failed), open_incidents)

    # ----- queries
    def tasks(self, dossier_number: str | None = None) -> list[TaskInfo]:
        """The open user tasks (of one dossier, when given), earliest due first."""
        with transaction(self.factory) as session:
            query = (select(OpenTask, Dossier.number)
                     .join(Dossier, Dossier.id == OpenTask.dossier_id)
                     .order_by(OpenTask.due_at.is_(None), OpenTask.due_at, OpenTask.created_at))
            if dossier_number:
                self.find_dossier(session, dossier_number)
                query = query.where(Dossier.number == dossier_number)
            return [_task_info(task, number) for task, number in session.execute(query)]

    def task_schema(self, task_id: str) -> TaskSchema:
        """An open task (as in :meth:`tasks`), its instance's row version and its form's
        JSON Schema, from the version of the process the dossier runs on."""
        with transaction(self.factory) as session:
            row = session.get(OpenTask, task_id)
            if row is None:
                raise NotFound(f"taak {task_id} is niet open of bestaat niet")
            instance = session.get_one(Instance, row.instance_id)
            number = session.scalar(select(Dossier.number).where(Dossier.id == row.dossier_id))
            model = self.runner.model(session, instance.definition_id)[0]
            schema: dict[str, Any] = (model.form(row.form) if row.form
                                      else {"type": "object", "properties": {}})
            french = schema.get("x-fr") or {}
            if RULE_VALUE.search(schema.get("description", "") + french.get("description", "")):
                case = self.read_case(session, session.get_one(Dossier, row.dossier_id))[1]
                deadlines = case.deadlines()
                schema = {**schema, "description": fill_rule_values(schema.get("description", ""),
                                                                    deadlines)}
                if french.get("description"):  # the French text of the staff pages (x-fr)
                    schema["x-fr"] = {**french, "description": fill_rule_values(
                        french["description"], deadlines)}
            return TaskSchema(_task_info(row, number), instance.version, schema)

    def diagram(self, number: str, language: str = "nl") -> tuple[dict, Model, DossierDiagram]:
        """A dossier's process data, the model version it runs on and its diagram (the
        BPMN with its names in ``language``, the elements done and current, and an SVG
        drawn on the server)."""
        with transaction(self.factory) as session:
            dossier = self.find_dossier(session, number)
            instance, case = self.read_case(session, dossier)
            model = self.runner.model(session, instance.definition_id)[0]
            done, current = case.element_states()
            bpmn_xml = named_in(model.files[DIAGRAM], model.labels, language)
            return case.data(), model, DossierDiagram(
                bpmn_xml, sorted(done), sorted(current),
                render_svg(bpmn_xml, done, current, f"procesdiagram van dossier {number}"))

    def case(self, number: str) -> Case | ClosedCase:
        """A dossier's workflow as stored, to read (for example to draw the diagram)."""
        with transaction(self.factory) as session:
            return self.read_case(session, self.find_dossier(session, number))[1]

    def read_case(self, session: Session, dossier: Dossier
                   ) -> tuple[Instance, Case | ClosedCase]:
        return self.read_case_of(session, dossier.id)

    def read_case_of(self, session: Session, dossier_id: int
                     ) -> tuple[Instance, Case | ClosedCase]:
        """The instance and stored case of the dossier with this row id."""
        instance = self._instance(session, dossier_id)
        model, specs = self.runner.model(session, instance.definition_id)
        return instance, case_of(instance, model, specs)

    def dossier(self, number: str) -> DossierInfo:
        """Everything about a dossier: step, deadlines, open tasks, notices, audit, incidents."""
        with transaction(self.factory) as session:
            dossier = self.find_dossier(session, number)
            instance = self._instance(session, dossier.id)
            try:
                case: Case | ClosedCase | None = self.read_case(session, dossier)[1]
            except StateUnreadable:  # still show the dossier and its incident
                case = None
            return DossierInfo(
                number=dossier.number or "", step=instance.step,
                closed=dossier.closed_at is not None, closed_at=utc(dossier.closed_at),
                outcome=dossier.outcome, erased_at=utc(dossier.erased_at),
                legal_hold=dossier.legal_hold_reason or "-" if dossier.legal_hold else None,
                received_at=clocks.as_utc(dossier.received_at), category=dossier.category,
                channel=dossier.channel, language=dossier.language,
                process_version=instance.definition_id, version=instance.version,
                next_timer_at=utc(instance.next_timer_at),
                deadlines={name: _deadline_info(value)
                           for name, value in (case.deadlines() if case else {}).items()},
                open_tasks=tuple(_task_info(t, dossier.number) for t in session.scalars(
                    select(OpenTask).where(OpenTask.dossier_id == dossier.id)
                    .order_by(OpenTask.created_at))),
                waiting_for=tuple(sorted(case.waiting_messages())) if case else (),
                notices=tuple(notice_info(n) for n in session.scalars(
                    select(Notice).where(Notice.dossier_id == dossier.id).order_by(Notice.id))),
                audit=tuple(_audit_info(a) for a in session.scalars(
                    select(AuditEntry).where(AuditEntry.dossier_id == dossier.id)
                    .order_by(AuditEntry.id))),
                incidents=tuple(_incident_info(i) for i in session.scalars(
                    select(Incident).where(Incident.dossier_id == dossier.id)
                    .order_by(Incident.id))),
                duplicate_of=session.scalar(select(Dossier.number).where(
                    Dossier.id == dossier.duplicate_of_id)) if dossier.duplicate_of_id else None,
                owner=dossier.owner,
            )

    def dossier_model(self, session: Session, dossier_id: int) -> Model:
        """The model version a dossier runs on."""
        definition_id = session.scalars(
            select(Instance.definition_id).where(Instance.dossier_id == dossier_id)).one()
        return self.runner.model(session, definition_id)[0]

    def dossier_settings(self, session: Session, dossier_id: int) -> dict[str, Any]:
        """The settings (``instellingen.json``) of the version the dossier runs on."""
        return self.dossier_model(session, dossier_id).settings

    # ----- plumbing
    @staticmethod
    def find_dossier(session: Session, number: str) -> Dossier:
        dossier = session.scalar(select(Dossier).where(Dossier.number == number))
        if dossier is None:
            raise NotFound(f"dossier {number} bestaat niet")
        return dossier

    def instance_of_dossier(self, number: str) -> Find:
        def find(session: Session) -> Instance:
            return self._instance(session, self.find_dossier(session, number).id)
        return find

    @staticmethod
    def _instance(session: Session, dossier_id: int) -> Instance:
        """A dossier's process instance (every dossier has one)."""
        return session.scalars(select(Instance).where(Instance.dossier_id == dossier_id)).one()

    @staticmethod
    def _instance_of_notice(notice_id: int) -> Find:
        """The instance of an outbox row's dossier (outbox rows are never deleted)."""
        def find(session: Session) -> Instance:
            dossier_id = select(Notice.dossier_id).where(Notice.id == notice_id).scalar_subquery()
            return session.scalars(
                select(Instance).where(Instance.dossier_id == dossier_id)).one()
        return find

    def _instance_of_task(self, task_id: str) -> Find:
        def find(session: Session) -> tuple[Instance, Dossier]:
            found = session.execute(_INSTANCE_OF_TASK, {"task_id": task_id}).first()
            if found is None:
                raise claims.not_open(session, task_id, self.zone(session))
            return found.Instance, found.Dossier  # the dossier without a second query
        return find

    def zone(self, session: Session) -> ZoneInfo:
        """The time zone of the newest version (messages that name an instant)."""
        return self.runner.model(session, self.runner.latest_version(session))[0].timezone

    @staticmethod
    def _hold_to_complete(loaded: LoadedCase, model: Model, task_id: str, user: str,
                          take_over: str | None) -> None:
        """The completing user holds the task (taken over, audited, when another held it),
        owns the dossier when it had no owner, and is recorded as who completed it."""
        task = claims.locked(loaded.session, task_id, model.timezone)
        reason = claims.reason_of(take_over) if take_over is not None else None
        previous = claims.hold(task, user, loaded.now, model.timezone, reason is not None)
        if previous:
            loaded.record(user, TASK_TAKEN_OVER, task.spec_name, van=previous, reden=reason)
        dossier = as_dossier(loaded.dossier)
        if dossier.owner is None:
            dossier.owner = user
        claims.ended(loaded.session, task, user, loaded.now)

    @staticmethod
    def _check_separation(loaded: LoadedCase, task, user: str) -> None:
        """A task with property ``andere_gebruiker_dan`` (one task or a comma-separated list
        of tasks) may not be completed by a user who completed any of them in this dossier
        (the national re-examination: nobody of the first handling)."""
        others = separated_from(properties(task))
        if not others:
            return
        earlier = loaded.session.scalars(select(AuditEntry.element).where(
            AuditEntry.dossier_id == loaded.dossier.id, AuditEntry.element.in_(others),
            AuditEntry.action == TASK_COMPLETED, AuditEntry.actor == user).limit(1)).first()
        if earlier is not None:
            raise Forbidden(f"{user} voltooide in dit dossier al de taak {earlier} en mag deze "
                            "taak niet uitvoeren (scheiding van functies)")


def separated_from(task_properties: dict[str, Any]) -> list[str]:
    """The tasks named by ``andere_gebruiker_dan``: whoever completed one of them in a
    dossier may not do this task there."""
    return [name.strip() for name in str(task_properties.get("andere_gebruiker_dan") or "")
            .split(",") if name.strip()]



def _check_category(category: str, known: list[str] | None) -> None:
    """The category must be one of the model's (``categorieen`` in ``instellingen.json``)."""
    if known is not None and category not in known:
        raise ValidationFailed({"categorie": f"onbekende categorie; kies uit {', '.join(known)}"},
                               {"categorie": "enum"})


def _received_at(value: str, now: datetime) -> datetime:
    """The receipt instant: with a timezone and not in the future (a letter received last
    week may be registered today)."""
    try:
        received = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed({"ontvangen_op": "geen geldig tijdstip"}) from None
    if received.tzinfo is None:
        raise ValidationFailed({"ontvangen_op": "tijdstip zonder tijdzone"})
    if received > now:
        raise ValidationFailed({"ontvangen_op": "ligt in de toekomst"})
    return received


def _iso(value: datetime | None) -> str | None:
    return clocks.as_utc(value).isoformat() if value else None


def _short(payload: dict) -> dict:
    return {key: str(value)[:200] for key, value in payload.items()}


def _task_info(task: OpenTask, number: str | None) -> TaskInfo:
    return TaskInfo(task.id, number, task.spec_name, task.title, task.lane, task.step,
                    task.form, utc(task.due_at), task.claimed_by)






def _fail_notice(session: Session, notice_id: int, reason: str) -> Notice:
    notice = session.get_one(Notice, notice_id)
    notice.status, notice.last_error = NoticeStatus.FAILED, reason[:2000]
    notice.claimed_until = notice.next_attempt_at = None
    return notice


def _undeliverable_incident(notice: Notice, now: datetime, reason: str,
                            step: str = "") -> Incident:
    return Incident(dossier_id=notice.dossier_id, element=notice.kind, step=step,
                    error=f"bericht {notice.code} niet afgeleverd en geen taak gestart; bereik "
                          f"de klager op een andere manier: {reason}"[:4000],
                    created_at=now)


def _deadline_info(value: dict[str, Any]) -> DeadlineInfo:
    """A deadline as the model's operator stored it in the process data."""
    return DeadlineInfo(value.get("dagen"), value.get("eenheid"), value.get("doorschuiven"),
                        day(value.get("vervaldag")), instant(value.get("vervalt_op")),
                        day(value.get("start")), value.get("anker"), value.get("uitleg"))


def _audit_info(entry: AuditEntry) -> AuditInfo:
    return AuditInfo(clocks.as_utc(entry.at), entry.actor, entry.action, entry.element,
                     entry.step, entry.details)


def _incident_info(incident: Incident) -> IncidentInfo:
    return IncidentInfo(incident.element, incident.step, incident.error,
                        clocks.as_utc(incident.created_at), utc(incident.resolved_at))


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


