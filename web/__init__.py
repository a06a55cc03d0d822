"""The Flask application: the complainant's pages now, the mediator's pages later.

``create_app`` layers the configuration: the defaults declared in ``runner.settings``, then
``klachten.cfg`` in the instance folder, then ``KLACHTEN_*`` environment variables (without
the prefix: ``KLACHTEN_SECRET_KEY`` becomes ``SECRET_KEY``), then the ``config`` argument
(tests). Nothing is built at import time. The app holds one runner (``web.extension``);
``web/`` never imports SpiffWorkflow and never builds SQL.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner import settings

if TYPE_CHECKING:  # Flask loads when the app is built, not for ``klachten --help``
    from flask import Flask

PREFIX = "KLACHTEN"
INSTANCE_CONFIG = "klachten.cfg"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    from flask import Flask
    from flask_wtf.csrf import CSRFProtect
    from werkzeug.middleware.proxy_fix import ProxyFix

    from . import auth, display, errors, extension, i18n, ops, requestlog, security

    config = dict(config or {})
    app = Flask(__name__, instance_path=str(_instance_path(config)),
                instance_relative_config=True)
    app.config.from_mapping(_defaults())
    app.config.from_pyfile(INSTANCE_CONFIG, silent=True)
    app.config.from_prefixed_env(PREFIX)
    app.config.from_mapping(config)
    if app.config["SECRET_KEY"]:
        settings.check_secret_key(app.config["SECRET_KEY"],
                                  f"{PREFIX}_SECRET_KEY (of SECRET_KEY in {INSTANCE_CONFIG})")
    else:
        app.config["SECRET_KEY"] = settings.instance_secret_key(Path(app.instance_path))
    proxies = int(app.config["PROXY_COUNT"])
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    requestlog.init_app(app)
    csrf = CSRFProtect(app)
    i18n.init_app(app)
    display.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    extension.init_app(app)
    auth.init_app(app)

    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .mediator import bp as mediator_bp
    from .privacy import bp as privacy_bp
    from .public import bp as public_bp
    from .register import bp as register_bp
    from .reports import bp as reports_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(mediator_bp)
    app.register_blueprint(register_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(api_bp)
    ops.init_app(app)
    csrf.exempt(api_bp)  # bearer tokens, no cookies: no cross-site request to forge
    return app


def _instance_path(config: dict[str, Any]) -> Path:
    """The instance folder: from the config argument, the environment or the default."""
    return Path(config.get("INSTANCE_PATH") or settings.get(f"{PREFIX}_INSTANCE_PATH")).resolve()


def _defaults() -> dict[str, Any]:
    """Every runner setting by its name without prefix, plus the web's own defaults."""
    values: dict[str, Any] = {s.name.removeprefix(f"{PREFIX}_"): s.default
                              for s in settings.SETTINGS}
    values.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=30),
        MAX_CONTENT_LENGTH=256 * 1024,
        WTF_CSRF_TIME_LIMIT=2 * 3600,
    )
    return values
