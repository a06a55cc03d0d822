"""The one typed configuration of web, worker and CLI: defaults, then ``klachten.cfg`` in the
instance folder, then ``KLACHTEN_*`` environment variables (then a test's overrides).

``current()`` gives the :class:`Settings`; ``tests/test_docs.py`` fails when a setting is
missing from the operations guide (docs/operations.md).
"""

from __future__ import annotations

import logging
import math
import os
import secrets
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NamedTuple
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, PrivateAttr, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from runner.bpmn.errors import ConfigurationError
from runner.instance_file import INSTANCE_FILE, read_instance_file, unknown_name

PREFIX = "KLACHTEN_"
# Where ``klachten serve`` answers by default: the links' base when no public address is set.
LOCAL_URL = "http://127.0.0.1:8080"
SECRET_KEY_FILE = "secret_key"
MIN_SECRET_KEY_BYTES = 32
# What a key must hold by estimated_bits: a random 32-character hex key gives 95 to 115.
MIN_SECRET_KEY_BITS = 80
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Expect:
    """What a field's value must look like, in the words of an error message."""

    text: str


class Origin(NamedTuple):
    """Where a value came from: ``kind`` is default, file, environment or override; ``where``
    names the file and line or the variable."""

    kind: str
    where: str = ""


DEFAULT = Origin("default")


class Clock(StrEnum):
    REAL = "real"
    VIRTUAL = "virtual"


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class HashCost(StrEnum):
    """Argon2's parameters for passwords (runner.accounts.users)."""

    STANDARD = "standard"
    TEST = "test"


def _public_url(value: str) -> str:
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if value and (parts.scheme not in ("http", "https") or not parts.netloc or parts.query
                  or parts.fragment):
        raise ValueError("verwacht een adres zoals https://klachten.fonds.be")
    return value


def _database_url(value: str) -> str:
    if value:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(value)
        except ArgumentError:
            raise ValueError("verwacht een SQLAlchemy-adres zoals "
                             "postgresql+psycopg://gebruiker@host:5432/klachten") from None
    return value


def _server_url(value: str) -> str:
    parts = urlsplit(value)
    if value and (not parts.scheme or not parts.hostname):
        raise ValueError("verwacht een adres zoals smtp://host:25")
    return value


def _role_map(value: str) -> str:
    role_map(value)
    return value


def role_map(value: str) -> dict[str, str]:
    """``KLACHTEN_SSO_ROLE_MAP`` as a dict: claim value -> role."""
    pairs = [pair.partition("=") for pair in value.split(",") if pair.strip()]
    if any(not claim.strip() or not sep or not role.strip() for claim, sep, role in pairs):
        raise ValueError("verwacht paren waarde=rol gescheiden door komma's, zoals "
                         "klachten-team=klachtenbemiddelaar")
    return {claim.strip(): role.strip() for claim, _, role in pairs}


def _log_level(value: str) -> str:
    if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError("verwacht DEBUG, INFO, WARNING of ERROR")
    return value.upper()


Seconds = Annotated[float, Field(gt=0), Expect("een positief getal")]
Count = Annotated[int, Field(gt=0), Expect("een positief geheel getal")]
PublicUrl = Annotated[str, AfterValidator(_public_url)]
DatabaseUrl = Annotated[str, AfterValidator(_database_url)]
ServerUrl = Annotated[str, AfterValidator(_server_url)]
Secret = Annotated[SecretStr, Expect("een tekst")]


class Settings(BaseSettings):
    """Every setting, typed, with its help text (docs/operations.md and ``klachten config``)."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, frozen=True, extra="forbid")
    _origins: dict[str, Origin] = PrivateAttr(default_factory=dict)

    instance_path: Annotated[Path, Expect("een map")] = Field(
        Path("instance"),
        description="Folder for the embedded SQLite database and other local files; "
                    "klachten.cfg in it is read by web, worker and CLI.")
    database_url: DatabaseUrl = Field(
        "", description="SQLAlchemy URL; empty means a SQLite file klachten.db in the instance "
                        "folder. PostgreSQL: postgresql+psycopg://user@host:5432/db")
    clock: Annotated[Clock, Expect("real of virtual")] = Field(
        Clock.REAL, description="real, or virtual: a clock stored in the database (klachten "
                                "clock ...) for tests, demos and simulation.")
    db_idle_timeout: Seconds = Field(
        60, description="PostgreSQL: seconds a session may sit in an open transaction before "
                        "the server ends it, so a hung worker releases the dossier it holds.")
    worker_interval: Seconds = Field(5, description="Seconds between two timer sweeps of the "
                                                    "worker.")
    smtp_url: ServerUrl = Field(
        "", description="Outgoing mail server: smtp://host:25 (plain), smtp+starttls://host:587,"
                        " smtps://host:465 (TLS), with user:password@ to log in. Empty: every "
                        "e-mail is written as an .eml file into the folder mail/ of the "
                        "instance folder.")
    smtp_timeout: Seconds = Field(30, description="Seconds to wait for the mail server.")
    mail_from: str = Field("Klachtendienst <klachten@ziekenfonds.example>",
                           description="Fixed sender of every e-mail; its domain also ends "
                                       "every Message-ID.")
    outbox_max_attempts: Count = Field(
        8, description="Delivery attempts of an e-mail before it fails for good and a mediator "
                       "gets the task to reach the complainant another way.")
    outbox_retry_delay: Seconds = Field(
        300, description="Seconds before the second attempt; every next wait is three times "
                         "longer.")
    outbox_retry_max_delay: Seconds = Field(21600,
                                            description="Longest wait between two attempts.")
    outbox_claim_timeout: Seconds = Field(
        600, description="Seconds a delivery worker holds the notices it claimed; after that "
                         "another worker takes them over (a worker that died).")
    test_database_url: DatabaseUrl = Field(
        "", description="Tests only: also run the suite on this PostgreSQL database.")
    secret_key: Secret = Field(
        SecretStr(""),
        description="Signs the web sessions and CSRF tokens and seals the access codes waiting "
                    "in the outbox (every process needs the same); empty: a random key is "
                    "generated once and kept in the file secret_key in the instance folder.")
    status_attempts: Count = Field(
        10, description="Failed status-page look-ups (wrong dossier number, access code or "
                        "notice code) allowed per client address within the window; a dossier "
                        "number with that many failures then refuses only the addresses that "
                        "failed.")
    status_window_minutes: Seconds = Field(
        15, description="The rate-limit window of the status page, in minutes.")
    password: Secret = Field(
        SecretStr(""), description="klachten user add: the new user's password (otherwise it "
                                   "is asked for).")
    password_hash_cost: Annotated[HashCost, Expect("standard of test")] = Field(
        HashCost.STANDARD,
        description="Argon2 parameters of the mediators' passwords: standard (argon2-cffi's "
                    "default, RFC 9106 low-memory: 3 passes over 64 MiB), or test (its "
                    "cheapest: for the test suite only, never a deployment).")
    login_attempts: Count = Field(
        5, description="Failed mediator logins allowed per client address within the window; "
                       "a user name with that many failures then refuses only the addresses "
                       "that failed.")
    login_window_minutes: Seconds = Field(15, description="The rate-limit window of the login "
                                                          "page.")
    staff_session_hours: Seconds = Field(
        8, description="A mediator signs in again after this many hours, however active "
                       "(after 30 idle minutes too).")
    form_per_address_per_hour: Count = Field(
        5, description="Complaints the public form accepts per client address per hour (each "
                       "sends an acknowledgement: no mail relay).")
    form_per_email_per_day: Count = Field(
        3, description="Complaints the public form accepts per e-mail address per 24 hours.")
    proxy_count: Annotated[int, Field(ge=0), Expect("een geheel getal vanaf 0")] = Field(
        0, description="Number of trusted reverse proxies in front of the web app; their "
                       "X-Forwarded-For gives the client address that the rate limit counts.")
    session_cookie_secure: Annotated[bool, Expect("true of false")] = Field(
        False, description="Send the session cookies over HTTPS only (true behind an HTTPS "
                           "proxy).")
    log_format: Annotated[LogFormat, Expect("text of json")] = Field(
        LogFormat.TEXT, description="Log lines of the web app and the worker on stderr: text "
                                    "(for people), or json (one JSON object per line, for a log "
                                    "collector).")
    log_level: Annotated[str, AfterValidator(_log_level)] = Field(
        "INFO", description="Least severe log level written: DEBUG, INFO, WARNING or ERROR.")
    public_url: PublicUrl = Field(
        "", description="The web app's address as members reach it "
                        "(https://klachten.ziekenfonds.be): the base of every link in notices "
                        "and letters (the status page). Empty: where klachten serve listens on "
                        f"this machine (default {LOCAL_URL}); init and serve then warn.")
    metrics_token: Secret = Field(
        SecretStr(""), description="Bearer token that a Prometheus scrape of /metrics must "
                                   "send; empty: /metrics answers 404.")
    sso_issuer: PublicUrl = Field(
        "", description="Single sign-on for staff over OpenID Connect: the identity provider's "
                        "issuer address (its /.well-known/openid-configuration is read). Empty:"
                        " local accounts only.")
    sso_client_id: str = Field("", description="Single sign-on: this application's client id "
                                               "at the identity provider.")
    sso_client_secret: Secret = Field(SecretStr(""), description="Single sign-on: the client "
                                                                 "secret.")
    sso_scopes: str = Field("openid profile email",
                            description="Single sign-on: the scopes asked for (add the one that "
                                        "brings the role claim, if the provider needs one).")
    sso_role_claim: str = Field(
        "roles", description="Single sign-on: the claim (in the ID token or the userinfo) that "
                             "lists the user's groups or roles.")
    sso_role_map: Annotated[str, AfterValidator(_role_map)] = Field(
        "", description="Single sign-on: which value of the role claim gives which role here, "
                        "as value=role pairs separated by commas (klachten-team="
                        "klachtenbemiddelaar, it-beheer=beheerder). A user with no mapped "
                        "value is refused.")
    sso_label: str = Field("de identiteitsdienst van het ziekenfonds",
                           description="Single sign-on: the provider's name on the login "
                                       "page's button (Aanmelden via ...).")

    @classmethod
    def settings_customise_sources(
            cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only the values :func:`load` gathered: it reads the file and the environment
        itself, to know where each value came from."""
        return (init_settings,)

    def origin(self, field: str) -> Origin:
        """Where the value of ``field`` came from."""
        return self._origins.get(field, DEFAULT)

    @property
    def instance_file(self) -> Path:
        return self.instance_path.resolve() / INSTANCE_FILE


@dataclass(frozen=True)
class Setting:
    """A setting as the documentation shows it: its variable, its default, its help."""

    field: str
    name: str
    default: str
    help: str


def _shown_default(value: Any) -> str:
    """A value as a person writes it: ``60`` rather than ``60.0``, ``true``, ``virtual``."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value.value if isinstance(value, StrEnum) else value)


SETTINGS = tuple(Setting(field, PREFIX + field.upper(), _shown_default(info.default),
                         info.description or "")
                 for field, info in Settings.model_fields.items())
NAMES = {setting.field.upper(): setting.field for setting in SETTINGS}


def load(overrides: Mapping[str, Any] | None = None) -> Settings:
    """The settings from the defaults, the instance folder's ``klachten.cfg``, the
    environment, then ``overrides`` (names with or without the prefix, for tests); a
    misspelt name or a wrong value is a :class:`ConfigurationError` naming where it is."""
    values: dict[str, tuple[Any, Origin]] = {}
    values.update(_from_overrides(overrides or {}))
    environment = _from_environment()
    folder = _value(values, "instance_path") or _value(environment, "instance_path")
    instance = Path(folder or Settings.model_fields["instance_path"].default)
    layered = {**_from_file(instance.resolve() / INSTANCE_FILE), **environment, **values}
    try:
        loaded = Settings.model_validate({field: raw for field, (raw, _) in layered.items()})
    except ValidationError as err:
        raise ConfigurationError(_explain(err, layered)) from None
    loaded._origins.update({field: origin for field, (_, origin) in layered.items()})
    return loaded


def is_setting(name: str) -> bool:
    """Whether ``name`` (with or without the prefix, any case) names a setting."""
    return name.upper().removeprefix(PREFIX) in NAMES


def _value(values: Mapping[str, tuple[Any, Origin]], field: str) -> Any:
    return values[field][0] if field in values else None


def _from_overrides(overrides: Mapping[str, Any]) -> dict[str, tuple[Any, Origin]]:
    values = {}
    for name, value in overrides.items():
        field = NAMES.get(name.upper().removeprefix(PREFIX))
        if field is None:
            raise ConfigurationError(unknown_name(name, NAMES))
        values[field] = (value, Origin("override", PREFIX + field.upper()))
    return values


def _from_environment() -> dict[str, tuple[Any, Origin]]:
    """The ``KLACHTEN_*`` variables of the settings; another one gets a warning naming the
    nearest setting (once per process)."""
    found = EnvSettingsSource(Settings, case_sensitive=False, env_prefix=PREFIX)()
    for variable in os.environ:
        if variable.startswith(PREFIX) and variable[len(PREFIX):] not in NAMES \
                and variable not in _warned:
            _warned.add(variable)
            log.warning("%s", unknown_name(variable, {PREFIX + n: n for n in NAMES},
                                           "omgevingsvariabele"))
    return {field: (value, Origin("environment", PREFIX + field.upper()))
            for field, value in found.items()}


_warned: set[str] = set()


def _from_file(path: Path) -> dict[str, tuple[Any, Origin]]:
    values = {}
    for entry in read_instance_file(path, NAMES):
        if entry.field == "instance_path":
            raise ConfigurationError(f"{entry.where}: INSTANCE_PATH kan niet in {INSTANCE_FILE} "
                                     "zelf staan; zet KLACHTEN_INSTANCE_PATH")
        values[entry.field] = (entry.value, Origin("file", entry.where))
    return values


def _explain(err: ValidationError, layered: Mapping[str, tuple[Any, Origin]]) -> str:
    """The first wrong value as one line: where it is, the name, the value (never a secret's)
    and what was expected."""
    problem = err.errors()[0]
    field = str(problem["loc"][0])
    raw, origin = layered[field]
    info = Settings.model_fields[field]
    expected = next((f"verwacht {m.text}" for m in info.metadata if isinstance(m, Expect)),
                    None)
    if problem["type"] == "value_error":
        expected = str(problem["ctx"]["error"])
    shown = "" if info.annotation is SecretStr else f"={raw!r}"  # never a secret's value
    name = origin.where if origin.kind == "environment" else field.upper()
    place = f"{origin.where}: " if origin.kind == "file" else ""
    return f"{place}{name}{shown}: {expected or problem['msg']}"


class Shown(NamedTuple):
    """A setting as ``klachten config`` prints it: secrets masked."""

    name: str
    value: str
    source: str
    where: str


def shown(config: Settings) -> list[Shown]:
    """Every setting with its effective value and where it came from; a secret shows as
    ``********``, a password inside an address as ``***``."""
    rows = []
    for setting in SETTINGS:
        origin = config.origin(setting.field)
        rows.append(Shown(setting.name, _masked(getattr(config, setting.field)), origin.kind,
                          origin.where))
    return rows


def _masked(value: Any) -> str:
    if isinstance(value, SecretStr):
        return "********" if value.get_secret_value() else ""
    text = _shown_default(value)
    parts = urlsplit(text)
    if "://" in text and parts.password:
        return text.replace(f":{parts.password}@", ":***@", 1)
    return text


# ----- the settings of this process

# What the settings were built from: the KLACHTEN_* variables, the working folder (a relative
# instance folder) and klachten.cfg's identity, size and modification time.
Inputs = tuple[tuple[tuple[str, str], ...], str, tuple[int, int, int] | None]
_loaded: list[tuple[Inputs, Settings]] = []


def current() -> Settings:
    """The settings of this process, built once; built again only when the environment or
    ``klachten.cfg`` changed (a test sets a variable)."""
    key = _inputs()
    if not _loaded or _loaded[-1][0] != key:
        _loaded[:] = [(key, load())]
    return _loaded[-1][1]


def _inputs() -> Inputs:
    """Cheap enough for every call (keys first: a value is decoded only for our variables)."""
    environment = tuple(sorted((k, os.environ[k]) for k in os.environ if k.startswith(PREFIX)))
    folder = os.environ.get(PREFIX + "INSTANCE_PATH") or "instance"
    try:
        stat = os.stat(os.path.join(folder, INSTANCE_FILE))
    except OSError:
        return environment, os.getcwd(), None
    return environment, os.getcwd(), (stat.st_ino, stat.st_mtime_ns, stat.st_size)


# Where this machine's own web app listens: LOCAL_URL, or what ``klachten serve`` was told.
_local_url = [LOCAL_URL]


@contextmanager
def serving_at(host: str, port: int) -> Iterator[None]:
    """While ``klachten serve`` listens on ``host:port``, links without
    ``KLACHTEN_PUBLIC_URL`` go there (every interface: this machine's loopback address)."""
    shown = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    _local_url.append(f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}")
    try:
        yield
    finally:
        _local_url.pop()


def public_url() -> str:
    """``KLACHTEN_PUBLIC_URL`` without a trailing slash (this machine's address when unset)."""
    return current().public_url or _local_url[-1]


def public_link(path: str) -> str:
    """A page of the web app as members reach it: the public address plus the path of
    ``path`` (a path such as /status, or a full address whose host is then replaced)."""
    return public_url() + "/" + urlsplit(path).path.lstrip("/")


def public_url_warning() -> str | None:
    """The warning a deployment gets while ``KLACHTEN_PUBLIC_URL`` is unset, else None."""
    if current().public_url:
        return None
    return (f"waarschuwing: KLACHTEN_PUBLIC_URL is niet gezet; de links in berichten en "
            f"brieven wijzen naar {_local_url[-1]}")


def database_url(config: Settings | None = None) -> str:
    config = config or current()
    return config.database_url or sqlite_url(config.instance_path)


def sqlite_url(instance_path: Path) -> str:
    """The embedded default: a SQLite file in the instance folder (created when absent)."""
    folder = private_folder(instance_path)
    return f"sqlite:///{folder / 'klachten.db'}"


def private_folder(path: Path) -> Path:
    """The instance folder, created or tightened to 0700 whatever the umask: it holds the
    database, the secret key and the e-mails written as files."""
    folder = path.resolve()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if folder.stat().st_mode & 0o077:
        folder.chmod(0o700)
    return folder


def secret_key(config: Settings | None = None) -> str:
    """``KLACHTEN_SECRET_KEY`` (or ``SECRET_KEY`` in ``klachten.cfg``), or the instance
    folder's key file: what the web app signs with and what seals the access codes in the
    outbox (every process needs the same)."""
    config = config or current()
    key = config.secret_key.get_secret_value()
    if key:
        origin = config.origin("secret_key")
        return str(check_secret_key(key, origin.where or "KLACHTEN_SECRET_KEY"))
    return instance_secret_key(config.instance_path)


def instance_secret_key(instance_path: Path) -> str:
    """The key in the instance folder's ``secret_key`` file, generated there (readable by the
    owner only) when absent. There is no built-in default secret."""
    path = instance_path.resolve() / SECRET_KEY_FILE
    if not path.exists():
        _write_new_key(path)
    return str(check_secret_key(path.read_text(encoding="ascii").strip(), str(path)))


def check_secret_key(key: str | bytes, source: str) -> str | bytes:
    """``key`` when it has at least 32 bytes; a short key (``x`` lets anyone forge a session
    cookie) stops the start with one line naming ``source``, never the key itself."""
    raw = key.encode() if isinstance(key, str) else key
    if len(raw) < MIN_SECRET_KEY_BYTES:
        problem = f"te kort ({len(raw)} bytes, minstens {MIN_SECRET_KEY_BYTES} bytes)"
    elif estimated_bits(raw) < MIN_SECRET_KEY_BITS:
        problem = "te voorspelbaar (te weinig verschillende tekens, zoals 32 keer 'a')"
    else:
        return key
    raise ConfigurationError(
        f"{source}: de geheime sleutel is {problem}; maak er een met: python3 -c "
        "'import secrets; print(secrets.token_hex(32))'")


def estimated_bits(raw: bytes) -> float:
    """A rough upper bound of a key's entropy: its length times the Shannon entropy of its
    byte frequencies. 32 times ``a`` gives 0; ``secrets.token_hex(32)`` about 250."""
    counts = Counter(raw)
    return -sum(n * math.log2(n / len(raw)) for n in counts.values())


def _write_new_key(path: Path) -> None:
    """Write a complete key file, then link it into place: when two processes start at once,
    one key wins and nobody reads a half-written file."""
    private_folder(path.parent)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32))
        os.link(draft, path)
    except FileExistsError:
        pass  # another process was first: use its key
    finally:
        draft.unlink()

