"""The working-day calendar as data: the seed holds the State Council's 2025 and 2026 notices
exactly as the code table did, and every rule a person typing a notice in can break is refused
naming the field and why."""

import copy
import json
from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from protocol.calendar import WorkCalendar, seed_document
from protocol.holidays import HolidayCalendar
from protocol.seed import SEED_CALENDAR


def _days(first: date, last: date) -> set[date]:
    return {first + timedelta(n) for n in range((last - first).days + 1)}


# The table protocol/calendar.py held in code, checked day by day against the notices
# (国办发明电〔2024〕12号 for 2025, the notice of 2025-11-04 for 2026): the seed must equal it.
D = date
CODE_TABLE = {
    2025: (
        {D(2025, 1, 1)} | _days(D(2025, 1, 28), D(2025, 2, 4)) | _days(D(2025, 4, 4), D(2025, 4, 6))
        | _days(D(2025, 5, 1), D(2025, 5, 5)) | _days(D(2025, 5, 31), D(2025, 6, 2))
        | _days(D(2025, 10, 1), D(2025, 10, 8)),
        {D(2025, 1, 26), D(2025, 2, 8), D(2025, 4, 27), D(2025, 9, 28), D(2025, 10, 11)},
    ),
    2026: (
        _days(D(2026, 1, 1), D(2026, 1, 3)) | _days(D(2026, 2, 15), D(2026, 2, 23))
        | _days(D(2026, 4, 4), D(2026, 4, 6)) | _days(D(2026, 5, 1), D(2026, 5, 5))
        | _days(D(2026, 6, 19), D(2026, 6, 21)) | _days(D(2026, 9, 25), D(2026, 9, 27))
        | _days(D(2026, 10, 1), D(2026, 10, 7)),
        {D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20),
         D(2026, 10, 10)},
    ),
}  # fmt: skip


def seed_data() -> dict:
    return json.loads(SEED_CALENDAR.read_text(encoding="utf-8"))


def test_the_seed_holds_exactly_the_days_of_the_code_table_it_replaces():
    cal = WorkCalendar.seed()
    assert cal.years == frozenset({2025, 2026})
    for year, (off, worked) in CODE_TABLE.items():
        assert {d for d in cal.holidays if d.year == year} == off
        assert {d for d in cal.workdays if d.year == year} == worked
    assert cal.version == seed_document().version == 1
    every_day = _days(D(2025, 1, 1), D(2026, 12, 31))
    expected = {d for d in every_day if (d.weekday() < 5 and d not in CODE_TABLE[d.year][0])}
    expected |= CODE_TABLE[2025][1] | CODE_TABLE[2026][1]
    assert {d for d in every_day if cal.is_working_day(d)} == expected


def test_each_year_names_the_notice_it_comes_from():
    doc = seed_document()
    assert doc.years[0].notice.number == "国办发明电〔2024〕12号"
    assert doc.years[0].notice.published == D(2024, 11, 12)
    assert doc.years[1].notice.published == D(2025, 11, 4)


def _broken(change) -> str:
    data = seed_data()
    change(data)
    with pytest.raises(ValidationError) as caught:
        HolidayCalendar.model_validate(data)
    return str(caught.value)


def _year(data, i=0):
    return data["years"][i]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: _year(d)["holidays"][0].update(first="2024-12-31"),
         "holidays[0].first: 2024-12-31 is not in 2025"),
        (lambda d: _year(d)["holidays"][1].update(last="2026-02-04"),
         "holidays[1].last: 2026-02-04 is not in 2025"),
        (lambda d: _year(d)["holidays"][1].update(last="2025-01-20"),
         "holidays[1].last: 2025-01-20 is before the first day 2025-01-28"),
        (lambda d: _year(d)["holidays"][1].update(last="2025-03-04"),
         "holidays[1].last: a holiday of more than 31 days"),
        (lambda d: _year(d)["holidays"].append(
            {"name": "重复", "first": "2025-02-03", "last": "2025-02-05"}),
         "holidays[6].first: 2025-02-03 is already a holiday (春节)"),
        (lambda d: _year(d)["workdays"].append("2025-03-05"),
         "workdays[5]: 2025-03-05 is a weekday; a worked day (调休) is a Saturday or Sunday"),
        (lambda d: _year(d)["workdays"].append("2025-02-01"),
         "workdays[5]: 2025-02-01 is also a holiday (春节)"),
        (lambda d: _year(d)["workdays"].append("2025-01-26"),
         "workdays[5]: 2025-01-26 is listed twice"),
        (lambda d: _year(d)["workdays"].append("2026-01-04"),
         "workdays[5]: 2026-01-04 is not in 2025"),
        (lambda d: _year(d)["notice"].update(published="2023-11-12"),
         "notice.published: a notice for 2025 is published in 2024 or 2025"),
        (lambda d: _year(d).update(holidays=[]), "holidays: a year lists at least its New Year"),
        (lambda d: d["years"].reverse(), "years[1].year: 2025 comes after 2026"),
        (lambda d: d["years"].append(copy.deepcopy(_year(d))),
         "years[2].year: 2025 comes after 2026"),
        (lambda d: d.update(years=[]), "years: a calendar lists at least one year"),
        (lambda d: _year(d).update(year=1999), "greater than or equal to 2000"),
        (lambda d: _year(d)["holidays"][0].update(first=20250101),
         "a date is written as YYYY-MM-DD"),
        (lambda d: _year(d)["holidays"][0].update(first="2025/01/01"), "YYYY-MM-DD"),
        (lambda d: _year(d)["holidays"][0].update(last="2025-02-30"), "valid date"),
        (lambda d: _year(d)["holidays"][0].update(name="元\x00旦"), "should match pattern"),
        (lambda d: _year(d)["holidays"][0].update(name="节" * 21), "at most 20 characters"),
        (lambda d: _year(d).update(holiday=[]), "Extra inputs are not permitted"),
        (lambda d: d.update(version=0), "greater than or equal to 1"),
        (lambda d: d.update(version=2**63), "less than or equal to 9223372036854775807"),
        (lambda d: _year(d).update(workdays=["2025-01-26"] * 17), "at most 16 items"),
    ],
)  # fmt: skip
def test_a_broken_calendar_is_refused_naming_the_field_and_why(change, expected):
    assert expected in _broken(change)


def test_a_valid_change_keeps_the_rules_and_counts_on_the_new_days():
    data = seed_data()
    data["version"] = 2
    data["years"].append(
        {
            "year": 2027,
            "notice": {
                "title": "国务院办公厅关于2027年部分节假日安排的通知",
                "published": "2026-11-20",
            },
            "holidays": [{"name": "元旦", "first": "2027-01-01", "last": "2027-01-03"}],
            "workdays": [],
        }
    )
    cal = WorkCalendar.from_document(HolidayCalendar.model_validate(data))
    assert cal.version == 2
    assert cal.known(D(2027, 6, 1))
    assert cal.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)
    assert WorkCalendar.seed().add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 1)
