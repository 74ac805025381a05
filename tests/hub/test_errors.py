"""Every refusal the API answers is one of the hub's errors, with its stable code and
message in one shape, whichever route raised it (SQLite and PostgreSQL)."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from hub.accounts.roles import Role
from hub.accounts.store import add_account
from hub.app import create_app
from hub.settings import HubSettings

NO_SHA = "0" * 64
REF = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def client(database_url, tmp_path):
    settings = HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path)
    app = create_app(settings)
    with TestClient(app) as c:
        with Session(app.state.engine) as s:
            token = add_account(s, name="ops", role=Role.OPERATOR)
            s.commit()
        c.headers["Authorization"] = f"Bearer {token}"
        yield c


@pytest.mark.parametrize(
    ("method", "path", "code"),
    [
        ("GET", "/api/units/nobody", "unit_not_found"),
        ("GET", "/api/rollouts/999", "rollout_not_found"),
        ("GET", "/api/rollouts/999/units", "rollout_not_found"),
        ("POST", "/api/rollouts/999/pause", "rollout_not_found"),
        ("POST", "/api/rollouts/999/resume", "rollout_not_found"),
        ("POST", "/api/rollouts/999/rollback", "rollout_not_found"),
        ("GET", f"/api/artifacts/{NO_SHA}", "artifact_not_found"),
        ("GET", f"/artifacts/{NO_SHA}", "artifact_not_found"),
        ("DELETE", f"/api/blacklist/{REF}", "not_found"),
    ],
)
def test_whatever_is_missing_is_a_404_with_the_hubs_code(client, method, path, code):
    resp = client.request(method, path)
    assert resp.status_code == 404
    detail = resp.json()["detail"]
    assert detail["code"] == code
    assert detail["message"]


def test_a_unit_the_village_registry_lacks_is_refused_as_an_unknown_target(client):
    resp = client.post("/api/rollouts", json={"target": {"units": ["nowhere-cun"]}})
    assert resp.status_code == 422
    detail = resp.json()["detail"]
    assert detail["code"] == "unknown_target"
    assert "nowhere-cun" in detail["message"]
