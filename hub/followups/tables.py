"""The follow-up of a bad rating and its steps. The follow-up row is opened by the case
projection (hub.followups.hook) exactly once per case; its steps are appended by people."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from hub.models import _utc


class FollowupStatus(StrEnum):
    OPEN = "open"
    VERIFIED = "verified"  # 核实: what happened, found out
    RECTIFIED = "rectified"  # 整改: what was put right
    REVISITED = "revisited"  # 回访: the resident asked again
    CLOSED = "closed"  # with its result


class FollowupStep(StrEnum):
    VERIFY = "verify"
    RECTIFY = "rectify"
    REVISIT = "revisit"
    CLOSE = "close"
    ASSIGN = "assign"  # hand it to another owner; no change of status


STATUS_LABELS: dict[FollowupStatus, str] = {
    FollowupStatus.OPEN: "待核实",
    FollowupStatus.VERIFIED: "已核实",
    FollowupStatus.RECTIFIED: "已整改",
    FollowupStatus.REVISITED: "已回访",
    FollowupStatus.CLOSED: "已办结",
}
STEP_LABELS: dict[FollowupStep, str] = {
    FollowupStep.VERIFY: "核实",
    FollowupStep.RECTIFY: "整改",
    FollowupStep.REVISIT: "回访",
    FollowupStep.CLOSE: "办结",
    FollowupStep.ASSIGN: "转办",
}


class RatingFollowup(SQLModel, table=True):
    __tablename__ = "rating_followup"
    __table_args__ = (Index("rating_followup_status_due", "status", "due"),)

    id: uuid.UUID = Field(primary_key=True)
    case_id: uuid.UUID = Field(unique=True)  # one follow-up per case, like one rating per case
    unit: str = Field(max_length=64)  # the village window where the case was rated
    rating: int
    reason: str | None = Field(default=None, max_length=200)  # the reason the resident chose
    opened_at: datetime = _utc(nullable=False)  # when the rating was given
    # None: the village's town office (its division, from the village registry)
    owner: str | None = Field(default=None, max_length=64)
    due: date  # working days after the rating (HubSettings.followup_days)
    status: str = Field(max_length=16)
    result: str | None = Field(default=None, max_length=500)
    closed_at: datetime | None = _utc(nullable=True)
    updated_at: datetime = _utc(nullable=False)


class RatingFollowupStep(SQLModel, table=True):
    __tablename__ = "rating_followup_step"
    __table_args__ = (Index("rating_followup_step_followup", "followup_id", "at"),)

    id: uuid.UUID = Field(primary_key=True)  # also the idempotency key a client may give
    followup_id: uuid.UUID
    at: datetime = _utc(nullable=False)
    step: str = Field(max_length=16)
    actor: str = Field(max_length=64)
    note: str = Field(max_length=500)
    owner: str | None = Field(default=None, max_length=64)  # for assign


FOLLOWUPS = RatingFollowup.__table__  # type: ignore[attr-defined]
STEPS = RatingFollowupStep.__table__  # type: ignore[attr-defined]
