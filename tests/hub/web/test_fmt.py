from datetime import UTC, date, datetime, timedelta

from hub.web import fmt


def test_times_show_in_china_standard_time():
    assert fmt.local_time(datetime(2026, 11, 28, 6, 5, tzinfo=UTC)) == "2026-11-28 14:05"


def test_naive_database_times_are_read_as_utc():
    assert fmt.local_time(datetime(2026, 11, 28, 16, 0)) == "2026-11-29 00:00"


def test_dates_are_written_as_a_notice_dates_itself():
    assert fmt.cn_date(date(2026, 1, 5)) == "2026年1月5日"
    assert fmt.cn_date(datetime(2026, 12, 31, 17, 0, tzinfo=UTC)) == "2027年1月1日"


def test_numbers_are_thousands_separated_and_unknowns_are_a_dash():
    assert fmt.number(108000) == "108,000"
    assert fmt.number(2.25) == "2.2"
    assert fmt.number(None) == "—"
    assert fmt.percent(0.9861) == "98.6%"
    assert fmt.percent(None) == "—"


def test_ago_counts_back_from_now():
    now = datetime(2026, 11, 28, tzinfo=UTC)
    assert fmt.ago(now - timedelta(minutes=3), now) == "3 分钟前"
    assert fmt.ago(None, now) == "—"
