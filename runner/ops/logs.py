"""Log lines of the web app and the worker: text for people or JSON for a log collector.

One handler on the root logger, writing to stderr (where gunicorn, systemd and container
runtimes collect it). Its filter removes e-mail addresses and access codes from every
message, whatever logged them (an SMTP server's refusal may quote the recipient): a log
line must never carry personal data or a secret. It also escapes control characters (line
breaks, escape sequences, Unicode line separators) in the message and in every extra value,
and the text format indents a traceback, so that nothing logged (a 404 path, an exception
text) can forge a line of its own.
"""

from __future__ import annotations

import logging
import re
import sys
from types import TracebackType
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

from runner import settings
from runner.bpmn.errors import ConfigurationError
from runner.notices.access_codes import ACCESS_CODE_SHAPE

FORMATS = ("text", "json")
# What logging hands a formatter for an exception (``sys.exc_info()``).
ExcInfo = (tuple[type[BaseException], BaseException, TracebackType | None]
           | tuple[None, None, None])
HANDLER_NAME = "klachten"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(message)s"
JSON_NAMES = {"levelname": "level", "name": "logger"}
# Loggers of libraries that chatter at INFO where we do not want it (alembic on every
# readiness probe: "Context impl PostgresqlImpl"; SpiffWorkflow on every task state change).
QUIET = ("alembic", "spiff")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# The attributes every record has; anything else on a record came in as ``extra``.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message", "asctime"}


def escape_controls(text: str) -> str:
    """``text`` with each control character written as its Python escape (``\\n``)."""
    return _CONTROL.sub(lambda found: found.group().encode("unicode_escape").decode(), text)


class Redact(logging.Filter):
    """Replace e-mail addresses and access codes in the message by a placeholder, and
    escape control characters in the message and in the extra values."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = escape_controls(ACCESS_CODE_SHAPE.sub("[code]", _EMAIL.sub("[e-mail]",
                                                                            message)))
        if cleaned != message:
            record.msg, record.args = cleaned, None
        for name, value in vars(record).items():
            if name not in _STANDARD and isinstance(value, str):
                setattr(record, name, escape_controls(value))
        return True


class _TextFormatter(logging.Formatter):
    """The text format: a traceback's lines indented under the line of its record."""

    def format(self, record: logging.LogRecord) -> str:
        cached = record.exc_text  # another handler's plain traceback: make ours
        record.exc_text = None
        try:
            return super().format(record)
        finally:
            record.exc_text = cached

    def formatException(self, ei: ExcInfo) -> str:
        return _indented(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return _indented(super().formatStack(stack_info))


def _indented(text: str) -> str:
    return "\n".join("    | " + escape_controls(line) for line in text.splitlines())


class _Stderr(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at the time (a test runner may replace it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def formatter(kind: str) -> logging.Formatter:
    if kind not in FORMATS:
        raise ConfigurationError(f"KLACHTEN_LOG_FORMAT={kind!r}: verwacht text of json")
    if kind == "json":
        # "time": ISO 8601 in UTC, first in the line.
        return JsonFormatter(JSON_FIELDS, rename_fields=JSON_NAMES, timestamp="time")
    return _TextFormatter(TEXT_FORMAT)


def configure(kind: str | None = None, level: str | None = None) -> None:
    """Install the handler (replacing an earlier one of ours) from the settings."""
    kind = kind or settings.current().log_format
    level = (level or settings.current().log_level).upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigurationError(f"KLACHTEN_LOG_LEVEL={level!r}: verwacht DEBUG, INFO, "
                                 "WARNING of ERROR")
    handler = _Stderr()
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(formatter(kind))
    handler.addFilter(Redact())
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
