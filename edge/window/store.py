"""The unit's durable record of its open case: the case snapshot lives in the event log's database
and is written in the same SQLite transaction as each transition's event, so after a power cut
the unit resumes the case exactly where its last committed transition left it.

The same transaction keeps the agents' lists of forwarded cases still to carry to the town
(待送件): an agent's case that is forwarded is added with the transition that forwards it."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from edge.eventlog import EventLog
from edge.workflow.machine import Step
from edge.workflow.model import Case
from protocol.case import REF_GENERATION, CaseState
from protocol.messages import CaseTransition

log = logging.getLogger("bianmin.edge.window")
OPEN_CASE = "workflow.open_case"
PROGRESS = "workflow.progress"  # e.g. which slips of the case are printed already
AGENT_PENDING = "window.agent_pending"  # forwarded 代办 cases the agent has yet to carry
MAX_PENDING = 500


class CaseStore:
    def __init__(self, event_log: EventLog, generation: Callable[[], int] = lambda: 1) -> None:
        self.event_log = event_log
        # the generation of the references the unit keeps (protocol.idchain): an event naming
        # the applicant says which, once there has been a rotation, so the hub can carry it
        self.generation = generation

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
        case = step.case
        if case.agent is not None and case.state is CaseState.FORWARDED:
            pending = [p for p in self.agent_pending() if p["case_id"] != str(case.case_id)]
            pending.append(_pending(case))
            if len(pending) > MAX_PENDING:
                log.warning("more than %d forwarded agent cases kept; the oldest is dropped",
                            MAX_PENDING)  # fmt: skip
            state[AGENT_PENDING] = json.dumps(pending[-MAX_PENDING:], ensure_ascii=False)
        await self.event_log.append(tagged(step.transition, self.generation()), at, state=state)

    def progress(self) -> dict[str, list[str]]:
        raw = self.event_log.get_state(PROGRESS)
        return json.loads(raw) if raw else {}

    async def save_progress(self, progress: dict[str, list[str]]) -> None:
        await self.event_log.put_state({PROGRESS: json.dumps(progress, ensure_ascii=False)})

    def agent_pending(self, agent: str | None = None) -> list[dict[str, Any]]:
        """Forwarded 代办 cases still to carry to the town, oldest first (one agent's, if
        given). From this unit's own records: the outbox forgets events once the hub has them.
        Handing them over at the town is recorded on the hub (not yet built): until then a
        case stays on its agent's list."""
        raw = self.event_log.get_state(AGENT_PENDING)
        try:
            entries = json.loads(raw) if raw else []
        except ValueError:
            log.exception("the agents' list of cases to carry cannot be read")
            return []
        return [p for p in entries if agent is None or p.get("agent") == agent]


def tagged(transition: CaseTransition, generation: int) -> CaseTransition:
    """``transition`` saying which generation its applicant's reference is of (hub.ingest.
    references); unchanged before any rotation, or when it names no applicant."""
    if generation <= 1 or not isinstance(transition.data.get("applicant"), str):
        return transition
    data = {**transition.data, REF_GENERATION: generation}
    return transition.model_copy(update={"data": data})


def _pending(case: Case) -> dict[str, Any]:
    assert case.applicant is not None
    d = case.deadlines
    return {
        "case_id": str(case.case_id), "case_ref": case.case_ref, "agent": case.agent,
        "matter": case.matter_name, "to": case.route.value if case.route else None,
        "applicant": case.applicant.id_masked,
        "accepted_on": d.accepted_on.isoformat() if d else None,
        "promised_due": d.promised_due.isoformat() if d else None,
        "supply_by": d.supply_by.isoformat() if d and d.supply_by else None,
    }  # fmt: skip
