"""The investigation's tables: each consultation of a service and each question to the
member (an inquiry), and the pseudonym that stands for the member towards the services.

They share :class:`runner.bpmn.store.Base` with the other tables; migration 0011 creates them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from runner.bpmn.store import Base, UtcDateTime

SERVICE, MEMBER = "dienst", "klager"  # Inquiry.kind: who is asked


class Inquiry(Base):
    """A consultation of a service (``kind`` dienst) or a question to the member (klager),
    made by the diagram's event subprocesses; the answer lands here beside the case.

    ``reference`` is random: it names the inquiry in URLs and mails without saying which
    dossier it belongs to. ``question`` and ``shared`` of a consultation hold the pseudonym,
    never the member's identity; ``seen_at`` is when the mediator saw the latest news (an
    answer, a missed deadline)."""

    __tablename__ = "inquiries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    service: Mapped[str] = mapped_column(String(60), default="")
    question: Mapped[str] = mapped_column(Text)
    shared: Mapped[dict] = mapped_column(JSON, default=dict)
    asked_by: Mapped[str] = mapped_column(String(100))
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[str] = mapped_column(String(100), default="")
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class DossierPseudonym(Base):
    """The member's pseudonym in one dossier: random, so nothing derives it from the
    dossier or the person, and the same for every consultation of that dossier."""

    __tablename__ = "dossier_pseudonyms"
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), primary_key=True,
                                            autoincrement=False)
    pseudonym: Mapped[str] = mapped_column(String(20), unique=True)


ERASED = "[gewist]"


def erase_inquiries(session: Session, dossier_id: int) -> int:
    """Empty the questions, shared facts and answers of a dossier's inquiries, and forget
    its pseudonym (an erasure); returns how many inquiries."""
    inquiries = session.scalars(select(Inquiry).where(Inquiry.dossier_id == dossier_id)).all()
    for inquiry in inquiries:
        inquiry.question, inquiry.answer, inquiry.shared = ERASED, "", {}
    session.execute(delete(DossierPseudonym).where(DossierPseudonym.dossier_id == dossier_id))
    return len(inquiries)
