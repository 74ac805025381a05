"""Routes for the clerk roster: operators only (the roster holds PIN hashes and names who may
act at a window), every change audited. Answers never carry a PIN hash; a PIN the hub made
up is answered once, to the operator who added the clerk."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from hub import audit
from hub.accounts.area import units_in
from hub.accounts.auth import Operator
from hub.deps import RegistryDep, SessionDep
from hub.errors import UnitNotFound
from hub.paging import PAGE_HEADERS, PageDep, send_headers
from hub.window.clerks import (
    ClerkAdded,
    ClerkCreate,
    ClerkPublic,
    add_clerk,
    disable_clerk,
    list_clerks,
)

router = APIRouter()
DELIVERY = "with the next configuration rollout"


@router.get("/api/clerks", responses=PAGE_HEADERS)
def clerks(
    actor: Operator,
    session: SessionDep,
    registry: RegistryDep,
    page: PageDep,
    request: Request,
    response: Response,
    unit: Annotated[str | None, Query(max_length=64)] = None,
) -> list[ClerkPublic]:
    """The roster of the villages the operator reaches (a town's operator: its own)."""
    found = list_clerks(session, unit=unit, page=page, units=units_in(actor.area, registry))
    send_headers(response, request, page, len(found))
    return found


@router.post("/api/clerks", status_code=201)
def clerk_add(
    request: ClerkCreate, actor: Operator, session: SessionDep, registry: RegistryDep
) -> ClerkAdded:
    """Add a clerk or agent to a village; the unit gets them with the next rollout."""
    reach = units_in(actor.area, registry)
    if reach is not None and request.unit not in reach:
        raise UnitNotFound(f"no unit {request.unit!r}")  # outside the area: as if absent
    added = add_clerk(session, request=request, actor=actor, registry=registry)
    audit.record(
        session, actor=actor, action="clerk.add", target=f"clerk/{added.id}",
        detail={"unit": added.unit, "role": added.role, "pin": "chosen" if added.pin is None
                else "made up by the hub"},
    )  # fmt: skip
    session.commit()
    return added


@router.post("/api/clerks/{clerk_id}/disable")
def clerk_disable(
    clerk_id: str, actor: Operator, session: SessionDep, registry: RegistryDep
) -> dict[str, object]:
    units = units_in(actor.area, registry)
    done = disable_clerk(session, clerk_id=clerk_id, actor=actor, units=units)
    audit.record(
        session, actor=actor, action="clerk.disable", target=f"clerk/{clerk_id}",
        detail={"unit": done.unit},
    )  # fmt: skip
    session.commit()
    return {"clerk": done.model_dump(mode="json"), "delivery": DELIVERY}
