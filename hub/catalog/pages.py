"""The catalog's pages: the running version with its matters (searched, paginated), export
and import, the drafts; one matter; a draft's diff with approve and reject; the edit form of
one matter in a draft. Changes go through the JSON API (hub.catalog.edit_api) except the
import, a multipart form that carries the CSRF token as a field. A page offers its change forms
only to whom the hub lets make the change (a county-wide operator; edits: the draft's author);
the routes refuse everyone else whatever the page shows."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hub.accounts.auth import Operator, Viewer
from hub.accounts.roles import Actor, Role
from hub.catalog import drafts
from hub.catalog.diff import describe_fee, describe_material
from hub.catalog.edit_api import (
    IMPORT_BYTES,
    county_operator,
    draft_diff,
    import_draft,
    matter_rows,
    units_visible,
)
from hub.catalog.errors import CatalogError, CatalogFileError
from hub.catalog.offered import offering
from hub.catalog.versions import current_catalog, current_exclusions
from hub.catalog.workbook.columns import LEVEL_LABELS
from hub.deps import CatalogsDep, RegistryDep, RowId, SessionDep
from hub.errors import HubError, InvalidRequest, NotFound
from hub.web.pages import page
from protocol.catalog import (
    APPROVAL_LABELS,
    LIFE_AREA_LABELS,
    SLIP_LABELS,
    WAIVER_GROUND_LABELS,
    Catalog,
)
from protocol.villages import VillageRegistry

router = APIRouter(include_in_schema=False)
PAGE = 50
LABELS = {
    "level": LEVEL_LABELS,
    "area": {k.value: v for k, v in LIFE_AREA_LABELS.items()},
    "approval": {k.value: v for k, v in APPROVAL_LABELS.items()},
    "slips": {k.value: v for k, v in SLIP_LABELS.items()},
    "grounds": {k.value: v for k, v in WAIVER_GROUND_LABELS.items()},
    "status": {k.value: v for k, v in drafts.DRAFT_STATUS_LABELS.items()},
}


def may_change(actor: Actor) -> bool:
    """Whether the pages offer ``actor`` the catalog's change forms: an operator acting for the
    whole county (hub.catalog.edit_api.county_operator is the rule the routes enforce)."""
    return not actor.anonymous and actor.role.allows(Role.OPERATOR) and actor.area.county


def _catalog_page(
    request: Request,
    session: Any,
    catalogs: Any,
    actor: Actor,
    *,
    q: str | None,
    offset: int,
    drafts_offset: int,
    errors: CatalogError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    catalog = current_catalog(session, catalogs)
    rows = matter_rows(catalog, q)
    found, total = drafts.list_drafts(session, limit=PAGE, offset=drafts_offset)
    issues = errors.issues if isinstance(errors, CatalogFileError) else ()
    context = {
        "catalog": catalog,
        "q": q or "",
        "matters": rows[offset : offset + PAGE],
        "total": len(rows),
        "offset": offset,
        "page_size": PAGE,
        "drafts": found,
        "drafts_total": total,
        "drafts_offset": drafts_offset,
        "labels": LABELS,
        "import_error": errors,
        "import_issues": issues,
        "me": actor,
        "may_change": may_change(actor),
        "delegated": len(catalog.delegated()),
    }
    return page(request, "catalog.html", context, nav="/catalog", status_code=status_code)


@router.get("/catalog")
def catalog_home(
    request: Request,
    actor: Viewer,
    session: SessionDep,
    catalogs: CatalogsDep,
    q: Annotated[str | None, Query(max_length=60)] = None,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    drafts_offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> HTMLResponse:
    return _catalog_page(
        request, session, catalogs, actor, q=q, offset=offset, drafts_offset=drafts_offset
    )


@router.post("/catalog/import", response_model=None)
async def import_form(
    request: Request,
    actor: Operator,
    session: SessionDep,
    catalogs: CatalogsDep,
    registry: RegistryDep,
    file: Annotated[UploadFile, File()],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The page's import form: a workbook (.xlsx) or a catalog file (.json) becomes a draft;
    a bad one shows the catalog page again with every problem, sheet, row and column."""
    name = (file.filename or "upload.xlsx")[-100:]
    kind = "json" if name.lower().endswith(".json") else "xlsx"
    data = await file.read(IMPORT_BYTES + 1)
    try:
        if len(data) > IMPORT_BYTES:
            raise InvalidRequest("the file is over the import limit")
        draft = import_draft(
            session, catalogs, registry, data=data, kind=kind, name=name, actor=actor
        )
    except CatalogError as exc:
        return _catalog_page(
            request,
            session,
            catalogs,
            actor,
            q=None,
            offset=0,
            drafts_offset=0,
            errors=exc,
            status_code=422,
        )
    return RedirectResponse(f"/catalog/drafts/{draft.id}", status_code=303)


def _offered(
    session: Any, registry: VillageRegistry, actor: Actor, code: str, exclusions: Any = None
) -> list[Any]:
    visible = set(units_visible(actor, registry))
    villages = [v for v in registry.villages if v.unit_id in visible]
    if exclusions is None:
        exclusions = current_exclusions(session, registry)
    return offering(code, exclusions, villages)


@router.get("/catalog/matters/{code}")
def matter_page(
    code: str,
    request: Request,
    actor: Viewer,
    session: SessionDep,
    catalogs: CatalogsDep,
    registry: RegistryDep,
) -> HTMLResponse:
    catalog = current_catalog(session, catalogs)
    matter = catalog.get(code)
    if matter is None:
        raise NotFound(f"no matter {code!r} in the catalog")
    offered = _offered(session, registry, actor, code) if matter.delegated else []
    context = {
        "catalog": catalog,
        "m": matter,
        "labels": LABELS,
        "offered": offered,
        "visible": len(units_visible(actor, registry)),
        "may_change": may_change(actor),
        "material": describe_material,
        "fee": describe_fee,
    }
    return page(request, "catalog_matter.html", context, nav="/catalog")


@router.get("/catalog/drafts/{draft_id}")
def draft_page(
    draft_id: RowId,
    request: Request,
    actor: Viewer,
    session: SessionDep,
    catalogs: CatalogsDep,
    registry: RegistryDep,
) -> HTMLResponse:
    draft = drafts.get_draft(session, draft_id)
    diff = draft_diff(registry, draft)
    catalog = draft_catalog_safe(draft)
    context = {
        "d": draft,
        "diff": diff,
        "labels": LABELS,
        "me": actor,
        "may_change": may_change(actor),
        "running": current_catalog(session, catalogs).version,
        "codes": [m.code for m in catalog.matters] if catalog else [],
    }
    return page(request, "catalog_draft.html", context, nav="/catalog")


def draft_catalog_safe(draft: drafts.CatalogDraft) -> Catalog | None:
    try:
        return drafts.draft_catalog(draft)
    except (CatalogError, HubError):
        return None


@router.get("/catalog/drafts/{draft_id}/edit")
def edit_page(
    draft_id: RowId,
    request: Request,
    actor: Operator,
    session: SessionDep,
    registry: RegistryDep,
    code: Annotated[str, Query(max_length=16)],
) -> HTMLResponse:
    """The edit form of one matter of the draft (?code=); a new code starts an empty one. Only
    the draft's author, a county-wide operator, gets it (the others' saves would be refused)."""
    county_operator(actor)
    draft = drafts.get_draft(session, draft_id)
    if draft.status != drafts.DraftStatus.DRAFT.value:
        raise drafts.DraftDecided(f"catalog draft {draft_id} is {draft.status}; it cannot change")
    if draft.author != actor.name:
        raise drafts.NotAuthor(f"only {draft.author}, who made catalog draft {draft_id}, edits it")
    code = code.strip().upper()
    catalog = drafts.draft_catalog(draft)
    matter = catalog.get(code)
    exclusions = drafts.draft_exclusions(draft)
    offered = {v.unit_id for v in offering(code, exclusions, registry.villages)}
    divisions = [(d, registry.in_division(d.code)) for d in registry.divisions]
    context = {
        "d": draft,
        "m": matter,
        "code": code,
        "labels": LABELS,
        "offered": offered,
        "divisions": divisions,
        "blank_materials": range(3),
        "blank_fees": range(2),
        "blank_steps": 1,
    }
    return page(request, "catalog_edit.html", context, nav="/catalog")
