"""Accounts, roles and the audit log of the hub API, on SQLite and PostgreSQL."""

import base64

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session

from hub.accounts.roles import Role
from hub.accounts.store import Account, add_account
from hub.app import create_app
from hub.keys import create_key_file
from hub.settings import HubSettings

ROLLOUT = {"target": {"units": ["dongjie-cun", "xijie-cun"]}, "note": "role test"}


def make_client(database_url, tmp_path, environment="local"):
    if environment != "local":
        create_key_file(tmp_path / "hub_signing_key.pem")
    settings = HubSettings(
        database_url=database_url, broker_url=None, data_dir=tmp_path, environment=environment
    )
    return TestClient(create_app(settings))


def token_for(client, name, role):
    with Session(client.app.state.engine) as s:
        token = add_account(s, name=name, role=role)
        s.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def local(database_url, tmp_path):
    with make_client(database_url, tmp_path) as c:
        yield c


@pytest.fixture
def production(database_url, tmp_path):
    with make_client(database_url, tmp_path, "production") as c:
        yield c


def test_in_local_mode_anonymous_requests_read_like_a_viewer(local):
    assert local.get("/api/units").status_code == 200
    assert local.get("/api/rollouts").status_code == 200
    assert local.get("/api/me").json() == {
        "name": "anonymous", "role": "viewer", "anonymous": True,
        "area": {"town": None, "village": None},
    }  # fmt: skip


def test_in_local_mode_changing_anything_still_needs_an_operator_token(local):
    resp = local.post("/api/rollouts", json=ROLLOUT)
    assert resp.status_code == 401
    assert resp.json()["detail"]["code"] == "unauthorized"
    assert (
        local.post(
            "/api/rollouts", json=ROLLOUT, headers=token_for(local, "op", Role.OPERATOR)
        ).status_code
        == 201
    )


def test_in_production_every_request_needs_an_account_and_pages_lead_to_the_sign_in(production):
    resp = production.get("/api/units")
    assert resp.status_code == 401
    assert resp.headers["www-authenticate"] == 'Bearer realm="bianmin hub"'  # never Basic
    page = production.get("/", headers={"accept": "text/html"}, follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/login?next=%2F")
    assert production.get("/", headers=token_for(production, "v", Role.VIEWER)).status_code == 200


@pytest.mark.parametrize(
    ("role", "create", "audit"),
    [(Role.VIEWER, 403, 403), (Role.AUDITOR, 403, 200), (Role.OPERATOR, 201, 200)],
)
def test_roles_decide_who_may_change_and_who_may_read_the_audit_log(
    production, role, create, audit
):
    headers = token_for(production, "someone", role)
    assert production.get("/api/rollouts", headers=headers).status_code == 200
    resp = production.post("/api/rollouts", json=ROLLOUT, headers=headers)
    assert resp.status_code == create
    if create == 403:
        assert resp.json()["detail"]["code"] == "forbidden"
    assert production.get("/api/audit", headers=headers).status_code == audit


def test_http_basic_is_refused_everywhere_even_with_a_valid_token(production, local):
    for name, client in (("alice", production), ("bob", local)):
        token = token_for(client, name, Role.OPERATOR)["Authorization"].split()[1]
        basic = {"Authorization": "Basic " + base64.b64encode(f"{name}:{token}".encode()).decode()}
        resp = client.get("/api/me", headers=basic)
        assert resp.status_code == 401
        assert "Basic is not accepted" in resp.json()["detail"]["message"]
        assert client.post("/api/rollouts", json=ROLLOUT, headers=basic).status_code == 401


def test_tokens_are_stored_only_as_hashes_and_disabled_accounts_stop_working(production):
    headers = token_for(production, "bob", Role.OPERATOR)
    token = headers["Authorization"].split()[1]
    with Session(production.app.state.engine) as s:
        stored = [a.token_hash for a in s.execute(select(Account)).scalars()]
        assert token not in stored
        assert all(len(h) == 64 for h in stored)
        account = s.get(Account, "bob")
        assert account is not None
        account.disabled = True
        s.add(account)
        s.commit()
    assert production.get("/api/me", headers=headers).status_code == 401


def test_configuration_changes_are_in_the_audit_log_with_who_did_them(local):
    operator = token_for(local, "ops", Role.OPERATOR)
    rollout = local.post("/api/rollouts", json=ROLLOUT, headers=operator).json()
    local.post(f"/api/rollouts/{rollout['id']}/pause", headers=operator)
    local.post(f"/api/rollouts/{rollout['id']}/resume", headers=operator)
    entries = local.get("/api/audit", headers=token_for(local, "aud", Role.AUDITOR)).json()
    assert [e["action"] for e in entries] == ["rollout.resume", "rollout.pause", "rollout.create"]
    assert {(e["actor"], e["role"]) for e in entries} == {("ops", "operator")}
    assert entries[-1]["detail"]["units"] == 2
    assert entries[-1]["target"] == f"rollout/{rollout['id']}"
    # the face thresholds the profile signs into every unit's configuration (pi4-cm3-80mm)
    assert entries[-1]["detail"]["face_thresholds"] == {"verify": 0.51, "id_photo": 0.54}


def test_errors_carry_a_stable_code_and_a_message(local):
    operator = token_for(local, "ops", Role.OPERATOR)
    resp = local.post("/api/rollouts/999/pause", headers=operator)
    assert resp.status_code == 404
    assert resp.json()["detail"]["code"] == "rollout_not_found"
    resp = local.post("/api/rollouts", json={**ROLLOUT, "profile": "pi3-nothing"}, headers=operator)
    assert (resp.status_code, resp.json()["detail"]["code"]) == (422, "unknown_profile")
