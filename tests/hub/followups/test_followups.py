"""好差评 follow-up, on SQLite and PostgreSQL: a bad rating opens one follow-up when its case is
projected (live or rebuilt, however often), owned by the village's town office and due in
working days; operators take it from open to closed step by step (audited); overdue ones
are listed."""

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hub.app import create_app
from hub.cases.project import rebuild
from hub.followups.tables import FOLLOWUPS
from hub.settings import HubSettings
from protocol.ids import uuid7
from tests.hub.cases.ingested import drain, ingest
from tests.hub.window.helpers import operator
from tests.support.cases import START, envelopes, later_transition
from tests.support.deficiency import seed_case

TODAY = datetime(2026, 11, 26, 4, tzinfo=UTC)


@pytest.fixture
def client(database_url, tmp_path):
    settings = HubSettings(
        database_url=database_url, broker_url=None, data_dir=tmp_path, followup_days=3
    )
    with TestClient(create_app(settings)) as c:
        c.app.state.clock = lambda: TODAY  # type: ignore[attr-defined]
        yield c


def _seed(client):
    """A badly rated case at dongjie-cun (清水镇) and a well rated one."""
    engine = client.app.state.engine
    bad = seed_case(engine, rating=2, defer=False)
    seed_case(engine, rating=5, defer=False, seq0=100)
    return bad


def _count(engine):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(FOLLOWUPS)).scalar_one()


def test_a_bad_rating_opens_one_follow_up_for_the_town_office_due_in_working_days(client):
    bad = _seed(client)
    auth = operator(client)
    page = client.get("/api/followups", headers=auth).json()
    assert (page["total"], page["open"], page["overdue"]) == (1, 1, 0)
    (f,) = page["followups"]
    assert (f["case_id"], f["rating"], f["rating_label"]) == (str(bad.case_id), 2, "不满意")
    assert f["reason"] == "办理时间太长"
    assert (f["owner"], f["owner_name"]) == ("qingshui-zhen", "清水镇人民政府")
    assert f["village"]
    # rated on Tuesday 2026-11-24, projected with the default five working days (this
    # hub's projector counts its own setting, three)
    assert (f["due"], f["status"], f["status_label"]) == ("2026-12-01", "open", "待核实")
    assert client.app.state.projector.followup_days == 3
    engine = client.app.state.engine
    rebuild(engine, followup_days=10)
    drain(engine)
    assert _count(engine) == 1
    again = client.get(f"/api/followups/{f['id']}", headers=auth).json()
    assert again["due"] == "2026-12-01"  # opened once: a rebuild changes nothing
    # a second `rated` event for the case changes neither the rating nor the follow-ups
    rerated = later_transition(bad.case_id, "rated", START + timedelta(hours=2), level=1)
    ingest(engine, envelopes("dongjie-cun", [rerated], seq0=50))
    drain(engine)
    assert client.get(f"/api/followups/{f['id']}", headers=auth).json()["rating"] == 2
    assert _count(engine) == 1


def test_a_follow_up_goes_from_open_to_closed_in_order_with_audit(client):
    _seed(client)
    auth = operator(client)
    (f,) = client.get("/api/followups", headers=auth).json()["followups"]
    path = f"/api/followups/{f['id']}"
    early = client.post(f"{path}/close", json={"note": "已办结"}, headers=auth)
    assert (early.status_code, early.json()["detail"]["code"]) == (409, "invalid_transition")
    step = {"note": "调阅监控，确认等候超过40分钟", "id": str(uuid7())}
    assert client.post(f"{path}/verify", json=step, headers=auth).json()["status"] == "verified"
    retried = client.post(f"{path}/verify", json=step, headers=auth)  # same id: once
    assert retried.status_code == 200
    assign = client.post(
        f"{path}/assign", json={"note": "转县政务服务中心", "owner": "县政务服务中心"}, headers=auth
    ).json()
    assert (assign["owner"], assign["owner_name"], assign["status"]) == (
        "县政务服务中心", "县政务服务中心", "verified",
    )  # fmt: skip
    for name, note in (("rectify", "增加午间窗口"), ("revisit", "电话回访，群众表示满意")):
        assert client.post(f"{path}/{name}", json={"note": note}, headers=auth).status_code == 200
    closed = client.post(f"{path}/close", json={"note": "整改到位，群众满意"}, headers=auth).json()
    assert (closed["status"], closed["result"]) == ("closed", "整改到位，群众满意")
    assert closed["closed_at"] is not None
    steps = closed["steps"]
    assert [s["step"] for s in steps] == ["verify", "assign", "rectify", "revisit", "close"]
    assert steps[0]["step_label"] == "核实"
    audit = client.get("/api/audit?action=followup.verify", headers=auth).json()
    assert len(audit) == 1
    assert audit[0]["target"] == f"case/{f['case_id']}"
    after = client.post(f"{path}/assign", json={"note": "x", "owner": "y"}, headers=auth)
    assert after.status_code == 409


def test_overdue_follow_ups_are_listed_and_who_may_do_what(client):
    _seed(client)
    auth = operator(client)
    assert client.get("/api/followups").status_code == 401  # the anonymous local viewer
    assert client.get("/api/followups?overdue=true", headers=auth).json()["total"] == 0
    client.app.state.clock = lambda: datetime(2026, 12, 2, 4, tzinfo=UTC)
    late = client.get("/api/followups?overdue=true", headers=auth).json()
    assert (late["total"], late["overdue"]) == (1, 1)
    assert late["followups"][0]["overdue"] is True
    assert client.get("/api/followups?owner=qingshui-zhen", headers=auth).json()["total"] == 1
    assert client.get("/api/followups?owner=shiqiao-zhen", headers=auth).json()["total"] == 0
    assert client.get("/api/followups?status=closed", headers=auth).json()["total"] == 0
    assert client.get("/api/followups?village=dongjie-cun", headers=auth).json()["total"] == 1
    (f,) = late["followups"]
    anonymous = client.post(f"/api/followups/{f['id']}/verify", json={"note": "x"})
    assert anonymous.status_code == 401
    empty = client.post(f"/api/followups/{f['id']}/verify", json={"note": ""}, headers=auth)
    assert empty.status_code == 422
    assert client.get(f"/api/followups/{uuid7()}", headers=auth).status_code == 404
    assert date.fromisoformat(f["due"]) < date(2026, 12, 2)
