"""The case tables: the record (a projection, rebuilt from events and actions at will), the
hub-side actions (the only case facts the hub itself is the source of), and the queue of cases
whose events changed since they were last projected."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from hub.models import UtcDateTime


def _utc(**kw: Any) -> Any:
    return Field(sa_column=Column(UtcDateTime(), **kw))


class CaseRecord(SQLModel, table=True):
    """A case as the county sees it. Every column is a function of the case's events and
    actions (hub.cases.fold): never written any other way, so `hub cases rebuild` is exact."""

    __tablename__ = "case_record"
    __table_args__ = (
        Index("case_record_unit_opened", "unit", "opened_at"),
        Index("case_record_opened", "opened_at"),  # the county's indicators over a period
        Index("case_record_status", "status"),
        Index("case_record_applicant", "applicant_ref"),
        Index("case_record_token", "status_token_sha256"),
    )

    case_id: uuid.UUID = Field(primary_key=True)
    case_ref: str | None = Field(default=None, max_length=64)
    unit: str = Field(max_length=64)  # the window that opened it (its village)
    opened_at: datetime = _utc(nullable=False)
    updated_at: datetime = _utc(nullable=False)  # the latest event or action
    matter_code: str | None = Field(default=None, max_length=32)
    approval: str | None = Field(default=None, max_length=16)  # window, town, department
    instant: bool = False
    id_method: str | None = Field(default=None, max_length=16)
    applicant_ref: str | None = Field(default=None, max_length=32)  # keyed hash, never the ID
    id_masked: str | None = Field(default=None, max_length=32)
    clerk: str | None = Field(default=None, max_length=32)
    agent: str | None = Field(default=None, max_length=32)  # 代办员 who filed it, if any
    window_state: str = Field(max_length=64)  # the last state at the window
    status: str = Field(max_length=32)  # hub.cases.fold.Status
    outcome: str | None = Field(default=None, max_length=32)
    accepted_on: date | None = None
    legal_due: date | None = None
    promised_due: date | None = None
    supply_by: date | None = None  # 容缺: owed materials due
    deficiency: str = Field(default="none", max_length=16)  # hub.cases.fold.Deficiency
    given: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    waived: list[list[str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    owed: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    missing: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    supplied_at: datetime | None = _utc(nullable=True)
    forwarded_to: str | None = Field(default=None, max_length=16)
    ended_at: datetime | None = _utc(nullable=True)  # 办结, 不予受理, cancelled or withdrawn
    result: str | None = Field(default=None, max_length=500)
    rating: int | None = None
    rating_label: str | None = Field(default=None, max_length=16)
    rating_reason: str | None = Field(default=None, max_length=200)
    rated_at: datetime | None = _utc(nullable=True)
    # handed in at the window (not waived, not an original shown, not made at the window);
    # None when the unit did not say (hub.indicators measures the material reduction with it)
    materials_received: int | None = None
    # the procedure's steps so far (hub.cases.fold.steps_taken); None only on a record
    # projected before the column existed (migration 0010 queues those to be projected again)
    steps_taken: int | None = None
    signature_sha256: str | None = Field(default=None, max_length=64)
    status_token_sha256: str | None = Field(default=None, max_length=64)
    # state or action -> when it first happened (ISO 8601), for the timeline's summary
    times: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    events: int = 0
    actions: int = 0


class CaseAction(SQLModel, table=True):
    """A step recorded on the hub: a back office's 受理 / 补正 / 办结 / 不予受理, a 容缺 case's
    lapse or withdrawal, a paper handover. Appended, never changed."""

    __tablename__ = "case_action"
    __table_args__ = (Index("case_action_case", "case_id", "at"),)

    id: uuid.UUID = Field(primary_key=True)  # also the idempotency key a client may give
    case_id: uuid.UUID
    at: datetime = _utc(nullable=False)
    kind: str = Field(max_length=32)
    actor: str = Field(max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class CasePending(SQLModel, table=True):
    """Cases whose events arrived since they were projected. Ingest bumps `gen` in the same
    transaction as the events; the projector deletes a row only at the generation it read,
    so an event committed while a case was being projected is never skipped."""

    __tablename__ = "case_pending"

    case_id: uuid.UUID = Field(primary_key=True)
    gen: int = Field(default=0, sa_type=BigInteger)
