"""Every message becomes stored events, presence, a heartbeat, or a dead letter with a reason."""

import hashlib
import json

import pytest

from hub.ingest.deadletter import PREFIX_BYTES, REASON_BYTES
from hub.ingest.intake import take
from mqttio import Received
from protocol import topics
from protocol.bounds import printable
from protocol.messages import Health, OutboxHealth, State, encode
from protocol.topics import Channel
from tests.support.builders import NOW, POISON_MESSAGES, tx


def test_valid_events_are_batched_and_acknowledged_per_unit():
    a, b = tx("t001", 2), tx("t002", 3)
    intake = take([a, b], NOW)
    assert len(intake.batch.events) == 5
    assert {u: len(ids) for u, ids in intake.acks.items()} == {"t001": 2, "t002": 3}
    assert intake.batch.seen == {"t001": NOW, "t002": NOW}
    assert not intake.batch.dead


def test_a_redelivered_message_is_stored_once_but_acknowledged_every_time():
    msg = tx()
    intake = take([msg, msg], NOW)
    assert len(intake.batch.events) == 2
    assert len(intake.acks["t001"]) == 4


@pytest.mark.parametrize(
    ("topic", "payload", "code"),
    [
        (topics.topic("t001", Channel.TX), b"{not json", "malformed_json"),
        (topics.topic("t001", Channel.TX), b'{"v":1,"events":[{"x":1}]}', "invalid_message"),
        (topics.topic("t001", Channel.TX), b"{" + b" " * 300_000 + b"}", "payload_too_large"),
        (topics.topic("t001", Channel.STATE), b'{"v":1}', "invalid_message"),
        ("bianmin/v1/u/t001/secret", b"{}", "invalid_topic"),
        (topics.topic("t001", Channel.ACK), b"{}", "invalid_topic"),
    ],
)
def test_bad_messages_become_dead_letters_with_their_reason_size_hash_and_prefix(
    topic, payload, code
):
    intake = take([Received(topic, payload, 1, False), tx()], NOW)
    assert len(intake.batch.events) == 2  # the good message in the same batch still counts
    (dead,) = intake.batch.dead
    assert dead["reason_code"] == code
    assert dead["size"] == len(payload)
    assert dead["payload_sha256"] == hashlib.sha256(payload).hexdigest()
    assert dead["payload_prefix"] == payload[:PREFIX_BYTES]
    assert dead["reason"]


def test_an_event_naming_another_unit_is_dead_lettered_as_a_mismatch():
    msg = tx("t002")
    spoof = Received(topics.topic("t001", Channel.TX), msg.payload, 1, False)
    intake = take([spoof], NOW)
    assert intake.batch.dead[0]["reason_code"] == "unit_mismatch"
    assert intake.batch.dead[0]["unit"] == "t001"
    assert not intake.acks


def test_presence_and_heartbeats_update_the_unit():
    state = Received(topics.topic("t001", Channel.STATE), encode(State(online=False)), 1, True)
    health = Health(ts=NOW, uptime_s=3, outbox=OutboxHealth(depth=4, bytes=10, limit_bytes=100))
    beat = Received(topics.topic("t002", Channel.HEALTH), encode(health), 0, False)
    intake = take([state, beat], NOW)
    assert intake.batch.presence["t001"][0] is False
    doc, _, _ = intake.batch.health["t002"]
    assert doc["outbox"]["depth"] == 4
    assert json.dumps(doc)  # stored as JSON


@pytest.mark.parametrize("kind", sorted(POISON_MESSAGES))
def test_values_the_databases_cannot_store_are_dead_lettered_before_any_commit(kind):
    poisoned = POISON_MESSAGES[kind]("t001", 7)
    intake = take([poisoned, tx("t002", 3)], NOW)
    assert len(intake.batch.events) == 3
    assert list(intake.acks) == ["t002"]
    assert not intake.batch.health
    (dead,) = intake.batch.dead
    assert dead["reason_code"] == "invalid_message"
    assert dead["payload_sha256"] == hashlib.sha256(poisoned.payload).hexdigest()
    assert dead["size"] == len(poisoned.payload)


def test_a_dead_letter_reason_is_printable_and_bounded_whatever_the_unit_sent():
    key = "\x00\u202e" * 3000  # quoted by the reason, far longer than a reason may be
    payload = b'{"v":1,"events":[{"' + key.encode() + b'":1}]}'
    bad = Received(topics.topic("t001", Channel.TX), payload, 1, False)
    odd_topic = Received("bianmin/v1/u/t001/\x00x", b"{}", 1, False)
    intake = take([bad, odd_topic], NOW)
    for dead in intake.batch.dead:
        assert printable(dead["reason"]) == dead["reason"]
        assert printable(dead["topic"]) == dead["topic"]
        assert 0 < len(dead["reason"].encode()) <= REASON_BYTES
