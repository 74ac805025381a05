"""Who may ask the county data registry what (issue 17, item 2): a unit asks only about the
applicant of its own case still open at its window, only for the registry materials of that
case's matter, and within a budget per unit and per case. Every refusal is the same 404, so a
unit learns nothing from it: "no such applicant", "not your case" and "not that case's
materials" look alike (no oracle).

The budget is counted in its own committed transaction before the case is looked at, so a
refused or unknown query counts too and hammering cannot reset it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from hub import ratelimit
from hub.cases.fold import Status
from hub.cases.project import RECORDS
from hub.errors import NotFound
from protocol.case import RegistryQuery
from protocol.catalog import Catalog, registry_materials

# the kiosk shows these to the clerk as they are
TOO_OFTEN_UNIT = "本终端查询信息一库过于频繁，请稍后再试；所需材料请申请人提交"
TOO_OFTEN_CASE = "本件已多次查询信息一库，请稍后再试；所需材料请申请人提交"
NO_SUCH_CASE = "本终端没有该申请人的在办件，或所查材料不属于该事项"
WINDOW_S = 3600


class RegistryNotFound(NotFound):
    """The one answer for every query a unit may not make."""

    code = "registry_no_case"


def count_query(
    conn: Connection, unit: str, query: RegistryQuery, *, per_hour: int, per_case: int,
    now: datetime,
) -> str | None:  # fmt: skip
    """Count the query against the unit's and the case's budgets; the reason to refuse it (a
    RateLimited message) past either. The caller commits the counts, then refuses: a refused
    query counts too."""
    if not ratelimit.hit(
        conn, key=f"registry:unit:{unit}", limit=per_hour, window_s=WINDOW_S, now=now
    ):
        return TOO_OFTEN_UNIT
    if query.case is not None and not ratelimit.hit(
        conn, key=f"registry:case:{query.case}", limit=per_case, window_s=WINDOW_S, now=now
    ):
        return TOO_OFTEN_CASE
    return None


def allowed_case(
    conn: Connection, unit: str, query: RegistryQuery, catalog: Catalog
) -> tuple[str, str]:
    """(case id, matter code) of the case the query is about; RegistryNotFound unless it is
    this unit's, open at the window, identified as this applicant, and every material asked is
    one the case's matter lets the registry confirm."""
    if query.case is None:
        raise RegistryNotFound(NO_SUCH_CASE)
    c = RECORDS.c
    row = conn.execute(
        select(c.case_id, c.unit, c.status, c.applicant_ref, c.matter_code).where(
            c.case_id == query.case
        )
    ).first()
    if (
        row is None
        or row.unit != unit
        or row.status != Status.AT_WINDOW.value
        or row.applicant_ref != query.applicant
        or row.matter_code is None
    ):
        raise RegistryNotFound(NO_SUCH_CASE)
    matter = catalog.get(row.matter_code)
    if matter is None or not set(query.materials) <= set(registry_materials(matter)):
        raise RegistryNotFound(NO_SUCH_CASE)
    return str(row.case_id), row.matter_code
