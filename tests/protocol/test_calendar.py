"""Working days: weekends, public holidays and the weekend days worked in their place."""

from datetime import date

import pytest

from protocol.calendar import WorkCalendar

CAL = WorkCalendar.seed()


def test_weekends_are_skipped():
    assert CAL.add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)  # Fri -> Mon


def test_the_national_day_week_is_skipped_and_the_makeup_saturday_counts():
    assert CAL.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert CAL.is_working_day(date(2026, 10, 10))  # a Saturday worked in its place
    assert not CAL.is_working_day(date(2026, 10, 5))


def test_spring_festival_2025():
    assert CAL.add_working_days(date(2025, 1, 27), 1) == date(2025, 2, 5)
    assert CAL.is_working_day(date(2025, 1, 26))


def test_zero_days_is_the_same_day_and_negative_is_refused():
    assert CAL.add_working_days(date(2026, 11, 26), 0) == date(2026, 11, 26)
    with pytest.raises(ValueError, match=">= 0"):
        CAL.add_working_days(date(2026, 11, 26), -1)


def test_the_name_older_callers_use_is_the_seed():
    assert WorkCalendar.china() is WorkCalendar.seed()


def test_years_beyond_the_table_fall_back_to_monday_to_friday_and_say_so():
    assert not CAL.known(date(2030, 1, 1))
    assert CAL.known(date(2026, 5, 1))
    assert CAL.working_days_between(date(2030, 1, 4), date(2030, 1, 11)) == 5
