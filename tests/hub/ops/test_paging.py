"""Every list the API returns is paged the same way: limit (default 50, at most 500, more is a
422) and offset, the total in X-Total-Count and the next page in a Link header; a unit's
events page by a sequence cursor (SQLite and PostgreSQL)."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from hub.accounts.roles import Role
from hub.accounts.store import add_account
from hub.app import create_app
from hub.fleet.units import register_units
from hub.ingest.batch import commit_ingest_batch
from hub.ingest.intake import take
from hub.settings import HubSettings
from tests.support.builders import NOW, tx

UNITS = [(f"t{n:03d}", f"村{n}", "qingshui-zhen") for n in range(7)]
# every bare-list route: a page header and the 422 beyond the largest page
LISTS = [
    "/api/units",
    "/api/dead-letters",
    "/api/rollouts",
    "/api/config/units",
    "/api/blacklist",
    "/api/clerks",
    "/api/artifacts",
]
# lists answered in an envelope, each with its total
ENVELOPES = [
    "/api/alerts",
    "/api/cases",
    "/api/feedback",
    "/api/followups",
    "/api/blacklist/proposals",
]


@pytest.fixture
def client(database_url, tmp_path):
    app = create_app(HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path))
    with TestClient(app) as c:
        with Session(app.state.engine) as s:
            token = add_account(s, name="ops", role=Role.OPERATOR)
            register_units(s, units=UNITS)
            s.commit()
        c.headers["Authorization"] = f"Bearer {token}"
        yield c


def test_a_page_says_the_total_and_links_the_next(client):
    first = client.get("/api/units", params={"limit": 3})
    assert [u["id"] for u in first.json()] == ["t000", "t001", "t002"]
    assert first.headers["X-Total-Count"] == "7"
    assert first.headers["Link"] == '</api/units?limit=3&offset=3>; rel="next"'
    last = client.get("/api/units", params={"limit": 3, "offset": 6})
    assert [u["id"] for u in last.json()] == ["t006"]
    assert last.headers["X-Total-Count"] == "7"
    assert "Link" not in last.headers


def test_walking_the_links_visits_every_item_once(client):
    seen: list[str] = []
    url: str | None = "/api/units?limit=2"
    while url is not None:
        resp = client.get(url)
        seen += [u["id"] for u in resp.json()]
        link = resp.headers.get("Link")
        url = link.split(">")[0].lstrip("<") if link is not None else None
    assert seen == [u for u, _, _ in UNITS]


@pytest.mark.parametrize("path", LISTS)
def test_every_list_is_paged_and_bounded(client, path):
    resp = client.get(path)
    assert resp.status_code == 200
    assert isinstance(resp.json(), list)
    assert "X-Total-Count" in resp.headers
    for bad in ({"limit": 501}, {"limit": 0}, {"offset": -1}):
        refused = client.get(path, params=bad)
        assert refused.status_code == 422, (path, bad)


@pytest.mark.parametrize("path", ENVELOPES)
def test_every_envelope_list_has_a_total_and_a_bounded_limit(client, path):
    resp = client.get(path)
    assert resp.status_code == 200
    assert resp.json()["total"] == 0
    assert client.get(path, params={"limit": 501}).status_code == 422
    assert client.get(path, params={"limit": 500, "offset": 0}).status_code == 200


def test_a_units_events_page_by_a_sequence_cursor(client):
    commit_ingest_batch(client.app.state.engine, take([tx(unit="t001", n=5)], NOW).batch)
    first = client.get("/api/units/t001/events", params={"limit": 2})
    assert [e["seq"] for e in first.json()] == [1, 2]
    assert first.headers["Link"] == '</api/units/t001/events?after_seq=2&limit=2>; rel="next"'
    rest = client.get("/api/units/t001/events", params={"after_seq": 4, "limit": 2})
    assert [e["seq"] for e in rest.json()] == [5]
    assert "Link" not in rest.headers
    assert client.get("/api/units/t001/events", params={"limit": 501}).status_code == 422


def test_the_default_page_is_fifty(client):
    with Session(client.app.state.engine) as s:
        register_units(s, units=[(f"u{n:03d}", None, None) for n in range(60)])
    resp = client.get("/api/units")
    assert len(resp.json()) == 50
    assert resp.headers["X-Total-Count"] == "67"
