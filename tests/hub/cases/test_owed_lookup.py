"""The window route of 容缺 follow-up, on SQLite and PostgreSQL: a unit asks by the slip's
token hash or the applicant's keyed reference and gets only open cases with materials owed,
only what the slip says; every query is audited and rate-limited per unit."""

import pytest
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.settings import HubSettings
from protocol.supply import OwedAnswer
from tests.hub.cases.ingested import drain, ingest
from tests.hub.window.helpers import operator, unit
from tests.support.cases import START, envelopes, later_transition
from tests.support.deficiency import DAY, REF, seed_case

ROUTE = "/api/unit/cases/owed"


@pytest.fixture
def client(database_url, tmp_path):
    settings = HubSettings(
        database_url=database_url, broker_url=None, data_dir=tmp_path, unit_lookups_per_hour=6
    )
    with TestClient(create_app(settings)) as c:
        yield c


def test_a_case_is_found_by_its_slips_token_or_by_the_applicant_with_only_the_slips_facts(
    client,
):
    case = seed_case(client.app.state.engine)
    seed_case(client.app.state.engine, defer=False, token=None, seq0=100)  # nothing owed
    auth = unit(client, "xinmin-cun")  # another village's window
    by_qr = client.post(ROUTE, json={"token_sha256": case.token_sha256}, headers=auth)
    assert by_qr.status_code == 200, by_qr.text
    (found,) = by_qr.json()["cases"]
    assert set(found) == {
        "case_id", "case_ref", "matter_code", "matter_name", "owed", "supply_by", "lapsed",
    }  # fmt: skip
    assert (found["case_id"], found["case_ref"]) == (str(case.case_id), case.case_ref)
    assert found["owed"] == case.owed
    assert found["matter_name"]
    assert found["lapsed"] is False
    by_id = client.post(ROUTE, json={"applicant": REF}, headers=auth).json()
    assert [c["case_id"] for c in by_id["cases"]] == [str(case.case_id)]
    assert OwedAnswer.model_validate(by_id).cases[0].owed == tuple(case.owed)
    unknown = client.post(ROUTE, json={"token_sha256": "0" * 64}, headers=auth).json()
    assert unknown == {"cases": []}
    entries = client.get("/api/audit?action=case.owed_lookup", headers=operator(client)).json()
    assert {e["actor"] for e in entries} == {"unit:xinmin-cun"}
    assert {e["target"] for e in entries} >= {f"applicant/{REF}", f"token/{case.token_sha256[:16]}"}


def test_what_is_owed_shrinks_with_each_supply_and_a_supplied_case_is_no_longer_found(client):
    engine = client.app.state.engine
    case = seed_case(engine)
    auth = unit(client, "xinmin-cun")
    part = later_transition(case.case_id, "supplied", START + DAY, materials=["不相干"])
    ingest(engine, envelopes("xinmin-cun", [part]))
    drain(engine)
    (found,) = client.post(ROUTE, json={"applicant": REF}, headers=auth).json()["cases"]
    assert found["owed"] == case.owed
    rest = later_transition(case.case_id, "supplied", START + 2 * DAY, materials=case.owed)
    ingest(engine, envelopes("xinmin-cun", [rest], seq0=2))
    drain(engine)
    assert client.post(ROUTE, json={"applicant": REF}, headers=auth).json() == {"cases": []}


def test_only_units_may_ask_exactly_one_key_and_a_bounded_body(client):
    auth = unit(client)
    assert client.post(ROUTE, json={"applicant": REF}).status_code == 401
    ops = operator(client)  # an account token is no unit token
    assert client.post(ROUTE, json={"applicant": REF}, headers=ops).status_code == 401
    both = {"applicant": REF, "token_sha256": "0" * 64}
    assert client.post(ROUTE, json=both, headers=auth).status_code == 422
    assert client.post(ROUTE, json={}, headers=auth).status_code == 422
    number = {"applicant": "341122199001011234"}  # an ID number is not a reference
    assert client.post(ROUTE, json=number, headers=auth).status_code == 422
    big = client.post(ROUTE, content=b"{" + b" " * 30_000 + b"}", headers=auth)
    assert big.status_code == 413


def test_a_unit_asking_too_often_is_refused_for_the_hour(client):
    auth = unit(client)
    codes = [
        client.post(ROUTE, json={"applicant": f"{i:032x}"}, headers=auth).status_code
        for i in range(8)
    ]
    assert codes == [200] * 6 + [429, 429]
    other = unit(client, "xinmin-cun")  # another unit has its own budget
    assert client.post(ROUTE, json={"applicant": REF}, headers=other).status_code == 200
    refused = client.post(ROUTE, json={"applicant": REF}, headers=auth).json()
    assert refused["detail"]["code"] == "rate_limited"
