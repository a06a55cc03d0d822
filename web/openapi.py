"""The OpenAPI 3.1 document of the JSON API v1 (its schemas are JSON Schema 2020-12; the
tests validate every response against them)."""

from __future__ import annotations

from typing import Any

from runner.register import SORTS, STATUSES

STRING, NULLABLE = {"type": "string"}, {"type": ["string", "null"]}
PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(s): {"description": "probleem",
                     "content": {"application/problem+json": {"schema": PROBLEM}}}
            for s in statuses}


def _ok(schema: str, status: int = 200) -> dict[str, Any]:
    return {str(status): {"description": "ok", "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{schema}"}}}}}


def _body(schema: dict) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


NUMBER = {"name": "number", "in": "path", "required": True, "schema": STRING}
DATE = {"type": "string", "format": "date"}
RECOMMENDATION = {
    "type": "object",
    "required": ["id", "dossiernummer", "tekst", "dienst", "status", "eigenaar",
                 "reden_afwijzing", "aangemaakt_op", "gewijzigd_op", "versie"],
    "properties": {
        "id": {"type": "integer"}, "dossiernummer": STRING, "tekst": STRING, "dienst": STRING,
        "status": {"enum": list(STATUSES)},
        "eigenaar": STRING, "reden_afwijzing": STRING, "aangemaakt_op": STRING,
        "gewijzigd_op": NULLABLE, "versie": {"type": "integer"}},
    "additionalProperties": False}


def document() -> dict[str, Any]:
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
                "requestBody": _body({"type": "object"}),
                "responses": {**_ok("Ingediend", 201), **_errors(400, 401, 403)}}},
            "/taken": {"get": {
                "summary": "Open taken voor de rollen van de gebruiker",
                "parameters": [{"name": n, "in": "query", "schema": s} for n, s in [
                    ("stap", STRING), ("categorie", STRING), ("te_laat", STRING),
                    ("zoek", STRING), ("pagina", {"type": "integer"})]],
                "responses": {**_ok("Taken"), **_errors(401, 403)}}},
            "/taken/{task_id}": {"post": {
                "summary": "Een taak voltooien",
                "parameters": [{"name": "task_id", "in": "path", "required": True,
                                "schema": STRING}],
                "requestBody": _body({"type": "object", "required": ["gegevens"],
                                      "properties": {"gegevens": {"type": "object"},
                                                     "versie": {"type": "integer"}}}),
                "responses": {**_ok("Voltooid"), **_errors(400, 401, 403, 404, 409)}}},
            "/dossiers/{number}": {"get": {
                "summary": "Een dossier", "parameters": [NUMBER],
                "responses": {**_ok("Dossier"), **_errors(401, 403, 404)}}},
            "/aanbevelingen": {"get": {
                "summary": "Het verbeterregister: aanbevelingen gefilterd, gezocht, per 25",
                "parameters": [{"name": n, "in": "query", "schema": s} for n, s in [
                    ("status", {"enum": list(STATUSES)}),
                    ("dienst", STRING), ("eigenaar", STRING), ("van", DATE), ("tot", DATE),
                    ("zoek", STRING),
                    ("sorteer", {"enum": list(SORTS)}),
                    ("pagina", {"type": "integer"})]],
                "responses": {**_ok("Aanbevelingen"), **_errors(400, 401, 403)}}},
            "/aanbevelingen/{recommendation_id}": {"get": {
                "summary": "Een aanbeveling met haar opvolgnotities",
                "parameters": [{"name": "recommendation_id", "in": "path", "required": True,
                                "schema": {"type": "integer"}}],
                "responses": {**_ok("AanbevelingMetNotities"), **_errors(401, 403, 404)}}},
            "/dossiers/{number}/berichten": {"post": {
                "summary": "Een bericht aan het dossier (klager_niet_akkoord, "
                           "klacht_ingetrokken)",
                "parameters": [NUMBER],
                "requestBody": _body({"type": "object", "required": ["naam"], "properties": {
                    "naam": STRING, "gegevens": {"type": "object"}}}),
                "responses": {"204": {"description": "ontvangen"},
                              **_errors(400, 401, 403, 404, 409)}}},
        },
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Problem": {"type": "object", "required": ["type", "title", "status"],
                            "properties": {"type": STRING, "title": STRING,
                                           "status": {"type": "integer"}, "detail": STRING,
                                           "fouten": {"type": "object"},
                                           "codes": {"type": "object"}}},
                "Ingediend": {"type": "object", "required": ["dossiernummer"],
                              "properties": {"dossiernummer": STRING,
                                             "toegangscode": NULLABLE},
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
                             "geclaimd_door": NULLABLE},
                         "additionalProperties": False},
                "Taken": {"type": "object", "required": ["totaal", "pagina", "paginas", "taken"],
                          "properties": {"totaal": {"type": "integer"},
                                         "pagina": {"type": "integer"},
                                         "paginas": {"type": "integer"},
                                         "taken": {"type": "array", "items": {
                                             "$ref": "#/components/schemas/Taak"}}},
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
