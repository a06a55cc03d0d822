"""Typed errors of the complaint procedure's own parts (the status page's look-up, the
public form's limits, sealed access codes, notice delivery), on top of
:mod:`runner.bpmn.errors`."""

from __future__ import annotations

from runner.bpmn.errors import RunnerError, ValidationFailed


class AccessDenied(ValidationFailed):
    """A dossier number and access (or notice) code that do not match. One uniform failure:
    it never tells whether the dossier exists."""

    def __init__(self) -> None:
        super().__init__({"formulier": "dossiernummer of code onjuist"},
                         {"formulier": "toegang"})


class RateLimited(RunnerError):
    """Too many failed attempts from one client address or on one dossier number."""

    def __init__(self, retry_after: int):
        self.retry_after = max(1, retry_after)
        super().__init__(f"te veel pogingen; probeer opnieuw over {self.retry_after} seconden")


class TooManySubmissions(RateLimited):
    """Too many complaints from one client address, or to one e-mail address, in a while."""


class SealUnreadable(RunnerError):
    """A sealed access code that the secret key at hand does not open."""


class DeliveryFailed(RunnerError):
    """A notice could not be delivered. ``permanent``: trying again will not help (the
    receiving server refused the recipient or the message with a 5xx reply)."""

    def __init__(self, reason: str, permanent: bool = False):
        self.reason = reason
        self.permanent = permanent
        super().__init__(reason)
