"""`POST /api/residents/{ref}/erase`: a county-wide admin erases one resident (hub.residents
.erase), naming the reference again in ``confirm`` and saying why in ``reason``; audited."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from hub.accounts.area import COUNTY
from hub.accounts.auth import Admin
from hub.deps import SessionDep
from hub.errors import Forbidden, InvalidRequest
from hub.residents.erase import erase
from hub.window.applicants import check_ref

router = APIRouter(prefix="/api", tags=["residents"])


class EraseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    confirm: Annotated[str, Field(max_length=64)]  # the reference again: erasure is for good
    reason: Annotated[str, Field(min_length=4, max_length=500)]  # the resident's request, etc.


@router.post("/residents/{ref}/erase")
def erase_resident(
    ref: str, body: EraseRequest, actor: Admin, session: SessionDep, request: Request
) -> dict[str, Any]:
    """Erase the resident whose ID reference is ``ref`` on the hub and on the units that
    served them; the answer is the erasure receipt (the reference's SHA-256, never the
    reference; what was changed, counts only; the units told). County-wide admins only."""
    if actor.area != COUNTY:
        raise Forbidden("erasing a resident is for a county-wide admin")
    check_ref(ref)
    if body.confirm != ref:
        raise InvalidRequest('confirm with the reference again: {"confirm": REF, "reason": ...}')
    if not body.reason.strip():
        raise InvalidRequest("say why the resident is erased (reason)")
    found = erase(
        session.connection(), request.app.state.keys, ref=ref, reason=body.reason.strip(),
        actor=actor, now=datetime.now(UTC),
    )  # fmt: skip
    session.commit()
    notices = getattr(request.app.state, "notices", None)
    if notices is not None:
        notices.wake()  # publish the commands now, not at the next tick
    return found
