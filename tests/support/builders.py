"""Wire messages for tests, valid unless a test changes them, shaped as units send them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mqttio import Received
from protocol import topics
from protocol.ids import uuid7
from protocol.messages import CaseEnvelope, CaseTransition, ConfigReported, TxBatch, encode
from protocol.topics import Channel

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


def transition(state: str = "opened", **fields: Any) -> CaseTransition:
    """A case transition of a new case (``case_id`` and other fields may be given)."""
    return CaseTransition(case_id=fields.pop("case_id", uuid7()), state=state, **fields)


def envelope(
    unit: str, seq: int, body: CaseTransition | None = None, ts: datetime | None = None
) -> CaseEnvelope:
    return CaseEnvelope(
        id=uuid7(), unit=unit, seq=seq, ts=ts or datetime.now(UTC), body=body or transition()
    )


def tx_batch(unit: str = "t001", n: int = 2, seq0: int = 1, ts: datetime = NOW) -> TxBatch:
    """A tx batch of ``n`` opened cases with sequence numbers from ``seq0``."""
    events = [envelope(unit, seq0 + i, transition(matter_code="V-SB-001"), ts) for i in range(n)]
    return TxBatch(events=events)


def tx(unit: str = "t001", n: int = 2, seq0: int = 1) -> Received:
    """That batch as the hub's consumer receives it."""
    return Received(topics.topic(unit, Channel.TX), encode(tx_batch(unit, n, seq0)), 1, False)


def report(unit: str, version: int, status: str = "applied", reason: str | None = None) -> Received:
    """A unit's config/reported message as the hub's consumer receives it."""
    rep = ConfigReported(version=version, status=status, reason=reason, ts=NOW)
    return Received(topics.topic(unit, Channel.CONFIG_REPORTED), encode(rep), 1, False)
