"""Storing, listing and answering feedback.

Notes from kiosks arrive as `feedback.note` events: the ingest stores the event (its id is
the key, so a resent note is stored once) and, in the same transaction, its feedback row
(``from_events``). Notes from a case's status page are stored directly (``add``)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, StringConstraints, ValidationError
from sqlalchemy import ColumnElement, Connection, func, select, update

from hub import audit
from hub.accounts.roles import Actor
from hub.errors import InvalidTransition, NotFound
from hub.feedback.tables import FEEDBACK
from hub.sql import insert_for
from protocol.bounds import TEXT_PATTERN
from protocol.calendar import CHINA
from protocol.feedback import FEEDBACK_TOPIC_LABELS, FeedbackSource, FeedbackTopic
from protocol.ids import uuid7
from protocol.messages import FeedbackNote

log = logging.getLogger("bianmin.hub.feedback")
KIND = "feedback.note"


class FeedbackPublic(BaseModel):
    id: uuid.UUID
    source: str
    unit: str | None
    at: datetime
    received_at: datetime
    topic: str
    topic_label: str
    text: str
    case_ref: str | None
    case_id: uuid.UUID | None
    handled_at: datetime | None
    handled_by: str | None
    reply: str | None


class FeedbackPage(BaseModel):
    total: int
    unhandled: int
    feedback: list[FeedbackPublic]


class Reply(BaseModel):
    reply: Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=TEXT_PATTERN)]


def from_events(conn: Connection, events: Iterable[Any], received_at: datetime) -> None:
    """Feedback rows for newly stored `feedback.note` events (hub.ingest.sql.EventRow), in
    the ingest's transaction. The body was validated on the way in."""
    rows = []
    for e in events:
        try:
            note = FeedbackNote.model_validate_json(e.body_json)
        except ValidationError:  # cannot happen for a validated event; never fail the batch
            log.exception("feedback event %s cannot be read", e.id)
            continue
        rows.append(
            {
                "id": e.id, "source": FeedbackSource.KIOSK.value, "unit": e.unit, "at": e.ts,
                "received_at": received_at, "topic": note.topic.value, "text": note.text,
                "case_ref": note.case_ref, "case_id": None,
            }
        )  # fmt: skip
    if rows:
        conn.execute(insert_for(conn, FEEDBACK).on_conflict_do_nothing(index_elements=["id"]), rows)


def add(
    conn: Connection,
    *,
    source: FeedbackSource,
    topic: FeedbackTopic,
    text: str,
    unit: str | None,
    case_ref: str | None,
    case_id: uuid.UUID | None,
    now: datetime,
) -> uuid.UUID:
    fid = uuid7()
    conn.execute(
        FEEDBACK.insert().values(
            id=fid, source=source.value, unit=unit, at=now, received_at=now, topic=topic.value,
            text=text, case_ref=case_ref, case_id=case_id,
        )
    )  # fmt: skip
    return fid


def _public(row: Any) -> FeedbackPublic:
    fields = dict(row._mapping)
    try:
        label = FEEDBACK_TOPIC_LABELS[FeedbackTopic(row.topic)]
    except ValueError:
        label = row.topic
    return FeedbackPublic(**fields, topic_label=label)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), CHINA)


def list_feedback(
    conn: Connection,
    *,
    source: FeedbackSource | None = None,
    topic: FeedbackTopic | None = None,
    unit: str | None = None,
    units: Iterable[str] | None = None,
    handled: bool | None = None,
    received_from: date | None = None,
    received_to: date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> FeedbackPage:
    c = FEEDBACK.c
    where: list[ColumnElement[bool]] = []
    if source is not None:
        where.append(c.source == source.value)
    if topic is not None:
        where.append(c.topic == topic.value)
    if unit is not None:
        where.append(c.unit == unit)
    if units is not None:
        where.append(c.unit.in_(list(units)))
    if handled is not None:
        where.append(c.handled_at.is_not(None) if handled else c.handled_at.is_(None))
    if received_from is not None:
        where.append(c.received_at >= _day_start(received_from))
    if received_to is not None:
        where.append(c.received_at < _day_start(received_to + timedelta(1)))
    total, unhandled = conn.execute(
        select(func.count(), func.count().filter(c.handled_at.is_(None))).where(*where)
    ).one()
    rows = conn.execute(
        select(FEEDBACK).where(*where).order_by(c.received_at.desc(), c.id).limit(limit)
        .offset(offset)
    )  # fmt: skip
    return FeedbackPage(total=total, unhandled=unhandled, feedback=[_public(r) for r in rows])


def get_feedback(conn: Connection, feedback_id: uuid.UUID) -> FeedbackPublic:
    row = conn.execute(select(FEEDBACK).where(FEEDBACK.c.id == feedback_id)).first()
    if row is None:
        raise NotFound(f"no feedback {feedback_id}")
    return _public(row)


def handle(conn: Connection, feedback_id: uuid.UUID, reply: str, actor: Actor) -> None:
    """Mark a note handled with the reply, once; audited."""
    get_feedback(conn, feedback_id)
    changed = conn.execute(
        update(FEEDBACK)
        .where(FEEDBACK.c.id == feedback_id, FEEDBACK.c.handled_at.is_(None))
        .values(handled_at=datetime.now(UTC), handled_by=actor.name[:64], reply=reply)
    ).rowcount
    if not changed:
        raise InvalidTransition(f"feedback {feedback_id} was handled already")
    audit.record(
        conn, actor=actor, action="feedback.handle", target=f"feedback/{feedback_id}",
        detail={"reply": reply},
    )  # fmt: skip
