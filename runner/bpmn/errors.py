"""Typed errors of the runner.

Views and the CLI catch these and turn them into a status code, a page, a problem
document or one clear line. Nothing here knows about HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "fout"
WARNING = "waarschuwing"


@dataclass(frozen=True)
class Problem:
    """One finding: the file (relative to the model folder), the element id, the message,
    and whether it blocks a deploy (``fout``) or not (``waarschuwing``)."""

    file: str
    element: str
    message: str
    severity: str = ERROR

    def __str__(self) -> str:
        message = self.message if self.severity == ERROR else f"{WARNING}: {self.message}"
        if not self.element:
            return f"{self.file}: {message}"
        return f"{self.file}: {self.element}: {message}"


class RunnerError(Exception):
    """Base of every error the runner raises on purpose."""

    exit_code = 1


class ValidationFailed(RunnerError):
    """Input did not pass validation; ``reasons`` maps a field path to a message."""

    def __init__(self, reasons: dict[str, str], codes: dict[str, str] | None = None):
        self.reasons = dict(reasons)
        # Per field, what failed as a stable code (a JSON Schema keyword such as ``required``
        # or ``maxLength``, or a runner code): the web translates these, not the Dutch text.
        self.codes = dict(codes or {})
        summary = "; ".join(f"{field}: {reason}" for field, reason in self.reasons.items())
        super().__init__(f"ongeldige invoer: {summary}")


class NotFound(RunnerError):
    """A dossier, task or definition that does not exist (or is not visible)."""


class Conflict(RunnerError):
    """The action lost a race or is no longer possible: task not ready, version changed."""


class Forbidden(RunnerError):
    """The user may not do this (for example separation of duties)."""


class ModelError(RunnerError):
    """The process model in ``processes/`` is invalid or unsafe."""


class ModelRejected(ModelError):
    """A deploy refused because the lint found errors; ``problems`` has each of them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        found = [problem for problem in problems if problem.severity == ERROR]
        first = f"; de eerste: {found[0]}" if found else ""
        super().__init__(f"procesmodel niet gedeployed, er is niets veranderd: {len(found)} "
                         f"fout(en){first}")


class ExpressionRejected(ModelError):
    """A BPMN/DMN expression uses something the restricted environment forbids."""


class StateUnreadable(RunnerError):
    """A stored instance state that cannot be restored (damaged, or from another format)."""


class ConfigurationError(RunnerError):
    """A setting that cannot be used (an SMTP URL without a host, a number that is not one)."""


class DatabaseUnavailable(RunnerError):
    """The database could not be reached, or it ended the session (a restart, a failover,
    the idle timeout). The action's transaction saved nothing: trying again later helps.
    The message is the driver's first line, without the statement or its values."""


class TaskHeld(Conflict):
    """A task that another user holds (claimed): it may be completed only after an explicit
    take-over with a reason. ``holder`` and ``since`` say who holds it since when."""

    def __init__(self, task_id: str, holder: str, since: str):
        self.holder, self.since = holder, since
        super().__init__(f"taak {task_id} is in behandeling bij {holder} sinds {since}; "
                         "neem ze eerst over, met een reden")


class TaskEnded(NotFound):
    """A task that is no longer open because someone completed it: ``by`` and ``at`` say who
    and when (whoever still had it open keeps what they typed and is told by whom)."""

    def __init__(self, task_id: str, by: str, at: str):
        self.by, self.at = by, at
        super().__init__(f"taak {task_id} werd al voltooid door {by} op {at}")
