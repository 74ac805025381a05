"""Whose fault a failed database write is, for code that must keep one bad input from taking
the others down (the ingest's batches, the rollout driver's units and rollouts).

- **The data's** (``blames_the_data``): the database refused a value (out of range, a
  character it cannot hold, a constraint). Writing it again fails the same way for ever, so
  the caller isolates it: the ingest dead-letters the message, the driver fails the unit.
- **The database is unavailable** (``database_unavailable``): down, restarting, unreachable,
  locked, out of space. No input is to blame; the caller waits and tries again.
- **Anything else** is the hub's own fault (a bug, a missing column). The ingest treats it as
  an outage (a wrong guess that way costs a delay, never a dead-lettered event); the driver
  isolates the one rollout it happened in, so the others go on.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exc as sa

from protocol.bounds import printable

MAX_FAULT_REASON = 500
_REFUSALS = ("DataError", "IntegrityError")
_OUTAGES = ("OperationalError", "InterfaceError")


def cause(exc: BaseException) -> BaseException:
    """The driver's own error under SQLAlchemy's wrapping."""
    while isinstance(exc, sa.StatementError) and isinstance(exc.orig, BaseException):
        exc = exc.orig
    return exc


def _driver_error(exc: BaseException, dbapi: Any, names: tuple[str, ...]) -> bool:
    return isinstance(exc, tuple(getattr(dbapi, name) for name in names))


def blames_the_data(exc: BaseException, dbapi: Any) -> bool:
    """True when ``exc`` says a value could not be stored; ``dbapi`` is the driver module
    (``engine.dialect.loaded_dbapi``: sqlite3 or psycopg)."""
    if isinstance(exc, sa.DBAPIError) and exc.connection_invalidated:
        return False
    if isinstance(exc, sa.DataError | sa.IntegrityError):
        return True
    orig = cause(exc)
    if _driver_error(orig, dbapi, _REFUSALS):
        return True
    # Raised by Python while turning one value into a parameter: sqlite3's OverflowError for
    # an integer beyond 64 bits, a date out of range, text that cannot be encoded.
    return isinstance(orig, OverflowError | ValueError) and not isinstance(orig, dbapi.Error)


def database_unavailable(exc: BaseException, dbapi: Any) -> bool:
    """True when the database, not what was written, failed: a lost or refused connection,
    a lock, a restart, a full disk (DB-API's OperationalError and InterfaceError), or the
    connection pool exhausted."""
    if isinstance(exc, sa.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa.OperationalError | sa.InterfaceError | sa.DisconnectionError):
        return True
    if isinstance(exc, sa.TimeoutError):  # the connection pool is exhausted
        return True
    return _driver_error(cause(exc), dbapi, _OUTAGES)


def describe_fault(exc: BaseException) -> str:
    """The error's class and first line, printable and short. The first line only: the next
    ones (and SQLAlchemy's wrapping) quote statements and the values of other inputs."""
    orig = cause(exc)
    lines = str(orig).strip().splitlines()
    text = f"{type(orig).__name__}: {lines[0]}" if lines else type(orig).__name__
    return printable(text, MAX_FAULT_REASON)
