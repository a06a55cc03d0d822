"""The ``klachten`` command as installed: the runner's commands plus ``serve``.

``runner/`` never imports ``web/``; the web package adds its command to the runner's click
group here, and the ``klachten`` console script points at this module. ``python -m web``
runs the same command.
"""

from __future__ import annotations

from typing import TypedDict

import click

from runner import settings
from runner.cli import main, warn_public_url


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535),
              help="Port to listen on.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256),
              help="Worker threads of the WSGI server.")
@click.option("--worker/--no-worker", default=None,
              help="Run the timer and outbox worker in this process (default: yes on the "
                   "embedded SQLite database, no with KLACHTEN_DATABASE_URL).")
@click.option("--demo", is_flag=True,
              help="First create demo accounts (one per role) and sample dossiers.")
def serve(host: str, port: int, threads: int, worker: bool | None, demo: bool) -> None:
    """Serve the web application with waitress.

    The complaint form, the status page and the mediators' pages, with the worker in a
    thread unless --no-worker."""
    from runner.ops import logs

    logs.configure()
    settings.public_url()  # a wrong address stops before anything starts
    with settings.serving_at(host, port):
        _serve(host, port, threads, worker, demo)


def _serve(host: str, port: int, threads: int, worker: bool | None, demo: bool) -> None:
    import waitress

    from runner.worker import BackgroundWorker, Worker

    from . import create_app
    from .extension import app_settings, close, runner

    app = create_app()
    background = None
    try:
        klachten = runner(app).klachten
        if demo:
            _demo(klachten)
        config = app_settings(app)
        if worker if worker is not None else not config.database_url:
            background = BackgroundWorker(Worker(klachten), config.worker_interval).start()
        click.echo(f"klachten luistert op http://{host}:{port}/klacht "
                   f"(medewerkers: http://{host}:{port}/login)")
        click.echo(f"publiek adres in berichten en brieven: {settings.public_url()}")
        if not demo:
            warn_public_url()
        waitress.serve(app, host=host, port=port, threads=threads, ident="klachten",
                       **proxy_options(config.proxy_count))
    finally:
        if background:
            background.stop()
        close(app)


class ProxyOptions(TypedDict, total=False):
    """waitress's options for running behind proxies."""

    clear_untrusted_proxy_headers: bool


def proxy_options(proxies: int) -> ProxyOptions:
    """waitress removes X-Forwarded-* by default; behind trusted proxies it must pass them on
    to ``ProxyFix`` (``create_app``), the one place that reads them, as under gunicorn."""
    return {"clear_untrusted_proxy_headers": False} if proxies else {}


def _demo(klachten) -> None:
    from runner.demo import create_demo

    klachten.deploy()
    logins, numbers = create_demo(klachten)
    click.echo("demo-accounts:")
    for login in logins:
        click.echo(f"  {login.name:6} {login.role:32} "
                   + (login.password or "(bestond al; wachtwoord ongewijzigd)"))
    click.echo("voorbeelddossiers: " + ", ".join(numbers))
