"""Hub tables and API shapes, in families per entity (Base, table, Public)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    LargeBinary,
    TypeDecorator,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone; PostgreSQL does)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; give a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc(**kw: Any) -> Any:
    return Field(sa_column=Column(UtcDateTime(), **kw))


# -- units ----------------------------------------------------------------------------------


class UnitBase(SQLModel):
    id: str = Field(primary_key=True, max_length=64)
    name: str | None = Field(default=None, max_length=64)
    division: str | None = Field(default=None, max_length=32)


class Unit(UnitBase, table=True):
    # ingest looks up the few drifting units on every batch
    __table_args__ = (
        Index(
            "unit_clock_drift",
            "id",
            sqlite_where=text("clock_drift"),
            postgresql_where=text("clock_drift"),
        ),
    )

    first_seen: datetime | None = _utc(nullable=True)
    last_seen: datetime | None = _utc(nullable=True)
    online: bool = False
    # 64-bit on PostgreSQL too (its INTEGER is 32-bit): the protocol allows up to 2^63-1
    events: int = Field(default=0, sa_type=BigInteger)
    cases: int = Field(default=0, sa_type=BigInteger)
    last_seq: int = Field(default=0, sa_type=BigInteger)
    health: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    health_at: datetime | None = _utc(nullable=True)
    config_version: int | None = Field(default=None, sa_type=BigInteger)
    # The unit's clock minus the hub's, from its last heartbeat (a Pi has no real-time
    # clock), and whether that was beyond HubSettings.clock_drift_threshold_s.
    clock_offset_s: float | None = None
    # a server default: ingest creates units in plain SQL that does not name this column
    clock_drift: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class UnitPublic(UnitBase):
    first_seen: datetime | None
    last_seen: datetime | None
    online: bool
    stale: bool
    events: int
    cases: int
    last_seq: int
    outbox_depth: int | None
    outbox_alarm: bool
    config_version: int | None
    clock_offset_s: float | None = None  # the unit's clock minus the hub's, last heartbeat
    clock_drift: bool = False  # beyond the hub's clock_drift_threshold_s
    paper: str | None = None  # the printer's paper from the last heartbeat: ok, near_end, out
    device_problems: list[str] = []  # e.g. 打印机缺纸, 签字板未连接


class UnitDetail(UnitPublic):
    health: dict[str, Any] | None
    health_at: datetime | None


# -- events ---------------------------------------------------------------------------------


class Event(SQLModel, table=True):
    """One event from a unit, stored once whatever how often it was delivered (id = key)."""

    __table_args__ = (Index("event_unit_seq", "unit", "seq"),)

    id: uuid.UUID = Field(primary_key=True)
    unit: str = Field(max_length=64)
    seq: int = Field(sa_type=BigInteger)
    ts: datetime = _utc(nullable=False)
    kind: str = Field(max_length=32)
    case_id: uuid.UUID | None = Field(default=None, index=True)
    state: str | None = Field(default=None, max_length=64)
    matter_code: str | None = Field(default=None, max_length=32)
    body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # ts is the unit's clock, received_at the hub's, side by side. When the unit's clock was
    # off by more than the drift threshold as this event arrived, by how much (unit minus
    # hub, seconds); None when it looked right. Reports can correct ts by it.
    received_at: datetime = _utc(nullable=False)
    clock_offset_s: float | None = None


class EventRef(SQLModel):
    id: uuid.UUID
    seq: int


# -- dead letters ---------------------------------------------------------------------------


class DeadLetter(SQLModel, table=True):
    """A message the hub could not accept: why, how big, its SHA-256 and the first bytes
    (hub.ingest.deadletter bounds each field). Kept for a while and up to a quota
    (hub.fleet.retention); read by auditors only, as it may hold personal data."""

    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = _utc(nullable=False, index=True)
    topic: str = Field(max_length=512)
    unit: str | None = Field(default=None, max_length=64)
    reason_code: str = Field(max_length=32)
    reason: str = Field(max_length=1000)
    size: int
    payload_sha256: str = Field(max_length=64)
    payload_prefix: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class DeadLetterPublic(SQLModel):
    id: int
    received_at: datetime
    topic: str
    unit: str | None
    reason_code: str
    reason: str
    size: int  # of the whole payload
    payload_sha256: str  # of the whole payload
    payload_preview: str  # its first bytes as text (hub.ingest.deadletter.preview)
