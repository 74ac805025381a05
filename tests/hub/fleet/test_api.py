"""The hub's API and fleet page over both databases, without a broker."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from hub.app import create_app
from hub.fleet.units import register_units
from hub.ingest.batch import commit_ingest_batch
from hub.ingest.intake import take
from hub.settings import HubSettings
from tests.support.builders import NOW, tx


@pytest.fixture
def client(database_url, tmp_path):
    app = create_app(HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path))
    with TestClient(app) as c:
        yield c


def _seed(client):
    engine = client.app.state.engine
    with Session(engine) as s:
        register_units(s, units=[("t001", "东街村", "qingshui-zhen")])
    commit_ingest_batch(engine, take([tx(n=4)], NOW).batch)


def test_units_are_listed_with_counts(client):
    _seed(client)
    (unit,) = client.get("/api/units").json()
    assert unit["id"] == "t001"
    assert unit["name"] == "东街村"
    assert unit["events"] == 4


def test_unknown_unit_is_a_404_with_a_reason(client):
    resp = client.get("/api/units/nobody")
    assert resp.status_code == 404
    assert resp.json()["detail"]["code"] == "unit_not_found"
    assert "nobody" in resp.json()["detail"]["message"]


def test_event_ids_of_a_unit_are_paged_by_sequence(client):
    _seed(client)
    page = client.get("/api/units/t001/events", params={"after_seq": 1, "limit": 2}).json()
    assert [e["seq"] for e in page] == [2, 3]


def test_stats_report_totals(client):
    _seed(client)
    stats = client.get("/api/stats").json()
    assert stats["events"] == 4
    assert stats["units"] == 1
    assert stats["ingest"] is None  # no broker configured


def test_the_fleet_page_lists_units_the_registry_lacks_under_their_own_name(client):
    _seed(client)
    page = client.get("/fleet", params={"status": "offline"})
    assert page.status_code == 200
    assert 'data-unit="t001"' in page.text
    assert "东街村" in page.text
    assert "未登记的终端" in page.text


def test_bad_query_parameters_get_a_clear_422(client):
    resp = client.get("/api/units/t001/events", params={"limit": 0})
    assert resp.status_code == 422
