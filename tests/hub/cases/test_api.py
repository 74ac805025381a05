"""The case API over projected cases: filters, pages, CSV, one case's timeline, counts, and
who may read them."""

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.settings import HubSettings
from protocol.catalog import Approval, Matter
from tests.hub.cases.ingested import drain, ingest
from tests.hub.window.helpers import operator
from tests.support.cases import START, ScriptedCase, envelopes, matter_where

TOWN = matter_where(approval=Approval.TOWN, deferrable=True)
INSTANT = matter_where(approval=Approval.WINDOW, instant=True)
TODAY = START + timedelta(days=30)  # every promised limit of the seeded cases has passed


@pytest.fixture
def client(database_url, tmp_path):
    settings = HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path)
    with TestClient(create_app(settings)) as c:
        c.app.state.clock = lambda: TODAY  # type: ignore[attr-defined]
        yield c


def _seed(client):
    """Three cases: an instant one at dongjie-cun (qingshui-zhen), a forwarded 容缺 one at
    xinmin-cun (shiqiao-zhen) rated badly, and one declined at dongjie-cun."""
    engine = client.app.state.engine
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
    return events


def test_cases_are_listed_newest_first_and_filtered_by_village_town_status_and_owed(client):
    _seed(client)
    auth = operator(client)
    page = client.get("/api/cases", headers=auth).json()
    assert page["total"] == 3
    assert [c["unit"] for c in page["cases"]] == ["dongjie-cun", "xinmin-cun", "dongjie-cun"]
    assert page["cases"][0]["village"] is not None
    assert page["cases"][1]["matter_name"] == TOWN.name
    assert client.get("/api/cases?village=dongjie-cun", headers=auth).json()["total"] == 2
    assert client.get("/api/cases?town=shiqiao-zhen", headers=auth).json()["total"] == 1
    owed = client.get("/api/cases?owed=true", headers=auth).json()
    assert [c["unit"] for c in owed["cases"]] == ["xinmin-cun"]
    assert owed["cases"][0]["deficiency"] == "owed"
    assert client.get("/api/cases?status=not_accepted", headers=auth).json()["total"] == 1
    assert client.get("/api/cases?rating_at_most=2", headers=auth).json()["total"] == 1
    dept = client.get("/api/cases", params={"department": TOWN.department}, headers=auth)
    assert dept.json()["total"] == 2
    second = client.get("/api/cases?limit=1&offset=1", headers=auth).json()
    assert (second["total"], len(second["cases"])) == (3, 1)
    assert client.get("/api/cases?from=2026-11-25", headers=auth).json()["total"] == 0


def test_a_forwarded_case_has_its_deadlines_and_timeline(client):
    events = _seed(client)
    case_id = events[12].body.case_id  # the second case's first event
    got = client.get(f"/api/cases/{case_id}", headers=operator(client)).json()
    assert got["status"] == "forwarded"
    assert got["owed"]
    assert got["promised_due"] > got["accepted_on"]
    assert got["overdue"] is True  # its promised day is long past (the cases are from 2026-11)
    assert [t["step"] for t in got["timeline"]][:2] == ["opened", "consented"]
    assert got["timeline"][-1]["step"] == "closed"
    assert got["rating_reason"] == "办理时间太长"


def test_an_unknown_case_or_town_and_a_bad_filter_are_clear_errors(client):
    auth = operator(client)
    missing = client.get("/api/cases/01900000-0000-7000-8000-000000000000", headers=auth)
    assert (missing.status_code, missing.json()["detail"]["code"]) == (404, "case_not_found")
    town = client.get("/api/cases?town=nowhere", headers=auth)
    assert town.status_code == 422
    assert "nowhere" in town.json()["detail"]["message"]
    bad = client.get("/api/cases?village=Not%20A%20Unit", headers=auth)
    assert bad.status_code == 422
    assert "village" in bad.json()["detail"]["message"]
    assert client.get("/api/cases?status=lost", headers=auth).status_code == 422


def test_the_csv_export_has_every_matching_case_with_a_bom_for_spreadsheets(client):
    _seed(client)
    got = client.get("/api/cases.csv?village=dongjie-cun", headers=operator(client))
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("text/csv")
    assert got.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert len(rows) == 2
    assert {r["status"] for r in rows} == {"completed", "not_accepted"}
    assert all("*" in r["id_masked"] for r in rows)
    assert "applicant_ref" not in rows[0]


def test_counts_come_from_the_case_table(client):
    _seed(client)
    got = client.get("/api/cases/counts", headers=operator(client)).json()
    assert got["cases"] == 3
    assert got["completed"] == 1
    assert got["completed_instantly"] == 1
    assert (got["completed_on_time"], got["on_time_rate"]) == (1, 100.0)
    assert got["deficiency_open"] == 1
    assert got["rated"] == 3
    assert got["good_rating_rate"] == pytest.approx(66.67)
    assert got["open"] == 1
    assert got["overdue"] == 1


def test_cases_are_not_shown_to_the_anonymous_local_viewer(client):
    _seed(client)
    assert client.get("/api/cases").status_code == 401
    assert client.get("/api/cases.csv").status_code == 401


def test_time_limits_count_on_the_calendar_the_county_uploaded(client):
    import json

    from sqlmodel import Session

    from hub.accounts.roles import Actor, Role
    from hub.calendar.versions import upload_calendar
    from protocol.seed import SEED_CALENDAR

    events = _seed(client)
    case_id = events[12].body.case_id  # forwarded, legal due 2026-12-29 (a Tuesday)
    auth = operator(client)
    before = client.get(f"/api/cases/{case_id}", headers=auth).json()
    doc = json.loads(SEED_CALENDAR.read_text())
    doc["version"] += 1
    year = next(y for y in doc["years"] if y["year"] == 2026)
    year["holidays"].append(
        {"name": "县级调整（测试）", "first": "2026-12-28", "last": "2026-12-28"}
    )
    with Session(client.app.state.engine) as s:
        upload_calendar(s, text=json.dumps(doc), actor=Actor("ops", Role.OPERATOR))
        s.commit()
    after = client.get(f"/api/cases/{case_id}", headers=auth).json()
    assert before["legal_due"] == after["legal_due"] == "2026-12-29"
    assert after["legal_left"] == before["legal_left"] - 1  # the Monday is now a holiday
