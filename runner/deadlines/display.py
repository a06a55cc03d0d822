"""How a deadline is shown to people: its last day, and how many days are left or late.

One function for every view (werkbak, task, dossier page, status page, notices, reports,
API, the command line). A deadline whose work is done is shown as met ("op tijd, op 9 maart
2026") or late ("3 dagen te laat, op 20 maart 2026"), never as days still left.

A deadline is stored two ways: its last day (``vervaldag``, a date) and, for timers and the
werkbak's order, the first instant after that day in the fund's local time (``vervalt_op``,
:func:`runner.deadlines.calendar.end_of_day_utc`). Shown as a local date, that instant is the day
*after* the last day (16 December 00:00 for a deadline ending on 15 December):
:func:`last_day` turns either form back into the last day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date

from runner.i18n import translations

_LOCALES = {"nl": "nl_BE", "fr": "fr_BE"}
_JUST_BEFORE = timedelta(microseconds=1)


def last_day(due: date | datetime | str, zone: ZoneInfo) -> date:
    """The last day on time, from a last day (a date or ISO date) or a due instant (an
    aware datetime or ISO instant: the first instant after the last day)."""
    if isinstance(due, str):
        due = datetime.fromisoformat(due) if "T" in due else date.fromisoformat(due)
    if isinstance(due, datetime):
        return (due - _JUST_BEFORE).astimezone(zone).date()
    return due


def locale_of(language: str) -> str:
    """The Belgian locale of a page language (nl or fr) for dates in words."""
    return _LOCALES.get(language, "nl_BE")


def day_text(day: date, language: str = "nl") -> str:
    """A day in words: 15 december 2026, 15 décembre 2026."""
    return format_date(day, format="long", locale=locale_of(language))


@dataclass(frozen=True)
class ShownDeadline:
    """A deadline as people read it; ``days_left`` is negative when it has passed.
    ``done_on``: the day its work was done (the deadline no longer runs), else None."""

    last_day: date
    days_left: int
    done_on: date | None = None

    def by(self, language: str) -> str:
        """uiterlijk 15 december 2026"""
        day = day_text(self.last_day, language)
        return translations(language).gettext("uiterlijk {day}").format(day=day)

    def remaining(self, language: str) -> str:
        """nog 3 dagen, vandaag, 2 dagen te laat; once done: op tijd, op 9 maart 2026, or
        2 dagen te laat, op 17 maart 2026"""
        texts, n = translations(language), self.days_left
        if self.done_on is not None:
            late = (self.done_on - self.last_day).days
            day = day_text(self.done_on, language)
            if late <= 0:
                return texts.gettext("op tijd, op {day}").format(day=day)
            return texts.gettext("{late}, op {day}").format(late=_late(late, language), day=day)
        if n == 0:
            return texts.gettext("vandaag")
        if n > 0:
            return texts.ngettext("nog {n} dag", "nog {n} dagen", n).format(n=n)
        return _late(-n, language)

    def text(self, language: str) -> str:
        """uiterlijk 15 december 2026 (nog 3 dagen)"""
        return f"{self.by(language)} ({self.remaining(language)})"

    @property
    def overdue(self) -> bool:
        """Late: passed while still running, or done after its last day."""
        if self.done_on is not None:
            return self.done_on > self.last_day
        return self.days_left < 0


def shown(due: date | datetime | str, now: datetime, zone: ZoneInfo,
          done_at: datetime | str | None = None) -> ShownDeadline:
    """The deadline ``due`` seen at ``now`` (days counted in the fund's local dates);
    ``done_at``: the instant its work was done, when it was."""
    day = last_day(due, zone)
    if isinstance(done_at, str):
        done_at = datetime.fromisoformat(done_at)
    done_on = done_at.astimezone(zone).date() if done_at is not None else None
    return ShownDeadline(day, (day - now.astimezone(zone).date()).days, done_on)


def _late(days: int, language: str) -> str:
    """3 dagen te laat, 3 jours de retard"""
    texts = translations(language)
    return texts.ngettext("{n} dag te laat", "{n} dagen te laat", days).format(n=days)
