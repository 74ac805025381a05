"""容缺 follow-up for windows: a unit asks which materials a case still owes, by the slip's
status token (its SHA-256) or by the applicant's keyed reference, and gets nothing beyond what
the slip says: the case's reference and id, the matter, what is owed and by when.

Only open cases with materials owed (owed or lapsed, not withdrawn) are answered, at most
protocol.supply.MAX_OWED_CASES of them. Every query is rate-limited per unit and audited, so a
unit cannot walk through applicants."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from hub import audit, ratelimit
from hub.accounts.roles import unit_actor
from hub.cases.fold import OPEN_STATUSES, Deficiency
from hub.cases.owed import still_owed
from hub.cases.project import RECORDS
from hub.errors import RateLimited
from protocol.catalog import Catalog
from protocol.supply import MAX_OWED_CASES, OwedAnswer, OwedCase, OwedLookup

OWING = (Deficiency.OWED.value, Deficiency.LAPSED.value)


def count_lookup(conn: Connection, unit: str, per_hour: int, now: datetime) -> None:
    """Count this unit's lookup (in its own committed transaction: a refused one counts too);
    RateLimited past its hourly budget."""
    if not ratelimit.hit(conn, key=f"unit:{unit}", limit=per_hour, window_s=3600, now=now):
        raise RateLimited(f"unit {unit} made more than {per_hour} case lookups this hour")


def owed_cases(
    conn: Connection, lookup: OwedLookup, unit: str, catalog: Catalog | None
) -> OwedAnswer:
    """The answer, with its audit entry (in the caller's transaction)."""
    c = RECORDS.c
    key = (
        c.status_token_sha256 == lookup.token_sha256
        if lookup.token_sha256 is not None
        else c.applicant_ref == lookup.applicant
    )
    rows = conn.execute(
        select(RECORDS)
        .where(
            key,
            c.deficiency.in_(OWING),
            c.status.in_([s.value for s in OPEN_STATUSES]),
        )
        .order_by(c.opened_at.desc(), c.case_id)
        .limit(MAX_OWED_CASES)
    ).all()
    left = still_owed(conn, rows)
    cases = []
    for r in rows:
        matter = catalog.get(r.matter_code) if catalog is not None and r.matter_code else None
        cases.append(
            OwedCase(
                case_id=r.case_id, case_ref=r.case_ref, matter_code=r.matter_code,
                matter_name=matter.name if matter else None, owed=tuple(left[r.case_id]),
                supply_by=r.supply_by, lapsed=r.deficiency == Deficiency.LAPSED.value,
            )
        )  # fmt: skip
    # the token's hash is as good as the token for this route: only its start is logged
    by_qr = lookup.token_sha256 is not None
    target = (
        f"token/{lookup.token_sha256[:16]}"
        if lookup.token_sha256 is not None
        else f"applicant/{lookup.applicant}"
    )
    audit.record(
        conn,
        actor=unit_actor(unit),
        action="case.owed_lookup",
        target=target,
        detail={"by": "qr" if by_qr else "id_number", "found": [str(x.case_id) for x in cases]},
    )
    return OwedAnswer(cases=tuple(cases))
