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

    def __init__(self, reasons: dict[str, str]):
        self.reasons = dict(reasons)
        summary = "; ".join(f"{field}: {reason}" for field, reason in self.reasons.items())
        super().__init__(f"ongeldige invoer: {summary}")


class NotFound(KlachtenError):
    """A dossier, task or definition that does not exist (or is not visible)."""


class Conflict(KlachtenError):
    """The action lost a race or is no longer possible: task not ready, version changed."""


class Forbidden(KlachtenError):
    """The user may not do this (for example separation of duties)."""


class ModelError(KlachtenError):
    """The process model in ``processes/`` is invalid or unsafe."""


class ExpressionRejected(ModelError):
    """A BPMN/DMN expression uses something the restricted environment forbids."""


class StateUnreadable(KlachtenError):
    """A stored instance state that cannot be restored (damaged, or from another format)."""
