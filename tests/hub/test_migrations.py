"""Schema migrations on SQLite and PostgreSQL: an empty database migrates to exactly the
models' schema, and a database made by the first release (create_all, no migrations) is
recognised, stamped and upgraded with its rows kept."""

import uuid
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, select, text

from hub.db import create_tables, make_engine
from hub.migrations import runner
from hub.models import Event, Unit

UNITS = Unit.__table__  # type: ignore[attr-defined]
EVENTS = Event.__table__  # type: ignore[attr-defined]
NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


def test_an_empty_database_migrates_to_exactly_the_models_schema(database_url):
    engine = make_engine(database_url)
    try:
        create_tables(engine)
        assert runner.drift(engine) == []
        with engine.connect() as conn:
            assert runner.current(conn) == runner.head()
        create_tables(engine)  # a second start changes nothing
        assert runner.drift(engine) == []
    finally:
        engine.dispose()


def test_a_first_release_database_is_stamped_and_upgraded_with_its_rows(database_url):
    engine = make_engine(database_url)
    try:
        runner.upgrade(engine, runner.BASELINE)  # the tables create_all made at that release
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE alembic_version"))
            conn.execute(UNITS.insert().values(id="dongjie-cun", online=False, events=1))
            conn.execute(
                EVENTS.insert().values(
                    id=uuid.uuid4(), unit="dongjie-cun", seq=1, ts=NOW, kind="case.transition",
                    body={}, received_at=NOW,
                )
            )  # fmt: skip
        assert "case_record" not in inspect(engine).get_table_names()
        # revisions since then change existing tables: `hub migrate` upgrades it, not a start
        create_tables(engine, only_safe=False)
        assert "case_record" in inspect(engine).get_table_names()
        with engine.connect() as conn:
            assert runner.current(conn) == runner.head()
            assert conn.execute(select(UNITS.c.id)).scalars().all() == ["dongjie-cun"]
            assert len(conn.execute(select(EVENTS.c.id)).all()) == 1
        assert runner.drift(engine) == []
    finally:
        engine.dispose()


def test_every_migration_downgrades_and_upgrades_again(database_url):
    engine = make_engine(database_url)
    try:
        create_tables(engine)
        with engine.begin() as conn:
            command.downgrade(runner.config(conn), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        create_tables(engine)
        assert runner.drift(engine) == []
    finally:
        engine.dispose()


def test_the_migrate_command_upgrades_and_checks(tmp_path):
    from typer.testing import CliRunner

    from hub.cli import app

    url = f"sqlite:///{tmp_path / 'h.db'}"
    runner_ = CliRunner()
    before = runner_.invoke(app, ["migrate", "--database", url, "--check"])
    assert before.exit_code == 1
    assert '"after": null' in before.stdout
    done = runner_.invoke(app, ["migrate", "--database", url])
    assert done.exit_code == 0
    assert f'"after": "{runner.head()}"' in done.stdout
    assert runner_.invoke(app, ["migrate", "--database", url, "--check"]).exit_code == 0
