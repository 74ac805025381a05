"""Load a calendar file, refusing a bad one with the file, the field (or line/column) and why.
The same strict JSON reading as the catalog's: a duplicate key is an error, not a silent win."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from hub.calendar.errors import CalendarInvalid, CalendarSyntaxError, CalendarUnreadable
from hub.catalog.errors import CatalogSyntaxError, CatalogUnreadable
from hub.catalog.jsonfile import parse_json, read_json, validation_issues
from protocol.holidays import HolidayCalendar


def parse_calendar(data: object, source: str = "<calendar>") -> HolidayCalendar:
    """Validate already-parsed JSON; CalendarInvalid lists every problem with its field."""
    try:
        return HolidayCalendar.model_validate(data)
    except ValidationError as exc:
        raise CalendarInvalid(source, validation_issues(exc, data)) from None


def parse_calendar_text(text: str, source: str = "<calendar>") -> HolidayCalendar:
    """Parse and validate JSON text, e.g. an upload through the hub API."""
    try:
        data = parse_json(text, source)
    except CatalogSyntaxError as exc:
        raise CalendarSyntaxError(exc.file, exc.issues) from None
    return parse_calendar(data, source)


def load_calendar(path: Path) -> HolidayCalendar:
    try:
        data = read_json(path)
    except CatalogUnreadable as exc:
        raise CalendarUnreadable(exc.file, exc.issues) from None
    except CatalogSyntaxError as exc:
        raise CalendarSyntaxError(exc.file, exc.issues) from None
    return parse_calendar(data, str(path))


def summary(doc: HolidayCalendar) -> dict[str, object]:
    """What `calendar check` and `GET /api/calendar` say about a calendar: its version, its
    years, and per year the notice, the days off and the weekend days worked."""
    return {
        "version": doc.version,
        "title": doc.title,
        "years": [y.year for y in doc.years],
        "per_year": [
            {
                "year": y.year,
                "notice": y.notice.number or y.notice.title,
                "published": y.notice.published.isoformat(),
                "holidays": len(y.holidays),
                "days_off": len(y.days_off()),
                "workdays": len(y.workdays),
            }
            for y in doc.years
        ],
    }
