"""The integrity blacklist: changed by operators (audited), read by auditors, and signed into
units' configurations, on SQLite and PostgreSQL."""

from hub.rollouts.store import create_rollout, get_rollout
from protocol.case import IntegrityBlacklist
from protocol.config import ArtifactKind
from tests.hub.window.helpers import REF, operator, session


def test_operators_change_the_blacklist_and_auditors_read_it(client):
    ops = operator(client)
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
    from hub.accounts.roles import Actor, Role
    from hub.artifacts.store import artifact_content
    from hub.rollouts.models import RolloutCreate, Target

    ops = operator(client)
    client.post(
        "/api/blacklist", json={"applicant_ref": REF, "reason": "提供虚假材料"}, headers=ops
    )
    app = client.app
    with session(client) as s:
        rollout = create_rollout(
            s, request=RolloutCreate(target=Target(units=["dongjie-cun"])),
            actor=Actor("ops", Role.OPERATOR), catalog=app.state.catalogs.current,
            registry=app.state.registry,
        )  # fmt: skip
        assert get_rollout(s, rollout_id=rollout.id).units == 1
    from sqlalchemy import select

    from hub.rollouts.models import ConfigBlob

    with session(client) as s:
        body = s.execute(select(ConfigBlob.__table__.c.body)).scalars().first()  # type: ignore[attr-defined]
    ref = body["blacklist"]
    assert ref["kind"] == ArtifactKind.INTEGRITY_BLACKLIST.value
    listed = IntegrityBlacklist.model_validate_json(
        artifact_content(app.state.engine, ref["sha256"])
    )
    assert listed.refs == (REF,)
