"""Routes for village windows: the data registry query units make (authenticated as a unit),
and the integrity blacklist the auditors read and operators change (audited). The blacklist
holds at every window of the county, so only a county-wide account changes it
(:func:`county_only`); a town's or village's office reads it as its windows apply it.

Units authenticate with their own API token (``Authorization: Bearer bmu_...``), issued by
`bianmin hub unit-token UNIT`; it grants nothing but the unit routes, and the unit it names
is what the audit log records for each query.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from sqlmodel import Session

from hub import audit
from hub.accounts.auth import Auditor, Operator
from hub.accounts.roles import Actor, unit_actor
from hub.deps import SessionDep
from hub.errors import Forbidden, RateLimited, Unauthorized
from hub.paging import PAGE_HEADERS, PageDep, send_headers
from hub.window.blacklist import (
    BlacklistEntryCreate,
    BlacklistEntryPublic,
    add_to_blacklist,
    list_blacklist,
    remove_from_blacklist,
)
from hub.window.idgen import unit_reference
from hub.window.registry import query_registry
from hub.window.registry_rules import RegistryNotFound, allowed_case, count_query
from hub.window.tokens import unit_for_token
from protocol.case import RegistryAnswer, RegistryQuery

router = APIRouter()
# how a change reaches units (hub.rollouts.blacklist_delivery)
DELIVERY = "automatically: a blacklist-only rollout to every configured unit"


def current_unit(request: Request, session: SessionDep) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("a unit authenticates with 'Authorization: Bearer <unit token>'")
    unit = unit_for_token(session, token.strip())
    if unit is None:
        raise Unauthorized("unknown unit token")
    return unit


UnitDep = Annotated[str, Depends(current_unit)]


def county_only(actor: Actor) -> None:
    """Refuse a blacklist decision from an account scoped to a town or village."""
    if not actor.area.county:
        raise Forbidden(f"{actor.name} acts for part of the county; the blacklist is county-wide")


@router.post("/api/unit/registry/query")
def registry_query(query: RegistryQuery, unit: UnitDep, request: Request) -> RegistryAnswer:
    """Which of these materials the county database confirms for the applicant of one of this
    unit's open cases (hub.window.registry_rules: anything else is the same 404; past the
    budget, 429 with a reason the kiosk shows)."""
    engine = request.app.state.engine
    settings = request.app.state.settings
    sent = query.applicant  # of the unit's generation; the hub's tables hold the current one
    current = unit_reference(request.app.state, sent, query.generation)
    query = query.model_copy(update={"applicant": current, "generation": None})
    with engine.begin() as conn:  # committed on its own: a refused query counts too
        too_often = count_query(
            conn, unit, query, per_hour=settings.registry_queries_per_hour,
            per_case=settings.registry_queries_per_case, now=datetime.now(UTC),
        )  # fmt: skip
    if too_often is not None:
        raise RateLimited(too_often)
    with engine.begin() as conn:  # the refusal's audit entry commits before the 404
        try:
            case_id, matter = allowed_case(conn, unit, query, request.app.state.catalogs.current)
        except RegistryNotFound as exc:
            audit.record(
                conn, actor=unit_actor(unit), action="registry.refused",
                target=f"case/{query.case}", detail={"asked": list(query.materials)},
            )  # fmt: skip
            refused: RegistryNotFound | None = exc
        else:
            refused = None
            with Session(bind=conn) as session:
                answer = query_registry(session, query)
            # who asked, for which case and materials, how many were found: the data
            # office's record. Not the applicant's reference: the case names them.
            audit.record(
                conn, actor=unit_actor(unit), action="registry.query", target=f"case/{case_id}",
                detail={
                    "matter": matter, "asked": list(query.materials), "found": len(answer.found),
                },
            )  # fmt: skip
    if refused is not None:
        raise refused
    return answer.model_copy(update={"applicant": sent})


@router.get("/api/blacklist", responses=PAGE_HEADERS)
def blacklist(
    _: Auditor, session: SessionDep, page: PageDep, request: Request, response: Response
) -> list[BlacklistEntryPublic]:
    found = list_blacklist(session, page=page)
    send_headers(response, request, page, len(found))
    return found


@router.post("/api/blacklist", status_code=201)
def blacklist_add(
    entry: BlacklistEntryCreate, actor: Operator, session: SessionDep
) -> dict[str, str]:
    """List an applicant; units refuse them every green channel once the blacklist rollout
    the hub starts by itself has reached them."""
    county_only(actor)
    add_to_blacklist(session, entry=entry, actor=actor)
    audit.record(
        session, actor=actor, action="blacklist.add",
        target=f"applicant/{entry.applicant_ref}", detail={"reason": entry.reason},
    )  # fmt: skip
    session.commit()
    return {"applicant_ref": entry.applicant_ref, "delivery": DELIVERY}


@router.delete("/api/blacklist/{applicant_ref}")
def blacklist_remove(applicant_ref: str, actor: Operator, session: SessionDep) -> dict[str, str]:
    county_only(actor)
    remove_from_blacklist(session, applicant_ref=applicant_ref)
    audit.record(
        session, actor=actor, action="blacklist.remove",
        target=f"applicant/{applicant_ref}",
    )  # fmt: skip
    session.commit()
    return {"applicant_ref": applicant_ref, "delivery": DELIVERY}
