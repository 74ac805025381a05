"""The audit log: who changed configuration or rollouts, when, and what. Written in the same
transaction as the change it records, so there is no change without its entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Connection, insert, select
from sqlmodel import Field, Session, SQLModel

from hub.accounts.roles import Actor
from hub.models import _utc


class AuditEntryBase(SQLModel):
    actor: str = Field(max_length=64)
    role: str = Field(max_length=16)
    action: str = Field(max_length=64, index=True)
    target: str = Field(max_length=128)


class AuditEntry(AuditEntryBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _utc(nullable=False)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class AuditEntryPublic(AuditEntryBase):
    id: int
    at: datetime
    detail: dict[str, Any]


AUDIT = AuditEntry.__table__  # type: ignore[attr-defined]


def record(
    db: Session | Connection,
    *,
    actor: Actor,
    action: str,
    target: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an entry naming ``actor`` (hub.accounts.roles.SYSTEM for the hub's own actions);
    the caller commits it together with the change."""
    db.execute(
        insert(AUDIT).values(
            at=datetime.now(UTC),
            actor=actor.name[:64],
            role=actor.role.value[:16],
            action=action[:64],
            target=target[:128],
            detail=detail or {},
        )
    )


@dataclass(frozen=True)
class AuditQuery:
    """What an auditor looks for: exact actor, an action or its family (``account.`` ends
    with a dot), a target prefix, and a time range [since, until)."""

    actor: str | None = None
    action: str | None = None
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def search(
    db: Session | Connection, query: AuditQuery, *, limit: int = 50, offset: int = 0
) -> list[AuditEntryPublic]:
    """Entries matching ``query``, newest first."""
    stmt = select(AUDIT).order_by(AUDIT.c.id.desc()).limit(limit).offset(offset)
    if query.actor is not None:
        stmt = stmt.where(AUDIT.c.actor == query.actor)
    if query.action is not None:
        if query.action.endswith("."):
            stmt = stmt.where(AUDIT.c.action.startswith(query.action, autoescape=True))
        else:
            stmt = stmt.where(AUDIT.c.action == query.action)
    if query.target is not None:
        stmt = stmt.where(AUDIT.c.target.startswith(query.target, autoescape=True))
    if query.since is not None:
        stmt = stmt.where(AUDIT.c.at >= query.since)
    if query.until is not None:
        stmt = stmt.where(AUDIT.c.at < query.until)
    return [AuditEntryPublic.model_validate(dict(r._mapping)) for r in db.execute(stmt)]


def recent(
    session: Session, *, limit: int = 100, action: str | None = None
) -> list[AuditEntryPublic]:
    return search(session, AuditQuery(action=action), limit=limit)
