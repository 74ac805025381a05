"""Alerts raised by the hub's timer on SQLite and PostgreSQL: on time whether or not the
unit comes back, cleared when the cause ends, repeated until acknowledged, sent once per
step even with two hub processes."""

import asyncio
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from hub.alerts.conditions import Thresholds
from hub.alerts.escalation import Escalation
from hub.alerts.notify import Notifier
from hub.alerts.store import ALERTS
from hub.alerts.watcher import evaluate
from hub.app import create_app
from hub.models import Unit
from hub.settings import HubSettings
from tests.hub.window.helpers import operator

UNITS = Unit.__table__  # type: ignore[attr-defined]
T0 = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
TEN_MIN = Thresholds(offline_after=timedelta(minutes=10))
POLICY = Escalation((timedelta(minutes=15), timedelta(hours=1)))


def _unit(engine, unit="dongjie-cun", *, seen=T0, health=None, drift=False):
    with engine.begin() as conn:
        conn.execute(UNITS.delete().where(UNITS.c.id == unit))
        conn.execute(
            UNITS.insert().values(
                id=unit, online=True, last_seen=seen, health=health, health_at=seen,
                clock_drift=drift, clock_offset_s=900.0 if drift else None,
            )
        )  # fmt: skip


def _open(engine):
    with engine.connect() as conn:
        return {
            (r.kind, r.subject): r
            for r in conn.execute(select(ALERTS).where(ALERTS.c.cleared_at.is_(None)))
        }


def test_a_silent_unit_is_an_alert_after_the_threshold_without_coming_back(engine):
    _unit(engine, seen=T0)
    assert evaluate(engine, T0 + timedelta(minutes=9), TEN_MIN, POLICY) == []
    sent = evaluate(engine, T0 + timedelta(minutes=11), TEN_MIN, POLICY)
    assert [(m["event"], m["kind"], m["subject"]) for m in sent] == [
        ("raised", "unit_offline", "dongjie-cun")
    ]
    assert sent[0]["label"] == "终端离线"
    alert = _open(engine)[("unit_offline", "dongjie-cun")]
    assert alert.started_at == T0  # when it went silent, not when the hub noticed


def test_an_alert_repeats_on_the_escalation_policy_until_acknowledged(engine):
    _unit(engine, seen=T0)
    raised = T0 + timedelta(minutes=11)
    times = [raised + timedelta(minutes=m) for m in (0, 5, 15, 30, 75, 135, 136)]
    events = [[m["event"] for m in evaluate(engine, t, TEN_MIN, POLICY)] for t in times]
    # raised; nothing at +5; again at +15; not at +30; +75 (15 + 60); +135 (the last repeats)
    assert events == [["raised"], [], ["repeated"], [], ["repeated"], ["repeated"], []]
    with engine.begin() as conn:
        conn.execute(update(ALERTS).values(acknowledged_at=raised, acknowledged_by="ops"))
    assert evaluate(engine, raised + timedelta(hours=9), TEN_MIN, POLICY) == []


def test_an_alert_clears_itself_when_the_cause_ends_and_says_so(engine):
    _unit(engine, seen=T0, health={"devices": {"printer": {"paper": "out"}}})
    sent = evaluate(engine, T0 + timedelta(minutes=1), TEN_MIN, POLICY)
    assert [(m["event"], m["kind"]) for m in sent] == [("raised", "paper_out")]
    _unit(engine, seen=T0 + timedelta(minutes=2), health={"devices": {"printer": {"paper": "ok"}}})
    sent = evaluate(engine, T0 + timedelta(minutes=3), TEN_MIN, POLICY)
    assert [(m["event"], m["kind"]) for m in sent] == [("cleared", "paper_out")]
    assert _open(engine) == {}
    # the paper runs out again: a new episode, with its own start
    _unit(engine, seen=T0 + timedelta(minutes=4), health={"devices": {"printer": {"paper": "out"}}})
    evaluate(engine, T0 + timedelta(minutes=5), TEN_MIN, POLICY)
    assert _open(engine)[("paper_out", "dongjie-cun")].started_at == T0 + timedelta(minutes=4)


def test_outbox_clock_and_a_rollout_paused_by_failures_are_alerts(engine):
    _unit(engine, seen=T0, health={"outbox": {"alarm": True, "depth": 9000}}, drift=True)
    from hub.rollouts.store import ROLLOUTS

    with engine.begin() as conn:
        for rid, reason in ((1, "3 of 8 units rejected (threshold 0.1)"), (2, "paused by ops")):
            conn.execute(
                ROLLOUTS.insert().values(
                    id=rid, kind="config", state="paused", paused_reason=reason,
                    created_by="ops", created_at=T0, updated_at=T0, failure_threshold=0.1,
                    timeout_s=600, stage=1, stages=2, units=8, spec={},
                )
            )  # fmt: skip
    evaluate(engine, T0 + timedelta(minutes=1), TEN_MIN, POLICY)
    assert set(_open(engine)) == {
        ("outbox_near_full", "dongjie-cun"),
        ("clock_drift", "dongjie-cun"),
        ("rollout_paused", "rollout:1"),  # an operator's own pause is no alert
    }


def test_two_hub_processes_raise_and_send_each_alert_once(engine):
    for i in range(20):
        _unit(engine, f"v{i:02d}", seen=T0)
    at = T0 + timedelta(minutes=11)

    async def both():
        return await asyncio.gather(
            asyncio.to_thread(evaluate, engine, at, TEN_MIN, POLICY),
            asyncio.to_thread(evaluate, engine, at, TEN_MIN, POLICY),
        )

    first, second = asyncio.run(both())
    assert sorted(m["subject"] for m in first + second) == [f"v{i:02d}" for i in range(20)]
    assert len(_open(engine)) == 20


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_alerts_go_to_the_county_webhook():
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/alerts"
        notifier = Notifier(url)
        asyncio.run(notifier.send([{"event": "raised", "id": 1, "kind": "paper_out",
                                     "label": "打印机缺纸", "subject": "v1",
                                     "started_at": T0.isoformat()}]))  # fmt: skip
        assert _Hook.received[-1]["label"] == "打印机缺纸"
        assert (notifier.sent, notifier.failed) == (1, 0)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def client(database_url, tmp_path):
    settings = HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path)
    with TestClient(create_app(settings)) as c:
        # the app's own watcher runs too: give it the test's time, so both agree
        c.app.state.clock = lambda: T0 + timedelta(minutes=11)  # type: ignore[attr-defined]
        yield c


def test_operators_acknowledge_alerts_and_viewers_read_them(client):
    engine = client.app.state.engine
    _unit(engine, seen=T0)
    evaluate(engine, T0 + timedelta(minutes=11), TEN_MIN, POLICY)
    listed = client.get("/api/alerts").json()  # the anonymous local viewer
    assert listed["total"] == 1
    alert = listed["alerts"][0]
    assert (alert["kind"], alert["label"]) == ("unit_offline", "终端离线")
    assert client.post(f"/api/alerts/{alert['id']}/acknowledge").status_code == 401
    auth = operator(client)
    done = client.post(f"/api/alerts/{alert['id']}/acknowledge", headers=auth)
    assert done.json()["acknowledged_by"] == "ops"
    missing = client.post("/api/alerts/999/acknowledge", headers=auth)
    assert missing.status_code == 404


def test_a_printer_switched_off_or_unplugged_is_an_alert_until_it_comes_back(engine):
    down = {"present": False, "ok": False, "detail": "打印机不可用：tcp:10.0.0.9:9100"}
    _unit(engine, seen=T0, health={"devices": {"printer": down}})
    evaluate(engine, T0 + timedelta(minutes=1), TEN_MIN, POLICY)
    alert = _open(engine)[("printer_down", "dongjie-cun")]
    assert "10.0.0.9" in json.dumps(alert.detail, ensure_ascii=False)
    back = {"present": True, "ok": True, "paper": "ok"}
    _unit(engine, seen=T0 + timedelta(minutes=2), health={"devices": {"printer": back}})
    evaluate(engine, T0 + timedelta(minutes=3), TEN_MIN, POLICY)
    assert ("printer_down", "dongjie-cun") not in _open(engine)


def test_an_applicant_identified_offline_and_found_on_the_blacklist_later_is_an_alert(engine):
    """The window could not check the blacklist (no reference yet, protocol.idseal); once the
    reference came, a listed applicant flags the unit's case for the operators, for 30 days."""
    import uuid

    from hub.cases.tables import CaseRecord
    from hub.window.blacklist import BlacklistEntry

    listed, later = "ab" * 16, T0 + timedelta(hours=2)
    cases = CaseRecord.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(
            BlacklistEntry.__table__.insert().values(  # type: ignore[attr-defined]
                applicant_ref=listed, reason="虚假材料", listed_at=T0, listed_by="ops"
            )
        )
        for ref_, times in (
            ("DONGJIE-1", {"opened": T0.isoformat(), "reference_resolved": later.isoformat()}),
            ("DONGJIE-2", {"opened": T0.isoformat()}),  # identified online: checked at the window
        ):
            conn.execute(
                cases.insert().values(
                    case_id=uuid.uuid4(), case_ref=ref_, unit="dongjie-cun", opened_at=T0,
                    updated_at=later, applicant_ref=listed, window_state="closed",
                    status="completed", times=times, given=[], waived=[], owed=[], missing=[],
                )
            )  # fmt: skip
    evaluate(engine, later + timedelta(minutes=1), TEN_MIN, POLICY)
    alert = _open(engine)[("blacklisted_offline", "dongjie-cun")]
    assert alert.detail == {"cases": ["DONGJIE-1"], "count": 1}
    evaluate(engine, later + timedelta(days=31), TEN_MIN, POLICY)
    assert ("blacklisted_offline", "dongjie-cun") not in _open(engine)
