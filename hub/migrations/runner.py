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
from sqlalchemy import Connection, Engine, MetaData, inspect

HERE = Path(__file__).parent
# The schema the first release created with create_all; a database that has its tables and
# no alembic_version table is stamped here before upgrading.
BASELINE = "0001"


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


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (by default the newest); nothing to do is cheap."""
    with engine.begin() as conn:
        tables = set(inspect(conn).get_table_names())
        at = current(conn) if "alembic_version" in tables else None
        if at == head() and revision == "head":
            return
        cfg = config(conn)
        if at is None and "unit" in tables:
            command.stamp(cfg, BASELINE)  # made by create_all at the first release
        command.upgrade(cfg, revision)


def drift(engine: Engine) -> list[Any]:
    """Differences between the migrated database and the models: empty when they agree."""
    from alembic.autogenerate import compare_metadata

    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(ctx, target_metadata()))
