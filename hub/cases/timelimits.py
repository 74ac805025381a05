"""Time limits of open cases in working days, on the county's calendar: how many are left
against the legal and the promised limit, and which cases are near due or overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from hub.cases.fold import PENDING_DECISION, Deficiency, Status
from protocol.calendar import WorkCalendar, local_date

NEAR_DUE_DAYS = 2  # working days left at which a case is listed as near due


def remaining(cal: WorkCalendar, today: date, due: date) -> int:
    """Working days left until ``due`` (0 on the due day itself); negative when overdue, by
    the working days since."""
    if due >= today:
        return cal.working_days_between(today, due)
    return -max(1, cal.working_days_between(due, today))


@dataclass(frozen=True)
class Limits:
    legal_left: int | None  # working days; None when the case's clock is not running
    promised_left: int | None
    supply_left: int | None  # 容缺: working days left to supply the owed materials
    overdue: bool  # past the promised limit and not decided
    legal_overdue: bool
    near_due: bool
    supply_overdue: bool
    on_time: bool | None  # for a decided case: decided by the promised day

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def limits(record: Any, cal: WorkCalendar, today: date) -> Limits:
    """The time-limit figures of one case_record row (any object with its columns)."""
    running = record.status in PENDING_DECISION
    legal = remaining(cal, today, record.legal_due) if running and record.legal_due else None
    promised = (
        remaining(cal, today, record.promised_due) if running and record.promised_due else None
    )
    owed = record.deficiency in (Deficiency.OWED, Deficiency.LAPSED)
    supply = remaining(cal, today, record.supply_by) if owed and record.supply_by else None
    on_time = None
    if record.status == Status.COMPLETED and record.promised_due and record.ended_at:
        on_time = local_date(record.ended_at) <= record.promised_due
    return Limits(
        legal_left=legal,
        promised_left=promised,
        supply_left=supply,
        overdue=promised is not None and promised < 0,
        legal_overdue=legal is not None and legal < 0,
        near_due=promised is not None and 0 <= promised <= NEAR_DUE_DAYS,
        supply_overdue=supply is not None and supply < 0,
        on_time=on_time,
    )


def near_due_until(cal: WorkCalendar, today: date, days: int = NEAR_DUE_DAYS) -> date:
    """The last due date that counts as near due today."""
    return cal.add_working_days(today, days)
