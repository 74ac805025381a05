"""Turn raw MQTT messages into one ingest batch: decode, validate, route dead letters.
Pure code: no database, no network, so every refusal path is tested without I/O."""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hub.ingest.batch import IngestBatch
from hub.ingest.deadletter import dead_letter
from hub.ingest.fastpath import fast_tx
from hub.ingest.sql import EventRow
from mqttio import Received
from protocol import topics
from protocol.errors import InvalidTopic, ProtocolError
from protocol.messages import (
    CaseEnvelope,
    CaseTransition,
    CommandResult,
    ConfigReported,
    Health,
    State,
    decode,
    decode_tx,
)
from protocol.topics import Channel

CASE_KIND: str = CaseEnvelope.model_fields["kind"].default
# Every message's topic is split and its unit id checked; a hub sees the same few thousand
# topics over and over. Only valid topics are cached (an exception is never), and a hostile
# unit can only publish on its own topics (broker ACLs), so the cache holds at most one entry
# per unit and channel.
_parse_topic = functools.lru_cache(maxsize=1 << 17)(topics.parse)


class Revoked(ProtocolError):
    """A message under the id of a unit the operator revoked (hub.commands.revocation)."""

    code = "revoked"


@dataclass
class Intake:
    batch: IngestBatch = field(default_factory=IngestBatch)
    # every valid event id per unit, duplicates included: all of them are acknowledged
    acks: dict[str, list[uuid.UUID]] = field(default_factory=lambda: defaultdict(list))
    reports: list[tuple[str, ConfigReported]] = field(default_factory=list)
    messages: int = 0
    events: int = 0


def _dead(
    intake: Intake, msg: Received, unit: str | None, exc: ProtocolError, now: datetime
) -> None:
    intake.batch.dead.append(
        dead_letter(
            topic=msg.topic,
            unit=unit,
            reason_code=exc.code,
            reason=str(exc),
            payload=msg.payload,
            received_at=now,
        )
    )


def _add_event(
    intake: Intake, now: datetime, horizon: datetime, id: uuid.UUID, unit: str, seq: int,
    ts: datetime, kind: str, case_id: uuid.UUID | None, state: str | None,
    matter_code: str | None, body_json: str,
) -> None:  # fmt: skip
    events = intake.batch.events
    if id not in events:
        # an event from the future proves the clock runs ahead; one from the past may just
        # have waited in the unit's outbox
        ahead = (ts - now).total_seconds() if ts > horizon else None
        events[id] = EventRow(id, unit, seq, ts, kind, case_id, state, matter_code, body_json,
                              now, ahead)  # fmt: skip
    intake.acks[unit].append(id)


def take(
    messages: Iterable[Received],
    now: datetime,
    *,
    drift_s: float = 300.0,
    revoked: frozenset[str] = frozenset(),
) -> Intake:
    """``now`` is the hub's receive time; a unit's clock further than ``drift_s`` seconds from
    it is drift: flagged, never refused (a Pi has no real-time clock). Anything from a unit in
    ``revoked`` is a dead letter."""
    intake = Intake()
    batch = intake.batch
    batch.drift_s = drift_s
    horizon = now + timedelta(seconds=drift_s)
    for msg in messages:
        intake.messages += 1
        unit: str | None = None
        try:
            ref = _parse_topic(msg.topic)
            unit = ref.unit
            if unit in revoked:
                raise Revoked(f"unit {unit!r} is revoked; its messages are not read")
            if ref.channel is Channel.TX:
                fast = fast_tx(unit, msg.payload)
                if fast is not None:
                    for fe in fast:
                        _add_event(intake, now, horizon, fe.id, unit, fe.seq, fe.ts, CASE_KIND,
                                   fe.case_id, fe.state, fe.matter_code, fe.body_json)  # fmt: skip
                    intake.events += len(fast)
                else:
                    tx = decode_tx(unit, msg.payload)
                    for ev in tx.events:
                        body = ev.body
                        case = body if isinstance(body, CaseTransition) else None
                        _add_event(
                            intake, now, horizon, ev.id, unit, ev.seq, ev.ts, ev.kind,
                            case.case_id if case else None, case.state if case else None,
                            case.matter_code if case else None, body.model_dump_json(),
                        )  # fmt: skip
                    intake.events += len(tx.events)
            elif ref.channel is Channel.STATE:
                state = decode(State, msg.payload)
                batch.presence[unit] = (state.online, now)
            elif ref.channel is Channel.HEALTH:
                health = decode(Health, msg.payload)
                # sent the moment it was made (QoS 0, never queued by the unit): its offset
                # is the unit's clock error, give or take the network and the ingest queue
                batch.clocks[unit] = (health.ts - now).total_seconds()
                batch.health[unit] = (
                    health.model_dump(mode="json"),
                    health.ts,
                    health.config_version,
                )
            elif ref.channel is Channel.CONFIG_REPORTED:
                report = (unit, decode(ConfigReported, msg.payload))
                intake.reports.append(report)
                batch.reports.append(report)
            elif ref.channel is Channel.CMD_RESULT:
                # a unit's answer to a command or notice (hub.notices): recorded with the batch
                batch.results.append((unit, decode(CommandResult, msg.payload)))
            else:
                raise InvalidTopic(f"the hub does not read channel {ref.channel.value!r}")
            batch.touch(unit, now)
        except ProtocolError as exc:
            _dead(intake, msg, unit, exc, now)
    return intake


def refused(msg: Received, exc: ProtocolError, now: datetime) -> Intake:
    """An intake holding only ``msg``, as a dead letter: it passed validation, but the
    database would not store what it carries (hub/ingest/isolation.py)."""
    intake = Intake(messages=1)
    try:
        unit: str | None = topics.parse(msg.topic).unit
    except ProtocolError:
        unit = None
    _dead(intake, msg, unit, exc, now)
    return intake
