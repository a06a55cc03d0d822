"""Mediators sign in: Flask-Login sessions, the login and logout pages, and ``requires``.

The session holds only the user's id and the token of a server-side session
(``runner.accounts.sessions``); every request reloads the account through that session, so a
disabled user, a changed role or a sign-out takes effect at once, also for a copied cookie,
and a session ends 8 hours after the login however active. Not signed in: a redirect to the
login page (API: 401). Signed in without the permission: 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from runner.accounts.users import ADMINISTER, READ_REPORTS, WORK_TASKS, Account
from runner.bpmn.errors import DatabaseUnavailable, ValidationFailed

from .extension import runner
from .messages import LABELS, field_errors
from .redirects import same_site_path

bp = Blueprint("auth", __name__)
SESSION_TOKEN = "sessie"  # the server-side session's token (runner.accounts.sessions)


class SignedIn(UserMixin):
    """Flask-Login's user: the runner's account."""

    def __init__(self, account: Account):
        self.account = account

    def get_id(self) -> str:
        return str(self.account.id)


def init_app(app: Flask) -> None:
    manager = LoginManager(app)
    manager.login_view = "auth.login"
    manager.login_message = None
    manager.session_protection = "strong"
    manager.user_loader(_load)
    app.context_processor(lambda: {"account": _account_for_pages(), "start_page": start_page})


def _load(user_id: str) -> SignedIn | None:
    """The account of a live server-side session (``SESSION_TOKEN``), reloaded each request."""
    token = str(session.get(SESSION_TOKEN, ""))
    account = runner().accounts.by_session(int(user_id), token) if user_id.isdigit() else None
    return SignedIn(account) if account else None


def current_account() -> Account | None:
    return current_user.account if current_user.is_authenticated else None


def signed_in() -> Account:
    """The account of a view behind :func:`requires` (which sends anyone else to the login
    page first)."""
    account = current_account()
    if account is None:
        abort(401)
    return account


def _account_for_pages() -> Account | None:
    """The signed-in account for the page header; none when it cannot be loaded, so that
    the error page of a database outage still renders."""
    try:
        return current_account()
    except DatabaseUnavailable:
        return None


def requires(permission: str) -> Callable:
    """A view for signed-in users with ``permission``."""
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any):
            account = current_account()
            if account is None:
                return redirect(url_for("auth.login", volgende=request.full_path.rstrip("?")))
            if not account.may(permission):
                abort(403)
            return view(*args, **kwargs)
        return guarded
    return decorate


# A staff form posted after the session ended keeps its fields through the new login as
# hidden inputs named KEPT + field name; nothing of it is stored on the server. After the
# login the person sees what was kept and decides (issue 25, item 1): nothing is sent
# without their own click on a page that shows it.
KEPT = "bewaard:"
_NOT_KEPT = {"csrf_token", "actie", "naam", "wachtwoord"}
STAFF_PREFIXES = ("/bemiddeling/", "/beheer/")
RESTORES_KEPT_FORM = "restores_kept_form"  # a view attribute: it redraws its form on RESTORE
RESTORE = "herstellen"


def staff_page(path: str) -> bool:
    return path.startswith(STAFF_PREFIXES)


def restores_kept_form(view: Callable) -> Callable:
    """Marks a view that, posted with ``actie=herstellen``, draws its form filled in with
    what was posted and sends nothing."""
    setattr(view, RESTORES_KEPT_FORM, True)
    return view


def expired_staff_form() -> tuple[str, int] | None:
    """A staff form posted after the session ended (its CSRF token no longer matches): the
    staff login, carrying what was typed, to review it after signing in again. Only when
    the token is one this site signed in the last hours (the form came from our page);
    else None."""
    if not _issued_here(request.form.get("csrf_token", "")):
        return None
    kept = [(KEPT + name, value) for name, value in request.form.items(multi=True)
            if name not in _NOT_KEPT]
    return render_template("login.html", errors=[], values={}, expired=True, kept=kept,
                           next_path=request.path), 401


def _issued_here(token: str) -> bool:
    """``token`` is a CSRF token signed with our key and not older than its time limit."""
    config = current_app.config
    key = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key or ""
    serializer = URLSafeTimedSerializer(key, salt="wtf-csrf-token")
    try:
        serializer.loads(token, max_age=config.get("WTF_CSRF_TIME_LIMIT", 3600))
    except BadData:
        return False
    return True


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | tuple[str, int] | Response:
    if request.method == "GET":
        return render_template("login.html", errors=[], values={})
    kept = [(name, value) for name, value in request.form.items(multi=True)
            if name.startswith(KEPT)]
    try:
        account = runner().accounts.sign_in(request.form.get("naam", ""),
                                            request.form.get("wachtwoord", ""),
                                            request.remote_addr or "")
    except ValidationFailed as error:
        return render_template("login.html", errors=field_errors(error, {}, {"formulier": "naam"}),
                               values={"naam": request.form.get("naam", "")}, kept=kept,
                               expired=bool(kept)), 400
    target = _next_page(account)
    if kept and staff_page(target):
        begin_staff_session(account)
        return render_template("opnieuw_aangemeld.html", target=target,
                               kept=[(name[len(KEPT):], value) for name, value in kept],
                               restores=_restores(target), restore=RESTORE,
                               labels=LABELS)
    return begin_staff_session(account, target)


def begin_staff_session(account: Account, target: str | None = None) -> Response:
    """Sign ``account`` in (after a password or a single sign-on) and go to ``target``,
    by default the role's start page."""
    session.clear()  # a fresh session: no fixation, no leftovers of the public side
    session.permanent = True
    session[SESSION_TOKEN] = runner().accounts.start_session(account)
    login_user(SignedIn(account))
    return redirect(target or start_page(account))


def _restores(path: str) -> bool:
    """The view behind a POST to ``path`` draws its form again for ``actie=herstellen``."""
    try:
        endpoint, _ = current_app.url_map.bind_to_environ(request.environ).match(
            path.split("?", 1)[0], method="POST")
    except HTTPException:
        return False
    return bool(getattr(current_app.view_functions.get(str(endpoint)), RESTORES_KEPT_FORM,
                        False))


@bp.post("/logout")
def logout() -> Response:
    """Ends the server-side session: a copy of the cookie no longer works either."""
    runner().accounts.end_session(str(session.get(SESSION_TOKEN, "")))
    logout_user()
    session.clear()
    return redirect(url_for(".login"))


# Where each role starts: the first of these its permissions open.
START_PAGES = ((WORK_TASKS, "mediator.inbox"), (ADMINISTER, "admin.users"),
               (READ_REPORTS, "reports.page"))


def start_page(account: Account) -> str:
    """The page a role starts on: mediators their werkbak, the beheerder the users, a reader
    the reports."""
    return url_for(next((endpoint for permission, endpoint in START_PAGES
                         if account.may(permission)), "public.status"))


def _next_page(account: Account) -> str:
    """Back to the page that asked for the login, on this site only; else the role's start."""
    return same_site_path(request.args.get("volgende"), start_page(account))
