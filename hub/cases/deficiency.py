"""The 容缺 timers' steps: a case past its supply date without its materials is lapsed, and
once the grace period is over too it is withdrawn (as the catalog says: 逾期未补齐的，本次申请
按撤回处理) and its applicant proposed for the integrity blacklist.

Each step is a hub action with an id derived from the case and the step, so two hub processes
running the timers at once record it once (hub.cases.actions is idempotent by id), and each
case is its own transaction: one failing case does not hold up the others."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine, select

from hub.accounts.roles import SYSTEM
from hub.cases.actions import record_action
from hub.cases.fold import ActionKind, Deficiency
from hub.cases.project import RECORDS
from hub.faults import database_unavailable
from hub.window.proposals import propose
from protocol.calendar import WorkCalendar

log = logging.getLogger("bianmin.hub.cases")
# the namespace of the timers' action ids: uuid5(NAMESPACE, "<case id>:<step>")
NAMESPACE = uuid.UUID("6f1b2c1e-3c51-5d7a-9a43-1a2f0c7e5b10")
WITHDRAW_REASON = "逾期未补齐容缺材料，按规定撤回（已提交材料退还申请人）"
BATCH = 500  # cases looked at per step and tick


def step_id(case_id: uuid.UUID, step: ActionKind) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{case_id}:{step.value}")


@dataclass
class DeficiencySweep:
    lapsed: int = 0
    withdrawn: int = 0
    proposed: int = 0
    failed: int = 0


def _isolated(engine: Engine, sweep: DeficiencySweep, work: Callable[[], None]) -> None:
    try:
        work()
    except Exception as exc:
        if database_unavailable(exc, engine.dialect.loaded_dbapi):
            raise
        sweep.failed += 1
        log.exception("a 容缺 timer step failed for one case; the others go on")


def sweep_deficiencies(
    engine: Engine,
    *,
    now: datetime,
    today: date,
    calendar: WorkCalendar,
    grace_days: Callable[[str | None], int],
) -> DeficiencySweep:
    """Lapse what is due, then withdraw what is due (``grace_days(matter_code)`` working days
    after the supply date)."""
    sweep = DeficiencySweep()
    with engine.connect() as conn:
        owed = conn.execute(
            select(RECORDS.c.case_id, RECORDS.c.supply_by)
            .where(RECORDS.c.deficiency == Deficiency.OWED.value, RECORDS.c.supply_by < today)
            .order_by(RECORDS.c.supply_by)
            .limit(BATCH)
        ).all()
    for case_id, supply_by in owed:

        def lapse(case_id: uuid.UUID = case_id, supply_by: date = supply_by) -> None:
            with engine.begin() as conn:
                _, new = record_action(
                    conn, case_id=case_id, kind=ActionKind.LAPSED, actor=SYSTEM,
                    data={"supply_by": supply_by.isoformat()},
                    action_id=step_id(case_id, ActionKind.LAPSED), at=now,
                )  # fmt: skip
            sweep.lapsed += new

        _isolated(engine, sweep, lapse)
    with engine.connect() as conn:
        lapsed = conn.execute(
            select(RECORDS.c.case_id, RECORDS.c.supply_by, RECORDS.c.matter_code)
            .where(RECORDS.c.deficiency == Deficiency.LAPSED.value)
            .order_by(RECORDS.c.supply_by)
            .limit(BATCH)
        ).all()
    for case_id, supply_by, matter in lapsed:
        grace = grace_days(matter)
        if supply_by is None or today <= calendar.add_working_days(supply_by, grace):
            continue

        def withdraw(case_id: uuid.UUID = case_id, grace: int = grace) -> None:
            with engine.begin() as conn:
                record, new = record_action(
                    conn, case_id=case_id, kind=ActionKind.WITHDRAWN, actor=SYSTEM,
                    data={"reason": WITHDRAW_REASON, "grace_days": grace},
                    action_id=step_id(case_id, ActionKind.WITHDRAWN), at=now,
                )  # fmt: skip
                if record.deficiency == Deficiency.WITHDRAWN:
                    sweep.proposed += propose(conn, record, now)
            sweep.withdrawn += new

        _isolated(engine, sweep, withdraw)
    return sweep
