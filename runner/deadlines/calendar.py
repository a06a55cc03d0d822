"""Deadlines (termijnen) for complaints, computed the Belgian way.

A deadline of N days is counted from the day after the start date (the day of receipt):
the start date itself never counts. The unit is either calendar days ("kalenderdagen") or
working days ("werkdagen": Monday to Friday that are not Belgian legal holidays). With
roll-forward on, a last day that falls on a Saturday, a Sunday or a Belgian legal holiday moves
to the next working day. Which deadlines exist, how long they are and in which unit comes from
data (DMN/JSON rows, see :func:`rule_from_row`), never from code.

Everything here is a pure function of its arguments: nothing reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo

import holidays
from babel.dates import format_date
from dateutil.easter import easter

from runner.deadlines.display import day_text, locale_of
from runner.i18n import translations
from runner.results import DeadlineInfo

Unit = Literal["kalenderdagen", "werkdagen"]

UNITS: tuple[str, ...] = get_args(Unit)

_ONE_DAY = timedelta(days=1)

# What a deadline counts from when the caller names nothing else (stap 2: the receipt).
RECEIPT = "de ontvangst"

# The ten Belgian legal holidays (wet van 4 januari 1974 betreffende de feestdagen).
# Fixed ones as (month, day): Nieuwjaar, Dag van de Arbeid, Nationale feestdag,
# O.L.V. Hemelvaart, Allerheiligen, Wapenstilstand, Kerstmis.
_FIXED_LEGAL_HOLIDAYS: frozenset[tuple[int, int]] = frozenset(
    {(1, 1), (5, 1), (7, 21), (8, 15), (11, 1), (11, 11), (12, 25)}
)
# Movable ones as an offset in days from Easter Sunday: Paasmaandag, O.L.H. Hemelvaart,
# Pinkstermaandag.
_EASTER_OFFSETS: tuple[int, ...] = (1, 39, 50)


def _legal_holiday_dates(year: int) -> frozenset[date]:
    """The dates of the ten legal holidays of ``year``, used to filter the package's list."""
    fixed = {date(year, month, day) for month, day in _FIXED_LEGAL_HOLIDAYS}
    easter_sunday = easter(year)
    movable = {easter_sunday + timedelta(days=offset) for offset in _EASTER_OFFSETS}
    return frozenset(fixed | movable)


@dataclass(frozen=True)
class DeadlineRule:
    """One kind of deadline, e.g. 8 calendar days for the acknowledgement of receipt."""

    name: str
    days: int
    unit: Unit = "kalenderdagen"
    roll_forward: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.days, bool) or not isinstance(self.days, int) or self.days < 0:
            raise ValueError(
                f"termijn {self.name!r}: dagen moet een geheel getal >= 0 zijn, niet {self.days!r}"
            )
        if self.unit not in UNITS:
            raise ValueError(
                f"termijn {self.name!r}: onbekende eenheid {self.unit!r}, "
                f"verwacht een van {', '.join(UNITS)}"
            )


@dataclass(frozen=True)
class Deadline:
    """A computed deadline: ``due`` is the last day on which the action is on time."""

    name: str
    start: date
    due: date
    explanation: str


class BelgianCalendar:
    """Belgian legal holidays and working days, cached per year on first use.

    The dates come from the ``holidays`` package, filtered to the ten legal holidays: the
    package also lists Easter Sunday and Whit Sunday (Pasen, Pinksteren), which are Sundays
    and not legal holidays in their own right, so only the package's entries that fall on one
    of the ten legal dates (see ``_FIXED_LEGAL_HOLIDAYS`` and ``_EASTER_OFFSETS``) are kept.
    If the package lacks one of the ten, loading that year fails loudly rather than computing
    a deadline that is silently wrong.
    """

    def __init__(self, language: str = "nl") -> None:
        self._years: dict[int, dict[date, str]] = {}
        self.language = language if language in holidays.Belgium.supported_languages else None

    def _holidays_of(self, year: int) -> dict[date, str]:
        cached = self._years.get(year)
        if cached is not None:
            return cached
        package = holidays.country_holidays("BE", years=year, language=self.language)
        legal = _legal_holiday_dates(year)
        kept = {day: str(name) for day, name in package.items() if day in legal}
        missing = sorted(legal - kept.keys())
        if missing:
            listed = ", ".join(day.isoformat() for day in missing)
            raise RuntimeError(
                f"het pakket holidays mist Belgische wettelijke feestdagen in {year}: {listed}"
            )
        self._years[year] = kept
        return kept

    def is_holiday(self, day: date) -> bool:
        """True if ``day`` is one of the ten Belgian legal holidays."""
        return day in self._holidays_of(day.year)

    def holiday_name(self, day: date) -> str | None:
        """The name of the holiday on ``day`` in the calendar's language ("Paasmaandag",
        "Lundi de Pâques"), else None."""
        return self._holidays_of(day.year).get(day)

    def is_working_day(self, day: date) -> bool:
        """True for Monday to Friday that is not a legal holiday."""
        return day.weekday() < 5 and not self.is_holiday(day)

    def next_working_day(self, day: date) -> date:
        """``day`` itself if it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day


def _weekday(day: date, language: str) -> str:
    """maandag, lundi"""
    return format_date(day, "EEEE", locale=locale_of(language))


def _named_day(day: date, language: str = "nl") -> str:
    return f"{_weekday(day, language)} {day_text(day, language)}"


def _count(days: int, unit: str, language: str = "nl") -> str:
    """8 kalenderdagen, 1 werkdag, 8 jours calendrier"""
    texts = translations(language)
    if unit == "werkdagen":
        return texts.ngettext("{n} werkdag", "{n} werkdagen", days).format(n=days)
    return texts.ngettext("{n} kalenderdag", "{n} kalenderdagen", days).format(n=days)


def _why_not_working(day: date, calendar: BelgianCalendar, language: str = "nl") -> str:
    """Why ``day`` is not a working day: 'een zaterdag', 'een feestdag (X)', 'un samedi'."""
    texts, name = translations(language), calendar.holiday_name(day)
    weekday = _weekday(day, language)
    if day.weekday() >= 5 and name is not None:
        return texts.gettext("een {weekday} en een feestdag ({name})").format(
            weekday=weekday, name=name)
    if day.weekday() >= 5:
        return texts.gettext("een {weekday}").format(weekday=weekday)
    return texts.gettext("een feestdag ({name})").format(name=name)


def _skipped_holidays(days: list[date], calendar: BelgianCalendar, language: str = "nl") -> str:
    """" (overgeslagen feestdag: Paasmaandag, maandag 6 april 2026)" for the legal holidays
    on a weekday among ``days`` (those that moved the deadline), or "" when there are none."""
    named = [f"{calendar.holiday_name(day)}, {_named_day(day, language)}" for day in days
             if day.weekday() < 5 and calendar.is_holiday(day)]
    if not named:
        return ""
    label = translations(language).ngettext("overgeslagen feestdag", "overgeslagen feestdagen",
                                            len(named))
    return f" ({label}: {'; '.join(named)})"


def compute_deadline(rule: DeadlineRule, start: date, calendar: BelgianCalendar,
                     anchor: str = RECEIPT, language: str = "nl") -> Deadline:
    """Compute the last day on time for ``rule`` when the deadline counts from ``start``,
    the day of ``anchor`` ("de ontvangst", "het antwoord"), which the explanation names.

    Calendar days: the last day is ``start + days``; with ``roll_forward`` a Saturday, Sunday or
    legal holiday moves to the next working day. With ``days == 0`` the last day is ``start``
    itself (rolled forward if needed).

    Working days: the ``days`` working days are counted from the day after ``start`` (which
    counts if it is a working day), so the result is always a working day and ``roll_forward``
    does not matter. With ``days == 0`` the last day is ``start`` if that is a working day,
    else the next working day.

    The explanation (for the mediator, in ``language``: nl or fr, ``anchor`` already in that
    language, the calendar's holiday names too) says what was counted from which day, the
    last day, why it moved and which legal holidays it skipped, by name.
    """
    texts, prefix = translations(language), _counted_from(rule, start, anchor, language)
    if rule.unit == "werkdagen" and rule.days > 0:
        day = start
        skipped: list[date] = []
        remaining = rule.days
        while remaining > 0:
            day += _ONE_DAY
            if calendar.is_working_day(day):
                remaining -= 1
            else:
                skipped.append(day)
        explanation = (texts.gettext("{prefix}, zonder weekends en feestdagen: vervaldag {due}")
                       .format(prefix=prefix, due=_named_day(day, language))
                       + _skipped_holidays(skipped, calendar, language))
        return Deadline(rule.name, start, day, explanation)

    # Calendar days, or zero working days (the due date must then be a working day).
    roll_forward = rule.roll_forward or rule.unit == "werkdagen"
    last = start + timedelta(days=rule.days)
    if calendar.is_working_day(last):
        return Deadline(rule.name, start, last, texts.gettext("{prefix}: vervaldag {due}")
                        .format(prefix=prefix, due=_named_day(last, language)))
    reason = texts.gettext("de laatste dag, {day}, is {why}").format(
        day=day_text(last, language), why=_why_not_working(last, calendar, language))
    if not roll_forward:
        return Deadline(rule.name, start, last, texts.gettext(
            "{prefix}: {reason}, niet verschoven").format(prefix=prefix, reason=reason))
    due = calendar.next_working_day(last)
    between = [last + timedelta(days=n) for n in range(1, (due - last).days)]
    explanation = (texts.gettext("{prefix}: {reason}, verschoven naar {due}")
                   .format(prefix=prefix, reason=reason, due=_named_day(due, language))
                   + _skipped_holidays(between, calendar, language))
    return Deadline(rule.name, start, due, explanation)


def _counted_from(rule: DeadlineRule, start: date, anchor: str, language: str) -> str:
    """What was counted from which day: "8 kalenderdagen vanaf de dag na de ontvangst van
    2 maart 2026"."""
    texts = translations(language)
    phrase = (texts.gettext("{count}, dus de dag van {anchor} zelf, {day}") if rule.days == 0
              else texts.gettext("{count} vanaf de dag na {anchor} van {day}"))
    return phrase.format(count=_count(rule.days, rule.unit, language), anchor=anchor,
                         day=day_text(start, language))


def explain(deadline: DeadlineInfo, anchor: str, language: str) -> str:
    """A computed deadline's explanation (as ``compute_deadline``'s operator stored it, with
    its ``start``) again, in ``language``, ``anchor`` already translated; its stored (Dutch)
    explanation when it lacks what is needed."""
    if language == "nl" or not deadline.start:
        return deadline.explanation or ""
    row = {"dagen": deadline.days, "eenheid": deadline.unit,
           "doorschuiven": deadline.roll_forward}
    rule = rule_from_row({"termijn": "uitleg",
                          **{k: value for k, value in row.items() if value is not None}})
    return compute_deadline(rule, deadline.start, BelgianCalendar(language), anchor,
                            language).explanation


def end_of_day_utc(day: date, zone: ZoneInfo) -> datetime:
    """The first instant after ``day`` in local time ``zone``, as an aware UTC datetime.

    A deadline "on day D" expires at the midnight that ends D in Brussels. Midnight is never
    inside a Belgian DST gap or overlap (those happen at 02:00/03:00), so this is unambiguous.
    """
    local_midnight = datetime.combine(day + _ONE_DAY, time(0), tzinfo=zone)
    return local_midnight.astimezone(UTC)


def _parse_days(name: str, value: object) -> int:
    """``dagen`` as an int >= 0; an int (not a bool) or a string of ASCII digits."""
    days = -1
    if isinstance(value, int) and not isinstance(value, bool):
        days = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        days = int(value.strip())
    if days < 0:
        raise ValueError(f"termijn {name!r}: dagen moet een geheel getal >= 0 zijn, niet {value!r}")
    return days


def rule_from_row(row: dict) -> DeadlineRule:
    """Build a rule from a DMN/JSON row.

    Example row: ``{"termijn": "ontvangstmelding", "dagen": 8, "eenheid": "kalenderdagen",
    "doorschuiven": True}``. ``eenheid`` defaults to "kalenderdagen", ``doorschuiven`` to True.
    ``dagen`` must be an integer >= 0 (a string of digits such as "8" is accepted, a bool or
    8.5 is not). Raises ValueError with a one-line Dutch message for anything else.
    """
    name = row.get("termijn")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"termijnregel zonder geldige naam (termijn): {name!r}")
    name = name.strip()
    if "dagen" not in row:
        raise ValueError(f"termijn {name!r}: dagen ontbreekt")
    days = _parse_days(name, row["dagen"])
    unit = row.get("eenheid", "kalenderdagen")
    if isinstance(unit, str):
        unit = unit.strip().lower()
    if unit not in UNITS:
        raise ValueError(
            f"termijn {name!r}: onbekende eenheid {row.get('eenheid')!r}, "
            f"verwacht een van {', '.join(UNITS)}"
        )
    roll_forward = row.get("doorschuiven", True)
    if roll_forward is not True and roll_forward is not False:  # a real bool, not 1 or "ja"
        raise ValueError(
            f"termijn {name!r}: doorschuiven moet true of false zijn, niet {roll_forward!r}"
        )
    return DeadlineRule(name=name, days=days, unit=unit, roll_forward=roll_forward)
