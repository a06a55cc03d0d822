"""Typed errors of the runner.

Views and the CLI catch these and turn them into a status code, a page, a problem
document or one clear line. Nothing here knows about HTTP.
"""

from __future__ import annotations


class KlachtenError(Exception):
    """Base of every error the runner raises on purpose."""

    exit_code = 1


class ValidationFailed(KlachtenError):
    """Input did not pass validation; ``reasons`` maps a field path to a message."""

    def __init__(self, reasons: dict[str, str], codes: dict[str, str] | None = None):
        self.reasons = dict(reasons)
        # Per field, what failed as a stable code (a JSON Schema keyword such as ``required``
        # or ``maxLength``, or a runner code): the web translates these, not the Dutch text.
        self.codes = dict(codes or {})
        summary = "; ".join(f"{field}: {reason}" for field, reason in self.reasons.items())
        super().__init__(f"ongeldige invoer: {summary}")


class AccessDenied(ValidationFailed):
    """A dossier number and access (or notice) code that do not match. One uniform failure:
    it never tells whether the dossier exists."""

    def __init__(self) -> None:
        super().__init__({"formulier": "dossiernummer of code onjuist"},
                         {"formulier": "toegang"})


class RateLimited(KlachtenError):
    """Too many failed attempts from one client address or on one dossier number."""

    def __init__(self, retry_after: int):
        self.retry_after = max(1, retry_after)
        super().__init__(f"te veel pogingen; probeer opnieuw over {self.retry_after} seconden")


class TooManySubmissions(RateLimited):
    """Too many complaints from one client address, or to one e-mail address, in a while."""


class SealUnreadable(KlachtenError):
    """A sealed access code that the secret key at hand does not open."""


class NotFound(KlachtenError):
    """A dossier, task or definition that does not exist (or is not visible)."""


class Conflict(KlachtenError):
    """The action lost a race or is no longer possible: task not ready, version changed."""


class Forbidden(KlachtenError):
    """The user may not do this (for example separation of duties)."""


class ModelError(KlachtenError):
    """The process model in ``processes/`` is invalid or unsafe."""


class ModelRejected(ModelError):
    """A deploy refused because the lint found errors; ``problems`` has each of them."""

    def __init__(self, problems: list) -> None:
        self.problems = problems
        found = [problem for problem in problems if getattr(problem, "severity", "") == "fout"]
        first = f"; de eerste: {found[0]}" if found else ""
        super().__init__(f"procesmodel niet gedeployed, er is niets veranderd: {len(found)} "
                         f"fout(en){first}")


class ExpressionRejected(ModelError):
    """A BPMN/DMN expression uses something the restricted environment forbids."""


class StateUnreadable(KlachtenError):
    """A stored instance state that cannot be restored (damaged, or from another format)."""


class ConfigurationError(KlachtenError):
    """A setting that cannot be used (an SMTP URL without a host, a number that is not one)."""


class DeliveryFailed(KlachtenError):
    """A notice could not be delivered. ``permanent``: trying again will not help (the
    receiving server refused the recipient or the message with a 5xx reply)."""

    def __init__(self, reason: str, permanent: bool = False):
        self.reason = reason
        self.permanent = permanent
        super().__init__(reason)


class DatabaseUnavailable(KlachtenError):
    """The database could not be reached, or it ended the session (a restart, a failover,
    the idle timeout). The action's transaction saved nothing: trying again later helps.
    The message is the driver's first line, without the statement or its values."""
