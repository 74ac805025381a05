"""Wire messages for tests, valid unless a test changes them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from protocol.ids import uuid7
from protocol.messages import CaseEnvelope, CaseTransition


def transition(state: str = "opened", **fields: Any) -> CaseTransition:
    """A case transition of a new case."""
    return CaseTransition(case_id=fields.pop("case_id", uuid7()), state=state, **fields)


def envelope(unit: str, seq: int, body: CaseTransition | None = None) -> CaseEnvelope:
    return CaseEnvelope(
        id=uuid7(), unit=unit, seq=seq, ts=datetime.now(UTC), body=body or transition()
    )
