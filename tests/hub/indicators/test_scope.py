"""Which cases a request covers: the period's defaults and bounds, and villages and towns
always inside the asking account's area (outside it: not found, like an unknown one)."""

from __future__ import annotations

from datetime import date

import pytest

from hub.accounts.area import COUNTY, Area
from hub.catalog.villages import load_villages
from hub.errors import InvalidRequest, NotFound, UnitNotFound
from hub.indicators.scope import MAX_PERIOD_DAYS, period, resolve

REGISTRY = load_villages(None)
TODAY = date(2026, 11, 28)
QINGSHUI = Area(town="qingshui-zhen")


def test_the_default_period_is_the_30_days_up_to_today():
    assert period(None, None, TODAY) == (date(2026, 10, 30), TODAY)
    assert period(None, date(2026, 1, 31), TODAY) == (date(2026, 1, 2), date(2026, 1, 31))
    assert period(date(2026, 11, 1), None, TODAY) == (date(2026, 11, 1), TODAY)


def test_a_period_is_at_most_three_years_and_never_backwards():
    start = date(2023, 11, 29)
    assert (TODAY - start).days + 1 == MAX_PERIOD_DAYS
    assert period(start, TODAY, TODAY) == (start, TODAY)
    with pytest.raises(InvalidRequest, match="at most 1,096 days"):
        period(date(2023, 11, 28), TODAY, TODAY)
    with pytest.raises(InvalidRequest, match="is after"):
        period(date(2026, 11, 2), date(2026, 11, 1), TODAY)


@pytest.mark.parametrize(
    ("start", "end"), [(date(1, 1, 1), date(1, 1, 2)), (date(9999, 12, 30), date(9999, 12, 31))]
)
def test_days_out_of_any_records_range_are_refused_not_overflowed(start, end):
    with pytest.raises(InvalidRequest, match="is outside"):
        period(start, end, TODAY)


def scope(area: Area = COUNTY, **kw: str) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
    s = resolve(area, REGISTRY, start=TODAY, end=TODAY, **kw)
    return s.units, s.villages


def test_the_county_filters_nothing_and_lists_every_village():
    units, villages = scope()
    assert units is None
    assert villages == REGISTRY.unit_ids()


def test_a_town_account_covers_its_villages_only():
    units, villages = scope(QINGSHUI)
    expected = tuple(v.unit_id for v in REGISTRY.in_division("qingshui-zhen"))
    assert units == villages == expected
    assert scope(QINGSHUI, village="dongjie-cun")[0] == ("dongjie-cun",)
    assert scope(QINGSHUI, town="qingshui-zhen")[0] == expected


def test_outside_the_area_is_answered_like_unknown():
    with pytest.raises(UnitNotFound) as other:
        scope(QINGSHUI, village="xinmin-cun")
    with pytest.raises(UnitNotFound) as unknown:
        scope(QINGSHUI, village="no-such-cun")
    assert str(other.value).replace("xinmin-cun", "?") == str(unknown.value).replace(
        "no-such-cun", "?"
    )
    with pytest.raises(NotFound):
        scope(QINGSHUI, town="shiqiao-zhen")
    with pytest.raises(NotFound):
        scope(town="no-such-zhen")


def test_a_village_account_asking_for_its_town_gets_its_village():
    assert scope(Area(village="xinmin-cun"), town="shiqiao-zhen")[0] == ("xinmin-cun",)


def test_a_village_outside_the_town_asked_for_is_a_bad_request():
    with pytest.raises(InvalidRequest, match="is not in town"):
        scope(village="dongjie-cun", town="shiqiao-zhen")


def test_an_account_of_a_town_removed_from_the_registry_reaches_nothing():
    assert scope(Area(town="gone-zhen")) == ((), ())
