"""The ingest fast path (hub/ingest/fastpath.py) accepts only batches the protocol models
accept, with the same values, and defers everything else to them: so the hub accepts and
refuses exactly what the models say, with their reasons. Pure: no broker, no database."""

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.common import event_json
from hub.ingest import intake as intake_module
from hub.ingest.fastpath import ack_json, fast_tx
from hub.ingest.intake import take
from mqttio import Received
from protocol import topics
from protocol.errors import ProtocolError
from protocol.messages import CaseEnvelope, ack_payload, decode_tx, frame_tx_batch
from protocol.topics import Channel
from tests.support.hostile_payloads import (
    _GONE,
    HOSTILE_VALUES,
    _paths,
    _set,
    _valid,
    hostile_messages,
)

UNIT = "c001"
OTHER = "c002"


def assert_same_as_models(unit: str, payload: bytes) -> bool:
    """Check the fast path against the models on one payload; True if it took the batch."""
    fast = fast_tx(unit, payload)
    if fast is None:
        return False
    try:
        batch = decode_tx(unit, payload)
    except ProtocolError as exc:  # pragma: no cover - the failure this test exists to catch
        pytest.fail(f"the fast path accepted what the models refuse ({exc}): {payload!r}")
    assert len(fast) == len(batch.events)
    for got, ev in zip(fast, batch.events, strict=True):
        assert isinstance(ev, CaseEnvelope)
        assert (got.id, got.unit, got.seq) == (ev.id, ev.unit, ev.seq)
        assert got.ts == ev.ts
        assert got.ts.utcoffset() == ev.ts.utcoffset()
        body = ev.body
        assert (got.case_id, got.state, got.matter_code) == (
            body.case_id,
            body.state,
            body.matter_code,
        )
        assert json.loads(got.body_json) == json.loads(body.model_dump_json())
    return True


@st.composite
def hostile_batches(draw: st.DrawFn) -> bytes:
    """hostile_messages' shaped `tx` batches (one or two fields set to a hostile value), and
    its other kinds of message read as `tx`: any JSON, random bytes."""
    kind = draw(st.sampled_from(["shaped"] * 6 + ["other"]))
    if kind == "other":
        return draw(hostile_messages(UNIT, OTHER))[1]
    doc = _valid(Channel.TX, draw(st.sampled_from([UNIT, UNIT, UNIT, OTHER])), 1)
    for _ in range(draw(st.integers(1, 2))):
        paths = _paths(doc)
        if paths:
            _set(doc, draw(st.sampled_from(paths)), draw(HOSTILE_VALUES))
    return json.dumps(doc, ensure_ascii=True).encode()


@settings(max_examples=300, deadline=None)
@given(hostile_batches())
def test_fast_path_accepts_only_what_the_models_accept_with_the_same_values(payload):
    assert_same_as_models(UNIT, payload)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("events", 0, "body", "matter_code"), "ok\n"),  # `$` before a final newline
        (("events", 0, "body", "matter_code"), "x" * 33),
        (("events", 0, "body", "data", "n"), 2**63),
        (("events", 0, "body", "data", "n"), 2**63 - 1),
        (("events", 0, "body", "data", "n"), -(2**63)),
        (("events", 0, "body", "data", "n"), 2.0**63),
        (("events", 0, "body", "data", "n"), 1e308),
        (("events", 0, "body", "data", "n"), 1.0),
        (("events", 0, "body", "data", "n"), True),
        (("events", 0, "body", "data", "n"), [1, "a", None, 2.5]),
        (("events", 0, "body", "data", "n"), {"nested": 1}),
        (("events", 0, "body", "data", "n"), "\u2028"),
        (("events", 0, "body", "data", "n"), "\ud800"),
        (("events", 0, "body", "data", "n"), "好" * 1000),
        (("events", 0, "body", "data", "n"), "好" * 1001),
        (("events", 0, "body", "state"), "Opened"),
        (("events", 0, "body", "state"), "a" * 65),
        (("events", 0, "seq"), 1.0),
        (("events", 0, "seq"), True),
        (("events", 0, "seq"), 2**63),
        (("events", 0, "v"), True),
        (("events", 0, "v"), 1.0),
        (("v",), True),
        (("events", 0, "id"), "01A22284B1BE71A09B42DC0984090768"),
        (("events", 0, "id"), "{01a22284-b1be-71a0-9b42-dc0984090768}"),
        (("events", 0, "ts"), "2026-11-28T09:30:00.5-23:59"),
        (("events", 0, "ts"), "2026-11-28T09:30:00+24:00"),
        (("events", 0, "ts"), "2026-11-28 09:30:00Z"),
        (("events", 0, "ts"), "2026-11-28T09:30:60Z"),
        (("events", 0, "ts"), "2199-12-31T23:59:59.999999Z"),
        (("events", 0, "ts"), "2200-01-01T00:00:00Z"),
        (("events", 0, "ts"), "1970-01-01T00:00:00+00:01"),
        (("events", 0, "ts"), "2026-11-28T09:30:00"),
        (("events", 0, "ts"), 1_700_000_000),
        (("events", 0, "unit"), OTHER),
        (("events", 0, "kind"), "feedback.note"),
        (("events", 0, "extra"), 1),
        (("events", 0, "kind"), None),
        (("events", 0, "kind"), _GONE),  # the models need it to pick the body
        (("events", 0, "v"), _GONE),
        (("events", 0, "body", "data"), _GONE),
    ],
)
def test_edge_values_are_taken_only_when_the_models_take_them(path, value):
    doc = _valid(Channel.TX, UNIT, 1)
    _set(doc, path, value)
    assert_same_as_models(UNIT, json.dumps(doc).encode())


def test_what_units_send_takes_the_fast_path():
    """Not vacuous: a unit's own batches (one event, or many) go the fast way."""
    one = frame_tx_batch([event_json(UNIT, 1)])
    many = frame_tx_batch([event_json(UNIT, s) for s in range(1, 101)])
    assert assert_same_as_models(UNIT, one)
    assert assert_same_as_models(UNIT, many)
    assert assert_same_as_models(UNIT, json.dumps(_valid(Channel.TX, UNIT, 1)).encode())


def test_take_stores_the_same_rows_either_way(monkeypatch):
    """The intake's rows from the fast path equal those from the models' path, dead letters and
    acks included (a batch the fast path defers is decoded by the models)."""
    now = datetime.now(UTC)
    good = frame_tx_batch([event_json(UNIT, s, now) for s in range(1, 4)])
    note = {"v": 1, "id": str(uuid.uuid4()), "unit": UNIT, "seq": 9, "ts": now.isoformat(),
            "kind": "feedback.note", "body": {"topic": "other", "text": "好"}}  # fmt: skip
    feedback = json.dumps({"v": 1, "events": [note]}).encode()
    bad = b'{"v":1,"events":[]}'
    msgs = [Received(topics.topic(UNIT, Channel.TX), p, 1, False) for p in (good, feedback, bad)]
    fast = take(msgs, now)
    monkeypatch.setattr(intake_module, "fast_tx", lambda unit, payload: None)  # models only
    slow = take(msgs, now)
    assert fast.batch.events.keys() == slow.batch.events.keys()
    for key, row in fast.batch.events.items():
        other = slow.batch.events[key]
        assert json.loads(row.body_json) == json.loads(other.body_json)
        assert replace(row, body_json="") == replace(other, body_json="")
    assert dict(fast.acks) == dict(slow.acks)
    assert [d["reason"] for d in fast.batch.dead] == [d["reason"] for d in slow.batch.dead]
    assert fast.events == slow.events == 4


@given(st.binary(max_size=200))
def test_random_bytes_never_take_the_fast_path_unless_the_models_agree(payload):
    assert_same_as_models(UNIT, payload)


@given(st.lists(st.uuids(), max_size=50))
def test_acks_written_by_msgspec_are_the_protocols_bytes(ids):
    assert ack_json(ids) == ack_payload(ids)
