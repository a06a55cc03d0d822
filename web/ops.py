"""Probes and metrics for the operators: ``/healthz``, ``/readyz``, ``/metrics``.

No login, no session, no personal data. ``/healthz`` says the process answers (it touches
no database: a database outage must not make an orchestrator restart every web process).
``/readyz`` says whether this process can serve: database reachable and schema at the
migrations' head (503 with a reason code otherwise). ``/metrics`` is Prometheus' text format
of :mod:`runner.ops.metrics`, only with the bearer token of ``KLACHTEN_METRICS_TOKEN`` (404 when
that is empty).
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from runner.ops.health import readiness
from runner.ops.metrics import KlachtenCollector

from .extension import app_settings, runner

bp = Blueprint("ops", __name__)
REGISTRY = "klachten_metrics"


def init_app(app: Flask) -> None:
    """Register the blueprint and a metrics registry with the runner's collector."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(KlachtenCollector(runner(app).klachten))
    app.extensions[REGISTRY] = registry
    app.register_blueprint(bp)


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    state = readiness(runner().klachten.engine)
    return jsonify(state.as_dict()), 200 if state.ready else 503


@bp.get("/metrics")
def metrics() -> Response:
    token = app_settings().metrics_token.get_secret_value()
    if not token:
        abort(404)
    sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(sent.encode(), token.encode()):
        return Response("unauthorized\n", 401, {"WWW-Authenticate": "Bearer"},
                        mimetype="text/plain")
    return Response(generate_latest(current_app.extensions[REGISTRY]),
                    mimetype=CONTENT_TYPE_LATEST)
