"""The county CA and its certificates, without a network: what each names, how long it lasts,
when `provision apply` issues it again, and the broker configuration generated from them."""

import json
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from protocol.unit_identity import UnitIdentity
from provisioning import listeners
from provisioning.mosquitto import MosquittoConfig, TlsListener
from provisioning.pki import (
    LEAF_DAYS,
    RENEW_BEFORE,
    CountyCA,
    Names,
    common_name,
    load_cert,
    names_in,
    renewal_reason,
)
from provisioning.plan import unit_tls
from provisioning.settings import ProvisionSettings, TlsSettings
from provisioning.store import IdentityStore
from provisioning.tls_files import TlsFiles
from tests.provisioning.helpers import hub_public_key, run, small_registry

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def ca() -> CountyCA:
    return CountyCA.create(NOW)


def settings(**tls) -> ProvisionSettings:
    return ProvisionSettings(
        broker_url="mqtts://mqtt.county.local:8883",
        hub_url="https://hub.county.local:8443",
        hub_public_key=hub_public_key(),
        tls=TlsSettings(**tls),
    )


def usage(cert: x509.Certificate) -> list[x509.ObjectIdentifier]:
    return list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)


def test_the_ca_is_a_ca_for_ten_years_and_may_sign_only_end_certificates(ca):
    constraints = ca.cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical
    assert (constraints.value.ca, constraints.value.path_length) == (True, 0)
    assert ca.cert.not_valid_after_utc - NOW == timedelta(days=3650)


def test_the_broker_certificate_names_the_url_host_and_the_county_names_it_is_given(ca):
    wanted = settings(broker_names=("mqtt.county.local", "broker.county.local"),
                      broker_ips=("10.20.0.2",)).broker_names()  # fmt: skip
    assert wanted.dns == ("mqtt.county.local", "broker.county.local")  # no repeat
    assert wanted.ips == (ip_address("10.20.0.2"),)
    cert = load_cert(ca.issue_server(wanted, NOW)[0])
    assert names_in(cert).same(wanted)
    assert common_name(cert) == "mqtt.county.local"
    assert usage(cert) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert ca.signed(cert)
    # valid from a little before now (clocks behind), for the most browsers accept
    assert NOW - timedelta(minutes=10) < cert.not_valid_before_utc < NOW
    assert cert.not_valid_after_utc == NOW + timedelta(days=LEAF_DAYS)


def test_a_hub_url_by_address_gives_an_ip_name():
    one = ProvisionSettings(
        broker_url="mqtt://127.0.0.1:1883",
        hub_url="https://10.20.0.3:8443",
        hub_public_key=hub_public_key(),
    )
    assert one.hub_names() == Names((), (ip_address("10.20.0.3"),))
    assert one.hub_tls
    assert not one.broker_tls


def test_a_unit_client_certificate_carries_the_unit_id_for_client_use_only(ca):
    cert = load_cert(ca.issue_client("qingshui-shequ", NOW)[0])
    assert common_name(cert) == "qingshui-shequ"
    assert usage(cert) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert names_in(cert) == Names()


def test_a_certificate_is_issued_again_near_its_end_for_other_names_or_by_another_ca(ca):
    names = Names.of(["mqtt.county.local", "10.20.0.2"])
    pem = ca.issue_server(names, NOW)[0]
    assert renewal_reason(ca, pem, names=names, now=NOW) is None
    assert (
        renewal_reason(ca, pem, names=Names.of(["10.20.0.2", "mqtt.county.local"]), now=NOW) is None
    )
    end = NOW + timedelta(days=LEAF_DAYS)
    assert renewal_reason(ca, pem, names=names, now=end - RENEW_BEFORE - timedelta(days=1)) is None
    assert renewal_reason(ca, pem, names=names, now=end - RENEW_BEFORE + timedelta(days=1)) == (
        f"expires {end.date().isoformat()}"
    )
    assert (
        renewal_reason(ca, pem, names=Names.of(["mqtt.county.local"]), now=NOW) == "names changed"
    )
    assert renewal_reason(CountyCA.create(NOW), pem, names=names, now=NOW) == "issued by another CA"
    assert renewal_reason(ca, None, names=names, now=NOW) == "missing"
    client = ca.issue_client("qingshui-shequ", NOW)[0]
    assert renewal_reason(ca, client, cn="dongjie-cun", now=NOW) == "another common name"


def test_apply_issues_the_server_certificates_once_and_again_when_close_to_expiry(tmp_path, ca):
    files = TlsFiles(tmp_path)
    wanted = settings(client_certificates=True, broker_ips=("10.20.0.2",))
    first = files.write(wanted, ca, NOW)
    assert set(first) == {"broker server", "broker admin client", "hub client", "hub server",
                          "county CA copy", "broker listeners"}  # fmt: skip
    assert files.write(wanted, ca, NOW + timedelta(days=300)) == {}
    for path in [*files.broker_dir.iterdir(), *files.hub_dir.iterdir()]:
        assert path.stat().st_mode & 0o777 == 0o600, path
    later = NOW + timedelta(days=LEAF_DAYS) - RENEW_BEFORE + timedelta(days=1)
    renewed = files.write(wanted, ca, later)
    assert set(renewed) == {"broker server", "broker admin client", "hub client", "hub server"}
    cert = load_cert((files.broker_dir / "server.pem").read_bytes())
    assert cert.not_valid_after_utc == later + timedelta(days=LEAF_DAYS)
    # a key that is not the certificate's (a run stopped between the two files) is issued again
    (files.hub_dir / "server.key").write_text((files.broker_dir / "server.key").read_text())
    assert files.pending(wanted, ca, later) == {"hub server": "key does not match"}


def test_the_listeners_file_says_where_the_broker_listens_with_tls(tmp_path, ca):
    files = TlsFiles(tmp_path)
    files.write(settings(broker_listen="10.20.0.2", hub_plain_port=1883,
                         client_certificates=True), ca, NOW)  # fmt: skip
    spec = listeners.load(files.broker_dir)
    assert spec is not None
    assert (spec.tls.host, spec.tls.port, spec.tls.require_certificate) == ("10.20.0.2", 8883, True)
    assert spec.plain_port == 1883
    plain_only = ProvisionSettings(
        broker_url="mqtt://127.0.0.1:1883", hub_public_key=hub_public_key()
    )
    files.write(plain_only, ca, NOW)
    assert listeners.load(files.broker_dir) is None  # back to the plain loopback broker


def test_the_mosquitto_config_listens_with_tls_and_plain_on_loopback_only_when_asked(tmp_path):
    spec = listeners.TlsListenerSpec(host="10.20.0.2", port=8883, require_certificate=True)
    tls = TlsListener.in_data_dir(tmp_path, spec)
    only_tls = MosquittoConfig(tmp_path, port=0, tls=tls, plain=False).conf_text()
    assert "listener 8883 10.20.0.2\n" in only_tls
    assert f"cafile {tmp_path}/ca.pem\ncertfile {tmp_path}/server.pem\n" in only_tls
    assert f"keyfile {tmp_path}/server.key\n" in only_tls
    assert "tls_version tlsv1.2\nrequire_certificate true\nuse_identity_as_username false\n" in (
        only_tls
    )
    assert only_tls.count("listener ") == 1
    both = MosquittoConfig(tmp_path, port=1883, tls=tls, plain=True).conf_text()
    assert "listener 1883 127.0.0.1\n" in both
    admin = MosquittoConfig(tmp_path, port=0, tls=tls, plain=False)
    assert (admin.admin_url.host, admin.admin_url.port, admin.admin_url.tls) == (
        "10.20.0.2", 8883, True,
    )  # fmt: skip
    assert admin.admin_tls is not None
    assert admin.admin_tls.cert_file == str(tmp_path / "admin.pem")
    assert not admin.admin_tls.check_hostname


def test_client_certificates_need_an_mqtts_broker():
    with pytest.raises(ValueError, match="need an mqtts:// broker URL"):
        ProvisionSettings(
            broker_url="mqtt://10.20.0.2:1883",
            hub_public_key=hub_public_key(),
            tls=TlsSettings(client_certificates=True),
        )


def test_a_unit_keeps_its_client_certificate_until_it_nears_its_end(ca):
    wanted = settings(client_certificates=True)
    first = unit_tls(None, "qingshui-shequ", wanted, ca, NOW)
    assert first.ca_pem == ca.pem
    assert first.cert_pem is not None
    assert first.key_pem is not None
    held = _holding(first)
    assert unit_tls(held, "qingshui-shequ", wanted, ca, NOW + timedelta(days=300)) == first
    renewed = unit_tls(held, "qingshui-shequ", wanted, ca, NOW + timedelta(days=380))
    assert renewed.cert_pem != first.cert_pem
    without = settings()  # TLS, no client certificates: the CA only
    assert unit_tls(held, "qingshui-shequ", without, ca, NOW).cert_pem is None


def _holding(tls) -> UnitIdentity:
    from tests.provisioning.test_identity import identity

    return identity(ca_pem=tls.ca_pem, client_cert_pem=tls.cert_pem, client_key_pem=tls.key_pem)


def test_init_makes_the_county_ca_once_and_apply_gives_every_unit_its_certificate(tmp_path):
    state = tmp_path / "state"
    registry = small_registry(tmp_path / "villages.json", 2)
    args = ["init", "--state-dir", str(state), "--registry", str(registry),
            "--broker-url", "mqtts://mqtt.county.local", "--broker-ip", "10.20.0.2",
            "--hub-public-key", hub_public_key(), "--client-certificates"]  # fmt: skip
    made = json.loads(run(*args).output)
    key = state / "secrets" / "county-ca.key"
    assert key.stat().st_mode & 0o777 == 0o600
    ca_pem = (state / made["county_ca"].removeprefix(str(state) + "/")).read_text()
    run(*args)  # init again: the same CA
    assert (state / "county-ca.pem").read_text() == ca_pem
    plan = json.loads(run("plan", "--state-dir", str(state), "--json").output)
    assert set(plan["certificates"]) >= {"broker server", "broker listeners"}
    applied = json.loads(run("apply", "--state-dir", str(state)).output.splitlines()[-1])
    assert "broker server" in applied["certificates"]
    ca = TlsFiles(state).ca(create=False)
    for unit, one in IdentityStore(state).identities().items():
        assert one.ca_pem == ca_pem
        assert one.client_cert_pem is not None
        cert = load_cert(one.client_cert_pem)
        assert (common_name(cert), ca.signed(cert)) == (unit, True)
    again = json.loads(run("plan", "--state-dir", str(state), "--json").output)
    assert (again["changes"], again["certificates"]) == (0, {})
    shown = run("ca", "--state-dir", str(state)).output
    assert "PRIVATE KEY" not in shown
    assert json.loads(shown)["certificates"][0]["names"] == ["mqtt.county.local", "10.20.0.2"]


def test_the_broker_command_takes_its_listeners_from_a_tls_data_directory_only(tmp_path, ca):
    from typer.testing import CliRunner

    from bianmin.cli import app

    files = TlsFiles(tmp_path)
    files.write(settings(), ca, NOW)
    broker_dir = str(files.broker_dir)
    embedded = CliRunner().invoke(app, ["broker", "--data-dir", broker_dir, "--embedded"])
    assert embedded.exit_code == 2
    assert "TLSneedsMosquitto" in _unboxed(embedded.output)
    port = CliRunner().invoke(app, ["broker", "--data-dir", broker_dir, "--port", "1883"])
    assert port.exit_code == 2
    assert "listeners.json" in _unboxed(port.output)


def _unboxed(output: str) -> str:
    """The error's words without the box typer draws around them and its line breaks."""
    return "".join(c for c in output if c not in "│ \n")
