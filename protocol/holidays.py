"""The working-day calendar as data (节假日安排): per year, the public holidays off, the weekend
days worked in their place (调休) and the State Council notice they come from.

The hub stores versions of this document and sends it to every unit, signed, as an artifact of
its configuration; ``protocol.seed`` ships the 2025 and 2026 notices, checked day by day. Pure
models, no I/O. Cross-field validators report each problem on its own line as
``field: reason``, so loaders can point at the field (as for the catalog).

Rules, each a mistake a person typing a notice in can make:

- every date lies inside its year (a holiday across New Year is entered in both years);
- a holiday period ends on or after its first day, lasts at most 31 days, and overlaps no other;
- a worked day (调休上班) is a Saturday or a Sunday, and is not also a holiday;
- a year lists at least one holiday (every notice has 元旦), its notice was published in that
  year or the one before, and the years are in ascending order without repeats.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from protocol.bounds import TEXT_PATTERN, PositiveInt64

CALENDAR_SCHEMA_VERSION: Literal[1] = 1
FIRST_YEAR, LAST_YEAR = 2000, 2099
MAX_YEARS = 100  # a century of notices is about 70 KB
MAX_PERIODS = 16  # a notice lists seven festivals
MAX_WORKDAYS = 16
MAX_PERIOD_DAYS = 31  # the longest holiday ever announced is 9 days; a month is a typo
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: Any) -> Any:
    """Dates are written YYYY-MM-DD: pydantic would also take a number of seconds since 1970,
    which no one types on purpose into a holiday table."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("a date is written as YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]


def _text(n: int) -> StringConstraints:
    return StringConstraints(
        strip_whitespace=True, min_length=1, max_length=n, pattern=TEXT_PATTERN
    )


Name = Annotated[str, _text(20)]
Title = Annotated[str, _text(120)]
Number = Annotated[str, _text(40)]
Remark = Annotated[str, _text(500)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _raise_if(problems: Iterable[str]) -> None:
    found = list(problems)
    if found:
        raise ValueError("\n".join(found))


class Notice(_Model):
    """The State Council General Office notice (国务院办公厅关于…部分节假日安排的通知)."""

    title: Title
    number: Number | None = None  # e.g. 国办发明电〔2024〕12号
    published: IsoDate


class Holiday(_Model):
    """Days off in a row for one festival, weekends inside the period included."""

    name: Name  # 元旦, 春节, 清明节, …
    first: IsoDate
    last: IsoDate

    def days(self) -> list[date]:
        return [self.first + timedelta(n) for n in range((self.last - self.first).days + 1)]


class HolidayYear(_Model):
    year: Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR)]
    notice: Notice
    holidays: Annotated[tuple[Holiday, ...], Field(max_length=MAX_PERIODS)]
    workdays: Annotated[tuple[IsoDate, ...], Field(max_length=MAX_WORKDAYS)] = ()

    @model_validator(mode="after")
    def _consistent(self) -> HolidayYear:
        _raise_if(self._problems())
        return self

    def _problems(self) -> Iterable[str]:
        y = self.year
        if not self.holidays:
            yield "holidays: a year lists at least its New Year's Day (元旦)"
        if self.notice.published.year not in (y - 1, y):
            yield f"notice.published: a notice for {y} is published in {y - 1} or {y}"
        off: dict[date, str] = {}
        for i, h in enumerate(self.holidays):
            where = f"holidays[{i}]"
            for name, day in (("first", h.first), ("last", h.last)):
                if day.year != y:
                    yield f"{where}.{name}: {day} is not in {y}"
            if h.last < h.first:
                yield f"{where}.last: {h.last} is before the first day {h.first}"
                continue
            if (h.last - h.first).days + 1 > MAX_PERIOD_DAYS:
                yield f"{where}.last: a holiday of more than {MAX_PERIOD_DAYS} days"
                continue
            for day in h.days():
                if day in off:
                    yield f"{where}.first: {day} is already a holiday ({off[day]})"
                    break
            off.update({d: h.name for d in h.days()})
        seen: set[date] = set()
        for i, day in enumerate(self.workdays):
            where = f"workdays[{i}]"
            if day.year != y:
                yield f"{where}: {day} is not in {y}"
            if day in seen:
                yield f"{where}: {day} is listed twice"
            seen.add(day)
            if day.weekday() < 5:
                yield f"{where}: {day} is a weekday; a worked day (调休) is a Saturday or Sunday"
            if day in off:
                yield f"{where}: {day} is also a holiday ({off[day]})"

    def days_off(self) -> set[date]:
        return {d for h in self.holidays for d in h.days()}


class HolidayCalendar(_Model):
    """A version of the working-day calendar, as the hub stores it and units receive it."""

    model_config = ConfigDict(populate_by_name=True)

    note: Remark | None = Field(default=None, alias="_note")
    schema_version: Literal[1] = CALENDAR_SCHEMA_VERSION
    version: PositiveInt64  # grows with every published change
    title: Annotated[str, _text(60)]
    years: Annotated[tuple[HolidayYear, ...], Field(max_length=MAX_YEARS)]

    @model_validator(mode="after")
    def _ascending(self) -> HolidayCalendar:
        problems = [] if self.years else ["years: a calendar lists at least one year"]
        for i in range(1, len(self.years)):
            if self.years[i].year <= self.years[i - 1].year:
                problems.append(
                    f"years[{i}].year: {self.years[i].year} comes after "
                    f"{self.years[i - 1].year}; list years in ascending order, each once"
                )
        _raise_if(problems)
        return self

    def year(self, year: int) -> HolidayYear | None:
        return next((y for y in self.years if y.year == year), None)
