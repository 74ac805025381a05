"""Routes for the clerk roster: operators only (the roster holds PIN hashes and names who may
act at a window), every change audited. Answers never carry a PIN hash; a PIN the hub made
up is answered once, to the operator who added the clerk."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from hub import audit
from hub.accounts.auth import Operator
from hub.deps import RegistryDep, SessionDep
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
    _: Operator,
    session: SessionDep,
    page: PageDep,
    request: Request,
    response: Response,
    unit: Annotated[str | None, Query(max_length=64)] = None,
) -> list[ClerkPublic]:
    found = list_clerks(session, unit=unit, page=page)
    send_headers(response, request, page, len(found))
    return found


@router.post("/api/clerks", status_code=201)
def clerk_add(
    request: ClerkCreate, actor: Operator, session: SessionDep, registry: RegistryDep
) -> ClerkAdded:
    """Add a clerk or agent to a village; the unit gets them with the next rollout."""
    added = add_clerk(session, request=request, actor=actor, registry=registry)
    audit.record(
        session, actor=actor, action="clerk.add", target=f"clerk/{added.id}",
        detail={"unit": added.unit, "role": added.role, "pin": "chosen" if added.pin is None
                else "made up by the hub"},
    )  # fmt: skip
    session.commit()
    return added


@router.post("/api/clerks/{clerk_id}/disable")
def clerk_disable(clerk_id: str, actor: Operator, session: SessionDep) -> dict[str, object]:
    done = disable_clerk(session, clerk_id=clerk_id, actor=actor)
    audit.record(
        session, actor=actor, action="clerk.disable", target=f"clerk/{clerk_id}",
        detail={"unit": done.unit},
    )  # fmt: skip
    session.commit()
    return {"clerk": done.model_dump(mode="json"), "delivery": DELIVERY}
