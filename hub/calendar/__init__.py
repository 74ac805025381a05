"""The working-day calendar on the hub: checking a calendar file, the versions operators upload,
the artifact every unit's signed configuration points to, its routes and commands.

The schema lives in ``protocol.holidays`` (units receive it) and the counting in
``protocol.calendar``. ``current_calendar(conn)`` is what hub code that counts working days
(the case record's deadlines) calls: the newest uploaded version, or the seed before any upload.
Only ``versions`` (the database) and ``api`` (FastAPI) reach past pydantic, and they are
imported on use, so the CLI and the unit's `bianmin` command stay light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlmodel import Session

    from protocol.calendar import WorkCalendar


def current_calendar(conn: Session | Connection) -> WorkCalendar:
    """The working-day calendar the hub runs now: the newest uploaded version, else the seed."""
    from hub.calendar.versions import current_calendar as current

    return current(conn)


__all__ = ["current_calendar"]
