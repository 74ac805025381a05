"""Who is who: the caller (/api/me), the hub itself (its public key) and who did what (the
audit log, searched by auditors). Routes stay thin; the log is kept by hub.audit."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from hub import audit
from hub.accounts.auth import Auditor, Viewer
from hub.audit import AuditEntryPublic, AuditQuery
from hub.deps import SessionDep
from hub.errors import InvalidRequest
from protocol.calendar import CHINA

router = APIRouter()

MAX_AUDIT_PAGE = 500


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=CHINA)


def audit_query(
    actor: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=64, description="exact, or 'family.'")] = None,
    target: Annotated[str | None, Query(max_length=128, description="a prefix")] = None,
    since: Annotated[date | None, Query(alias="from", description="first day (Beijing)")] = None,
    until: Annotated[date | None, Query(alias="to", description="last day, included")] = None,
) -> AuditQuery:
    if since is not None and until is not None and until < since:
        raise InvalidRequest("to is before from")
    return AuditQuery(
        actor=actor or None,
        action=action or None,
        target=target or None,
        since=_day_start(since) if since else None,
        until=_day_start(until + timedelta(days=1)) if until else None,
    )


AuditFilter = Annotated[AuditQuery, Depends(audit_query)]


@router.get("/api/audit")
def audit_log(
    _: Auditor,
    session: SessionDep,
    query: AuditFilter,
    limit: Annotated[int, Query(ge=1, le=MAX_AUDIT_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[AuditEntryPublic]:
    """Entries newest first, filtered by actor, action (or family: ``account.``), target
    prefix and days (Beijing time); paged with limit and offset."""
    return audit.search(session, query, limit=limit, offset=offset)


@router.get("/api/hub/public-key")
def public_key(_: Viewer, request: Request, session: SessionDep) -> dict[str, str]:
    """The key units pin: the one the hub signs with now (after a rotation's promote, the new
    one). Provisioning copies it; fetching it here is only for simulators."""
    current = request.app.state.keys.ring(session).current
    return {"public_key": current.public_key, "key_id": current.key_id, "alg": "ed25519"}


@router.get("/api/me")
def whoami(actor: Viewer) -> dict[str, Any]:
    area = actor.area
    return {
        "name": actor.name,
        "role": actor.role.value,
        "anonymous": actor.anonymous,
        "area": {"town": area.town, "village": area.village},
    }
