"""The notice outbox: every signed case notice the hub owes a unit, kept until the unit answers
on `cmd/result` that it stored it (or refused it)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from hub.models import _utc


class NoticeStatus(StrEnum):
    PENDING = "pending"  # not answered yet: published again until it is
    DELIVERED = "delivered"  # the unit stored it (CommandResult ok)
    REFUSED = "refused"  # the unit refused it (CommandResult not ok): not sent again


class CaseNoticeRow(SQLModel, table=True):
    """One notice for one unit. ``document`` is the signed JSON exactly as published: every
    republication sends the same bytes, so a unit receiving it twice stores it once."""

    __tablename__ = "notice_outbox"
    __table_args__ = (
        Index("notice_outbox_due", "status", "next_at"),
        Index("notice_outbox_unit", "unit", "status"),
        Index("notice_outbox_case", "case_id"),
    )

    id: uuid.UUID = Field(primary_key=True)  # the notice's id, as signed
    unit: str = Field(max_length=64)
    case_id: uuid.UUID
    action_id: uuid.UUID = Field(unique=True)  # the back-office step it tells of (one notice)
    step: str = Field(max_length=16)  # protocol.notice.NoticeStep
    document: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    status: str = Field(default=NoticeStatus.PENDING.value, max_length=16)
    created_at: datetime = _utc(nullable=False)
    # when a sender may publish it (again): now for a new notice; later after each attempt
    next_at: datetime = _utc(nullable=False)
    sent_at: datetime | None = _utc(nullable=True)  # the last publication
    attempts: int = 0
    answered_at: datetime | None = _utc(nullable=True)  # the hub's time of the unit's answer
    detail: str | None = Field(default=None, max_length=500)  # a refusal's reason


NOTICES: Any = CaseNoticeRow.__table__  # type: ignore[attr-defined]
