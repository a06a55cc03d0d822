"""The Flask application: the members' pages (form, status), the mediators' and the admin's.

``create_app`` takes the one configuration of ``runner.settings`` (defaults, ``klachten.cfg``
in the instance folder, ``KLACHTEN_*`` environment variables), with the settings named in the
``config`` argument laid over it (tests: ``{"DATABASE_URL": ..., "CLOCK": "virtual"}``); the
other keys of ``config`` are Flask's own (``TESTING``). Nothing is built at import time. The
app holds one runner (``web.extension``); ``web/`` never imports SpiffWorkflow and never
builds SQL.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from runner import settings

if TYPE_CHECKING:  # Flask loads when the app is built, not for ``klachten --help``
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    from flask import Flask
    from flask_wtf.csrf import CSRFProtect
    from werkzeug.middleware.proxy_fix import ProxyFix

    from . import (
        account,
        auth,
        display,
        errors,
        extension,
        i18n,
        ops,
        request_guard,
        requestlog,
        security,
        sso,
    )

    config = dict(config or {})
    overrides = {name: value for name, value in config.items() if settings.is_setting(name)}
    loaded = settings.load(overrides) if overrides else settings.current()
    app = Flask(__name__, instance_path=str(loaded.instance_path.resolve()))
    app.config.from_mapping(_flask_config(loaded))
    app.config.from_mapping({name: value for name, value in config.items()
                             if name not in overrides})
    extension.init_settings(app, loaded)
    if loaded.proxy_count:
        # Wrapping wsgi_app is Flask's documented way to add WSGI middleware; its stub
        # declares a method there.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=loaded.proxy_count,  # type: ignore[method-assign]
                                x_proto=loaded.proxy_count)

    requestlog.init_app(app)
    request_guard.init_app(app)  # before the CSRF check: a cross-site POST stops here
    csrf = CSRFProtect(app)
    i18n.init_app(app)
    display.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    extension.init_app(app)
    auth.init_app(app)

    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .casework import bp as casework_bp
    from .dossiers import bp as dossiers_bp
    from .follow_up import bp as follow_up_bp
    from .mediator import bp as mediator_bp
    from .ownership import bp as ownership_bp
    from .privacy import bp as privacy_bp
    from .public import bp as public_bp
    from .register import bp as register_bp
    from .reports import bp as reports_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(mediator_bp)
    app.register_blueprint(casework_bp)
    app.register_blueprint(dossiers_bp)
    app.register_blueprint(register_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(follow_up_bp)
    app.register_blueprint(ownership_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(account.bp)
    sso.init_app(app, loaded)
    ops.init_app(app)
    csrf.exempt(api_bp)  # bearer tokens, no cookies: no cross-site request to forge
    return app


def _flask_config(loaded: settings.Settings) -> dict[str, Any]:
    """Flask's own keys: derived from the settings, or fixed by the web app."""
    return {"SECRET_KEY": settings.secret_key(loaded),
            "SESSION_COOKIE_SECURE": loaded.session_cookie_secure,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "PERMANENT_SESSION_LIFETIME": timedelta(minutes=30),
            "MAX_CONTENT_LENGTH": 256 * 1024,
            "WTF_CSRF_TIME_LIMIT": 2 * 3600}
