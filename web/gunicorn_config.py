"""gunicorn's settings for klachten: ``gunicorn -c python:web.gunicorn_config``.

Everything here can be overridden on the command line (``--workers 8 --bind 0.0.0.0:8080``)
or in ``GUNICORN_CMD_ARGS``. The app is loaded in each worker after the fork (no
``preload_app``): every worker opens its own database connections. gunicorn's own access
log stays off: the app writes one line per request itself (``web.requestlog``), and
gunicorn's error log goes through klachten's handler (``KLACHTEN_LOG_FORMAT``, redacted).
"""

from __future__ import annotations

import multiprocessing

from gunicorn.glogging import Logger

from runner.ops import logs

wsgi_app = "web.wsgi:app()"
bind = "127.0.0.1:8080"
# Requests mostly wait on the database: two processes per core, each with a few threads.
workers = 2 * multiprocessing.cpu_count()
worker_class = "gthread"
threads = 4
timeout = 60
graceful_timeout = 30
proc_name = "klachten"
# gunicorn >= 25.1 opens a control socket at one fixed path per user, which a second server
# of the same user would take over; the process manager and signals do its job here.
control_socket_disable = True
logger_class = "web.gunicorn_config.KlachtenLogger"
# The proxy headers are read in one place, ProxyFix with KLACHTEN_PROXY_COUNT (create_app),
# as under waitress: gunicorn's own X-Forwarded-Proto handling (trusting 127.0.0.1) stays off.
forwarded_allow_ips = ""


class KlachtenLogger(Logger):
    """gunicorn's messages (booting, worker timeouts) in klachten's log format."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        logs.configure()
        for handler in list(self.error_log.handlers):
            self.error_log.removeHandler(handler)
        self.error_log.propagate = True
        self.access_log.disabled = True


