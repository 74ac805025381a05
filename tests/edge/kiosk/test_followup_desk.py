"""The kiosk's follow-up desk against a real hub (SQLite and PostgreSQL): a clerk at another
village's window finds a 容缺 case by the slip's QR or the applicant's ID number, records what
was handed in as a `supplied` event in the unit's own log, and a resident's feedback becomes a
`feedback.note` event; the number itself never leaves the unit."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlmodel import Session
from starlette.testclient import TestClient

from edge.kiosk.app import create_kiosk_app
from edge.kiosk.followup import FollowupDesk, followup_routes
from edge.window.supply import SupplyClient
from edge.workflow.errors import WorkflowError
from hub.window.tokens import issue_unit_token
from protocol import identity
from simulators.cases import DEMO_ID_KEY
from tests.edge.window.desk import CLERK, CLERK_PIN, build_desk
from tests.integration.rollout_helpers import hub_server
from tests.support.deficiency import TOKEN, seed_case

NUMBER = "33012219800704002"
NUMBER += identity.check_digit(NUMBER)


def _events(desk):
    return [json.loads(e.payload) for e in desk.store.event_log.after(0, 100)]


def test_a_clerk_records_a_supply_and_a_residents_feedback_at_another_window(
    tmp_path, database_url
):
    desk = build_desk(tmp_path / "unit")
    desk.window.p.id_key = DEMO_ID_KEY  # the county's key, as the seeded case was keyed

    async def scenario():
        async with hub_server(None, database_url, tmp_path / "hub") as hub:
            engine = hub.engine
            # the case was accepted at dongjie-cun, for the applicant this unit will key
            case = seed_case(engine, id_number=NUMBER)
            with Session(engine) as s:
                token = issue_unit_token(s, unit="t001")
                s.commit()
            clerk = FollowupDesk(desk.window, SupplyClient(hub.url, token))
            assert clerk.view()["hub"] is True
            found = await clerk.lookup({"code": f"打印件：{hub.url}/c/{TOKEN}"})
            (c,) = found["cases"]
            assert (c["case_ref"], c["owed"]) == (case.case_ref, case.owed)
            with pytest.raises(WorkflowError, match="勾选"):  # nothing the case owes
                await clerk.supply({"case_id": c["case_id"], "materials": ["别的材料"]})
            done = await clerk.supply({"case_id": c["case_id"], "materials": case.owed})
            assert done["recorded"]["left"] == []
            with pytest.raises(WorkflowError, match="先查询"):  # a looked-up case, once
                await clerk.supply({"case_id": c["case_id"], "materials": case.owed})
            # by ID number: the reference is computed on the unit with the county's key
            by_number = await clerk.lookup({"number": NUMBER})
            assert [x["case_id"] for x in by_number["cases"]] == [c["case_id"]]
            await clerk.feedback({"topic": "wait", "text": "希望\n增加窗口", "case_ref": "X-1"})
            return c, hub

    c, _ = asyncio.run(scenario())
    supplied, note = _events(desk)
    assert supplied["kind"] == "case.transition"
    assert supplied["body"]["state"] == "supplied"
    assert supplied["body"]["case_id"] == c["case_id"]
    assert supplied["body"]["data"]["materials"] == c["owed"]
    assert note["kind"] == "feedback.note"
    assert note["body"] == {"topic": "wait", "text": "希望 增加窗口", "case_ref": "X-1"}
    assert NUMBER not in json.dumps(_events(desk))
    assert identity.reference(NUMBER, DEMO_ID_KEY) not in json.dumps(_events(desk))


def test_the_kiosk_routes_need_the_kiosk_header_a_signed_in_clerk_and_no_open_case(tmp_path):
    desk = build_desk(tmp_path)
    app = create_kiosk_app(desk.window)
    # the kiosk answers its loopback names only (edge.kiosk.guard)
    with TestClient(app, base_url="http://127.0.0.1") as kiosk:
        assert kiosk.get("/followup/followup.js").status_code == 200
        assert kiosk.get("/followup/other.js").status_code == 404
        view = kiosk.get("/api/followup/view").json()
        assert view["hub"] is False
        assert [t["label"] for t in view["topics"]][:2] == ["等候时间", "服务态度"]
        no_header = kiosk.post("/api/followup/feedback", json={"topic": "wait"})
        assert no_header.status_code == 403
        unknown = kiosk.post("/api/followup/erase", json={}, headers={"x-kiosk": "1"})
        assert unknown.status_code == 404
        locked = kiosk.post("/api/followup/feedback", json={"topic": "praise"},
                            headers={"x-kiosk": "1"})  # fmt: skip
        assert (locked.status_code, locked.json()["error"]["code"]) == (409, "sign_in_required")
        signed = kiosk.post("/api/act/sign_in", json={"clerk": CLERK, "pin": CLERK_PIN},
                            headers={"x-kiosk": "1"})  # fmt: skip
        assert signed.status_code == 200
        bad = kiosk.post("/api/followup/feedback", json={"topic": "x"}, headers={"x-kiosk": "1"})
        assert (bad.status_code, bad.json()["error"]["message"]) == (409, "请选择反馈类别")
        offline = kiosk.post("/api/followup/lookup", json={"number": NUMBER},
                             headers={"x-kiosk": "1"})  # fmt: skip
        assert "未配置县中心" in offline.json()["error"]["message"]
        sent = kiosk.post("/api/followup/feedback", json={"topic": "praise"},
                          headers={"x-kiosk": "1"})  # fmt: skip
        assert sent.json() == {"recorded": {"topic": "praise"}}
    assert [e["kind"] for e in _events(desk)] == ["feedback.note"]
    assert followup_routes(desk.window)  # the routes stand alone too
