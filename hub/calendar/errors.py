"""Calendar file errors. They extend the catalog's file errors, so the API answers them the
same way (file, and each issue's field and reason; 409 for a version that is not newer)."""

from __future__ import annotations

from typing import ClassVar

from hub.catalog.errors import CatalogFileError, CatalogNotNewer


class CalendarUnreadable(CatalogFileError):
    code: ClassVar[str] = "calendar_unreadable"


class CalendarSyntaxError(CatalogFileError):
    """Not JSON, or JSON with a duplicate key; the issue names line and column."""

    code: ClassVar[str] = "calendar_syntax"


class CalendarInvalid(CatalogFileError):
    """Valid JSON that breaks the schema or a rule of protocol.holidays; each issue names the
    field and why."""

    code: ClassVar[str] = "calendar_invalid"


class CalendarNotNewer(CatalogNotNewer):
    """A calendar whose version does not exceed the current one, with different content."""

    code: ClassVar[str] = "calendar_not_newer"
