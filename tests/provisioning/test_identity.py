"""A unit's identity file: one typed model, secrets that never show in reprs or errors."""

import json
import secrets

import pytest
from pydantic import SecretStr

from protocol.unit_identity import InvalidIdentity, UnitIdentity
from tests.provisioning.helpers import hub_public_key


def identity(**changes) -> UnitIdentity:
    fields = {
        "unit_id": "qingshui-shequ",
        "window_name": "清水社区",
        "hardware_profile": "pi4-cm3-80mm",
        "broker_url": "mqtt://10.20.0.2:1883",
        "broker_password": SecretStr("broker-" + secrets.token_hex(8)),
        "hub_url": "http://10.20.0.2:8000",
        "hub_public_key": hub_public_key(),
        "hub_token": SecretStr("bmu_" + secrets.token_hex(8)),
        "id_key": SecretStr(secrets.token_hex(32)),
        "template_key": SecretStr(secrets.token_hex(32)),
    }
    return UnitIdentity(**{**fields, **changes})


def test_the_file_round_trips_with_its_secrets():
    original = identity()
    text = original.to_json()
    again = UnitIdentity.parse(text)
    assert again == original
    assert again.broker_password.get_secret_value() in text
    assert json.loads(text)["schema_version"] == 1
    assert again.ca_pem is None  # no TLS: nothing to verify the broker and hub with


def test_secrets_never_show_in_a_repr_or_str():
    one = identity()
    for secret in (one.broker_password, one.hub_token, one.id_key, one.template_key):
        assert secret is not None
        assert secret.get_secret_value() not in repr(one)
        assert secret.get_secret_value() not in str(one)


def test_a_client_certificate_comes_with_its_key_and_its_ca():
    cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    with pytest.raises(ValueError, match="come together"):
        identity(ca_pem=cert, client_cert_pem=cert)
    with pytest.raises(ValueError, match="needs the CA"):
        identity(client_cert_pem=cert, client_key_pem=SecretStr("key"))
    one = identity(ca_pem=cert, client_cert_pem=cert, client_key_pem=SecretStr("the-key"))
    assert "the-key" not in repr(one)
    assert UnitIdentity.parse(one.to_json()) == one


def test_a_bad_file_is_refused_with_the_field_and_without_the_value():
    data = json.loads(identity().to_json())
    data["template_key"] = "not-hex-" + "x" * 56
    with pytest.raises(InvalidIdentity, match="template_key: template_key must be 32 bytes") as err:
        UnitIdentity.parse(json.dumps(data), "bundle/identity.json")
    assert "not-hex" not in str(err.value)
    assert "bundle/identity.json" in str(err.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("unit_id", "Not A Unit"),
        ("broker_url", "http://10.20.0.2"),
        ("hub_public_key", "bm90IGEga2V5"),
        ("hardware_profile", "../etc"),
        ("generation", 0),
    ],
)
def test_fields_are_bounded(field, value):
    data = json.loads(identity().to_json())
    data[field] = value
    with pytest.raises(InvalidIdentity, match=field):
        UnitIdentity.parse(json.dumps(data))


def test_an_unknown_field_is_refused():
    data = json.loads(identity().to_json())
    data["extra"] = 1
    with pytest.raises(InvalidIdentity, match="extra"):
        UnitIdentity.parse(json.dumps(data))


def test_a_clustered_brokers_nodes_round_trip_and_a_single_broker_writes_no_list():
    """GIVEN an identity with the nodes of a clustered broker THEN they round-trip in order;
    GIVEN one broker THEN the file has no broker_urls, so units from before clusters read it."""
    nodes = ("mqtt://10.20.0.2:1883", "mqtt://10.20.0.3:1883", "mqtt://10.20.0.4:1883")
    clustered = identity(broker_urls=nodes)
    assert UnitIdentity.parse(clustered.to_json()).broker_urls == nodes
    assert "broker_urls" not in json.loads(identity().to_json())


def test_the_first_of_a_clustered_brokers_nodes_must_be_broker_url():
    with pytest.raises(ValueError, match="broker_url must be the first of broker_urls"):
        identity(broker_urls=("mqtt://10.20.0.3:1883", "mqtt://10.20.0.2:1883"))
