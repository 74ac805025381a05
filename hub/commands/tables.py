"""The commands the hub has issued to units, with their outcome, and the revoked units."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from hub.models import _utc


class CommandState(StrEnum):
    PENDING = "pending"  # issued, not published yet
    SENT = "sent"  # published, not answered yet: published again until it is, or expires
    OK = "ok"  # the unit did it
    FAILED = "failed"  # the unit refused it or it failed there (the detail says why)
    EXPIRED = "expired"  # no answer before expires_at


OPEN_STATES = (CommandState.PENDING.value, CommandState.SENT.value)


class UnitCommandRow(SQLModel, table=True):
    """One command to one unit. ``document`` is the signed JSON as published (the same bytes
    every time); it may hold a secret argument (a new broker password), so it is cleared as
    soon as the command is answered or expires, and ``args`` keeps only the public ones."""

    __tablename__ = "unit_command"
    __table_args__ = (
        Index("unit_command_due", "state", "next_at"),
        Index("unit_command_unit", "unit", "issued_at"),
    )

    id: uuid.UUID = Field(primary_key=True)
    unit: str = Field(max_length=64)
    name: str = Field(max_length=32)
    args: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    issued_by: str = Field(max_length=64)
    issued_at: datetime = _utc(nullable=False)
    expires_at: datetime = _utc(nullable=False)
    state: str = Field(default=CommandState.PENDING.value, max_length=16)
    detail: str | None = Field(default=None, max_length=2000)
    data: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    answered_at: datetime | None = _utc(nullable=True)
    document: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    next_at: datetime = _utc(nullable=False)
    sent_at: datetime | None = _utc(nullable=True)
    attempts: int = 0


class UnitRevocation(SQLModel, table=True):
    """A revoked unit: its token is gone, and whatever still arrives under its id is a dead
    letter (reason ``revoked``)."""

    __tablename__ = "unit_revocation"

    unit: str = Field(primary_key=True, max_length=64)
    revoked_at: datetime = _utc(nullable=False)
    revoked_by: str = Field(max_length=64)


COMMANDS: Any = UnitCommandRow.__table__  # type: ignore[attr-defined]
REVOCATIONS: Any = UnitRevocation.__table__  # type: ignore[attr-defined]
