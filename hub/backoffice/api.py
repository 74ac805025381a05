"""The back office's API: its queue, one case, and the steps it records on a forwarded case
(受理, 补正, 补正材料收到, 办结, 不予受理, 代办材料交接). Routes stay thin: hub.backoffice.steps
holds the rules, hub.backoffice.reach who reaches which case."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from hub.backoffice.queue import MAX_QUEUE_PAGE, BackOfficeCase, QueuePage, one_case, queue
from hub.backoffice.reach import Reach, Reader, Writer
from hub.backoffice.steps import (
    Complete,
    Correction,
    Handover,
    Receive,
    Reject,
    Resubmitted,
    take_step,
)
from hub.calendar import current_calendar
from hub.cases.api import today
from hub.cases.views import CaseSummary, Names, summary

router = APIRouter(prefix="/api")


class StepDone(BaseModel):
    new: bool  # False: this action id was recorded before (a retry), nothing changed
    case: CaseSummary


def _state(request: Request) -> tuple[Any, Any]:
    return request.app.state.registry, request.app.state.catalogs.current


@router.get("/backoffice/queue")
def backoffice_queue(
    reach: Reader,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_QUEUE_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> QueuePage:
    """The cases of this office's scope waiting for it (forwarded, received, correction),
    oldest first, with their remaining working days."""
    registry, catalog = _state(request)
    with request.app.state.engine.connect() as conn:
        return queue(
            conn, reach, registry, catalog, current_calendar(conn), today(request),
            limit=limit, offset=offset,
        )  # fmt: skip


@router.get("/backoffice/cases/{case_id}")
def backoffice_case(case_id: uuid.UUID, reach: Reader, request: Request) -> BackOfficeCase:
    registry, catalog = _state(request)
    with request.app.state.engine.connect() as conn:
        return one_case(
            conn, case_id, reach, registry, catalog, current_calendar(conn), today(request)
        )


def _step(request: Request, name: str, case_id: uuid.UUID, body: Any, reach: Reach) -> StepDone:
    registry, catalog = _state(request)
    with request.app.state.engine.begin() as conn:
        record, new = take_step(
            conn, name, body, case_id=case_id, reach=reach, key=request.app.state.keys,
            registry=registry, catalog=catalog,
        )  # fmt: skip
        cal = current_calendar(conn)
    notices = request.app.state.notices
    if new and notices is not None:
        notices.wake()  # committed: publish the notice now
    return StepDone(
        new=new, case=CaseSummary(**summary(record, Names(registry, catalog), cal, today(request)))
    )


@router.post("/cases/{case_id}/receive")
def receive(case_id: uuid.UUID, body: Receive, reach: Writer, request: Request) -> StepDone:
    """受理: the office has the case."""
    return _step(request, "receive", case_id, body, reach)


@router.post("/cases/{case_id}/correction")
def correction(case_id: uuid.UUID, body: Correction, reach: Writer, request: Request) -> StepDone:
    """补正: the office asks the applicant for what is listed; the unit gets a 补正通知."""
    return _step(request, "correction", case_id, body, reach)


@router.post("/cases/{case_id}/resubmitted")
def resubmitted(case_id: uuid.UUID, body: Resubmitted, reach: Writer, request: Request) -> StepDone:
    """The 补正 materials arrived: the case is back with the office."""
    return _step(request, "resubmitted", case_id, body, reach)


@router.post("/cases/{case_id}/complete")
def complete(case_id: uuid.UUID, body: Complete, reach: Writer, request: Request) -> StepDone:
    """办结, with the result; the unit gets a 办结通知."""
    return _step(request, "complete", case_id, body, reach)


@router.post("/cases/{case_id}/reject")
def reject(case_id: uuid.UUID, body: Reject, reach: Writer, request: Request) -> StepDone:
    """不予受理, with the reason; the unit gets a 不予受理通知."""
    return _step(request, "reject", case_id, body, reach)


@router.post("/cases/{case_id}/handover")
def handover(case_id: uuid.UUID, body: Handover, reach: Writer, request: Request) -> StepDone:
    """代办: an agent handed the case's paper materials over, both signatures drawn on the
    page; the hub keeps each signature's SHA-256 and stroke count, never the drawing."""
    return _step(request, "handover", case_id, body, reach)
