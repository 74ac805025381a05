"""The working-day calendar on the hub: operators upload versions (audited), everyone reads
the current one, a bad or stale file changes nothing, `current_calendar(conn)` is the seed
until an upload, and every rollout points units to the current calendar; on both databases."""

import json
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from hub.accounts.roles import Actor, Role
from hub.artifacts.store import artifact_content
from hub.calendar import current_calendar
from hub.limits import CALENDAR_BODY_BYTES
from hub.rollouts.models import ConfigBlob, RolloutCreate, Target
from hub.rollouts.store import create_rollout
from protocol.calendar import WorkCalendar
from protocol.canonical import canonical_json
from protocol.config import ArtifactKind
from protocol.holidays import HolidayCalendar
from tests.hub.calendar.conftest import as_role
from tests.hub.calendar.helpers import YEAR_2027, seed_data, text, with_2027


def test_the_seed_is_current_until_an_operator_uploads_a_newer_calendar(client):
    engine = client.app.state.engine
    before = client.get("/api/calendar").json()
    assert (before["version"], before["years"], before["source"]) == (1, [2025, 2026], "seed")
    with engine.connect() as conn:
        assert current_calendar(conn) == WorkCalendar.seed()
    ops = as_role(client, Role.OPERATOR)
    done = client.post("/api/calendar", content=text(with_2027()).encode(), headers=ops)
    assert done.status_code == 201, done.text
    assert done.json()["delivery"] == "with the next configuration rollout"
    after = client.get("/api/calendar").json()
    assert (after["version"], after["years"]) == (2, [2025, 2026, 2027])
    assert after["source"] == "upload by operator"
    with engine.connect() as conn:  # a Connection, as the case projection holds one
        cal = current_calendar(conn)
    with Session(engine) as s:  # and a Session
        assert current_calendar(s) == cal
    assert cal.version == 2
    assert cal.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
    document = client.get("/api/calendar/document").json()
    assert HolidayCalendar.model_validate(document).years[-1].year == 2027
    (entry,) = client.get("/api/audit", params={"action": "calendar.upload"}, headers=ops).json()
    assert (entry["actor"], entry["target"]) == ("operator", "calendar/2")
    assert entry["detail"]["years"] == [2025, 2026, 2027]


def test_only_operators_upload(client):
    body = text(with_2027()).encode()
    anonymous = client.post("/api/calendar", content=body)
    viewer = client.post("/api/calendar", content=body, headers=as_role(client, Role.VIEWER))
    assert (anonymous.status_code, viewer.status_code) == (401, 403)
    assert client.get("/api/calendar").json()["version"] == 1


def test_a_bad_calendar_is_refused_with_file_field_and_reason_and_nothing_changes(client):
    ops = as_role(client, Role.OPERATOR)
    bad = with_2027()
    bad["years"][2]["workdays"] = ["2027-01-05"]  # a Tuesday
    resp = client.post("/api/calendar", content=text(bad).encode(), headers=ops)
    assert resp.status_code == 422
    detail = resp.json()["detail"]
    assert (detail["code"], detail["file"]) == ("calendar_invalid", "upload")
    (issue,) = detail["issues"]
    assert issue["where"] == "years[2](2027).workdays[0]"
    assert "is a weekday" in issue["reason"]
    broken = client.post("/api/calendar", content=b'{"version": 2,,}', headers=ops)
    assert broken.json()["detail"]["code"] == "calendar_syntax"
    assert broken.json()["detail"]["issues"][0]["where"] == "line 1, column 15"
    duplicate = client.post("/api/calendar", content=b'{"version": 2, "version": 3}', headers=ops)
    assert "duplicate key 'version'" in duplicate.json()["detail"]["issues"][0]["reason"]
    not_utf8 = client.post("/api/calendar", content="节".encode("gbk"), headers=ops)
    assert not_utf8.status_code == 422
    assert client.get("/api/calendar").json()["version"] == 1
    assert client.get("/api/audit", params={"action": "calendar.upload"}, headers=ops).json() == []


def test_a_version_not_above_the_current_one_is_refused_unless_it_is_the_same_content(client):
    ops = as_role(client, Role.OPERATOR)
    assert client.post("/api/calendar", content=text(with_2027(3)).encode(), headers=ops).is_success
    again = client.post("/api/calendar", content=text(with_2027(3)).encode(), headers=ops)
    assert again.status_code == 201  # the same file twice changes nothing
    older = seed_data()
    older["version"] = 2
    stale = client.post("/api/calendar", content=text(older).encode(), headers=ops)
    assert (stale.status_code, stale.json()["detail"]["code"]) == (409, "calendar_not_newer")
    entries = client.get("/api/audit", params={"action": "calendar.upload"}, headers=ops).json()
    assert [e["target"] for e in entries] == ["calendar/3"]


def test_a_rollout_points_every_unit_to_the_current_calendar(client):
    ops = as_role(client, Role.OPERATOR)
    client.post("/api/calendar", content=text(with_2027()).encode(), headers=ops)
    app = client.app
    with Session(app.state.engine) as s:
        rollout = create_rollout(
            s, request=RolloutCreate(target=Target(units=["dongjie-cun", "xijie-cun"])),
            actor=Actor("ops", Role.OPERATOR), catalog=app.state.catalogs.current,
            registry=app.state.registry,
        )  # fmt: skip
        bodies = s.execute(select(ConfigBlob.__table__.c.body)).scalars().all()  # type: ignore[attr-defined]
    assert rollout.calendar_version == 2
    refs = {b["calendar"]["sha256"] for b in bodies}
    assert len(refs) == 1
    ref = bodies[0]["calendar"]
    assert ref["kind"] == ArtifactKind.WORK_CALENDAR.value
    content = artifact_content(app.state.engine, ref["sha256"])
    doc = HolidayCalendar.model_validate_json(content)
    assert doc.version == 2
    assert doc.years[-1].year == YEAR_2027["year"]


def test_a_rollout_cannot_list_a_calendar_of_its_own(client):
    ops = as_role(client, Role.OPERATOR)
    fake = canonical_json(with_2027())
    uploaded = client.post(
        "/api/artifacts", params={"kind": "work_calendar"}, content=fake, headers=ops
    )
    sha = uploaded.json()["sha256"]
    resp = client.post(
        "/api/rollouts", json={"target": {"units": ["dongjie-cun"]}, "artifacts": [sha]},
        headers=ops,
    )  # fmt: skip
    assert resp.status_code == 422
    assert "chosen by the hub" in resp.json()["detail"]["message"]


def test_a_hundred_years_of_notices_fit_the_upload_limit():
    data = seed_data()
    template = data["years"][1]
    years = []
    for y in range(2000, 2100):
        years.append({
            **template, "year": y,
            "notice": {**template["notice"], "published": f"{y - 1}-11-04"},
            "holidays": [{**h, "first": f"{y}{h['first'][4:]}", "last": f"{y}{h['last'][4:]}"}
                         for h in template["holidays"]],
            "workdays": [],
        })  # fmt: skip
    data["years"] = years
    doc = HolidayCalendar.model_validate(data)
    assert len(doc.years) == 100
    assert len(text(data).encode()) < CALENDAR_BODY_BYTES
    indented = json.dumps(data, ensure_ascii=False, indent=2).encode()
    assert len(indented) < 150 * 1024
