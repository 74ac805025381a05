"""How much disk a test's database takes, on SQLite and PostgreSQL, to bound its growth."""

from __future__ import annotations

from sqlalchemy import Engine, text


def database_bytes(engine: Engine) -> int:
    """SQLite: the whole database (WAL frames included, as the connection sees it).
    PostgreSQL: every table of the test's schema with its indexes and TOAST."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            pages = conn.execute(text("PRAGMA page_count")).scalar_one()
            size = conn.execute(text("PRAGMA page_size")).scalar_one()
            return int(pages) * int(size)
        total = conn.execute(
            text(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = current_schema() AND c.relkind = 'r'"
            )
        ).scalar_one()
        return int(total)
