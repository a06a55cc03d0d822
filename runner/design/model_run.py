"""Running the complaint procedure's model before it is deployed (``klachten lint``).

The walk is :class:`runner.bpmn.model_run.ModelExplorer`'s; this module says where the
paths start and what the procedure checks on the way. Complaints start with and without
e-mail, by letter, anonymous, in each language, through each channel and category; every
notice is rendered in every language and every letter printed; a repeating status timer
must repeat a calendar-day interval of 1 to 366 days; every ``{rule.dagen}`` in the page
texts and forms names a deadline rule the dossiers compute.
"""

from __future__ import annotations

import re
from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from sqlalchemy import select

from runner.bpmn.definitions import FORMS_DIR
from runner.bpmn.errors import ERROR
from runner.bpmn.model_run import Action, ModelExplorer, Start, Walk, reason
from runner.definition.model import LANGUAGES, Model
from runner.definition.rule_texts import rule_names
from runner.investigation.desk import allowed_during, sample_payload
from runner.members.status_page import TEXTS as STATUS_TEXTS
from runner.notices.addresses import delivery_address, postal_address
from runner.notices.letters import notice_letter
from runner.operators import OperatorContext
from runner.service import COMPLAINT_FORM, UNDELIVERABLE_MESSAGE
from runner.store import Dossier, Notice

CALENDAR_DAYS = "kalenderdagen"
MAX_INTERVAL_DAYS = 366  # a repeating timer of more than a year promises nothing
_MEMBER = {"voornaam": "An", "achternaam": "Peeters", "email": "an.peeters@example.be",
           "adres": "Kerkstraat 1, 9000 Gent", "telefoon": "09 123 45 67",
           "lidnummer": "12345678901"}
_CONTACTS: tuple[tuple[str, dict[str, str]], ...] = (
    ("met e-mail", _MEMBER),
    ("per brief, zonder e-mail", {k: v for k, v in _MEMBER.items() if k != "email"}),
    ("alleen per telefoon", {k: _MEMBER[k] for k in ("voornaam", "achternaam", "telefoon")}),
    ("anoniem", {}),
)
_INTERVAL = re.compile(r"""\[\s*['"](\w+)['"]\s*\]\s*\[\s*['"]interval['"]\s*\]""")


class ComplaintExplorer(ModelExplorer):
    """Where the complaint procedure's paths start, and what it checks on the way."""

    start_form = COMPLAINT_FORM
    model: Model

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.letters: set[str] = set()
        self.notices = {(kind, language) for kind in _notice_kinds(self.model)
                        for language in LANGUAGES}
        self.rendered: set[tuple[str, str]] = set()
        self.rules: set[str] = set()  # the deadline rules the dossiers computed
        self.interval_timers = _interval_timers(self.model)

    def starts(self) -> list[Start]:
        form = self.model.form(COMPLAINT_FORM)
        properties = form.get("properties", {})
        categories = list(self.model.settings.get("categorieen") or []) or ["andere"]
        channels = list(properties.get("kanaal", {}).get("enum") or ["web"])
        languages = list(properties.get("taal", {}).get("enum") or ["nl"])
        base = {"taal": languages[0], "kanaal": channels[0], "categorie": categories[0],
                "omschrijving": "Ik kreeg te weinig terugbetaald voor mijn kinesitherapie."}
        starts = [Start({**base, "taal": language, "klager": contact},
                        f"klacht {how}, taal {language}",
                        (language, delivery_address(contact)[0]))
                  for language in languages for how, contact in _CONTACTS]
        flavour = starts[0].flavour
        starts += [Start({**base, "kanaal": channel, "klager": _MEMBER},
                         f"klacht via kanaal {channel}", flavour) for channel in channels[1:]]
        starts += [Start({**base, "categorie": category, "klager": _MEMBER},
                         f"klacht in categorie {category}", flavour)
                   for category in categories[1:]]
        return starts

    def start_defaults(self, now: datetime) -> dict:
        return {"ontvangen_op": now.isoformat()}

    def start_data(self) -> dict:
        return self.model.settings.get("startgegevens", {})

    def case_file(self, start: Start, data: dict, now: datetime) -> Dossier:
        dossier = Dossier(complainant_name="controle", category=data["categorie"],
                          channel=data["kanaal"], language=data["taal"], received_at=now)
        self.session.add(dossier)
        return dossier

    def context(self, walk: Walk) -> OperatorContext:
        return OperatorContext(session=self.session, dossier=walk.case_file, model=self.model,
                               now=walk.now)

    def started(self, walk: Walk) -> bool:
        if not walk.case_file.number:
            self.fail("", f"het dossier kreeg geen nummer ({walk.start.label})")
            return False
        return True

    def message_payload(self, name: str) -> dict:
        if name == UNDELIVERABLE_MESSAGE:
            return {"soort": "ontvangstmelding", "code": "ABCDEFGH", "kanaal": "email",
                    "reden": "550 onbekende ontvanger (controle)", "pogingen": 3}
        return (sample_payload(self.model, name, self.reached)
                or super().message_payload(name))

    def actions(self, walk: Walk) -> list[Action]:
        """The actions of the walk, without a message whose start event allows it only
        beside tasks that are not open (``alleen_tijdens``), as the desk refuses it."""
        ready = {task.task_spec.name for task in walk.case.ready_user_tasks()}
        return [action for action in super().actions(walk) if action.kind != "bericht"
                or not (during := allowed_during(self.model, action.element))
                or during & ready]

    def covered_more(self) -> bool:
        """Every notice rendered in every language."""
        return self.rendered >= self.notices

    def after_step(self, walk: Walk) -> None:
        self.print_letters(walk)
        deadlines = walk.case.deadlines()
        self.rules.update(deadlines)
        self.check_intervals(deadlines)

    def after_run(self) -> None:
        self.check_rule_texts()

    def print_letters(self, walk: Walk) -> None:
        """Print a letter once per language (its layout differs by language only)."""
        self.rendered.update(self.session.execute(
            select(Notice.kind, Notice.language).distinct()).all())
        notices = self.session.scalars(select(Notice).where(
            Notice.dossier_id == walk.case_file.id, Notice.channel == "brief"))
        for notice in notices:
            if notice.language in self.letters:
                continue
            self.letters.add(notice.language)
            try:
                notice_letter(self.model, [notice], walk.case_file.number or "",
                              postal_address(walk.start.data["klager"]) or "")
            except Exception as err:  # every failure is a finding
                self.fail("", f"de brief '{notice.kind}' ({notice.language}) kan niet "
                              f"gedrukt worden: {reason(err)}", ERROR,
                          f"notices/{notice.language}/{notice.kind}.txt")

    def check_intervals(self, deadlines: dict[str, dict]) -> None:
        """A cycle timer repeats a fixed number of calendar days: an interval rule that
        counts working days or rolls forward to a working day cannot be honoured."""
        for element, rule in self.interval_timers:
            deadline = deadlines.get(rule)
            if not deadline:
                continue
            days = deadline.get("dagen")
            if not isinstance(days, int) or not 1 <= days <= MAX_INTERVAL_DAYS:
                self.fail(element, f"het interval '{rule}' is {days} dagen: een herhalende timer "
                                   "van 0 dagen stuurt bij elke ronde van de worker een bericht, "
                                   "een van jaren nooit; zet in de termijnentabel een aantal "
                                   f"dagen van 1 tot {MAX_INTERVAL_DAYS} voor deze regel")
            rolls = bool(deadline.get("doorschuiven"))
            if deadline.get("eenheid") != CALENDAR_DAYS or rolls:
                self.fail(element, f"het interval '{rule}' telt in {deadline.get('eenheid')}"
                                   f"{' en schuift door naar een werkdag' if rolls else ''}, "
                                   "maar een herhalende timer herhaalt een vast aantal "
                                   "kalenderdagen; zet in de termijnentabel eenheid "
                                   "'kalenderdagen' en doorschuiven False voor deze regel")

    def check_rule_texts(self) -> None:
        """Every ``{rule.dagen}`` in the status page texts and the forms names a rule that
        the dossiers compute."""
        for name in sorted(self.model.files):
            if name != STATUS_TEXTS and not (name.startswith(f"{FORMS_DIR}/")
                                             and name.endswith(".json")):
                continue
            for rule in sorted(set(rule_names(self.model.json_file(name))) - self.rules):
                self.fail("", f"de tekst noemt {{{rule}.dagen}}, maar geen dossier berekent "
                              f"een termijn '{rule}'; kies een termijn uit de termijnentabel "
                              f"({', '.join(sorted(self.rules))})", ERROR, name)


def _notice_kinds(model: Model) -> set[str]:
    """The notice kinds the diagram's service tasks produce (a literal ``soort``)."""
    kinds = set()
    for spec in model.all_task_specs():
        value = (getattr(spec, "operation_params", None) or {}).get("soort", {})
        match = re.fullmatch(r"""\s*['"](\w+)['"]\s*""", str(value.get("value", "")))
        if match:
            kinds.add(match[1])
    return kinds


def _interval_timers(model: Model) -> list[tuple[str, str]]:
    """``(timer element, deadline rule)`` for each cycle timer repeating a rule's interval."""
    found = []
    for spec in model.all_task_specs():
        definition = getattr(spec, "event_definition", None)
        if isinstance(definition, CycleTimerEventDefinition):
            found += [(spec.bpmn_id or spec.name, rule)
                      for rule in _INTERVAL.findall(definition.expression or "")]
    return found
