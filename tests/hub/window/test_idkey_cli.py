"""`bianmin hub id-key init`: the hub's ID reference key written once, owner-only; or adopted
from provisioning's county.json so references made while units held that key keep matching."""

import json
import secrets
import stat

from typer.testing import CliRunner

from bianmin.cli import app
from hub.window.idkey import read_id_key


def init(*args: str):
    return CliRunner().invoke(app, ["hub", "id-key", "init", *args], catch_exceptions=False)


def test_a_new_key_is_written_once_for_its_owner_only(tmp_path):
    path = tmp_path / "hub_id_key.hex"
    assert init("--key-file", str(path)).exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = read_id_key(path, strict=True)
    assert len(key) == 32
    again = init("--key-file", str(path))
    assert again.exit_code == 1
    assert read_id_key(path, strict=True) == key


def test_the_county_key_units_held_before_is_adopted_and_not_printed(tmp_path):
    county_key = secrets.token_hex(32)
    county = tmp_path / "county.json"
    county.write_text(json.dumps({"id_key": county_key, "hub_broker_password": "x" * 20}))
    path = tmp_path / "hub_id_key.hex"
    done = init("--key-file", str(path), "--from", str(county))
    assert done.exit_code == 0
    assert county_key not in done.output
    assert read_id_key(path, strict=True) == bytes.fromhex(county_key)


def test_the_seal_key_is_made_beside_the_reference_key_and_only_its_public_half_printed(tmp_path):
    """Offline references (protocol.idseal): `init` writes the seal key too (0600); `seal-init`
    adds it beside a key made before; `seal-public` prints what provisioning pins."""
    import base64

    from protocol import idseal

    def idkey(*args: str):
        return CliRunner().invoke(app, ["hub", "id-key", *args], catch_exceptions=False)

    path = tmp_path / "hub_id_key.hex"
    assert init("--key-file", str(path)).exit_code == 0
    seal = tmp_path / "hub_id_seal_key.hex"
    assert stat.S_IMODE(seal.stat().st_mode) == 0o600
    private = read_id_key(seal, strict=True)
    shown = idkey("seal-public", "--key-file", str(path))
    assert base64.b64decode(shown.output.strip()) == idseal.public_key(private)
    assert private.hex() not in shown.output
    assert idkey("seal-init", "--key-file", str(path)).exit_code == 1  # one seal key
    seal.unlink()
    assert idkey("seal-init", "--key-file", str(path)).exit_code == 0
    assert read_id_key(seal, strict=True) != private
