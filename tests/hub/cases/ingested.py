"""Scripted cases through the hub's real ingest writer and the projector, on a test engine."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from hub.cases.project import PENDING, RECORDS, drain_pending
from hub.ingest.batch import commit_ingest_batch
from hub.ingest.intake import take
from mqttio import Received
from protocol import topics
from protocol.messages import CaseEnvelope
from protocol.topics import Channel
from tests.support.cases import tx_payload

# after the scripted cases' times, so none is refused as from the future
RECEIVED = datetime(2026, 12, 31, tzinfo=UTC)


def ingest(engine: Engine, events: Sequence[CaseEnvelope]) -> set[uuid.UUID]:
    """Commit these events as one ingest batch of one message per unit."""
    by_unit: dict[str, list[CaseEnvelope]] = {}
    for e in events:
        by_unit.setdefault(e.unit, []).append(e)
    messages = [
        Received(topics.topic(u, Channel.TX), tx_payload(evs), 1, False)
        for u, evs in by_unit.items()
    ]
    intake = take(messages, RECEIVED, drift_s=10**9)
    assert not intake.batch.dead, intake.batch.dead
    return commit_ingest_batch(engine, intake.batch)


def drain(engine: Engine) -> int:
    total = 0
    while taken := drain_pending(engine):
        total += taken
    return total


def records(engine: Engine) -> dict[uuid.UUID, dict[str, object]]:
    with engine.connect() as conn:
        return {r.case_id: dict(r._mapping) for r in conn.execute(select(RECORDS))}


def pending(engine: Engine) -> list[tuple[uuid.UUID, int]]:
    with engine.connect() as conn:
        return [(r.case_id, r.gen) for r in conn.execute(select(PENDING))]
