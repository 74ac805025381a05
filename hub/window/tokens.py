"""Units' API tokens (``bmu_...``): what a unit presents to the hub's unit routes (the data
registry). They grant nothing else, and name the unit the audit log records."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlmodel import Field, Session, SQLModel

from hub.models import _utc
from protocol.topics import check_unit_id

UNIT_TOKEN_PREFIX = "bmu_"


class UnitToken(SQLModel, table=True):
    """One API token per unit, stored as a SHA-256 (a random 256-bit token needs no KDF)."""

    unit: str = Field(primary_key=True, max_length=64)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = _utc(nullable=False)


def issue_unit_token(session: Session, *, unit: str) -> str:
    """Issue (or rotate) a unit's token; the old one stops working. The caller commits."""
    check_unit_id(unit)
    token = UNIT_TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = session.get(UnitToken, unit) or UnitToken(
        unit=unit, token_hash="", created_at=datetime.now(UTC)
    )
    row.token_hash = hashlib.sha256(token.encode()).hexdigest()
    row.created_at = datetime.now(UTC)
    session.add(row)
    return token


def unit_for_token(session: Session, token: str) -> str | None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    table = UnitToken.__table__  # type: ignore[attr-defined]
    found = session.execute(
        select(table.c.unit).where(table.c.token_hash == digest)
    ).scalar_one_or_none()
    return str(found) if found is not None else None
