"""The ``klachten`` command as installed: the runner's commands plus ``serve``.

``runner/`` never imports ``web/``; the web package adds its command to the runner's click
group here, and the ``klachten`` console script points at this module. ``python -m web``
runs the same command.
"""

from __future__ import annotations

import click
import waitress

from runner.cli import main

from . import create_app
from .extension import close


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256),
              help="Worker threads of the WSGI server.")
def serve(host: str, port: int, threads: int) -> None:
    """Serve the web application (complaint form, status page) with waitress."""
    app = create_app()
    click.echo(f"klachten luistert op http://{host}:{port}/klacht")
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="klachten")
    finally:
        close(app)
