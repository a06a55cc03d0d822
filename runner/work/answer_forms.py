"""The answer templates of ``processes/antwoorden/`` on a task's form: which ones the form
offers for this dossier, and a chosen one filled in with the dossier's facts, in the
dossier's language, for the mediator to edit before sending
(:mod:`runner.definition.answer_templates`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from runner.accounts.users import Account
from runner.bpmn.clock import as_utc
from runner.bpmn.errors import ValidationFailed
from runner.bpmn.store import Instance, OpenTask, transaction
from runner.definition import answer_templates
from runner.definition.model import Model, as_model
from runner.service import Klachten
from runner.store import Dossier
from runner.work.inbox import Inbox


@dataclass(frozen=True)
class Offer:
    id: str
    title: str


@dataclass(frozen=True)
class Filled:
    """A template filled in: the field it fills with its text, and the choices it goes with."""

    field: str
    text: str
    choices: dict[str, str]
    title: str


@dataclass(frozen=True)
class _Task:
    model: Model
    spec_name: str
    dossier: Dossier


class Answers:
    def __init__(self, klachten: Klachten, inbox: Inbox):
        self.klachten = klachten
        self.inbox = inbox

    def offered(self, account: Account, task_id: str, language: str = "nl") -> list[Offer]:
        """The templates the task's form offers for its dossier, titled in ``language``."""
        self.inbox.check_may_work(account, task_id)
        with transaction(self.klachten.factory) as session:
            task = self._task(session, task_id)
            return [Offer(template.id, template.title(language)) for template in
                    answer_templates.offered(task.model, task.spec_name, task.dossier.category)]

    def fill(self, account: Account, task_id: str, template_id: str) -> Filled:
        """Template ``template_id`` filled in with the dossier's facts, in its language."""
        self.inbox.check_may_work(account, task_id)
        with transaction(self.klachten.factory) as session:
            task = self._task(session, task_id)
            dossier = task.dossier
            chosen = next((template for template in answer_templates.offered(
                task.model, task.spec_name, dossier.category) if template.id == template_id),
                None)
            if chosen is None:
                raise ValidationFailed({"sjabloon": "kies een sjabloon uit de lijst"},
                                       {"sjabloon": "enum"})
            complainant = self.klachten.read_case(session, dossier)[1].data().get("klager") or {}
            now = self.klachten.clock.now(session)
        language = dossier.language if dossier.language in ("nl", "fr") else "nl"
        text = answer_templates.render(task.model, chosen, language,
                                       _facts(task.model, dossier, complainant, now, language))
        return Filled(chosen.text_field, text, chosen.choices, chosen.title(language))

    def _task(self, session: Session, task_id: str) -> _Task:
        row = session.get_one(OpenTask, task_id)
        instance = session.get_one(Instance, row.instance_id)
        model = as_model(self.klachten.runner.model(session, instance.definition_id)[0])
        return _Task(model, row.spec_name, session.get_one(Dossier, row.dossier_id))


def _facts(model: Model, dossier: Dossier, complainant: dict, now: datetime,
           language: str) -> dict[str, str]:
    """The placeholders' values (:data:`runner.definition.answer_templates.PLACEHOLDERS`)."""
    words = model.notices(language).date_text
    zone = model.timezone
    return {"dossiernummer": dossier.number or "",
            "ontvangen_op": words(as_utc(dossier.received_at).astimezone(zone).date()),
            "voornaam": str(complainant.get("voornaam") or ""),
            "achternaam": str(complainant.get("achternaam") or ""),
            "categorie": model.labels.text("categorie", dossier.category, language),
            "vandaag": words(now.astimezone(zone).date())}
