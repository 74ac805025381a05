"""The fleet, alert and rollout pages and the overview, on SQLite and PostgreSQL: what each
shows of a county morning, and that an account of one town sees and acts on its own
villages only (elsewhere is not found), in the pages and in the API behind them."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.accounts.roles import Actor, Role
from hub.alerts.store import ALERTS
from hub.app import create_app
from hub.cases.project import RECORDS
from hub.settings import HubSettings
from tests.support.fleet import (
    DRIFTING,
    OFFLINE,
    OTHER_TOWN,
    PAPER_OUT,
    REJECTED,
    SILENT,
    Morning,
    county_morning,
    town_actor,
)
from tests.support.rollouts import create
from tests.support.signin import make_account, sign_in_client


@pytest.fixture
def hub(database_url, tmp_path) -> Iterator[tuple[TestClient, Morning]]:
    settings = HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        yield client, county_morning(client.app.state.engine)  # type: ignore[attr-defined]


def as_actor(client: TestClient, actor: Actor) -> TestClient:
    """A client of the same hub signed in through /login as ``actor`` would be: an account
    with its role and area, a session cookie and the CSRF header (one account per name)."""
    app: Any = client.app
    people = app.state.__dict__.setdefault("test_people", {})
    if actor.name not in people:
        person = TestClient(app)
        password = make_account(app.state.engine, actor.name, actor.role, area=actor.area)
        sign_in_client(person, actor.name, password)
        people[actor.name] = person
    found: TestClient = people[actor.name]
    return found


def units_listed(html: str) -> list[str]:
    return re.findall(r'<tr data-unit="([^"]+)"', html)


def alert_id(client: TestClient, kind: str, subject: str) -> int:
    with client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        return int(
            conn.execute(
                select(ALERTS.c.id).where(ALERTS.c.kind == kind, ALERTS.c.subject == subject)
            ).scalar_one()
        )


# -- the county's view ----------------------------------------------------------------------


def test_the_fleet_page_shows_every_window_by_town_with_its_state(hub):
    client, _ = hub
    page = client.get("/fleet", params={"limit": 500})
    assert page.status_code == 200
    listed = units_listed(page.text)
    assert len(listed) == 76  # every village of the registry, those never heard from too
    assert listed.index(PAPER_OUT) < listed.index(OFFLINE)  # 清水镇 before 石桥镇
    assert page.text.count('class="group"') == 10  # one heading per town
    row = _row(page.text, PAPER_OUT)
    for shown in ("在线", "打印机缺纸", "1.4.2", 'data-paper="out"', 'data-config="1"'):
        assert shown in row
    assert "无心跳" in _row(page.text, SILENT)
    assert "✗ 拒绝" in _row(page.text, REJECTED)
    assert "偏差：慢 3.0 天" in _row(page.text, DRIFTING)
    assert "未接入" in _row(page.text, "qingshui-shequ")
    assert page.headers["content-security-policy"].startswith("default-src 'self'")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("offline", [OFFLINE]),
        ("stale", [SILENT]),
        ("problem", [PAPER_OUT, REJECTED, DRIFTING]),
        ("online", [PAPER_OUT, REJECTED, DRIFTING]),
    ],
)
def test_the_fleet_page_filters_by_status(hub, status, expected):
    client, _ = hub
    page = client.get("/fleet", params={"status": status})
    assert sorted(units_listed(page.text)) == sorted(expected)


def test_the_fleet_page_filters_by_town_and_pages_with_previous_and_next(hub):
    client, _ = hub
    first = client.get("/fleet", params={"town": "qingshui-zhen", "limit": 5})
    second = client.get("/fleet", params={"town": "qingshui-zhen", "limit": 5, "offset": 5})
    assert len(units_listed(first.text)) == len(units_listed(second.text)) == 5
    assert not set(units_listed(first.text)) & set(units_listed(second.text))
    assert "第 1–5 条，共 12 条" in first.text
    assert 'href="/fleet?town=qingshui-zhen&amp;limit=5&amp;offset=5">下一页' in first.text
    assert 'href="/fleet?town=qingshui-zhen&amp;limit=5">上一页' in second.text


@pytest.mark.parametrize(
    "query", [{"status": "broken"}, {"limit": 501}, {"limit": 0}, {"offset": -1}]
)
def test_the_fleet_page_refuses_bad_filters(hub, query):
    client, _ = hub
    assert client.get("/fleet", params=query).status_code == 422


def test_a_unit_page_shows_its_devices_alerts_rollouts_and_events_paged(hub):
    client, morning = hub
    page = client.get(f"/fleet/{PAPER_OUT}", params={"limit": 2})
    assert page.status_code == 200
    assert "缺纸，请装纸" in page.text
    assert "打印机缺纸" in page.text  # its open alert
    assert f'<tr data-rollout="{morning.rollout_id}">' in page.text
    assert re.findall(r'<tr data-seq="(\d+)"', page.text) == ["3", "2"]  # newest first
    assert f'href="/fleet/{PAPER_OUT}?limit=2&amp;offset=2">下一页' in page.text
    assert "最早的已等待 40 秒" in page.text
    assert client.get(f"/fleet/{PAPER_OUT}", params={"offset": 2}).text.count("data-seq=") == 1


def test_a_unit_never_known_is_a_chinese_not_found_page(hub):
    client, _ = hub
    page = client.get("/fleet/nobody")
    assert page.status_code == 404
    assert "没有编号为" in page.text


def test_the_overview_counts_windows_alerts_and_rollouts(hub):
    client, morning = hub
    page = client.get("/").text
    assert 'id="total-units">76<' in page
    assert 'id="online-units" class="ok">3<' in page
    assert 'id="offline-units" class="alarm">1<' in page
    assert 'id="clock-drift" class="alarm">1<' in page
    for kind in ("unit_offline", "paper_out", "clock_drift"):
        assert f'<tr data-kind="{kind}">' in page
    assert f'data-rollout="{morning.rollout_id}"' in page
    assert 'href="/dead-letters"' not in page  # the local anonymous reader is no auditor
    assert 'href="/indicators"' in page


def test_the_alerts_page_lists_open_alerts_and_offers_operators_to_acknowledge(hub):
    client, _ = hub
    viewer = client.get("/alerts").text
    assert len(re.findall(r'<tr data-alert="', viewer)) == 4
    assert "data-api=" not in viewer  # a viewer reads only
    client = as_actor(client, Actor("ops", Role.OPERATOR))
    operator = client.get("/alerts", params={"kind": "paper_out"}).text
    paper = alert_id(client, "paper_out", PAPER_OUT)
    assert f'data-api="/api/alerts/{paper}/acknowledge"' in operator
    assert len(re.findall(r'<tr data-alert="', operator)) == 1


def test_the_rollout_page_shows_failures_with_reasons_and_its_buttons(hub):
    client, morning = hub
    client = as_actor(client, Actor("ops", Role.OPERATOR))
    page = client.get(f"/rollouts/{morning.rollout_id}").text
    assert "签名校验失败" in page
    assert f'data-api="/api/rollouts/{morning.rollout_id}/pause"' in page
    assert f'data-api="/api/rollouts/{morning.rollout_id}/rollback"' in page
    listed = client.get("/rollouts").text
    assert "清水镇" in listed
    assert 'id="new-rollout"' in listed
    assert client.get("/rollouts/99").status_code == 404


# -- a town's office --------------------------------------------------------------------------


def test_a_town_viewer_sees_only_its_own_villages(hub):
    client, _ = hub
    client = as_actor(client, town_actor(Role.VIEWER))
    page = client.get("/fleet", params={"limit": 500}).text
    listed = units_listed(page)
    assert len(listed) == 12
    assert PAPER_OUT in listed
    assert OFFLINE not in listed
    assert DRIFTING not in listed
    assert "石桥镇" not in page
    api = {u["id"] for u in client.get("/api/units").json()}
    assert api == {PAPER_OUT, SILENT, REJECTED}
    overview = client.get("/").text
    assert 'id="total-units">12<' in overview
    assert "清水镇" in overview
    assert '<tr data-kind="clock_drift">' not in overview  # 双河村 is 石桥镇's


@pytest.mark.parametrize(
    "path", [f"/fleet/{OFFLINE}", f"/api/units/{OFFLINE}", f"/api/units/{OFFLINE}/events"]
)
def test_a_unit_outside_the_town_is_not_found(hub, path):
    client, _ = hub
    client = as_actor(client, town_actor(Role.VIEWER))
    assert client.get(path).status_code == 404
    client = as_actor(client, Actor("county", Role.VIEWER))
    assert client.get(path).status_code == 200


def test_a_town_sees_and_acknowledges_its_own_alerts_only(hub):
    client, _ = hub
    client = as_actor(client, town_actor(Role.OPERATOR))
    page = client.get("/alerts").text
    assert f"/fleet/{PAPER_OUT}" in page
    assert f"/fleet/{OFFLINE}" not in page
    listed = client.get("/api/alerts").json()
    assert {a["subject"] for a in listed["alerts"]} == {PAPER_OUT, SILENT}
    theirs = alert_id(client, "unit_offline", OFFLINE)
    assert client.post(f"/api/alerts/{theirs}/acknowledge").status_code == 404
    mine = alert_id(client, "paper_out", PAPER_OUT)
    done = client.post(f"/api/alerts/{mine}/acknowledge")
    assert (done.status_code, done.json()["acknowledged_by"]) == (200, "qingshui-zhen-operator")


def test_a_town_reads_rollouts_that_reached_it_and_changes_only_those_wholly_its_own(hub):
    client, morning = hub
    client = as_actor(client, town_actor(Role.OPERATOR, town=OTHER_TOWN))
    assert client.get(f"/rollouts/{morning.rollout_id}").status_code == 404
    assert client.get(f"/api/rollouts/{morning.rollout_id}").status_code == 404
    assert client.post(f"/api/rollouts/{morning.rollout_id}/pause").status_code == 404
    assert client.get("/api/rollouts").json() == []
    refused = client.post("/api/rollouts", json={"target": {"division": "qingshui-zhen"}})
    assert (refused.status_code, refused.json()["detail"]["code"]) == (403, "out_of_scope")

    client = as_actor(client, town_actor(Role.OPERATOR))  # 清水镇: the rollout is wholly its own
    assert client.post(f"/api/rollouts/{morning.rollout_id}/pause").json()["state"] == "paused"
    app: Any = client.app
    county = create(app.state.engine, target={"units": [OFFLINE, "linchang-cun"]})
    client = as_actor(client, town_actor(Role.OPERATOR, town=OTHER_TOWN))  # reaches 新民村 only
    seen: Any = client.get(f"/api/rollouts/{county.id}").json()
    assert (seen["units"], seen["counts"]["pending"]) == (1, 1)  # counted over its own
    assert [u["unit"] for u in client.get(f"/api/rollouts/{county.id}/units").json()] == [OFFLINE]
    paused = client.post(f"/api/rollouts/{county.id}/pause")
    assert (paused.status_code, paused.json()["detail"]["code"]) == (403, "out_of_scope")
    assert 'id="pause"' not in client.get(f"/rollouts/{county.id}").text


def _row(html: str, unit: str) -> str:
    start = html.index(f'<tr data-unit="{unit}"')
    return html[start : html.index("</tr>", start)]


def test_the_overview_counts_todays_cases_and_good_ratings_in_the_area(hub):
    client, _ = hub
    app: Any = client.app
    noon = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)  # 12:00 in the county
    app.state.clock = lambda: noon
    opened = [
        (PAPER_OUT, noon - timedelta(hours=1), 5),  # 非常满意: good
        (PAPER_OUT, noon - timedelta(hours=2), 3),  # 基本满意: rated, not good
        (PAPER_OUT, noon - timedelta(hours=3), None),  # not rated
        (PAPER_OUT, noon - timedelta(hours=20), 5),  # yesterday in the county's time
        (OFFLINE, noon - timedelta(hours=1), 1),  # 石桥镇
    ]
    with app.state.engine.begin() as conn:
        conn.execute(
            RECORDS.insert(),
            [
                {"case_id": uuid.uuid4(), "unit": unit, "opened_at": at, "updated_at": at,
                 "window_state": "done", "status": "completed", "rating": rating,
                 "given": [], "waived": [], "owed": [], "missing": [], "times": {}}
                for unit, at, rating in opened
            ],
        )  # fmt: skip
    county = client.get("/").text
    assert 'id="today-cases">4<' in county
    assert 'id="today-good-rate">33.3%<' in county  # 1 good of 3 rated
    client = as_actor(client, town_actor(Role.VIEWER))
    town = client.get("/").text
    assert 'id="today-cases">3<' in town
    assert 'id="today-good-rate">50.0%<' in town
