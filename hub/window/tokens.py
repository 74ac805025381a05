"""Units' API tokens (``bmu_...``): what a unit presents to the hub's unit routes (the data
registry). They grant nothing else, and name the unit the audit log records."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from sqlalchemy import select
from sqlmodel import Field, Session, SQLModel

from hub.commands.tables import REVOCATIONS
from hub.errors import Conflict
from hub.models import _utc
from protocol.topics import check_unit_id

UNIT_TOKEN_PREFIX = "bmu_"


class UnitToken(SQLModel, table=True):
    """One API token per unit, stored as a SHA-256 (a random 256-bit token needs no KDF)."""

    unit: str = Field(primary_key=True, max_length=64)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = _utc(nullable=False)


class UnitRevoked(Conflict):
    code = "unit_revoked"


def _refuse_revoked(session: Session, units: Iterable[str]) -> None:
    """A revoked unit is refused for good (hub.commands.revocation): no token opens it again."""
    wanted = sorted(set(units))
    if not wanted:
        return
    found = session.execute(
        select(REVOCATIONS.c.unit).where(REVOCATIONS.c.unit.in_(wanted))
    ).scalars()
    revoked = sorted(found)
    if revoked:
        raise UnitRevoked(
            f"unit {revoked[0]!r} is revoked on this hub: it gets no API token again "
            "(provision a new unit under a new id)"
        )


def issue_unit_token(session: Session, *, unit: str) -> str:
    """Issue (or rotate) a unit's token; the old one stops working. The caller commits.
    Raises UnitRevoked for a revoked unit."""
    check_unit_id(unit)
    _refuse_revoked(session, [unit])
    token = UNIT_TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = session.get(UnitToken, unit) or UnitToken(
        unit=unit, token_hash="", created_at=datetime.now(UTC)
    )
    row.token_hash = hashlib.sha256(token.encode()).hexdigest()
    row.created_at = datetime.now(UTC)
    session.add(row)
    return token


_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def import_unit_token_hashes(
    session: Session, *, hashes: Mapping[str, str], revoked: Iterable[str]
) -> tuple[int, int]:
    """Take the units' token hashes from provisioning's identity store (the tokens themselves
    are only there and on the units) and delete the tokens of revoked units. Returns (set,
    deleted); the caller commits. Nothing is changed if any entry is malformed, or names a unit
    revoked on the hub (UnitRevoked)."""
    checked = {}
    for unit, digest in hashes.items():
        check_unit_id(unit)
        if not isinstance(digest, str) or not _SHA256_HEX.match(digest):
            raise ValueError(f"unit {unit!r}: a token hash is 64 lower-case hex digits")
        checked[unit] = digest
    gone = [check_unit_id(u) for u in revoked]
    _refuse_revoked(session, checked)
    now = datetime.now(UTC)
    for unit, digest in checked.items():
        row = session.get(UnitToken, unit) or UnitToken(unit=unit, token_hash="", created_at=now)
        if row.token_hash != digest:
            row.token_hash = digest
            row.created_at = now
            session.add(row)
    deleted = 0
    for unit in gone:
        old = session.get(UnitToken, unit)
        if old is not None:
            session.delete(old)
            deleted += 1
    return len(checked), deleted


def unit_for_token(session: Session, token: str) -> str | None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    table = UnitToken.__table__  # type: ignore[attr-defined]
    found = session.execute(
        select(table.c.unit).where(table.c.token_hash == digest)
    ).scalar_one_or_none()
    return str(found) if found is not None else None
