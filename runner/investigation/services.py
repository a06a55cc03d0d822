"""The fund's services that a mediator may consult, as data (``processes/diensten.json``):
their names in Dutch and French, the address that gets reminders, and the accounts that
answer for each."""

from __future__ import annotations

from dataclasses import dataclass

from runner.bpmn.errors import ValidationFailed
from runner.definition.model import Model

SERVICES_FILE = "diensten.json"


@dataclass(frozen=True)
class Service:
    key: str
    names: dict[str, str]  # by language
    language: str
    email: str
    users: tuple[str, ...]

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names.get("nl") or self.key


def services(model: Model) -> dict[str, Service]:
    """Every service of the model, by key (none when the model has no ``diensten.json``)."""
    if SERVICES_FILE not in model.files:
        return {}
    found = model.json_file(SERVICES_FILE).get("diensten", {})
    return {key: Service(key, {lang: value[lang] for lang in ("nl", "fr") if value.get(lang)},
                         value.get("taal", "nl"), value.get("email", ""),
                         tuple(value.get("gebruikers", ())))
            for key, value in found.items()}


def service(model: Model, key: str) -> Service:
    """The service ``key``, or a clear error naming the ones there are."""
    known = services(model)
    if key not in known:
        raise ValidationFailed({"dienst": f"onbekende dienst '{key[:60]}'; kies uit "
                                          f"{', '.join(sorted(known)) or '(geen diensten)'}"},
                               {"dienst": "enum"})
    return known[key]


def services_of(model: Model, user: str) -> set[str]:
    """The keys of the services ``user`` answers for."""
    return {key for key, found in services(model).items() if user in found.users}
