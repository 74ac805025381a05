"""Maintaining the catalog through the API: matters (searched, paginated), export as a
workbook or JSON, drafts from an import or from the running version, edits of one matter,
and the second operator's approval that publishes and rolls out. Viewers read; operators of
the whole county change (the catalog is the county's); nobody approves their own draft."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlmodel import Session

from hub.accounts.area import units_in
from hub.accounts.auth import Operator, Viewer
from hub.accounts.roles import Actor
from hub.catalog import drafts
from hub.catalog.diff import catalog_diff
from hub.catalog.loader import parse_catalog_text
from hub.catalog.matter_form import parse_matter
from hub.catalog.offered import offering
from hub.catalog.release import ReleaseOptions, start_rollout
from hub.catalog.store import CatalogStore
from hub.catalog.versions import current_catalog, current_exclusions
from hub.catalog.workbook.validate import parse_workbook
from hub.catalog.workbook.write import catalog_workbook
from hub.deps import CatalogsDep, RegistryDep, RowId, SessionDep, wake_driver
from hub.errors import Forbidden, InvalidRequest, NotFound
from hub.uploads import read_capped
from protocol.catalog import Catalog, Matter
from protocol.villages import VillageRegistry

router = APIRouter(prefix="/api/catalog")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# the workbook guard's own limit is 4 MiB; a JSON catalog file as POST /api/catalog takes
IMPORT_BYTES = 8 * 1024 * 1024
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


def county_operator(actor: Actor) -> Actor:
    """The catalog is the county's: a town's or a village's operator reads it only."""
    if not actor.area.county:
        raise Forbidden(f"{actor.name} acts for part of the county; the catalog is the county's")
    return actor


def matter_rows(catalog: Catalog, q: str | None) -> list[Matter]:
    if not q:
        return list(catalog.matters)
    q = q.strip().lower()
    return [
        m
        for m in catalog.matters
        if q in m.code.lower() or q in m.name.lower() or q in m.department.lower()
    ]


@router.get("/matters")
def list_matters(
    _: Viewer,
    session: SessionDep,
    catalogs: CatalogsDep,
    q: Annotated[str | None, Query(max_length=60)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    rows = matter_rows(current_catalog(session, catalogs), q)
    return {
        "total": len(rows),
        "limit": limit,
        "offset": offset,
        "items": [m.model_dump(mode="json") for m in rows[offset : offset + limit]],
    }


def units_visible(actor: Actor, registry: VillageRegistry) -> list[str]:
    allowed = units_in(actor.area, registry)
    return [u for u in registry.unit_ids() if allowed is None or u in allowed]


@router.get("/matters/{code}")
def get_matter(
    code: str, actor: Viewer, session: SessionDep, catalogs: CatalogsDep, registry: RegistryDep
) -> dict[str, Any]:
    """The matter and the villages (of the asker's area) that handle it."""
    matter = current_catalog(session, catalogs).get(code)
    if matter is None:
        raise NotFound(f"no matter {code!r} in the catalog")
    visible = set(units_visible(actor, registry))
    villages = [v for v in registry.villages if v.unit_id in visible]
    offered = (
        offering(code, current_exclusions(session, registry), villages) if matter.delegated else []
    )
    return {"matter": matter.model_dump(mode="json"), "offered_by": [v.unit_id for v in offered]}


@router.get("/export.xlsx")
def export_workbook(
    _: Viewer, session: SessionDep, catalogs: CatalogsDep, registry: RegistryDep
) -> Response:
    catalog = current_catalog(session, catalogs)
    data = catalog_workbook(catalog, current_exclusions(session, registry), registry)
    name = f"catalog-v{catalog.version}.xlsx"
    return Response(
        data, media_type=XLSX, headers={"content-disposition": f'attachment; filename="{name}"'}
    )


@router.get("/export.json")
def export_json(_: Viewer, session: SessionDep, catalogs: CatalogsDep) -> Response:
    """The running catalog in the catalog file's own format (POST /api/catalog takes it)."""
    catalog = current_catalog(session, catalogs)
    body = catalog.model_dump_json(by_alias=True, indent=2)
    return Response(
        body.encode(),
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="catalog-v{catalog.version}.json"'},
    )


def import_draft(
    session: Session,
    catalogs: CatalogStore,
    registry: VillageRegistry,
    *,
    data: bytes,
    kind: str,
    name: str,
    actor: Actor,
) -> drafts.CatalogDraft:
    """A draft from an uploaded workbook or JSON file (refused whole, cell by cell)."""
    county_operator(actor)
    if kind == "xlsx":
        catalog, exclusions = parse_workbook(data, registry, name)
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidRequest(f"the catalog is not UTF-8 (byte {exc.start})") from None
        catalog, exclusions = parse_catalog_text(text, name), None
    return drafts.create_draft(
        session,
        catalogs,
        registry,
        catalog=catalog,
        exclusions=exclusions,
        actor=actor,
        source=name,
    )


@router.post("/drafts", status_code=201)
async def create_draft(
    request: Request,
    actor: Operator,
    session: SessionDep,
    catalogs: CatalogsDep,
    registry: RegistryDep,
    format: Annotated[str, Query(pattern="^(xlsx|json)$")] = "xlsx",
) -> dict[str, Any]:
    """The body is the workbook (or the JSON catalog file) itself."""
    county_operator(actor)
    data = bytes(await read_capped(request, IMPORT_BYTES))
    draft = import_draft(
        session, catalogs, registry, data=data, kind=format, name=f"upload.{format}", actor=actor
    )
    return draft_summary(draft)


@router.post("/drafts/from-current", status_code=201)
def draft_from_current(
    actor: Operator, session: SessionDep, catalogs: CatalogsDep, registry: RegistryDep
) -> dict[str, Any]:
    """A draft that starts as the running version, to edit in the pages."""
    county_operator(actor)
    catalog = current_catalog(session, catalogs)
    draft = drafts.create_draft(
        session, catalogs, registry, catalog=catalog, exclusions=None, actor=actor, source="edit"
    )
    return draft_summary(draft)


def draft_summary(d: drafts.CatalogDraft) -> dict[str, Any]:
    return {
        "id": d.id,
        "status": d.status,
        "author": d.author,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
        "base_version": d.base_version,
        "source": d.source,
        "decided_by": d.decided_by,
        "decided_at": d.decided_at,
        "reason": d.reason,
        "published_version": d.published_version,
        "rollout_id": d.rollout_id,
        "rollout_error": d.rollout_error,
    }


@router.get("/drafts")
def list_drafts(
    _: Viewer,
    session: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
    status: Annotated[drafts.DraftStatus | None, Query()] = None,
) -> dict[str, Any]:
    rows, total = drafts.list_drafts(
        session, limit=limit, offset=offset, status=status.value if status else None
    )
    return {
        "total": total,
        "limit": limit,
        "offset": offset,
        "items": [draft_summary(d) for d in rows],
    }


def draft_diff(registry: VillageRegistry, draft: drafts.CatalogDraft) -> Any:
    """The draft against the version it was made from (the version the units ran then)."""
    base, base_excl = drafts.draft_base(draft)
    return catalog_diff(
        base, base_excl, drafts.draft_catalog(draft), drafts.draft_exclusions(draft), registry
    )


@router.get("/drafts/{draft_id}")
def get_draft(
    draft_id: RowId, _: Viewer, session: SessionDep, registry: RegistryDep
) -> dict[str, Any]:
    draft = drafts.get_draft(session, draft_id)
    diff = draft_diff(registry, draft)
    return {
        **draft_summary(draft),
        "diff": {"header": diff.header, "matters": diff.matters, "counts": diff.counts},
    }


class MatterEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    matter: dict[str, Any]
    # the units that handle the matter; None leaves the villages as they are
    offered_by: (
        Annotated[list[Annotated[str, StringConstraints(max_length=64)]], Field(max_length=100_000)]
        | None
    ) = None


@router.put("/drafts/{draft_id}/matters/{code}")
def save_matter(
    draft_id: RowId,
    code: Annotated[str, StringConstraints(max_length=16)],
    body: MatterEdit,
    actor: Operator,
    session: SessionDep,
    registry: RegistryDep,
) -> dict[str, Any]:
    """Replace matter ``code`` in the draft (or add it): errors name each field."""
    county_operator(actor)
    matter = parse_matter(body.matter)
    offered = set(body.offered_by) if body.offered_by is not None else None
    if offered is not None and (unknown := offered - set(registry.unit_ids())):
        raise InvalidRequest(f"offered_by: unknown units {', '.join(sorted(unknown)[:5])}")
    draft = drafts.save_matter(
        session,
        draft_id=draft_id,
        matter=matter,
        offered_by=offered,
        registry=registry,
        actor=actor,
        replaces=code,
    )
    return draft_summary(draft)


@router.delete("/drafts/{draft_id}/matters/{code}")
def remove_matter(
    draft_id: RowId,
    code: Annotated[str, StringConstraints(max_length=16)],
    actor: Operator,
    session: SessionDep,
) -> dict[str, Any]:
    county_operator(actor)
    return draft_summary(drafts.remove_matter(session, draft_id=draft_id, code=code, actor=actor))


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


@router.post("/drafts/{draft_id}/reject")
def reject(
    draft_id: RowId, body: Rejection, actor: Operator, session: SessionDep
) -> dict[str, Any]:
    county_operator(actor)
    return draft_summary(
        drafts.reject_draft(session, draft_id=draft_id, reason=body.reason, actor=actor)
    )


@router.post("/drafts/{draft_id}/approve")
def approve(
    draft_id: RowId,
    body: ReleaseOptions,
    actor: Operator,
    session: SessionDep,
    catalogs: CatalogsDep,
    registry: RegistryDep,
    request: Request,
) -> dict[str, Any]:
    """Publish the draft as the next version (not by its author) and start its rollout."""
    county_operator(actor)
    drafts.approve_draft(session, catalogs, draft_id=draft_id, actor=actor)
    draft = start_rollout(session, catalogs, registry, draft_id=draft_id, options=body, actor=actor)
    wake_driver(request)
    return draft_summary(draft)


@router.post("/drafts/{draft_id}/rollout")
def rollout(
    draft_id: RowId,
    body: ReleaseOptions,
    actor: Operator,
    session: SessionDep,
    catalogs: CatalogsDep,
    registry: RegistryDep,
    request: Request,
) -> dict[str, Any]:
    """Start the rollout of an approved draft whose rollout could not start before."""
    county_operator(actor)
    draft = start_rollout(session, catalogs, registry, draft_id=draft_id, options=body, actor=actor)
    wake_driver(request)
    return draft_summary(draft)
