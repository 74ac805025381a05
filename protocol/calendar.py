"""Working days (工作日) for time limits: Monday to Friday, minus the public holidays, plus the
weekend days worked in their place (调休), from a ``protocol.holidays.HolidayCalendar``.

The holidays are data, not code: the hub stores calendar versions (an operator uploads each
year's State Council notice), every unit's signed configuration carries the current one, and
``protocol/seed/calendar.json`` ships 2025 (国办发明电〔2024〕12号, of 2024-11-12) and 2026 (the
State Council General Office notice of 2025-11-04), both checked day by day against the
published text. The seed is what the hub serves until an operator uploads a calendar, and what a
unit uses before its first configuration.

Limits, on purpose: for a year the calendar does not list, working days fall back to
Monday-Friday and ``known()`` says so, so a deadline past the table is at most a few days early,
never late by a holiday week. Local holidays and the hour of day (a case accepted after hours
counts from the next working day in some counties) are not modelled: the day of acceptance is
day 0 and the limit ends on the Nth working day after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import cache

from protocol.holidays import HolidayCalendar
from protocol.seed import SEED_CALENDAR

# China keeps no daylight saving: a fixed offset is exact. Days in time limits are local days.
CHINA = timezone(timedelta(hours=8))


def local_date(at: datetime) -> date:
    """The day in China at an aware instant."""
    return at.astimezone(CHINA).date()


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)  # weekend days worked
    years: frozenset[int] = field(default_factory=frozenset)
    version: int = 0  # of the HolidayCalendar it was made from; 0: made in code

    @classmethod
    def from_document(cls, doc: HolidayCalendar) -> WorkCalendar:
        return cls(
            frozenset(d for y in doc.years for d in y.days_off()),
            frozenset(d for y in doc.years for d in y.workdays),
            frozenset(y.year for y in doc.years),
            doc.version,
        )

    @classmethod
    def seed(cls) -> WorkCalendar:
        """The calendar shipped in ``protocol/seed/calendar.json``."""
        return _seed()

    @classmethod
    def china(cls) -> WorkCalendar:
        """The seed calendar (the name older callers use)."""
        return _seed()

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


def seed_document() -> HolidayCalendar:
    """The seed calendar document (validated; a broken seed is a bug and fails loudly)."""
    return _seed_document()


@cache
def _seed_document() -> HolidayCalendar:
    return HolidayCalendar.model_validate_json(SEED_CALENDAR.read_bytes())


@cache
def _seed() -> WorkCalendar:
    return WorkCalendar.from_document(_seed_document())


def _range(start: date, end: date) -> Iterable[date]:
    day = start + timedelta(1)
    while day <= end:
        yield day
        day += timedelta(1)
