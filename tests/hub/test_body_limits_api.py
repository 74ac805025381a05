"""The hub app refuses a body over its route's limit with a 413 in the hub's error shape,
whether the size is declared or streamed, before any token check or parsing; uploads stop at
their limit and leave nothing behind (SQLite and PostgreSQL)."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from hub.accounts.roles import Role
from hub.accounts.store import add_account
from hub.app import create_app
from hub.limits import CATALOG_BODY_BYTES, DEFAULT_BODY_BYTES, UNIT_BODY_BYTES
from hub.settings import HubSettings
from hub.window.tokens import issue_unit_token

ARTIFACT_LIMIT = 256 * 1024


@pytest.fixture
def client(database_url, tmp_path):
    settings = HubSettings(
        database_url=database_url,
        broker_url=None,
        data_dir=tmp_path,
        artifact_upload_max_bytes=ARTIFACT_LIMIT,
    )
    with TestClient(create_app(settings)) as c:
        yield c


def _operator(client):
    with Session(client.app.state.engine) as s:
        token = add_account(s, name="ops", role=Role.OPERATOR)
        s.commit()
    return {"Authorization": f"Bearer {token}"}


def _unit(client):
    with Session(client.app.state.engine) as s:
        token = issue_unit_token(s, unit="dongjie-cun")
        s.commit()
    return {"Authorization": f"Bearer {token}"}


def streamed(size, piece=4096):
    """``size`` bytes sent chunked: no Content-Length to refuse by."""
    for at in range(0, size, piece):
        yield b"x" * min(piece, size - at)


def _refused(resp):
    assert resp.status_code == 413, resp.text
    assert resp.json()["detail"]["code"] == "body_too_large"
    assert resp.headers["connection"] == "close"


def test_a_declared_oversized_unit_request_is_refused_before_its_token_is_looked_at(client):
    _refused(client.post("/api/unit/registry/query", content=b"{" * (UNIT_BODY_BYTES + 1)))


def test_a_streamed_oversized_unit_request_is_a_413_not_a_parse_error(client):
    resp = client.post(
        "/api/unit/registry/query",
        content=streamed(UNIT_BODY_BYTES + 1),
        headers={**_unit(client), "Content-Type": "application/json"},
    )
    _refused(resp)


def test_operator_json_over_the_default_limit_is_refused(client):
    resp = client.post(
        "/api/blacklist",
        content=streamed(DEFAULT_BODY_BYTES + 1),
        headers={**_operator(client), "Content-Type": "application/json"},
    )
    _refused(resp)


def test_an_oversized_catalog_upload_is_refused_and_the_catalog_stays(client):
    ops = _operator(client)
    before = client.get("/api/catalog", headers=ops).json()
    _refused(client.post("/api/catalog", content=streamed(CATALOG_BODY_BYTES + 1), headers=ops))
    assert client.get("/api/catalog", headers=ops).json() == before


def test_an_artifact_upload_stops_at_its_limit_and_leaves_nothing_behind(client, tmp_path):
    ops = _operator(client)
    _refused(client.post("/api/artifacts", content=streamed(ARTIFACT_LIMIT + 1), headers=ops))
    assert client.get("/api/artifacts", headers=ops).json() == []
    assert list((tmp_path / "uploads").iterdir()) == []  # the spooled file went with it


def test_an_artifact_upload_of_exactly_the_limit_is_stored(client):
    ops = _operator(client)
    resp = client.post("/api/artifacts", content=streamed(ARTIFACT_LIMIT), headers=ops)
    assert resp.status_code == 201, resp.text
    assert resp.json()["size"] == ARTIFACT_LIMIT
