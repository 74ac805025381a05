"""Feedback rows: one per note, whichever way it came."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from hub.models import _utc
from protocol.feedback import MAX_CASE_REF, MAX_FEEDBACK_TEXT


class Feedback(SQLModel, table=True):
    __tablename__ = "feedback"
    __table_args__ = (
        Index("feedback_received", "received_at"),
        Index("feedback_unit", "unit", "received_at"),
    )

    id: uuid.UUID = Field(primary_key=True)  # a kiosk note's event id, so stored once
    source: str = Field(max_length=16)  # protocol.feedback.FeedbackSource
    unit: str | None = Field(default=None, max_length=64)  # the village the note is about
    at: datetime = _utc(nullable=False)  # when it was left (the unit's clock for the kiosk)
    received_at: datetime = _utc(nullable=False)
    topic: str = Field(max_length=16)
    text: str = Field(default="", max_length=MAX_FEEDBACK_TEXT)
    case_ref: str | None = Field(default=None, max_length=MAX_CASE_REF)
    case_id: uuid.UUID | None = None  # known for notes from a case's status page
    handled_at: datetime | None = _utc(nullable=True)
    handled_by: str | None = Field(default=None, max_length=64)
    reply: str | None = Field(default=None, max_length=500)


FEEDBACK = Feedback.__table__  # type: ignore[attr-defined]
