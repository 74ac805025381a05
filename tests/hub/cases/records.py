"""Folding scripted cases without a database: events and actions as the projection reads them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from hub.cases.fold import Action, UnitEvent, fold
from protocol.ids import uuid7
from protocol.messages import CaseTransition


def unit_events(unit: str, steps: Sequence[tuple[datetime, CaseTransition]]) -> list[UnitEvent]:
    return [
        UnitEvent(ts, unit, i + 1, t.state, t.matter_code, dict(t.data))
        for i, (ts, t) in enumerate(steps)
    ]


def action(kind: str, at: datetime, actor: str = "town:office", **data: Any) -> Action:
    return Action(uuid7(), at, kind, actor, data)


def record(
    events: Sequence[UnitEvent], actions: Sequence[Action] = (), case_id: uuid.UUID | None = None
) -> dict[str, Any]:
    cid = case_id or uuid.UUID(int=0)
    rec = fold(cid, events, actions)
    assert rec is not None
    return rec
