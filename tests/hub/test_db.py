"""Creating the hub's tables (SQLite and PostgreSQL): a fresh database gets the bounded
dead-letter table; an old one that keeps whole payloads is refused with what to do."""

import pytest
from sqlalchemy import inspect, text

from hub.db import create_tables, make_engine
from hub.errors import SettingsProblem


@pytest.fixture
def bare(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def test_a_fresh_database_gets_dead_letters_without_a_payload_column(bare):
    create_tables(bare)
    columns = {c["name"] for c in inspect(bare).get_columns("deadletter")}
    assert {"payload_sha256", "payload_prefix", "size", "reason"} <= columns
    assert "payload" not in columns


def test_a_dead_letter_table_from_before_is_refused_with_what_to_do(bare):
    blob = "BLOB" if bare.dialect.name == "sqlite" else "BYTEA"
    with bare.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE deadletter (id INTEGER PRIMARY KEY, topic VARCHAR(512),"
                f" reason VARCHAR(2000), size INTEGER, payload {blob})"
            )
        )
    with pytest.raises(SettingsProblem, match="DROP TABLE deadletter"):
        create_tables(bare)


def test_database_errors_never_quote_what_was_sent(database_url):
    """A failed statement's text goes to the logs: it must not carry an applicant's data."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    engine = make_engine(database_url)
    try:
        with pytest.raises(SQLAlchemyError) as caught, engine.connect() as conn:
            conn.execute(text("SELECT * FROM no_such_table WHERE x = :x"), {"x": "沈阳-secret"})
    finally:
        engine.dispose()
    assert "secret" not in str(caught.value)


def test_postgres_without_autovacuum_is_named_at_start(bare, caplog):
    """This machine's PostgreSQL runs with autovacuum off: the hub says so rather than let the
    planner scan the event table for every case it projects."""
    from hub.db import warn_without_autovacuum

    if bare.dialect.name == "sqlite":
        assert warn_without_autovacuum(bare) is False
        return
    with bare.connect() as conn:
        setting = conn.execute(text("SHOW autovacuum")).scalar()
    with caplog.at_level("WARNING", logger="bianmin.hub.db"):
        warned = warn_without_autovacuum(bare)
    assert warned is (setting == "off")
    assert ("autovacuum off" in caplog.text) is (setting == "off")
