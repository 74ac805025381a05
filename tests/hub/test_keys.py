"""The hub's signing key: created on first start in local mode only, never invented in
production, never readable by others there."""

import os
import subprocess

import pytest

from hub.errors import SigningKeyError
from hub.keys import create_key_file, load_signing_key
from hub.settings import HubSettings
from protocol.signing import key_id, public_key_from_text
from tests.support.processes import BIANMIN


def settings(tmp_path, environment):
    return HubSettings(broker_url=None, data_dir=tmp_path, environment=environment)


def test_local_mode_creates_a_private_key_on_first_start_and_reuses_it(tmp_path):
    first = load_signing_key(settings(tmp_path, "local"))
    path = tmp_path / "hub_signing_key.pem"
    assert path.stat().st_mode & 0o777 == 0o600
    again = load_signing_key(settings(tmp_path, "local"))
    assert key_id(first.public_key()) == key_id(again.public_key())


def test_production_refuses_to_start_without_a_key_and_says_how_to_make_one(tmp_path):
    with pytest.raises(SigningKeyError, match="bianmin hub keygen"):
        load_signing_key(settings(tmp_path, "production"))
    assert not (tmp_path / "hub_signing_key.pem").exists()


def test_production_refuses_a_key_other_users_can_read(tmp_path):
    path = tmp_path / "hub_signing_key.pem"
    create_key_file(path)
    os.chmod(path, 0o644)
    with pytest.raises(SigningKeyError, match="chmod 600"):
        load_signing_key(settings(tmp_path, "production"))


def test_a_file_that_is_not_a_key_is_refused_by_name(tmp_path):
    path = tmp_path / "hub_signing_key.pem"
    path.write_text("not a key")
    with pytest.raises(SigningKeyError, match="not an Ed25519 PEM key"):
        load_signing_key(settings(tmp_path, "local"))


def test_keygen_prints_the_public_key_units_pin_and_will_not_overwrite(tmp_path):
    path = tmp_path / "k.pem"
    made = subprocess.run(
        [BIANMIN, "hub", "keygen", "--key-file", str(path)], capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    public = public_key_from_text(made.stdout.strip())
    shown = subprocess.run(
        [BIANMIN, "hub", "pubkey", "--key-file", str(path)], capture_output=True, text=True
    )
    assert public_key_from_text(shown.stdout.strip()) == public
    again = subprocess.run(
        [BIANMIN, "hub", "keygen", "--key-file", str(path)], capture_output=True, text=True
    )
    assert again.returncode == 1
    assert "exists" in again.stderr


def test_hub_serve_in_production_without_a_key_exits_with_the_reason(tmp_path):
    proc = subprocess.run(
        [BIANMIN, "hub", "serve", "--environment", "production", "--data-dir", str(tmp_path),
         "--database", f"sqlite:///{tmp_path / 'h.db'}"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "error (signing_key)" in proc.stderr


def test_local_mode_refuses_to_listen_beyond_this_machine(tmp_path):
    proc = subprocess.run(
        [BIANMIN, "hub", "serve", "--host", "0.0.0.0", "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "local mode" in proc.stderr
