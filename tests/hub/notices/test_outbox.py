"""The notice outbox on SQLite and PostgreSQL: due at once, published again on a doubling
back-off or at once when the unit comes online, closed by its own unit's answer only; and
the units' answers arriving through the real ingest path (cmd/result), malformed ones
dead-lettered."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import select

from hub.ingest.batch import commit_ingest_batch
from hub.ingest.intake import take
from hub.models import DeadLetter
from hub.notices.outbox import NoticeFacts, claim_due, issue, record_results, unsent
from hub.notices.tables import NOTICES
from mqttio import Received
from protocol import topics
from protocol.messages import CommandResult, encode
from protocol.notice import NoticeStep
from protocol.signing import generate_key
from protocol.topics import Channel

KEY = generate_key()
T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
FACTS = NoticeFacts(NoticeStep.COMPLETED, "清水镇便民服务中心", text="准予确认")


def record(unit="dongjie-cun"):
    return SimpleNamespace(
        unit=unit, case_id=uuid.uuid4(), case_ref="DONGJIE-CUN-20261124-000001",
        matter_code="BIR-007", id_masked="3411**********1234",
        times={"accepted": "2026-11-24T01:33:00+00:00"},
    )  # fmt: skip


def issued(engine, unit="dongjie-cun"):
    with engine.begin() as conn:
        return issue(
            conn, KEY, record=record(unit), matter_name="事项", action_id=uuid.uuid4(),
            facts=FACTS, now=T0,
        )  # fmt: skip


def claim(engine, at, online=()):
    with engine.begin() as conn:
        return claim_due(conn, now=at, online=online, first_after_s=30, max_after_s=900)


def status(engine, notice_id):
    with engine.connect() as conn:
        return conn.execute(select(NOTICES).where(NOTICES.c.id == notice_id)).one()


def test_a_new_notice_is_due_at_once_then_again_after_a_doubling_back_off(engine):
    notice = issued(engine)
    (due,) = claim(engine, T0)
    assert (due.id, due.unit) == (notice.id, "dongjie-cun")
    assert json.loads(due.document)["sig"] == notice.sig
    assert claim(engine, T0 + timedelta(seconds=29)) == []
    assert len(claim(engine, T0 + timedelta(seconds=30))) == 1
    assert claim(engine, T0 + timedelta(seconds=89)) == []  # now waits 60 s
    assert len(claim(engine, T0 + timedelta(seconds=90))) == 1
    assert status(engine, notice.id).attempts == 3


def test_a_unit_coming_online_gets_every_pending_notice_at_once(engine):
    mine = [issued(engine), issued(engine)]
    issued(engine, unit="xinmin-cun")
    claim(engine, T0)  # all three published, none answered
    again = claim(engine, T0 + timedelta(seconds=1), online=["dongjie-cun"])
    assert sorted(d.id for d in again) == sorted(n.id for n in mine)


def test_a_notice_the_broker_would_not_take_is_due_again_at_once(engine):
    notice = issued(engine)
    claim(engine, T0)
    with engine.begin() as conn:
        unsent(conn, [notice.id], T0 + timedelta(seconds=1))
    assert [d.id for d in claim(engine, T0 + timedelta(seconds=1))] == [notice.id]


def test_only_the_notices_own_unit_closes_it_and_stored_wins_over_refused(engine):
    notice = issued(engine)
    now = T0 + timedelta(seconds=5)
    ok = CommandResult(id=notice.id, ok=True, detail="stored", ts=now)
    refused = CommandResult(id=notice.id, ok=False, detail="bad_signature: forged copy", ts=now)
    with engine.begin() as conn:
        assert record_results(conn, [("xinmin-cun", ok)], now) == 0  # another unit's word
        assert record_results(conn, [("dongjie-cun", refused)], now) == 1
    row = status(engine, notice.id)
    assert (row.status, row.detail) == ("refused", "bad_signature: forged copy")
    assert claim(engine, T0 + timedelta(hours=1)) == []  # refused: not sent again
    with engine.begin() as conn:
        assert record_results(conn, [("dongjie-cun", ok)], now) == 1
        assert record_results(conn, [("dongjie-cun", ok)], now) == 0  # answered already
    row = status(engine, notice.id)
    assert (row.status, row.detail, row.answered_at) == ("delivered", None, now)


def _received(unit, payload):
    return Received(topics.topic(unit, Channel.CMD_RESULT), payload, 1, False)


def test_ingest_records_cmd_results_and_dead_letters_malformed_ones(engine):
    notice = issued(engine)
    now = T0 + timedelta(seconds=3)
    good = encode(CommandResult(id=notice.id, ok=True, detail="stored", ts=now))
    stranger = encode(CommandResult(id=uuid.uuid4(), ok=True, ts=now))
    bad = b'{"v": 1, "id": "x", "ok": "yes"}'
    intake = take(
        [_received("dongjie-cun", good), _received("dongjie-cun", stranger),
         _received("dongjie-cun", bad), _received("dongjie-cun", b"\xff" * 10)],
        now,
    )  # fmt: skip
    assert [d["reason_code"] for d in intake.batch.dead] == ["invalid_message", "malformed_json"]
    commit_ingest_batch(engine, intake.batch)
    assert status(engine, notice.id).status == "delivered"
    with engine.connect() as conn:
        dead = conn.execute(select(DeadLetter.__table__)).all()  # type: ignore[attr-defined]
    assert len(dead) == 2
    assert {d.topic for d in dead} == {topics.topic("dongjie-cun", Channel.CMD_RESULT)}
