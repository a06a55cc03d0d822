"""Static checks of the complaint procedure's model folder (``processes/``) before it is
deployed: the generic checks of :mod:`runner.bpmn.lint` (XML, parsing, operators, forms,
expressions, timers, gateways, flows) and those of the procedure's own files and conventions:

* every notice kind used by a ``produce_notice`` task has a template in every language,
  the two languages have the same templates, and every template is valid Jinja syntax;
  every ``labels.json`` has the labels of a PDF letter (``brief``);
* every lane with user tasks has a role in ``rollen.json``, every lane there exists in the
  diagram and every role there is a known role;
* ``dossiernummer_formaat`` uses only ``{jaar}`` and ``{volgnummer}`` and gives numbers
  the status page and the dossier URLs find;
* every field of a user task's form has a type the web form can render;
* every code people see (categories, steps, user tasks, form choices) has a label in
  ``labels.json`` in every language (:func:`runner.design.label_coverage.missing_labels`);
* what the files mean together (:mod:`runner.design.semantics`): codes a notice prints and
  DMN suggestions, placeholders, the status messages the status page promises, the
  processing register, the data the reports read, the retention period;
* the answer templates of ``antwoorden/`` name existing tasks, long text fields, choices and
  categories, exist in every language and use only the known placeholders
  (:func:`runner.definition.answer_templates.problems`);
* the messages the diagram waits for are sent by the procedure or by the model itself, and
  the drawing and the bpmnlint rules (:mod:`runner.bpmn.structure_lint`).

Then, when the static checks found no error, the model is run (:mod:`runner.design.model_run`):
every path, with sample data, on a virtual clock, in a scratch database.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import jinja2
from lxml import etree
from SpiffWorkflow.spiff.specs.defaults import ServiceTask

from runner.accounts.users import MEMBER_LANE, ROLES, ROLES_FILE
from runner.bpmn.case import spec_properties
from runner.bpmn.engine import Operator
from runner.bpmn.errors import ERROR, WARNING, ModelError, Problem
from runner.bpmn.lint import BPMN_NS, ModelLinter, errors, folder_problem, without_prefix
from runner.bpmn.plugins import Plugins
from runner.definition import answer_templates
from runner.definition.model import (
    DIAGRAM,
    LABELS,
    LANGUAGES,
    NOTICES_DIR,
    SETTINGS,
    Model,
    parse,
    read_folder,
)
from runner.design import semantics
from runner.design.label_coverage import missing_labels
from runner.design.model_run import ComplaintExplorer
from runner.investigation.desk import ASK_MESSAGE, CONSULT_MESSAGE
from runner.members.status_page import DISAGREE, WITHDRAW
from runner.notices.letters import letter_labels
from runner.operators import dossier_number_problem
from runner.service import UNDELIVERABLE_MESSAGE, separated_from
from runner.work.dossier_view import MESSAGES as MEDIATOR_MESSAGES
from runner.work.follow_up import DUPLICATE_MESSAGE

__all__ = ["ERROR", "NOTICE_OPERATOR", "WARNING", "ComplaintLinter", "Problem", "errors", "lint",
           "lint_files"]

NOTICE_OPERATOR = "produce_notice"
NOTICE_KIND_PARAMETER = "soort"
_NOTICE_KIND = re.compile(r"[a-z0-9][a-z0-9_]*")
# Widgets of runner.work.task_form: what a user task's form can show.
_RENDERABLE_TYPES = {"string", "boolean"}


def lint(folder: Path, operators: Mapping[str, Operator], run: bool = True) -> list[Problem]:
    """Check the model in ``folder``; ``operators``: the operators its service tasks may name;
    ``run``: also run the model when the static checks pass.

    Returns all problems found, in the order found, without duplicates (empty = clean).
    """
    folder = Path(folder)
    try:
        files = read_folder(folder)
    except ModelError as err:
        return [folder_problem(folder, str(err))]
    return lint_files(files, operators, run)


def lint_files(files: dict[str, str], operators: Mapping[str, Operator],
               run: bool = True) -> list[Problem]:
    """:func:`lint` on a model's files (``{relative path: text}``), through the plug-ins a
    deploy uses (:class:`runner.bpmn.plugins.Plugins`): the result is kept per content, so
    deploying a model that was just linted does not run it again."""
    return Plugins(operators, linter=ComplaintLinter, explorer=ComplaintExplorer).check(
        files, parse, run)


class ComplaintLinter(ModelLinter[Model]):
    """The generic checks, and those of the procedure's own files and conventions."""

    # What the procedure sends to a dossier: the member's status page (disagreement,
    # withdrawal), the mediator's dossier page and the CLI (the same), the outbox (a bounce),
    # the follow-up desk (a duplicate), the investigation desk (a consultation, a question to
    # the member). A feature that sends a new message adds it here.
    external_messages = frozenset({DISAGREE, WITHDRAW, UNDELIVERABLE_MESSAGE,
                                   *MEDIATOR_MESSAGES, DUPLICATE_MESSAGE, CONSULT_MESSAGE,
                                   ASK_MESSAGE})

    def check_files(self) -> None:
        self.check_templates()
        self.check_letter_labels()
        self.check_dossier_number()
        self.check_semantics()

    def check_diagram(self, name: str, root: etree._Element) -> None:
        self.check_lanes(name, root)

    def check_model(self, model: Model) -> None:
        for kind, code, language in missing_labels(model):
            self.report(LABELS, "", f"{kind} {code!r} heeft geen label in het {language}")
        self.check_separations(model)
        for file, element, message in answer_templates.problems(model):
            self.report(file, element, message)

    def check_separations(self, model: Model) -> None:
        """``andere_gebruiker_dan`` names user tasks of the diagram: a misspelt one would
        let someone of the first handling re-examine their own dossier, unnoticed."""
        specs = model.user_task_specs()
        names = {spec.name for spec in specs}
        for spec in specs:
            for other in separated_from(spec_properties(spec)):
                if other not in names:
                    self.report(DIAGRAM, spec.name,
                                f"andere_gebruiker_dan noemt '{other}', maar dat is geen "
                                f"gebruikerstaak van het diagram; kies uit "
                                f"{', '.join(sorted(names))}")

    def check_service_task(self, file: str, element: str, spec: ServiceTask) -> None:
        super().check_service_task(file, element, spec)
        if spec.operation_name == NOTICE_OPERATOR:
            self.check_notice_kind(file, element, spec.operation_params or {})

    def check_templates(self) -> None:
        environment = jinja2.Environment(autoescape=False)
        per_language: dict[str, set[str]] = {language: set() for language in LANGUAGES}
        for name, text in self.files.items():
            parts = name.split("/")
            if len(parts) != 3 or parts[0] != NOTICES_DIR or parts[1] not in per_language:
                continue
            per_language[parts[1]].add(parts[2])
            if not name.endswith(".txt"):
                continue
            try:
                environment.parse(text, name=name)
            except jinja2.TemplateSyntaxError as err:
                self.report(name, "", f"ongeldig sjabloon: regel {err.lineno}: {err.message}")
        for language, names in per_language.items():
            for other, other_names in per_language.items():
                for missing in sorted(other_names - names):
                    self.report(
                        f"{NOTICES_DIR}/{language}/{missing}",
                        "",
                        f"bestand ontbreekt (wel aanwezig in {NOTICES_DIR}/{other}/)",
                    )

    def check_semantics(self) -> None:
        """What the files mean together (:mod:`runner.design.semantics`)."""
        files, json, roots = self.files, self.json, self.roots
        found = [*semantics.retention(json), *semantics.placeholders(files, json),
                 *semantics.dmn_choices(roots, semantics.coded_fields(files, json)),
                 *semantics.deadline_days(roots),
                 *semantics.notice_codes(files, json, roots),
                 *semantics.status_promises(roots, json),
                 *semantics.privacy_classification(files, json, roots),
                 *semantics.report_data(json, roots)]
        for file, element, message in found:
            self.report(file, element, message)

    def check_letter_labels(self) -> None:
        """The labels a PDF letter prints (``brief`` in each language's labels.json)."""
        for language in LANGUAGES:
            name = f"{NOTICES_DIR}/{language}/labels.json"
            if name not in self.json:  # missing or invalid: reported above
                continue
            try:
                letter_labels(self.json[name])
            except ModelError as err:
                self.report(name, "", without_prefix(str(err), "labels.json"))

    def check_lanes(self, name: str, root: etree._Element) -> None:
        """Lanes with user tasks have a role in rollen.json, and rollen.json names only
        lanes of the diagram and known roles: else tasks vanish from every inbox."""
        if ROLES_FILE not in self.json:
            if ROLES_FILE not in self.files:
                self.report(ROLES_FILE, "", "bestand ontbreekt: het zegt welke rol de taken "
                                            "van elke lane uitvoert")
            return
        mapping = self.json[ROLES_FILE].get("lanes") if isinstance(
            self.json[ROLES_FILE], dict) else None
        if not isinstance(mapping, dict):
            self.report(ROLES_FILE, "", 'verwacht {"lanes": {"naam van de lane": "rol"}}')
            return
        user_tasks = {task.get("id") for task in root.iter(f"{{{BPMN_NS}}}userTask")}
        lanes = set()
        for lane in root.iter(f"{{{BPMN_NS}}}lane"):
            lane_name = lane.get("name") or ""
            lanes.add(lane_name)
            tasks = sorted(ref.text.strip() for ref in lane.iter(f"{{{BPMN_NS}}}flowNodeRef")
                           if ref.text and ref.text.strip() in user_tasks)
            if tasks and lane_name not in mapping:
                self.report(name, lane.get("id"),
                            f"lane '{lane_name}' staat niet in {ROLES_FILE}: niemand ziet de "
                            f"taken {', '.join(tasks)} in zijn inbox; voeg "
                            f'"{lane_name}": "<rol>" toe aan {ROLES_FILE} of geef de lane '
                            "de naam die daar staat")
        for lane_name, role in mapping.items():
            if lane_name not in lanes:
                self.report(ROLES_FILE, lane_name,
                            f"lane '{lane_name}' bestaat niet in {name}; hernoem ze hier "
                            "zoals in het diagram, of verwijder de regel")
            if role not in (*ROLES, MEMBER_LANE):
                self.report(ROLES_FILE, lane_name,
                            f"onbekende rol '{role}'; kies uit {', '.join(ROLES)} of "
                            f"{MEMBER_LANE} (taken van het lid op de statuspagina)")

    def check_dossier_number(self) -> None:
        settings = self.json.get(SETTINGS)
        if not isinstance(settings, dict) or "dossiernummer_formaat" not in settings:
            return
        problem = dossier_number_problem(settings["dossiernummer_formaat"])
        if problem:
            self.report(SETTINGS, "dossiernummer_formaat", problem)

    def check_notice_kind(self, file: str, element: str, parameters: dict) -> None:
        parameter = parameters.get(NOTICE_KIND_PARAMETER)
        if not isinstance(parameter, dict) or not isinstance(parameter.get("value"), str):
            self.report(file, element, f"parameter '{NOTICE_KIND_PARAMETER}' ontbreekt")
            return
        try:
            kind = ast.literal_eval(parameter["value"].strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            kind = None
        if not isinstance(kind, str):
            self.report(
                file,
                element,
                f"parameter '{NOTICE_KIND_PARAMETER}' moet een vaste tekst zijn, "
                f"bijvoorbeeld 'antwoord' (nu: {parameter['value']})",
            )
            return
        if not _NOTICE_KIND.fullmatch(kind):
            self.report(file, element, f"ongeldige soort bericht '{kind}'")
            return
        for language in LANGUAGES:
            template = f"{NOTICES_DIR}/{language}/{kind}.txt"
            if template not in self.files:
                self.report(file, element, f"sjabloon {template} ontbreekt")

    def check_form_fields(self, path: str, element: str) -> None:
        """The web form of a user task renders text, choices, dates, check boxes and rows
        (:mod:`runner.work.task_form`); any other type can never be filled in there."""
        for name, kind in _unrenderable_fields(self.json[path]):
            self.report(path, element,
                        f"veld '{name}' heeft type '{kind}', dat het webformulier niet kan "
                        "tonen (de bemiddelaar krijgt altijd 'deze waarde is niet geldig'); "
                        "gebruik type 'string' (met een 'pattern' voor cijfers), 'boolean' "
                        "of een lijst van objecten")


def _unrenderable_fields(schema: dict, prefix: str = "") -> Iterator[tuple[str, str]]:
    for name, spec in (schema.get("properties") or {}).items():
        if not isinstance(spec, dict):
            continue
        kind = spec.get("type", "string")
        items = spec.get("items")
        if not isinstance(items, dict):
            items = {}
        if kind == "array" and items.get("type") == "object" and not prefix:
            yield from _unrenderable_fields(items, f"{name}.")
        elif not isinstance(kind, str) or kind not in _RENDERABLE_TYPES:
            yield f"{prefix}{name}", str(kind)
        elif any(not isinstance(value, str) for value in spec.get("enum", [])):
            yield f"{prefix}{name}", "keuze met waarden die geen tekst zijn"
