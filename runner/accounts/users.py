"""Mediators' accounts: users, roles, passwords (argon2), API tokens and the login check.

Roles and what each may do are fixed here (least privilege); which BPMN lane a role works
is data, in ``processes/rollen.json``. A failed login is counted per client address and per
user name in ``rate_limit_events``, like the status page's look-ups.
"""

from __future__ import annotations

import builtins
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from runner import settings
from runner.accounts import sessions
from runner.bpmn.errors import Forbidden, NotFound, ValidationFailed
from runner.bpmn.store import transaction
from runner.definition.model import Model
from runner.ratelimit import RateLimit, check_limit, client_key, event_key, record_failures
from runner.service import Klachten
from runner.settings import HashCost
from runner.store import User

ROLES_FILE = "rollen.json"
MEDIATOR = "klachtenbemiddelaar"
NATIONAL = "nationale klachtenbemiddelaar"
ADMIN = "beheerder"
READER = "lezer"
ROLES = (MEDIATOR, NATIONAL, ADMIN, READER)

# What each role may do; a page or API call names the permission it needs.
WORK_TASKS, READ_DOSSIERS, INTAKE, ADMINISTER = "taken", "dossiers", "intake", "beheer"
# The improvement register: everyone reads it, only the mediators follow it up.
READ_REGISTER, UPDATE_REGISTER = "verbeterregister", "verbeterregister bijwerken"
# Reports are aggregate figures without personal data: every role may read them.
READ_REPORTS = "rapporten"
# Giving a dossier an owner: the first-line mediators' team among itself; the national
# mediator re-examines independently and steers nobody's first-line work.
ASSIGN = "toewijzen"
PERMISSIONS: dict[str, frozenset[str]] = {
    MEDIATOR: frozenset({WORK_TASKS, READ_DOSSIERS, INTAKE, READ_REGISTER, UPDATE_REGISTER,
                         READ_REPORTS, ASSIGN}),
    NATIONAL: frozenset({WORK_TASKS, READ_DOSSIERS, READ_REGISTER, UPDATE_REGISTER,
                         READ_REPORTS}),
    ADMIN: frozenset({ADMINISTER, READ_DOSSIERS, READ_REGISTER, READ_REPORTS}),
    READER: frozenset({READ_DOSSIERS, READ_REGISTER, READ_REPORTS}),
}
MAX_NAME = 100
# A mediator signs in again after this, however active (the idle limit is the cookie's);
# KLACHTEN_STAFF_SESSION_HOURS.
SESSION_LIFETIME = timedelta(hours=8)
MIN_PASSWORD = 12
MIN_PASSWORD_SCORE = 3  # zxcvbn: "safely unguessable", resists an offline attack on a slow hash
_RATED_LENGTH = 72  # zxcvbn's own limit; a longer passphrase is rated on its start
_OWN_WORDS = ("klachten", "klacht", "ziekenfonds", "klachtendienst", "bemiddelaar")
# Argon2 parameters per KLACHTEN_PASSWORD_HASH_COST: argon2-cffi's default (RFC 9106's
# low-memory profile: 3 passes over 64 MiB, about half a second here) for every deployment;
# its cheapest profile only for the test suite, which creates hundreds of accounts.
HASH_COSTS = {HashCost.STANDARD: profiles.RFC_9106_LOW_MEMORY, HashCost.TEST: profiles.CHEAPEST}


def password_hasher(cost: HashCost) -> PasswordHasher:
    """The argon2 hasher of a ``KLACHTEN_PASSWORD_HASH_COST`` value."""
    return PasswordHasher.from_parameters(HASH_COSTS[cost])


@cache
def _hasher() -> PasswordHasher:
    """This process's hasher (the setting is read once: a process keeps one cost)."""
    return password_hasher(settings.current().password_hash_cost)


@cache
def _dummy() -> str:
    """A hash to verify against for an unknown name, so that it takes as long as a known one."""
    return _hasher().hash("geen-gebruiker-met-deze-naam")
LOGIN = "login"  # the prefix of the failed logins' rate-limit events


@dataclass(frozen=True)
class Account:
    """A signed-in user as the web and API see it (never the hashes)."""

    id: int
    name: str
    roles: tuple[str, ...]
    disabled: bool

    def may(self, permission: str) -> bool:
        return not self.disabled and any(permission in PERMISSIONS[r] for r in self.roles)


def _account(user: User) -> Account:
    return Account(user.id, user.name, tuple(user.roles), user.disabled)


def token_digest(token: str) -> str:
    """API tokens are long random strings: a fast hash is enough and allows a look-up."""
    return hashlib.sha256(token.encode()).hexdigest()


def check_roles(roles: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise ValidationFailed({"rol": f"onbekende rol {', '.join(unknown) or '(geen)'}; "
                                f"kies uit {', '.join(ROLES)}"}, {"rol": "enum"})
    return tuple(dict.fromkeys(roles))


def check_password(password: str, user_inputs: tuple[str, ...] = ()) -> str:
    """``password`` when it is long enough and hard to guess: zxcvbn (Dropbox's estimator,
    with its lists of common passwords, words and names, keyboard rows, sequences and
    repeats) must rate it at least 3 of 4, counting the user name and the fund's own words
    as known."""
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed({"wachtwoord": f"minstens {MIN_PASSWORD} tekens"},
                               {"wachtwoord": "minLength"})
    rating = zxcvbn(password[:_RATED_LENGTH], user_inputs=[*user_inputs, *_OWN_WORDS])
    if rating["score"] < MIN_PASSWORD_SCORE:
        raise ValidationFailed({"wachtwoord": "te makkelijk te raden (een veelgebruikt "
                                              "wachtwoord, een herhaling of een reeks)"},
                               {"wachtwoord": "strength"})
    return password


class Accounts:
    """Users of one runner; every method is one transaction."""

    def __init__(self, klachten: Klachten, limit: RateLimit | None = None,
                 session_lifetime: timedelta = SESSION_LIFETIME):
        self.klachten = klachten
        self.limit = limit or RateLimit(attempts=5, window=RateLimit().window)
        self.session_lifetime = session_lifetime

    # ----- management (CLI, admin pages)
    def add(self, name: str, roles: list[str] | tuple[str, ...], password: str) -> Account:
        name = name.strip()
        if not name or len(name) > MAX_NAME:
            raise ValidationFailed({"naam": f"1 tot {MAX_NAME} tekens"}, {"naam": "maxLength"})
        user = User(name=name, roles=list(check_roles(roles)),
                    password_hash=_hasher().hash(check_password(password, (name,))), disabled=False)
        with transaction(self.klachten.factory) as session:
            if session.scalar(select(User.id).where(User.name == name)) is not None:
                raise ValidationFailed({"naam": f"gebruiker {name} bestaat al"},
                                       {"naam": "uniek"})
            user.created_at = self.klachten.clock.now(session)
            session.add(user)
            session.flush()
            return _account(user)

    def set_roles(self, name: str, roles: list[str] | tuple[str, ...]) -> Account:
        with transaction(self.klachten.factory) as session:
            user = self._user(session, name)
            user.roles = list(check_roles(roles))
            return _account(user)

    def set_disabled(self, name: str, disabled: bool) -> Account:
        """Disable (its sessions and API token end: enabling again revives neither) or
        enable an account."""
        with transaction(self.klachten.factory) as session:
            user = self._user(session, name)
            user.disabled = disabled
            if disabled:
                user.token_hash = None
                sessions.end_all_of_user(session, user.id, sessions.now())
            return _account(user)

    def new_token(self, name: str) -> str:
        """A fresh API token (shown once; only its hash is kept); the old one stops working."""
        token = secrets.token_urlsafe(32)
        with transaction(self.klachten.factory) as session:
            self._user(session, name).token_hash = token_digest(token)
        return token

    def list(self) -> list[Account]:
        with transaction(self.klachten.factory) as session:
            return [_account(u) for u in session.scalars(select(User).order_by(User.name))]

    # ----- who is this
    def working(self, name: str) -> Account:
        """The enabled account ``name`` that works tasks (the CLI's ``--user``): an unknown,
        disabled or read-only user is refused with one clear line."""
        with transaction(self.klachten.factory) as session:
            account = _account(self._user(session, name))
        if account.disabled:
            raise Forbidden(f"gebruiker {name} is uitgeschakeld")
        if not account.may(WORK_TASKS):
            raise Forbidden(f"gebruiker {name} ({', '.join(account.roles) or 'geen rol'}) "
                            "mag geen taken uitvoeren")
        return account

    def start_session(self, account: Account) -> str:
        """A server-side session after a successful sign-in; the token goes in the cookie."""
        with transaction(self.klachten.factory) as session:
            return sessions.start(session, sessions.now(), user_id=account.id)

    def by_session(self, user_id: int, token: str) -> Account | None:
        """The account of a web session; ``None`` when the session was ended (sign-out, the
        account disabled), is older than ``session_lifetime``, or the account is gone."""
        with transaction(self.klachten.factory) as session:
            row = sessions.alive(session, token, sessions.now(), self.session_lifetime)
            if row is None or row.user_id != user_id:
                return None
            user = session.get(User, user_id)
            return _account(user) if user and not user.disabled else None

    def end_session(self, token: str) -> None:
        with transaction(self.klachten.factory) as session:
            sessions.end(session, token, sessions.now())

    def by_token(self, token: str) -> Account | None:
        with transaction(self.klachten.factory) as session:
            user = session.scalar(select(User).where(User.token_hash == token_digest(token)))
            return _account(user) if user and not user.disabled else None

    def sign_in(self, name: str, password: str, client: str) -> Account:
        """Check a name and password; one uniform failure; rate-limited per client address,
        and per user name only for clients that failed (no lock-out of a mediator, ADR 8)."""
        name, password = name.strip()[:MAX_NAME], password[:1000]
        keys = (client_key(client, LOGIN), event_key("naam", name.lower(), LOGIN))
        with transaction(self.klachten.factory) as session:
            now = self.klachten.clock.now(session)
            check_limit(session, *keys, self.limit, now)
            user = session.scalar(select(User).where(User.name == name))
            if _verify(user.password_hash if user else _dummy(), password) and user \
                    and not user.disabled:
                if _hasher().check_needs_rehash(user.password_hash):
                    user.password_hash = _hasher().hash(password)
                return _account(user)
            record_failures(session, keys, self.limit, now)
        raise ValidationFailed({"formulier": "naam of wachtwoord onjuist"},
                               {"formulier": "aanmelden"})

    # ----- lanes
    def lanes(self, account: Account, model: Model | None = None) -> builtins.list[str]:
        """The BPMN lanes whose tasks this account works (``processes/rollen.json`` of
        ``model``, by default the latest version)."""
        if not account.may(WORK_TASKS):
            return []
        model = model or self.klachten.latest_model()
        mapping = model.json_file(ROLES_FILE)["lanes"]
        return sorted(lane for lane, role in mapping.items() if role in account.roles)

    # ----- plumbing
    @staticmethod
    def _user(session: Session, name: str) -> User:
        user = session.scalar(select(User).where(User.name == name))
        if user is None:
            raise NotFound(f"gebruiker {name} bestaat niet")
        return user


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
