"""Small SQL helpers shared by the persistence modules (no tables here, so any module can
import this without a cycle)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

IN_CHUNK = 2000  # ids per IN (...) list: far below SQLite's and PostgreSQL's parameter limits
T = TypeVar("T")


def insert_for(db: Session | Connection, table: Any) -> Any:
    """An INSERT that supports ON CONFLICT DO NOTHING on the database behind ``db``."""
    bind = db if isinstance(db, Connection) else db.get_bind()
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def chunks(items: Sequence[T], size: int = IN_CHUNK) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
