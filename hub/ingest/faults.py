"""Whose fault a failed commit is.

- **The data's**: a value in one message the database refuses (out of range, a character it
  cannot hold, a constraint). Retrying the batch fails the same way for ever, so the ingest
  isolates that message and dead-letters it with the database's reason.
- **Anything else**: the database is down, locked, full or restarting, or the hub itself is
  wrong (a bug, a missing column). No message is to blame, so nothing is dead-lettered: the
  batch waits and is tried again.

Only errors that positively name a value count as the data's fault; anything unknown is
treated as an outage. A wrong guess that way costs a delay, never a dead-lettered event.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import DBAPIError, StatementError

from protocol.bounds import printable
from protocol.errors import ProtocolError

MAX_FAULT_REASON = 500


class RefusedByDatabase(ProtocolError):
    """A message that passed validation but that the database would not store."""

    code = "database_refused"


def cause(exc: BaseException) -> BaseException:
    """The driver's own error under SQLAlchemy's wrapping."""
    while isinstance(exc, StatementError) and isinstance(exc.orig, BaseException):
        exc = exc.orig
    return exc


def blames_the_data(exc: BaseException, dbapi: Any) -> bool:
    """True when ``exc`` says a value could not be stored; ``dbapi`` is the driver module
    (``engine.dialect.loaded_dbapi``: sqlite3 or psycopg)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return False
    orig = cause(exc)
    refusals = tuple(getattr(dbapi, name) for name in ("DataError", "IntegrityError"))
    if isinstance(orig, refusals):
        return True
    # Raised by Python while turning one value into a parameter: sqlite3's OverflowError for
    # an integer beyond 64 bits, a date out of range, text that cannot be encoded.
    return isinstance(orig, OverflowError | ValueError) and not isinstance(orig, dbapi.Error)


def describe_fault(exc: BaseException) -> str:
    """The error's class and first line, printable and short. The first line only: the next
    ones (and SQLAlchemy's wrapping) quote statements and the values of other messages."""
    orig = cause(exc)
    lines = str(orig).strip().splitlines()
    text = f"{type(orig).__name__}: {lines[0]}" if lines else type(orig).__name__
    return printable(text, MAX_FAULT_REASON)
