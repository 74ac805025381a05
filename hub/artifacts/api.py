"""The operator's artifact routes: upload a model bundle, list artifacts, read one's reference.
Routes stay thin; persistence is in hub.artifacts.store (units download through
hub.artifacts.serving)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from hub import audit
from hub.accounts.auth import Operator, Viewer
from hub.accounts.roles import Actor
from hub.artifacts.store import ArtifactPublic, artifact_ref, list_artifacts, put_artifact
from hub.artifacts.wheels import wheel_version
from hub.deps import SessionDep, SettingsDep
from hub.errors import InvalidRequest
from hub.paging import PAGE_HEADERS, PageDep, send_headers
from hub.uploads import Spooled, spooled
from protocol.config import ArtifactKind, ArtifactRef, Sha256

router = APIRouter()


# type/subtype as RFC 6838 spells registered names (no parameters, nothing a header could carry)
MEDIA_TYPE = r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,62}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,62}$"


@router.post("/api/artifacts", status_code=201)
async def upload_artifact(
    request: Request,
    actor: Operator,
    session: SessionDep,
    settings: SettingsDep,
    kind: ArtifactKind = ArtifactKind.MODEL_BUNDLE,
    media_type: Annotated[
        str, Query(max_length=100, pattern=MEDIA_TYPE)
    ] = "application/octet-stream",
) -> ArtifactRef:
    if kind is ArtifactKind.CATALOG_SLICE:
        raise InvalidRequest("catalog slices are made by the hub from the catalog")
    limit = settings.artifact_upload_max_bytes
    # read only now, after the operator's token was checked; spooled, not held in memory
    async with spooled(request, limit, settings.upload_dir) as upload:
        if upload.size == 0:
            raise InvalidRequest(f"an artifact holds 1 to {limit} bytes")
        # the database insert needs the bytes whole; off the loop, which serves the units
        return await run_in_threadpool(_store, session, upload, kind, media_type, actor)


def _store(
    session: Session, upload: Spooled, kind: ArtifactKind, media_type: str, actor: Actor
) -> ArtifactRef:
    content = upload.read()
    detail: dict[str, object] = {}
    if kind is ArtifactKind.AGENT_WHEEL:  # a release: only a wheel of bianmin, and say which
        detail["version"] = wheel_version(content)
        media_type = "application/zip"
    ref = put_artifact(session, content=content, kind=kind, media_type=media_type)
    audit.record(
        session,
        actor=actor,
        action="artifact.upload",
        target=f"artifact/{ref.sha256}",
        detail={"kind": kind.value, "size": ref.size, **detail},
    )
    session.commit()
    return ref


@router.get("/api/artifacts", responses=PAGE_HEADERS)
def artifacts(
    _: Viewer, session: SessionDep, page: PageDep, request: Request, response: Response
) -> list[ArtifactPublic]:
    found = list_artifacts(session, page=page)
    send_headers(response, request, page, len(found))
    return found


@router.get("/api/artifacts/{sha256}")
def artifact(sha256: Sha256, _: Viewer, session: SessionDep) -> ArtifactRef:
    return artifact_ref(session, sha256)
