"""The clerk roster: operators add and disable clerks and agents (audited, never answering a
PIN hash), and each rollout signs a village's active clerks into that village's configuration
only, on SQLite and PostgreSQL."""

from sqlalchemy import select

from hub.accounts.area import Area
from hub.accounts.roles import Actor, Role
from hub.accounts.store import add_account
from hub.rollouts.models import ConfigBlob, RolloutCreate, Target
from hub.rollouts.store import create_rollout
from protocol.clerks import ClerkRoster, pin_matches
from protocol.config import ConfigBody
from tests.hub.window.helpers import operator, session


def _add(client, headers, **body):
    return client.post("/api/clerks", json={"unit": "dongjie-cun", **body}, headers=headers)


def test_operators_add_clerks_and_a_made_up_pin_is_answered_once(client):
    ops = operator(client)
    made_up = _add(client, ops, name="王芳")
    assert made_up.status_code == 201, made_up.text
    pin = made_up.json()["pin"]
    assert len(pin) == 6
    assert pin.isdigit()
    chosen = _add(client, ops, name="李强", role="agent", pin="285714")
    assert chosen.status_code == 201
    assert "pin" not in chosen.json() or chosen.json()["pin"] is None
    listed = client.get("/api/clerks", params={"unit": "dongjie-cun"}, headers=ops).json()
    assert [(c["name"], c["role"], c["active"]) for c in listed] == [
        ("王芳", "clerk", True), ("李强", "agent", True),
    ]  # fmt: skip
    text = client.get("/api/clerks", headers=ops).text
    assert "digest" not in text
    assert "salt" not in text
    assert pin not in text
    actions = [a["action"] for a in client.get("/api/audit", headers=ops).json()]
    assert actions[:2] == ["clerk.add", "clerk.add"]
    audit_text = client.get("/api/audit", headers=ops).text
    assert "285714" not in audit_text
    assert pin not in audit_text


def test_only_operators_see_or_change_the_roster(client):
    with session(client) as s:
        viewer = add_account(s, name="view", role=Role.VIEWER)
        auditor = add_account(s, name="audit", role=Role.AUDITOR)
        s.commit()
    assert client.get("/api/clerks").status_code == 401
    assert _add(client, {}, name="王芳").status_code == 401
    for token in (viewer, auditor):
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/clerks", headers=headers).status_code == 403
        assert _add(client, headers, name="王芳").status_code == 403


def test_weak_pins_unknown_villages_and_bad_names_are_refused(client):
    ops = operator(client)
    for pin in ("123456", "000000", "98765", "12a456", "654321"):
        refused = _add(client, ops, name="王芳", pin=pin)
        assert refused.status_code == 422, pin
    assert _add(client, ops, name="王芳", unit="no-such-cun").status_code == 422
    assert _add(client, ops, name="").status_code == 422
    assert _add(client, ops, name="王\u202e芳").status_code == 422
    assert _add(client, ops, name="王芳", role="mayor").status_code == 422
    assert client.get("/api/clerks", headers=ops).json() == []


def test_a_disabled_clerk_stays_listed_and_leaves_the_roster(client):
    ops = operator(client)
    first = _add(client, ops, name="王芳", pin="285714").json()
    done = client.post(f"/api/clerks/{first['id']}/disable", headers=ops)
    assert done.status_code == 200
    assert done.json()["clerk"]["active"] is False
    assert client.post("/api/clerks/ck-00000000/disable", headers=ops).status_code == 404
    (listed,) = client.get("/api/clerks", headers=ops).json()
    assert listed["active"] is False
    assert listed["disabled_at"]


def _bodies(client) -> dict[str, ConfigBody]:
    from hub.rollouts.store import RU

    with session(client) as s:
        table = ConfigBlob.__table__  # type: ignore[attr-defined]
        blobs = dict(s.execute(select(table.c.hash, table.c.body)).all())
        units = s.execute(select(RU.c.unit, RU.c.body_hash)).all()
    return {u: ConfigBody.model_validate(blobs[h]) for u, h in units}


def test_a_rollout_signs_each_village_its_own_active_clerks(client):
    ops = operator(client)
    kept = _add(client, ops, name="王芳", pin="285714").json()
    agent = _add(client, ops, name="李强", role="agent", pin="428571").json()
    gone = _add(client, ops, name="赵敏", pin="571428").json()
    client.post(f"/api/clerks/{gone['id']}/disable", headers=ops)
    _add(client, ops, name="周杰", unit="qingshui-shequ", pin="714285")
    app = client.app
    with session(client) as s:
        create_rollout(
            s, request=RolloutCreate(target=Target(units=["dongjie-cun", "xijie-cun"])),
            actor=Actor("ops", Role.OPERATOR), catalog=app.state.catalogs.current,
            registry=app.state.registry,
        )  # fmt: skip
    bodies = _bodies(client)
    roster = bodies["dongjie-cun"].clerks
    assert isinstance(roster, ClerkRoster)
    assert [(c.id, c.name, c.role.value) for c in roster.clerks] == sorted(
        [(kept["id"], "王芳", "clerk"), (agent["id"], "李强", "agent")]
    )
    assert pin_matches("285714", roster.get(kept["id"]).pin)  # type: ignore[union-attr]
    assert not pin_matches("285715", roster.get(kept["id"]).pin)  # type: ignore[union-attr]
    # a village without clerks gets no roster at all, and never another village's
    assert bodies["xijie-cun"].clerks is None
    with session(client) as s:
        raw = [b for (b,) in s.execute(select(ConfigBlob.__table__.c.body))]  # type: ignore[attr-defined]
    assert sum("clerks" in b for b in raw) == 1
    assert "周杰" not in str(raw)


def test_a_towns_operator_keeps_the_roster_of_its_own_villages_only(client):
    registry = client.app.state.registry
    town = registry.village("dongjie-cun").division
    elsewhere = next(v.unit_id for v in registry.villages if v.division != town)
    county = operator(client)
    assert _add(client, county, name="王芳").status_code == 201
    theirs = client.post("/api/clerks", json={"unit": elsewhere, "name": "赵敏"}, headers=county)
    assert theirs.status_code == 201
    with session(client) as s:
        token = add_account(s, name="town-ops", role=Role.OPERATOR, area=Area(town=town))
        s.commit()
    mine = {"Authorization": f"Bearer {token}"}
    listed = client.get("/api/clerks", headers=mine).json()
    assert [c["name"] for c in listed] == ["王芳"]
    refused = client.post("/api/clerks", json={"unit": elsewhere, "name": "钱多"}, headers=mine)
    assert refused.status_code == 404
    gone = client.post(f"/api/clerks/{theirs.json()['id']}/disable", headers=mine)
    assert gone.status_code == 404
    assert _add(client, mine, name="孙丽").status_code == 201
