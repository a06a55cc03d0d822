"""Calendar days typed by people (a report period, a register filter): ISO dates within the
range the system counts with.

``date`` reaches from year 1 to 9999, but a day at either end cannot be turned into an
instant in Brussels (the offset or the day after leaves the range); no complaint is older
than 1900 or due after 2999, so that is the range a typed day must lie in.
"""

from __future__ import annotations

from datetime import date

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


class DayNotAccepted(ValueError):
    """A typed day that is not an ISO date (``code`` "format") or outside the range
    (``code`` "range")."""

    def __init__(self, reason: str, code: str):
        super().__init__(reason)
        self.code = code


def parse_day(text: str) -> date:
    """The day written ``YYYY-MM-DD`` in ``text`` (spaces around it allowed)."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise DayNotAccepted("geef een datum als JJJJ-MM-DD", "format") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise DayNotAccepted(f"kies een datum tussen {FIRST_DAY.isoformat()} en "
                             f"{LAST_DAY.isoformat()}", "range")
    return day
