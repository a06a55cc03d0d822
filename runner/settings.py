"""Every setting of the runner, declared as data (name, default, help).

``tests/test_settings.py`` fails when a setting here is missing from the README.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from runner.bpmn.errors import ConfigurationError

# Where ``klachten serve`` answers by default: the links' base when no public address is set.
LOCAL_URL = "http://127.0.0.1:8080"


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS = (
    Setting("KLACHTEN_INSTANCE_PATH", "instance",
            "Folder for the embedded SQLite database and other local files."),
    Setting("KLACHTEN_DATABASE_URL", "",
            "SQLAlchemy URL; empty means a SQLite file klachten.db in the instance folder. "
            "PostgreSQL: postgresql+psycopg://user@host:5432/db"),
    Setting("KLACHTEN_CLOCK", "real",
            "real, or virtual: a clock stored in the database (klachten clock ...) for tests, "
            "demos and simulation."),
    Setting("KLACHTEN_DB_IDLE_TIMEOUT", "60",
            "PostgreSQL: seconds a session may sit in an open transaction before the server "
            "ends it, so a hung worker releases the dossier it holds."),
    Setting("KLACHTEN_WORKER_INTERVAL", "5", "Seconds between two timer sweeps of the worker."),
    Setting("KLACHTEN_SMTP_URL", "",
            "Outgoing mail server: smtp://host:25 (plain), smtp+starttls://host:587, "
            "smtps://host:465 (TLS), with user:password@ to log in. Empty: every e-mail is "
            "written as an .eml file into the folder mail/ of the instance folder."),
    Setting("KLACHTEN_SMTP_TIMEOUT", "30", "Seconds to wait for the mail server."),
    Setting("KLACHTEN_MAIL_FROM", "Klachtendienst <klachten@ziekenfonds.example>",
            "Fixed sender of every e-mail; its domain also ends every Message-ID."),
    Setting("KLACHTEN_OUTBOX_MAX_ATTEMPTS", "8",
            "Delivery attempts of an e-mail before it fails for good and a mediator gets the "
            "task to reach the complainant another way."),
    Setting("KLACHTEN_OUTBOX_RETRY_DELAY", "300",
            "Seconds before the second attempt; every next wait is three times longer."),
    Setting("KLACHTEN_OUTBOX_RETRY_MAX_DELAY", "21600", "Longest wait between two attempts."),
    Setting("KLACHTEN_OUTBOX_CLAIM_TIMEOUT", "600",
            "Seconds a delivery worker holds the notices it claimed; after that another worker "
            "takes them over (a worker that died)."),
    Setting("KLACHTEN_TEST_DATABASE_URL", "",
            "Tests only: also run the suite on this PostgreSQL database."),
    Setting("KLACHTEN_SECRET_KEY", "",
            "Signs the web sessions and CSRF tokens and seals the access codes waiting in the "
            "outbox (every process needs the same); empty: a random key is generated once and "
            "kept in the file secret_key in the instance folder."),
    Setting("KLACHTEN_STATUS_ATTEMPTS", "10",
            "Failed status-page look-ups (wrong dossier number, access code or notice code) "
            "allowed per client address within the window; a dossier number with that many "
            "failures then refuses only the addresses that failed."),
    Setting("KLACHTEN_STATUS_WINDOW_MINUTES", "15",
            "The rate-limit window of the status page, in minutes."),
    Setting("KLACHTEN_PASSWORD", "",
            "klachten user add: the new user's password (otherwise it is asked for)."),
    Setting("KLACHTEN_LOGIN_ATTEMPTS", "5",
            "Failed mediator logins allowed per client address within the window; a user name "
            "with that many failures then refuses only the addresses that failed."),
    Setting("KLACHTEN_LOGIN_WINDOW_MINUTES", "15", "The rate-limit window of the login page."),
    Setting("KLACHTEN_STAFF_SESSION_HOURS", "8",
            "A mediator signs in again after this many hours, however active (after 30 idle "
            "minutes too)."),
    Setting("KLACHTEN_FORM_PER_ADDRESS_PER_HOUR", "5",
            "Complaints the public form accepts per client address per hour (each sends an "
            "acknowledgement: no mail relay)."),
    Setting("KLACHTEN_FORM_PER_EMAIL_PER_DAY", "3",
            "Complaints the public form accepts per e-mail address per 24 hours."),
    Setting("KLACHTEN_PROXY_COUNT", "0",
            "Number of trusted reverse proxies in front of the web app; their X-Forwarded-For "
            "gives the client address that the rate limit counts."),
    Setting("KLACHTEN_LOG_FORMAT", "text",
            "Log lines of the web app and the worker on stderr: text (for people), or json "
            "(one JSON object per line, for a log collector)."),
    Setting("KLACHTEN_LOG_LEVEL", "INFO",
            "Least severe log level written: DEBUG, INFO, WARNING or ERROR."),
    Setting("KLACHTEN_PUBLIC_URL", "",
            "The web app's address as members reach it (https://klachten.ziekenfonds.be): "
            "the base of every link in notices and letters (the status page). Empty: "
            "where klachten serve listens on this machine (default "
            f"{LOCAL_URL}); init and serve then warn."),
    Setting("KLACHTEN_METRICS_TOKEN", "",
            "Bearer token that a Prometheus scrape of /metrics must send; empty: /metrics "
            "answers 404."),
)

SECRET_KEY_FILE = "secret_key"
MIN_SECRET_KEY_BYTES = 32


def get(name: str) -> str:
    setting = next(s for s in SETTINGS if s.name == name)
    return os.environ.get(name, setting.default)


def number(name: str) -> float:
    """A numeric setting; a value that is not a positive number is a clear error."""
    value = get(name)
    try:
        result = float(value)
    except ValueError:
        result = -1.0
    if not result > 0:
        raise ConfigurationError(f"{name}={value!r}: verwacht een positief getal")
    return result


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
    """``KLACHTEN_PUBLIC_URL`` without a trailing slash (this machine's address when unset);
    anything but an http(s) address without query or fragment is a clear error."""
    value = get("KLACHTEN_PUBLIC_URL").strip().rstrip("/")
    if not value:
        return _local_url[-1]
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query \
            or parts.fragment:
        raise ConfigurationError(f"KLACHTEN_PUBLIC_URL={value!r}: verwacht een adres zoals "
                                 "https://klachten.fonds.be")
    return value


def public_link(path: str) -> str:
    """A page of the web app as members reach it: the public address plus the path of
    ``path`` (a path such as /status, or a full address whose host is then replaced)."""
    return public_url() + "/" + urlsplit(path).path.lstrip("/")


def public_url_warning() -> str | None:
    """The warning a deployment gets while ``KLACHTEN_PUBLIC_URL`` is unset, else None."""
    if get("KLACHTEN_PUBLIC_URL").strip():
        return None
    return (f"waarschuwing: KLACHTEN_PUBLIC_URL is niet gezet; de links in berichten en "
            f"brieven wijzen naar {_local_url[-1]}")


def database_url() -> str:
    url = get("KLACHTEN_DATABASE_URL")
    if url:
        return url
    return sqlite_url(Path(get("KLACHTEN_INSTANCE_PATH")))


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


def secret_key() -> str:
    """``KLACHTEN_SECRET_KEY``, or the instance folder's key file: what the web app signs
    with and what seals the access codes in the outbox (every process needs the same)."""
    key = get("KLACHTEN_SECRET_KEY")
    if key:
        return str(check_secret_key(key, "KLACHTEN_SECRET_KEY"))
    return instance_secret_key(Path(get("KLACHTEN_INSTANCE_PATH")))


def instance_secret_key(instance_path: Path) -> str:
    """The key in the instance folder's ``secret_key`` file, generated there (readable by the
    owner only) when absent. There is no built-in default secret."""
    path = instance_path.resolve() / SECRET_KEY_FILE
    if not path.exists():
        _write_new_key(path)
    return check_secret_key(path.read_text(encoding="ascii").strip(), str(path))


def check_secret_key(key: str | bytes, source: str) -> str | bytes:
    """``key`` when it has at least 32 bytes; a short key (``x`` lets anyone forge a session
    cookie) stops the start with one line naming ``source``, never the key itself."""
    size = len(key.encode() if isinstance(key, str) else key)
    if size < MIN_SECRET_KEY_BYTES:
        raise ConfigurationError(
            f"{source}: de geheime sleutel is te kort ({size} bytes, minstens "
            f"{MIN_SECRET_KEY_BYTES} bytes); maak er een met: python3 -c "
            "'import secrets; print(secrets.token_hex(32))'")
    return key


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
