"""Units' API tokens: only a current unit token opens the unit routes, on SQLite and
PostgreSQL."""

from tests.hub.window.helpers import QUERY, operator, unit
from tests.hub.window.test_registry import open_case


def test_registry_queries_need_a_unit_token_and_are_audited(client):
    assert client.post("/api/unit/registry/query", json=QUERY).status_code == 401
    bad = {"Authorization": "Bearer bmu_not-a-token"}
    assert client.post("/api/unit/registry/query", json=QUERY, headers=bad).status_code == 401
    # an operator's account token is not a unit token
    ops = operator(client)
    assert client.post("/api/unit/registry/query", json=QUERY, headers=ops).status_code == 401
    case = open_case(client)
    client.post("/api/unit/registry/query", json={**QUERY, "case": case}, headers=unit(client))
    audit = client.get("/api/audit?action=registry.query", headers=ops).json()
    assert audit[0]["actor"] == "unit:dongjie-cun"
    assert audit[0]["target"] == f"case/{case}"  # the case, not the applicant's reference


def test_rotating_a_unit_token_revokes_the_old_one(client):
    old = unit(client)
    unit(client)
    assert client.post("/api/unit/registry/query", json=QUERY, headers=old).status_code == 401
