"""The operator's artifact routes: uploads by operators only (audited), listings and
references for viewers, on SQLite and PostgreSQL."""

import hashlib

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from hub.accounts.roles import Role
from hub.accounts.store import add_account
from hub.app import create_app
from hub.settings import HubSettings

BUNDLE = b"model bundle bytes " * 100
SHA = hashlib.sha256(BUNDLE).hexdigest()


@pytest.fixture
def app(database_url, tmp_path):
    return create_app(HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path))


@pytest.fixture
def client(app):
    with TestClient(app) as c:
        yield c


def bearer(app, name, role):
    with Session(app.state.engine) as s:
        token = add_account(s, name=name, role=role)
        s.commit()
    return {"Authorization": f"Bearer {token}"}


def test_an_operator_uploads_a_bundle_that_viewers_list_and_units_download(app, client):
    ops = bearer(app, "ops", Role.OPERATOR)
    resp = client.post("/api/artifacts", content=BUNDLE, headers=ops)
    assert resp.status_code == 201, resp.text
    ref = resp.json()
    assert (ref["sha256"], ref["size"], ref["kind"]) == (SHA, len(BUNDLE), "model_bundle")
    assert [a["sha256"] for a in client.get("/api/artifacts").json()] == [SHA]
    assert client.get(f"/api/artifacts/{SHA}").json() == ref
    assert client.get(ref["path"]).content == BUNDLE
    auditor = bearer(app, "aud", Role.AUDITOR)
    (entry,) = client.get("/api/audit?action=artifact.upload", headers=auditor).json()
    assert (entry["actor"], entry["role"]) == ("ops", "operator")
    assert entry["target"] == f"artifact/{SHA}"


def test_uploads_need_an_operator_and_bytes_and_are_never_catalog_slices(app, client):
    ops = bearer(app, "ops", Role.OPERATOR)
    assert client.post("/api/artifacts", content=BUNDLE).status_code == 401
    empty = client.post("/api/artifacts", content=b"", headers=ops)
    assert (empty.status_code, empty.json()["detail"]["code"]) == (422, "invalid_request")
    catalog_slice = client.post(
        "/api/artifacts", params={"kind": "catalog_slice"}, content=BUNDLE, headers=ops
    )
    assert catalog_slice.status_code == 422
    assert catalog_slice.json()["detail"]["code"] == "invalid_request"
    assert client.get("/api/artifacts").json() == []
