"""The unit's `cmd` channel: a notice is verified against the pinned hub key, stored once in
the unit's SQLite and only then answered; what is forged, unsigned, for another unit or not a
notice is refused (and answered as refused when it has an id), and the next one still goes."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from edge.notices.inbox import NoticeInbox
from edge.notices.receiver import NoticeReceiver
from protocol import topics
from protocol.messages import CommandResult, decode
from protocol.signing import generate_key
from protocol.topics import Channel
from tests.edge.notices.signed import HUB_KEY, UNIT, signed, unsigned
from tests.support.waiting import eventually


class Answers:
    def __init__(self, inbox: NoticeInbox) -> None:
        self.inbox = inbox
        self.results: list[CommandResult] = []
        self.stored_when_answered: list[int] = []

    def publish(self, topic: str, payload: bytes, qos: int, retain: bool) -> bool:
        assert topic == topics.topic(UNIT, Channel.CMD_RESULT)
        assert (qos, retain) == (1, False)
        self.results.append(decode(CommandResult, payload))
        self.stored_when_answered.append(self.inbox.count())
        return True


@pytest.fixture
def unit(tmp_path):
    inbox = NoticeInbox(tmp_path / "notices.sqlite3", durable=False)
    answers = Answers(inbox)
    receiver = NoticeReceiver(UNIT, key=HUB_KEY.public_key(), inbox=inbox, publish=answers.publish)
    yield receiver, answers
    inbox.close()


def deliver(receiver: NoticeReceiver, *payloads: bytes) -> None:
    async def scenario() -> None:
        task = asyncio.create_task(receiver.run())
        for p in payloads:
            receiver.on_command(p)
        await eventually(lambda: receiver.stats.handled == len(payloads), 10, "the commands")
        task.cancel()

    asyncio.run(scenario())


def test_a_notice_delivered_twice_is_stored_once_and_answered_after_it_is_stored(unit):
    receiver, answers = unit
    payload = signed()
    notice_id = uuid.UUID(json.loads(payload)["id"])
    deliver(receiver, payload, payload)
    assert [(r.id, r.ok, r.detail) for r in answers.results] == [
        (notice_id, True, "stored"),
        (notice_id, True, "stored already"),
    ]
    assert answers.stored_when_answered == [1, 1]
    (stored,) = receiver.inbox.recent()
    assert stored.notice.id == notice_id
    assert stored.notice.label == "办结通知"


def test_a_notice_survives_a_restart_of_the_unit(tmp_path, unit):
    receiver, _ = unit
    deliver(receiver, signed())
    receiver.inbox.close()
    again = NoticeInbox(receiver.inbox.path)
    assert [s.notice.case_ref for s in again.recent()] == ["DONGJIE-CUN-20261124-0A1B2C"]
    again.close()


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (signed(generate_key()), "bad_signature"),  # forged: another key
        (unsigned(), "bad_signature"),
        (signed(unit="xinmin-cun"), "unit_mismatch"),
        (signed(step="approved"), "invalid_message"),
        (
            # a fixed id: parameters name the test, and every xdist worker must collect the same
            json.dumps(
                {"v": 1, "id": "0190c2d4-1b2a-7c3d-8e4f-5a6b7c8d9e0f", "name": "reboot"}
            ).encode(),
            "unknown_command",
        ),
    ],
)
def test_what_is_not_a_verified_notice_for_this_unit_is_refused_and_the_next_goes(
    unit, payload, code
):
    receiver, answers = unit
    good = signed()
    deliver(receiver, payload, good)
    refused, stored = answers.results
    assert (refused.ok, refused.detail.split(":")[0]) == (False, code)
    assert stored.ok
    assert [str(s.notice.id) for s in receiver.inbox.recent()] == [json.loads(good)["id"]]
    assert receiver.stats.refused == 1


def test_a_tampered_notice_is_refused(unit):
    receiver, answers = unit
    doc = json.loads(signed())
    doc["text"] = "不予确认"
    deliver(receiver, json.dumps(doc).encode())
    assert answers.results[0].ok is False
    assert receiver.inbox.recent() == []


def test_garbage_without_an_id_is_not_answered(unit):
    receiver, answers = unit
    deliver(receiver, b"\xff\xfe", b"[]", b'{"kind": "case.notice"}')
    assert answers.results == []
    assert receiver.stats.refused == 3


def test_a_unit_without_a_pinned_key_refuses_every_notice(tmp_path):
    inbox = NoticeInbox(tmp_path / "n.sqlite3", durable=False)
    answers = Answers(inbox)
    receiver = NoticeReceiver(UNIT, key=None, inbox=inbox, publish=answers.publish)
    deliver(receiver, signed())
    assert (answers.results[0].detail or "").startswith("no_pinned_key")
    assert inbox.count() == 0
