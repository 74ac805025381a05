"""The hub's side of the window: unit tokens for the data registry, the registry query, the
integrity blacklist (audited) and its delivery in configurations, on SQLite and PostgreSQL."""

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from hub.accounts.roles import Role
from hub.accounts.store import add_account
from hub.app import create_app
from hub.rollouts.store import create_rollout, get_rollout
from hub.settings import HubSettings
from hub.window.registry import add_registry_records
from hub.window.tokens import issue_unit_token
from protocol.case import IntegrityBlacklist
from protocol.config import ArtifactKind

REF = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"


@pytest.fixture
def client(database_url, tmp_path):
    settings = HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path)
    with TestClient(create_app(settings)) as c:
        yield c


def _session(client):
    return Session(client.app.state.engine)


def _operator(client):
    with _session(client) as s:
        token = add_account(s, name="ops", role=Role.OPERATOR)
        s.commit()
    return {"Authorization": f"Bearer {token}"}


def _unit(client, unit="dongjie-cun"):
    with _session(client) as s:
        token = issue_unit_token(s, unit=unit)
        add_registry_records(
            s,
            applicant_ref=REF,
            materials=["户口簿复印件"],
            source="县公安局",
            as_of=date(2026, 1, 1),
        )
        s.commit()
    return {"Authorization": f"Bearer {token}"}


QUERY = {"applicant": REF, "materials": ["户口簿复印件", "结婚证复印件"]}


def test_a_unit_learns_which_materials_the_county_database_confirms(client):
    headers = _unit(client)
    answer = client.post("/api/unit/registry/query", json=QUERY, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "applicant": REF,
        "found": {"户口簿复印件": {"source": "县公安局", "as_of": "2026-01-01"}},
    }
    other = client.post(
        "/api/unit/registry/query", json={**QUERY, "applicant": OTHER}, headers=headers
    )
    assert other.json()["found"] == {}


def test_registry_queries_need_a_unit_token_and_are_audited(client):
    assert client.post("/api/unit/registry/query", json=QUERY).status_code == 401
    bad = {"Authorization": "Bearer bmu_not-a-token"}
    assert client.post("/api/unit/registry/query", json=QUERY, headers=bad).status_code == 401
    # an operator's account token is not a unit token
    ops = _operator(client)
    assert client.post("/api/unit/registry/query", json=QUERY, headers=ops).status_code == 401
    client.post("/api/unit/registry/query", json=QUERY, headers=_unit(client))
    audit = client.get("/api/audit?action=registry.query", headers=ops).json()
    assert audit[0]["actor"] == "unit:dongjie-cun"
    assert audit[0]["target"] == f"applicant/{REF}"


def test_rotating_a_unit_token_revokes_the_old_one(client):
    old = _unit(client)
    _unit(client)
    assert client.post("/api/unit/registry/query", json=QUERY, headers=old).status_code == 401


def test_a_registry_query_must_name_an_hmac_reference(client):
    wrong = {**QUERY, "applicant": "330122196805172316"}
    assert (
        client.post("/api/unit/registry/query", json=wrong, headers=_unit(client)).status_code
        == 422
    )


def test_operators_change_the_blacklist_and_auditors_read_it(client):
    ops = _operator(client)
    assert (
        client.post(
            "/api/blacklist", json={"applicant_ref": REF, "reason": "提供虚假材料"}
        ).status_code
        == 401
    )
    added = client.post(
        "/api/blacklist", json={"applicant_ref": REF, "reason": "提供虚假材料"}, headers=ops
    )
    assert added.status_code == 201
    assert [e["applicant_ref"] for e in client.get("/api/blacklist", headers=ops).json()] == [REF]
    assert client.get("/api/blacklist").status_code == 401  # anonymous viewers do not see it
    assert client.delete(f"/api/blacklist/{REF}", headers=ops).status_code == 200
    assert client.delete(f"/api/blacklist/{REF}", headers=ops).status_code == 404
    actions = [a["action"] for a in client.get("/api/audit", headers=ops).json()]
    assert actions[:2] == ["blacklist.remove", "blacklist.add"]


def test_a_rollout_signs_the_current_blacklist_into_every_configuration(client):
    from hub.accounts.roles import Actor
    from hub.artifacts.store import artifact_content
    from hub.rollouts.models import RolloutCreate, Target

    ops = _operator(client)
    client.post(
        "/api/blacklist", json={"applicant_ref": REF, "reason": "提供虚假材料"}, headers=ops
    )
    app = client.app
    with _session(client) as s:
        rollout = create_rollout(
            s, request=RolloutCreate(target=Target(units=["dongjie-cun"])),
            actor=Actor("ops", Role.OPERATOR), catalog=app.state.catalogs.current,
            registry=app.state.registry,
        )  # fmt: skip
        assert get_rollout(s, rollout_id=rollout.id).units == 1
    from sqlalchemy import select

    from hub.rollouts.models import ConfigBlob

    with _session(client) as s:
        body = s.execute(select(ConfigBlob.__table__.c.body)).scalars().first()  # type: ignore[attr-defined]
    ref = body["blacklist"]
    assert ref["kind"] == ArtifactKind.INTEGRITY_BLACKLIST.value
    listed = IntegrityBlacklist.model_validate_json(
        artifact_content(app.state.engine, ref["sha256"])
    )
    assert listed.refs == (REF,)
