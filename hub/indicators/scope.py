"""Which cases a request for indicators covers: the period, and the villages and matter asked
for, always inside the asking account's area. Asking for a village or town outside it is
answered exactly as asking for one that does not exist (404), so nothing leaks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from hub.accounts.area import Area, units_in
from hub.errors import InvalidRequest, NotFound, UnitNotFound
from protocol.villages import RegistryLookupError, VillageRegistry

MAX_PERIOD_DAYS = 3 * 365 + 1  # three years, a leap day included
# the days a period may name: far enough for any record, near enough that a day's start in
# China converts to UTC (and the day after the last one exists)
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
DEFAULT_PERIOD_DAYS = 30


@dataclass(frozen=True)
class Scope:
    start: date  # first day, inclusive (China time)
    end: date  # last day, inclusive
    units: tuple[str, ...] | None  # the cases' units; None: the whole county, no filter
    villages: tuple[str, ...]  # the registry's villages in scope, for the breakdowns
    matter: str | None
    town: str | None
    village: str | None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def period(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The period asked for: ``to`` defaults to today, ``from`` to 30 days before ``to``."""
    end = end or today
    start = start or end - timedelta(DEFAULT_PERIOD_DAYS - 1)
    for name, day in (("from", start), ("to", end)):
        if not EARLIEST <= day <= LATEST:
            raise InvalidRequest(f"{name}: {day} is outside {EARLIEST} to {LATEST}")
    if start > end:
        raise InvalidRequest(f"from: {start} is after to: {end}")
    days = (end - start).days + 1
    if days > MAX_PERIOD_DAYS:
        raise InvalidRequest(
            f"the period is at most {MAX_PERIOD_DAYS:,} days (three years); {start} to {end} "
            f"is {days:,}"
        )
    return start, end


def resolve(
    area: Area,
    registry: VillageRegistry,
    *,
    start: date,
    end: date,
    village: str | None = None,
    town: str | None = None,
    matter: str | None = None,
) -> Scope:
    reach = units_in(area, registry)
    units: frozenset[str] | None = reach
    if town is not None:
        try:
            in_town = frozenset(v.unit_id for v in registry.in_division(town))
        except RegistryLookupError:
            in_town = frozenset()
        units = in_town if reach is None else in_town & reach
        if not units:
            raise NotFound(f"no town or subdistrict {town!r}")
    if village is not None:
        if village not in registry.unit_ids() or (reach is not None and village not in reach):
            raise UnitNotFound(f"no village {village!r}")
        if units is not None and village not in units:
            raise InvalidRequest(f"village {village!r} is not in town {town!r}")
        units = frozenset({village})
    order = registry.unit_ids()
    villages = order if units is None else tuple(u for u in order if u in units)
    return Scope(
        start=start, end=end, units=None if units is None else villages, villages=villages,
        matter=matter, town=town, village=village,
    )  # fmt: skip
