"""Starting a unit from its provisioning bundle: the identity becomes the agent's settings, and
an identity others can read is refused."""

import os
import subprocess

import pytest

from edge.bundle import identity_settings, load_identity
from edge.errors import SettingsError
from edge.kit import RealKit
from edge.settings import EdgeSettings
from tests.provisioning.test_identity import identity
from tests.support.processes import BIANMIN


def write_bundle(directory, one, mode=0o600):
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "identity.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as fh:
        fh.write(one.to_json())
    os.chmod(path, mode)
    return directory


def test_the_identity_gives_the_unit_its_broker_hub_window_and_keys(tmp_path):
    one = identity()
    bundle = write_bundle(tmp_path / "bundle", one)

    settings = EdgeSettings(
        **identity_settings(load_identity(bundle), tmp_path / "data"), data_dir=tmp_path / "data"
    )

    assert settings.unit_id == "qingshui-shequ"
    assert settings.window_name == "清水社区"
    url = settings.broker()
    assert (url.username, url.password) == (
        "qingshui-shequ",
        one.broker_password.get_secret_value(),
    )
    assert settings.hub_url == "http://10.20.0.2:8000"
    assert settings.pinned_key() is not None
    assert settings.hub_token == one.hub_token
    keys = RealKit(settings).keys()
    assert one.id_key is not None  # an identity from before issue 17 still works
    assert keys.id_key == bytes.fromhex(one.id_key.get_secret_value())
    assert keys.template_key == bytes.fromhex(one.template_key.get_secret_value())
    assert settings.tls_ca_file is None  # no county CA yet


def test_a_county_ca_in_the_identity_is_written_for_the_tls_client(tmp_path):
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    fields = identity_settings(identity(ca_pem=pem), tmp_path / "data")
    assert fields["tls_ca_file"].read_text() == pem


def test_an_identity_others_can_read_is_refused(tmp_path):
    bundle = write_bundle(tmp_path / "bundle", identity(), mode=0o644)
    with pytest.raises(SettingsError, match=r"readable by other users .* chmod 600"):
        load_identity(bundle)


def test_a_missing_or_broken_identity_says_which_file(tmp_path):
    with pytest.raises(SettingsError, match="cannot read it"):
        load_identity(tmp_path)
    (tmp_path / "identity.json").write_text("{}")
    os.chmod(tmp_path / "identity.json", 0o600)
    with pytest.raises(SettingsError, match=r"identity\.json: unit_id"):
        load_identity(tmp_path)


def test_edge_run_refuses_a_unit_id_beside_a_bundle_and_needs_one_without(tmp_path):
    bundle = write_bundle(tmp_path / "bundle", identity())
    both = subprocess.run(
        [BIANMIN, "edge", "run", "--bundle", str(bundle), "--unit", "other"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert both.returncode == 2
    assert "--unit" in both.stderr
    assert "comes from the bundle" in both.stderr
    neither = subprocess.run(
        [BIANMIN, "edge", "run", "--broker", "mqtt://127.0.0.1:1"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert neither.returncode == 2
    assert "needed (or --bundle DIR)" in neither.stderr
