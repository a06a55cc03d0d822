"""Field labels and error messages of the public forms, translated.

The runner reports what failed per field as a code (a JSON Schema keyword or a runner code,
``ValidationFailed.codes``); this module turns field and code into a sentence in the page's
language, and the templates build the error summary from it, each entry linked to its field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from runner.bpmn.errors import ValidationFailed

LABELS = {
    "klager.voornaam": _l("Voornaam"),
    "klager.achternaam": _l("Achternaam"),
    "klager.email": _l("E-mailadres"),
    "klager.adres": _l("Postadres"),
    "klager.telefoon": _l("Telefoonnummer (niet verplicht)"),
    "klager.lidnummer": _l("Lidnummer (niet verplicht)"),
    "categorie": _l("Waarover gaat uw klacht?"),
    "omschrijving": _l("Beschrijf uw klacht"),
    "taal": _l("In welke taal wilt u onze berichten ontvangen?"),
    "privacy": _l("Ik heb gelezen hoe het ziekenfonds mijn gegevens gebruikt."),
    "website": _l("Laat dit veld leeg"),
    "nummer": _l("Dossiernummer"),
    "toegangscode": _l("Persoonlijke toegangscode"),
    "berichtcode": _l("Berichtcode"),
    "reden": _l("Reden"),
    "bevestigd": _l("Ja, ik trek mijn klacht in."),
    "kanaal": _l("Kanaal"),
    "ontvangen_op": _l("Ontvangen op"),
    "naam": _l("Gebruikersnaam"),
    "wachtwoord": _l("Wachtwoord"),
    "rol": _l("Rollen"),
    "status": _l("Status"),
    "eigenaar": _l("Eigenaar"),
    "reden_afwijzing": _l("Reden van afwijzing"),
    "notitie": _l("Opvolgnotitie"),
    "van": _l("Vanaf"),
    "tot": _l("Tot en met"),
    "sorteer": _l("Sorteren"),
    "huidig": _l("Huidig wachtwoord"),
    "herhaling": _l("Nieuw wachtwoord, nog eens"),
    "label": _l("Naam van het token"),
    "dagen": _l("Geldig (dagen)"),
    "email": _l("E-mailadres"),
}

ANONYMOUS = _l("Wij behandelen geen anonieme klachten: vul uw naam in en een e-mailadres of "
               "postadres, zodat wij u kunnen antwoorden.")
SPECIFIC = {
    ("klager", "anyOf"): ANONYMOUS,
    ("klager", "required"): ANONYMOUS,
    ("klager.voornaam", "required"): _l("Vul uw voornaam in."),
    ("klager.voornaam", "minLength"): _l("Vul uw voornaam in."),
    ("klager.achternaam", "required"): _l("Vul uw achternaam in."),
    ("klager.achternaam", "minLength"): _l("Vul uw achternaam in."),
    ("klager.voornaam", "pattern"): _l("Vul alleen uw naam in, zonder webadres en op één "
                                       "regel."),
    ("klager.achternaam", "pattern"): _l("Vul alleen uw naam in, zonder webadres en op één "
                                         "regel."),
    ("klager.email", "pattern"): _l("Vul een geldig e-mailadres in, bijvoorbeeld "
                                    "naam@voorbeeld.be."),
    ("klager.email", "format"): _l("Vul een geldig e-mailadres in, bijvoorbeeld "
                                   "naam@voorbeeld.be."),
    ("klager.lidnummer", "pattern"): _l("Een lidnummer bestaat uit 11 cijfers. U vindt het "
                                        "op uw klevertje van het ziekenfonds."),
    ("klager.telefoon", "pattern"): _l("Een telefoonnummer bevat alleen cijfers, spaties en "
                                       "de tekens + ( ) / . -"),
    ("categorie", "required"): _l("Kies waarover uw klacht gaat."),
    ("categorie", "enum"): _l("Kies waarover uw klacht gaat."),
    ("omschrijving", "required"): _l("Beschrijf uw klacht."),
    ("privacy", "required"): _l("Bevestig dat u gelezen hebt hoe wij uw gegevens gebruiken."),
    ("privacy", "const"): _l("Bevestig dat u gelezen hebt hoe wij uw gegevens gebruiken."),
    ("website", "maxLength"): _l("Uw formulier kon niet verwerkt worden. Laat het veld "
                                 "'Laat dit veld leeg' leeg en probeer opnieuw."),
    ("formulier", "toegang"): _l("Het dossiernummer of de code klopt niet. Controleer ze en "
                                 "probeer het opnieuw."),
    ("formulier", "aanmelden"): _l("De gebruikersnaam of het wachtwoord klopt niet."),
    ("reden", "required"): _l("Schrijf kort waarom u niet akkoord gaat."),
    ("bevestigd", "required"): _l("Vink aan dat u uw klacht wilt intrekken."),
    ("bevestigd", "const"): _l("Vink aan dat u uw klacht wilt intrekken."),
    ("status", "enum"): _l("Kies een status: open, in behandeling, uitgevoerd of afgewezen."),
    ("reden_afwijzing", "required"): _l("Schrijf waarom de aanbeveling wordt afgewezen."),
    ("notitie", "required"): _l("Schrijf een opvolgnotitie."),
    ("wachtwoord", "minLength"): _l("Wachtwoord: minstens 12 tekens."),
    ("wachtwoord", "strength"): _l("Wachtwoord: te makkelijk te raden (een veelgebruikt "
                                   "wachtwoord, een herhaling of een reeks). Kies bijvoorbeeld "
                                   "een zin van enkele woorden."),
    ("huidig", "onjuist"): _l("Huidig wachtwoord: dit is niet uw huidige wachtwoord."),
    ("herhaling", "verschillend"): _l("De twee nieuwe wachtwoorden verschillen: typ "
                                      "hetzelfde wachtwoord twee keer."),
    ("link", "verlopen"): _l("Deze link werkt niet meer: hij is al gebruikt of verlopen. Vraag "
                             "een nieuwe aan."),
    ("label", "maxLength"): _l("Naam van het token: 1 tot 100 gewone tekens."),
    ("dagen", "maximum"): _l("Geldig: een geheel aantal dagen van 1 tot 365."),
    ("email", "format"): _l("Vul een geldig e-mailadres in, bijvoorbeeld "
                            "naam@ziekenfonds.be."),
    ("van", "format"): _l("Vanaf: vul een datum in als JJJJ-MM-DD."),
    ("tot", "format"): _l("Tot en met: vul een datum in als JJJJ-MM-DD."),
    ("van", "range"): _l("Vanaf: kies een datum tussen 1900-01-01 en 2999-12-31."),
    ("tot", "range"): _l("Tot en met: kies een datum tussen 1900-01-01 en 2999-12-31."),
    ("tot", "minimum"): _l("Tot en met: deze datum ligt vóór de begindatum."),
    ("tot", "maximum"): _l("Kies een periode van hoogstens vijf jaar."),
}
GENERIC = {
    "required": _l("%(label)s: dit veld is verplicht."),
    "minLength": _l("%(label)s: dit veld is verplicht."),
}
TOO_LONG = _l("%(label)s: deze tekst is te lang (maximaal %(max)s tekens).")
TOO_LONG_NO_LIMIT = _l("%(label)s: deze tekst is te lang.")
INVALID = _l("%(label)s: deze waarde is niet geldig.")


@dataclass(frozen=True)
class FieldError:
    field: str
    field_id: str
    message: str


def field_id(field: str) -> str:
    """The HTML id of a field's input: ``klager.voornaam`` -> ``veld-klager-voornaam``."""
    return "veld-" + field.replace(".", "-").replace(" ", "-")


def field_errors(error: ValidationFailed, limits: Mapping[str, int] | None = None,
                 anchors: Mapping[str, str] | None = None,
                 labels: Mapping[str, str] | None = None) -> list[FieldError]:
    """The error summary of a form, in the page's language, in the order of the fields.

    ``limits``: the maximum lengths to state; ``anchors``: where a field that has no input
    of its own (``klager``, ``formulier``) links to; ``labels``: field titles (a task's
    form), by path with ``*`` for a row number.
    """
    order = ["klager", *LABELS]
    fields = sorted(error.codes or error.reasons,
                    key=lambda f: order.index(f) if f in order else len(order))
    return [FieldError(field, field_id((anchors or {}).get(field, field)),
                       _message(field, error.codes.get(field, ""), limits or {}, labels or {}))
            for field in fields]


def _message(field: str, code: str, limits: Mapping[str, int],
             labels: Mapping[str, str]) -> str:
    if not labels and (field, code) in SPECIFIC:  # the public forms' own sentences
        return str(SPECIFIC[(field, code)])
    key = _pattern(field)
    label = labels.get(key) or LABELS.get(field, field)
    if code == "maxLength":
        template = TOO_LONG if key in limits else TOO_LONG_NO_LIMIT
    else:
        template = GENERIC.get(code, INVALID)
    return str(template) % {"label": label, "max": limits.get(key, "")}


def _pattern(field: str) -> str:
    """``aanbevelingen.0.tekst`` -> ``aanbevelingen.*.tekst`` (any row)."""
    return ".".join("*" if part.isdigit() else part for part in field.split("."))
