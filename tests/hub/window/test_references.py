"""ID references from the hub (protocol.idref): a unit sends its applicant's number blinded and
gets back what only the hub's key makes, on SQLite and PostgreSQL; within a budget per unit,
audited, and never an element outside the group."""

import asyncio
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from edge.window.references import ReferenceClient, ReferenceUnavailable
from hub.app import create_app
from hub.audit import AUDIT
from hub.settings import HubSettings
from hub.window.idkey import read_id_key
from protocol import identity, idref
from tests.hub.window.helpers import rotate, session, unit
from tests.support.hubserver import serve

PATH = "/api/unit/identity/reference"
NUMBER = "330122196805172318"


@pytest.fixture
def tight(database_url, tmp_path):
    settings = HubSettings(
        database_url=database_url, broker_url=None, data_dir=tmp_path, id_references_per_hour=2
    )
    with TestClient(create_app(settings)) as c:
        yield c


def hub_key(client) -> bytes:
    return read_id_key(client.app.state.settings.id_key_path, strict=True)


def test_a_unit_gets_the_hubs_reference_without_showing_the_number(tight):
    headers = unit(tight)
    blinded = idref.Blinded(NUMBER)
    sent = {"element": idref.to_hex(blinded.element)}
    answer = tight.post(PATH, json=sent, headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    ref = blinded.unblind(idref.from_hex(body["evaluated"]), idref.from_hex(body["public"]))
    assert ref == identity.reference(NUMBER, hub_key(tight))
    # another blinding of the same number looks nothing like the first
    assert idref.Blinded(NUMBER).element != blinded.element
    with session(tight) as s:
        audited = s.execute(select(AUDIT.c.actor, AUDIT.c.action, AUDIT.c.detail)).all()
    assert ("unit:dongjie-cun", "identity.reference", {}) in audited
    # past the unit's hourly budget: 429 with the reason the kiosk shows
    tight.post(PATH, json=sent, headers=headers)
    refused = tight.post(PATH, json=sent, headers=headers)
    assert refused.status_code == 429
    assert refused.json()["detail"]["message"].startswith("本终端本小时核验身份证号码次数已达上限")


def test_the_hub_evaluates_only_elements_of_the_group(client):
    headers = unit(client)
    outside = idref.P - 1  # order 2: its power would give away the key's last bit
    for value in (outside, 1, idref.P - idref.hash_to_group(NUMBER)):  # -1 is no square mod p
        answer = client.post(PATH, json={"element": idref.to_hex(value)}, headers=headers)
        assert answer.status_code == 422, value


def test_the_window_gets_references_from_a_served_hub_and_says_so_when_it_cannot(tmp_path):
    settings = HubSettings(database_url=f"sqlite:///{tmp_path / 'hub.db'}", data_dir=tmp_path)
    app = create_app(settings)
    # one lifespan (uvicorn's): a TestClient around it would run a second set of the hub's
    # loops on the same database, and under load the first answer outlasted the unit's 3 s
    with serve(app) as url:
        served = SimpleNamespace(app=app)  # what the helpers read: the app's state
        token = unit(served)["Authorization"].removeprefix("Bearer ")
        ref = asyncio.run(ReferenceClient(url, token).reference(NUMBER))
        assert ref == identity.reference(NUMBER, hub_key(served))
        with pytest.raises(ReferenceUnavailable) as refused:
            asyncio.run(ReferenceClient(url, "bmu_not-a-token").reference(NUMBER))
        assert refused.value.message_zh.startswith("暂时无法连接县级平台")


def test_a_case_identified_offline_gets_its_reference_once_and_the_hub_never_sees_the_number(
    client,
):
    """SQLite and PostgreSQL: (B, sealed r|s) in, H(n)^k and s out; a replay of the same case
    is refused (409), a seal bound to another case does not open (422)."""
    from hub.window.idkey import load_seal_key
    from protocol import idseal

    headers = unit(client)
    settings = client.app.state.settings
    public = idseal.public_key(load_seal_key(settings))
    case = "5d1f0c2e-8a4b-4c7e-9f10-2a3b4c5d6e7f"
    p = idseal.pend(NUMBER, public, "dongjie-cun", case)
    sent = {"case": case, "element": idref.to_hex(p.element), "sealed": p.sealed.hex()}
    later = "/api/unit/identity/reference/later"
    answer = client.post(later, json=sent, headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    ref = idseal.finish(
        p.boxed, bytes.fromhex(body["opener"]), idref.from_hex(body["evaluated"]),
        "dongjie-cun", case,
    )  # fmt: skip
    assert ref == identity.reference(NUMBER, hub_key(client))
    assert client.post(later, json=sent, headers=headers).status_code == 409
    other = {**sent, "case": "6d1f0c2e-8a4b-4c7e-9f10-2a3b4c5d6e7f"}
    assert client.post(later, json=other, headers=headers).status_code == 422
    with session(client) as s:
        audited = s.execute(select(AUDIT.c.action, AUDIT.c.target)).all()
    assert ("identity.reference_later", f"case/{case}") in audited


def test_after_a_rotation_a_unit_gets_its_generations_reference_without_showing_the_number(
    client,
):
    """SQLite and PostgreSQL: the blinded step still gives ref_1; the chain step carries it to
    the unit's generation (never past the hub's), audited; the window's client does both."""
    from hub.window.idgen import chain_key
    from protocol import idchain

    headers = unit(client)
    client.post(PATH, json={"element": idref.to_hex(idref.Blinded(NUMBER).element)},
                headers=headers)  # the key file exists  # fmt: skip
    rotate(client)
    settings = client.app.state.settings
    first = identity.reference(NUMBER, hub_key(client))
    second = idchain.step(first, chain_key(settings.id_key_path, 2, strict=True))
    chain = f"{PATH}/chain"
    answer = client.post(chain, json={"reference": first, "generation": 2}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"reference": second, "generation": 2}
    ahead = client.post(chain, json={"reference": first, "generation": 3}, headers=headers)
    assert ahead.status_code == 422
    assert client.post(chain, json={"reference": first, "generation": 2}).status_code == 401
    with session(client) as s:
        audited = s.execute(select(AUDIT.c.action).where(AUDIT.c.actor == "unit:dongjie-cun"))
        assert "identity.reference_chain" in set(audited.scalars())
    app = create_app(settings)  # the unit's window, through a served hub
    with serve(app) as url:  # one lifespan: a TestClient around it would start a second
        token = headers["Authorization"].removeprefix("Bearer ")
        at_two = ReferenceClient(url, token, generation=lambda: 2)
        assert asyncio.run(at_two.reference(NUMBER)) == second
        assert asyncio.run(ReferenceClient(url, token).reference(NUMBER)) == first


def test_while_a_rotation_is_under_way_the_reference_routes_answer_503(client):
    headers = unit(client)
    sent = {"element": idref.to_hex(idref.Blinded(NUMBER).element)}
    assert client.post(PATH, json=sent, headers=headers).status_code == 200
    rotate(client, stop_after="blacklist")
    client.app.state.id_generations = None
    refused = client.post(PATH, json=sent, headers=headers)
    assert refused.status_code == 503
    assert refused.json()["detail"]["code"] == "id_key_rotating"
    rotate(client)  # finished by a second run
    assert client.post(PATH, json=sent, headers=headers).status_code == 200
