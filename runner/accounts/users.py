"""Mediators' accounts: users, roles, passwords (argon2), API tokens and the login check.

Roles and what each may do are fixed here (least privilege); which BPMN lane a role works
is data, in ``processes/rollen.json``. A failed login is counted per client address and per
user name in ``rate_limit_events``, like the status page's look-ups.
"""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from runner import settings
from runner.accounts import resets, sessions, tokens
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
# A contact person of a service of the fund: answers consultations of their own service and
# sees nothing else (no werkbak of the mediators, no dossier, no search; runner.investigation).
SERVICE = "dienst"
ROLES = (MEDIATOR, NATIONAL, ADMIN, READER, SERVICE)
# The lane role of the tasks the member does on the status page (no account has it).
MEMBER_LANE = "klager"

# What each role may do; a page or API call names the permission it needs.
WORK_TASKS, READ_DOSSIERS, INTAKE, ADMINISTER = "taken", "dossiers", "intake", "beheer"
# The improvement register: everyone reads it, only the mediators follow it up.
READ_REGISTER, UPDATE_REGISTER = "verbeterregister", "verbeterregister bijwerken"
# Reports are aggregate figures without personal data: every role may read them.
READ_REPORTS = "rapporten"
# Giving a dossier an owner: the first-line mediators' team among itself; the national
# mediator re-examines independently and steers nobody's first-line work.
ASSIGN = "toewijzen"
# One's own account (password, sessions, API tokens): every role.
OWN_ACCOUNT = "eigen account"
ANSWER_CONSULTATIONS = "consultaties beantwoorden"
PERMISSIONS: dict[str, frozenset[str]] = {
    MEDIATOR: frozenset({WORK_TASKS, READ_DOSSIERS, INTAKE, READ_REGISTER, UPDATE_REGISTER,
                         READ_REPORTS, ASSIGN, OWN_ACCOUNT}),
    NATIONAL: frozenset({WORK_TASKS, READ_DOSSIERS, READ_REGISTER, UPDATE_REGISTER,
                         READ_REPORTS, OWN_ACCOUNT}),
    ADMIN: frozenset({ADMINISTER, READ_DOSSIERS, READ_REGISTER, READ_REPORTS, OWN_ACCOUNT}),
    READER: frozenset({READ_DOSSIERS, READ_REGISTER, READ_REPORTS, OWN_ACCOUNT}),
    SERVICE: frozenset({ANSWER_CONSULTATIONS, OWN_ACCOUNT}),
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
RESET = "herstel"  # the prefix of the password-reset requests' rate-limit events
NO_PASSWORD = ""  # no argon2 hash: no password verifies against it
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s.]{2,63}")


@dataclass(frozen=True)
class Account:
    """A signed-in user as the web and API see it (never the hashes)."""

    id: int
    name: str
    roles: tuple[str, ...]
    disabled: bool
    email: str = ""
    single_sign_on: bool = False  # linked to an identity of the fund's provider

    def may(self, permission: str) -> bool:
        return not self.disabled and any(permission in PERMISSIONS[r] for r in self.roles)


def _account(user: User) -> Account:
    return Account(user.id, user.name, tuple(user.roles), user.disabled, user.email or "",
                   user.sso_subject is not None)


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
        """Disable (its sessions end and its API tokens are revoked) or enable an account.
        Enabling does not bring the old password back: the account has none until its user
        sets one through a reset link (:meth:`reset_link`), since whatever made a beheerder
        disable it may have exposed that password."""
        with transaction(self.klachten.factory) as session:
            user = self._user(session, name)
            now = sessions.now()
            if disabled:
                sessions.end_all_of_user(session, user.id, now)
                tokens.revoke_all(session, user.id, now)
            elif user.disabled:
                user.password_hash = NO_PASSWORD
            user.disabled = disabled
            return _account(user)

    # ----- API tokens
    def new_token(self, name: str, label: str = "token",
                  days: int | str = tokens.DEFAULT_DAYS) -> str:
        """A new API token for ``name`` (shown once; only its hash is kept)."""
        with transaction(self.klachten.factory) as session:
            user = self._user(session, name)
            if user.disabled:
                raise Forbidden(f"gebruiker {name} is uitgeschakeld")
            return tokens.issue(session, user.id, label, days, sessions.now())

    def tokens(self, name: str) -> builtins.list[tokens.TokenInfo]:
        with transaction(self.klachten.factory) as session:
            return tokens.of_user(session, self._user(session, name).id, sessions.now())

    def revoke_token(self, name: str, token_id: int) -> None:
        with transaction(self.klachten.factory) as session:
            tokens.revoke(session, self._user(session, name).id, token_id, sessions.now())

    # ----- passwords
    def change_password(self, account: Account, current: str, new: str,
                        keep_session: str = "") -> None:
        """The signed-in user's own change: the current password first; every other session
        of theirs ends (a stolen cookie stops working with the old password)."""
        with transaction(self.klachten.factory) as session:
            user = self._user(session, account.name)
            if not _verify(user.password_hash, current[:1000]):
                raise ValidationFailed({"huidig": "dit is niet uw huidige wachtwoord"},
                                       {"huidig": "onjuist"})
            self._set_password(session, user, new)
            sessions.end_all_of_user(session, user.id, sessions.now(), keep=keep_session)

    def set_password(self, name: str, new: str) -> Account:
        """An operator sets a password (``klachten user password``); every session ends."""
        with transaction(self.klachten.factory) as session:
            user = self._user(session, name)
            self._set_password(session, user, new)
            sessions.end_all_of_user(session, user.id, sessions.now())
            return _account(user)

    def reset_link(self, name: str, by: str) -> str:
        """A single-use link for ``name`` to set a new password, made by a beheerder (or the
        CLI) to hand over; valid for :data:`resets.BY_ADMIN`."""
        with transaction(self.klachten.factory) as session:
            user = self._user(session, name)
            if user.disabled:
                raise Forbidden(f"gebruiker {name} is uitgeschakeld: schakel het account eerst in")
            if user.sso_subject:
                raise Forbidden(f"gebruiker {name} meldt zich aan via de identiteitsdienst en "
                                "heeft hier geen wachtwoord")
            return resets.link(resets.issue(session, user.id, by, sessions.now(),
                                            resets.BY_ADMIN))

    def request_reset(self, name_or_email: str, client: str) -> None:
        """"Wachtwoord vergeten": when an enabled account has this name or e-mail address and
        an address to mail, its user gets a link. The caller learns nothing either way (no
        account enumeration); rate-limited like the login."""
        wanted = name_or_email.strip()[:254]
        keys = (client_key(client, RESET), event_key("naam", wanted.lower(), RESET))
        with transaction(self.klachten.factory) as session:
            now = self.klachten.clock.now(session)
            check_limit(session, *keys, self.limit, now)
            record_failures(session, keys, self.limit, now)  # every request counts
            user = session.scalar(select(User).where(
                (User.name == wanted) | (func.lower(User.email) == wanted.lower())))
            # An account of the identity provider has no password here to reset: a local
            # one would outlive its removal at the provider.
            if user is None or user.disabled or not user.email or user.sso_subject:
                return
            token = resets.issue(session, user.id, resets.SELF, sessions.now(),
                                 resets.SELF_SERVICE)
            address, name = user.email, user.name
        resets.mail(address, name, token)

    def reset_pending(self, token: str) -> bool:
        """Whether a reset link still works (the page asks for a new password only then)."""
        with transaction(self.klachten.factory) as session:
            return resets.pending(session, token, sessions.now()) is not None

    def reset_password(self, token: str, new: str) -> Account:
        """Spend a reset link on a new password; every session of the user ends. A refused
        password leaves the link unused (the transaction rolls back)."""
        with transaction(self.klachten.factory) as session:
            user = session.get(User, resets.use(session, token, sessions.now()))
            if user is None or user.disabled:
                raise ValidationFailed({"link": "deze link werkt niet meer: het account is "
                                                "uitgeschakeld"}, {"link": "verlopen"})
            self._set_password(session, user, new)
            sessions.end_all_of_user(session, user.id, sessions.now())
            return _account(user)

    def sign_out_everywhere(self, account: Account) -> None:
        """Every web session of the user ends, this one too (API tokens are revoked one by
        one on the account page)."""
        with transaction(self.klachten.factory) as session:
            sessions.end_all_of_user(session, account.id, sessions.now())

    def set_email(self, name: str, email: str) -> Account:
        """The address reset links go to (empty: none; a beheerder then makes the link)."""
        email = email.strip()
        if email and not EMAIL.fullmatch(email):
            raise ValidationFailed({"email": "geen geldig e-mailadres"}, {"email": "format"})
        with transaction(self.klachten.factory) as session:
            user = self._user(session, name)
            user.email = email or None
            return _account(user)

    @staticmethod
    def _set_password(session: Session, user: User, new: str) -> None:
        user.password_hash = _hasher().hash(check_password(new, (user.name,)))
        user.password_changed_at = sessions.now()

    def list(self) -> list[Account]:
        with transaction(self.klachten.factory) as session:
            return [_account(u) for u in session.scalars(select(User).order_by(User.name))]

    # ----- who is this
    def by_name(self, name: str) -> Account:
        with transaction(self.klachten.factory) as session:
            return _account(self._user(session, name))

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
        """The account of a live API token (not revoked, not expired, user enabled)."""
        with transaction(self.klachten.factory) as session:
            user_id = tokens.owner(session, token, sessions.now())
            user = session.get(User, user_id) if user_id is not None else None
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

    def sign_in_sso(self, subject: str, name: str, email: str,
                    roles: tuple[str, ...]) -> Account:
        """A user the fund's identity provider vouched for: the account linked to
        ``subject`` (made on the first sign-in, named after ``name``), its roles replaced by
        ``roles`` (mapped from the provider's claim) at every sign-in. Refused without a
        mapped role, for a disabled account, and when ``name`` is a local account that is
        not linked to this identity (no take-over of a local account by a look-alike)."""
        if not roles:
            raise Forbidden("uw account bij de identiteitsdienst heeft geen rol in de "
                            "klachtendienst; vraag een beheerder om u een rol te geven")
        name = name.strip()[:MAX_NAME] or subject[:MAX_NAME]
        with transaction(self.klachten.factory) as session:
            user = session.scalar(select(User).where(User.sso_subject == subject))
            if user is None:
                if session.scalar(select(User.id).where(User.name == name)) is not None:
                    raise Forbidden(f"er bestaat al een lokaal account {name}; een beheerder "
                                    "moet het eerst koppelen of hernoemen")
                user = User(name=name, roles=[], password_hash=NO_PASSWORD, disabled=False,
                            sso_subject=subject, created_at=self.klachten.clock.now(session))
                session.add(user)
            if user.disabled:
                raise Forbidden(f"gebruiker {user.name} is uitgeschakeld")
            user.roles = list(check_roles(roles))
            user.email = email.strip()[:254] or user.email
            session.flush()
            return _account(user)

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
