"""Catalog routes: the current catalog's summary, its reform indicators, and uploads of a new
version (refused with file, field and reason when bad; the last good catalog stays)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from hub.accounts.auth import Operator, Viewer
from hub.catalog.service import IndicatorReport, indicators_report
from hub.catalog.versions import current_catalog, upload_catalog
from hub.deps import CatalogsDep, SessionDep
from hub.errors import InvalidRequest
from hub.limits import CATALOG_BODY_BYTES
from hub.uploads import read_capped

router = APIRouter(prefix="/api/catalog")
# what the pages call the catalog's figures, so nobody takes them for measured ones
DECLARED_LABEL = "目标/承诺（事项清单申报值，非实测）"


@router.get("")
def catalog_summary(_: Viewer, session: SessionDep, catalogs: CatalogsDep) -> dict[str, Any]:
    catalog = current_catalog(session, catalogs)
    return {
        "version": catalog.version,
        "title": catalog.title,
        "matters": len(catalog.matters),
        "delegated": len(catalog.delegated()),
        "source": catalogs.source,
    }


@router.get("/indicators")
def catalog_indicators(_: Viewer, session: SessionDep, catalogs: CatalogsDep) -> dict[str, Any]:
    """The catalog's **declared** (目标/承诺) material, step and time-limit reduction and
    share of instant matters, from its before/after fields, over all matters and over the
    village-delegated ones. Not measured: the figures measured from cases are
    ``GET /api/indicators`` (hub.indicators), which shows these beside them as the target."""
    report: IndicatorReport = indicators_report(current_catalog(session, catalogs))
    return {**report, "kind": "declared", "label": DECLARED_LABEL, "measured": "/api/indicators"}


@router.post("", status_code=201)
async def upload(
    request: Request, actor: Operator, session: SessionDep, catalogs: CatalogsDep
) -> dict[str, Any]:
    """The body is the catalog file itself (JSON, UTF-8), read only after the operator's
    token was checked."""
    raw = await read_capped(request, CATALOG_BODY_BYTES)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(f"the catalog is not UTF-8 (byte {exc.start})") from None
    catalog = upload_catalog(session, catalogs, text=text, actor=actor)
    return {"version": catalog.version, "title": catalog.title, "matters": len(catalog.matters)}
