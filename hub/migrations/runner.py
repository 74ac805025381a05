"""Running the hub's migrations on an engine: upgrade to the newest revision, recognising a
database from before migrations, and checking that the models and the migrations agree."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, inspect, text

from hub.migrations import safety

HERE = Path(__file__).parent
# The schema the first release created with create_all; a database that has its tables and
# no alembic_version table is stamped here before upgrading.
BASELINE = "0001"
# PostgreSQL advisory lock key ("bian"): processes starting together upgrade one at a time
UPGRADE_LOCK = 0x6269616E


class UnsafeUpgrade(Exception):
    """Pending revisions change existing tables: `bianmin hub migrate` must run them."""


def target_metadata() -> MetaData:
    from sqlmodel import SQLModel

    import hub.db  # noqa: F401 - registers every table on SQLModel.metadata

    return SQLModel.metadata


def config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["connection"] = connection
    return cfg


@functools.cache
def head() -> str:
    rev = ScriptDirectory.from_config(config()).get_current_head()
    assert rev is not None
    return rev


def current(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head", *, only_safe: bool = False) -> None:
    """Bring the database to ``revision`` (by default the newest); nothing to do is cheap.
    ``only_safe``: refuse (UnsafeUpgrade) unless every pending revision only adds
    (hub.migrations.safety), as a process does when it starts."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK})
        tables = set(inspect(conn).get_table_names())
        at = current(conn) if "alembic_version" in tables else None
        if at == head() and revision == "head":
            return
        cfg = config(conn)
        fresh = at is None and "unit" not in tables  # nothing runs against it yet
        if at is None and "unit" in tables:
            command.stamp(cfg, BASELINE)  # made by create_all at the first release
            at = BASELINE
        if only_safe and not fresh:
            scripts = ScriptDirectory.from_config(cfg)
            target = head() if revision == "head" else revision
            why = safety.refusal(safety.pending(scripts, at, target), at, target)
            if why is not None:
                raise UnsafeUpgrade(why)
        command.upgrade(cfg, revision)


def drift(engine: Engine) -> list[Any]:
    """Differences between the migrated database and the models: empty when they agree."""
    from alembic.autogenerate import compare_metadata

    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(ctx, target_metadata()))
