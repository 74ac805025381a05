"""Routes for blacklist proposals and the blacklist's delivery: auditors read, operators
confirm or reject (each audited)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from hub.accounts.area import covers, units_in
from hub.accounts.auth import Auditor, Operator
from hub.accounts.roles import Actor
from hub.deps import SessionDep
from hub.errors import NotFound
from hub.window.blacklist_sync import BlacklistDeliveryPublic, delivery_state
from hub.window.proposals import (
    Decision,
    ProposalPublic,
    ProposalState,
    decide,
    get_proposal,
    list_proposals,
)

router = APIRouter(prefix="/api/blacklist")


class ProposalPage(BaseModel):
    total: int
    proposals: list[ProposalPublic]


def _wake_timers(request: Request) -> None:
    timers = getattr(request.app.state, "timers", None)
    if timers is not None:
        timers.wake()


def _in_area(session: SessionDep, proposal_id: uuid.UUID, actor: Actor, request: Request) -> None:
    """A proposal from a case outside the actor's area is answered as missing."""
    found = get_proposal(session, proposal_id)
    if not covers(actor.area, request.app.state.registry, found.unit):
        raise NotFound(f"no blacklist proposal {proposal_id}")


@router.get("/proposals")
def proposals(
    actor: Auditor,
    session: SessionDep,
    request: Request,
    state: ProposalState | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> ProposalPage:
    units = units_in(actor.area, request.app.state.registry)
    total, found = list_proposals(session, state=state, units=units, limit=limit, offset=offset)
    return ProposalPage(total=total, proposals=found)


@router.post("/proposals/{proposal_id}/confirm")
def confirm(
    proposal_id: uuid.UUID, body: Decision, actor: Operator, session: SessionDep, request: Request
) -> ProposalPublic:
    """List the applicant (the blacklist then reaches every unit by itself)."""
    _in_area(session, proposal_id, actor, request)
    decided = decide(session, proposal_id=proposal_id, confirm=True, actor=actor, note=body.note)
    _wake_timers(request)
    return decided


@router.post("/proposals/{proposal_id}/reject")
def reject(
    proposal_id: uuid.UUID, body: Decision, actor: Operator, session: SessionDep, request: Request
) -> ProposalPublic:
    _in_area(session, proposal_id, actor, request)
    return decide(session, proposal_id=proposal_id, confirm=False, actor=actor, note=body.note)


@router.get("/delivery")
def delivery(_: Auditor, session: SessionDep) -> BlacklistDeliveryPublic:
    """Changes not yet delivered, the rollout they wait for, the last blacklist rollout."""
    return delivery_state(session)
