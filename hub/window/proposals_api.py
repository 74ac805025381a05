"""Routes for blacklist proposals and the blacklist's delivery: auditors read, operators
confirm or reject (each audited). A town's or village's account sees its own units' proposals;
deciding one changes the county-wide blacklist, so it takes a county-wide account."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from hub.accounts.area import units_in
from hub.accounts.auth import Auditor, Operator
from hub.deps import RegistryDep, SessionDep
from hub.window.api import county_only
from hub.window.blacklist_sync import BlacklistDeliveryPublic, delivery_state
from hub.window.proposals import (
    Decision,
    ProposalPublic,
    ProposalState,
    decide,
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


@router.get("/proposals")
def proposals(
    actor: Auditor,
    session: SessionDep,
    registry: RegistryDep,
    state: ProposalState | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> ProposalPage:
    units = units_in(actor.area, registry)
    total, found = list_proposals(
        session, state=state, units=None if units is None else tuple(sorted(units)),
        limit=limit, offset=offset,
    )  # fmt: skip
    return ProposalPage(total=total, proposals=found)


@router.post("/proposals/{proposal_id}/confirm")
def confirm(
    proposal_id: uuid.UUID, body: Decision, actor: Operator, session: SessionDep, request: Request
) -> ProposalPublic:
    """List the applicant (the blacklist then reaches every unit by itself)."""
    county_only(actor)
    decided = decide(session, proposal_id=proposal_id, confirm=True, actor=actor, note=body.note)
    _wake_timers(request)
    return decided


@router.post("/proposals/{proposal_id}/reject")
def reject(
    proposal_id: uuid.UUID, body: Decision, actor: Operator, session: SessionDep
) -> ProposalPublic:
    county_only(actor)
    return decide(session, proposal_id=proposal_id, confirm=False, actor=actor, note=body.note)


@router.get("/delivery")
def delivery(_: Auditor, session: SessionDep) -> BlacklistDeliveryPublic:
    """Changes not yet delivered, the rollout they wait for, the last blacklist rollout."""
    return delivery_state(session)
