"""The county data registry as units query it, on SQLite and PostgreSQL."""

from tests.hub.window.helpers import OTHER, QUERY, REF, unit


def test_a_unit_learns_which_materials_the_county_database_confirms(client):
    headers = unit(client)
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


def test_a_registry_query_must_name_an_hmac_reference(client):
    wrong = {**QUERY, "applicant": "330122196805172316"}
    assert (
        client.post("/api/unit/registry/query", json=wrong, headers=unit(client)).status_code == 422
    )
