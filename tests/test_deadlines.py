"""Tests for runner.deadlines.calendar: Belgian deadline computation.

Every expected date below was worked out by hand and checked against a printed calendar;
none is computed by the code under test.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from runner.deadlines.calendar import (
    BelgianCalendar,
    Deadline,
    DeadlineRule,
    compute_deadline,
    end_of_day_utc,
    rule_from_row,
)

EIGHT_CALENDAR_DAYS = DeadlineRule(name="ontvangstmelding", days=8)
TEN_WORKING_DAYS = DeadlineRule(name="behandeling", days=10, unit="werkdagen")


@pytest.fixture(scope="module")
def calendar() -> BelgianCalendar:
    return BelgianCalendar()


# --- the holiday set -------------------------------------------------------------------------


def test_exactly_the_ten_legal_holidays_of_2026(calendar: BelgianCalendar) -> None:
    found = set()
    day = date(2026, 1, 1)
    while day.year == 2026:
        if calendar.is_holiday(day):
            found.add(day)
        day += timedelta(days=1)
    assert found == {
        date(2026, 1, 1),  # Nieuwjaar
        date(2026, 4, 6),  # Paasmaandag
        date(2026, 5, 1),  # Dag van de Arbeid
        date(2026, 5, 14),  # O.L.H. Hemelvaart
        date(2026, 5, 25),  # Pinkstermaandag
        date(2026, 7, 21),  # Nationale feestdag
        date(2026, 8, 15),  # O.L.V. Hemelvaart
        date(2026, 11, 1),  # Allerheiligen
        date(2026, 11, 11),  # Wapenstilstand
        date(2026, 12, 25),  # Kerstmis
    }


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 4, 3),  # Good Friday
        date(2026, 4, 5),  # Easter Sunday (listed by the package, filtered out)
        date(2026, 5, 24),  # Whit Sunday (listed by the package, filtered out)
        date(2026, 12, 26),  # Boxing Day is not a Belgian legal holiday
        date(2026, 11, 2),  # All Souls' Day
    ],
)
def test_not_a_legal_holiday(calendar: BelgianCalendar, day: date) -> None:
    assert not calendar.is_holiday(day)
    assert calendar.holiday_name(day) is None


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 4, 6), "Paasmaandag"),
        (date(2026, 5, 25), "Pinkstermaandag"),
        (date(2026, 12, 25), "Kerstmis"),
        (date(2027, 7, 21), "Nationale feestdag"),
    ],
)
def test_holiday_name_is_dutch(calendar: BelgianCalendar, day: date, name: str) -> None:
    assert calendar.holiday_name(day) == name


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 3, 6), True),  # Friday
        (date(2026, 3, 7), False),  # Saturday
        (date(2026, 3, 8), False),  # Sunday
        (date(2026, 4, 6), False),  # Easter Monday
        (date(2026, 4, 3), True),  # Good Friday is a working day
    ],
)
def test_is_working_day(calendar: BelgianCalendar, day: date, working: bool) -> None:
    assert calendar.is_working_day(day) is working


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 4), date(2026, 3, 4)),  # Wednesday: itself
        (date(2026, 3, 7), date(2026, 3, 9)),  # Saturday -> Monday
        (date(2026, 4, 4), date(2026, 4, 7)),  # Easter Saturday -> Tuesday after Easter Monday
        (date(2026, 12, 25), date(2026, 12, 28)),  # Christmas Friday -> Monday
        (date(2026, 12, 31), date(2026, 12, 31)),  # Thursday, last day of the year
        (date(2027, 1, 1), date(2027, 1, 4)),  # New Year Friday -> Monday (year boundary)
    ],
)
def test_next_working_day(calendar: BelgianCalendar, day: date, expected: date) -> None:
    assert calendar.next_working_day(day) == expected


# --- calendar days ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (date(2026, 3, 2), date(2026, 3, 10)),  # Mon -> Tue
        (date(2026, 3, 3), date(2026, 3, 11)),  # Tue -> Wed
        (date(2026, 3, 4), date(2026, 3, 12)),  # Wed -> Thu
        (date(2026, 3, 5), date(2026, 3, 13)),  # Thu -> Fri
        (date(2026, 3, 6), date(2026, 3, 16)),  # Fri -> Sat 14 -> Mon 16
        (date(2026, 3, 7), date(2026, 3, 16)),  # Sat -> Sun 15 -> Mon 16
        (date(2026, 3, 8), date(2026, 3, 16)),  # Sun -> Mon 16
    ],
)
def test_eight_calendar_days_from_each_weekday(
    calendar: BelgianCalendar, start: date, expected: date
) -> None:
    deadline = compute_deadline(EIGHT_CALENDAR_DAYS, start, calendar)
    assert deadline == Deadline("ontvangstmelding", start, expected, deadline.explanation)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        # 2025: Easter Monday 21 Apr, Ascension Thu 29 May, Whit Monday 9 Jun
        (date(2025, 4, 13), date(2025, 4, 22)),
        (date(2025, 5, 21), date(2025, 5, 30)),
        (date(2025, 6, 1), date(2025, 6, 10)),
        # 2026: Easter Monday 6 Apr, Ascension Thu 14 May, Whit Monday 25 May
        (date(2026, 3, 29), date(2026, 4, 7)),
        (date(2026, 5, 6), date(2026, 5, 15)),
        (date(2026, 5, 17), date(2026, 5, 26)),
        # 2027: Easter Monday 29 Mar, Ascension Thu 6 May, Whit Monday 17 May
        (date(2027, 3, 21), date(2027, 3, 30)),
        (date(2027, 4, 28), date(2027, 5, 7)),
        (date(2027, 5, 9), date(2027, 5, 18)),
    ],
)
def test_last_day_on_movable_holiday_rolls_forward(
    calendar: BelgianCalendar, start: date, expected: date
) -> None:
    assert compute_deadline(EIGHT_CALENDAR_DAYS, start, calendar).due == expected


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (date(2025, 12, 24), date(2026, 1, 2)),  # 1 Jan 2026 Thu -> Fri 2 Jan
        (date(2026, 12, 24), date(2027, 1, 4)),  # 1 Jan 2027 Fri -> Mon 4 Jan
        (date(2026, 4, 23), date(2026, 5, 4)),  # 1 May 2026 Fri -> Mon 4 May
        (date(2025, 7, 13), date(2025, 7, 22)),  # 21 Jul 2025 Mon -> Tue 22 Jul
        (date(2026, 7, 13), date(2026, 7, 22)),  # 21 Jul 2026 Tue -> Wed 22 Jul
        (date(2025, 8, 7), date(2025, 8, 18)),  # 15 Aug 2025 Fri -> Mon 18 Aug
        (date(2025, 10, 24), date(2025, 11, 3)),  # 1 Nov 2025 Sat -> Mon 3 Nov
        (date(2026, 10, 24), date(2026, 11, 2)),  # 1 Nov 2026 Sun -> Mon 2 Nov
        (date(2025, 11, 3), date(2025, 11, 12)),  # 11 Nov 2025 Tue -> Wed 12 Nov
        (date(2026, 11, 3), date(2026, 11, 12)),  # 11 Nov 2026 Wed -> Thu 12 Nov
        (date(2027, 11, 3), date(2027, 11, 12)),  # 11 Nov 2027 Thu -> Fri 12 Nov
        (date(2025, 12, 17), date(2025, 12, 26)),  # 25 Dec 2025 Thu -> Fri 26 Dec
        (date(2026, 12, 17), date(2026, 12, 28)),  # 25 Dec 2026 Fri -> Sat, Sun -> Mon 28 Dec
        (date(2027, 12, 17), date(2027, 12, 27)),  # 25 Dec 2027 Sat -> Sun -> Mon 27 Dec
    ],
)
def test_last_day_on_fixed_holiday_rolls_forward(
    calendar: BelgianCalendar, start: date, expected: date
) -> None:
    assert compute_deadline(EIGHT_CALENDAR_DAYS, start, calendar).due == expected


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (date(2026, 3, 6), date(2026, 3, 14)),  # Saturday is kept
        (date(2026, 3, 7), date(2026, 3, 15)),  # Sunday is kept
        (date(2026, 3, 29), date(2026, 4, 6)),  # Easter Monday is kept
        (date(2026, 3, 2), date(2026, 3, 10)),  # ordinary Tuesday
    ],
)
def test_no_roll_forward_keeps_the_last_day(
    calendar: BelgianCalendar, start: date, expected: date
) -> None:
    rule = DeadlineRule(name="ontvangstmelding", days=8, roll_forward=False)
    assert compute_deadline(rule, start, calendar).due == expected


@pytest.mark.parametrize(
    ("days", "roll_forward", "start", "expected"),
    [
        (0, True, date(2026, 3, 4), date(2026, 3, 4)),  # Wednesday: same day
        (0, True, date(2026, 3, 7), date(2026, 3, 9)),  # Saturday -> Monday
        (0, False, date(2026, 3, 7), date(2026, 3, 7)),  # Saturday kept
        (1, True, date(2026, 3, 6), date(2026, 3, 9)),  # Fri + 1 = Sat -> Mon
        (1, True, date(2026, 3, 5), date(2026, 3, 6)),  # Thu + 1 = Fri
        (30, True, date(2026, 3, 2), date(2026, 4, 1)),  # Mon 2 Mar + 30 = Wed 1 Apr
    ],
)
def test_calendar_days_edge_counts(
    calendar: BelgianCalendar, days: int, roll_forward: bool, start: date, expected: date
) -> None:
    rule = DeadlineRule(name="t", days=days, roll_forward=roll_forward)
    assert compute_deadline(rule, start, calendar).due == expected


# --- working days ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        # Thu 2 Apr 2026: Fri 3 (Good Friday, counts) = 1, Mon 6 Easter Monday skipped,
        # Tue 7 .. Fri 10 = 2..5, Mon 13 .. Fri 17 = 6..10
        (date(2026, 4, 2), date(2026, 4, 17)),
        # Mon 21 Dec 2026: Tue 22 .. Thu 24 = 1..3, Fri 25 skipped, Mon 28 .. Thu 31 = 4..7,
        # Fri 1 Jan skipped, Mon 4 .. Wed 6 Jan 2027 = 8..10
        (date(2026, 12, 21), date(2027, 1, 6)),
        # Thu 30 Apr 2026: Fri 1 May skipped, Mon 4 .. Fri 8 = 1..5, Mon 11 .. Wed 13 = 6..8,
        # Thu 14 Ascension skipped, Fri 15 = 9, Mon 18 = 10
        (date(2026, 4, 30), date(2026, 5, 18)),
        # Mon 26 May 2025: Tue 27, Wed 28 = 1, 2, Thu 29 Ascension skipped, Fri 30 = 3,
        # Mon 2 .. Fri 6 Jun = 4..8, Mon 9 Whit Monday skipped, Tue 10 = 9, Wed 11 = 10
        (date(2025, 5, 26), date(2025, 6, 11)),
        # ordinary fortnight: Mon 2 Mar 2026 -> Mon 16 Mar
        (date(2026, 3, 2), date(2026, 3, 16)),
    ],
)
def test_ten_working_days_over_holidays(
    calendar: BelgianCalendar, start: date, expected: date
) -> None:
    assert compute_deadline(TEN_WORKING_DAYS, start, calendar).due == expected


@pytest.mark.parametrize(
    ("days", "start", "expected"),
    [
        (1, date(2026, 3, 6), date(2026, 3, 9)),  # Fri -> Mon
        (1, date(2026, 3, 7), date(2026, 3, 9)),  # Sat -> Mon
        (5, date(2026, 3, 7), date(2026, 3, 13)),  # Sat -> Mon..Fri
        (0, date(2026, 3, 4), date(2026, 3, 4)),  # Wednesday: same day
        (0, date(2026, 3, 7), date(2026, 3, 9)),  # Saturday -> Monday
    ],
)
@pytest.mark.parametrize("roll_forward", [True, False])
def test_working_days_ignore_roll_forward(
    calendar: BelgianCalendar, days: int, start: date, expected: date, roll_forward: bool
) -> None:
    rule = DeadlineRule(name="t", days=days, unit="werkdagen", roll_forward=roll_forward)
    assert compute_deadline(rule, start, calendar).due == expected


# --- explanation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "start", "expected"),
    [
        (
            EIGHT_CALENDAR_DAYS,
            date(2026, 3, 6),
            (
                "8 kalenderdagen vanaf de dag na de ontvangst van 6 maart 2026: de laatste "
                "dag, 14 maart 2026, is een zaterdag, verschoven naar maandag 16 maart 2026"
            ),
        ),
        (
            EIGHT_CALENDAR_DAYS,
            date(2026, 3, 2),
            "8 kalenderdagen vanaf de dag na de ontvangst van 2 maart 2026: vervaldag dinsdag "
            "10 maart 2026",
        ),
        (
            EIGHT_CALENDAR_DAYS,
            date(2026, 3, 29),
            (
                "8 kalenderdagen vanaf de dag na de ontvangst van 29 maart 2026: de laatste "
                "dag, 6 april 2026, is een feestdag (Paasmaandag), verschoven naar dinsdag "
                "7 april 2026"
            ),
        ),
        (
            EIGHT_CALENDAR_DAYS,
            date(2027, 12, 17),
            (
                "8 kalenderdagen vanaf de dag na de ontvangst van 17 december 2027: de laatste "
                "dag, 25 december 2027, is een zaterdag en een feestdag (Kerstmis), "
                "verschoven naar maandag 27 december 2027"
            ),
        ),
        (
            DeadlineRule(name="t", days=8, roll_forward=False),
            date(2026, 3, 6),
            (
                "8 kalenderdagen vanaf de dag na de ontvangst van 6 maart 2026: de laatste "
                "dag, 14 maart 2026, is een zaterdag, niet verschoven"
            ),
        ),
        (
            DeadlineRule(name="t", days=1),
            date(2026, 3, 6),
            (
                "1 kalenderdag vanaf de dag na de ontvangst van 6 maart 2026: de laatste "
                "dag, 7 maart 2026, is een zaterdag, verschoven naar maandag 9 maart 2026"
            ),
        ),
        (
            DeadlineRule(name="t", days=0),
            date(2026, 3, 8),
            (
                "0 kalenderdagen, dus de dag van de ontvangst zelf, 8 maart 2026: de laatste "
                "dag, 8 maart 2026, is een zondag, verschoven naar maandag 9 maart 2026"
            ),
        ),
        (
            TEN_WORKING_DAYS,
            date(2026, 4, 2),
            (
                "10 werkdagen vanaf de dag na de ontvangst van 2 april 2026, "
                "zonder weekends en feestdagen: vervaldag vrijdag 17 april 2026 "
                "(overgeslagen feestdag: Paasmaandag, maandag 6 april 2026)"
            ),
        ),
        (
            TEN_WORKING_DAYS,
            date(2026, 3, 2),
            (
                "10 werkdagen vanaf de dag na de ontvangst van 2 maart 2026, "
                "zonder weekends en feestdagen: vervaldag maandag 16 maart 2026"
            ),
        ),
    ],
)
def test_explanation(
    calendar: BelgianCalendar, rule: DeadlineRule, start: date, expected: str
) -> None:
    assert compute_deadline(rule, start, calendar).explanation == expected


def test_explanation_mentions_start_count_and_reason(calendar: BelgianCalendar) -> None:
    text = compute_deadline(EIGHT_CALENDAR_DAYS, date(2026, 12, 17), calendar).explanation
    assert "17 december 2026" in text
    assert "8 kalenderdagen" in text
    assert "feestdag (Kerstmis)" in text
    assert "verschoven naar maandag 28 december 2026" in text


def test_explanation_names_its_anchor_and_the_holiday_it_rolled_over(calendar) -> None:
    """The issue's case: a reaction window from an answer on 5 March ends on Saturday
    4 April 2026 and rolls over Sunday and Easter Monday to Tuesday 7 April."""
    window = DeadlineRule(name="reactietermijn", days=30)
    deadline = compute_deadline(window, date(2026, 3, 5), calendar, anchor="het antwoord")
    assert deadline.due == date(2026, 4, 7)
    assert deadline.explanation == (
        "30 kalenderdagen vanaf de dag na het antwoord van 5 maart 2026: de laatste dag, "
        "4 april 2026, is een zaterdag, verschoven naar dinsdag 7 april 2026 "
        "(overgeslagen feestdag: Paasmaandag, maandag 6 april 2026)")
    assert "ontvangst" not in deadline.explanation


def test_holiday_names_in_french() -> None:
    assert BelgianCalendar("fr").holiday_name(date(2026, 4, 6)) == "Lundi de Pâques"
    assert BelgianCalendar().holiday_name(date(2026, 4, 6)) == "Paasmaandag"


# --- end of day in UTC -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 1, 15), datetime(2026, 1, 15, 23, 0, tzinfo=UTC)),  # winter, UTC+1
        (date(2026, 7, 15), datetime(2026, 7, 15, 22, 0, tzinfo=UTC)),  # summer, UTC+2
        (date(2026, 3, 28), datetime(2026, 3, 28, 23, 0, tzinfo=UTC)),  # eve of DST start
        (date(2026, 3, 29), datetime(2026, 3, 29, 22, 0, tzinfo=UTC)),  # DST starts 29 Mar
        (date(2026, 10, 24), datetime(2026, 10, 24, 22, 0, tzinfo=UTC)),  # eve of DST end
        (date(2026, 10, 25), datetime(2026, 10, 25, 23, 0, tzinfo=UTC)),  # DST ends 25 Oct
        (date(2026, 12, 31), datetime(2026, 12, 31, 23, 0, tzinfo=UTC)),  # year boundary
    ],
)
def test_end_of_day_utc(day: date, expected: datetime) -> None:
    result = end_of_day_utc(day, ZoneInfo("Europe/Brussels"))
    assert result == expected
    assert result.utcoffset() == timedelta(0)


def test_end_of_day_utc_other_zone() -> None:
    assert end_of_day_utc(date(2026, 1, 15), ZoneInfo("UTC")) == datetime(2026, 1, 16, tzinfo=UTC)


# --- rules from data -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            {
                "termijn": "ontvangstmelding",
                "dagen": 8,
                "eenheid": "kalenderdagen",
                "doorschuiven": True,
            },
            DeadlineRule("ontvangstmelding", 8, "kalenderdagen", True),
        ),
        (
            {"termijn": "antwoord", "dagen": 45, "eenheid": "werkdagen", "doorschuiven": False},
            DeadlineRule("antwoord", 45, "werkdagen", False),
        ),
        ({"termijn": "x", "dagen": 0}, DeadlineRule("x", 0, "kalenderdagen", True)),
        (
            {"termijn": "x", "dagen": "15", "eenheid": " Werkdagen "},
            DeadlineRule("x", 15, "werkdagen"),
        ),
    ],
)
def test_rule_from_row(row: dict, expected: DeadlineRule) -> None:
    assert rule_from_row(row) == expected


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"termijn": "x", "dagen": -1}, "dagen moet een geheel getal >= 0 zijn"),
        ({"termijn": "x", "dagen": 8.5}, "dagen moet een geheel getal >= 0 zijn"),
        ({"termijn": "x", "dagen": 8.0}, "dagen moet een geheel getal >= 0 zijn"),
        ({"termijn": "x", "dagen": "acht"}, "dagen moet een geheel getal >= 0 zijn"),
        ({"termijn": "x", "dagen": "-3"}, "dagen moet een geheel getal >= 0 zijn"),
        ({"termijn": "x", "dagen": True}, "dagen moet een geheel getal >= 0 zijn"),
        ({"termijn": "x", "dagen": None}, "dagen moet een geheel getal >= 0 zijn"),
        ({"termijn": "x"}, "dagen ontbreekt"),
        ({"termijn": "x", "dagen": 8, "eenheid": "weken"}, "onbekende eenheid 'weken'"),
        ({"termijn": "x", "dagen": 8, "eenheid": None}, "onbekende eenheid None"),
        ({"termijn": "x", "dagen": 8, "doorschuiven": "ja"}, "doorschuiven moet true of false"),
        ({"dagen": 8}, "zonder geldige naam"),
        ({"termijn": "  ", "dagen": 8}, "zonder geldige naam"),
    ],
)
def test_rule_from_row_errors(row: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        rule_from_row(row)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("days", "unit"),
    [(-1, "kalenderdagen"), (8, "weken")],
)
def test_rule_validates_itself(days: int, unit: str) -> None:
    with pytest.raises(ValueError):
        DeadlineRule(name="x", days=days, unit=unit)  # type: ignore[arg-type]
