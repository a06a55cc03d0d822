"""The runner on the app, extension-style: one :class:`Klachten` per application.

Views reach it through :func:`runner`; whoever made the app (the server, a test) closes it
with :func:`close`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

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
from runner.settings import Settings
from runner.work.answer_forms import Answers
from runner.work.case_notes import CaseNotes
from runner.work.dossier_list import DossierList
from runner.work.dossier_view import DossierDesk
from runner.work.drafts import Drafts
from runner.work.inbox import Inbox
from runner.work.intake import Intake
from runner.work.saved_views import SavedViews

EXTENSION = "klachten"
SETTINGS = "klachten.settings"


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
    notes: CaseNotes
    drafts: Drafts
    answers: Answers
    dossier_list: DossierList
    saved_views: SavedViews


def init_settings(app: Flask, loaded: Settings) -> None:
    """Give the app its settings (``create_app``): what :func:`init_app` and views read."""
    app.extensions[SETTINGS] = loaded


def app_settings(app: Flask | None = None) -> Settings:
    """The settings the app was made with."""
    return (app or current_app).extensions[SETTINGS]


def init_app(app: Flask) -> Runner:
    config = app_settings(app)
    klachten = open_klachten(settings.database_url(config), clock=config.clock,
                        secret=app.config["SECRET_KEY"])
    limit = RateLimit(attempts=config.status_attempts,
                      window=timedelta(minutes=config.status_window_minutes))
    logins = RateLimit(attempts=config.login_attempts,
                       window=timedelta(minutes=config.login_window_minutes))
    accounts = Accounts(klachten, logins, timedelta(hours=config.staff_session_hours))
    form_limits = SubmissionLimits.of(config.form_per_address_per_hour,
                                      config.form_per_email_per_day)
    inbox = Inbox(klachten, accounts)
    app.extensions[EXTENSION] = Runner(klachten, StatusDesk(klachten, limit), accounts,
                                       inbox, DossierDesk(klachten),
                                       Intake(klachten), Admin(klachten, accounts),
                                       Register(klachten), ReportDesk(klachten),
                                       Retention(klachten), SubjectAccess(klachten),
                                       Rectification(klachten), ProcessingRegister(klachten),
                                       form_limits, CaseNotes(klachten), Drafts(klachten, inbox),
                                       Answers(klachten, inbox), DossierList(klachten, accounts),
                                       SavedViews(klachten))
    return app.extensions[EXTENSION]


def runner(app: Flask | None = None) -> Runner:
    return (app or current_app).extensions[EXTENSION]


def close(app: Flask) -> None:
    """Close the runner's database connections (the app is done)."""
    app.extensions[EXTENSION].klachten.close()
