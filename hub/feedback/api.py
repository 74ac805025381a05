"""The feedback API: auditors list (a resident may have typed anything into the text), with
filters; operators mark a note handled with a reply (audited). A town's or village's account
reaches its own units' notes only (a note from the county's site has no unit: county only)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request

from hub.accounts.area import covers, within
from hub.accounts.auth import Auditor, Operator
from hub.cases.query import UnitId
from hub.errors import NotFound, UnknownTarget
from hub.feedback.service import (
    FeedbackPage,
    FeedbackPublic,
    Reply,
    get_feedback,
    handle,
    list_feedback,
)
from protocol.feedback import FeedbackSource, FeedbackTopic
from protocol.villages import RegistryLookupError

router = APIRouter(prefix="/api/feedback")


@router.get("")
def feedback(
    actor: Auditor,
    request: Request,
    source: FeedbackSource | None = None,
    topic: FeedbackTopic | None = None,
    village: Annotated[UnitId | None, Query()] = None,
    town: Annotated[str | None, Query(max_length=64, description="division code")] = None,
    handled: bool | None = None,
    received_from: Annotated[date | None, Query(alias="from")] = None,
    received_to: Annotated[date | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> FeedbackPage:
    units = None
    if town is not None:
        try:
            units = [v.unit_id for v in request.app.state.registry.in_division(town)]
        except RegistryLookupError:
            raise UnknownTarget(f"no town or subdistrict {town!r}") from None
    registry = request.app.state.registry
    if not actor.area.county:
        units = list(within(actor.area, registry, tuple(units) if units else None) or ())
    with request.app.state.engine.connect() as conn:
        return list_feedback(
            conn, source=source, topic=topic, unit=village, units=units, handled=handled,
            received_from=received_from, received_to=received_to, limit=limit, offset=offset,
        )  # fmt: skip


@router.post("/{feedback_id}/handle")
def handle_feedback(
    feedback_id: uuid.UUID, body: Reply, actor: Operator, request: Request
) -> FeedbackPublic:
    engine = request.app.state.engine
    with engine.begin() as conn:
        if not covers(actor.area, request.app.state.registry, get_feedback(conn, feedback_id).unit):
            raise NotFound(f"no feedback {feedback_id}")
        handle(conn, feedback_id, body.reply, actor)
    with engine.connect() as conn:
        return get_feedback(conn, feedback_id)
