"""The application for a WSGI server: ``gunicorn 'web.wsgi:app()'`` (see docs/deployment.md).

A factory, called by the server in each of its worker processes after the fork, so that no
database connection is shared between processes. Logging is set up from the settings first.
"""

from __future__ import annotations

from flask import Flask

from runner.ops import logs

from . import create_app


def app() -> Flask:
    logs.configure()
    return create_app()
