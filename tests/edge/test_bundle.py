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
    assert settings.tls_ca_file is None  # plain mqtt:// and http://: no county CA
    assert settings.broker_tls() is None


def test_a_clustered_brokers_nodes_become_the_links_failover_list_with_the_units_password(
    tmp_path,
):
    nodes = ("mqtt://10.20.0.2:1883", "mqtt://10.20.0.3:1884")
    one = identity(broker_urls=nodes)
    fields = identity_settings(load_identity(write_bundle(tmp_path / "b", one)), tmp_path / "d")
    settings = EdgeSettings(**fields, data_dir=tmp_path / "d")
    password = one.broker_password.get_secret_value()
    assert [(u.host, u.port, u.username, u.password) for u in settings.brokers()] == [
        ("10.20.0.2", 1883, "qingshui-shequ", password),
        ("10.20.0.3", 1884, "qingshui-shequ", password),
    ]
    single = EdgeSettings(unit_id="t001", broker_url="mqtt://10.20.0.2:1883", data_dir=tmp_path)
    assert [str(u) for u in single.brokers()] == ["mqtt://t001@10.20.0.2:1883"]


def test_a_county_ca_in_the_identity_is_written_for_the_tls_client(tmp_path):
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    fields = identity_settings(identity(ca_pem=pem), tmp_path / "data")
    assert fields["tls_ca_file"].read_text() == pem


def test_a_client_certificate_is_written_with_its_key_readable_by_the_unit_only(tmp_path):
    from pydantic import SecretStr

    from provisioning.pki import CountyCA

    ca = CountyCA.create()
    cert, key = ca.issue_client("qingshui-shequ")
    one = identity(
        broker_url="mqtts://mqtt.county.local:8883",
        ca_pem=ca.pem,
        client_cert_pem=cert,
        client_key_pem=SecretStr(key),
    )
    data = tmp_path / "data"
    settings = EdgeSettings(**identity_settings(one, data), data_dir=data)
    tls = settings.broker_tls()
    assert tls is not None
    assert (tls.ca_file, tls.cert_file) == (
        str(data / "county-ca.pem"),
        str(data / "client-cert.pem"),
    )
    assert settings.tls_key_file is not None
    assert settings.tls_key_file.read_text() == key
    assert settings.tls_key_file.stat().st_mode & 0o777 == 0o600
    tls.context()  # the pair loads: the key is the certificate's


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
