"""The application's tables: dossiers and their numbers, the outbox, the improvement
register, report facts, accounts, web sessions, the access log, rate limits, and the
mediators' case notes and drafts.

They share :class:`runner.bpmn.store.Base` with the runner's own tables (instances, open
tasks, audit); Alembic (``runner/migrations``) creates and upgrades both.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from runner.bpmn.store import Base, UtcDateTime


class Dossier(Base):
    """A complaint file. The complainant's name, e-mail address and member number are kept
    here too, so a beheerder can find every dossier of a person (``runner.privacy.subject_access``);
    ``runner.privacy.retention`` empties them when the dossier is erased (``erased_at``). A legal
    hold keeps a dossier from being erased."""

    __tablename__ = "dossiers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(40), unique=True)
    year: Mapped[int | None] = mapped_column(Integer)
    sequence: Mapped[int | None] = mapped_column(Integer)
    access_code_hash: Mapped[str | None] = mapped_column(String(200))
    complainant_name: Mapped[str] = mapped_column(String(220), default="")
    category: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    outcome: Mapped[str | None] = mapped_column(String(40))
    complainant_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    member_number: Mapped[str] = mapped_column(String(20), default="", server_default="")
    legal_hold: Mapped[bool] = mapped_column(default=False, server_default=false())
    legal_hold_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Closed as a duplicate: the id of the dossier that handles the complaint
    # (runner.work.follow_up; no foreign key, see migration 0011).
    duplicate_of_id: Mapped[int | None] = mapped_column(Integer)
    # The mediator who owns the dossier until its closure: whoever took its first task, or
    # whom it was assigned to (``runner.work.ownership``); its later tasks go to them.
    owner: Mapped[str | None] = mapped_column(String(100))
    # The complaint's own words (``omschrijving``), for the dossier search; emptied by an
    # erasure like the name.
    complaint_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Derived after every action (runner.work.dossier_state), for the dossier list: the
    # state (open, wacht_op_klager, nationaal, afgesloten, ingetrokken), the step number and
    # the earliest due date of the open tasks.
    state: Mapped[str] = mapped_column(String(20), default="open", server_default="open")
    step: Mapped[str] = mapped_column(String(10), default="", server_default="")
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (
        Index("ix_dossiers_complainant_email", "complainant_email"),
        Index("ix_dossiers_owner", "owner"),
        Index("ix_dossiers_member_number", "member_number"),
        # The retention job's search: closed, not erased yet.
        Index("ix_dossiers_erased_at_closed_at", "erased_at", "closed_at"),
        # The dossier list (runner.work.dossier_list): newest first, or by one filter.
        Index("ix_dossiers_received_at", "received_at"),
        *(Index(f"ix_dossiers_{column}_received_at", column, "received_at")
          for column in ("state", "step", "category", "channel")),
        Index("ix_dossiers_due_at", "due_at"),
    )


def as_dossier(case_file: object) -> Dossier:
    """The procedure's case file, which the runner hands over as its generic ``CaseFile``."""
    if not isinstance(case_file, Dossier):
        raise TypeError(f"geen dossier: {case_file!r}")
    return case_file


class SavedView(Base):
    """A filter of the dossier list saved by a user under a name (``runner.work.saved_views``):
    the list's query string, as the page would send it."""

    __tablename__ = "saved_views"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(60))
    query: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (UniqueConstraint("user", "name", name="uq_saved_views_user_name"),)


class DossierSequence(Base):
    """Last sequence number per year, incremented under a row lock by the registration."""

    __tablename__ = "dossier_sequences"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


MEMBER_AUDIENCE = "klager"  # Notice.audience of a notice to the member


class Notice(Base):
    """The outbox: a rendered notice, written in the transaction of the step that caused it."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(2))
    channel: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(12))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(20), default="queued")
    # E-mail address or postal address block, fixed when the notice is produced.
    recipient: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # A delivery worker's claim; a claim past this instant is stale and may be taken over.
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    # Where it went: the SMTP server that accepted it, or the .eml file it was written to.
    delivery: Mapped[str | None] = mapped_column(Text)
    # The access code of an acknowledgement until it leaves, encrypted with a key derived
    # from the secret key (runner.notices.sealing); the body holds a placeholder (ADR 8).
    sealed_code: Mapped[str | None] = mapped_column(Text)
    # Who it is for: the member ("klager"), or a service of the fund ("dienst": a reminder
    # of a consultation, runner.investigation), which the member's pages never list.
    audience: Mapped[str] = mapped_column(String(10), default=MEMBER_AUDIENCE,
                                          server_default=MEMBER_AUDIENCE)

    __table_args__ = (Index("ix_outbox_status_next_attempt", "status", "next_attempt_at"),)


class Recommendation(Base):
    """The improvement register (step 8), followed up by the mediators
    (``runner.reports.improvement_register``).

    ``version`` guards edits (two mediators never silently overwrite each other); the owner is
    free text: the service or person responsible, not necessarily a user of klachten.
    """

    __tablename__ = "recommendations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    service: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    owner: Mapped[str] = mapped_column(String(200), default="", server_default="")
    rejection_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own idiom


class RecommendationNote(Base):
    """A follow-up note on a recommendation: append-only, shown in order."""

    __tablename__ = "recommendation_notes"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendations.id"), index=True)
    author: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    text: Mapped[str] = mapped_column(Text)


class DossierFacts(Base):
    """What the reports need of one dossier, derived by ``runner.reports.facts`` in the
    transaction of each action (like ``open_tasks``): classification, and each deadline as the
    dossier's own version computed it with the instant it was met. Reports aggregate this table
    in SQL and never load engine state."""

    __tablename__ = "dossier_facts"
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), primary_key=True,
                                            autoincrement=False)
    definition_id: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Local (Europe/Brussels) month of receipt, "2026-03": the same on every backend.
    received_month: Mapped[str] = mapped_column(String(7))
    category: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(20))
    admissible: Mapped[bool | None] = mapped_column()
    inadmissible_reason: Mapped[str | None] = mapped_column(String(40))
    answer_outcome: Mapped[str | None] = mapped_column(String(40))
    escalated: Mapped[bool] = mapped_column(default=False)
    national_outcome: Mapped[str | None] = mapped_column(String(40))
    ack_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ack_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    answer_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    answer_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    national_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    national_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    status_interval_days: Mapped[int | None] = mapped_column(Integer)
    # Start of the running status-update interval (investigation start or last update).
    status_since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    status_met: Mapped[int] = mapped_column(Integer, default=0)
    status_missed: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    outcome: Mapped[str | None] = mapped_column(String(40))
    lead_days: Mapped[int | None] = mapped_column(Integer)

    # One covering index per breakdown, with received_at for the period: a GROUP BY reads
    # only its index, in order (a lone received_at index made SQLite fetch every row).
    __table_args__ = (
        *(Index(f"ix_dossier_facts_{column}", column, "received_at")
          for column in ("received_month", "category", "channel", "inadmissible_reason",
                         "answer_outcome", "national_outcome")),
        Index("ix_dossier_facts_lead_days", "lead_days", "closed_at"),
    )


class RateLimitEvent(Base):
    """One counted attempt (status page look-ups, logins) for a key such as an address."""

    __tablename__ = "rate_limit_events"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_rate_limit_events_key_at", "key", "at"),)


class AccessEntry(Base):
    """Who viewed or downloaded personal data, what and when (the beheerder reads it): one
    dossier (its page, a letter, the API), or no single dossier (the CSV export)."""

    __tablename__ = "access_log"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    user: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    what: Mapped[str] = mapped_column(String(200), default="dossierpagina",
                                      server_default="dossierpagina")


class FormSubmission(Base):
    """One posted complaint form (``runner.members.confirmations``): the hash of its one-time form
    token, the dossier it made, and for a short while the access code sealed with a key
    only the member's browser holds, until the confirmation page has shown it once."""

    __tablename__ = "form_submissions"
    form_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sealed_code: Mapped[str | None] = mapped_column(Text)
    # The hash of e-mail address, name and text while "back and send again" may come
    # (``runner.members.confirmations.SAME_SUBMISSION_WITHIN``); only on the post that made
    # the dossier, so that a concurrent twin fails on the unique index.
    content_key: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_form_submissions_content_key", "content_key", unique=True),)


class WebSession(Base):
    """A signed-in session (a mediator's login, a member's status pass): the cookie holds a
    random token, the server its SHA-256; ended at sign-out or when the user is disabled."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_web_sessions_created_at", "created_at"),)


class User(Base):
    """A staff account: roles, an argon2 password hash (empty: no password works, the user
    must set one through a reset link), an e-mail address for reset links, and the subject
    of its single sign-on identity."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    roles: Mapped[list] = mapped_column(JSON, default=list)
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(default=False)
    email: Mapped[str | None] = mapped_column(String(254))
    sso_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    password_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ApiToken(Base):
    """A user's API token: a label, its SHA-256, an expiry; revoked or expired, it opens
    nothing. A user may hold several (one per script)."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class PasswordReset(Base):
    """A single-use link to set a new password: its SHA-256, who asked for it, until when."""

    __tablename__ = "password_resets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    requested_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class DossierNote(Base):
    """An internal note or a logged contact (phone, e-mail, letter, visit) on a dossier
    (``runner.work.case_notes``): append-only, staff only. A correction is a new note that
    names the one it corrects (``corrects_id``); erasure deletes a dossier's notes."""

    __tablename__ = "dossier_notes"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    author: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    # "" for an internal note; phone, email, letter or visit for a contact.
    contact: Mapped[str] = mapped_column(String(10), default="", server_default="")
    direction: Mapped[str] = mapped_column(String(3), default="", server_default="")
    contact_on: Mapped[date | None] = mapped_column(Date())
    text: Mapped[str] = mapped_column(Text)
    corrects_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("dossier_notes.id"))


class TaskDraft(Base):
    """What a user typed in a long text field of an open task, not sent yet
    (``runner.work.drafts``): one row per task, user and field, shown only to that user,
    deleted when the task is no longer open and when the dossier is erased."""

    __tablename__ = "task_drafts"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(36))
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    user: Mapped[str] = mapped_column(String(100))
    field: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (UniqueConstraint("task_id", "user", "field",
                                       name="uq_task_drafts_task_user_field"),)
