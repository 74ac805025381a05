"""The back office's API on SQLite and PostgreSQL: a town's or department's queue, the steps it
records (each allowed from some statuses only, idempotent by the client's action id, audited
with the actor), the signed notice a result leaves in the outbox, and who may do what."""

import base64
import json
import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.accounts.roles import Role
from hub.accounts.scope import Scope
from hub.app import create_app
from hub.audit import AUDIT
from hub.cases.project import ACTIONS
from hub.notices.tables import NOTICES
from hub.settings import HubSettings
from protocol.notice import open_signed_notice
from tests.hub.backoffice.helpers import DEPARTMENT, account, forwarded, town_office
from tests.support.cases import START

TODAY = START + timedelta(days=3)


@pytest.fixture
def client(database_url, tmp_path):
    settings = HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path)
    with TestClient(create_app(settings)) as c:
        c.app.state.clock = lambda: TODAY  # type: ignore[attr-defined]
        yield c


def post(client, case_id, step, auth, **body):
    return client.post(f"/api/cases/{case_id}/{step}", json=body, headers=auth)


def notices(client):
    with client.app.state.engine.connect() as conn:
        return conn.execute(select(NOTICES).order_by(NOTICES.c.created_at)).all()


def test_a_town_office_queues_only_its_villages_waiting_cases_oldest_first(client):
    first = forwarded(client, "dongjie-cun", hours=0)  # 清水镇
    second = forwarded(client, "dongjie-cun", hours=2)
    forwarded(client, "xinmin-cun", hours=1)  # 石桥镇
    auth = town_office(client)
    page = client.get("/api/backoffice/queue", headers=auth).json()
    assert page["office"] == "清水镇便民服务中心"
    assert [c["case_id"] for c in page["cases"]] == [str(first), str(second)]
    assert page["cases"][0]["promised_left"] is not None
    assert post(client, first, "receive", auth).status_code == 200
    assert post(client, first, "complete", auth, result="准予确认").status_code == 200
    page = client.get("/api/backoffice/queue", headers=auth).json()
    assert [c["case_id"] for c in page["cases"]] == [str(second)]  # completed: no longer waits


def test_a_department_office_queues_the_cases_forwarded_to_it_only(client):
    mine = forwarded(client, "dongjie-cun", DEPARTMENT)
    forwarded(client, "dongjie-cun", hours=1)  # forwarded to the town
    auth = account(client, "dept", Role.BACKOFFICE, Scope(department=DEPARTMENT.department))
    page = client.get("/api/backoffice/queue", headers=auth).json()
    assert page["office"] == DEPARTMENT.department
    assert [c["case_id"] for c in page["cases"]] == [str(mine)]


def test_completing_a_case_records_the_steps_audited_and_a_signed_notice_for_its_unit(client):
    case_id = forwarded(client, "dongjie-cun")
    auth = town_office(client)
    got = post(client, case_id, "receive", auth, note="材料齐全")
    assert got.json()["case"]["status"] == "received"
    done = post(client, case_id, "complete", auth, result="准予确认，奖励扶助金按年发放")
    assert (done.status_code, done.json()["new"]) == (200, True)
    assert done.json()["case"]["status"] == "completed"
    (row,) = notices(client)
    assert (row.unit, row.status, row.step) == ("dongjie-cun", "pending", "completed")
    key = client.app.state.signing_key.public_key()
    notice = open_signed_notice(json.loads(row.document), key=key, unit="dongjie-cun")
    assert notice.case_id == case_id
    assert notice.text == "准予确认，奖励扶助金按年发放"
    assert notice.office == "清水镇便民服务中心"
    assert notice.id_masked == "3" + "*" * 16 + "4"  # the hub keeps the first and last only
    assert notice.accepted_at is not None
    detail = client.get(f"/api/backoffice/cases/{case_id}", headers=auth).json()
    steps = [t["step"] for t in detail["timeline"] if t["source"] == "hub"]
    assert steps == ["received", "completed"]
    assert detail["timeline"][-1]["by"] == "qingshui"
    assert detail["timeline"][-1]["data"]["notice"] == str(notice.id)
    assert detail["applicant_ref"] is None
    assert detail["notices"][0]["status"] == "pending"
    assert detail["allowed"] == []
    with client.app.state.engine.connect() as conn:
        audited = conn.execute(select(AUDIT.c.actor, AUDIT.c.action)).all()
    assert ("qingshui", "case.completed") in [tuple(a) for a in audited]


def test_a_step_the_status_does_not_allow_is_a_clear_409(client):
    case_id = forwarded(client, "dongjie-cun")
    auth = town_office(client)
    early = post(client, case_id, "complete", auth, result="准予")
    assert early.status_code == 409
    assert early.json()["detail"]["code"] == "step_not_allowed"
    assert "forwarded" in early.json()["detail"]["message"]
    assert post(client, case_id, "resubmitted", auth).status_code == 409
    assert post(client, case_id, "reject", auth, reason="不符合条件").status_code == 200
    assert post(client, case_id, "receive", auth).status_code == 409
    assert [n.step for n in notices(client)] == ["rejected"]


def test_a_retried_step_with_the_same_action_id_is_recorded_and_notified_once(client):
    case_id = forwarded(client, "dongjie-cun")
    auth = town_office(client)
    post(client, case_id, "receive", auth)
    action = str(uuid.uuid4())
    first = post(client, case_id, "complete", auth, result="准予", action_id=action)
    again = post(client, case_id, "complete", auth, result="准予", action_id=action)
    assert (first.json()["new"], again.json()["new"]) == (True, False)
    assert again.status_code == 200
    assert len(notices(client)) == 1
    with client.app.state.engine.connect() as conn:
        assert conn.execute(select(ACTIONS.c.kind)).scalars().all().count("completed") == 1
    reused = post(client, case_id, "reject", auth, reason="重复", action_id=action)
    assert reused.status_code == 409
    assert reused.json()["detail"]["code"] == "conflict"


def test_a_correction_and_its_resubmission_go_back_to_received(client):
    case_id = forwarded(client, "dongjie-cun")
    auth = town_office(client)
    asked = post(client, case_id, "correction", auth, asked=["户口簿原件", "独生子女证"])
    assert asked.json()["case"]["status"] == "correction"
    (row,) = notices(client)
    assert row.step == "correction"
    assert json.loads(row.document)["asked"] == ["户口簿原件", "独生子女证"]
    back = post(client, case_id, "resubmitted", auth, note="材料已交")
    assert back.json()["case"]["status"] == "received"


@pytest.mark.parametrize(
    "body",
    [
        {"asked": []},
        {"asked": ["材料"] * 21},
        {"asked": ["户口簿\x00"]},
        {"asked": ["长" * 121]},
        {"asked": ["户口簿"], "unknown": 1},
    ],
)
def test_a_correction_request_is_bounded(client, body):
    case_id = forwarded(client, "dongjie-cun")
    got = client.post(f"/api/cases/{case_id}/correction", json=body, headers=town_office(client))
    assert got.status_code == 422
    assert notices(client) == []


def test_a_town_office_cannot_act_on_another_towns_case(client):
    theirs = forwarded(client, "xinmin-cun")  # 石桥镇
    auth = town_office(client)  # 清水镇
    refused = post(client, theirs, "receive", auth)
    assert refused.status_code == 403
    assert refused.json()["detail"]["code"] == "out_of_scope"
    assert client.get(f"/api/backoffice/cases/{theirs}", headers=auth).status_code == 403
    dept = account(client, "dept", Role.BACKOFFICE, Scope(department=DEPARTMENT.department))
    assert post(client, theirs, "receive", dept).status_code == 403  # forwarded to the town


def test_only_back_offices_and_operators_reach_the_routes(client):
    case_id = forwarded(client, "dongjie-cun")
    assert client.get("/api/backoffice/queue").status_code == 401
    assert post(client, case_id, "receive", {}).status_code == 401
    for role in (Role.VIEWER, Role.AUDITOR):
        auth = account(client, role.value, role)
        assert client.get("/api/backoffice/queue", headers=auth).status_code == 403
        assert post(client, case_id, "receive", auth).status_code == 403
    unscoped = account(client, "lost", Role.BACKOFFICE)
    assert client.get("/api/backoffice/queue", headers=unscoped).status_code == 403
    office = town_office(client)
    assert client.get("/api/units", headers=office).status_code == 403  # nothing else
    assert client.get("/api/cases", headers=office).status_code == 403
    ops = account(client, "ops", Role.OPERATOR)
    assert client.get("/api/backoffice/queue", headers=ops).json()["total"] == 1
    assert post(client, case_id, "receive", ops).status_code == 200


def test_an_officer_signed_in_acts_with_the_csrf_token_and_basic_is_refused(client):
    from hub.accounts.area import Area
    from tests.support.signin import make_account, sign_in_client

    case_id = forwarded(client, "dongjie-cun")
    token = town_office(client)["Authorization"].removeprefix("Bearer ")
    basic = {"Authorization": "Basic " + base64.b64encode(f"qingshui:{token}".encode()).decode()}
    assert client.get("/api/backoffice/queue", headers=basic).status_code == 401
    password = make_account(client.app.state.engine, "qs-office", Role.BACKOFFICE,
                            area=Area(town="qingshui-zhen"))  # fmt: skip
    sign_in_client(client, "qs-office", password)
    assert client.get(f"/backoffice/cases/{case_id}").status_code == 200
    csrf = client.headers.pop("X-CSRF-Token")
    refused = post(client, case_id, "receive", {})
    assert (refused.status_code, refused.json()["detail"]["code"]) == (403, "csrf_failed")
    assert post(client, case_id, "receive", {"X-CSRF-Token": csrf}).status_code == 200


def test_a_handover_keeps_each_signatures_hash_and_counts_never_the_drawing(client):
    case_id = forwarded(client, "dongjie-cun")
    auth = town_office(client)
    agent_strokes = [[[100, 200], [300, 400], [500, 450]], [[900, 900], [950, 980]]]
    officer_strokes = [[[10, 10], [20, 30]]]
    got = post(
        client, case_id, "handover", auth, agent="ck-0000abcd", materials=["申请表原件"],
        agent_signature={"strokes": agent_strokes},
        officer_signature={"strokes": officer_strokes},
    )  # fmt: skip
    assert got.status_code == 200, got.text
    assert got.json()["case"]["status"] == "forwarded"  # a handover decides nothing
    with client.app.state.engine.connect() as conn:
        (data,) = conn.execute(select(ACTIONS.c.data).where(ACTIONS.c.kind == "handover")).scalars()
    assert data["agent"] == "ck-0000abcd"
    assert data["officer"] == "qingshui"
    assert data["agent_signature"]["strokes"] == 2
    assert data["agent_signature"]["points"] == 5
    assert len(data["agent_signature"]["sha256"]) == 64
    assert data["officer_signature"]["strokes"] == 1
    assert set(data["agent_signature"]) == {"sha256", "strokes", "points"}  # no drawing
    assert "100" not in json.dumps(data["agent_signature"])
    missing = post(
        client, case_id, "handover", auth, agent="ck-0000abcd",
        agent_signature={"strokes": agent_strokes}, officer_signature={"strokes": []},
    )  # fmt: skip
    assert missing.status_code == 422


def test_a_browser_opening_the_back_office_unsigned_is_sent_to_the_sign_in(client):
    asked = client.get("/backoffice", headers={"accept": "text/html"}, follow_redirects=False)
    assert (asked.status_code, asked.headers["location"]) == (303, "/login?next=%2Fbackoffice")
    api = client.get("/api/backoffice/queue")
    assert api.status_code == 401
    assert api.headers["www-authenticate"].startswith("Bearer")
