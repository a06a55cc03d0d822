"""The runner's one central object: what the CLI and the web app call.

Each public method is one action in one transaction (load, guard, run engine steps, save
state and derived rows, audit, outbox, commit) or one read-only query.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from . import facts, settings
from .bpmn import clock as clocks
from .bpmn.case import Case, properties
from .bpmn.closed_record import ClosedCase
from .bpmn.definitions import content_hash
from .bpmn.diagram import DossierDiagram, render_svg
from .bpmn.engine import (
    SERIALIZER_VERSION,
    StoredSpecs,
    new_workflow,
    operator_context,
    restore_specs,
    serialize_spec,
)
from .bpmn.errors import (
    Conflict,
    Forbidden,
    ModelRejected,
    NotFound,
    RunnerError,
    StateUnreadable,
    ValidationFailed,
)
from .bpmn.forms import validate_form, with_defaults
from .bpmn.instances import (
    SYSTEM_ACTOR,
    LoadedCase,
    case_of,
    open_case,
    record_incidents,
    resolve_incidents,
    save_case,
)
from .bpmn.store import (
    AuditEntry,
    Definition,
    Incident,
    Instance,
    OpenTask,
    lost_database,
    make_engine,
    make_session_factory,
    transaction,
)
from .definitions import DIAGRAM, Model, default_processes_dir, parse, read_folder
from .letters import Letter, notice_letter
from .notices import STATUS_LABELS, NoticeStatus
from .operators import (
    OperatorContext,
    complainant_name,
    delivered_copy,
    fill_in_access_code,
    number_dossier,
    postal_address,
)
from .rule_texts import RULE_VALUE, fill_rule_values
from .sealing import CodeSeal
from .store import Dossier, Notice

COMPLAINT_FORM = "klacht.json"
TASK_COMPLETED = "taak voltooid"
SWEEP_BATCH = 100
# The message that starts "reach the complainant another way" (an event subprocess).
UNDELIVERABLE_MESSAGE = "bericht_onbestelbaar"
# A letter can be marked posted while it waits to be printed, or when its e-mail failed.
POSTABLE = (NoticeStatus.TO_PRINT, NoticeStatus.FAILED)
log = logging.getLogger(__name__)


class Deployment(NamedTuple):
    """A deploy's outcome: the version, whether it is new, and the lint's warnings."""

    version: int
    created: bool
    warnings: list[str]


@dataclass(frozen=True)
class Submitted:
    dossier_number: str
    access_code: str | None


class Klachten:
    """Runner facade over one database and one clock."""

    def __init__(self, database_url: str, clock: str = "real", secret: str | None = None):
        self.engine = make_engine(database_url,
                                  idle_timeout=settings.number("KLACHTEN_DB_IDLE_TIMEOUT"))
        self.factory = make_session_factory(self.engine)
        self.clock: clocks.Clock = (
            clocks.VirtualClock(self.factory) if clock == "virtual" else clocks.RealClock()
        )
        self._models: dict[int, tuple[Model, StoredSpecs]] = {}
        self._secret = secret  # None: settings.secret_key(), read when first needed
        self._code_seal: CodeSeal | None = None

    @property
    def code_seal(self) -> CodeSeal:
        """Seals the access codes in the outbox (runner.sealing)."""
        if self._code_seal is None:
            self._code_seal = CodeSeal(self._secret or settings.secret_key())
        return self._code_seal

    def close(self) -> None:
        """Close the database connections (a command or a test is done with the runner)."""
        self.engine.dispose()

    # ----- definitions
    def deploy(self, folder: Path | None = None) -> Deployment:
        """Store ``folder`` as a new version unless its content hash is known already.

        The model is linted first (:func:`runner.lint.lint_files`, which also runs it): any
        error refuses the deploy with :class:`ModelRejected` and nothing is stored;
        warnings come back with the result.
        """
        from .lint import errors, lint_files
        from .operators import OPERATORS

        files = read_folder(folder or default_processes_dir())
        known = self._known_version(files)
        if known is not None:
            return Deployment(known, False, [])
        problems = lint_files(files, OPERATORS)
        if errors(problems):
            raise ModelRejected(problems)
        version, created = self.deploy_unchecked(files)
        return Deployment(version, created, [str(problem) for problem in problems])

    def _known_version(self, files: dict[str, str]) -> int | None:
        with transaction(self.factory) as session:
            return session.scalar(select(Definition.id).where(
                Definition.content_hash == content_hash(files)))

    def deploy_unchecked(self, files: dict[str, str]) -> tuple[int, bool]:
        """Store a model's files as a version without linting them: for the lint's own
        model run, and for tests of what happens when a broken model runs anyway."""
        digest = content_hash(files)
        with transaction(self.factory) as session:
            now = self.clock.now(session)
            existing = session.scalar(select(Definition).where(Definition.content_hash == digest))
            if existing is not None:
                return existing.id, False
            model = parse(files)
            row = Definition(content_hash=digest, deployed_at=now, files=files,
                             spec=serialize_spec(model))
            session.add(row)
            session.flush()
            return row.id, True

    def _model(self, session: Session, definition_id: int) -> tuple[Model, StoredSpecs]:
        """A definition version's files (forms, templates, settings) and its stored specs,
        parsed and restored once per process."""
        if definition_id not in self._models:
            row = session.get(Definition, definition_id)
            if row is None:
                raise NotFound(f"procesversie {definition_id} bestaat niet")
            self._models[definition_id] = (parse(row.files), restore_specs(row.spec))
        return self._models[definition_id]

    def latest_model(self) -> Model:
        """The newest deployed version of ``processes/`` (forms, settings, page texts)."""
        with transaction(self.factory) as session:
            return self._model(session, self._latest_definition_id(session))[0]

    def model_of(self, number: str) -> Model:
        """The version a dossier runs on: its forms, texts, roles and settings."""
        with transaction(self.factory) as session:
            return self._dossier_model(session, self._dossier(session, number).id)

    def models(self) -> dict[int, Model]:
        """Every deployed version's model, by version (each parsed once per process)."""
        with transaction(self.factory) as session:
            versions = session.scalars(select(Definition.id).order_by(Definition.id)).all()
            return {version: self._model(session, version)[0] for version in versions}

    def _latest_definition_id(self, session: Session) -> int:
        latest = session.scalar(select(func.max(Definition.id)))
        if latest is None:
            raise NotFound("er is nog geen procesmodel gedeployed (klachten deploy)")
        return latest

    # ----- actions
    def submit(self, complaint: dict[str, Any], actor: str = "klager",
               on_created: Callable[[Session, Dossier, str | None], None] | None = None,
               ) -> Submitted:
        """Stap 1: start a dossier from a complaint; returns its number and access code.

        ``on_created(session, dossier, access_code)`` runs in the same transaction, after
        the process started (the public form records its submission there)."""
        with transaction(self.factory) as session:
            now = self.clock.now(session)
            definition_id = self._latest_definition_id(session)
            model, specs = self._model(session, definition_id)
            form = model.form(COMPLAINT_FORM)
            data = with_defaults(form, {"ontvangen_op": now.isoformat(), **complaint})
            validate_form(form, data)
            _check_category(data["categorie"], model.settings.get("categorieen"))
            received_at = _received_at(data["ontvangen_op"], now)
            dossier = Dossier(
                complainant_name=complainant_name(data["klager"])[:220],
                complainant_email=str(data["klager"].get("email") or "").lower()[:254],
                member_number=str(data["klager"].get("lidnummer") or "")[:20],
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
            ctx = self._run(loaded, model, lambda lc: lc.case.run(lc.engine_completed))
            if dossier.number is None:  # the model failed before it numbered the dossier
                number_dossier(ctx, received_at)
            session.add(instance)
            save_case(loaded, model)
            if on_created is not None:
                on_created(session, dossier, ctx.transient.get("toegangscode"))
            return Submitted(dossier.number or "", ctx.transient.get("toegangscode"))

    def complete_task(self, task_id: str, data: dict[str, Any], user: str,
                      expected_version: int | None = None,
                      dossier_number: str | None = None) -> str:
        """Complete a READY user task with form data; returns the dossier number.

        ``dossier_number`` and ``expected_version``, when given, guard against completing a
        task of another dossier or one that changed since the caller looked at it.
        """
        with self._action(self._instance_of_task(task_id), expected_version) as (loaded, model):
            if dossier_number is not None and loaded.dossier.number != dossier_number:
                raise NotFound(f"taak {task_id} hoort niet bij dossier {dossier_number}")
            task = loaded.case.user_task(task_id)
            loaded.case.validate(task, data)
            self._check_separation(loaded, task, user)
            letter = loaded.case.letter_code(task)
            loaded.record(user, TASK_COMPLETED, task.task_spec.name,
                          naam=task.task_spec.bpmn_name)
            self._run(loaded, model, lambda lc: lc.case.complete(task, data,
                                                                  lc.engine_completed))
            if letter:
                self._post(loaded.session, loaded.dossier, letter, user, loaded.now)
            return loaded.dossier.number or ""

    def send_message(self, number: str, name: str, payload: dict[str, Any],
                     actor: str = "klager") -> None:
        with self._action(self._instance_of_dossier(number)) as (loaded, model):
            self._message(loaded, model, name, payload, actor)

    def _message(self, loaded: LoadedCase, model: Model, name: str, payload: dict[str, Any],
                 actor: str) -> None:
        loaded.record(actor, "bericht ontvangen", name, **_short(payload))
        self._run(loaded, model, lambda lc: lc.case.send_message(
            name, payload, lc.engine_completed))

    # ----- notices: delivery and letters
    def notice_undeliverable(self, notice_id: int, reason: str) -> bool:
        """Fail an e-mail for good and, in the same action, start the mediator's task to
        reach the complainant another way (message ``bericht_onbestelbaar``). When the
        process no longer waits for that message (it has ended), or its state cannot be
        read, the dossier gets an incident instead. Returns whether a task was started."""
        try:
            with self._action(self._instance_of_notice(notice_id)) as (loaded, model):
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

    def letter(self, number: str, code: str) -> Letter:
        """A notice of the dossier as a PDF letter: the letter to print and post (with the
        other notices of its mailing), or a copy on paper of an e-mail (sent to the postal
        address in the complaint)."""
        with transaction(self.factory) as session:
            dossier = self._dossier(session, number)
            if dossier.erased_at is not None:
                raise Conflict(f"dossier {number} is gewist: er zijn geen brieven meer")
            notice = self._notice(session, dossier, code)
            address = (notice.recipient if notice.channel == "brief"
                       else self._postal_address(session, dossier))
            mailing = _mailing(session, notice)
            return notice_letter(self._dossier_model(session, dossier.id), mailing, number,
                                 address, [self.outgoing_body(n.body, n.sealed_code)
                                           for n in mailing])

    def outgoing_body(self, body: str, sealed_code: str | None) -> str:
        """A notice's text as it leaves (e-mail, letter): the access code filled in."""
        return fill_in_access_code(body, self.code_seal.open(sealed_code)) if sealed_code \
            else body

    def letters_to_print(self) -> list[dict[str, Any]]:
        """The print queue: every letter waiting to be printed and posted, oldest first; the
        notices one action made for a member by post are one letter (``berichten``: their
        codes), printed and posted together."""
        with transaction(self.factory) as session:
            rows = session.execute(
                select(Notice, Dossier.number).join(Dossier, Dossier.id == Notice.dossier_id)
                .where(Notice.status == NoticeStatus.TO_PRINT)
                .order_by(Notice.created_at, Notice.id))
            letters: dict[tuple[int, datetime], dict[str, Any]] = {}
            for notice, number in rows:
                letter = letters.setdefault((notice.dossier_id, notice.created_at), {
                    "dossiernummer": number, **_notice_dict(notice), "berichten": []})
                letter["berichten"].append(notice.code)
            return list(letters.values())

    def mark_posted(self, number: str, code: str, user: str) -> None:
        """Record that the letter of notice ``code`` was printed and posted. When an open
        task is about that letter (the acknowledgement's print-and-post task), posting it
        completes that task, posted today."""
        task_id, today = self._letter_task(number, code)
        if task_id is not None:
            self.complete_task(task_id, {"gepost_op": today}, user, dossier_number=number)
            return
        with transaction(self.factory) as session:
            self._post(session, self._dossier(session, number), code, user,
                       self.clock.now(session))

    def _letter_task(self, number: str, code: str) -> tuple[str | None, str]:
        """The open task about the letter ``code`` (if any), and today's date there."""
        with transaction(self.factory) as session:
            dossier = self._dossier(session, number)
            case = self._read_case(session, dossier)[1]
            today = self.clock.now(session).astimezone(case.model.timezone).date().isoformat()
        wanted = code.strip().upper()
        task = next((task for task in case.ready_user_tasks()
                     if (case.letter_code(task) or "").upper() == wanted), None)
        return (str(task.id) if task else None), today

    def task_letter(self, task_id: str) -> str | None:
        """The notice code of the letter an open task is about (the print-and-post task of
        the acknowledgement): the UI attaches ``letter(number, code)`` to the task."""
        with transaction(self.factory) as session:
            dossier = session.get(Dossier, self._instance_of_task(task_id)(session).dossier_id)
            case = self._read_case(session, dossier)[1]
            return case.letter_code(case.user_task(task_id))

    def dossier_settings(self, session: Session, dossier_id: int) -> dict[str, Any]:
        """The settings (``instellingen.json``) of the version the dossier runs on."""
        return self._dossier_model(session, dossier_id).settings

    def _dossier_model(self, session: Session, dossier_id: int) -> Model:
        definition_id = session.scalar(
            select(Instance.definition_id).where(Instance.dossier_id == dossier_id))
        return self._model(session, definition_id)[0]

    @staticmethod
    def _notice(session: Session, dossier: Dossier, code: str) -> Notice:
        notice = session.scalar(select(Notice).where(
            Notice.dossier_id == dossier.id, Notice.code == code.strip().upper()))
        if notice is None:
            raise NotFound(f"dossier {dossier.number} heeft geen bericht met code {code}")
        return notice

    def _postal_address(self, session: Session, dossier: Dossier) -> str:
        address = postal_address(self._read_case(session, dossier)[1].data().get("klager", {}))
        if not address:
            raise Conflict(f"dossier {dossier.number}: geen postadres van de klager bekend")
        return address

    def _post(self, session: Session, dossier: Dossier, code: str, user: str,
              now: datetime) -> None:
        """Mark a letter posted, with the other notices of its mailing (once: posting it
        again changes nothing)."""
        notice = self._notice(session, dossier, code)
        if notice.status == NoticeStatus.POSTED:
            return
        if notice.status not in POSTABLE:
            raise Conflict(f"bericht {notice.code} is {STATUS_LABELS.get(notice.status)}: "
                           "er is geen brief te posten")
        for posted in _mailing(session, notice):
            if posted.status in POSTABLE:
                self._post_one(session, dossier, posted, user, now)

    @staticmethod
    def _post_one(session: Session, dossier: Dossier, notice: Notice, user: str,
                  now: datetime) -> None:
        """One notice posted; the stored copy loses the access code, as after an e-mail
        (ADR 0003)."""
        notice.status, notice.sent_at, notice.delivery = NoticeStatus.POSTED, now, "post"
        notice.body = delivered_copy(notice.body, dossier.access_code_hash, notice.language)
        notice.sealed_code = None
        session.add(AuditEntry(dossier_id=dossier.id, at=now, actor=user, action="brief gepost",
                               element=notice.kind, details={"code": notice.code}))
        facts.notice_left(session, dossier.id, notice.kind, now)

    def retry(self, number: str, actor: str) -> int:
        """Run the failed element(s) of a dossier again; returns how many were retried."""
        with self._action(self._instance_of_dossier(number)) as (loaded, model):
            failed = loaded.case.incident_tasks()
            open_incidents = resolve_incidents(loaded)
            if not failed and not open_incidents:
                raise Conflict(f"dossier {number} heeft geen open incident")
            loaded.record(actor, "opnieuw proberen",
                          failed[0].task_spec.name if failed else "timer")
            now = loaded.now
            self._run(loaded, model, lambda lc: lc.case.retry(now, lc.engine_completed))
            return max(len(failed), open_incidents)

    def sweep_timers(self, limit: int = 500) -> int:
        """Fire the due timers of at most ``limit`` instances; returns how many were ticked.

        Only instances whose ``next_timer_at`` has come (now included) are read (an index
        range scan), in batches; each is then claimed and ticked in its own transaction. On
        PostgreSQL the claim uses SKIP LOCKED and re-checks the due time, so several workers
        never tick the same instance. An instance that cannot be ticked is taken out of the
        sweep with an incident, so one broken dossier cannot stall the rest; a lost database
        (connection broken, server restarting, session ended) is no fault of the dossier and
        ends the sweep instead, leaving the timer due for the next one.
        """
        ticked, seen = 0, set()
        while ticked < limit:
            with transaction(self.factory) as session:
                now = self.clock.now(session)
                due = [i for i in session.scalars(
                    select(Instance.id).where(Instance.next_timer_at <= now)
                    .order_by(Instance.next_timer_at).limit(SWEEP_BATCH)) if i not in seen]
            for instance_id in due[: limit - ticked]:
                seen.add(instance_id)
                ticked += self._tick(instance_id, now)
            if len(due) < SWEEP_BATCH:  # that was all; what falls due now waits for the next
                break
        return ticked

    def _tick(self, instance_id: int, now: datetime) -> bool:
        """Fire one instance's due timers, unless another worker has it or did it already."""
        try:
            with transaction(self.factory) as session:
                query = select(Instance).where(Instance.id == instance_id,
                                               Instance.next_timer_at <= now)
                if session.get_bind().dialect.name == "postgresql":
                    query = query.with_for_update(skip_locked=True)
                instance = session.scalar(query)
                if instance is None:
                    return False
                loaded, model = self._load(session, instance, now)
                self._run(loaded, model, lambda lc: lc.case.tick(now, lc.engine_completed))
                save_case(loaded, model)
                return True
        except Exception as err:  # a worker must survive one broken dossier
            if lost_database(err):  # not the dossier's fault: the timer stays due
                raise
            log.exception("timer van instantie %s mislukt", instance_id)
            self._quarantine(instance_id, now, err)
            return True

    def _quarantine(self, instance_id: int, now: datetime, error: Exception) -> None:
        with transaction(self.factory) as session:
            instance = session.get(Instance, instance_id)
            instance.next_timer_at = None
            instance.has_incident = True
            session.add(Incident(dossier_id=instance.dossier_id, element="timer",
                                 step=instance.step, error=str(error)[:4000], created_at=now))

    # ----- queries
    def tasks(self, dossier_number: str | None = None) -> list[dict[str, Any]]:
        with transaction(self.factory) as session:
            query = (select(OpenTask, Dossier.number)
                     .join(Dossier, Dossier.id == OpenTask.dossier_id)
                     .order_by(OpenTask.due_at.is_(None), OpenTask.due_at, OpenTask.created_at))
            if dossier_number:
                self._dossier(session, dossier_number)
                query = query.where(Dossier.number == dossier_number)
            return [_task_dict(task, number) for task, number in session.execute(query)]

    def task_schema(self, task_id: str) -> tuple[dict[str, Any], dict]:
        """An open task (as in :meth:`tasks`, plus the instance ``versie``) and its form's
        JSON Schema, from the version of the process the dossier runs on."""
        with transaction(self.factory) as session:
            row = session.get(OpenTask, task_id)
            if row is None:
                raise NotFound(f"taak {task_id} is niet open of bestaat niet")
            instance = session.get(Instance, row.instance_id)
            number = session.scalar(select(Dossier.number).where(Dossier.id == row.dossier_id))
            schema = (self._model(session, instance.definition_id)[0].form(row.form)
                      if row.form else {"type": "object", "properties": {}})
            french = schema.get("x-fr") or {}
            if RULE_VALUE.search(schema.get("description", "") + french.get("description", "")):
                case = self._read_case(session, session.get(Dossier, row.dossier_id))[1]
                deadlines = case.deadlines()
                schema = {**schema, "description": fill_rule_values(schema.get("description", ""),
                                                                    deadlines)}
                if french.get("description"):  # the French text of the staff pages (x-fr)
                    schema["x-fr"] = {**french, "description": fill_rule_values(
                        french["description"], deadlines)}
            return {**_task_dict(row, number), "versie": instance.version}, schema

    def diagram(self, number: str) -> tuple[dict, Model, DossierDiagram]:
        """A dossier's process data, the model version it runs on and its diagram (the
        BPMN, the elements done and current, and an SVG drawn on the server)."""
        with transaction(self.factory) as session:
            dossier = self._dossier(session, number)
            instance, case = self._read_case(session, dossier)
            model = self._model(session, instance.definition_id)[0]
            done, current = case.element_states()
            return case.data(), model, DossierDiagram(
                model.files[DIAGRAM], sorted(done), sorted(current),
                render_svg(model.files[DIAGRAM], done, current,
                           f"procesdiagram van dossier {number}"))

    def case(self, number: str) -> Case | ClosedCase:
        """A dossier's workflow as stored, to read (for example to draw the diagram)."""
        with transaction(self.factory) as session:
            return self._read_case(session, self._dossier(session, number))[1]

    def _read_case(self, session: Session, dossier: Dossier
                   ) -> tuple[Instance, Case | ClosedCase]:
        instance = session.scalar(select(Instance).where(Instance.dossier_id == dossier.id))
        model, specs = self._model(session, instance.definition_id)
        return instance, case_of(instance, model, specs)

    def dossier(self, number: str) -> dict[str, Any]:
        """Everything about a dossier: step, deadlines, open tasks, notices, audit, incidents."""
        with transaction(self.factory) as session:
            dossier = self._dossier(session, number)
            instance = session.scalar(select(Instance).where(Instance.dossier_id == dossier.id))
            try:
                case: Case | ClosedCase | None = self._read_case(session, dossier)[1]
            except StateUnreadable:  # still show the dossier and its incident
                case = None
            return {
                "dossiernummer": dossier.number,
                "stap": instance.step,
                "afgesloten": dossier.closed_at is not None,
                "afgesloten_op": _iso(dossier.closed_at),
                "uitkomst": dossier.outcome,
                "gewist_op": _iso(dossier.erased_at),
                "juridische_blokkering": (dossier.legal_hold_reason or "-"
                                          if dossier.legal_hold else None),
                "ontvangen_op": _iso(dossier.received_at),
                "categorie": dossier.category,
                "kanaal": dossier.channel,
                "taal": dossier.language,
                "procesversie": instance.definition_id,
                "versie": instance.version,
                "volgende_timer": _iso(instance.next_timer_at),
                "termijnen": {
                    name: {k: value.get(k) for k in ("dagen", "eenheid", "doorschuiven",
                                                     "vervaldag", "uitleg")}
                    for name, value in (case.deadlines() if case else {}).items()
                },
                "open_taken": [_task_dict(t, dossier.number) for t in session.scalars(
                    select(OpenTask).where(OpenTask.dossier_id == dossier.id)
                    .order_by(OpenTask.created_at))],
                "wacht_op_berichten": sorted(case.waiting_messages()) if case else [],
                "berichten": [_notice_dict(n) for n in session.scalars(
                    select(Notice).where(Notice.dossier_id == dossier.id).order_by(Notice.id))],
                "audit": [_audit_dict(a) for a in session.scalars(
                    select(AuditEntry).where(AuditEntry.dossier_id == dossier.id)
                    .order_by(AuditEntry.id))],
                "incidenten": [_incident_dict(i) for i in session.scalars(
                    select(Incident).where(Incident.dossier_id == dossier.id)
                    .order_by(Incident.id))],
            }

    # ----- plumbing
    @staticmethod
    def _dossier(session: Session, number: str) -> Dossier:
        dossier = session.scalar(select(Dossier).where(Dossier.number == number))
        if dossier is None:
            raise NotFound(f"dossier {number} bestaat niet")
        return dossier

    def _instance_of_dossier(self, number: str) -> Callable[[Session], Instance]:
        def find(session: Session) -> Instance:
            dossier = self._dossier(session, number)
            return session.scalar(select(Instance).where(Instance.dossier_id == dossier.id))
        return find

    @staticmethod
    def _instance_of_notice(notice_id: int) -> Callable[[Session], Instance]:
        """The instance of an outbox row's dossier (outbox rows are never deleted)."""
        def find(session: Session) -> Instance:
            dossier_id = select(Notice.dossier_id).where(Notice.id == notice_id).scalar_subquery()
            return session.scalar(select(Instance).where(Instance.dossier_id == dossier_id))
        return find

    @staticmethod
    def _instance_of_task(task_id: str) -> Callable[[Session], Instance]:
        def find(session: Session) -> Instance:
            row = session.get(OpenTask, task_id)
            if row is None:
                raise NotFound(f"taak {task_id} is niet open of bestaat niet")
            return session.get(Instance, row.instance_id)
        return find

    def _load(self, session: Session, instance: Instance, now: datetime
              ) -> tuple[LoadedCase, Model]:
        dossier = session.get(Dossier, instance.dossier_id)
        model, specs = self._model(session, instance.definition_id)
        return open_case(session, instance, dossier, model, specs, now), model

    @contextmanager
    def _action(self, find: Callable[[Session], Instance], expected_version: int | None = None
                ) -> Iterator[tuple[LoadedCase, Model]]:
        with transaction(self.factory) as session:
            now = self.clock.now(session)
            instance = find(session)
            if expected_version is not None and instance.version != expected_version:
                raise Conflict("het dossier werd intussen gewijzigd; laad het opnieuw")
            loaded, model = self._load(session, instance, now)
            yield loaded, model
            save_case(loaded, model)

    def _run(self, loaded: LoadedCase, model: Model,
             step: Callable[[LoadedCase], None]) -> OperatorContext:
        """Run engine steps at the action's instant; an operator error becomes an incident."""
        ctx = OperatorContext(session=loaded.session, dossier=loaded.dossier, model=model,
                              now=loaded.now, seal=lambda code: self.code_seal.seal(code))
        with clocks.frozen_at(loaded.now), operator_context(ctx):
            try:
                step(loaded)
            except Exception as err:
                if _not_the_models(err) or not loaded.case.mark_failed(err):
                    raise
                record_incidents(loaded, err)
        return ctx

    @staticmethod
    def _check_separation(loaded: LoadedCase, task, user: str) -> None:
        """A task with property ``andere_gebruiker_dan`` may not be completed by the user who
        completed that other task in this dossier (the national re-examination)."""
        other = properties(task).get("andere_gebruiker_dan")
        if not other:
            return
        earlier = loaded.session.scalars(select(AuditEntry.actor).where(
            AuditEntry.dossier_id == loaded.dossier.id, AuditEntry.element == other,
            AuditEntry.action == TASK_COMPLETED)).all()
        if user in earlier:
            raise Forbidden(f"{user} voltooide in dit dossier al de taak {other} en mag deze "
                            "taak niet uitvoeren (scheiding van functies)")


def _not_the_models(error: Exception) -> bool:
    """Errors an action reports as they are: our own (a conflict, bad input) and the
    database's. Anything else the engine raised is the model's, and becomes an incident."""
    return isinstance(error, RunnerError | SQLAlchemyError) or lost_database(error)


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


def _task_dict(task: OpenTask, number: str | None) -> dict[str, Any]:
    return {"id": task.id, "dossiernummer": number, "taak": task.spec_name, "titel": task.title,
            "rol": task.lane, "stap": task.step, "formulier": task.form,
            "vervaldatum": _iso(task.due_at), "geclaimd_door": task.claimed_by}


def _notice_dict(notice: Notice) -> dict[str, Any]:
    return {"soort": notice.kind, "taal": notice.language, "kanaal": notice.channel,
            "code": notice.code, "onderwerp": notice.subject, "tekst": notice.body,
            "aangemaakt_op": _iso(notice.created_at), "status": notice.status,
            "status_tekst": STATUS_LABELS.get(notice.status, notice.status),
            "ontvanger": notice.recipient, "pogingen": notice.attempts,
            "fout": notice.last_error, "volgende_poging": _iso(notice.next_attempt_at),
            "verzonden_op": _iso(notice.sent_at), "afgeleverd_via": notice.delivery}


def _mailing(session: Session, notice: Notice) -> list[Notice]:
    """The notices that go in one envelope with ``notice``: the letters one action (one
    instant) made for its dossier, still to print or posted together; an e-mail's paper
    copy goes alone."""
    if notice.channel != "brief":
        return [notice]
    sent_together = (Notice.sent_at.is_(None) if notice.sent_at is None
                     else Notice.sent_at == notice.sent_at)
    return list(session.scalars(select(Notice).where(
        Notice.dossier_id == notice.dossier_id, Notice.channel == "brief",
        Notice.created_at == notice.created_at, Notice.status == notice.status,
        sent_together).order_by(Notice.id)))


def _fail_notice(session: Session, notice_id: int, reason: str) -> Notice:
    notice = session.get(Notice, notice_id)
    notice.status, notice.last_error = NoticeStatus.FAILED, reason[:2000]
    notice.claimed_until = notice.next_attempt_at = None
    return notice


def _undeliverable_incident(notice: Notice, now: datetime, reason: str,
                            step: str = "") -> Incident:
    return Incident(dossier_id=notice.dossier_id, element=notice.kind, step=step,
                    error=f"bericht {notice.code} niet afgeleverd en geen taak gestart; bereik "
                          f"de klager op een andere manier: {reason}"[:4000],
                    created_at=now)


def _audit_dict(entry: AuditEntry) -> dict[str, Any]:
    return {"op": _iso(entry.at), "wie": entry.actor, "wat": entry.action,
            "element": entry.element, "stap": entry.step, "details": entry.details}


def _incident_dict(incident: Incident) -> dict[str, Any]:
    return {"element": incident.element, "stap": incident.step, "fout": incident.error,
            "op": _iso(incident.created_at), "opgelost_op": _iso(incident.resolved_at)}


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


