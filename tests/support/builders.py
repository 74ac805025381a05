"""Wire messages for tests, valid unless a test changes them, shaped as units send them."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from mqttio import Received
from protocol import topics
from protocol.ids import uuid7
from protocol.messages import (
    CaseEnvelope,
    CaseTransition,
    ConfigReported,
    EventEnvelope,
    Health,
    OutboxHealth,
    TxBatch,
    encode,
)
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


def raw_tx(unit: str = "t001", seq: int = 1, **changes: Any) -> Received:
    """A tx message of one event built as plain JSON, so a test can put in values the models
    refuse: ``changes`` replace envelope fields, and ``body_*`` ones body fields."""
    event = envelope(unit, 1, transition(matter_code="V-SB-001")).model_dump(mode="json")
    event["seq"] = seq
    for name, value in changes.items():
        if name.startswith("body_"):
            event["body"][name.removeprefix("body_")] = value
        else:
            event[name] = value
    payload = json.dumps({"v": 1, "events": [event]}).encode()
    return Received(topics.topic(unit, Channel.TX), payload, 1, False)


# Values that pass a schema without bounds but fail at commit (issue 10): each must be
# refused by the protocol and dead-lettered before it reaches a database.
POISON: dict[str, dict[str, Any]] = {
    "seq_2_63": {"seq": 2**63},
    "year_9999": {"ts": "9999-12-31T23:59:59-05:00"},
    "nul_in_matter_code": {"body_matter_code": "V-\x00-001"},
    "nul_in_data_key": {"body_data": {"k\x00": 1}},
    "int_over_64_bits": {"body_data": {"n": 2**64}},
    "nan": {"body_data": {"x": float("nan")}},
}


def poisoned_tx(unit: str, kind: str, seq: int = 1) -> Received:
    return raw_tx(unit, **{"seq": seq, **POISON[kind]})


def poisoned_tx_at(kind: str, unit: str, seq: int) -> Received:
    return poisoned_tx(unit, kind, seq)


def heartbeat(unit: str, ts: datetime | None = None, config_version: int | None = None) -> Received:
    """A unit's health message as the hub's consumer receives it; ``config_version`` may be
    any integer (the model is bypassed)."""
    doc = Health(
        ts=ts or datetime.now(UTC), uptime_s=5, outbox=OutboxHealth(depth=0, bytes=0, limit_bytes=1)
    ).model_dump(mode="json")
    doc["config_version"] = config_version
    return Received(topics.topic(unit, Channel.HEALTH), json.dumps(doc).encode(), 0, False)


def _nan_heartbeat(unit: str, seq: int) -> Received:
    doc = json.loads(heartbeat(unit).payload)
    doc["uptime_s"] = float("nan")
    return Received(topics.topic(unit, Channel.HEALTH), json.dumps(doc).encode(), 0, False)


def _nul_in_reason(unit: str, seq: int) -> Received:
    # refused anyway (the key is too long), and the reason quotes the key
    return raw_tx(unit, seq=seq, body_data={"\x00" * 65: 1})


# Every message of issue 10 that made a whole ingest batch fail at commit on today's main,
# on SQLite, on PostgreSQL or both, by name.
POISON_MESSAGES: dict[str, Callable[[str, int], Received]] = {
    **{kind: partial(poisoned_tx_at, kind) for kind in POISON},
    "nul_in_dead_letter_reason": _nul_in_reason,
    "nan_in_heartbeat": _nan_heartbeat,
}


def tx_of(events: Sequence[EventEnvelope]) -> Received:
    """A tx message carrying these events (of one unit), as the hub's consumer receives it."""
    payload = encode(TxBatch(events=list(events)))
    return Received(topics.topic(events[0].unit, Channel.TX), payload, 1, False)
