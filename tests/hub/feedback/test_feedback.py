"""The feedback book on the hub, on SQLite and PostgreSQL: notes from kiosks arrive as
`feedback.note` events through the real ingest (stored once, however often resent; a bad one
dead-lettered with its reason), are listed with filters for auditors, and answered once by an
operator (audited)."""

import json
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hub.app import create_app
from hub.feedback.tables import FEEDBACK
from hub.ingest.batch import commit_ingest_batch
from hub.ingest.intake import take
from hub.models import DeadLetter
from hub.settings import HubSettings
from mqttio import Received
from protocol import topics
from protocol.ids import uuid7
from protocol.messages import FeedbackEnvelope, FeedbackNote, TxBatch, encode
from protocol.topics import Channel
from tests.hub.window.helpers import operator

AT = datetime(2026, 11, 26, 2, tzinfo=UTC)


@pytest.fixture
def client(database_url, tmp_path):
    settings = HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path)
    with TestClient(create_app(settings)) as c:
        yield c


def _note(unit, seq, topic="wait", text="等候时间太长", case_ref=None):
    body = FeedbackNote(topic=topic, text=text, case_ref=case_ref)
    return FeedbackEnvelope(id=uuid7(), unit=unit, seq=seq, ts=AT, body=body)


def _ingest(engine, unit, payload: bytes):
    intake = take([Received(topics.topic(unit, Channel.TX), payload, 1, False)], AT)
    commit_ingest_batch(engine, intake.batch)
    return intake


def _rows(engine):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(FEEDBACK)).scalar_one()


def test_notes_from_kiosks_are_stored_once_and_a_bad_note_is_a_dead_letter(client):
    engine = client.app.state.engine
    notes = [_note("dongjie-cun", 1), _note("dongjie-cun", 2, "praise", "服务很好", "REF-1")]
    payload = encode(TxBatch(events=notes))
    assert sorted(_ingest(engine, "dongjie-cun", payload).acks["dongjie-cun"]) == sorted(
        n.id for n in notes
    )
    _ingest(engine, "dongjie-cun", payload)  # resent: acknowledged again, stored once
    assert _rows(engine) == 2
    bad = json.loads(encode(TxBatch(events=[_note("dongjie-cun", 3)])))
    bad["events"][0]["body"]["text"] = "长" * 501
    intake = _ingest(engine, "dongjie-cun", json.dumps(bad, ensure_ascii=False).encode())
    assert not intake.acks
    with engine.connect() as conn:
        (reason,) = conn.execute(select(DeadLetter.__table__.c.reason)).scalars()  # type: ignore[attr-defined]
    assert "text" in reason
    assert _rows(engine) == 2


def test_feedback_is_listed_with_filters_and_handled_once_with_a_reply(client):
    engine = client.app.state.engine
    _ingest(engine, "dongjie-cun", encode(TxBatch(events=[_note("dongjie-cun", 1)])))
    _ingest(engine, "xinmin-cun", encode(TxBatch(events=[_note("xinmin-cun", 1, "praise")])))
    auth = operator(client)
    assert client.get("/api/feedback").status_code == 401
    page = client.get("/api/feedback", headers=auth).json()
    assert (page["total"], page["unhandled"]) == (2, 2)
    assert {f["source"] for f in page["feedback"]} == {"kiosk"}
    assert client.get("/api/feedback?village=dongjie-cun", headers=auth).json()["total"] == 1
    assert client.get("/api/feedback?town=qingshui-zhen", headers=auth).json()["total"] == 1
    praise = client.get("/api/feedback?topic=praise", headers=auth).json()["feedback"]
    assert [(f["unit"], f["topic_label"]) for f in praise] == [("xinmin-cun", "表扬")]
    assert client.get("/api/feedback?from=2026-11-27", headers=auth).json()["total"] == 0
    assert client.get("/api/feedback?from=2026-11-26", headers=auth).json()["total"] == 2
    fid = page["feedback"][0]["id"]
    done = client.post(
        f"/api/feedback/{fid}/handle", json={"reply": "已增加窗口人员"}, headers=auth
    )
    assert done.status_code == 200, done.text
    assert (done.json()["reply"], done.json()["handled_by"]) == ("已增加窗口人员", "ops")
    again = client.post(f"/api/feedback/{fid}/handle", json={"reply": "再次"}, headers=auth)
    assert again.status_code == 409
    assert client.get("/api/feedback?handled=false", headers=auth).json()["total"] == 1
    audit = client.get("/api/audit?action=feedback.handle", headers=auth).json()
    assert [a["target"] for a in audit] == [f"feedback/{fid}"]
