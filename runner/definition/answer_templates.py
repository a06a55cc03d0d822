"""Answer templates: text blocks a mediator starts an answer from, as data in
``processes/antwoorden/``.

``antwoorden.json`` lists the templates by id: their title per language (``titel``), the
user tasks whose form offers them (``taken``), the long text field they fill (``veld``),
the choices they go with (``keuzes``, such as ``{"uitkomst": "gegrond"}``: set on the form
too) and the categories they suit (``categorieen``; empty or absent: every category). The
text of each is ``antwoorden/<taal>/<id>.txt`` in every language, with placeholders for
facts of the dossier (:data:`PLACEHOLDERS`). Texts render in Jinja's sandbox with strict
undefined; :func:`problems` is the lint of all of it, like the notices' templates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import jinja2
from jinja2 import StrictUndefined, meta
from jinja2.sandbox import SandboxedEnvironment

from runner.bpmn.case import spec_properties
from runner.definition.model import LANGUAGES, SETTINGS, Model

ANSWERS_DIR = "antwoorden"
INDEX = f"{ANSWERS_DIR}/antwoorden.json"
FORM_PROPERTY = "formJsonSchemaFilename"
COMMENT = "_"  # a key such as "_uitleg" is a note for the reader, not a template
# The facts of a dossier a template may name.
PLACEHOLDERS = {
    "dossiernummer": "het dossiernummer",
    "ontvangen_op": "de dag van ontvangst, in woorden",
    "voornaam": "de voornaam van de klager",
    "achternaam": "de achternaam van de klager",
    "categorie": "de categorie, in woorden",
    "vandaag": "de dag van vandaag, in woorden",
}
_ENVIRONMENT = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False,
                                    keep_trailing_newline=False)


@dataclass(frozen=True)
class AnswerTemplate:
    id: str
    titles: dict[str, str]
    tasks: tuple[str, ...]
    text_field: str  # the long text field it fills
    choices: dict[str, str] = field(default_factory=dict)
    categories: tuple[str, ...] = ()

    def title(self, language: str) -> str:
        return self.titles.get(language) or self.titles.get("nl") or self.id

    def suits(self, task: str, category: str) -> bool:
        return task in self.tasks and (not self.categories or category in self.categories)

    def text_file(self, language: str) -> str:
        return f"{ANSWERS_DIR}/{language}/{self.id}.txt"


def templates(model: Model) -> list[AnswerTemplate]:
    """The model's answer templates (none when it ships no ``antwoorden.json``)."""
    if INDEX not in model.files:
        return []
    return [_template(name, entry) for name, entry in model.json_file(INDEX).items()
            if not name.startswith(COMMENT)]


def offered(model: Model, task: str, category: str) -> list[AnswerTemplate]:
    """The templates the form of user task ``task`` offers for a dossier of ``category``:
    those of its category first, then the general ones."""
    suited = [template for template in templates(model) if template.suits(task, category)]
    return sorted(suited, key=lambda template: not template.categories)


def render(model: Model, template: AnswerTemplate, language: str,
           facts: dict[str, str]) -> str:
    """The template's text in ``language`` with the dossier's ``facts`` filled in."""
    text = model.files[template.text_file(language)]
    return _ENVIRONMENT.from_string(text).render(**facts).strip() + "\n"


def _template(name: str, entry: dict[str, Any]) -> AnswerTemplate:
    return AnswerTemplate(name, dict(entry.get("titel") or {}), tuple(entry.get("taken") or ()),
                          str(entry.get("veld") or ""), dict(entry.get("keuzes") or {}),
                          tuple(entry.get("categorieen") or ()))


# ----- the lint
def problems(model: Model) -> list[tuple[str, str, str]]:
    """Everything wrong with the answer templates of ``model``, as (file, element, message)."""
    if INDEX not in model.files:
        return []
    try:
        index = json.loads(model.files[INDEX])
    except json.JSONDecodeError:
        return []  # reported by the generic JSON check
    if not isinstance(index, dict):
        return [(INDEX, "", 'verwacht {"id": {"titel": ..., "taken": [...], "veld": ...}}')]
    found: list[tuple[str, str, str]] = []
    forms = _task_forms(model)
    categories = set(model.settings.get("categorieen", [])) if SETTINGS in model.files else set()
    names = {name for name in index if not name.startswith(COMMENT)}
    for name in sorted(names):
        entry = index[name]
        if not isinstance(entry, dict):
            found.append((INDEX, name, "verwacht een object met titel, taken en veld"))
            continue
        found += [(INDEX, name, message)
                  for message in _entry_problems(model, _template(name, entry), forms,
                                                 categories)]
        found += _text_problems(model, name)
    found += [(path, "", f"sjabloon zonder regel in {INDEX}: voeg het toe of verwijder het")
              for path in _orphans(model, names)]
    return found


def _task_forms(model: Model) -> dict[str, dict[str, Any]]:
    """Each user task's form schema, by the task's id."""
    forms = {}
    for spec in model.user_task_specs():
        form = spec_properties(spec).get(FORM_PROPERTY)
        if form and f"forms/{form}" in model.files:
            forms[spec.name] = model.form(form)
    return forms


def _entry_problems(model: Model, template: AnswerTemplate, forms: dict[str, dict[str, Any]],
                    categories: set[str]) -> list[str]:
    messages = []
    for language in LANGUAGES:
        if not template.titles.get(language):
            messages.append(f"titel in het {language} ontbreekt")
    if not template.tasks:
        messages.append("noem in 'taken' de taken waarvan het formulier dit sjabloon aanbiedt")
    for task in template.tasks:
        properties = (forms.get(task) or {}).get("properties") or {}
        if task not in forms:
            messages.append(f"taak '{task}' bestaat niet of heeft geen formulier")
        elif (properties.get(template.text_field) or {}).get("x-widget") != "textarea":
            messages.append(f"veld '{template.text_field}' is geen lang tekstveld van het "
                            f"formulier van taak '{task}'")
        for choice, value in template.choices.items():
            if value not in ((properties.get(choice) or {}).get("enum") or []):
                messages.append(f"keuze {choice}={value!r} bestaat niet in het formulier van "
                                f"taak '{task}'")
    messages += [f"onbekende categorie '{category}' (zie categorieen in {SETTINGS})"
                 for category in template.categories if category not in categories]
    return messages


def _text_problems(model: Model, name: str) -> list[tuple[str, str, str]]:
    found = []
    for language in LANGUAGES:
        path = f"{ANSWERS_DIR}/{language}/{name}.txt"
        if path not in model.files:
            found.append((path, "", "bestand ontbreekt"))
            continue
        try:
            parsed = _ENVIRONMENT.parse(model.files[path])
        except jinja2.TemplateSyntaxError as err:
            found.append((path, "", f"ongeldig sjabloon: regel {err.lineno}: {err.message}"))
            continue
        unknown = sorted(meta.find_undeclared_variables(parsed) - set(PLACEHOLDERS))
        if unknown:
            found.append((path, "", f"onbekende invulplaats {', '.join(unknown)}; kies uit "
                                    f"{', '.join(PLACEHOLDERS)}"))
    return found


def _orphans(model: Model, names: set[str]) -> list[str]:
    return sorted(path for path in model.files
                  if path.startswith(f"{ANSWERS_DIR}/") and path.endswith(".txt")
                  and path.rsplit("/", 1)[-1].removesuffix(".txt") not in names)
