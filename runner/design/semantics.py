"""The procedure's checks of what its files mean together, beyond their syntax: mistakes that
parse, deploy and then hurt a member (issue 23).

* a code a notice prints (a form choice, a DMN suggestion) goes through its label in every
  language, and a DMN output is one of the choices of the form field of that name;
* every placeholder of a text file is one the product fills in (``{statusbericht.dagen}`` in
  ``statuspagina.json`` and the forms, ``{pagina}`` and ``{totaal}`` in a letter's page
  label); a single ``{...}`` in a notice template is printed as written;
* a task whose text on the status page promises a status message every ``{R.dagen}`` days
  carries the repeating timer of that interval;
* every field of every form is classified in the processing register (``privacy`` in
  ``instellingen.json``): personal (erased with the dossier) or not (kept);
* the process data the reports read (``rapportgegevens`` in ``instellingen.json``) is
  written by the model;
* ``bewaartermijn_jaren`` is a whole number of years between 1 and 100.

Each function returns ``(file, element, message)`` triples, messages in Dutch that say what
to do.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Any

import jinja2
from jinja2 import nodes
from lxml import etree

from runner.bpmn.definitions import FORMS_DIR
from runner.bpmn.forms import FORM_ONLY
from runner.bpmn.structure_lint import BPMN, local
from runner.definition.model import LABELS, NOTICES_DIR, SETTINGS
from runner.definition.rule_texts import RULE_VALUE
from runner.members.public_form import PUBLIC_FORM
from runner.members.status_page import TEXTS as STATUS_TEXTS
from runner.reports.facts import REPORT_DATA, REPORT_ROLES
from runner.service import COMPLAINT_FORM

Found = tuple[str, str, str]
RETENTION = "bewaartermijn_jaren"
DAYS, MAX_DAYS = "dagen", 3660  # a deadline rule's number of days, at most ten years
MAX_RETENTION_YEARS = 100
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# A single brace in a Jinja template: not {{ }}, {% %} or {# #}.
_SINGLE_BRACE = re.compile(r"(?<![{%#])\{(?![{%#])([^{}\n]{1,60})\}(?![}%#])")
_LETTER_PLACEHOLDERS = {("brief", "pagina"): {"pagina", "totaal"}}
_NOT_TEXT = frozenset({"pattern", "$schema", "$id", "format", "enum", "const", "default"})
_QUOTED_KEY = re.compile(r"""\[\s*['"](\w+)['"]\s*\]""")  # termijnen['statusbericht']


# ------------------------------------------------------------------------ helpers


def _forms(files: dict[str, str], json: dict[str, Any]) -> Iterator[tuple[str, dict]]:
    for name in sorted(files):
        if name.startswith(f"{FORMS_DIR}/") and isinstance(json.get(name), dict):
            yield name, json[name]


def _fields(schema: dict, prefix: str = "") -> Iterator[tuple[str, dict]]:
    """``(dotted name, spec)`` of every field, items of a list of objects included."""
    for name, spec in (schema.get("properties") or {}).items():
        if not isinstance(spec, dict):
            continue
        yield f"{prefix}{name}", spec
        items = spec.get("items")
        if isinstance(items, dict) and items.get("properties"):
            yield from _fields(items, f"{prefix}{name}.")


def coded_fields(files: dict[str, str], json: dict[str, Any]) -> dict[str, set[str]]:
    """Field name (last part) -> the choices it has in any form."""
    found: dict[str, set[str]] = {}
    for _, schema in _forms(files, json):
        for name, spec in _fields(schema):
            if isinstance(spec.get("enum"), list):
                found.setdefault(name.rsplit(".", 1)[-1], set()).update(
                    str(value) for value in spec["enum"])
    return found


def _literal(text: str | None) -> object:
    try:
        return ast.literal_eval((text or "").strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def _output_entries(roots: dict[str, etree._Element]
                    ) -> Iterator[tuple[str, str, str, str]]:
    """``(file, rule id, column, text)`` of every output entry of every DMN rule."""
    for file, root in roots.items():
        if not file.endswith(".dmn"):
            continue
        for table in root.iter("{*}decisionTable"):
            columns = [(output.get("name") or "").rsplit(".", 1)[-1]
                       for output in table.iterchildren("{*}output")]
            for rule in table.iterchildren("{*}rule"):
                for column, entry in zip(columns, rule.iterchildren("{*}outputEntry"),
                                         strict=False):
                    yield (file, rule.get("id") or "", column,
                           (entry.findtext("{*}text") or "").strip())


def dmn_outputs(roots: dict[str, etree._Element]) -> Iterator[tuple[str, str, str, str]]:
    """``(file, rule id, field, value)`` of every literal text a DMN rule outputs."""
    for file, rule, column, text in _output_entries(roots):
        value = _literal(text)
        if isinstance(value, str) and value:
            yield file, rule, column, value


def deadline_days(roots: dict[str, etree._Element]) -> list[Found]:
    """Every number of days a DMN rule gives is a whole number from 0 to MAX_DAYS (a value
    computed when the rule runs is checked by the model run)."""
    found: list[Found] = []
    for file, rule, column, text in _output_entries(roots):
        value = _literal(text)
        if column != DAYS or (value is None and text):
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DAYS:
            found.append((file, rule, f"'{DAYS}' is {text or 'leeg'}: een termijn telt een "
                                      f"geheel aantal dagen van 0 tot {MAX_DAYS}; vul dat in"))
    return found


# ------------------------------------------------------------------ codes and labels


def dmn_choices(roots: dict[str, etree._Element], coded: dict[str, set[str]]) -> list[Found]:
    """A DMN output named like a form field with choices gives one of those choices."""
    return [(file, rule, f"uitvoer \"{value}\" (kolom '{column}') is geen keuze van het "
                         f"formulierveld '{column}' ({', '.join(sorted(coded[column]))}): de "
                         "bemiddelaar krijgt een voorstel dat niet bestaat en het lid een "
                         "code zonder label; schrijf een van die waarden (let op spaties en "
                         "underscores)")
            for file, rule, column, value in dmn_outputs(roots)
            if column in coded and value not in coded[column]]


def _printed(expression: nodes.Node) -> tuple[str | None, list[str]]:
    """The last attribute or key of a printed expression and the filters around it."""
    filters = []
    while isinstance(expression, nodes.Filter) and expression.node is not None:
        filters.append(expression.name)
        expression = expression.node
    if isinstance(expression, nodes.Getattr):
        return expression.attr, filters
    if isinstance(expression, nodes.Getitem) and isinstance(expression.arg, nodes.Const):
        return str(expression.arg.value), filters
    if isinstance(expression, nodes.Name):
        return expression.name, filters
    return None, filters


def notice_codes(files: dict[str, str], json: dict[str, Any],
                 roots: dict[str, etree._Element]) -> list[Found]:
    """Every code a notice prints goes through its label, in every language."""
    coded = coded_fields(files, json)
    for _, _, column, value in dmn_outputs(roots):
        if column in coded:
            coded[column].add(value)
    environment = jinja2.Environment(autoescape=False)
    found: list[Found] = []
    for name in sorted(files):
        parts = name.split("/")
        if len(parts) != 3 or parts[0] != NOTICES_DIR or not name.endswith(".txt"):
            continue
        labels = json.get(f"{NOTICES_DIR}/{parts[1]}/labels.json")
        labels = labels if isinstance(labels, dict) else {}
        try:
            tree = environment.parse(files[name])
        except jinja2.TemplateSyntaxError:
            continue  # reported by the template check
        for output in tree.find_all(nodes.Output):
            for expression in output.nodes:
                field, filters = _printed(expression)
                if field not in coded:
                    continue
                found += _label_problems(name, labels, field, filters, coded[field])
    return list(dict.fromkeys(found))


def _label_problems(template: str, labels: dict, field: str, filters: list[str],
                    codes: set[str]) -> list[Found]:
    labelled = [f for f in filters if isinstance(labels.get(f), dict)]
    folder = template.rsplit("/", 1)[0]
    if not labelled:
        return [(template, field, f"drukt de code van '{field}' af zonder label (het lid leest "
                                  f"bv. '{sorted(codes)[0]}'); schrijf {{{{ ... | {field} }}}} "
                                  f"en zet elke code met zijn tekst onder \"{field}\" in "
                                  f"{folder}/labels.json")]
    table = labels[labelled[0]]
    return [(f"{folder}/labels.json", labelled[0],
             f"code '{code}' (veld '{field}', gedrukt in {template}) heeft geen label: het lid "
             f"leest de code; voeg \"{code}\": \"...\" toe onder \"{labelled[0]}\"")
            for code in sorted(codes) if not table.get(code)]


# ------------------------------------------------------------------ placeholders


def _strings(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in _NOT_TEXT:
                yield from _strings(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, str(index)))


def placeholders(files: dict[str, str], json: dict[str, Any]) -> list[Found]:
    """Only placeholders the product fills in; anything else reaches people as written."""
    found: list[Found] = []
    for name in sorted(files):
        value = json.get(name)
        if name == STATUS_TEXTS or (name.startswith(f"{FORMS_DIR}/") and name.endswith(".json")):
            found += _unknown(name, value, lambda path, text: bool(RULE_VALUE.fullmatch(text)),
                              "alleen {termijn.dagen} met een termijn uit termijnen.dmn, "
                              "bv. {statusbericht.dagen}")
        elif name == LABELS:
            found += _unknown(name, value, lambda path, text: False,
                              "geen: een label wordt getoond zoals het er staat")
        elif name.startswith(f"{NOTICES_DIR}/") and name.endswith("/labels.json"):
            found += _unknown(
                name, value,
                lambda path, text: text[1:-1] in _LETTER_PLACEHOLDERS.get(path[-2:], set()),
                "alleen {pagina} en {totaal} in brief.pagina")
        elif name.startswith(f"{NOTICES_DIR}/") and name.endswith(".txt"):
            text = files[name]
            found += [(name, f"regel {text.count(chr(10), 0, match.start()) + 1}",
                       f"{{{match[1]}}} wordt letterlijk afgedrukt (een sjabloon gebruikt "
                       f"dubbele accolades); schrijf {{{{ {match[1].strip()} }}}}")
                      for match in _SINGLE_BRACE.finditer(text)]
    return found


def _unknown(name: str, value: Any, known: Any, allowed: str) -> list[Found]:
    return [(name, ".".join(path), f"onbekende plaatshouder {match[0]}: leden en bemiddelaars "
                                   f"zien hem letterlijk; toegestaan: {allowed}")
            for path, text in _strings(value) for match in _PLACEHOLDER.finditer(text)
            if not known(path, match[0])]


# ------------------------------------------------------------------ status messages


def status_promises(roots: dict[str, etree._Element], json: dict[str, Any]) -> list[Found]:
    """A task whose status-page text promises a message every ``{R.dagen}`` days, where R
    is an interval a repeating timer uses, carries a non-interrupting timer repeating R
    (on the task, or on a subprocess around it)."""
    texts = json.get(STATUS_TEXTS)
    if not isinstance(texts, dict):
        return []
    found: list[Found] = []
    for file, root in roots.items():
        if not file.endswith(".bpmn"):
            continue
        timers = _interval_timers(root)
        intervals = {rule for rules in timers.values() for rule in rules}
        for task in root.iter(f"{{{BPMN}}}userTask"):
            promised = _promised(texts, task) & intervals
            covered = {rule for ident in _self_and_parents(task)
                       for rule in timers.get(ident, set())}
            for rule in sorted(promised - covered):
                found.append((file, task.get("id") or "", _no_timer(task, rule)))
    return found


def _no_timer(task: etree._Element, rule: str) -> str:
    return (f"de statuspagina belooft bij '{task.get('name') or task.get('id')}' een "
            f"statusbericht om de {{{rule}.dagen}} dagen, maar er hangt geen herhalende timer "
            f"van het interval '{rule}' aan deze taak (het lid krijgt geen bericht); zet de "
            "niet-onderbrekende timer (R/ + termijnen['" + rule + "']['interval']) op de rand "
            "van deze taak, of pas de tekst in statuspagina.json aan")


def _interval_timers(root: etree._Element) -> dict[str, set[str]]:
    """Element id -> the interval rules repeated by non-interrupting timers on its edge."""
    found: dict[str, set[str]] = {}
    for event in root.iter(f"{{{BPMN}}}boundaryEvent"):
        if event.get("cancelActivity") != "false":
            continue
        for cycle in event.iter(f"{{{BPMN}}}timeCycle"):
            found.setdefault(event.get("attachedToRef") or "", set()).update(
                _QUOTED_KEY.findall(cycle.text or ""))
    return found


def _self_and_parents(element: etree._Element) -> Iterator[str]:
    current: etree._Element | None = element
    while current is not None:
        if local(current) in ("userTask", "subProcess", "transaction"):
            yield current.get("id") or ""
        current = current.getparent()


def _promised(texts: dict, task: etree._Element) -> set[str]:
    """The rules whose days the task's text on the status page names."""
    step = ""
    for prop in task.iter("{*}property"):
        if prop.get("name") == "stap":
            step = prop.get("value") or ""
    text = (texts.get("elementen") or {}).get(task.get("id")) or (
        texts.get("stappen") or {}).get(step)
    return {rule for _, value in _strings(text) for rule in RULE_VALUE.findall(value)}


# ------------------------------------------------------------------ privacy and reports


def written_variables(roots: dict[str, etree._Element]) -> dict[str, str]:
    """Process data the model writes -> the element writing it: a user task's
    ``resultaat``, a message's ``messageVariable``."""
    found: dict[str, str] = {}
    for root in roots.values():
        for task in root.iter(f"{{{BPMN}}}userTask"):
            for prop in task.iter("{*}property"):
                if prop.get("name") == "resultaat" and prop.get("value"):
                    found.setdefault(prop.get("value") or "", task.get("id") or "")
        for variable in root.iter("{*}messageVariable"):
            event = next((e for e in variable.iterancestors() if e.get("id")
                          and local(e) != "messageEventDefinition"), None)
            found.setdefault((variable.text or "").strip(),
                             event.get("id") or "" if event is not None else "")
    return found


def _form_prefixes(roots: dict[str, etree._Element]) -> dict[str, str]:
    """Form file -> where its data lands in the process data ("" = at the top)."""
    found = {f"{FORMS_DIR}/{COMPLAINT_FORM}": "", f"{FORMS_DIR}/{PUBLIC_FORM}": ""}
    for variable in written_variables(roots):
        found.setdefault(f"{FORMS_DIR}/{variable}.json", variable)
    for root in roots.values():
        for task in root.iter(f"{{{BPMN}}}userTask"):
            props = {p.get("name"): p.get("value") for p in task.iter("{*}property")}
            if props.get("formJsonSchemaFilename"):
                found[f"{FORMS_DIR}/{props['formJsonSchemaFilename']}"] = (
                    props.get("resultaat") or "")
    return found


def privacy_classification(files: dict[str, str], json: dict[str, Any],
                           roots: dict[str, etree._Element]) -> list[Found]:
    """Every form field is personal data (erased with the dossier) or declared not to be
    (kept): a new field nobody classified would survive the erasure."""
    settings = json.get(SETTINGS)
    privacy = settings.get("privacy") if isinstance(settings, dict) else None
    if not isinstance(privacy, dict):
        return [(SETTINGS, "privacy", "het verwerkingsregister ontbreekt: zet onder "
                                      "\"privacy\" de lijsten \"persoonsgegevens\" en "
                                      "\"geen_persoonsgegevens\"")]
    personal = [str(item.get("gegeven")) for item in privacy.get("persoonsgegevens", [])
                if isinstance(item, dict)]
    classified = personal + [str(item) for item in privacy.get("geen_persoonsgegevens", [])]
    found: list[Found] = []
    for form, prefix in sorted(_form_prefixes(roots).items()):
        schema = json.get(form)
        if not isinstance(schema, dict):
            continue
        for name, spec in _fields(schema):
            if spec.get(FORM_ONLY):
                continue  # checked, never stored
            data = f"{prefix}.{name}" if prefix else name
            if not any(data == known or data.startswith(f"{known}.") for known in classified):
                found.append((form, name, _unclassified(data)))
    return found


def _unclassified(data: str) -> str:
    return (f"veld '{data}' staat niet in het verwerkingsregister: niemand weet of het "
            "gewist moet worden als de bewaartermijn eindigt; zet het in instellingen.json "
            f"onder privacy.persoonsgegevens ({{\"gegeven\": \"{data}\", \"wat\": ..., "
            "\"doel\": ...}: gewist met het dossier) of onder privacy.geen_persoonsgegevens "
            "(bewaard)")


def report_data(json: dict[str, Any], roots: dict[str, etree._Element]) -> list[Found]:
    """The process data the reports read is written by the model, with the field read."""
    settings = json.get(SETTINGS)
    declared = settings.get(REPORT_DATA) if isinstance(settings, dict) else None
    if not isinstance(declared, dict):
        return [(SETTINGS, REPORT_DATA, "ontbreekt: zeg welk resultaat de rapporten lezen, "
                 "bv. {" + ", ".join(f'"{role}": "{role}"' for role in REPORT_ROLES) + "}")]
    written = written_variables(roots)
    found: list[Found] = []
    for role in REPORT_ROLES:
        variable = declared.get(role, role)
        if variable is None:
            continue  # a model without it: the reports leave that fact empty
        if not isinstance(variable, str) or variable not in written:
            found.append((SETTINGS, f"{REPORT_DATA}.{role}",
                          f"de rapporten lezen '{role}' uit het procesgegeven '{variable}', "
                          "maar geen taak of bericht in het model schrijft dat (resultaat of "
                          "messageVariable); zet hier de naam die het model gebruikt ("
                          f"{', '.join(sorted(written))}), of null als het model dit niet "
                          "meer kent"))
    return found


def retention(json: dict[str, Any]) -> list[Found]:
    settings = json.get(SETTINGS)
    if not isinstance(settings, dict) or RETENTION not in settings:
        return []
    years = settings[RETENTION]
    if isinstance(years, bool) or not isinstance(years, int) or not (
            1 <= years <= MAX_RETENTION_YEARS):
        return [(SETTINGS, RETENTION, f"moet een geheel aantal jaren zijn van 1 tot "
                 f"{MAX_RETENTION_YEARS} (nu: {years!r}): zo lang blijven afgesloten dossiers "
                 "bewaard voor ze gewist worden; bv. 5")]
    return []
