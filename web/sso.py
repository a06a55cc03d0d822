"""Single sign-on for staff over OpenID Connect (Authlib's Flask client).

With ``KLACHTEN_SSO_ISSUER`` set, the login page offers "Aanmelden via …": the browser goes to
the fund's identity provider (authorization code flow; Authlib keeps the state and the nonce
in the session and checks the ID token's signature, issuer, audience and nonce), comes back
to ``/login/sso/terug``, and the user's roles here are mapped from one claim
(``KLACHTEN_SSO_ROLE_MAP``): a user without a mapped value is refused. Local accounts with a
password keep working beside it.
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, current_app, render_template, url_for
from flask_babel import lazy_gettext as _l
from requests.exceptions import RequestException
from werkzeug.wrappers import Response

from runner import settings
from runner.accounts.users import ROLES
from runner.bpmn.errors import ConfigurationError, Forbidden

from .auth import begin_staff_session
from .extension import app_settings, runner

bp = Blueprint("sso", __name__)
PROVIDER = "sso"


def init_app(app: Flask, config: settings.Settings) -> None:
    """Register the provider when single sign-on is configured (and check its settings)."""
    app.config["SSO_LABEL"] = config.sso_label if config.sso_issuer else ""
    if not config.sso_issuer:
        return
    if not config.sso_client_id:
        raise ConfigurationError("KLACHTEN_SSO_ISSUER is gezet maar KLACHTEN_SSO_CLIENT_ID niet")
    unknown = sorted(set(settings.role_map(config.sso_role_map).values()) - set(ROLES))
    if unknown:
        raise ConfigurationError(f"KLACHTEN_SSO_ROLE_MAP: onbekende rol {', '.join(unknown)}; "
                                 f"kies uit {', '.join(ROLES)}")
    oauth = OAuth(app)
    oauth.register(PROVIDER, client_id=config.sso_client_id,
                   client_secret=config.sso_client_secret.get_secret_value(),
                   server_metadata_url=config.sso_issuer + "/.well-known/openid-configuration",
                   client_kwargs={"scope": config.sso_scopes})
    app.register_blueprint(bp)


def _client() -> Any:
    return current_app.extensions["authlib.integrations.flask_client"].create_client(PROVIDER)


@bp.get("/login/sso")
def start() -> Response | tuple[str, int]:
    try:
        return _client().authorize_redirect(url_for(".back", _external=True))
    except (RequestException, OAuthError, ValueError):
        return _refused(_l("De identiteitsdienst is nu niet bereikbaar. Probeer het later "
                           "opnieuw of meld u aan met uw wachtwoord."), 502)


@bp.get("/login/sso/terug")
def back() -> Response | tuple[str, int]:
    try:
        token = _client().authorize_access_token()
        claims = {**_client().userinfo(token=token), **(token.get("userinfo") or {})}
    except (RequestException, ValueError):
        return _refused(_l("De identiteitsdienst is nu niet bereikbaar. Probeer het later "
                           "opnieuw of meld u aan met uw wachtwoord."), 502)
    except OAuthError:
        return _refused(_l("De aanmelding via de identiteitsdienst is niet gelukt of werd "
                           "geannuleerd. Probeer het opnieuw."), 400)
    roles = mapped_roles(claims)
    if not roles:
        return _refused(_l("Uw account bij de identiteitsdienst heeft geen rol in de "
                           "klachtendienst. Vraag een beheerder om u een rol te geven."), 403)
    try:
        account = runner().accounts.sign_in_sso(
            str(claims["sub"]), str(claims.get("preferred_username") or ""),
            str(claims.get("email") or ""), roles)
    except Forbidden as refusal:
        return _refused(_l("Aanmelden via de identiteitsdienst kan niet voor dit account: "
                           "%(reason)s.", reason=str(refusal)), 403)
    return begin_staff_session(account)


def mapped_roles(claims: dict[str, Any]) -> tuple[str, ...]:
    """The roles here of the values of the configured claim (a list or one text)."""
    config = app_settings()
    values = claims.get(config.sso_role_claim) or []
    values = [values] if isinstance(values, str) else values
    mapping = settings.role_map(config.sso_role_map)
    return tuple(dict.fromkeys(mapping[value] for value in values
                               if isinstance(value, str) and value in mapping))


def _refused(message: Any, status: int) -> tuple[str, int]:
    return render_template("login.html", errors=[], values={}, sso_refused=str(message)), status
