"""The follow-up API: auditors list and read (a follow-up names a case and a resident's
reason), operators record the steps (each audited with its actor). A town's or village's
account reaches its own units' follow-ups only; another is answered as not found."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from hub.accounts.area import covers, units_in
from hub.accounts.auth import Auditor, Operator
from hub.accounts.roles import Actor
from hub.cases.api import today
from hub.cases.query import UnitId
from hub.errors import NotFound
from hub.followups.service import (
    FollowupDetail,
    FollowupPage,
    Owners,
    StepRequest,
    act,
    get_followup,
    list_followups,
)
from hub.followups.tables import FOLLOWUPS, FollowupStatus, FollowupStep

router = APIRouter(prefix="/api/followups")


def _owners(request: Request) -> Owners:
    return Owners(request.app.state.registry)


def _check_reach(conn: Any, actor: Actor, request: Request, followup_id: uuid.UUID) -> None:
    row = conn.execute(select(FOLLOWUPS.c.unit).where(FOLLOWUPS.c.id == followup_id)).first()
    if row is not None and not covers(actor.area, request.app.state.registry, row.unit):
        raise NotFound(f"no follow-up {followup_id}")


@router.get("")
def followups(
    actor: Auditor,
    request: Request,
    status: FollowupStatus | None = None,
    overdue: bool | None = None,
    owner: Annotated[str | None, Query(max_length=64)] = None,
    village: Annotated[UnitId | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> FollowupPage:
    """Follow-ups of bad ratings, the ones due first; ``overdue=true`` lists those past their
    deadline and not closed."""
    with request.app.state.engine.connect() as conn:
        return list_followups(
            conn, _owners(request), today(request), status=status, overdue=overdue,
            owner=owner, village=village, limit=limit, offset=offset,
            area_units=_units(actor, request),
        )  # fmt: skip


def _units(actor: Actor, request: Request) -> tuple[str, ...] | None:
    units = units_in(actor.area, request.app.state.registry)
    return None if units is None else tuple(sorted(units))


@router.get("/{followup_id}")
def followup(followup_id: uuid.UUID, actor: Auditor, request: Request) -> FollowupDetail:
    with request.app.state.engine.connect() as conn:
        _check_reach(conn, actor, request, followup_id)
        return get_followup(conn, followup_id, _owners(request), today(request))


@router.post("/{followup_id}/{step}")
def followup_step(
    followup_id: uuid.UUID, step: FollowupStep, body: StepRequest, actor: Operator,
    request: Request,
) -> FollowupDetail:  # fmt: skip
    """核实 (verify), 整改 (rectify), 回访 (revisit), 办结 (close, the note is the result) or 转办
    (assign, with ``owner``); a retry with the same ``id`` records the step once."""
    engine = request.app.state.engine
    with engine.begin() as conn:
        _check_reach(conn, actor, request, followup_id)
        act(conn, followup_id, step, body, actor)
    with engine.connect() as conn:
        return get_followup(conn, followup_id, _owners(request), today(request))
