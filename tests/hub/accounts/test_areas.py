"""An account's area in the API, on SQLite and PostgreSQL: a town's office (signed in to the
pages) sees its own villages' units, cases, exports, counts and follow-ups, and is answered
"not found" for anything else; the county sees everything."""

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from hub.accounts.area import Area
from hub.accounts.roles import Role
from hub.app import create_app
from hub.fleet.units import register_units
from hub.settings import HubSettings
from protocol.catalog import Approval, Matter
from tests.hub.cases.ingested import drain, ingest
from tests.hub.window.helpers import REF
from tests.support.cases import START, ScriptedCase, envelopes, matter_where
from tests.support.signin import make_account, sign_in_client

TOWN = matter_where(approval=Approval.TOWN, deferrable=True)
INSTANT = matter_where(approval=Approval.WINDOW, instant=True)
QINGSHUI = Area(town="qingshui-zhen")  # dongjie-cun is one of its villages; xinmin-cun is not


@pytest.fixture
def app(database_url, tmp_path):
    settings = HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path)
    app = create_app(settings)
    with TestClient(app):
        app.state.clock = lambda: START + timedelta(days=30)
        engine = app.state.engine
        with Session(engine) as s:
            register_units(s, units=[("dongjie-cun", "东街村", "qingshui-zhen"),
                                     ("xinmin-cun", "新民村", "shiqiao-zhen")])  # fmt: skip
        events = []
        specs: list[tuple[str, Matter, dict[str, Any]]] = [
            ("dongjie-cun", INSTANT, {}),
            ("xinmin-cun", TOWN, {"defer": True, "rating": 2}),
            ("dongjie-cun", TOWN, {"decline": True}),
        ]
        for i, (unit, matter, kw) in enumerate(specs):
            case = ScriptedCase(unit, matter, start=START + timedelta(hours=i), clerk="c01")
            events += envelopes(unit, case.transitions(**kw), seq0=100 * i + 1)
        ingest(engine, events)
        drain(engine)
        yield app


def signed_in(app, name, role, area):
    client = TestClient(app)
    sign_in_client(client, name, make_account(app.state.engine, name, role, area=area))
    return client


def test_a_town_office_sees_only_its_villages_units(app):
    town = signed_in(app, "qs-viewer", Role.VIEWER, QINGSHUI)
    county = signed_in(app, "county", Role.VIEWER, Area())
    assert [u["id"] for u in town.get("/api/units").json()] == ["dongjie-cun"]
    assert {u["id"] for u in county.get("/api/units").json()} == {"dongjie-cun", "xinmin-cun"}
    assert town.get("/api/units/dongjie-cun").status_code == 200
    other = town.get("/api/units/xinmin-cun")
    assert (other.status_code, other.json()["detail"]["code"]) == (404, "unit_not_found")
    assert town.get("/api/units/xinmin-cun/events").status_code == 404
    assert town.get("/api/me").json()["area"] == {"town": "qingshui-zhen", "village": None}


def test_a_town_office_sees_only_its_villages_cases_in_the_list_counts_and_csv(app):
    town = signed_in(app, "qs-auditor", Role.AUDITOR, QINGSHUI)
    county = signed_in(app, "county", Role.AUDITOR, Area())
    assert county.get("/api/cases").json()["total"] == 3
    page = town.get("/api/cases").json()
    assert page["total"] == 2
    assert {c["unit"] for c in page["cases"]} == {"dongjie-cun"}
    # asking for another town's village or town finds nothing rather than widening the area
    assert town.get("/api/cases?village=xinmin-cun").json()["total"] == 0
    assert town.get("/api/cases?town=shiqiao-zhen").json()["total"] == 0
    rows = list(csv.DictReader(io.StringIO(town.get("/api/cases.csv").text.lstrip("\ufeff"))))
    assert [r["unit"] for r in rows] == ["dongjie-cun", "dongjie-cun"]
    assert town.get("/api/cases/counts").json()["cases"] == 2
    assert county.get("/api/cases/counts").json()["cases"] == 3
    xinmin = next(c for c in county.get("/api/cases").json()["cases"] if c["unit"] == "xinmin-cun")
    assert county.get(f"/api/cases/{xinmin['case_id']}").status_code == 200
    hidden = town.get(f"/api/cases/{xinmin['case_id']}")
    assert (hidden.status_code, hidden.json()["detail"]["code"]) == (404, "case_not_found")


def test_a_village_account_sees_its_own_village_only(app):
    village = signed_in(app, "dj", Role.AUDITOR, Area(village="dongjie-cun"))
    assert [u["id"] for u in village.get("/api/units").json()] == ["dongjie-cun"]
    assert village.get("/api/cases").json()["total"] == 2


def test_follow_ups_of_another_towns_bad_rating_are_not_found(app):
    county = signed_in(app, "county", Role.OPERATOR, Area())
    qingshui = signed_in(app, "qs-ops", Role.OPERATOR, QINGSHUI)
    shiqiao = signed_in(app, "sq-ops", Role.OPERATOR, Area(town="shiqiao-zhen"))
    (followup,) = county.get("/api/followups").json()["followups"]
    assert followup["unit"] == "xinmin-cun"
    assert qingshui.get("/api/followups").json()["total"] == 0
    assert shiqiao.get("/api/followups").json()["total"] == 1
    assert qingshui.get(f"/api/followups/{followup['id']}").status_code == 404
    step = {"id": "7b1e7c1e-8d0a-4c57-9a53-6f0f7a3c0001", "note": "已电话核实"}
    assert qingshui.post(f"/api/followups/{followup['id']}/verify", json=step).status_code == 404
    assert shiqiao.post(f"/api/followups/{followup['id']}/verify", json=step).status_code == 200


def test_only_a_county_wide_operator_changes_the_county_wide_blacklist(app):
    entry = {"applicant_ref": REF, "reason": "提供虚假材料"}
    town = signed_in(app, "qs-ops", Role.OPERATOR, QINGSHUI)
    refused = town.post("/api/blacklist", json=entry)
    assert (refused.status_code, refused.json()["detail"]["code"]) == (403, "forbidden")
    county = signed_in(app, "county", Role.OPERATOR, Area())
    assert county.post("/api/blacklist", json=entry).status_code == 201
    assert town.get("/api/blacklist").status_code == 200  # its windows apply it


def test_a_town_office_sees_and_acknowledges_its_own_units_alerts_only(app):
    from datetime import UTC, datetime

    from hub.alerts.store import ALERTS

    now = datetime.now(UTC)
    with app.state.engine.begin() as conn:
        for kind, subject in (("unit_offline", "dongjie-cun"), ("unit_offline", "xinmin-cun"),
                              ("rollout_paused", "rollout:1")):  # fmt: skip
            conn.execute(ALERTS.insert().values(kind=kind, subject=subject, started_at=now,
                                                raised_at=now, detail={}))  # fmt: skip
    county = signed_in(app, "county", Role.OPERATOR, Area())
    town = signed_in(app, "qs-ops", Role.OPERATOR, QINGSHUI)
    assert county.get("/api/alerts").json()["total"] == 3
    page = town.get("/api/alerts").json()
    assert (page["total"], [a["subject"] for a in page["alerts"]]) == (1, ["dongjie-cun"])
    ids = {a["subject"]: a["id"] for a in county.get("/api/alerts").json()["alerts"]}
    assert town.post(f"/api/alerts/{ids['xinmin-cun']}/acknowledge").status_code == 404
    assert town.post(f"/api/alerts/{ids['rollout:1']}/acknowledge").status_code == 404
    assert town.post(f"/api/alerts/{ids['dongjie-cun']}/acknowledge").status_code == 200
