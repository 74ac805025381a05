"""Dates, times and numbers as the county writes them (pure; the pages' Jinja filters)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from protocol.calendar import CHINA


def local_time(when: datetime | None) -> str:
    """``2026-11-28 14:05`` in China Standard Time; an em dash when unknown."""
    if when is None:
        return "—"
    if when.tzinfo is None:  # the databases hand back naive UTC
        when = when.replace(tzinfo=UTC)
    return when.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def cn_date(day: date | datetime | None) -> str:
    """``2026年11月28日``: how a notice or a report dates itself."""
    if day is None:
        return "—"
    if isinstance(day, datetime):
        if day.tzinfo is None:
            day = day.replace(tzinfo=UTC)
        day = day.astimezone(CHINA).date()
    return f"{day.year}年{day.month}月{day.day}日"


def number(value: int | float | None) -> str:
    """Thousands separated (``12,345``); one decimal for a fraction; an em dash when unknown."""
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def percent(share: float | None, digits: int = 1) -> str:
    """A share in [0, 1] as ``98.6%``; an em dash when there is nothing to divide."""
    if share is None:
        return "—"
    return f"{share * 100:.{digits}f}%"


def ago(when: datetime | None, now: datetime) -> str:
    """How long ago, in words: ``3 分钟前``."""
    if when is None:
        return "—"
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = int((now - when).total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)} 秒前"
    if seconds < 3600:
        return f"{seconds // 60} 分钟前"
    if seconds < 86400:
        return f"{seconds // 3600} 小时前"
    return f"{seconds // 86400} 天前"
