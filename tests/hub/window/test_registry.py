"""The county data registry as units query it, on SQLite and PostgreSQL: only about the
applicant of the unit's own case open at its window, only that matter's registry materials,
within a budget per unit and per case; every query audited without the reference."""

import uuid
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.app import create_app
from hub.audit import AUDIT
from hub.cases.tables import CaseRecord
from hub.settings import HubSettings
from tests.hub.window.helpers import OTHER, QUERY, REF, rotate, session, unit

MATTER = "BIR-002"  # 生育登记: 户口簿复印件 and 结婚证复印件 come from the registry
PATH = "/api/unit/registry/query"


def open_case(client, *, unit_id="dongjie-cun", ref=REF, status="at_window", matter=MATTER):
    """A case as the hub projected it from the unit's events: identified, matter chosen."""
    now = datetime.now(UTC)
    case_id = uuid.uuid4()
    with session(client) as s:
        s.add(
            CaseRecord(
                case_id=case_id, unit=unit_id, opened_at=now, updated_at=now,
                matter_code=matter, applicant_ref=ref, window_state="materials_checked",
                status=status,
            )
        )  # fmt: skip
        s.commit()
    return str(case_id)


@pytest.fixture
def tight(database_url, tmp_path):
    """A hub whose registry budgets are small enough to reach in a test."""
    settings = HubSettings(
        database_url=database_url, broker_url=None, data_dir=tmp_path,
        registry_queries_per_hour=5, registry_queries_per_case=3,
    )  # fmt: skip
    with TestClient(create_app(settings)) as c:
        yield c


def test_a_unit_learns_which_materials_the_county_database_confirms(client):
    headers = unit(client)
    case = open_case(client)
    answer = client.post(PATH, json={**QUERY, "case": case}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "applicant": REF,
        "found": {"户口簿复印件": {"source": "县公安局", "as_of": "2026-01-01"}},
    }


def test_a_registry_query_must_name_an_hmac_reference(client):
    wrong = {**QUERY, "applicant": "330122196805172316", "case": open_case(client)}
    assert client.post(PATH, json=wrong, headers=unit(client)).status_code == 422


def test_a_unit_cannot_ask_about_anyone_but_the_applicant_of_its_own_open_case(client):
    """Finding (issue 17): any unit token could ask about any applicant. Every way of asking
    outside one's own open case gets the same 404, so none tells whether the applicant exists."""
    headers = unit(client)
    mine = open_case(client)
    theirs = open_case(client, unit_id="xijie-cun")
    closed = open_case(client, status="completed")
    other_matter = open_case(client, matter="BIR-003")  # only 结婚证复印件 is asked there
    asks = {
        "no case named": QUERY,
        "no such case": {**QUERY, "case": str(uuid.uuid4())},
        "another unit's case": {**QUERY, "case": theirs},
        "another applicant": {**QUERY, "applicant": OTHER, "case": mine},
        "a case no longer at the window": {**QUERY, "case": closed},
        "materials the matter does not ask": {**QUERY, "case": other_matter},
        "a material outside every matter": {
            **QUERY, "materials": ["不动产权证书"], "case": mine,
        },
    }  # fmt: skip
    answers = {why: client.post(PATH, json=q, headers=headers) for why, q in asks.items()}
    assert {why: a.status_code for why, a in answers.items()} == dict.fromkeys(asks, 404)
    assert len({a.content for a in answers.values()}) == 1  # word for word the same
    with session(client) as s:
        refused = s.execute(select(AUDIT.c.action, AUDIT.c.target)).all()
    assert sum(1 for a, _ in refused if a == "registry.refused") == len(asks)


def test_registry_queries_beyond_the_case_and_unit_budgets_get_429_with_a_reason(tight):
    headers = unit(tight)
    first = open_case(tight)
    codes = [
        tight.post(PATH, json={**QUERY, "case": first}, headers=headers).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    refused = tight.post(PATH, json={**QUERY, "case": first}, headers=headers).json()
    assert refused["detail"]["message"].startswith("本件已多次查询信息一库")
    second = open_case(tight)  # the unit's hourly budget of 5 is spent on the sixth query
    answer = tight.post(PATH, json={**QUERY, "case": second}, headers=headers)
    assert answer.status_code == 429
    assert answer.json()["detail"]["message"].startswith("本终端查询信息一库过于频繁")
    # the unknown and the refused count too: walking through cases does not reset the budget
    stranger = tight.post(PATH, json={**QUERY, "case": str(uuid.uuid4())}, headers=headers)
    assert stranger.status_code == 429


def test_every_registry_query_is_audited_with_its_case_and_materials_not_the_reference(client):
    headers = unit(client)
    case = open_case(client)
    assert client.post(PATH, json={**QUERY, "case": case}, headers=headers).status_code == 200
    with session(client) as s:
        rows = s.execute(select(AUDIT).where(AUDIT.c.action == "registry.query")).all()
    assert len(rows) == 1
    entry = rows[0]
    assert (entry.actor, entry.target) == ("unit:dongjie-cun", f"case/{case}")
    assert entry.detail == {"matter": MATTER, "asked": list(QUERY["materials"]), "found": 1}
    assert REF not in f"{entry.target}{entry.detail}"


def test_after_a_rotation_the_registry_answers_about_the_same_resident_in_either_generation(
    client,
):
    """GIVEN the resident's registry record and open case, and a rotation of the reference key
    WHEN a unit asks with the resident's generation-1 reference (not re-keyed yet) or their
    generation-2 reference, tagged
    THEN both find the record, each answer naming the reference the unit sent; a generation-2
    reference sent as generation 1 names nobody."""
    from hub.window.idgen import chain_key
    from protocol import idchain

    headers = unit(client)
    case = open_case(client)
    rotate(client)
    settings = client.app.state.settings
    new = idchain.step(REF, chain_key(settings.id_key_path, 2, strict=True))
    old_unit = client.post(PATH, json={**QUERY, "case": case}, headers=headers)
    assert old_unit.status_code == 200, old_unit.text
    assert old_unit.json()["applicant"] == REF
    assert set(old_unit.json()["found"]) == {"户口簿复印件"}
    sent = {**QUERY, "applicant": new, "generation": 2, "case": case}
    rekeyed = client.post(PATH, json=sent, headers=headers)
    assert rekeyed.status_code == 200, rekeyed.text
    assert rekeyed.json()["applicant"] == new
    assert set(rekeyed.json()["found"]) == {"户口簿复印件"}
    untagged = client.post(PATH, json={**sent, "generation": None}, headers=headers)
    assert untagged.status_code == 404
