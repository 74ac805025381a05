"""Artifact uploads and listings, the audit log, the hub's public key and who-am-I. Routes
stay thin; persistence is in hub.artifacts and hub.audit. (Units download artifacts through
hub.artifact_serving.)"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from hub import audit
from hub.artifacts import ArtifactPublic, artifact_ref, list_artifacts, put_artifact
from hub.audit import AuditEntryPublic
from hub.deps import SessionDep
from hub.errors import InvalidRequest
from hub.security import Auditor, Operator, Viewer
from protocol.config import MAX_ARTIFACT_BYTES, ArtifactKind, ArtifactRef, Sha256
from protocol.signing import key_id, public_key_to_text

router = APIRouter()


@router.post("/api/artifacts", status_code=201)
async def upload_artifact(
    request: Request,
    actor: Operator,
    session: SessionDep,
    kind: ArtifactKind = ArtifactKind.MODEL_BUNDLE,
    media_type: Annotated[str, Query(max_length=100)] = "application/octet-stream",
) -> ArtifactRef:
    if kind is ArtifactKind.CATALOG_SLICE:
        raise InvalidRequest("catalog slices are made by the hub from the catalog")
    content = await request.body()
    if not content or len(content) > MAX_ARTIFACT_BYTES:
        raise InvalidRequest(f"an artifact holds 1 to {MAX_ARTIFACT_BYTES} bytes")
    ref = put_artifact(session, content=content, kind=kind, media_type=media_type)
    audit.record(
        session,
        actor=actor.name,
        role=actor.role,
        action="artifact.upload",
        target=f"artifact/{ref.sha256}",
        detail={"kind": kind.value, "size": ref.size},
    )
    session.commit()
    return ref


@router.get("/api/artifacts")
def artifacts(_: Viewer, session: SessionDep) -> list[ArtifactPublic]:
    return list_artifacts(session)


@router.get("/api/artifacts/{sha256}")
def artifact(sha256: Sha256, _: Viewer, session: SessionDep) -> ArtifactRef:
    return artifact_ref(session, sha256)


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
