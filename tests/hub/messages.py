"""Messages as units send them to the hub, for the ingest and fleet tests."""

from datetime import UTC, datetime

from mqttio import Received
from protocol import topics
from protocol.ids import uuid7
from protocol.messages import CaseEnvelope, CaseTransition, ConfigReported, TxBatch, encode
from protocol.topics import Channel

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


def tx_batch(unit="t001", n=2, seq0=1, ts=NOW):
    """A tx batch of ``n`` opened cases with sequence numbers from ``seq0``."""
    events = [
        CaseEnvelope(
            id=uuid7(),
            unit=unit,
            seq=seq0 + i,
            ts=ts,
            body=CaseTransition(case_id=uuid7(), state="opened", matter_code="V-SB-001"),
        )
        for i in range(n)
    ]
    return TxBatch(events=events)


def tx(unit="t001", n=2, seq0=1):
    return Received(topics.topic(unit, Channel.TX), encode(tx_batch(unit, n, seq0)), 1, False)


def report(unit, version, status="applied", reason=None):
    rep = ConfigReported(version=version, status=status, reason=reason, ts=NOW)
    return Received(topics.topic(unit, Channel.CONFIG_REPORTED), encode(rep), 1, False)
