"""Operational figures for Prometheus, read from the database when they are scraped.

Every figure is a gauge computed from the shared database, so every web process gives the
same answer and no multi-process bookkeeping is needed. Each query walks an index
(``ix_instances_completed_step``, ``ix_open_tasks_lane_due``, ``ix_outbox_status_next_attempt``,
``ix_instances_next_timer_at``) or a small table; see docs/deployment.md for the figures at
100 000 dossiers. Labels are steps, lanes and notice states of the diagram: bounded, and no
personal data.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from runner.bpmn.store import Incident, Instance, OpenTask, transaction
from runner.notices.texts import NoticeStatus
from runner.service import Klachten
from runner.store import Notice

# Notices that wait for someone: the worker (queued), a mediator (failed), the post (letters).
BACKLOG = (NoticeStatus.QUEUED, NoticeStatus.FAILED, NoticeStatus.TO_PRINT)
# Of those, the ones whose age says something is stuck (failed ones stay failed).
WAITING = (NoticeStatus.QUEUED, NoticeStatus.TO_PRINT)


@dataclass(frozen=True)
class Snapshot:
    """The figures at one instant."""

    open_dossiers: dict[str, int]  # per step label
    overdue_tasks: dict[str, int]  # per lane
    outbox: dict[str, int]  # per notice status in BACKLOG
    outbox_oldest_seconds: dict[str, float]  # per status in WAITING
    timers_due: int
    timer_lag_seconds: float  # now - the oldest due timer; 0 when none is due
    incidents_open: int


def snapshot(klachten: Klachten) -> Snapshot:
    """Read the figures in one read transaction, at the runner's clock."""
    with transaction(klachten.factory) as session:
        now = klachten.clock.now(session)
        oldest_due = session.scalar(select(func.min(Instance.next_timer_at))
                                    .where(Instance.next_timer_at < now))
        return Snapshot(
            open_dossiers=_counts(session, select(Instance.step, func.count())
                                  .where(Instance.completed.is_(False)).group_by(Instance.step)),
            overdue_tasks=_counts(session, select(OpenTask.lane, func.count())
                                  .where(OpenTask.due_at < now).group_by(OpenTask.lane)),
            outbox={status: 0 for status in BACKLOG} | _counts(
                session, select(Notice.status, func.count())
                .where(Notice.status.in_(BACKLOG)).group_by(Notice.status)),
            outbox_oldest_seconds=_oldest(session, now),
            timers_due=session.scalar(select(func.count()).select_from(Instance)
                                      .where(Instance.next_timer_at < now)) or 0,
            timer_lag_seconds=_seconds(now, oldest_due),
            incidents_open=session.scalar(select(func.count()).select_from(Incident)
                                          .where(Incident.resolved_at.is_(None))) or 0,
        )


def _counts(session: Session, query: Select[str | None, int]) -> dict[str, int]:
    return {str(key): int(count) for key, count in session.execute(query)}


def _oldest(session: Session, now: datetime) -> dict[str, float]:
    """Per waiting status, how long its oldest notice has waited (0 when there is none)."""
    return {status: _seconds(now, session.scalar(select(func.min(Notice.created_at))
                                                 .where(Notice.status == status)))
            for status in WAITING}


def _seconds(now: datetime, then: datetime | None) -> float:
    if then is None:
        return 0.0
    if then.tzinfo is None:  # an aggregate on SQLite skips the column type: stored as UTC
        then = then.replace(tzinfo=now.tzinfo)
    return max(0.0, (now - then).total_seconds())


def families(figures: Snapshot) -> Iterator[GaugeMetricFamily]:
    """The Prometheus metric families of a snapshot."""
    yield _labelled("klachten_open_dossiers", "Open dossiers per step of the diagram.",
                    "step", figures.open_dossiers)
    yield _labelled("klachten_overdue_tasks",
                    "Open user tasks past their due date, per lane.", "lane",
                    figures.overdue_tasks)
    yield _labelled("klachten_outbox_notices",
                    "Notices waiting in the outbox: queued (e-mail), failed (undeliverable), "
                    "te printen (letters).", "status", figures.outbox)
    yield _labelled("klachten_outbox_oldest_age_seconds",
                    "Age of the oldest queued e-mail and of the oldest letter to print.",
                    "status", figures.outbox_oldest_seconds)
    yield GaugeMetricFamily("klachten_timers_due", "Dossiers with a timer that is due now.",
                            value=figures.timers_due)
    yield GaugeMetricFamily("klachten_timer_lag_seconds",
                            "How long the oldest due timer has been waiting for a worker.",
                            value=figures.timer_lag_seconds)
    yield GaugeMetricFamily("klachten_incidents_open", "Unresolved incidents.",
                            value=figures.incidents_open)


def _labelled(name: str, documentation: str, label: str,
              values: dict[str, int] | dict[str, float]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for key, value in sorted(values.items()):
        family.add_metric([key], value)
    return family


class KlachtenCollector(Collector):
    """A custom collector: the snapshot is read at every scrape."""

    def __init__(self, klachten: Klachten):
        self.klachten = klachten

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from families(snapshot(self.klachten))
