"""The OpenAPI 3.1 document of the JSON API v1 (its schemas are JSON Schema 2020-12).

The document is the contract both ways: ``web.api`` validates the query parameters and
request bodies against the schemas declared here (``TASK_QUERY``, ``DOSSIER_QUERY``,
``REGISTER_QUERY``, ``COMPLETE_BODY``, ``MESSAGE_BODY``, ``NOTE_BODY``; a complaint against
the model's ``klacht.json``) and refuses what they do not allow; every status the API
sends is listed; the tests validate every response against it and generate requests from it
(``tests/test_api_contract.py``).
"""

from __future__ import annotations

from typing import Any

from runner.reports.improvement_register import MAX_OWNER, SORTS, STATUSES
from runner.work import dossier_list
from runner.work.case_notes import CONTACTS, DIRECTIONS, MAX_TEXT
from runner.work.dossier_state import STATES
from runner.work.dossier_view import MESSAGES

STRING, NULLABLE = {"type": "string"}, {"type": ["string", "null"]}
PROBLEM = {"$ref": "#/components/schemas/Problem"}
# A database INTEGER: the largest page number and id the API takes.
MAX_INTEGER = 2147483647
PAGE = {"type": "integer", "minimum": 1, "maximum": MAX_INTEGER}
# A day the runner counts with (runner.deadlines.days: 1900-01-01 to 2999-12-31).
DATE = {"type": "string", "format": "date", "pattern": "^(19|2[0-9])[0-9]{2}-"}
TASK_QUERY: dict[str, dict[str, Any]] = {
    "stap": {"type": "string", "maxLength": 10},
    "categorie": {"type": "string", "maxLength": 100},
    "te_laat": {"enum": ["ja", "nee"]},
    "zoek": {"type": "string", "maxLength": 100},
    "pagina": PAGE,
}
# The dossier list's filters; the step, category, channel and owner are checked against
# the model and the users by the runner (an unknown one is a 400 naming the choices).
DOSSIER_QUERY: dict[str, dict[str, Any]] = {
    "zoek": {"type": "string", "maxLength": 100, "pattern": "^[^\\x00]*$"},
    "status": {"enum": list(STATES)},
    "stap": {"type": "string", "maxLength": 10},
    "categorie": {"type": "string", "maxLength": 100},
    "eigenaar": {"type": "string", "maxLength": 100},
    "kanaal": {"type": "string", "maxLength": 20},
    "van": DATE, "tot": DATE,
    "termijn": {"enum": list(dossier_list.DEADLINES)},
    "dagen": {"type": "integer", "minimum": 1, "maximum": dossier_list.MAX_WITHIN},
    "sorteer": {"enum": list(dossier_list.SORTS)},
    "richting": {"enum": ["op", "af"]},
    "pagina": PAGE,
}
REGISTER_QUERY: dict[str, dict[str, Any]] = {
    "status": {"enum": list(STATUSES)},
    "dienst": {"type": "string", "maxLength": 200},
    "eigenaar": {"type": "string", "maxLength": MAX_OWNER},
    "van": DATE, "tot": DATE,
    "zoek": {"type": "string", "maxLength": 100},
    "sorteer": {"enum": list(SORTS)},
    "pagina": PAGE,
}
REASON = {"type": "string", "minLength": 1, "maxLength": 1000}
COMPLETE_BODY = {"type": "object", "required": ["gegevens"],
                 "properties": {"gegevens": {"type": "object"},
                                "versie": {"type": "integer", "minimum": 0,
                                           "maximum": MAX_INTEGER},
                                "overnemen": {**REASON, "description": "reden om de taak "
                                              "over te nemen van wie ze behandelt"}},
                 "additionalProperties": False}
CLAIM_BODY = {"type": "object",
              "properties": {"overnemen": {**REASON, "description": "reden, nodig als een "
                                           "ander de taak behandelt"}},
              "additionalProperties": False}
ASSIGN_BODY = {"type": "object", "required": ["aan"],
               "properties": {"aan": {"type": "string", "minLength": 1, "maxLength": 100},
                              "reden": {**REASON, "description": "nodig als het dossier al "
                                        "een eigenaar heeft"}},
               "additionalProperties": False}
MESSAGE_BODY = {"type": "object", "required": ["naam"],
                "properties": {"naam": {"enum": list(MESSAGES)},
                               "gegevens": {"type": "object"}},
                "additionalProperties": False}
NOTE_BODY = {"type": "object", "required": ["tekst"],
             "properties": {"tekst": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT},
                            "contact": {"enum": ["", *CONTACTS]},
                            "richting": {"enum": ["", *DIRECTIONS]},
                            "datum": {"type": "string", "maxLength": 10},
                            "verbetert": {"type": "integer", "minimum": 1,
                                          "maximum": MAX_INTEGER}},
             "additionalProperties": False}
NOTE: dict[str, Any] = {
    "type": "object",
    "required": ["id", "auteur", "op", "tekst", "contact", "richting", "datum", "verbetert"],
    "properties": {"id": {"type": "integer"}, "auteur": STRING, "op": STRING, "tekst": STRING,
                   "contact": {"enum": ["", *CONTACTS]},
                   "richting": {"enum": ["", *DIRECTIONS]},
                   "datum": {"type": ["string", "null"], "format": "date"},
                   "verbetert": {"type": ["integer", "null"]}},
    "additionalProperties": False}
# What every call can answer besides its own statuses: no or a wrong token, a role without
# the permission, the database away (503, with Retry-After).
COMMON = (401, 403, 503)
# A body: not JSON or not what the schema says (400), larger than MAX_CONTENT_LENGTH (413).
WITH_BODY = (400, 413)


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(s): {"description": "probleem",
                     "content": {"application/problem+json": {"schema": PROBLEM}}}
            for s in sorted({*statuses, *COMMON})}


def _query(parameters: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": name, "in": "query", "required": False, "schema": schema}
            for name, schema in parameters.items()]


def _ok(schema: str, status: int = 200) -> dict[str, Any]:
    return {str(status): {"description": "ok", "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{schema}"}}}}}


def _counted_page(key: str, item: str) -> dict[str, Any]:
    """A page of a list whose count stops at 1000 (``meer``: more match)."""
    return {"type": "object", "required": ["totaal", "meer", "pagina", "paginas", key],
            "properties": {"totaal": {"type": "integer", "maximum": 1000,
                                      "description": "geteld tot 1000"},
                           "meer": {"type": "boolean", "description": f"meer dan 1000 {key}"},
                           "pagina": {"type": "integer"}, "paginas": {"type": "integer"},
                           key: {"type": "array", "items": {
                               "$ref": f"#/components/schemas/{item}"}}},
            "additionalProperties": False}


def _body(schema: dict) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


NUMBER = {"name": "number", "in": "path", "required": True,
          "schema": {"type": "string", "minLength": 1, "maxLength": 50}}
DOSSIER_ROW: dict[str, Any] = {
    "type": "object",
    "required": ["dossiernummer", "klager", "categorie", "kanaal", "status", "stap",
                 "ontvangen_op", "vervaldatum", "laatste_dag", "termijn", "eigenaar", "gewist"],
    "properties": {
        "dossiernummer": STRING, "klager": STRING, "categorie": STRING, "kanaal": STRING,
        "status": {"enum": list(STATES)}, "stap": STRING,
        "ontvangen_op": {"type": "string", "format": "date"},
        "vervaldatum": NULLABLE,
        "laatste_dag": {"type": ["string", "null"], "format": "date",
                        "description": "laatste dag van de eerstvolgende termijn"},
        "termijn": {"enum": ["op_tijd", "binnenkort", "te_laat", None]},
        "eigenaar": NULLABLE,
        "gewist": {"type": "boolean"}},
    "additionalProperties": False,
}
RECOMMENDATION: dict[str, Any] = {
    "type": "object",
    "required": ["id", "dossiernummer", "tekst", "dienst", "status", "eigenaar",
                 "reden_afwijzing", "aangemaakt_op", "gewijzigd_op", "versie"],
    "properties": {
        "id": {"type": "integer"}, "dossiernummer": STRING, "tekst": STRING, "dienst": STRING,
        "status": {"enum": list(STATUSES)},
        "eigenaar": STRING, "reden_afwijzing": STRING, "aangemaakt_op": STRING,
        "gewijzigd_op": NULLABLE, "versie": {"type": "integer"}},
    "additionalProperties": False}
TASK_ID = {"name": "task_id", "in": "path", "required": True,
           "schema": {"type": "string", "minLength": 1, "maxLength": 100}}


TOKEN = {
    "type": "object",
    "required": ["id", "label", "gemaakt_op", "geldig_tot", "laatst_gebruikt", "toestand"],
    "properties": {"id": {"type": "integer"}, "label": STRING, "gemaakt_op": STRING,
                   "geldig_tot": STRING, "laatst_gebruikt": NULLABLE,
                   "toestand": {"enum": ["actief", "verlopen", "ingetrokken"]}},
    "additionalProperties": False}
PASSWORD_BODY = {
    "type": "object", "required": ["huidig", "nieuw"],
    "properties": {"huidig": {"type": "string", "maxLength": 1000},
                   "nieuw": {"type": "string", "maxLength": 1000}},
    "additionalProperties": False}


def _with_categories(complaint: dict[str, Any], categories: list[str] | None
                     ) -> dict[str, Any]:
    if not categories:
        return complaint
    category = {**complaint["properties"]["categorie"], "enum": list(categories)}
    return {**complaint, "properties": {**complaint["properties"], "categorie": category}}


def document(complaint: dict[str, Any], categories: list[str] | None = None
             ) -> dict[str, Any]:
    """The document; ``complaint`` is the JSON Schema of a complaint (the model's
    ``forms/klacht.json``), its ``categorie`` limited to the model's ``categories``
    (``categorieen`` in ``instellingen.json``, which ``Klachten.submit`` enforces)."""
    complaint = _with_categories(complaint, categories)
    return {
        "openapi": "3.1.0",
        "info": {"title": "klachten API", "version": "1",
                 "description": "Klachtenbehandeling: klachten, taken, dossiers, berichten, "
                                "het verbeterregister."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"token": []}],
        "paths": {
            "/klachten": {"post": {
                "summary": "Een klacht registreren (intake)",
                "requestBody": _body({k: v for k, v in complaint.items() if k != "$schema"}),
                "responses": {**_ok("Ingediend", 201), **_errors(*WITH_BODY)}}},
            "/taken": {"get": {
                "summary": "Open taken voor de rollen van de gebruiker",
                "parameters": _query(TASK_QUERY),
                "responses": {**_ok("Taken"), **_errors(400)}}},
            "/taken/{task_id}": {"post": {
                "summary": "Een taak voltooien",
                "parameters": [TASK_ID],
                "requestBody": _body(COMPLETE_BODY),
                "responses": {**_ok("Voltooid"), **_errors(*WITH_BODY, 404, 409)}}},
            "/taken/{task_id}/claim": {"post": {
                "summary": "Een taak aan zich toewijzen, of overnemen met een reden",
                "parameters": [TASK_ID],
                "requestBody": _body(CLAIM_BODY),
                "responses": {**_ok("Houder"), **_errors(*WITH_BODY, 404, 409)}}},
            "/dossiers/{number}/eigenaar": {"post": {
                "summary": "Een dossier toewijzen aan een bemiddelaar",
                "parameters": [NUMBER],
                "requestBody": _body(ASSIGN_BODY),
                "responses": {**_ok("Eigenaar"), **_errors(*WITH_BODY, 404, 409)}}},
            "/dossiers": {"get": {
                "summary": "Alle dossiers, gezocht en gefilterd, per 25 (elk in het "
                           "toegangslogboek)",
                "parameters": _query(DOSSIER_QUERY),
                "responses": {**_ok("Dossiers"), **_errors(400)}}},
            "/dossiers/{number}": {"get": {
                "summary": "Een dossier (in het toegangslogboek)", "parameters": [NUMBER],
                "responses": {**_ok("Dossier"), **_errors(404)}}},
            "/aanbevelingen": {"get": {
                "summary": "Het verbeterregister: aanbevelingen gefilterd, gezocht, per 25",
                "parameters": _query(REGISTER_QUERY),
                "responses": {**_ok("Aanbevelingen"), **_errors(400)}}},
            "/aanbevelingen/{recommendation_id}": {"get": {
                "summary": "Een aanbeveling met haar opvolgnotities",
                "parameters": [{"name": "recommendation_id", "in": "path", "required": True,
                                "schema": {"type": "integer", "minimum": 0,
                                           "maximum": MAX_INTEGER}}],
                "responses": {**_ok("AanbevelingMetNotities"), **_errors(404)}}},
            "/dossiers/{number}/notities": {
                "get": {"summary": "De notities en contacten van een dossier (in het "
                                   "toegangslogboek)", "parameters": [NUMBER],
                        "responses": {**_ok("Notities"), **_errors(404)}},
                "post": {"summary": "Een interne notitie of een contact toevoegen",
                         "parameters": [NUMBER], "requestBody": _body(NOTE_BODY),
                         "responses": {**_ok("Notitie", 201), **_errors(*WITH_BODY, 404,
                                                                         409)}}},
            "/dossiers/{number}/berichten": {"post": {
                "summary": "Een bericht aan het dossier (klager_niet_akkoord, "
                           "klacht_ingetrokken)",
                "parameters": [NUMBER],
                "requestBody": _body(MESSAGE_BODY),
                "responses": {"204": {"description": "ontvangen"},
                              **_errors(*WITH_BODY, 404, 409)}}},
            "/tokens": {"get": {
                "summary": "De eigen API-tokens (nooit de tokens zelf)",
                "responses": {**_ok("Tokens"), **_errors()}}},
            "/wachtwoord": {"post": {
                "summary": "Het eigen wachtwoord wijzigen (met het huidige); de web-sessies "
                           "van de gebruiker eindigen",
                "requestBody": _body(PASSWORD_BODY),
                "responses": {"204": {"description": "gewijzigd"}, **_errors(*WITH_BODY)}}},
            "/tokens/{token_id}": {"delete": {
                "summary": "Een eigen API-token intrekken",
                "parameters": [{"name": "token_id", "in": "path", "required": True,
                                "schema": {"type": "integer", "minimum": 0,
                                           "maximum": MAX_INTEGER}}],
                "responses": {"204": {"description": "ingetrokken"}, **_errors(404)}}},
        },
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Problem": {"type": "object", "required": ["type", "title", "status"],
                            "properties": {"type": STRING, "title": STRING,
                                           "status": {"type": "integer"}, "detail": STRING,
                                           "fouten": {"type": "object"},
                                           "codes": {"type": "object"},
                                           "houder": STRING, "sinds": STRING,
                                           "voltooid_door": STRING, "op": STRING}},
                "Ingediend": {"type": "object", "required": ["dossiernummer"],
                              "properties": {"dossiernummer": STRING,
                                             "toegangscode": NULLABLE},
                              "additionalProperties": False},
                "Houder": {"type": "object", "required": ["taak", "geclaimd_door"],
                           "properties": {"taak": STRING, "geclaimd_door": NULLABLE,
                                          "geclaimd_sinds": {"type": ["string", "null"],
                                                             "format": "date-time"},
                                          "eigenaar": NULLABLE},
                           "additionalProperties": False},
                "Eigenaar": {"type": "object", "required": ["dossiernummer", "eigenaar"],
                             "properties": {"dossiernummer": STRING, "eigenaar": STRING,
                                            "vorige_eigenaar": NULLABLE},
                             "additionalProperties": False},
                "Voltooid": {"type": "object", "required": ["dossiernummer"],
                             "properties": {"dossiernummer": STRING},
                             "additionalProperties": False},
                "Taak": {"type": "object",
                         "required": ["id", "dossiernummer", "stap", "titel", "termijn"],
                         "properties": {
                             "id": STRING, "dossiernummer": STRING, "klager": STRING,
                             "categorie": STRING, "stap": STRING, "titel": STRING,
                             "rol": STRING, "vervaldatum": NULLABLE,
                             "laatste_dag": {"type": ["string", "null"], "format": "date",
                                             "description": "laatste dag van de termijn"},
                             "termijn": {"enum": ["op_tijd", "binnenkort", "te_laat"]},
                             "geclaimd_door": NULLABLE,
                             "geclaimd_sinds": {"type": ["string", "null"],
                                                "format": "date-time"},
                             "eigenaar": {"type": ["string", "null"],
                                          "description": "de bemiddelaar van het dossier"}},
                         "additionalProperties": False},
                "DossierRegel": DOSSIER_ROW,
                "Dossiers": _counted_page("dossiers", "DossierRegel"),
                "Taken": {"type": "object",
                          "required": ["totaal", "meer", "pagina", "paginas", "taken"],
                          "properties": {"totaal": {"type": "integer", "maximum": 1000,
                                                    "description": "geteld tot 1000"},
                                         "meer": {"type": "boolean",
                                                  "description": "meer dan 1000 taken"},
                                         "pagina": {"type": "integer"},
                                         "paginas": {"type": "integer"},
                                         "taken": {"type": "array", "items": {
                                             "$ref": "#/components/schemas/Taak"}}},
                          "additionalProperties": False},
                "Tokens": {"type": "object", "required": ["tokens"], "properties": {
                    "tokens": {"type": "array", "items": TOKEN}},
                    "additionalProperties": False},
                "Notitie": NOTE,
                "Notities": {"type": "object", "required": ["notities"],
                             "properties": {"notities": {"type": "array", "items": {
                                 "$ref": "#/components/schemas/Notitie"}}},
                             "additionalProperties": False},
                "Aanbeveling": RECOMMENDATION,
                "AanbevelingMetNotities": {
                    **RECOMMENDATION, "required": [*RECOMMENDATION["required"], "notities"],
                    "properties": {**RECOMMENDATION["properties"], "notities": {
                        "type": "array", "items": {
                            "type": "object", "required": ["auteur", "op", "tekst"],
                            "properties": {"auteur": STRING, "op": STRING, "tekst": STRING},
                            "additionalProperties": False}}}},
                "Aanbevelingen": {
                    "type": "object",
                    "required": ["totaal", "pagina", "paginas", "aanbevelingen"],
                    "properties": {"totaal": {"type": "integer"}, "pagina": {"type": "integer"},
                                   "paginas": {"type": "integer"},
                                   "aanbevelingen": {"type": "array", "items": {
                                       "$ref": "#/components/schemas/Aanbeveling"}}},
                    "additionalProperties": False},
                "Dossier": {"type": "object",
                            "required": ["dossiernummer", "stap", "afgesloten", "termijnen",
                                         "open_taken", "berichten", "audit", "klager"],
                            "properties": {
                                "dossiernummer": STRING, "stap": STRING,
                                "afgesloten": {"type": "boolean"},
                                "termijnen": {"type": "object"},
                                "open_taken": {"type": "array"},
                                "berichten": {"type": "array", "items": {
                                    "type": "object",
                                    "required": ["soort", "code", "status", "tekst"]}},
                                "audit": {"type": "array"},
                                "incidenten": {"type": "array"},
                                "klager": {"type": "object"}, "omschrijving": STRING}},
            },
        },
    }
