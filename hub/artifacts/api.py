"""The operator's artifact routes: upload a model bundle, list artifacts, read one's reference.
Routes stay thin; persistence is in hub.artifacts.store (units download through
hub.artifacts.serving)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from hub import audit
from hub.accounts.auth import Operator, Viewer
from hub.artifacts.store import ArtifactPublic, artifact_ref, list_artifacts, put_artifact
from hub.deps import SessionDep
from hub.errors import InvalidRequest
from protocol.config import MAX_ARTIFACT_BYTES, ArtifactKind, ArtifactRef, Sha256

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
        actor=actor,
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
