"""`bianmin hub key` and /api/keys: each step audited, the rotated key's private half written
beside the first (0600), steps out of order refused with what comes next, a town's operator
refused, and the key units pin is the one the hub signs with."""

import json
import stat

from fastapi.testclient import TestClient
from sqlmodel import Session
from typer.testing import CliRunner

from hub.accounts.area import Area
from hub.accounts.roles import Role
from hub.accounts.store import add_account
from hub.app import create_app
from hub.audit import AUDIT
from hub.cli import app
from hub.keys import create_key_file
from hub.settings import HubSettings

runner = CliRunner()


def key(args, tmp_path):
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    result = runner.invoke(
        app, ["key", *args, "--database", db, "--key-file", str(tmp_path / "hub_signing_key.pem")]
    )
    return result


def test_the_command_line_walks_a_rotation_and_refuses_steps_out_of_order(tmp_path):
    first = create_key_file(tmp_path / "hub_signing_key.pem")
    refused = key(["promote"], tmp_path)
    assert refused.exit_code == 1
    assert "error (key_ring_state)" in refused.output
    assert "rotate first" in refused.output
    rotated = json.loads(key(["rotate"], tmp_path).stdout.splitlines()[0])
    new = next(k["key_id"] for k in rotated["keys"] if k["state"] == "next")
    path = tmp_path / f"hub_signing_key.{new}.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "promote" in rotated["next_step"]
    assert key(["retire"], tmp_path).exit_code == 1
    assert key(["promote"], tmp_path).exit_code == 0  # no unit has reported: none to wait for
    done = json.loads(key(["retire"], tmp_path).stdout.splitlines()[0])
    assert done["serial"] == 3
    assert done["current"] == new
    states = {k["key_id"]: k["state"] for k in done["keys"]}
    assert len(states) == 2
    assert sorted(states.values()) == ["current", "retired"]
    assert first.public_key() is not None

    from sqlalchemy import create_engine, select

    engine = create_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    with engine.connect() as conn:
        actions = [r.action for r in conn.execute(select(AUDIT.c.action).order_by(AUDIT.c.id))]
    engine.dispose()
    assert actions == ["key.rotate", "key.promote", "key.retire"]


def test_the_api_steps_for_county_operators_and_pins_the_current_key(tmp_path):
    data = tmp_path / "hub"
    create_key_file(data / "hub_signing_key.pem")
    settings = HubSettings(
        database_url=f"sqlite:///{tmp_path / 'api.db'}", broker_url=None, data_dir=data,
        environment="production",
    )  # fmt: skip
    web = create_app(settings)
    with TestClient(web) as client, Session(web.state.engine) as s:
        county = {"Authorization": f"Bearer {add_account(s, name='op', role=Role.OPERATOR)}"}
        token = add_account(s, name="town", role=Role.OPERATOR, area=Area(town="qingshui-zhen"))
        town = {"Authorization": f"Bearer {token}"}
        s.commit()
        assert client.post("/api/keys/rotate", headers=town).status_code == 403
        rotated = client.post("/api/keys/rotate", headers=county).json()
        new = next(k["key_id"] for k in rotated["keys"] if k["state"] == "next")
        assert client.get("/api/hub/public-key", headers=county).json()["key_id"] != new
        promoted = client.post("/api/keys/promote", headers=county, json={"min_share": 1.0})
        assert promoted.status_code == 200
        assert promoted.json()["current"] == new
        assert client.get("/api/hub/public-key", headers=county).json()["key_id"] == new
        again = client.post("/api/keys/promote", headers=county, json={})
        assert again.status_code == 409
        assert again.json()["detail"]["code"] == "key_ring_state"
