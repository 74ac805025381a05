"""GET /api/indicators over cases committed through the real ingest and projection, on SQLite
and PostgreSQL: every figure equals the one worked out by hand (tests/hub/indicators/county.py),
a town's account sees its own villages only, and bad periods are refused clearly."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.accounts.area import Area
from hub.accounts.roles import Role
from hub.app import create_app
from hub.settings import HubSettings
from tests.hub.indicators.county import (
    EXPECTED_CASES,
    EXPECTED_GOOD_RATING,
    EXPECTED_TOTALS,
    FROM,
    TO,
    TODAY,
    seed,
)
from tests.support.signin import make_account, sign_in_client

PERIOD = {"from": FROM.isoformat(), "to": TO.isoformat()}


@pytest.fixture
def client(database_url, tmp_path) -> Iterator[TestClient]:
    settings = HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path)
    with TestClient(create_app(settings)) as c:
        c.app.state.clock = lambda: TODAY  # type: ignore[attr-defined]
        seed(c.app.state.engine)  # type: ignore[attr-defined]
        yield c


def as_area(client: TestClient, area: Area) -> None:
    """Sign ``client`` in as a viewer account of ``area`` (hub.accounts, a session cookie)."""
    password = make_account(client.app.state.engine, "area-viewer", Role.VIEWER, area=area)  # type: ignore[attr-defined]
    sign_in_client(client, "area-viewer", password)


def get(client: TestClient, **params: Any) -> dict[str, Any]:
    got = client.get("/api/indicators", params={**PERIOD, **params})
    assert got.status_code == 200, got.text
    return got.json()


def test_the_county_figures_equal_the_ones_worked_out_by_hand(client):
    report = get(client)
    assert report["totals"] == EXPECTED_TOTALS
    assert report["period"] == {"from": "2026-11-01", "to": "2026-11-30", "days": 30,
                                "today": "2026-12-24"}  # fmt: skip
    towns = {t["town"]: t for t in report["by_town"] if t["cases"]}
    assert {k: t["cases"] for k, t in towns.items()} == EXPECTED_CASES
    assert {k: t["ratings"]["rate"] for k, t in towns.items()} == EXPECTED_GOOD_RATING
    assert len(report["by_town"]) == 10  # every town of the county, with zeros
    assert len(report["by_village"]) == 76
    villages = {v["village"]: v["cases"] for v in report["by_village"] if v["cases"]}
    assert villages == {"dongjie-cun": 5, "xinmin-cun": 3}
    matters = {m["matter"]: m for m in report["by_matter"]}
    # most cases first; G was cancelled before a matter was chosen
    assert [m["matter"] for m in report["by_matter"]] == ["HOU-001", "BIR-002", "BIR-007", None]
    assert report["by_matter"][-1]["name"] == "（未选择事项）"
    assert matters["BIR-007"]["on_time_promised"] == {
        "on_time": 0, "late": 1, "overdue": 0, "rate": 0.0,
    }  # fmt: skip
    assert matters["BIR-007"]["on_time_legal"]["rate"] == 1.0
    assert matters["HOU-001"]["deficiency"]["lapsed"] == 1
    assert report["series"]["days"][23] == "2026-11-24"
    assert report["series"]["cases"][23] == 8
    assert sum(report["series"]["cases"]) == 8
    assert sum(report["series"]["completed"]) == 4
    assert len(report["series"]["days"]) == 30
    # the catalog's declared figures over the village windows' matters, for comparison
    assert report["declared"]["matters"] == 69
    assert report["declared"]["material_reduction"] == 0.8147


def test_filters_by_town_village_and_matter_narrow_the_same_figures(client):
    town = get(client, town="shiqiao-zhen")
    assert town["totals"]["cases"] == 3
    assert town["totals"]["ratings"]["rate"] == 0.3333
    assert [v["village"] for v in town["by_village"] if v["cases"]] == ["xinmin-cun"]
    assert [t["town"] for t in town["by_town"]] == ["shiqiao-zhen"]
    village = get(client, village="dongjie-cun")
    assert village["totals"]["cases"] == 5
    assert village["scope"]["label"] == "东街村"
    matter = get(client, matter="HOU-001")
    assert matter["totals"]["deficiency"] == EXPECTED_TOTALS["deficiency"]
    assert matter["totals"]["completed"] == 1
    assert matter["declared"]["matters"] == 1
    assert get(client, **{"from": "2026-11-25"})["totals"]["cases"] == 0


def test_a_town_account_sees_its_own_villages_only(client):
    as_area(client, Area(town="qingshui-zhen"))
    report = get(client)
    assert report["totals"]["cases"] == 5
    assert report["totals"]["ratings"] == {
        "rated": 4, "good": 3, "bad": 1, "rate": 0.75,
        "levels": {"1": 1, "2": 0, "3": 0, "4": 0, "5": 3},
    }  # fmt: skip
    assert [t["town"] for t in report["by_town"]] == ["qingshui-zhen"]
    registry = client.app.state.registry
    assert {v["village"] for v in report["by_village"]} <= {
        v.unit_id for v in registry.in_division("qingshui-zhen")
    }
    assert report["scope"]["area"] == "清水镇"
    # another town's village or the other town itself: not found, as if they did not exist
    for params in ({"village": "xinmin-cun"}, {"town": "shiqiao-zhen"}):
        got = client.get("/api/indicators", params={**PERIOD, **params})
        assert got.status_code == 404, got.text
    unknown = client.get("/api/indicators", params={"village": "no-such-cun"})
    other = client.get("/api/indicators", params={"village": "xinmin-cun"})
    assert unknown.json()["detail"]["message"].replace("no-such-cun", "X") == other.json()[
        "detail"
    ]["message"].replace("xinmin-cun", "X")


def test_a_village_account_sees_its_village_even_when_asking_for_its_town(client):
    as_area(client, Area(village="xinmin-cun"))
    assert get(client)["totals"]["cases"] == 3
    assert get(client, town="shiqiao-zhen")["totals"]["cases"] == 3
    assert client.get("/api/indicators", params={"village": "dongjie-cun"}).status_code == 404


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2026-12-01", "to": "2026-11-01"}, "from: 2026-12-01 is after to: 2026-11-01"),
        ({"from": "2023-01-01", "to": "2026-11-30"}, "at most 1,096 days"),
        ({"village": "dongjie-cun", "town": "shiqiao-zhen"}, "is not in town"),
    ],
)
def test_bad_periods_and_filters_are_refused_with_a_clear_422(client, params, message):
    got = client.get("/api/indicators", params=params)
    assert got.status_code == 422
    assert message in got.json()["detail"]["message"]


def test_malformed_query_values_are_refused_before_anything_is_read(client):
    for params in ({"from": "yesterday"}, {"matter": "x' OR 1=1"}, {"village": "A" * 65}):
        assert client.get("/api/indicators", params=params).status_code == 422


def test_the_default_period_is_the_last_30_days_up_to_today(client):
    report = client.get("/api/indicators").json()
    assert report["period"]["to"] == "2026-12-24"
    assert report["period"]["days"] == 30


def test_production_needs_a_viewer_token(database_url, tmp_path):
    from hub.keys import create_key_file

    settings = HubSettings(
        database_url=database_url, broker_url=None, data_dir=tmp_path, environment="production"
    )
    create_key_file(settings.signing_key_path)
    with TestClient(create_app(settings)) as c:
        assert c.get("/api/indicators").status_code == 401
        assert c.get("/indicators").status_code == 401
        page = c.get("/indicators", headers={"accept": "text/html"}, follow_redirects=False)
        assert (page.status_code, page.headers["location"]) == (303, "/login?next=%2Findicators")
        password = make_account(c.app.state.engine, "viewer", Role.VIEWER)  # type: ignore[attr-defined]
        sign_in_client(c, "viewer", password)
        assert c.get("/api/indicators").status_code == 200
        assert c.get("/indicators").status_code == 200


def test_the_edges_of_the_calendar_are_a_422_not_a_crash(client):
    for params in ({"from": "0001-01-01", "to": "0001-01-02"}, {"to": "9999-12-31"}):
        got = client.get("/api/indicators", params=params)
        assert got.status_code == 422, got.text
