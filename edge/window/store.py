"""The unit's durable record of its open case: the case snapshot lives in the event log's database
and is written in the same SQLite transaction as each transition's event, so after a power cut
the unit resumes the case exactly where its last committed transition left it."""

from __future__ import annotations

import json
import logging
from datetime import datetime

from edge.eventlog import EventLog
from edge.workflow.machine import Step
from edge.workflow.model import Case

log = logging.getLogger("bianmin.edge.window")
OPEN_CASE = "workflow.open_case"
PROGRESS = "workflow.progress"  # e.g. which slips of the case are printed already


class CaseStore:
    def __init__(self, event_log: EventLog) -> None:
        self.event_log = event_log

    def load(self) -> Case | None:
        raw = self.event_log.get_state(OPEN_CASE)
        if raw is None:
            return None
        try:
            return Case.model_validate_json(raw)
        except ValueError:
            # a snapshot this version cannot read must not stop the window; the events are safe
            log.exception("the stored open case cannot be read; starting without it")
            return None

    async def commit(self, step: Step, at: datetime) -> None:
        """Event and snapshot in one transaction; a closed case leaves no snapshot behind."""
        snapshot = None if step.case.closed else step.case.model_dump_json()
        state: dict[str, str | None] = {OPEN_CASE: snapshot}
        if step.case.closed or step.case.transitions == 1:
            state[PROGRESS] = None
        await self.event_log.append(step.transition, at, state=state)

    def progress(self) -> dict[str, list[str]]:
        raw = self.event_log.get_state(PROGRESS)
        return json.loads(raw) if raw else {}

    async def save_progress(self, progress: dict[str, list[str]]) -> None:
        await self.event_log.put_state({PROGRESS: json.dumps(progress, ensure_ascii=False)})
