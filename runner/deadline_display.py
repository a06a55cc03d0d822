"""How a deadline is shown to people: its last day, and how many days are left or late.

One function for every view (werkbak, task, dossier page, status page, notices, reports,
API). A deadline is stored two ways: its last day (``vervaldag``, a date) and, for timers and
the werkbak's order, the first instant after that day in the fund's local time (``vervalt_op``,
:func:`runner.deadlines.end_of_day_utc`). Shown as a local date, that instant is the day
*after* the last day (16 December 00:00 for a deadline ending on 15 December):
:func:`last_day` turns either form back into the last day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date

_LOCALES = {"nl": "nl_BE", "fr": "fr_BE"}
_JUST_BEFORE = timedelta(microseconds=1)
_TEXTS = {
    "nl": {"by": "uiterlijk {day}", "today": "vandaag", "left_1": "nog 1 dag",
           "left": "nog {n} dagen", "late_1": "1 dag te laat", "late": "{n} dagen te laat"},
    "fr": {"by": "au plus tard le {day}", "today": "aujourd'hui", "left_1": "encore 1 jour",
           "left": "encore {n} jours", "late_1": "1 jour de retard",
           "late": "{n} jours de retard"},
}


def last_day(due: date | datetime | str, zone: ZoneInfo) -> date:
    """The last day on time, from a last day (a date or ISO date) or a due instant (an
    aware datetime or ISO instant: the first instant after the last day)."""
    if isinstance(due, str):
        due = datetime.fromisoformat(due) if "T" in due else date.fromisoformat(due)
    if isinstance(due, datetime):
        return (due - _JUST_BEFORE).astimezone(zone).date()
    return due


def day_text(day: date, language: str) -> str:
    """A day in words: 15 december 2026, 15 décembre 2026."""
    return format_date(day, format="long", locale=_LOCALES.get(language, "nl_BE"))


@dataclass(frozen=True)
class ShownDeadline:
    """A deadline as people read it; ``days_left`` is negative when it has passed."""

    last_day: date
    days_left: int

    def by(self, language: str) -> str:
        """uiterlijk 15 december 2026"""
        return _texts(language)["by"].format(day=day_text(self.last_day, language))

    def remaining(self, language: str) -> str:
        """nog 3 dagen, vandaag, 2 dagen te laat"""
        texts, n = _texts(language), self.days_left
        if n == 0:
            return texts["today"]
        if n > 0:
            return texts["left_1"] if n == 1 else texts["left"].format(n=n)
        return texts["late_1"] if n == -1 else texts["late"].format(n=-n)

    def text(self, language: str) -> str:
        """uiterlijk 15 december 2026 (nog 3 dagen)"""
        return f"{self.by(language)} ({self.remaining(language)})"

    @property
    def overdue(self) -> bool:
        return self.days_left < 0


def shown(due: date | datetime | str, now: datetime, zone: ZoneInfo) -> ShownDeadline:
    """The deadline ``due`` seen at ``now`` (days counted in the fund's local dates)."""
    day = last_day(due, zone)
    return ShownDeadline(day, (day - now.astimezone(zone).date()).days)


def _texts(language: str) -> dict[str, str]:
    return _TEXTS.get(language, _TEXTS["nl"])
