"""Telling a value the database refuses from a database that is unavailable and from the
hub's own bug: only errors that name a value blame the data; only connection, lock and
restart errors say the database is unavailable."""

import sqlite3

import psycopg
import pytest
from psycopg import errors as pg
from sqlalchemy import exc as sa

from hub.faults import blames_the_data, database_unavailable, describe_fault


def wrapped(cls, orig, **kw):
    """The error as SQLAlchemy raises it around the driver's."""
    return cls("INSERT INTO event ... VALUES (?, ?)", {"secret": "3411..."}, orig, **kw)


@pytest.mark.parametrize(
    ("dbapi", "error"),
    [
        (sqlite3, OverflowError("Python int too large to convert to SQLite INTEGER")),
        (sqlite3, OverflowError("date value out of range")),
        (sqlite3, UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")),
        (sqlite3, wrapped(sa.IntegrityError, sqlite3.IntegrityError("NOT NULL constraint"))),
        (sqlite3, sa.StatementError("bind", "INSERT", {}, ValueError("naive datetimes"))),
        (psycopg, pg.NumericValueOutOfRange("bigint out of range")),
        (psycopg, psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")),
        (psycopg, wrapped(sa.DataError, pg.InvalidTextRepresentation("invalid input for json"))),
        (psycopg, wrapped(sa.IntegrityError, pg.UniqueViolation("duplicate key value"))),
    ],
)
def test_a_refused_value_blames_the_data(dbapi, error):
    assert blames_the_data(error, dbapi)


@pytest.mark.parametrize(
    ("dbapi", "error"),
    [
        (sqlite3, wrapped(sa.OperationalError, sqlite3.OperationalError("database is locked"))),
        (sqlite3, wrapped(sa.OperationalError, sqlite3.OperationalError("disk I/O error"))),
        (sqlite3, sqlite3.OperationalError("database or disk is full")),
        (psycopg, wrapped(sa.OperationalError, psycopg.OperationalError("connection refused"))),
        (psycopg, pg.AdminShutdown("terminating connection due to administrator command")),
        (psycopg, pg.SerializationFailure("could not serialize access")),
        (psycopg, pg.DeadlockDetected("deadlock detected")),
        (psycopg, wrapped(sa.InterfaceError, psycopg.InterfaceError("the connection is closed"))),
        # the hub's own fault: an un-migrated table, a bug
        (psycopg, wrapped(sa.ProgrammingError, pg.UndefinedColumn("column does not exist"))),
        (sqlite3, TypeError("unsupported type")),
        (sqlite3, KeyError("unit")),
        (sqlite3, sa.TimeoutError("QueuePool limit reached")),
    ],
)
def test_an_unavailable_database_or_a_bug_blames_no_message(dbapi, error):
    assert not blames_the_data(error, dbapi)


OUTAGES = [
    (sqlite3, wrapped(sa.OperationalError, sqlite3.OperationalError("database is locked"))),
    (sqlite3, sqlite3.OperationalError("database or disk is full")),
    (psycopg, wrapped(sa.OperationalError, psycopg.OperationalError("connection refused"))),
    (psycopg, pg.AdminShutdown("terminating connection due to administrator command")),
    (psycopg, pg.SerializationFailure("could not serialize access")),
    (psycopg, wrapped(sa.InterfaceError, psycopg.InterfaceError("the connection is closed"))),
    (psycopg, sa.TimeoutError("QueuePool limit reached")),
    (psycopg, wrapped(sa.DataError, psycopg.DataError("x"), connection_invalidated=True)),
]


@pytest.mark.parametrize(("dbapi", "error"), OUTAGES)
def test_connection_lock_and_restart_errors_say_the_database_is_unavailable(dbapi, error):
    assert database_unavailable(error, dbapi)


@pytest.mark.parametrize(
    ("dbapi", "error"),
    [
        (psycopg, pg.NumericValueOutOfRange("bigint out of range")),
        (sqlite3, OverflowError("Python int too large to convert to SQLite INTEGER")),
        (psycopg, wrapped(sa.ProgrammingError, pg.UndefinedColumn("column does not exist"))),
        (sqlite3, KeyError("body")),
    ],
)
def test_a_refused_value_or_a_bug_is_not_an_outage(dbapi, error):
    assert not database_unavailable(error, dbapi)


def test_a_lost_connection_blames_no_message_even_with_a_data_error_class():
    error = wrapped(sa.DataError, psycopg.DataError("x"), connection_invalidated=True)
    assert not blames_the_data(error, psycopg)


def test_the_fault_reason_is_the_first_line_of_the_driver_error_without_statement_or_values():
    orig = pg.InvalidTextRepresentation(
        'invalid input syntax for type json\nDETAIL:  Token "\x00secret" is invalid.'
    )
    reason = describe_fault(wrapped(sa.DataError, orig))
    assert reason == "InvalidTextRepresentation: invalid input syntax for type json"


def test_the_fault_reason_is_printable_and_bounded():
    reason = describe_fault(ValueError("\x00" * 10_000))
    assert "\x00" not in reason
    assert len(reason) <= 500
