"""Who is who: the caller (/api/me), the hub itself (its public key) and who did what (the
audit log, for auditors). Routes stay thin; the log is kept by hub.audit."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from hub import audit
from hub.accounts.auth import Auditor, Viewer
from hub.audit import AuditEntryPublic
from hub.deps import SessionDep
from protocol.signing import key_id, public_key_to_text

router = APIRouter()


@router.get("/api/audit")
def audit_log(
    _: Auditor,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    action: Annotated[str | None, Query(max_length=64)] = None,
) -> list[AuditEntryPublic]:
    return audit.recent(session, limit=limit, action=action)


@router.get("/api/hub/public-key")
def public_key(_: Viewer, request: Request) -> dict[str, str]:
    """The key units pin. Provisioning copies it; fetching it here is only for simulators."""
    key = request.app.state.signing_key.public_key()
    return {"public_key": public_key_to_text(key), "key_id": key_id(key), "alg": "ed25519"}


@router.get("/api/me")
def whoami(actor: Viewer) -> dict[str, Any]:
    return {"name": actor.name, "role": actor.role.value, "anonymous": actor.anonymous}
