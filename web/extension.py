"""The runner on the app, extension-style: one :class:`Klachten` per application.

Views reach it through :func:`runner`; whoever made the app (the server, a test) closes it
with :func:`close`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app

from runner import settings
from runner.accounts.users import Accounts
from runner.admin import Admin
from runner.members.public_form import SubmissionLimits
from runner.members.status_page import StatusDesk
from runner.privacy.processing_register import ProcessingRegister
from runner.privacy.rectification import Rectification
from runner.privacy.retention import Retention
from runner.privacy.subject_access import SubjectAccess
from runner.procedure import open_klachten
from runner.ratelimit import RateLimit
from runner.reports.figures import ReportDesk
from runner.reports.improvement_register import Register
from runner.service import Klachten
from runner.work.dossier_view import DossierDesk
from runner.work.inbox import Inbox
from runner.work.intake import Intake

EXTENSION = "klachten"


@dataclass(frozen=True)
class Runner:
    klachten: Klachten
    desk: StatusDesk
    accounts: Accounts
    inbox: Inbox
    dossiers: DossierDesk
    intake: Intake
    admin: Admin
    register: Register
    reports: ReportDesk
    retention: Retention
    subject_access: SubjectAccess
    rectification: Rectification
    processing_register: ProcessingRegister
    form_limits: SubmissionLimits


def init_app(app: Flask) -> Runner:
    config = app.config
    url = config["DATABASE_URL"] or settings.sqlite_url(Path(app.instance_path))
    klachten = open_klachten(url, clock=config["CLOCK"], secret=config["SECRET_KEY"])
    limit = RateLimit(attempts=int(config["STATUS_ATTEMPTS"]),
                      window=timedelta(minutes=float(config["STATUS_WINDOW_MINUTES"])))
    logins = RateLimit(attempts=int(config["LOGIN_ATTEMPTS"]),
                       window=timedelta(minutes=float(config["LOGIN_WINDOW_MINUTES"])))
    accounts = Accounts(klachten, logins,
                        timedelta(hours=float(config["STAFF_SESSION_HOURS"])))
    form_limits = SubmissionLimits.of(int(config["FORM_PER_ADDRESS_PER_HOUR"]),
                                      int(config["FORM_PER_EMAIL_PER_DAY"]))
    app.extensions[EXTENSION] = Runner(klachten, StatusDesk(klachten, limit), accounts,
                                       Inbox(klachten, accounts), DossierDesk(klachten),
                                       Intake(klachten), Admin(klachten, accounts),
                                       Register(klachten), ReportDesk(klachten),
                                       Retention(klachten), SubjectAccess(klachten),
                                       Rectification(klachten), ProcessingRegister(klachten),
                                       form_limits)
    return app.extensions[EXTENSION]


def runner(app: Flask | None = None) -> Runner:
    return (app or current_app).extensions[EXTENSION]


def close(app: Flask) -> None:
    """Close the runner's database connections (the app is done)."""
    app.extensions[EXTENSION].klachten.close()
