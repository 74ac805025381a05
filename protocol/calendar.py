"""Working days (工作日) for time limits: Monday to Friday, minus the public holidays, plus the
weekend days worked in their place (调休), from the State Council's yearly notices.

Limits, on purpose: only the years in HOLIDAYS are known: 2025 (国办发明电〔2024〕12号, of
2024-11-12) and 2026 (the State Council General Office notice of 2025-11-04), both checked day
by day against the published text; add each year from its notice. For a year not listed the
calendar falls back to Monday-Friday and says so through `known()`, so a deadline past the
table is at most a few days early, never late by a holiday week. Local holidays and the hour
of day (a case accepted after hours counts from the next working day in some counties) are not
modelled: the day of acceptance is day 0 and the limit ends on the Nth working day after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

# China keeps no daylight saving: a fixed offset is exact. Days in time limits are local days.
CHINA = timezone(timedelta(hours=8))


def local_date(at: datetime) -> date:
    """The day in China at an aware instant."""
    return at.astimezone(CHINA).date()


def _days(first: date, last: date) -> set[date]:
    return {first + timedelta(n) for n in range((last - first).days + 1)}


def _d(y: int, m: int, d: int) -> date:
    return date(y, m, d)


# year -> (holidays off, weekend days worked)
HOLIDAYS: dict[int, tuple[set[date], set[date]]] = {
    2025: (
        {_d(2025, 1, 1)}
        | _days(_d(2025, 1, 28), _d(2025, 2, 4))
        | _days(_d(2025, 4, 4), _d(2025, 4, 6))
        | _days(_d(2025, 5, 1), _d(2025, 5, 5))
        | _days(_d(2025, 5, 31), _d(2025, 6, 2))
        | _days(_d(2025, 10, 1), _d(2025, 10, 8)),
        {_d(2025, 1, 26), _d(2025, 2, 8), _d(2025, 4, 27), _d(2025, 9, 28), _d(2025, 10, 11)},
    ),
    2026: (
        _days(_d(2026, 1, 1), _d(2026, 1, 3))
        | _days(_d(2026, 2, 15), _d(2026, 2, 23))
        | _days(_d(2026, 4, 4), _d(2026, 4, 6))
        | _days(_d(2026, 5, 1), _d(2026, 5, 5))
        | _days(_d(2026, 6, 19), _d(2026, 6, 21))
        | _days(_d(2026, 9, 25), _d(2026, 9, 27))
        | _days(_d(2026, 10, 1), _d(2026, 10, 7)),
        {_d(2026, 1, 4), _d(2026, 2, 14), _d(2026, 2, 28), _d(2026, 5, 9), _d(2026, 9, 20),
         _d(2026, 10, 10)},
    ),
}  # fmt: skip


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)  # weekend days worked
    years: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def china(cls, tables: dict[int, tuple[set[date], set[date]]] | None = None) -> WorkCalendar:
        t = HOLIDAYS if tables is None else tables
        return cls(
            frozenset(d for off, _ in t.values() for d in off),
            frozenset(d for _, on in t.values() for d in on),
            frozenset(t),
        )

    def known(self, day: date) -> bool:
        """True when the holiday table covers this day's year."""
        return day.year in self.years

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: date, days: int) -> date:
        """The Nth working day after `start` (N = 0: `start` itself)."""
        if days < 0:
            raise ValueError("days must be >= 0")
        day = start
        left = days
        while left > 0:
            day += timedelta(1)
            if self.is_working_day(day):
                left -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 when end <= start)."""
        return sum(1 for d in _range(start, end) if self.is_working_day(d))


def _range(start: date, end: date) -> Iterable[date]:
    day = start + timedelta(1)
    while day <= end:
        yield day
        day += timedelta(1)
