"""The JSON API v1: per-user bearer tokens (``klachten user token NAME``), the same runner
calls, validation and guards as the pages; errors are problem documents (RFC 9457).

The OpenAPI document is served at ``/api/v1/openapi.json`` (``web.openapi``); query
parameters and bodies are checked against its schemas first, so that what it says is what
the API takes (``?pagina=null`` or an empty ``?van=`` is a 400, not a default).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from runner.accounts.users import (
    ASSIGN,
    INTAKE,
    OWN_ACCOUNT,
    READ_DOSSIERS,
    READ_REGISTER,
    WORK_TASKS,
    Account,
)
from runner.bpmn.errors import NotFound, TaskEnded, TaskHeld, ValidationFailed
from runner.bpmn.forms import validate_form
from runner.reports.improvement_register import Entry, RegisterQuery
from runner.results import to_json
from runner.service import COMPLAINT_FORM
from runner.work.case_notes import NewNote
from runner.work.dossier_list import access_what
from runner.work.inbox import InboxQuery

from .extension import runner
from .openapi import (
    ASSIGN_BODY,
    CLAIM_BODY,
    COMPLETE_BODY,
    DOSSIER_QUERY,
    MAX_INTEGER,
    MESSAGE_BODY,
    NOTE_BODY,
    PASSWORD_BODY,
    REGISTER_QUERY,
    TASK_QUERY,
    document,
)
from .register import ENTRY

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def problem(status: int, title: str, detail: str = "", **extra: Any) -> Response:
    response = jsonify(type="about:blank", title=title, status=status, detail=detail, **extra)
    response.mimetype = "application/problem+json"
    response.status_code = status
    return response


def api(permission: str) -> Callable:
    """A call with a bearer token whose user has ``permission`` (401 without, 403 without
    the permission); a validation failure is a 400 problem with the reasons per field."""
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Response:
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            account = (runner().accounts.by_token(token.strip())
                       if scheme.lower() == "bearer" and token.strip() else None)
            if account is None:
                response = problem(401, "Niet aangemeld", "Geef een geldig API-token mee.")
                response.headers["WWW-Authenticate"] = 'Bearer realm="klachten"'
                return response
            if not account.may(permission):
                return problem(403, "Niet toegestaan", "Uw rol laat dit niet toe.")
            g.account = account
            try:
                return view(*args, **kwargs)
            except ValidationFailed as error:
                return problem(400, "Ongeldige invoer", str(error), fouten=error.reasons,
                               codes=error.codes)
            except TaskHeld as error:
                return problem(409, "In behandeling bij een ander", str(error),
                               houder=error.holder, sinds=error.since)
            except TaskEnded as error:
                return problem(409, "Taak al voltooid", str(error), voltooid_door=error.by,
                               op=error.at)
        return guarded
    return decorate


def _body(schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON object sent, valid against ``schema`` when one is given."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed({"body": "verwacht een JSON-object"}, {"body": "type"})
    if schema is not None:
        validate_form(schema, body)
    return body


def _query(parameters: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The query parameters, typed and valid against their schemas; each at most once, and
    none that the document does not name."""
    unknown = sorted(set(request.args) - set(parameters))
    if unknown:
        raise ValidationFailed({name: "onbekende parameter" for name in unknown},
                               dict.fromkeys(unknown, "additionalProperties"))
    values: dict[str, Any] = {}
    for name, schema in parameters.items():
        given = request.args.getlist(name)
        if len(given) > 1:
            raise ValidationFailed({name: "geef deze parameter hoogstens een keer"},
                                   {name: "maxItems"})
        if given:
            values[name] = _typed(given[0], schema)
    validate_form({"type": "object", "properties": parameters}, values)
    return values


def _typed(text: str, schema: dict[str, Any]) -> Any:
    """An integer parameter as a number when it is written as one (else the text, which
    the schema then refuses)."""
    if schema.get("type") == "integer" and re.fullmatch(r"-?[0-9]{1,19}", text):
        return int(text)
    return text


def _account() -> Account:
    return g.account


@bp.get("/openapi.json")
def openapi() -> Response:
    model = runner().klachten.latest_model()
    return jsonify(document(model.form(COMPLAINT_FORM), model.settings.get("categorieen")))


@bp.post("/klachten")
@api(INTAKE)
def submit() -> Response:
    submitted = runner().intake.submit_data(_account(), _body())
    response = jsonify(dossiernummer=submitted.dossier_number,
                       toegangscode=submitted.access_code)
    response.status_code = 201
    return response


@bp.get("/taken")
@api(WORK_TASKS)
def tasks() -> Response:
    args = _query(TASK_QUERY)
    page = runner().inbox.page(_account(), InboxQuery(
        step=args.get("stap", ""), category=args.get("categorie", ""),
        overdue=args.get("te_laat") == "ja", search=args.get("zoek", ""),
        page=args.get("pagina", 1)))
    return jsonify(totaal=page.total, meer=page.more, pagina=page.page, paginas=page.pages,
                   taken=to_json(page.rows))


@bp.post("/taken/<task_id>")
@api(WORK_TASKS)
def complete(task_id: str) -> Response:
    body = _body(COMPLETE_BODY)
    number = runner().inbox.complete(_account(), task_id, body["gegevens"], body.get("versie"),
                                     take_over=body.get("overnemen"))
    return jsonify(dossiernummer=number)


@bp.post("/taken/<task_id>/claim")
@api(WORK_TASKS)
def claim(task_id: str) -> Response:
    body = _body(CLAIM_BODY)
    runner().inbox.claim(_account(), task_id, take_over=body.get("overnemen"))
    return jsonify(to_json(runner().inbox.ownership.holder(task_id)))


@bp.post("/dossiers/<number>/eigenaar")
@api(ASSIGN)
def assign(number: str) -> Response:
    body = _body(ASSIGN_BODY)
    previous = runner().inbox.ownership.assign(_account(), number, body["aan"],
                                               body.get("reden"))
    return jsonify(dossiernummer=number, eigenaar=body["aan"], vorige_eigenaar=previous)


@bp.get("/dossiers")
@api(READ_DOSSIERS)
def dossiers() -> Response:
    listing = runner().dossier_list
    args = _query(DOSSIER_QUERY)
    page = listing.page(_account(), listing.parse({k: str(v) for k, v in args.items()}),
                        what=access_what("API"))
    return jsonify(totaal=page.total, meer=page.more, pagina=page.page, paginas=page.pages,
                   dossiers=to_json(page.rows))


@bp.get("/dossiers/<number>")
@api(READ_DOSSIERS)
def dossier(number: str) -> Response:
    view = runner().dossiers.view(_account(), number, what="API")
    return jsonify({**to_json(view.info), "klager": view.complainant,
                    "omschrijving": view.description})


@bp.post("/dossiers/<number>/berichten")
@api(WORK_TASKS)
def message(number: str) -> Response:
    body = _body(MESSAGE_BODY)
    runner().dossiers.send_message(_account(), number, body["naam"], body.get("gegevens", {}))
    return Response(status=204)


@bp.get("/tokens")
@api(OWN_ACCOUNT)
def tokens() -> Response:
    return jsonify(tokens=[{
        "id": t.id, "label": t.label, "gemaakt_op": t.created_at.isoformat(),
        "geldig_tot": t.expires_at.isoformat(),
        "laatst_gebruikt": t.last_used_at.isoformat() if t.last_used_at else None,
        "toestand": t.state}
        for t in runner().accounts.tokens(_account().name)])


@bp.delete(f"/tokens/<int(max={MAX_INTEGER}):token_id>")
@api(OWN_ACCOUNT)
def revoke_token(token_id: int) -> Response:
    try:
        runner().accounts.revoke_token(_account().name, token_id)
    except NotFound:
        return problem(404, "Niet gevonden", f"token {token_id} bestaat niet")
    return Response(status=204)


@bp.post("/wachtwoord")
@api(OWN_ACCOUNT)
def change_password() -> Response:
    body = _body(PASSWORD_BODY)
    runner().accounts.change_password(_account(), body["huidig"], body["nieuw"])
    return Response(status=204)


@bp.get("/dossiers/<number>/notities")
@api(READ_DOSSIERS)
def notes(number: str) -> Response:
    return jsonify(notities=to_json(runner().notes.notes(_account(), number, "notities (API)")))


@bp.post("/dossiers/<number>/notities")
@api(WORK_TASKS)
def add_note(number: str) -> Response:
    note = runner().notes.add(_account(), number, NewNote.from_fields(_body(NOTE_BODY)))
    response = jsonify(to_json(note))
    response.status_code = 201
    return response


@bp.get("/aanbevelingen")
@api(READ_REGISTER)
def recommendations() -> Response:
    args = _query(REGISTER_QUERY)
    page = runner().register.page(_account(), RegisterQuery.from_fields(
        {name: str(value) for name, value in args.items()}))
    return jsonify(totaal=page.total, pagina=page.page, paginas=page.pages,
                   aanbevelingen=[_recommendation(entry) for entry in page.rows])


@bp.get(f"/aanbevelingen/{ENTRY}")
@api(READ_REGISTER)
def recommendation(recommendation_id: int) -> Response:
    entry = runner().register.entry(_account(), recommendation_id)
    return jsonify({**_recommendation(entry), "notities": [
        {"auteur": n.author, "op": n.at.isoformat(), "tekst": n.text} for n in entry.notes]})


def _recommendation(entry: Entry) -> dict[str, Any]:
    return {"id": entry.id, "dossiernummer": entry.dossier_number, "tekst": entry.text,
            "dienst": entry.service, "status": entry.status, "eigenaar": entry.owner,
            "reden_afwijzing": entry.rejection_reason,
            "aangemaakt_op": entry.created_at.isoformat(),
            "gewijzigd_op": entry.updated_at.isoformat() if entry.updated_at else None,
            "versie": entry.version}
