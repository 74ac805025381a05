"""Database engines for SQLite (default) and PostgreSQL, tuned for durable batched ingest."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, inspect, text
from sqlmodel import Session, create_engine

# importing the table modules registers their tables on SQLModel.metadata
from hub import (  # noqa: F401
    audit,
    models,
    ratelimit,
)
from hub.accounts import lockout as login_guards  # noqa: F401
from hub.accounts import scope as account_scopes  # noqa: F401
from hub.accounts import sessions as web_sessions  # noqa: F401
from hub.accounts import store as accounts  # noqa: F401
from hub.alerts import store as alerts  # noqa: F401
from hub.artifacts import store as artifacts  # noqa: F401
from hub.calendar import versions as calendar_versions  # noqa: F401
from hub.cases import tables as case_tables  # noqa: F401
from hub.catalog import drafts as catalog_drafts  # noqa: F401
from hub.catalog import versions as catalog_versions  # noqa: F401
from hub.commands import tables as command_tables  # noqa: F401
from hub.errors import SettingsProblem
from hub.feedback import tables as feedback_tables  # noqa: F401
from hub.followups import tables as followup_tables  # noqa: F401
from hub.migrations.runner import UnsafeUpgrade, upgrade
from hub.notices import tables as notice_tables  # noqa: F401
from hub.residents import tables as resident_tables  # noqa: F401
from hub.rollouts import models as rollout_models  # noqa: F401
from hub.signing import store as signing_store  # noqa: F401
from hub.window import (  # noqa: F401
    blacklist,
    blacklist_sync,
    clerks,
    idgen,
    proposals,
    registry,
    tokens,
)

log = logging.getLogger("bianmin.hub.db")

# Statement parameters are what units and people sent (applicant references, reasons, dead
# letters' prefixes): keep them out of exception texts and so out of the hub's logs.
HIDE_PARAMETERS = True


SUPPORTED_URLS = ("sqlite:///", "postgresql+psycopg://")


def make_engine(url: str) -> Engine:
    if not url.startswith(SUPPORTED_URLS):
        raise SettingsProblem(
            f"database URL {url.split('@')[-1]!r}: use sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST/DB"
        )
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=HIDE_PARAMETERS,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit the hub acknowledged survives a power cut, not just a crash.
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=5, max_overflow=5, hide_parameters=HIDE_PARAMETERS
    )


def create_tables(engine: Engine, *, only_safe: bool = True) -> None:
    """Bring the database's schema to the newest migration (hub/migrations): creates it on an
    empty database, upgrades an older one, and is cheap when there is nothing to do. A start
    upgrades only where safe (hub.migrations.safety); `hub migrate` passes only_safe=False."""
    _refuse_old_dead_letters(engine)
    try:
        upgrade(engine, only_safe=only_safe)
    except UnsafeUpgrade as exc:
        raise SettingsProblem(str(exc)) from None
    _refuse_unmigrated_tables(engine)
    warn_without_autovacuum(engine)


def warn_without_autovacuum(engine: Engine) -> bool:
    """PostgreSQL with autovacuum off never gathers statistics on the tables ingest fills: the
    planner then takes the case projection's `case_id IN (...)` for half the event table and
    scans all of it, and every event costs a scan (bench/scale.py measured it). Say so at
    start; True when the warning was given."""
    if engine.dialect.name != "postgresql":
        return False
    with engine.connect() as conn:
        setting = conn.execute(text("SHOW autovacuum")).scalar()
    if setting != "off":
        return False
    log.warning(
        "PostgreSQL runs with autovacuum off: table statistics go stale as events arrive and "
        "queries fall back to full scans; turn it on (autovacuum = on in postgresql.conf) or "
        "run ANALYZE regularly"
    )
    return True


def _refuse_unmigrated_tables(engine: Engine) -> None:
    """A table in the models that no migration creates is a developer's missing migration:
    say so at once rather than fail on the first query that needs it."""
    from hub.migrations.runner import target_metadata

    missing = set(target_metadata().tables) - set(inspect(engine).get_table_names())
    if missing:
        raise SettingsProblem(
            f"the models have tables no migration creates: {', '.join(sorted(missing))}; "
            'add one with: .venv/bin/python -m tools.new_migration "what changed"'
        )


def _refuse_old_dead_letters(engine: Engine) -> None:
    """A deadletter table from before bounded dead letters (before the first release with
    migrations) kept whole payloads: no migration can bound what it holds."""
    inspector = inspect(engine)
    if "deadletter" not in inspector.get_table_names():
        return
    columns = {c["name"] for c in inspector.get_columns("deadletter")}
    if "payload_sha256" not in columns:
        raise SettingsProblem(
            "the deadletter table predates bounded dead letters (it keeps whole payloads): "
            "drop it (DROP TABLE deadletter) and start again; the hub creates it anew"
        )


@contextlib.contextmanager
def open_session(url: str) -> Iterator[Session]:
    """A session on a database whose tables exist (created when missing), for one command;
    its engine is closed with it."""
    engine = make_engine(url)
    try:
        create_tables(engine)
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()
