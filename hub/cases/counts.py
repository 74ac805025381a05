"""The figures the county reports, computed from the case table (never from declared
numbers): cases, on-time completion, 容缺 open and lapsed, good-rating rate."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, select

from hub.cases.fold import PENDING_DECISION, Deficiency, Status
from hub.cases.project import RECORDS
from protocol.calendar import local_date
from protocol.labels import BAD_RATINGS, GOOD_RATINGS


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def case_counts(
    conn: Connection, where: Sequence[ColumnElement[bool]], today: date
) -> dict[str, Any]:
    c = RECORDS.c
    by_status = Counter(
        {
            r.status: int(r.n)
            for r in conn.execute(
                select(c.status, func.count().label("n")).where(*where).group_by(c.status)
            )
        }
    )
    by_deficiency = Counter(
        {
            r.deficiency: int(r.n)
            for r in conn.execute(
                select(c.deficiency, func.count().label("n")).where(*where).group_by(c.deficiency)
            )
        }
    )
    ratings = Counter(
        {
            int(r.rating): int(r.n)
            for r in conn.execute(
                select(c.rating, func.count().label("n"))
                .where(*where, c.rating.is_not(None))
                .group_by(c.rating)
            )
        }
    )
    completed = conn.execute(
        select(c.ended_at, c.promised_due, c.instant).where(
            *where, c.status == Status.COMPLETED.value
        )
    ).all()
    timed = [r for r in completed if r.promised_due is not None and r.ended_at is not None]
    on_time = sum(1 for r in timed if local_date(r.ended_at) <= r.promised_due)
    pending = [s.value for s in PENDING_DECISION]
    overdue = conn.execute(
        select(func.count())
        .select_from(RECORDS)
        .where(*where, c.status.in_(pending), c.promised_due < today)
    ).scalar_one()
    rated = sum(ratings.values())
    good = sum(n for level, n in ratings.items() if level in GOOD_RATINGS)
    bad = sum(n for level, n in ratings.items() if level in BAD_RATINGS)
    accepted = sum(by_status[s] for s in (*pending, Status.COMPLETED, Status.REJECTED))
    accepted += by_status[Status.WITHDRAWN]
    deferred = sum(by_deficiency[d] for d in Deficiency if d is not Deficiency.NONE)
    return {
        "cases": sum(by_status.values()),
        "by_status": dict(sorted(by_status.items())),
        "accepted": accepted,
        "completed": by_status[Status.COMPLETED],
        "completed_instantly": sum(1 for r in completed if r.instant),
        "completed_with_limit": len(timed),
        "completed_on_time": on_time,
        "on_time_rate": _rate(on_time, len(timed)),
        "open": sum(by_status[s] for s in pending),
        "overdue": int(overdue),
        "deficiency_accepted": deferred,
        "deficiency_open": by_deficiency[Deficiency.OWED] + by_deficiency[Deficiency.LAPSED],
        "deficiency_lapsed": by_deficiency[Deficiency.LAPSED],
        "deficiency_withdrawn": by_deficiency[Deficiency.WITHDRAWN],
        "deficiency_supplied": by_deficiency[Deficiency.SUPPLIED],
        "rated": rated,
        "ratings": {str(k): v for k, v in sorted(ratings.items())},
        "good_ratings": good,
        "bad_ratings": bad,
        "good_rating_rate": _rate(good, rated),  # 非常满意 + 满意 over the rated cases
    }
