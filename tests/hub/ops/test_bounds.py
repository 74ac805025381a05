"""What schemathesis found answered 500, now refused as the caller's error (SQLite and
PostgreSQL): ids past what their columns hold, a media type with control characters, a body
that is not UTF-8."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from hub.accounts.roles import Role
from hub.accounts.store import add_account
from hub.app import create_app
from hub.settings import HubSettings

PAST_INTEGER = 2**31  # rollout and alert ids are INTEGER columns


@pytest.fixture
def client(database_url, tmp_path):
    app = create_app(HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path))
    with TestClient(app, raise_server_exceptions=False) as c:
        with Session(app.state.engine) as s:
            token = add_account(s, name="ops", role=Role.OPERATOR)
            s.commit()
        c.headers["Authorization"] = f"Bearer {token}"
        yield c


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/api/rollouts/{PAST_INTEGER}"),
        ("GET", f"/api/rollouts/{PAST_INTEGER}/units"),
        ("POST", f"/api/rollouts/{PAST_INTEGER}/pause"),
        ("POST", f"/api/alerts/{PAST_INTEGER}/acknowledge"),
        ("GET", f"/api/units/t001/events?after_seq={2**63}"),
    ],
)
def test_an_id_past_its_column_is_a_422(client, method, path):
    assert client.request(method, path).status_code == 422


def test_the_largest_id_a_column_holds_is_looked_up(client):
    assert client.get(f"/api/rollouts/{PAST_INTEGER - 1}").status_code == 404


def test_an_artifact_media_type_with_control_characters_is_a_422(client):
    resp = client.post("/api/artifacts", params={"media_type": "text/x\x1c"}, content=b"abc")
    assert resp.status_code == 422


def test_a_body_that_is_not_utf8_is_refused_without_echoing_it(client):
    resp = client.post(
        "/api/blacklist", content=b"\xff\xfe", headers={"content-type": "text/plain"}
    )
    assert resp.status_code == 422
    (error,) = resp.json()["detail"]
    assert set(error) == {"type", "loc", "msg"}
